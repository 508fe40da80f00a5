//! How much memory an idle connection holds after traffic, measured with a counting
//! allocator (its own test binary, because the allocator is global).
//!
//! Run `cargo test -p sockeye-connection --test memory -- --nocapture` to see the figures.
#![allow(clippy::print_stdout)] // The figures are the point of this test.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    pin::Pin,
    sync::{
        atomic::{AtomicIsize, Ordering},
        Mutex,
    },
    task::{Context, Poll},
};

use futures::{task::noop_waker_ref, AsyncRead, AsyncWrite, Future};
use sockeye_connection::{Builder, IncomingRef, Mode, Receiver, Sender};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method forwards to the system allocator unchanged and only counts sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The count is global: the tests take turns.
static SERIAL: Mutex<()> = Mutex::new(());

/// A stream that serves prepared bytes (then stays pending) and discards writes, so it
/// allocates nothing while the connection runs.
#[derive(Debug)]
struct Script {
    input: Vec<u8>,
    pos: usize,
}

impl AsyncRead for Script {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.pos == self.input.len() {
            return Poll::Pending;
        }
        let n = buf.len().min(self.input.len() - self.pos);
        buf[..n].copy_from_slice(&self.input[self.pos..self.pos + n]);
        self.pos += n;
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for Script {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut header = codec::Header::new(codec::OpCode::Binary);
    header
        .set_mask(Some([1, 2, 3, 4]))
        .set_payload_len(payload.len() as u64);
    let mut out = Vec::new();
    header.encode(&mut out);
    out[0] = first;
    let from = out.len();
    out.extend_from_slice(payload);
    codec::apply_mask(&mut out[from..], [1, 2, 3, 4]);
    out
}

fn poll_once<F: Future>(f: F) -> Poll<F::Output> {
    let mut f = Box::pin(f);
    f.as_mut().poll(&mut Context::from_waker(noop_waker_ref()))
}

/// Polls `f` a few times: the receiver yields once in a while (waking itself) while a large
/// message arrives, as an executor would poll it again.
fn poll_a_few<F: Future>(f: F) -> Poll<F::Output> {
    let mut f = Box::pin(f);
    for _ in 0..32 {
        if let Poll::Ready(r) = f.as_mut().poll(&mut Context::from_waker(noop_waker_ref())) {
            return Poll::Ready(r);
        }
    }
    Poll::Pending
}

/// Ten 1 KiB messages, a 1 MiB message and a ping, as a client sends them.
fn traffic() -> Script {
    let mut input = Vec::new();
    for _ in 0..10 {
        input.extend(masked(0x82, &[7; 1024]));
    }
    input.extend(masked(0x82, &vec![9; 1 << 20]));
    input.extend(masked(0x89, b"ping"));
    Script { input, pos: 0 }
}

/// A server connection over a stream that allocates nothing. Measured: 320 heap bytes when
/// built, 360 idle after traffic (the shared state, which holds the stream, and a small
/// write buffer; the read buffer and large message buffers are given back), plus 512 bytes
/// of `Sender` + `Receiver`: about 870 bytes in all. (While the stream was split with
/// `futures::io::split`, whose halves share an allocation of their own: 336, 379 and 520.)
#[test]
fn idle_connection_after_traffic_holds_under_1_kib() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let script = traffic();
    // Receivers read through one scratch buffer per thread (allocated once, never per
    // connection): let a first connection on this thread allocate it before counting.
    {
        let warm_up = Script {
            input: masked(0x82, b"warm up"),
            pos: 0,
        };
        let (_tx, mut rx): (Sender<Script>, Receiver<Script>) =
            Builder::new(warm_up, Mode::Server).finish();
        assert!(matches!(
            poll_once(rx.receive_data(&mut Vec::new())),
            Poll::Ready(Ok(_))
        ));
    }

    let before = LIVE.load(Ordering::Relaxed);
    let (mut tx, mut rx): (Sender<Script>, Receiver<Script>) =
        Builder::new(script, Mode::Server).finish();
    let built = LIVE.load(Ordering::Relaxed) - before;
    for _ in 0..11 {
        let mut msg = Vec::new();
        assert!(matches!(
            poll_a_few(rx.receive_data(&mut msg)),
            Poll::Ready(Ok(_))
        ));
    }
    // The ping is answered and the stream then has nothing more: the receiver goes idle.
    assert!(poll_a_few(rx.receive_data(&mut Vec::new())).is_pending());
    assert!(matches!(
        poll_once(tx.send_binary(vec![5u8; 100_000])),
        Poll::Ready(Ok(()))
    ));
    assert!(matches!(
        poll_once(tx.send_text("small")),
        Poll::Ready(Ok(()))
    ));
    let idle = LIVE.load(Ordering::Relaxed) - before;
    let structs = std::mem::size_of::<Sender<Script>>() + std::mem::size_of::<Receiver<Script>>();
    println!("connection: {built} heap bytes when built, {idle} heap bytes idle after traffic, plus {structs} bytes of Sender + Receiver");
    assert!(
        idle as usize + structs < 1024,
        "idle connection holds {idle} + {structs} bytes"
    );
    drop((tx, rx));
}

/// The same traffic through `receive_ref`: each idle connection holds under 1 KiB too. The
/// input buffer it read into went back to the thread's pool, where the next connection
/// takes it, so a second connection adds only its own state.
#[test]
fn idle_connections_after_lent_traffic_hold_under_1_kib_each() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let lent = |script: Script| {
        let (mut tx, mut rx): (Sender<Script>, Receiver<Script>) =
            Builder::new(script, Mode::Server).finish();
        let mut sizes = Vec::new();
        for _ in 0..11 {
            match poll_a_few(rx.receive_ref()) {
                Poll::Ready(Ok(IncomingRef::Binary(b))) => sizes.push((b.len(), b[b.len() - 1])),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(sizes[0], (1024, 7));
        assert_eq!(sizes[10], (1 << 20, 9));
        assert!(poll_a_few(rx.receive_ref()).is_pending());
        assert!(matches!(
            poll_once(tx.send_text("small")),
            Poll::Ready(Ok(()))
        ));
        (tx, rx)
    };
    // The first connection on this thread leaves its buffer in the pool.
    let first = lent(traffic());
    // Made before counting, as the stream's bytes are not the connection's.
    let script = traffic();
    let before = LIVE.load(Ordering::Relaxed);
    let second = lent(script);
    let idle = LIVE.load(Ordering::Relaxed) - before;
    let structs = std::mem::size_of::<Sender<Script>>() + std::mem::size_of::<Receiver<Script>>();
    println!("connection after receive_ref traffic: {idle} heap bytes idle, plus {structs} bytes of Sender + Receiver");
    assert!(
        idle as usize + structs < 1024,
        "idle connection holds {idle} + {structs} bytes"
    );
    drop((first, second));
}

/// The futures of the calls an application keeps in flight: they are part of its task, so
/// they count towards every connection's memory (a task is as large as its largest state).
/// Measured (debug and release builds alike): `send_binary` 224 bytes, `send_text` 248,
/// `feed_binary` 224, `flush` 168, `receive_ref` 120, `receive` 136. A send path with its waiting states
/// inline had made `send_binary` 280 and the echo server's idle connections 0.13 KiB
/// larger (`cargo xtask bench --only idle`: 3.76 against 3.63 KiB).
#[test]
fn send_and_receive_futures_stay_small() {
    // It allocates too, which the other tests would count.
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let script = Script {
        input: Vec::new(),
        pos: 0,
    };
    let (mut tx, mut rx): (Sender<Script>, Receiver<Script>) =
        Builder::new(script, Mode::Server).finish();
    let send = std::mem::size_of_val(&tx.send_binary([0u8; 4]));
    let send_text = std::mem::size_of_val(&tx.send_text("x"));
    let feed = std::mem::size_of_val(&tx.feed_binary([0u8; 4]));
    let flush = std::mem::size_of_val(&tx.flush());
    let receive_ref = std::mem::size_of_val(&rx.receive_ref());
    let mut message = Vec::new();
    let receive = std::mem::size_of_val(&rx.receive(&mut message));
    println!(
        "futures: send_binary {send}, send_text {send_text}, feed_binary {feed}, flush {flush}, \
         receive_ref {receive_ref}, receive {receive} bytes"
    );
    for (what, size) in [
        ("send_binary", send),
        ("send_text", send_text),
        ("feed_binary", feed),
        ("flush", flush),
        ("receive_ref", receive_ref),
        ("receive", receive),
    ] {
        assert!(size <= 256, "{what}'s future is {size} bytes");
    }
}
