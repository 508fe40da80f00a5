//! Targets for the sans-I/O handshake (`sockeye_handshake::http1`, and its crate-private
//! parts through `handshake::fuzzing`): requests, responses and extension headers.

use arbitrary::{Arbitrary, Unstructured};
use codec::Extension;
use handshake::{
    fuzzing::{
        accepted_extensions, encode_response, negotiate_extensions, parse_extensions,
        parse_response, HeadScanner,
    },
    http1::{parse_request, ExtensionOffer, Limits, WebSocketKey},
    Error, Response, ServerResponse,
};

use crate::{pieces, Rle};

/// How many bytes the client and server ask for per read while a head arrives
/// (`READ_CHUNK_BYTES` in the handshake crate).
const READ_CHUNK_BYTES: usize = 4096;

/// The RFC 6455 §1.3 example key, which the `handshake_response` seeds answer.
const KEY: &WebSocketKey = b"dGhlIHNhbXBsZSBub25jZQ==";

/// The subprotocols a `handshake_response` client may offer, chosen by a bit mask.
const PROTOCOLS: [&str; 4] = ["chat", "superchat", "v2.json.example", "mqtt"];

/// Head limits from two fuzzer bytes: 255 is the default; otherwise `(b + 1) * 64` bytes and
/// `b` header lines.
fn limits(max_head: u8, max_headers: u8) -> Limits {
    let mut limits = Limits::default();
    if max_head != u8::MAX {
        limits.set_max_head_bytes((usize::from(max_head) + 1) * 64);
    }
    if max_headers != u8::MAX {
        limits.set_max_headers(usize::from(max_headers));
    }
    limits
}

/// What `read_head` in the handshake crate does with a peer's bytes arriving in `pieces`:
/// scan each read for the blank line that ends a head and only then parse, at most
/// `max_bytes` read in all. `None` means the peer's bytes ran out first (an EOF error there).
fn read_head<V>(
    pieces: &[&[u8]],
    max_bytes: usize,
    mut parse: impl FnMut(&[u8]) -> Result<Option<(V, usize)>, Error>,
) -> Option<Result<(V, usize), Error>> {
    let mut scanner = HeadScanner::default();
    let mut buf = Vec::new();
    // An empty read is the end of the stream, so empty pieces are skipped.
    let mut reads = pieces.iter().filter(|p| !p.is_empty());
    let mut pending: &[u8] = &[];
    loop {
        if scanner.found_end(&buf) {
            match parse(&buf) {
                Ok(Some(v)) => return Some(Ok(v)),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
        }
        let room = max_bytes.saturating_sub(buf.len());
        if room == 0 {
            return Some(Err(Error::HeadTooLarge { max: max_bytes }));
        }
        if pending.is_empty() {
            pending = reads.next()?;
        }
        let n = pending.len().min(room).min(READ_CHUNK_BYTES);
        buf.extend_from_slice(&pending[..n]);
        pending = &pending[n..];
    }
}

/// RFC 7230 §3.2.6 `token`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn assert_offer_is_tokens(offer: &ExtensionOffer) {
    assert!(is_token(offer.name()), "{offer}");
    for p in offer.params() {
        assert!(
            is_token(p.name()) && p.value().is_none_or(is_token),
            "{offer}"
        );
    }
}

/// `handshake_request`'s configuration: 3 bytes, one per field, in this order.
#[derive(Debug, Arbitrary)]
struct RequestConfig {
    /// The head byte limit, through [`limits`].
    max_head: u8,
    /// The header line limit, through [`limits`].
    max_headers: u8,
    /// How the second parse gets the input, through [`pieces`].
    chunk: u8,
}

/// Fuzz target `handshake_request`: [`RequestConfig`] (3 bytes), then what a client sent.
///
/// Invariants of `http1::parse_request` and the server's read loop:
/// - a parsed request lies within the limits and the input, and is well formed: a 24-byte
///   base64 key of 16 bytes, a non-empty path and host, subprotocols that are distinct
///   tokens, extension offers made of tokens;
/// - every error has a 4xx status, so the server always answers a bad request;
/// - the bytes in one piece parse to the same request as the same bytes read in pieces the
///   way the server reads them (scan for the blank line, then parse): a head never goes
///   unnoticed and no bytes after it are taken;
/// - a server can accept every request it parses, and a client that sent that request
///   accepts the server's answer.
pub fn handshake_request(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(cfg) = RequestConfig::arbitrary(&mut u) else {
        return;
    };
    let buf = u.take_rest();
    let limits = limits(cfg.max_head, cfg.max_headers);
    let whole = parse_request(buf, &limits);
    let read = read_head(&pieces(buf, cfg.chunk), limits.max_head_bytes(), |b| {
        parse_request(b, &limits)
    });
    match (&whole, &read) {
        (Ok(Some(w)), Some(Ok(r))) => assert_eq!(w, r, "parsed differently in pieces"),
        (Ok(Some(_)), r) => panic!("a whole request, but read in pieces: {r:?}"),
        (w, Some(Ok(_))) => panic!("a request read in pieces, but whole: {w:?}"),
        _ => {}
    }
    let (req, n) = match whole {
        Ok(Some(v)) => v,
        Ok(None) => {
            assert!(
                buf.len() < limits.max_head_bytes(),
                "a partial head over the limit"
            );
            return;
        }
        Err(e) => {
            let status = e.status_code();
            assert!(
                status.is_some_and(|s| (400..500).contains(&s)),
                "{e}: {status:?}"
            );
            return;
        }
    };
    assert!(n <= buf.len() && n <= limits.max_head_bytes());
    assert!(req.headers().len() <= limits.max_headers());
    let key = req.key();
    assert!(
        key.ends_with(b"==")
            && key[..22]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
    );
    assert!(!req.path().is_empty());
    assert!(is_token(&req.headers().host) || !req.headers().host.is_empty());
    let protocols: Vec<&str> = req.protocols().collect();
    for (i, p) in protocols.iter().enumerate() {
        assert!(is_token(p) && !protocols[..i].contains(p), "{protocols:?}");
    }
    req.extensions().iter().for_each(assert_offer_is_tokens);

    // The server accepts with the client's first subprotocol; the client must agree.
    let protocol = protocols.first().copied();
    let mut out = Vec::new();
    encode_response(
        &Response::Accept { key, protocol },
        Some(&req),
        &[],
        &mut out,
    )
    .expect("a server can accept every request it parsed");
    match parse_response(&out, &Limits::default(), &key, &protocols, &mut []) {
        Ok(Some((ServerResponse::Accepted { protocol: p }, len))) => {
            assert_eq!((p.as_deref(), len), (protocol, out.len()));
        }
        other => panic!("the client refused the server's answer: {other:?}"),
    }
}

/// `handshake_response`'s configuration: 5 bytes, one per field, in this order.
#[derive(Debug, Arbitrary)]
struct ResponseConfig {
    /// The head byte limit, through [`limits`].
    max_head: u8,
    /// The header line limit, through [`limits`].
    max_headers: u8,
    /// Which of [`PROTOCOLS`] the client offered, one bit each.
    protocols: u8,
    /// `% 3`: the client offered nothing (0), [`Rle`] (1) or permessage-deflate (2).
    extension: u8,
    /// How the second parse gets the input, through [`pieces`].
    chunk: u8,
}

/// The extensions a `handshake_response` client offers.
fn client_extensions(b: u8) -> Vec<Box<dyn Extension + Send>> {
    match b % 3 {
        1 => vec![Box::new(Rle::new())],
        2 => vec![Box::new(deflate::Deflate::new(codec::Mode::Client))],
        _ => Vec::new(),
    }
}

/// Fuzz target `handshake_response`: [`ResponseConfig`] (5 bytes), then what a server sent
/// to a client whose key was the RFC 6455 §1.3 example `dGhlIHNhbXBsZSBub25jZQ==`.
///
/// Invariants of `http1::parse_response` and the client's read loop:
/// - a parsed response lies within the limits and the input; an accepted subprotocol is one
///   the client offered; a redirect has a redirect status; any other status than 101 and the
///   redirects is a rejection;
/// - extensions are configured only by an accepted (101) response;
/// - the bytes in one piece parse to the same response as the same bytes read in pieces the
///   way the client reads them.
pub fn handshake_response(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(cfg) = ResponseConfig::arbitrary(&mut u) else {
        return;
    };
    let buf = u.take_rest();
    let limits = limits(cfg.max_head, cfg.max_headers);
    let offered: Vec<&str> = PROTOCOLS
        .iter()
        .enumerate()
        .filter(|(i, _)| cfg.protocols & (1 << i) != 0)
        .map(|(_, p)| *p)
        .collect();
    let mut extensions = client_extensions(cfg.extension);
    let whole = parse_response(buf, &limits, KEY, &offered, &mut extensions);
    let mut read_extensions = client_extensions(cfg.extension);
    let read = read_head(&pieces(buf, cfg.chunk), limits.max_head_bytes(), |b| {
        parse_response(b, &limits, KEY, &offered, &mut read_extensions)
    });
    match (&whole, &read) {
        (Ok(Some(w)), Some(Ok(r))) => assert_eq!(w, r, "parsed differently in pieces"),
        (Ok(Some(_)), r) => panic!("a whole response, but read in pieces: {r:?}"),
        (w, Some(Ok(_))) => panic!("a response read in pieces, but whole: {w:?}"),
        _ => {}
    }
    let Ok(Some((response, n))) = whole else {
        return;
    };
    assert!(n <= buf.len() && n <= limits.max_head_bytes());
    match &response {
        ServerResponse::Accepted { protocol } => {
            assert!(protocol
                .as_ref()
                .is_none_or(|p| offered.contains(&p.as_str())));
        }
        ServerResponse::Redirect { status_code, .. } => {
            assert!(matches!(*status_code, 301 | 302 | 303 | 307 | 308));
        }
        ServerResponse::Rejected { status_code } => {
            assert!(!matches!(*status_code, 101 | 301 | 302 | 303 | 307 | 308));
        }
    }
    if !matches!(response, ServerResponse::Accepted { .. }) {
        assert!(
            extensions.iter().all(|e| !e.is_enabled()),
            "configured by a non-101"
        );
    }
}

/// The extensions an `extension_offer` server supports, in its order of preference.
fn server_extensions() -> Vec<Box<dyn Extension + Send>> {
    vec![
        Box::new(Rle::new()),
        Box::new(deflate::Deflate::new(codec::Mode::Server)),
    ]
}

/// Fuzz target `extension_offer`: the whole input is one `Sec-WebSocket-Extensions` value.
///
/// Invariants of the extension header parser and of server-side negotiation:
/// - a parsed header is made of tokens, and printing it and parsing that gives it back;
/// - a server enables each of its extensions, in its order, exactly when an offer for it
///   configures it and no extension enabled before it uses the same RSV bits (RFC 6455 §9.1
///   as `http1` documents it);
/// - the header it answers with parses back to the enabled extensions and their parameters,
///   which a client then accepts.
pub fn extension_offer(data: &[u8]) {
    let Ok(offers) = parse_extensions(data) else {
        return;
    };
    offers.iter().for_each(assert_offer_is_tokens);
    let printed = offers
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    assert_eq!(parse_extensions(printed.as_bytes()).as_ref(), Ok(&offers));

    let mut server = server_extensions();
    negotiate_extensions(&mut server, &offers);
    // The oracle: each extension fresh, tried on each offer for it in the client's order.
    let mut used_rsv = 0;
    let mut expected = Vec::new();
    for (mut ext, negotiated) in server_extensions().into_iter().zip(&server) {
        let name = ext.name().to_owned();
        let accepted = ext.reserved_bits() & used_rsv == 0
            && offers
                .iter()
                .filter(|o| o.name() == name)
                .any(|o| ext.configure(o.params()).is_ok());
        assert_eq!(negotiated.is_enabled(), accepted, "{}", ext.name());
        if accepted {
            used_rsv |= ext.reserved_bits();
            expected.push(ExtensionOffer::new(ext.name(), ext.params().to_vec()));
        }
    }
    let header = accepted_extensions(&server).expect("parsed parameters are tokens");
    let answer = match header {
        Some(h) => parse_extensions(h.as_bytes()).expect("our own header parses"),
        None => Vec::new(),
    };
    assert_eq!(answer, expected);
    for offer in answer.iter().filter(|o| o.name() == Rle::NAME) {
        Rle::new()
            .configure(offer.params())
            .expect("a client accepts the answer");
    }
}
