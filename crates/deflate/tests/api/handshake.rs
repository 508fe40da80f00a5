//! The extension through the real opening handshake (`sockeye-handshake`): the
//! `Sec-WebSocket-Extensions` header as written and parsed on the wire, several offers in one
//! header, a server without the extension, and a response the client must refuse.

use connection::{Data, Mode};
use sockeye_deflate::{Deflate, Extension};
use sockeye_handshake::{server::Response, Client, Error, Server, ServerResponse};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio_util::compat::TokioAsyncReadCompatExt;

use super::util::json;

/// The RFC 6455 §1.3 sample key.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// A sockeye server with `ext` (if any) answering a raw request carrying `extensions`; returns
/// the response head.
async fn server_answers(extensions: &str, ext: Option<Deflate>) -> String {
    let (mut raw, io) = tokio::io::duplex(1 << 16);
    let server = async move {
        let mut server = Server::new(io.compat());
        if let Some(ext) = ext {
            server.add_extension(Box::new(ext));
        }
        let request = server.receive_request().await.unwrap();
        let accept = Response::Accept {
            key: request.key(),
            protocol: None,
        };
        server.send_response(&accept).await.unwrap();
        server.into_builder()
    };
    let client = async move {
        let request = format!(
            "GET /ws HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Extensions: {extensions}\r\n\r\n"
        );
        raw.write_all(request.as_bytes()).await.unwrap();
        read_head(&mut raw).await
    };
    let (_builder, head) = tokio::join!(server, client);
    head
}

async fn read_head(raw: &mut DuplexStream) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(raw.read_u8().await.unwrap());
    }
    String::from_utf8(head).unwrap()
}

/// The `Sec-WebSocket-Extensions` value of a response head, if it has one.
fn extensions_header(head: &str) -> Option<&str> {
    head.lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Extensions: "))
}

#[tokio::test]
async fn several_offers_in_one_header_the_first_acceptable_wins() {
    let head = server_answers(
        "permessage-deflate; x-unknown=1, permessage-deflate; server_max_window_bits=\"10\"; \
         client_max_window_bits, permessage-deflate",
        Some(Deflate::new(Mode::Server)),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert_eq!(
        extensions_header(&head),
        Some("permessage-deflate; server_max_window_bits=10")
    );
}

#[tokio::test]
async fn no_acceptable_offer_means_no_extension_in_the_response() {
    let head = server_answers(
        "permessage-deflate; server_max_window_bits=16, permessage-deflate; foo",
        Some(Deflate::new(Mode::Server)),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert_eq!(extensions_header(&head), None);
}

#[tokio::test]
async fn client_and_server_compress_after_a_real_handshake() {
    let (client_io, server_io) = tokio::io::duplex(1 << 20);
    let server = async move {
        let mut server = Server::new(server_io.compat());
        let mut ext = Deflate::new(Mode::Server);
        ext.set_max_client_window_bits(12).unwrap();
        server.add_extension(Box::new(ext));
        let request = server.receive_request().await?;
        let accept = Response::Accept {
            key: request.key(),
            protocol: None,
        };
        server.send_response(&accept).await?;
        Ok::<_, Error>(server.into_builder())
    };
    let client = async move {
        let mut client = Client::new(client_io.compat(), "example.com", "/ws");
        client.add_extension(Box::new(Deflate::new(Mode::Client)));
        let response = client.handshake().await?;
        assert_eq!(response, ServerResponse::Accepted { protocol: None });
        Ok::<_, Error>(client.into_builder())
    };
    let (server, client) = tokio::join!(server, client);
    let (mut stx, mut srx) = server.unwrap().finish();
    let (mut ctx, mut crx) = client.unwrap().finish();
    let text = json(200);
    let mut buf = Vec::new();
    for _ in 0..3 {
        ctx.send_text(&text).await.unwrap();
        buf.clear();
        assert_eq!(
            srx.receive_data(&mut buf).await.unwrap(),
            Data::Text(text.len())
        );
        assert!(buf == text.as_bytes());
        stx.send_binary(&buf).await.unwrap();
        buf.clear();
        assert_eq!(
            crx.receive_data(&mut buf).await.unwrap(),
            Data::Binary(text.len())
        );
        assert!(buf == text.as_bytes());
    }
}

#[tokio::test]
async fn a_server_without_the_extension_leaves_the_client_uncompressed() {
    let (client_io, mut raw) = tokio::io::duplex(1 << 16);
    let client = async move {
        let mut client = Client::new(client_io.compat(), "example.com", "/ws");
        client.add_extension(Box::new(Deflate::new(Mode::Client)));
        client.handshake().await.unwrap();
        client.into_builder()
    };
    let server = async move {
        let request = read_head(&mut raw).await;
        assert!(
            request.contains(
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
            ),
            "{request}"
        );
        let key = request
            .lines()
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
            .unwrap()
            .to_owned();
        let accept = sockeye_handshake::http1::accept_key(key.as_bytes());
        let response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        raw.write_all(response.as_bytes()).await.unwrap();
        raw
    };
    let (builder, mut raw) = tokio::join!(client, server);
    let (mut tx, _rx) = builder.finish();
    tx.send_text("Hello").await.unwrap();
    let mut frame = [0; 11];
    raw.read_exact(&mut frame).await.unwrap();
    assert_eq!(frame[0], 0x81, "FIN + text, RSV1 clear");
    assert_eq!(frame[1], 0x85, "masked, 5 bytes: sent as is");
}

#[tokio::test]
async fn a_response_the_client_cannot_honour_fails_the_handshake() {
    let (client_io, mut raw) = tokio::io::duplex(1 << 16);
    let client = async move {
        let mut client = Client::new(client_io.compat(), "example.com", "/ws");
        let mut ext = Deflate::new(Mode::Client);
        ext.set_max_server_window_bits(10).unwrap();
        client.add_extension(Box::new(ext));
        client.handshake().await
    };
    let server = async move {
        let request = read_head(&mut raw).await;
        let key = request
            .lines()
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
            .unwrap()
            .to_owned();
        let accept = sockeye_handshake::http1::accept_key(key.as_bytes());
        // RFC 7692 §7.1.2.1: the server may not raise the window the client limited.
        let response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {accept}\r\n\
             Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12\r\n\r\n"
        );
        raw.write_all(response.as_bytes()).await.unwrap();
        raw
    };
    let (result, _raw) = tokio::join!(client, server);
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Extension(_)), "{err}");
    assert!(
        err.to_string()
            .contains("server_max_window_bits=12, over the offered 10"),
        "{err}"
    );
}

#[tokio::test]
async fn the_offer_on_the_wire_carries_every_setting() {
    let (client_io, mut raw) = tokio::io::duplex(1 << 16);
    let mut ext = Deflate::new(Mode::Client);
    ext.set_server_no_context_takeover(true)
        .set_max_server_window_bits(11)
        .unwrap();
    assert!(!ext.is_enabled());
    let client = async move {
        let mut client = Client::new(client_io.compat(), "example.com", "/ws");
        client.add_extension(Box::new(ext));
        // The raw end never answers; only the request matters here.
        let _ = client.handshake().await;
    };
    let server = async move {
        let request = read_head(&mut raw).await;
        drop(raw);
        request
    };
    let ((), request) = tokio::join!(client, server);
    assert!(
        request.contains(
            "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; \
             server_max_window_bits=11; client_max_window_bits\r\n"
        ),
        "{request}"
    );
}
