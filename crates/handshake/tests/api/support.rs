//! Test doubles: a scripted socket and a small extension that records its negotiation.

use std::{
    collections::VecDeque,
    io,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use codec::{Error as CodecError, Extension, OpCode, Param, RSV1};
use futures::io::{AsyncRead, AsyncWrite};
use sockeye_handshake::http1::accept_key;

type Responder = Box<dyn FnOnce(&[u8]) -> Vec<Vec<u8>> + Send>;

/// A socket that hands out scripted reads, one chunk per read, and records what is written.
///
/// With `pending`, every read first returns `Pending` once (waking itself), as a slow network
/// would. After the script, reads return end of file, unless `endless` fills them with `x`.
pub(crate) struct Mock {
    reads: VecDeque<Vec<u8>>,
    respond: Option<Responder>,
    pending: bool,
    pending_now: bool,
    endless: bool,
    /// Every byte written, in order.
    pub(crate) written: Vec<u8>,
    /// Every byte handed to a read.
    pub(crate) delivered: usize,
}

impl Mock {
    /// Reads return `chunks` one per read; empty chunks are skipped, as a read of 0 bytes
    /// means end of file.
    pub(crate) fn new(chunks: Vec<Vec<u8>>) -> Self {
        Self {
            reads: chunks.into_iter().filter(|c| !c.is_empty()).collect(),
            respond: None,
            pending: false,
            pending_now: false,
            endless: false,
            written: Vec::new(),
            delivered: 0,
        }
    }

    /// Reads return `bytes[..at]` and then `bytes[at..]`.
    pub(crate) fn split(bytes: &[u8], at: usize) -> Self {
        Self::new(vec![bytes[..at].to_vec(), bytes[at..].to_vec()])
    }

    /// Reads return `bytes` one byte at a time, each after a `Pending`.
    pub(crate) fn trickle(bytes: &[u8]) -> Self {
        let mut mock = Self::new(bytes.iter().map(|&b| vec![b]).collect());
        mock.pending = true;
        mock
    }

    /// At the first read, `respond` is called with everything written so far and its chunks
    /// become the reads: a peer that answers a request.
    pub(crate) fn responding(respond: impl FnOnce(&[u8]) -> Vec<Vec<u8>> + Send + 'static) -> Self {
        let mut mock = Self::new(Vec::new());
        mock.respond = Some(Box::new(respond));
        mock
    }

    /// After the scripted reads, every read fills the buffer with `x`, forever.
    pub(crate) fn endless(mut self) -> Self {
        self.endless = true;
        self
    }
}

impl AsyncRead for Mock {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if let Some(respond) = this.respond.take() {
            let chunks = respond(&this.written).into_iter();
            this.reads = chunks.filter(|c| !c.is_empty()).collect();
        }
        if this.pending && !this.pending_now {
            this.pending_now = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.pending_now = false;
        let n = match this.reads.pop_front() {
            Some(mut chunk) => {
                let n = chunk.len().min(buf.len());
                buf[..n].copy_from_slice(&chunk[..n]);
                if n < chunk.len() {
                    this.reads.push_front(chunk.split_off(n));
                }
                n
            }
            None if this.endless => {
                buf.fill(b'x');
                buf.len()
            }
            None => 0,
        };
        this.delivered += n;
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for Mock {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.written.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The value of header `name` in an HTTP head, if present.
pub(crate) fn header_value<'a>(head: &'a [u8], name: &str) -> Option<&'a str> {
    std::str::from_utf8(head)
        .ok()?
        .split("\r\n")
        .filter_map(|line| line.split_once(": "))
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The `Sec-WebSocket-Accept` that answers the request in `request`.
pub(crate) fn accept_for(request: &[u8]) -> String {
    let key = header_value(request, "Sec-WebSocket-Key").expect("the request has a key");
    accept_key(key.as_bytes())
}

/// A `101` answering `request`, with `extra` header lines (each ending in `\r\n`).
pub(crate) fn switching_protocols(request: &[u8], extra: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n{extra}\r\n",
        accept_for(request)
    )
    .into_bytes()
}

/// What a [`TestExt`] saw.
#[derive(Debug, Default)]
pub(crate) struct Log {
    /// The parameters of every `configure` call, in order.
    pub(crate) configured: Vec<Vec<Param>>,
}

/// An extension for negotiation tests. It offers `offer`; `configure` accepts parameters
/// whose names all appear in `accepts`, and then answers with what it accepted.
#[derive(Debug)]
pub(crate) struct TestExt {
    name: &'static str,
    accepts: &'static [&'static str],
    rsv: u8,
    params: Vec<Param>,
    enabled: bool,
    log: Arc<Mutex<Log>>,
}

impl TestExt {
    /// An extension named `name` offering `offer` and accepting parameters in `accepts`.
    pub(crate) fn new(
        name: &'static str,
        offer: Vec<Param>,
        accepts: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            accepts,
            rsv: RSV1,
            params: offer,
            enabled: false,
            log: Arc::default(),
        }
    }

    /// Uses `rsv` instead of RSV1.
    pub(crate) fn with_rsv(mut self, rsv: u8) -> Self {
        self.rsv = rsv;
        self
    }

    /// The log, shared with the boxed extension.
    pub(crate) fn log(&self) -> Arc<Mutex<Log>> {
        Arc::clone(&self.log)
    }

    /// Boxed for `add_extension`, with its log.
    pub(crate) fn boxed(self) -> (Box<dyn Extension + Send>, Arc<Mutex<Log>>) {
        let log = self.log();
        (Box::new(self), log)
    }
}

impl Extension for TestExt {
    fn name(&self) -> &str {
        self.name
    }

    fn is_enabled(&self) -> bool {
        self.enabled
    }

    fn params(&self) -> &[Param] {
        &self.params
    }

    fn configure(&mut self, params: &[Param]) -> Result<(), CodecError> {
        self.log.lock().unwrap().configured.push(params.to_vec());
        if let Some(p) = params.iter().find(|p| !self.accepts.contains(&p.name())) {
            return Err(CodecError::Extension {
                name: self.name.to_owned(),
                reason: format!("unknown parameter {}", p.name()),
                code: codec::CloseCode::PROTOCOL_ERROR,
            });
        }
        self.params = params.to_vec();
        self.enabled = true;
        Ok(())
    }

    fn reserved_bits(&self) -> u8 {
        self.rsv
    }

    fn encode(&mut self, _: OpCode, _: &[u8], _: &mut Vec<u8>) -> Result<Option<u8>, CodecError> {
        Ok(None)
    }

    fn decode(
        &mut self,
        _: u8,
        _: OpCode,
        _: &mut Vec<u8>,
        _: usize,
        _: usize,
    ) -> Result<(), CodecError> {
        Ok(())
    }
}
