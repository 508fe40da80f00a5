//! Header decode and encode cost for the three length forms (7-bit, 16-bit and 64-bit
//! lengths: 2, 4 and 10 bytes before the mask), masked and unmasked.
//!
//! `cargo bench -p sockeye-codec --bench header`. Benchmark ids are
//! `header/{decode,encode}_{masked,unmasked}/<header bytes>`: 6, 8 and 14 bytes masked
//! (a server decoding client frames), 2, 4 and 10 unmasked (a client decoding server frames).

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use sockeye_codec::{decode_header, DecodeConfig, Header, Mode, OpCode, MAX_HEADER_BYTES};

fn header(c: &mut Criterion) {
    let mut group = c.benchmark_group("header");
    // One payload length per length form: 7-bit, 16-bit and 64-bit.
    for len in [16u64, 1024, 1 << 20] {
        for (masked, mode) in [(true, Mode::Server), (false, Mode::Client)] {
            let config = DecodeConfig::new(mode);
            let mut h = Header::new(OpCode::Binary);
            h.set_mask(masked.then_some([1, 2, 3, 4]))
                .set_payload_len(len);
            let mut wire = [0u8; MAX_HEADER_BYTES];
            let n = h.encode_to_array(&mut wire);
            assert_eq!(n, h.encoded_len());
            assert_eq!(decode_header(&wire[..n], &config), Ok(Some((h, n))));
            let kind = if masked { "masked" } else { "unmasked" };
            let id = format!("{n}B");
            group.bench_with_input(
                BenchmarkId::new(format!("decode_{kind}"), &id),
                &n,
                |b, _| {
                    b.iter(|| decode_header(black_box(&wire[..n]), black_box(&config)));
                },
            );
            group.bench_with_input(
                BenchmarkId::new(format!("encode_{kind}"), &id),
                &n,
                |b, _| {
                    let mut out = [0u8; MAX_HEADER_BYTES];
                    b.iter(|| black_box(&h).encode_to_array(black_box(&mut out)));
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, header);
criterion_main!(benches);
