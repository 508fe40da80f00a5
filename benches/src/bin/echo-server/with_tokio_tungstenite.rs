//! tokio-tungstenite: its own `examples/echo-server.rs`: `accept_async` (here with a config
//! for the limits), `split()`, and `read.try_filter(data).forward(write)`. `forward` feeds
//! each message into the sink and flushes only when the read side is pending, so a burst of
//! messages read together is written together.

use futures::{future, StreamExt, TryStreamExt};
use sockeye_benches::MAX_MESSAGE;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::BoxError;

pub(crate) async fn serve(tcp: TcpStream) -> Result<(), BoxError> {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let ws = tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await?;
    let (write, read) = ws.split();
    // tungstenite queues the answers to pings and closes itself and writes them with the
    // next write or flush.
    read.try_filter(|message| future::ready(message.is_text() || message.is_binary()))
        .forward(write)
        .await?;
    Ok(())
}
