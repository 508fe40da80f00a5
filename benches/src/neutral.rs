//! The neutral echo server (`echo-server neutral`): the fixed server that every crate's
//! client is measured against. Like the load generator it uses only `sockeye-codec`'s
//! header functions and masking: it echoes each data frame as it arrives (so fragmented
//! messages come back fragmented alike), answers pings, echoes a close and hangs up.
//!
//! Reading and writing run concurrently, and everything echoed from one read goes out in
//! one write, so it is as cheap per message as a server can reasonably be. Given several
//! cores it can serve on several threads ([`serve_threads`]), so that it keeps up with a
//! one-core client.

use std::{cell::RefCell, net::SocketAddr, rc::Rc};

use bytes::BytesMut;
use sockeye_codec::{apply_mask, Header, Mode, OpCode};
use tokio::{
    io::AsyncWriteExt,
    net::{TcpListener, TcpSocket, TcpStream},
    sync::Notify,
};

use crate::wire::{complete_frame, decode_config, read_more, server_handshake};

/// Echo bytes waiting to be written beyond this stop reading until the writer catches up.
const MAX_PENDING: usize = 8 << 20;

/// Serves WebSocket echo on `addr` with `threads` threads until the process ends. Each
/// thread runs its own current-thread runtime and listening socket (`SO_REUSEPORT`, so the
/// kernel shares incoming connections out among them). Returns only if binding fails, or
/// at once if `threads` is 0.
pub fn serve_threads(addr: SocketAddr, threads: usize) -> std::io::Result<()> {
    // Bind every socket before serving, so that no connection waits for a late thread.
    let bound = bind_all(addr, threads)?;
    let mut running = Vec::with_capacity(bound.len());
    for (index, socket) in bound.into_iter().enumerate() {
        running.push(
            std::thread::Builder::new()
                .name(format!("neutral-{index}"))
                .spawn(move || {
                    let rt = crate::runtime();
                    let local = tokio::task::LocalSet::new();
                    local.block_on(&rt, async move {
                        match socket.listen(1024) {
                            Ok(listener) => serve(listener).await,
                            Err(e) => eprintln!("echo-server: listen: {e}"),
                        }
                    });
                })?,
        );
    }
    for thread in running {
        let _ = thread.join();
    }
    Ok(())
}

/// `count` sockets bound to `addr` with `SO_REUSEPORT`, not yet listening. With port 0
/// the first takes a free port and the others bind to the same one.
fn bind_all(mut addr: SocketAddr, count: usize) -> std::io::Result<Vec<TcpSocket>> {
    let mut bound = Vec::with_capacity(count);
    for _ in 0..count {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        #[cfg(unix)]
        socket.set_reuseport(true)?;
        socket.bind(addr)?;
        addr = socket.local_addr()?;
        bound.push(socket);
    }
    Ok(bound)
}

/// Serves WebSocket echo on `listener`, on the current `LocalSet`, for ever.
async fn serve(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::task::spawn_local(async move {
                    // A client that goes away is no news: the load programs just stop.
                    let _ = connection(stream).await;
                });
            }
            Err(e) => {
                // Out of file descriptors and the like: wait a little instead of spinning.
                eprintln!("echo-server: accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }
}

struct Outbox {
    pending: RefCell<BytesMut>,
    closed: std::cell::Cell<bool>,
    written: Notify,
    queued: Notify,
}

async fn connection(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = server_handshake(&mut stream).await?;
    let (mut read, mut write) = stream.split();
    let outbox = Rc::new(Outbox {
        pending: RefCell::new(BytesMut::new()),
        closed: std::cell::Cell::new(false),
        written: Notify::new(),
        queued: Notify::new(),
    });
    let reader = async {
        let config = decode_config(Mode::Server);
        loop {
            let mut closing = false;
            {
                let mut out = outbox.pending.borrow_mut();
                while let Some((header, payload)) = complete_frame(&buf, &config)? {
                    let end = payload.end;
                    let opcode = match header.opcode() {
                        OpCode::Ping => OpCode::Pong,
                        OpCode::Pong => {
                            let _ = buf.split_to(end);
                            continue;
                        }
                        other => other,
                    };
                    let mut echo = Header::new(opcode);
                    echo.set_fin(header.is_fin())
                        .set_payload_len(header.payload_len());
                    echo.encode(&mut *out);
                    let start = out.len();
                    out.extend_from_slice(&buf[payload]);
                    if let Some(mask) = header.mask() {
                        apply_mask(&mut out[start..], mask);
                    }
                    let _ = buf.split_to(end);
                    if opcode == OpCode::Close {
                        closing = true;
                        break;
                    }
                }
            }
            outbox.queued.notify_one();
            if closing {
                outbox.closed.set(true);
                return Ok(());
            }
            while outbox.pending.borrow().len() > MAX_PENDING {
                outbox.written.notified().await;
            }
            if read_more(&mut read, &mut buf, &config).await? == 0 {
                outbox.closed.set(true);
                outbox.queued.notify_one();
                return Ok(());
            }
        }
    };
    let writer = async {
        let mut out = BytesMut::new();
        loop {
            std::mem::swap(&mut out, &mut *outbox.pending.borrow_mut());
            if out.is_empty() {
                if outbox.closed.get() {
                    return Ok::<(), std::io::Error>(());
                }
                outbox.queued.notified().await;
                continue;
            }
            write.write_all(&out).await?;
            out.clear();
            outbox.written.notify_one();
        }
    };
    tokio::try_join!(reader, writer)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_thread_listens_on_the_same_port_even_when_the_system_picks_it() {
        let bound = bind_all(SocketAddr::from(([127, 0, 0, 1], 0)), 3).expect("binds");
        let ports: Vec<u16> = bound
            .iter()
            .map(|s| s.local_addr().expect("bound").port())
            .collect();
        assert_eq!(ports.len(), 3);
        assert_ne!(ports[0], 0);
        assert!(ports.iter().all(|&p| p == ports[0]), "{ports:?}");
    }
}
