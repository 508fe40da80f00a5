//! Test helpers: negotiation by the `Extension` contract, connected pairs over
//! `tokio::io::duplex`, a raw peer that reads and writes frames by hand, and DEFLATE streams
//! built with `flate2` directly.

use connection::{Builder, Receiver, Sender};
use flate2::{Compress, Compression, FlushCompress};
use sockeye_deflate::{Deflate, Extension, Mode, Param};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

pub(crate) type Io = Compat<DuplexStream>;

/// One end of a connection.
pub(crate) type End = (Sender<Io>, Receiver<Io>);

/// The in-memory pipe's capacity: large enough that no test needs its two ends to run
/// concurrently.
const PIPE_BYTES: usize = 16 << 20;

/// Runs the handshake's side of negotiation: the server takes the client's offer, the client
/// takes the server's response. Returns whether the extension was agreed.
pub(crate) fn negotiate(client: &mut Deflate, server: &mut Deflate) -> bool {
    let offer = client.params().to_vec();
    if server.configure(&offer).is_err() {
        return false;
    }
    client
        .configure(server.params())
        .expect("the client accepts what our server answers");
    true
}

/// The server's choice among several offers (one `Sec-WebSocket-Extensions` header listing
/// permessage-deflate more than once): the index of the first it accepts.
pub(crate) fn accept_first(server: &mut Deflate, offers: &[Vec<Param>]) -> Option<usize> {
    offers
        .iter()
        .position(|offer| server.configure(offer).is_ok())
}

/// Renders parameters as they appear in the header, e.g. `server_max_window_bits=10`.
pub(crate) fn strings(params: &[Param]) -> Vec<String> {
    params.iter().map(ToString::to_string).collect()
}

/// `name` or `name=value` parsed into a parameter.
pub(crate) fn param(text: &str) -> Param {
    match text.split_once('=') {
        Some((name, value)) => Param::with_value(name, value),
        None => Param::new(text),
    }
}

/// A parameter list from `"a; b=1"`.
pub(crate) fn params(text: &str) -> Vec<Param> {
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(param)
        .collect()
}

/// A client and a server connected in memory, each with its extension if negotiation agreed.
pub(crate) fn pair(
    client: Deflate,
    server: Deflate,
    configure: impl Fn(&mut Builder<Io>),
) -> (End, End) {
    let (a, b) = tokio::io::duplex(PIPE_BYTES);
    let mut cb = Builder::new(a.compat(), Mode::Client);
    cb.add_extensions([Box::new(client) as Box<dyn Extension + Send>]);
    configure(&mut cb);
    let mut sb = Builder::new(b.compat(), Mode::Server);
    sb.add_extensions([Box::new(server) as Box<dyn Extension + Send>]);
    configure(&mut sb);
    (cb.finish(), sb.finish())
}

/// A sockeye end of `mode` with `ext`, and the raw stream of its peer.
pub(crate) fn raw_peer(
    mode: Mode,
    ext: Deflate,
    configure: impl FnOnce(&mut Builder<Io>),
) -> (Sender<Io>, Receiver<Io>, DuplexStream) {
    let (a, b) = tokio::io::duplex(PIPE_BYTES);
    let mut builder = Builder::new(a.compat(), mode);
    builder.add_extensions([Box::new(ext) as Box<dyn Extension + Send>]);
    configure(&mut builder);
    let (tx, rx) = builder.finish();
    (tx, rx, b)
}

/// A server-side extension that accepted a plain `permessage-deflate` offer, and the client
/// side that accepted its response.
pub(crate) fn agreed() -> (Deflate, Deflate) {
    let (mut client, mut server) = (Deflate::new(Mode::Client), Deflate::new(Mode::Server));
    assert!(negotiate(&mut client, &mut server));
    (client, server)
}

/// A frame as a client sends it, masked with a fixed key; `first_byte` holds FIN, RSV and
/// the opcode.
pub(crate) fn masked(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    let key = [0xa1, 0xb2, 0xc3, 0xd4];
    let mut out = vec![first_byte];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= 0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}

/// One unmasked frame as a server sends it: its first byte and its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawFrame {
    pub(crate) first_byte: u8,
    pub(crate) payload: Vec<u8>,
}

impl RawFrame {
    pub(crate) fn rsv1(&self) -> bool {
        self.first_byte & 0x40 != 0
    }

    pub(crate) fn fin(&self) -> bool {
        self.first_byte & 0x80 != 0
    }

    pub(crate) fn opcode(&self) -> u8 {
        self.first_byte & 0x0f
    }
}

/// Reads one unmasked frame from the raw peer.
pub(crate) async fn read_frame(io: &mut DuplexStream) -> RawFrame {
    let mut head = [0; 2];
    io.read_exact(&mut head).await.expect("a frame header");
    assert_eq!(head[1] & 0x80, 0, "server frames are not masked");
    let len = match head[1] & 0x7f {
        126 => u64::from(io.read_u16().await.unwrap()),
        127 => io.read_u64().await.unwrap(),
        n => u64::from(n),
    };
    let mut payload = vec![0; usize::try_from(len).unwrap()];
    io.read_exact(&mut payload)
        .await
        .expect("the frame payload");
    RawFrame {
        first_byte: head[0],
        payload,
    }
}

/// Reads until the other side shuts down its write half.
pub(crate) async fn read_to_end(io: &mut DuplexStream) -> Vec<u8> {
    let mut buf = Vec::new();
    io.read_to_end(&mut buf).await.expect("read to end");
    buf
}

pub(crate) async fn write(io: &mut DuplexStream, bytes: &[u8]) {
    io.write_all(bytes).await.expect("write to the sockeye end");
}

/// The close frame a sockeye server sends for `code`.
pub(crate) fn close_frame(code: u16) -> Vec<u8> {
    let mut v = vec![0x88, 0x02];
    v.extend_from_slice(&code.to_be_bytes());
    v
}

/// Raw DEFLATE of `parts`, each ended by a sync flush, with the last trailer removed: a
/// permessage-deflate payload made without this crate.
pub(crate) fn deflate(parts: &[&[u8]]) -> Vec<u8> {
    let mut c = Compress::new_with_window_bits(Compression::best(), false, 15);
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 1024);
    for part in parts {
        c.compress_vec(part, &mut out, FlushCompress::Sync).unwrap();
    }
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

/// A payload that inflates to `mib` MiB of zeros (about 1 KiB per MiB after the first).
pub(crate) fn bomb(mib: usize) -> Vec<u8> {
    let zeros = vec![0; 1 << 20];
    let mut c = Compress::new_with_window_bits(Compression::best(), false, 15);
    let mut first = Vec::with_capacity(1 << 20);
    c.compress_vec(&zeros, &mut first, FlushCompress::Sync)
        .unwrap();
    let mut more = Vec::with_capacity(1 << 20);
    c.compress_vec(&zeros, &mut more, FlushCompress::Sync)
        .unwrap();
    let mut out = first;
    for _ in 1..mib {
        out.extend_from_slice(&more);
    }
    out.truncate(out.len() - 4);
    out
}

/// Text-heavy JSON, the traffic permessage-deflate is for.
pub(crate) fn json(items: usize) -> String {
    let mut s = String::from("[");
    for i in 0..items {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"id":{i},"user":"user-{}","status":"online","tags":["alpha","beta"],"score":{}}}"#,
            i % 37,
            i * 7 % 101
        ));
    }
    s.push(']');
    s
}
