//! `stemwise measure` end to end: WAV files written to disk, the built binary run on them.

use serde_json::Value;
use std::path::Path;
use std::process::Command;
use stemwise_cli::audio_file::{write_wav, Audio, WavFormat};

/// Sample rate of the test files, Hz.
const RATE_HZ: u32 = 48_000;

/// Writes a stereo 1 kHz sine at `peak_dbfs` (EBU Tech 3341 case 1 at −23 dBFS).
fn write_sine(path: &Path, peak_dbfs: f64, seconds: f64) {
    let amplitude = 10f64.powf(peak_dbfs / 20.0);
    let n = (seconds * f64::from(RATE_HZ)) as usize;
    let channel: Vec<f32> = (0..n)
        .map(|i| (amplitude * (std::f64::consts::TAU * 1000.0 * i as f64 / 48_000.0).sin()) as f32)
        .collect();
    let audio = Audio {
        sample_rate_hz: RATE_HZ,
        channels: vec![channel.clone(), channel],
    };
    write_wav(path, &audio, WavFormat::Float32, false).unwrap();
}

/// Runs `stemwise measure --json` on `files`: exit code, one JSON value per measured file,
/// and standard error.
fn measure(files: &[&Path]) -> (i32, Vec<Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stemwise"))
        .arg("measure")
        .arg("--json")
        .args(files)
        .output()
        .unwrap();
    let values = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (
        out.status.code().unwrap(),
        values,
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn number(value: &Value, key: &str) -> f64 {
    value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} in {value}"))
}

#[test]
fn ebu_case_1_reads_minus_23_lufs_with_target_gains() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case1.wav");
    write_sine(&path, -23.0, 20.0);
    let (code, values, stderr) = measure(&[&path]);
    assert_eq!(code, 0, "{stderr}");
    let m = &values[0];
    println!("{m}");
    assert!((number(m, "integrated_lufs") + 23.0).abs() <= 0.1);
    assert!((number(m, "max_short_term_lufs") + 23.0).abs() <= 0.1);
    assert!((number(m, "max_momentary_lufs") + 23.0).abs() <= 0.1);
    assert!((number(m, "true_peak_dbtp") + 23.0).abs() <= 0.2);
    assert!((number(m, "sample_peak_dbfs") + 23.0).abs() <= 0.01);
    assert!(number(m, "lra_lu").abs() <= 1.0);
    assert!((number(m, "duration_s") - 20.0).abs() < 1e-9);
    let gain = |id: &str| {
        let t = m["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id);
        number(t.unwrap(), "gain_db")
    };
    // Spotify raises by 9 dB (22 dB of peak headroom); YouTube only turns down.
    assert!((gain("spotify") - 9.0).abs() <= 0.1);
    assert_eq!(gain("youtube"), 0.0);
    assert!(gain("ebu-r128").abs() <= 0.1);
}

#[test]
fn silence_has_undefined_loudness_not_a_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("silence.wav");
    write_sine(&path, -200.0, 5.0);
    let (code, values, stderr) = measure(&[&path]);
    assert_eq!(code, 0, "{stderr}");
    assert!(values[0]["integrated_lufs"].is_null());
    assert_eq!(number(&values[0], "lra_lu"), 0.0);
}

#[test]
fn bad_files_are_named_and_the_rest_still_measured() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.wav");
    write_sine(&good, -14.0, 4.0);
    let missing = dir.path().join("missing.wav");
    let garbage = dir.path().join("garbage.wav");
    std::fs::write(&garbage, b"RIFF\x10\0\0\0WAVEnot really audio").unwrap();
    let (code, values, stderr) = measure(&[&missing, &good, &garbage]);
    assert_eq!(code, 3);
    assert_eq!(values.len(), 1);
    assert!(values[0]["file"].as_str().unwrap().ends_with("good.wav"));
    assert!(stderr.contains("missing.wav"), "{stderr}");
    assert!(stderr.contains("garbage.wav"), "{stderr}");
}
