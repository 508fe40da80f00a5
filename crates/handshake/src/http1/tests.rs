//! Unit tests of the sans-I/O core: exact request bytes, the extension grammar and the head
//! scanner.

use super::*;

#[test]
fn rfc6455_1_3_request_bytes() {
    let key = encode_key(*b"the sample nonce");
    let parts = ClientParts {
        host: "server.example.com",
        resource: "/chat",
        key: &key,
        protocols: &["chat", "superchat"],
        headers: &[Header {
            name: "Origin",
            value: b"http://example.com",
        }],
    };
    let mut out = Vec::new();
    encode_request(&parts, &[], &mut out).unwrap();
    assert_eq!(
        out,
        b"GET /chat HTTP/1.1\r\n\
          Host: server.example.com\r\n\
          Upgrade: websocket\r\n\
          Connection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
          Sec-WebSocket-Version: 13\r\n\
          Sec-WebSocket-Protocol: chat, superchat\r\n\
          Origin: http://example.com\r\n\
          \r\n"
    );
    // The server side parses it back.
    let (req, len) = parse_request(&out, &Limits::new()).unwrap().unwrap();
    assert_eq!(len, out.len());
    assert_eq!(req.key(), key);
    assert_eq!(req.protocols().collect::<Vec<_>>(), ["chat", "superchat"]);
}

fn parse(value: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    parse_extensions(value.as_bytes(), &mut out)?;
    Ok(out.iter().map(ToString::to_string).collect())
}

#[test]
fn extension_grammar_accepts_rfc_forms() {
    let cases: &[(&str, &[&str])] = &[
        ("", &[]),
        ("  ", &[]),
        ("foo", &["foo"]),
        ("foo, bar", &["foo", "bar"]),
        ("foo,bar", &["foo", "bar"]),
        (", ,foo,,", &["foo"]),
        ("foo;a", &["foo; a"]),
        ("foo ; a = 1 ;b", &["foo; a=1; b"]),
        ("foo; a=\"1\"", &["foo; a=1"]),
        ("foo; a=\"\\1\\0\"", &["foo; a=10"]),
        (
            "permessage-deflate; client_max_window_bits, permessage-deflate",
            &[
                "permessage-deflate; client_max_window_bits",
                "permessage-deflate",
            ],
        ),
        ("x\t;\tp=v\t", &["x; p=v"]),
    ];
    for (value, expected) in cases {
        assert_eq!(parse(value).unwrap(), *expected, "{value:?}");
    }
}

#[test]
fn extension_grammar_rejects_malformed_values() {
    let cases: &[(&str, &str)] = &[
        (";a", "expected an extension name at byte 0, found ;"),
        ("foo bar", "expected `;`, `,` or the end at byte 4, found b"),
        ("foo;", "expected a parameter name at the end"),
        ("foo; a=", "expected a parameter value at the end"),
        ("foo; a==1", "expected a parameter value at byte 7, found ="),
        ("foo; a=\"1", "unterminated quoted string at byte 7"),
        ("foo; a=\"1\\", "unterminated quoted string at byte 7"),
        (
            "foo; a=\"x y\"",
            "quoted parameter value at byte 7 is not a token once unquoted",
        ),
        (
            "foo; a=\"\"",
            "quoted parameter value at byte 7 is not a token once unquoted",
        ),
        (
            "foo; a=1 2",
            "expected `;`, `,` or the end at byte 9, found 2",
        ),
        (
            "f\u{e9}",
            "expected `;`, `,` or the end at byte 1, found \\xc3",
        ),
    ];
    for (value, message) in cases {
        assert_eq!(parse(value).unwrap_err(), *message, "{value:?}");
    }
}

#[test]
fn head_scanner_finds_the_end_at_every_split() {
    let heads: &[&[u8]] = &[
        b"GET / HTTP/1.1\r\nA: b\r\n\r\n",
        b"GET / HTTP/1.1\nA: b\n\n",
    ];
    for head in heads {
        for at in 0..=head.len() {
            let mut scanner = HeadScanner::default();
            let first = scanner.found_end(&head[..at]);
            assert_eq!(first, at == head.len(), "{head:?} split at {at}");
            if !first {
                assert!(scanner.found_end(head), "{head:?} split at {at}");
            }
        }
    }
    let mut scanner = HeadScanner::default();
    assert!(!scanner.found_end(b"GET / HTTP/1.1\r\nA: b\r\n"));
    assert!(!scanner.found_end(b"GET / HTTP/1.1\r\nA: b\r\nC: \rd\r\n"));
}

#[test]
fn list_elements_trim_and_skip_empties() {
    let elements: Vec<&[u8]> = list_elements(b" a ,\tb,, , c\t").collect();
    assert_eq!(elements, [&b"a"[..], b"b", b"c"]);
    assert_eq!(trim(b" \t "), b"");
}

#[test]
fn quote_escapes_and_truncates() {
    assert_eq!(quote(b"a\r\n\xff"), "a\\r\\n\\xff");
    let long = [b'x'; 100];
    assert_eq!(quote(&long), format!("{}...", "x".repeat(64)));
}

#[test]
fn tokens_and_field_values() {
    assert!(is_token(b"permessage-deflate"));
    assert!(is_token(b"!#$%&'*+-.^_`|~09azAZ"));
    for bad in [
        &b""[..],
        b"a b",
        b"a,b",
        b"a;b",
        b"a=b",
        b"\"a\"",
        b"a/b",
        b"\xc3\xa9",
    ] {
        assert!(!is_token(bad), "{bad:?}");
    }
    assert!(is_field_value(b"Bearer abc\tdef \xff"));
    for bad in [&b"a\rb"[..], b"a\nb", b"a\0b", b"a\x7fb"] {
        assert!(!is_field_value(bad), "{bad:?}");
    }
}

#[test]
fn rejection_for_a_long_head_has_exact_bytes() {
    let rejection = Rejection::for_error(&Error::HeadTooLarge { max: 10 }).unwrap();
    let mut out = Vec::new();
    rejection.encode(&mut out);
    assert_eq!(
        out,
        b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\
          Content-Type: text/plain; charset=utf-8\r\nContent-Length: 27\r\n\r\n\
          request head over 10 bytes\n"
            .as_slice()
    );
    assert!(Rejection::for_error(&Error::InvalidAccept).is_none());
}
