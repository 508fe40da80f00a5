//! Hooks for the fuzz targets in `fuzz/`: thin public wrappers over the crate-private parts
//! of [`crate::http1`].
//!
//! Compiled only with the private `__fuzzing` feature. **Do not rely on this**: it is not
//! part of the public API, follows no semver, and may change or go away in any release.
//!
//! Each function calls the `http1` function of the same name and adds no behaviour.

use codec::Extension;

use crate::{
    http1::{self, ClientParts, ExtensionOffer, Limits, WebSocketKey},
    ClientRequest, Error, Response, ServerResponse,
};

/// Finds the end of an HTTP head as it arrives in pieces, as the client and server do
/// before they parse (`http1::HeadScanner`).
#[derive(Debug, Default)]
pub struct HeadScanner(http1::HeadScanner);

impl HeadScanner {
    /// Whether `buf` has a blank line ending past the bytes scanned so far. `buf` must only
    /// have grown since the last call.
    pub fn found_end(&mut self, buf: &[u8]) -> bool {
        self.0.found_end(buf)
    }
}

/// Parses and checks a server's response to a client that sent `key` and offered
/// `protocols` and `extensions`; configures the extensions the response accepts.
///
/// # Errors
/// As `Client::handshake`: the response is malformed or breaks RFC 6455 §4.1.
pub fn parse_response(
    buf: &[u8],
    limits: &Limits,
    key: &WebSocketKey,
    protocols: &[&str],
    extensions: &mut [Box<dyn Extension + Send>],
) -> Result<Option<(ServerResponse, usize)>, Error> {
    let parts = ClientParts {
        host: "fuzz.invalid",
        resource: "/",
        key,
        protocols,
        headers: &[],
    };
    http1::parse_response(buf, limits, &parts, extensions)
}

/// Writes a server's response; `offered` is the request it answers, if known, and
/// `extensions` the server's (enabled ones are named in a 101).
///
/// # Errors
/// As `Server::send_response`: the response cannot be sent as asked.
pub fn encode_response(
    response: &Response<'_>,
    offered: Option<&ClientRequest>,
    extensions: &[Box<dyn Extension + Send>],
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    http1::encode_response(response, offered, extensions, out)
}

/// Parses one `Sec-WebSocket-Extensions` header value (RFC 6455 §9.1).
///
/// # Errors
/// The value is malformed; the string says where.
pub fn parse_extensions(value: &[u8]) -> Result<Vec<ExtensionOffer>, String> {
    let mut out = Vec::new();
    http1::parse_extensions(value, &mut out)?;
    Ok(out)
}

/// Server-side negotiation: enables the server's `extensions` that accept one of `offers`.
pub fn negotiate_extensions(
    extensions: &mut [Box<dyn Extension + Send>],
    offers: &[ExtensionOffer],
) {
    http1::negotiate_extensions(extensions, offers);
}

/// The `Sec-WebSocket-Extensions` value naming each enabled extension, or `None`.
///
/// # Errors
/// An enabled extension has a name or parameter that is not an HTTP token.
pub fn accepted_extensions(
    extensions: &[Box<dyn Extension + Send>],
) -> Result<Option<String>, Error> {
    http1::accepted_extensions(extensions)
}
