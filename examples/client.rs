//! A command-line client: sends each message, prints each reply.
//!
//! ```text
//! cargo run --release --example client -- ws://127.0.0.1:9001 hello world
//! echo hello | cargo run --release --example client -- ws://127.0.0.1:9001
//! ```
//!
//! Each MSG argument (or, when there are none, each line of standard input) is sent as a
//! text message, and the reply to it is printed on its own line. Then the client closes with
//! 1000 and exits 0; any failure exits non-zero with a message on standard error. It offers
//! permessage-deflate, which the server may accept.
#![allow(clippy::print_stdout)]

use std::{io::BufRead, process::ExitCode};

use sockeye::{tokio::Config, Incoming};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("client: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: client URL [MSG...]")?;
    let messages: Vec<String> = args.collect();
    let mut config = Config::new();
    config.add_deflate();
    let (mut sender, mut receiver, _) = sockeye::tokio::connect_with(&url, &config).await?;

    let lines: Box<dyn Iterator<Item = std::io::Result<String>>> = if messages.is_empty() {
        Box::new(std::io::stdin().lock().lines())
    } else {
        Box::new(messages.into_iter().map(Ok))
    };
    let mut reply = Vec::new();
    for line in lines {
        sender.send_text(line?).await?;
        reply.clear();
        match receiver.receive(&mut reply).await? {
            Incoming::Data(data) if data.is_text() => println!("{}", std::str::from_utf8(&reply)?),
            Incoming::Data(_) => println!("<{} bytes of binary data>", reply.len()),
            Incoming::Closed(reason) => return Err(format!("server closed: {reason}").into()),
            _ => {}
        }
    }
    sender.close().await?;
    // Wait for the server's answer to our close (bounded by the close timeout).
    loop {
        reply.clear();
        match receiver.receive(&mut reply).await? {
            Incoming::Closed(_) => return Ok(()),
            _ => continue,
        }
    }
}
