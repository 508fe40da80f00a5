//! The handshake's one error type. Each variant's docs say whose fault it is: the client's,
//! the server's, the peer's (whichever side this is not) or the caller's.

use std::{fmt, io};

/// Why a handshake failed.
///
/// On the server, the request errors ([`Error::BadRequest`], [`Error::UnsupportedVersion`],
/// [`Error::OriginNotAllowed`], [`Error::HeadTooLarge`], [`Error::TooManyHeaders`]) come
/// after the server has already answered the client with [`Error::status_code`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Reading from or writing to the socket failed.
    Io(io::Error),
    /// The peer closed the connection before the end of its HTTP head.
    UnexpectedEof {
        /// How many bytes of the head had arrived.
        received: usize,
    },
    /// The peer's HTTP head is longer than the limit.
    HeadTooLarge {
        /// The limit in bytes.
        max: usize,
    },
    /// The peer's HTTP head has more header lines than the limit.
    TooManyHeaders {
        /// The limit in header lines.
        max: usize,
    },
    /// The client's request is not a valid WebSocket upgrade (RFC 6455 §4.2.1). A server
    /// answers `400 Bad Request` with `reason` as the body.
    BadRequest {
        /// What is wrong, short and safe to send back to the client.
        reason: String,
    },
    /// The client asked for a WebSocket version other than 13 (RFC 6455 §4.4). A server
    /// answers `426 Upgrade Required` with `Sec-WebSocket-Version: 13`.
    UnsupportedVersion {
        /// The version the client sent, escaped and truncated; `None` if it sent none.
        version: Option<String>,
    },
    /// The client's `Origin` is not on the server's allowed list. A server answers
    /// `403 Forbidden`.
    OriginNotAllowed {
        /// The origin the client sent, escaped and truncated.
        origin: String,
    },
    /// The server's response is not a valid handshake response (RFC 6455 §4.2.2).
    BadResponse {
        /// What is wrong.
        reason: String,
    },
    /// The server's `Sec-WebSocket-Accept` does not match the key the client sent.
    InvalidAccept,
    /// The server chose a subprotocol the client did not offer.
    UnsolicitedProtocol {
        /// The subprotocol the server named, escaped and truncated.
        protocol: String,
    },
    /// The server accepted an extension the client did not offer, or accepted one twice.
    UnsolicitedExtension {
        /// The extension the server named, escaped and truncated.
        name: String,
    },
    /// An extension the client offered rejected the parameters the server chose
    /// (see `sockeye_codec::Extension::configure`).
    Extension(codec::Error),
    /// The caller asked for something the handshake cannot send, e.g. a header value with a
    /// line break, a subprotocol name that is not a token, or a second response.
    InvalidInput {
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    /// The HTTP status a server answers this error with, or `None` when it does not answer
    /// (I/O errors, a peer that went away, and every client-side error).
    ///
    /// | error | status |
    /// |---|---|
    /// | [`Error::BadRequest`] | 400 Bad Request |
    /// | [`Error::OriginNotAllowed`] | 403 Forbidden |
    /// | [`Error::UnsupportedVersion`] | 426 Upgrade Required |
    /// | [`Error::HeadTooLarge`], [`Error::TooManyHeaders`] | 431 Request Header Fields Too Large |
    pub fn status_code(&self) -> Option<u16> {
        match self {
            Self::BadRequest { .. } => Some(400),
            Self::OriginNotAllowed { .. } => Some(403),
            Self::UnsupportedVersion { .. } => Some(426),
            Self::HeadTooLarge { .. } | Self::TooManyHeaders { .. } => Some(431),
            _ => None,
        }
    }

    pub(crate) fn bad_request(reason: impl Into<String>) -> Self {
        Self::BadRequest {
            reason: reason.into(),
        }
    }

    pub(crate) fn bad_response(reason: impl Into<String>) -> Self {
        Self::BadResponse {
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid_input(reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "i/o error during the websocket handshake: {e}"),
            Self::UnexpectedEof { received } => write!(
                f,
                "peer closed the connection after {received} bytes, before the end of its http head"
            ),
            Self::HeadTooLarge { max } => {
                write!(f, "peer sent an http head over the limit of {max} bytes")
            }
            Self::TooManyHeaders { max } => {
                write!(
                    f,
                    "peer sent more than the limit of {max} http header lines"
                )
            }
            Self::BadRequest { reason } => {
                write!(f, "client sent an invalid websocket request: {reason}")
            }
            Self::UnsupportedVersion { version: Some(v) } => write!(
                f,
                "client asked for websocket version {v}; only version 13 is supported"
            ),
            Self::UnsupportedVersion { version: None } => {
                f.write_str("client sent no Sec-WebSocket-Version; only version 13 is supported")
            }
            Self::OriginNotAllowed { origin } => {
                write!(f, "client's origin {origin} is not on the allowed list")
            }
            Self::BadResponse { reason } => {
                write!(f, "server sent an invalid websocket response: {reason}")
            }
            Self::InvalidAccept => f.write_str(
                "server sent a Sec-WebSocket-Accept that does not match the client's key",
            ),
            Self::UnsolicitedProtocol { protocol } => write!(
                f,
                "server chose subprotocol {protocol}, which the client did not offer"
            ),
            Self::UnsolicitedExtension { name } => write!(
                f,
                "server accepted extension {name}, which the client did not offer or offered once"
            ),
            Self::Extension(e) => {
                write!(
                    f,
                    "server chose extension parameters the client rejects: {e}"
                )
            }
            Self::InvalidInput { reason } => write!(f, "invalid handshake input: {reason}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Extension(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}
