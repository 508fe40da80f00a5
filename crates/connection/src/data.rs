//! What the receiver hands out: [`Incoming`], [`IncomingRef`], [`Data`], [`CloseReason`],
//! and owned [`Message`]s for the `Stream`/`Sink` adapters.

use std::fmt;

use codec::CloseCode;

/// What [`crate::Receiver::receive`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Incoming<'a> {
    /// A text or binary message was appended to the caller's buffer.
    Data(Data),
    /// A pong arrived, with its payload.
    Pong(&'a [u8]),
    /// The peer closed the connection (its close frame has been answered).
    Closed(CloseReason),
}

impl Incoming<'_> {
    /// Whether this is a data message.
    pub fn is_data(&self) -> bool {
        matches!(self, Self::Data(_))
    }

    /// Whether this is a pong.
    pub fn is_pong(&self) -> bool {
        matches!(self, Self::Pong(_))
    }

    /// Whether this is a text message.
    pub fn is_text(&self) -> bool {
        matches!(self, Self::Data(d) if d.is_text())
    }

    /// Whether this is a binary message.
    pub fn is_binary(&self) -> bool {
        matches!(self, Self::Data(d) if d.is_binary())
    }
}

/// What [`crate::Receiver::receive_ref`] returns: the message lent from the receiver's
/// buffer until the next call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IncomingRef<'a> {
    /// A text message (its UTF-8 has been validated).
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
    /// A pong, with its payload.
    Pong(&'a [u8]),
    /// The peer closed the connection; its close has been answered.
    Closed(CloseReason),
}

impl<'a> IncomingRef<'a> {
    /// A data message described by `data`, whose bytes are `bytes`.
    ///
    /// # Safety
    /// If `data` is [`Data::Text`], `bytes` must be exactly the bytes the receiver
    /// validated as UTF-8 before it reported `data` (see [`validated_str`]).
    #[allow(unsafe_code)]
    #[inline]
    pub(crate) unsafe fn data(data: Data, bytes: &'a [u8]) -> Self {
        match data {
            // SAFETY: passed on to our caller, in the same words.
            Data::Text(_) => Self::Text(unsafe { validated_str(data, bytes) }),
            Data::Binary(_) => Self::Binary(bytes),
        }
    }
}

// The only `unsafe` in this crate: handing out text the receiver has already validated
// without validating it a second time. The protocol checks every byte of a text message as
// it arrives (RFC 6455 §8.1 asks for the connection to fail as soon as the text is invalid,
// so the check cannot wait for the whole message), and only then reports it as
// `Data::Text(len)`. Checking again to make a `&str` made text cost twice what binary
// does to receive: `cargo bench -p sockeye-connection --features __fuzzing --bench receive
// -- receive_ref` went from 50.9 to 40.2 µs for 1024 texts of 16 bytes, and from 5.16 to
// 7.86 GiB/s at 64 KiB (text that is not all ASCII) when the second check went.

/// `bytes` as text, without checking them again.
///
/// # Safety
/// `data` must be the [`Data::Text`] the receiver reported for exactly these bytes, which
/// it does only after validating all of them (`proto::Receiving`, as they arrive, or all
/// at once after an extension decoded them), and the bytes must not have changed since.
///
/// The lengths are compared all the same, in release builds too, so a buffer that holds
/// anything besides the message is refused with a panic; debug builds (every test)
/// validate again as well.
#[allow(unsafe_code)]
#[inline]
unsafe fn validated_str(data: Data, bytes: &[u8]) -> &str {
    check_validated(data, bytes);
    // SAFETY: our caller guarantees the receiver validated exactly these bytes as UTF-8.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

/// What [`validated_str`] and [`validated_string`] can check of their callers' promise: the
/// lengths always (a mismatch panics), the UTF-8 again in debug builds.
#[inline]
fn check_validated(data: Data, bytes: &[u8]) {
    assert!(
        data.is_text() && data.len() == bytes.len(),
        "the bytes are the text message the receiver validated"
    );
    debug_assert!(codec::validate_utf8(bytes).is_ok());
}

/// [`validated_str`] for an owned message.
///
/// # Safety
/// As [`validated_str`]: `bytes` holds exactly the text the receiver reported as `data`.
#[allow(unsafe_code)]
pub(crate) unsafe fn validated_string(data: Data, bytes: Vec<u8>) -> String {
    check_validated(data, &bytes);
    // SAFETY: our caller guarantees the receiver validated exactly these bytes as UTF-8.
    unsafe { String::from_utf8_unchecked(bytes) }
}

/// The type and length of a received data message; the bytes were appended to the caller's
/// buffer. Text has been validated as UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Data {
    /// A text message of this many bytes.
    Text(usize),
    /// A binary message of this many bytes.
    Binary(usize),
}

impl Data {
    /// Whether this is text.
    pub fn is_text(&self) -> bool {
        matches!(self, Self::Text(_))
    }

    /// Whether this is binary.
    pub fn is_binary(&self) -> bool {
        matches!(self, Self::Binary(_))
    }

    /// The message's length in bytes.
    pub fn len(&self) -> usize {
        match self {
            Self::Text(n) | Self::Binary(n) => *n,
        }
    }

    /// Whether the message is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why the peer closed: the status code and reason of its close frame.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CloseReason {
    /// The status code; [`CloseCode::NO_STATUS`] (1005) when the close frame had none.
    pub code: CloseCode,
    /// The reason text, if the peer gave one.
    pub descr: Option<String>,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.descr {
            Some(d) => write!(f, "{} ({d})", self.code),
            None => write!(f, "{}", self.code),
        }
    }
}

/// An owned message, for the `Stream` and `Sink` adapters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Message {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
}

/// A byte slice of at most 125 bytes: a valid ping or pong payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSlice125<'a>(&'a [u8]);

/// The error when a slice is too long for a [`ByteSlice125`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SliceTooLarge(());

impl fmt::Display for SliceTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("slice is longer than 125 bytes")
    }
}

impl std::error::Error for SliceTooLarge {}

impl<'a> TryFrom<&'a [u8]> for ByteSlice125<'a> {
    type Error = SliceTooLarge;

    fn try_from(value: &'a [u8]) -> Result<Self, SliceTooLarge> {
        if value.len() > codec::MAX_CONTROL_PAYLOAD_BYTES {
            Err(SliceTooLarge(()))
        } else {
            Ok(Self(value))
        }
    }
}

impl AsRef<[u8]> for ByteSlice125<'_> {
    fn as_ref(&self) -> &[u8] {
        self.0
    }
}

#[cfg(test)]
#[allow(unsafe_code)]
mod tests {
    use super::*;

    #[test]
    fn validated_text_is_lent_as_is() {
        let text = "Hello, κόσμε 🦀".as_bytes();
        let data = Data::Text(text.len());
        // SAFETY: the bytes are a `&str`'s.
        assert_eq!(unsafe { validated_str(data, text) }, "Hello, κόσμε 🦀");
        // SAFETY: as above.
        let owned = unsafe { validated_string(data, text.to_vec()) };
        assert_eq!(owned, "Hello, κόσμε 🦀");
    }

    // The length check stands between an accounting mistake and invalid `str`s, in release
    // builds too: bytes that are not exactly the reported text message are refused.
    #[test]
    #[should_panic(expected = "the bytes are the text message the receiver validated")]
    fn text_with_other_bytes_around_it_is_refused() {
        let buf = b"stale\xffHello";
        // SAFETY: not met on purpose: the length check must refuse the call.
        unsafe { validated_str(Data::Text(5), buf) };
    }

    #[test]
    #[should_panic(expected = "the bytes are the text message the receiver validated")]
    fn a_binary_message_is_never_lent_as_text() {
        // SAFETY: not met on purpose: a binary message must be refused.
        unsafe { validated_string(Data::Binary(5), b"Hello".to_vec()) };
    }
}
