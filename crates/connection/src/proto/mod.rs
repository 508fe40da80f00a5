//! The sans-I/O protocol core: RFC 6455 message rules with no I/O and no async.
//!
//! [`Receiving`] takes bytes in and gives events out; [`Sending`] turns messages into wire
//! bytes. The async [`crate::Sender`] and [`crate::Receiver`] are thin loops around them, and
//! the tests in `tests.rs` drive them directly, byte by byte.
//!
//! # `Receiving`: call order
//! - Input: append bytes read from the socket to a `BytesMut`, then call
//!   [`Receiving::receive`] with it and the message buffer, repeatedly, until it returns
//!   `Ok(None)` ("need more bytes"). Or, with nothing buffered, run
//!   [`Receiving::receive_from`] over the bytes where they were read and keep only what it
//!   did not use: payload bytes then go from the read straight into the message.
//! - Output: each call consumes what it used from the input and returns at most one
//!   [`Event`]. Data is appended to the message buffer as it arrives, so a message never
//!   needs a second copy in the input buffer. A [`Event::Ping`] must be answered with a pong
//!   carrying [`Receiving::control_payload`]; a [`Event::Close`] with a close frame.
//! - After an error the caller sends a close frame with [`crate::Error::close_code`] and
//!   stops: the state is not meant to be used again, and [`Receiving::receive`] returns
//!   [`crate::Error::Closed`] from then on.
//!
//! # `Sending`
//! [`Sending::encode_data`] and [`Sending::encode_control`] append whole frames to a
//! `BytesMut`, masked with a fresh key each when we are the client.

use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use codec::{
    apply_mask_at, decode_header, extend_masked, parse_close_payload, CloseCode, DecodeConfig,
    Extension, Header, Mode, OpCode, Utf8Validator, MAX_CONTROL_PAYLOAD_BYTES,
};
use rand::{rngs::StdRng, Rng, SeedableRng};

use crate::{CloseReason, Data, Error};

/// The negotiated extensions, shared by the sending and receiving halves.
///
/// A `std` mutex is enough: it is held only while one message is transformed, never across
/// an `.await`, and only connections that negotiated an extension have one.
pub(crate) type Extensions = Arc<Mutex<Vec<Box<dyn Extension + Send>>>>;

/// How much larger than the message limit a compressed message may be on the wire.
///
/// Deflate output for incompressible input is a little larger than the input (5 bytes per
/// stored block plus a trailer), so a compressed frame must not trip a limit its payload
/// fits in. 1/64 plus 1 KiB covers every stored-block layout with room to spare.
fn compressed_slack(max: u64) -> u64 {
    max / 64 + 1024
}

/// One event from [`Receiving::receive`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// A whole data message is in the message buffer.
    Data(Data),
    /// A ping arrived; answer it with a pong carrying [`Receiving::control_payload`].
    Ping,
    /// A pong arrived; its payload is [`Receiving::control_payload`].
    Pong,
    /// A close frame arrived; answer it (unless we already sent ours) and stop reading.
    Close(CloseReason),
}

/// What [`Receiving::receive_in_place`] found at the front of its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InPlace {
    /// A whole message, unmasked in place at `payload`; `used` bytes of the input are
    /// consumed.
    Message {
        used: usize,
        data: Data,
        payload: std::ops::Range<usize>,
    },
    /// A single-frame message whose header has arrived, `frame_len` bytes on the wire in
    /// all; nothing was consumed. Call again once the input holds all of it.
    Incomplete { frame_len: usize },
    /// Nothing to take in place: use [`Receiving::receive_from`].
    NotApplicable,
}

/// The frame whose payload is arriving.
#[derive(Debug, Clone, Copy)]
struct FrameState {
    header: Header,
    /// Payload bytes still to come.
    remaining: u64,
    /// Payload bytes already unmasked, for the mask offset of the next piece.
    done: usize,
}

/// The data message being assembled.
#[derive(Debug, Clone, Copy)]
struct MessageState {
    opcode: OpCode,
    /// The RSV bits of its first frame (set by extensions such as permessage-deflate).
    rsv: u8,
    /// Where the message starts in the message buffer.
    start: usize,
}

/// The receiving half of the protocol.
#[derive(Debug)]
pub(crate) struct Receiving {
    config: DecodeConfig,
    max_message: u64,
    frame: Option<FrameState>,
    message: Option<MessageState>,
    utf8: Utf8Validator,
    /// The payload of the last control frame (at most 125 bytes).
    control: Vec<u8>,
    extensions: Option<Extensions>,
    closed: bool,
    /// Payload bytes of the incomplete single-frame message at the front of the input that
    /// [`Receiving::receive_in_place`] has already unmasked (and, for text, validated).
    in_place_done: usize,
}

impl Receiving {
    /// A receiver for `mode` with the given limits and negotiated extensions.
    pub(crate) fn new(
        mode: Mode,
        max_message: usize,
        max_frame: usize,
        extensions: Option<Extensions>,
    ) -> Self {
        let mut config = DecodeConfig::new(mode);
        let mut max_frame = max_frame as u64;
        if let Some(exts) = &extensions {
            let rsv = lock(exts)
                .iter()
                .filter(|e| e.is_enabled())
                .fold(0, |acc, e| acc | e.reserved_bits());
            config.set_allowed_rsv(rsv);
            if rsv != 0 {
                max_frame = max_frame.saturating_add(compressed_slack(max_frame));
            }
        }
        config.set_max_payload_bytes(max_frame);
        Self {
            config,
            max_message: max_message as u64,
            frame: None,
            message: None,
            utf8: Utf8Validator::new(),
            control: Vec::new(),
            extensions,
            closed: false,
            in_place_done: 0,
        }
    }

    /// The payload of the last ping or pong.
    pub(crate) fn control_payload(&self) -> &[u8] {
        &self.control
    }

    /// The payload length of the data frame whose payload is arriving, and how much of it is
    /// still to come, if we are inside one. The I/O layer uses it to size its reads.
    #[inline]
    pub(crate) fn data_frame(&self) -> Option<(u64, u64)> {
        self.frame
            .filter(|f| !f.header.opcode().is_control())
            .map(|f| (f.header.payload_len(), f.remaining))
    }

    /// Consumes bytes from `inp`, appending message data to `msg`; returns the next event or
    /// `None` when more input is needed. See the module docs for the call order.
    #[cfg(any(test, feature = "__fuzzing"))]
    pub(crate) fn receive(
        &mut self,
        inp: &mut BytesMut,
        msg: &mut Vec<u8>,
    ) -> Result<Option<Event>, Error> {
        let (used, event) = self.receive_from(inp, msg)?;
        bytes::Buf::advance(inp, used);
        Ok(event)
    }

    /// As [`Receiving::receive`], from a slice: returns how many bytes of `inp` were used
    /// (the caller keeps the rest for the next call) along with the event, if any.
    pub(crate) fn receive_from(
        &mut self,
        inp: &[u8],
        msg: &mut Vec<u8>,
    ) -> Result<(usize, Option<Event>), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        let mut used = 0;
        let result = self.receive_inner(inp, &mut used, msg);
        if result.is_err() {
            self.closed = true;
        }
        result.map(|event| (used, event))
    }

    /// Takes a whole single-frame data message (FIN set, no extension bits) from the front of
    /// `inp` and unmasks it where it lies, so its payload can be lent to the caller without a
    /// copy. Applies only between messages; the caller falls back to
    /// [`Receiving::receive_from`] for everything else (control frames, fragments, compressed
    /// messages, and a header not yet complete).
    ///
    /// Checks the same rules as `receive_from` (header, message size, UTF-8 of text), with
    /// the same errors, and fails the receiver in the same way. While the message is
    /// incomplete, the payload that has arrived is unmasked and checked already, so invalid
    /// UTF-8 fails as early as on the other path; the caller must then leave the frame at
    /// the front of the input, or hand the input to [`Receiving::abandon_in_place`] before
    /// it uses [`Receiving::receive_from`].
    pub(crate) fn receive_in_place(&mut self, inp: &mut [u8]) -> Result<InPlace, Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        if self.frame.is_some() || self.message.is_some() {
            debug_assert_eq!(self.in_place_done, 0);
            return Ok(InPlace::NotApplicable);
        }
        let result = self.in_place_inner(inp);
        if result.is_err() {
            self.closed = true;
        }
        result
    }

    fn in_place_inner(&mut self, inp: &mut [u8]) -> Result<InPlace, Error> {
        let Some((header, header_len)) = decode_header(inp, &self.config)? else {
            return Ok(InPlace::NotApplicable);
        };
        let opcode = header.opcode();
        if !opcode.is_data_start() || !header.is_fin() || header.rsv() != 0 {
            debug_assert_eq!(self.in_place_done, 0);
            return Ok(InPlace::NotApplicable);
        }
        let len = header.payload_len();
        self.check_message_len(len, self.max_message)?;
        // At most the frame limit, which came from a `usize`; saturating all the same.
        let end = usize::try_from(len)
            .unwrap_or(usize::MAX)
            .saturating_add(header_len);
        // The payload that has arrived, of which the first `in_place_done` bytes were
        // unmasked and checked by an earlier call.
        let have = inp.len();
        let arrived = &mut inp[header_len..end.min(have)];
        let fresh = &mut arrived[self.in_place_done..];
        if let Some(key) = header.mask() {
            apply_mask_at(fresh, key, self.in_place_done);
        }
        let whole = have >= end;
        if opcode == OpCode::Text {
            if whole && self.in_place_done == 0 {
                // The whole text at once (most arrive so): one check, without the
                // incremental validator's bookkeeping.
                codec::validate_utf8(fresh).map_err(|_| codec::Error::InvalidUtf8)?;
            } else {
                // RFC 6455 §8.1, as in `accept_payload`: checked as the bytes arrive.
                self.utf8
                    .feed(fresh)
                    .map_err(|_| codec::Error::InvalidUtf8)?;
                if whole {
                    self.utf8.finish().map_err(|_| codec::Error::InvalidUtf8)?;
                }
            }
        }
        if !whole {
            self.in_place_done = arrived.len();
            return Ok(InPlace::Incomplete { frame_len: end });
        }
        self.in_place_done = 0;
        let data = if opcode == OpCode::Text {
            Data::Text(end - header_len)
        } else {
            Data::Binary(end - header_len)
        };
        Ok(InPlace::Message {
            used: end,
            data,
            payload: header_len..end,
        })
    }

    /// Undoes the work [`Receiving::receive_in_place`] did on an incomplete message at the
    /// front of `inp` (masks its payload again and forgets the UTF-8 state), so that
    /// [`Receiving::receive_from`] can take the same input from the start.
    pub(crate) fn abandon_in_place(&mut self, inp: &mut [u8]) {
        if self.in_place_done == 0 {
            return;
        }
        let done = std::mem::take(&mut self.in_place_done);
        self.utf8 = Utf8Validator::new();
        if let Ok(Some((header, header_len))) = decode_header(inp, &self.config) {
            if let Some(key) = header.mask() {
                apply_mask_at(&mut inp[header_len..header_len + done], key, 0);
            }
        }
    }

    fn receive_inner(
        &mut self,
        inp: &[u8],
        used: &mut usize,
        msg: &mut Vec<u8>,
    ) -> Result<Option<Event>, Error> {
        loop {
            let rest = &inp[*used..];
            let mut frame = match self.frame {
                Some(f) => f,
                None => match decode_header(rest, &self.config)? {
                    None => return Ok(None),
                    Some((header, len)) => {
                        self.start_frame(&header, msg)?;
                        *used += len;
                        FrameState {
                            header,
                            remaining: header.payload_len(),
                            done: 0,
                        }
                    }
                },
            };
            let rest = &inp[*used..];
            if frame.header.opcode().is_control() {
                // Control payloads are at most 125 bytes: wait until all of it is here.
                let len = frame.remaining as usize;
                if rest.len() < len {
                    self.frame = Some(frame);
                    return Ok(None);
                }
                self.frame = None;
                self.control.clear();
                self.control.extend_from_slice(&rest[..len]);
                *used += len;
                if let Some(key) = frame.header.mask() {
                    apply_mask_at(&mut self.control, key, 0);
                }
                return self.control_event(frame.header.opcode()).map(Some);
            }
            // A data frame: take what has arrived of its payload.
            let take = rest
                .len()
                .min(usize::try_from(frame.remaining).unwrap_or(usize::MAX));
            if take > 0 {
                let from = msg.len();
                let piece = &rest[..take];
                match frame.header.mask() {
                    // Copied and unmasked in one pass.
                    Some(key) => extend_masked(msg, piece, key, frame.done),
                    None => msg.extend_from_slice(piece),
                }
                *used += take;
                self.accept_payload(&mut frame, &msg[from..])?;
            }
            if frame.remaining > 0 {
                self.frame = Some(frame);
                return Ok(None);
            }
            self.frame = None;
            if frame.header.is_fin() {
                return self.finish_message(msg).map(|d| Some(Event::Data(d)));
            }
        }
    }

    /// Accounts for `piece`, the next payload bytes of the data frame `frame` (unmasked
    /// already): checks them as UTF-8 when the message is text, and counts them.
    fn accept_payload(&mut self, frame: &mut FrameState, piece: &[u8]) -> Result<(), Error> {
        frame.done += piece.len();
        frame.remaining -= piece.len() as u64;
        let message = self
            .message
            .expect("a data frame always belongs to a message");
        if message.opcode == OpCode::Text && message.rsv == 0 {
            // RFC 6455 §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but
            // finds that the byte stream is not, in fact, a valid UTF-8 stream, that endpoint
            // MUST _Fail the WebSocket Connection_." Checked as the bytes arrive, so a bad
            // message fails before it is complete.
            self.utf8
                .feed(piece)
                .map_err(|_| codec::Error::InvalidUtf8)?;
        }
        Ok(())
    }

    /// Checks a new frame's header against the message state and the size limit.
    fn start_frame(&mut self, header: &Header, msg: &[u8]) -> Result<(), Error> {
        let opcode = header.opcode();
        if opcode.is_control() {
            // RFC 7692 §6: an extension's RSV bits belong to data messages only.
            if header.rsv() != 0 {
                return Err(codec::Error::ReservedBits { rsv: header.rsv() }.into());
            }
            return Ok(());
        }
        let start = match (opcode, self.message) {
            // RFC 6455 §5.4: fragments of one message are a first frame with a data opcode
            // followed by continuations; "the fragments of one message MUST NOT be
            // interleaved between the fragments of another message".
            (OpCode::Continuation, None) => return Err(Error::UnexpectedContinuation),
            (OpCode::Continuation, Some(m)) => {
                if header.rsv() != 0 {
                    // RFC 7692 §6.1: RSV1 is set on the first frame of a message only.
                    return Err(codec::Error::ReservedBits { rsv: header.rsv() }.into());
                }
                m.start
            }
            (_, Some(_)) => return Err(Error::MessageInterleaved),
            (_, None) => {
                self.message = Some(MessageState {
                    opcode,
                    rsv: header.rsv(),
                    start: msg.len(),
                });
                msg.len()
            }
        };
        let compressed = self.message.is_some_and(|m| m.rsv != 0);
        let max = if compressed {
            self.max_message
                .saturating_add(compressed_slack(self.max_message))
        } else {
            self.max_message
        };
        self.check_message_len((msg.len() - start) as u64 + header.payload_len(), max)?;
        Ok(())
    }

    /// Fails with [`Error::MessageTooLarge`] (reporting the configured message limit) when a
    /// message of `len` bytes is over `limit`: the message limit, or for compressed input
    /// on the wire the limit plus its slack.
    fn check_message_len(&self, len: u64, limit: u64) -> Result<(), Error> {
        if len > limit {
            return Err(Error::MessageTooLarge {
                len,
                max: self.max_message,
            });
        }
        Ok(())
    }

    /// Runs extensions and the final UTF-8 check on a complete message.
    fn finish_message(&mut self, msg: &mut Vec<u8>) -> Result<Data, Error> {
        let message = self
            .message
            .take()
            .expect("finish_message follows a data frame");
        if message.rsv != 0 {
            let exts = self
                .extensions
                .as_ref()
                .expect("RSV bits are allowed only by extensions");
            let max = usize::try_from(self.max_message).unwrap_or(usize::MAX);
            for ext in lock(exts).iter_mut().rev() {
                if ext.is_enabled() && ext.reserved_bits() & message.rsv != 0 {
                    ext.decode(message.rsv, message.opcode, msg, message.start, max)?;
                }
            }
            self.check_message_len((msg.len() - message.start) as u64, self.max_message)?;
        }
        let len = msg.len() - message.start;
        if message.opcode == OpCode::Text {
            if message.rsv == 0 {
                self.utf8.finish().map_err(|_| codec::Error::InvalidUtf8)?;
            } else if codec::validate_utf8(&msg[message.start..]).is_err() {
                return Err(codec::Error::InvalidUtf8.into());
            }
            Ok(Data::Text(len))
        } else {
            Ok(Data::Binary(len))
        }
    }

    fn control_event(&mut self, opcode: OpCode) -> Result<Event, Error> {
        match opcode {
            OpCode::Ping => Ok(Event::Ping),
            OpCode::Pong => Ok(Event::Pong),
            OpCode::Close => {
                let reason = match parse_close_payload(&self.control)? {
                    None => CloseReason {
                        code: CloseCode::NO_STATUS,
                        descr: None,
                    },
                    Some((code, text)) => CloseReason {
                        code,
                        descr: (!text.is_empty()).then(|| text.to_owned()),
                    },
                };
                self.closed = true;
                Ok(Event::Close(reason))
            }
            _ => unreachable!("control_event is only called for control opcodes"),
        }
    }
}

/// Where a connection's masking keys come from.
#[derive(Debug)]
enum Masks {
    /// A server's: it never masks.
    None,
    /// The thread's generator, `rand::rng()`: ChaCha seeded from the operating system and
    /// reseeded as it goes, so the keys satisfy RFC 6455 §5.3 ("derived from a strong source
    /// of entropy"). One generator serves every connection on the thread: it stays in cache,
    /// where a generator per connection is cold memory each time a client with many
    /// connections sends a frame (a cache miss on the key alone), and a few hundred bytes
    /// more per connection.
    Thread,
    /// A seeded generator, for reproducible tests (`set_mask_seed`).
    Seeded(Box<StdRng>),
}

/// The sending half of the protocol: frame encoding, masking and outgoing extensions.
#[derive(Debug)]
pub(crate) struct Sending {
    mode: Mode,
    /// Where masking keys come from.
    masks: Masks,
    /// The largest payload per outgoing data frame; larger messages are fragmented.
    frame_size: usize,
    extensions: Option<Extensions>,
    /// Scratch space for extension output, reused across messages.
    scratch: Vec<u8>,
}

impl Sending {
    pub(crate) fn new(
        mode: Mode,
        frame_size: usize,
        extensions: Option<Extensions>,
        seed: Option<u64>,
    ) -> Self {
        let masks = match (mode.is_client(), seed) {
            (false, _) => Masks::None,
            (true, None) => Masks::Thread,
            (true, Some(seed)) => Masks::Seeded(Box::new(StdRng::seed_from_u64(seed))),
        };
        Self {
            mode,
            masks,
            frame_size: frame_size.max(1),
            extensions,
            scratch: Vec::new(),
        }
    }

    /// A fresh masking key if we are the client.
    fn next_mask(&mut self) -> Option<[u8; 4]> {
        let key = match &mut self.masks {
            Masks::None => return None,
            Masks::Thread => rand::rng().next_u32(),
            Masks::Seeded(rng) => rng.next_u32(),
        };
        Some(key.to_ne_bytes())
    }

    /// Appends a data message as one or more frames to `out`.
    pub(crate) fn encode_data(
        &mut self,
        opcode: OpCode,
        payload: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), Error> {
        debug_assert!(opcode.is_data_start());
        if self.extensions.is_none() {
            if payload.len() <= self.frame_size {
                // One plain frame, the common case, directly. (Through `encode_frames` it
                // cost an echo server 34 more user-space instructions per 16-byte message.)
                out.reserve(payload.len() + codec::MAX_HEADER_BYTES);
                self.encode_frame(Header::new(opcode), payload, out);
                return Ok(());
            }
            return self.encode_frames(opcode, 0, payload, out);
        }
        let mut rsv = 0;
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut payload = payload;
        if let Some(exts) = &self.extensions {
            for ext in lock(exts).iter_mut() {
                if !ext.is_enabled() {
                    continue;
                }
                let mut next = Vec::new();
                if let Some(bits) = ext.encode(opcode, payload, &mut next)? {
                    rsv |= bits;
                    scratch = next;
                    payload = &scratch;
                }
            }
        }
        let result = self.encode_frames(opcode, rsv, payload, out);
        scratch.clear();
        self.scratch = scratch;
        result
    }

    fn encode_frames(
        &mut self,
        opcode: OpCode,
        rsv: u8,
        payload: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), Error> {
        let frames = payload.len().div_ceil(self.frame_size).max(1);
        out.reserve(payload.len() + frames * codec::MAX_HEADER_BYTES);
        let mut chunks = payload.chunks(self.frame_size);
        for i in 0..frames {
            let chunk = chunks.next().unwrap_or(&[]);
            let mut header = Header::new(if i == 0 { opcode } else { OpCode::Continuation });
            header
                .set_fin(i + 1 == frames)
                .set_rsv(if i == 0 { rsv } else { 0 });
            self.encode_frame(header, chunk, out);
        }
        Ok(())
    }

    /// Appends a control frame. The caller guarantees `payload.len() <= 125`.
    pub(crate) fn encode_control(&mut self, opcode: OpCode, payload: &[u8], out: &mut BytesMut) {
        debug_assert!(opcode.is_control() && payload.len() <= MAX_CONTROL_PAYLOAD_BYTES);
        self.encode_frame(Header::new(opcode), payload, out);
    }

    /// Appends one frame, masking its payload when we are the client.
    fn encode_frame(&mut self, mut header: Header, payload: &[u8], out: &mut BytesMut) {
        header
            .set_payload_len(payload.len() as u64)
            .set_mask(self.next_mask());
        // Through an array: one copy instead of a capacity check per header byte. The whole
        // array is copied and the unused end cut off: a copy of a fixed size compiles to two
        // moves, where one of `n` bytes calls `memcpy`.
        let mut bytes = [0; codec::MAX_HEADER_BYTES];
        let n = header.encode_to_array(&mut bytes);
        out.extend_from_slice(&bytes);
        out.truncate(out.len() - (codec::MAX_HEADER_BYTES - n));
        let from = out.len();
        out.extend_from_slice(payload);
        if let Some(key) = header.mask() {
            apply_mask_at(&mut out[from..], key, 0);
        }
    }

    /// The header for a single unfragmented, untransformed data frame whose payload the
    /// caller writes itself (vectored), or `None` when the message needs the copying path
    /// (client masking, fragmentation, extensions).
    pub(crate) fn direct_header(&mut self, opcode: OpCode, len: usize) -> Option<Header> {
        if self.mode.is_client() || len > self.frame_size || self.has_enabled_extensions() {
            return None;
        }
        let mut header = Header::new(opcode);
        header.set_payload_len(len as u64);
        Some(header)
    }

    /// Masks `payload` in place and returns its header, for a client's single-frame message
    /// whose buffer the caller lets us modify; `None` when the copying path is needed.
    pub(crate) fn masked_in_place_header(
        &mut self,
        opcode: OpCode,
        payload: &mut [u8],
    ) -> Option<Header> {
        if payload.len() > self.frame_size || self.has_enabled_extensions() {
            return None;
        }
        let mut header = Header::new(opcode);
        header
            .set_payload_len(payload.len() as u64)
            .set_mask(self.next_mask());
        if let Some(key) = header.mask() {
            apply_mask_at(payload, key, 0);
        }
        Some(header)
    }

    fn has_enabled_extensions(&self) -> bool {
        self.extensions
            .as_ref()
            .is_some_and(|e| lock(e).iter().any(|x| x.is_enabled()))
    }
}

/// Locks the extension list. A panic inside an extension poisons the lock; the list itself
/// stays consistent (extensions are only called, never added or removed), so go on.
fn lock(exts: &Extensions) -> std::sync::MutexGuard<'_, Vec<Box<dyn Extension + Send>>> {
    exts.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
