//! soketto: its `examples/autobahn_server.rs`: the socket wrapped in
//! `BufReader<BufWriter<_>>`, `handshake::Server`, then `receive_data` and
//! `send_binary_mut`/`send_text` followed by `flush` for every message.

use futures::io::{BufReader, BufWriter};
use sockeye_benches::MAX_MESSAGE;
use soketto::{connection::Error, handshake, Data};
use tokio::net::TcpStream;
use tokio_util::compat::TokioAsyncReadCompatExt;

use crate::BoxError;

pub(crate) async fn serve(tcp: TcpStream) -> Result<(), BoxError> {
    let mut server = handshake::Server::new(BufReader::new(BufWriter::new(tcp.compat())));
    let key = server.receive_request().await?.key();
    let accept = handshake::server::Response::Accept {
        key,
        protocol: None,
    };
    server.send_response(&accept).await?;
    let mut builder = server.into_builder();
    builder.set_max_message_size(MAX_MESSAGE);
    builder.set_max_frame_size(MAX_MESSAGE);
    let (mut sender, mut receiver) = builder.finish();
    let mut message = Vec::new();
    loop {
        message.clear();
        // Pings and closes are answered inside `receive_data`.
        match receiver.receive_data(&mut message).await {
            Ok(Data::Binary(_)) => sender.send_binary_mut(&mut message).await?,
            Ok(Data::Text(_)) => sender.send_text(std::str::from_utf8(&message)?).await?,
            Err(Error::Closed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        sender.flush().await?;
    }
}
