//! `wss://` end to end: a rustls server with a self-signed certificate, and
//! `sockeye::tokio::connect_with` trusting it.
#![cfg(feature = "rustls")]

use std::sync::Arc;

use sockeye::tokio::{accept, connect_with, Config};
use tokio::net::TcpListener;

#[tokio::test]
async fn wss_round_trip_with_a_custom_root() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_der = cert.cert.der().clone();
    let key_der =
        rustls::pki_types::PrivateKeyDer::try_from(cert.signing_key.serialize_der()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());

    let server_config = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der.clone()], key_der)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(tcp).await.unwrap();
        let (mut tx, mut rx) = accept(tls).await.unwrap();
        let mut buf = Vec::new();
        rx.receive_data(&mut buf).await.unwrap();
        tx.send_text(std::str::from_utf8(&buf).unwrap())
            .await
            .unwrap();
    });

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert_der).unwrap();
    let client_tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut config = Config::new();
    config.set_tls_config(Arc::new(client_tls));
    let (mut tx, mut rx, _) = connect_with(&format!("wss://localhost:{port}/secure"), &config)
        .await
        .unwrap();
    tx.send_text("over tls").await.unwrap();
    let mut buf = Vec::new();
    rx.receive_data(&mut buf).await.unwrap();
    assert_eq!(buf, b"over tls");
    server.await.unwrap();
}
