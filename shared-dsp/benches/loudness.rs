//! Cost of the loudness meter per stereo frame (criterion), side by side with the `ebur128`
//! crate (modes I | LRA | TRUE_PEAK) on the same 10 s of pink noise at 48 kHz in 512-frame
//! blocks, so one run gives the ratio. Each iteration resets, meters the whole programme and
//! reads integrated loudness, LRA and true peak at the end. The meter also computes momentary,
//! short-term and sample peak, which `ebur128` is not asked for.

mod common;

use common::{stereo_pink, BLOCK_FRAMES, FS};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ebur128::{EbuR128, Mode};
use shared_dsp::loudness::LoudnessMeter;
use std::hint::black_box;

/// 10 s: long enough for the LRA (short-term blocks from 3 s on) to take part.
const NUM_FRAMES: usize = 10 * 48_000;

fn bench_loudness(c: &mut Criterion) {
    let [left, right] = stereo_pink(NUM_FRAMES, 0.5);
    let blocks = || left.chunks(BLOCK_FRAMES).zip(right.chunks(BLOCK_FRAMES));
    let mut group = c.benchmark_group("loudness_i_lra_tp_stereo_frames");
    group.throughput(Throughput::Elements(NUM_FRAMES as u64));
    group.sample_size(20);

    let mut meter = LoudnessMeter::new(FS, BLOCK_FRAMES, 2);
    group.bench_function("stemwise_meter", |b| {
        b.iter(|| {
            meter.reset();
            for (l, r) in blocks() {
                meter.process_block(&[l, r]);
            }
            black_box(meter.readings())
        })
    });

    let mode = Mode::I | Mode::LRA | Mode::TRUE_PEAK;
    let mut ebu = EbuR128::new(2, FS as u32, mode).unwrap();
    group.bench_function("ebur128_crate", |b| {
        b.iter(|| {
            ebu.reset();
            for (l, r) in blocks() {
                ebu.add_frames_planar_f32(&[l, r]).unwrap();
            }
            black_box((
                ebu.loudness_global().unwrap(),
                ebu.loudness_range().unwrap(),
                ebu.true_peak(0).unwrap().max(ebu.true_peak(1).unwrap()),
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_loudness);
criterion_main!(benches);
