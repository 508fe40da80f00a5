//! `Client`: the request it sends (RFC 6455 §4.1) and its checks on the server's answer.

use base64::Engine as _;
use codec::Param;
use futures::AsyncReadExt as _;
use sockeye_handshake::{
    http1::{DEFAULT_MAX_HEADERS, DEFAULT_MAX_HEAD_BYTES},
    Client, Error, Header, ServerResponse,
};

use super::support::{accept_for, header_value, switching_protocols, Mock, TestExt};

/// Runs a default client's handshake against a server that answers with `respond(request)`,
/// delivered in one read. Returns the result and the client.
async fn handshake_with(
    respond: impl FnOnce(&[u8]) -> Vec<u8> + Send + 'static,
) -> (Result<ServerResponse, Error>, Client<'static, Mock>) {
    let mut client = Client::new(
        Mock::responding(|req| vec![respond(req)]),
        "example.com",
        "/",
    );
    client.add_protocol("chat");
    let result = client.handshake().await;
    (result, client)
}

#[tokio::test]
async fn request_has_every_required_header_in_order() {
    let headers = [
        Header {
            name: "Origin",
            value: b"https://example.com",
        },
        Header {
            name: "Authorization",
            value: b"Bearer t0ken",
        },
    ];
    let mut client = Client::new(
        Mock::responding(|req| vec![switching_protocols(req, "")]),
        "example.com:9001",
        "/chat?room=1",
    );
    let (ext, _) = TestExt::new(
        "permessage-test",
        vec![Param::new("a"), Param::with_value("b", "15")],
        &["a", "b"],
    )
    .boxed();
    client
        .add_protocol("chat.v2")
        .add_protocol("chat.v1")
        .add_extension(ext)
        .set_headers(&headers);
    client.handshake().await.unwrap();
    let written = client.into_inner().written;
    let key = header_value(&written, "Sec-WebSocket-Key")
        .unwrap()
        .to_owned();
    let expected = format!(
        "GET /chat?room=1 HTTP/1.1\r\n\
         Host: example.com:9001\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\n\
         Sec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Protocol: chat.v2, chat.v1\r\n\
         Sec-WebSocket-Extensions: permessage-test; a; b=15\r\n\
         Origin: https://example.com\r\n\
         Authorization: Bearer t0ken\r\n\
         \r\n"
    );
    assert_eq!(String::from_utf8(written).unwrap(), expected);
}

#[tokio::test]
async fn key_is_fresh_random_16_bytes_in_base64() {
    let mut keys = Vec::new();
    for _ in 0..8 {
        let (result, client) = handshake_with(|req| switching_protocols(req, "")).await;
        result.unwrap();
        let written = client.into_inner().written;
        let key = header_value(&written, "Sec-WebSocket-Key")
            .unwrap()
            .to_owned();
        let nonce = base64::engine::general_purpose::STANDARD
            .decode(&key)
            .unwrap();
        assert_eq!((key.len(), nonce.len()), (24, 16));
        keys.push(key);
    }
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 8, "every handshake uses a new key");
}

#[tokio::test]
async fn every_split_point_of_a_response_gives_the_same_answer() {
    // An unmasked server text frame "Hi", sent right behind the 101.
    let frame = [0x81, 0x02, b'H', b'i'];
    let make = move |req: &[u8]| {
        let mut r = switching_protocols(req, "Sec-WebSocket-Protocol: chat\r\n");
        r.extend_from_slice(&frame);
        r
    };
    // Every key has the same length, so every response does.
    let len = make(b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n").len();
    for at in 0..=len {
        let mut client = Client::new(
            Mock::responding(move |req| {
                let r = make(req);
                vec![r[..at].to_vec(), r[at..].to_vec()]
            }),
            "example.com",
            "/",
        );
        client.add_protocol("chat");
        let response = client.handshake().await.unwrap();
        assert_eq!(
            response,
            ServerResponse::Accepted {
                protocol: Some("chat".into())
            },
            "split at {at}"
        );
        // Bytes of the frame that were not read yet stay in the socket for the connection.
        let mut kept = client.buffered().to_vec();
        let mut mock = client.into_inner();
        mock.read_to_end(&mut kept).await.unwrap();
        assert_eq!(kept, frame, "split at {at}");
    }
}

#[tokio::test]
async fn frame_sent_with_the_101_is_buffered() {
    let frame = [0x81, 0x02, b'H', b'i'];
    let (result, client) = handshake_with(move |req| {
        let mut r = switching_protocols(req, "");
        r.extend_from_slice(&frame);
        r
    })
    .await;
    result.unwrap();
    assert_eq!(client.buffered(), frame);
}

#[tokio::test]
async fn response_one_byte_at_a_time_with_pending_reads() {
    let mut client = Client::new(
        Mock::responding(|req| {
            switching_protocols(req, "")
                .into_iter()
                .map(|b| vec![b])
                .collect()
        }),
        "example.com",
        "/",
    );
    assert_eq!(
        client.handshake().await.unwrap(),
        ServerResponse::Accepted { protocol: None }
    );
}

#[tokio::test]
async fn redirects_are_reported_with_their_location() {
    for code in [301, 302, 303, 307, 308] {
        let (result, _) = handshake_with(move |_| {
            format!("HTTP/1.1 {code} Moved\r\nLocation: wss://elsewhere.example/\r\n\r\n")
                .into_bytes()
        })
        .await;
        assert_eq!(
            result.unwrap(),
            ServerResponse::Redirect {
                status_code: code,
                location: "wss://elsewhere.example/".into()
            }
        );
    }
    let (result, _) = handshake_with(|_| b"HTTP/1.1 302 Found\r\n\r\n".to_vec()).await;
    let err = result.unwrap_err();
    assert!(
        matches!(&err, Error::BadResponse { reason } if reason == "redirect 302 without a Location header"),
        "{err:?}"
    );
}

#[tokio::test]
async fn other_statuses_are_rejections() {
    for code in [200, 304, 400, 403, 404, 426, 500, 503] {
        let (result, _) = handshake_with(move |_| {
            format!("HTTP/1.1 {code} Whatever\r\nContent-Length: 0\r\n\r\n").into_bytes()
        })
        .await;
        assert_eq!(
            result.unwrap(),
            ServerResponse::Rejected { status_code: code }
        );
    }
    // A rejection from an HTTP/1.0 server is still a rejection.
    let (result, _) = handshake_with(|_| b"HTTP/1.0 403 Forbidden\r\n\r\n".to_vec()).await;
    assert_eq!(
        result.unwrap(),
        ServerResponse::Rejected { status_code: 403 }
    );
}

#[tokio::test]
async fn tokens_are_case_insensitive_comma_lists() {
    let (result, _) = handshake_with(|req| {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n\
             CONNECTION: keep-alive, UPGRADE\r\nsec-websocket-accept: {}\r\n\r\n",
            accept_for(req)
        )
        .into_bytes()
    })
    .await;
    assert_eq!(result.unwrap(), ServerResponse::Accepted { protocol: None });
}

/// A `101` for `req` with the given header lines instead of the standard ones.
fn custom_101(lines: &[&str]) -> Vec<u8> {
    let mut s = "HTTP/1.1 101 Switching Protocols\r\n".to_owned();
    for l in lines {
        s.push_str(l);
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s.into_bytes()
}

#[tokio::test]
async fn bad_101_responses_fail_the_handshake() {
    type Make = fn(&str) -> Vec<u8>;
    let cases: &[(Make, &str)] = &[
        (
            |a| custom_101(&["Connection: Upgrade", &format!("Sec-WebSocket-Accept: {a}")]),
            "server sent an invalid websocket response: Upgrade header must contain websocket",
        ),
        (
            |a| {
                custom_101(&[
                    "Upgrade: h2c",
                    "Connection: Upgrade",
                    &format!("Sec-WebSocket-Accept: {a}"),
                ])
            },
            "server sent an invalid websocket response: Upgrade header must contain websocket",
        ),
        (
            |a| custom_101(&["Upgrade: websocket", &format!("Sec-WebSocket-Accept: {a}")]),
            "server sent an invalid websocket response: Connection header must contain upgrade",
        ),
        (
            |_| custom_101(&["Upgrade: websocket", "Connection: Upgrade"]),
            "server sent an invalid websocket response: missing Sec-WebSocket-Accept header",
        ),
        (
            |a| {
                custom_101(&[
                    "Upgrade: websocket",
                    "Connection: Upgrade",
                    &format!("Sec-WebSocket-Accept: {a}"),
                    &format!("Sec-WebSocket-Accept: {a}"),
                ])
            },
            "server sent an invalid websocket response: more than one Sec-WebSocket-Accept header",
        ),
        (
            |_| {
                custom_101(&[
                    "Upgrade: websocket",
                    "Connection: Upgrade",
                    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                ])
            },
            "server sent a Sec-WebSocket-Accept that does not match the client's key",
        ),
        (
            |a| {
                format!(
                    "HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                     Connection: Upgrade\r\nSec-WebSocket-Accept: {a}\r\n\r\n"
                )
                .into_bytes()
            },
            "server sent an invalid websocket response: 101 response is not HTTP/1.1",
        ),
        (
            |_| b"HTTP/1.1 101 Switching Protocols\r\nUpgrade websocket\r\n\r\n".to_vec(),
            "server sent an invalid websocket response: malformed http response: invalid header \
             name",
        ),
    ];
    for (make, message) in cases {
        let make = *make;
        let (result, _) = handshake_with(move |req| make(&accept_for(req))).await;
        assert_eq!(result.unwrap_err().to_string(), *message);
    }
}

#[tokio::test]
async fn a_subprotocol_the_client_did_not_offer_fails() {
    let cases: &[(&[&str], &str, &str)] = &[
        // (offered, answered, error)
        (&["chat"], "superchat", "superchat"),
        (&[], "chat", "chat"),
        (&["a", "b"], "a, b", "a, b"),
        (&["chat"], "CHAT", "CHAT"),
    ];
    for (offered, answered, named) in cases {
        let answered = answered.to_string();
        let mut client = Client::new(
            Mock::responding(move |req| {
                vec![switching_protocols(
                    req,
                    &format!("Sec-WebSocket-Protocol: {answered}\r\n"),
                )]
            }),
            "example.com",
            "/",
        );
        for p in *offered {
            client.add_protocol(p);
        }
        let err = client.handshake().await.unwrap_err();
        assert!(
            matches!(&err, Error::UnsolicitedProtocol { protocol } if protocol == named),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn accepted_extension_is_configured_with_the_servers_params() {
    let mut client = Client::new(
        Mock::responding(|req| {
            vec![switching_protocols(
                req,
                "Sec-WebSocket-Extensions: test; a=\"1\"\r\n",
            )]
        }),
        "example.com",
        "/",
    );
    let (ext, log) = TestExt::new("test", vec![Param::new("a")], &["a"]).boxed();
    let (other, other_log) = TestExt::new("other", vec![], &[])
        .with_rsv(codec::RSV2)
        .boxed();
    client.add_extension(ext).add_extension(other);
    assert_eq!(
        client.handshake().await.unwrap(),
        ServerResponse::Accepted { protocol: None }
    );
    assert_eq!(
        log.lock().unwrap().configured,
        [vec![Param::with_value("a", "1")]]
    );
    assert!(
        other_log.lock().unwrap().configured.is_empty(),
        "an extension the server does not name stays off"
    );
}

#[tokio::test]
async fn unsolicited_or_unacceptable_extensions_fail() {
    type Case = (&'static str, fn(&Error) -> bool);
    let cases: &[Case] = &[
        (
            "nope",
            |e| matches!(e, Error::UnsolicitedExtension { name } if name == "nope"),
        ),
        (
            "test, test",
            |e| matches!(e, Error::UnsolicitedExtension { name } if name == "test"),
        ),
        (
            "test; unknown",
            |e| matches!(e, Error::Extension(codec::Error::Extension { name, .. }) if name == "test"),
        ),
        (
            "test; =",
            |e| matches!(e, Error::BadResponse { reason } if reason.starts_with("malformed Sec-WebSocket-Extensions")),
        ),
    ];
    for (answer, check) in cases {
        let mut client = Client::new(
            Mock::responding(move |req| {
                vec![switching_protocols(
                    req,
                    &format!("Sec-WebSocket-Extensions: {answer}\r\n"),
                )]
            }),
            "example.com",
            "/",
        );
        let (ext, _) = TestExt::new("test", vec![], &["a"]).boxed();
        client.add_extension(ext);
        let err = client.handshake().await.unwrap_err();
        assert!(check(&err), "{answer}: {err:?}");
    }
}

#[tokio::test]
async fn extensions_answered_on_the_same_rsv_bits_fail() {
    let mut client = Client::new(
        Mock::responding(|req| {
            vec![switching_protocols(
                req,
                "Sec-WebSocket-Extensions: a, b\r\n",
            )]
        }),
        "example.com",
        "/",
    );
    let (a, _) = TestExt::new("a", vec![], &[]).boxed();
    let (b, _) = TestExt::new("b", vec![], &[]).boxed();
    client.add_extension(a).add_extension(b);
    let err = client.handshake().await.unwrap_err();
    assert!(
        matches!(&err, Error::BadResponse { reason } if reason.contains("RSV")),
        "{err:?}"
    );
}

#[tokio::test]
async fn endless_response_head_is_cut_off() {
    let mut client = Client::new(
        Mock::responding(|_| vec![b"HTTP/1.1 101 Switching Protocols\r\nX: ".to_vec()]).endless(),
        "example.com",
        "/",
    );
    let err = client.handshake().await.unwrap_err();
    assert!(
        matches!(err, Error::HeadTooLarge { max } if max == DEFAULT_MAX_HEAD_BYTES),
        "{err:?}"
    );
    assert_eq!(client.into_inner().delivered, DEFAULT_MAX_HEAD_BYTES);

    let mut client = Client::new(
        Mock::responding(|_| vec![b"HTTP/1.1 200 OK\r\n".to_vec()]).endless(),
        "example.com",
        "/",
    );
    client.set_max_head_bytes(100);
    let err = client.handshake().await.unwrap_err();
    assert!(matches!(err, Error::HeadTooLarge { max: 100 }), "{err:?}");
    assert_eq!(client.into_inner().delivered, 100);
}

#[tokio::test]
async fn response_header_count_is_bounded() {
    let (result, _) = handshake_with(|req| {
        let filler: String = (0..DEFAULT_MAX_HEADERS - 3)
            .map(|i| format!("X-{i}: {i}\r\n"))
            .collect();
        switching_protocols(req, &filler)
    })
    .await;
    result.unwrap();
    let (result, _) = handshake_with(|req| {
        let filler: String = (0..DEFAULT_MAX_HEADERS - 2)
            .map(|i| format!("X-{i}: {i}\r\n"))
            .collect();
        switching_protocols(req, &filler)
    })
    .await;
    assert!(matches!(
        result.unwrap_err(),
        Error::TooManyHeaders { max: 64 }
    ));
}

#[tokio::test]
async fn eof_before_the_end_of_the_response() {
    let (result, _) = handshake_with(|_| b"HTTP/1.1 101 Switching".to_vec()).await;
    assert!(matches!(
        result.unwrap_err(),
        Error::UnexpectedEof { received: 22 }
    ));
}

#[tokio::test]
async fn invalid_input_is_refused_before_anything_is_sent() {
    /// (host, resource, subprotocols, headers, start of the error's reason)
    type Case = (
        &'static str,
        &'static str,
        &'static [&'static str],
        &'static [Header<'static>],
        &'static str,
    );
    let cases: &[Case] = &[
        ("", "/", &[], &[], "host must be non-empty"),
        ("exa mple.com", "/", &[], &[], "host must be non-empty"),
        (
            "example.com",
            "chat",
            &[],
            &[],
            "resource must start with /",
        ),
        (
            "example.com",
            "/a b",
            &[],
            &[],
            "resource must start with /",
        ),
        (
            "example.com",
            "/a#frag",
            &[],
            &[],
            "resource must start with /",
        ),
        ("example.com", "/", &["a b"], &[], "subprotocol a b is not"),
        (
            "example.com",
            "/",
            &["a", "a"],
            &[],
            "subprotocol a is offered twice",
        ),
        (
            "example.com",
            "/",
            &[],
            &[Header {
                name: "sec-websocket-key",
                value: b"x",
            }],
            "header Sec-WebSocket-Key is set by the handshake itself",
        ),
        (
            "example.com",
            "/",
            &[],
            &[Header {
                name: "X-Evil",
                value: b"1\r\nHost: other",
            }],
            "the value of header X-Evil has a line break",
        ),
        (
            "example.com",
            "/",
            &[],
            &[Header {
                name: "X Evil",
                value: b"1",
            }],
            "header name X Evil is not an http token",
        ),
    ];
    for (host, resource, protocols, headers, reason) in cases {
        let mut client = Client::new(Mock::new(vec![]), host, resource);
        for p in *protocols {
            client.add_protocol(p);
        }
        client.set_headers(headers);
        let err = client.handshake().await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput { reason: r } if r.starts_with(reason)),
            "{err:?}"
        );
        assert!(client.into_inner().written.is_empty());
    }

    let mut client = Client::new(Mock::new(vec![]), "example.com", "/");
    let (ext, _) = TestExt::new("bad name", vec![], &[]).boxed();
    client.add_extension(ext);
    let err = client.handshake().await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
}

#[tokio::test]
async fn handshake_runs_once() {
    let (result, mut client) = handshake_with(|req| switching_protocols(req, "")).await;
    result.unwrap();
    let err = client.handshake().await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
}

#[tokio::test]
async fn seed_client_example_shape_compiles() {
    let (result, client) = handshake_with(|req| switching_protocols(req, "")).await;
    // The seed matches all three variants without a wildcard.
    let _builder = match result.unwrap() {
        ServerResponse::Accepted { .. } => client.into_builder(),
        ServerResponse::Redirect {
            status_code,
            location,
        } => unreachable!("{status_code} {location}"),
        ServerResponse::Rejected { status_code } => unreachable!("{status_code}"),
    };
}
