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
