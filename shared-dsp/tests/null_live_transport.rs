//! Meter transport between an audio thread and a GUI thread: the live null-test readings and
//! a spectrum-sized array go through `readings_channel`, a level through `ScalarMeter`. The
//! writer runs entirely under `assert_no_alloc`; no locks exist on either side.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use shared_dsp::meter_transport::{readings_channel, ScalarMeter};
use shared_dsp::null_test::{LiveNullReadings, LiveNullSettings, LiveNullTest, Verdict};
use shared_dsp::signals::white_noise;

#[global_allocator]
static ALLOCATOR: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;

const NUM_BLOCKS: usize = 20_000;

#[test]
fn writer_and_reader_threads_exchange_values_without_allocating() {
    let level = Arc::new(ScalarMeter::new(-200.0));
    let (mut array_writer, mut array_reader) = readings_channel([0.0f32; 64]);
    let done = Arc::new(AtomicBool::new(false));

    let writer_level = Arc::clone(&level);
    let writer_done = Arc::clone(&done);
    let writer = std::thread::spawn(move || {
        assert_no_alloc::assert_no_alloc(|| {
            for block in 1..=NUM_BLOCKS {
                // Every element carries the block number: a torn read would mix two.
                array_writer.publish([block as f32; 64]);
                writer_level.publish(block as f32);
            }
        });
        writer_done.store(true, Ordering::Release);
    });

    let (mut last_array, mut last_level, mut num_reads) = (0.0f32, -200.0f32, 0usize);
    loop {
        let finished = done.load(Ordering::Acquire);
        let array = array_reader.read();
        assert!(array.iter().all(|&v| v == array[0]), "torn array read");
        assert!(array[0] >= last_array, "array went back in time");
        let value = level.read();
        assert!(value >= last_level, "scalar went back in time");
        (last_array, last_level) = (array[0], value);
        num_reads += 1;
        if finished {
            break;
        }
    }
    writer.join().unwrap();
    assert_eq!(array_reader.read()[0], NUM_BLOCKS as f32);
    assert_eq!(level.read(), NUM_BLOCKS as f32);
    assert!(num_reads > 0);
}

#[test]
fn live_null_readings_travel_to_the_gui() {
    let fs = 48_000.0;
    let settings = LiveNullSettings {
        max_offset_ms: 20.0,
        min_window_ms: 200.0,
        ..LiveNullSettings::default()
    };
    let mut live = LiveNullTest::new(fs, 1, settings);
    let (mut writer, mut reader) = readings_channel(live.readings());
    let signal = white_noise(3, 0.5, 48_000);
    let late: Vec<f32> = [vec![0.0; 100], signal.clone()].concat();
    let audio = std::thread::spawn(move || {
        for (r, c) in signal.chunks(256).zip(late.chunks(256)) {
            assert_no_alloc::assert_no_alloc(|| {
                live.process_block(&[r], &[c]);
                writer.publish(live.readings());
            });
        }
    });
    audio.join().unwrap();
    let readings: LiveNullReadings = reader.read();
    assert!(readings.locked);
    assert_eq!(readings.offset_samples, 100);
    assert_eq!(readings.verdict, Some(Verdict::Pass));
}
