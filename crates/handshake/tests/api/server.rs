//! `Server`: reading and checking requests (RFC 6455 §4.2.1), answering them (§4.2.2), and
//! the limits, rejections and hand-off around that.

use codec::Param;
use sockeye_handshake::{
    http1::{DEFAULT_MAX_HEADERS, DEFAULT_MAX_HEAD_BYTES},
    server::Response,
    ClientRequest, Error, Server,
};

use super::support::{Mock, TestExt};

/// RFC 6455 §1.2's example request.
const RFC_REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\n\
    Host: server.example.com\r\n\
    Upgrade: websocket\r\n\
    Connection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Origin: http://example.com\r\n\
    Sec-WebSocket-Protocol: chat, superchat\r\n\
    Sec-WebSocket-Version: 13\r\n\
    \r\n";

/// The header lines of a minimal valid request.
const VALID: &[&str] = &[
    "Host: server.example.com",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
];

/// A request with `request_line` and header `lines`.
fn head(request_line: &str, lines: &[&str]) -> Vec<u8> {
    let mut s = format!("{request_line}\r\n");
    for l in lines {
        s.push_str(l);
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// The valid request with the header `name` removed and `extra` lines added.
fn valid_but(without: &str, extra: &[&str]) -> Vec<u8> {
    let mut lines: Vec<&str> = VALID
        .iter()
        .copied()
        .filter(|l| !l.starts_with(&format!("{without}:")))
        .collect();
    lines.extend_from_slice(extra);
    head("GET /chat HTTP/1.1", &lines)
}

/// Runs `receive_request` on `mock`; returns the result and the socket.
async fn receive(mock: Mock) -> (Result<ClientRequest, Error>, Mock) {
    let mut server = Server::new(mock);
    let result = server.receive_request().await;
    (result, server.into_inner())
}

/// The plain-text error response a server sends, byte for byte.
fn rejection(status: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn bad_request(reason: &str) -> Vec<u8> {
    rejection(
        "400 Bad Request",
        "Connection: close\r\n",
        &format!("{reason}\n"),
    )
}

const UPGRADE_REQUIRED: &str = "Connection: Upgrade, close\r\nUpgrade: websocket\r\n\
    Sec-WebSocket-Version: 13\r\n";

#[tokio::test]
async fn rfc6455_1_2_example_request() {
    let (req, _) = receive(Mock::new(vec![RFC_REQUEST.to_vec()])).await;
    let req = req.unwrap();
    assert_eq!(req.key(), *b"dGhlIHNhbXBsZSBub25jZQ==");
    assert_eq!(req.path(), "/chat");
    assert_eq!(req.headers().host, "server.example.com");
    assert_eq!(req.headers().origin.as_deref(), Some("http://example.com"));
    assert_eq!(req.protocols().collect::<Vec<_>>(), ["chat", "superchat"]);
    assert_eq!(req.protocol(), None, "the server registered no subprotocol");
    assert!(req.extensions().is_empty());
    assert_eq!(req.headers().len(), 7);
    assert_eq!(req.headers().get("upgrade"), Some(&b"websocket"[..]));
    assert_eq!(
        req.headers().iter().next(),
        Some(("Host", &b"server.example.com"[..]))
    );
}

#[tokio::test]
async fn rfc6455_1_3_accept_response_bytes() {
    let mut server = Server::new(Mock::new(vec![RFC_REQUEST.to_vec()]));
    server.add_protocol("chat");
    let req = server.receive_request().await.unwrap();
    let accept = Response::Accept {
        key: req.key(),
        protocol: req.protocol(),
    };
    server.send_response(&accept).await.unwrap();
    assert_eq!(
        server.into_inner().written,
        b"HTTP/1.1 101 Switching Protocols\r\n\
          Upgrade: websocket\r\n\
          Connection: Upgrade\r\n\
          Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
          Sec-WebSocket-Protocol: chat\r\n\
          \r\n"
    );
}

#[tokio::test]
async fn every_split_point_of_a_request_parses_the_same() {
    let (whole, _) = receive(Mock::new(vec![RFC_REQUEST.to_vec()])).await;
    let whole = whole.unwrap();
    for at in 0..=RFC_REQUEST.len() {
        let (req, mock) = receive(Mock::split(RFC_REQUEST, at)).await;
        assert_eq!(req.unwrap(), whole, "split at {at}");
        assert!(mock.written.is_empty());
    }
    let (req, _) = receive(Mock::trickle(RFC_REQUEST)).await;
    assert_eq!(
        req.unwrap(),
        whole,
        "one byte per read, each after a Pending"
    );
}

#[tokio::test]
async fn bare_lf_line_endings_are_accepted() {
    let request = String::from_utf8(RFC_REQUEST.to_vec())
        .unwrap()
        .replace("\r\n", "\n");
    for at in 0..=request.len() {
        let (req, _) = receive(Mock::split(request.as_bytes(), at)).await;
        assert_eq!(req.unwrap().path(), "/chat", "split at {at}");
    }
}

#[tokio::test]
async fn subprotocol_is_the_servers_first_choice_among_the_offers() {
    let cases: &[(&[&str], &[&str], Option<&str>)] = &[
        // (client header lines, server preference, chosen)
        (&["Sec-WebSocket-Protocol: a, b"], &["b", "a"], Some("b")),
        (
            &["Sec-WebSocket-Protocol: a", "Sec-WebSocket-Protocol: b"],
            &["c", "b"],
            Some("b"),
        ),
        (&["Sec-WebSocket-Protocol: a,b,  ,c"], &["c"], Some("c")),
        (&["Sec-WebSocket-Protocol: a, b"], &["A"], None),
        (&[], &["a"], None),
    ];
    for (lines, prefs, chosen) in cases {
        let mut server = Server::new(Mock::new(vec![valid_but("", lines)]));
        for p in *prefs {
            server.add_protocol(p);
        }
        let req = server.receive_request().await.unwrap();
        assert_eq!(req.protocol(), *chosen, "{lines:?} with {prefs:?}");
    }
}

#[tokio::test]
async fn upgrade_and_connection_are_case_insensitive_token_lists() {
    let lines = [
        "Host: h",
        "Upgrade: h2c, WebSocket",
        "Connection: keep-alive",
        "Connection: UPGRADE",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ];
    let (req, _) = receive(Mock::new(vec![head("GET / HTTP/1.1", &lines)])).await;
    assert_eq!(req.unwrap().headers().host, "h");
}

#[tokio::test]
async fn empty_content_length_is_not_a_body() {
    let (req, _) = receive(Mock::new(vec![valid_but("", &["Content-Length: 0"])])).await;
    assert!(req.is_ok());
}

#[tokio::test]
async fn extension_offers_follow_rfc6455_9_1() {
    let lines = [
        "Sec-WebSocket-Extensions: foo, bar; baz=2",
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits; \
         server_max_window_bits=\"10\" ,, permessage-deflate",
    ];
    let (req, _) = receive(Mock::new(vec![valid_but("", &lines)])).await;
    let req = req.unwrap();
    let offers: Vec<String> = req.extensions().iter().map(ToString::to_string).collect();
    assert_eq!(
        offers,
        [
            "foo",
            "bar; baz=2",
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10",
            "permessage-deflate",
        ]
    );
    assert_eq!(
        req.extensions()[2].params(),
        [
            Param::new("client_max_window_bits"),
            Param::with_value("server_max_window_bits", "10")
        ]
    );
}

#[tokio::test]
async fn first_acceptable_offer_configures_and_answers_each_extension() {
    let lines = ["Sec-WebSocket-Extensions: test; bad, test; good=1, test; good=2, other"];
    let mut server = Server::new(Mock::new(vec![valid_but("", &lines)]));
    let (ext, log) = TestExt::new("test", vec![], &["good"]).boxed();
    server.add_extension(ext);
    let req = server.receive_request().await.unwrap();
    assert_eq!(
        log.lock().unwrap().configured,
        [
            vec![Param::new("bad")],
            vec![Param::with_value("good", "1")]
        ],
        "offers are tried in order until one is accepted"
    );
    let accept = Response::Accept {
        key: req.key(),
        protocol: None,
    };
    server.send_response(&accept).await.unwrap();
    let written = server.into_inner().written;
    assert!(
        written.ends_with(b"Sec-WebSocket-Extensions: test; good=1\r\n\r\n"),
        "{}",
        String::from_utf8_lossy(&written)
    );
}

#[tokio::test]
async fn unconfigurable_or_unoffered_extensions_are_left_out() {
    let lines = ["Sec-WebSocket-Extensions: a; nope, c"];
    let mut server = Server::new(Mock::new(vec![valid_but("", &lines)]));
    let (a, a_log) = TestExt::new("a", vec![], &[]).boxed();
    let (b, b_log) = TestExt::new("b", vec![], &[]).boxed();
    server.add_extension(a).add_extension(b);
    let req = server.receive_request().await.unwrap();
    assert_eq!(a_log.lock().unwrap().configured.len(), 1);
    assert!(b_log.lock().unwrap().configured.is_empty());
    let accept = Response::Accept {
        key: req.key(),
        protocol: None,
    };
    server.send_response(&accept).await.unwrap();
    let written = server.into_inner().written;
    assert!(!String::from_utf8(written)
        .unwrap()
        .contains("Sec-WebSocket-Extensions"));
}

#[tokio::test]
async fn extensions_sharing_rsv_bits_are_not_both_enabled() {
    let lines = ["Sec-WebSocket-Extensions: a, b, c"];
    let mut server = Server::new(Mock::new(vec![valid_but("", &lines)]));
    let (a, _) = TestExt::new("a", vec![], &[]).boxed();
    let (b, b_log) = TestExt::new("b", vec![], &[]).boxed();
    let (c, _) = TestExt::new("c", vec![], &[]).with_rsv(codec::RSV2).boxed();
    server.add_extension(a).add_extension(b).add_extension(c);
    let req = server.receive_request().await.unwrap();
    assert!(b_log.lock().unwrap().configured.is_empty());
    let accept = Response::Accept {
        key: req.key(),
        protocol: None,
    };
    server.send_response(&accept).await.unwrap();
    assert!(server
        .into_inner()
        .written
        .ends_with(b"Sec-WebSocket-Extensions: a, c\r\n\r\n"));
}

#[tokio::test]
async fn every_bad_request_gets_400_with_its_reason() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            head("POST /chat HTTP/1.1", VALID),
            "method must be GET, not POST",
        ),
        (
            head("GET /chat HTTP/1.0", VALID),
            "http version must be HTTP/1.1",
        ),
        (valid_but("Host", &[]), "missing Host header"),
        (
            valid_but("", &["Host: other.example.com"]),
            "more than one Host header",
        ),
        (valid_but("Host", &["Host: a b"]), "invalid Host header"),
        (
            valid_but("Upgrade", &[]),
            "Upgrade header must contain websocket",
        ),
        (
            valid_but("Upgrade", &["Upgrade: h2c"]),
            "Upgrade header must contain websocket",
        ),
        (
            valid_but("Connection", &[]),
            "Connection header must contain upgrade",
        ),
        (
            valid_but("Connection", &["Connection: keep-alive"]),
            "Connection header must contain upgrade",
        ),
        (
            valid_but("Sec-WebSocket-Key", &[]),
            "missing Sec-WebSocket-Key header",
        ),
        (
            // Base64 of 10 bytes.
            valid_but(
                "Sec-WebSocket-Key",
                &["Sec-WebSocket-Key: dGhlIHNhbXBsZQ=="],
            ),
            "Sec-WebSocket-Key must be 16 bytes in base64",
        ),
        (
            // 24 characters, but not base64.
            valid_but(
                "Sec-WebSocket-Key",
                &["Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!=="],
            ),
            "Sec-WebSocket-Key must be 16 bytes in base64",
        ),
        (
            // Base64 of 17 bytes.
            valid_but(
                "Sec-WebSocket-Key",
                &["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZXM="],
            ),
            "Sec-WebSocket-Key must be 16 bytes in base64",
        ),
        (
            valid_but("", &["Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="]),
            "more than one Sec-WebSocket-Key header",
        ),
        (
            valid_but("", &["Sec-WebSocket-Version: 13"]),
            "more than one Sec-WebSocket-Version header",
        ),
        (
            valid_but("", &["Sec-WebSocket-Protocol: a b"]),
            "Sec-WebSocket-Protocol must list tokens",
        ),
        (
            valid_but("", &["Sec-WebSocket-Protocol: a, a"]),
            "Sec-WebSocket-Protocol lists a value twice",
        ),
        (
            valid_but("", &["Sec-WebSocket-Extensions: foo; =1"]),
            "malformed Sec-WebSocket-Extensions header: expected a parameter name at byte 5, \
             found =",
        ),
        (
            valid_but("", &["Content-Length: 5"]),
            "an upgrade request must not have a body",
        ),
        (
            valid_but("", &["Transfer-Encoding: chunked"]),
            "an upgrade request must not have a body",
        ),
        (
            valid_but("", &["Origin: a", "Origin: b"]),
            "more than one Origin header",
        ),
        (
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n".to_vec(),
            "malformed http request: invalid token",
        ),
    ];
    for (request, reason) in cases {
        let (result, mock) = receive(Mock::new(vec![request.clone()])).await;
        let err = result.unwrap_err();
        assert!(
            matches!(&err, Error::BadRequest { reason: r } if r == reason),
            "{err:?} for {}",
            String::from_utf8_lossy(&request)
        );
        assert_eq!(err.status_code(), Some(400));
        assert_eq!(
            String::from_utf8(mock.written).unwrap(),
            String::from_utf8(bad_request(reason)).unwrap()
        );
    }
}

#[tokio::test]
async fn wrong_or_missing_version_gets_426_with_version_13() {
    let cases = [
        (
            valid_but("Sec-WebSocket-Version", &["Sec-WebSocket-Version: 8"]),
            Some("8"),
        ),
        (valid_but("Sec-WebSocket-Version", &[]), None),
    ];
    for (request, version) in cases {
        let (result, mock) = receive(Mock::new(vec![request])).await;
        let err = result.unwrap_err();
        assert!(
            matches!(&err, Error::UnsupportedVersion { version: v } if v.as_deref() == version),
            "{err:?}"
        );
        assert_eq!(err.status_code(), Some(426));
        assert_eq!(
            mock.written,
            rejection(
                "426 Upgrade Required",
                UPGRADE_REQUIRED,
                "unsupported websocket version; this server speaks version 13\n"
            )
        );
    }
}

#[tokio::test]
async fn origin_check_refuses_other_sites_with_403() {
    let cases = [
        (Some("Origin: https://example.com"), true),
        (Some("Origin: HTTPS://EXAMPLE.COM"), true),
        (Some("Origin: https://app.example.com"), true),
        (Some("Origin: https://evil.example"), false),
        (Some("Origin: null"), false),
        (None, true),
    ];
    for (origin, allowed) in cases {
        let mut server = Server::new(Mock::new(vec![valid_but(
            "",
            &origin.into_iter().collect::<Vec<_>>(),
        )]));
        server.set_allowed_origins(["https://example.com", "https://app.example.com"]);
        let result = server.receive_request().await;
        let written = server.into_inner().written;
        if allowed {
            assert!(result.is_ok(), "{origin:?}");
            assert!(written.is_empty());
        } else {
            let err = result.unwrap_err();
            assert!(matches!(err, Error::OriginNotAllowed { .. }), "{err:?}");
            assert_eq!(err.status_code(), Some(403));
            assert_eq!(
                written,
                rejection(
                    "403 Forbidden",
                    "Connection: close\r\n",
                    "origin not allowed\n"
                )
            );
        }
    }
}

#[tokio::test]
async fn header_count_limit_is_inclusive_and_answered_with_431() {
    let filler: Vec<String> = (0..DEFAULT_MAX_HEADERS - VALID.len())
        .map(|i| format!("X-Filler-{i}: {i}"))
        .collect();
    let mut lines: Vec<&str> = VALID.to_vec();
    lines.extend(filler.iter().map(String::as_str));
    let (ok, _) = receive(Mock::new(vec![head("GET / HTTP/1.1", &lines)])).await;
    assert_eq!(ok.unwrap().headers().len(), DEFAULT_MAX_HEADERS);

    lines.push("X-One-Too-Many: 1");
    let (err, mock) = receive(Mock::new(vec![head("GET / HTTP/1.1", &lines)])).await;
    let err = err.unwrap_err();
    assert!(matches!(err, Error::TooManyHeaders { max: 64 }), "{err:?}");
    assert_eq!(
        mock.written,
        rejection(
            "431 Request Header Fields Too Large",
            "Connection: close\r\n",
            "request has more than 64 header lines\n"
        )
    );
}

/// A valid request of exactly `len` bytes, padded with an `X-Pad` header.
fn request_of_len(len: usize) -> Vec<u8> {
    let base = valid_but("", &["X-Pad: "]).len();
    let pad = "p".repeat(len - base);
    let request = valid_but("", &[&format!("X-Pad: {pad}")]);
    assert_eq!(request.len(), len);
    request
}

#[tokio::test]
async fn head_byte_limit_is_inclusive_and_answered_with_431() {
    let exact = request_of_len(DEFAULT_MAX_HEAD_BYTES);
    let (ok, _) = receive(Mock::new(vec![exact])).await;
    assert!(ok.is_ok());

    let over = request_of_len(DEFAULT_MAX_HEAD_BYTES + 1);
    let (err, mock) = receive(Mock::new(vec![over])).await;
    let err = err.unwrap_err();
    assert!(matches!(err, Error::HeadTooLarge { max: 16384 }), "{err:?}");
    assert_eq!(
        mock.written,
        rejection(
            "431 Request Header Fields Too Large",
            "Connection: close\r\n",
            "request head over 16384 bytes\n"
        )
    );
    assert_eq!(mock.delivered, DEFAULT_MAX_HEAD_BYTES, "read no further");
}

#[tokio::test]
async fn endless_head_is_cut_off_at_the_configured_limit() {
    let mut server =
        Server::new(Mock::new(vec![b"GET / HTTP/1.1\r\nX-Endless: ".to_vec()]).endless());
    server.set_max_head_bytes(1000);
    let err = server.receive_request().await.unwrap_err();
    assert!(matches!(err, Error::HeadTooLarge { max: 1000 }), "{err:?}");
    assert_eq!(server.into_inner().delivered, 1000);
}

#[tokio::test]
async fn configured_header_limit_applies() {
    let mut server = Server::new(Mock::new(vec![valid_but("", &["X-A: 1"])]));
    server.set_max_headers(VALID.len());
    let err = server.receive_request().await.unwrap_err();
    assert!(matches!(err, Error::TooManyHeaders { max: 5 }), "{err:?}");
}

#[tokio::test]
async fn eof_before_the_end_of_the_head_is_not_answered() {
    let (err, mock) = receive(Mock::new(vec![RFC_REQUEST[..40].to_vec()])).await;
    assert!(matches!(
        err.unwrap_err(),
        Error::UnexpectedEof { received: 40 }
    ));
    assert!(mock.written.is_empty());
}

#[tokio::test]
async fn bytes_after_the_head_are_kept_at_every_split_point() {
    // A masked text frame "Hello" (RFC 6455 §5.7), sent with the request.
    let frame = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let mut wire = RFC_REQUEST.to_vec();
    wire.extend_from_slice(&frame);
    for at in 0..=wire.len() {
        let mut server = Server::new(Mock::split(&wire, at));
        server.receive_request().await.unwrap();
        // The second read may still be in the socket if the first held the whole head.
        let mut kept = server.buffered().to_vec();
        let mut mock = server.into_inner();
        if at >= RFC_REQUEST.len() && at < wire.len() {
            use futures::AsyncReadExt as _;
            mock.read_to_end(&mut kept).await.unwrap();
        }
        assert_eq!(kept, frame, "split at {at}");
    }
}

#[tokio::test]
async fn pipelined_frame_in_the_same_read_is_buffered() {
    let frame = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let mut wire = RFC_REQUEST.to_vec();
    wire.extend_from_slice(&frame);
    let mut server = Server::new(Mock::new(vec![wire]));
    server.receive_request().await.unwrap();
    assert_eq!(server.buffered(), frame);
}

#[tokio::test]
async fn reject_and_redirect_bytes() {
    let cases = [
        (
            Response::Reject { status_code: 404 },
            &b"HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"[..],
        ),
        (
            Response::Reject { status_code: 499 },
            &b"HTTP/1.1 499 Client Error\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"[..],
        ),
        (
            Response::Redirect {
                status_code: 307,
                location: "wss://other.example.com/chat",
            },
            &b"HTTP/1.1 307 Temporary Redirect\r\nLocation: wss://other.example.com/chat\r\n\
               Connection: close\r\nContent-Length: 0\r\n\r\n"[..],
        ),
    ];
    for (response, bytes) in cases {
        let mut server = Server::new(Mock::new(vec![RFC_REQUEST.to_vec()]));
        server.receive_request().await.unwrap();
        server.send_response(&response).await.unwrap();
        assert_eq!(server.into_inner().written, bytes, "{response:?}");
    }
}

#[tokio::test]
async fn invalid_responses_are_refused_before_anything_is_sent() {
    let key = *b"dGhlIHNhbXBsZSBub25jZQ==";
    let cases = [
        (
            Response::Accept {
                key,
                protocol: Some("unoffered"),
            },
            "subprotocol unoffered was not offered by the client",
        ),
        (
            Response::Accept {
                key,
                protocol: Some("chat\r\nX-Injected: 1"),
            },
            "subprotocol chat\\r\\nX-Injected: 1 is not an http token",
        ),
        (
            Response::Reject { status_code: 200 },
            "reject status must be 400 to 599, not 200",
        ),
        (
            Response::Redirect {
                status_code: 404,
                location: "/",
            },
            "redirect status must be 301, 302, 303, 307 or 308, not 404",
        ),
        (
            Response::Redirect {
                status_code: 302,
                location: "/\r\nSet-Cookie: x=1",
            },
            "redirect location must be non-empty without line breaks or control characters",
        ),
    ];
    for (response, reason) in cases {
        let mut server = Server::new(Mock::new(vec![RFC_REQUEST.to_vec()]));
        server.receive_request().await.unwrap();
        let err = server.send_response(&response).await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput { reason: r } if r == reason),
            "{err:?}"
        );
        assert!(server.into_inner().written.is_empty());
    }
}

#[tokio::test]
async fn one_request_and_one_response_per_server() {
    let mut server = Server::new(Mock::new(vec![RFC_REQUEST.to_vec()]));
    let req = server.receive_request().await.unwrap();
    let err = server.receive_request().await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    let accept = Response::Accept {
        key: req.key(),
        protocol: None,
    };
    server.send_response(&accept).await.unwrap();
    let err = server.send_response(&accept).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
}

#[tokio::test]
async fn no_response_after_an_automatic_rejection() {
    let mut server = Server::new(Mock::new(vec![valid_but("Sec-WebSocket-Key", &[])]));
    server.receive_request().await.unwrap_err();
    let err = server
        .send_response(&Response::Reject { status_code: 500 })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    assert_eq!(
        server.into_inner().written,
        bad_request("missing Sec-WebSocket-Key header")
    );
}

#[tokio::test]
async fn seed_server_example_shape_compiles_and_accepts() {
    // The seed's server flow: the key outlives the request's borrow of the server.
    let mut server = Server::new(Mock::new(vec![RFC_REQUEST.to_vec()]));
    let websocket_key = {
        let req = server.receive_request().await.unwrap();
        req.key()
    };
    let accept = Response::Accept {
        key: websocket_key,
        protocol: None,
    };
    server.send_response(&accept).await.unwrap();
    let _builder = server.into_builder();
}
