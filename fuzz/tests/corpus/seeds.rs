//! The committed seed corpus, as code: every seed is a configuration prefix (one byte per
//! field of the target's config struct, documented in `src/`) followed by real protocol
//! bytes, mostly the RFCs' own examples and what browsers send.
//!
//! `SOCKEYE_FUZZ_BLESS=1 cargo test --manifest-path fuzz/Cargo.toml --no-default-features`
//! writes them to `corpus/<target>/<name>`; without it the test checks the files are there.

/// A seed: its target, its file name and its bytes.
pub(crate) struct Seed {
    pub(crate) target: &'static str,
    pub(crate) name: &'static str,
    pub(crate) bytes: Vec<u8>,
}

/// The key RFC 6455 §5.7 masks its examples with.
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A frame as a client sends it: `first` is FIN/RSV/opcode, the payload masked with [`KEY`].
fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = header(first, 0x80, payload.len());
    out.extend_from_slice(&KEY);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ KEY[i % 4]));
    out
}

/// A frame as a server sends it.
fn unmasked(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = header(first, 0, payload.len());
    out.extend_from_slice(payload);
    out
}

fn header(first: u8, mask_bit: u8, len: usize) -> Vec<u8> {
    let mut out = vec![first];
    match len {
        0..=125 => out.push(mask_bit | len as u8),
        126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    out
}

/// `config` followed by `parts`.
fn cat(config: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut out = config.to_vec();
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// Run-length coding as `sockeye_fuzz::Rle` encodes it.
fn rle(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for run in bytes.chunk_by(|a, b| a == b) {
        for part in run.chunks(255) {
            out.extend_from_slice(&[part.len() as u8, part[0]]);
        }
    }
    out
}

const RFC6455_REQUEST: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\n\
    Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

/// What Chromium sends to open `ws://localhost:8080/ws?room=1` (header order as sent).
const CHROMIUM_REQUEST: &str = "GET /ws?room=1 HTTP/1.1\r\nHost: localhost:8080\r\n\
    Connection: Upgrade\r\nPragma: no-cache\r\nCache-Control: no-cache\r\n\
    User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
    Chrome/126.0.0.0 Safari/537.36\r\nUpgrade: websocket\r\nOrigin: http://localhost:8080\r\n\
    Sec-WebSocket-Version: 13\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n\
    Accept-Language: en-US,en;q=0.9\r\nSec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n\
    Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";

/// What Firefox sends (its `Connection` has two tokens).
const FIREFOX_REQUEST: &str = "GET /socket HTTP/1.1\r\nHost: example.org\r\n\
    User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
    Accept: */*\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n\
    Sec-WebSocket-Version: 13\r\nOrigin: https://example.org\r\n\
    Sec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n\
    Connection: keep-alive, Upgrade\r\nSec-Fetch-Dest: empty\r\nSec-Fetch-Mode: websocket\r\n\
    Sec-Fetch-Site: same-origin\r\nPragma: no-cache\r\nCache-Control: no-cache\r\n\
    Upgrade: websocket\r\n\r\n";

/// RFC 6455 §1.3's answer to [`RFC6455_REQUEST`].
const RFC6455_RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
    Sec-WebSocket-Protocol: chat\r\n\r\n";

/// A 101 for the RFC 6455 §1.3 key with `extra` header lines.
fn accept_with(extra: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n{extra}\r\n"
    )
}

/// Every seed.
pub(crate) fn seeds() -> Vec<Seed> {
    let mut s = Vec::new();
    let mut add = |target, name, bytes: Vec<u8>| {
        s.push(Seed {
            target,
            name,
            bytes,
        })
    };
    let hello_masked = masked(0x81, b"Hello");
    assert_eq!(
        hello_masked,
        [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
    );
    let bytes256: Vec<u8> = (0..=255).collect();
    let hello_fragments: &[u8] = &[0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
    // RFC 7692 §7.2.3.1: "Hello" compressed, one frame; §7.2.3.2 fragmented.
    let deflated_hello: &[u8] = &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    let deflated_fragments: &[u8] = &[
        0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00,
    ];

    // decode_header: [client, max_payload, allowed_rsv, chunk] + wire.
    let t = "decode_header";
    add(
        t,
        "rfc6455-5.7-unmasked-hello",
        cat(&[1, 255, 0, 0], &[&unmasked(0x81, b"Hello")]),
    );
    add(
        t,
        "rfc6455-5.7-masked-hello",
        cat(&[0, 255, 0, 3], &[&hello_masked]),
    );
    add(
        t,
        "rfc6455-5.7-fragments",
        cat(&[1, 255, 0, 1], &[hello_fragments]),
    );
    add(
        t,
        "rfc6455-5.7-ping",
        cat(&[1, 255, 0, 0], &[&unmasked(0x89, b"Hello")]),
    );
    add(
        t,
        "rfc6455-5.7-masked-pong",
        cat(&[0, 255, 0, 2], &[&masked(0x8a, b"Hello")]),
    );
    add(
        t,
        "rfc6455-5.7-binary-256",
        cat(&[1, 255, 0, 7], &[&unmasked(0x82, &bytes256)]),
    );
    add(
        t,
        "rfc6455-5.7-binary-64k-header",
        cat(
            &[1, 255, 0, 5],
            &[&[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0], &bytes256[..16]],
        ),
    );
    add(
        t,
        "close-1000-masked",
        cat(&[0, 255, 0, 0], &[&masked(0x88, b"\x03\xe8bye")]),
    );
    add(
        t,
        "length-over-limit",
        cat(&[1, 10, 0, 0], &[&unmasked(0x82, &bytes256[..200])]),
    );
    add(
        t,
        "length-top-bit",
        cat(&[1, 255, 0, 0], &[&[0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0]]),
    );
    add(
        t,
        "non-minimal-length",
        cat(&[1, 255, 0, 0], &[&[0x82, 0x7e, 0, 5, 1, 2, 3, 4, 5]]),
    );
    add(
        t,
        "rfc7692-compressed-hello",
        cat(&[1, 255, 0x40, 0], &[deflated_hello]),
    );
    add(t, "reserved-opcode", cat(&[1, 255, 0, 0], &[&[0x83, 0x00]]));
    add(t, "fragmented-ping", cat(&[1, 255, 0, 0], &[&[0x09, 0x00]]));

    // receive: [client, max_message, max_frame, extension, chunk] + wire.
    let t = "receive";
    add(
        t,
        "rfc6455-5.7-masked-hello",
        cat(&[0, 255, 255, 0, 0], &[&hello_masked]),
    );
    add(
        t,
        "rfc6455-5.7-fragments",
        cat(&[1, 255, 255, 0, 1], &[hello_fragments]),
    );
    add(
        t,
        "rfc6455-5.7-ping-and-binary-256",
        cat(
            &[1, 255, 255, 0, 5],
            &[&unmasked(0x89, b"Hello"), &unmasked(0x82, &bytes256)],
        ),
    );
    add(
        t,
        "fragments-with-ping-and-pong",
        cat(
            &[0, 255, 255, 0, 2],
            &[
                &masked(0x01, b"fra"),
                &masked(0x89, b"p"),
                &masked(0x00, b"gme"),
                &masked(0x8a, b""),
                &masked(0x80, b"nted"),
            ],
        ),
    );
    add(
        t,
        "close-1000-bye",
        cat(&[0, 255, 255, 0, 3], &[&masked(0x88, b"\x03\xe8bye")]),
    );
    add(
        t,
        "close-no-status",
        cat(&[1, 255, 255, 0, 0], &[&[0x88, 0x00]]),
    );
    add(
        t,
        "close-1005-forbidden",
        cat(&[1, 255, 255, 0, 0], &[&unmasked(0x88, b"\x03\xed")]),
    );
    add(
        t,
        "text-invalid-utf8",
        cat(&[0, 255, 255, 0, 1], &[&masked(0x81, b"\xce\xba\xff")]),
    );
    add(
        t,
        "text-utf8-split-across-fragments",
        cat(
            &[0, 255, 255, 0, 1],
            &[&masked(0x01, b"\xe2"), &masked(0x80, b"\x82\xac")],
        ),
    );
    add(
        t,
        "message-over-limit",
        cat(
            &[0, 3, 255, 0, 0],
            &[&masked(0x01, &bytes256[..5]), &masked(0x80, &bytes256[..6])],
        ),
    );
    add(
        t,
        "frame-over-limit",
        cat(&[0, 255, 3, 0, 0], &[&masked(0x82, &bytes256[..20])]),
    );
    add(
        t,
        "continuation-without-start",
        cat(&[0, 255, 255, 0, 0], &[&masked(0x80, b"x")]),
    );
    add(
        t,
        "interleaved-messages",
        cat(
            &[0, 255, 255, 0, 0],
            &[&masked(0x01, b"a"), &masked(0x81, b"b")],
        ),
    );
    add(
        t,
        "unmasked-to-server",
        cat(&[0, 255, 255, 0, 0], &[&unmasked(0x81, b"Hello")]),
    );
    add(
        t,
        "masked-to-client",
        cat(&[1, 255, 255, 0, 0], &[&hello_masked]),
    );
    add(
        t,
        "rle-text",
        cat(&[0, 255, 255, 1, 2], &[&masked(0xc1, &rle(b"hello"))]),
    );
    add(
        t,
        "rle-fragmented-bomb",
        cat(
            &[0, 20, 255, 1, 0],
            &[
                &masked(0x42, &[255, b'a', 255, b'b']),
                &masked(0x80, &[255, b'c']),
            ],
        ),
    );
    add(
        t,
        "rle-rsv1-on-continuation",
        cat(
            &[1, 255, 255, 1, 0],
            &[&unmasked(0x42, &rle(b"ab")), &unmasked(0xc0, &rle(b"c"))],
        ),
    );
    add(
        t,
        "rle-plain-and-encoded",
        cat(
            &[1, 255, 255, 1, 3],
            &[&unmasked(0x81, b"plain"), &unmasked(0xc2, &rle(&[0; 300]))],
        ),
    );
    // permessage-deflate (extension byte 2: context takeover, 9-bit windows).
    add(
        t,
        "rfc7692-7.2.3.1-compressed-hello",
        cat(&[1, 255, 255, 2, 0], &[deflated_hello]),
    );
    add(
        t,
        "rfc7692-7.2.3.2-fragments",
        cat(&[1, 255, 255, 2, 1], &[deflated_fragments]),
    );
    add(
        t,
        "rfc7692-7.2.3.2-context-takeover",
        cat(
            &[1, 255, 255, 2, 0],
            &[deflated_hello, &[0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00]],
        ),
    );
    add(
        t,
        "rfc7692-7.2.3.3-stored-block",
        cat(
            &[1, 255, 255, 2, 0],
            &[&[
                0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, b'H', b'e', b'l', b'l', b'o', 0x00,
            ]],
        ),
    );

    // roundtrip: [client_sends, frame_size, extension, seed, chunk] + [kind, len, bytes]*.
    let t = "roundtrip";
    add(
        t,
        "client-text-binary-ping",
        cat(
            &[1, 0, 0, 7, 0],
            &[&[0, 5], b"hello", &[1, 3, 1, 2, 3], &[2, 4], b"ping"],
        ),
    );
    add(
        t,
        "server-fragmented",
        cat(
            &[0, 3, 0, 0, 5],
            &[
                &[0, 26],
                b"fragmented into many small",
                &[3, 0, 1, 10],
                &bytes256[..10],
            ],
        ),
    );
    add(
        t,
        "client-rle-fragmented",
        cat(
            &[1, 4, 1, 9, 2],
            &[&[0, 11], b"aaaaaaaaaab", &[1, 0, 0, 10], "κόσμε".as_bytes()],
        ),
    );
    add(
        t,
        "empty-messages",
        cat(&[1, 1, 1, 0, 0], &[&[0, 0, 1, 0, 2, 0, 3, 0]]),
    );
    // permessage-deflate: extension byte 2 + 3 * bits (see `deflate_pair` in src/receive.rs).
    let json = br#"{"type":"chat","user":"ada","text":"hello, hello, hello"}"#;
    add(
        t,
        "client-deflate-context-takeover",
        cat(
            &[1, 0, 2 + 3 * (4 * 6), 3, 4],
            &[&[0, json.len() as u8], json, &[0, json.len() as u8], json],
        ),
    );
    add(
        t,
        "server-deflate-no-takeover-fragmented",
        cat(
            &[0, 5, 2 + 3 * 3, 0, 1],
            &[&[1, 200], &[7; 200], &[2, 2], b"hi", &[0, 3], b"abc"],
        ),
    );

    // handshake_request: [max_head, max_headers, chunk] + request.
    let t = "handshake_request";
    let req = RFC6455_REQUEST.as_bytes();
    add(t, "rfc6455-1.3", cat(&[255, 255, 0], &[req]));
    add(
        t,
        "chromium",
        cat(&[255, 255, 7], &[CHROMIUM_REQUEST.as_bytes()]),
    );
    add(
        t,
        "firefox",
        cat(&[255, 255, 200], &[FIREFOX_REQUEST.as_bytes()]),
    );
    add(
        t,
        "frame-after-head",
        cat(&[255, 255, 13], &[req, &hello_masked]),
    );
    add(
        t,
        "lf-only",
        cat(
            &[255, 255, 1],
            &[RFC6455_REQUEST.replace("\r\n", "\n").as_bytes()],
        ),
    );
    add(
        t,
        "version-8",
        cat(
            &[255, 255, 0],
            &[RFC6455_REQUEST.replace(": 13", ": 8").as_bytes()],
        ),
    );
    add(
        t,
        "post",
        cat(
            &[255, 255, 0],
            &[RFC6455_REQUEST.replace("GET", "POST").as_bytes()],
        ),
    );
    add(
        t,
        "missing-key",
        cat(
            &[255, 255, 0],
            &[RFC6455_REQUEST
                .replace("Sec-WebSocket-Key", "X-Key")
                .as_bytes()],
        ),
    );
    add(
        t,
        "extension-offers",
        cat(
            &[255, 255, 3],
            &[RFC6455_REQUEST
                .replace(
                    "\r\n\r\n",
                    "\r\nSec-WebSocket-Extensions: x-rle; a=1, x-rle; refuse\r\n\
                     Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=\"10\"\r\n\r\n",
                )
                .as_bytes()],
        ),
    );
    add(t, "over-small-limits", cat(&[0, 3, 1], &[req]));

    // handshake_response: [max_head, max_headers, protocols, extension, chunk] + response.
    let t = "handshake_response";
    add(
        t,
        "rfc6455-1.3",
        cat(&[255, 255, 0x03, 0, 0], &[RFC6455_RESPONSE.as_bytes()]),
    );
    add(
        t,
        "x-rle-accepted",
        cat(
            &[255, 255, 0, 1, 3],
            &[accept_with("Sec-WebSocket-Extensions: x-rle; a=1\r\n").as_bytes()],
        ),
    );
    add(
        t,
        "permessage-deflate-accepted",
        cat(
            &[255, 255, 0, 2, 0],
            &[accept_with(
                "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; \
                 client_max_window_bits=10\r\n",
            )
            .as_bytes()],
        ),
    );
    add(
        t,
        "redirect-302",
        cat(
            &[255, 255, 0, 0, 0],
            &[b"HTTP/1.1 302 Found\r\nLocation: wss://example.com/chat\r\nContent-Length: 0\r\n\r\n"],
        ),
    );
    add(
        t,
        "rejected-403",
        cat(
            &[255, 255, 0, 1, 0],
            &[b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"],
        ),
    );
    add(
        t,
        "wrong-accept",
        cat(
            &[255, 255, 1, 0, 0],
            &[RFC6455_RESPONSE.replace("s3pP", "AAAA").as_bytes()],
        ),
    );
    add(
        t,
        "unsolicited-protocol",
        cat(&[255, 255, 0, 0, 2], &[RFC6455_RESPONSE.as_bytes()]),
    );
    add(
        t,
        "frame-after-head",
        cat(
            &[255, 255, 1, 0, 9],
            &[RFC6455_RESPONSE.as_bytes(), &unmasked(0x81, b"Hello")],
        ),
    );

    // close_payload: the payload.
    let t = "close_payload";
    add(t, "empty", Vec::new());
    add(t, "one-byte", vec![0x03]);
    add(t, "1000", vec![0x03, 0xe8]);
    add(t, "1000-reason", b"\x03\xe8normal closure".to_vec());
    add(
        t,
        "1001-utf8-reason",
        cat(&[0x03, 0xe9], &["κόσμε".as_bytes()]),
    );
    add(t, "1005-forbidden", vec![0x03, 0xed]);
    add(t, "4999-application", b"\x13\x87app".to_vec());
    add(t, "invalid-utf8-reason", vec![0x03, 0xe8, 0xce, 0xba, 0xff]);
    add(
        t,
        "reason-123-bytes",
        cat(&[0x03, 0xe8], &["é".repeat(61).as_bytes(), b"a"]),
    );
    add(
        t,
        "reason-124-bytes",
        cat(&[0x03, 0xe8], &["é".repeat(62).as_bytes()]),
    );
    // Longer than a control frame allows: encoding cuts it at the last boundary that fits.
    add(
        t,
        "reason-130-bytes",
        cat(&[0x03, 0xe8], &["é".repeat(65).as_bytes()]),
    );

    // utf8: [chunk] + text.
    let t = "utf8";
    add(t, "ascii", cat(&[3], &[b"Hello, World"]));
    add(t, "kosme", cat(&[0], &["κόσμε".as_bytes()]));
    add(
        t,
        "autobahn-6.3-surrogate",
        cat(
            &[0],
            &[b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"],
        ),
    );
    add(t, "out-of-range", cat(&[1], &[b"\xf4\x90\x80\x80"]));
    add(t, "overlong", cat(&[2], &[b"\xc0\xaf"]));
    add(t, "truncated-4-byte", cat(&[0], &[b"\xf0\x9f\x98"]));
    add(t, "astral", cat(&[2], &["𝄞😀€".as_bytes()]));
    add(t, "bom", cat(&[5], &[b"\xef\xbb\xbfbom"]));

    // extension_offer: the header value.
    let t = "extension_offer";
    add(
        t,
        "chromium",
        b"permessage-deflate; client_max_window_bits".to_vec(),
    );
    add(t, "firefox", b"permessage-deflate".to_vec());
    add(
        t,
        "several",
        b"permessage-deflate; client_max_window_bits=10; server_no_context_takeover, \
          permessage-deflate; client_max_window_bits, x-rle; mode=fast"
            .to_vec(),
    );
    add(
        t,
        "quoted",
        b"permessage-deflate; server_max_window_bits=\"10\"".to_vec(),
    );
    add(
        t,
        "x-rle-refused-then-accepted",
        b"x-rle; refuse, x-rle; level=2".to_vec(),
    );
    add(t, "empty-elements", b" , ,x-rle ,\t".to_vec());
    add(t, "quoted-space", b"foo; bar=\"a b\"".to_vec());
    add(t, "quoted-escapes", b"x-rle; a=\"\\1\\0\"".to_vec());
    s
}
