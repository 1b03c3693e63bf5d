//! Null-test analysis of 60 s of stereo at 48 kHz with 4 stems. Throughput is in sample
//! frames, so the realtime factor is the reported elements/s divided by 48 000.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shared_dsp::null_test::{analyze, NullSettings};
use shared_dsp::signals::{pink_noise, sine, transient_train};

const FS: f64 = 48_000.0;
const LEN: usize = 60 * 48_000;

fn stems() -> Vec<Vec<Vec<f32>>> {
    let chord: Vec<f32> = [261.63, 329.63, 392.0]
        .iter()
        .map(|&f| sine(f, 0.08, FS, LEN, 0.3))
        .fold(vec![0.0; LEN], |acc, s| {
            acc.iter().zip(&s).map(|(a, b)| a + b).collect()
        });
    [
        transient_train(1, 0.5, FS, LEN, 0.5, 80.0),
        sine(55.0, 0.3, FS, LEN, 0.0),
        chord,
        pink_noise(9, 0.3, LEN),
    ]
    .into_iter()
    .map(|x| vec![x.clone(), x.iter().map(|s| 0.9 * s).collect()])
    .collect()
}

fn bench(c: &mut Criterion) {
    let stems = stems();
    let mix: Vec<Vec<f32>> = (0..2)
        .map(|ch| {
            (0..LEN)
                .map(|n| stems.iter().map(|s| s[ch][n]).sum())
                .collect()
        })
        .collect();
    let reference: Vec<&[f32]> = mix.iter().map(Vec::as_slice).collect();
    let mut broken = stems.clone();
    for channel in &mut broken[1] {
        channel.iter_mut().for_each(|s| *s *= 1.06);
    }
    let settings = NullSettings::default();

    let mut group = c.benchmark_group("null_test_60s_stereo_4_stems");
    group.sample_size(10);
    group.throughput(Throughput::Elements(LEN as u64));
    for (name, delivery) in [("exact_pass", &stems), ("gained_stem_diagnosed", &broken)] {
        let channels: Vec<Vec<&[f32]>> = delivery
            .iter()
            .map(|s| s.iter().map(Vec::as_slice).collect())
            .collect();
        let delivery: Vec<&[&[f32]]> = channels.iter().map(Vec::as_slice).collect();
        group.bench_function(name, |b| {
            b.iter(|| analyze(black_box(&reference), black_box(&delivery), FS, &settings))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
