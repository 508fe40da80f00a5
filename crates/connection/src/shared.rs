//! The state the [`crate::Sender`] and [`crate::Receiver`] share: the socket, the frames
//! waiting to be written, and the close state.
//!
//! # Design
//! The socket sits in a `std` mutex that each half holds for one `poll_read`, `poll_write`,
//! `poll_flush` or `poll_close` call, never across an await: the halves take turns on the stream without
//! waiting for each other's I/O, which never blocks. (This is how `tokio::io::split` shares
//! a stream too. It replaced `futures::io::split`, whose `BiLock` kept the stream in an
//! allocation of its own: see `Shared::with_io` for what that cost.)
//!
//! Writes go through one async mutex ([`futures::lock::Mutex`]) around [`Writer`]. Only the
//! holder writes to the socket, so frames never interleave and two tasks never overwrite
//! each other's write waker. The sender takes the lock for each message (one uncontended
//! atomic operation).
//!
//! The receiver must answer pings and close frames even when the application never sends.
//! It never waits for the lock to do so: it queues the answer in [`Control`] (a `std` mutex
//! held for a few instructions) and then *tries* the lock. If the sender holds it, the
//! sender writes the queued answer after its current frame, and re-checks the queue after
//! releasing the lock, so an answer queued at the last moment is not stranded. The receiver
//! therefore keeps reading while a large send is blocked, and two peers that both send
//! bulk data while pinging cannot deadlock on each other's unread pongs.
//!
//! # Coalescing pipelined replies
//! A server that answers each message as it arrives would make one `write` per reply. When
//! the peer pipelines, the receiver often returns a message while more input is already
//! buffered; replies sent then (by the same task) are *corked*: left in the write buffer,
//! up to [`MAX_CORKED_MESSAGES`] messages and [`MAX_CORKED_BYTES`], and written all at once
//! when the receiver runs out of buffered input and is about to read the socket again (or
//! by the next send that does not cork, [`crate::Sender::flush`], or a close). A lone
//! message is never delayed: with nothing buffered, `send` writes at once.
//!
//! Two flags carry this, always accessed with `SeqCst` so that one side sees the other's
//! update: `more_input` (set by the receiver when it returns an event with bytes left over,
//! cleared before it reads the socket) and `corked` (set by a sender that left bytes
//! unwritten, cleared once the buffer is written out). A sender corks only if the receiver
//! last returned in the *same task* (its waker has the same data and vtable, the
//! comparison [`std::task::Waker::will_wake`] makes): a
//! receiver in another task may be busy elsewhere for a long time, and must not hold back
//! this task's messages. After corking, the sender re-checks `more_input` once it released
//! the lock; if the receiver drained its input in the meantime, the sender writes the bytes
//! itself. So whichever of the two moves last sees the other's flag, and corked bytes never
//! wait for input that is not coming.
//!
//! A partly written frame is always completed before anything else is written: control
//! frames are taken from the queue only when the write buffer is empty, and a cancelled
//! vectored send moves the rest of its payload into the buffer (see [`PayloadWrite`]).

use std::{
    io,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering},
        Mutex, PoisonError,
    },
    task::{Context, Poll, Waker},
};

use bytes::{Buf, BytesMut};
use codec::{encode_close_payload, CloseCode, Header, Mode, OpCode, MAX_HEADER_BYTES};
use futures::{ready, AsyncRead, AsyncWrite};

use crate::{proto::Sending, Error};

/// The most write-buffer capacity kept between messages; larger buffers are freed once
/// written, so a burst of large messages does not pin memory on an idle connection.
const MAX_IDLE_WRITE_BUFFER_BYTES: usize = 4 * 1024;

/// The most bytes a sender leaves unwritten while the receiver has more input buffered (see
/// the module docs); beyond it, a send writes everything.
pub(crate) const MAX_CORKED_BYTES: usize = 64 * 1024;

/// The most messages a sender leaves unwritten while the receiver has more input buffered,
/// or that `feed_*` queues: the send that would leave one more writes them all. Replies then
/// start on their way while the rest of a long pipelined batch is processed, so the peer can
/// read them and send more in parallel, at the cost of one more write per this many
/// messages. In `cargo xtask bench` (one connection, 16-byte messages, 64 in flight)
/// unbounded corking made one write per 64 replies and echoed 0.83-1.07M messages/s with a
/// median round trip of 51-68 µs; writing every 32 messages echoed 1.28-1.42M/s at 39-40 µs
/// (every 16: the server's core saturates with writes, 1.12-1.41M/s; every 48:
/// 0.90-1.07M/s). A client feeding 64 at a time went from 0.86-1.05M/s to 1.17-1.45M/s. The
/// price shows when both ends are saturated: with 64 such connections the server spent 0.47
/// instead of 0.36 µs of CPU per message, and echoed 1.9-2.0M instead of 2.2-2.4M/s.
pub(crate) const MAX_CORKED_MESSAGES: u32 = 32;

/// A close frame was queued or written by us: nothing may be sent after it.
const CLOSE_SENT: u8 = 1;
/// The peer's close frame arrived.
const CLOSE_RECEIVED: u8 = 2;
/// The connection failed (protocol error or I/O error): the write side shuts down.
const FAILED: u8 = 4;
/// The write side has been shut down.
const SHUT_DOWN: u8 = 8;

/// Control frames the receiver wants written. At most one pong and one close are kept:
/// RFC 6455 §5.5.3 lets an endpoint answer only the most recent of several pings.
#[derive(Debug, Default)]
struct Control {
    pong: Option<Vec<u8>>,
    ping: Option<Vec<u8>>,
    close: Option<Vec<u8>>,
}

/// What identifies the task a waker wakes: the same comparison as [`Waker::will_wake`],
/// kept as plain numbers so that checking it needs no lock and no clone. A stale value
/// (a task that ended) only makes a send write at once instead of corking.
fn task_id(waker: &Waker) -> [usize; 2] {
    [
        waker.data() as usize,
        std::ptr::from_ref(waker.vtable()) as usize,
    ]
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct Shared<T> {
    /// The socket; see the module docs.
    io: Mutex<T>,
    pub(crate) writer: futures::lock::Mutex<Writer>,
    control: Mutex<Control>,
    control_pending: AtomicBool,
    state: AtomicU8,
    mode: Mode,
    /// The receiver returned an event and still holds unprocessed input.
    more_input: AtomicBool,
    /// The task the receiver last returned such an event in, as its waker's data and
    /// vtable addresses (what [`Waker::will_wake`] compares). Only compared, never used.
    receiver_task: [AtomicUsize; 2],
    /// A sender left bytes in the write buffer for a later, larger write.
    corked: AtomicBool,
    /// A write returned `Pending` with bytes still in the buffer.
    write_stalled: AtomicBool,
}

/// Everything queued for writing, and the right to write it (see the module docs).
#[derive(Debug)]
pub(crate) struct Writer {
    /// Encoded bytes not yet written, always whole frames (or the tail of one).
    pub(crate) buf: BytesMut,
    pub(crate) proto: Sending,
    /// How many messages senders corked in `buf` since it was last written out.
    pub(crate) corked_messages: u32,
}

impl<T> Shared<T> {
    pub(crate) fn new(io: T, proto: Sending, mode: Mode) -> Self {
        Self {
            io: Mutex::new(io),
            writer: futures::lock::Mutex::new(Writer {
                buf: BytesMut::new(),
                proto,
                corked_messages: 0,
            }),
            control: Mutex::new(Control::default()),
            control_pending: AtomicBool::new(false),
            state: AtomicU8::new(0),
            mode,
            more_input: AtomicBool::new(false),
            receiver_task: [AtomicUsize::new(0), AtomicUsize::new(0)],
            corked: AtomicBool::new(false),
            write_stalled: AtomicBool::new(false),
        }
    }

    /// The receiver is returning an event while more input is buffered, in the task `waker`
    /// belongs to.
    pub(crate) fn note_more_input(&self, waker: &Waker) {
        let [data, vtable] = task_id(waker);
        self.receiver_task[0].store(data, Ordering::Relaxed);
        self.receiver_task[1].store(vtable, Ordering::Relaxed);
        self.more_input.store(true, Ordering::SeqCst);
    }

    /// The receiver has no input left to process (or is gone).
    pub(crate) fn input_drained(&self) {
        self.more_input.store(false, Ordering::SeqCst);
    }

    /// Whether the receiver still holds input, having last returned in `waker`'s task.
    pub(crate) fn more_input_in_task(&self, waker: &Waker) -> bool {
        // The SeqCst load orders the two relaxed loads after the receiver's stores.
        self.more_input.load(Ordering::SeqCst)
            && task_id(waker)
                == [
                    self.receiver_task[0].load(Ordering::Relaxed),
                    self.receiver_task[1].load(Ordering::Relaxed),
                ]
    }

    /// Whether the receiver still holds input (in any task).
    pub(crate) fn more_input(&self) -> bool {
        self.more_input.load(Ordering::SeqCst)
    }

    /// A sender leaves its bytes in the write buffer.
    pub(crate) fn cork(&self) {
        self.corked.store(true, Ordering::SeqCst);
    }

    fn has(&self, bit: u8) -> bool {
        self.state.load(Ordering::Acquire) & bit != 0
    }

    fn set(&self, bit: u8) -> u8 {
        self.state.fetch_or(bit, Ordering::AcqRel)
    }

    /// Whether data may still be sent.
    pub(crate) fn can_send(&self) -> bool {
        !self.has(CLOSE_SENT | FAILED)
    }

    fn control(&self) -> std::sync::MutexGuard<'_, Control> {
        // The queue holds plain data; a panic while it was locked leaves it usable.
        self.control.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a pong answering a ping with `payload`, replacing an unanswered older one.
    pub(crate) fn queue_pong(&self, payload: &[u8]) {
        if self.has(CLOSE_SENT | FAILED) {
            return;
        }
        self.control().pong = Some(payload.to_vec());
        self.control_pending.store(true, Ordering::Release);
    }

    /// Queues a keepalive ping.
    pub(crate) fn queue_ping(&self, payload: &[u8]) {
        if self.has(CLOSE_SENT | FAILED) {
            return;
        }
        self.control().ping = Some(payload.to_vec());
        self.control_pending.store(true, Ordering::Release);
    }

    /// Whether we sent (or queued) our close frame.
    pub(crate) fn close_sent(&self) -> bool {
        self.has(CLOSE_SENT)
    }

    /// Records the peer's close and queues our answer, echoing its code (RFC 6455 §5.5.1:
    /// "the endpoint typically echos the status code it received"), unless we already sent
    /// a close. A close without a code is answered with an empty close.
    pub(crate) fn on_close_received(&self, code: CloseCode) {
        let before = self.set(CLOSE_RECEIVED);
        if before & (CLOSE_SENT | FAILED) == 0 && self.set(CLOSE_SENT) & CLOSE_SENT == 0 {
            let mut payload = Vec::new();
            if code != CloseCode::NO_STATUS {
                encode_close_payload(code, "", &mut payload);
            }
            self.queue_close(payload);
        }
    }

    /// Fails the connection: queues a close frame with `code` (if none was sent yet); the
    /// write side shuts down once it is written.
    pub(crate) fn fail(&self, code: Option<CloseCode>) {
        let before = self.set(FAILED);
        if let Some(code) = code {
            if before & CLOSE_SENT == 0 && self.set(CLOSE_SENT) & CLOSE_SENT == 0 {
                let mut payload = Vec::new();
                encode_close_payload(code, "", &mut payload);
                self.queue_close(payload);
            }
        }
    }

    /// Marks the connection failed without sending anything (the socket itself failed).
    pub(crate) fn mark_failed(&self) {
        self.set(FAILED);
    }

    /// Claims the right to send our close frame; false if one was already sent or queued.
    pub(crate) fn claim_close(&self) -> bool {
        self.set(CLOSE_SENT) & CLOSE_SENT == 0
    }

    fn queue_close(&self, payload: Vec<u8>) {
        self.control().close = Some(payload);
        self.control_pending.store(true, Ordering::Release);
    }

    /// Whether control frames are waiting to be written.
    pub(crate) fn control_pending(&self) -> bool {
        self.control_pending.load(Ordering::Acquire)
    }

    /// Runs one poll of the socket, holding its lock only for that call (see the module
    /// docs). Uncontended, this is one compare-and-swap and one swap, inlined. With
    /// `futures::io::split` instead, an echo server (one connection, 16-byte messages, four
    /// socket calls per message) ran 3882 user-space instructions per message in `callgrind`
    /// against 3772 with this, and an idle connection held 0.17 KiB more. (`inline(always)`:
    /// as a call, with the socket's whole poll inlined into it, its entry and exit cost that
    /// echo server 41 instructions per message, 3508 against 3467.)
    #[inline(always)]
    fn with_io<R>(&self, poll: impl FnOnce(Pin<&mut T>) -> R) -> R
    where
        T: Unpin,
    {
        // A panic inside a poll propagates to its caller; the stream stays usable for the
        // other half, as it would have been had the panic come after the poll.
        let mut io = self.io.lock().unwrap_or_else(PoisonError::into_inner);
        poll(Pin::new(&mut *io))
    }
}

impl<T: AsyncRead + Unpin> Shared<T> {
    /// Reads from the socket (for the receiver).
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.with_io(|io| io.poll_read(cx, buf))
    }
}

impl<T: AsyncWrite + Unpin> Shared<T> {
    /// Writes queued bytes if the writer is free, without waiting for it or for the socket.
    /// Used by the receiver between reads and by the sender after releasing the lock.
    pub(crate) fn poll_opportunistic_flush(&self, cx: &mut Context<'_>) -> Result<(), Error> {
        // Bytes left behind by a write that could not finish (a pong to a peer that is not
        // reading) are carried on by whoever polls next.
        if !self.control_pending() && !self.write_stalled.load(Ordering::SeqCst) {
            return Ok(());
        }
        self.try_drain(cx)
    }

    /// Writes corked bytes if the writer is free, without waiting for the socket. The
    /// receiver calls it when it has no input left, just before reading the socket.
    pub(crate) fn poll_uncork(&self, cx: &mut Context<'_>) -> Result<(), Error> {
        self.input_drained();
        if !self.corked.load(Ordering::SeqCst) {
            return Ok(());
        }
        // If the lock is taken, its holder writes the buffer: a sender that takes it now
        // sees `more_input` false and does not cork.
        self.try_drain(cx)
    }

    /// Drains the writer if nobody holds it, without waiting for the socket (a `Pending`
    /// write leaves `write_stalled` set for the next poll). A write error fails the
    /// connection.
    fn try_drain(&self, cx: &mut Context<'_>) -> Result<(), Error> {
        if let Some(mut w) = self.writer.try_lock() {
            if let Poll::Ready(Err(e)) = w.poll_drain(cx, self) {
                self.mark_failed();
                return Err(e.into());
            }
        }
        Ok(())
    }

    /// Moves queued control frames into the write buffer. Call only when the buffer is
    /// empty, so a control frame never lands inside another frame.
    fn pull_control(&self, w: &mut Writer) {
        if !self.control_pending.swap(false, Ordering::AcqRel) {
            return;
        }
        let (pong, ping, close) = {
            let mut c = self.control();
            (c.pong.take(), c.ping.take(), c.close.take())
        };
        if let Some(p) = pong {
            w.proto.encode_control(OpCode::Pong, &p, &mut w.buf);
        }
        if let Some(p) = ping {
            w.proto.encode_control(OpCode::Ping, &p, &mut w.buf);
        }
        if let Some(p) = close {
            w.proto.encode_control(OpCode::Close, &p, &mut w.buf);
        }
    }

    /// Whether the write side should be shut down once everything queued is written: after
    /// a failure, and for a server once the close handshake is complete (RFC 6455 §7.1.1:
    /// "the server SHOULD close the underlying TCP connection first").
    fn wants_shutdown(&self) -> bool {
        let s = self.state.load(Ordering::Acquire);
        if s & SHUT_DOWN != 0 || s & CLOSE_SENT == 0 && s & FAILED == 0 {
            return false;
        }
        s & FAILED != 0 || (self.mode == Mode::Server && s & CLOSE_RECEIVED != 0)
    }
}

impl Writer {
    /// Writes everything queued (including control frames from the receiver), flushes, and
    /// shuts the write side down when the connection is finished.
    pub(crate) fn poll_drain<T: AsyncWrite + Unpin>(
        &mut self,
        cx: &mut Context<'_>,
        shared: &Shared<T>,
    ) -> Poll<io::Result<()>> {
        loop {
            if self.buf.is_empty() {
                shared.pull_control(self);
                if self.buf.is_empty() {
                    break;
                }
            }
            let n = match shared.with_io(|io| io.poll_write(cx, &self.buf)) {
                Poll::Ready(result) => result?,
                Poll::Pending => {
                    // Left for the next poll of whichever half: see `poll_opportunistic_flush`.
                    shared.write_stalled.store(true, Ordering::SeqCst);
                    return Poll::Pending;
                }
            };
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            if n == self.buf.len() {
                // Not `advance`: a buffer cleared from its start keeps all its room, where
                // an advanced one has to move back to its start the next time it grows.
                self.buf.clear();
            } else {
                self.buf.advance(n);
            }
        }
        shared.corked.store(false, Ordering::SeqCst);
        self.corked_messages = 0;
        shared.write_stalled.store(false, Ordering::SeqCst);
        if self.buf.capacity() > MAX_IDLE_WRITE_BUFFER_BYTES {
            // Give back the memory of a large message once it is written.
            self.buf = BytesMut::new();
        }
        ready!(shared.with_io(|io| io.poll_flush(cx)))?;
        if shared.wants_shutdown() {
            ready!(shared.with_io(|io| io.poll_close(cx)))?;
            shared.set(SHUT_DOWN);
        }
        Poll::Ready(Ok(()))
    }
}

/// A frame whose payload is written straight from the caller's buffer (vectored), with its
/// header at the end of the writer's buffer.
///
/// If the future writing it is dropped before the payload is out, `Drop` copies the rest of
/// the payload into the writer's buffer, so the frame is completed by the next write and the
/// stream is never left with half a frame. After a failed write it copies nothing: the
/// connection is dead, and the copy would only double the memory a large message holds.
pub(crate) struct PayloadWrite<'a, T> {
    pub(crate) writer: &'a mut Writer,
    shared: &'a Shared<T>,
    payload: &'a [u8],
    written: usize,
    /// A write failed: the rest of the payload will never be sent.
    failed: bool,
}

impl<'a, T: AsyncWrite + Unpin> PayloadWrite<'a, T> {
    pub(crate) fn new(
        writer: &'a mut Writer,
        shared: &'a Shared<T>,
        header: &Header,
        payload: &'a [u8],
    ) -> Self {
        let mut h = [0; MAX_HEADER_BYTES];
        let n = header.encode_to_array(&mut h);
        writer.buf.extend_from_slice(&h[..n]);
        Self {
            writer,
            shared,
            payload,
            written: 0,
            failed: false,
        }
    }

    pub(crate) fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = self.poll_write_inner(cx);
        if let Poll::Ready(Err(_)) = result {
            self.failed = true;
        }
        result
    }

    fn poll_write_inner(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.payload.len() {
            let rest = &self.payload[self.written..];
            let n = if self.writer.buf.is_empty() {
                ready!(self.shared.with_io(|io| io.poll_write(cx, rest)))?
            } else {
                let bufs = [io::IoSlice::new(&self.writer.buf), io::IoSlice::new(rest)];
                ready!(self.shared.with_io(|io| io.poll_write_vectored(cx, &bufs)))?
            };
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            let from_buf = n.min(self.writer.buf.len());
            self.writer.buf.advance(from_buf);
            self.written += n - from_buf;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T> PayloadWrite<'_, T> {
    /// Gives the frame up (the connection is being failed): nothing more of it is kept.
    pub(crate) fn abandon(&mut self) {
        self.failed = true;
        self.writer.buf = BytesMut::new();
    }
}

impl<T> Drop for PayloadWrite<'_, T> {
    fn drop(&mut self) {
        if !self.failed && self.written < self.payload.len() {
            self.writer
                .buf
                .extend_from_slice(&self.payload[self.written..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::task::noop_waker_ref;

    use super::*;

    /// A socket that takes `room` bytes, then is pending (`fail` false) or reset by the peer.
    #[derive(Debug)]
    struct Socket {
        room: usize,
        fail: bool,
    }

    impl futures::AsyncRead for Socket {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Pending
        }
    }

    impl AsyncWrite for Socket {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            match (self.room, self.fail) {
                (0, false) => Poll::Pending,
                (0, true) => Poll::Ready(Err(io::ErrorKind::ConnectionReset.into())),
                (room, _) => {
                    let n = room.min(buf.len());
                    self.room -= n;
                    Poll::Ready(Ok(n))
                }
            }
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// Starts writing a 1 MiB frame to `socket` and drops the write after one poll; returns
    /// how the poll ended and the bytes left in the writer's buffer.
    fn write_then_drop(socket: Socket) -> (Poll<io::Result<()>>, usize) {
        let proto = Sending::new(Mode::Server, usize::MAX, None, Some(1));
        let shared = Shared::new(socket, proto, Mode::Server);
        let mut writer = shared.writer.try_lock().expect("nobody else holds it");
        let payload = vec![7; 1 << 20];
        let mut header = Header::new(OpCode::Binary);
        header.set_payload_len(payload.len() as u64);
        let mut frame = PayloadWrite::new(&mut writer, &shared, &header, &payload);
        let poll = frame.poll_write(&mut Context::from_waker(noop_waker_ref()));
        drop(frame);
        (poll, writer.buf.len())
    }

    #[test]
    fn cancelled_payload_write_keeps_the_rest_of_the_frame() {
        let (poll, buffered) = write_then_drop(Socket {
            room: 1000,
            fail: false,
        });
        assert!(poll.is_pending());
        // The header (10 bytes) and 990 payload bytes went out; the rest waits for the next
        // write.
        assert_eq!(buffered, (1 << 20) - 990);
    }

    #[test]
    fn failed_payload_write_does_not_copy_the_rest_of_the_payload() {
        let (poll, buffered) = write_then_drop(Socket {
            room: 1000,
            fail: true,
        });
        assert!(matches!(poll, Poll::Ready(Err(_))));
        assert_eq!(buffered, 0);
    }
}
