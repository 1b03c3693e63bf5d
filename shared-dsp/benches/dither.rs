//! Cost of TPDF dither and quantisation to 16 bits per stereo frame (criterion), plain and
//! with second-order noise shaping, 48 kHz, 512-frame blocks.

mod common;

use common::{for_each_block, stereo_pink, BLOCK_FRAMES, FS, NUM_FRAMES};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use shared_dsp::dither::{Dither, DitherSettings, NoiseShaping};
use std::hint::black_box;

fn bench_dither(c: &mut Criterion) {
    let input = stereo_pink(NUM_FRAMES, 0.5);
    let mut group = c.benchmark_group("dither_16_bit_stereo_frames");
    group.throughput(Throughput::Elements(NUM_FRAMES as u64));
    for (name, shaping) in [
        ("tpdf", NoiseShaping::None),
        ("tpdf_second_order_shaping", NoiseShaping::SecondOrder),
    ] {
        let settings = DitherSettings {
            bits: 16,
            shaping,
            ..DitherSettings::default()
        };
        let mut dither = Dither::new(FS, BLOCK_FRAMES, 2, settings);
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || input.clone(),
                |[l, r]| {
                    for_each_block(l, r, |block| dither.process_block(block));
                    black_box(&*l);
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench_dither);
criterion_main!(benches);
