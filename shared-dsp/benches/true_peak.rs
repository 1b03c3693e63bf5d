//! Cost of the streaming true-peak detector per stereo frame (criterion) at the BS.1770
//! oversampling for 48 kHz (4×) and at the 16× oracle grade, on pink noise in 512-frame
//! blocks.

mod common;

use common::{stereo_pink, BLOCK_FRAMES, FS, NUM_FRAMES};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shared_dsp::true_peak::{bs1770_oversampling, TruePeakDetector};
use std::hint::black_box;

fn bench_true_peak(c: &mut Criterion) {
    let [left, right] = stereo_pink(NUM_FRAMES, 0.9);
    let mut group = c.benchmark_group("true_peak_stereo_frames");
    group.throughput(Throughput::Elements(NUM_FRAMES as u64));
    for (name, oversampling) in [("bs1770_4x", bs1770_oversampling(FS)), ("oracle_16x", 16)] {
        let mut detector = TruePeakDetector::new(FS, 2, oversampling);
        group.bench_function(name, |b| {
            b.iter(|| {
                let blocks = left.chunks(BLOCK_FRAMES).zip(right.chunks(BLOCK_FRAMES));
                let peak = blocks.fold(0.0f32, |m, (l, r)| m.max(detector.process_block(&[l, r])));
                black_box(peak)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_true_peak);
criterion_main!(benches);
