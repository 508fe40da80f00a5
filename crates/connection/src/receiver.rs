//! The receiving half of a connection.

use std::{
    sync::Arc,
    task::{Context, Poll},
};

use bytes::{Buf, BytesMut};
use futures::{future::poll_fn, AsyncRead, AsyncWrite, Future};
use tracing::{debug, trace};

use crate::{
    inbuf::InBuf,
    proto::{Event, InPlace, Receiving},
    shared::Shared,
    timer::{Deadlines, Due},
    CloseReason, Data, Error, Incoming, IncomingRef,
};

/// The most read from the socket at once while a large payload is arriving.
const MAX_READ_BYTES: usize = 256 * 1024;

/// A data frame with at least this much payload is read exactly: never past its end, so the
/// next frame's bytes do not have to be kept in the input buffer and copied a second time.
const LARGE_FRAME_BYTES: u64 = 16 * 1024;

/// Reads up to this size go through the thread's scratch buffer (see `poll_read`).
const MAX_SCRATCH_BYTES: usize = MAX_READ_BYTES;

/// The most input the protocol can leave unused before a read: an incomplete frame header,
/// or an incomplete control frame (it waits for a control frame whole). Data payloads are
/// always taken as they come, and complete frames are processed before reading again.
const MAX_CARRY_BYTES: usize = codec::MAX_HEADER_BYTES + codec::MAX_CONTROL_PAYLOAD_BYTES;

std::thread_local! {
    /// Zeroed memory that socket reads land in, after room for the bytes carried over from
    /// the last read. The protocol runs over the bytes in place, and only what it leaves
    /// unused is copied to the receiver's input buffer.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The most message-buffer capacity kept while the connection waits for input.
const MAX_IDLE_MESSAGE_BYTES: usize = 64 * 1024;

/// How many bytes the receiver reads in a row, without the socket ever being empty, before
/// it lets other tasks run (see "Fairness" on [`Receiver`]).
///
/// Measured with `cargo xtask bench`'s programs, 4 connections x 64 KiB, pipeline 4, in
/// alternating rounds of builds that differ only here. At 128 KiB the client's p99.9 was
/// 3.3-6.8 ms over 8 rounds (the other clients but soketto's: 1.7-1.9 ms in a full run):
/// it kept interrupting the reading of echoes that had already arrived. At 512 KiB the
/// client's was 1.2-3.7 ms, but the server's p99 rose to 0.65-2.4 ms (0.51-0.63 at 128
/// KiB, in rounds without outside load): one connection's burst held up the others. At
/// 256 KiB:
/// server p99 0.58-1.0 ms, client p99.9 1.6-3.5 ms (1.6-1.9 in three rounds of four).
const FAIR_SHARE_BYTES: usize = 256 * 1024;

/// Receives messages, and answers pings and close frames on its own.
///
/// Created with its [`crate::Sender`] by [`crate::Builder::finish`]. Keep calling
/// [`Receiver::receive`] (or [`Receiver::receive_data`], [`Receiver::receive_ref`]) for as
/// long as the connection is open, even if you only send: pings and the peer's close are
/// answered from inside it.
///
/// # Cancellation
/// `receive`, `receive_data` and `receive_ref` are cancel-safe: every byte read and all
/// progress on a message live in the receiver, never in the future, so dropping one of
/// their futures (in `select!`, or on a timeout) loses nothing; the next call of any of them
/// carries on.
///
/// # Fairness
/// Once the receiver has read 256 KiB from the socket in a row without ever finding it
/// empty, `receive` wakes its own task and returns `Pending` once, before reading on, so
/// that a connection whose peer keeps it busy with large messages takes turns with the
/// other tasks of the executor instead of running until the executor's own budget (if it
/// has one) stops it. (Tokio's budget counts I/O calls, not bytes: a connection that reads
/// large messages in few calls would otherwise hold the thread for milliseconds.)
#[derive(Debug)]
pub struct Receiver<T> {
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
    /// The input of [`Receiver::receive_ref`], where single-frame messages are lent from.
    inbuf: InBuf,
    /// `message` holds a message lent by [`Receiver::receive_ref`]: clear it before the next.
    lent_message: bool,
}

/// What the receiver found for its caller.
enum Found {
    /// An event of the protocol (a data message is then in `message`).
    Event(Event),
    /// A single-frame data message, unmasked where it lies in `inbuf`.
    InPlace(Data, std::ops::Range<usize>),
}

/// What [`Receiver::next`] hands to the public receive methods.
enum Next {
    /// A data message: in `inbuf` at the range, or in `message`.
    Data(Data, Option<std::ops::Range<usize>>),
    Pong,
    Closed(CloseReason),
}

/// How the connection ended, remembered while our last close frame is written.
#[derive(Debug)]
enum Outcome {
    Closed(CloseReason),
    Failed(Error),
}

impl<T: AsyncRead + AsyncWrite + Unpin> Receiver<T> {
    pub(crate) fn new(
        shared: Arc<Shared<T>>,
        proto: Receiving,
        read_buf: BytesMut,
        read_buffer_size: usize,
        deadlines: Option<Deadlines>,
    ) -> Self {
        Self {
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
            inbuf: InBuf::default(),
            lent_message: false,
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
        Ok(match self.next(false).await? {
            Next::Data(data, _) => {
                self.deliver(message);
                Incoming::Data(data)
            }
            Next::Pong => Incoming::Pong(self.proto.control_payload()),
            Next::Closed(reason) => Incoming::Closed(reason),
        })
    }

    /// Receives the next message, pong or close, and lends it to you: the fastest way to
    /// receive when you do not need to keep the message (an echo, a parser that reads it
    /// once, a forwarder).
    ///
    /// A message that arrived as one frame (most do) is read into the receiver's own buffer
    /// and unmasked where it lies, so its bytes are never copied; one that arrived in
    /// fragments is assembled first. The borrow ends with the next call. Otherwise this is
    /// [`Receiver::receive`]: pings are answered, the peer's close is answered and returned
    /// as [`IncomingRef::Closed`], and the same errors apply.
    ///
    /// The buffer is zeroed once and reused; while the connection waits for input with
    /// nothing unread, it goes back to a small per-thread pool (at most 4 MiB), so idle
    /// connections hold none.
    ///
    /// # Errors
    /// As [`Receiver::receive`].
    #[allow(unsafe_code)]
    pub async fn receive_ref(&mut self) -> Result<IncomingRef<'_>, Error> {
        Ok(match self.next(true).await? {
            // SAFETY: `range` is where `poll_in_place` found the message's payload, which
            // `proto::Receiving::receive_in_place` unmasked and, for text, validated in
            // place before reporting `data`; nothing has touched the buffer since.
            Next::Data(data, Some(range)) => unsafe {
                IncomingRef::data(data, self.inbuf.get(range))
            },
            Next::Data(data, None) => {
                self.lent_message = true;
                // SAFETY: `message` holds the message the protocol assembled and, for text,
                // validated before reporting `data`: it is emptied once each message is
                // delivered or lent, so nothing precedes it.
                unsafe { IncomingRef::data(data, &self.message) }
            }
            Next::Pong => IncomingRef::Pong(self.proto.control_payload()),
            Next::Closed(reason) => IncomingRef::Closed(reason),
        })
    }

    /// Runs the connection up to the next data message, pong or close; `in_place` picks the
    /// input path of [`Receiver::receive_ref`].
    async fn next(&mut self, in_place: bool) -> Result<Next, Error> {
        if self.lent_message {
            self.message.clear();
            self.lent_message = false;
        }
        if self.pending.is_none() {
            if self.done {
                return Err(Error::Closed);
            }
            let found = if in_place {
                poll_fn(|cx| self.poll_in_place(cx)).await
            } else {
                poll_fn(|cx| self.poll_event(cx)).await.map(Found::Event)
            };
            match found {
                Ok(Found::InPlace(data, range)) => return Ok(Next::Data(data, Some(range))),
                Ok(Found::Event(Event::Data(data))) => return Ok(Next::Data(data, None)),
                Ok(Found::Event(Event::Pong)) => return Ok(Next::Pong),
                Ok(Found::Event(Event::Close(reason))) => {
                    trace!(code = reason.code.0, "close frame received");
                    self.shared.on_close_received(reason.code);
                    self.pending = Some(Outcome::Closed(reason));
                }
                Ok(Found::Event(Event::Ping)) => unreachable!("poll_event answers pings itself"),
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
            (Outcome::Closed(reason), Ok(())) => Ok(Next::Closed(reason)),
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
        !self.read_buf.is_empty() || !self.inbuf.is_empty()
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
        if !self.inbuf.is_empty() {
            // Left by `receive_ref`: this path reads from `read_buf`, and takes the message
            // at the front from its start.
            self.proto.abandon_in_place(self.inbuf.unread_mut());
            self.read_buf.extend_from_slice(self.inbuf.unread());
            self.inbuf.clear();
        }
        loop {
            self.shared.poll_opportunistic_flush(cx)?;
            // With no input left, the protocol has nothing to give (every event needs bytes).
            if !self.read_buf.is_empty() {
                let (used, event) = run_protocol(
                    &mut self.proto,
                    &self.shared,
                    &self.read_buf,
                    &mut self.message,
                )?;
                self.read_buf.advance(used);
                match event {
                    // Back to the top, which writes its pong before anything else is read.
                    Some(Event::Ping) => continue,
                    Some(event) => return Poll::Ready(Ok(self.returning(event, cx))),
                    None => {}
                }
            }
            if self.before_read(cx)?.is_pending() {
                return Poll::Pending;
            }
            match self.poll_read(cx) {
                Poll::Pending => match self.poll_idle(cx) {
                    Poll::Ready(Ok(())) => continue,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                },
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok((n, event))) => {
                    self.on_read(n);
                    match event {
                        Some(Event::Ping) | None => {}
                        Some(event) => return Poll::Ready(Ok(self.returning(event, cx))),
                    }
                }
            }
        }
    }

    /// As [`Receiver::poll_event`], for [`Receiver::receive_ref`]: reads go into `inbuf`, a
    /// single-frame data message is taken where it lies, and everything else goes through
    /// the protocol as usual (its data copied into `message`).
    fn poll_in_place(&mut self, cx: &mut Context<'_>) -> Poll<Result<Found, Error>> {
        if !self.read_buf.is_empty() {
            // Left by the handshake or by `receive`: this path reads from `inbuf`.
            self.inbuf.extend_from_slice(&self.read_buf);
            self.read_buf = BytesMut::new();
        }
        loop {
            self.shared.poll_opportunistic_flush(cx)?;
            // The size of a single-frame message whose start is here, if it is incomplete.
            let mut frame_len = None;
            if !self.inbuf.is_empty() {
                match self.proto.receive_in_place(self.inbuf.unread_mut())? {
                    InPlace::Message {
                        used,
                        data,
                        payload,
                    } => {
                        let at = self.inbuf.pos();
                        self.inbuf.consume(used);
                        let found = Found::InPlace(data, at + payload.start..at + payload.end);
                        return Poll::Ready(Ok(self.returning(found, cx)));
                    }
                    InPlace::Incomplete { frame_len: len } => frame_len = Some(len),
                    InPlace::NotApplicable => {
                        let (used, event) = run_protocol(
                            &mut self.proto,
                            &self.shared,
                            self.inbuf.unread(),
                            &mut self.message,
                        )?;
                        self.inbuf.consume(used);
                        match event {
                            Some(Event::Ping) => continue,
                            Some(event) => {
                                return Poll::Ready(Ok(self.returning(Found::Event(event), cx)))
                            }
                            None => {}
                        }
                    }
                }
            }
            if self.before_read(cx)?.is_pending() {
                return Poll::Pending;
            }
            // A large frame is read exactly to its end, so the buffer is usually empty once
            // its message is taken and the next read starts at the front, with nothing to
            // move; a small one is read past, to take the frames behind it in the same read.
            let want = match frame_len {
                Some(len) if len as u64 >= LARGE_FRAME_BYTES => {
                    (len - self.inbuf.unread().len()).min(MAX_READ_BYTES)
                }
                _ => self.read_size(),
            };
            let result = self.shared.poll_read(cx, self.inbuf.room(want));
            match self.io_outcome(result) {
                Poll::Pending => match self.poll_idle(cx) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                },
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(n)) => {
                    self.inbuf.filled(n);
                    self.on_read(n);
                }
            }
        }
    }

    /// Runs before each socket read, with all buffered input used: writes the replies corked
    /// for it, and returns `Pending` (having woken the task) when it is time to let other
    /// tasks run (see "Fairness").
    fn before_read(&mut self, cx: &mut Context<'_>) -> Result<Poll<()>, Error> {
        self.shared.poll_uncork(cx)?;
        if self.read_streak >= FAIR_SHARE_BYTES {
            self.read_streak = 0;
            cx.waker().wake_by_ref();
            return Ok(Poll::Pending);
        }
        Ok(Poll::Ready(()))
    }

    /// Bookkeeping after `n` bytes were read from the socket.
    fn on_read(&mut self, n: usize) {
        self.read_streak += n;
        if let Some(d) = &mut self.deadlines {
            d.on_read();
        }
    }

    /// The socket has nothing to read: frees what an idle connection should not hold, and
    /// checks the timeouts (see [`Receiver::poll_deadlines`] for the outcomes).
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.read_streak = 0;
        if self.read_buf.is_empty() {
            // Nothing buffered and nothing arriving: give the read buffer back so an idle
            // connection holds no read memory at all.
            self.read_buf = BytesMut::new();
        }
        self.inbuf.release();
        if self.message.is_empty() && self.message.capacity() > MAX_IDLE_MESSAGE_BYTES {
            // Likewise the capacity a large message left (kept while messages keep
            // arriving, so a stream of them reuses one allocation).
            self.message = Vec::new();
        }
        self.poll_deadlines(cx)
    }

    /// Tells the sender whether input is left over as `event` is returned (see `shared`).
    fn returning<E>(&self, event: E, cx: &Context<'_>) -> E {
        if self.read_buf.is_empty() && self.inbuf.is_empty() {
            self.shared.input_drained();
        } else {
            self.shared.note_more_input(cx.waker());
        }
        event
    }

    /// How much to read next: exactly the rest of a large data frame (at most
    /// [`MAX_READ_BYTES`]), else `read_buffer_size` plus room for a frame header, so that a
    /// frame of `read_buffer_size` arrives whole in one read.
    fn read_size(&self) -> usize {
        match self.proto.data_frame() {
            Some((len, rest)) if len >= LARGE_FRAME_BYTES => usize::try_from(rest)
                .unwrap_or(usize::MAX)
                .min(MAX_READ_BYTES),
            _ => self.read_buffer_size + codec::MAX_HEADER_BYTES,
        }
    }

    /// Reads from the socket and runs the protocol over the new bytes where they landed.
    /// Returns how many bytes were read (none is an error: the peer went away without a
    /// close frame) and the first event they completed, if any.
    ///
    /// `futures::AsyncRead` needs initialised memory to read into. Zeroing a buffer's spare
    /// room before every read (8 KiB, as it then was) cost more than everything else about a
    /// small message, and keeping a zeroed buffer per connection would cost its memory on
    /// every idle connection. So reads of up to [`MAX_SCRATCH_BYTES`] go into one zeroed
    /// scratch buffer per thread, and the protocol takes the payload bytes straight from
    /// there into the message: each byte is copied once. Bytes the protocol could not use yet
    /// (the start of the next frame) are kept in the input buffer; the next read puts them
    /// back in front of what it reads (they are few: see [`MAX_CARRY_BYTES`]).
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Result<(usize, Option<Event>), Error>> {
        let want = self.read_size();
        let carry = self.read_buf.len();
        if want <= MAX_SCRATCH_BYTES && carry <= MAX_CARRY_BYTES {
            let via_scratch = SCRATCH.with(|scratch| {
                // Only a stream that reads from another receiver inside its own `poll_read`
                // could find the scratch taken; it then takes the path below.
                let mut scratch = scratch.try_borrow_mut().ok()?;
                if scratch.is_empty() {
                    // Allocated zeroed at its full size once per thread: the allocator
                    // hands out fresh zero pages, which take memory only once read into.
                    *scratch = vec![0; MAX_CARRY_BYTES + MAX_SCRATCH_BYTES];
                }
                let n = match self.poll_io(cx, &mut scratch[carry..carry + want]) {
                    Poll::Ready(Ok(n)) => n,
                    other => return Some(other.map_ok(|n| (n, None))),
                };
                // The few bytes left from before go in front of the new ones, so the
                // protocol runs over both in place.
                scratch[..carry].copy_from_slice(&self.read_buf);
                self.read_buf.clear();
                let input = &scratch[..carry + n];
                let result = run_protocol(&mut self.proto, &self.shared, input, &mut self.message)
                    .map(|(used, event)| {
                        self.read_buf.extend_from_slice(&input[used..]);
                        (n, event)
                    });
                Some(Poll::Ready(result))
            });
            if let Some(result) = via_scratch {
                return result;
            }
        }
        let len = self.read_buf.len();
        self.read_buf.resize(len + want, 0);
        let result = self.shared.poll_read(cx, &mut self.read_buf[len..]);
        let n = match &result {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        self.read_buf.truncate(len + n);
        self.io_outcome(result).map_ok(|n| (n, None))
    }

    /// One read from the socket into `buf`, its outcome as [`Self::io_outcome`] gives it.
    fn poll_io(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize, Error>> {
        let result = self.shared.poll_read(cx, buf);
        self.io_outcome(result)
    }

    /// A read's outcome: the bytes read, or the error that ends the connection (end of
    /// stream without a close frame is [`Error::ConnectionReset`]).
    fn io_outcome(&self, result: Poll<std::io::Result<usize>>) -> Poll<Result<usize, Error>> {
        match result {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(0)) => {
                self.shared.mark_failed();
                Poll::Ready(Err(Error::ConnectionReset))
            }
            Poll::Ready(Ok(n)) => Poll::Ready(Ok(n)),
            Poll::Ready(Err(e)) => {
                self.shared.mark_failed();
                Poll::Ready(Err(Error::Io(e)))
            }
        }
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
        self.inbuf.clear();
        // No receiver will write corked replies any more: senders must write their own.
        self.shared.input_drained();
    }
}

/// Runs the protocol over `input` up to its next event, if any, and returns how many bytes
/// it used along with the event. A ping's pong is queued here; the caller goes back to the
/// top of its loop, which writes the pong before it goes on. (Going on first would answer
/// a burst of pings with only the last pong, which RFC 6455 §5.5.3 allows but the
/// Autobahn|Testsuite counts as a failure.)
fn run_protocol<T: AsyncRead + AsyncWrite + Unpin>(
    proto: &mut Receiving,
    shared: &Shared<T>,
    input: &[u8],
    message: &mut Vec<u8>,
) -> Result<(usize, Option<Event>), Error> {
    let (used, event) = proto.receive_from(input, message)?;
    if event == Some(Event::Ping) {
        trace!(len = proto.control_payload().len(), "ping received");
        // RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame
        // in response [...] as soon as is practical."
        shared.queue_pong(proto.control_payload());
    }
    Ok((used, event))
}
