//! Cost of the session link: one publish per block (the Stem Strip's audio thread), a snapshot
//! of 8 and of 64 live strips (the Master Bus), and the K-weighted energy meter per block.

use criterion::{criterion_group, criterion_main, Criterion};
use session_link::{
    segment_path, BlockEnergyMeter, EnergyBlock, Publisher, Reader, StripName, StripState,
    TransportStamp,
};
use std::hint::black_box;

/// A unique session for this bench run.
fn session(tag: &str) -> String {
    format!("bench-{tag}-{}", std::process::id())
}

fn bench(c: &mut Criterion) {
    let state = StripState {
        name: StripName::new("Drums"),
        ..StripState::default()
    };
    let block = EnergyBlock::default();

    let name = session("publish");
    let mut publisher = Publisher::connect(&name).unwrap();
    c.bench_function("publish, no energy block", |b| {
        b.iter(|| publisher.publish(black_box(&state), &[]))
    });
    c.bench_function("publish, one energy block", |b| {
        b.iter(|| publisher.publish(black_box(&state), &[block]))
    });

    for count in [8, 64] {
        let name = session(&format!("read{count}"));
        let mut publishers: Vec<Publisher> = (0..count)
            .map(|_| Publisher::connect(&name).unwrap())
            .collect();
        for p in &mut publishers {
            p.publish(&state, &[block; 8]);
        }
        let reader = Reader::open(&name).unwrap();
        let mut out = Vec::with_capacity(64);
        c.bench_function(&format!("snapshot_into, {count} strips"), |b| {
            b.iter(|| {
                reader.snapshot_into(&mut out);
                assert_eq!(out.len(), count);
            })
        });
    }

    for tag in ["publish", "read8", "read64"] {
        let _ = std::fs::remove_file(segment_path(&session(tag)).unwrap());
    }

    let mut meter = BlockEnergyMeter::new(48_000.0);
    let x: Vec<f32> = (0..512).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
    c.bench_function("energy meter, 512 stereo frames", |b| {
        b.iter(|| {
            meter.process(&[black_box(&x), black_box(&x)], TransportStamp::default());
            black_box(meter.take_completed().len())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
