//! The sending half of a connection.

use std::{
    future::Future,
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use codec::{encode_close_payload, CloseCode, OpCode, MAX_CONTROL_PAYLOAD_BYTES};
use futures::{future::poll_fn, lock::MutexGuard, AsyncRead, AsyncWrite};

use crate::{
    shared::{PayloadWrite, Shared, Writer, MAX_CORKED_BYTES, MAX_CORKED_MESSAGES},
    Error, Sleep, Timer,
};

/// Payloads at least this large are written straight from the caller's buffer behind their
/// header with one vectored write, instead of being copied behind it. (The stream should
/// implement `poll_write_vectored`, as sockeye's tokio integration does; otherwise the
/// header goes out in a write of its own. Copying a 64 KiB payload cost more than the
/// vectored write in `cargo xtask bench`.)
const DIRECT_WRITE_MIN_BYTES: usize = 16 * 1024;

/// Sends messages. Created with its [`crate::Receiver`] by [`crate::Builder::finish`].
///
/// Each `send_*` call writes its message to the socket before it returns (and flushes the
/// socket, so TLS streams emit their records), with one exception that batches pipelined
/// replies: while the [`crate::Receiver`], polled in the same task, still holds messages it
/// read but has not returned yet, a small message is kept back (while fewer than 32
/// messages and 64 KiB are unwritten) and written together with the following ones as soon
/// as the receiver has returned them all and goes back to the socket, or when the 32nd is
/// sent. An echo or request/response loop thus makes one write per batch of up to 32
/// pipelined requests instead of one per reply, and a lone message is never delayed. If you
/// stop calling `receive` while it still holds input, call [`Sender::flush`] (or send, or
/// close) to write what was kept back.
///
/// [`Sender::flush`] also writes frames a cancelled send left behind.
///
/// # Cancellation
/// Dropping a `send_*` future never corrupts the connection. If it is dropped before the
/// message was encoded, nothing is sent; once encoding began, the message is sent whole by
/// the next write on this connection (any send, [`Sender::flush`], [`Sender::close`], or
/// the receiver's automatic answers).
#[derive(Debug)]
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
    /// How long one write may stall before the connection is failed, and the clock for it.
    send_timeout: Option<(Arc<dyn Timer>, Duration)>,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Sender<T> {
    pub(crate) fn new(
        shared: Arc<Shared<T>>,
        send_timeout: Option<(Arc<dyn Timer>, Duration)>,
    ) -> Self {
        Self {
            shared,
            send_timeout,
        }
    }

    /// Sends a text message.
    pub async fn send_text(&mut self, text: impl AsRef<str>) -> Result<(), Error> {
        self.send_data(OpCode::Text, text.as_ref().as_bytes()).await
    }

    /// Sends a text message given as an owned `String` (kept for soketto compatibility; it
    /// costs the same as [`Sender::send_text`]).
    pub async fn send_text_owned(&mut self, text: String) -> Result<(), Error> {
        self.send_data(OpCode::Text, text.as_bytes()).await
    }

    /// Sends a binary message.
    pub async fn send_binary(&mut self, data: impl AsRef<[u8]>) -> Result<(), Error> {
        self.send_data(OpCode::Binary, data.as_ref()).await
    }

    /// Sends a binary message, letting the sender mask it in place (a client then copies
    /// nothing of a payload of 16 KiB or more). The buffer's contents are unspecified
    /// afterwards.
    pub async fn send_binary_mut(&mut self, mut data: impl AsMut<[u8]>) -> Result<(), Error> {
        let data = data.as_mut();
        if data.len() < DIRECT_WRITE_MIN_BYTES {
            // Small payloads: one copy behind the header is cheaper than a vectored write.
            return self.send_data(OpCode::Binary, data).await;
        }
        let mut w = self.lock_for_send().await?;
        if let Some(header) = w.proto.masked_in_place_header(OpCode::Binary, data) {
            return self.write_direct(w, &header, data).await;
        }
        let Writer { buf, proto, .. } = &mut *w;
        proto.encode_data(OpCode::Binary, data, buf)?;
        self.drain_or_cork(w).await
    }

    /// Sends a ping with a payload of at most 125 bytes.
    pub async fn send_ping(&mut self, data: impl AsRef<[u8]>) -> Result<(), Error> {
        self.send_control(OpCode::Ping, data.as_ref()).await
    }

    /// Sends an unsolicited pong (a heartbeat that expects no answer), at most 125 bytes.
    pub async fn send_pong(&mut self, data: impl AsRef<[u8]>) -> Result<(), Error> {
        self.send_control(OpCode::Pong, data.as_ref()).await
    }

    /// Writes and flushes anything still queued.
    pub async fn flush(&mut self) -> Result<(), Error> {
        let w = match poll_fn(|cx| Poll::Ready(self.flush_now(cx))).await {
            Now::Done(result) => return result,
            Now::WritePending(w) => w,
            Now::Uncorked | Now::Contended => self.shared.writer.lock().await,
        };
        self.drain(w).await
    }

    /// Starts the close handshake with code 1000 (normal closure).
    ///
    /// Keep calling [`crate::Receiver::receive`] afterwards: it returns
    /// [`crate::Incoming::Closed`] when the peer's close arrives, and the connection is done.
    /// Calling `close` again, or after the peer closed, does nothing.
    pub async fn close(&mut self) -> Result<(), Error> {
        self.close_with(CloseCode::NORMAL, "").await
    }

    /// Starts the close handshake with a code and a reason (cut to 123 bytes).
    pub async fn close_with(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let mut w = self.shared.writer.lock().await;
        if self.shared.claim_close() {
            let mut payload = Vec::new();
            encode_close_payload(code, reason, &mut payload);
            let Writer { buf, proto, .. } = &mut *w;
            proto.encode_control(OpCode::Close, &payload, buf);
        }
        self.drain(w).await
    }

    /// Whether the connection can still send: no close was sent and nothing failed.
    pub fn is_open(&self) -> bool {
        self.shared.can_send()
    }

    fn send_data<'a>(
        &'a mut self,
        opcode: OpCode,
        data: &'a [u8],
    ) -> impl Future<Output = Result<(), Error>> + 'a {
        self.queue(opcode, data, Batch::IfPipelined, Self::send_now)
    }

    /// Sends or feeds a data message: a small one through `now` (`send_now` or `feed_now`)
    /// in one step when the writer is free, anything else through [`Sender::queue_locked`].
    ///
    /// The general path is boxed: inline, its states made every send's future (part of
    /// the caller's task, so of every connection's memory) 56 bytes larger, while it runs
    /// only for messages of 16 KiB or more (one small allocation each, as the vectored
    /// write needed before) and while another task holds the writer.
    async fn queue<F>(
        &mut self,
        opcode: OpCode,
        data: &[u8],
        batch: Batch,
        now: F,
    ) -> Result<(), Error>
    where
        F: for<'a> Fn(&'a Self, &mut Context<'_>, OpCode, &[u8]) -> Now<'a>,
    {
        if data.len() >= DIRECT_WRITE_MIN_BYTES {
            return Box::pin(self.queue_locked(opcode, data, batch)).await;
        }
        let w = match poll_fn(|cx| Poll::Ready(now(self, cx, opcode, data))).await {
            Now::Done(result) => return result,
            Now::WritePending(w) => w,
            Now::Uncorked => self.shared.writer.lock().await,
            Now::Contended => return Box::pin(self.queue_locked(opcode, data, batch)).await,
        };
        self.drain(w).await
    }

    /// [`Sender::queue`] waiting for the writer lock: writes a large payload straight from
    /// the caller's buffer, or encodes the message and writes it or leaves it queued as
    /// `batch` allows.
    async fn queue_locked(&self, opcode: OpCode, data: &[u8], batch: Batch) -> Result<(), Error> {
        let mut w = self.lock_for_send().await?;
        if data.len() >= DIRECT_WRITE_MIN_BYTES {
            if let Some(header) = w.proto.direct_header(opcode, data.len()) {
                return self.write_direct(w, &header, data).await;
            }
        }
        let Writer { buf, proto, .. } = &mut *w;
        proto.encode_data(opcode, data, buf)?;
        match batch {
            Batch::IfPipelined => self.drain_or_cork(w).await,
            Batch::Always if self.batch_full(&w) => self.drain(w).await,
            Batch::Always => {
                self.hold(&mut w);
                Ok(())
            }
        }
    }

    /// Writes what is queued, unless the bytes may wait for a larger write: see the type's
    /// docs and the module docs of `shared`.
    async fn drain_or_cork(&self, mut w: MutexGuard<'_, Writer>) -> Result<(), Error> {
        let shared = &*self.shared;
        if poll_fn(|cx| Poll::Ready(self.cork(&mut w, cx))).await {
            drop(w);
            if shared.more_input() {
                return Ok(());
            }
            // The receiver ran out of input meanwhile and may not have seen the cork.
            let w = shared.writer.lock().await;
            return self.drain(w).await;
        }
        self.drain(w).await
    }

    /// Leaves the message just encoded in `w` unwritten when the receiver, in this task,
    /// still holds pipelined input (and the batch is not full): the receiver writes it with
    /// the others (see the module docs of `shared`). Returns whether it did.
    fn cork(&self, w: &mut Writer, cx: &Context<'_>) -> bool {
        if !self.batch_full(w) && self.shared.more_input_in_task(cx.waker()) {
            self.hold(w);
            return true;
        }
        false
    }

    /// Leaves the message just encoded in `w` unwritten, for a later, larger write.
    fn hold(&self, w: &mut Writer) {
        self.shared.cork();
        w.corked_messages += 1;
    }

    /// [`Sender::flush`] in one step when the writer is free.
    fn flush_now(&self, cx: &mut Context<'_>) -> Now<'_> {
        match self.shared.writer.try_lock() {
            Some(w) => self.drain_now(cx, w),
            None => Now::Contended,
        }
    }

    /// Whether the bytes queued in `w` (with the message just encoded) must be written now
    /// rather than left for a larger write: the batch is at its limits, or control frames
    /// wait.
    fn batch_full(&self, w: &Writer) -> bool {
        w.buf.len() > MAX_CORKED_BYTES
            || w.corked_messages + 1 >= MAX_CORKED_MESSAGES
            || self.shared.control_pending()
    }

    /// The whole of a small message's send when nothing has to wait, without the layers of
    /// the general path: take the free writer lock, encode, then cork or write and flush.
    /// (An echo server ran 86 fewer user-space instructions per message with it, 3737 to
    /// 3651, at 16 B pipeline 1 in `cargo xtask bench --only instructions`.)
    fn send_now(&self, cx: &mut Context<'_>, opcode: OpCode, data: &[u8]) -> Now<'_> {
        let mut w = match self.encode_now(opcode, data) {
            Ok(w) => w,
            Err(now) => return now,
        };
        if self.cork(&mut w, cx) {
            drop(w);
            if self.shared.more_input() {
                return Now::Done(Ok(()));
            }
            return Now::Uncorked;
        }
        self.drain_now(cx, w)
    }

    /// Takes the writer lock if it is free and encodes a small message into its buffer.
    #[inline]
    fn encode_now(&self, opcode: OpCode, data: &[u8]) -> Result<MutexGuard<'_, Writer>, Now<'_>> {
        let Some(mut w) = self.shared.writer.try_lock() else {
            return Err(Now::Contended);
        };
        if !self.shared.can_send() {
            return Err(Now::Done(Err(Error::Closed)));
        }
        let Writer { buf, proto, .. } = &mut *w;
        match proto.encode_data(opcode, data, buf) {
            Ok(()) => Ok(w),
            Err(e) => Err(Now::Done(Err(e))),
        }
    }

    /// One poll of [`Sender::drain`]: writes what is queued; if that finishes, releases the
    /// lock and writes control frames queued meanwhile.
    #[inline]
    fn drain_now<'a>(&'a self, cx: &mut Context<'_>, mut w: MutexGuard<'a, Writer>) -> Now<'a> {
        let shared = &*self.shared;
        match w.poll_drain(cx, shared) {
            Poll::Ready(Ok(())) => {
                drop(w);
                Now::Done(shared.poll_opportunistic_flush(cx))
            }
            Poll::Ready(Err(e)) => Now::Done(Err(self.io_failed(e))),
            // The socket will wake this task; `drain` polls again and times the wait.
            Poll::Pending => Now::WritePending(w),
        }
    }

    /// Queues a binary message without writing it, to batch several messages into one
    /// write: queued messages are written by [`Sender::flush`], by any `send_*` or `close`,
    /// or by the [`crate::Receiver`] before it next reads the socket. Once 32 messages or
    /// more than 64 KiB are queued, `feed` writes them all, so large messages go out at once
    /// and the peer can start on a long batch while the rest is queued.
    pub async fn feed_binary(&mut self, data: impl AsRef<[u8]>) -> Result<(), Error> {
        self.feed_data(OpCode::Binary, data.as_ref()).await
    }

    /// Queues a text message without writing it; see [`Sender::feed_binary`].
    pub async fn feed_text(&mut self, text: impl AsRef<str>) -> Result<(), Error> {
        self.feed_data(OpCode::Text, text.as_ref().as_bytes()).await
    }

    fn feed_data<'a>(
        &'a mut self,
        opcode: OpCode,
        data: &'a [u8],
    ) -> impl Future<Output = Result<(), Error>> + 'a {
        self.queue(opcode, data, Batch::Always, Self::feed_now)
    }

    /// [`Sender::feed_data`] for a small message when the writer is free, in one step (as
    /// [`Sender::send_now`]).
    fn feed_now(&self, cx: &mut Context<'_>, opcode: OpCode, data: &[u8]) -> Now<'_> {
        let mut w = match self.encode_now(opcode, data) {
            Ok(w) => w,
            Err(now) => return now,
        };
        if self.batch_full(&w) {
            return self.drain_now(cx, w);
        }
        self.hold(&mut w);
        Now::Done(Ok(()))
    }

    async fn send_control(&mut self, opcode: OpCode, data: &[u8]) -> Result<(), Error> {
        if data.len() > MAX_CONTROL_PAYLOAD_BYTES {
            return Err(Error::ControlPayloadTooLong { len: data.len() });
        }
        let mut w = self.lock_for_send().await?;
        let Writer { buf, proto, .. } = &mut *w;
        proto.encode_control(opcode, data, buf);
        self.drain(w).await
    }

    async fn lock_for_send(&self) -> Result<MutexGuard<'_, Writer>, Error> {
        // `lock` tries first too; taking a free lock directly skips setting up and
        // dropping its waiting future.
        let w = match self.shared.writer.try_lock() {
            Some(w) => w,
            None => self.shared.writer.lock().await,
        };
        if self.shared.can_send() {
            Ok(w)
        } else {
            Err(Error::Closed)
        }
    }

    /// Writes the header and then the payload from the caller's buffer.
    async fn write_direct(
        &self,
        mut w: MutexGuard<'_, Writer>,
        header: &codec::Header,
        payload: &[u8],
    ) -> Result<(), Error> {
        // First write out what is queued (and any control frames), so the header follows
        // whole frames.
        // (Each step is scoped so that its state is gone before the next one: this future
        // is part of every caller's future that sends.)
        let shared = &*self.shared;
        {
            let mut sleep = self.sleep();
            poll_fn(|cx| timed(cx, &mut sleep, |cx| w.poll_drain(cx, shared)))
                .await
                .map_err(|e| self.io_failed(e))?;
        }
        {
            let mut frame = PayloadWrite::new(&mut w, shared, header, payload);
            let mut sleep = self.sleep();
            let written = poll_fn(|cx| timed(cx, &mut sleep, |cx| frame.poll_write(cx))).await;
            if let Err(e) = written {
                frame.abandon();
                return Err(self.io_failed(e));
            }
        }
        self.drain(w).await
    }

    /// Writes everything queued, releases the lock, then writes control frames queued while
    /// we held it (see the module docs of `shared`).
    async fn drain(&self, mut w: MutexGuard<'_, Writer>) -> Result<(), Error> {
        let shared = &*self.shared;
        let mut sleep = self.sleep();
        poll_fn(|cx| timed(cx, &mut sleep, |cx| w.poll_drain(cx, shared)))
            .await
            .map_err(|e| self.io_failed(e))?;
        drop(w);
        poll_fn(|cx| std::task::Poll::Ready(shared.poll_opportunistic_flush(cx))).await
    }

    fn io_failed(&self, e: io::Error) -> Error {
        self.shared.mark_failed();
        if e.kind() == io::ErrorKind::TimedOut && self.send_timeout.is_some() {
            Error::SendTimeout
        } else {
            Error::Io(e)
        }
    }

    /// A fresh send-timeout sleep, if a send timeout is set.
    fn sleep(&self) -> Option<Sleep> {
        self.send_timeout.as_ref().map(|(timer, d)| timer.sleep(*d))
    }
}

/// Whether a message may be left in the write buffer for a larger write.
#[derive(Debug, Clone, Copy)]
enum Batch {
    /// A send: only while the receiver, in the same task, holds pipelined input (see the
    /// module docs of `shared`).
    IfPipelined,
    /// A feed: until the batch is full.
    Always,
}

/// How far a one-step send ([`Sender::send_now`], [`Sender::feed_now`]) got.
enum Now<'a> {
    /// The message was sent (or corked), or failed.
    Done(Result<(), Error>),
    /// Encoded; the write is waiting for the socket.
    WritePending(MutexGuard<'a, Writer>),
    /// Corked, but the receiver ran out of input meanwhile: write it (never from `flush` or
    /// `feed`).
    Uncorked,
    /// The writer is busy: take the general path, which waits for it.
    Contended,
}

/// Polls `write`, failing with `TimedOut` once `sleep` (if any) completes first.
fn timed(
    cx: &mut Context<'_>,
    sleep: &mut Option<Sleep>,
    mut write: impl FnMut(&mut Context<'_>) -> Poll<io::Result<()>>,
) -> Poll<io::Result<()>> {
    if let Poll::Ready(r) = write(cx) {
        return Poll::Ready(r);
    }
    match sleep.as_mut().map(|s| Pin::new(s).poll(cx)) {
        Some(Poll::Ready(())) => Poll::Ready(Err(io::ErrorKind::TimedOut.into())),
        _ => Poll::Pending,
    }
}
