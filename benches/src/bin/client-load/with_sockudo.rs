//! sockudo-ws: `WebSocketClient::<Http1>::connect_raw` (its handshake, without the
//! type-erased `Stream<Http1>` wrapper) over a `TcpStream` with `TCP_NODELAY`. The unified
//! stream is split with `StreamExt::split` and both halves are driven in this task, which
//! its README names as the way to keep receiving while output is blocked; its own
//! `split()` offers only a flushing `send` and spawns a control task. The sending loop uses
//! the write batching ("corking") the README documents: `feed` while the pipeline has room,
//! then `flush` at the batch boundary.

use std::net::SocketAddr;

use bytes::Bytes;
use futures::{future::try_join, stream::SplitStream, StreamExt};
use sockeye_benches::{Pipeline, MAX_MESSAGE};
use sockudo_ws::{client::WebSocketClient, Config, Http1, Message, WebSocketStream};
use tokio::net::TcpStream;

use crate::{fail, feed_batches, Forever};

type Ws = WebSocketStream<TcpStream>;

pub(crate) async fn run(addr: SocketAddr, pipeline: &Pipeline) -> Forever {
    let tcp = TcpStream::connect(addr).await.map_err(fail)?;
    tcp.set_nodelay(true).map_err(fail)?;
    // Compression is off by default; keepalive and idle timeouts keep their defaults.
    let config = Config::builder()
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .build();
    let (ws, _handshake) = WebSocketClient::<Http1>::new(config)
        .connect_raw(tcp, &addr.to_string(), "/", None)
        .await
        .map_err(fail)?;
    pipeline.connected();
    let (sink, stream) = StreamExt::split(ws);
    let (never, _) = try_join(
        feed_batches(sink, pipeline, message),
        read(stream, pipeline),
    )
    .await?;
    match never {}
}

fn message(data: Vec<u8>, text: bool) -> Result<Message, String> {
    Ok(if text {
        Message::text(String::from_utf8(data).map_err(fail)?)
    } else {
        Message::Binary(Bytes::from(data))
    })
}

async fn read(mut stream: SplitStream<Ws>, pipeline: &Pipeline) -> Forever {
    loop {
        match stream.next().await {
            Some(Ok(Message::Binary(data) | Message::Text(data))) => pipeline.echoed(&data)?,
            Some(Ok(Message::Close(close))) => {
                return Err(format!("closed by the server: {close:?}"));
            }
            // Pings are answered by the stream itself.
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(fail(e)),
            None => return Err("the connection ended".to_owned()),
        }
    }
}
