//! `echo-server IMPL ADDR`: a WebSocket echo server built on one crate (`IMPL`); and
//! `echo-server neutral ADDR [THREADS]`, the fixed server of the client-side measurements.
//!
//! It binds `ADDR`, runs on the harness's current-thread runtime (one core), accepts forever,
//! sets `TCP_NODELAY` on every accepted socket (for every crate alike), and spawns one task
//! per connection that does that crate's server handshake and echoes every text message as
//! text and every binary message as binary, the way the crate's own documentation and
//! examples recommend for speed. No compression; 64 MiB message (and frame) limits. Pings
//! and closes are answered as the crate does by itself.
//!
//! Nothing is printed on stdout; connection errors are counted and only the first few are
//! mentioned on stderr, so that a load program's exit (which resets all its connections)
//! does not flood the terminal.

mod with_fastwebsockets;
mod with_sockeye;
mod with_sockudo;
mod with_soketto;
mod with_tokio_tungstenite;
mod with_tokio_websockets;

use std::{
    process::ExitCode,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use tokio::net::{TcpListener, TcpStream};

/// Any error a connection handler can end with.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Which crate serves the connections.
#[derive(Debug, Clone, Copy)]
enum Impl {
    Sockeye,
    TokioTungstenite,
    Fastwebsockets,
    TokioWebsockets,
    Soketto,
    SockudoWs,
    Neutral,
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
            "neutral" => Self::Neutral,
            _ => return None,
        })
    }
}

/// Connection errors seen so far.
static ERRORS: AtomicU64 = AtomicU64::new(0);

/// Counts a connection error and mentions the first few on stderr.
fn report(what: &dyn std::fmt::Display) {
    let n = ERRORS.fetch_add(1, Ordering::Relaxed) + 1;
    if n <= 3 {
        eprintln!("echo-server: connection error: {what}");
    } else if n == 4 {
        eprintln!("echo-server: (further connection errors are not shown)");
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let usage = || {
        eprintln!(
            "usage: echo-server IMPL ADDR, echo-server neutral ADDR [THREADS] (IMPL: {})",
            sockeye_benches::IMPLS.join(" ")
        );
        ExitCode::from(2)
    };
    let (Some(name), Some(addr), threads, None) =
        (args.next(), args.next(), args.next(), args.next())
    else {
        return usage();
    };
    let Some(imp) = Impl::parse(&name) else {
        eprintln!("echo-server: unknown IMPL {name:?}");
        return ExitCode::from(2);
    };
    if let Impl::Neutral = imp {
        let (Ok(addr), Ok(threads @ 1..)) = (
            addr.parse(),
            threads.as_deref().unwrap_or("1").parse::<usize>(),
        ) else {
            return usage();
        };
        if let Err(e) = sockeye_benches::neutral::serve_threads(addr, threads) {
            eprintln!("echo-server: {e}");
            return ExitCode::FAILURE;
        }
        return ExitCode::SUCCESS;
    }
    if threads.is_some() {
        return usage();
    }
    if let Impl::SockudoWs = imp {
        // sockudo-ws's README: calibrate its clock before building a latency-sensitive
        // runtime (the first reading can block for up to 200 ms).
        sockudo_ws::init_clock();
    }
    let rt = sockeye_benches::runtime();
    match rt.block_on(serve(imp, &addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(imp: Impl, addr: &str) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                // Out of file descriptors and the like: wait a little instead of spinning.
                report(&e);
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        if let Err(e) = tcp.set_nodelay(true) {
            report(&e);
            continue;
        }
        spawn(imp, tcp);
    }
}

/// Spawns the task serving one connection.
fn spawn(imp: Impl, tcp: TcpStream) {
    match imp {
        Impl::Sockeye => spawn_reporting(with_sockeye::serve(tcp)),
        Impl::TokioTungstenite => spawn_reporting(with_tokio_tungstenite::serve(tcp)),
        // Its examples serve HTTP with hyper and spawn the upgraded WebSocket's own task.
        Impl::Fastwebsockets => spawn_reporting(with_fastwebsockets::serve(tcp)),
        // Its benchmark server (examples/echo_server.rs) runs each connection unconstrained.
        Impl::TokioWebsockets => {
            spawn_reporting(tokio::task::unconstrained(with_tokio_websockets::serve(
                tcp,
            )));
        }
        Impl::Soketto => spawn_reporting(with_soketto::serve(tcp)),
        Impl::SockudoWs => spawn_reporting(with_sockudo::serve(tcp)),
        Impl::Neutral => unreachable!("served by sockeye_benches::neutral"),
    }
}

fn spawn_reporting<F>(connection: F)
where
    F: std::future::Future<Output = Result<(), BoxError>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            report(&e);
        }
    });
}
