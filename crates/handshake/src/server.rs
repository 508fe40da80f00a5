//! The server side of the handshake (RFC 6455 §4.2): read and check a client's upgrade
//! request from any `futures::io` stream, answer it, and turn the stream into a connection.

use bytes::BytesMut;
use codec::Extension;
use connection::{Builder, Mode};
use futures::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tracing::{debug, trace};

use crate::http1::{self, quote, Limits, Rejection};
use crate::{read_head, Error};

pub use crate::http1::{ClientRequest, RequestHeaders, Response, WebSocketKey};

/// A server's WebSocket handshake over `socket`.
///
/// ```no_run
/// # async fn run(socket: impl futures::io::AsyncRead + futures::io::AsyncWrite + Unpin)
/// #     -> Result<(), sockeye_handshake::Error> {
/// use sockeye_handshake::{server::Response, Server};
///
/// let mut server = Server::new(socket);
/// server.add_protocol("chat.v2").add_protocol("chat.v1");
/// server.set_allowed_origins(["https://example.com"]);
/// // A bad request has been answered (400, 403, 426 or 431) when this fails.
/// let request = server.receive_request().await?;
/// let accept = Response::Accept { key: request.key(), protocol: request.protocol() };
/// server.send_response(&accept).await?;
/// let builder = server.into_builder(); // then `builder.finish()`
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Server<'a, T> {
    socket: T,
    protocols: Vec<&'a str>,
    extensions: Vec<Box<dyn Extension + Send>>,
    allowed_origins: Option<Vec<String>>,
    limits: Limits,
    /// Bytes read from the socket and not yet consumed; after the request, those past its
    /// head, which belong to the connection.
    buffer: BytesMut,
    /// The request received, to check the response against.
    request: Option<ClientRequest>,
    received: bool,
    responded: bool,
}

impl<'a, T: AsyncRead + AsyncWrite + Unpin> Server<'a, T> {
    /// A handshake over `socket`.
    pub fn new(socket: T) -> Self {
        Self {
            socket,
            protocols: Vec::new(),
            extensions: Vec::new(),
            allowed_origins: None,
            limits: Limits::new(),
            buffer: BytesMut::new(),
            request: None,
            received: false,
            responded: false,
        }
    }

    /// Adds a supported subprotocol. The order added is the server's preference:
    /// [`ClientRequest::protocol`] is the first added that the client offered.
    pub fn add_protocol(&mut self, protocol: &'a str) -> &mut Self {
        self.protocols.push(protocol);
        self
    }

    /// Adds a supported extension. [`Server::receive_request`] configures it with the first
    /// of the client's offers for it that it accepts, and the response announces it.
    pub fn add_extension(&mut self, extension: Box<dyn Extension + Send>) -> &mut Self {
        self.extensions.push(extension);
        self
    }

    /// Accepts only requests whose `Origin` is one of `origins` (`scheme://host[:port]`);
    /// others are answered `403 Forbidden`. Requests without `Origin` do not come from
    /// browsers and pass. See [`http1::is_origin_allowed`] for why this matters.
    pub fn set_allowed_origins<I, S>(&mut self, origins: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_origins = Some(origins.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the largest request head accepted, in bytes (default
    /// [`http1::DEFAULT_MAX_HEAD_BYTES`]).
    pub fn set_max_head_bytes(&mut self, max: usize) -> &mut Self {
        self.limits.set_max_head_bytes(max);
        self
    }

    /// Sets the most header lines accepted in the request (default
    /// [`http1::DEFAULT_MAX_HEADERS`]).
    pub fn set_max_headers(&mut self, max: usize) -> &mut Self {
        self.limits.set_max_headers(max);
        self
    }

    /// Reads the client's request and checks it (RFC 6455 §4.2.1), the origin (if
    /// [`Server::set_allowed_origins`] was called) and negotiates extensions.
    ///
    /// Bytes the client sent after its head (its first frames, if it did not wait for the
    /// response) stay buffered for the connection. At most the head limit is read.
    ///
    /// # Errors
    /// A request error has already been answered when this returns, with the status of
    /// [`Error::status_code`]: 400 for [`Error::BadRequest`], 403 for
    /// [`Error::OriginNotAllowed`], 426 with `Sec-WebSocket-Version: 13` for
    /// [`Error::UnsupportedVersion`] and 431 for [`Error::HeadTooLarge`] and
    /// [`Error::TooManyHeaders`]. [`Error::UnexpectedEof`] and [`Error::Io`] get no answer.
    /// [`Error::InvalidInput`] if a request was already received.
    pub async fn receive_request(&mut self) -> Result<ClientRequest, Error> {
        if self.received {
            return Err(Error::invalid_input(
                "receive_request() runs once per server",
            ));
        }
        self.received = true;
        let limits = self.limits;
        let result = read_head(
            &mut self.socket,
            &mut self.buffer,
            limits.max_head_bytes(),
            |buf| http1::parse_request(buf, &limits),
        )
        .await;
        let mut request = match result {
            Ok(request) => request,
            Err(e) => return Err(self.reject(e).await),
        };
        if let Some(allowed) = &self.allowed_origins {
            if !request.is_origin_allowed(allowed) {
                let origin = request.headers().origin.as_deref().unwrap_or_default();
                let e = Error::OriginNotAllowed {
                    origin: quote(origin.as_bytes()),
                };
                return Err(self.reject(e).await);
            }
        }
        request.select_protocol(&self.protocols);
        http1::negotiate_extensions(&mut self.extensions, request.extensions());
        trace!(
            path = request.path(),
            "received websocket handshake request"
        );
        self.request = Some(request.clone());
        Ok(request)
    }

    /// Answers a request error and hands the error back. Logs once, at `debug`, since the
    /// client controls it.
    async fn reject(&mut self, error: Error) -> Error {
        let Some(rejection) = Rejection::for_error(&error) else {
            debug!(reason = %error, "websocket handshake request failed");
            return error;
        };
        debug!(status = rejection.status, reason = %error, "rejected websocket handshake request");
        self.responded = true;
        let mut out = Vec::new();
        rejection.encode(&mut out);
        // The request error is what the caller needs; a client that is gone cannot be told.
        if let Err(e) = self.write(&out).await {
            debug!(error = %e, "could not send the handshake rejection");
        }
        error
    }

    /// Sends the response to the request.
    ///
    /// [`Response::Accept`] sends `101 Switching Protocols` with the `Sec-WebSocket-Accept`
    /// for `key`, the subprotocol and the extensions [`Server::receive_request`] negotiated;
    /// call [`Server::into_builder`] next. [`Response::Reject`] and [`Response::Redirect`]
    /// send `Connection: close` and no body; drop the server after them.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (nothing sent) for a subprotocol the client did not offer, a
    /// status outside the variant's range, a location with a line break, or a second
    /// response; [`Error::Io`] if the write fails.
    pub async fn send_response(&mut self, response: &Response<'_>) -> Result<(), Error> {
        if self.responded {
            return Err(Error::invalid_input(
                "a response to this request was already sent",
            ));
        }
        let mut out = Vec::new();
        http1::encode_response(response, self.request.as_ref(), &self.extensions, &mut out)?;
        self.responded = true;
        self.write(&out).await?;
        trace!(bytes = out.len(), "sent websocket handshake response");
        Ok(())
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.socket.write_all(bytes).await?;
        self.socket.flush().await?;
        Ok(())
    }

    /// Bytes received after the request head, which [`Server::into_builder`] hands to the
    /// connection.
    pub fn buffered(&self) -> &[u8] {
        &self.buffer
    }

    /// Turns the stream into a WebSocket connection after [`Response::Accept`]: a server-mode
    /// builder with the negotiated extensions and the bytes read past the request head.
    pub fn into_builder(self) -> Builder<T> {
        let mut builder = Builder::new(self.socket, Mode::Server);
        builder.set_buffer(self.buffer);
        builder.add_extensions(self.extensions.into_iter().filter(|e| e.is_enabled()));
        builder
    }

    /// The underlying stream. Bytes in [`Server::buffered`] are lost.
    pub fn into_inner(self) -> T {
        self.socket
    }
}
