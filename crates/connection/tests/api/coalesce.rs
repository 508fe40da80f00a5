//! Replies to pipelined messages are coalesced into one write per 32 replies; a lone reply,
//! and a reply sent from another task than the receiver's, are written at once. `feed_*`
//! batches on request.

use std::{
    pin::Pin,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    task::{Context, Poll},
    time::Duration,
};

use sockeye_connection::{Builder, Mode, Receiver, Sender};
use tokio::io::DuplexStream;
use tokio_util::compat::TokioAsyncReadCompatExt;

use super::util::{masked, read_n, write, Io};

/// A transport that counts the writes that moved bytes.
#[derive(Debug)]
struct Counting {
    inner: Io,
    writes: Arc<AtomicUsize>,
}

impl futures::AsyncRead for Counting {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl futures::AsyncWrite for Counting {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.writes.fetch_add(1, Ordering::SeqCst);
        }
        result
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

type Server = (
    Sender<Counting>,
    Receiver<Counting>,
    DuplexStream,
    Arc<AtomicUsize>,
);

/// A sockeye server on a counting transport, and the raw client end.
fn server() -> Server {
    let (a, b) = tokio::io::duplex(1 << 16);
    let writes = Arc::new(AtomicUsize::new(0));
    let io = Counting {
        inner: a.compat(),
        writes: writes.clone(),
    };
    let (tx, rx) = Builder::new(io, Mode::Server).finish();
    (tx, rx, b, writes)
}

/// `count` client frames of 10 bytes each, message `i` filled with `i`, in one buffer.
fn batch(count: u8) -> Vec<u8> {
    (0..count).flat_map(|i| masked(0x82, &[i; 10])).collect()
}

/// The server's unmasked echoes of `batch(count)`.
fn echoes(count: u8) -> Vec<u8> {
    (0..count)
        .flat_map(|i| [&[0x82, 10][..], &[i; 10]].concat())
        .collect()
}

/// Fails the test instead of hanging if `f` does not finish in time.
async fn soon<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("finished in time (nothing may wait forever)")
}

#[tokio::test]
async fn replies_to_a_pipelined_batch_go_out_in_one_write_and_a_lone_reply_at_once() {
    let (mut tx, mut rx, mut peer, writes) = server();
    write(&mut peer, &batch(20)).await;
    let mut buf = Vec::new();
    for _ in 0..20 {
        buf.clear();
        soon(rx.receive_data(&mut buf)).await.unwrap();
        soon(tx.send_binary(&buf)).await.unwrap();
    }
    // The last reply found no more input buffered, so it wrote all twenty.
    assert_eq!(soon(read_n(&mut peer, 20 * 12)).await, echoes(20));
    assert_eq!(writes.load(Ordering::SeqCst), 1);

    // A lone message is answered with a write of its own, while the server does not call
    // `receive` again.
    write(&mut peer, &masked(0x82, &[9; 10])).await;
    buf.clear();
    soon(rx.receive_data(&mut buf)).await.unwrap();
    soon(tx.send_binary(&buf)).await.unwrap();
    assert_eq!(soon(read_n(&mut peer, 12)).await[2..], [9; 10]);
    assert_eq!(writes.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_long_pipelined_batch_is_answered_in_writes_of_32_replies() {
    let (mut tx, mut rx, mut peer, writes) = server();
    write(&mut peer, &batch(70)).await;
    let mut buf = Vec::new();
    for i in 0..70 {
        buf.clear();
        soon(rx.receive_data(&mut buf)).await.unwrap();
        soon(tx.send_binary(&buf)).await.unwrap();
        if i == 31 {
            // The 32nd reply wrote all 32, while 38 messages are still buffered: the peer
            // has them before the server goes on.
            assert_eq!(writes.load(Ordering::SeqCst), 1);
            assert_eq!(soon(read_n(&mut peer, 32 * 12)).await, echoes(32));
        }
    }
    // Then 32 more, then the last 6 when the input ran out.
    assert_eq!(writes.load(Ordering::SeqCst), 3);
    assert_eq!(
        soon(read_n(&mut peer, 38 * 12)).await,
        echoes(70)[32 * 12..]
    );
}

#[tokio::test]
async fn held_back_replies_are_written_when_the_receiver_goes_back_to_the_socket() {
    let (mut tx, mut rx, mut peer, _) = server();
    write(&mut peer, &batch(3)).await;
    let server = tokio::spawn(async move {
        let mut buf = Vec::new();
        rx.receive_data(&mut buf).await.unwrap();
        tx.send_binary(&buf).await.unwrap();
        // Two more messages are returned without replies, then the receiver must read the
        // socket: the held-back reply goes out before it waits.
        for _ in 0..3 {
            buf.clear();
            rx.receive_data(&mut buf).await.unwrap();
        }
        (tx, rx)
    });
    assert_eq!(soon(read_n(&mut peer, 12)).await, echoes(1));
    write(&mut peer, &masked(0x82, &[1; 10])).await;
    soon(server).await.unwrap();
}

#[tokio::test]
async fn a_reply_from_another_task_than_the_receivers_is_not_held_back() {
    let (mut tx, mut rx, mut peer, _) = server();
    write(&mut peer, &batch(2)).await;
    // The receiver returns the first message (the second stays buffered) in a task that
    // then waits for something else entirely.
    let (received, has_received) = tokio::sync::oneshot::channel::<()>();
    let (go_on, wait) = tokio::sync::oneshot::channel::<()>();
    let receiving = tokio::spawn(async move {
        let mut buf = Vec::new();
        rx.receive_data(&mut buf).await.unwrap();
        received.send(()).unwrap();
        let _ = wait.await;
        rx
    });
    soon(has_received).await.unwrap();
    // This task is not the receiver's: its message is written at once.
    soon(tx.send_binary([0u8; 10])).await.unwrap();
    assert_eq!(soon(read_n(&mut peer, 12)).await, echoes(1));
    go_on.send(()).unwrap();
    soon(receiving).await.unwrap();
}

#[tokio::test]
async fn flush_writes_replies_held_back_when_the_application_stops_receiving() {
    let (mut tx, mut rx, mut peer, _) = server();
    write(&mut peer, &batch(2)).await;
    let mut buf = Vec::new();
    soon(rx.receive_data(&mut buf)).await.unwrap();
    soon(tx.send_binary(&buf)).await.unwrap();
    soon(tx.flush()).await.unwrap();
    assert_eq!(soon(read_n(&mut peer, 12)).await, echoes(1));
}

#[tokio::test]
async fn fed_messages_wait_for_flush_and_go_out_in_one_write() {
    let (mut tx, _rx, mut peer, writes) = server();
    for i in 0..5u8 {
        soon(tx.feed_binary([i; 10])).await.unwrap();
    }
    assert_eq!(writes.load(Ordering::SeqCst), 0, "feed does not write");
    soon(tx.flush()).await.unwrap();
    assert_eq!(soon(read_n(&mut peer, 5 * 12)).await, echoes(5));
    assert_eq!(writes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn feeding_the_32nd_message_writes_the_batch() {
    let (mut tx, _rx, mut peer, writes) = server();
    for i in 0..40u8 {
        soon(tx.feed_binary([i; 10])).await.unwrap();
        let expected = if i < 31 { 0 } else { 1 };
        assert_eq!(writes.load(Ordering::SeqCst), expected, "after message {i}");
    }
    assert_eq!(soon(read_n(&mut peer, 32 * 12)).await, echoes(32));
    soon(tx.flush()).await.unwrap();
    assert_eq!(writes.load(Ordering::SeqCst), 2);
    assert_eq!(soon(read_n(&mut peer, 8 * 12)).await, echoes(40)[32 * 12..]);
}

#[tokio::test]
async fn feeding_more_than_64_kib_writes_everything_queued() {
    let (mut tx, rx, mut peer, writes) = server();
    // 7 messages of 10,000 bytes: the seventh takes the queue past 64 KiB. The transport
    // holds 64 KiB, so the peer reads while the feeding task writes.
    let feeding = tokio::spawn(async move {
        for i in 0..7u8 {
            tx.feed_binary(vec![i; 10_000]).await.unwrap();
        }
        (tx, rx)
    });
    let got = soon(read_n(&mut peer, 7 * 10_004)).await;
    soon(feeding).await.unwrap();
    assert!(writes.load(Ordering::SeqCst) >= 1);
    for (i, frame) in got.chunks(10_004).enumerate() {
        assert_eq!(frame[..4], [0x82, 126, 0x27, 0x10]);
        assert!(frame[4..].iter().all(|&b| b == i as u8));
    }
}

#[tokio::test]
async fn fed_messages_are_written_when_the_receiver_reads_the_socket() {
    let (mut tx, mut rx, mut peer, _) = server();
    soon(tx.feed_binary([0u8; 10])).await.unwrap();
    let receiving = tokio::spawn(async move {
        let mut buf = Vec::new();
        rx.receive_data(&mut buf).await.unwrap();
        buf
    });
    assert_eq!(soon(read_n(&mut peer, 12)).await, echoes(1));
    write(&mut peer, &masked(0x82, &[3; 10])).await;
    assert_eq!(soon(receiving).await.unwrap(), [3; 10]);
}
