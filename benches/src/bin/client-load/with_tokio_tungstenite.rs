//! tokio-tungstenite: `connect_async_with_config` (its documented client, with
//! `disable_nagle = true`), split into a sink and a stream (as its client example does).
//! The sending loop uses the `Sink` batching path tungstenite documents: messages are
//! `feed`-ed into its write buffer while the pipeline has room and written with one `flush`
//! (its `WebSocketConfig::write_buffer_size` docs: "It is often more optimal to allow them
//! to buffer a little").

use std::net::SocketAddr;

use futures::{future::try_join, stream::SplitStream, StreamExt};
use sockeye_benches::{Pipeline, MAX_MESSAGE};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    tungstenite::{protocol::WebSocketConfig, Message},
    MaybeTlsStream, WebSocketStream,
};

use crate::{fail, feed_batches, Forever};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub(crate) async fn run(addr: SocketAddr, pipeline: &Pipeline) -> Forever {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let (ws, _response) =
        tokio_tungstenite::connect_async_with_config(format!("ws://{addr}/"), Some(config), true)
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
        match stream.next().await {
            Some(Ok(Message::Binary(data))) => pipeline.echoed(&data)?,
            Some(Ok(Message::Text(text))) => pipeline.echoed(text.as_bytes())?,
            Some(Ok(Message::Close(close))) => {
                return Err(format!("closed by the server: {close:?}"))
            }
            // Pings are answered by tungstenite itself.
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(fail(e)),
            None => return Err("the connection ended".to_owned()),
        }
    }
}
