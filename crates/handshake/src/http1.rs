//! The sans-I/O half of the handshake: HTTP/1.1 heads in and out, the accept key, and
//! subprotocol and extension negotiation (RFC 6455 §4 and §9.1).
//!
//! **Invariant:** no I/O and no async. Functions take bytes and configuration and return
//! values, bytes to send or errors; [`crate::Client`] and [`crate::Server`] do the reading and
//! writing. Nothing here names a connection type, so the handshake could be split from
//! `sockeye-connection` without touching this file.
//!
//! **Invariant:** memory is bounded by [`Limits`]: a head is parsed only up to
//! [`Limits::max_head_bytes`] and [`Limits::max_headers`], and nothing is allocated from a
//! length the peer declared.

use std::fmt;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use codec::{Extension, Param};
use sha1::{Digest, Sha1};

use crate::Error;

/// Default limit on the bytes of an HTTP head (request or response line, headers and the
/// blank line that ends them): 16 KiB.
pub const DEFAULT_MAX_HEAD_BYTES: usize = 16 * 1024;

/// Default limit on the header lines in an HTTP head: 64.
pub const DEFAULT_MAX_HEADERS: usize = 64;

/// The only WebSocket version there is (RFC 6455 §4.1, §11.6).
pub const WEBSOCKET_VERSION: &str = "13";

/// RFC 6455 §1.3: the GUID the server appends to the client's key before hashing it.
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// How much of a peer's value an error message quotes.
const MAX_QUOTED_BYTES: usize = 64;

/// The value of a `Sec-WebSocket-Key` header: 16 random bytes in base64, always 24 ASCII
/// bytes (RFC 6455 §4.1).
pub type WebSocketKey = [u8; 24];

/// The `Sec-WebSocket-Accept` value that answers `key` (RFC 6455 §4.2.2): the base64 of the
/// SHA-1 of the key followed by the GUID `258EAFA5-E914-47DA-95CA-C5AB0DC85B11`.
///
/// ```
/// use sockeye_handshake::http1::accept_key;
///
/// // The example of RFC 6455 §1.3.
/// assert_eq!(accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_key(key: &[u8]) -> String {
    let digest = Sha1::new().chain_update(key).chain_update(GUID).finalize();
    STANDARD.encode(digest)
}

/// Encodes a 16-byte nonce as a `Sec-WebSocket-Key`. A client must use a fresh random nonce
/// for every handshake (RFC 6455 §4.1); [`crate::Client`] does.
pub fn encode_key(nonce: [u8; 16]) -> WebSocketKey {
    let mut key = [0; 24];
    let written = STANDARD
        .encode_slice(nonce, &mut key)
        .expect("16 bytes always encode to 24 base64 bytes");
    debug_assert_eq!(written, key.len());
    key
}

/// Whether a request with this `Origin` may be accepted when only `allowed` origins may
/// connect.
///
/// Browsers send `Origin` with every WebSocket request, and a page on another site can open
/// a WebSocket to any server with the user's cookies (cross-site WebSocket hijacking);
/// checking the origin is the defence. A request without `Origin` does not come from a
/// browser and is allowed: it cannot carry a victim's cookies. Origins compare ASCII
/// case-insensitively, as browsers serialize them in lower case (RFC 6454 §6.1); list them
/// as `scheme://host[:port]`, e.g. `https://example.com`.
///
/// ```
/// use sockeye_handshake::http1::is_origin_allowed;
///
/// let allowed = ["https://example.com"];
/// assert!(is_origin_allowed(Some("https://example.com"), &allowed));
/// assert!(!is_origin_allowed(Some("https://evil.example"), &allowed));
/// assert!(is_origin_allowed(None, &allowed));
/// ```
pub fn is_origin_allowed<S: AsRef<str>>(origin: Option<&str>, allowed: &[S]) -> bool {
    match origin {
        None => true,
        Some(origin) => allowed
            .iter()
            .any(|a| a.as_ref().eq_ignore_ascii_case(origin)),
    }
}

/// The `Host` value for connecting to `host` on `port`: the port is included only when it
/// is not the scheme's default (80 for `ws`, 443 for `wss`, RFC 6455 §3), and an IPv6
/// address gets its brackets (RFC 7230 §5.4).
///
/// ```
/// use sockeye_handshake::http1::host_header;
///
/// assert_eq!(host_header("example.com", 80, false), "example.com");
/// assert_eq!(host_header("example.com", 8080, false), "example.com:8080");
/// assert_eq!(host_header("example.com", 443, true), "example.com");
/// assert_eq!(host_header("::1", 9001, false), "[::1]:9001");
/// ```
pub fn host_header(host: &str, port: u16, tls: bool) -> String {
    let default_port = if tls { 443 } else { 80 };
    let bracketed = host.contains(':') && !host.starts_with('[');
    let mut value = String::with_capacity(host.len() + 8);
    if bracketed {
        value.push('[');
    }
    value.push_str(host);
    if bracketed {
        value.push(']');
    }
    if port != default_port {
        value.push(':');
        value.push_str(&port.to_string());
    }
    value
}

/// The limits on an HTTP head, for both requests and responses.
///
/// | limit | setter | default |
/// |---|---|---|
/// | bytes of the head | [`Limits::set_max_head_bytes`] | [`DEFAULT_MAX_HEAD_BYTES`] (16 KiB) |
/// | header lines | [`Limits::set_max_headers`] | [`DEFAULT_MAX_HEADERS`] (64) |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    max_head_bytes: usize,
    max_headers: usize,
}

impl Limits {
    /// The default limits.
    pub fn new() -> Self {
        Self {
            max_head_bytes: DEFAULT_MAX_HEAD_BYTES,
            max_headers: DEFAULT_MAX_HEADERS,
        }
    }

    /// Sets the largest head, in bytes, counting the blank line that ends it.
    pub fn set_max_head_bytes(&mut self, max: usize) -> &mut Self {
        self.max_head_bytes = max;
        self
    }

    /// Sets the most header lines a head may have.
    pub fn set_max_headers(&mut self, max: usize) -> &mut Self {
        self.max_headers = max;
        self
    }

    /// The largest head, in bytes.
    pub fn max_head_bytes(&self) -> usize {
        self.max_head_bytes
    }

    /// The most header lines a head may have.
    pub fn max_headers(&self) -> usize {
        self.max_headers
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}

/// Finds the end of an HTTP head as it arrives in pieces, looking at each byte once.
///
/// Re-parsing the whole buffer after every read would cost time quadratic in the head's
/// length, which a peer sending one byte per packet could exploit; the scanner remembers how
/// far it got and the parser runs only once a blank line has arrived.
#[derive(Debug, Default)]
pub(crate) struct HeadScanner {
    scanned: usize,
}

impl HeadScanner {
    /// Whether `buf` has a blank line (`\n\n` or `\n\r\n`) ending past the bytes scanned so
    /// far. `buf` must only have grown since the last call.
    pub(crate) fn found_end(&mut self, buf: &[u8]) -> bool {
        while self.scanned < buf.len() {
            let i = self.scanned;
            self.scanned += 1;
            // RFC 7230 §3.5: "a recipient MAY recognize a single LF as a line terminator".
            if buf[i] == b'\n'
                && ((i >= 1 && buf[i - 1] == b'\n') || (i >= 2 && &buf[i - 2..i] == b"\n\r"))
            {
                return true;
            }
        }
        false
    }
}

/// One extension in a `Sec-WebSocket-Extensions` header (RFC 6455 §9.1): a name and its
/// parameters, as a client offers it or a server accepts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionOffer {
    name: String,
    params: Vec<Param>,
}

impl ExtensionOffer {
    /// An offer of `name` with `params`.
    pub fn new(name: impl Into<String>, params: Vec<Param>) -> Self {
        Self {
            name: name.into(),
            params,
        }
    }

    /// The extension's name, e.g. `permessage-deflate`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parameters, in the order they were sent.
    pub fn params(&self) -> &[Param] {
        &self.params
    }
}

impl fmt::Display for ExtensionOffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for p in &self.params {
            write!(f, "; {p}")?;
        }
        Ok(())
    }
}

/// The headers of a client's request.
///
/// `host` and `origin` have their own fields, as in soketto; every header line, these two
/// included, is available through [`RequestHeaders::get`] and [`RequestHeaders::iter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHeaders {
    /// The `Host` header.
    pub host: String,
    /// The `Origin` header, which browsers always send (RFC 6454).
    pub origin: Option<String>,
    fields: HeaderLines,
}

/// Header lines stored compactly: every name in one string, every value in one buffer, and
/// where each line ends in both. A request is often kept for as long as its connection
/// lives, so it holds three allocations instead of two per line.
#[derive(Clone, PartialEq, Eq)]
struct HeaderLines {
    names: String,
    values: Vec<u8>,
    /// For each line, the end of its name in `names` and of its value in `values`.
    ends: Box<[(usize, usize)]>,
}

impl HeaderLines {
    /// The lines, values trimmed of surrounding whitespace.
    fn new(lines: &[(&str, &[u8])]) -> Self {
        let mut names = String::with_capacity(lines.iter().map(|(n, _)| n.len()).sum());
        let mut values = Vec::with_capacity(lines.iter().map(|(_, v)| trim(v).len()).sum());
        let ends = lines
            .iter()
            .map(|(n, v)| {
                names.push_str(n);
                values.extend_from_slice(trim(v));
                (names.len(), values.len())
            })
            .collect();
        Self {
            names,
            values,
            ends,
        }
    }

    fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        let mut start = (0, 0);
        self.ends.iter().map(move |&(name_end, value_end)| {
            let line = (
                &self.names[start.0..name_end],
                &self.values[start.1..value_end],
            );
            start = (name_end, value_end);
            line
        })
    }
}

impl fmt::Debug for HeaderLines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl RequestHeaders {
    /// The value of the first header named `name` (ASCII case-insensitive), without
    /// surrounding whitespace.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The values of every header named `name` (ASCII case-insensitive), in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.fields
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Every header line as `(name, value)`, in the order received, names as sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.fields.iter()
    }

    /// The number of header lines.
    pub fn len(&self) -> usize {
        self.fields.ends.len()
    }

    /// Whether there are no header lines (never true of a valid request, which has `Host`).
    pub fn is_empty(&self) -> bool {
        self.fields.ends.is_empty()
    }
}

/// A client's valid WebSocket upgrade request, as the server received it.
///
/// It owns its data, so it can be kept while the server sends its response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequest {
    key: WebSocketKey,
    path: String,
    headers: RequestHeaders,
    protocols: Vec<String>,
    extensions: Vec<ExtensionOffer>,
    selected_protocol: Option<usize>,
}

impl ClientRequest {
    /// The `Sec-WebSocket-Key` nonce, to answer with [`Response::Accept`].
    pub fn key(&self) -> WebSocketKey {
        self.key
    }

    /// The request target, e.g. `/chat?room=1`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The request's headers.
    pub fn headers(&self) -> &RequestHeaders {
        &self.headers
    }

    /// The subprotocols the client offered, in its order of preference.
    pub fn protocols(&self) -> impl Iterator<Item = &str> {
        self.protocols.iter().map(String::as_str)
    }

    /// The subprotocol the server picks: the first one registered with the server (its
    /// order of preference) that the client offered. `None` if they share none.
    pub fn protocol(&self) -> Option<&str> {
        self.selected_protocol.map(|i| self.protocols[i].as_str())
    }

    /// The extensions the client offered, in its order, every header line included.
    pub fn extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }

    /// Whether this request's `Origin` is allowed; see [`is_origin_allowed`].
    pub fn is_origin_allowed<S: AsRef<str>>(&self, allowed: &[S]) -> bool {
        is_origin_allowed(self.headers.origin.as_deref(), allowed)
    }

    /// Picks the subprotocol by the server's preference: the first of `supported` the client
    /// offered.
    pub(crate) fn select_protocol<S: AsRef<str>>(&mut self, supported: &[S]) {
        self.selected_protocol = supported
            .iter()
            .find_map(|s| self.protocols.iter().position(|p| p == s.as_ref()));
    }
}

/// The response a server sends to a [`ClientRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response<'a> {
    /// Accept the request: `101 Switching Protocols`, with the extensions the server
    /// negotiated.
    Accept {
        /// The client's key, from [`ClientRequest::key`].
        key: WebSocketKey,
        /// The subprotocol to speak; it must be one the client offered.
        protocol: Option<&'a str>,
    },
    /// Reject the request with a 4xx or 5xx status and an empty body.
    Reject {
        /// The HTTP status, 400 to 599.
        status_code: u16,
    },
    /// Send the client elsewhere.
    Redirect {
        /// The HTTP status: 301, 302, 303, 307 or 308.
        status_code: u16,
        /// The URL to go to, for the `Location` header.
        location: &'a str,
    },
}

/// The server's answer to a client's handshake.
///
/// Not `#[non_exhaustive]`: every HTTP status falls in one of the three variants, and users
/// (as in soketto) match on all three.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerResponse {
    /// The server accepted the request; the connection now speaks WebSocket.
    Accepted {
        /// The subprotocol the server chose, one of those the client offered.
        protocol: Option<String>,
    },
    /// The server sent a redirect (301, 302, 303, 307 or 308).
    Redirect {
        /// The HTTP status.
        status_code: u16,
        /// The `Location` to go to.
        location: String,
    },
    /// The server answered with any other status.
    Rejected {
        /// The HTTP status.
        status_code: u16,
    },
}

/// An extra header for a client's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The header's name, e.g. `Authorization`.
    pub name: &'a str,
    /// The header's value.
    pub value: &'a [u8],
}

/// Parses a client's request from the front of `buf`.
///
/// Returns `Ok(None)` if the head is not complete yet, or the request and the length of its
/// head: bytes after it belong to the WebSocket connection.
///
/// # Errors
/// The head is over a limit ([`Error::HeadTooLarge`], [`Error::TooManyHeaders`]), is not
/// HTTP ([`Error::BadRequest`]), or is not a valid upgrade request (RFC 6455 §4.2.1:
/// [`Error::BadRequest`] or [`Error::UnsupportedVersion`]). [`Error::status_code`] gives the
/// status to answer with.
pub fn parse_request(buf: &[u8], limits: &Limits) -> Result<Option<(ClientRequest, usize)>, Error> {
    let mut headers = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return partial(buf, limits),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Error::TooManyHeaders {
                max: limits.max_headers,
            })
        }
        Err(e) => return Err(Error::bad_request(format!("malformed http request: {e}"))),
    };
    if len > limits.max_head_bytes {
        return Err(Error::HeadTooLarge {
            max: limits.max_head_bytes,
        });
    }
    let (Some(method), Some(path), Some(minor)) = (req.method, req.path, req.version) else {
        unreachable!("httparse fills the request line of a complete request");
    };
    let fields: Vec<_> = req.headers.iter().map(|h| (h.name, h.value)).collect();
    let request = check_request(method, minor == 1, path, &fields)?;
    Ok(Some((request, len)))
}

/// `Ok(None)` for a partial head that may still fit, the byte limit's error otherwise.
fn partial<T>(buf: &[u8], limits: &Limits) -> Result<Option<T>, Error> {
    if buf.len() >= limits.max_head_bytes {
        Err(Error::HeadTooLarge {
            max: limits.max_head_bytes,
        })
    } else {
        Ok(None)
    }
}

/// Checks a parsed request line and headers against RFC 6455 §4.2.1. `http11` says whether
/// the request is HTTP/1.1. Shared by [`parse_request`] and the `http` module.
pub(crate) fn check_request(
    method: &str,
    http11: bool,
    path: &str,
    fields: &[(&str, &[u8])],
) -> Result<ClientRequest, Error> {
    let fields = Fields(fields);
    // RFC 6455 §4.2.1: "1. An HTTP/1.1 or higher GET request".
    if method != "GET" {
        return Err(Error::bad_request(format!(
            "method must be GET, not {}",
            quote(method.as_bytes())
        )));
    }
    if !http11 {
        return Err(Error::bad_request("http version must be HTTP/1.1"));
    }
    // RFC 6455 §4.2.1: "2. A |Host| header field containing the server's authority." RFC
    // 7230 §5.4: a server "MUST respond with a 400 (Bad Request) status code to any HTTP/1.1
    // request message that lacks a Host header field and to any that contains more than one".
    let host = match fields.one("Host").map_err(Error::bad_request)? {
        None => return Err(Error::bad_request("missing Host header")),
        Some(h) if h.is_empty() || !h.iter().all(|b| (0x21..0x7f).contains(b)) => {
            return Err(Error::bad_request("invalid Host header"))
        }
        Some(h) => ascii(h),
    };
    // RFC 6455 §4.2.1: "3. An |Upgrade| header field containing the value "websocket",
    // treated as an ASCII case-insensitive value."
    if !fields.has_token("Upgrade", "websocket") {
        return Err(Error::bad_request("Upgrade header must contain websocket"));
    }
    // RFC 6455 §4.2.1: "4. A |Connection| header field that includes the token "Upgrade",
    // treated as an ASCII case-insensitive value."
    if !fields.has_token("Connection", "upgrade") {
        return Err(Error::bad_request("Connection header must contain upgrade"));
    }
    // RFC 6455 §4.4: "If this version does not match a version understood by the server, the
    // server MUST abort the WebSocket handshake [...] and instead send an appropriate HTTP
    // error code (such as 426 Upgrade Required) and a |Sec-WebSocket-Version| header field".
    match fields
        .one("Sec-WebSocket-Version")
        .map_err(Error::bad_request)?
    {
        Some(v) if v == WEBSOCKET_VERSION.as_bytes() => {}
        version => {
            return Err(Error::UnsupportedVersion {
                version: version.map(quote),
            })
        }
    }
    // RFC 6455 §4.2.1: "5. A |Sec-WebSocket-Key| header field with a base64-encoded value
    // that, when decoded, is 16 bytes in length." §11.3.1: it "MUST NOT appear more than once".
    let key = match fields
        .one("Sec-WebSocket-Key")
        .map_err(Error::bad_request)?
    {
        None => return Err(Error::bad_request("missing Sec-WebSocket-Key header")),
        Some(k) => decode_key(k)
            .ok_or_else(|| Error::bad_request("Sec-WebSocket-Key must be 16 bytes in base64"))?,
    };
    // RFC 7230 §3.3: a request has a body if it has Content-Length or Transfer-Encoding. The
    // bytes after this head are WebSocket frames, so a body would be read as frames.
    if fields.all("Transfer-Encoding").next().is_some()
        || fields.all("Content-Length").any(|v| v != b"0")
    {
        return Err(Error::bad_request(
            "an upgrade request must not have a body",
        ));
    }
    let origin = match fields.one("Origin").map_err(Error::bad_request)? {
        None => None,
        Some(o) if o.iter().all(|b| (0x20..0x7f).contains(b)) => Some(ascii(o)),
        Some(_) => return Err(Error::bad_request("invalid Origin header")),
    };
    // RFC 6455 §4.1: the subprotocol values "MUST be non-empty strings with characters in
    // the range U+0021 to U+007E not including separator characters [...] and MUST all be
    // unique strings." Several header lines form one list (RFC 7230 §3.2.2).
    let mut protocols: Vec<String> = Vec::new();
    for value in fields.all("Sec-WebSocket-Protocol") {
        for p in list_elements(value) {
            if !is_token(p) {
                return Err(Error::bad_request(
                    "Sec-WebSocket-Protocol must list tokens",
                ));
            }
            let p = ascii(p);
            if protocols.contains(&p) {
                return Err(Error::bad_request(
                    "Sec-WebSocket-Protocol lists a value twice",
                ));
            }
            protocols.push(p);
        }
    }
    let mut extensions = Vec::new();
    for value in fields.all("Sec-WebSocket-Extensions") {
        parse_extensions(value, &mut extensions).map_err(|e| {
            Error::bad_request(format!("malformed Sec-WebSocket-Extensions header: {e}"))
        })?;
    }
    let fields = HeaderLines::new(fields.0);
    Ok(ClientRequest {
        key,
        path: path.to_owned(),
        headers: RequestHeaders {
            host,
            origin,
            fields,
        },
        protocols,
        extensions,
        selected_protocol: None,
    })
}

/// A well-formed key: 24 bytes of base64 that decode to 16 bytes.
fn decode_key(value: &[u8]) -> Option<WebSocketKey> {
    let key: WebSocketKey = value.try_into().ok()?;
    let mut nonce = [0; 18];
    // `decode_slice` rejects non-canonical encodings, so only `encode_key`'s outputs pass.
    match STANDARD.decode_slice(key, &mut nonce) {
        Ok(16) => Some(key),
        _ => None,
    }
}

/// Server-side negotiation (RFC 6455 §9.1): for each extension, in the server's order, the
/// client's offers for its name are tried in the client's order and the first that
/// [`Extension::configure`] accepts enables it. An extension is skipped if it needs RSV bits
/// an extension enabled before it already uses.
pub(crate) fn negotiate_extensions(
    extensions: &mut [Box<dyn Extension + Send>],
    offers: &[ExtensionOffer],
) {
    let mut used_rsv = 0;
    for ext in extensions.iter_mut() {
        if ext.reserved_bits() & used_rsv != 0 {
            continue;
        }
        let name = ext.name().to_owned();
        for offer in offers.iter().filter(|o| o.name == name) {
            if ext.configure(&offer.params).is_ok() {
                used_rsv |= ext.reserved_bits();
                break;
            }
        }
    }
}

/// The `Sec-WebSocket-Extensions` value naming each enabled extension with its parameters,
/// or `None` if no extension is enabled.
pub(crate) fn accepted_extensions(
    extensions: &[Box<dyn Extension + Send>],
) -> Result<Option<String>, Error> {
    let mut value = String::new();
    for ext in extensions.iter().filter(|e| e.is_enabled()) {
        if !value.is_empty() {
            value.push_str(", ");
        }
        write_extension(&mut value, ext.name(), ext.params())?;
    }
    Ok((!value.is_empty()).then_some(value))
}

/// Appends `name; p1; p2=v` after checking that every part is a token, as RFC 6455 §9.1
/// requires of names and of parameter values (after unquoting).
fn write_extension(out: &mut String, name: &str, params: &[Param]) -> Result<(), Error> {
    if !is_token(name.as_bytes()) {
        return Err(Error::invalid_input(format!(
            "extension name {} is not an http token",
            quote(name.as_bytes())
        )));
    }
    out.push_str(name);
    for p in params {
        let value_ok = p.value().is_none_or(|v| is_token(v.as_bytes()));
        if !is_token(p.name().as_bytes()) || !value_ok {
            return Err(Error::invalid_input(format!(
                "extension {name} has a parameter that is not an http token"
            )));
        }
        out.push_str("; ");
        out.push_str(&p.to_string());
    }
    Ok(())
}

/// What a client sends and must check the answer against.
pub(crate) struct ClientParts<'a> {
    pub(crate) host: &'a str,
    pub(crate) resource: &'a str,
    pub(crate) key: &'a WebSocketKey,
    pub(crate) protocols: &'a [&'a str],
    pub(crate) headers: &'a [Header<'a>],
}

/// Names a client may not set with [`Header`]s: the handshake writes them itself.
const RESERVED_REQUEST_HEADERS: &[&str] = &[
    "Host",
    "Upgrade",
    "Connection",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
    "Sec-WebSocket-Accept",
];

/// Writes a client's upgrade request (RFC 6455 §4.1) to `out`.
///
/// # Errors
/// [`Error::InvalidInput`] for a host, resource, subprotocol, extension or header the request
/// cannot carry; nothing is written then.
pub(crate) fn encode_request(
    parts: &ClientParts<'_>,
    extensions: &[Box<dyn Extension + Send>],
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    if parts.host.is_empty() || !parts.host.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(Error::invalid_input(
            "host must be non-empty visible ASCII (IDNs in punycode)",
        ));
    }
    // RFC 6455 §3: the resource name is "/" plus path and query; "Fragment identifiers are
    // meaningless in the context of WebSocket URIs and MUST NOT be used on these URIs."
    if !parts.resource.starts_with('/')
        || !parts
            .resource
            .bytes()
            .all(|b| (0x21..0x7f).contains(&b) && b != b'#')
    {
        return Err(Error::invalid_input(
            "resource must start with / and be visible ASCII without # (percent-encode the rest)",
        ));
    }
    for (i, p) in parts.protocols.iter().enumerate() {
        if !is_token(p.as_bytes()) {
            return Err(Error::invalid_input(format!(
                "subprotocol {} is not an http token",
                quote(p.as_bytes())
            )));
        }
        if parts.protocols[..i].contains(p) {
            return Err(Error::invalid_input(format!(
                "subprotocol {p} is offered twice"
            )));
        }
    }
    let mut offers = String::new();
    for ext in extensions {
        if !offers.is_empty() {
            offers.push_str(", ");
        }
        write_extension(&mut offers, ext.name(), ext.params())?;
    }
    for h in parts.headers {
        if !is_token(h.name.as_bytes()) {
            return Err(Error::invalid_input(format!(
                "header name {} is not an http token",
                quote(h.name.as_bytes())
            )));
        }
        if let Some(r) = RESERVED_REQUEST_HEADERS
            .iter()
            .find(|r| r.eq_ignore_ascii_case(h.name))
        {
            return Err(Error::invalid_input(format!(
                "header {r} is set by the handshake itself"
            )));
        }
        if !is_field_value(h.value) {
            return Err(Error::invalid_input(format!(
                "the value of header {} has a line break or control character",
                h.name
            )));
        }
    }

    out.extend_from_slice(b"GET ");
    out.extend_from_slice(parts.resource.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    out.extend_from_slice(parts.host.as_bytes());
    out.extend_from_slice(b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
    out.extend_from_slice(parts.key);
    out.extend_from_slice(b"\r\nSec-WebSocket-Version: 13\r\n");
    if !parts.protocols.is_empty() {
        out.extend_from_slice(b"Sec-WebSocket-Protocol: ");
        out.extend_from_slice(parts.protocols.join(", ").as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !offers.is_empty() {
        out.extend_from_slice(b"Sec-WebSocket-Extensions: ");
        out.extend_from_slice(offers.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    for h in parts.headers {
        out.extend_from_slice(h.name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(h.value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Parses and checks a server's response from the front of `buf` (RFC 6455 §4.1, the
/// client's requirements on the response). On a `101`, the extensions named in the response
/// are configured.
///
/// Returns `Ok(None)` if the head is not complete yet, or the response and the length of its
/// head.
pub(crate) fn parse_response(
    buf: &[u8],
    limits: &Limits,
    parts: &ClientParts<'_>,
    extensions: &mut [Box<dyn Extension + Send>],
) -> Result<Option<(ServerResponse, usize)>, Error> {
    let mut headers = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut resp = httparse::Response::new(&mut headers);
    let len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return partial(buf, limits),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Error::TooManyHeaders {
                max: limits.max_headers,
            })
        }
        Err(e) => return Err(Error::bad_response(format!("malformed http response: {e}"))),
    };
    if len > limits.max_head_bytes {
        return Err(Error::HeadTooLarge {
            max: limits.max_head_bytes,
        });
    }
    let (Some(code), Some(minor)) = (resp.code, resp.version) else {
        unreachable!("httparse fills the status line of a complete response");
    };
    let fields: Vec<_> = resp.headers.iter().map(|h| (h.name, h.value)).collect();
    let response = check_response(code, minor == 1, &Fields(&fields), parts, extensions)?;
    Ok(Some((response, len)))
}

fn check_response(
    code: u16,
    http11: bool,
    fields: &Fields<'_, '_>,
    parts: &ClientParts<'_>,
    extensions: &mut [Box<dyn Extension + Send>],
) -> Result<ServerResponse, Error> {
    match code {
        101 => {}
        301 | 302 | 303 | 307 | 308 => {
            let location = match fields.one("Location").map_err(Error::bad_response)? {
                None => {
                    return Err(Error::bad_response(format!(
                        "redirect {code} without a Location header"
                    )))
                }
                Some(l) => std::str::from_utf8(l)
                    .map_err(|_| Error::bad_response("Location header is not UTF-8"))?,
            };
            return Ok(ServerResponse::Redirect {
                status_code: code,
                location: location.to_owned(),
            });
        }
        status_code => return Ok(ServerResponse::Rejected { status_code }),
    }
    if !http11 {
        return Err(Error::bad_response("101 response is not HTTP/1.1"));
    }
    // RFC 6455 §4.1: "If the response lacks an |Upgrade| header field or the |Upgrade| header
    // field contains a value that is not an ASCII case-insensitive match for the value
    // "websocket", the client MUST _Fail the WebSocket Connection_."
    if !fields.has_token("Upgrade", "websocket") {
        return Err(Error::bad_response("Upgrade header must contain websocket"));
    }
    // "If the response lacks a |Connection| header field or the |Connection| header field
    // doesn't contain a token that is an ASCII case-insensitive match for the value
    // "Upgrade", the client MUST _Fail the WebSocket Connection_."
    if !fields.has_token("Connection", "upgrade") {
        return Err(Error::bad_response(
            "Connection header must contain upgrade",
        ));
    }
    // "If the response lacks a |Sec-WebSocket-Accept| header field or the
    // |Sec-WebSocket-Accept| contains a value other than the base64-encoded SHA-1 of the
    // concatenation of the |Sec-WebSocket-Key| [...] with the string
    // "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" [...] the client MUST _Fail the WebSocket
    // Connection_."
    match fields
        .one("Sec-WebSocket-Accept")
        .map_err(Error::bad_response)?
    {
        None => return Err(Error::bad_response("missing Sec-WebSocket-Accept header")),
        Some(a) if a != accept_key(parts.key).as_bytes() => return Err(Error::InvalidAccept),
        Some(_) => {}
    }
    // "If the response includes a |Sec-WebSocket-Protocol| header field and this header field
    // indicates the use of a subprotocol that was not present in the client's handshake [...],
    // the client MUST _Fail the WebSocket Connection_."
    let protocol = match fields
        .one("Sec-WebSocket-Protocol")
        .map_err(Error::bad_response)?
    {
        None => None,
        Some(p) => match parts.protocols.iter().find(|o| o.as_bytes() == p) {
            Some(o) => Some((*o).to_owned()),
            None => return Err(Error::UnsolicitedProtocol { protocol: quote(p) }),
        },
    };
    // "If the response includes a |Sec-WebSocket-Extensions| header field and this header
    // field indicates the use of an extension that was not present in the client's handshake
    // [...], the client MUST _Fail the WebSocket Connection_."
    let mut accepted = Vec::new();
    for value in fields.all("Sec-WebSocket-Extensions") {
        parse_extensions(value, &mut accepted).map_err(|e| {
            Error::bad_response(format!("malformed Sec-WebSocket-Extensions header: {e}"))
        })?;
    }
    let mut configured = vec![false; extensions.len()];
    let mut used_rsv = 0;
    for offer in &accepted {
        let Some(i) = extensions
            .iter()
            .zip(&configured)
            .position(|(e, done)| !done && e.name() == offer.name)
        else {
            return Err(Error::UnsolicitedExtension {
                name: quote(offer.name.as_bytes()),
            });
        };
        configured[i] = true;
        let ext = &mut extensions[i];
        if ext.reserved_bits() & used_rsv != 0 {
            return Err(Error::bad_response(format!(
                "extension {} needs RSV bits another accepted extension uses",
                offer.name
            )));
        }
        ext.configure(&offer.params).map_err(Error::Extension)?;
        used_rsv |= ext.reserved_bits();
    }
    Ok(ServerResponse::Accepted { protocol })
}

/// Writes a server's response (RFC 6455 §4.2.2) to `out`. `offered` holds the client's
/// subprotocols when the request is known, to check an accepted subprotocol against.
///
/// # Errors
/// [`Error::InvalidInput`] for a subprotocol the client did not offer or that is not a
/// token, a status outside the variant's range, or a location with a line break; nothing is
/// written then.
pub(crate) fn encode_response(
    response: &Response<'_>,
    offered: Option<&ClientRequest>,
    extensions: &[Box<dyn Extension + Send>],
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    match *response {
        Response::Accept { key, protocol } => {
            if let Some(p) = protocol {
                check_selected_protocol(p, offered)?;
            }
            let extensions = accepted_extensions(extensions)?;
            out.extend_from_slice(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                  Connection: Upgrade\r\nSec-WebSocket-Accept: ",
            );
            out.extend_from_slice(accept_key(&key).as_bytes());
            out.extend_from_slice(b"\r\n");
            if let Some(p) = protocol {
                out.extend_from_slice(b"Sec-WebSocket-Protocol: ");
                out.extend_from_slice(p.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            if let Some(e) = extensions {
                out.extend_from_slice(b"Sec-WebSocket-Extensions: ");
                out.extend_from_slice(e.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"\r\n");
        }
        Response::Reject { status_code } => {
            if !(400..=599).contains(&status_code) {
                return Err(Error::invalid_input(format!(
                    "reject status must be 400 to 599, not {status_code}"
                )));
            }
            write_status_line(out, status_code);
            out.extend_from_slice(b"Connection: close\r\nContent-Length: 0\r\n\r\n");
        }
        Response::Redirect {
            status_code,
            location,
        } => {
            if !matches!(status_code, 301 | 302 | 303 | 307 | 308) {
                return Err(Error::invalid_input(format!(
                    "redirect status must be 301, 302, 303, 307 or 308, not {status_code}"
                )));
            }
            if location.is_empty() || !is_field_value(location.as_bytes()) {
                return Err(Error::invalid_input(
                    "redirect location must be non-empty without line breaks or control characters",
                ));
            }
            write_status_line(out, status_code);
            out.extend_from_slice(b"Location: ");
            out.extend_from_slice(location.as_bytes());
            out.extend_from_slice(b"\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        }
    }
    Ok(())
}

/// Checks the subprotocol a server accepts with: a token the client offered, if the request
/// is known.
pub(crate) fn check_selected_protocol(
    protocol: &str,
    offered: Option<&ClientRequest>,
) -> Result<(), Error> {
    if !is_token(protocol.as_bytes()) {
        return Err(Error::invalid_input(format!(
            "subprotocol {} is not an http token",
            quote(protocol.as_bytes())
        )));
    }
    if let Some(req) = offered {
        if !req.protocols().any(|p| p == protocol) {
            // RFC 6455 §4.2.2: the server selects "one or none of the acceptable protocols"
            // the client listed; a client must fail on any other.
            return Err(Error::invalid_input(format!(
                "subprotocol {protocol} was not offered by the client"
            )));
        }
    }
    Ok(())
}

/// The HTTP answer to a request error, as both the server and the `http` module send it.
#[derive(Debug)]
pub(crate) struct Rejection {
    pub(crate) status: u16,
    /// Whether to add `Upgrade: websocket` and `Sec-WebSocket-Version: 13` (a 426).
    pub(crate) version_headers: bool,
    pub(crate) body: String,
}

impl Rejection {
    /// The answer to `err`, or `None` for an error the server does not answer.
    pub(crate) fn for_error(err: &Error) -> Option<Self> {
        let status = err.status_code()?;
        let body = match err {
            Error::BadRequest { reason } => reason.clone(),
            Error::UnsupportedVersion { .. } => {
                "unsupported websocket version; this server speaks version 13".to_owned()
            }
            Error::OriginNotAllowed { .. } => "origin not allowed".to_owned(),
            Error::HeadTooLarge { max } => format!("request head over {max} bytes"),
            Error::TooManyHeaders { max } => format!("request has more than {max} header lines"),
            _ => reason_phrase(status).to_ascii_lowercase(),
        };
        Some(Self {
            status,
            version_headers: status == 426,
            body: body + "\n",
        })
    }

    /// Writes the response: the status, the headers and a plain-text body.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        write_status_line(out, self.status);
        if self.version_headers {
            // RFC 7231 §6.5.15: "The server MUST send an Upgrade header field in a 426
            // response"; RFC 7230 §6.7: a sender of Upgrade "MUST also send an "upgrade"
            // connection option".
            out.extend_from_slice(
                b"Connection: Upgrade, close\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n",
            );
        } else {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
        out.extend_from_slice(self.body.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(self.body.as_bytes());
    }
}

fn write_status_line(out: &mut Vec<u8>, status: u16) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(reason_phrase(status).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// The reason phrase for a status this crate sends; a generic one for the rest.
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ if status < 500 => "Client Error",
        _ => "Server Error",
    }
}

/// Header lookups over parsed `(name, value)` pairs. Names compare ASCII case-insensitively
/// (RFC 7230 §3.2); values come without surrounding whitespace.
pub(crate) struct Fields<'a, 'b>(pub(crate) &'b [(&'a str, &'a [u8])]);

impl<'a> Fields<'a, '_> {
    /// Every value of the header `name`, in order.
    pub(crate) fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a [u8]> + 's {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| trim(v))
    }

    /// The value of a header that may appear at most once.
    pub(crate) fn one(&self, name: &str) -> Result<Option<&'a [u8]>, String> {
        let mut values = self.all(name);
        let first = values.next();
        if values.next().is_some() {
            return Err(format!("more than one {name} header"));
        }
        Ok(first)
    }

    /// Whether any `name` header lists `token` (ASCII case-insensitive; RFC 7230 §7 lists).
    pub(crate) fn has_token(&self, name: &str, token: &str) -> bool {
        self.all(name)
            .flat_map(list_elements)
            .any(|t| t.eq_ignore_ascii_case(token.as_bytes()))
    }
}

/// The non-empty elements of a comma-separated list (RFC 7230 §7: "a recipient MUST parse
/// and ignore a reasonable number of empty list elements").
fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim)
        .filter(|e| !e.is_empty())
}

/// `value` without leading and trailing spaces and tabs (RFC 7230 §3.2.3 OWS).
fn trim(value: &[u8]) -> &[u8] {
    let start = value
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &value[start..end]
}

/// RFC 7230 §3.2.6: `tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
/// "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 7230 §3.2.6: `token = 1*tchar`.
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// RFC 7230 §3.2: a field value is visible characters, spaces, tabs and obs-text; no line
/// breaks or other control characters, so it cannot end the header early.
pub(crate) fn is_field_value(s: &[u8]) -> bool {
    s.iter().all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// Bytes that are known to be ASCII, as a `String`.
fn ascii(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// A peer's value, escaped and truncated, safe to put in an error message or a log.
pub(crate) fn quote(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(MAX_QUOTED_BYTES)];
    let mut s = shown.escape_ascii().to_string();
    if shown.len() < bytes.len() {
        s.push_str("...");
    }
    s
}

/// Parses one `Sec-WebSocket-Extensions` value into `out` (RFC 6455 §9.1):
///
/// ```text
/// extension-list = 1#extension
/// extension = extension-token *( ";" extension-param )
/// extension-param = token [ "=" (token | quoted-string) ]
///     ; When using the quoted-string syntax variant, the value after quoted-string
///     ; unescaping MUST conform to the 'token' ABNF.
/// ```
///
/// with optional whitespace around the separators and empty list elements ignored, as the
/// `#` rule of RFC 7230 §7 allows.
pub(crate) fn parse_extensions(value: &[u8], out: &mut Vec<ExtensionOffer>) -> Result<(), String> {
    let mut p = Cursor { s: value, at: 0 };
    loop {
        p.skip_ows();
        match p.peek() {
            None => return Ok(()),
            Some(b',') => {
                p.at += 1;
                continue;
            }
            Some(_) => {}
        }
        let name = p.token("an extension name")?;
        let mut params = Vec::new();
        loop {
            p.skip_ows();
            match p.peek() {
                None | Some(b',') => break,
                Some(b';') => p.at += 1,
                Some(_) => return Err(p.unexpected("`;`, `,` or the end")),
            }
            p.skip_ows();
            let param = p.token("a parameter name")?;
            p.skip_ows();
            if p.peek() == Some(b'=') {
                p.at += 1;
                p.skip_ows();
                let value = if p.peek() == Some(b'"') {
                    p.quoted()?
                } else {
                    p.token("a parameter value")?
                };
                params.push(Param::with_value(param, value));
            } else {
                params.push(Param::new(param));
            }
        }
        out.push(ExtensionOffer { name, params });
    }
}

/// A position in a header value being parsed.
struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    fn unexpected(&self, expected: &str) -> String {
        match self.peek() {
            None => format!("expected {expected} at the end"),
            Some(b) => format!(
                "expected {expected} at byte {}, found {}",
                self.at,
                quote(&[b])
            ),
        }
    }

    fn token(&mut self, what: &str) -> Result<String, String> {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        if start == self.at {
            return Err(self.unexpected(what));
        }
        Ok(ascii(&self.s[start..self.at]))
    }

    /// RFC 7230 §3.2.6: `quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE`, unescaped;
    /// RFC 6455 §9.1 then requires the result to be a token.
    fn quoted(&mut self) -> Result<String, String> {
        let start = self.at;
        self.at += 1;
        let mut value = Vec::new();
        loop {
            match self.peek() {
                None => return Err(format!("unterminated quoted string at byte {start}")),
                Some(b'"') => {
                    self.at += 1;
                    break;
                }
                Some(b'\\') => {
                    self.at += 1;
                    match self.peek() {
                        Some(b) => value.push(b),
                        None => return Err(format!("unterminated quoted string at byte {start}")),
                    }
                }
                Some(b) => value.push(b),
            }
            self.at += 1;
        }
        if !is_token(&value) {
            return Err(format!(
                "quoted parameter value at byte {start} is not a token once unquoted"
            ));
        }
        Ok(ascii(&value))
    }
}

#[cfg(test)]
mod tests;
