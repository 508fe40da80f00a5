//! The crate's one error type: a rejected configuration. Failures on the wire (negotiation
//! and corrupt or oversized messages) are [`codec::Error::Extension`] values, because
//! the [`crate::Extension`] trait returns codec errors.

use std::fmt;

use crate::{MAX_WINDOW_BITS, MIN_WINDOW_BITS};

/// A setting given to [`crate::Deflate`] that it cannot use. Every variant is the caller's
/// fault; nothing on the wire produces this error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A window size outside [`MIN_WINDOW_BITS`]..=[`MAX_WINDOW_BITS`] (9..=15) was asked for.
    WindowBits {
        /// The base-2 logarithm that was asked for.
        bits: u8,
    },
    /// A compression level above 9 was asked for.
    Level {
        /// The level that was asked for.
        level: u32,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WindowBits { bits } => write!(
                f,
                "window bits must be within {MIN_WINDOW_BITS}..={MAX_WINDOW_BITS}, got {bits} \
                 (zlib cannot compress with the 256-byte window of 8 bits)"
            ),
            Self::Level { level } => {
                write!(f, "compression level must be within 0..=9, got {level}")
            }
        }
    }
}

impl std::error::Error for Error {}
