//! Masking and unmasking payloads in place (RFC 6455 §5.3).
//!
//! The XOR runs over 64-byte blocks, eight 64-bit words each, against the key repeated to a
//! word (rotated for the payload offset). The block loop has no data-dependent branches and
//! fixed trip counts, so the compiler turns it into full-width vector instructions on every
//! target (SSE2 on baseline x86-64) without `target-cpu=native`.
//!
//! On x86-64 CPUs with AVX2 the same loop, compiled a second time with AVX2 enabled, is
//! chosen at run time for buffers of 128 bytes or more: twice the vector width, half the
//! instructions. Calling that build is this crate's only `unsafe` (see `wide`). `cargo bench
//! -p sockeye-codec --bench mask` compares both with `copy_from_slice` of the same buffer.

/// Bytes processed per block by the vectorised loop.
const BLOCK: usize = 64;

/// XORs `buf` with the 4-byte `mask`, as if `buf` started at payload offset 0.
///
/// RFC 6455 §5.3: "Octet i of the transformed data is the XOR of octet i of the original
/// data with octet at index i modulo 4 of the masking key." Masking and unmasking are the
/// same operation.
#[inline]
pub fn apply_mask(buf: &mut [u8], mask: [u8; 4]) {
    apply_mask_at(buf, mask, 0);
}

/// XORs `buf` with `mask` as if `buf` started at payload offset `offset`.
///
/// Use it to unmask a payload piece by piece as it arrives: pass the number of payload bytes
/// already unmasked as `offset`.
#[inline]
pub fn apply_mask_at(buf: &mut [u8], mask: [u8; 4], offset: usize) {
    #[cfg(target_arch = "x86_64")]
    if buf.len() >= wide::MIN_LEN && wide::available() {
        wide::apply_mask_at(buf, mask, offset);
        return;
    }
    apply_mask_at_portable(buf, mask, offset);
}

/// [`apply_mask_at`] for any CPU: vectorised to the target's baseline width.
#[inline(always)]
fn apply_mask_at_portable(buf: &mut [u8], mask: [u8; 4], offset: usize) {
    let (mask, word) = key_at(mask, offset);
    let mut blocks = buf.chunks_exact_mut(BLOCK);
    for block in &mut blocks {
        // A fixed-size block of eight words: the compiler unrolls and vectorises this.
        let block: &mut [u8; BLOCK] = block
            .try_into()
            .expect("chunks_exact_mut yields BLOCK bytes");
        for chunk in block.chunks_exact_mut(8) {
            let bytes: &mut [u8; 8] = chunk
                .try_into()
                .expect("chunks_exact_mut(8) yields 8 bytes");
            *bytes = (u64::from_ne_bytes(*bytes) ^ word).to_ne_bytes();
        }
    }
    // Every block is a multiple of 4 bytes long, so the tail starts at key index 0.
    apply_mask_words(blocks.into_remainder(), mask, word);
}

/// Appends `src` to `dst`, XORed with `mask` as if `src` started at payload offset `offset`.
///
/// The same as `extend_from_slice` followed by [`apply_mask_at`] on the new bytes, in one
/// pass instead of two: each byte is read once and written once. Use it to unmask a payload
/// on its way out of a read buffer into a message.
#[inline]
pub fn extend_masked(dst: &mut Vec<u8>, src: &[u8], mask: [u8; 4], offset: usize) {
    #[cfg(target_arch = "x86_64")]
    if src.len() >= wide::MIN_LEN && wide::available() {
        wide::extend_masked(dst, src, mask, offset);
        return;
    }
    extend_masked_portable(dst, src, mask, offset);
}

/// [`extend_masked`] for any CPU: vectorised to the target's baseline width.
#[inline(always)]
fn extend_masked_portable(dst: &mut Vec<u8>, src: &[u8], mask: [u8; 4], offset: usize) {
    let (mask, word) = key_at(mask, offset);
    dst.reserve(src.len());
    let mut blocks = src.chunks_exact(BLOCK);
    for block in &mut blocks {
        let block: &[u8; BLOCK] = block.try_into().expect("chunks_exact yields BLOCK bytes");
        // A fixed-size block the compiler keeps in vector registers: XORed, then appended
        // with one fixed-size store (the capacity was reserved above).
        let mut out = [0u8; BLOCK];
        for (out, chunk) in out.chunks_exact_mut(8).zip(block.chunks_exact(8)) {
            let word_in: [u8; 8] = chunk.try_into().expect("chunks_exact(8) yields 8 bytes");
            out.copy_from_slice(&(u64::from_ne_bytes(word_in) ^ word).to_ne_bytes());
        }
        dst.extend_from_slice(&out);
    }
    // Every block is a multiple of 4 bytes long, so the tail starts at key index 0.
    let start = dst.len();
    dst.extend_from_slice(blocks.remainder());
    apply_mask_words(&mut dst[start..], mask, word);
}

/// Eight bytes at a time, then bytes: the path for short buffers and block tails.
#[inline]
fn apply_mask_words(buf: &mut [u8], mask: [u8; 4], word: u64) {
    let mut words = buf.chunks_exact_mut(8);
    for chunk in &mut words {
        let bytes: &mut [u8; 8] = chunk
            .try_into()
            .expect("chunks_exact_mut(8) yields 8 bytes");
        *bytes = (u64::from_ne_bytes(*bytes) ^ word).to_ne_bytes();
    }
    // Each word is 8 bytes, a multiple of 4, so the tail starts at key index 0 too.
    apply_mask_bytewise(words.into_remainder(), mask);
}

/// The plain byte loop, the reference the fast path is tested against.
#[inline]
fn apply_mask_bytewise(buf: &mut [u8], mask: [u8; 4]) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= mask[i & 3];
    }
}

/// The key as seen from payload offset `offset`, and repeated to a 64-bit word.
///
/// Arithmetic on the key as one `u32` rather than byte by byte: this runs for every frame,
/// and for a small one it was a third of the masking work (an echo server ran 29 fewer
/// instructions per 16-byte message).
#[inline]
fn key_at(mask: [u8; 4], offset: usize) -> ([u8; 4], u64) {
    let key = u32::from_ne_bytes(mask);
    // Byte `i` of the result is `mask[(i + offset) % 4]`: the key's bytes move `offset`
    // places toward the first, which is a rotation towards the low bits when the first byte
    // in memory is the low one.
    let bits = (offset % 4) as u32 * 8;
    let key = if cfg!(target_endian = "little") {
        key.rotate_right(bits)
    } else {
        key.rotate_left(bits)
    };
    // The same four bytes twice, whichever the byte order.
    (key.to_ne_bytes(), u64::from(key) * 0x1_0000_0001)
}

/// The same loops compiled for AVX2, chosen at run time on x86-64 CPUs that have it (nearly
/// all since 2013): twice the vector width of the baseline SSE2 that a portable build may
/// assume, so about half the instructions per byte.
///
/// The loops themselves are the portable ones, inlined into functions compiled with the
/// feature enabled; the only `unsafe` is calling those functions, after the check.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod wide {
    /// Below this many bytes the run-time check costs more than the wider vectors save.
    pub(super) const MIN_LEN: usize = 128;

    /// Whether this CPU has AVX2 (the standard library caches the answer).
    #[inline]
    pub(super) fn available() -> bool {
        std::arch::is_x86_feature_detected!("avx2")
    }

    /// [`super::apply_mask_at`] with AVX2. The caller has checked [`available`].
    #[inline]
    pub(super) fn apply_mask_at(buf: &mut [u8], mask: [u8; 4], offset: usize) {
        debug_assert!(available());
        // SAFETY: `apply_mask_at_avx2` is only unsafe to call on a CPU without AVX2, and
        // every caller has checked `available()` (the CPU's own answer) first.
        unsafe { apply_mask_at_avx2(buf, mask, offset) }
    }

    /// [`super::extend_masked`] with AVX2. The caller has checked [`available`].
    #[inline]
    pub(super) fn extend_masked(dst: &mut Vec<u8>, src: &[u8], mask: [u8; 4], offset: usize) {
        debug_assert!(available());
        // SAFETY: as in `apply_mask_at` above: AVX2 is present, checked by every caller.
        unsafe { extend_masked_avx2(dst, src, mask, offset) }
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn apply_mask_at_avx2(buf: &mut [u8], mask: [u8; 4], offset: usize) {
        super::apply_mask_at_portable(buf, mask, offset);
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn extend_masked_avx2(dst: &mut Vec<u8>, src: &[u8], mask: [u8; 4], offset: usize) {
        super::extend_masked_portable(dst, src, mask, offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(buf: &mut [u8], mask: [u8; 4], offset: usize) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= mask[(i + offset) % 4];
        }
    }

    #[test]
    fn rfc6455_5_7_masked_hello() {
        let mut payload = *b"Hello";
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d]);
        assert_eq!(payload, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    }

    /// The masking functions under test: what callers get (dispatched at run time), the
    /// portable loops, and the AVX2 build of them where this CPU has AVX2.
    type ApplyMaskAt = fn(&mut [u8], [u8; 4], usize);
    type ExtendMasked = fn(&mut Vec<u8>, &[u8], [u8; 4], usize);
    fn implementations() -> Vec<(&'static str, ApplyMaskAt, ExtendMasked)> {
        let mut all: Vec<(&'static str, ApplyMaskAt, ExtendMasked)> = vec![
            ("dispatched", apply_mask_at, extend_masked),
            ("portable", apply_mask_at_portable, extend_masked_portable),
        ];
        #[cfg(target_arch = "x86_64")]
        if wide::available() {
            all.push(("avx2", wide::apply_mask_at, wide::extend_masked));
        }
        all
    }

    #[test]
    fn matches_byte_loop_for_every_length_alignment_and_offset() {
        let mask = [0x12, 0x9a, 0xe7, 0x41];
        let source: Vec<u8> = (0..400u32)
            .map(|i| (i.wrapping_mul(31) ^ (i >> 3)) as u8)
            .collect();
        // Under Miri (`cargo xtask ci` where it is installed), which runs about a thousand
        // times slower, a sample: each side of every vector width and of `wide::MIN_LEN`.
        let (aligns, lens): (Vec<usize>, Vec<usize>) = if cfg!(miri) {
            (
                vec![0, 1, 3, 7, 8, 15],
                vec![
                    0, 1, 3, 4, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 127, 128, 129, 191, 300,
                ],
            )
        } else {
            ((0..16).collect(), (0..=300).collect())
        };
        for (name, apply_mask_at, extend_masked) in implementations() {
            for &align in &aligns {
                for &len in &lens {
                    for offset in 0..4 {
                        let mut expected = source[align..align + len].to_vec();
                        reference(&mut expected, mask, offset);
                        // Mask a sub-slice of a larger buffer so the start really is
                        // misaligned.
                        let mut backing = source.clone();
                        let window = &mut backing[align..align + len];
                        apply_mask_at(window, mask, offset);
                        assert_eq!(
                            window,
                            &expected[..],
                            "{name}: len {len} align {align} offset {offset}"
                        );
                        // The bytes around the window are untouched.
                        assert_eq!(backing[..align], source[..align], "{name}");
                        assert_eq!(backing[align + len..], source[align + len..], "{name}");
                        // The one-pass copy, onto a message already `align` bytes long.
                        let mut message = vec![7u8; align];
                        extend_masked(&mut message, &source[align..align + len], mask, offset);
                        assert_eq!(&message[..align], &vec![7u8; align][..]);
                        assert_eq!(
                            &message[align..],
                            &expected[..],
                            "{name} extend_masked: len {len} align {align} offset {offset}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn pieces_unmask_like_the_whole() {
        let mask = [1, 2, 3, 4];
        let original: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
        let mut whole = original.clone();
        apply_mask(&mut whole, mask);
        for cut in [0, 1, 3, 63, 64, 65, 130, 999, 1000] {
            let mut pieces = original.clone();
            let (a, b) = pieces.split_at_mut(cut);
            apply_mask_at(a, mask, 0);
            apply_mask_at(b, mask, cut);
            assert_eq!(pieces, whole, "cut at {cut}");
        }
    }

    #[test]
    fn masking_twice_restores_the_data() {
        let original: Vec<u8> = (0..4096u32).map(|i| (i * 7) as u8).collect();
        let mut data = original.clone();
        apply_mask(&mut data, [0xde, 0xad, 0xbe, 0xef]);
        assert_ne!(data, original);
        apply_mask(&mut data, [0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(data, original);
    }
}
