//! The main demo: a chat server. One page at `/`, a WebSocket at `/ws`; everything said is
//! broadcast to everyone connected.
//!
//! ```text
//! cargo run --release --example chat -- --addr 127.0.0.1:8080
//! ```
//! Then open <http://127.0.0.1:8080/> in two browser windows.
//!
//! The wire protocol is JSON text messages, documented at the top of `chat/index.html`.
//! Each member has a bounded outgoing queue: a member too slow to keep up is disconnected
//! (close code 1008) instead of stalling everyone else.
#![allow(clippy::print_stdout)]

use std::{
    collections::HashMap,
    convert::Infallible,
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{
    body::Incoming, header, server::conn::http1, service::service_fn, Request, Response, StatusCode,
};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use sockeye::tokio::Compat;
use sockeye::{
    connection::{Receiver, Sender},
    extension::deflate::Deflate,
    handshake::http::{error_response, is_upgrade_request, Negotiator},
    tokio::TokioTimer,
    CloseCode, Incoming as WsIncoming, Mode,
};
use tokio::{net::TcpListener, sync::mpsc};

/// The page, embedded in the binary.
const PAGE: &str = include_str!("chat/index.html");
/// Messages queued for one member before it counts as too slow.
const QUEUE_MESSAGES: usize = 256;
/// The largest message a browser may send.
const MAX_MESSAGE_BYTES: usize = 16 * 1024;
const MAX_NAME_CHARS: usize = 32;
const MAX_TEXT_CHARS: usize = 2000;

type Io = Compat<TokioIo<hyper::upgrade::Upgraded>>;

/// Everyone connected, by connection id.
#[derive(Debug, Default)]
struct Room {
    members: Mutex<HashMap<u64, Member>>,
    next_id: AtomicU64,
}

#[derive(Debug)]
struct Member {
    name: String,
    queue: mpsc::Sender<Arc<str>>,
}

impl Room {
    fn members(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Member>> {
        self.members
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends `message` to every member (but `except`). Members whose queue is full are
    /// dropped from the room; their writer then closes their connection with 1008.
    fn broadcast(&self, message: &Value, except: Option<u64>) {
        let text: Arc<str> = message.to_string().into();
        let mut slow = Vec::new();
        {
            let members = self.members();
            for (id, member) in members.iter() {
                if Some(*id) != except && member.queue.try_send(text.clone()).is_err() {
                    slow.push(*id);
                }
            }
        }
        for id in slow {
            self.leave(id);
        }
    }

    /// Removes a member and tells the others; a no-op if it already left.
    fn leave(&self, id: u64) {
        let gone = self.members().remove(&id);
        if let Some(member) = gone {
            println!("chat: {} left", member.name);
            self.broadcast(&json!({"type": "left", "name": member.name}), None);
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = match std::env::args().skip(1).collect::<Vec<_>>().as_slice() {
        [flag, addr] if flag == "--addr" => addr.parse()?,
        _ => return Err("usage: chat --addr HOST:PORT".into()),
    };
    let listener = TcpListener::bind(addr).await?;
    println!(
        "chat: open http://{}/ in your browser",
        listener.local_addr()?
    );
    let room = Arc::new(Room::default());
    loop {
        let (tcp, _) = listener.accept().await?;
        let room = room.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(request, room.clone()));
            let conn = http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades();
            if let Err(e) = conn.await {
                eprintln!("chat: {e}");
            }
        });
    }
}

async fn handle(
    mut request: Request<Incoming>,
    room: Arc<Room>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let reply = |status: StatusCode, body: &'static str| {
        let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
        *response.status_mut() = status;
        response
    };
    match request.uri().path() {
        "/" => {
            let mut response = Response::new(Full::new(Bytes::from_static(PAGE.as_bytes())));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/html; charset=utf-8"),
            );
            Ok(response)
        }
        "/ws" if is_upgrade_request(&request) => {
            let mut negotiator = Negotiator::new();
            negotiator.add_extension(Box::new(Deflate::new(Mode::Server)));
            let negotiated = match negotiator.negotiate(&request) {
                Ok(negotiated) => negotiated,
                Err(e) => return Ok(error_response(&e).map(|body| Full::new(Bytes::from(body)))),
            };
            let response = negotiated.response();
            tokio::spawn(async move {
                match hyper::upgrade::on(&mut request).await {
                    Ok(upgraded) => {
                        let mut builder =
                            negotiated.into_builder(Compat::new(TokioIo::new(upgraded)));
                        builder
                            .set_max_message_size(MAX_MESSAGE_BYTES)
                            .set_max_frame_size(MAX_MESSAGE_BYTES)
                            .set_timer(Arc::new(TokioTimer))
                            .set_keepalive(Duration::from_secs(20), Duration::from_secs(10))
                            .set_send_timeout(Duration::from_secs(30));
                        let (sender, receiver) = builder.finish();
                        session(sender, receiver, room).await;
                    }
                    Err(e) => eprintln!("chat: upgrade failed: {e}"),
                }
            });
            Ok(response.map(|()| Full::new(Bytes::new())))
        }
        "/ws" => Ok(reply(
            StatusCode::UPGRADE_REQUIRED,
            "this endpoint speaks WebSocket\n",
        )),
        _ => Ok(reply(StatusCode::NOT_FOUND, "not found\n")),
    }
}

/// Reads one JSON message of type `kind` and returns its `field`, trimmed.
fn field<'a>(message: &'a Value, kind: &str, field: &str) -> Option<&'a str> {
    (message.get("type")?.as_str()? == kind).then(|| message.get(field)?.as_str().map(str::trim))?
}

fn valid(text: &str, max_chars: usize) -> bool {
    let n = text.chars().count();
    n >= 1 && n <= max_chars
}

async fn session(mut sender: Sender<Io>, mut receiver: Receiver<Io>, room: Arc<Room>) {
    let mut buf = Vec::new();
    // The first message must be a join, within 10 s.
    let join = tokio::time::timeout(Duration::from_secs(10), receiver.receive_data(&mut buf)).await;
    let name = match join {
        Ok(Ok(data)) if data.is_text() => serde_json::from_slice::<Value>(&buf)
            .ok()
            .and_then(|m| field(&m, "join", "name").map(str::to_owned)),
        _ => None,
    };
    let refuse = |text: &str| json!({"type": "error", "text": text}).to_string();
    let Some(name) = name.filter(|n| valid(n, MAX_NAME_CHARS) && !n.chars().any(char::is_control))
    else {
        let _ = sender
            .send_text(refuse(
                "send {\"type\":\"join\",\"name\":...} with 1-32 characters",
            ))
            .await;
        let _ = sender
            .close_with(CloseCode::POLICY_VIOLATION, "bad join")
            .await;
        return;
    };
    let id = room.next_id.fetch_add(1, Ordering::Relaxed);
    let (queue, mut outgoing) = mpsc::channel::<Arc<str>>(QUEUE_MESSAGES);
    // Register the name unless it is taken (names compare case-insensitively).
    let users = {
        let mut members = room.members();
        if members.values().any(|m| m.name.eq_ignore_ascii_case(&name)) {
            None
        } else {
            members.insert(
                id,
                Member {
                    name: name.clone(),
                    queue,
                },
            );
            Some(members.values().map(|m| m.name.clone()).collect::<Vec<_>>())
        }
    };
    let Some(users) = users else {
        let _ = sender.send_text(refuse("that name is taken")).await;
        let _ = sender.close().await;
        return;
    };
    println!("chat: {name} joined");
    let welcome = json!({"type": "welcome", "you": name, "users": users}).to_string();
    room.broadcast(&json!({"type": "joined", "name": name}), Some(id));

    // The writer: the welcome, then whatever the room queues for this member. When the room
    // drops the member (it left, or was too slow), the queue ends and the writer closes.
    let writer = tokio::spawn(async move {
        if sender.send_text(welcome).await.is_err() {
            return;
        }
        while let Some(text) = outgoing.recv().await {
            if sender.send_text(&*text).await.is_err() {
                return;
            }
        }
        let _ = sender
            .close_with(CloseCode::POLICY_VIOLATION, "too slow")
            .await;
    });

    loop {
        buf.clear();
        match receiver.receive(&mut buf).await {
            Ok(WsIncoming::Data(data)) if data.is_text() => {
                let said = serde_json::from_slice::<Value>(&buf).ok();
                match said.as_ref().and_then(|m| field(m, "say", "text")) {
                    Some(text) if valid(text, MAX_TEXT_CHARS) => {
                        room.broadcast(&json!({"type": "said", "name": name, "text": text}), None);
                    }
                    _ => {
                        let error = json!({"type": "error", "text": "messages are {\"type\":\"say\",\"text\":...} with 1-2000 characters"});
                        let queue = room.members().get(&id).map(|m| m.queue.clone());
                        if let Some(queue) = queue {
                            let _ = queue.try_send(error.to_string().into());
                        }
                    }
                }
            }
            Ok(WsIncoming::Closed(_)) | Err(_) => break,
            Ok(_) => {}
        }
    }
    room.leave(id);
    let _ = writer.await;
}
