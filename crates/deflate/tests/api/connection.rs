//! Messages through `sockeye-connection` with the extension: round trips, what goes on the
//! wire with and without context takeover, fragments, thresholds, window sizes, and the close
//! code of every peer error.

use connection::{Data, Error, Mode};
use sockeye_deflate::{
    codec::{CloseCode, OpCode, RSV1},
    Deflate, Extension,
};

use super::util::*;

/// Sends `messages` from a sockeye server using `server` to a raw client, returning the
/// frames on the wire.
async fn frames_sent_by(server: Deflate, messages: &[&str], frame_size: usize) -> Vec<RawFrame> {
    let (mut tx, _rx, mut raw) = raw_peer(Mode::Server, server, |b| {
        b.set_outgoing_frame_size(frame_size);
    });
    for m in messages {
        tx.send_text(m).await.unwrap();
    }
    tx.flush().await.unwrap();
    let mut frames = Vec::new();
    let mut finals = 0;
    while finals < messages.len() {
        let frame = read_frame(&mut raw).await;
        finals += usize::from(frame.fin());
        frames.push(frame);
    }
    frames
}

/// Inflates the payload of one server message with a client that agreed with `server`.
fn inflate(client: &mut Deflate, payload: &[u8]) -> Vec<u8> {
    let mut data = payload.to_vec();
    client
        .decode(RSV1, OpCode::Text, &mut data, 0, 64 << 20)
        .unwrap();
    data
}

mod round_trip {
    use super::*;

    async fn both_ways(client: Deflate, server: Deflate, messages: &[String]) {
        let ((mut ctx, mut crx), (mut stx, mut srx)) = pair(client, server, |_| {});
        let mut buf = Vec::new();
        for m in messages {
            ctx.send_text(m).await.unwrap();
            buf.clear();
            assert_eq!(
                srx.receive_data(&mut buf).await.unwrap(),
                Data::Text(m.len())
            );
            assert!(buf == m.as_bytes());
            stx.send_binary(&buf).await.unwrap();
            buf.clear();
            assert_eq!(
                crx.receive_data(&mut buf).await.unwrap(),
                Data::Binary(m.len())
            );
            assert!(buf == m.as_bytes());
        }
    }

    fn messages() -> Vec<String> {
        vec![
            json(10),
            json(10),
            String::new(),
            "Hello".into(),
            json(3000),
            "é, ü and 🦀".into(),
            json(1),
        ]
    }

    #[tokio::test]
    async fn with_context_takeover() {
        let (client, server) = agreed();
        both_ways(client, server, &messages()).await;
    }

    #[tokio::test]
    async fn without_context_takeover() {
        let mut client = Deflate::new(Mode::Client);
        client
            .set_client_no_context_takeover(true)
            .set_server_no_context_takeover(true);
        let mut server = Deflate::new(Mode::Server);
        assert!(negotiate(&mut client, &mut server));
        both_ways(client, server, &messages()).await;
    }

    #[tokio::test]
    async fn fragmented_both_ways() {
        let (client, server) = agreed();
        let ((mut ctx, mut crx), (mut stx, mut srx)) = pair(client, server, |b| {
            b.set_outgoing_frame_size(100);
        });
        let text = json(500);
        let mut buf = Vec::new();
        for _ in 0..3 {
            ctx.send_text(&text).await.unwrap();
            buf.clear();
            srx.receive_data(&mut buf).await.unwrap();
            assert!(buf == text.as_bytes());
            stx.send_text(&text).await.unwrap();
            buf.clear();
            crx.receive_data(&mut buf).await.unwrap();
            assert!(buf == text.as_bytes());
        }
    }

    /// RFC 7692 §7.1.2: every window size, 8 included (where we inflate but send plain).
    #[tokio::test]
    async fn every_window_size_from_8_to_15() {
        for bits in 8..=15 {
            let offer = params(&format!(
                "server_max_window_bits={bits}; client_max_window_bits={bits}"
            ));
            let mut server = Deflate::new(Mode::Server);
            server.configure(&offer).unwrap();
            let mut client = Deflate::new(Mode::Client);
            client.configure(server.params()).unwrap();
            assert_eq!(client.negotiated().unwrap().client_max_window_bits, bits);
            let text: Vec<String> = (0..3).map(|_| json(400)).collect();
            both_ways(client, server, &text).await;
        }
    }
}

/// What goes on the wire: RSV1 on the first frame only, and the gain from the shared window.
mod wire {
    use super::*;

    #[tokio::test]
    async fn context_takeover_makes_a_repeated_message_far_smaller() {
        let text = json(50);
        let (mut client, server) = agreed();
        let frames = frames_sent_by(server, &[&text, &text], usize::MAX).await;
        assert_eq!(frames.len(), 2);
        assert!(frames
            .iter()
            .all(|f| f.rsv1() && f.fin() && f.opcode() == 0x1));
        let (first, second) = (frames[0].payload.len(), frames[1].payload.len());
        assert!(first < text.len() / 3, "{first} of {}", text.len());
        // The second refers back to the first: a few bytes of matches.
        assert!(second * 5 < first, "first {first}, second {second}");
        assert_eq!(inflate(&mut client, &frames[0].payload), text.as_bytes());
        assert_eq!(inflate(&mut client, &frames[1].payload), text.as_bytes());
    }

    #[tokio::test]
    async fn without_context_takeover_a_repeated_message_is_the_same_size() {
        let text = json(50);
        let mut client = Deflate::new(Mode::Client);
        client.set_server_no_context_takeover(true);
        let mut server = Deflate::new(Mode::Server);
        assert!(negotiate(&mut client, &mut server));
        let frames = frames_sent_by(server, &[&text, &text], usize::MAX).await;
        assert!(frames[0].rsv1() && frames[1].rsv1());
        assert_eq!(frames[0].payload, frames[1].payload);
        assert!(frames[0].payload.len() < text.len() / 3);
        assert_eq!(inflate(&mut client, &frames[1].payload), text.as_bytes());
    }

    #[tokio::test]
    async fn rsv1_only_on_the_first_frame_of_a_fragmented_message() {
        let text = json(200);
        let (mut client, server) = agreed();
        let frames = frames_sent_by(server, &[&text], 64).await;
        assert!(frames.len() > 3);
        assert_eq!(frames[0].first_byte, 0x41, "text, RSV1, not final");
        for middle in &frames[1..frames.len() - 1] {
            assert_eq!(middle.first_byte, 0x00, "continuation, no RSV bits");
        }
        assert_eq!(
            frames.last().unwrap().first_byte,
            0x80,
            "final continuation"
        );
        let payload: Vec<u8> = frames.iter().flat_map(|f| f.payload.clone()).collect();
        assert_eq!(inflate(&mut client, &payload), text.as_bytes());
    }

    #[tokio::test]
    async fn rfc7692_7_2_3_1_hello_on_the_wire() {
        let (_, server) = agreed();
        let frames = frames_sent_by(server, &["Hello"], usize::MAX).await;
        assert_eq!(frames[0].first_byte, 0xc1);
        assert_eq!(
            frames[0].payload,
            [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]
        );
    }

    #[tokio::test]
    async fn messages_under_the_threshold_go_out_plain() {
        let (_, mut server) = agreed();
        server.set_threshold(64);
        let long = json(5);
        let frames = frames_sent_by(server, &["short", &long, "tiny"], usize::MAX).await;
        assert_eq!(frames[0].first_byte, 0x81);
        assert_eq!(frames[0].payload, b"short");
        assert_eq!(frames[1].first_byte, 0xc1);
        assert!(frames[1].payload.len() < long.len());
        assert_eq!(frames[2].first_byte, 0x81);
        assert_eq!(frames[2].payload, b"tiny");
    }

    #[tokio::test]
    async fn a_declined_extension_leaves_the_connection_uncompressed() {
        let client = Deflate::new(Mode::Client);
        let mut server = Deflate::new(Mode::Server);
        // The handshake declines (say, an unknown parameter); the client never hears of it.
        assert!(server.configure(&params("x_unknown")).is_err());
        assert!(!client.is_enabled() && !server.is_enabled());
        let frames = frames_sent_by(server, &["Hello"], usize::MAX).await;
        assert_eq!(frames[0].first_byte, 0x81);
        assert_eq!(frames[0].payload, b"Hello");
        // And a peer that sets RSV1 anyway breaks the protocol.
        let (_tx, mut rx, mut raw) = raw_peer(Mode::Client, Deflate::new(Mode::Client), |_| {});
        write(
            &mut raw,
            &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
        )
        .await;
        let err = rx.receive(&mut Vec::new()).await.unwrap_err();
        assert_eq!(err.close_code(), Some(CloseCode::PROTOCOL_ERROR));
    }
}

/// Incoming compressed messages from a raw client, and the close code for each peer error.
mod incoming {
    use super::*;

    /// Sends `wire` to a sockeye server that agreed to permessage-deflate; returns the
    /// outcome of one receive and everything the server wrote back.
    async fn receive(
        wire: &[u8],
        configure: impl FnOnce(&mut connection::Builder<Io>),
    ) -> (Result<(Data, Vec<u8>), Error>, Vec<u8>) {
        let (_, server) = agreed();
        let (_tx, mut rx, mut raw) = raw_peer(Mode::Server, server, configure);
        write(&mut raw, wire).await;
        let mut buf = Vec::new();
        match rx.receive_data(&mut buf).await {
            Ok(data) => (Ok((data, buf)), Vec::new()),
            Err(e) => (Err(e), read_to_end(&mut raw).await),
        }
    }

    async fn fails_with(wire: &[u8], code: u16) -> Error {
        let (result, out) = receive(wire, |_| {}).await;
        let err = result.unwrap_err();
        assert_eq!(err.close_code(), Some(CloseCode(code)), "{err}");
        assert_eq!(out, close_frame(code));
        err
    }

    #[tokio::test]
    async fn rfc7692_7_2_3_1_hello_from_a_client() {
        let wire = masked(0xc1, &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
        let (result, _) = receive(&wire, |_| {}).await;
        assert_eq!(result.unwrap(), (Data::Text(5), b"Hello".to_vec()));
    }

    #[tokio::test]
    async fn rfc7692_7_2_3_6_fragmented_with_an_empty_final_fragment() {
        // "Hello" flushed in a first fragment (trailer kept), then the single octet 0x00.
        let mut wire = masked(
            0x41,
            &[
                0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff,
            ],
        );
        wire.extend(masked(0x80, &[0x00]));
        let (result, _) = receive(&wire, |_| {}).await;
        assert_eq!(result.unwrap(), (Data::Text(5), b"Hello".to_vec()));
    }

    #[tokio::test]
    async fn fragments_split_anywhere_in_the_deflate_stream() {
        let text = json(100);
        let compressed = deflate(&[text.as_bytes()]);
        for split in [1, 2, compressed.len() / 2, compressed.len() - 1] {
            let mut wire = masked(0x41, &compressed[..split]);
            wire.extend(masked(0x89, b"ping"));
            wire.extend(masked(0x80, &compressed[split..]));
            let (result, _) = receive(&wire, |_| {}).await;
            let (data, buf) = result.unwrap();
            assert_eq!(data, Data::Text(text.len()));
            assert!(buf == text.as_bytes(), "split at {split}");
        }
    }

    #[tokio::test]
    async fn an_uncompressed_message_on_a_compressing_connection() {
        let (result, _) = receive(&masked(0x81, b"plain"), |_| {}).await;
        assert_eq!(result.unwrap(), (Data::Text(5), b"plain".to_vec()));
    }

    #[tokio::test]
    async fn an_empty_compressed_message() {
        for payload in [&[][..], &[0x00]] {
            let (result, _) = receive(&masked(0xc2, payload), |_| {}).await;
            assert_eq!(result.unwrap(), (Data::Binary(0), vec![]));
        }
    }

    #[tokio::test]
    async fn a_corrupt_deflate_stream_gets_1007() {
        // BTYPE 11 is reserved (RFC 1951 §3.2.3).
        let err = fails_with(&masked(0xc1, &[0xff, 0xff, 0xff]), 1007).await;
        assert!(
            err.to_string().starts_with(
                "extension permessage-deflate: peer sent a compressed message that \
                              does not inflate"
            ),
            "{err}"
        );
        // A back-reference before the start of the stream.
        fails_with(&masked(0xc2, &[0xf2, 0x00, 0x11, 0x00, 0x00]), 1007).await;
    }

    #[tokio::test]
    async fn text_that_is_not_utf8_once_inflated_gets_1007() {
        let wire = masked(0xc1, &deflate(&[&[b'a', 0xff, b'b']]));
        fails_with(&wire, 1007).await;
    }

    #[tokio::test]
    async fn rsv1_on_a_continuation_gets_1002() {
        let compressed = deflate(&[b"Hello, Hello"]);
        let mut wire = masked(0x41, &compressed[..3]);
        wire.extend(masked(0xc0, &compressed[3..]));
        fails_with(&wire, 1002).await;
    }

    #[tokio::test]
    async fn rsv1_on_a_control_frame_gets_1002() {
        fails_with(&masked(0xc9, b"ping"), 1002).await;
    }

    #[tokio::test]
    async fn rsv2_and_rsv3_stay_forbidden() {
        fails_with(&masked(0xa1, b"x"), 1002).await;
        fails_with(&masked(0x91, b"x"), 1002).await;
    }

    #[tokio::test]
    async fn a_message_inflating_past_the_limit_gets_1009() {
        let text = vec![b'a'; 10_001];
        let wire = masked(0xc1, &deflate(&[&text]));
        let (result, out) = receive(&wire, |b| {
            b.set_max_message_size(10_000);
        })
        .await;
        let err = result.unwrap_err();
        assert_eq!(err.close_code(), Some(CloseCode::MESSAGE_TOO_BIG), "{err}");
        assert!(err.to_string().contains("10000"), "{err}");
        assert_eq!(out, close_frame(1009));
        // Exactly at the limit is fine.
        let wire = masked(0xc1, &deflate(&[&text[1..]]));
        let (result, _) = receive(&wire, |b| {
            b.set_max_message_size(10_000);
        })
        .await;
        assert_eq!(result.unwrap().0, Data::Text(10_000));
    }
}
