//! Bounded decompression, measured: a deflate bomb sent to a sockeye server is stopped at
//! the message limit with 1009, and the heap the receiving side used stays near that limit.

use connection::{Error, Mode};
use sockeye_deflate::codec::CloseCode;

use super::{alloc, util::*};

const LIMIT: usize = 1 << 20;

/// Receives one small message on a throwaway connection. Receivers read through one
/// scratch buffer per thread (allocated on the thread's first read, never per connection);
/// measurements call this first so that they count what a connection costs, not that.
async fn warm_up_thread_read_scratch() {
    let (_, server) = agreed();
    let (_tx, mut rx, mut raw) = raw_peer(Mode::Server, server, |_| {});
    write(&mut raw, &masked(0x82, b"warm up")).await;
    rx.receive(&mut Vec::new()).await.unwrap();
}

/// Sends a frame inflating to `mib` MiB to a server whose message limit is [`LIMIT`], and
/// returns the receive error and the peak heap use of the receive, in bytes above what was
/// live before it.
async fn receive_bomb(mib: usize) -> (Error, usize, usize) {
    let (_, server) = agreed();
    let (_tx, mut rx, mut raw) = raw_peer(Mode::Server, server, |b| {
        b.set_max_message_size(LIMIT);
    });
    let wire = masked(0xc2, &bomb(mib));
    let wire_len = wire.len();
    write(&mut raw, &wire).await;
    drop(wire);
    warm_up_thread_read_scratch().await;
    let mut buf = Vec::new();
    alloc::reset_peak();
    let before = alloc::live();
    let err = rx.receive(&mut buf).await.unwrap_err();
    let peak = alloc::peak() - before;
    assert_eq!(read_to_end(&mut raw).await, close_frame(1009));
    (err, peak, wire_len)
}

#[tokio::test]
async fn a_bomb_is_stopped_at_the_limit_with_bounded_memory() {
    // 64 MiB of zeros in a 64 KiB frame.
    let (err, peak, wire_len) = receive_bomb(64).await;
    assert_eq!(err.close_code(), Some(CloseCode::MESSAGE_TOO_BIG), "{err}");
    assert!(wire_len < 80 << 10, "{wire_len}");
    // The output stops at the limit. Around it: the compressed frame (buffered by the
    // connection, then copied beside the output), the read buffer and the inflater, about
    // 250 KiB. The output grows by doubling, so if the allocator must move it on its last
    // growth, the old half-size block is live for a moment too. Measured: 1.30 MB when the
    // allocator grows in place, 2.09 MB when it moves.
    assert!(
        peak < LIMIT * 3 / 2 + (640 << 10),
        "peak {peak} bytes for a {LIMIT}-byte limit"
    );
    eprintln!(
        "bomb: {wire_len}-byte frame inflating to 64 MiB; peak heap {peak} bytes (limit {LIMIT})"
    );
}

/// The peak heap of a sockeye server receiving one plain (uncompressed) binary message of
/// `len` bytes: what the connection itself spends on a frame that size.
async fn receive_plain(len: usize) -> usize {
    let (_, server) = agreed();
    let (_tx, mut rx, mut raw) = raw_peer(Mode::Server, server, |b| {
        b.set_max_message_size(LIMIT);
    });
    let wire = masked(0x82, &vec![7; len]);
    write(&mut raw, &wire).await;
    drop(wire);
    warm_up_thread_read_scratch().await;
    let mut buf = Vec::new();
    alloc::reset_peak();
    let before = alloc::live();
    rx.receive(&mut buf).await.unwrap();
    alloc::peak() - before
}

#[tokio::test]
async fn a_bigger_bomb_costs_the_limit_over_what_its_frame_costs() {
    // Half a gigabyte in a 520 KiB frame. Receiving a frame that size costs the connection
    // what it costs; inflating it adds the output (the limit, or half as much again while the
    // allocator moves it), the copy of the compressed bytes and the inflater.
    let (err, peak, wire_len) = receive_bomb(512).await;
    assert_eq!(err.close_code(), Some(CloseCode::MESSAGE_TOO_BIG), "{err}");
    let plain = receive_plain(wire_len).await;
    assert!(
        peak < plain + LIMIT * 3 / 2 + wire_len + (256 << 10),
        "peak {peak} bytes for a {LIMIT}-byte limit and a {wire_len}-byte frame; \
         {plain} bytes for the same frame uncompressed"
    );
    eprintln!(
        "bomb: {wire_len}-byte frame inflating to 512 MiB; peak heap {peak} bytes (limit \
         {LIMIT}; {plain} bytes for a plain frame of that size)"
    );
}

/// What one negotiated extension holds once it has compressed and inflated a message, by
/// window size: the figures in the crate docs' memory table.
#[test]
fn state_per_connection_by_window_size() {
    use sockeye_deflate::{
        codec::{OpCode, RSV1},
        Deflate, Extension,
    };
    let text = json(20);
    let mut sizes = Vec::new();
    for bits in [9, 12, 15] {
        let (mut client, mut server) = (Deflate::new(Mode::Client), Deflate::new(Mode::Server));
        client.set_max_client_window_bits(bits).unwrap();
        client.set_max_server_window_bits(bits).unwrap();
        assert!(negotiate(&mut client, &mut server));
        let mut wire = Vec::new();
        server
            .encode(OpCode::Text, text.as_bytes(), &mut wire)
            .unwrap();
        let before = alloc::live();
        let mut out = Vec::new();
        client
            .encode(OpCode::Text, text.as_bytes(), &mut out)
            .unwrap();
        let compressor = alloc::live() - before - out.capacity();
        let before = alloc::live();
        client
            .decode(RSV1, OpCode::Text, &mut wire, 0, 1 << 20)
            .unwrap();
        let inflater = alloc::live() - before;
        eprintln!("window {bits}: compressor {compressor} bytes, inflater {inflater} bytes");
        sizes.push((compressor, inflater));
    }
    // Bounds for the docs (measured: 245, 259 and 371 KiB for the compressor; 51 KiB for the
    // inflater, whatever the window, including the message's own growth).
    for (&(compressor, inflater), bits) in sizes.iter().zip([9, 12, 15]) {
        assert!(compressor < 400 << 10, "window {bits}: {compressor}");
        assert!(inflater < 64 << 10, "window {bits}: {inflater}");
    }
    assert!(sizes[0].0 < sizes[2].0);
}
