//! Messages both ways, pings answered, large payloads, leftover bytes, adapters.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use sockeye_connection::{Builder, Data, Incoming, Message, Mode};
use tokio_util::compat::TokioAsyncReadCompatExt;

use super::util::*;

#[tokio::test]
async fn text_and_binary_both_ways() {
    let ((mut ctx, mut crx), (mut stx, mut srx)) = pair();
    ctx.send_text("hello").await.unwrap();
    ctx.send_binary([1u8, 2, 3]).await.unwrap();
    let mut buf = Vec::new();
    assert_eq!(srx.receive_data(&mut buf).await.unwrap(), Data::Text(5));
    assert_eq!(buf, b"hello");
    buf.clear();
    assert_eq!(srx.receive_data(&mut buf).await.unwrap(), Data::Binary(3));
    assert_eq!(buf, [1, 2, 3]);
    stx.send_text_owned("back".to_owned()).await.unwrap();
    buf.clear();
    assert_eq!(crx.receive_data(&mut buf).await.unwrap(), Data::Text(4));
    assert_eq!(buf, b"back");
}

#[tokio::test]
async fn receive_appends_to_a_non_empty_buffer() {
    let ((mut ctx, _crx), (_stx, mut srx)) = pair();
    ctx.send_text("b").await.unwrap();
    let mut buf = b"a".to_vec();
    assert_eq!(srx.receive_data(&mut buf).await.unwrap(), Data::Text(1));
    assert_eq!(buf, b"ab");
}

#[tokio::test]
async fn large_messages_both_ways_including_send_binary_mut() {
    let ((mut ctx, mut crx), (mut stx, mut srx)) = pair();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let expect = big.clone();
    let client = tokio::spawn(async move {
        let mut copy = big.clone();
        ctx.send_binary_mut(&mut copy[..]).await.unwrap();
        ctx.send_binary(&big).await.unwrap();
        let mut buf = Vec::new();
        crx.receive_data(&mut buf).await.unwrap();
        assert_eq!(buf, big);
        (ctx, crx)
    });
    let mut buf = Vec::new();
    for _ in 0..2 {
        buf.clear();
        assert_eq!(
            srx.receive_data(&mut buf).await.unwrap(),
            Data::Binary(expect.len())
        );
        assert!(buf == expect, "payload differs");
    }
    // The server writes the large echo straight from the caller's buffer (vectored).
    stx.send_binary(&buf).await.unwrap();
    client.await.unwrap();
}

#[tokio::test]
async fn rfc6455_5_5_2_ping_is_answered_while_the_application_only_receives() {
    let (_tx, mut rx, mut peer) = raw_peer(Mode::Server, |_| {});
    let task = tokio::spawn(async move {
        let mut buf = Vec::new();
        let data = rx.receive_data(&mut buf).await.unwrap();
        (data, buf)
    });
    write(&mut peer, &masked(0x89, b"are you there")).await;
    // The pong carries the ping's payload, unmasked (we are the server).
    let pong = read_n(&mut peer, 2 + 13).await;
    assert_eq!(&pong[..2], &[0x8a, 13]);
    assert_eq!(&pong[2..], b"are you there");
    write(&mut peer, &masked(0x81, b"done")).await;
    let (data, buf) = task.await.unwrap();
    assert_eq!((data, &buf[..]), (Data::Text(4), &b"done"[..]));
}

#[tokio::test]
async fn each_ping_of_a_burst_gets_its_own_pong() {
    // The peer sends three pings in one write, then waits for three pongs (as the
    // Autobahn|Testsuite's cases 2.10 and 2.11 do) while our application only receives.
    let (_tx, mut rx, mut peer) = raw_peer(Mode::Server, |_| {});
    let task = tokio::spawn(async move { rx.receive_data(&mut Vec::new()).await });
    let burst: Vec<u8> = (b'1'..=b'3').flat_map(|n| masked(0x89, &[n])).collect();
    write(&mut peer, &burst).await;
    for n in b'1'..=b'3' {
        let pong = tokio::time::timeout(Duration::from_secs(5), read_n(&mut peer, 3))
            .await
            .unwrap_or_else(|_| panic!("no pong for ping {}", n as char));
        assert_eq!(pong, [0x8a, 1, n]);
    }
    write(&mut peer, &masked(0x82, b"done")).await;
    assert_eq!(task.await.unwrap().unwrap(), Data::Binary(4));
}

#[tokio::test]
async fn pongs_are_surfaced_by_receive_and_skipped_by_receive_data() {
    let ((mut ctx, mut crx), (mut stx, _srx)) = pair();
    stx.send_pong(b"beat").await.unwrap();
    stx.send_text("x").await.unwrap();
    let mut buf = Vec::new();
    match crx.receive(&mut buf).await.unwrap() {
        Incoming::Pong(p) => assert_eq!(p, b"beat"),
        other => panic!("expected a pong, got {other:?}"),
    }
    assert_eq!(crx.receive_data(&mut buf).await.unwrap(), Data::Text(1));
    assert!(ctx.send_ping(vec![0u8; 126]).await.is_err());
}

#[tokio::test]
async fn many_pings_without_reading_pongs_keep_one_pong_queued() {
    // The peer floods pings and never reads; our answers must not pile up without bound.
    let (a, mut peer) = tokio::io::duplex(256);
    let (_tx, mut rx) = Builder::new(a.compat(), Mode::Server).finish();
    let task = tokio::spawn(async move {
        let mut buf = Vec::new();
        rx.receive_data(&mut buf).await.map(|d| (d, buf))
    });
    let ping = masked(0x89, &[7; 100]);
    for _ in 0..2000 {
        write(&mut peer, &ping).await;
    }
    write(&mut peer, &masked(0x82, b"end")).await;
    let (data, buf) = task.await.unwrap().unwrap();
    assert_eq!((data, &buf[..]), (Data::Binary(3), &b"end"[..]));
}

#[tokio::test]
async fn bytes_read_past_the_handshake_are_processed_first() {
    let (a, mut peer) = tokio::io::duplex(1024);
    let mut builder = Builder::new(a.compat(), Mode::Server);
    builder.set_buffer(masked(0x81, b"early")[..].into());
    let (_tx, mut rx) = builder.finish();
    write(&mut peer, &masked(0x81, b"later")).await;
    let mut buf = Vec::new();
    rx.receive_data(&mut buf).await.unwrap();
    assert_eq!(buf, b"early");
    buf.clear();
    rx.receive_data(&mut buf).await.unwrap();
    assert_eq!(buf, b"later");
}

#[tokio::test]
async fn outgoing_fragmentation_is_reassembled() {
    let (a, b) = tokio::io::duplex(1 << 16);
    let mut cb = Builder::new(a.compat(), Mode::Client);
    cb.set_outgoing_frame_size(7);
    let (mut ctx, _crx) = cb.finish();
    let (_stx, mut srx) = Builder::new(b.compat(), Mode::Server).finish();
    let text = "fragmented into many small frames ✓";
    ctx.send_text(text).await.unwrap();
    let mut buf = Vec::new();
    srx.receive_data(&mut buf).await.unwrap();
    assert_eq!(buf, text.as_bytes());
}

#[tokio::test]
async fn stream_and_sink_adapters() {
    let ((ctx, _crx), (_stx, srx)) = pair();
    let mut sink = Box::pin(ctx.into_sink());
    let mut stream = Box::pin(srx.into_stream());
    sink.send(Message::Text("one".into())).await.unwrap();
    sink.send(Message::Binary(vec![2])).await.unwrap();
    assert_eq!(
        stream.next().await.unwrap().unwrap(),
        Message::Text("one".into())
    );
    assert_eq!(
        stream.next().await.unwrap().unwrap(),
        Message::Binary(vec![2])
    );
}
