//! The sans-I/O core in `http1`: the accept key, keys, parsing without a socket, helpers.

use sockeye_handshake::{
    http1::{accept_key, encode_key, host_header, is_origin_allowed, parse_request, Limits},
    Error,
};

#[test]
fn rfc6455_1_3_accept_key() {
    assert_eq!(
        accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn rfc6455_4_1_sample_nonce_encodes_to_the_sample_key() {
    // RFC 6455 §4.1: "the value [...] would be "dGhlIHNhbXBsZSBub25jZQ==" for the nonce
    // consisting of the bytes "the sample nonce"".
    assert_eq!(
        &encode_key(*b"the sample nonce"),
        b"dGhlIHNhbXBsZSBub25jZQ=="
    );
}

const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

#[test]
fn parse_request_needs_the_whole_head_and_reports_its_length() {
    let limits = Limits::new();
    for at in 0..REQUEST.len() {
        assert!(parse_request(&REQUEST[..at], &limits).unwrap().is_none());
    }
    let mut wire = REQUEST.to_vec();
    wire.extend_from_slice(b"\x81\x80....");
    let (req, len) = parse_request(&wire, &limits).unwrap().unwrap();
    assert_eq!((req.path(), len), ("/chat", REQUEST.len()));
}

#[test]
fn parse_request_enforces_limits_on_partial_heads() {
    let mut limits = Limits::new();
    limits.set_max_head_bytes(20);
    let err = parse_request(&REQUEST[..20], &limits).unwrap_err();
    assert!(matches!(err, Error::HeadTooLarge { max: 20 }), "{err:?}");
    assert!(parse_request(&REQUEST[..19], &limits).unwrap().is_none());
    let err = parse_request(REQUEST, &limits).unwrap_err();
    assert!(matches!(err, Error::HeadTooLarge { max: 20 }), "{err:?}");

    let mut limits = Limits::new();
    limits.set_max_headers(2);
    let err = parse_request(REQUEST, &limits).unwrap_err();
    assert!(matches!(err, Error::TooManyHeaders { max: 2 }), "{err:?}");
}

#[test]
fn host_header_adds_non_default_ports_and_ipv6_brackets() {
    let cases = [
        ("example.com", 80, false, "example.com"),
        ("example.com", 443, false, "example.com:443"),
        ("example.com", 443, true, "example.com"),
        ("example.com", 80, true, "example.com:80"),
        ("127.0.0.1", 9001, false, "127.0.0.1:9001"),
        ("::1", 80, false, "[::1]"),
        ("[::1]", 8443, true, "[::1]:8443"),
    ];
    for (host, port, tls, expected) in cases {
        assert_eq!(host_header(host, port, tls), expected);
    }
}

#[test]
fn origins_compare_case_insensitively_and_absent_origins_pass() {
    let allowed = vec!["https://example.com".to_owned()];
    assert!(is_origin_allowed(Some("https://EXAMPLE.com"), &allowed));
    assert!(!is_origin_allowed(
        Some("https://example.com.evil"),
        &allowed
    ));
    assert!(!is_origin_allowed(Some("http://example.com"), &allowed));
    assert!(is_origin_allowed(None, &allowed));
    assert!(!is_origin_allowed(
        Some("https://example.com"),
        &[] as &[&str]
    ));
}

#[test]
fn error_messages_name_the_party_at_fault() {
    let cases = [
        (
            Error::HeadTooLarge { max: 16384 },
            "peer sent an http head over the limit of 16384 bytes",
        ),
        (
            Error::UnsupportedVersion {
                version: Some("8".into()),
            },
            "client asked for websocket version 8; only version 13 is supported",
        ),
        (
            Error::UnexpectedEof { received: 12 },
            "peer closed the connection after 12 bytes, before the end of its http head",
        ),
        (
            Error::UnsolicitedProtocol {
                protocol: "x".into(),
            },
            "server chose subprotocol x, which the client did not offer",
        ),
    ];
    for (err, message) in cases {
        assert_eq!(err.to_string(), message);
    }
    let io = Error::from(std::io::Error::other("boom"));
    assert!(std::error::Error::source(&io).is_some());
}
