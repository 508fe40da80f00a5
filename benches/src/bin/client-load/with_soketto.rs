//! soketto: `handshake::Client` over `BufReader<BufWriter<_>>` (as its examples do), then
//! the `Sender`/`Receiver` halves. The sending loop follows its documented batching: several
//! `send_*` calls, then one `flush` (the crate docs' client example); binary messages use
//! `send_binary_mut` and text `send_text_owned`, each documented as one copy fewer.

use std::net::SocketAddr;

use futures::{
    future::try_join,
    io::{BufReader, BufWriter},
};
use sockeye_benches::{Pipeline, MAX_MESSAGE};
use soketto::{
    connection::{Receiver, Sender},
    handshake::{Client, ServerResponse},
};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

use crate::{fail, Forever};

type Io = BufReader<BufWriter<Compat<TcpStream>>>;

pub(crate) async fn run(addr: SocketAddr, pipeline: &Pipeline) -> Forever {
    let tcp = TcpStream::connect(addr).await.map_err(fail)?;
    tcp.set_nodelay(true).map_err(fail)?;
    let host = addr.to_string();
    let mut client = Client::new(BufReader::new(BufWriter::new(tcp.compat())), &host, "/");
    match client.handshake().await.map_err(fail)? {
        ServerResponse::Accepted { .. } => {}
        ServerResponse::Redirect { status_code, .. } | ServerResponse::Rejected { status_code } => {
            return Err(format!("the server refused the upgrade with {status_code}"));
        }
    }
    let mut builder = client.into_builder();
    builder.set_max_message_size(MAX_MESSAGE);
    builder.set_max_frame_size(MAX_MESSAGE);
    let (sender, receiver) = builder.finish();
    pipeline.connected();
    let (never, _) = try_join(write(sender, pipeline), read(receiver, pipeline)).await?;
    match never {}
}

async fn send(sender: &mut Sender<Io>, mut data: Vec<u8>, text: bool) -> Result<(), String> {
    if text {
        sender
            .send_text_owned(String::from_utf8(data).map_err(fail)?)
            .await
    } else {
        sender.send_binary_mut(&mut data).await
    }
    .map_err(fail)
}

async fn write(mut sender: Sender<Io>, pipeline: &Pipeline) -> Forever {
    loop {
        send(&mut sender, pipeline.next().await, pipeline.text()).await?;
        while let Some(more) = pipeline.try_next() {
            send(&mut sender, more, pipeline.text()).await?;
        }
        sender.flush().await.map_err(fail)?;
    }
}

async fn read(mut receiver: Receiver<Io>, pipeline: &Pipeline) -> Forever {
    let mut message = Vec::new();
    loop {
        message.clear();
        receiver.receive_data(&mut message).await.map_err(fail)?;
        pipeline.echoed(&message)?;
    }
}
