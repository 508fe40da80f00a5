//! The connection's one error type.

use std::{fmt, io};

use codec::CloseCode;

/// Why a send or receive failed.
///
/// Errors caused by the peer carry the close code that was sent to it before the connection
/// was failed ([`Error::close_code`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Reading from or writing to the socket failed.
    Io(io::Error),
    /// The peer sent a frame that breaks RFC 6455, or an extension rejected a message.
    Codec(codec::Error),
    /// The peer sent a continuation frame with no fragmented message in progress.
    UnexpectedContinuation,
    /// The peer started a new data message before finishing its fragmented one.
    MessageInterleaved,
    /// The peer's message grew past the configured maximum message size.
    MessageTooLarge {
        /// The size the message had reached, or would have reached, in bytes.
        len: u64,
        /// The configured maximum.
        max: u64,
    },
    /// The peer closed the TCP connection without completing the close handshake.
    ConnectionReset,
    /// A ping or pong payload given to the sender was longer than 125 bytes.
    ControlPayloadTooLong {
        /// The payload's length.
        len: usize,
    },
    /// The peer did not answer our close frame within the close timeout.
    CloseTimeout,
    /// Nothing arrived from the peer within the keepalive timeout after our ping.
    KeepaliveTimeout,
    /// Nothing arrived from the peer within the idle timeout.
    IdleTimeout,
    /// A write made no progress within the send timeout (the peer stopped reading).
    SendTimeout,
    /// The connection is closed: a close frame was sent or received, or an earlier error
    /// failed it. Nothing more can be sent or received.
    Closed,
}

impl Error {
    /// The close code this error calls for (RFC 6455 §7.4.1), for errors caused by the
    /// peer; `None` for local and I/O errors, where no close frame is sent.
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::Codec(e) => Some(e.close_code()),
            Self::UnexpectedContinuation | Self::MessageInterleaved => {
                Some(CloseCode::PROTOCOL_ERROR)
            }
            Self::MessageTooLarge { .. } => Some(CloseCode::MESSAGE_TOO_BIG),
            Self::IdleTimeout => Some(CloseCode::GOING_AWAY),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "i/o error: {e}"),
            Self::Codec(e) => e.fmt(f),
            Self::UnexpectedContinuation => {
                f.write_str("peer sent a continuation frame with no message to continue")
            }
            Self::MessageInterleaved => {
                f.write_str("peer started a new message inside a fragmented message")
            }
            Self::MessageTooLarge { len, max } => write!(
                f,
                "peer sent a message of at least {len} bytes, over the limit of {max} bytes"
            ),
            Self::ConnectionReset => {
                f.write_str("peer closed the connection without a close handshake")
            }
            Self::ControlPayloadTooLong { len } => write!(
                f,
                "ping/pong payload of {len} bytes is over the 125-byte limit of control frames"
            ),
            Self::CloseTimeout => f.write_str("peer did not answer our close frame in time"),
            Self::KeepaliveTimeout => f.write_str("peer did not answer our keepalive ping in time"),
            Self::IdleTimeout => f.write_str("peer sent nothing for the idle timeout"),
            Self::SendTimeout => {
                f.write_str("peer did not read what we sent within the send timeout")
            }
            Self::Closed => f.write_str("the websocket connection is closed"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Codec(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<codec::Error> for Error {
    fn from(e: codec::Error) -> Self {
        Self::Codec(e)
    }
}
