#![cfg_attr(feature = "tokio", doc = include_str!("../README.md"))]
//! The `sockeye` facade: re-exports of the layer crates and tokio conveniences.
//!
//! # Crate layout
//! | module | crate | what |
//! |---|---|---|
//! | [`codec`] (also [`base`]) | `sockeye-codec` | frames, masking, close payloads, UTF-8, the [`extension::Extension`] trait; no I/O |
//! | [`connection`] | `sockeye-connection` | [`Sender`], [`Receiver`], [`connection::Builder`], limits and timeouts |
//! | [`handshake`] | `sockeye-handshake` | HTTP/1.1 upgrade, client and server; `http` crate interop with feature `http` |
//! | `extension::deflate` | `sockeye-deflate`, feature `deflate` | permessage-deflate (RFC 7692) |
//! | `tokio` | this crate, feature `tokio` | `tokio::connect` and `tokio::accept` in one call |
//!
//! **Invariant:** this crate adds conveniences, never rules: every protocol rule lives in the
//! layer crates, so the facade and a direct user of the layers behave the same.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use codec as base;
pub use codec;
pub use connection;
pub use handshake;

/// Received data and its description.
pub mod data {
    pub use connection::{ByteSlice125, CloseReason, Data, Incoming, IncomingRef, Message};
}

/// The extension trait and, with feature `deflate`, permessage-deflate.
pub mod extension {
    pub use codec::{Extension, Param};
    #[cfg(feature = "deflate")]
    #[cfg_attr(docsrs, doc(cfg(feature = "deflate")))]
    pub use deflate;
}

pub use connection::{CloseCode, Mode, Receiver, Sender};
pub use data::{Data, Incoming, IncomingRef};

#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio;
