//! Hooks for the fuzz targets in `fuzz/`: thin public wrappers over the sans-I/O core.
//!
//! Compiled only with the private `__fuzzing` feature. **Do not rely on this**: it is not
//! part of the public API, follows no semver, and may change or go away in any release.
//!
//! The wrappers add no behaviour: [`Receiver`] is `proto::Receiving` and [`Sender`] is
//! `proto::Sending`, with the events mirrored in a public [`Event`]. See the `proto` module
//! docs for the call order.

use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use codec::{Extension, Mode, OpCode};

use crate::{
    proto::{self, Extensions, Receiving, Sending},
    CloseReason, Data, Error,
};

/// One event from [`Receiver::receive`], as `proto::Event`.
///
/// Exhaustive on purpose: a new event must break the fuzz targets until they handle it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A whole data message was appended to the message buffer.
    Data(Data),
    /// A ping arrived; its payload is [`Receiver::control_payload`].
    Ping,
    /// A pong arrived; its payload is [`Receiver::control_payload`].
    Pong,
    /// A close frame arrived; the receiver is done.
    Close(CloseReason),
}

/// The receiving half of the protocol (`proto::Receiving`).
#[derive(Debug)]
pub struct Receiver(Receiving);

impl Receiver {
    /// A receiver for `mode` with the given limits; `extensions` are the negotiated ones (as
    /// `Builder::add_extensions` takes them: only enabled ones take part).
    pub fn new(
        mode: Mode,
        max_message: usize,
        max_frame: usize,
        extensions: Vec<Box<dyn Extension + Send>>,
    ) -> Self {
        Self(Receiving::new(
            mode,
            max_message,
            max_frame,
            shared(extensions),
        ))
    }

    /// Consumes bytes from `inp`, appending message data to `msg`; returns the next event,
    /// or `None` when more input is needed.
    ///
    /// # Errors
    /// The peer broke the protocol or a limit; see [`Error::close_code`].
    pub fn receive(
        &mut self,
        inp: &mut BytesMut,
        msg: &mut Vec<u8>,
    ) -> Result<Option<Event>, Error> {
        Ok(self.0.receive(inp, msg)?.map(|event| match event {
            proto::Event::Data(data) => Event::Data(data),
            proto::Event::Ping => Event::Ping,
            proto::Event::Pong => Event::Pong,
            proto::Event::Close(reason) => Event::Close(reason),
        }))
    }

    /// The payload of the last ping or pong.
    pub fn control_payload(&self) -> &[u8] {
        self.0.control_payload()
    }
}

/// The sending half of the protocol (`proto::Sending`), with a seeded masking key generator.
#[derive(Debug)]
pub struct Sender(Sending);

impl Sender {
    /// A sender for `mode` that splits messages into frames of at most `frame_size` payload
    /// bytes; masks come from a generator seeded with `seed`.
    pub fn new(
        mode: Mode,
        frame_size: usize,
        extensions: Vec<Box<dyn Extension + Send>>,
        seed: u64,
    ) -> Self {
        Self(Sending::new(
            mode,
            frame_size,
            shared(extensions),
            Some(seed),
        ))
    }

    /// Appends a data message (`opcode` is text or binary) as one or more frames to `out`.
    ///
    /// # Errors
    /// An extension failed to transform the message.
    pub fn encode_data(
        &mut self,
        opcode: OpCode,
        payload: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), Error> {
        self.0.encode_data(opcode, payload, out)
    }

    /// Appends a control frame to `out`. `payload` must be at most 125 bytes.
    pub fn encode_control(&mut self, opcode: OpCode, payload: &[u8], out: &mut BytesMut) {
        self.0.encode_control(opcode, payload, out);
    }
}

/// The extension list as `Builder::finish` makes it: `None` unless one is enabled.
fn shared(extensions: Vec<Box<dyn Extension + Send>>) -> Option<Extensions> {
    extensions
        .iter()
        .any(|e| e.is_enabled())
        .then(|| Arc::new(Mutex::new(extensions)))
}
