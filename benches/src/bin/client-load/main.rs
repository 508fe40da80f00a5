//! `client-load IMPL [OPTIONS]`: the load of `load`, generated with one crate's *client*.
//!
//! Every connection connects to `ws://{addr}/` with that crate's client (64 MiB limits, no
//! compression, `TCP_NODELAY`), calls [`Pipeline::connected`] once the handshake is done and
//! then keeps exactly `--pipeline` messages in flight for ever, handing every echo to
//! [`Pipeline::echoed`]. Where a crate's connection splits into a sending and a receiving
//! half, the two loops run concurrently in the connection's task (so that large messages
//! cannot deadlock against a server that echoes while the client is still sending); every
//! crate here can be split. Each crate's client is used the way its documentation
//! recommends for speed; each module says which path that is.

mod with_fastwebsockets;
mod with_sockeye;
mod with_sockudo;
mod with_soketto;
mod with_tokio_tungstenite;
mod with_tokio_websockets;

use std::{convert::Infallible, net::SocketAddr, process::ExitCode, rc::Rc};

use sockeye_benches::{Options, Pipeline};

/// Which crate's client makes the connections.
#[derive(Debug, Clone, Copy)]
enum Impl {
    Sockeye,
    TokioTungstenite,
    Fastwebsockets,
    TokioWebsockets,
    Soketto,
    SockudoWs,
}

impl Impl {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "sockeye" => Self::Sockeye,
            "tokio-tungstenite" => Self::TokioTungstenite,
            "fastwebsockets" => Self::Fastwebsockets,
            "tokio-websockets" => Self::TokioWebsockets,
            "soketto" => Self::Soketto,
            "sockudo-ws" => Self::SockudoWs,
            _ => return None,
        })
    }
}

/// A loop that only ends with an error.
type Forever = Result<Infallible, String>;

/// Turns any error into the `String` a connection ends with.
fn fail(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The writer loop of the clients whose sending half is a `futures::Sink`: `feed` every
/// message the pipeline has room for, then `flush` once (their documented batching path).
/// `message` builds a crate's message from a payload and whether it is text.
async fn feed_batches<S, M>(
    mut sink: S,
    pipeline: &Pipeline,
    message: impl Fn(Vec<u8>, bool) -> Result<M, String>,
) -> Forever
where
    S: futures::Sink<M> + Unpin,
    S::Error: std::fmt::Display,
{
    use futures::SinkExt as _;
    loop {
        let first = pipeline.next().await;
        sink.feed(message(first, pipeline.text())?)
            .await
            .map_err(fail)?;
        while let Some(more) = pipeline.try_next() {
            sink.feed(message(more, pipeline.text())?)
                .await
                .map_err(fail)?;
        }
        sink.flush().await.map_err(fail)?;
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(name) = args.next() else {
        eprintln!(
            "usage: client-load IMPL [OPTIONS] (IMPL: {})",
            sockeye_benches::IMPLS.join(" ")
        );
        return ExitCode::from(2);
    };
    let Some(imp) = Impl::parse(&name) else {
        eprintln!("client-load: unknown IMPL {name:?}");
        return ExitCode::from(2);
    };
    let options = match Options::parse(args) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("client-load: {e}");
            return ExitCode::from(2);
        }
    };
    if let Impl::SockudoWs = imp {
        // sockudo-ws's README: calibrate its clock before building a latency-sensitive
        // runtime (the first reading can block for up to 200 ms).
        sockudo_ws::init_clock();
    }
    let addr = options.addr;
    sockeye_benches::drive(&options, move |_index, pipeline| {
        connection(imp, addr, pipeline)
    })
}

async fn connection(imp: Impl, addr: SocketAddr, pipeline: Rc<Pipeline>) -> Result<(), String> {
    let never = match imp {
        Impl::Sockeye => with_sockeye::run(addr, &pipeline).await,
        Impl::TokioTungstenite => with_tokio_tungstenite::run(addr, &pipeline).await,
        Impl::Fastwebsockets => with_fastwebsockets::run(addr, &pipeline).await,
        Impl::TokioWebsockets => with_tokio_websockets::run(addr, &pipeline).await,
        Impl::Soketto => with_soketto::run(addr, &pipeline).await,
        Impl::SockudoWs => with_sockudo::run(addr, &pipeline).await,
    }?;
    match never {}
}
