//! Attack, release and RMS-window time constants against their one definition
//! (`shared_dsp::compressor::detector::smoothing_factor`: a step is covered to `1 − 1/e` after
//! exactly τ).

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
use shared_dsp::compressor::{Compressor, CompressorSettings, Detector, RMS_WINDOW_MS};

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

const FS: f32 = 48_000.0;
/// Allowed relative error of a measured time constant.
const TIME_TOLERANCE: f64 = 0.02;
/// Hard-knee ratio-20 curve with the threshold at −40 dBFS: 0 dBFS gives 38 dB of reduction.
const THRESHOLD_DB: f32 = -40.0;
const FULL_REDUCTION_DB: f64 = 38.0;

fn settings(attack_ms: f32, release_ms: f32, detector: Detector) -> CompressorSettings {
    CompressorSettings {
        threshold_db: THRESHOLD_DB,
        ratio: 20.0,
        knee_db: 0.0,
        attack_ms,
        release_ms,
        detector,
        ..CompressorSettings::default()
    }
}

/// Per-sample gain reduction in dB (from output/input) of a mono DC input whose level is
/// `levels[k]` for `lengths[k]` samples, processed in blocks of 64.
fn reduction_trace(settings: CompressorSettings, segments: &[(f32, usize)]) -> Vec<f64> {
    let mut compressor = Compressor::new(FS, 64, 1);
    compressor.set_settings(settings);
    compressor.reset();
    let input: Vec<f32> = segments
        .iter()
        .flat_map(|&(amplitude, length)| std::iter::repeat_n(amplitude, length))
        .collect();
    let mut output = input.clone();
    for chunk in output.chunks_mut(64) {
        assert_no_alloc(|| compressor.process_block(&mut [chunk]));
    }
    input
        .iter()
        .zip(&output)
        .map(|(&x, &y)| -20.0 * (f64::from(y) / f64::from(x)).log10())
        .collect()
}

/// Time in samples (counted from the first sample of the step, linearly interpolated) at which
/// `trace` first crosses `level` in the direction `rising`.
fn crossing_samples(trace: &[f64], level: f64, rising: bool) -> f64 {
    let crossed = |v: f64| if rising { v >= level } else { v <= level };
    let n = trace
        .iter()
        .position(|&v| crossed(v))
        .expect("never crossed");
    if n == 0 {
        return 0.0;
    }
    let previous = trace[n - 1];
    // Sample n is the (n + 1)-th sample of the step.
    (n - 1) as f64 + (level - previous) / (trace[n] - previous)
}

#[test]
fn attack_step_covers_63_percent_in_attack_time() {
    for attack_ms in [1.0f32, 5.0, 20.0, 80.0] {
        let quiet = 10f32.powf(-60.0 / 20.0);
        let length = (attack_ms * 48.0) as usize * 12;
        let trace = reduction_trace(
            settings(attack_ms, 100.0, Detector::Peak),
            &[(quiet, 100), (1.0, length)],
        );
        let level = FULL_REDUCTION_DB * (1.0 - (-1.0f64).exp());
        let measured_ms = (crossing_samples(&trace[100..], level, true) + 1.0) / 48.0;
        let error = measured_ms / f64::from(attack_ms) - 1.0;
        println!(
            "attack {attack_ms} ms: measured {measured_ms:.4} ms ({:+.3} %)",
            error * 100.0
        );
        assert!(
            error.abs() < TIME_TOLERANCE,
            "attack {attack_ms}: {measured_ms}"
        );
        assert!((trace.last().unwrap() - FULL_REDUCTION_DB).abs() < 0.01);
    }
}

#[test]
fn release_step_falls_to_1_over_e_in_release_time() {
    for release_ms in [20.0f32, 100.0, 500.0] {
        let quiet = 10f32.powf(-60.0 / 20.0);
        let length = (release_ms * 48.0) as usize * 4;
        let trace = reduction_trace(
            settings(0.1, release_ms, Detector::Peak),
            &[(1.0, 4800), (quiet, length)],
        );
        assert!((trace[4799] - FULL_REDUCTION_DB).abs() < 0.01);
        let level = FULL_REDUCTION_DB * (-1.0f64).exp();
        let measured_ms = (crossing_samples(&trace[4800..], level, false) + 1.0) / 48.0;
        let error = measured_ms / f64::from(release_ms) - 1.0;
        println!(
            "release {release_ms} ms: measured {measured_ms:.4} ms ({:+.3} %)",
            error * 100.0
        );
        assert!(
            error.abs() < TIME_TOLERANCE,
            "release {release_ms}: {measured_ms}"
        );
    }
}

/// With instant ballistics the reduction follows the RMS detector: a DC step from silence to
/// full scale reads `10·log10(1 − e^{−t/τ})` with τ = [`RMS_WINDOW_MS`], sample by sample.
#[test]
fn rms_window_follows_its_time_constant() {
    let length = (RMS_WINDOW_MS * 48.0) as usize * 6;
    let trace = reduction_trace(settings(0.0, 0.0, Detector::Rms), &[(1.0, length)]);
    let beta = 1.0 - (-1.0 / (f64::from(RMS_WINDOW_MS) * 48.0)).exp();
    let mut worst_db = 0.0f64;
    for (n, &reduction_db) in trace.iter().enumerate() {
        let mean_square = 1.0 - (1.0 - beta).powi(n as i32 + 1);
        let level_db = 10.0 * mean_square.log10();
        let expected_db = (0.95 * (level_db - f64::from(THRESHOLD_DB))).max(0.0);
        worst_db = worst_db.max((reduction_db - expected_db).abs());
    }
    println!("RMS window: worst deviation {worst_db:.6} dB");
    assert!(worst_db < 0.01, "{worst_db}");
    // The detected level reaches 10·log10(1 − 1/e) after τ.
    let level = 0.95 * (10.0 * (1.0 - (-1.0f64).exp()).log10() - f64::from(THRESHOLD_DB));
    let measured_ms = (crossing_samples(&trace, level, true) + 1.0) / 48.0;
    let error = measured_ms / f64::from(RMS_WINDOW_MS) - 1.0;
    println!(
        "RMS window: measured τ {measured_ms:.4} ms ({:+.3} %)",
        error * 100.0
    );
    assert!(error.abs() < TIME_TOLERANCE);
}
