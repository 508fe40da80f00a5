//! permessage-deflate (RFC 7692) for [sockeye](https://crates.io/crates/sockeye): WebSocket
//! message compression as a codec [`Extension`], built on `flate2` with the
//! pure-Rust zlib-rs backend.
//!
//! Add a [`Deflate`] to the handshake on both sides; once the server accepts it, every data
//! message may be compressed (RSV1 set on its first frame) and the peer's compressed messages
//! are inflated before they reach you. With context takeover (the default) each side keeps
//! its LZ77 window across messages, which is where most of the gain on repetitive traffic
//! such as JSON comes from.
//!
//! **Invariant:** inflating is bounded. The output is checked against the connection's
//! message limit after every step of the inflater, and room for it is reserved in doubling
//! steps that never exceed the limit, so a small "deflate bomb" fails with 1009 having used
//! the limit in memory (briefly half as much again if the allocator moves the buffer on its
//! last growth), plus the compressed bytes, however far it would have inflated.
//!
//! **Invariant:** negotiation never agrees to terms we do not honour: the server's response
//! states exactly what both sides will do, and the client refuses a response it cannot
//! follow (RFC 7692 §7).
//!
//! **Invariant:** no `unsafe` code in this crate.
//!
//! # Example
//! ```
//! use sockeye_deflate::codec::{OpCode, RSV1};
//! use sockeye_deflate::{Deflate, Extension, Mode};
//!
//! // The client's offer: `permessage-deflate; server_max_window_bits=12; client_max_window_bits`.
//! let mut client = Deflate::new(Mode::Client);
//! client.set_max_server_window_bits(12)?;
//! let offer = client.params().to_vec();
//!
//! // The server accepts the offer; its response states the agreed terms.
//! let mut server = Deflate::new(Mode::Server);
//! server.configure(&offer)?;
//! let response: Vec<String> = server.params().iter().map(|p| p.to_string()).collect();
//! assert_eq!(response, ["server_max_window_bits=12"]);
//! client.configure(server.params())?;
//! assert!(client.is_enabled() && server.is_enabled());
//!
//! // RFC 7692 §7.2.3.1: "Hello" compresses to these bytes.
//! let mut wire = Vec::new();
//! let rsv = client.encode(OpCode::Text, b"Hello", &mut wire)?;
//! assert_eq!((rsv, &wire[..]), (Some(RSV1), &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00][..]));
//! server.decode(RSV1, OpCode::Text, &mut wire, 0, 1024)?;
//! assert_eq!(wire, b"Hello");
//!
//! // On a real connection, hand each side to its builder:
//! // `sockeye_connection::Builder::new(io, Mode::Client).add_extensions(vec![Box::new(client)])`.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Parameters
//! Each setter drives the wire parameter it is named after; what that means depends on the
//! side.
//!
//! | parameter | setter | as client (offer) | as server (response) |
//! |---|---|---|---|
//! | `server_no_context_takeover` | [`Deflate::set_server_no_context_takeover`] | require the server to reset per message | reset per message, and say so |
//! | `client_no_context_takeover` | [`Deflate::set_client_no_context_takeover`] | reset per message, and say so | require the client to reset per message |
//! | `server_max_window_bits` | [`Deflate::set_max_server_window_bits`] | ask the server for at most `2^N` bytes of window | compress with at most `2^N` bytes, and say so |
//! | `client_max_window_bits` | [`Deflate::set_max_client_window_bits`] | offer `=N` instead of the value-less default | ask the client for at most `2^N` (if its offer allows) |
//! | (local) compression level | [`Deflate::set_compression_level`] | [`DEFAULT_COMPRESSION_LEVEL`] (6) | same |
//! | (local) threshold | [`Deflate::set_threshold`] | [`DEFAULT_THRESHOLD_BYTES`] (0: compress all) | same |
//!
//! A server accepts the first offer it can honour and answers a peer's request in full: a
//! client's `server_no_context_takeover` is granted, a requested window is respected, and a
//! value-less `client_max_window_bits` lets the server limit the client. Offers with unknown
//! or repeated parameters or with invalid values are declined (RFC 7692 §7). Window values
//! may come bare or quoted (`"10"`).
//!
//! **Window size 8.** zlib, and so zlib-rs, cannot compress with a 256-byte window (it would
//! silently use 512 bytes and break the peer). When the peer limits our window to 8 bits we
//! still accept, answer `8` as asked, inflate the peer's messages, and send ours
//! uncompressed (RSV1 clear), which RFC 7692 allows at any time. The setters take 9..=15.
//!
//! **Empty messages** go out uncompressed (zero bytes rather than the single `0x00` of RFC 7692
//! §7.2.3.6); incoming, both that octet and an empty payload with RSV1 set read as an empty
//! message without disturbing the shared window.
//!
//! # Limits and memory
//! | what | bound |
//! |---|---|
//! | inflated message | the connection's max message size (1009 past it), checked while inflating |
//! | compressed message on the wire | the connection's frame and message limits plus a small allowance |
//! | compressor | created on the first message we compress; measured 245 KiB (9-bit window), 259 KiB (12), 371 KiB (15) |
//! | inflater | created on the first compressed message received; measured about 50 KiB for any window |
//!
//! # Errors on the wire
//! | peer sends | close code |
//! |---|---|
//! | a message that inflates past the limit | 1009 |
//! | a payload that is not valid DEFLATE | 1007 (invalid payload data; see `stream.rs` for why) |
//! | text that is not UTF-8 once inflated | 1007 (checked by the connection) |
//! | RSV1 on a control frame or continuation, or without the extension | 1002 (checked by the connection) |
#![forbid(unsafe_code)]

mod config;
mod error;
mod extension;
mod stream;

/// The frame codec this crate plugs into (`sockeye-codec`), for its [`Extension`] trait and
/// the types the trait's methods take.
pub use codec;
pub use codec::{Extension, Mode, Param};
pub use config::Negotiated;
pub use error::Error;
pub use extension::{Deflate, DEFAULT_COMPRESSION_LEVEL, DEFAULT_THRESHOLD_BYTES};

/// The smallest window size the setters accept, in bits (512 bytes).
pub const MIN_WINDOW_BITS: u8 = 9;

/// The largest window size, in bits (32 KiB), and the one used when nothing limits it.
pub const MAX_WINDOW_BITS: u8 = 15;

#[cfg(test)]
mod tests;
