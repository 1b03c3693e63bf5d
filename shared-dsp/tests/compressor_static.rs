//! Static curve of the compressor against Giannoulis, Massberg, Reiss (JAES 2012), eq. (4),
//! <https://www.eecs.qmul.ac.uk/~josh/documents/2012/GiannoulisMassbergReiss-dynamicrangecompression-JAES2012.pdf>,
//! written out here independently in `f64` as the oracle.

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
use shared_dsp::compressor::{Compressor, CompressorSettings, Detector};
use shared_dsp::eq::section::Coefficients;

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

const FS: f32 = 48_000.0;
/// Largest allowed deviation from the formula, dB.
const TOLERANCE_DB: f64 = 0.05;

/// Output level of eq. (4) for input level `x` dB, threshold `t`, ratio `r`, knee width `w`
/// (`w = 0` is the hard knee, whose knee branch is empty).
fn oracle_output_db(x: f64, t: f64, r: f64, w: f64) -> f64 {
    if 2.0 * (x - t) < -w || (w == 0.0 && x <= t) {
        x
    } else if 2.0 * (x - t).abs() <= w {
        x + (1.0 / r - 1.0) * (x - t + w / 2.0).powi(2) / (2.0 * w)
    } else {
        t + (x - t) / r
    }
}

fn process(compressor: &mut Compressor, channels: &mut [&mut [f32]]) {
    assert_no_alloc(|| compressor.process_block(channels));
}

/// Steady-state gain in dB of a stereo DC input at `level_db` (sign alternating per channel).
fn dc_gain_db(settings: CompressorSettings, level_db: f64) -> f64 {
    let mut compressor = Compressor::new(FS, 512, 2);
    compressor.set_settings(settings);
    compressor.reset();
    let amplitude = 10f64.powf(level_db / 20.0) as f32;
    let mut left = vec![amplitude; 512];
    let mut right = vec![-amplitude; 512];
    for _ in 0..10 {
        left.fill(amplitude);
        right.fill(-amplitude);
        process(&mut compressor, &mut [&mut left, &mut right]);
    }
    assert_eq!(left[511], -right[511]);
    20.0 * (f64::from(left[511]) / f64::from(amplitude)).log10()
}

fn fast_settings(ratio: f32, knee_db: f32, detector: Detector) -> CompressorSettings {
    CompressorSettings {
        threshold_db: -30.0,
        ratio,
        knee_db,
        attack_ms: 0.5,
        release_ms: 0.5,
        detector,
        makeup_db: 0.0,
        ..CompressorSettings::default()
    }
}

#[test]
fn static_curve_matches_eq4_over_minus_60_to_0_dbfs() {
    for detector in [Detector::Peak, Detector::Rms] {
        let mut worst_db = 0.0f64;
        for ratio in [1.2f32, 1.5, 2.0, 4.0, 10.0] {
            for knee_db in [0.0f32, 6.0, 12.0] {
                let settings = fast_settings(ratio, knee_db, detector);
                for step in 0..=120 {
                    let level_db = -60.0 + 0.5 * f64::from(step);
                    let expected_db =
                        oracle_output_db(level_db, -30.0, ratio.into(), knee_db.into()) - level_db;
                    let error_db = (dc_gain_db(settings, level_db) - expected_db).abs();
                    worst_db = worst_db.max(error_db);
                    assert!(
                        error_db < TOLERANCE_DB,
                        "{detector:?} ratio {ratio} knee {knee_db} at {level_db} dBFS: error {error_db} dB"
                    );
                    let gui_db = f64::from(settings.output_level_db(level_db as f32)) - level_db;
                    assert!(
                        (gui_db - expected_db).abs() < 1e-3,
                        "GUI curve at {level_db}"
                    );
                }
            }
        }
        println!("{detector:?}: worst static-curve error {worst_db:.6} dB");
    }
}

#[test]
fn makeup_adds_exactly_its_gain() {
    let settings = CompressorSettings {
        makeup_db: 6.0,
        ..fast_settings(4.0, 6.0, Detector::Peak)
    };
    for level_db in [-50.0, -30.0, -10.0] {
        let expected_db = oracle_output_db(level_db, -30.0, 4.0, 6.0) - level_db + 6.0;
        let error_db = (dc_gain_db(settings, level_db) - expected_db).abs();
        assert!(error_db < 1e-3, "{level_db}: {error_db}");
    }
}

/// RMS detection of a steady 1 kHz sine: the detector reads `A/√2`, and with slow ballistics the
/// output RMS follows the static curve at that level.
#[test]
fn rms_detector_reads_sine_rms_level() {
    let settings = CompressorSettings {
        threshold_db: -30.0,
        ratio: 4.0,
        knee_db: 6.0,
        attack_ms: 50.0,
        release_ms: 50.0,
        detector: Detector::Rms,
        ..CompressorSettings::default()
    };
    let num_samples = 96_000;
    let mut worst_db = 0.0f64;
    for step in 0..=20 {
        let level_db = -60.0 + 3.0 * f64::from(step);
        let amplitude = (10f64.powf(level_db / 20.0) * std::f64::consts::SQRT_2) as f32;
        let input = shared_dsp::signals::sine(1000.0, amplitude, FS.into(), num_samples, 0.0);
        let mut output = input.clone();
        let mut compressor = Compressor::new(FS, 4096, 1);
        compressor.set_settings(settings);
        compressor.reset();
        for chunk in output.chunks_mut(4096) {
            process(&mut compressor, &mut [chunk]);
        }
        let tail = num_samples - 4800..num_samples;
        let power = |x: &[f32]| x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>();
        let gain_db = 10.0 * (power(&output[tail.clone()]) / power(&input[tail])).log10();
        let expected_db = oracle_output_db(level_db, -30.0, 4.0, 6.0) - level_db;
        worst_db = worst_db.max((gain_db - expected_db).abs());
    }
    println!("RMS sine: worst error {worst_db:.4} dB");
    assert!(worst_db < TOLERANCE_DB, "{worst_db}");
}

/// The sidechain high-pass acts on the detector only, with the magnitude of the shared EQ
/// section (`Coefficients::response`): a 100 Hz sine behind a 300 Hz 12 dB/oct high-pass is
/// detected at its filtered RMS level.
#[test]
fn sidechain_highpass_lowers_detected_level_by_its_response() {
    let run = |hpf_hz: Option<f32>| {
        let settings = CompressorSettings {
            threshold_db: -60.0,
            ratio: 4.0,
            knee_db: 0.0,
            attack_ms: 300.0,
            release_ms: 300.0,
            detector: Detector::Rms,
            sidechain_hpf_hz: hpf_hz,
            ..CompressorSettings::default()
        };
        let mut compressor = Compressor::new(FS, 64, 2);
        compressor.set_settings(settings);
        compressor.reset();
        let mut left = shared_dsp::signals::sine(100.0, 0.5, FS.into(), 3 * 48_000, 0.0);
        let mut right = left.clone();
        let mut meter_sum = 0.0f64;
        let mut meter_count = 0;
        for (i, (l, r)) in left.chunks_mut(64).zip(right.chunks_mut(64)).enumerate() {
            process(&mut compressor, &mut [l, r]);
            if i * 64 >= 2 * 48_000 {
                meter_sum += f64::from(compressor.gain_reduction_db());
                meter_count += 1;
            }
        }
        meter_sum / f64::from(meter_count)
    };
    let response =
        Coefficients::butterworth_highpass(300.0, std::f64::consts::FRAC_1_SQRT_2, FS.into())
            .response(100.0, FS.into());
    let sine_rms_db = 20.0 * (0.5 / std::f64::consts::SQRT_2).log10();
    for (hpf_hz, filtered_db) in [
        (None, sine_rms_db),
        (Some(300.0), sine_rms_db + 20.0 * response.log10()),
    ] {
        let expected_db = 0.75 * (filtered_db + 60.0);
        let measured_db = run(hpf_hz);
        println!("HPF {hpf_hz:?}: GR {measured_db:.4} dB, expected {expected_db:.4} dB");
        assert!((measured_db - expected_db).abs() < 0.1, "{hpf_hz:?}");
    }
}
