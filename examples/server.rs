//! The server example from sockeye's front page, serving until stopped: each client's
//! messages are echoed back until it closes.
//!
//! ```text
//! cargo run --release --example server -- --addr 127.0.0.1:9001
//! ```
#![allow(clippy::print_stdout)]

use futures::StreamExt;
use sockeye::handshake::{server::Response, Server};
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::compat::TokioAsyncReadCompatExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let addr = match std::env::args().skip(1).collect::<Vec<_>>().as_slice() {
        [flag, addr] if flag == "--addr" => addr.clone(),
        _ => return Err("usage: server --addr HOST:PORT".into()),
    };
    // First, we listen for incoming connections.
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("server: listening on ws://{}", listener.local_addr()?);
    let mut incoming = TcpListenerStream::new(listener);
    while let Some(socket) = incoming.next().await {
        let socket = socket?;
        tokio::spawn(async move {
            if let Err(e) = serve(socket).await {
                eprintln!("server: {e}");
            }
        });
    }
    Ok(())
}

async fn serve(
    socket: tokio::net::TcpStream,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // For each incoming connection we perform a handshake.
    let mut server = Server::new(socket.compat());
    let websocket_key = {
        let req = server.receive_request().await?;
        req.key()
    };
    // Here we accept the client unconditionally.
    let accept = Response::Accept {
        key: websocket_key,
        protocol: None,
    };
    server.send_response(&accept).await?;
    // And we can finally transition to a websocket connection.
    let (mut sender, mut receiver) = server.into_builder().finish();
    let mut data = Vec::new();
    // Echo until the client closes.
    while let Ok(data_type) = receiver.receive_data(&mut data).await {
        if data_type.is_text() {
            sender.send_text(std::str::from_utf8(&data)?).await?
        } else {
            sender.send_binary(&data).await?
        }
        data.clear();
    }
    Ok(())
}
