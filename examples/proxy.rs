//! A frame-level WebSocket proxy built on `sockeye-codec` alone.
//!
//! ```text
//! cargo run --release --example proxy -- --listen 127.0.0.1:9002 --upstream 127.0.0.1:9001
//! ```
//!
//! Each client connection is paired with a connection to the upstream server. The HTTP
//! upgrade passes through unchanged; once the upstream answers `101`, both directions are
//! decoded frame by frame with [`FrameCodec`] (checked against RFC 6455, so a broken frame
//! is stopped at the proxy) and re-encoded as they were, masks included. Frame counts are
//! printed when a connection ends. Anything but a `101` is piped through as plain bytes.
#![allow(clippy::print_stdout)]

use std::{env, io, net::SocketAddr};

use futures::{SinkExt, StreamExt};
use sockeye_codec::{DecodeConfig, FrameCodec, Mode, OpCode, RSV1};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use tokio_util::codec::{FramedRead, FramedWrite};

/// The most bytes an HTTP head may take before the proxy gives up on the connection.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The largest frame payload forwarded.
const MAX_FRAME_BYTES: u64 = 64 * 1024 * 1024;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (listen, upstream) = parse_args()?;
    let listener = TcpListener::bind(listen).await?;
    println!("proxy: listening on {listen}, forwarding to {upstream}");
    loop {
        let (client, peer) = listener.accept().await?;
        tokio::spawn(async move {
            match proxy(client, upstream).await {
                Ok(stats) => println!("proxy: {peer} done: {stats}"),
                Err(e) => println!("proxy: {peer} failed: {e}"),
            }
        });
    }
}

fn parse_args() -> Result<(SocketAddr, SocketAddr), String> {
    let usage = "usage: proxy --listen HOST:PORT --upstream HOST:PORT";
    let args: Vec<String> = env::args().skip(1).collect();
    let mut listen = None;
    let mut upstream = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(usage)?;
        let addr: SocketAddr = value.parse().map_err(|e| format!("{flag} {value}: {e}"))?;
        match flag.as_str() {
            "--listen" => listen = Some(addr),
            "--upstream" => upstream = Some(addr),
            _ => return Err(usage.to_owned()),
        }
    }
    Ok((listen.ok_or(usage)?, upstream.ok_or(usage)?))
}

/// Frames forwarded in each direction.
#[derive(Debug, Default)]
struct Stats {
    to_upstream: u64,
    to_client: u64,
    data_bytes: u64,
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} frames to upstream, {} frames to client, {} payload bytes",
            self.to_upstream, self.to_client, self.data_bytes
        )
    }
}

async fn proxy(mut client: TcpStream, upstream: SocketAddr) -> io::Result<Stats> {
    let mut server = TcpStream::connect(upstream).await?;
    // The heads pass through unchanged. Bytes that arrived behind a head are frames (or,
    // without an upgrade, body bytes) and are forwarded with the rest of their stream.
    let (request, early) = read_head(&mut client).await?;
    server.write_all(&request).await?;
    let (response, late) = read_head(&mut server).await?;
    client.write_all(&response).await?;
    let head = String::from_utf8_lossy(&response).to_ascii_lowercase();
    if !head.starts_with("http/1.1 101") {
        server.write_all(&early).await?;
        client.write_all(&late).await?;
        tokio::io::copy_bidirectional(&mut client, &mut server).await?;
        return Ok(Stats::default());
    }
    // RSV1 is legal once permessage-deflate was agreed; the proxy forwards it untouched.
    let rsv = if head.contains("permessage-deflate") {
        RSV1
    } else {
        0
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    // Frames from the client are masked: decode them as a server would, and the reverse.
    let up = forward(client_read, early, server_write, Mode::Server, rsv);
    let down = forward(server_read, late, client_write, Mode::Client, rsv);
    let (up, down) = tokio::join!(up, down);
    let (to_upstream, up_bytes) = up?;
    let (to_client, down_bytes) = down?;
    Ok(Stats {
        to_upstream,
        to_client,
        data_bytes: up_bytes + down_bytes,
    })
}

/// Copies frames from `from` (starting with the bytes in `pending`) to `to` until a close
/// frame passes or the stream ends.
async fn forward(
    from: impl AsyncRead + Unpin,
    pending: Vec<u8>,
    to: impl AsyncWrite + Unpin,
    mode: Mode,
    rsv: u8,
) -> io::Result<(u64, u64)> {
    let mut config = DecodeConfig::new(mode);
    config
        .set_allowed_rsv(rsv)
        .set_max_payload_bytes(MAX_FRAME_BYTES);
    let mut frames = FramedRead::new(from, FrameCodec::new(config));
    frames.read_buffer_mut().extend_from_slice(&pending);
    let mut sink = FramedWrite::new(to, FrameCodec::new(config));
    let (mut count, mut bytes) = (0u64, 0u64);
    while let Some(frame) = frames.next().await {
        let frame = frame?;
        let is_close = frame.header().opcode() == OpCode::Close;
        bytes += frame.payload().len() as u64;
        sink.send(frame).await?;
        count += 1;
        if is_close {
            break;
        }
    }
    // Pass the end of the stream on, so the other side sees the close as it happened.
    sink.get_mut().shutdown().await.ok();
    Ok((count, bytes))
}

/// Reads an HTTP head (up to and including the blank line); returns it and any bytes that
/// arrived after it.
async fn read_head(stream: &mut TcpStream) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Ok((buf, rest));
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "HTTP head over 16 KiB",
            ));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}
