//! The two examples of the seed API document (soketto's front page), with only the crate name
//! changed and the `"..."` placeholders filled in, run against each other.
#![allow(
    unused_imports,
    unused_variables,
    unreachable_code,
    clippy::diverging_sub_expression
)]

use futures::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::compat::TokioAsyncReadCompatExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The seed's server example, listening on `addr`.
async fn seed_server(addr: &str) -> Result<(), BoxError> {
    use sockeye::handshake::{server::Response, ClientRequest, Server};
    // First, we listen for incoming connections.
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let mut incoming = TcpListenerStream::new(listener);
    while let Some(socket) = incoming.next().await {
        // For each incoming connection we perform a handshake.
        let mut server = Server::new(socket?.compat());
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
        let data_type = receiver.receive_data(&mut data).await?;
        if data_type.is_text() {
            sender.send_text(std::str::from_utf8(&data)?).await?
        } else {
            sender.send_binary(&data).await?
        }
        sender.close().await?
    }
    Ok(())
}

/// The seed's client example, connecting to `addr`; returns what it received.
async fn seed_client(addr: &str) -> Result<Vec<u8>, BoxError> {
    use sockeye::handshake::{Client, ServerResponse};
    // First, we need to establish a TCP connection.
    let socket = tokio::net::TcpStream::connect(addr).await?;
    // Then we configure the client handshake.
    let mut client = Client::new(socket.compat(), addr, "/");
    // And finally we perform the handshake and handle the result.
    let (mut sender, mut receiver) = match client.handshake().await? {
        ServerResponse::Accepted { .. } => client.into_builder().finish(),
        ServerResponse::Redirect {
            status_code,
            location,
        } => unimplemented!("follow location URL"),
        ServerResponse::Rejected { status_code } => unimplemented!("handle failure"),
    };
    // Over the established websocket connection we can send
    sender.send_text("some text").await?;
    sender.send_text("some more text").await?;
    sender.flush().await?;
    // ... and receive data.
    let mut data = Vec::new();
    receiver.receive_data(&mut data).await?;
    Ok(data)
}

#[tokio::test]
async fn seed_client_and_server_examples_work_together() {
    // Reserve a free port, then let the seed server bind it.
    let addr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().to_string()
    };
    let server_addr = addr.clone();
    let server = tokio::spawn(async move { seed_server(&server_addr).await });
    let mut received = None;
    for _ in 0..100 {
        match seed_client(&addr).await {
            Ok(data) => {
                received = Some(data);
                break;
            }
            Err(_) if !server.is_finished() => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            Err(e) => panic!("seed client failed: {e}"),
        }
    }
    assert_eq!(
        received.expect("the client connected").as_slice(),
        b"some text"
    );
    server.abort();
}
