//! WebSocket connections for [sockeye](https://crates.io/crates/sockeye): send and receive
//! RFC 6455 messages over any `futures::io` byte stream.
//!
//! After a handshake (see `sockeye-handshake`), a [`Builder`] turns the stream into a
//! [`Sender`] and a [`Receiver`]. The receiver reassembles fragmented messages, validates
//! UTF-8 as it arrives, enforces size limits before buffering, answers pings and close
//! frames itself, and fails the connection with the right close code when the peer breaks
//! the protocol. [`Receiver::receive`] hands each message over in your `Vec`;
//! [`Receiver::receive_ref`] lends it from the buffer it was read into, without a copy.
//! Tokio users wrap their stream with `tokio_util::compat`.
//!
//! **Invariant:** the protocol rules live in the sans-I/O `proto` module (bytes in, events
//! out); `Sender` and `Receiver` only move bytes between it and the socket.
//!
//! **Invariant:** memory is bounded by the configured limits: buffers grow with bytes that
//! arrived, never with a length the peer declared, and at most one pong and one close frame
//! wait to be written however many pings arrive.
//!
//! **Invariant:** no input from the peer panics; every violation becomes an [`Error`] after
//! the matching close frame is sent.
//!
//! # Example
//! ```
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use sockeye_connection::{Builder, Incoming, Mode};
//! # let (a, b) = futures_ringbuf_like();
//! // `a` and `b` are the two ends of an established byte stream.
//! let (mut client_tx, mut client_rx) = Builder::new(a, Mode::Client).finish();
//! let (mut server_tx, mut server_rx) = Builder::new(b, Mode::Server).finish();
//!
//! client_tx.send_text("hello").await?;
//! let mut message = Vec::new();
//! let data = server_rx.receive_data(&mut message).await?;
//! assert!(data.is_text());
//! server_tx.send_binary(&message).await?;
//! # Ok(()) }
//! # fn futures_ringbuf_like() -> (Duplex, Duplex) { unimplemented!() }
//! # #[derive(Debug)] struct Duplex;
//! # impl futures::AsyncRead for Duplex { fn poll_read(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>, _: &mut [u8]) -> std::task::Poll<std::io::Result<usize>> { unimplemented!() } }
//! # impl futures::AsyncWrite for Duplex {
//! #   fn poll_write(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>, _: &[u8]) -> std::task::Poll<std::io::Result<usize>> { unimplemented!() }
//! #   fn poll_flush(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> { unimplemented!() }
//! #   fn poll_close(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> { unimplemented!() }
//! # }
//! ```
//!
//! # Sharing between the sender and the receiver
//! The stream is not split: both halves use it, each holding it only for a single
//! non-blocking `poll_read` or `poll_write` call, so neither waits on the other's I/O.
//! Writes go through one async mutex that
//! the sender takes per message; the receiver never waits for it: answers to pings and
//! close frames are queued (at most one of each) and written by whichever side holds the
//! writer next. So the receiver keeps reading while a large send is blocked, and a pong is
//! never stuck behind an idle sender.
//!
//! # Limits
//! | limit | default | setter |
//! |---|---|---|
//! | message size | [`DEFAULT_MAX_MESSAGE_BYTES`] (64 MiB) | [`Builder::set_max_message_size`] |
//! | frame size | [`DEFAULT_MAX_FRAME_BYTES`] (64 MiB) | [`Builder::set_max_frame_size`] |
//! | read size | [`DEFAULT_READ_BUFFER_BYTES`] (64 KiB) | [`Builder::set_read_buffer_size`] |
//! | queued pongs | 1 (the latest ping is answered) | fixed |
//!
//! # Timeouts
//! Given a [`Timer`] ([`Builder::set_timer`]; `sockeye::tokio` does it for you), the
//! receiver enforces them while it is polled:
//!
//! | timeout | default | setter |
//! |---|---|---|
//! | peer answers our close | [`DEFAULT_CLOSE_TIMEOUT`] (10 s) | [`Builder::set_close_timeout`] |
//! | keepalive ping / answer | off | [`Builder::set_keepalive`] |
//! | nothing received | off | [`Builder::set_idle_timeout`] |
//! | a write stalls (peer not reading) | off | [`Builder::set_send_timeout`] |
// `unsafe` is denied by the workspace lints. The one exception lends text the receiver
// validated as it arrived without validating it a second time: `data::validated_str` and
// its owned twin, called where the bytes come from (`Receiver::receive_ref`,
// `Receiver::into_stream`), each call with its own safety argument.

mod builder;
mod data;
mod error;
#[cfg(feature = "__fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod inbuf;
mod proto;
mod receiver;
mod sender;
mod shared;
mod stream;
mod timer;

pub use builder::{
    Builder, DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_OUTGOING_FRAME_BYTES,
    DEFAULT_READ_BUFFER_BYTES,
};
pub use codec::{CloseCode, Error as CodecError, Mode};
pub use data::{ByteSlice125, CloseReason, Data, Incoming, IncomingRef, Message, SliceTooLarge};
pub use error::Error;
pub use receiver::Receiver;
pub use sender::Sender;
pub use timer::{Sleep, Timer, DEFAULT_CLOSE_TIMEOUT};
