//! Cost of offline sample-rate conversion per input stereo frame (criterion): 10 s of pink
//! noise converted as a whole file, 48 kHz → 44.1 kHz and 44.1 kHz → 48 kHz. Planning the
//! converter (FFT set-up) is not timed.

mod common;

use common::stereo_pink;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use shared_dsp::resample::SampleRateConverter;

fn bench_resample(c: &mut Criterion) {
    let mut group = c.benchmark_group("resample_whole_file_input_stereo_frames");
    group.sample_size(10);
    for (name, from_hz, to_hz) in [
        ("48k_to_44k1", 48_000, 44_100),
        ("44k1_to_48k", 44_100, 48_000),
    ] {
        let num_frames = 10 * from_hz as usize;
        let [left, right] = stereo_pink(num_frames, 0.5);
        group.throughput(Throughput::Elements(num_frames as u64));
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || SampleRateConverter::new(from_hz, to_hz, 2).unwrap(),
                |converter| converter.process(&[&left, &right]),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench_resample);
criterion_main!(benches);
