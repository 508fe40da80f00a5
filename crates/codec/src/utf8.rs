//! UTF-8 validation, whole and incremental (for text split across frames and reads).
//!
//! Both check with `simdutf8`, which gives exactly `std::str::from_utf8`'s answer (how far
//! the input is valid, and whether an error is an invalid sequence or an unfinished one at
//! the end) with SIMD instructions chosen at run time: on text that is not all ASCII it is
//! many times faster than `std` (`cargo bench -p sockeye-codec --bench utf8`). Each
//! continuation byte's range is checked as it goes, so the incremental validator fails fast:
//! bytes that cannot begin any valid sequence (a surrogate lead `ED A0`, an out-of-range
//! `F4 90`, an overlong `C0`) are rejected as soon as they arrive, not when the message ends
//! (Autobahn 6.4.x).

/// Why validation failed; carries no detail because none is useful to a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utf8Error;

/// Checks that `bytes` are UTF-8, and returns them as a `str`.
///
/// The same answer as `std::str::from_utf8`, faster on text that is not all ASCII.
///
/// # Errors
/// [`Utf8Error`] if `bytes` are not UTF-8.
///
/// ```
/// assert_eq!(sockeye_codec::validate_utf8("κόσμε".as_bytes()), Ok("κόσμε"));
/// assert!(sockeye_codec::validate_utf8(&[0xed, 0xa0, 0x80]).is_err());
/// ```
#[inline]
pub fn validate_utf8(bytes: &[u8]) -> Result<&str, Utf8Error> {
    simdutf8::basic::from_utf8(bytes).map_err(|_| Utf8Error)
}

/// Validates UTF-8 that arrives in pieces.
///
/// Feed every piece in order with [`Utf8Validator::feed`], then call
/// [`Utf8Validator::finish`] when the text ends. At most three bytes of an unfinished
/// character are kept between pieces, so memory is constant.
///
/// ```
/// use sockeye_codec::Utf8Validator;
///
/// let mut v = Utf8Validator::new();
/// let euro = "€".as_bytes(); // e2 82 ac
/// assert!(v.feed(&euro[..1]).is_ok());
/// assert!(v.feed(&euro[1..]).is_ok());
/// assert!(v.finish().is_ok());
///
/// let mut v = Utf8Validator::new();
/// assert!(v.feed(&[0xed, 0xa0]).is_err()); // a surrogate: fails before the message ends
/// ```
#[derive(Debug, Clone, Default)]
pub struct Utf8Validator {
    partial: [u8; 4],
    partial_len: u8,
}

impl Utf8Validator {
    /// A validator at the start of a text.
    pub const fn new() -> Self {
        Self {
            partial: [0; 4],
            partial_len: 0,
        }
    }

    /// Validates the next piece of the text.
    ///
    /// # Errors
    /// [`Utf8Error`] as soon as the bytes so far cannot be the start of valid UTF-8.
    #[inline]
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), Utf8Error> {
        // The common case, inlined into the caller: no character left over, and the piece
        // is valid to its end. One validating pass, nothing else.
        if self.partial_len == 0 {
            match simdutf8::compat::from_utf8(bytes) {
                Ok(_) => Ok(()),
                Err(e) => self.keep_tail(bytes, e),
            }
        } else {
            self.feed_after_partial(bytes)
        }
    }

    /// `bytes` failed validation with `e`: an error, or an unfinished character at the end
    /// to keep for the next piece.
    #[inline(never)]
    fn keep_tail(&mut self, bytes: &[u8], e: simdutf8::compat::Utf8Error) -> Result<(), Utf8Error> {
        if e.error_len().is_some() {
            return Err(Utf8Error);
        }
        let tail = &bytes[e.valid_up_to()..];
        self.partial[..tail.len()].copy_from_slice(tail);
        self.partial_len = tail.len() as u8;
        Ok(())
    }

    /// Completes the character left over from the previous piece, then validates the rest.
    #[inline(never)]
    fn feed_after_partial(&mut self, mut bytes: &[u8]) -> Result<(), Utf8Error> {
        // One byte at a time, so an invalid continuation fails at once.
        let mut len = usize::from(self.partial_len);
        while len < 4 && !bytes.is_empty() {
            self.partial[len] = bytes[0];
            len += 1;
            bytes = &bytes[1..];
            match std::str::from_utf8(&self.partial[..len]) {
                Ok(_) => {
                    self.partial_len = 0;
                    break;
                }
                Err(e) if e.error_len().is_some() => return Err(Utf8Error),
                Err(_) => {}
            }
        }
        if self.partial_len != 0 {
            if bytes.is_empty() && len < 4 {
                self.partial_len = len as u8;
                return Ok(());
            }
            // Four bytes and still incomplete cannot happen: from_utf8 reports an error_len
            // for any invalid 4-byte prefix. Treat it as invalid regardless.
            return Err(Utf8Error);
        }
        match simdutf8::compat::from_utf8(bytes) {
            Ok(_) => Ok(()),
            Err(e) => self.keep_tail(bytes, e),
        }
    }

    /// Ends the text.
    ///
    /// # Errors
    /// [`Utf8Error`] if the text ended in the middle of a character.
    #[inline]
    pub fn finish(&mut self) -> Result<(), Utf8Error> {
        let complete = self.partial_len == 0;
        *self = Self::new();
        if complete {
            Ok(())
        } else {
            Err(Utf8Error)
        }
    }

    /// Whether the validator holds part of a character.
    pub fn is_mid_character(&self) -> bool {
        self.partial_len != 0
    }
}

impl std::fmt::Display for Utf8Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid UTF-8")
    }
}

impl std::error::Error for Utf8Error {}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_split(bytes: &[u8], splits: &[usize]) -> Result<(), Utf8Error> {
        let mut v = Utf8Validator::new();
        let mut start = 0;
        for &end in splits.iter().chain(std::iter::once(&bytes.len())) {
            v.feed(&bytes[start..end])?;
            start = end;
        }
        v.finish()
    }

    #[test]
    fn valid_text_split_at_every_pair_of_points() {
        let text = "κόσμε a€𝄞 z".as_bytes();
        for i in 0..=text.len() {
            for j in i..=text.len() {
                assert_eq!(feed_split(text, &[i, j]), Ok(()), "splits {i} {j}");
            }
        }
    }

    #[test]
    fn byte_by_byte_matches_std_on_samples() {
        let samples: &[&[u8]] = &[
            b"plain",
            "κόσμε".as_bytes(),
            &[
                0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80,
            ],
            &[0xf4, 0x90, 0x80, 0x80],
            &[0xc0, 0xaf],
            &[0xf0, 0x9f, 0x98],
            &[0xe0, 0x80, 0x80],
            &[0xff],
        ];
        for s in samples {
            let splits: Vec<usize> = (1..s.len()).collect();
            assert_eq!(
                feed_split(s, &splits).is_ok(),
                std::str::from_utf8(s).is_ok(),
                "{s:x?}"
            );
        }
    }

    #[test]
    fn fails_fast_on_impossible_prefixes() {
        // Autobahn 6.4.1-6.4.4: the invalid byte arrives in a piece of its own and must be
        // rejected there, before the rest of the message.
        for prefix in [
            &[0xf4, 0x90][..],
            &[0xed, 0xa0],
            &[0xc0],
            &[0xce, 0xba, 0xff],
        ] {
            let mut v = Utf8Validator::new();
            let failed_at = (1..=prefix.len()).find(|&n| {
                let mut v2 = Utf8Validator::new();
                v2.feed(&prefix[..n]).is_err()
            });
            assert!(failed_at.is_some(), "{prefix:x?} must fail");
            for (i, b) in prefix.iter().enumerate() {
                let r = v.feed(&[*b]);
                if Some(i + 1) == failed_at {
                    assert!(r.is_err(), "{prefix:x?} byte {i}");
                    break;
                }
                assert!(r.is_ok(), "{prefix:x?} byte {i}");
            }
        }
    }

    #[test]
    fn unfinished_character_at_end_is_an_error() {
        let mut v = Utf8Validator::new();
        v.feed(&[0xe2, 0x82]).unwrap();
        assert!(v.is_mid_character());
        assert_eq!(v.finish(), Err(Utf8Error));
        // finish resets, so the validator can be reused for the next message.
        assert_eq!(v.feed(b"ok"), Ok(()));
    }
}
