//! Cost of the 3-band multiband compressor per stereo frame (criterion): crossovers at
//! 150/2500 Hz, every band compressing (ratio 2, threshold −40 dB, default knee, attack,
//! release, full stereo link, peak detector), on pink noise peaking at −3 dBFS, 48 kHz,
//! 512-frame blocks. Also the crossover alone (split only), for the split/compress ratio.
//! Criterion reports the time per 48 000-frame iteration: ns per stereo frame = time / 48 000
//! (the "thrpt" line gives frames per second).

mod common;

use common::{compressor_settings, for_each_block, stereo_pink, BLOCK_FRAMES, FS, NUM_FRAMES};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use shared_dsp::compressor::{CompressorSettings, Detector};
use shared_dsp::crossover::{Crossover, CrossoverSettings};
use shared_dsp::multiband::{MultibandCompressor, MultibandSettings};
use std::hint::black_box;

/// Every band compressing on the bench material.
fn all_bands_compressing() -> MultibandSettings {
    let band = CompressorSettings {
        threshold_db: -40.0,
        ..compressor_settings(Detector::Peak)
    };
    MultibandSettings {
        low_hz: 150.0,
        high_hz: 2500.0,
        bands: [band; 3],
    }
}

fn bench_multiband(c: &mut Criterion) {
    let input = stereo_pink(NUM_FRAMES, 0.7);
    let mut group = c.benchmark_group("multiband_stereo_frames");
    group.throughput(Throughput::Elements(NUM_FRAMES as u64));

    let mut multiband = MultibandCompressor::new(FS as f32, BLOCK_FRAMES, 2);
    multiband.set_settings(all_bands_compressing());
    multiband.reset();
    // Check the claim "all bands compressing" once on the material.
    let [mut l, mut r] = input.clone();
    for_each_block(&mut l, &mut r, |block| multiband.process_block(block));
    let reduction_db = multiband.gain_reduction_db();
    assert!(reduction_db.iter().all(|&g| g > 1.0), "{reduction_db:?}");
    group.bench_function("compress_3_bands", |b| {
        b.iter_batched_ref(
            || input.clone(),
            |[l, r]| {
                for_each_block(l, r, |block| multiband.process_block(block));
                black_box(&*l);
            },
            BatchSize::LargeInput,
        )
    });

    let mut crossover = Crossover::new(FS, CrossoverSettings::default());
    let mut bands: [[Vec<f32>; 2]; 3] =
        std::array::from_fn(|_| [vec![0.0; BLOCK_FRAMES], vec![0.0; BLOCK_FRAMES]]);
    group.bench_function("crossover_split_only", |b| {
        b.iter(|| {
            let [l, r] = &input;
            for (l, r) in l.chunks(BLOCK_FRAMES).zip(r.chunks(BLOCK_FRAMES)) {
                let n = l.len();
                let [lo, mi, hi] = &mut bands;
                let [lo_l, lo_r] = lo;
                let [mi_l, mi_r] = mi;
                let [hi_l, hi_r] = hi;
                crossover.split_block(
                    &[l, r],
                    &mut [&mut lo_l[..n], &mut lo_r[..n]],
                    &mut [&mut mi_l[..n], &mut mi_r[..n]],
                    &mut [&mut hi_l[..n], &mut hi_r[..n]],
                );
            }
            black_box(&bands);
        })
    });
    group.finish();
}

criterion_group!(benches, bench_multiband);
criterion_main!(benches);
