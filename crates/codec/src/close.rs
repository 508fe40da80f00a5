//! Close frame payloads: the status code and the reason (RFC 6455 §5.5.1, §7.4).

use std::fmt;

use crate::{utf8, Error};

/// A close status code (RFC 6455 §7.4): a `u16` with named constants for the registered ones.
///
/// Any `u16` can be held; [`CloseCode::is_sendable`] tells whether it may appear on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose of the connection has been fulfilled.
    pub const NORMAL: Self = Self(1000);
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002: the peer violated the protocol.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003: the endpoint cannot accept this type of data.
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1005: no status code was present. Reserved: never sent on the wire.
    pub const NO_STATUS: Self = Self(1005);
    /// 1006: the connection was closed without a close frame. Reserved: never sent.
    pub const ABNORMAL: Self = Self(1006);
    /// 1007: a message's data was not consistent with its type (e.g. text not UTF-8).
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008: a message violated the endpoint's policy.
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a message was too big to process.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
    /// 1010: the client expected the server to negotiate an extension it did not.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: Self = Self(1011);
    /// 1012: the service is restarting (IANA registry).
    pub const SERVICE_RESTART: Self = Self(1012);
    /// 1013: try again later (IANA registry).
    pub const TRY_AGAIN_LATER: Self = Self(1013);
    /// 1014: a gateway received an invalid response upstream (IANA registry).
    pub const BAD_GATEWAY: Self = Self(1014);
    /// 1015: the TLS handshake failed. Reserved: never sent.
    pub const TLS_HANDSHAKE: Self = Self(1015);

    /// Whether the code may appear in a close frame on the wire.
    ///
    /// RFC 6455 §7.4.1 and §7.4.2: codes below 1000 are unused; 1004 is reserved; 1005, 1006
    /// and 1015 "MUST NOT be set as a status code in a Close control frame by an endpoint";
    /// 1016-2999 are reserved for future revisions of the protocol and its extensions (those
    /// registered by IANA so far, 1012-1014, are accepted); 3000-4999 belong to libraries,
    /// frameworks and applications; 5000 and above are not defined.
    pub const fn is_sendable(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The longest close reason that fits a control frame: 125 bytes minus the 2-byte code.
pub const MAX_CLOSE_REASON_BYTES: usize = 123;

/// A parsed close payload: `None` stands for an empty payload (no status code at all).
///
/// Returns the code and the reason, which borrows from `payload`.
///
/// # Errors
/// RFC 6455 §5.5.1: a body must start with a 2-byte code, so a 1-byte payload is
/// [`Error::CloseTooShort`]; a code that may not be on the wire is [`Error::InvalidCloseCode`];
/// a reason that is not UTF-8 is [`Error::InvalidUtf8`].
pub fn parse_close_payload(payload: &[u8]) -> Result<Option<(CloseCode, &str)>, Error> {
    match payload {
        [] => Ok(None),
        [_] => Err(Error::CloseTooShort),
        [hi, lo, reason @ ..] => {
            let code = CloseCode(u16::from_be_bytes([*hi, *lo]));
            if !code.is_sendable() {
                return Err(Error::InvalidCloseCode { code: code.0 });
            }
            // RFC 6455 §5.5.1: "the data MAY contain a body [...] the data MUST be UTF-8."
            let reason = utf8::validate_utf8(reason).map_err(|_| Error::InvalidUtf8)?;
            Ok(Some((code, reason)))
        }
    }
}

/// Appends a close payload (code then reason) to `dst`.
///
/// A reason longer than [`MAX_CLOSE_REASON_BYTES`] is cut at the last character boundary that
/// fits, so the frame stays a valid control frame.
pub fn encode_close_payload(code: CloseCode, reason: &str, dst: &mut Vec<u8>) {
    dst.extend_from_slice(&code.0.to_be_bytes());
    dst.extend_from_slice(truncate_reason(reason).as_bytes());
}

/// Cuts `reason` to at most [`MAX_CLOSE_REASON_BYTES`] bytes at a character boundary.
pub fn truncate_reason(reason: &str) -> &str {
    if reason.len() <= MAX_CLOSE_REASON_BYTES {
        return reason;
    }
    let mut end = MAX_CLOSE_REASON_BYTES;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sendable_codes_follow_rfc6455_7_4() {
        let sendable: Vec<u16> = (0..=u16::MAX)
            .filter(|c| CloseCode(*c).is_sendable())
            .collect();
        let expected: Vec<u16> = (1000..=1003)
            .chain(1007..=1014)
            .chain(3000..=4999)
            .collect();
        assert_eq!(sendable, expected);
    }

    #[test]
    fn parses_code_and_reason() {
        assert_eq!(
            parse_close_payload(&[0x03, 0xe8, b'o', b'k']),
            Ok(Some((CloseCode::NORMAL, "ok")))
        );
        assert_eq!(parse_close_payload(&[]), Ok(None));
    }

    #[test]
    fn rejects_one_byte_payload() {
        let err = parse_close_payload(&[0x03]).unwrap_err();
        assert_eq!(err, Error::CloseTooShort);
        assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
    }

    #[test]
    fn rejects_codes_forbidden_on_the_wire() {
        for code in [
            0u16,
            999,
            1004,
            1005,
            1006,
            1015,
            1016,
            2999,
            5000,
            u16::MAX,
        ] {
            let err = parse_close_payload(&code.to_be_bytes()).unwrap_err();
            assert_eq!(err, Error::InvalidCloseCode { code });
            assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
        }
    }

    #[test]
    fn rejects_reason_that_is_not_utf8() {
        let err = parse_close_payload(&[0x03, 0xe8, 0xce, 0xba, 0xff]).unwrap_err();
        assert_eq!(err, Error::InvalidUtf8);
        assert_eq!(err.close_code(), CloseCode::INVALID_PAYLOAD);
    }

    #[test]
    fn encode_truncates_long_reason_at_char_boundary() {
        let reason = "é".repeat(100); // 200 bytes of two-byte characters
        let mut out = Vec::new();
        encode_close_payload(CloseCode::GOING_AWAY, &reason, &mut out);
        assert_eq!(out.len(), 2 + 122);
        assert_eq!(
            parse_close_payload(&out).unwrap().unwrap().1,
            "é".repeat(61)
        );
    }
}
