//! The codec's one error type. Every variant is the peer's fault except
//! [`Error::Extension`], whose fault the extension names.

use std::fmt;

use crate::{CloseCode, OpCode};

/// Why a frame, a close payload or an extension transform was rejected.
///
/// [`Error::close_code`] gives the status code to send before failing the connection
/// (RFC 6455 §7.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A frame used one of the reserved opcodes 0x3-0x7 or 0xB-0xF.
    ReservedOpcode {
        /// The opcode's four bits.
        opcode: u8,
    },
    /// A reserved bit was set that no negotiated extension claims.
    ReservedBits {
        /// The RSV bits as they sit in the first byte (0x40, 0x20, 0x10).
        rsv: u8,
    },
    /// A control frame (close, ping, pong) was not final.
    FragmentedControl {
        /// The control frame's opcode.
        opcode: OpCode,
    },
    /// A control frame's payload was longer than 125 bytes.
    ControlTooLong {
        /// The control frame's opcode.
        opcode: OpCode,
    },
    /// A server received a frame without a mask (RFC 6455 §5.1).
    UnmaskedFrame,
    /// A client received a masked frame (RFC 6455 §5.1).
    MaskedFrame,
    /// A 64-bit payload length had its most significant bit set (RFC 6455 §5.2).
    InvalidLength,
    /// The declared payload length exceeds the configured frame limit.
    FrameTooLarge {
        /// The declared payload length.
        len: u64,
        /// The configured maximum.
        max: u64,
    },
    /// A close payload was one byte long: too short for a status code.
    CloseTooShort,
    /// A close frame carried a status code that must not appear on the wire.
    InvalidCloseCode {
        /// The code received.
        code: u16,
    },
    /// A text payload or close reason is not valid UTF-8.
    InvalidUtf8,
    /// An extension could not transform a message, or could not be configured.
    Extension {
        /// The extension's name, e.g. `permessage-deflate`.
        name: String,
        /// What went wrong.
        reason: String,
        /// The close code to send for it.
        code: CloseCode,
    },
}

impl Error {
    /// The close code to send before failing the connection (RFC 6455 §7.4.1): 1009 for
    /// size, 1007 for bad UTF-8, the extension's choice for extension failures and 1002
    /// for every other protocol violation.
    pub fn close_code(&self) -> CloseCode {
        match self {
            Self::FrameTooLarge { .. } => CloseCode::MESSAGE_TOO_BIG,
            Self::InvalidUtf8 => CloseCode::INVALID_PAYLOAD,
            Self::Extension { code, .. } => *code,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReservedOpcode { opcode } => {
                write!(f, "peer sent a frame with reserved opcode {opcode:#x}")
            }
            Self::ReservedBits { rsv } => write!(
                f,
                "peer set reserved bits {rsv:#04x} that no negotiated extension uses"
            ),
            Self::FragmentedControl { opcode } => {
                write!(
                    f,
                    "peer sent a fragmented {opcode} frame; control frames must be final"
                )
            }
            Self::ControlTooLong { opcode } => write!(
                f,
                "peer sent a {opcode} frame longer than 125 bytes, the limit for control frames"
            ),
            Self::UnmaskedFrame => f.write_str("client sent an unmasked frame"),
            Self::MaskedFrame => f.write_str("server sent a masked frame"),
            Self::InvalidLength => {
                f.write_str("peer sent a 64-bit payload length with the top bit set")
            }
            Self::FrameTooLarge { len, max } => write!(
                f,
                "peer sent a frame of {len} bytes, over the limit of {max} bytes"
            ),
            Self::CloseTooShort => {
                f.write_str("peer sent a 1-byte close payload; a status code takes 2 bytes")
            }
            Self::InvalidCloseCode { code } => {
                write!(
                    f,
                    "peer sent close code {code}, which may not be used on the wire"
                )
            }
            Self::InvalidUtf8 => f.write_str("peer sent text that is not valid UTF-8"),
            Self::Extension { name, reason, .. } => write!(f, "extension {name}: {reason}"),
        }
    }
}

impl std::error::Error for Error {}
