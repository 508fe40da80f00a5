//! `sockeye::tokio`: connect and accept over real loopback TCP, configs and timeouts.
#![cfg(feature = "tokio")]

use std::time::Duration;

use sockeye::{
    tokio::{accept_with, connect, connect_with, Config, Error},
    Incoming,
};
use tokio::{io::AsyncWriteExt, net::TcpListener};

async fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", l.local_addr().unwrap());
    (l, url)
}

#[tokio::test]
async fn connect_and_accept_echo_with_a_subprotocol() {
    let (l, url) = listener().await;
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        let mut config = Config::new();
        config.add_protocol("chat.v2").add_protocol("chat.v1");
        let (mut tx, mut rx, request) = accept_with(tcp, &config).await.unwrap();
        assert_eq!(request.path(), "/room?x=1");
        let mut buf = Vec::new();
        rx.receive_data(&mut buf).await.unwrap();
        tx.send_binary(&buf).await.unwrap();
        // The client closes; the receiver reports it and the connection ends.
        assert!(matches!(
            rx.receive(&mut buf).await.unwrap(),
            Incoming::Closed(_)
        ));
    });
    let mut config = Config::new();
    config
        .add_protocol("chat.v1")
        .add_protocol("chat.v2")
        .add_header("X-Trace", "abc");
    let (mut tx, mut rx, response) = connect_with(&format!("{url}/room?x=1"), &config)
        .await
        .unwrap();
    // The server picks by its own preference.
    assert_eq!(response.protocol.as_deref(), Some("chat.v2"));
    tx.send_binary(b"ping-pong").await.unwrap();
    let mut buf = Vec::new();
    rx.receive_data(&mut buf).await.unwrap();
    assert_eq!(buf, b"ping-pong");
    tx.close().await.unwrap();
    assert!(matches!(
        rx.receive(&mut buf).await.unwrap(),
        Incoming::Closed(_)
    ));
    server.await.unwrap();
}

#[tokio::test]
async fn connect_reports_a_refused_upgrade() {
    let (l, url) = listener().await;
    tokio::spawn(async move {
        let (mut tcp, _) = l.accept().await.unwrap();
        let mut head = [0u8; 1024];
        let _ = tokio::io::AsyncReadExt::read(&mut tcp, &mut head).await;
        tcp.write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            .await
            .unwrap();
    });
    match connect(&url).await {
        Err(Error::Rejected { status_code: 403 }) => {}
        other => panic!("expected a 403 rejection, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_hits_the_handshake_timeout() {
    let (l, url) = listener().await;
    let _hold = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(3600)).await;
        drop(tcp);
    });
    let mut config = Config::new();
    config.set_handshake_timeout(Duration::from_secs(2));
    assert!(matches!(
        connect_with(&url, &config).await,
        Err(Error::HandshakeTimeout)
    ));
}

#[tokio::test(start_paused = true)]
async fn a_slowloris_client_hits_the_handshake_timeout() {
    let (l, url) = listener().await;
    let addr = url.trim_start_matches("ws://").to_owned();
    let client = tokio::spawn(async move {
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        // One byte of the request a minute.
        for b in b"GET / HTTP/1.1\r\n" {
            if tcp.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    });
    let (tcp, _) = l.accept().await.unwrap();
    let result = accept_with(tcp, &Config::new()).await;
    assert!(matches!(result, Err(Error::HandshakeTimeout)), "{result:?}");
    client.abort();
}

#[tokio::test]
async fn wss_requires_the_rustls_feature_or_connects_with_it() {
    let result = connect("wss://127.0.0.1:1/").await;
    #[cfg(not(feature = "rustls"))]
    assert!(matches!(result, Err(Error::TlsUnavailable)));
    #[cfg(feature = "rustls")]
    assert!(
        matches!(result, Err(Error::Io(_))),
        "nothing listens on port 1"
    );
}

#[tokio::test]
async fn bad_urls_are_refused_before_connecting() {
    assert!(matches!(
        connect("http://example.com/").await,
        Err(Error::InvalidUrl { .. })
    ));
}

/// A tokio stream that records how it was written to.
#[derive(Debug, Default)]
struct Recording {
    vectored_writes: usize,
    written: Vec<u8>,
}

impl tokio::io::AsyncWrite for Recording {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.written.extend_from_slice(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.vectored_writes += 1;
        let mut n = 0;
        for buf in bufs {
            self.written.extend_from_slice(buf);
            n += buf.len();
        }
        std::task::Poll::Ready(Ok(n))
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn compat_passes_vectored_writes_through() {
    use futures::AsyncWriteExt as _;
    let mut io = sockeye::tokio::Compat::new(Recording::default());
    let header = [0x82, 126, 0, 3];
    let payload = [1, 2, 3];
    let bufs = [
        std::io::IoSlice::new(&header),
        std::io::IoSlice::new(&payload),
    ];
    let n = io.write_vectored(&bufs).await.unwrap();
    assert_eq!(n, 7, "header and payload in one write");
    assert_eq!(io.get_ref().vectored_writes, 1);
    assert_eq!(io.into_inner().written, [0x82, 126, 0, 3, 1, 2, 3]);
}
