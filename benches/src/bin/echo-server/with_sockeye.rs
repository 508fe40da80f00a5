//! sockeye: the public facade, as its docs recommend for speed: `sockeye::tokio::accept_with`,
//! then a loop that receives each message with `receive_ref` (lent from the receiver's
//! buffer, no copy) and sends it back.

use sockeye::{connection::Error, tokio::Config, IncomingRef};
use sockeye_benches::MAX_MESSAGE;
use tokio::net::TcpStream;

use crate::BoxError;

pub(crate) async fn serve(tcp: TcpStream) -> Result<(), BoxError> {
    let mut config = Config::new();
    config
        .set_max_message_size(MAX_MESSAGE)
        .set_max_frame_size(MAX_MESSAGE);
    let (mut sender, mut receiver, _request) = sockeye::tokio::accept_with(tcp, &config).await?;
    loop {
        // Pings are answered and the peer's close is answered inside `receive_ref`.
        match receiver.receive_ref().await {
            Ok(IncomingRef::Text(text)) => sender.send_text(text).await?,
            Ok(IncomingRef::Binary(data)) => sender.send_binary(data).await?,
            Ok(IncomingRef::Closed(_)) | Err(Error::Closed) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(e.into()),
        }
    }
}
