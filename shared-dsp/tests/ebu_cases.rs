//! EBU Tech 3341 (cases "cal", 1–23) and Tech 3342 (cases 1–6) minimum-requirement tests,
//! with the signals generated in code from `shared/ebu-cases.json` (its "conventions" define
//! levels, phases, fades and the 192 kHz synthesis of cases 20–23) and the expected values
//! and tolerances read from it. Prints one table row per measured value.
//! Run: `cargo test -p shared-dsp --profile harness --test ebu_cases -- --nocapture`.

use serde_json::Value;
use shared_dsp::loudness::{LoudnessMeter, LoudnessReadings};
use shared_dsp::true_peak::measure_true_peak_db;
use std::f64::consts::TAU;

/// The rate of every EBU test signal.
const FS: f64 = 48_000.0;
/// Analysis block for "constant after" and "max per segment" cases: one 5 ms meter slice.
const FINE_BLOCK: usize = 240;

/// One row of the printed table.
struct Row {
    /// "3341 #5 I" and the like.
    label: String,
    /// Value the specification asks for.
    expected: f64,
    /// What the meter read.
    measured: f64,
    /// Allowed `measured - expected` below zero (positive number).
    minus: f64,
    /// Allowed `measured - expected` above zero.
    plus: f64,
}

impl Row {
    fn passes(&self) -> bool {
        let e = self.measured - self.expected;
        e >= -self.minus - 1e-9 && e <= self.plus + 1e-9
    }
}

/// Cases 9 and 12: `repeats` × (`durations_s.0` at −20 dBFS, `durations_s.1` at −30 dBFS);
/// the lowest and highest `reading` from `from_s` on.
fn alternating_min_max(
    repeats: usize,
    durations_s: (f64, f64),
    from_s: f64,
    reading: impl Fn(&LoudnessReadings) -> f32,
) -> (f64, f64) {
    let segs: Vec<(f64, Option<f64>)> = (0..repeats)
        .flat_map(|_| [(durations_s.0, Some(-20.0)), (durations_s.1, Some(-30.0))])
        .collect();
    let x = tone_segments(&segs);
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    stereo_run(&x, FINE_BLOCK, |t, r| {
        if t >= from_s - 1e-9 {
            lo = lo.min(reading(r) as f64);
            hi = hi.max(reading(r) as f64);
        }
    });
    (lo, hi)
}

fn seconds(s: f64) -> usize {
    (s * FS).round() as usize
}

/// 1 kHz tone segments `(duration_s, level_dbfs or None for silence)`: phase continuous across
/// level steps, restarting at phase 0 after silence.
fn tone_segments(segments: &[(f64, Option<f64>)]) -> Vec<f32> {
    let mut out = Vec::new();
    let mut phase_n = 0usize;
    for &(dur, level) in segments {
        let n = seconds(dur);
        match level {
            Some(db) => {
                let amp = 10f64.powf(db / 20.0);
                out.extend(
                    (0..n).map(|i| (amp * (TAU * 1000.0 * (phase_n + i) as f64 / FS).sin()) as f32),
                );
                phase_n += n;
            }
            None => {
                out.extend(std::iter::repeat_n(0.0, n));
                phase_n = 0;
            }
        }
    }
    out
}

/// Linear fade-in and fade-out of `fade_n` samples each, in place.
fn fade(x: &mut [f32], fade_n: usize) {
    let len = x.len();
    for i in 0..fade_n {
        let g = i as f32 / fade_n as f32;
        x[i] *= g;
        x[len - 1 - i] *= g;
    }
}

/// Runs a fresh meter over `channels` in blocks of `block`, calling `each` after every block
/// with the time (s) at its end; returns the final readings.
fn run(
    channels: &[&[f32]],
    block: usize,
    mut each: impl FnMut(f64, &LoudnessReadings),
) -> LoudnessReadings {
    let mut meter = LoudnessMeter::new(FS, block, channels.len());
    let len = channels[0].len();
    let mut start = 0;
    while start < len {
        let end = (start + block).min(len);
        let blk: Vec<&[f32]> = channels.iter().map(|c| &c[start..end]).collect();
        meter.process_block(&blk);
        each(end as f64 / FS, &meter.readings());
        start = end;
    }
    meter.readings()
}

fn stereo_run(
    x: &[f32],
    block: usize,
    each: impl FnMut(f64, &LoudnessReadings),
) -> LoudnessReadings {
    run(&[x, x], block, each)
}

/// Stereo sine `amp·sin(2πn/k + phase)`, 3.2 s, 10 ms fades (cases 15–19).
fn tp_sine(k: f64, amp: f64, phase_deg: f64) -> Vec<f32> {
    let mut x: Vec<f32> = (0..seconds(3.2))
        .map(|n| (amp * (TAU * n as f64 / k + phase_deg.to_radians()).sin()) as f32)
        .collect();
    fade(&mut x, seconds(0.01));
    x
}

/// Modified Bessel I0 by its series (for the Kaiser window of the synthesis filter).
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term) = (1.0, 1.0);
    for k in 1..80 {
        term *= 0.5 * x / k as f64;
        sum += term * term;
    }
    sum
}

/// Cases 20–23 per the conventions: at 192 kHz an fs/6 (8 kHz) sine at 0.5 holding one
/// period of fs/4 (12 kHz) at 1.0 (starting on a zero crossing of the 8 kHz sine, mid-file),
/// 10 ms fades, Kaiser FIR (1023 taps, 23.5 kHz, β 12), decimated by 4 at `offset`.
/// Returns the 48 kHz signal and the peak of the filtered 192 kHz signal (the reference).
fn synthesised_tp_case(offset: usize) -> (Vec<f32>, f64) {
    let fs4 = 4.0 * FS;
    let n = (3.2 * fs4) as usize;
    let burst_start = (n / 2) / 24 * 24;
    let mut x: Vec<f64> = (0..n)
        .map(|i| {
            if (burst_start..burst_start + 16).contains(&i) {
                (TAU * 12_000.0 * (i - burst_start) as f64 / fs4).sin()
            } else {
                0.5 * (TAU * 8_000.0 * i as f64 / fs4).sin()
            }
        })
        .collect();
    let fade_n = (0.01 * fs4) as usize;
    for i in 0..fade_n {
        let g = i as f64 / fade_n as f64;
        x[i] *= g;
        x[n - 1 - i] *= g;
    }
    let taps = 1023;
    let half = (taps / 2) as f64;
    let fc = 23_500.0 / fs4;
    let mut h: Vec<f64> = (0..taps)
        .map(|i| {
            let t = i as f64 - half;
            let sinc = if t == 0.0 {
                2.0 * fc
            } else {
                (TAU * fc * t).sin() / (std::f64::consts::PI * t)
            };
            let r = t / half;
            sinc * bessel_i0(12.0 * (1.0 - r * r).max(0.0).sqrt()) / bessel_i0(12.0)
        })
        .collect();
    let dc: f64 = h.iter().sum();
    h.iter_mut().for_each(|c| *c /= dc);
    let filtered_at = |m: usize| -> f64 {
        // Zero-phase: output m is centred on input m.
        let lo = m as isize - half as isize;
        h.iter()
            .enumerate()
            .filter_map(|(j, c)| {
                let idx = lo + j as isize;
                (idx >= 0 && (idx as usize) < n).then(|| c * x[idx as usize])
            })
            .sum()
    };
    let out: Vec<f32> = (offset..n)
        .step_by(4)
        .map(|m| filtered_at(m) as f32)
        .collect();
    let reference = (burst_start - 64..burst_start + 80)
        .map(|m| filtered_at(m).abs())
        .fold(0.0, f64::max);
    (out, 20.0 * reference.log10())
}

fn expected_values(case: &Value) -> Vec<f64> {
    match &case["expected"] {
        Value::Array(a) => a.iter().map(|v| v.as_f64().unwrap()).collect(),
        v => vec![v.as_f64().unwrap()],
    }
}

#[test]
fn ebu_tech_3341_and_3342_cases() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/ebu-cases.json");
    let text = std::fs::read_to_string(path).expect("read shared/ebu-cases.json");
    let spec: Value = serde_json::from_str(&text).expect("parse ebu-cases.json");
    let mut rows: Vec<Row> = Vec::new();

    for case in spec["cases"].as_array().unwrap() {
        let is_3342 = case["standard"].as_str().unwrap().contains("3342");
        let id = match &case["case"] {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let expected = expected_values(case);
        let tol = &case["tolerance"];
        let (minus, plus) = (
            tol["minus"].as_f64().unwrap(),
            tol["plus"].as_f64().unwrap(),
        );
        let mut push = |what: &str, exp: f64, measured: f64| {
            let standard = if is_3342 { "3342" } else { "3341" };
            rows.push(Row {
                label: format!("{standard} #{id} {what}"),
                expected: exp,
                measured,
                minus,
                plus,
            });
        };
        let e0 = expected[0];
        let definition = case["definition"].as_str().unwrap();
        if definition.starts_with("Authentic programme") {
            println!(
                "SKIPPED Tech {} case {id} ({definition}): EBU's programme file is not \
                 available; the differential test against the ebur128 crate covers programme \
                 material.",
                if is_3342 { "3342" } else { "3341" }
            );
            continue;
        }
        match (is_3342, id.as_str()) {
            (false, "cal") => {
                let x = tone_segments(&[(20.0, Some(-18.0))]);
                push(
                    "I",
                    e0,
                    stereo_run(&x, 4800, |_, _| {}).integrated_lufs as f64,
                );
            }
            (false, "1" | "2") => {
                let db = if id == "1" { -23.0 } else { -33.0 };
                let x = tone_segments(&[(20.0, Some(db))]);
                let r = stereo_run(&x, 4800, |_, _| {});
                push("M", e0, r.momentary_lufs as f64);
                push("S", e0, r.short_term_lufs as f64);
                push("I", e0, r.integrated_lufs as f64);
            }
            (false, "3" | "4" | "5") => {
                let segs: &[(f64, Option<f64>)] = match id.as_str() {
                    "3" => &[
                        (10.0, Some(-36.0)),
                        (60.0, Some(-23.0)),
                        (10.0, Some(-36.0)),
                    ],
                    "4" => &[
                        (10.0, Some(-72.0)),
                        (10.0, Some(-36.0)),
                        (60.0, Some(-23.0)),
                        (10.0, Some(-36.0)),
                        (10.0, Some(-72.0)),
                    ],
                    _ => &[
                        (20.0, Some(-26.0)),
                        (20.1, Some(-20.0)),
                        (20.0, Some(-26.0)),
                    ],
                };
                let x = tone_segments(segs);
                push(
                    "I",
                    e0,
                    stereo_run(&x, 4800, |_, _| {}).integrated_lufs as f64,
                );
            }
            (false, "6") => {
                let chans: Vec<Vec<f32>> = [-28.0, -28.0, -24.0, -30.0, -30.0]
                    .iter()
                    .map(|&db| tone_segments(&[(20.0, Some(db))]))
                    .collect();
                let refs: Vec<&[f32]> = chans.iter().map(|c| c.as_slice()).collect();
                push(
                    "I (5.0)",
                    e0,
                    run(&refs, 4800, |_, _| {}).integrated_lufs as f64,
                );
            }
            (false, "9") => {
                let (lo, hi) = alternating_min_max(5, (1.34, 1.66), 3.0, |r| r.short_term_lufs);
                push("S min after 3 s", e0, lo);
                push("S max after 3 s", e0, hi);
            }
            (false, "12") => {
                let (lo, hi) = alternating_min_max(25, (0.18, 0.22), 1.0, |r| r.momentary_lufs);
                push("M min after 1 s", e0, lo);
                push("M max after 1 s", e0, hi);
            }
            (false, "10" | "13") => {
                let (step, tone, what) = if id == "10" {
                    (0.15, 3.0, "max S")
                } else {
                    (0.02, 0.4, "max M")
                };
                for i in 0..20 {
                    let x =
                        tone_segments(&[(i as f64 * step, None), (tone, Some(-23.0)), (1.0, None)]);
                    let r = stereo_run(&x, 4800, |_, _| {});
                    let m = if id == "10" {
                        r.max_short_term_lufs
                    } else {
                        r.max_momentary_lufs
                    };
                    push(&format!("{what} file {i}"), e0, m as f64);
                }
            }
            (false, "11" | "14") => {
                let (step, tone, seg_s, what) = if id == "11" {
                    (0.15, 3.0, 6.0, "max S")
                } else {
                    (0.02, 0.4, 0.8, "max M")
                };
                let segs: Vec<(f64, Option<f64>)> = (0..20)
                    .flat_map(|i| {
                        [
                            (i as f64 * step, None),
                            (tone, Some(-38.0 + i as f64)),
                            (tone - i as f64 * step, None),
                        ]
                    })
                    .collect();
                let x = tone_segments(&segs);
                let mut maxima = [f64::NEG_INFINITY; 20];
                stereo_run(&x, FINE_BLOCK, |t, r| {
                    let seg = (((t - 1e-9) / seg_s) as usize).min(19);
                    let v = if id == "11" {
                        r.short_term_lufs
                    } else {
                        r.momentary_lufs
                    };
                    maxima[seg] = maxima[seg].max(v as f64);
                });
                for (i, (&m, &e)) in maxima.iter().zip(&expected).enumerate() {
                    push(&format!("{what} segment {i}"), e, m);
                }
            }
            (false, "15" | "16" | "17" | "18" | "19") => {
                let (k, amp, phase) = match id.as_str() {
                    "15" => (4.0, 0.5, 0.0),
                    "16" => (4.0, 0.5, 45.0),
                    "17" => (6.0, 0.5, 60.0),
                    "18" => (8.0, 0.5, 67.5),
                    _ => (4.0, 10f64.powf(3.0 / 20.0), 45.0),
                };
                let x = tp_sine(k, amp, phase);
                let r = stereo_run(&x, 4800, |_, _| {});
                push("max TP (meter 4x)", e0, r.max_true_peak_dbtp as f64);
                push(
                    "max TP (oracle 16x)",
                    e0,
                    measure_true_peak_db(&[&x, &x], FS, 16) as f64,
                );
            }
            (false, "20" | "21" | "22" | "23") => {
                let offset: usize = id.parse::<usize>().unwrap() - 20;
                let (x, reference_db) = synthesised_tp_case(offset);
                let r = stereo_run(&x, 4800, |_, _| {});
                push("max TP (meter 4x)", e0, r.max_true_peak_dbtp as f64);
                push(
                    "max TP (oracle 16x)",
                    e0,
                    measure_true_peak_db(&[&x, &x], FS, 16) as f64,
                );
                push("peak of 192 kHz synthesis", e0, reference_db);
            }
            (true, "1" | "2" | "3" | "4") => {
                let segs: &[(f64, Option<f64>)] = match id.as_str() {
                    "1" => &[(20.0, Some(-20.0)), (20.0, Some(-30.0))],
                    "2" => &[(20.0, Some(-20.0)), (20.0, Some(-15.0))],
                    "3" => &[(20.0, Some(-40.0)), (20.0, Some(-20.0))],
                    _ => &[
                        (20.0, Some(-50.0)),
                        (20.0, Some(-35.0)),
                        (20.0, Some(-20.0)),
                        (20.0, Some(-35.0)),
                        (20.0, Some(-50.0)),
                    ],
                };
                let x = tone_segments(segs);
                push("LRA", e0, stereo_run(&x, 4800, |_, _| {}).lra_lu as f64);
            }
            other => panic!("case {other:?} of ebu-cases.json has no generator"),
        }
    }

    println!(
        "{:<36} {:>9} {:>9} {:>8}  tol",
        "case", "expected", "measured", "error"
    );
    for r in &rows {
        println!(
            "{:<36} {:>9.3} {:>9.3} {:>+8.3}  -{}/+{} {}",
            r.label,
            r.expected,
            r.measured,
            r.measured - r.expected,
            r.minus,
            r.plus,
            if r.passes() { "ok" } else { "FAIL" }
        );
    }
    let failures: Vec<&str> = rows
        .iter()
        .filter(|r| !r.passes())
        .map(|r| r.label.as_str())
        .collect();
    assert!(rows.len() > 100, "only {} rows measured", rows.len());
    assert!(failures.is_empty(), "out of tolerance: {failures:?}");
}
