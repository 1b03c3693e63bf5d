//! Cost of the true-peak limiter per stereo frame (criterion), on loud material that keeps it
//! limiting, on material below the ceiling, and on denormal input.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use shared_dsp::limiter::{Limiter, LimiterSettings};
use shared_dsp::signals::{pink_noise, white_noise};
use std::hint::black_box;

/// Frames per host block in the bench.
const BLOCK_FRAMES: usize = 512;
/// Frames per iteration.
const NUM_FRAMES: usize = 48_000;

fn bench_limiter(c: &mut Criterion) {
    let fs = 48_000.0;
    let cases = [
        (
            "limiting_pink_12db",
            pink_noise(1, 1.0, NUM_FRAMES),
            pink_noise(2, 1.0, NUM_FRAMES),
            12.0,
        ),
        (
            "below_ceiling",
            white_noise(3, 0.1, NUM_FRAMES),
            white_noise(4, 0.1, NUM_FRAMES),
            0.0,
        ),
        (
            "denormal_input",
            vec![1e-39; NUM_FRAMES],
            vec![-1e-39; NUM_FRAMES],
            0.0,
        ),
    ];
    let mut group = c.benchmark_group("limiter_stereo_frames");
    group.throughput(Throughput::Elements(NUM_FRAMES as u64));
    for (name, left, right, drive_db) in cases {
        let mut limiter = Limiter::new(fs, BLOCK_FRAMES, 2);
        limiter.set_settings(LimiterSettings {
            drive_db,
            ..LimiterSettings::default()
        });
        let (mut l, mut r) = (left.clone(), right.clone());
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                l.copy_from_slice(&left);
                r.copy_from_slice(&right);
                for (lc, rc) in l.chunks_mut(BLOCK_FRAMES).zip(r.chunks_mut(BLOCK_FRAMES)) {
                    limiter.process_block(&mut [lc, rc]);
                }
                black_box(&l);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_limiter);
criterion_main!(benches);
