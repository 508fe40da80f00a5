//! A `Client` and a `Server` against each other over an in-memory pipe whose small buffer
//! splits every read and write.

use codec::Param;
use sockeye_handshake::{server::Response, Client, Error, Header, Server, ServerResponse};
use tokio::io::DuplexStream;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

use super::support::TestExt;

/// Both ends of a pipe that moves at most 7 bytes at a time.
fn pipe() -> (Compat<DuplexStream>, Compat<DuplexStream>) {
    let (a, b) = tokio::io::duplex(7);
    (a.compat(), b.compat())
}

#[tokio::test]
async fn client_and_server_agree_on_protocol_and_extension() {
    let (client_io, server_io) = pipe();
    let (server_ext, server_log) = TestExt::new("test", vec![], &["a", "b"]).boxed();
    let (client_ext, client_log) = TestExt::new(
        "test",
        vec![Param::new("a"), Param::with_value("b", "9")],
        &["a", "b"],
    )
    .boxed();

    let server = async move {
        let mut server = Server::new(server_io);
        server
            .add_protocol("v3")
            .add_protocol("v2")
            .add_extension(server_ext);
        let req = server.receive_request().await?;
        assert_eq!(req.protocols().collect::<Vec<_>>(), ["v1", "v2", "v3"]);
        assert_eq!(req.headers().host, "example.com:9001");
        assert_eq!(req.headers().get("x-trace"), Some(&b"42"[..]));
        let accept = Response::Accept {
            key: req.key(),
            protocol: req.protocol(),
        };
        server.send_response(&accept).await?;
        Ok::<_, Error>(server.into_builder())
    };
    let client = async move {
        let headers = [Header {
            name: "X-Trace",
            value: b"42",
        }];
        let mut client = Client::new(client_io, "example.com:9001", "/ws");
        client
            .add_protocol("v1")
            .add_protocol("v2")
            .add_protocol("v3")
            .add_extension(client_ext)
            .set_headers(&headers);
        let response = client.handshake().await?;
        Ok::<_, Error>((response, client.into_builder()))
    };
    let (server, client) = tokio::join!(server, client);
    server.unwrap();
    let (response, _builder) = client.unwrap();
    assert_eq!(
        response,
        ServerResponse::Accepted {
            protocol: Some("v3".into())
        },
        "the server's preference wins"
    );
    let offered = vec![Param::new("a"), Param::with_value("b", "9")];
    assert_eq!(
        server_log.lock().unwrap().configured,
        std::slice::from_ref(&offered)
    );
    assert_eq!(client_log.lock().unwrap().configured, [offered]);
}

#[tokio::test]
async fn cross_site_request_is_refused_and_the_client_sees_403() {
    let (client_io, server_io) = pipe();
    let server = async move {
        let mut server = Server::new(server_io);
        server.set_allowed_origins(["https://example.com"]);
        server.receive_request().await
    };
    let client = async move {
        let headers = [Header {
            name: "Origin",
            value: b"https://evil.example",
        }];
        let mut client = Client::new(client_io, "example.com", "/");
        client.set_headers(&headers);
        client.handshake().await
    };
    let (server, client) = tokio::join!(server, client);
    let err = server.unwrap_err();
    assert!(
        matches!(&err, Error::OriginNotAllowed { origin } if origin == "https://evil.example"),
        "{err:?}"
    );
    assert_eq!(
        client.unwrap(),
        ServerResponse::Rejected { status_code: 403 }
    );
}

#[tokio::test]
async fn redirect_and_reject_reach_the_client() {
    let cases = [
        (
            Response::Redirect {
                status_code: 308,
                location: "wss://new.example/ws",
            },
            ServerResponse::Redirect {
                status_code: 308,
                location: "wss://new.example/ws".into(),
            },
        ),
        (
            Response::Reject { status_code: 503 },
            ServerResponse::Rejected { status_code: 503 },
        ),
    ];
    for (response, expected) in cases {
        let (client_io, server_io) = pipe();
        let server = async move {
            let mut server = Server::new(server_io);
            server.receive_request().await?;
            server.send_response(&response).await
        };
        let client = async move { Client::new(client_io, "example.com", "/").handshake().await };
        let (server, client) = tokio::join!(server, client);
        server.unwrap();
        assert_eq!(client.unwrap(), expected);
    }
}

#[tokio::test]
async fn client_fails_on_a_protocol_the_server_forces() {
    let (client_io, server_io) = pipe();
    let server = async move {
        let mut server = Server::new(server_io);
        let req = server.receive_request().await?;
        // The server checks the client's offers, so a misbehaving server is simulated by
        // writing the response by hand.
        let accept = sockeye_handshake::http1::accept_key(&req.key());
        let mut io = server.into_inner();
        let response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: forced\r\n\r\n"
        );
        futures::AsyncWriteExt::write_all(&mut io, response.as_bytes()).await?;
        Ok::<_, Error>(io)
    };
    let client = async move {
        let mut client = Client::new(client_io, "example.com", "/");
        client.add_protocol("chat");
        client.handshake().await
    };
    let (server, client) = tokio::join!(server, client);
    let _io = server.unwrap();
    assert!(matches!(
        client.unwrap_err(),
        Error::UnsolicitedProtocol { protocol } if protocol == "forced"
    ));
}

/// Both ends of a pipe that holds a whole head, so that a frame written with a head is read
/// with it.
fn big_pipe() -> (Compat<DuplexStream>, Compat<DuplexStream>) {
    let (a, b) = tokio::io::duplex(4096);
    (a.compat(), b.compat())
}

/// Handshakes a client and a server over a pipe and finishes both connections.
async fn connected() -> (
    (
        connection::Sender<Compat<DuplexStream>>,
        connection::Receiver<Compat<DuplexStream>>,
    ),
    (
        connection::Sender<Compat<DuplexStream>>,
        connection::Receiver<Compat<DuplexStream>>,
    ),
) {
    let (client_io, server_io) = pipe();
    let server = async move {
        let mut server = Server::new(server_io);
        let req = server.receive_request().await?;
        let accept = Response::Accept {
            key: req.key(),
            protocol: None,
        };
        server.send_response(&accept).await?;
        Ok::<_, Error>(server.into_builder().finish())
    };
    let client = async move {
        let mut client = Client::new(client_io, "example.com", "/");
        match client.handshake().await? {
            ServerResponse::Accepted { .. } => Ok::<_, Error>(client.into_builder().finish()),
            other => panic!("not accepted: {other:?}"),
        }
    };
    let (server, client) = tokio::join!(server, client);
    (client.unwrap(), server.unwrap())
}

#[tokio::test]
async fn text_flows_both_ways_after_the_handshake() {
    let ((mut client_tx, mut client_rx), (mut server_tx, mut server_rx)) = connected().await;
    let client = async move {
        client_tx.send_text("hello from the client").await?;
        client_tx.flush().await?;
        let mut data = Vec::new();
        let kind = client_rx.receive_data(&mut data).await?;
        assert!(kind.is_text());
        Ok::<_, connection::Error>((data, client_tx, client_rx))
    };
    let server = async move {
        let mut data = Vec::new();
        let kind = server_rx.receive_data(&mut data).await?;
        assert!(kind.is_text());
        server_tx.send_text("hello from the server").await?;
        server_tx.flush().await?;
        Ok::<_, connection::Error>((data, server_tx, server_rx))
    };
    let (client, server) = tokio::join!(client, server);
    let (client_got, _client_tx, _client_rx) = client.unwrap();
    let (server_got, _server_tx, _server_rx) = server.unwrap();
    assert_eq!(server_got, b"hello from the client");
    assert_eq!(client_got, b"hello from the server");
}

#[tokio::test]
async fn frame_pipelined_with_the_request_reaches_the_server_connection() {
    // With the 7-byte pipe both ends would block writing.
    let (mut client_io, server_io) = big_pipe();
    let writer = async move {
        // The request and a masked text frame "Hello" (RFC 6455 §5.7) in one write, before
        // any answer: the server must not drop the frame it reads along with the head.
        let mut wire =
            b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                .to_vec();
        wire.extend_from_slice(&[
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ]);
        futures::AsyncWriteExt::write_all(&mut client_io, &wire).await?;
        let mut answer = vec![0; 129];
        futures::AsyncReadExt::read_exact(&mut client_io, &mut answer).await?;
        Ok::<_, std::io::Error>((answer, client_io))
    };
    let server = async move {
        let mut server = Server::new(server_io);
        let req = server.receive_request().await?;
        let accept = Response::Accept {
            key: req.key(),
            protocol: None,
        };
        server.send_response(&accept).await?;
        assert_eq!(
            server.buffered().len(),
            11,
            "the frame was read with the head"
        );
        let (_tx, mut rx) = server.into_builder().finish();
        let mut data = Vec::new();
        rx.receive_data(&mut data).await.unwrap();
        Ok::<_, Error>(data)
    };
    let (writer, server) = tokio::join!(writer, server);
    let (answer, _io) = writer.unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
    assert!(answer.ends_with(b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"));
    assert_eq!(server.unwrap(), b"Hello");
}

#[tokio::test]
async fn frame_sent_with_the_101_reaches_the_client_connection() {
    let (client_io, mut server_io) = big_pipe();
    let server = async move {
        let mut request = Vec::new();
        while !request.ends_with(b"\r\n\r\n") {
            let mut byte = [0];
            futures::AsyncReadExt::read_exact(&mut server_io, &mut byte).await?;
            request.push(byte[0]);
        }
        let mut wire = super::support::switching_protocols(&request, "");
        wire.extend_from_slice(&[0x81, 0x02, b'H', b'i']);
        futures::AsyncWriteExt::write_all(&mut server_io, &wire).await?;
        Ok::<_, std::io::Error>(server_io)
    };
    let client = async move {
        let mut client = Client::new(client_io, "example.com", "/");
        client.handshake().await?;
        assert_eq!(
            client.buffered().len(),
            4,
            "the frame was read with the head"
        );
        let (_tx, mut rx) = client.into_builder().finish();
        let mut data = Vec::new();
        rx.receive_data(&mut data).await.unwrap();
        Ok::<_, Error>(data)
    };
    let (server, client) = tokio::join!(server, client);
    let _io = server.unwrap();
    assert_eq!(client.unwrap(), b"Hi");
}

/// The seed's two examples, as written there apart from the crate name and the in-memory
/// sockets, run against each other.
#[tokio::test]
async fn seed_examples_run_against_each_other() {
    let (client_socket, server_socket) = big_pipe();
    let server = async move {
        #[allow(unused_imports)] // The seed imports `ClientRequest` without naming it.
        use sockeye_handshake::{server::Response, ClientRequest, Server};
        let mut server = Server::new(server_socket);
        let websocket_key = {
            let req = server.receive_request().await?;
            req.key()
        };
        // Here we accept the client unconditionally.
        let accept = Response::Accept {
            key: websocket_key,
            protocol: None,
        };
        server.send_response(&accept).await?;
        // And we can finally transition to a websocket connection.
        let (mut sender, mut receiver) = server.into_builder().finish();
        let mut data = Vec::new();
        let data_type = receiver.receive_data(&mut data).await?;
        if data_type.is_text() {
            sender.send_text(std::str::from_utf8(&data)?).await?
        } else {
            sender.send_binary(&data).await?
        }
        sender.close().await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    let client = async move {
        use sockeye_handshake::{Client, ServerResponse};
        let mut client = Client::new(client_socket, "...", "/");
        let (mut sender, mut receiver) = match client.handshake().await? {
            ServerResponse::Accepted { .. } => client.into_builder().finish(),
            ServerResponse::Redirect {
                status_code,
                location,
            } => unimplemented!("follow location URL {status_code} {location}"),
            ServerResponse::Rejected { status_code } => {
                unimplemented!("handle failure {status_code}")
            }
        };
        sender.send_text("some text").await?;
        sender.send_text("some more text").await?;
        sender.flush().await?;
        let mut data = Vec::new();
        receiver.receive_data(&mut data).await?;
        Ok::<_, Box<dyn std::error::Error>>(data)
    };
    let (server, client) = tokio::join!(server, client);
    server.unwrap();
    assert_eq!(client.unwrap(), b"some text");
}
