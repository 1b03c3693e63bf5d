//! `stemwise null-test` end to end: four synthetic stems and their exact sum written as WAV
//! files, deliveries broken on purpose, the built binary run on them. Each broken delivery
//! checks the exit status and that the diagnosis names the right stem file and cause.

#[path = "common/delivery.rs"]
mod delivery;

use serde_json::Value;
use shared_dsp::limiter::{Limiter, LimiterSettings};
use shared_dsp::resample::SampleRateConverter;
use shared_dsp::signals::{pink_noise, sine, transient_train};
use std::path::{Path, PathBuf};
use std::process::Command;
use stemwise_cli::audio_file::{write_wav, Audio, WavFormat};

/// Sample rate of the test files, Hz.
const RATE_HZ: u32 = 48_000;
/// Length of the test files, samples (8 s: short enough for a fast suite, longer than the
/// analyzer's offset-search window).
const LEN: usize = 8 * 48_000;
/// Stem file names, in delivery order.
const NAMES: [&str; 4] = ["drums.wav", "bass.wav", "keys.wav", "vocal.wav"];
const DRUMS: usize = 0;
const BASS: usize = 1;
const KEYS: usize = 2;
const VOCAL: usize = 3;

/// Planar stereo samples.
type Stem = Vec<Vec<f32>>;

/// Slow amplitude envelope `base + depth·sin(2π·rate·t)` at sample `n`.
fn envelope(n: usize, rate_hz: f64, base: f64, depth: f64) -> f32 {
    (base + depth * (std::f64::consts::TAU * rate_hz * n as f64 / f64::from(RATE_HZ)).sin()) as f32
}

/// Four distinct stereo stems: drum-like transients, an enveloped 55 Hz sine, an enveloped
/// chord of sines, and enveloped pink noise (a different seed per channel).
fn stems() -> Vec<Stem> {
    let fs = f64::from(RATE_HZ);
    let drums = transient_train(1, 0.4, fs, LEN, 0.5, 80.0);
    let bass = sine(55.0, 0.25, fs, LEN, 0.0);
    let chord: Vec<Vec<f32>> = [261.63, 329.63, 392.0]
        .iter()
        .map(|&f| sine(f, 0.06, fs, LEN, 0.3))
        .collect();
    let vocal = [pink_noise(9, 0.3, LEN), pink_noise(10, 0.3, LEN)];
    vec![
        vec![drums.clone(), drums.iter().map(|s| 0.9 * s).collect()],
        (0..2)
            .map(|_| {
                let b = bass.iter().enumerate();
                b.map(|(n, s)| s * envelope(n, 0.5, 0.6, 0.4)).collect()
            })
            .collect(),
        [0.7f32, 1.0]
            .iter()
            .map(|pan| {
                (0..LEN)
                    .map(|n| {
                        pan * envelope(n, 0.25, 0.5, 0.5) * chord.iter().map(|c| c[n]).sum::<f32>()
                    })
                    .collect()
            })
            .collect(),
        vocal
            .iter()
            .map(|c| {
                let e = c.iter().enumerate();
                e.map(|(n, s)| s * envelope(n, 3.0, 0.5, 0.5)).collect()
            })
            .collect(),
    ]
}

/// The f32 sum of `stems`, as the DAW bounced it.
fn mix(stems: &[Stem]) -> Stem {
    (0..2)
        .map(|ch| {
            (0..stems[0][ch].len())
                .map(|n| stems.iter().map(|s| s[ch][n]).sum())
                .collect()
        })
        .collect()
}

fn map(stem: &Stem, f: impl Fn(&[f32]) -> Vec<f32>) -> Stem {
    stem.iter().map(|c| f(c)).collect()
}

fn write(path: &Path, channels: &Stem, format: WavFormat) {
    write_at(path, RATE_HZ, channels, format);
}

fn write_at(path: &Path, sample_rate_hz: u32, channels: &Stem, format: WavFormat) {
    let audio = Audio {
        sample_rate_hz,
        channels: channels.clone(),
    };
    write_wav(path, &audio, format, false).unwrap();
}

/// Writes `mix.wav` and one file per delivered stem (name, audio) into `dir`; returns the
/// mix path and the stem paths.
fn write_delivery(
    dir: &Path,
    mix: &Stem,
    delivery: &[(&str, Stem)],
    format: WavFormat,
) -> (PathBuf, Vec<PathBuf>) {
    let mix_path = dir.join("mix.wav");
    write(&mix_path, mix, format);
    let paths = delivery
        .iter()
        .map(|(name, stem)| {
            let path = dir.join(name);
            write(&path, stem, format);
            path
        })
        .collect();
    (mix_path, paths)
}

/// The stems with their file names.
fn named(stems: Vec<Stem>) -> Vec<(&'static str, Stem)> {
    NAMES.into_iter().zip(stems).collect()
}

/// What one run of the binary produced.
struct Run {
    /// Exit status.
    code: i32,
    /// Standard output.
    stdout: String,
    /// Standard error.
    stderr: String,
}

fn stemwise(mix: &Path, stems: &[PathBuf], json: bool) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stemwise"));
    command.arg("null-test").arg("--mix").arg(mix).args(stems);
    if json {
        command.arg("--json");
    }
    let out = command.output().unwrap();
    let run = Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    eprintln!("exit {}\n{}{}", run.code, run.stdout, run.stderr);
    run
}

/// Runs the text report and the JSON report on a delivery; checks they agree on the exit
/// status and returns (exit status, text, JSON).
fn null_test(mix: &Stem, delivery: &[(&str, Stem)], format: WavFormat) -> (i32, String, Value) {
    let dir = tempfile::tempdir().unwrap();
    let (mix_path, stem_paths) = write_delivery(dir.path(), mix, delivery, format);
    let text = stemwise(&mix_path, &stem_paths, false);
    let json = stemwise(&mix_path, &stem_paths, true);
    assert_eq!(text.code, json.code);
    assert!(text.stderr.is_empty() && json.stderr.is_empty());
    let value: Value = serde_json::from_str(&json.stdout).unwrap();
    (text.code, text.stdout, value)
}

fn number(value: &Value, key: &str) -> f64 {
    value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} in {value}"))
}

/// The findings in the JSON report about stem file `name` (`None`: the whole delivery).
fn findings<'a>(value: &'a Value, name: Option<&str>) -> Vec<&'a Value> {
    value["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["stem"].as_str() == name)
        .collect()
}

/// The text report has a line naming `name` with `cause`.
fn line_names(text: &str, name: &str, cause: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with(&format!("  - {name}: ")) && l.contains(cause))
}

#[test]
fn exact_sum_passes() {
    let stems = stems();
    let (code, text, v) = null_test(&mix(&stems), &named(stems), WavFormat::Float32);
    assert_eq!(code, 0);
    assert!(
        text.starts_with("PASS: residual peak ") && text.contains(" (pass ≤ -60, fail > -40)\n"),
        "{text}"
    );
    assert!(text.contains("diagnosis: none"), "{text}");
    assert_eq!(v["verdict"], "pass");
    // The f32 sum of f32 stems is exact: the residual is zero or a rounding error.
    assert!(v["residual_peak_dbfs"]
        .as_f64()
        .is_none_or(|db| db < -120.0));
    assert!(number(&v, "sum_level_diff_db").abs() < 1e-4);
    assert_eq!(v["sum_within_tolerance"], true);
    assert_eq!(v["offset_samples"], 0);
    assert_eq!(v["polarity_inverted"], false);
    assert!(v["diagnoses"].as_array().unwrap().is_empty());
    assert_eq!(v["compared_samples"], LEN);
    for (stem, name) in v["stems"].as_array().unwrap().iter().zip(NAMES) {
        assert_eq!(stem["name"], name);
        assert_eq!(number(stem, "weight"), 1.0);
    }
}

#[test]
fn int24_delivery_passes_at_quantization_level() {
    let stems = stems();
    let (code, text, v) = null_test(&mix(&stems), &named(stems), WavFormat::Int24);
    assert_eq!(code, 0, "{text}");
    // Five independently rounded files: at most 2.5 LSB of 24 bits (−130 dBFS).
    let peak = number(&v, "residual_peak_dbfs");
    assert!((-140.0..-125.0).contains(&peak), "{peak}");
    assert!(v["diagnoses"].as_array().unwrap().is_empty());
}

/// The JSON report of a passing delivery that is late as a whole, with one stem cut short
/// after its last note and one with a long silent tail.
#[test]
fn json_report_of_a_late_delivery_with_short_and_long_stems() {
    let mut stems = stems();
    // The vocal ends after 5 s (in the mix too), and its file was cut there.
    for c in &mut stems[VOCAL] {
        c[5 * 48_000..].fill(0.0);
    }
    let reference = mix(&stems);
    let late = |s: &Stem| map(s, |c| [vec![0.0; 480], c.to_vec()].concat());
    let mut delivery: Vec<Stem> = stems.iter().map(late).collect();
    for c in &mut delivery[VOCAL] {
        c.truncate(480 + 5 * 48_000);
    }
    for c in &mut delivery[BASS] {
        c.resize(c.len() + 72_000, 0.0);
    }
    let (code, text, v) = null_test(&reference, &named(delivery), WavFormat::Float32);
    assert_eq!(code, 0, "{text}");
    println!("{v:#}");

    assert_eq!(v["verdict"], "pass");
    assert_eq!(v["sample_rate_hz"], RATE_HZ);
    assert_eq!(v["num_channels"], 2);
    assert_eq!(number(&v, "mix_duration_s"), 8.0);
    assert_eq!(
        (number(&v, "pass_dbfs"), number(&v, "fail_dbfs")),
        (-60.0, -40.0)
    );
    assert!(v["residual_peak_dbfs"].is_null() || number(&v, "residual_peak_dbfs") < -120.0);
    assert!(v["residual_rms_dbfs"].is_null() || number(&v, "residual_rms_dbfs") < -120.0);
    assert!(number(&v, "sum_level_diff_db").abs() < 1e-3);
    assert_eq!(number(&v, "sum_tolerance_db"), 0.1);
    assert_eq!(v["sum_within_tolerance"], true);
    assert_eq!(v["offset_samples"], 480);
    assert!((number(&v, "offset_ms") - 10.0).abs() < 1e-9);
    assert!(number(&v, "delivery_gain_db").abs() < 1e-3);
    assert_eq!(v["compared_samples"], LEN);

    let stems = v["stems"].as_array().unwrap();
    assert_eq!(stems.len(), 4);
    assert!(stems[DRUMS]["file"]
        .as_str()
        .unwrap()
        .ends_with("drums.wav"));
    assert!(stems[DRUMS]["length_note"].is_null());
    let vocal = &stems[VOCAL];
    assert!((number(vocal, "length_diff_s") + 2.99).abs() < 1e-9);
    let note = vocal["length_note"].as_str().unwrap();
    assert_eq!(
        note,
        "vocal.wav: 2.99 s shorter than the mix (padded with silence)"
    );
    assert!(text.contains(&format!("  - note: {note}\n")), "{text}");
    let bass_note = stems[BASS]["length_note"].as_str().unwrap();
    assert!(bass_note.starts_with("bass.wav: 1.51 s longer than the mix"));

    let diagnoses = v["diagnoses"].as_array().unwrap();
    assert_eq!(diagnoses.len(), 1, "{v}");
    let d = &diagnoses[0];
    assert!(d["stem"].is_null() && d["stem_index"].is_null());
    assert_eq!(d["cause"], "offset");
    assert_eq!(d["offset_samples"], 480);
    assert!(d["gain_db"].is_null());
    assert!(number(d, "confidence") > 0.9);
    assert!(d["message"]
        .as_str()
        .unwrap()
        .starts_with("all stems: offset by 480 samples (10.00 ms late"));
}

#[test]
fn inverted_stem_is_named() {
    let stems = stems();
    let reference = mix(&stems);
    let mut delivery = stems.clone();
    delivery[KEYS] = map(&stems[KEYS], |c| c.iter().map(|s| -s).collect());
    let (code, text, v) = null_test(&reference, &named(delivery), WavFormat::Float32);
    assert_eq!(code, 2);
    assert!(text.starts_with("FAIL: residual peak "), "{text}");
    assert!(line_names(&text, "keys.wav", "polarity inverted"), "{text}");
    let keys = findings(&v, Some("keys.wav"));
    assert_eq!(keys.len(), 1, "{v}");
    assert_eq!(keys[0]["cause"], "inverted");
    assert_eq!(keys[0]["stem_index"], KEYS);
    assert_eq!(v["diagnoses"].as_array().unwrap().len(), 1);
    assert!((number(&v["stems"][KEYS], "weight") + 1.0).abs() < 1e-3);
}

#[test]
fn offset_stem_is_named_with_its_lag() {
    let stems = stems();
    let reference = mix(&stems);
    let mut delivery = stems.clone();
    delivery[VOCAL] = map(&stems[VOCAL], |c| [&[0.0; 37][..], &c[..LEN - 37]].concat());
    let (code, text, v) = null_test(&reference, &named(delivery), WavFormat::Float32);
    assert_eq!(code, 2);
    assert!(
        line_names(&text, "vocal.wav", "offset by 37 samples (0.77 ms late)"),
        "{text}"
    );
    assert_eq!(v["offset_samples"], 0);
    let vocal = findings(&v, Some("vocal.wav"));
    assert!(vocal
        .iter()
        .any(|d| d["cause"] == "offset" && d["offset_samples"] == 37));
    assert_eq!(vocal.len(), v["diagnoses"].as_array().unwrap().len(), "{v}");
}

/// Scales stem `index` of the exact delivery by `db` and null-tests it.
fn gained(index: usize, db: f32) -> (i32, String, Value) {
    let stems = stems();
    let reference = mix(&stems);
    let mut delivery = stems.clone();
    let gain = 10f32.powf(db / 20.0);
    delivery[index] = map(&stems[index], |c| c.iter().map(|s| s * gain).collect());
    null_test(&reference, &named(delivery), WavFormat::Float32)
}

#[test]
fn gained_stem_is_named_with_its_level() {
    let (code, text, v) = gained(BASS, 0.5);
    assert_eq!(code, 2);
    assert!(
        line_names(&text, "bass.wav", "gained by +0.50 dB"),
        "{text}"
    );
    let bass = findings(&v, Some("bass.wav"));
    assert_eq!(bass.len(), 1, "{v}");
    assert_eq!(bass[0]["cause"], "gained");
    assert!((number(bass[0], "gain_db") - 0.5).abs() < 0.01);
    assert_eq!(v["diagnoses"].as_array().unwrap().len(), 1);
    assert_eq!(v["sum_within_tolerance"], false);
}

#[test]
fn small_gain_error_warns() {
    let (code, text, v) = gained(BASS, -0.08);
    assert_eq!(code, 1, "{text}");
    assert!(text.starts_with("WARN: residual peak -5"), "{text}");
    assert_eq!(v["verdict"], "warn");
    let peak = number(&v, "residual_peak_dbfs");
    assert!((-60.0..=-40.0).contains(&peak), "{peak}");
    assert!(
        line_names(&text, "bass.wav", "gained by -0.08 dB (quieter"),
        "{text}"
    );
    assert_eq!(v["sum_within_tolerance"], true);
}

#[test]
fn stem_left_out_of_the_delivery_is_reported_missing() {
    let stems = stems();
    let reference = mix(&stems);
    let delivery: Vec<(&str, Stem)> = named(stems)
        .into_iter()
        .filter(|(name, _)| *name != "keys.wav")
        .collect();
    let (code, text, v) = null_test(&reference, &delivery, WavFormat::Float32);
    assert_eq!(code, 2);
    assert!(
        text.contains("  - delivery: a stem (or effect return) seems to be missing"),
        "{text}"
    );
    let delivery_findings = findings(&v, None);
    assert_eq!(delivery_findings.len(), 1, "{v}");
    assert_eq!(delivery_findings[0]["cause"], "missing");
    assert_eq!(v["diagnoses"].as_array().unwrap().len(), 1);
    assert_eq!(v["sum_within_tolerance"], false);
}

#[test]
fn silent_stem_is_missing() {
    let stems = stems();
    let reference = mix(&stems);
    let mut delivery = stems.clone();
    delivery[BASS] = vec![vec![0.0; LEN]; 2];
    let (code, text, v) = null_test(&reference, &named(delivery), WavFormat::Float32);
    assert_eq!(code, 2);
    assert!(
        line_names(&text, "bass.wav", "missing (the file is silent)"),
        "{text}"
    );
    let bass = findings(&v, Some("bass.wav"));
    assert_eq!(bass.len(), 1, "{v}");
    assert_eq!(bass[0]["cause"], "missing");
    // The bass content of the mix is then left unexplained; no other stem is blamed.
    assert!(v["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["stem"] == "bass.wav" || d["cause"] == "unexplained"));
}

#[test]
fn stem_not_in_the_mix_is_missing() {
    let stems = stems();
    let reference = mix(&stems[1..]);
    let (code, text, v) = null_test(&reference, &named(stems), WavFormat::Float32);
    assert_eq!(code, 2);
    assert!(
        line_names(&text, "drums.wav", "missing (not in the mix)"),
        "{text}"
    );
    assert_eq!(findings(&v, Some("drums.wav"))[0]["cause"], "missing");
    assert_eq!(v["diagnoses"].as_array().unwrap().len(), 1, "{v}");
    assert!(number(&v["stems"][DRUMS], "weight").abs() < 0.1);
}

/// 48 kHz → 44.1 kHz → 48 kHz through the offline converter (time-aligned, same length).
fn round_trip_44k1(stem: &Stem) -> Stem {
    let channels: Vec<&[f32]> = stem.iter().map(Vec::as_slice).collect();
    let down = SampleRateConverter::new(RATE_HZ, 44_100, 2)
        .unwrap()
        .process(&channels);
    let down: Vec<&[f32]> = down.iter().map(Vec::as_slice).collect();
    SampleRateConverter::new(44_100, RATE_HZ, 2)
        .unwrap()
        .process(&down)
}

#[test]
fn resampled_stem_is_named() {
    let stems = stems();
    let reference = mix(&stems);
    let mut delivery = stems.clone();
    delivery[DRUMS] = round_trip_44k1(&stems[DRUMS]);
    assert_eq!(delivery[DRUMS][0].len(), LEN);
    let (code, text, v) = null_test(&reference, &named(delivery), WavFormat::Float32);
    assert_eq!(code, 2);
    assert!(line_names(&text, "drums.wav", "resampled"), "{text}");
    assert_eq!(findings(&v, Some("drums.wav"))[0]["cause"], "resampled");
    assert_eq!(v["diagnoses"].as_array().unwrap().len(), 1, "{v}");
    // Only the top band is lost: the level of the sum is still right.
    assert_eq!(v["sum_within_tolerance"], true);
}

/// The mix through a `Limiter` with its latency compensated, as a DAW bounce has it.
fn limited(mix: &Stem, settings: LimiterSettings) -> Stem {
    const BLOCK: usize = 4096;
    let mut limiter = Limiter::new(RATE_HZ as f32, BLOCK, 2);
    limiter.set_settings(settings);
    let latency = limiter.latency_samples();
    let mut out = map(mix, |c| [c, &vec![0.0; latency][..]].concat());
    let (left, right) = out.split_at_mut(1);
    for (l, r) in left[0].chunks_mut(BLOCK).zip(right[0].chunks_mut(BLOCK)) {
        limiter.process_block(&mut [l, r]);
    }
    map(&out, |c| c[latency..].to_vec())
}

/// Checks the report blames processing on the mix bus, and nothing else.
fn assert_mix_bus_processing(code: i32, text: &str, v: &Value) {
    assert_eq!(code, 2);
    assert!(
        line_names(text, "mix.wav", "processing left on the mix bus"),
        "{text}"
    );
    let diagnoses = v["diagnoses"].as_array().unwrap();
    assert_eq!(diagnoses.len(), 1, "{v}");
    assert_eq!(diagnoses[0]["cause"], "master_processing");
    assert!(diagnoses[0]["stem"].is_null());
}

#[test]
fn limiter_left_on_the_mix_bus_is_named() {
    let stems = stems();
    // Mix peaks at −3.1 dBFS; a −3 dBTP ceiling catches the inter-sample and loudest peaks.
    let settings = LimiterSettings {
        ceiling_db: -3.0,
        ..LimiterSettings::default()
    };
    let reference = limited(&mix(&stems), settings);
    let (code, text, v) = null_test(&reference, &named(stems), WavFormat::Float32);
    assert_mix_bus_processing(code, &text, &v);
}

#[test]
fn clipper_left_on_the_mix_bus_is_named() {
    let stems = stems();
    let sum = mix(&stems);
    let ceiling = 0.7 * sum.iter().flatten().fold(0.0f32, |m, s| m.max(s.abs()));
    let clipped = map(&sum, |c| {
        c.iter().map(|s| s.clamp(-ceiling, ceiling)).collect()
    });
    let (code, text, v) = null_test(&clipped, &named(stems), WavFormat::Float32);
    assert_mix_bus_processing(code, &text, &v);
    // A clipper touches few samples: the level of the sum is still right.
    assert_eq!(v["sum_within_tolerance"], true);
}

/// Runs the binary on files that cannot be compared: exit 3, nothing on standard output,
/// every problem on standard error.
fn bad_input(mix: &Path, stems: &[PathBuf]) -> String {
    for json in [false, true] {
        let run = stemwise(mix, stems, json);
        assert_eq!(run.code, 3);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
    stemwise(mix, stems, false).stderr
}

#[test]
fn unreadable_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let stems = stems();
    let (mix_path, mut paths) =
        write_delivery(dir.path(), &mix(&stems), &named(stems), WavFormat::Float32);
    let garbage = dir.path().join("garbage.wav");
    std::fs::write(&garbage, b"RIFF\x10\0\0\0WAVEnot really audio").unwrap();
    paths[KEYS] = dir.path().join("nokeys.wav");
    paths[VOCAL] = garbage.clone();
    let stderr = bad_input(&mix_path, &paths);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].contains("nokeys.wav: cannot open"), "{stderr}");
    assert!(
        lines[1].contains("garbage.wav: not a supported audio file"),
        "{stderr}"
    );

    let stderr = bad_input(&dir.path().join("nomix.wav"), &paths[..2]);
    assert!(stderr.contains("nomix.wav: cannot open"), "{stderr}");
}

#[test]
fn rate_and_channel_mismatches_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let stems = stems();
    let (mix_path, mut paths) = write_delivery(
        dir.path(),
        &mix(&stems),
        &named(stems.clone()),
        WavFormat::Float32,
    );
    let at_44k1 = dir.path().join("bass-44k1.wav");
    write_at(&at_44k1, 44_100, &stems[BASS], WavFormat::Float32);
    let mono = dir.path().join("keys-mono.wav");
    write(&mono, &stems[KEYS][..1].to_vec(), WavFormat::Int24);
    paths[BASS] = at_44k1;
    paths[KEYS] = mono;
    let stderr = bad_input(&mix_path, &paths);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].contains("bass-44k1.wav: sample rate 44100 Hz does not match the mix")
            && lines[0].contains("mix.wav: 48000 Hz"),
        "{stderr}"
    );
    assert!(
        lines[1].contains("keys-mono.wav: 1 channel(s) does not match the mix")
            && lines[1].contains("2 channel(s)"),
        "{stderr}"
    );
}

// Former analyzer shortcomings (shared-dsp/src/null_test): a late loudest stem, a limiter
// with drive, a broadband stem absent from the mix.

/// A late stem is named even when it is the loudest: the whole-delivery offset is the one
/// most stems agree on, not the one the most energy agrees on.
#[test]
fn late_dominant_stem_is_the_one_named() {
    let stems = stems();
    let reference = mix(&stems);
    let mut delivery = stems.clone();
    delivery[BASS] = map(&stems[BASS], |c| [&[0.0; 37][..], &c[..LEN - 37]].concat());
    let (code, _, v) = null_test(&reference, &named(delivery), WavFormat::Float32);
    assert_eq!(code, 2);
    assert_eq!(v["offset_samples"], 0);
    let bass = findings(&v, Some("bass.wav"));
    assert!(bass.iter().any(|d| d["offset_samples"] == 37), "{v}");
    assert_eq!(v["diagnoses"].as_array().unwrap().len(), 1, "{v}");
}

#[test]
fn one_sample_late_stem_is_named() {
    let stems = stems();
    let reference = mix(&stems);
    let mut delivery = stems.clone();
    delivery[DRUMS] = map(&stems[DRUMS], |c| [&[0.0; 1][..], &c[..LEN - 1]].concat());
    let (code, text, v) = null_test(&reference, &named(delivery), WavFormat::Float32);
    assert_ne!(code, 0, "{text}");
    assert_eq!(v["offset_samples"], 0, "{v}");
    let drums = findings(&v, Some("drums.wav"));
    assert!(drums.iter().any(|d| d["offset_samples"] == 1), "{v}");
    assert_eq!(v["diagnoses"].as_array().unwrap().len(), 1, "{v}");
}

/// A limiter with drive: a single gain explains most of the residual, and what it leaves is
/// level dependent, so the mix bus is blamed rather than every stem for a gain error.
#[test]
fn limiter_with_drive_is_processing_not_stem_gains() {
    let stems = stems();
    for drive_db in [2.0, 3.0, 4.0] {
        let settings = LimiterSettings {
            ceiling_db: -1.0,
            drive_db,
            ..LimiterSettings::default()
        };
        let reference = limited(&mix(&stems), settings);
        let (code, text, v) = null_test(&reference, &named(stems.clone()), WavFormat::Float32);
        assert_mix_bus_processing(code, &text, &v);
    }
}

/// A pink-noise stem that is not in the mix is named missing, and its noise does not tip the
/// whole-delivery offset or the other stems' lags by a sample.
#[test]
fn pink_noise_stem_not_in_the_mix_is_only_missing() {
    let stems = stems();
    let reference = mix(&stems[..VOCAL]);
    let (code, _, v) = null_test(&reference, &named(stems), WavFormat::Float32);
    assert_eq!(code, 2);
    assert_eq!(v["offset_samples"], 0, "{v}");
    assert_eq!(findings(&v, Some("vocal.wav"))[0]["cause"], "missing");
    assert_eq!(v["diagnoses"].as_array().unwrap().len(), 1, "{v}");
}

/// The CLI decodes files to disk and the analysis reads them from there a stretch at a time:
/// on deliveries with different faults the result equals the analysis of the same files in
/// memory, field for field.
#[test]
fn files_analysed_from_disk_give_the_in_memory_result() {
    let mut missing = vec![delivery::RIGHT; delivery::NUM_STEMS];
    missing[6].missing = true;
    let mut all_late = vec![
        delivery::Fault {
            late_samples: 100,
            ..delivery::RIGHT
        };
        delivery::NUM_STEMS
    ];
    all_late[0].gain = 0.5;
    for (what, faults) in [
        ("gained and late", delivery::gained_and_late()),
        ("one left out", missing),
        ("all late, one halved", all_late),
        ("right", vec![delivery::RIGHT; delivery::NUM_STEMS]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (mix_path, stem_paths) = delivery::write_delivery(dir.path(), 12, &faults);
        let settings = shared_dsp::null_test::NullSettings::default();
        let from_disk = stemwise_cli::null_test::null_test_files(
            &mix_path,
            &stem_paths,
            &settings,
            stemwise_cli::progress::Progress::new(false),
        )
        .unwrap();
        let load = |path: &PathBuf| stemwise_cli::null_test::Input {
            file: path.display().to_string(),
            audio: stemwise_cli::audio_file::read_audio(path).unwrap(),
        };
        let stems: Vec<stemwise_cli::null_test::Input> = stem_paths.iter().map(load).collect();
        let in_memory =
            stemwise_cli::null_test::null_test(&load(&mix_path), &stems, &settings).unwrap();
        assert_eq!(from_disk, in_memory, "{what}");
        assert_eq!(
            !from_disk.diagnoses.is_empty(),
            what != "right",
            "{what}: {from_disk:?}"
        );
    }
}
