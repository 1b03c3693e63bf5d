//! Cost of `stemwise measure` per stereo frame (criterion): the streaming [`measure_file`]
//! side by side with the whole file decoded into memory first and then metered
//! ([`read_audio`] + [`measure_audio`], what `measure` did before it streamed), on the same
//! 60 s 24-bit stereo WAV at 48 kHz (read from the page cache after the first iteration).
//! Run: `cargo bench -p stemwise-cli --bench measure -- --noplot` (60 s in 135 ms streamed,
//! 155 ms in memory, on the 2-core CI machine).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shared_dsp::signals::{pink_noise, sine};
use std::hint::black_box;
use stemwise_cli::audio_file::{read_audio, write_wav, Audio, WavFormat};
use stemwise_cli::measure::{measure_audio, measure_file};

const RATE_HZ: u32 = 48_000;
const NUM_FRAMES: usize = 60 * RATE_HZ as usize;

fn bench_measure(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("programme.wav");
    let audio = Audio {
        sample_rate_hz: RATE_HZ,
        channels: vec![
            pink_noise(1, 0.3, NUM_FRAMES),
            sine(997.0, 0.3, f64::from(RATE_HZ), NUM_FRAMES, 0.0),
        ],
    };
    write_wav(&path, &audio, WavFormat::Int24, false).unwrap();
    drop(audio);

    let mut group = c.benchmark_group("measure_24bit_stereo_frames");
    group.throughput(Throughput::Elements(NUM_FRAMES as u64));
    group.sample_size(10);
    group.bench_function("streamed", |b| {
        b.iter(|| black_box(measure_file(&path).unwrap()))
    });
    group.bench_function("in_memory", |b| {
        b.iter(|| {
            let name = path.display().to_string();
            black_box(measure_audio(&name, &read_audio(&path).unwrap()).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_measure);
criterion_main!(benches);
