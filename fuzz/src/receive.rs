//! Targets for the sans-I/O receive path of `sockeye-connection` (`proto::Receiving`, through
//! `connection::fuzzing`), and [`Rle`], a toy extension that drives its extension hooks.

use arbitrary::{Arbitrary, Unstructured};
use bytes::BytesMut;
use codec::{CloseCode, Extension, Mode, OpCode, Param, MAX_CLOSE_REASON_BYTES, RSV1};
use connection::{
    fuzzing::{Event, Receiver, Sender},
    Data, Error, DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_MESSAGE_BYTES,
};

use crate::{limit, pieces};

/// `receive`'s configuration: 5 bytes, one per field, in this order.
#[derive(Debug, Arbitrary)]
struct ReceiveConfig {
    /// Odd: receive as a client (frames unmasked); even: as a server (frames masked).
    client: bool,
    /// The message limit, through [`limit`] (255: the 64 MiB default).
    max_message: u8,
    /// The frame limit, through [`limit`] (255: the 64 MiB default).
    max_frame: u8,
    /// The negotiated extension, through [`extensions`].
    extension: u8,
    /// How the second run gets the input, through [`pieces`].
    chunk: u8,
}

/// Extensions as a connection holds them.
type Extensions = Vec<Box<dyn Extension + Send>>;

/// The negotiated extensions a config byte selects, for the client and for the server:
/// `b % 3` is 0 for none, 1 for [`Rle`] and 2 for permessage-deflate, on parameters from the
/// other bits (see [`deflate_pair`]).
fn extension_pair(b: u8) -> (Extensions, Extensions) {
    match b % 3 {
        1 => (
            vec![Box::new(Rle::enabled())],
            vec![Box::new(Rle::enabled())],
        ),
        2 => {
            let (client, server) = deflate_pair(b / 3);
            (vec![Box::new(client)], vec![Box::new(server)])
        }
        _ => (Vec::new(), Vec::new()),
    }
}

/// The `mode` end's half of [`extension_pair`].
fn extensions(b: u8, mode: Mode) -> Extensions {
    let (client, server) = extension_pair(b);
    if mode.is_client() {
        client
    } else {
        server
    }
}

/// Whether [`extension_pair`] negotiates one for `b` (without building it: a `Deflate` allocates
/// its windows).
fn has_extension(b: u8) -> bool {
    !b.is_multiple_of(3)
}

/// A client and a server `Deflate` that negotiated with each other, as the handshake does:
/// the client offers what `bits` asks for (bit 0 `server_no_context_takeover`, bit 1
/// `client_no_context_takeover`, the rest a window size of 9 to 15 bits both ways), the server
/// accepts the offer and the client accepts the answer.
fn deflate_pair(bits: u8) -> (deflate::Deflate, deflate::Deflate) {
    let mut client = deflate::Deflate::new(Mode::Client);
    client
        .set_server_no_context_takeover(bits & 1 != 0)
        .set_client_no_context_takeover(bits & 2 != 0);
    let window = 9 + (bits >> 2) % 7;
    client.set_max_server_window_bits(window).expect("9..=15");
    client.set_max_client_window_bits(window).expect("9..=15");
    let mut server = deflate::Deflate::new(Mode::Server);
    server
        .configure(client.params())
        .expect("a server accepts our own offer");
    client
        .configure(server.params())
        .expect("a client accepts the answer to its offer");
    (client, server)
}

/// What a receiver reported, in order; message contents included.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Text(Vec<u8>),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(CloseCode, Option<String>),
    /// The error's close code and [`describe`]d message.
    Error(Option<CloseCode>, String),
}

/// The limits a receiver was built with, to check every call against.
struct Limits {
    max_message: usize,
    /// The most bytes of one message that may be buffered: the message limit, plus the
    /// allowance `proto` gives encoded (RSV) messages when an extension is negotiated.
    max_buffered: usize,
}

impl Limits {
    fn new(max_message: usize, extension: bool) -> Self {
        // `proto::compressed_slack`: deflate's worst-case growth, max / 64 + 1 KiB.
        let slack = if extension {
            max_message / 64 + 1024
        } else {
            0
        };
        Self {
            max_message,
            max_buffered: max_message.saturating_add(slack),
        }
    }
}

/// Feeds `wire_pieces` to `rx` one after another and records what it reports, checking the
/// limits and the call contract after every call. Also returns how many bytes were left
/// unconsumed, unless a close or an error stopped the receiver (the rest is ignored then).
fn run(rx: &mut Receiver, wire_pieces: &[&[u8]], limits: &Limits) -> (Vec<Seen>, Option<usize>) {
    let mut inp = BytesMut::new();
    let mut msg = Vec::new();
    let mut seen = Vec::new();
    for piece in wire_pieces {
        inp.extend_from_slice(piece);
        loop {
            let before = inp.len();
            let result = rx.receive(&mut inp, &mut msg);
            assert!(inp.len() <= before, "receive added input");
            assert!(
                msg.len() <= limits.max_buffered,
                "{} message bytes buffered, limit {}",
                msg.len(),
                limits.max_buffered
            );
            match result {
                Ok(None) => break,
                Ok(Some(Event::Data(data))) => {
                    assert_eq!(data.len(), msg.len(), "the message is what was appended");
                    assert!(data.len() <= limits.max_message, "message over the limit");
                    let bytes = std::mem::take(&mut msg);
                    seen.push(match data {
                        Data::Text(_) => {
                            assert!(std::str::from_utf8(&bytes).is_ok(), "text is not UTF-8");
                            Seen::Text(bytes)
                        }
                        Data::Binary(_) => Seen::Binary(bytes),
                    });
                }
                Ok(Some(Event::Ping)) => seen.push(Seen::Ping(control(rx))),
                Ok(Some(Event::Pong)) => seen.push(Seen::Pong(control(rx))),
                Ok(Some(Event::Close(reason))) => {
                    assert!(reason.code.is_sendable() || reason.code == CloseCode::NO_STATUS);
                    assert!(reason
                        .descr
                        .as_ref()
                        .is_none_or(|d| !d.is_empty() && d.len() <= MAX_CLOSE_REASON_BYTES));
                    seen.push(Seen::Close(reason.code, reason.descr));
                    assert_closed(rx, &mut inp, &mut msg);
                    return (seen, None);
                }
                Err(e) => {
                    // Every error the receive path returns is the peer's fault and has a close
                    // code to send (1002, 1007 or 1009, or an extension's).
                    let code = e.close_code();
                    assert!(
                        code.is_some_and(CloseCode::is_sendable),
                        "{e}: no close code"
                    );
                    seen.push(Seen::Error(code, describe(&e)));
                    assert_closed(rx, &mut inp, &mut msg);
                    return (seen, None);
                }
            }
        }
    }
    (seen, Some(inp.len()))
}

/// An error as the traces compare it: the whole message, except for an extension's, whose
/// wording may depend on where the buffers happened to end (zlib reports a corrupt stream
/// found as the output filled up as "repeated call with bad state" on the next call).
fn describe(e: &Error) -> String {
    match e {
        Error::Codec(codec::Error::Extension { name, .. }) => format!("extension {name} failed"),
        e => e.to_string(),
    }
}

fn control(rx: &Receiver) -> Vec<u8> {
    let payload = rx.control_payload().to_vec();
    assert!(payload.len() <= codec::MAX_CONTROL_PAYLOAD_BYTES);
    payload
}

/// After a close or an error, the receiver only says it is closed.
fn assert_closed(rx: &mut Receiver, inp: &mut BytesMut, msg: &mut Vec<u8>) {
    let (inp_len, msg_len) = (inp.len(), msg.len());
    assert!(matches!(rx.receive(inp, msg), Err(Error::Closed)));
    assert_eq!((inp.len(), msg.len()), (inp_len, msg_len));
}

fn mode(client: bool) -> Mode {
    if client {
        Mode::Client
    } else {
        Mode::Server
    }
}

/// Fuzz target `receive`: [`ReceiveConfig`] (5 bytes), then the bytes a peer sent.
///
/// Invariants of the receive path (`proto::Receiving`), for both roles, any limits, with and
/// without an extension:
/// - it never panics, never adds input, and never buffers more of a message than its limit
///   (plus the allowance for encoded messages when an extension is negotiated);
/// - a data message is exactly the bytes appended to the buffer, within the message limit,
///   and valid UTF-8 when it is text; control payloads are at most 125 bytes; a close code
///   is one a peer may send (or 1005 for none) with a non-empty reason of at most 123 bytes;
/// - every error has a close code to send, and after an error or a close every call says
///   `Closed` and touches nothing;
/// - the input in one piece and in many pieces give the same events, messages and errors,
///   and leave the same bytes unconsumed.
pub fn receive(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(cfg) = ReceiveConfig::arbitrary(&mut u) else {
        return;
    };
    let wire = u.take_rest();
    let mode = mode(cfg.client);
    let max_message = limit(cfg.max_message, DEFAULT_MAX_MESSAGE_BYTES as u64) as usize;
    let max_frame = limit(cfg.max_frame, DEFAULT_MAX_FRAME_BYTES as u64) as usize;
    let new_rx = || {
        Receiver::new(
            mode,
            max_message,
            max_frame,
            extensions(cfg.extension, mode),
        )
    };
    let limits = Limits::new(max_message, has_extension(cfg.extension));
    let whole = run(&mut new_rx(), &[wire], &limits);
    let split = run(&mut new_rx(), &pieces(wire, cfg.chunk), &limits);
    assert_eq!(whole, split, "the result depends on how the input is split");
}

/// `roundtrip`'s configuration: 5 bytes, one per field, in this order.
#[derive(Debug, Arbitrary)]
struct RoundtripConfig {
    /// Odd: a client sends to a server; even: a server sends to a client.
    client_sends: bool,
    /// The sender's outgoing frame size (fragmentation); 0 for none.
    frame_size: u8,
    /// The extension both sides negotiated, through [`extensions`].
    extension: u8,
    /// The seed of the client's masking keys.
    seed: u8,
    /// How the receiver gets the bytes, through [`pieces`].
    chunk: u8,
}

/// Fuzz target `roundtrip`: [`RoundtripConfig`] (5 bytes), then messages, each as a kind byte
/// (`% 4`: text, binary, ping, pong), a length byte and that many bytes (text is made UTF-8
/// lossily, ping and pong payloads are cut to 125 bytes).
///
/// Invariant: what a `proto::Sending` encodes, a `proto::Receiving` of the other role with the
/// same negotiated extension decodes to the same messages and control payloads, in order,
/// consuming every byte, however the frames are fragmented and the bytes are split.
pub fn roundtrip(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(cfg) = RoundtripConfig::arbitrary(&mut u) else {
        return;
    };
    let sender_mode = mode(cfg.client_sends);
    let receiver_mode = mode(!cfg.client_sends);
    let frame_size = match cfg.frame_size {
        0 => usize::MAX,
        n => usize::from(n),
    };
    let (client_ext, server_ext) = extension_pair(cfg.extension);
    let (tx_ext, rx_ext) = if cfg.client_sends {
        (client_ext, server_ext)
    } else {
        (server_ext, client_ext)
    };
    let mut tx = Sender::new(sender_mode, frame_size, tx_ext, u64::from(cfg.seed));
    let mut wire = BytesMut::new();
    let mut sent = Vec::new();
    while !u.is_empty() {
        let (Ok(kind), Ok(len)) = (u.arbitrary::<u8>(), u.arbitrary::<u8>()) else {
            break;
        };
        let bytes = u.bytes(usize::from(len).min(u.len())).unwrap_or_default();
        match kind % 4 {
            0 => {
                let text = String::from_utf8_lossy(bytes).into_owned().into_bytes();
                tx.encode_data(OpCode::Text, &text, &mut wire)
                    .expect("encoding text");
                sent.push(Seen::Text(text));
            }
            1 => {
                tx.encode_data(OpCode::Binary, bytes, &mut wire)
                    .expect("encoding binary");
                sent.push(Seen::Binary(bytes.to_vec()));
            }
            kind => {
                let payload = &bytes[..bytes.len().min(codec::MAX_CONTROL_PAYLOAD_BYTES)];
                let (opcode, seen) = if kind == 2 {
                    (OpCode::Ping, Seen::Ping(payload.to_vec()))
                } else {
                    (OpCode::Pong, Seen::Pong(payload.to_vec()))
                };
                tx.encode_control(opcode, payload, &mut wire);
                sent.push(seen);
            }
        }
    }
    let mut rx = Receiver::new(
        receiver_mode,
        DEFAULT_MAX_MESSAGE_BYTES,
        DEFAULT_MAX_FRAME_BYTES,
        rx_ext,
    );
    let limits = Limits::new(DEFAULT_MAX_MESSAGE_BYTES, has_extension(cfg.extension));
    let (received, left) = run(&mut rx, &pieces(&wire, cfg.chunk), &limits);
    assert_eq!(received, sent);
    assert_eq!(left, Some(0), "bytes left over");
}

/// A toy extension for the fuzz targets: run-length coding of whole messages, flagged with
/// RSV1. Beside permessage-deflate, it drives the receive path's extension hooks with inputs
/// simple enough for the fuzzer to build by mutation (a valid DEFLATE stream rarely is).
///
/// Those hooks are RSV1 on first frames only, the size allowance for encoded frames, decoding
/// in place after `start`, the decoded size limit checked while expanding, and UTF-8 checked
/// after decoding. An encoded message is pairs of (count 1..=255, byte); a pair can expand
/// 127-fold, so it also plays a small decompression bomb.
///
/// Negotiation: named `x-rle`; [`Extension::configure`] accepts any parameters except one
/// named `refuse`, and [`Extension::params`] then gives back the accepted ones.
#[derive(Debug, Clone, Default)]
pub struct Rle {
    enabled: bool,
    params: Vec<Param>,
}

impl Rle {
    /// The extension's name.
    pub const NAME: &'static str = "x-rle";

    /// An extension waiting for negotiation, offering no parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// An extension already negotiated, with no parameters.
    pub fn enabled() -> Self {
        Self {
            enabled: true,
            params: Vec::new(),
        }
    }

    fn error(reason: &str, code: CloseCode) -> codec::Error {
        codec::Error::Extension {
            name: Self::NAME.to_owned(),
            reason: reason.to_owned(),
            code,
        }
    }
}

impl Extension for Rle {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn is_enabled(&self) -> bool {
        self.enabled
    }

    fn params(&self) -> &[Param] {
        &self.params
    }

    fn configure(&mut self, params: &[Param]) -> Result<(), codec::Error> {
        if params.iter().any(|p| p.name() == "refuse") {
            return Err(Self::error("refused", CloseCode::PROTOCOL_ERROR));
        }
        self.enabled = true;
        self.params = params.to_vec();
        Ok(())
    }

    fn reserved_bits(&self) -> u8 {
        RSV1
    }

    fn encode(
        &mut self,
        _opcode: OpCode,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<u8>, codec::Error> {
        if payload.is_empty() {
            return Ok(None);
        }
        for run in payload.chunk_by(|a, b| a == b) {
            for part in run.chunks(255) {
                out.extend_from_slice(&[part.len() as u8, part[0]]);
            }
        }
        Ok(Some(RSV1))
    }

    fn decode(
        &mut self,
        _rsv: u8,
        _opcode: OpCode,
        data: &mut Vec<u8>,
        start: usize,
        max_len: usize,
    ) -> Result<(), codec::Error> {
        let encoded = data.split_off(start);
        if !encoded.len().is_multiple_of(2) {
            return Err(Self::error("odd length", CloseCode::PROTOCOL_ERROR));
        }
        for pair in encoded.chunks_exact(2) {
            let (count, byte) = (usize::from(pair[0]), pair[1]);
            if count == 0 {
                return Err(Self::error("empty run", CloseCode::PROTOCOL_ERROR));
            }
            if data.len() - start + count > max_len {
                return Err(Self::error("too big", CloseCode::MESSAGE_TOO_BIG));
            }
            data.resize(data.len() + count, byte);
        }
        Ok(())
    }
}
