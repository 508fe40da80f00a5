//! sockeye: the public facade, exactly as its README shows a user would write an echo server
//! (`sockeye::tokio::accept_with`, then a receive loop that sends every message back).

use sockeye::{connection::Error, tokio::Config};
use sockeye_benches::MAX_MESSAGE;
use tokio::net::TcpStream;

use crate::BoxError;

pub(crate) async fn serve(tcp: TcpStream) -> Result<(), BoxError> {
    let mut config = Config::new();
    config
        .set_max_message_size(MAX_MESSAGE)
        .set_max_frame_size(MAX_MESSAGE);
    let (mut sender, mut receiver, _request) = sockeye::tokio::accept_with(tcp, &config).await?;
    let mut message = Vec::new();
    loop {
        message.clear();
        // Pings are answered and the peer's close is answered inside `receive_data`.
        let data = match receiver.receive_data(&mut message).await {
            Ok(data) => data,
            Err(Error::Closed) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if data.is_text() {
            // The receiver has validated the UTF-8 of text messages.
            sender.send_text(std::str::from_utf8(&message)?).await?;
        } else {
            sender.send_binary(&message).await?;
        }
    }
}
