//! Frame opcodes (RFC 6455 §5.2, §11.8).

use std::fmt;

/// A frame's opcode: the four low bits of its first byte.
///
/// Only the six opcodes RFC 6455 defines exist here; the reserved values 0x3-0x7 and 0xB-0xF
/// are rejected by [`OpCode::from_u8`] and therefore by the header decoder. The set is
/// complete by definition of the RFC, so the enum is exhaustive: a future opcode would be a
/// new protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// 0x0: the continuation of a fragmented message.
    Continuation,
    /// 0x1: the first (or only) frame of a text message.
    Text,
    /// 0x2: the first (or only) frame of a binary message.
    Binary,
    /// 0x8: a close frame.
    Close,
    /// 0x9: a ping frame.
    Ping,
    /// 0xA: a pong frame.
    Pong,
}

impl OpCode {
    /// Decodes the low four bits of `bits`; `None` for the reserved opcodes.
    #[inline]
    pub const fn from_u8(bits: u8) -> Option<Self> {
        match bits & 0x0f {
            0x0 => Some(Self::Continuation),
            0x1 => Some(Self::Text),
            0x2 => Some(Self::Binary),
            0x8 => Some(Self::Close),
            0x9 => Some(Self::Ping),
            0xa => Some(Self::Pong),
            _ => None,
        }
    }

    /// The opcode's wire value.
    #[inline]
    pub const fn as_u8(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xa,
        }
    }

    /// Whether this is a control frame opcode (close, ping, pong).
    ///
    /// RFC 6455 §5.5: "Control frames are identified by opcodes where the most significant
    /// bit of the opcode is 1."
    #[inline]
    pub const fn is_control(self) -> bool {
        self.as_u8() & 0x8 != 0
    }

    /// Whether this opcode starts a data message (text or binary).
    #[inline]
    pub const fn is_data_start(self) -> bool {
        matches!(self, Self::Text | Self::Binary)
    }
}

impl fmt::Display for OpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Continuation => "continuation",
            Self::Text => "text",
            Self::Binary => "binary",
            Self::Close => "close",
            Self::Ping => "ping",
            Self::Pong => "pong",
        };
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use super::OpCode;

    #[test]
    fn every_nibble_round_trips_or_is_reserved() {
        for bits in 0u8..16 {
            match OpCode::from_u8(bits) {
                Some(op) => assert_eq!(op.as_u8(), bits),
                None => assert!(matches!(bits, 0x3..=0x7 | 0xb..=0xf), "{bits:#x}"),
            }
        }
    }

    #[test]
    fn control_opcodes_have_the_high_bit() {
        assert!(OpCode::Close.is_control() && OpCode::Ping.is_control());
        assert!(OpCode::Pong.is_control());
        assert!(!OpCode::Text.is_control() && !OpCode::Continuation.is_control());
    }
}
