//! tokio-websockets: `ClientBuilder::connect_on` over a `TcpStream` with `TCP_NODELAY` set
//! (`connect` would not set it), split with `StreamExt::split` (the stream is a
//! `Stream + Sink`). The sending loop uses the `Sink` batching the crate implements
//! (`Config::flush_threshold`): `feed` while the pipeline has room, then one `flush`.
//! Outgoing messages are never fragmented (frame size = the message limit).

use std::net::SocketAddr;

use futures::{future::try_join, stream::SplitStream, StreamExt};
use sockeye_benches::{Pipeline, MAX_MESSAGE};
use tokio::net::TcpStream;
use tokio_websockets::{ClientBuilder, Config, Limits, Message, WebSocketStream};

use crate::{fail, feed_batches, Forever};

type Ws = WebSocketStream<TcpStream>;

pub(crate) async fn run(addr: SocketAddr, pipeline: &Pipeline) -> Forever {
    let tcp = TcpStream::connect(addr).await.map_err(fail)?;
    tcp.set_nodelay(true).map_err(fail)?;
    let uri = format!("ws://{addr}/").parse::<http::Uri>().map_err(fail)?;
    let (ws, _response) = ClientBuilder::from_uri(uri)
        .config(Config::default().frame_size(MAX_MESSAGE))
        .limits(Limits::default().max_payload_len(Some(MAX_MESSAGE)))
        .connect_on(tcp)
        .await
        .map_err(fail)?;
    pipeline.connected();
    let (sink, stream) = ws.split();
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
        Message::binary(data)
    })
}

async fn read(mut stream: SplitStream<Ws>, pipeline: &Pipeline) -> Forever {
    loop {
        let message = match stream.next().await {
            Some(Ok(message)) => message,
            Some(Err(e)) => return Err(fail(e)),
            None => return Err("the connection ended".to_owned()),
        };
        if message.is_text() || message.is_binary() {
            pipeline.echoed(message.as_payload())?;
        } else if message.is_close() {
            return Err("closed by the server".to_owned());
        }
        // Pings are answered by the stream itself.
    }
}
