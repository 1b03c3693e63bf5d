//! Cost of the saturation per stereo frame (criterion) at 2× and 4× oversampling: 9 dB drive,
//! a little bias, 12 kHz tone and a 50 % dry/wet mix, on pink noise peaking at −6 dBFS,
//! 48 kHz, 512-frame blocks.

mod common;

use common::{for_each_block, saturation_settings, stereo_pink, BLOCK_FRAMES, FS, NUM_FRAMES};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use shared_dsp::oversampling::OversamplingFactor;
use shared_dsp::saturation::Saturation;
use std::hint::black_box;

fn bench_saturation(c: &mut Criterion) {
    let input = stereo_pink(NUM_FRAMES, 0.5);
    let mut group = c.benchmark_group("saturation_stereo_frames");
    group.throughput(Throughput::Elements(NUM_FRAMES as u64));
    for (name, oversampling) in [
        ("oversampling_2x", OversamplingFactor::X2),
        ("oversampling_4x", OversamplingFactor::X4),
    ] {
        let mut saturation = Saturation::new(FS as f32, BLOCK_FRAMES, 2);
        saturation.set_settings(saturation_settings(oversampling));
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || input.clone(),
                |[l, r]| {
                    for_each_block(l, r, |block| saturation.process_block(block));
                    black_box(&*l);
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench_saturation);
criterion_main!(benches);
