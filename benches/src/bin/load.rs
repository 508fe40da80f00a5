//! `load [OPTIONS]` and `load --idle N --addr A`: the neutral load generator of
//! `cargo xtask bench` (see the `sockeye_benches` crate docs).
//!
//! Each connection's writer sends whatever the pipeline has room for in one write (each
//! frame with a fresh random mask), and its reader checks every echoed byte, so the
//! generator's own code is cheap per message. Its kernel work is not: over loopback it
//! makes the same sends and receives as the server, so where those dominate (many
//! connections, large messages) it is as busy as the server. The report's `fixed_cpu_s`
//! says how busy it was.

use std::{rc::Rc, time::Duration};

use bytes::BytesMut;
use sockeye_benches::{
    drive, emit, fail_load,
    wire::{client_handshake, complete_frame, decode_config, encode_frame, read_more},
    Options, Pipeline, Report,
};
use sockeye_codec::{Mode, OpCode};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("--idle") {
        args.next();
        let count = args.next().and_then(|n| n.parse().ok());
        let options = Options::parse(args);
        match (count, options) {
            (Some(count), Ok(options)) => idle(count, &options),
            (None, _) => fail_load("--idle needs a connection count"),
            (_, Err(e)) => fail_load(&e),
        }
    }
    match Options::parse(args) {
        Ok(options) => {
            let addr = options.addr;
            drive(&options, move |_, pipeline| connection(addr, pipeline))
        }
        Err(e) => fail_load(&e),
    }
}

async fn connect(addr: std::net::SocketAddr) -> std::io::Result<(TcpStream, BytesMut)> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let rest = client_handshake(&mut stream, &addr.to_string()).await?;
    Ok((stream, rest))
}

async fn connection(addr: std::net::SocketAddr, pipeline: Rc<Pipeline>) -> Result<(), String> {
    let (mut stream, rest) = connect(addr).await.map_err(|e| e.to_string())?;
    pipeline.connected();
    let (mut read, mut write) = stream.split();
    let opcode = if pipeline.text() {
        OpCode::Text
    } else {
        OpCode::Binary
    };
    let writer = async {
        let out: Result<(), String> = async {
            let mut out = BytesMut::new();
            loop {
                pipeline.room().await;
                out.clear();
                while let Some((head, body)) = pipeline.try_next_parts() {
                    encode_frame(&mut out, opcode, &[&head, body], Some(rand::random()));
                }
                write
                    .write_all(&out)
                    .await
                    .map_err(|e| format!("write: {e}"))?;
            }
        }
        .await;
        out
    };
    let reader = async {
        let config = decode_config(Mode::Client);
        let mut buf = rest;
        let mut fragments: Vec<u8> = Vec::new();
        let mut fragmented = false;
        loop {
            while let Some((header, payload)) =
                complete_frame(&buf, &config).map_err(|e| e.to_string())?
            {
                let end = payload.end;
                match header.opcode() {
                    OpCode::Text | OpCode::Binary if header.opcode() != opcode => {
                        return Err(format!("echo came back as {}", header.opcode()));
                    }
                    OpCode::Text | OpCode::Binary if header.is_fin() && !fragmented => {
                        pipeline.echoed(&buf[payload])?;
                    }
                    OpCode::Text | OpCode::Binary | OpCode::Continuation => {
                        fragmented = true;
                        fragments.extend_from_slice(&buf[payload]);
                        if header.is_fin() {
                            pipeline.echoed(&fragments)?;
                            fragments.clear();
                            fragmented = false;
                        }
                    }
                    OpCode::Close => return Err("the server closed the connection".to_owned()),
                    OpCode::Ping | OpCode::Pong => {}
                }
                let _ = buf.split_to(end);
            }
            if read_more(&mut read, &mut buf, &config)
                .await
                .map_err(|e| format!("read: {e}"))?
                == 0
            {
                return Err("the server closed the TCP connection".to_owned());
            }
        }
    };
    tokio::try_join!(writer, reader).map(|((), ())| ())
}

/// Opens `count` connections, exchanges one 16-byte message on each, reports (the
/// `connections` field says how many are up), then holds them open until killed.
fn idle(count: usize, options: &Options) -> ! {
    let rt = sockeye_benches::runtime();
    let addr = options.addr;
    rt.block_on(async move {
        let mut open = Vec::with_capacity(count);
        let mut report = Report::default();
        let mut pending = tokio::task::JoinSet::new();
        let mut started = 0;
        while open.len() + (report.errors as usize) < count {
            while started < count && pending.len() < 64 {
                started += 1;
                pending.spawn(async move { idle_connection(addr).await });
            }
            match pending.join_next().await {
                Some(Ok(Ok(stream))) => open.push(stream),
                Some(Ok(Err(e))) => {
                    report.errors += 1;
                    if report.errors <= 5 {
                        eprintln!("load: error: {e}");
                    }
                }
                Some(Err(e)) => fail_load(&e.to_string()),
                None => break,
            }
        }
        report.connections = open.len() as u64;
        emit(&report);
        loop {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    })
}

async fn idle_connection(addr: std::net::SocketAddr) -> Result<TcpStream, String> {
    let (mut stream, mut buf) = connect(addr).await.map_err(|e| e.to_string())?;
    let mut out = BytesMut::new();
    let message = [7u8; 16];
    encode_frame(&mut out, OpCode::Binary, &[&message], Some(rand::random()));
    stream.write_all(&out).await.map_err(|e| e.to_string())?;
    let config = decode_config(Mode::Client);
    loop {
        if let Some((_, payload)) = complete_frame(&buf, &config).map_err(|e| e.to_string())? {
            if buf[payload] != message {
                return Err("wrong echo".to_owned());
            }
            return Ok(stream);
        }
        if stream.read_buf(&mut buf).await.map_err(|e| e.to_string())? == 0 {
            return Err("closed before the echo".to_owned());
        }
    }
}
