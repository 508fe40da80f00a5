//! Close, keepalive and idle timeouts, on tokio's paused clock (no real waiting).

use std::{sync::Arc, time::Duration};

use sockeye_connection::{Builder, Error, Mode, Sleep, Timer};

use super::util::*;

#[derive(Debug)]
struct TokioTimer;

impl Timer for TokioTimer {
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
    fn now(&self) -> std::time::Instant {
        tokio::time::Instant::now().into_std()
    }
}

fn with_timer(configure: impl FnOnce(&mut Builder<Io>)) -> impl FnOnce(&mut Builder<Io>) {
    move |b| {
        b.set_timer(Arc::new(TokioTimer));
        configure(b);
    }
}

#[tokio::test(start_paused = true)]
async fn peer_that_never_answers_our_close_is_dropped_after_the_close_timeout() {
    let (mut tx, mut rx, mut peer) = raw_peer(Mode::Server, with_timer(|_| {}));
    tx.close().await.unwrap();
    assert_eq!(read_n(&mut peer, 4).await, [0x88, 0x02, 0x03, 0xe8]);
    let start = tokio::time::Instant::now();
    // Not before the default 10 s...
    let early = tokio::time::timeout(Duration::from_secs(9), rx.receive(&mut Vec::new())).await;
    assert!(early.is_err(), "gave up before the close timeout");
    // ...but then.
    assert!(matches!(
        rx.receive(&mut Vec::new()).await,
        Err(Error::CloseTimeout)
    ));
    assert!(start.elapsed() >= Duration::from_secs(10));
    // The write side was shut down: the peer sees EOF.
    assert_eq!(read_to_end(&mut peer).await, b"");
}

#[tokio::test(start_paused = true)]
async fn keepalive_pings_a_quiet_peer_and_drops_it_when_it_stays_quiet() {
    let (_tx, mut rx, mut peer) = raw_peer(
        Mode::Server,
        with_timer(|b| {
            b.set_keepalive(Duration::from_secs(5), Duration::from_secs(3));
        }),
    );
    let task = tokio::spawn(async move { rx.receive(&mut Vec::new()).await.map(|_| ()) });
    // After 5 s of silence a ping with an 8-byte counter goes out.
    let ping = read_n(&mut peer, 10).await;
    assert_eq!(&ping[..2], &[0x89, 0x08]);
    assert_eq!(&ping[2..], &1u64.to_be_bytes());
    // No answer within 3 s: the connection fails.
    assert!(matches!(task.await.unwrap(), Err(Error::KeepaliveTimeout)));
}

#[tokio::test(start_paused = true)]
async fn keepalive_is_satisfied_by_a_pong() {
    let (_tx, mut rx, mut peer) = raw_peer(
        Mode::Server,
        with_timer(|b| {
            b.set_keepalive(Duration::from_secs(5), Duration::from_secs(3));
        }),
    );
    let task = tokio::spawn(async move {
        let mut buf = Vec::new();
        rx.receive_data(&mut buf).await.map(|_| buf)
    });
    for n in 1..=4u64 {
        let ping = read_n(&mut peer, 10).await;
        assert_eq!(&ping[2..], &n.to_be_bytes());
        write(&mut peer, &masked(0x8a, &ping[2..])).await;
    }
    write(&mut peer, &masked(0x82, b"still here")).await;
    assert_eq!(task.await.unwrap().unwrap(), b"still here");
}

#[tokio::test(start_paused = true)]
async fn idle_timeout_sends_going_away() {
    let (_tx, mut rx, mut peer) = raw_peer(
        Mode::Server,
        with_timer(|b| {
            b.set_idle_timeout(Duration::from_secs(30));
        }),
    );
    assert!(matches!(
        rx.receive(&mut Vec::new()).await,
        Err(Error::IdleTimeout)
    ));
    assert_eq!(read_to_end(&mut peer).await, [0x88, 0x02, 0x03, 0xe9]);
}

#[tokio::test(start_paused = true)]
async fn without_a_timer_nothing_times_out() {
    let (mut tx, mut rx, _peer) = raw_peer(Mode::Server, |_| {});
    tx.close().await.unwrap();
    let waited = tokio::time::timeout(Duration::from_secs(3600), rx.receive(&mut Vec::new())).await;
    assert!(waited.is_err(), "no timer, so the receiver keeps waiting");
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_stops_reading_fails_the_send_after_the_send_timeout() {
    // A 64 KiB pipe the peer never reads: a 4 MiB message cannot get through.
    let (mut tx, _rx, _peer) = raw_peer(
        Mode::Server,
        with_timer(|b| {
            b.set_send_timeout(Duration::from_secs(5));
        }),
    );
    let start = tokio::time::Instant::now();
    let big = vec![0u8; 4 << 20];
    assert!(matches!(
        tx.send_binary(&big).await,
        Err(Error::SendTimeout)
    ));
    assert!(start.elapsed() >= Duration::from_secs(5));
    // The connection is failed: nothing more is sent.
    assert!(matches!(tx.send_text("more").await, Err(Error::Closed)));
}

#[tokio::test(start_paused = true)]
async fn small_messages_queued_behind_a_stalled_peer_also_time_out() {
    let (mut tx, _rx, _peer) = raw_peer(
        Mode::Client,
        with_timer(|b| {
            b.set_send_timeout(Duration::from_secs(2));
        }),
    );
    let chunk = vec![1u8; 1000];
    let mut result = Ok(());
    for _ in 0..1000 {
        result = tx.send_binary(&chunk).await;
        if result.is_err() {
            break;
        }
    }
    assert!(matches!(result, Err(Error::SendTimeout)), "{result:?}");
}
