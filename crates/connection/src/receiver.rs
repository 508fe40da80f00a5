//! The receiving half of a connection.

use std::{
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use bytes::BytesMut;
use futures::{future::poll_fn, io::ReadHalf, AsyncRead, AsyncWrite, Future};
use tracing::{debug, trace};

use crate::{
    proto::{Event, Receiving},
    shared::Shared,
    timer::{Deadlines, Due},
    CloseReason, Data, Error, Incoming,
};

/// The most read from the socket at once while a large payload is arriving.
const MAX_READ_BYTES: usize = 256 * 1024;

/// A payload with at least this much still to come, and nothing buffered, is read
/// straight into the message.
const DIRECT_READ_MIN_BYTES: usize = 16 * 1024;

/// Reads up to this size go through the thread's scratch buffer (see `poll_read_buffered`).
const MAX_SCRATCH_BYTES: usize = 64 * 1024;

std::thread_local! {
    /// Zeroed memory that socket reads land in before being copied to a receiver's buffer.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The most message capacity reserved ahead of the bytes that arrived, for a frame whose
/// header announced more (within the configured limits).
const MAX_RESERVE_AHEAD_BYTES: usize = 1024 * 1024;

/// The most message-buffer capacity kept while the connection waits for input.
const MAX_IDLE_MESSAGE_BYTES: usize = 64 * 1024;

/// How many bytes the receiver reads in a row, without the socket ever being empty, before
/// it lets other tasks run (see "Fairness" on [`Receiver`]).
const FAIR_SHARE_BYTES: usize = 128 * 1024;

/// Receives messages, and answers pings and close frames on its own.
///
/// Created with its [`crate::Sender`] by [`crate::Builder::finish`]. Keep calling
/// [`Receiver::receive`] (or [`Receiver::receive_data`]) for as long as the connection is
/// open, even if you only send: pings and the peer's close are answered from inside it.
///
/// # Cancellation
/// `receive` and `receive_data` are cancel-safe: every byte read and all progress on a
/// message live in the receiver, never in the future, so dropping a `receive` future (in
/// `select!`, or on a timeout) loses nothing; the next call carries on.
///
/// # Fairness
/// Once the receiver has read 128 KiB from the socket in a row without ever finding it
/// empty, `receive` wakes its own task and returns `Pending` once, before reading on, so
/// that a connection whose peer keeps it busy with large messages takes turns with the
/// other tasks of the executor instead of running until the executor's own budget (if it
/// has one) stops it. (Tokio's budget counts I/O calls, not bytes: a connection that reads
/// large messages in few calls would otherwise hold the thread for milliseconds.)
#[derive(Debug)]
pub struct Receiver<T> {
    io: ReadHalf<T>,
    shared: Arc<Shared<T>>,
    proto: Receiving,
    read_buf: BytesMut,
    /// The message being assembled; handed to the caller when complete.
    message: Vec<u8>,
    read_buffer_size: usize,
    /// An outcome whose close frame is still being written (kept for cancel safety).
    pending: Option<Outcome>,
    done: bool,
    deadlines: Option<Deadlines>,
    /// Counts keepalive pings, for their payloads.
    pings: u64,
    /// Bytes read since the socket last had nothing to read (or since we last yielded).
    read_streak: usize,
}

/// How the connection ended, remembered while our last close frame is written.
#[derive(Debug)]
enum Outcome {
    Closed(CloseReason),
    Failed(Error),
}

impl<T: AsyncRead + AsyncWrite + Unpin> Receiver<T> {
    pub(crate) fn new(
        io: ReadHalf<T>,
        shared: Arc<Shared<T>>,
        proto: Receiving,
        read_buf: BytesMut,
        read_buffer_size: usize,
        deadlines: Option<Deadlines>,
    ) -> Self {
        Self {
            io,
            shared,
            proto,
            read_buf,
            message: Vec::new(),
            read_buffer_size,
            pending: None,
            done: false,
            deadlines,
            pings: 0,
            read_streak: 0,
        }
    }

    /// Receives the next message, pong or close.
    ///
    /// A data message is appended to `message` and described by [`Incoming::Data`]. Pings are
    /// answered without being returned. When the peer closes, its close is answered and
    /// [`Incoming::Closed`] returned; after that every call returns [`Error::Closed`].
    ///
    /// # Errors
    /// A protocol violation by the peer: the matching close frame (1002, 1007 or 1009) has
    /// been sent and the write side shut down before the error is returned. Also I/O errors,
    /// and [`Error::Closed`] once the connection is over.
    pub async fn receive(&mut self, message: &mut Vec<u8>) -> Result<Incoming<'_>, Error> {
        if self.pending.is_none() {
            if self.done {
                return Err(Error::Closed);
            }
            match poll_fn(|cx| self.poll_event(cx)).await {
                Ok(Event::Data(data)) => {
                    self.deliver(message);
                    return Ok(Incoming::Data(data));
                }
                Ok(Event::Pong) => return Ok(Incoming::Pong(self.proto.control_payload())),
                Ok(Event::Close(reason)) => {
                    trace!(code = reason.code.0, "close frame received");
                    self.shared.on_close_received(reason.code);
                    self.pending = Some(Outcome::Closed(reason));
                }
                Ok(Event::Ping) => unreachable!("poll_event answers pings itself"),
                Err(e) => {
                    match e.close_code() {
                        Some(code) => debug!(%e, code = code.0, "failing the connection"),
                        None => debug!(%e, "connection error"),
                    }
                    self.shared.fail(e.close_code());
                    self.pending = Some(Outcome::Failed(e));
                }
            }
        }
        // Write our close frame (the answer, or the one failing the connection) before
        // reporting the outcome, within the close timeout. If this is cancelled, `pending`
        // keeps the outcome for the next call.
        if let Some(d) = &mut self.deadlines {
            d.closing();
        }
        let shared = self.shared.clone();
        let drain = async {
            let mut w = shared.writer.lock().await;
            poll_fn(|cx| w.poll_drain(cx, &shared)).await
        };
        let mut drain = std::pin::pin!(drain);
        let deadlines = &mut self.deadlines;
        let flushed = poll_fn(|cx| {
            if let Poll::Ready(r) = drain.as_mut().poll(cx) {
                return Poll::Ready(r);
            }
            match deadlines.as_mut().map(|d| d.poll(cx)) {
                Some(Poll::Ready(_)) => Poll::Ready(Err(std::io::ErrorKind::TimedOut.into())),
                _ => Poll::Pending,
            }
        })
        .await;
        self.done = true;
        let outcome = self
            .pending
            .take()
            .expect("set above or by an earlier call");
        match (outcome, flushed) {
            (Outcome::Closed(reason), Ok(())) => Ok(Incoming::Closed(reason)),
            (Outcome::Closed(_), Err(e)) => {
                self.shared.mark_failed();
                if e.kind() == std::io::ErrorKind::TimedOut {
                    Err(Error::CloseTimeout)
                } else {
                    Err(Error::Io(e))
                }
            }
            (Outcome::Failed(e), _) => Err(e),
        }
    }

    /// Receives the next data message, skipping pongs.
    ///
    /// # Errors
    /// As [`Receiver::receive`]; a close by the peer is [`Error::Closed`].
    pub async fn receive_data(&mut self, message: &mut Vec<u8>) -> Result<Data, Error> {
        loop {
            match self.receive(message).await? {
                Incoming::Data(d) => return Ok(d),
                Incoming::Pong(_) => {}
                Incoming::Closed(_) => return Err(Error::Closed),
            }
        }
    }

    /// Whether the receiver holds bytes it has not processed yet (more messages may be
    /// available without reading the socket).
    pub fn has_buffered_data(&self) -> bool {
        !self.read_buf.is_empty()
    }

    /// Hands the finished message to the caller without copying when it can.
    fn deliver(&mut self, out: &mut Vec<u8>) {
        if out.is_empty() {
            std::mem::swap(out, &mut self.message);
            self.message.clear();
        } else {
            out.extend_from_slice(&self.message);
            self.message.clear();
        }
    }

    /// Runs the protocol until it yields an event for the caller, reading as needed and
    /// queueing answers to pings.
    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Result<Event, Error>> {
        loop {
            self.shared.poll_opportunistic_flush(cx)?;
            match self.proto.receive(&mut self.read_buf, &mut self.message)? {
                Some(Event::Ping) => {
                    trace!(len = self.proto.control_payload().len(), "ping received");
                    // RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a
                    // Pong frame in response [...] as soon as is practical."
                    self.shared.queue_pong(self.proto.control_payload());
                    continue;
                }
                Some(event) => return Poll::Ready(Ok(self.returning(event, cx))),
                None => self.shared.poll_uncork(cx)?,
            }
            if self.read_streak >= FAIR_SHARE_BYTES {
                // Let the executor run other tasks before reading on (see "Fairness").
                self.read_streak = 0;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            // Inside a large data payload with nothing buffered: read straight into the
            // message (one copy fewer), at most the rest of the frame.
            let direct = match self.proto.data_payload_remaining() {
                Some(rest) if rest >= DIRECT_READ_MIN_BYTES as u64 => {
                    Some(usize::try_from(rest).unwrap_or(usize::MAX))
                }
                _ => None,
            }
            .filter(|_| self.read_buf.is_empty());
            let result = match direct {
                Some(rest) => self.poll_read_direct(cx, rest),
                None => self.poll_read_buffered(cx),
            };
            match result {
                Poll::Pending => {
                    self.read_streak = 0;
                    if self.read_buf.is_empty() {
                        // Nothing buffered and nothing arriving: give the read buffer back
                        // so an idle connection holds no read memory at all.
                        self.read_buf = BytesMut::new();
                    }
                    if self.message.is_empty() && self.message.capacity() > MAX_IDLE_MESSAGE_BYTES {
                        // Likewise the capacity a large message left (kept while messages
                        // keep arriving, so a stream of them reuses one allocation).
                        self.message = Vec::new();
                    }
                    match self.poll_deadlines(cx) {
                        Poll::Ready(Ok(())) => continue,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Pending => return Poll::Pending,
                    }
                }
                Poll::Ready(Ok(0)) => {
                    self.shared.mark_failed();
                    return Poll::Ready(Err(Error::ConnectionReset));
                }
                Poll::Ready(Ok(n)) => {
                    self.read_streak += n;
                    if let Some(d) = &mut self.deadlines {
                        d.on_read();
                    }
                    if direct.is_some() {
                        if let Some(event) = self.proto.payload_appended(&mut self.message, n)? {
                            return Poll::Ready(Ok(self.returning(event, cx)));
                        }
                    }
                }
                Poll::Ready(Err(e)) => {
                    self.shared.mark_failed();
                    return Poll::Ready(Err(Error::Io(e)));
                }
            }
        }
    }

    /// Tells the sender whether input is left over as `event` is returned (see `shared`).
    fn returning(&self, event: Event, cx: &Context<'_>) -> Event {
        if self.read_buf.is_empty() {
            self.shared.input_drained();
        } else {
            self.shared.note_more_input(cx.waker());
        }
        event
    }

    /// Reads into the input buffer: `read_buffer_size` bytes, or up to the rest of a large
    /// payload (at most [`MAX_READ_BYTES`]) while one is arriving.
    ///
    /// `futures::AsyncRead` needs initialised memory to read into. Zeroing the read buffer's
    /// spare room before every read (8 KiB, as it then was) cost more than everything else about
    /// a small message, and keeping a zeroed buffer per connection would cost its memory on
    /// every idle connection. So reads of up to [`MAX_SCRATCH_BYTES`] go into one zeroed
    /// scratch buffer per thread, and only the bytes that arrived are copied.
    fn poll_read_buffered(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<usize>> {
        let want = match self.proto.data_payload_remaining() {
            Some(rest) if rest > self.read_buffer_size as u64 => usize::try_from(rest)
                .unwrap_or(usize::MAX)
                .min(MAX_READ_BYTES),
            _ => self.read_buffer_size,
        };
        if want <= MAX_SCRATCH_BYTES {
            let (io, read_buf) = (&mut self.io, &mut self.read_buf);
            let via_scratch = SCRATCH.with(|scratch| {
                // Only a stream that reads from another receiver inside its own `poll_read`
                // could find the scratch taken; it then takes the path below.
                let mut scratch = scratch.try_borrow_mut().ok()?;
                if scratch.len() < want {
                    scratch.resize(want, 0);
                }
                let result = Pin::new(io).poll_read(cx, &mut scratch[..want]);
                if let Poll::Ready(Ok(n)) = result {
                    read_buf.extend_from_slice(&scratch[..n]);
                }
                Some(result)
            });
            if let Some(result) = via_scratch {
                return result;
            }
        }
        let len = self.read_buf.len();
        self.read_buf.resize(len + want, 0);
        let result = Pin::new(&mut self.io).poll_read(cx, &mut self.read_buf[len..]);
        let n = match &result {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        self.read_buf.truncate(len + n);
        result
    }

    /// Reads up to `rest` payload bytes (at most [`MAX_READ_BYTES`]) onto the end of the
    /// message, still masked; the caller reports them with `payload_appended`.
    ///
    /// Reserves what the frame still announces, up to [`MAX_RESERVE_AHEAD_BYTES`]: the header
    /// was already checked against the frame and message limits, and a large message then
    /// gets one allocation of the right size instead of a series of growing copies.
    fn poll_read_direct(
        &mut self,
        cx: &mut Context<'_>,
        rest: usize,
    ) -> Poll<std::io::Result<usize>> {
        let want = rest.min(MAX_READ_BYTES);
        let len = self.message.len();
        self.message.reserve(rest.min(MAX_RESERVE_AHEAD_BYTES));
        // The stream takes an initialised slice: zero the part read into (cheaper than the
        // copy out of the input buffer it replaces).
        self.message.resize(len + want, 0);
        let result = Pin::new(&mut self.io).poll_read(cx, &mut self.message[len..]);
        let n = match &result {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        self.message.truncate(len + n);
        result
    }

    /// Checks the timeouts while the socket has nothing to read. `Ready(Ok)` means a
    /// keepalive ping was queued and the caller should loop; `Ready(Err)` a timeout.
    fn poll_deadlines(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let Some(d) = &mut self.deadlines else {
            return Poll::Pending;
        };
        if self.shared.close_sent() {
            d.on_close_sent();
        }
        match d.poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Due::Ping) => {
                self.pings += 1;
                trace!(n = self.pings, "sending keepalive ping");
                self.shared.queue_ping(&self.pings.to_be_bytes());
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Due::Close) => Poll::Ready(Err(Error::CloseTimeout)),
            Poll::Ready(Due::Keepalive) => Poll::Ready(Err(Error::KeepaliveTimeout)),
            Poll::Ready(Due::Idle) => Poll::Ready(Err(Error::IdleTimeout)),
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // No receiver will write corked replies any more: senders must write their own.
        self.shared.input_drained();
    }
}
