//! WebSocket frames for [sockeye](https://crates.io/crates/sockeye): RFC 6455 headers,
//! masking, close payloads, UTF-8 validation and the extension trait, with no I/O.
//!
//! This is the bottom layer of sockeye. `sockeye-connection` builds messages on it; a proxy
//! or any other program that forwards frames can depend on this crate alone.
//!
//! **Invariant:** no I/O, no async, no logging: functions take bytes and return values or
//! errors. Callers log.
//!
//! **Invariant:** nothing here allocates from a length a peer declared: [`decode_header`]
//! checks the length against the configured limit before any payload is buffered, and
//! [`FrameCodec`] grows its buffer only with bytes that arrived.
//!
//! **Invariant:** the only `unsafe` is in masking: calling the masking loop compiled for
//! AVX2, after checking at run time that the CPU has AVX2. The loop itself is safe code the
//! compiler vectorises (see [`apply_mask`]).
//!
//! # Example
//! ```
//! use sockeye_codec::{apply_mask, decode_header, DecodeConfig, Header, Mode, OpCode};
//!
//! // Encode a masked text frame as a client would send it...
//! let payload = b"Hello";
//! let key = [0x37, 0xfa, 0x21, 0x3d];
//! let mut header = Header::new(OpCode::Text);
//! header.set_mask(Some(key)).set_payload_len(payload.len() as u64);
//! let mut wire = Vec::new();
//! header.encode(&mut wire);
//! let start = wire.len();
//! wire.extend_from_slice(payload);
//! apply_mask(&mut wire[start..], key);
//! assert_eq!(wire, [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
//!
//! // ...and decode it as a server.
//! let (decoded, header_len) = decode_header(&wire, &DecodeConfig::new(Mode::Server))?
//!     .expect("a whole header");
//! assert_eq!(decoded, header);
//! let mut body = wire[header_len..].to_vec();
//! apply_mask(&mut body, decoded.mask().unwrap());
//! assert_eq!(body, b"Hello");
//! # Ok::<(), sockeye_codec::Error>(())
//! ```
//!
//! # Features
//! | feature | default | enables |
//! |---|---|---|
//! | `tokio-util` | no | `tokio_util::codec::{Decoder, Encoder}` for [`FrameCodec`] |
//!
//! # Limits
//! | limit | where | default |
//! |---|---|---|
//! | largest frame payload | [`DecodeConfig::set_max_payload_bytes`] | no limit (the connection layer sets 64 MiB) |
//! | control frame payload | fixed by RFC 6455 §5.5 | [`MAX_CONTROL_PAYLOAD_BYTES`] (125) |
//! | close reason | fixed by RFC 6455 §5.5 | [`MAX_CLOSE_REASON_BYTES`] (123) |

mod close;
mod error;
mod extension;
mod frame;
mod header;
mod mask;
mod opcode;
mod utf8;

pub use close::{
    encode_close_payload, parse_close_payload, truncate_reason, CloseCode, MAX_CLOSE_REASON_BYTES,
};
pub use error::Error;
pub use extension::{Extension, Param};
pub use frame::{Frame, FrameCodec};
pub use header::{
    decode_header, DecodeConfig, Header, Mode, MAX_CONTROL_PAYLOAD_BYTES, MAX_HEADER_BYTES, RSV1,
    RSV2, RSV3,
};
pub use mask::{apply_mask, apply_mask_at, extend_masked};
pub use opcode::OpCode;
pub use utf8::{validate_utf8, Utf8Error, Utf8Validator};
