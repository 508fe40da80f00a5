//! The WebSocket opening handshake (RFC 6455 §4) for
//! [sockeye](https://crates.io/crates/sockeye): an HTTP/1.1 `Upgrade` as client or server,
//! after which the stream carries WebSocket frames.
//!
//! - [`Client`] sends the request and checks the answer: [`ServerResponse::Accepted`],
//!   [`ServerResponse::Redirect`] or [`ServerResponse::Rejected`].
//! - [`Server`] reads and checks the request ([`ClientRequest`]), answers a bad one itself
//!   (400, 403, 426 or 431) and sends the [`server::Response`] you choose to a good one.
//! - Both negotiate subprotocols and extensions (`sockeye_codec::Extension`, e.g.
//!   permessage-deflate), and `into_builder()` hands the stream to `sockeye-connection` with
//!   the mode, the negotiated extensions and every byte read past the HTTP head.
//! - [`http1`] is the sans-I/O core: parsing, the accept key and negotiation, usable
//!   without the async types. The `http` feature adds `http` for servers built on hyper or
//!   axum, whose HTTP parsing has already happened.
//!
//! **Invariant:** all HTTP parsing and negotiation lives in [`http1`], which does no I/O.
//! `client` and `server` only move bytes between a stream and it.
//!
//! **Invariant:** memory is bounded by the head limits: at most `max_head_bytes` are read
//! before the head is complete, and bytes after the head are never dropped.
//!
//! **Invariant:** a peer's bad request or response is logged once, at `debug`, and never
//! with a key.
//!
//! # Example
//! A client and a server agreeing on a subprotocol over an in-memory pipe, then talking:
//! ```
//! use sockeye_handshake::{server::Response, Client, Server, ServerResponse};
//! use tokio_util::compat::TokioAsyncReadCompatExt;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let (client_io, server_io) = tokio::io::duplex(4096);
//!
//! let server = async {
//!     let mut server = Server::new(server_io.compat());
//!     server.add_protocol("chat");
//!     let request = server.receive_request().await?;
//!     assert_eq!(request.path(), "/room/1");
//!     let accept = Response::Accept { key: request.key(), protocol: request.protocol() };
//!     server.send_response(&accept).await?;
//!     let (mut sender, mut receiver) = server.into_builder().finish();
//!     let mut message = Vec::new();
//!     receiver.receive_data(&mut message).await?;
//!     sender.send_text(std::str::from_utf8(&message)?).await?;
//!     sender.flush().await?;
//!     Ok::<_, Box<dyn std::error::Error>>(())
//! };
//! let client = async {
//!     let mut client = Client::new(client_io.compat(), "example.com", "/room/1");
//!     client.add_protocol("chat");
//!     let response = client.handshake().await?;
//!     assert_eq!(response, ServerResponse::Accepted { protocol: Some("chat".into()) });
//!     let (mut sender, mut receiver) = client.into_builder().finish();
//!     sender.send_text("echo me").await?;
//!     sender.flush().await?;
//!     let mut message = Vec::new();
//!     receiver.receive_data(&mut message).await?;
//!     assert_eq!(message, b"echo me");
//!     Ok::<_, Box<dyn std::error::Error>>(())
//! };
//! let (server, client) = tokio::join!(server, client);
//! server?;
//! client?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # Features
//! | feature | default | enables |
//! |---|---|---|
//! | `http` | no | `http`: accept upgrades arriving as `http::Request`s (hyper 1.x, axum) |
//!
//! # Limits
//! | limit | setter | default |
//! |---|---|---|
//! | bytes of an HTTP head | `Client::set_max_head_bytes`, `Server::set_max_head_bytes` | [`http1::DEFAULT_MAX_HEAD_BYTES`] (16 KiB) |
//! | header lines in an HTTP head | `Client::set_max_headers`, `Server::set_max_headers` | [`http1::DEFAULT_MAX_HEADERS`] (64) |
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
mod error;
#[cfg(feature = "__fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "http")]
pub mod http;
pub mod http1;
pub mod server;

use std::{io, pin::Pin, task::Poll};

use bytes::{Buf, BytesMut};
use futures::io::AsyncRead;

pub use client::{Client, Header, ServerResponse};
pub use error::Error;
pub use server::{ClientRequest, RequestHeaders, Response, Server, WebSocketKey};

/// The most bytes one read asks for while a head arrives.
const READ_CHUNK_BYTES: usize = 4096;

/// Reads from `socket` into `buffer` until `parse` finds a complete head in it, reading at
/// most `max_bytes` in all. The head's bytes are consumed; any after it stay in `buffer`.
async fn read_head<T, V>(
    socket: &mut T,
    buffer: &mut BytesMut,
    max_bytes: usize,
    mut parse: impl FnMut(&[u8]) -> Result<Option<(V, usize)>, Error>,
) -> Result<V, Error>
where
    T: AsyncRead + Unpin,
{
    let mut scanner = http1::HeadScanner::default();
    loop {
        // Parse only once a blank line has arrived, so that a head arriving byte by byte
        // costs linear time, not quadratic.
        if scanner.found_end(buffer) {
            if let Some((value, len)) = parse(buffer)? {
                buffer.advance(len);
                return Ok(value);
            }
        }
        let room = max_bytes.saturating_sub(buffer.len());
        if room == 0 {
            return Err(Error::HeadTooLarge { max: max_bytes });
        }
        if read_some(socket, buffer, room.min(READ_CHUNK_BYTES)).await? == 0 {
            return Err(Error::UnexpectedEof {
                received: buffer.len(),
            });
        }
    }
}

/// Reads up to `max` bytes from `socket`, appending them to `buffer`.
///
/// The buffer grows and shrinks back within one poll, so a dropped future leaves it as it
/// was or with whole bytes read.
async fn read_some<T>(socket: &mut T, buffer: &mut BytesMut, max: usize) -> io::Result<usize>
where
    T: AsyncRead + Unpin,
{
    futures::future::poll_fn(|cx| {
        let len = buffer.len();
        buffer.resize(len + max, 0);
        let poll = Pin::new(&mut *socket).poll_read(cx, &mut buffer[len..]);
        let read = match poll {
            Poll::Ready(Ok(n)) => n.min(max),
            _ => 0,
        };
        buffer.truncate(len + read);
        poll.map_ok(|_| read)
    })
    .await
}
