//! Targets for the codec's frame-level entry points: `decode_header` (with `FrameCodec`),
//! close payloads and the incremental UTF-8 validator.

use arbitrary::{Arbitrary, Unstructured};
use bytes::BytesMut;
use codec::{
    encode_close_payload, parse_close_payload, truncate_reason, CloseCode, DecodeConfig, Error,
    Frame, FrameCodec, Mode, Utf8Validator, MAX_CLOSE_REASON_BYTES, MAX_CONTROL_PAYLOAD_BYTES,
    MAX_HEADER_BYTES, RSV1, RSV2, RSV3,
};

use crate::{limit, pieces};

/// `decode_header`'s configuration: 4 bytes, one per field, in this order.
#[derive(Debug, Arbitrary)]
struct HeaderConfig {
    /// Odd: decode as a client (frames must be unmasked); even: as a server.
    client: bool,
    /// The payload limit, through [`limit`] (255: none).
    max_payload: u8,
    /// The RSV bits extensions own (masked to the three RSV bits).
    allowed_rsv: u8,
    /// How `FrameCodec` gets the input, through [`pieces`].
    chunk: u8,
}

/// Fuzz target `decode_header`: [`HeaderConfig`] (4 bytes), then wire bytes.
///
/// Invariants of `codec::decode_header`:
/// - over the prefixes of the input, the result is "need more" up to some length and the same
///   value from there on: it never consumes more than it is given, never reads past the 14
///   header bytes, and a longer input never turns a header into an error or back;
/// - a decoded header obeys the config (mask matches the role, RSV bits allowed, length within
///   the limit and below 2^63, control frames final and at most 125 bytes) and its length is
///   the size of the fields its first two bytes announce;
/// - re-encoding gives the same bytes when the length was in the minimal form, and otherwise a
///   shorter encoding that decodes to the same header.
///
/// And of `FrameCodec`: the same frames (or the same error) whether the input arrives in one
/// piece or in many, and each frame encodes back to the bytes it came from (minimal lengths).
pub fn decode_header(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(cfg) = HeaderConfig::arbitrary(&mut u) else {
        return;
    };
    let wire = u.take_rest();
    let mut config = DecodeConfig::new(if cfg.client {
        Mode::Client
    } else {
        Mode::Server
    });
    config
        .set_max_payload_bytes(limit(cfg.max_payload, u64::MAX))
        .set_allowed_rsv(cfg.allowed_rsv);

    let whole = codec::decode_header(wire, &config);
    // Prefix monotonicity: `Ok(None)` for short prefixes, then one constant result.
    let mut settled = None;
    for k in 0..=wire.len().min(MAX_HEADER_BYTES + 2) {
        let r = codec::decode_header(&wire[..k], &config);
        match (&settled, r) {
            (None, Ok(None)) => {}
            (None, r) => settled = Some(r),
            (Some(s), r) => assert_eq!(s, &r, "prefix of {k} bytes changed the result"),
        }
    }
    // The decoder never looks past the 14 header bytes, so 16 bytes settle it.
    assert_eq!(settled.unwrap_or(Ok(None)), whole, "whole input differs");

    if let Ok(Some((header, n))) = whole {
        assert!(
            n <= wire.len() && n <= MAX_HEADER_BYTES,
            "header of {n} bytes"
        );
        assert_eq!(header.mask().is_some(), config.mode().is_server());
        assert_eq!(header.rsv() & !config.allowed_rsv(), 0);
        assert_eq!(header.rsv() & !(RSV1 | RSV2 | RSV3), 0);
        assert!(header.payload_len() <= config.max_payload_bytes());
        assert!(header.payload_len() >> 63 == 0);
        if header.opcode().is_control() {
            assert!(header.is_fin());
            assert!(header.payload_len() <= MAX_CONTROL_PAYLOAD_BYTES as u64);
        }
        let len_bytes = match wire[1] & 0x7f {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let mask_bytes = if header.mask().is_some() { 4 } else { 0 };
        assert_eq!(n, 2 + len_bytes + mask_bytes);

        let mut out = Vec::new();
        header.encode(&mut out);
        assert_eq!(out.len(), header.encoded_len());
        if out.len() == n {
            assert_eq!(out, &wire[..n], "minimal header re-encodes differently");
        } else {
            assert!(out.len() < n, "re-encoding grew");
            let again = codec::decode_header(&out, &config);
            assert_eq!(again, Ok(Some((header, out.len()))));
        }
    }

    frame_codec(wire, config, cfg.chunk);
}

/// What `FrameCodec` made of a byte stream: frames, then an error if one stopped it.
fn frames(wire_pieces: &[&[u8]], config: DecodeConfig) -> (Vec<Frame>, Option<Error>) {
    let mut codec = FrameCodec::new(config);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in wire_pieces {
        buf.extend_from_slice(piece);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => out.push(frame),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

fn frame_codec(wire: &[u8], config: DecodeConfig, chunk: u8) {
    let whole = frames(&[wire], config);
    let split = frames(&pieces(wire, chunk), config);
    assert_eq!(whole, split, "FrameCodec depends on how the input is split");
    let mut at = 0;
    for frame in &whole.0 {
        let mut out = BytesMut::new();
        frame.encode(&mut out);
        let (header, _) = codec::decode_header(&wire[at..], &config)
            .expect("decoded before")
            .expect("whole header");
        if header.encoded_len() == header_len(&wire[at..]) {
            assert_eq!(
                &out[..],
                &wire[at..at + out.len()],
                "frame re-encodes differently"
            );
            at += out.len();
        } else {
            break;
        }
    }
}

/// The length of the header at the front of `wire` as its first two bytes announce it.
fn header_len(wire: &[u8]) -> usize {
    let len_bytes = match wire[1] & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    2 + len_bytes + if wire[1] & 0x80 != 0 { 4 } else { 0 }
}

/// Fuzz target `close_payload`: the whole input is a close frame's payload.
///
/// Invariants of `codec::parse_close_payload`, against an oracle written from RFC 6455
/// §5.5.1 and §7.4: an empty payload has no code; one byte is too short; a code must be
/// sendable; the reason must be UTF-8. A parsed payload of at most 125 bytes encodes back to
/// the same bytes; a longer reason is cut at the last character boundary that fits a control
/// frame.
pub fn close_payload(data: &[u8]) {
    let expected = match data {
        [] => Ok(None),
        [_] => Err(Error::CloseTooShort),
        [hi, lo, reason @ ..] => {
            let code = CloseCode(u16::from_be_bytes([*hi, *lo]));
            if !code.is_sendable() {
                Err(Error::InvalidCloseCode { code: code.0 })
            } else {
                std::str::from_utf8(reason)
                    .map(|r| Some((code, r)))
                    .map_err(|_| Error::InvalidUtf8)
            }
        }
    };
    let parsed = parse_close_payload(data);
    assert_eq!(parsed, expected);
    if let Ok(Some((code, reason))) = parsed {
        let mut out = Vec::new();
        encode_close_payload(code, reason, &mut out);
        assert!(out.len() <= MAX_CONTROL_PAYLOAD_BYTES);
        let cut = truncate_reason(reason);
        assert!(cut.len() <= MAX_CLOSE_REASON_BYTES && reason.starts_with(cut));
        if let Some(next) = reason[cut.len()..].chars().next() {
            // Cut only as much as needed: the next character would not have fitted.
            assert!(
                cut.len() + next.len_utf8() > MAX_CLOSE_REASON_BYTES,
                "cut too much"
            );
        }
        if reason.len() <= MAX_CLOSE_REASON_BYTES {
            assert_eq!(out, data);
        }
        assert_eq!(parse_close_payload(&out), Ok(Some((code, cut))));
    }
}

/// Fuzz target `utf8`: one byte choosing how to split, through [`pieces`], then the text.
///
/// Invariants of `codec::Utf8Validator`, against `std::str::from_utf8`: fed the input in
/// pieces, it fails at the first piece after which the bytes so far cannot start valid UTF-8
/// (no earlier, no later); while it has not failed, it holds part of a character exactly when
/// the bytes so far end inside one; `finish` succeeds exactly when the whole input is valid.
pub fn utf8(data: &[u8]) {
    let Some((&chunk, text)) = data.split_first() else {
        return;
    };
    let mut v = Utf8Validator::new();
    let mut end = 0;
    for piece in pieces(text, chunk) {
        end += piece.len();
        let so_far = std::str::from_utf8(&text[..end]);
        let invalid = so_far.as_ref().is_err_and(|e| e.error_len().is_some());
        let fed = v.feed(piece);
        assert_eq!(fed.is_err(), invalid, "after {end} bytes: {so_far:?}");
        if invalid {
            return;
        }
        assert_eq!(v.is_mid_character(), so_far.is_err(), "after {end} bytes");
    }
    assert_eq!(v.finish().is_ok(), std::str::from_utf8(text).is_ok());
    assert!(!v.is_mid_character(), "finish resets the validator");
}
