//! Cost of the gain stage per stereo frame (criterion): settled at −6 dB, and ramping (the
//! target flips between −6 dB and +6 dB every block, so the per-sample smoother always runs),
//! 48 kHz, 512-frame blocks.

mod common;

use common::{for_each_block, stereo_pink, FS, NUM_FRAMES};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use shared_dsp::gain::{GainSettings, GainStage};
use std::hint::black_box;

fn bench_gain(c: &mut Criterion) {
    let input = stereo_pink(NUM_FRAMES, 0.5);
    let [minus_6, plus_6] = [-6.0, 6.0].map(|gain_db| GainSettings {
        gain_db,
        ..GainSettings::default()
    });
    let mut group = c.benchmark_group("gain_stereo_frames");
    group.throughput(Throughput::Elements(NUM_FRAMES as u64));
    for (name, ramping) in [("settled", false), ("ramping", true)] {
        let mut gain = GainStage::new(FS as f32, minus_6);
        let mut flip = false;
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || input.clone(),
                |[l, r]| {
                    for_each_block(l, r, |block| {
                        if ramping {
                            flip = !flip;
                            gain.set_settings(if flip { plus_6 } else { minus_6 });
                        }
                        gain.process_block(block);
                    });
                    black_box(&*l);
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench_gain);
criterion_main!(benches);
