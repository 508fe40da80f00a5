//! The bodies of sockeye's fuzz targets, shared by the libFuzzer binaries in `fuzz_targets/`
//! and by the corpus replay test in `tests/corpus/` (which runs on stable, without libFuzzer).
//!
//! Each target is a function from the fuzzer's bytes to `()`. Where it needs a configuration
//! (a role, limits, an extension, how to split the input), it reads an `Arbitrary` struct of
//! one-byte fields from the front of the input, so a seed is written by hand as "config bytes,
//! then the wire bytes" (see `tests/corpus/seeds.rs`). The rest of the input goes to one
//! sans-I/O entry point.
//!
//! **Invariant:** a target panics only when sockeye breaks one of the rules its docs list: not
//! panicking is the least of them. Each target also checks what the code promises: limits
//! hold, input split anywhere gives the same result as input in one piece, and what one side
//! encodes the other decodes to the same value.

mod frame;
mod handshake;
mod receive;

pub use frame::{close_payload, decode_header, utf8};
pub use handshake::{extension_offer, handshake_request, handshake_response};
pub use receive::{receive, roundtrip, Rle};

/// A target's body: the fuzzer's bytes in, a panic on a broken invariant.
pub type Target = fn(&[u8]);

/// Every target by name, as `cargo fuzz` and the replay test know them.
pub const TARGETS: &[(&str, Target)] = &[
    ("decode_header", decode_header),
    ("receive", receive),
    ("roundtrip", roundtrip),
    ("handshake_request", handshake_request),
    ("handshake_response", handshake_response),
    ("close_payload", close_payload),
    ("utf8", utf8),
    ("extension_offer", extension_offer),
];

/// A limit from one fuzzer byte: `b * b` bytes (dense near zero, up to 63 KiB), and 255 for
/// `none` (the caller's largest value).
fn limit(b: u8, none: u64) -> u64 {
    if b == u8::MAX {
        none
    } else {
        u64::from(b) * u64::from(b)
    }
}

/// Splits `bytes` into pieces whose sizes follow a pattern chosen by `chunk`: `chunk == 0` is
/// one byte at a time, other values vary the sizes between 1 and `chunk` (so every split
/// point gets tried across the corpus, not only multiples of one size). Some pieces are
/// empty, as a read may be.
fn pieces(bytes: &[u8], chunk: u8) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut i = 0usize;
    while !rest.is_empty() {
        let size = if chunk == 0 {
            1
        } else {
            // A cheap deterministic sequence in 0..=chunk.
            (i.wrapping_mul(7).wrapping_add(usize::from(chunk) * 3)) % (usize::from(chunk) + 1)
        };
        let (head, tail) = rest.split_at(size.min(rest.len()));
        out.push(head);
        rest = tail;
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use arbitrary::{Arbitrary, Unstructured};

    /// The seeds in `tests/corpus/seeds.rs` are written as one byte per config field.
    #[test]
    fn configs_take_one_byte_per_field() {
        #[derive(Debug, Arbitrary, PartialEq)]
        struct Config {
            a: bool,
            b: u8,
            c: bool,
            d: u8,
        }
        let mut u = Unstructured::new(&[3, 200, 2, 7, 42]);
        let config = Config::arbitrary(&mut u).unwrap();
        assert_eq!(
            config,
            Config {
                a: true,
                b: 200,
                c: false,
                d: 7
            }
        );
        assert_eq!(u.take_rest(), [42]);
    }

    #[test]
    fn pieces_cover_the_input_in_order() {
        let bytes: Vec<u8> = (0..=255).collect();
        for chunk in 0..=u8::MAX {
            let pieces = super::pieces(&bytes, chunk);
            assert_eq!(pieces.concat(), bytes, "chunk {chunk}");
            assert!(pieces.iter().all(|p| p.len() <= usize::from(chunk.max(1))));
        }
    }
}
