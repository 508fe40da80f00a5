//! [`Builder`]: configures a connection and splits it into a [`Sender`] and a [`Receiver`].

use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use codec::{Extension, Mode};
use futures::{AsyncRead, AsyncWrite};

use std::time::Duration;

use crate::{
    proto::{Receiving, Sending},
    shared::Shared,
    timer::{Deadlines, Timeouts},
    Receiver, Sender, Timer,
};

/// The default largest message, in bytes (64 MiB).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;
/// The default largest frame, in bytes (64 MiB).
pub const DEFAULT_MAX_FRAME_BYTES: usize = 64 * 1024 * 1024;
/// The default payload size at which outgoing messages are split into frames: none, every
/// message goes out as one frame.
pub const DEFAULT_OUTGOING_FRAME_BYTES: usize = usize::MAX;
/// The default size of each socket read, in bytes (64 KiB). Reads land in a scratch buffer
/// shared by all connections of a thread, and payload goes from there straight into the
/// message, so a large read size costs no memory per connection; it lets one read take a
/// whole batch of pipelined messages. A large frame's payload is read to its end in pieces
/// of up to 256 KiB.
pub const DEFAULT_READ_BUFFER_BYTES: usize = 64 * 1024;

/// Configures a WebSocket connection over an established byte stream.
///
/// `sockeye-handshake` returns one ready to use (mode, extensions and any bytes read past
/// the HTTP head already set); use `Builder::new` directly when the handshake happened
/// elsewhere.
///
/// | setting | default |
/// |---|---|
/// | [`Builder::set_max_message_size`] | [`DEFAULT_MAX_MESSAGE_BYTES`] (64 MiB) |
/// | [`Builder::set_max_frame_size`] | [`DEFAULT_MAX_FRAME_BYTES`] (64 MiB) |
/// | [`Builder::set_outgoing_frame_size`] | none: one frame per message |
/// | [`Builder::set_read_buffer_size`] | [`DEFAULT_READ_BUFFER_BYTES`] (64 KiB) |
#[derive(Debug)]
pub struct Builder<T> {
    socket: T,
    mode: Mode,
    buffer: BytesMut,
    extensions: Vec<Box<dyn Extension + Send>>,
    max_message: usize,
    max_frame: usize,
    outgoing_frame: usize,
    read_buffer: usize,
    mask_seed: Option<u64>,
    timeouts: Timeouts,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Builder<T> {
    /// A connection over `socket` as the given end.
    pub fn new(socket: T, mode: Mode) -> Self {
        Self {
            socket,
            mode,
            buffer: BytesMut::new(),
            extensions: Vec::new(),
            max_message: DEFAULT_MAX_MESSAGE_BYTES,
            max_frame: DEFAULT_MAX_FRAME_BYTES,
            outgoing_frame: DEFAULT_OUTGOING_FRAME_BYTES,
            read_buffer: DEFAULT_READ_BUFFER_BYTES,
            mask_seed: None,
            timeouts: Timeouts::default(),
        }
    }

    /// Bytes already read from the socket that belong to the connection (the handshake
    /// read past the end of the HTTP head). They are processed before the socket is read.
    pub fn set_buffer(&mut self, bytes: BytesMut) -> &mut Self {
        self.buffer = bytes;
        self
    }

    /// Adds negotiated extensions. Only enabled ones (see
    /// [`Extension::is_enabled`]) take part.
    pub fn add_extensions<I>(&mut self, extensions: I) -> &mut Self
    where
        I: IntoIterator<Item = Box<dyn Extension + Send>>,
    {
        self.extensions.extend(extensions);
        self
    }

    /// Sets the largest message the peer may send, in bytes; a larger one fails the
    /// connection with 1009. Checked before any of its payload is buffered.
    pub fn set_max_message_size(&mut self, max: usize) -> &mut Self {
        self.max_message = max;
        self
    }

    /// Sets the largest frame payload the peer may send, in bytes; a larger one fails the
    /// connection with 1009. Compressed frames get a small allowance over it.
    pub fn set_max_frame_size(&mut self, max: usize) -> &mut Self {
        self.max_frame = max;
        self
    }

    /// Splits outgoing messages into frames of at most `size` payload bytes.
    pub fn set_outgoing_frame_size(&mut self, size: usize) -> &mut Self {
        self.outgoing_frame = size.max(1);
        self
    }

    /// Sets how many bytes each socket read asks for while no large payload is arriving.
    pub fn set_read_buffer_size(&mut self, size: usize) -> &mut Self {
        self.read_buffer = size.max(256);
        self
    }

    /// Gives the connection a timer, which enables the close timeout (default
    /// [`crate::DEFAULT_CLOSE_TIMEOUT`]) and the optional keepalive and idle timeouts.
    /// `sockeye::tokio` sets a tokio timer.
    pub fn set_timer(&mut self, timer: Arc<dyn Timer>) -> &mut Self {
        self.timeouts.timer = Some(timer);
        self
    }

    /// Sets how long to wait for the peer's answer to our close frame (and for our own close
    /// frame to be written) before dropping the connection. Needs a timer.
    pub fn set_close_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeouts.close = timeout;
        self
    }

    /// Sends a ping after `interval` without receiving anything, and fails the connection
    /// with [`crate::Error::KeepaliveTimeout`] if nothing arrives within `timeout` after it.
    /// Needs a timer; off by default.
    pub fn set_keepalive(&mut self, interval: Duration, timeout: Duration) -> &mut Self {
        self.timeouts.keepalive = Some((interval, timeout));
        self
    }

    /// Fails the connection with [`crate::Error::IdleTimeout`] (sending 1001) after `timeout`
    /// without receiving anything. Needs a timer; off by default.
    pub fn set_idle_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeouts.idle = Some(timeout);
        self
    }

    /// Fails the connection with [`crate::Error::SendTimeout`] when a write stalls for
    /// `timeout` (the peer stopped reading), so a message is not pinned in memory for as long
    /// as the peer holds the connection open. Needs a timer; off by default.
    pub fn set_send_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeouts.send = Some(timeout);
        self
    }

    /// Makes masking keys come from a seeded generator, for reproducible tests.
    #[doc(hidden)]
    pub fn set_mask_seed(&mut self, seed: u64) -> &mut Self {
        self.mask_seed = Some(seed);
        self
    }

    /// Builds the connection.
    pub fn finish(self) -> (Sender<T>, Receiver<T>) {
        let extensions = if self.extensions.iter().any(|e| e.is_enabled()) {
            Some(Arc::new(Mutex::new(self.extensions)))
        } else {
            None
        };
        let sending = Sending::new(
            self.mode,
            self.outgoing_frame,
            extensions.clone(),
            self.mask_seed,
        );
        let receiving = Receiving::new(self.mode, self.max_message, self.max_frame, extensions);
        let shared = Arc::new(Shared::new(self.socket, sending, self.mode));
        let send_timeout = self.timeouts.timer.clone().zip(self.timeouts.send);
        let deadlines = Deadlines::new(self.timeouts);
        let receiver = Receiver::new(
            shared.clone(),
            receiving,
            self.buffer,
            self.read_buffer,
            deadlines,
        );
        (Sender::new(shared, send_timeout), receiver)
    }
}
