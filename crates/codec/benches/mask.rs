//! Masking throughput next to `copy_from_slice` of the same buffer, at 64 B to 1 MiB.
//!
//! `cargo bench -p sockeye-codec --bench mask`. The ratio of the two throughputs in one run is
//! the figure to read; absolute numbers vary with the machine.

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sockeye_codec::{apply_mask, apply_mask_at, extend_masked};

fn mask_vs_memcpy(c: &mut Criterion) {
    let mut group = c.benchmark_group("mask");
    for size in [64usize, 1024, 64 * 1024, 1024 * 1024] {
        group.throughput(Throughput::Bytes(size as u64));
        let src = vec![0x5au8; size];
        let mut dst = vec![0u8; size];
        group.bench_with_input(BenchmarkId::new("apply_mask", size), &size, |b, _| {
            b.iter(|| apply_mask(black_box(&mut dst), black_box([0x12, 0x34, 0x56, 0x78])));
        });
        group.bench_with_input(BenchmarkId::new("copy_from_slice", size), &size, |b, _| {
            b.iter(|| black_box(&mut dst).copy_from_slice(black_box(&src)));
        });
        // Unmasking on the way into a message: two passes, or one.
        let mut message = Vec::with_capacity(size);
        group.bench_with_input(BenchmarkId::new("extend_then_mask", size), &size, |b, _| {
            b.iter(|| {
                message.clear();
                message.extend_from_slice(black_box(&src));
                apply_mask_at(&mut message, black_box([0x12, 0x34, 0x56, 0x78]), 1);
                black_box(&message);
            });
        });
        group.bench_with_input(BenchmarkId::new("extend_masked", size), &size, |b, _| {
            b.iter(|| {
                message.clear();
                extend_masked(
                    &mut message,
                    black_box(&src),
                    black_box([0x12, 0x34, 0x56, 0x78]),
                    1,
                );
                black_box(&message);
            });
        });
    }
    group.finish();
}

criterion_group!(benches, mask_vs_memcpy);
criterion_main!(benches);
