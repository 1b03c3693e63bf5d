//! Cost of the EQ per stereo frame (criterion): four bands (`common::eq_settings`: low shelf,
//! two bells, high shelf, all with non-zero gain) in minimum-phase and in linear-phase mode,
//! on pink noise at 48 kHz in 512-frame blocks. The parameter smoothing and the linear-phase
//! redesign have settled before timing starts.

mod common;

use common::{eq_settings, for_each_block, stereo_pink, BLOCK_FRAMES, FS, NUM_FRAMES};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use shared_dsp::eq::settings::PhaseMode;
use shared_dsp::eq::Eq;
use std::hint::black_box;

fn bench_eq(c: &mut Criterion) {
    let input = stereo_pink(NUM_FRAMES, 0.5);
    let mut group = c.benchmark_group("eq_stereo_frames");
    group.throughput(Throughput::Elements(NUM_FRAMES as u64));
    for (name, phase) in [
        ("4_band_minimum_phase", PhaseMode::Minimum),
        ("4_band_linear_phase", PhaseMode::Linear),
    ] {
        let mut eq = Eq::new(FS, BLOCK_FRAMES, 2);
        eq.set_settings(eq_settings(phase));
        // Let the smoothing and the linear-phase redesign settle.
        let [mut l, mut r] = input.clone();
        for_each_block(&mut l, &mut r, |block| eq.process_block(block));
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || input.clone(),
                |[l, r]| {
                    for_each_block(l, r, |block| eq.process_block(block));
                    black_box(&*l);
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench_eq);
criterion_main!(benches);
