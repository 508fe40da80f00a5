//! UTF-8 validation throughput: `validate_utf8` and `Utf8Validator` (the whole buffer in one
//! `feed`, and the buffer fed in 4 KiB pieces as reads deliver it) next to
//! `std::str::from_utf8`, on ASCII and on mixed multi-byte text, at 16 B to 1 MiB.
//!
//! `cargo bench -p sockeye-codec --bench utf8`. Each group holds the four contenders for one
//! kind of text, so the ratio to `std` at each size is read off one run.

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sockeye_codec::{validate_utf8, Utf8Validator};

/// The piece size for the chunked validator: a typical socket read.
const CHUNK: usize = 4096;

const SIZES: [usize; 4] = [16, 1024, 64 * 1024, 1024 * 1024];

/// `size` bytes of ASCII prose.
fn ascii(size: usize) -> Vec<u8> {
    let text = "The quick brown fox jumps over the lazy dog; 0123456789. ";
    text.bytes().cycle().take(size).collect()
}

/// `size` bytes of Greek, CJK, emoji and some ASCII (1, 2, 3 and 4-byte characters), padded
/// with spaces where the next character would not fit. Chunk boundaries fall mid-character.
fn mixed(size: usize) -> Vec<u8> {
    let text = "κόσμε 中文字符 😀🦀 naïve Ελληνικά 日本語のテキスト 🎉 ok ";
    let mut out = String::with_capacity(size);
    for ch in text.chars().cycle() {
        if out.len() + ch.len_utf8() > size {
            break;
        }
        out.push(ch);
    }
    while out.len() < size {
        out.push(' ');
    }
    out.into_bytes()
}

fn validate(c: &mut Criterion, name: &str, make: fn(usize) -> Vec<u8>) {
    let mut group = c.benchmark_group(format!("utf8_{name}"));
    for size in SIZES {
        let data = make(size);
        assert_eq!(data.len(), size);
        assert!(std::str::from_utf8(&data).is_ok());
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("std_from_utf8", size), &data, |b, data| {
            b.iter(|| std::str::from_utf8(black_box(data)).is_ok());
        });
        group.bench_with_input(BenchmarkId::new("validate_utf8", size), &data, |b, data| {
            b.iter(|| validate_utf8(black_box(data)).is_ok());
        });
        group.bench_with_input(
            BenchmarkId::new("validator_whole", size),
            &data,
            |b, data| {
                b.iter(|| {
                    let mut v = Utf8Validator::new();
                    v.feed(black_box(data)).and_then(|()| v.finish()).is_ok()
                });
            },
        );
        group.bench_with_input(
            BenchmarkId::new("validator_4KiB_chunks", size),
            &data,
            |b, data| {
                b.iter(|| {
                    let mut v = Utf8Validator::new();
                    for piece in black_box(data).chunks(CHUNK) {
                        if v.feed(piece).is_err() {
                            return false;
                        }
                    }
                    v.finish().is_ok()
                });
            },
        );
    }
    group.finish();
}

fn utf8(c: &mut Criterion) {
    validate(c, "ascii", ascii);
    validate(c, "mixed", mixed);
}

criterion_group!(benches, utf8);
criterion_main!(benches);
