//! The two halves of a connection on different threads: each endpoint's sender and receiver
//! run in their own tasks on a multi-threaded runtime, so they use the shared socket at the
//! same time, while both endpoints send bulk data in both directions through a buffer far
//! smaller than what is in flight.

use std::time::Duration;

use sockeye_connection::{CloseReason, Data, Incoming, Receiver, Sender};
use tokio::sync::oneshot;

use super::util::{pair, Io};

/// Messages each endpoint sends.
const MESSAGES: usize = 300;

/// The `i`th message an endpoint sends: sizes from 0 bytes to 200 KiB (the in-memory pipe
/// holds 64 KiB), contents that identify the sender, the message and the position in it.
fn message(from: u8, i: usize) -> Vec<u8> {
    let len = match i % 5 {
        0 => 0,
        1 => 1 + i,
        2 => 1000 + i,
        3 => 70_000 + 11 * i,
        _ => 200 * 1024,
    };
    (0..len)
        .map(|at| from ^ (i as u8).wrapping_mul(31) ^ (at as u8).wrapping_mul(7))
        .collect()
}

/// Sends every message and a ping every tenth one, then closes once `received` says this
/// endpoint has all of the peer's messages (a close sent earlier would end the peer's
/// sending: it answers with its own close).
async fn send_all(mut tx: Sender<Io>, from: u8, received: oneshot::Receiver<()>) {
    for i in 0..MESSAGES {
        let m = message(from, i);
        if i % 2 == 0 {
            tx.send_binary(&m).await.expect("send binary");
        } else {
            // The test data is not UTF-8: hex-encode the odd ones to send them as text.
            let text: String = m.iter().map(|b| format!("{b:02x}")).collect();
            tx.send_text(&text).await.expect("send text");
        }
        if i % 10 == 0 {
            tx.send_ping(i.to_be_bytes()).await.expect("send ping");
        }
    }
    received.await.expect("the receiver finished");
    tx.close().await.expect("close");
}

/// Receives every message the peer sends, checking each, reports that on `received`, and
/// goes on to the peer's close; returns the number of pongs seen.
async fn receive_all(mut rx: Receiver<Io>, from: u8, received: oneshot::Sender<()>) -> usize {
    let mut buf = Vec::new();
    let mut pongs = 0;
    for i in 0..MESSAGES {
        let expected = message(from, i);
        loop {
            buf.clear();
            match rx.receive(&mut buf).await.expect("receive") {
                Incoming::Data(Data::Binary(_)) => {
                    assert_eq!(i % 2, 0, "message {i} should be text");
                    assert!(buf == expected, "binary message {i} differs");
                    break;
                }
                Incoming::Data(Data::Text(_)) => {
                    assert_eq!(i % 2, 1, "message {i} should be binary");
                    let text: String = expected.iter().map(|b| format!("{b:02x}")).collect();
                    assert!(buf == text.as_bytes(), "text message {i} differs");
                    break;
                }
                Incoming::Pong(_) => pongs += 1,
                Incoming::Closed(reason) => panic!("closed before message {i}: {reason:?}"),
                other => panic!("unexpected {other:?} before message {i}"),
            }
        }
    }
    received.send(()).expect("the sender waits for this");
    loop {
        buf.clear();
        match rx.receive(&mut buf).await {
            Ok(Incoming::Pong(_)) => pongs += 1,
            Ok(Incoming::Closed(CloseReason { code, .. })) => {
                assert_eq!(code, sockeye_connection::CloseCode::NORMAL);
                return pongs;
            }
            other => panic!("expected the peer's close, got {other:?}"),
        }
    }
}

#[test]
fn halves_on_different_threads_exchange_bulk_data_both_ways() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_time()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let ((client_tx, client_rx), (server_tx, server_rx)) = pair();
        let (client_done, client_received) = oneshot::channel();
        let (server_done, server_received) = oneshot::channel();
        let tasks = [
            tokio::spawn(async move {
                send_all(client_tx, 1, client_received).await;
                0
            }),
            tokio::spawn(async move {
                send_all(server_tx, 2, server_received).await;
                0
            }),
            tokio::spawn(receive_all(client_rx, 2, client_done)),
            tokio::spawn(receive_all(server_rx, 1, server_done)),
        ];
        let all = futures::future::join_all(tasks);
        let results = tokio::time::timeout(Duration::from_secs(120), all)
            .await
            .expect("the exchange finished (no deadlock)");
        let pongs: Vec<usize> = results
            .into_iter()
            .map(|r| r.expect("task did not panic"))
            .collect();
        // Every ping arrives before the close, so it is answered, but a newer ping may
        // replace one not yet answered: between one pong and one per ping.
        let pings = MESSAGES.div_ceil(10);
        for pongs in &pongs[2..] {
            assert!(
                (1..=pings).contains(pongs),
                "{pongs} pongs for {pings} pings"
            );
        }
    });
}
