//! Test helpers: connected pairs over `tokio::io::duplex`, and a raw peer that speaks bytes.

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use sockeye_connection::{Builder, Mode, Receiver, Sender};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

pub(crate) type Io = Compat<DuplexStream>;

/// One end of a connection.
pub(crate) type End = (Sender<Io>, Receiver<Io>);

/// A client and a server connected in memory.
pub(crate) fn pair() -> (End, End) {
    let (a, b) = tokio::io::duplex(1 << 16);
    let client = Builder::new(a.compat(), Mode::Client).finish();
    let server = Builder::new(b.compat(), Mode::Server).finish();
    (client, server)
}

/// A sockeye endpoint of `mode` and the raw stream of its peer.
pub(crate) fn raw_peer(
    mode: Mode,
    configure: impl FnOnce(&mut Builder<Io>),
) -> (Sender<Io>, Receiver<Io>, DuplexStream) {
    let (a, b) = tokio::io::duplex(1 << 16);
    let mut builder = Builder::new(a.compat(), mode);
    configure(&mut builder);
    let (tx, rx) = builder.finish();
    (tx, rx, b)
}

/// A frame as a client sends it, masked with a fixed key.
pub(crate) fn masked(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    let key = [0xa1, 0xb2, 0xc3, 0xd4];
    let mut out = vec![first_byte];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= 0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}

/// Reads exactly `n` bytes from the raw peer.
pub(crate) async fn read_n(io: &mut DuplexStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    io.read_exact(&mut buf)
        .await
        .expect("peer sent the expected bytes");
    buf
}

/// Reads until the other side shuts down its write half, returning everything read.
pub(crate) async fn read_to_end(io: &mut DuplexStream) -> Vec<u8> {
    let mut buf = Vec::new();
    io.read_to_end(&mut buf).await.expect("read to end");
    buf
}

pub(crate) async fn write(io: &mut DuplexStream, bytes: &[u8]) {
    io.write_all(bytes).await.expect("write to the sockeye end");
}

/// A byte stream made of a reader `R` whose writes all succeed and go nowhere: for tests that
/// script what a connection reads and ignore what it writes.
#[derive(Debug)]
pub(crate) struct Swallow<R>(pub(crate) R);

impl<R: futures::AsyncRead + Unpin> futures::AsyncRead for Swallow<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<R: Unpin> futures::AsyncWrite for Swallow<R> {
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

/// Polls `f` once in the calling task, as `futures::poll!` does.
pub(crate) async fn poll_once<F: std::future::Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    let mut f = Some(f);
    std::future::poll_fn(|cx| {
        let f = f.take().expect("polled once");
        Poll::Ready(f.poll(cx))
    })
    .await
}
