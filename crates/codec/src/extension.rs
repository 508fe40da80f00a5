//! The [`Extension`] trait: how a WebSocket extension (RFC 6455 §9) such as
//! permessage-deflate plugs into negotiation and into the message path.
//!
//! The codec defines the trait and nothing else, so `sockeye-deflate` can implement it
//! without the codec depending on compression.

use std::fmt;

use crate::{Error, OpCode};

/// One extension parameter: `name` or `name=value` in a `Sec-WebSocket-Extensions` header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Param {
    name: String,
    value: Option<String>,
}

impl Param {
    /// A parameter without a value, e.g. `server_no_context_takeover`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: None,
        }
    }

    /// A parameter with a value, e.g. `client_max_window_bits=10`.
    pub fn with_value(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: Some(value.into()),
        }
    }

    /// The parameter's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parameter's value, if it has one.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            None => f.write_str(&self.name),
            Some(v) => write!(f, "{}={}", self.name, v),
        }
    }
}

/// A WebSocket extension.
///
/// # Negotiation
/// - A **client** offers [`Extension::name`] with [`Extension::params`]. When the server's
///   response names the extension, the client calls [`Extension::configure`] with the
///   response's parameters; an error fails the handshake (the client must not go on with
///   terms it cannot honour). An extension the server does not name stays disabled.
/// - A **server** calls [`Extension::configure`] with each offer for its name in the
///   client's order; the first that succeeds is accepted, and [`Extension::params`] then
///   gives the parameters to answer with. An extension no offer configures stays disabled.
///
/// # Messages
/// Only enabled extensions see messages. [`Extension::encode`] transforms an outgoing data
/// message and says which RSV bits to set on its first frame; [`Extension::decode`]
/// transforms an incoming one, given the RSV bits of its first frame. Control frames are never
/// passed to extensions.
pub trait Extension: fmt::Debug + Send {
    /// The registered name, e.g. `permessage-deflate`.
    fn name(&self) -> &str;

    /// Whether negotiation succeeded and the extension applies to this connection.
    fn is_enabled(&self) -> bool;

    /// The parameters to offer (client) or to answer with after `configure` (server).
    fn params(&self) -> &[Param];

    /// Applies negotiated parameters; see the trait docs for each side's meaning.
    ///
    /// # Errors
    /// The parameters cannot be honoured. The extension stays disabled.
    fn configure(&mut self, params: &[Param]) -> Result<(), Error>;

    /// The RSV bits this extension uses (e.g. [`crate::RSV1`]); the decoder rejects others.
    fn reserved_bits(&self) -> u8 {
        0
    }

    /// Transforms an outgoing data message.
    ///
    /// Returns `Ok(None)` to send `payload` unchanged, or `Ok(Some(rsv))` after writing the
    /// transformed message to `out` (which arrives empty), where `rsv` are the bits to set on
    /// the message's first frame.
    ///
    /// # Errors
    /// The extension failed; the connection fails with [`Error::close_code`].
    fn encode(
        &mut self,
        opcode: OpCode,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<u8>, Error>;

    /// Transforms an incoming data message in place.
    ///
    /// `rsv` holds the RSV bits of the message's first frame. `data[start..]` is the message
    /// as received; on success it must hold the decoded message, and `data[..start]` must be
    /// left as it was. The decoded message must not exceed `max_len` bytes: an extension
    /// that expands data (decompression) checks the limit while it expands, never after.
    ///
    /// # Errors
    /// The message is malformed for this extension, or too large.
    fn decode(
        &mut self,
        rsv: u8,
        opcode: OpCode,
        data: &mut Vec<u8>,
        start: usize,
        max_len: usize,
    ) -> Result<(), Error>;
}

impl<E: Extension + ?Sized> Extension for Box<E> {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn is_enabled(&self) -> bool {
        (**self).is_enabled()
    }

    fn params(&self) -> &[Param] {
        (**self).params()
    }

    fn configure(&mut self, params: &[Param]) -> Result<(), Error> {
        (**self).configure(params)
    }

    fn reserved_bits(&self) -> u8 {
        (**self).reserved_bits()
    }

    fn encode(
        &mut self,
        opcode: OpCode,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<u8>, Error> {
        (**self).encode(opcode, payload, out)
    }

    fn decode(
        &mut self,
        rsv: u8,
        opcode: OpCode,
        data: &mut Vec<u8>,
        start: usize,
        max_len: usize,
    ) -> Result<(), Error> {
        (**self).decode(rsv, opcode, data, start, max_len)
    }
}
