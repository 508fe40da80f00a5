//! An echo server: every text or binary message comes back unchanged, as the same type.
//!
//! ```text
//! cargo run --release --example echo_server -- --addr 127.0.0.1:9001 [--no-deflate]
//! ```
//!
//! It is the Autobahn|Testsuite testee (`cargo xtask autobahn --server`) and the load-test
//! target of `cargo xtask bench`, so it takes any number of concurrent connections, allows
//! 64 MiB messages, and reports nothing but startup and connection errors.
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;

use sockeye::{tokio::Config, IncomingRef};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut addr: Option<SocketAddr> = None;
    let mut deflate = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = Some(args.next().ok_or("--addr needs HOST:PORT")?.parse()?),
            "--no-deflate" => deflate = false,
            _ => {
                return Err(format!(
                    "unknown argument {arg}; usage: echo_server --addr HOST:PORT [--no-deflate]"
                )
                .into())
            }
        }
    }
    let addr = addr.ok_or("usage: echo_server --addr HOST:PORT [--no-deflate]")?;
    let config = config(deflate);
    let listener = TcpListener::bind(addr).await?;
    println!("echo_server: listening on ws://{}", listener.local_addr()?);
    loop {
        let (tcp, _) = listener.accept().await?;
        let config = config.clone();
        tokio::spawn(async move {
            if let Err(e) = echo(tcp, &config).await {
                eprintln!("echo_server: {e}");
            }
        });
    }
}

fn config(deflate: bool) -> Config {
    let mut config = Config::new();
    config
        .set_max_message_size(64 << 20)
        .set_max_frame_size(64 << 20);
    if deflate {
        config.add_deflate();
    }
    config
}

async fn echo(tcp: TcpStream, config: &Config) -> Result<(), sockeye::tokio::Error> {
    tcp.set_nodelay(true)?;
    let (mut sender, mut receiver, _) = sockeye::tokio::accept_with(tcp, config).await?;
    loop {
        // Each message is lent from the receiver's buffer (no copy) until the next call.
        match receiver.receive_ref().await {
            Ok(IncomingRef::Text(text)) => sender.send_text(text).await?,
            Ok(IncomingRef::Binary(data)) => sender.send_binary(data).await?,
            Ok(IncomingRef::Closed(_)) => return Ok(()),
            Ok(_) => {}
            // The peer broke the protocol: the receiver already sent the close frame.
            Err(e) => return Err(e.into()),
        }
    }
}
