//! permessage-deflate throughput and compression ratio on a text-heavy JSON feed: 256
//! distinct messages of about 2 KB, compressed in sequence as one connection would, with and
//! without context takeover, at levels 1 and 6; and inflating the same feed.
//!
//! `cargo bench -p sockeye-deflate --bench deflate`. Throughput is uncompressed bytes per
//! second; the compression ratios (wire bytes / message bytes) are printed to stderr first.

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sockeye_deflate::{
    codec::{OpCode, RSV1},
    Deflate, Extension, Mode,
};

/// A feed of JSON updates: the same keys every time, values that change.
fn feed() -> Vec<Vec<u8>> {
    (0..256u32)
        .map(|n| {
            let mut s = format!(r#"{{"type":"update","seq":{n},"items":["#);
            for i in 0..16u32 {
                let k = n.wrapping_mul(31).wrapping_add(i * 17);
                if i > 0 {
                    s.push(',');
                }
                s.push_str(&format!(
                    r#"{{"id":{},"name":"instrument-{}","bid":{}.{:02},"ask":{}.{:02},"volume":{},"status":"{}"}}"#,
                    k % 1000,
                    k % 97,
                    100 + k % 50,
                    k % 100,
                    101 + k % 50,
                    (k * 7) % 100,
                    k * 13 % 100_000,
                    if k % 3 == 0 { "open" } else { "halted" },
                ));
            }
            s.push_str("]}");
            s.into_bytes()
        })
        .collect()
}

/// A client and a server that agreed, with or without context takeover both ways.
fn agreed(takeover: bool, level: u32) -> (Deflate, Deflate) {
    let mut client = Deflate::new(Mode::Client);
    client
        .set_server_no_context_takeover(!takeover)
        .set_client_no_context_takeover(!takeover);
    let mut server = Deflate::new(Mode::Server);
    server.configure(client.params()).unwrap();
    client.configure(server.params()).unwrap();
    server.set_compression_level(level).unwrap();
    (client, server)
}

/// The feed as the server sends it, one compressed payload per message.
fn compress_all(server: &mut Deflate, feed: &[Vec<u8>]) -> Vec<Vec<u8>> {
    feed.iter()
        .map(|m| {
            let mut out = Vec::new();
            assert_eq!(
                server.encode(OpCode::Text, m, &mut out).unwrap(),
                Some(RSV1)
            );
            out
        })
        .collect()
}

fn deflate(c: &mut Criterion) {
    let feed = feed();
    let total: usize = feed.iter().map(Vec::len).sum();
    let configs = [
        ("takeover/level6", true, 6),
        ("no_takeover/level6", false, 6),
        ("takeover/level1", true, 1),
        ("no_takeover/level1", false, 1),
    ];
    for (name, takeover, level) in configs {
        let (_, mut server) = agreed(takeover, level);
        let wire: usize = compress_all(&mut server, &feed).iter().map(Vec::len).sum();
        eprintln!(
            "ratio {name}: {wire} / {total} bytes = {:.3} ({:.1}x)",
            wire as f64 / total as f64,
            total as f64 / wire as f64
        );
    }

    let mut group = c.benchmark_group("deflate");
    group.throughput(Throughput::Bytes(total as u64));
    for (name, takeover, level) in configs {
        let (_, mut server) = agreed(takeover, level);
        let mut out = Vec::new();
        group.bench_function(format!("compress/{name}"), |b| {
            b.iter(|| {
                for m in &feed {
                    out.clear();
                    black_box(server.encode(OpCode::Text, black_box(m), &mut out).unwrap());
                }
            });
        });
    }
    for (name, takeover) in [("takeover", true), ("no_takeover", false)] {
        let (_, mut server) = agreed(takeover, 6);
        let wire = compress_all(&mut server, &feed);
        group.bench_function(format!("inflate/{name}"), |b| {
            b.iter_batched(
                || agreed(takeover, 6).0,
                |mut client| {
                    let mut data = Vec::new();
                    for w in &wire {
                        data.clear();
                        data.extend_from_slice(w);
                        client
                            .decode(RSV1, OpCode::Text, &mut data, 0, 1 << 20)
                            .unwrap();
                        black_box(&data);
                    }
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, deflate);
criterion_main!(benches);
