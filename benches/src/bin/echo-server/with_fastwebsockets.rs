//! fastwebsockets: its `examples/echo_server.rs`: hyper serves the HTTP/1.1 upgrade
//! (`fastwebsockets::upgrade::upgrade`), the upgraded WebSocket runs in its own task,
//! unconstrained by tokio's cooperative budget as in that example, behind a
//! `FragmentCollector` (whole messages), with automatic pongs and closes.

use fastwebsockets::{upgrade, FragmentCollector, OpCode, WebSocketError};
use http_body_util::Empty;
use hyper::{
    body::{Bytes, Incoming},
    server::conn::http1,
    service::service_fn,
    Request, Response,
};
use hyper_util::rt::TokioIo;
use sockeye_benches::MAX_MESSAGE;
use tokio::net::TcpStream;

use crate::BoxError;

pub(crate) async fn serve(tcp: TcpStream) -> Result<(), BoxError> {
    http1::Builder::new()
        .serve_connection(TokioIo::new(tcp), service_fn(upgrade))
        .with_upgrades()
        .await?;
    Ok(())
}

async fn upgrade(mut request: Request<Incoming>) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    let (response, upgraded) = upgrade::upgrade(&mut request)?;
    tokio::spawn(tokio::task::unconstrained(async move {
        if let Err(e) = echo(upgraded).await {
            crate::report(&e);
        }
    }));
    Ok(response)
}

async fn echo(upgraded: upgrade::UpgradeFut) -> Result<(), WebSocketError> {
    let mut ws = upgraded.await?;
    ws.set_max_message_size(MAX_MESSAGE);
    ws.set_auto_pong(true);
    ws.set_auto_close(true);
    let mut ws = FragmentCollector::new(ws);
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Close => return Ok(()),
            OpCode::Text | OpCode::Binary => ws.write_frame(frame).await?,
            _ => {}
        }
    }
}
