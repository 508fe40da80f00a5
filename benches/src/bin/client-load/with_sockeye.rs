//! sockeye: the public facade as its README shows: `sockeye::tokio::connect_with` (which sets
//! `TCP_NODELAY`), then a sending loop and a receiving loop over the `Sender`/`Receiver`
//! halves. Like the other clients' batching paths (`feed` + `flush`), the writer queues
//! what the pipeline has room for with `feed_binary`/`feed_text` (which writes every 32
//! messages, so the server starts on a long batch early) and flushes the rest; payloads
//! of 16 KiB or more go through `send_binary_mut`, the documented way for a client to send
//! an owned buffer without a copy (it masks in place and writes at once). Echoes are
//! received with `receive_ref`, which lends each one from the receiver's buffer.

use std::net::SocketAddr;

use futures::future::try_join;
use sockeye::{
    tokio::{ClientStream, Config},
    IncomingRef,
};
use sockeye_benches::{Pipeline, MAX_MESSAGE};

use crate::{fail, Forever};

pub(crate) async fn run(addr: SocketAddr, pipeline: &Pipeline) -> Forever {
    let mut config = Config::new();
    config
        .set_max_message_size(MAX_MESSAGE)
        .set_max_frame_size(MAX_MESSAGE);
    let (sender, receiver, _response) =
        sockeye::tokio::connect_with(&format!("ws://{addr}/"), &config)
            .await
            .map_err(fail)?;
    pipeline.connected();
    let (never, _) = try_join(write(sender, pipeline), read(receiver, pipeline)).await?;
    match never {}
}

async fn write(mut sender: sockeye::Sender<ClientStream>, pipeline: &Pipeline) -> Forever {
    loop {
        pipeline.room().await;
        while let Some(mut message) = pipeline.try_next() {
            if pipeline.text() {
                sender
                    .feed_text(std::str::from_utf8(&message).map_err(fail)?)
                    .await
            } else if message.len() >= 16 * 1024 {
                sender.send_binary_mut(&mut message).await
            } else {
                sender.feed_binary(&message).await
            }
            .map_err(fail)?;
        }
        sender.flush().await.map_err(fail)?;
    }
}

async fn read(mut receiver: sockeye::Receiver<ClientStream>, pipeline: &Pipeline) -> Forever {
    loop {
        // Lent from the receiver's buffer: checked where it lies, never copied.
        match receiver.receive_ref().await.map_err(fail)? {
            IncomingRef::Text(text) => pipeline.echoed(text.as_bytes())?,
            IncomingRef::Binary(data) => pipeline.echoed(data)?,
            IncomingRef::Closed(_) => return Err(fail(sockeye::connection::Error::Closed)),
            _ => {}
        }
    }
}
