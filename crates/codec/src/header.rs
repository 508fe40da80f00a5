//! Frame headers: decoding from a byte slice and encoding in the minimal form (RFC 6455 §5.2).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! |     Extended payload length continued, if payload len == 127  |
//! + - - - - - - - - - - - - - - - +-------------------------------+
//! |                               |Masking-key, if MASK set to 1  |
//! +-------------------------------+-------------------------------+
//! ```

use bytes::BufMut;

use crate::{Error, OpCode};

/// The longest header: 2 fixed bytes, an 8-byte length and a 4-byte mask.
pub const MAX_HEADER_BYTES: usize = 14;

/// The largest payload a control frame may carry (RFC 6455 §5.5).
pub const MAX_CONTROL_PAYLOAD_BYTES: usize = 125;

/// The first reserved bit, as it sits in a frame's first byte (used by permessage-deflate).
pub const RSV1: u8 = 0x40;
/// The second reserved bit, as it sits in a frame's first byte.
pub const RSV2: u8 = 0x20;
/// The third reserved bit, as it sits in a frame's first byte.
pub const RSV3: u8 = 0x10;

/// Which end of the connection we are. It decides the masking rules (RFC 6455 §5.1).
///
/// The set is complete by definition, so the enum is exhaustive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// We opened the connection: we mask every frame we send and receive only unmasked ones.
    Client,
    /// We accepted the connection: we receive only masked frames and send unmasked ones.
    Server,
}

impl Mode {
    /// Whether this is [`Mode::Client`].
    pub const fn is_client(self) -> bool {
        matches!(self, Self::Client)
    }

    /// Whether this is [`Mode::Server`].
    pub const fn is_server(self) -> bool {
        matches!(self, Self::Server)
    }
}

/// A decoded or to-be-encoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    fin: bool,
    rsv: u8,
    opcode: OpCode,
    mask: Option<[u8; 4]>,
    payload_len: u64,
}

impl Header {
    /// A final, unmasked header with no RSV bits and an empty payload.
    pub const fn new(opcode: OpCode) -> Self {
        Self {
            fin: true,
            rsv: 0,
            opcode,
            mask: None,
            payload_len: 0,
        }
    }

    /// Whether this is the final frame of its message.
    pub const fn is_fin(&self) -> bool {
        self.fin
    }

    /// Sets the FIN bit.
    pub fn set_fin(&mut self, fin: bool) -> &mut Self {
        self.fin = fin;
        self
    }

    /// The RSV bits as they sit in the first byte ([`RSV1`] | [`RSV2`] | [`RSV3`]).
    pub const fn rsv(&self) -> u8 {
        self.rsv
    }

    /// Sets the RSV bits; bits outside [`RSV1`] | [`RSV2`] | [`RSV3`] are ignored.
    pub fn set_rsv(&mut self, rsv: u8) -> &mut Self {
        self.rsv = rsv & (RSV1 | RSV2 | RSV3);
        self
    }

    /// The frame's opcode.
    pub const fn opcode(&self) -> OpCode {
        self.opcode
    }

    /// Sets the opcode.
    pub fn set_opcode(&mut self, opcode: OpCode) -> &mut Self {
        self.opcode = opcode;
        self
    }

    /// The masking key, if the frame is masked.
    pub const fn mask(&self) -> Option<[u8; 4]> {
        self.mask
    }

    /// Sets or clears the masking key.
    pub fn set_mask(&mut self, mask: Option<[u8; 4]>) -> &mut Self {
        self.mask = mask;
        self
    }

    /// The payload length in bytes.
    pub const fn payload_len(&self) -> u64 {
        self.payload_len
    }

    /// Sets the payload length.
    pub fn set_payload_len(&mut self, len: u64) -> &mut Self {
        self.payload_len = len;
        self
    }

    /// How many bytes [`Header::encode`] writes for this header.
    pub const fn encoded_len(&self) -> usize {
        let len = if self.payload_len <= 125 {
            2
        } else if self.payload_len <= 0xffff {
            4
        } else {
            10
        };
        if self.mask.is_some() {
            len + 4
        } else {
            len
        }
    }

    /// Encodes the header into `dst` with the minimal length form, returning its length.
    ///
    /// RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
    pub fn encode_to_array(&self, dst: &mut [u8; MAX_HEADER_BYTES]) -> usize {
        dst[0] = u8::from(self.fin) << 7 | self.rsv | self.opcode.as_u8();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let mut n = if self.payload_len <= 125 {
            dst[1] = mask_bit | self.payload_len as u8;
            2
        } else if let Ok(len) = u16::try_from(self.payload_len) {
            dst[1] = mask_bit | 126;
            dst[2..4].copy_from_slice(&len.to_be_bytes());
            4
        } else {
            dst[1] = mask_bit | 127;
            dst[2..10].copy_from_slice(&self.payload_len.to_be_bytes());
            10
        };
        if let Some(mask) = self.mask {
            dst[n..n + 4].copy_from_slice(&mask);
            n += 4;
        }
        n
    }

    /// Appends the encoded header to `dst`.
    pub fn encode(&self, dst: &mut impl BufMut) {
        let mut buf = [0; MAX_HEADER_BYTES];
        let n = self.encode_to_array(&mut buf);
        dst.put_slice(&buf[..n]);
    }
}

/// What a decoder accepts: the role, the largest frame and the RSV bits extensions own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeConfig {
    mode: Mode,
    max_payload_bytes: u64,
    allowed_rsv: u8,
}

impl DecodeConfig {
    /// Rules for `mode` with no payload limit and no RSV bits allowed.
    pub const fn new(mode: Mode) -> Self {
        Self {
            mode,
            max_payload_bytes: u64::MAX,
            allowed_rsv: 0,
        }
    }

    /// The role we decode for.
    pub const fn mode(&self) -> Mode {
        self.mode
    }

    /// Sets the largest payload a single frame may declare.
    pub fn set_max_payload_bytes(&mut self, max: u64) -> &mut Self {
        self.max_payload_bytes = max;
        self
    }

    /// The largest payload a single frame may declare.
    pub const fn max_payload_bytes(&self) -> u64 {
        self.max_payload_bytes
    }

    /// Sets the RSV bits that negotiated extensions own ([`RSV1`] etc.).
    pub fn set_allowed_rsv(&mut self, rsv: u8) -> &mut Self {
        self.allowed_rsv = rsv & (RSV1 | RSV2 | RSV3);
        self
    }

    /// The RSV bits that negotiated extensions own.
    pub const fn allowed_rsv(&self) -> u8 {
        self.allowed_rsv
    }
}

/// Decodes one header from the front of `src`.
///
/// Returns `Ok(None)` when `src` holds only part of a header: nothing is consumed, call again
/// with more bytes. Otherwise returns the header and its length in bytes; the payload follows
/// it in `src` (or in later reads) and is not looked at.
///
/// Every check that the first two bytes allow is made on them, before the rest of the header
/// arrives, so a bad frame fails as early as possible. The declared length is checked
/// against [`DecodeConfig::max_payload_bytes`] before the caller buffers any payload.
///
/// # Errors
/// A reserved opcode, unclaimed RSV bits, a fragmented or over-long control frame, a mask bit
/// that does not fit the role, a 64-bit length with the top bit set, or a length over the
/// limit. See [`Error`] for each and [`Error::close_code`] for the code to send.
// `#[inline]`: the connection crate's receive path decodes a header per frame, and across
// crates (no LTO) the call and the `Result<Option<(Header, usize)>>` it returns through
// memory cost an echo server 57 of its 3651 user-space instructions per 16-byte message
// (`cargo xtask bench --only instructions`), 63 of 977 at pipeline 64.
#[inline]
pub fn decode_header(src: &[u8], config: &DecodeConfig) -> Result<Option<(Header, usize)>, Error> {
    let (b0, b1) = match src {
        [b0, b1, ..] => (*b0, *b1),
        _ => return Ok(None),
    };
    let fin = b0 & 0x80 != 0;
    let rsv = b0 & (RSV1 | RSV2 | RSV3);
    // RFC 6455 §5.2: "If a nonzero value is received and none of the negotiated extensions
    // defines the meaning of such a nonzero value, the receiving endpoint MUST _Fail the
    // WebSocket Connection_."
    if rsv & !config.allowed_rsv != 0 {
        return Err(Error::ReservedBits {
            rsv: rsv & !config.allowed_rsv,
        });
    }
    // RFC 6455 §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail
    // the WebSocket Connection_."
    let opcode = OpCode::from_u8(b0).ok_or(Error::ReservedOpcode { opcode: b0 & 0x0f })?;
    let len7 = b1 & 0x7f;
    if opcode.is_control() {
        // RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less
        // and MUST NOT be fragmented."
        if !fin {
            return Err(Error::FragmentedControl { opcode });
        }
        if len7 > 125 {
            // The 7-bit field alone proves it: 126 and 127 announce longer lengths.
            return Err(Error::ControlTooLong { opcode });
        }
    }
    // RFC 6455 §5.1: "a client MUST mask all frames that it sends to the server [...] The
    // server MUST close the connection upon receiving a frame that is not masked. [...] A
    // client MUST close a connection if it detects a masked frame."
    let masked = b1 & 0x80 != 0;
    match (config.mode, masked) {
        (Mode::Server, false) => return Err(Error::UnmaskedFrame),
        (Mode::Client, true) => return Err(Error::MaskedFrame),
        _ => {}
    }
    let (payload_len, mut n) = match extended_len(src, len7)? {
        Some(v) => v,
        None => return Ok(None),
    };
    if payload_len > config.max_payload_bytes {
        return Err(Error::FrameTooLarge {
            len: payload_len,
            max: config.max_payload_bytes,
        });
    }
    let mask = if masked {
        let Some(key) = src.get(n..n + 4) else {
            return Ok(None);
        };
        n += 4;
        Some([key[0], key[1], key[2], key[3]])
    } else {
        None
    };
    Ok(Some((
        Header {
            fin,
            rsv,
            opcode,
            mask,
            payload_len,
        },
        n,
    )))
}

/// Reads the payload length; returns it with the offset just past it, or `None` for "need
/// more bytes".
#[inline]
fn extended_len(src: &[u8], len7: u8) -> Result<Option<(u64, usize)>, Error> {
    match len7 {
        126 => Ok(src
            .get(2..4)
            .map(|b| (u64::from(u16::from_be_bytes([b[0], b[1]])), 4))),
        127 => match src.get(2..10) {
            None => Ok(None),
            Some(b) => {
                let len = u64::from_be_bytes(b.try_into().expect("slice of length 8"));
                // RFC 6455 §5.2: "the most significant bit MUST be 0".
                if len >> 63 != 0 {
                    return Err(Error::InvalidLength);
                }
                Ok(Some((len, 10)))
            }
        },
        short => Ok(Some((u64::from(short), 2))),
    }
}
