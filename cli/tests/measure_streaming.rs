//! `stemwise measure` streams: its peak memory does not depend on the file's length, and the
//! streamed readings are exactly those of the whole file measured in memory.

mod common;

use common::{assert_peak_bounded, run_with_peak_rss};
use std::path::Path;
use std::process::Command;
use stemwise_cli::audio_file::{read_audio, write_wav, Audio, WavFormat};
use stemwise_cli::measure::{measure_audio, measure_file};

/// Sample rate of the generated files, Hz.
const RATE_HZ: u32 = 48_000;

/// The bound the issue sets on `measure`'s peak memory, bytes.
const MAX_PEAK_RSS_BYTES: u64 = 64 << 20;

/// Full scale of 24-bit PCM.
const INT24_SCALE: f32 = 8_388_608.0;

/// One second of stereo programme at `gain`, as 24-bit frames: a sine on the left, the sine
/// plus white noise on the right.
fn one_second_int24(gain: f32, seed: u64) -> Vec<[i32; 2]> {
    let n = RATE_HZ as usize;
    let sine = shared_dsp::signals::sine(997.0, 0.5 * gain, f64::from(RATE_HZ), n, 0.0);
    let noise = shared_dsp::signals::white_noise(seed, 0.3 * gain, n);
    let to_int = |x: f32| (x * INT24_SCALE).round() as i32;
    sine.iter()
        .zip(&noise)
        .map(|(&s, &w)| [to_int(s), to_int(s + w)])
        .collect()
}

/// Writes `seconds` of 24-bit stereo to `path` one second at a time (never the whole file in
/// memory), the level stepping every 7 s through four values 6 dB apart so the loudness range
/// is not trivial.
fn write_long_int24(path: &Path, seconds: usize) {
    let variants: Vec<_> = [0.5f32, 0.25, 0.125, 0.0625]
        .iter()
        .zip(1u64..)
        .map(|(&gain, seed)| one_second_int24(gain, seed))
        .collect();
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: RATE_HZ,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for second in 0..seconds {
        for frame in &variants[(second / 7) % variants.len()] {
            writer.write_sample(frame[0]).unwrap();
            writer.write_sample(frame[1]).unwrap();
        }
    }
    writer.finalize().unwrap();
}

/// `stemwise measure --json` on `path` in a child process: the JSON reading and the child's
/// peak memory, bytes.
fn measure_in_child(path: &Path) -> (serde_json::Value, u64) {
    let (code, stdout, peak_rss_bytes) = run_with_peak_rss(
        Command::new(env!("CARGO_BIN_EXE_stemwise"))
            .arg("measure")
            .arg("--json")
            .arg(path),
    );
    assert_eq!(code, 0, "stemwise measure failed on {}", path.display());
    (serde_json::from_str(&stdout).unwrap(), peak_rss_bytes)
}

#[test]
fn streamed_readings_equal_the_in_memory_readings() {
    let dir = tempfile::tempdir().unwrap();
    // 24-bit stereo at 48 kHz, 15 s (not a whole number of meter blocks).
    let int24 = dir.path().join("int24.wav");
    write_long_int24(&int24, 15);
    // Float 5-channel at 44.1 kHz, 9.5 s, channels of different content.
    let float = dir.path().join("float.wav");
    let n = 44_100 * 19 / 2;
    let audio = Audio {
        sample_rate_hz: 44_100,
        channels: (0..5u64)
            .map(|c| shared_dsp::signals::white_noise(c + 10, 0.1 * (c + 1) as f32, n))
            .collect(),
    };
    write_wav(&float, &audio, WavFormat::Float32, false).unwrap();

    for path in [&int24, &float] {
        let name = path.display().to_string();
        let streamed = measure_file(path).unwrap();
        let in_memory = measure_audio(&name, &read_audio(path).unwrap()).unwrap();
        assert_eq!(streamed, in_memory, "{name}");
        assert!(streamed.integrated_lufs.is_some(), "{streamed:?}");
    }
}

#[test]
fn a_long_file_is_measured_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 25 minutes of 24-bit stereo: 432 MB on disk, 576 MB as f32 in memory.
    let seconds = 25 * 60;
    let long = dir.path().join("long.wav");
    write_long_int24(&long, seconds);
    let short = dir.path().join("short.wav");
    write_long_int24(&short, 28);

    let (long_reading, long_rss_bytes) = measure_in_child(&long);
    let (short_reading, short_rss_bytes) = measure_in_child(&short);
    println!(
        "peak RSS: {} s file {:.1} MB, {} s file {:.1} MB",
        seconds,
        long_rss_bytes as f64 / 1048576.0,
        28,
        short_rss_bytes as f64 / 1048576.0
    );
    assert_peak_bounded(short_rss_bytes, long_rss_bytes, MAX_PEAK_RSS_BYTES);
    assert_eq!(long_reading["duration_s"], seconds as f64);
    // The level cycles every 28 s, so both files have the same maxima.
    for key in ["max_short_term_lufs", "true_peak_dbtp", "sample_peak_dbfs"] {
        assert_eq!(long_reading[key], short_reading[key], "{key}");
    }
    assert!(long_reading["integrated_lufs"].is_f64(), "{long_reading}");
}
