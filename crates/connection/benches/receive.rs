//! Message receive and send through the sans-I/O core, the code path `Receiver` and `Sender`
//! run between socket reads and writes, without any I/O.
//!
//! `cargo bench -p sockeye-connection --features __fuzzing --bench receive`. The core is
//! reached through the private `fuzzing` hooks (thin wrappers over `proto::Receiving` and
//! `proto::Sending`), so the target needs the `__fuzzing` feature.
//!
//! - `receive_*`: a buffer of masked client frames, encoded once, decoded by a server:
//!   header decode, size checks, copy into the message buffer, unmasking and (for text)
//!   UTF-8 validation, until every message is complete. Many small messages per iteration
//!   so the figure is per message at steady state. The whole buffer is handed over at once;
//!   `Receiver` feeds it in read-sized pieces, which adds only calls (each piece is copied,
//!   unmasked and validated once either way).
//! - `receive_fragmented`: 1 MiB in 16 fragments of 64 KiB.
//! - `receive_ref`: the same messages through the public `Receiver::receive_ref` over an
//!   in-memory stream, as a server lends them to its caller: reads into the receiver's own
//!   buffer, unmasking and checking in place, and the message as `&[u8]` or `&str`.
//! - `send_*`: one message encoded into a frame, by a server (unmasked) and a client
//!   (masked with a fresh key).
//!
//! Throughput is message payload bytes.

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::{
    hint::black_box,
    io,
    pin::Pin,
    task::{Context, Poll},
};

use bytes::BytesMut;
use codec::OpCode;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use futures::{AsyncRead, AsyncWrite};
use sockeye_connection::{
    fuzzing::{Event, Receiver, Sender},
    Builder, Data, IncomingRef, Mode,
};

/// Message sizes, with how many messages one iteration receives (about 1 MiB or more of
/// payload for the large ones, enough small ones to amortise the batch setup).
const CASES: [(usize, usize); 3] = [(16, 1024), (64 * 1024, 16), (1024 * 1024, 1)];

/// Limits as the builder's defaults (64 MiB message and frame).
const MAX: usize = 64 * 1024 * 1024;

/// `len` bytes of text: mostly ASCII with some 2, 3 and 4-byte characters, so validation
/// takes both the ASCII fast path and the multi-byte path.
fn text(len: usize) -> Vec<u8> {
    let sample = "Hello, WebSocket! κόσμε 中文 🦀 ";
    let mut out = String::with_capacity(len);
    for ch in sample.chars().cycle() {
        if out.len() + ch.len_utf8() > len {
            break;
        }
        out.push(ch);
    }
    while out.len() < len {
        out.push(' ');
    }
    out.into_bytes()
}

/// `count` messages of `payload`, each split into `fragments` frames, as a client sends
/// them (masked, with keys from a seeded generator).
fn client_wire(opcode: OpCode, payload: &[u8], count: usize, fragments: usize) -> BytesMut {
    let frame_size = payload.len().div_ceil(fragments).max(1);
    let mut client = Sender::new(Mode::Client, frame_size, Vec::new(), 7);
    let mut wire = BytesMut::new();
    for _ in 0..count {
        client
            .encode_data(opcode, payload, &mut wire)
            .expect("no extensions");
    }
    wire
}

/// Receives every message in `inp` as a server; returns how many arrived. The message
/// buffer is cleared after each message and reused, as a caller that handles messages one
/// by one does.
fn receive_all(inp: &mut BytesMut, msg: &mut Vec<u8>) -> usize {
    let mut server = Receiver::new(Mode::Server, MAX, MAX, Vec::new());
    let mut n = 0;
    while let Some(event) = server.receive(inp, msg).expect("valid frames") {
        match event {
            Event::Data(Data::Binary(len) | Data::Text(len)) => {
                black_box(&msg[..len]);
                msg.clear();
                n += 1;
            }
            other => unreachable!("only data frames were sent: {other:?}"),
        }
    }
    n
}

fn bench_receive(c: &mut Criterion, group_name: &str, cases: &[(usize, usize)], fragments: usize) {
    let mut group = c.benchmark_group(group_name);
    for &(size, count) in cases {
        group.throughput(Throughput::Bytes((size * count) as u64));
        for (name, opcode, payload) in [
            ("binary", OpCode::Binary, vec![0xa5; size]),
            ("text", OpCode::Text, text(size)),
        ] {
            let wire = client_wire(opcode, &payload, count, fragments);
            // Check once that the case does what it says before timing it.
            let mut check = Vec::new();
            assert_eq!(receive_all(&mut wire.clone(), &mut check), count);
            let batch = if wire.len() > 64 * 1024 {
                BatchSize::LargeInput
            } else {
                BatchSize::SmallInput
            };
            let mut msg = Vec::with_capacity(size);
            group.bench_with_input(BenchmarkId::new(name, size), &wire, |b, wire| {
                b.iter_batched_ref(|| wire.clone(), |inp| receive_all(inp, &mut msg), batch);
            });
        }
    }
    group.finish();
}

fn receive(c: &mut Criterion) {
    bench_receive(c, "receive", &CASES, 1);
    bench_receive(c, "receive_fragmented_16", &[(1024 * 1024, 1)], 16);
}

/// A peer that has already sent `wire` and reads nothing back: reads are served from it in
/// the sizes the receiver asks for, writes are accepted and dropped.
struct Replay {
    wire: BytesMut,
}

impl AsyncRead for Replay {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let n = buf.len().min(self.wire.len());
        buf[..n].copy_from_slice(&self.wire.split_to(n));
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for Replay {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Runs `fut` to completion. Every read and write of [`Replay`] is ready at once, so the
/// only `Pending` is the receiver yielding to other tasks, after waking itself.
fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// Receives `count` messages from `wire` with `receive_ref` as a server with the builder's
/// defaults; returns the payload bytes lent.
fn receive_ref_all(wire: BytesMut, count: usize) -> usize {
    let (_sender, mut receiver) = Builder::new(Replay { wire }, Mode::Server).finish();
    block_on(async {
        let mut bytes = 0;
        for _ in 0..count {
            bytes += match receiver.receive_ref().await.expect("valid frames") {
                IncomingRef::Binary(data) => black_box(data).len(),
                IncomingRef::Text(text) => black_box(text).len(),
                other => unreachable!("only data frames were sent: {other:?}"),
            };
        }
        bytes
    })
}

fn receive_ref(c: &mut Criterion) {
    let mut group = c.benchmark_group("receive_ref");
    for &(size, count) in &CASES {
        group.throughput(Throughput::Bytes((size * count) as u64));
        for (name, opcode, payload) in [
            ("binary", OpCode::Binary, vec![0xa5; size]),
            ("text", OpCode::Text, text(size)),
        ] {
            let wire = client_wire(opcode, &payload, count, 1);
            assert_eq!(receive_ref_all(wire.clone(), count), size * count);
            group.bench_with_input(BenchmarkId::new(name, size), &wire, |b, wire| {
                b.iter_batched(
                    || wire.clone(),
                    |wire| receive_ref_all(wire, count),
                    BatchSize::LargeInput,
                );
            });
        }
    }
    group.finish();
}

fn send(c: &mut Criterion) {
    let mut group = c.benchmark_group("send");
    for size in [16usize, 64 * 1024] {
        group.throughput(Throughput::Bytes(size as u64));
        let payload = vec![0x5a; size];
        for (name, mode) in [("server", Mode::Server), ("client_masked", Mode::Client)] {
            let mut sender = Sender::new(mode, MAX, Vec::new(), 7);
            let mut out = BytesMut::with_capacity(size + 14);
            group.bench_with_input(BenchmarkId::new(name, size), &payload, |b, payload| {
                b.iter(|| {
                    out.clear();
                    sender
                        .encode_data(OpCode::Binary, black_box(payload), &mut out)
                        .expect("no extensions");
                    black_box(&out);
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, receive, receive_ref, send);
criterion_main!(benches);
