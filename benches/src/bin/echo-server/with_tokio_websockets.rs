//! tokio-websockets: its benchmark server `examples/echo_server.rs`: `ServerBuilder::accept`,
//! then `next()` and `send()` of every data message (the caller spawns it unconstrained, as
//! that example does). The example lifts all limits; here the payload limit is 64 MiB and
//! outgoing messages are never fragmented (frame size = the message limit).

use futures::{SinkExt, StreamExt};
use sockeye_benches::MAX_MESSAGE;
use tokio::net::TcpStream;
use tokio_websockets::{Config, Limits, ServerBuilder};

use crate::BoxError;

pub(crate) async fn serve(tcp: TcpStream) -> Result<(), BoxError> {
    let (_request, mut ws) = ServerBuilder::new()
        .config(Config::default().frame_size(MAX_MESSAGE))
        .limits(Limits::default().max_payload_len(Some(MAX_MESSAGE)))
        .accept(tcp)
        .await?;
    // Pings and closes are answered by the stream itself.
    while let Some(message) = ws.next().await {
        let message = message?;
        if message.is_text() || message.is_binary() {
            ws.send(message).await?;
        }
    }
    Ok(())
}
