//! Minimal WebSocket wire handling for the neutral programs (`load` and `echo-server
//! neutral`): a hand-written HTTP/1.1 upgrade and framing with `sockeye-codec`'s header
//! encoder and decoder, so that no crate's connection layer is on the measured path.

use bytes::{Buf, BytesMut};
use sockeye_codec::{apply_mask, decode_header, DecodeConfig, Header, Mode, OpCode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::MAX_MESSAGE;

/// The request head may not exceed this.
const MAX_HEAD: usize = 16 * 1024;

fn invalid(what: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.into())
}

/// Reads an HTTP head (up to and including the blank line) into `buf`, returning its length.
/// Bytes after it stay in `buf`.
async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut BytesMut,
) -> std::io::Result<usize> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(end + 4);
        }
        if buf.len() > MAX_HEAD {
            return Err(invalid("HTTP head too long"));
        }
        if stream.read_buf(buf).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
}

/// The client side of the opening handshake: sends the upgrade request and checks for a
/// `101` answer. Returns whatever the server sent after its response head.
pub async fn client_handshake<S>(stream: &mut S, host: &str) -> std::io::Result<BytesMut>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let nonce: [u8; 16] = rand::random();
    let key = sockeye::handshake::http1::encode_key(nonce);
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n\r\n",
        String::from_utf8_lossy(&key)
    );
    stream.write_all(request.as_bytes()).await?;
    let mut buf = BytesMut::with_capacity(1024);
    let head = read_head(stream, &mut buf).await?;
    if !buf.starts_with(b"HTTP/1.1 101") {
        let line = buf[..head]
            .split(|&b| b == b'\r')
            .next()
            .unwrap_or_default();
        return Err(invalid(format!(
            "no upgrade: {}",
            String::from_utf8_lossy(line)
        )));
    }
    buf.advance(head);
    Ok(buf)
}

/// The server side of the opening handshake: reads the upgrade request and answers `101`.
/// Returns whatever the client sent after its request head.
pub async fn server_handshake<S>(stream: &mut S) -> std::io::Result<BytesMut>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = BytesMut::with_capacity(1024);
    let head = read_head(stream, &mut buf).await?;
    let text =
        std::str::from_utf8(&buf[..head]).map_err(|_| invalid("request head is not UTF-8"))?;
    let key = text
        .split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("sec-websocket-key"))
        .map(|(_, value)| value.trim())
        .ok_or_else(|| invalid("no Sec-WebSocket-Key"))?;
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        sockeye::handshake::http1::accept_key(key.as_bytes())
    );
    stream.write_all(response.as_bytes()).await?;
    buf.advance(head);
    Ok(buf)
}

/// Appends one final frame to `out` whose payload is `parts` one after the other, masked with
/// `mask` if there is one.
pub fn encode_frame(out: &mut BytesMut, opcode: OpCode, parts: &[&[u8]], mask: Option<[u8; 4]>) {
    let len: usize = parts.iter().map(|part| part.len()).sum();
    let mut header = Header::new(opcode);
    header.set_mask(mask).set_payload_len(len as u64);
    header.encode(out);
    let start = out.len();
    for part in parts {
        out.extend_from_slice(part);
    }
    if let Some(mask) = mask {
        apply_mask(&mut out[start..], mask);
    }
}

/// The decoder settings for frames arriving at `mode`'s side, with the 64 MiB limit.
pub fn decode_config(mode: Mode) -> DecodeConfig {
    let mut config = DecodeConfig::new(mode);
    config.set_max_payload_bytes(MAX_MESSAGE as u64);
    config
}

/// A complete frame at the start of `buf`: its header and the range of its payload.
pub fn complete_frame(
    buf: &[u8],
    config: &DecodeConfig,
) -> std::io::Result<Option<(Header, std::ops::Range<usize>)>> {
    let Some((header, header_len)) =
        decode_header(buf, config).map_err(|e| invalid(e.to_string()))?
    else {
        return Ok(None);
    };
    let end = header_len + header.payload_len() as usize;
    Ok((buf.len() >= end).then_some((header, header_len..end)))
}

/// Makes room in `buf` for the rest of the frame it starts with (at least 64 KiB of room, so
/// that small frames are read many at a time), then reads from `read`. Returns the number
/// of bytes read: 0 at the end of the stream.
pub async fn read_more<R: AsyncRead + Unpin>(
    read: &mut R,
    buf: &mut BytesMut,
    config: &DecodeConfig,
) -> std::io::Result<usize> {
    let wanted = match decode_header(buf, config) {
        Ok(Some((header, header_len))) => header_len + header.payload_len() as usize,
        _ => 0,
    };
    let room = wanted.saturating_sub(buf.len()).max(64 * 1024);
    if buf.capacity() - buf.len() < room {
        buf.reserve(room);
    }
    read.read_buf(buf).await
}
