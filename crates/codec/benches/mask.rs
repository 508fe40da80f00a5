//! Masking throughput next to `copy_from_slice` of the same buffer, at 64 B to 1 MiB.
//!
//! `cargo bench -p sockeye-codec --bench mask`. The ratio of the two throughputs in one run is
//! the figure to read; absolute numbers vary with the machine.
//!
//! The source and destination start half a page apart (modulo 4 KiB), on purpose. Where they
//! fall otherwise depends on the allocator, and two 64 KiB vectors allocated one after the
//! other land 16 bytes apart modulo 4 KiB: on the AMD EPYC the benchmarks run on, glibc
//! 2.36's `memcpy` (`rep movsb`) copies such a pair at about 2 GiB/s instead of 33-42 GiB/s
//! at any other distance measured, which would make the baseline meaningless.

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sockeye_codec::{apply_mask, apply_mask_at, extend_masked};

fn mask_vs_memcpy(c: &mut Criterion) {
    let mut group = c.benchmark_group("mask");
    for size in [64usize, 1024, 64 * 1024, 1024 * 1024] {
        group.throughput(Throughput::Bytes(size as u64));
        let (mut src_buf, mut dst_buf) = (vec![0x5au8; size + PAGE], vec![0u8; size + 2 * PAGE]);
        let src: &[u8] = page_aligned(&mut src_buf, 0, size);
        let dst = page_aligned(&mut dst_buf, PAGE / 2, size);
        group.bench_with_input(BenchmarkId::new("apply_mask", size), &size, |b, _| {
            b.iter(|| apply_mask(black_box(&mut *dst), black_box([0x12, 0x34, 0x56, 0x78])));
        });
        group.bench_with_input(BenchmarkId::new("copy_from_slice", size), &size, |b, _| {
            b.iter(|| black_box(&mut *dst).copy_from_slice(black_box(src)));
        });
        // Unmasking on the way into a message: two passes, or one.
        let mut message = Vec::with_capacity(size);
        group.bench_with_input(BenchmarkId::new("extend_then_mask", size), &size, |b, _| {
            b.iter(|| {
                message.clear();
                message.extend_from_slice(black_box(src));
                apply_mask_at(&mut message, black_box([0x12, 0x34, 0x56, 0x78]), 1);
                black_box(&message);
            });
        });
        group.bench_with_input(BenchmarkId::new("extend_masked", size), &size, |b, _| {
            b.iter(|| {
                message.clear();
                extend_masked(
                    &mut message,
                    black_box(src),
                    black_box([0x12, 0x34, 0x56, 0x78]),
                    1,
                );
                black_box(&message);
            });
        });
    }
    group.finish();
}

const PAGE: usize = 4096;

/// The `len` bytes of `buf` that start `offset` bytes past its first page boundary.
fn page_aligned(buf: &mut [u8], offset: usize, len: usize) -> &mut [u8] {
    // Not `align_offset`, which may return `usize::MAX` ("not computable").
    let start = (PAGE - buf.as_ptr() as usize % PAGE) % PAGE + offset;
    &mut buf[start..start + len]
}

criterion_group!(benches, mask_vs_memcpy);
criterion_main!(benches);
