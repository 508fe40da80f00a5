//! `futures::Stream` and `futures::Sink` adapters, for users of combinators.

use futures::{AsyncRead, AsyncWrite, Sink, Stream};

use crate::{Data, Error, Incoming, Message, Receiver, Sender};

impl<T: AsyncRead + AsyncWrite + Unpin> Receiver<T> {
    /// Turns the receiver into a stream of messages. Pongs are skipped; the stream ends
    /// after the peer's close (or after an error, which is yielded first).
    pub fn into_stream(self) -> impl Stream<Item = Result<Message, Error>> {
        futures::stream::unfold(Some(self), |state| async move {
            let mut rx = state?;
            loop {
                let mut buf = Vec::new();
                match rx.receive(&mut buf).await {
                    Ok(Incoming::Data(Data::Binary(_))) => {
                        return Some((Ok(Message::Binary(buf)), Some(rx)))
                    }
                    Ok(Incoming::Data(data @ Data::Text(_))) => {
                        // SAFETY: `buf` was empty, so it holds this message and nothing
                        // else, which the receiver validated before reporting `data`.
                        #[allow(unsafe_code)]
                        let text = unsafe { crate::data::validated_string(data, buf) };
                        return Some((Ok(Message::Text(text)), Some(rx)));
                    }
                    Ok(Incoming::Pong(_)) => {}
                    Ok(Incoming::Closed(_)) | Err(Error::Closed) => return None,
                    Err(e) => return Some((Err(e), None)),
                }
            }
        })
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> Sender<T> {
    /// Turns the sender into a sink of messages. Each message is written when it is sent
    /// into the sink; closing the sink does not send a close frame.
    pub fn into_sink(self) -> impl Sink<Message, Error = Error> {
        futures::sink::unfold(self, |mut tx, msg: Message| async move {
            match msg {
                Message::Text(t) => tx.send_text(&t).await?,
                Message::Binary(b) => tx.send_binary(&b).await?,
            }
            Ok::<_, Error>(tx)
        })
    }
}
