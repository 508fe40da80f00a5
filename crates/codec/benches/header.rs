//! Header decode and encode cost for the three length forms.
//!
//! `cargo bench -p sockeye-codec --bench header`.

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use sockeye_codec::{decode_header, DecodeConfig, Header, Mode, OpCode, MAX_HEADER_BYTES};

fn header(c: &mut Criterion) {
    let mut group = c.benchmark_group("header");
    let config = DecodeConfig::new(Mode::Server);
    for len in [16u64, 1024, 1 << 20] {
        let mut h = Header::new(OpCode::Binary);
        h.set_mask(Some([1, 2, 3, 4])).set_payload_len(len);
        let mut wire = [0u8; MAX_HEADER_BYTES];
        let n = h.encode_to_array(&mut wire);
        group.bench_with_input(BenchmarkId::new("decode", len), &len, |b, _| {
            b.iter(|| decode_header(black_box(&wire[..n]), black_box(&config)));
        });
        group.bench_with_input(BenchmarkId::new("encode", len), &len, |b, _| {
            let mut out = [0u8; MAX_HEADER_BYTES];
            b.iter(|| black_box(&h).encode_to_array(black_box(&mut out)));
        });
    }
    group.finish();
}

criterion_group!(benches, header);
criterion_main!(benches);
