//! fastwebsockets: `fastwebsockets::handshake::client` (its documented client handshake over
//! hyper), then `WebSocket::split(tokio::io::split)` with a `FragmentCollectorRead` on the
//! read half, as in its `examples/echo_server_split.rs` (feature `unstable-split`, the
//! crate's only way to read and write concurrently). Frames are written one by one with
//! `write_frame` (vectored for large payloads, its default).
//!
//! The split read half cannot answer pings or closes by itself: it hands such frames to a
//! callback that would need the write half. Echo servers send neither, so the callback
//! fails the connection, as the crate's split example does (it panics).

use std::{future::Future, net::SocketAddr, pin::Pin};

use fastwebsockets::{
    handshake, FragmentCollectorRead, Frame, OpCode, Payload, WebSocketError, WebSocketRead,
    WebSocketWrite,
};
use futures::future::try_join;
use http_body_util::Empty;
use hyper::{
    body::Bytes,
    header::{CONNECTION, HOST, UPGRADE},
    upgrade::Upgraded,
    Request,
};
use hyper_util::rt::TokioIo;
use sockeye_benches::{Pipeline, MAX_MESSAGE};
use tokio::{
    io::{ReadHalf, WriteHalf},
    net::TcpStream,
};

use crate::{fail, Forever};

type Io = TokioIo<Upgraded>;

/// Runs hyper's connection task (until the upgrade) on tokio, as fastwebsockets' docs do.
struct SpawnExecutor;

impl<F> hyper::rt::Executor<F> for SpawnExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        tokio::spawn(future);
    }
}

pub(crate) async fn run(addr: SocketAddr, pipeline: &Pipeline) -> Forever {
    let tcp = TcpStream::connect(addr).await.map_err(fail)?;
    tcp.set_nodelay(true).map_err(fail)?;
    let request = Request::builder()
        .method("GET")
        .uri(format!("http://{addr}/"))
        .header(HOST, addr.to_string())
        .header(UPGRADE, "websocket")
        .header(CONNECTION, "upgrade")
        .header("Sec-WebSocket-Key", handshake::generate_key())
        .header("Sec-WebSocket-Version", "13")
        .body(Empty::<Bytes>::new())
        .map_err(fail)?;
    let (mut ws, _response) = handshake::client(&SpawnExecutor, request, tcp)
        .await
        .map_err(fail)?;
    ws.set_max_message_size(MAX_MESSAGE);
    ws.set_auto_pong(true);
    ws.set_auto_close(true);
    pipeline.connected();
    let (read_half, write_half) = ws.split(tokio::io::split);
    let (never, _) = try_join(write(write_half, pipeline), read(read_half, pipeline)).await?;
    match never {}
}

async fn write(mut ws: WebSocketWrite<WriteHalf<Io>>, pipeline: &Pipeline) -> Forever {
    loop {
        let payload = Payload::Owned(pipeline.next().await);
        let frame = if pipeline.text() {
            Frame::text(payload)
        } else {
            Frame::binary(payload)
        };
        ws.write_frame(frame).await.map_err(fail)?;
    }
}

type Obligation = Pin<Box<dyn Future<Output = Result<(), WebSocketError>>>>;

async fn read(ws: WebSocketRead<ReadHalf<Io>>, pipeline: &Pipeline) -> Forever {
    let mut ws = FragmentCollectorRead::new(ws);
    let mut answer = |frame: Frame<'_>| -> Obligation {
        let opcode = frame.opcode;
        Box::pin(async move {
            Err(WebSocketError::SendError(
                format!("cannot answer a {opcode:?} frame").into(),
            ))
        })
    };
    loop {
        let frame = ws.read_frame(&mut answer).await.map_err(fail)?;
        match frame.opcode {
            OpCode::Text | OpCode::Binary => pipeline.echoed(&frame.payload)?,
            OpCode::Close => return Err("closed by the server".to_owned()),
            _ => {}
        }
    }
}
