//! RFC 6455 §5.5.1 and §7: the close handshake.

use sockeye_connection::{CloseCode, CloseReason, Error, Incoming, Mode};

use super::util::*;

#[tokio::test]
async fn client_initiated_close_completes_on_both_sides() {
    let ((mut ctx, mut crx), (mut stx, mut srx)) = pair();
    ctx.close().await.unwrap();
    assert!(matches!(ctx.send_text("late").await, Err(Error::Closed)));
    let mut buf = Vec::new();
    let expected = CloseReason {
        code: CloseCode::NORMAL,
        descr: None,
    };
    assert_eq!(
        srx.receive(&mut buf).await.unwrap(),
        Incoming::Closed(expected.clone())
    );
    // The server answered on its own; its sender now refuses data.
    assert!(matches!(stx.send_text("late").await, Err(Error::Closed)));
    assert_eq!(
        crx.receive(&mut buf).await.unwrap(),
        Incoming::Closed(expected)
    );
    assert!(matches!(crx.receive(&mut buf).await, Err(Error::Closed)));
    assert!(matches!(srx.receive(&mut buf).await, Err(Error::Closed)));
}

#[tokio::test]
async fn server_echoes_the_close_code_and_then_closes_tcp() {
    let (_tx, mut rx, mut peer) = raw_peer(Mode::Server, |_| {});
    let mut payload = 4000u16.to_be_bytes().to_vec();
    payload.extend_from_slice(b"app says bye");
    write(&mut peer, &masked(0x88, &payload)).await;
    let mut buf = Vec::new();
    let got = rx.receive(&mut buf).await.unwrap();
    assert_eq!(
        got,
        Incoming::Closed(CloseReason {
            code: CloseCode(4000),
            descr: Some("app says bye".into())
        })
    );
    // RFC 6455 §5.5.1: the answer echoes the code; §7.1.1: the server closes TCP first.
    assert_eq!(read_to_end(&mut peer).await, [0x88, 0x02, 0x0f, 0xa0]);
}

#[tokio::test]
async fn empty_close_is_answered_with_an_empty_close() {
    let (_tx, mut rx, mut peer) = raw_peer(Mode::Server, |_| {});
    write(&mut peer, &masked(0x88, b"")).await;
    let got = rx.receive(&mut Vec::new()).await.unwrap();
    assert_eq!(
        got,
        Incoming::Closed(CloseReason {
            code: CloseCode::NO_STATUS,
            descr: None
        })
    );
    assert_eq!(read_to_end(&mut peer).await, [0x88, 0x00]);
}

#[tokio::test]
async fn server_initiated_close_waits_for_the_answer_then_closes_tcp() {
    let (mut tx, mut rx, mut peer) = raw_peer(Mode::Server, |_| {});
    tx.close_with(CloseCode::GOING_AWAY, "restart")
        .await
        .unwrap();
    assert_eq!(read_n(&mut peer, 11).await, b"\x88\x09\x03\xe9restart");
    // Data the peer sent before it saw our close is still delivered.
    write(&mut peer, &masked(0x81, b"in flight")).await;
    write(&mut peer, &masked(0x88, &1001u16.to_be_bytes())).await;
    let mut buf = Vec::new();
    assert!(rx.receive(&mut buf).await.unwrap().is_text());
    assert_eq!(buf, b"in flight");
    let got = rx.receive(&mut buf).await.unwrap();
    assert_eq!(
        got,
        Incoming::Closed(CloseReason {
            code: CloseCode::GOING_AWAY,
            descr: None
        })
    );
    // Nothing more is written (no second close), then EOF.
    assert_eq!(read_to_end(&mut peer).await, b"");
}

#[tokio::test]
async fn eof_without_close_is_a_connection_reset() {
    let (_tx, mut rx, peer) = raw_peer(Mode::Server, |_| {});
    drop(peer);
    assert!(matches!(
        rx.receive(&mut Vec::new()).await,
        Err(Error::ConnectionReset)
    ));
}

/// A send that finds the writer taken (here by the receiver, writing its answer to the
/// peer's close behind bytes the peer has not read yet) waits for it on the general path,
/// then fails with `Closed`: nothing is written after the close frame.
#[tokio::test]
async fn a_send_waiting_for_the_writer_behind_the_close_answer_fails_with_closed() {
    let (mut tx, mut rx, mut peer) = raw_peer(Mode::Server, |_| {});
    // Fill the pipe towards the peer. The send that cannot finish is dropped: its frame
    // stays queued, to be written whole before anything else.
    let chunk = vec![7u8; 8 * 1024];
    let mut frames = 0;
    loop {
        let mut send = std::pin::pin!(tx.send_binary(&chunk));
        frames += 1;
        if poll_once(send.as_mut()).await.is_pending() {
            break;
        }
    }
    write(&mut peer, &masked(0x88, &1000u16.to_be_bytes())).await;
    let mut message = Vec::new();
    let mut receive = std::pin::pin!(rx.receive(&mut message));
    // The receiver reads the close and holds the writer while its answer waits.
    assert!(poll_once(receive.as_mut()).await.is_pending());
    let mut late = std::pin::pin!(tx.send_binary(b"late"));
    assert!(poll_once(late.as_mut()).await.is_pending());
    let reader = tokio::spawn(async move { read_to_end(&mut peer).await });
    let (sent, received) = tokio::join!(late, receive);
    assert!(matches!(sent, Err(Error::Closed)), "{sent:?}");
    assert_eq!(
        received.unwrap(),
        Incoming::Closed(CloseReason {
            code: CloseCode::NORMAL,
            descr: None,
        })
    );
    // Every queued frame (4-byte header, 8 KiB payload), then the echoed close, then EOF.
    let wire = reader.await.unwrap();
    let close = [0x88, 0x02, 0x03, 0xe8];
    assert_eq!(wire.len(), frames * (4 + chunk.len()) + close.len());
    assert_eq!(wire[wire.len() - close.len()..], close);
}
