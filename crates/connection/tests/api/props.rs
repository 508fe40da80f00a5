//! Property tests through the whole async stack: `Sender` → in-memory pipe → `Receiver`.
//!
//! The pipe delivers bytes in pieces of random sizes, with a `Pending` now and then, so frame
//! boundaries fall anywhere in a read. Random messages must arrive exactly; random bytes must
//! end in messages or an error, never a panic or a hang.
//!
//! Each case runs on a current-thread tokio runtime with paused time: if the connection
//! stalls, the runtime goes idle, time jumps to the guard timeout at once and the case fails
//! (no wall-clock time is measured).

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use futures::{AsyncRead, AsyncWrite};
use proptest::{collection::vec, prelude::*};
use sockeye_connection::{Builder, Data, Error, Incoming, IncomingRef, Mode, Receiver};
use tokio::io::AsyncWriteExt;
use tokio_util::compat::TokioAsyncReadCompatExt;

use super::util::Io;

/// How long a case may take in (paused, virtual) time before it counts as a hang.
const HANG_GUARD: Duration = Duration::from_secs(600);

/// A stream whose reads return at most the next size from `sizes` (cycled), returning
/// `Pending` (and waking itself) before every `pending_every`-th read.
#[derive(Debug)]
struct Chunked {
    inner: Io,
    sizes: Vec<usize>,
    next: usize,
    pending_every: usize,
    reads: usize,
}

impl Chunked {
    fn new(inner: Io, sizes: Vec<usize>, pending_every: usize) -> Self {
        Self {
            inner,
            sizes,
            next: 0,
            pending_every: pending_every.max(1),
            reads: 0,
        }
    }
}

impl AsyncRead for Chunked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        this.reads += 1;
        if this.reads % this.pending_every == 0 {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let size = this.sizes[this.next % this.sizes.len()].max(1);
        let len = buf.len().min(size);
        let poll = Pin::new(&mut this.inner).poll_read(cx, &mut buf[..len]);
        if poll.is_ready() {
            this.next += 1;
        }
        poll
    }
}

impl AsyncWrite for Chunked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// Runs `f` on a current-thread runtime with paused time, failing if it stalls.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime")
        .block_on(async {
            tokio::time::timeout(HANG_GUARD, f)
                .await
                .expect("the connection stalled")
        })
}

/// A message as the test sends it.
#[derive(Debug, Clone)]
enum Sent {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
}

fn sent() -> impl Strategy<Value = Sent> {
    // Mostly small, sometimes past the 16-bit length form.
    let size = prop_oneof![8 => 0..300usize, 1 => 0..70_000usize];
    prop_oneof![
        3 => size.clone().prop_flat_map(|n| vec(any::<char>(), n / 3))
            .prop_map(|chars| Sent::Text(chars.into_iter().collect())),
        3 => size.prop_flat_map(|n| vec(any::<u8>(), n)).prop_map(Sent::Binary),
        1 => vec(any::<u8>(), 0..=125).prop_map(Sent::Ping),
    ]
}

/// Frames a peer might send a server: random opcode, FIN and RSV bits, mostly masked, with a
/// random payload; sometimes valid, mostly not.
fn raw_frame() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<u8>(),
        prop::bool::weighted(0.9),
        any::<[u8; 4]>(),
        vec(any::<u8>(), 0..200),
    )
        .prop_map(|(first, masked, key, payload)| {
            // Bias towards known opcodes and no RSV bits, so that frames get past the header.
            let first = if first & 0x70 == 0x70 {
                first
            } else {
                first & 0x8f
            };
            let mut out = vec![first];
            let mask_bit = if masked { 0x80 } else { 0 };
            if payload.len() < 126 {
                out.push(mask_bit | payload.len() as u8);
            } else {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
            }
            if masked {
                out.extend_from_slice(&key);
            }
            out.extend(
                payload
                    .iter()
                    .enumerate()
                    .map(|(i, b)| if masked { b ^ key[i % 4] } else { *b }),
            );
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_messages_arrive_exactly_over_a_chunked_pipe(
        messages in vec(sent(), 1..8),
        frame_size in prop_oneof![Just(usize::MAX), 1..300usize],
        sizes in vec(1..200usize, 1..8),
        pending_every in 2..10usize,
        seed in any::<u64>(),
        lend in vec(any::<bool>(), 1..8),
    ) {
        let received = block_on(async {
            let (a, b) = tokio::io::duplex(1 << 16);
            let mut client = Builder::new(a.compat(), Mode::Client);
            client.set_outgoing_frame_size(frame_size).set_mask_seed(seed);
            let (mut ctx, mut crx) = client.finish();
            let server = Chunked::new(b.compat(), sizes, pending_every);
            let (_stx, mut srx) = Builder::new(server, Mode::Server).finish();

            let send = async {
                for m in &messages {
                    match m {
                        Sent::Text(t) => ctx.send_text(t).await,
                        Sent::Binary(b) => ctx.send_binary(b).await,
                        Sent::Ping(p) => ctx.send_ping(p).await,
                    }
                    .expect("send");
                }
                ctx.close().await.expect("close");
                // The client's receiver answers nothing here but must read the server's
                // pongs and its close reply.
                let mut buf = Vec::new();
                loop {
                    match crx.receive(&mut buf).await {
                        Ok(Incoming::Closed(_)) | Err(Error::Closed) => break,
                        Ok(_) => buf.clear(),
                        Err(e) => panic!("client receiver: {e}"),
                    }
                }
            };
            let receive = async {
                let mut got = Vec::new();
                for call in 0.. {
                    if lend[call % lend.len()] {
                        // `receive_ref` and `receive` take turns as `lend` says.
                        match srx.receive_ref().await.expect("receive_ref") {
                            IncomingRef::Text(t) => got.push(Sent::Text(t.to_owned())),
                            IncomingRef::Binary(b) => got.push(Sent::Binary(b.to_vec())),
                            IncomingRef::Closed(_) => return got,
                            other => panic!("unexpected {other:?}"),
                        }
                        continue;
                    }
                    let mut buf = Vec::new();
                    match srx.receive(&mut buf).await.expect("receive") {
                        Incoming::Data(Data::Text(n)) => {
                            assert_eq!(n, buf.len());
                            got.push(Sent::Text(String::from_utf8(buf).expect("utf-8")));
                        }
                        Incoming::Data(Data::Binary(_)) => got.push(Sent::Binary(buf)),
                        Incoming::Closed(_) => return got,
                        other => panic!("unexpected {other:?}"),
                    }
                }
                unreachable!("the loop returns at the close")
            };
            tokio::join!(send, receive).1
        });
        let expected: Vec<&Sent> =
            messages.iter().filter(|m| !matches!(m, Sent::Ping(_))).collect();
        prop_assert_eq!(received.len(), expected.len());
        for (got, want) in received.iter().zip(expected) {
            match (got, want) {
                (Sent::Text(a), Sent::Text(b)) => prop_assert_eq!(a, b),
                (Sent::Binary(a), Sent::Binary(b)) => prop_assert!(a == b, "binary differs"),
                _ => prop_assert!(false, "{got:?} != {want:?}"),
            }
        }
    }

    #[test]
    fn random_bytes_end_in_messages_or_an_error(
        garbage in prop_oneof![
            vec(any::<u8>(), 0..2000),
            vec(raw_frame(), 0..12).prop_map(|frames| frames.concat()),
        ],
        sizes in vec(1..100usize, 1..8),
        pending_every in 2..10usize,
        max_message in 0..500usize,
        lend in vec(any::<bool>(), 1..8),
    ) {
        // The same bytes, read in the same pieces, by `receive` alone and by a mix of
        // `receive_ref` and `receive`: the same outcomes, call by call.
        let by_receive = block_on(outcomes(&garbage, &sizes, pending_every, max_message, &[false]));
        let mixed = block_on(outcomes(&garbage, &sizes, pending_every, max_message, &lend));
        prop_assert_eq!(by_receive, mixed);
    }
}

/// What a server receiver makes of `garbage` (followed by the end of the stream), read in
/// pieces of `sizes`: each call's outcome, using `receive_ref` where `lend` (cycled) says so.
/// Checks the bounds of each outcome on the way.
async fn outcomes(
    garbage: &[u8],
    sizes: &[usize],
    pending_every: usize,
    max_message: usize,
    lend: &[bool],
) -> Vec<String> {
    let (a, mut peer) = tokio::io::duplex(1 << 16);
    let mut server = Builder::new(
        Chunked::new(a.compat(), sizes.to_vec(), pending_every),
        Mode::Server,
    );
    server
        .set_max_message_size(max_message)
        .set_max_frame_size(max_message);
    let (_stx, mut srx) = server.finish();
    peer.write_all(garbage).await.expect("write");
    // The peer stops sending; its read side stays open for our close frame.
    peer.shutdown().await.expect("shutdown");
    let mut seen = Vec::new();
    for call in 0.. {
        let outcome = if lend[call % lend.len()] {
            next_ref(&mut srx, max_message).await
        } else {
            next(&mut srx, max_message).await
        };
        let end = outcome.starts_with("closed") || outcome.starts_with("error");
        seen.push(outcome);
        if end {
            break;
        }
    }
    // After the end, the receiver stays ended.
    let mut buf = Vec::new();
    assert!(srx.receive(&mut buf).await.is_err());
    assert!(srx.receive_ref().await.is_err());
    drop(peer);
    seen
}

async fn next(rx: &mut Receiver<Chunked>, max_message: usize) -> String {
    let mut buf = Vec::new();
    match rx.receive(&mut buf).await {
        Ok(Incoming::Data(data)) => {
            assert!(data.len() <= max_message);
            assert_eq!(data.len(), buf.len());
            match data {
                Data::Text(_) => format!("text {}", std::str::from_utf8(&buf).expect("validated")),
                Data::Binary(_) => format!("binary {buf:?}"),
            }
        }
        Ok(Incoming::Pong(p)) => {
            assert!(p.len() <= 125);
            format!("pong {p:?}")
        }
        Ok(Incoming::Closed(reason)) => format!("closed {reason:?}"),
        Err(e) => format!("error {e:?} {:?}", e.close_code()),
        Ok(other) => panic!("unexpected {other:?}"),
    }
}

async fn next_ref(rx: &mut Receiver<Chunked>, max_message: usize) -> String {
    match rx.receive_ref().await {
        Ok(IncomingRef::Text(t)) => {
            assert!(t.len() <= max_message);
            format!("text {t}")
        }
        Ok(IncomingRef::Binary(b)) => {
            assert!(b.len() <= max_message);
            format!("binary {b:?}")
        }
        Ok(IncomingRef::Pong(p)) => {
            assert!(p.len() <= 125);
            format!("pong {p:?}")
        }
        Ok(IncomingRef::Closed(reason)) => format!("closed {reason:?}"),
        Err(e) => format!("error {e:?} {:?}", e.close_code()),
        Ok(other) => panic!("unexpected {other:?}"),
    }
}
