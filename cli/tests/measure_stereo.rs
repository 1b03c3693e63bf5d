//! `stemwise measure` stereo image (vinyl checks) end to end, against ffmpeg's `aphasemeter`
//! filter as an independent oracle, plus the warnings and mono files (not applicable).
//!
//! `aphasemeter` reports the mean over the samples of `2·l·r / (l² + r²)`, not Pearson's
//! correlation that stemwise reports (`Σl·r / √(Σl²·Σr²)`); the two agree at +1, −1 and 0.
//! For two equal-amplitude sines `φ` apart, aphasemeter's mean is `m = tan(π/4 − φ/2)`, so
//! Pearson's `cos φ = 2m / (1 + m²)`: the oracle this test compares with. Needs `ffmpeg`
//! (`apt-get install ffmpeg`).

use serde_json::Value;
use std::path::Path;
use std::process::Command;
use stemwise_cli::audio_file::{write_wav, Audio, WavFormat};

/// Sample rate of the test files, Hz.
const RATE_HZ: u32 = 48_000;

/// Writes `channels` as a 32-bit float WAV.
fn write(path: &Path, channels: Vec<Vec<f32>>) {
    let audio = Audio {
        sample_rate_hz: RATE_HZ,
        channels,
    };
    write_wav(path, &audio, WavFormat::Float32, false).unwrap();
}

/// `amplitude · sin(2π f t + phase)`, `seconds` long.
fn tone(freq_hz: f64, amplitude: f64, phase: f64, seconds: f64) -> Vec<f32> {
    let n = (seconds * f64::from(RATE_HZ)) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(RATE_HZ);
            (amplitude * (std::f64::consts::TAU * freq_hz * t + phase).sin()) as f32
        })
        .collect()
}

/// `stemwise measure` on `path` (with `--json` when `json`): exit code and standard output.
fn stemwise_measure(path: &Path, json: bool) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stemwise"));
    command.arg("measure");
    if json {
        command.arg("--json");
    }
    let out = command.arg(path).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// The `stereo` object of `stemwise measure --json`.
fn stereo_json(path: &Path) -> Value {
    let (code, stdout) = stemwise_measure(path, true);
    assert_eq!(code, 0, "{stdout}");
    let value: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    value["stereo"].clone()
}

/// ffmpeg's `aphasemeter` reading over the whole file (one frame of `num_frames` samples).
fn aphasemeter(path: &Path, num_frames: usize) -> f64 {
    let filter =
        format!("asetnsamples=n={num_frames}:p=0,aphasemeter=video=0,ametadata=mode=print:file=-");
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args(["-af", &filter, "-f", "null", "-"])
        .output()
        .expect("ffmpeg is needed for this test: apt-get install ffmpeg");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let values: Vec<f64> = text
        .lines()
        .filter_map(|l| l.strip_prefix("lavfi.aphasemeter.phase="))
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(values.len(), 1, "{text}");
    values[0]
}

#[test]
fn correlation_agrees_with_ffmpeg_aphasemeter() {
    let dir = tempfile::tempdir().unwrap();
    let seconds = 2.0;
    let num_frames = (seconds * f64::from(RATE_HZ)) as usize;
    println!("phase  stemwise   ffmpeg m  2m/(1+m²)  cos φ");
    for degrees in [0.0f64, 20.0, 45.0, 70.0, 90.0, 110.0, 135.0, 160.0, 180.0] {
        let phi = degrees.to_radians();
        let path = dir.path().join(format!("phase{degrees}.wav"));
        write(
            &path,
            vec![
                tone(750.0, 0.5, 0.0, seconds),
                tone(750.0, 0.5, phi, seconds),
            ],
        );
        let ours = stereo_json(&path)["correlation"].as_f64().unwrap();
        let m = aphasemeter(&path, num_frames);
        let oracle = 2.0 * m / (1.0 + m * m);
        println!(
            "{degrees:5.0}  {ours:+.5}  {m:+.5}  {oracle:+.5}  {:+.5}",
            phi.cos()
        );
        // ffmpeg accumulates in single precision over 96 000 samples: 1e-3.
        assert!(
            (ours - oracle).abs() < 1e-3,
            "{degrees}°: {ours} vs {oracle}"
        );
    }
}

#[test]
fn identical_opposite_and_independent_channels_against_ffmpeg() {
    let dir = tempfile::tempdir().unwrap();
    let seconds = 5.0;
    let num_frames = (seconds * f64::from(RATE_HZ)) as usize;
    let noise = |seed: u64| shared_dsp::signals::white_noise(seed, 0.5, num_frames);
    let a = noise(100);
    let cases = [
        ("identical", a.clone(), 1.0),
        ("opposite", a.iter().map(|x| -x).collect(), -1.0),
        ("independent", noise(333), 0.0),
    ];
    // Independent channels: both estimators have a spread of 1/√N about 0.
    let tolerance = 4.0 / (num_frames as f64).sqrt();
    for (name, right, expected) in cases {
        let path = dir.path().join(format!("{name}.wav"));
        write(&path, vec![a.clone(), right]);
        let ours = stereo_json(&path)["correlation"].as_f64().unwrap();
        let m = aphasemeter(&path, num_frames);
        println!("{name}: stemwise {ours:+.5}, ffmpeg {m:+.5}");
        assert!((ours - expected).abs() < tolerance, "{name}: {ours}");
        assert!((m - expected).abs() < tolerance, "{name}: ffmpeg {m}");
    }
}

#[test]
fn lf_anti_phase_and_sustained_hf_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let seconds = 3.0;
    let bass = tone(60.0, 0.3, 0.0, seconds);
    let hiss = tone(12_000.0, 0.3, 0.0, seconds);
    let left: Vec<f32> = bass.iter().zip(&hiss).map(|(b, h)| b + h).collect();
    let right: Vec<f32> = bass.iter().zip(&hiss).map(|(b, h)| h - b).collect();
    let path = dir.path().join("hard_to_cut.wav");
    write(&path, vec![left, right]);
    let stereo = stereo_json(&path);
    println!("{stereo}");
    assert!(stereo["lf_correlation"].as_f64().unwrap() < -0.999);
    assert!(stereo["lf_antiphase_s"].as_f64().unwrap() > 2.9);
    assert!(stereo["hf_stress_s"].as_f64().unwrap() > 2.0);
    let warnings = stereo["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    let (code, text) = stemwise_measure(&path, false);
    assert_eq!(code, 0);
    assert!(text.contains("WARNING LF anti-phase"), "{text}");
    assert!(text.contains("WARNING sustained HF"), "{text}");

    let clean = dir.path().join("clean.wav");
    write(&clean, vec![bass.clone(), bass]);
    let stereo = stereo_json(&clean);
    assert_eq!(stereo["warnings"].as_array().unwrap().len(), 0);
    assert_eq!(stereo["lf_negative_share"].as_f64(), Some(0.0));
}

#[test]
fn mono_files_report_the_stereo_image_as_not_applicable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mono.wav");
    write(&path, vec![tone(100.0, 0.5, 0.0, 1.0)]);
    assert_eq!(stereo_json(&path), Value::Null);
    let (code, text) = stemwise_measure(&path, false);
    assert_eq!(code, 0);
    assert!(
        text.contains("stereo image: not applicable (1 channel)"),
        "{text}"
    );
}
