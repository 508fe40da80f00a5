//! One-call clients and servers over tokio (feature `tokio`; `wss://` with feature `rustls`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), sockeye::tokio::Error> {
//! // A client: connect, send, receive.
//! let (mut sender, mut receiver) = sockeye::tokio::connect("ws://127.0.0.1:8080/").await?;
//! sender.send_text("hello").await?;
//! let mut message = Vec::new();
//! receiver.receive_data(&mut message).await?;
//!
//! // A server: accept each TCP connection as a WebSocket and echo.
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! loop {
//!     let (tcp, _) = listener.accept().await?;
//!     tokio::spawn(async move {
//!         let (mut sender, mut receiver) = sockeye::tokio::accept(tcp).await?;
//!         let mut message = Vec::new();
//!         while let Ok(data) = receiver.receive_data(&mut message).await {
//!             if data.is_text() {
//!                 sender.send_text(std::str::from_utf8(&message).expect("validated")).await?;
//!             } else {
//!                 sender.send_binary(&message).await?;
//!             }
//!             message.clear();
//!         }
//!         Ok::<_, sockeye::tokio::Error>(())
//!     });
//! }
//! # }
//! ```
//!
//! Both take a [`Config`] in their `_with` forms: subprotocols, extensions, extra headers,
//! limits and timeouts. The handshake is bounded by [`Config::set_handshake_timeout`]
//! (default 10 s), and the connection gets a tokio [`TokioTimer`], so the close timeout
//! (default 10 s) and the optional keepalive and idle timeouts apply.

use std::{
    fmt, io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use codec::Extension;
use connection::{Builder, Mode, Receiver, Sender, Sleep, Timer};
use handshake::{Client, ClientRequest, Header, Server, ServerResponse};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};

/// The default time allowed for the opening handshake (10 s).
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A [`Timer`] on tokio's clock (including its paused test clock).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioTimer;

impl Timer for TokioTimer {
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }

    fn now(&self) -> std::time::Instant {
        tokio::time::Instant::now().into_std()
    }
}

/// The one [`TokioTimer`] all connections share (it holds nothing), so that a connection
/// does not allocate its own.
fn tokio_timer() -> Arc<dyn Timer> {
    static TIMER: std::sync::LazyLock<Arc<dyn Timer>> =
        std::sync::LazyLock::new(|| Arc::new(TokioTimer));
    TIMER.clone()
}

/// Makes a fresh extension for each connection (extensions hold per-connection state).
pub type ExtensionFactory = Arc<dyn Fn(Mode) -> Box<dyn Extension + Send> + Send + Sync>;

/// Settings for [`connect_with`] and [`accept_with`]. Settings that concern only one side
/// (allowed origins for servers, TLS for clients) are ignored by the other.
#[derive(Clone)]
pub struct Config {
    protocols: Vec<String>,
    headers: Vec<(String, String)>,
    extensions: Vec<ExtensionFactory>,
    allowed_origins: Option<Vec<String>>,
    max_message: usize,
    max_frame: usize,
    handshake_timeout: Duration,
    close_timeout: Duration,
    keepalive: Option<(Duration, Duration)>,
    idle_timeout: Option<Duration>,
    send_timeout: Option<Duration>,
    #[cfg(feature = "rustls")]
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("protocols", &self.protocols)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("extensions", &self.extensions.len())
            .field("allowed_origins", &self.allowed_origins)
            .field("max_message", &self.max_message)
            .field("max_frame", &self.max_frame)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("close_timeout", &self.close_timeout)
            .field("keepalive", &self.keepalive)
            .field("idle_timeout", &self.idle_timeout)
            .field("send_timeout", &self.send_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            protocols: Vec::new(),
            headers: Vec::new(),
            extensions: Vec::new(),
            allowed_origins: None,
            max_message: connection::DEFAULT_MAX_MESSAGE_BYTES,
            max_frame: connection::DEFAULT_MAX_FRAME_BYTES,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            close_timeout: connection::DEFAULT_CLOSE_TIMEOUT,
            keepalive: None,
            idle_timeout: None,
            send_timeout: None,
            #[cfg(feature = "rustls")]
            tls: None,
        }
    }
}

impl Config {
    /// The defaults: no subprotocols or extensions, 64 MiB limits, 10 s handshake and close
    /// timeouts, no keepalive, no idle timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a subprotocol: offered by a client in order, accepted by a server in order of
    /// this preference.
    pub fn add_protocol(&mut self, protocol: impl Into<String>) -> &mut Self {
        self.protocols.push(protocol.into());
        self
    }

    /// Adds a header to a client's request (e.g. `Authorization`, `Origin`).
    pub fn add_header(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds an extension, made fresh for each connection by `factory`.
    pub fn add_extension<F>(&mut self, factory: F) -> &mut Self
    where
        F: Fn(Mode) -> Box<dyn Extension + Send> + Send + Sync + 'static,
    {
        self.extensions.push(Arc::new(factory));
        self
    }

    /// Adds permessage-deflate (RFC 7692) with its defaults: a client offers it, a server
    /// accepts the first offer it can honour. Messages are compressed only if both agree.
    #[cfg(feature = "deflate")]
    #[cfg_attr(docsrs, doc(cfg(feature = "deflate")))]
    pub fn add_deflate(&mut self) -> &mut Self {
        self.add_extension(|mode| Box::new(deflate::Deflate::new(mode)))
    }

    /// Servers only: refuses browsers from other origins with 403 (cross-site WebSocket
    /// hijacking). Requests without an `Origin` header (non-browser clients) are allowed.
    pub fn set_allowed_origins<I, S>(&mut self, origins: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_origins = Some(origins.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the largest message the peer may send (default 64 MiB).
    pub fn set_max_message_size(&mut self, max: usize) -> &mut Self {
        self.max_message = max;
        self
    }

    /// Sets the largest frame the peer may send (default 64 MiB).
    pub fn set_max_frame_size(&mut self, max: usize) -> &mut Self {
        self.max_frame = max;
        self
    }

    /// Sets the time allowed for the whole opening handshake (default 10 s).
    pub fn set_handshake_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Sets the time allowed for the peer to answer our close (default 10 s).
    pub fn set_close_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.close_timeout = timeout;
        self
    }

    /// Pings after `interval` of silence and drops the peer if nothing arrives within
    /// `timeout` after the ping (off by default).
    pub fn set_keepalive(&mut self, interval: Duration, timeout: Duration) -> &mut Self {
        self.keepalive = Some((interval, timeout));
        self
    }

    /// Drops the peer (with 1001) after `timeout` without receiving anything (off by default).
    pub fn set_idle_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// Fails the connection when a write stalls this long because the peer stopped reading
    /// (off by default).
    pub fn set_send_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.send_timeout = Some(timeout);
        self
    }

    /// Clients only: the TLS settings for `wss://` (default: the webpki root certificates).
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn set_tls_config(&mut self, tls: Arc<rustls::ClientConfig>) -> &mut Self {
        self.tls = Some(tls);
        self
    }

    fn configure<T>(&self, builder: &mut Builder<T>)
    where
        T: futures::AsyncRead + futures::AsyncWrite + Unpin,
    {
        builder
            .set_max_message_size(self.max_message)
            .set_max_frame_size(self.max_frame)
            .set_timer(tokio_timer())
            .set_close_timeout(self.close_timeout);
        if let Some((interval, timeout)) = self.keepalive {
            builder.set_keepalive(interval, timeout);
        }
        if let Some(idle) = self.idle_timeout {
            builder.set_idle_timeout(idle);
        }
        if let Some(send) = self.send_timeout {
            builder.set_send_timeout(send);
        }
    }
}

/// Why [`connect`] or [`accept`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The URL is not a `ws://` or `wss://` URL this client can use.
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Connecting or reading failed.
    Io(io::Error),
    /// The handshake failed (bad request or response, refused extension, ...).
    Handshake(handshake::Error),
    /// The server answered with a redirect; follow `location` if you trust it.
    Redirected {
        /// The HTTP status (301, 302, 303, 307 or 308).
        status_code: u16,
        /// The `Location` header.
        location: String,
    },
    /// The server refused the upgrade with this HTTP status.
    Rejected {
        /// The HTTP status.
        status_code: u16,
    },
    /// The handshake did not finish within the handshake timeout.
    HandshakeTimeout,
    /// A `wss://` URL was given but the `rustls` feature is off.
    TlsUnavailable,
    /// The connection failed after the handshake.
    Connection(connection::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl { url, reason } => {
                write!(f, "invalid websocket url {url:?}: {reason}")
            }
            Self::Io(e) => write!(f, "i/o error: {e}"),
            Self::Handshake(e) => write!(f, "handshake failed: {e}"),
            Self::Redirected {
                status_code,
                location,
            } => {
                write!(f, "server redirected with {status_code} to {location}")
            }
            Self::Rejected { status_code } => {
                write!(
                    f,
                    "server refused the websocket upgrade with HTTP {status_code}"
                )
            }
            Self::HandshakeTimeout => f.write_str("the opening handshake timed out"),
            Self::TlsUnavailable => f.write_str("wss:// needs the `rustls` feature of sockeye"),
            Self::Connection(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Handshake(e) => Some(e),
            Self::Connection(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<handshake::Error> for Error {
    fn from(e: handshake::Error) -> Self {
        Self::Handshake(e)
    }
}

impl From<connection::Error> for Error {
    fn from(e: connection::Error) -> Self {
        Self::Connection(e)
    }
}

/// The stream a client connection runs over: plain TCP, or TLS with feature `rustls`.
#[derive(Debug)]
#[non_exhaustive]
pub enum MaybeTlsStream {
    /// A `ws://` connection.
    Plain(TcpStream),
    /// A `wss://` connection.
    #[cfg(feature = "rustls")]
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for MaybeTlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "rustls")]
            Self::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MaybeTlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "rustls")]
            Self::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(feature = "rustls")]
            Self::Tls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(s) => s.is_write_vectored(),
            #[cfg(feature = "rustls")]
            Self::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "rustls")]
            Self::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "rustls")]
            Self::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// A client connection's stream as the connection sees it.
pub type ClientStream = Compat<MaybeTlsStream>;

/// What the server agreed to in the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The subprotocol the server chose, if any.
    pub protocol: Option<String>,
}

/// Connects to a `ws://` (or, with feature `rustls`, `wss://`) URL with the default
/// [`Config`].
///
/// # Errors
/// See [`Error`]: a bad URL, a failed TCP or TLS connection, a refused or invalid handshake,
/// or the handshake timeout.
pub async fn connect(url: &str) -> Result<(Sender<ClientStream>, Receiver<ClientStream>), Error> {
    // The default config lives in the boxed handshake too, not in the caller's future.
    let (sender, receiver, _) =
        Box::pin(async move { connect_inner(url, &Config::default()).await }).await?;
    Ok((sender, receiver))
}

/// Connects to a URL with `config`, returning the connection and what the server agreed to.
///
/// # Errors
/// As [`connect`].
pub async fn connect_with(
    url: &str,
    config: &Config,
) -> Result<(Sender<ClientStream>, Receiver<ClientStream>, Response), Error> {
    // The handshake's state lives on the heap only while it runs: a future awaiting this one
    // (a connection's whole task) then stays small for as long as the connection lives.
    Box::pin(connect_inner(url, config)).await
}

async fn connect_inner(
    url: &str,
    config: &Config,
) -> Result<(Sender<ClientStream>, Receiver<ClientStream>, Response), Error> {
    let target = Target::parse(url)?;
    // Refuse wss:// without TLS support before touching the network.
    if target.tls && !cfg!(feature = "rustls") {
        return Err(Error::TlsUnavailable);
    }
    let handshake = async {
        let tcp = TcpStream::connect((target.host.as_str(), target.port)).await?;
        tcp.set_nodelay(true)?;
        let stream = open_stream(tcp, &target, config).await?;
        let mut client = Client::new(Compat::new(stream), &target.host_header, &target.resource);
        for protocol in &config.protocols {
            client.add_protocol(protocol);
        }
        for make in &config.extensions {
            client.add_extension(make(Mode::Client));
        }
        let headers: Vec<Header<'_>> = config
            .headers
            .iter()
            .map(|(name, value)| Header {
                name,
                value: value.as_bytes(),
            })
            .collect();
        client.set_headers(&headers);
        match client.handshake().await? {
            ServerResponse::Accepted { protocol } => {
                let mut builder = client.into_builder();
                config.configure(&mut builder);
                let (sender, receiver) = builder.finish();
                Ok((sender, receiver, Response { protocol }))
            }
            ServerResponse::Redirect {
                status_code,
                location,
            } => Err(Error::Redirected {
                status_code,
                location,
            }),
            ServerResponse::Rejected { status_code } => Err(Error::Rejected { status_code }),
        }
    };
    tokio::time::timeout(config.handshake_timeout, handshake)
        .await
        .map_err(|_| Error::HandshakeTimeout)?
}

/// Accepts a WebSocket connection on a freshly accepted stream (TCP, or TLS from your
/// acceptor) with the default [`Config`].
///
/// # Errors
/// A bad request (answered with the right HTTP error before this returns), I/O errors, or
/// the handshake timeout.
pub async fn accept<S>(stream: S) -> Result<(Sender<Compat<S>>, Receiver<Compat<S>>), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // The default config lives in the boxed handshake too, not in the caller's future.
    let (sender, receiver, _) =
        Box::pin(async move { accept_inner(stream, &Config::default()).await }).await?;
    Ok((sender, receiver))
}

/// Accepts a WebSocket connection with `config`, returning the connection and the
/// client's request (path, headers, the chosen subprotocol).
///
/// # Errors
/// As [`accept`].
pub async fn accept_with<S>(
    stream: S,
    config: &Config,
) -> Result<(Sender<Compat<S>>, Receiver<Compat<S>>, ClientRequest), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // As in `connect_with`: keep the handshake's state out of the caller's future.
    Box::pin(accept_inner(stream, config)).await
}

async fn accept_inner<S>(
    stream: S,
    config: &Config,
) -> Result<(Sender<Compat<S>>, Receiver<Compat<S>>, ClientRequest), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let handshake = async {
        let mut server = Server::new(Compat::new(stream));
        for protocol in &config.protocols {
            server.add_protocol(protocol);
        }
        for make in &config.extensions {
            server.add_extension(make(Mode::Server));
        }
        if let Some(origins) = &config.allowed_origins {
            server.set_allowed_origins(origins.iter().map(String::as_str));
        }
        let request = server.receive_request().await?;
        let accept = handshake::server::Response::Accept {
            key: request.key(),
            protocol: request.protocol(),
        };
        server.send_response(&accept).await?;
        let mut builder = server.into_builder();
        config.configure(&mut builder);
        let (sender, receiver) = builder.finish();
        Ok((sender, receiver, request))
    };
    tokio::time::timeout(config.handshake_timeout, handshake)
        .await
        .map_err(|_| Error::HandshakeTimeout)?
}

/// Where a URL points.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    tls: bool,
    host: String,
    port: u16,
    /// The `Host` header: the host, with the port when it is not the scheme's default.
    host_header: String,
    /// Path and query, at least `/`.
    resource: String,
}

impl Target {
    fn parse(url: &str) -> Result<Self, Error> {
        let bad = |reason| Error::InvalidUrl {
            url: url.to_owned(),
            reason,
        };
        let (tls, rest) = if let Some(rest) = strip_prefix_ignore_case(url, "ws://") {
            (false, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(url, "wss://") {
            (true, rest)
        } else {
            return Err(bad("the scheme must be ws:// or wss://"));
        };
        // RFC 6455 §3: "Fragment identifiers are meaningless in the context of WebSocket
        // URIs and MUST NOT be used on these URIs."
        if rest.contains('#') {
            return Err(bad("a websocket url has no fragment"));
        }
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, resource) = rest.split_at(split);
        if authority.contains('@') {
            return Err(bad(
                "credentials in the url are not supported; send a header",
            ));
        }
        let resource = match resource {
            "" => "/".to_owned(),
            r if r.starts_with('?') => format!("/{r}"),
            r => r.to_owned(),
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let end = v6.find(']').ok_or_else(|| bad("unclosed [ in the host"))?;
            let port = &v6[end + 1..];
            (&v6[..end], port.strip_prefix(':').map(str::to_owned))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p.to_owned())),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(bad("the host is empty"));
        }
        let default_port = if tls { 443 } else { 80 };
        let port = match port {
            None => default_port,
            Some(p) => p
                .parse()
                .map_err(|_| bad("the port is not a number from 0 to 65535"))?,
        };
        let shown_host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        let host_header = if port == default_port {
            shown_host
        } else {
            format!("{shown_host}:{port}")
        };
        Ok(Self {
            tls,
            host: host.to_owned(),
            port,
            host_header,
            resource,
        })
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(not(feature = "rustls"))]
async fn open_stream(tcp: TcpStream, target: &Target, _: &Config) -> Result<MaybeTlsStream, Error> {
    if target.tls {
        return Err(Error::TlsUnavailable);
    }
    Ok(MaybeTlsStream::Plain(tcp))
}

#[cfg(feature = "rustls")]
async fn open_stream(
    tcp: TcpStream,
    target: &Target,
    config: &Config,
) -> Result<MaybeTlsStream, Error> {
    if !target.tls {
        return Ok(MaybeTlsStream::Plain(tcp));
    }
    let tls = match &config.tls {
        Some(tls) => tls.clone(),
        None => default_tls()?,
    };
    let name = rustls::pki_types::ServerName::try_from(target.host.clone()).map_err(|_| {
        Error::InvalidUrl {
            url: target.host.clone(),
            reason: "not a valid TLS server name",
        }
    })?;
    let stream = tokio_rustls::TlsConnector::from(tls)
        .connect(name, tcp)
        .await?;
    Ok(MaybeTlsStream::Tls(Box::new(stream)))
}

/// TLS 1.2 and 1.3 with ring and the webpki root certificates, offering HTTP/1.1 by ALPN.
#[cfg(feature = "rustls")]
fn default_tls() -> Result<Arc<rustls::ClientConfig>, Error> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::Io(io::Error::other(e)))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::Target;

    fn t(url: &str) -> Target {
        Target::parse(url).unwrap()
    }

    #[test]
    fn urls_parse_into_host_port_and_resource() {
        let x = t("ws://example.com/chat?room=1");
        assert_eq!((x.tls, x.host.as_str(), x.port), (false, "example.com", 80));
        assert_eq!(
            (x.host_header.as_str(), x.resource.as_str()),
            ("example.com", "/chat?room=1")
        );
        let x = t("WSS://example.com:8443");
        assert_eq!(
            (x.tls, x.port, x.host_header.as_str(), x.resource.as_str()),
            (true, 8443, "example.com:8443", "/")
        );
        let x = t("ws://[::1]:9001?x");
        assert_eq!(
            (x.host.as_str(), x.port, x.host_header.as_str()),
            ("::1", 9001, "[::1]:9001")
        );
        assert_eq!(x.resource, "/?x");
        assert_eq!(t("ws://h:80/").host_header, "h");
    }

    #[test]
    fn bad_urls_are_refused_with_a_reason() {
        for url in [
            "http://x/",
            "ws://",
            "ws://x:99999/",
            "ws://u:p@x/",
            "ws://x/#frag",
            "ws://[::1/",
        ] {
            assert!(Target::parse(url).is_err(), "{url}");
        }
    }
}

/// A tokio stream seen as a `futures::io` stream, which is what [`Sender`] and [`Receiver`]
/// run on.
///
/// Like `tokio_util::compat::Compat`, but it also passes vectored writes through: the
/// sender writes a large payload straight from the caller's buffer behind its header in one
/// `writev`, where `tokio_util`'s wrapper would send the few header bytes on their own.
#[derive(Debug)]
pub struct Compat<S> {
    inner: S,
}

impl<S> Compat<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self { inner }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped stream, mutably. Reading or writing it directly corrupts the connection.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: AsyncRead + Unpin> futures::AsyncRead for Compat<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut buf = ReadBuf::new(buf);
        std::task::ready!(Pin::new(&mut self.inner).poll_read(cx, &mut buf))?;
        Poll::Ready(Ok(buf.filled().len()))
    }
}

impl<S: AsyncWrite + Unpin> futures::AsyncWrite for Compat<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
