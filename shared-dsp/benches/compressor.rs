//! Cost of the compressor per stereo frame (criterion): ratio 2, threshold −20 dB, default
//! knee/attack/release and full stereo link, with the peak and the RMS detector, on pink noise
//! peaking at −3 dBFS (so it keeps compressing), 48 kHz, 512-frame blocks.

mod common;

use common::{compressor_settings, for_each_block, stereo_pink, FS, NUM_FRAMES};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use shared_dsp::compressor::{Compressor, Detector};
use std::hint::black_box;

fn bench_compressor(c: &mut Criterion) {
    let input = stereo_pink(NUM_FRAMES, 0.7);
    let mut group = c.benchmark_group("compressor_stereo_frames");
    group.throughput(Throughput::Elements(NUM_FRAMES as u64));
    for (name, detector) in [("peak", Detector::Peak), ("rms", Detector::Rms)] {
        let mut compressor = Compressor::new(FS as f32, common::BLOCK_FRAMES, 2);
        compressor.set_settings(compressor_settings(detector));
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || input.clone(),
                |[l, r]| {
                    for_each_block(l, r, |block| compressor.process_block(block));
                    black_box(&*l);
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench_compressor);
criterion_main!(benches);
