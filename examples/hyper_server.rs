//! sockeye alongside a hyper 1.x HTTP server: `/` is plain HTTP, `/ws` upgrades to an echo
//! WebSocket through `sockeye::handshake::http` (feature `http`).
//!
//! ```text
//! cargo run --release --example hyper_server -- --addr 127.0.0.1:8081
//! ```
#![allow(clippy::print_stdout)]

use std::{convert::Infallible, net::SocketAddr, sync::Arc};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{
    body::Incoming, server::conn::http1, service::service_fn, Request, Response, StatusCode,
};
use hyper_util::rt::TokioIo;
use sockeye::{
    extension::deflate::Deflate,
    handshake::http::{error_response, is_upgrade_request, Negotiator},
    tokio::TokioTimer,
    Mode,
};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = match std::env::args().skip(1).collect::<Vec<_>>().as_slice() {
        [flag, addr] if flag == "--addr" => addr.parse()?,
        _ => return Err("usage: hyper_server --addr HOST:PORT".into()),
    };
    let listener = TcpListener::bind(addr).await?;
    println!(
        "hyper_server: http://{0}/ (HTTP) and ws://{0}/ws (WebSocket echo)",
        listener.local_addr()?
    );
    loop {
        let (tcp, _) = listener.accept().await?;
        tokio::spawn(async move {
            let service = service_fn(handle);
            let conn = http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades();
            if let Err(e) = conn.await {
                eprintln!("hyper_server: {e}");
            }
        });
    }
}

async fn handle(mut request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.uri().path() != "/ws" {
        return Ok(Response::new(Full::new(Bytes::from_static(
            b"Hello from hyper; the WebSocket echo is at /ws\n",
        ))));
    }
    if !is_upgrade_request(&request) {
        let mut response = Response::new(Full::new(Bytes::from_static(
            b"this endpoint speaks WebSocket\n",
        )));
        *response.status_mut() = StatusCode::UPGRADE_REQUIRED;
        return Ok(response);
    }
    let mut negotiator = Negotiator::new();
    negotiator.add_extension(Box::new(Deflate::new(Mode::Server)));
    let negotiated = match negotiator.negotiate(&request) {
        Ok(negotiated) => negotiated,
        Err(e) => return Ok(error_response(&e).map(|body| Full::new(Bytes::from(body)))),
    };
    let response = negotiated.response();
    tokio::spawn(async move {
        let upgraded = match hyper::upgrade::on(&mut request).await {
            Ok(upgraded) => upgraded,
            Err(e) => return eprintln!("hyper_server: upgrade failed: {e}"),
        };
        let mut builder =
            negotiated.into_builder(sockeye::tokio::Compat::new(TokioIo::new(upgraded)));
        builder.set_timer(Arc::new(TokioTimer));
        let (mut sender, mut receiver) = builder.finish();
        let mut message = Vec::new();
        while let Ok(data) = receiver.receive_data(&mut message).await {
            let sent = if data.is_text() {
                sender
                    .send_text(std::str::from_utf8(&message).expect("validated UTF-8"))
                    .await
            } else {
                sender.send_binary(&message).await
            };
            if sent.is_err() {
                break;
            }
            message.clear();
        }
    });
    Ok(response.map(|()| Full::new(Bytes::new())))
}
