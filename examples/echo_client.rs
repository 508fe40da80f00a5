//! The Autobahn|Testsuite client testee: runs every case of a `wstest -m fuzzingserver`.
//!
//! ```text
//! cargo run --release --example echo_client -- --url ws://127.0.0.1:9001 --agent sockeye
//! ```
//!
//! It asks the fuzzing server how many cases there are, runs each one by echoing every
//! message until the server closes, then asks the server to write its reports.
#![allow(clippy::print_stdout)]

use sockeye::{tokio::Config, Incoming};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: echo_client --url ws://HOST:PORT --agent NAME [--no-deflate]";
    let (mut url, mut agent, mut deflate) = (None, None, true);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--url" => url = Some(args.next().ok_or(usage)?),
            "--agent" => agent = Some(args.next().ok_or(usage)?),
            "--no-deflate" => deflate = false,
            _ => return Err(usage.into()),
        }
    }
    let (url, agent) = (url.ok_or(usage)?, agent.ok_or(usage)?);
    let url = url.trim_end_matches('/');
    let config = config(deflate);

    let count = case_count(url, &config).await?;
    println!("echo_client: {count} cases");
    for case in 1..=count {
        let case_url = format!("{url}/runCase?case={case}&agent={agent}");
        if let Err(e) = run_case(&case_url, &config).await {
            // A failing case is the suite's to judge; keep going.
            println!("echo_client: case {case}: {e}");
        }
    }
    let report_url = format!("{url}/updateReports?agent={agent}");
    let (_sender, mut receiver) = sockeye::tokio::connect(&report_url).await?;
    while receiver.receive(&mut Vec::new()).await.is_ok() {}
    println!("echo_client: reports updated");
    Ok(())
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

async fn case_count(url: &str, config: &Config) -> Result<u32, Box<dyn std::error::Error>> {
    let (_sender, mut receiver, _) =
        sockeye::tokio::connect_with(&format!("{url}/getCaseCount"), config).await?;
    let mut message = Vec::new();
    receiver.receive_data(&mut message).await?;
    Ok(std::str::from_utf8(&message)?.trim().parse()?)
}

async fn run_case(url: &str, config: &Config) -> Result<(), sockeye::tokio::Error> {
    let (mut sender, mut receiver, _) = sockeye::tokio::connect_with(url, config).await?;
    let mut message = Vec::new();
    loop {
        message.clear();
        match receiver.receive(&mut message).await? {
            Incoming::Data(data) if data.is_text() => {
                let text = std::str::from_utf8(&message).expect("the receiver validated UTF-8");
                sender.send_text(text).await?;
            }
            Incoming::Data(_) => sender.send_binary(&message).await?,
            Incoming::Closed(_) => return Ok(()),
            _ => {}
        }
    }
}
