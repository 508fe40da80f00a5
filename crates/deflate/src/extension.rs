//! [`Deflate`]: permessage-deflate as a [`codec::Extension`], tying the negotiation in
//! `config` to the encoder and decoder in `stream`.

use codec::{CloseCode, Extension, Mode, OpCode, Param, RSV1};

use crate::{
    config::{self, Config, Negotiated, NAME},
    stream::{Decoder, Encoder},
    Error, MAX_WINDOW_BITS, MIN_WINDOW_BITS,
};

/// The default compression level: zlib's default, 6 of 9.
pub const DEFAULT_COMPRESSION_LEVEL: u32 = 6;

/// The default size under which messages are sent uncompressed: 0, every message is
/// compressed. With context takeover even short messages shrink well once the window holds
/// earlier ones.
pub const DEFAULT_THRESHOLD_BYTES: usize = 0;

/// The permessage-deflate extension (RFC 7692) for one connection, client or server.
///
/// Create one per connection with [`Deflate::new`], adjust it with the setters, and hand it
/// to the handshake (which calls [`Extension::params`] and [`Extension::configure`]) and then
/// to the connection. The setters are named after the wire parameters; the crate docs list
/// what each means on either side.
///
/// # Negotiation
/// - **Client**: [`Extension::params`] is the offer, by default
///   `permessage-deflate; client_max_window_bits`. [`Extension::configure`] checks the
///   server's response and fails when it cannot be honoured (RFC 7692 §7).
/// - **Server**: [`Extension::configure`] takes one offer and fails when it must be declined;
///   on success [`Extension::params`] is the response, which states exactly the agreed terms.
///
/// A connection whose negotiation did not enable the extension sends and receives
/// uncompressed messages only.
#[derive(Debug)]
pub struct Deflate {
    mode: Mode,
    config: Config,
    level: u32,
    threshold: usize,
    /// The offer (client), or the response once an offer is accepted (server).
    params: Vec<Param>,
    state: Option<State>,
}

/// What exists once negotiation succeeded.
#[derive(Debug)]
struct State {
    negotiated: Negotiated,
    /// `None` when the agreed window is 8 bits (see [`Encoder::new`]).
    encoder: Option<Encoder>,
    decoder: Decoder,
}

impl Deflate {
    /// A permessage-deflate extension for the `mode` end of a connection, with the defaults:
    /// context takeover both ways, 15-bit windows unless the peer asks for less, compression
    /// level [`DEFAULT_COMPRESSION_LEVEL`], threshold [`DEFAULT_THRESHOLD_BYTES`].
    pub fn new(mode: Mode) -> Self {
        let config = Config {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: None,
            client_max_window_bits: None,
        };
        let params = match mode {
            Mode::Client => config::offer(&config),
            Mode::Server => Vec::new(),
        };
        Self {
            mode,
            config,
            level: DEFAULT_COMPRESSION_LEVEL,
            threshold: DEFAULT_THRESHOLD_BYTES,
            params,
            state: None,
        }
    }

    /// Limits the server's LZ77 window to `2^bits` bytes (`server_max_window_bits`).
    ///
    /// A client asks for it in its offer; a server uses at most this and says so in its
    /// response. Smaller windows save memory (on the server's compressor and the client's
    /// inflater) and cost compression ratio.
    ///
    /// # Errors
    /// `bits` is outside 9..=15. (The wire value 8 is accepted from peers; see the crate docs.)
    pub fn set_max_server_window_bits(&mut self, bits: u8) -> Result<&mut Self, Error> {
        self.config.server_max_window_bits = Some(check_window_bits(bits)?);
        Ok(self.refresh_offer())
    }

    /// Limits the client's LZ77 window to `2^bits` bytes (`client_max_window_bits`).
    ///
    /// A client offers `client_max_window_bits=bits` (instead of the value-less default that
    /// lets the server pick); a server asks for at most this in its response, when the
    /// client's offer allows it to.
    ///
    /// # Errors
    /// `bits` is outside 9..=15.
    pub fn set_max_client_window_bits(&mut self, bits: u8) -> Result<&mut Self, Error> {
        self.config.client_max_window_bits = Some(check_window_bits(bits)?);
        Ok(self.refresh_offer())
    }

    /// Whether the server resets its compressor for every message
    /// (`server_no_context_takeover`): a client requires it in its offer; a server announces
    /// it in every response.
    pub fn set_server_no_context_takeover(&mut self, on: bool) -> &mut Self {
        self.config.server_no_context_takeover = on;
        self.refresh_offer()
    }

    /// Whether the client resets its compressor for every message
    /// (`client_no_context_takeover`): a client announces it in its offer; a server requires
    /// it in every response.
    pub fn set_client_no_context_takeover(&mut self, on: bool) -> &mut Self {
        self.config.client_no_context_takeover = on;
        self.refresh_offer()
    }

    /// Sets the compression level of our outgoing messages: 0 (stored, no compression) to 9
    /// (smallest, slowest). Default [`DEFAULT_COMPRESSION_LEVEL`]. It may be changed at any
    /// time; the next message uses it.
    ///
    /// On a JSON feed with context takeover (`benches/deflate.rs`), level 6 shrank messages
    /// 7.0x at about 80 MiB/s, level 3 6.3x at about 150 MiB/s and level 1 4.4x at about
    /// 660 MiB/s: choose 1 when CPU matters more than bandwidth.
    ///
    /// # Errors
    /// `level` is above 9.
    pub fn set_compression_level(&mut self, level: u32) -> Result<&mut Self, Error> {
        if level > 9 {
            return Err(Error::Level { level });
        }
        self.level = level;
        if let Some(encoder) = self.state.as_mut().and_then(|s| s.encoder.as_mut()) {
            encoder.set_level(level);
        }
        Ok(self)
    }

    /// Sends messages shorter than `bytes` uncompressed (RSV1 clear), which RFC 7692 allows
    /// at any time. Default [`DEFAULT_THRESHOLD_BYTES`]: compress everything.
    pub fn set_threshold(&mut self, bytes: usize) -> &mut Self {
        self.threshold = bytes;
        self
    }

    /// Which end of the connection this is.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The agreed terms, once negotiation succeeded.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.state.as_ref().map(|s| &s.negotiated)
    }

    fn refresh_offer(&mut self) -> &mut Self {
        if self.mode.is_client() {
            self.params = config::offer(&self.config);
        }
        self
    }

    /// Builds the encoder and decoder for the agreed terms.
    fn start(&mut self, negotiated: Negotiated) {
        let (ours, theirs) = match self.mode {
            Mode::Client => (
                (
                    negotiated.client_max_window_bits,
                    negotiated.client_no_context_takeover,
                ),
                (
                    negotiated.server_max_window_bits,
                    negotiated.server_no_context_takeover,
                ),
            ),
            Mode::Server => (
                (
                    negotiated.server_max_window_bits,
                    negotiated.server_no_context_takeover,
                ),
                (
                    negotiated.client_max_window_bits,
                    negotiated.client_no_context_takeover,
                ),
            ),
        };
        self.state = Some(State {
            negotiated,
            encoder: Encoder::new(ours.0, self.level, ours.1),
            decoder: Decoder::new(theirs.0, theirs.1),
        });
    }
}

/// Checks a window size given to a setter.
fn check_window_bits(bits: u8) -> Result<u8, Error> {
    if (MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(&bits) {
        Ok(bits)
    } else {
        Err(Error::WindowBits { bits })
    }
}

/// A negotiation failure: an offer declined or a response refused. A client fails the
/// handshake with it; should it ever reach a close frame, the peer broke the protocol.
fn negotiation_error(reason: String) -> codec::Error {
    codec::Error::Extension {
        name: NAME.to_owned(),
        reason,
        code: CloseCode::PROTOCOL_ERROR,
    }
}

impl Extension for Deflate {
    fn name(&self) -> &str {
        NAME
    }

    fn is_enabled(&self) -> bool {
        self.state.is_some()
    }

    fn params(&self) -> &[Param] {
        &self.params
    }

    fn configure(&mut self, params: &[Param]) -> Result<(), codec::Error> {
        match self.mode {
            Mode::Client => {
                if self.state.is_some() {
                    // RFC 6455 §9.1: the server lists the extensions it accepted; a second
                    // permessage-deflate in one response cannot be honoured.
                    return Err(negotiation_error(format!(
                        "server's response accepts {NAME} twice"
                    )));
                }
                let negotiated =
                    config::accept_response(&self.config, params).map_err(negotiation_error)?;
                self.start(negotiated);
            }
            Mode::Server => {
                let (negotiated, response) =
                    config::accept_offer(&self.config, params).map_err(negotiation_error)?;
                self.params = response;
                self.start(negotiated);
            }
        }
        Ok(())
    }

    fn reserved_bits(&self) -> u8 {
        // RFC 7692 §6: "This document allocates the RSV1 bit of the WebSocket header for
        // PMCEs and calls the bit the "Per-Message Compressed" bit."
        RSV1
    }

    fn encode(
        &mut self,
        _opcode: OpCode,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<u8>, codec::Error> {
        let Some(state) = &mut self.state else {
            return Ok(None);
        };
        if payload.len() < self.threshold {
            return Ok(None);
        }
        let Some(encoder) = &mut state.encoder else {
            return Ok(None);
        };
        // RFC 7692 §6: the compressed message's first frame carries RSV1; the connection
        // sets it there and only there.
        Ok(encoder.encode(payload, out)?.then_some(RSV1))
    }

    fn decode(
        &mut self,
        rsv: u8,
        _opcode: OpCode,
        data: &mut Vec<u8>,
        start: usize,
        max_len: usize,
    ) -> Result<(), codec::Error> {
        match &mut self.state {
            // RFC 7692 §6: a message whose first frame has RSV1 clear is not compressed.
            Some(state) if rsv & RSV1 != 0 => state.decoder.decode(data, start, max_len),
            _ => Ok(()),
        }
    }
}
