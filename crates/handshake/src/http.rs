//! Accepting WebSocket upgrades that arrive as [`http::Request`]s, for servers built on
//! hyper 1.x or axum, whose HTTP/1.1 parsing has already happened.
//!
//! The checks and negotiation are those of [`crate::Server`] (the same [`crate::http1`]
//! code): [`Negotiator::negotiate`] checks the request and negotiates, the service answers
//! with [`Negotiated::response`], and once hyper has upgraded the connection
//! [`Negotiated::into_builder`] makes the WebSocket connection. A rejected request is
//! answered with [`error_response`].
//!
//! ```
//! use sockeye_handshake::http::{error_response, is_upgrade_request, Negotiator};
//!
//! let request = http::Request::get("/ws")
//!     .header("host", "example.com")
//!     .header("upgrade", "websocket")
//!     .header("connection", "Upgrade")
//!     .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
//!     .header("sec-websocket-version", "13")
//!     .header("sec-websocket-protocol", "chat.v1, chat.v2")
//!     .body(())?;
//! assert!(is_upgrade_request(&request));
//!
//! let negotiated = match Negotiator::new().add_protocol("chat.v2").negotiate(&request) {
//!     Ok(negotiated) => negotiated,
//!     Err(e) => {
//!         let _answer: http::Response<String> = error_response(&e);
//!         return Ok(());
//!     }
//! };
//! let response = negotiated.response();
//! assert_eq!(response.status(), http::StatusCode::SWITCHING_PROTOCOLS);
//! assert_eq!(response.headers()["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
//! assert_eq!(response.headers()["sec-websocket-protocol"], "chat.v2");
//! // With hyper: return `response` from the service, and in a task spawned on
//! // `hyper::upgrade::on(&mut request)` turn the upgraded I/O into futures-io (hyper-util's
//! // `TokioIo`, then tokio-util's `compat()`) and call `negotiated.into_builder(io).finish()`.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::mem;

use codec::Extension;
use connection::{Builder, Mode};
use futures::io::{AsyncRead, AsyncWrite};
use http::header;
use tracing::debug;

use crate::http1::{self, quote, ClientRequest, Fields, Rejection};
use crate::Error;

/// Whether `request` asks for a WebSocket upgrade: `Upgrade` lists `websocket` and
/// `Connection` lists `upgrade` (ASCII case-insensitive). Use it to route between plain HTTP
/// and WebSocket; [`Negotiator::negotiate`] does the full check.
pub fn is_upgrade_request<B>(request: &http::Request<B>) -> bool {
    let fields = fields(request.headers());
    let fields = Fields(&fields);
    fields.has_token("Upgrade", "websocket") && fields.has_token("Connection", "upgrade")
}

fn fields(headers: &http::HeaderMap) -> Vec<(&str, &[u8])> {
    headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect()
}

/// A server's subprotocols, extensions and allowed origins, to negotiate one request with.
///
/// Extensions hold per-connection state, so make one `Negotiator` per request.
#[derive(Debug, Default)]
pub struct Negotiator {
    protocols: Vec<String>,
    extensions: Vec<Box<dyn Extension + Send>>,
    allowed_origins: Option<Vec<String>>,
}

impl Negotiator {
    /// A negotiator with no subprotocols, no extensions and any origin allowed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a supported subprotocol; the order added is the server's preference.
    pub fn add_protocol(&mut self, protocol: impl Into<String>) -> &mut Self {
        self.protocols.push(protocol.into());
        self
    }

    /// Adds a supported extension, configured with the first of the client's offers for it
    /// that it accepts.
    pub fn add_extension(&mut self, extension: Box<dyn Extension + Send>) -> &mut Self {
        self.extensions.push(extension);
        self
    }

    /// Accepts only requests whose `Origin` is one of `origins`, as
    /// [`crate::Server::set_allowed_origins`] does.
    pub fn set_allowed_origins<I, S>(&mut self, origins: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_origins = Some(origins.into_iter().map(Into::into).collect());
        self
    }

    /// Checks `request` as [`crate::Server::receive_request`] does (RFC 6455 §4.2.1) and
    /// negotiates the subprotocol and extensions. The extensions move into the result.
    ///
    /// # Errors
    /// The errors of [`crate::Server::receive_request`]: [`Error::BadRequest`] (also for a
    /// request that is not HTTP/1.1, as WebSockets over HTTP/2 are not supported),
    /// [`Error::UnsupportedVersion`] or [`Error::OriginNotAllowed`]; answer them with
    /// [`error_response`]. [`Error::InvalidInput`] if an extension's parameters cannot be
    /// written in a header.
    pub fn negotiate<B>(&mut self, request: &http::Request<B>) -> Result<Negotiated, Error> {
        let result = self.check(request);
        if let Err(e) = &result {
            debug!(status = e.status_code(), reason = %e, "rejected websocket upgrade request");
        }
        result
    }

    fn check<B>(&mut self, request: &http::Request<B>) -> Result<Negotiated, Error> {
        let fields = fields(request.headers());
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str);
        let http11 = request.version() == http::Version::HTTP_11;
        let mut client = http1::check_request(request.method().as_str(), http11, path, &fields)?;
        if let Some(allowed) = &self.allowed_origins {
            if !client.is_origin_allowed(allowed) {
                let origin = client.headers().origin.as_deref().unwrap_or_default();
                return Err(Error::OriginNotAllowed {
                    origin: quote(origin.as_bytes()),
                });
            }
        }
        client.select_protocol(&self.protocols);
        let mut extensions = mem::take(&mut self.extensions);
        http1::negotiate_extensions(&mut extensions, client.extensions());
        let extensions_header = http1::accepted_extensions(&extensions)?;
        Ok(Negotiated {
            protocol: client.protocol().map(str::to_owned),
            request: client,
            extensions,
            extensions_header,
        })
    }
}

/// A request that [`Negotiator::negotiate`] accepted: the `101` response to send and what
/// the connection needs once the upgrade is done.
#[derive(Debug)]
pub struct Negotiated {
    request: ClientRequest,
    protocol: Option<String>,
    extensions: Vec<Box<dyn Extension + Send>>,
    extensions_header: Option<String>,
}

impl Negotiated {
    /// The client's request.
    pub fn request(&self) -> &ClientRequest {
        &self.request
    }

    /// The subprotocol the response names: by default [`ClientRequest::protocol`], the
    /// server's preferred one among the client's offers.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// Chooses the subprotocol to answer with instead, or none.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if the client did not offer `protocol`.
    pub fn set_protocol(&mut self, protocol: Option<&str>) -> Result<(), Error> {
        if let Some(p) = protocol {
            http1::check_selected_protocol(p, Some(&self.request))?;
        }
        self.protocol = protocol.map(str::to_owned);
        Ok(())
    }

    /// The `101 Switching Protocols` response (RFC 6455 §4.2.2) to send: `Upgrade`,
    /// `Connection`, `Sec-WebSocket-Accept`, and the chosen subprotocol and extensions.
    pub fn response(&self) -> http::Response<()> {
        let mut response = http::Response::builder()
            .status(http::StatusCode::SWITCHING_PROTOCOLS)
            .header(header::UPGRADE, "websocket")
            .header(header::CONNECTION, "upgrade")
            .header(
                header::SEC_WEBSOCKET_ACCEPT,
                http1::accept_key(&self.request.key()),
            );
        if let Some(p) = &self.protocol {
            response = response.header(header::SEC_WEBSOCKET_PROTOCOL, p);
        }
        if let Some(e) = &self.extensions_header {
            response = response.header(header::SEC_WEBSOCKET_EXTENSIONS, e);
        }
        response
            .body(())
            .expect("the header values are base64, http tokens and separators")
    }

    /// A server-mode connection builder over the upgraded I/O, with the negotiated
    /// extensions. hyper's upgraded I/O replays any bytes it read past the head itself.
    pub fn into_builder<T>(self, socket: T) -> Builder<T>
    where
        T: AsyncRead + AsyncWrite + Unpin,
    {
        let mut builder = Builder::new(socket, Mode::Server);
        builder.add_extensions(self.extensions.into_iter().filter(|e| e.is_enabled()));
        builder
    }
}

/// The HTTP answer to a failed [`Negotiator::negotiate`], with the status of
/// [`Error::status_code`] and a short plain-text reason; a 426 carries
/// `Sec-WebSocket-Version: 13`. Errors without a status get `500 Internal Server Error`.
pub fn error_response(error: &Error) -> http::Response<String> {
    let rejection = Rejection::for_error(error).unwrap_or_else(|| Rejection {
        status: 500,
        version_headers: false,
        body: "internal server error\n".to_owned(),
    });
    let mut response = http::Response::builder()
        .status(rejection.status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8");
    if rejection.version_headers {
        response = response
            .header(header::UPGRADE, "websocket")
            .header(header::SEC_WEBSOCKET_VERSION, http1::WEBSOCKET_VERSION);
    }
    response
        .body(rejection.body)
        .expect("the status is a valid code and the header values are constants")
}
