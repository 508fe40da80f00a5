//! sockudo-ws: `WebSocketServer::<Http1>::accept_raw` (its handshake, without the type-erased
//! `Stream<Http1>` wrapper), then the echo loop its README gives for a Tokio unified stream:
//! data replies are queued with `feed` (write coalescing, "corking"), and `next()` drains
//! the queued output when the parsed input batch is exhausted, before reading more.

use futures::{SinkExt, StreamExt};
use sockeye_benches::MAX_MESSAGE;
use sockudo_ws::{server::WebSocketServer, Config, Http1, Message};
use tokio::net::TcpStream;

use crate::BoxError;

pub(crate) async fn serve(tcp: TcpStream) -> Result<(), BoxError> {
    // Compression is off by default; keepalive and idle timeouts keep their defaults.
    let config = Config::builder()
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .build();
    let (mut ws, _handshake) = WebSocketServer::<Http1>::new(config)
        .accept_raw(tcp)
        .await?;
    while let Some(message) = ws.next().await {
        match message? {
            message @ (Message::Text(_) | Message::Binary(_)) => ws.feed(message).await?,
            Message::Close(_) => return Ok(()),
            // Pings and pongs are handled by the stream.
            _ => {}
        }
    }
    Ok(())
}
