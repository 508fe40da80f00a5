//! The client side of the handshake (RFC 6455 §4.1): send an upgrade request over any
//! `futures::io` stream, check the server's answer, and turn the stream into a connection.

use bytes::BytesMut;
use codec::Extension;
use connection::{Builder, Mode};
use futures::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tracing::{debug, trace};

use crate::http1::{self, ClientParts, Limits};
use crate::{read_head, Error};

pub use crate::http1::{Header, ServerResponse};

/// A client's WebSocket handshake over `socket`.
///
/// ```no_run
/// # async fn run(socket: impl futures::io::AsyncRead + futures::io::AsyncWrite + Unpin)
/// #     -> Result<(), sockeye_handshake::Error> {
/// use sockeye_handshake::{Client, ServerResponse};
///
/// let mut client = Client::new(socket, "example.com", "/chat");
/// client.add_protocol("chat.v2").add_protocol("chat.v1");
/// match client.handshake().await? {
///     ServerResponse::Accepted { protocol } => {
///         let builder = client.into_builder(); // then `builder.finish()`
///     }
///     ServerResponse::Redirect { status_code, location } => { /* connect to `location` */ }
///     ServerResponse::Rejected { status_code } => { /* give up */ }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Client<'a, T> {
    socket: T,
    host: &'a str,
    resource: &'a str,
    protocols: Vec<&'a str>,
    headers: &'a [Header<'a>],
    extensions: Vec<Box<dyn Extension + Send>>,
    limits: Limits,
    /// Bytes read from the socket and not yet consumed; after the handshake, those past the
    /// response head, which belong to the connection.
    buffer: BytesMut,
    started: bool,
}

impl<'a, T: AsyncRead + AsyncWrite + Unpin> Client<'a, T> {
    /// A handshake for `resource` (path and query, e.g. `/chat?room=1`) on `host`.
    ///
    /// `host` is sent as the `Host` header as given; include the port when it is not the
    /// default for the scheme, or build it with [`http1::host_header`].
    pub fn new(socket: T, host: &'a str, resource: &'a str) -> Self {
        Self {
            socket,
            host,
            resource,
            protocols: Vec::new(),
            headers: &[],
            extensions: Vec::new(),
            limits: Limits::new(),
            buffer: BytesMut::new(),
            started: false,
        }
    }

    /// Offers a subprotocol; offers go out in the order added, the client's preference.
    pub fn add_protocol(&mut self, protocol: &'a str) -> &mut Self {
        self.protocols.push(protocol);
        self
    }

    /// Offers an extension with its [`Extension::params`]. If the server accepts it, the
    /// server's parameters configure it and the connection uses it.
    pub fn add_extension(&mut self, extension: Box<dyn Extension + Send>) -> &mut Self {
        self.extensions.push(extension);
        self
    }

    /// Sets extra headers for the request, e.g. `Origin`, `Authorization` or `Cookie`.
    ///
    /// The handshake's own headers (`Host`, `Upgrade`, `Connection`, `Sec-WebSocket-*`) are
    /// refused: [`Client::handshake`] fails with [`Error::InvalidInput`].
    pub fn set_headers(&mut self, headers: &'a [Header<'a>]) -> &mut Self {
        self.headers = headers;
        self
    }

    /// Sets the largest response head accepted, in bytes (default
    /// [`http1::DEFAULT_MAX_HEAD_BYTES`]).
    pub fn set_max_head_bytes(&mut self, max: usize) -> &mut Self {
        self.limits.set_max_head_bytes(max);
        self
    }

    /// Sets the most header lines accepted in the response (default
    /// [`http1::DEFAULT_MAX_HEADERS`]).
    pub fn set_max_headers(&mut self, max: usize) -> &mut Self {
        self.limits.set_max_headers(max);
        self
    }

    /// Sends the request with a fresh random key and reads the server's response.
    ///
    /// On [`ServerResponse::Accepted`] the response has been checked (RFC 6455 §4.1):
    /// `Upgrade` and `Connection` tokens, `Sec-WebSocket-Accept`, a subprotocol the client
    /// offered, and extensions the client offered, now configured. Call
    /// [`Client::into_builder`] next. The other two answers leave the stream in HTTP; drop
    /// the client.
    ///
    /// # Errors
    /// - [`Error::InvalidInput`]: the request cannot be sent as configured, or this is the
    ///   second call.
    /// - [`Error::BadResponse`], [`Error::InvalidAccept`], [`Error::UnsolicitedProtocol`],
    ///   [`Error::UnsolicitedExtension`], [`Error::Extension`]: the server's `101` is wrong.
    /// - [`Error::HeadTooLarge`], [`Error::TooManyHeaders`], [`Error::UnexpectedEof`],
    ///   [`Error::Io`]: the response did not arrive in one piece within the limits.
    pub async fn handshake(&mut self) -> Result<ServerResponse, Error> {
        if self.started {
            return Err(Error::invalid_input(
                "handshake() runs once per client; make a new client to retry",
            ));
        }
        // RFC 6455 §4.1: "The nonce MUST be selected randomly for each connection."
        let key = http1::encode_key(rand::random());
        let parts = ClientParts {
            host: self.host,
            resource: self.resource,
            key: &key,
            protocols: &self.protocols,
            headers: self.headers,
        };
        let mut request = Vec::new();
        http1::encode_request(&parts, &self.extensions, &mut request)?;
        self.started = true;
        self.socket.write_all(&request).await?;
        self.socket.flush().await?;
        trace!(bytes = request.len(), "sent websocket handshake request");

        let limits = self.limits;
        let extensions = &mut self.extensions;
        let result = read_head(
            &mut self.socket,
            &mut self.buffer,
            limits.max_head_bytes(),
            |buf| http1::parse_response(buf, &limits, &parts, extensions),
        )
        .await;
        match &result {
            Ok(response) => trace!(?response, "websocket handshake response"),
            Err(e) => debug!(error = %e, "websocket handshake failed"),
        }
        result
    }

    /// Bytes received after the server's response head, which [`Client::into_builder`] hands
    /// to the connection (a server may send its first frames with the `101`).
    pub fn buffered(&self) -> &[u8] {
        &self.buffer
    }

    /// Turns the stream into a WebSocket connection after [`ServerResponse::Accepted`]: a
    /// client-mode builder with the extensions the server accepted and the bytes read past
    /// the response head.
    pub fn into_builder(self) -> Builder<T> {
        let mut builder = Builder::new(self.socket, Mode::Client);
        builder.set_buffer(self.buffer);
        builder.add_extensions(self.extensions.into_iter().filter(|e| e.is_enabled()));
        builder
    }

    /// The underlying stream. Bytes in [`Client::buffered`] are lost.
    pub fn into_inner(self) -> T {
        self.socket
    }
}
