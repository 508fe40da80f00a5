//! The payload transformation (RFC 7692 §7.2): one [`Encoder`] for outgoing messages and one
//! [`Decoder`] for incoming ones, each a raw DEFLATE stream from `flate2` (zlib-rs backend)
//! that lives as long as the connection when context takeover is in use.
//!
//! **Invariant:** inflating never grows the output past `start + max_len` bytes; whether more
//! would follow is asked of the inflater with a one-byte probe on the stack.

use codec::{CloseCode, Error};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::config::NAME;

/// The tail every sync flush ends with, removed by the sender (RFC 7692 §7.2.1) and put back
/// by the receiver (§7.2.2): the LEN and NLEN of an empty stored block.
pub(crate) const TRAILER: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The smallest window flate2 builds a raw DEFLATE stream with: zlib and zlib-rs turn a
/// request for 8 bits into 9 for compression, and flate2 refuses 8 outright.
const MIN_STREAM_WINDOW_BITS: u8 = 9;

/// The first piece of output room reserved when inflating, unless the limit is smaller.
const MIN_INFLATE_CHUNK_BYTES: usize = 4 * 1024;

/// Scratch buffers larger than this are freed after a message rather than kept.
const KEEP_SCRATCH_BYTES: usize = 64 * 1024;

/// The compressing side: our messages to the peer.
#[derive(Debug)]
pub(crate) struct Encoder {
    /// Created on the first compressed message, so a connection that never sends one
    /// never allocates the compressor's window and hash tables.
    compress: Option<Compress>,
    window_bits: u8,
    level: u32,
    /// RFC 7692 §7.1.1: reset the LZ77 window before every message.
    no_context_takeover: bool,
    /// The compressor has seen data since its last reset.
    dirty: bool,
}

impl Encoder {
    /// An encoder for the agreed window, or `None` when the window is 8 bits: zlib-rs cannot
    /// compress within 256 bytes, so such a connection sends every message uncompressed,
    /// which RFC 7692 §1 allows ("so that an endpoint can choose not to compress messages").
    pub(crate) fn new(window_bits: u8, level: u32, no_context_takeover: bool) -> Option<Self> {
        (window_bits >= MIN_STREAM_WINDOW_BITS).then_some(Self {
            compress: None,
            window_bits,
            level,
            no_context_takeover,
            dirty: false,
        })
    }

    /// Changes the compression level from the next message on.
    pub(crate) fn set_level(&mut self, level: u32) {
        self.level = level;
        // Between messages the compressor has flushed everything, so this cannot fail; should
        // it, the compressor is rebuilt with the new level before the next message.
        if let Some(compress) = &mut self.compress {
            if compress.set_level(Compression::new(level)).is_err() {
                self.compress = None;
                self.dirty = false;
            }
        }
    }

    /// Compresses `payload` into `out` (empty on entry) as one permessage-deflate message.
    ///
    /// Returns `false`, with `out` empty, when the message should go out uncompressed: when it
    /// is empty, and without context takeover (where skipping the compressor cannot
    /// desynchronise the peer's window) when compressing did not make it smaller.
    pub(crate) fn encode(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<bool, Error> {
        if payload.is_empty() {
            // Nothing to gain: an empty message goes out plain (0 bytes rather than the 0x00
            // octet of RFC 7692 §7.2.3.6), and neither window changes.
            return Ok(false);
        }
        let (window_bits, level) = (self.window_bits, self.level);
        let compress = self.compress.get_or_insert_with(|| {
            Compress::new_with_window_bits(Compression::new(level), false, window_bits)
        });
        if self.no_context_takeover && self.dirty {
            compress.reset();
        }
        self.dirty = true;

        // Text typically shrinks to a quarter or less; the buffer doubles when it does not.
        out.reserve_exact(payload.len() / 4 + 64);
        let mut consumed = 0;
        loop {
            if out.len() == out.capacity() {
                out.reserve_exact(out.capacity());
            }
            let before = compress.total_in();
            // RFC 7692 §7.2.1: "Compress all the octets of the payload of the message using
            // DEFLATE" and end on a block boundary with an empty stored block, which is what a
            // sync flush emits.
            compress
                .compress_vec(&payload[consumed..], out, FlushCompress::Sync)
                .map_err(|e| internal(format!("compressor failed: {e}")))?;
            consumed += usize::try_from(compress.total_in() - before)
                .expect("the compressor consumed at most the slice it was given");
            // Done when all input is in and the flush fit in the room it was given.
            if consumed == payload.len() && out.len() < out.capacity() {
                break;
            }
        }
        // RFC 7692 §7.2.1: "If the resulting data does not end with an empty DEFLATE block
        // with no compression (the "BTYPE" bits are set to 00), append an empty DEFLATE block
        // with no compression to the tail end. Remove 4 octets (that are 0x00 0x00 0xff 0xff)
        // from the tail end."
        if !out.ends_with(&TRAILER) {
            return Err(internal(
                "sync flush did not end with an empty stored block".into(),
            ));
        }
        out.truncate(out.len() - TRAILER.len());
        if self.no_context_takeover && out.len() >= payload.len() {
            out.clear();
            return Ok(false);
        }
        Ok(true)
    }
}

/// The inflating side: the peer's messages to us.
#[derive(Debug)]
pub(crate) struct Decoder {
    /// Created on the first compressed message.
    decompress: Option<Decompress>,
    window_bits: u8,
    /// RFC 7692 §7.1.1: the peer resets its window before every message, so we do too.
    no_context_takeover: bool,
    dirty: bool,
    /// The compressed message plus [`TRAILER`], while its output is written where it was.
    input: Vec<u8>,
}

impl Decoder {
    /// A decoder for the agreed window of the peer. A window of 8 is inflated with 9 bits,
    /// which accepts every stream a 256-byte window can produce.
    pub(crate) fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        Self {
            decompress: None,
            window_bits: window_bits.max(MIN_STREAM_WINDOW_BITS),
            no_context_takeover,
            dirty: false,
            input: Vec::new(),
        }
    }

    /// Replaces the compressed message in `data[start..]` with its inflated bytes, failing as
    /// soon as they pass `max_len`. `data[..start]` is left alone.
    pub(crate) fn decode(
        &mut self,
        data: &mut Vec<u8>,
        start: usize,
        max_len: usize,
    ) -> Result<(), Error> {
        if data.len() == start {
            // An empty payload is not a complete DEFLATE block even with the trailer, but
            // compressors do send it for an empty message (a sync flush after nothing). Take it
            // as the empty message it means, without feeding the inflater half a block header
            // that would corrupt the next message under context takeover.
            return Ok(());
        }
        let window_bits = self.window_bits;
        let decompress = self
            .decompress
            .get_or_insert_with(|| Decompress::new_with_window_bits(false, window_bits));
        if self.no_context_takeover && self.dirty {
            decompress.reset(false);
        }
        self.dirty = true;

        // RFC 7692 §7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the
        // payload of the message." The compressed bytes move to scratch space so the output
        // can take their place; the message buffer keeps its capacity for it.
        self.input.clear();
        self.input.extend_from_slice(&data[start..]);
        self.input.extend_from_slice(&TRAILER);
        data.truncate(start);
        let result = inflate(
            decompress,
            window_bits,
            self.no_context_takeover,
            &self.input,
            data,
            start,
            max_len,
        );
        if result.is_err() {
            data.truncate(start);
        }
        self.input.clear();
        if self.input.capacity() > KEEP_SCRATCH_BYTES {
            self.input = Vec::new();
        }
        result
    }
}

/// Inflates `input` onto the end of `data`, checking the output against `max_len` after every
/// step; output room is reserved in steps that never pass `start + max_len`.
fn inflate(
    decompress: &mut Decompress,
    window_bits: u8,
    no_context_takeover: bool,
    input: &[u8],
    data: &mut Vec<u8>,
    start: usize,
    max_len: usize,
) -> Result<(), Error> {
    let mut consumed = 0;
    loop {
        let produced = data.len() - start;
        let room = max_len - produced;
        let (in_before, out_before) = (decompress.total_in(), data.len());
        // The output room this step offers; the inflater may have more once it is full.
        let offered;
        let status = if room == 0 {
            // At the limit: any more output makes the message too big. Ask for one byte into
            // a probe rather than growing the buffer past the limit to find out.
            offered = 1;
            let mut probe = [0; 1];
            let out_total = decompress.total_out();
            let status =
                decompress.decompress(&input[consumed..], &mut probe, FlushDecompress::Sync);
            if decompress.total_out() > out_total {
                return Err(too_big(max_len));
            }
            status
        } else {
            let step = produced
                .max(input.len().saturating_mul(2))
                .max(MIN_INFLATE_CHUNK_BYTES)
                .min(room);
            if data.len() == data.capacity() {
                data.reserve_exact(step);
            }
            if data.capacity() - data.len() <= room {
                // The spare capacity, all of which we reserved, ends within the limit.
                offered = data.capacity() - data.len();
                decompress.decompress_vec(&input[consumed..], data, FlushDecompress::Sync)
            } else {
                // The buffer came with capacity past the limit (a reused buffer): write into
                // an initialised piece of `step` bytes so the limit is still checked each step.
                offered = step;
                data.resize(out_before + step, 0);
                let out_total = decompress.total_out();
                let status = decompress.decompress(
                    &input[consumed..],
                    &mut data[out_before..],
                    FlushDecompress::Sync,
                );
                let written = usize::try_from(decompress.total_out() - out_total)
                    .expect("the inflater wrote at most the slice it was given");
                data.truncate(out_before + written);
                status
            }
        }
        .map_err(|e| corrupt(e.message().unwrap_or("invalid data")))?;
        consumed += usize::try_from(decompress.total_in() - in_before)
            .expect("the inflater consumed at most the slice it was given");
        let produced = data.len() - start;
        debug_assert!(produced <= max_len, "every step stays within the limit");
        if status == Status::StreamEnd {
            // RFC 7692 §7.2.3.4: a peer that cannot flush with an empty stored block may end
            // the message with a block that has BFINAL set, followed by a 0x00 octet "to allow
            // the payload to be decompressed in the same manner". That ends the DEFLATE
            // stream, so what follows starts a new one; under context takeover the new one
            // gets this message's last window of output as its history.
            decompress.reset(false);
            if !no_context_takeover {
                let window = 1usize << window_bits;
                let history = &data[start + produced.saturating_sub(window)..];
                decompress
                    .set_dictionary(history)
                    .map_err(|e| internal(format!("inflater refused its history: {e}")))?;
            }
            let rest = &input[consumed..];
            if rest.is_empty() || rest == TRAILER {
                return Ok(());
            }
            continue;
        }
        let written = data.len() - out_before;
        // All input taken and room left over: the inflater has nothing more to give.
        if consumed == input.len() && written < offered {
            return Ok(());
        }
        if decompress.total_in() == in_before && written == 0 {
            // Neither input taken nor output given, with both available: the stream is stuck.
            return Err(corrupt("inflater made no progress"));
        }
    }
}

/// A peer's message that inflates past the limit (RFC 6455 §7.4.1: "1009 indicates that an
/// endpoint is terminating the connection because it has received a message that is too big
/// for it to process").
fn too_big(max_len: usize) -> Error {
    Error::Extension {
        name: NAME.to_owned(),
        reason: format!(
            "peer sent a compressed message that inflates past the limit of {max_len} bytes"
        ),
        code: CloseCode::MESSAGE_TOO_BIG,
    }
}

/// A peer's DEFLATE data that does not decode.
///
/// RFC 6455 §7.4.1: "1007 indicates that an endpoint is terminating the connection because it
/// has received data within a message that was not consistent with the type of the message
/// (e.g., non-UTF-8 [RFC3629] data within a text message)." RFC 7692 §1: "PMCEs use the RSV1
/// bit of the WebSocket frame header to indicate whether a message is compressed or not", so
/// RSV1 is part of the message's type; a payload marked compressed that is not DEFLATE is
/// data inconsistent with that type, as bad UTF-8 is for a text message. Hence 1007, as
/// Node's `ws` sends; the frames themselves broke no framing rule, which is what 1002 is for.
fn corrupt(detail: &str) -> Error {
    Error::Extension {
        name: NAME.to_owned(),
        reason: format!("peer sent a compressed message that does not inflate: {detail}"),
        code: CloseCode::INVALID_PAYLOAD,
    }
}

/// A fault of our own (RFC 6455 §7.4.1, 1011: "an unexpected condition").
fn internal(reason: String) -> Error {
    Error::Extension {
        name: NAME.to_owned(),
        reason,
        code: CloseCode::INTERNAL_ERROR,
    }
}
