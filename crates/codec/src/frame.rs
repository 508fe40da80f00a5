//! Whole frames for frame-level users such as proxies: [`Frame`] and [`FrameCodec`].
//!
//! A connection library processes payloads as they arrive and never needs a whole frame in
//! memory; a proxy that forwards frames does. [`FrameCodec`] buffers one frame at a time,
//! after checking its header (so its length is within the configured limit before a byte
//! of payload is buffered).

use bytes::{Buf, BytesMut};

use crate::{decode_header, mask::apply_mask, DecodeConfig, Error, Header};

/// A frame: its header and its payload.
///
/// The payload is always in the form its header says: masked with [`Header::mask`] when that
/// is `Some` (the wire form), plain otherwise. Encoding writes it as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    header: Header,
    payload: BytesMut,
}

impl Frame {
    /// A frame from a header and a payload; the header's length is set to the payload's.
    pub fn new(mut header: Header, payload: impl Into<BytesMut>) -> Self {
        let payload = payload.into();
        header.set_payload_len(payload.len() as u64);
        Self { header, payload }
    }

    /// The frame's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The payload, masked if and only if the header has a mask.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Splits the frame into its header and payload.
    pub fn into_parts(self) -> (Header, BytesMut) {
        (self.header, self.payload)
    }

    /// Removes the mask: the payload becomes plain and the header unmasked.
    pub fn unmask(&mut self) {
        if let Some(key) = self.header.mask() {
            apply_mask(&mut self.payload, key);
            self.header.set_mask(None);
        }
    }

    /// Masks a plain payload with `key` (a client must use a fresh random key per frame).
    /// A frame that is already masked is unmasked first.
    pub fn mask_with(&mut self, key: [u8; 4]) {
        self.unmask();
        apply_mask(&mut self.payload, key);
        self.header.set_mask(Some(key));
    }

    /// Appends the frame's wire form to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        dst.reserve(self.header.encoded_len() + self.payload.len());
        self.header.encode(dst);
        dst.extend_from_slice(&self.payload);
    }
}

/// Decodes whole frames from a byte buffer and encodes them back.
///
/// ```
/// use bytes::BytesMut;
/// use sockeye_codec::{DecodeConfig, FrameCodec, Mode, OpCode};
///
/// // RFC 6455 §5.7: a single-frame masked text message "Hello", as a server receives it.
/// let mut wire = BytesMut::from(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58][..]);
/// let mut codec = FrameCodec::new(DecodeConfig::new(Mode::Server));
/// let mut frame = codec.decode(&mut wire)?.expect("a whole frame");
/// frame.unmask();
/// assert_eq!((frame.header().opcode(), frame.payload()), (OpCode::Text, &b"Hello"[..]));
/// # Ok::<(), sockeye_codec::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FrameCodec {
    config: DecodeConfig,
    /// The header of the frame whose payload is still arriving, and the header's length.
    pending: Option<(Header, usize)>,
}

impl FrameCodec {
    /// A codec that checks frames against `config`.
    pub fn new(config: DecodeConfig) -> Self {
        Self {
            config,
            pending: None,
        }
    }

    /// The rules frames are checked against.
    pub fn config(&self) -> &DecodeConfig {
        &self.config
    }

    /// Takes one whole frame off the front of `src`, or returns `Ok(None)` when `src` does not
    /// hold one yet. Partial frames stay in `src`.
    ///
    /// # Errors
    /// The header breaks a rule of RFC 6455 or of the config; see [`decode_header`].
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, Error> {
        let (header, header_len) = match self.pending {
            Some(p) => p,
            None => match decode_header(src, &self.config)? {
                Some(p) => {
                    self.pending = Some(p);
                    p
                }
                None => return Ok(None),
            },
        };
        // The length was checked against the limit by decode_header, so it fits in usize
        // wherever the limit does; on 32-bit targets a larger one still cannot be buffered.
        let payload_len =
            usize::try_from(header.payload_len()).map_err(|_| Error::FrameTooLarge {
                len: header.payload_len(),
                max: usize::MAX as u64,
            })?;
        let total = header_len + payload_len;
        if src.len() < total {
            // Reserve for what is declared, but only a bounded amount ahead of what arrived.
            src.reserve((total - src.len()).min(64 * 1024));
            return Ok(None);
        }
        self.pending = None;
        src.advance(header_len);
        let payload = src.split_to(payload_len);
        Ok(Some(Frame { header, payload }))
    }
}

#[cfg(feature = "tokio-util")]
mod tokio_codec {
    //! `tokio_util::codec` impls. The error type is `io::Error` because `Decoder` requires
    //! `From<io::Error>`; a protocol error is wrapped as `InvalidData` with the codec's
    //! [`Error`] inside (get it back with `io::Error::get_ref` and `downcast_ref`).

    use std::io;

    use bytes::BytesMut;

    use super::{Frame, FrameCodec};

    impl tokio_util::codec::Decoder for FrameCodec {
        type Item = Frame;
        type Error = io::Error;

        fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, io::Error> {
            Self::decode(self, src).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
        }
    }

    impl tokio_util::codec::Encoder<Frame> for FrameCodec {
        type Error = io::Error;

        fn encode(&mut self, frame: Frame, dst: &mut BytesMut) -> Result<(), io::Error> {
            frame.encode(dst);
            Ok(())
        }
    }
}
