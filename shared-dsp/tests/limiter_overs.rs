//! Zero overs: the limiter's output true peak, measured by the 16× oracle meter of
//! `shared_dsp::true_peak` (64 taps per phase, flat to 0.45·fs), never exceeds the ceiling on a
//! stress set of sines up to 0.49·fs, naive square and saw waves, clipped material, impulses,
//! noise and drum-like transients, at 44.1/48/96 kHz with 0/6/12/20 dB of drive.
//! Run with `cargo test --profile harness` (a few minutes of audio in total).

mod limiter_common;

use assert_no_alloc::AllocDisabler;
use limiter_common::stress::stress_set;
use limiter_common::{limiter, run_stereo, with_tail};
use shared_dsp::limiter::peak::PeakKernel;
use shared_dsp::limiter::LimiterSettings;
use shared_dsp::true_peak::{measure_true_peak_db, TruePeakDetector, ORACLE_OVERSAMPLING};

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

/// Output true peak may exceed the ceiling by at most this before it reads above the ceiling
/// when printed to 3 decimals (dB).
const PRINT_TOLERANCE_DB: f32 = 0.0005;

/// Runs the stress set with `base` settings at every rate and drive; returns the largest
/// output true peak above the ceiling (dB, may be negative) and prints the worst case per
/// rate and overall.
fn worst_over_db(base: LimiterSettings) -> f32 {
    let mut worst = (f32::NEG_INFINITY, String::new());
    let mut per_rate = Vec::new();
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        let mut rate_worst = f32::NEG_INFINITY;
        let set = stress_set(fs);
        for drive_db in [0.0, 6.0, 12.0, 20.0] {
            let settings = LimiterSettings { drive_db, ..base };
            let mut lim = limiter(fs as f32, settings);
            let tail = lim.latency_samples() + 64;
            for (name, left, right) in &set {
                lim.reset();
                let (l, r) = run_stereo(
                    &mut lim,
                    &with_tail(left, tail),
                    &with_tail(right, tail),
                    &[512],
                );
                let tp_db = measure_true_peak_db(&[&l, &r], fs, 16);
                let over_db = tp_db - settings.ceiling_db;
                rate_worst = rate_worst.max(over_db);
                if over_db > worst.0 {
                    worst = (over_db, format!("{name} @ {fs} Hz, drive {drive_db} dB"));
                }
            }
        }
        per_rate.push(format!("{:.1} kHz {rate_worst:+.3} dB", fs / 1000.0));
    }
    println!(
        "{base:?}: worst TP - ceiling = {:+.3} dB ({}); per rate: {}",
        worst.0,
        worst.1,
        per_rate.join(", ")
    );
    worst.0
}

#[test]
fn no_overs_default_settings_ceiling_0_dbtp() {
    let settings = LimiterSettings {
        ceiling_db: 0.0,
        ..LimiterSettings::default()
    };
    assert!(worst_over_db(settings) <= PRINT_TOLERANCE_DB);
}

#[test]
fn no_overs_shortest_lookahead_fastest_release() {
    let settings = LimiterSettings {
        ceiling_db: -1.0,
        lookahead_ms: 0.5,
        release_ms: 1.0,
        stereo_link_t: 0.0,
        ..LimiterSettings::default()
    };
    assert!(worst_over_db(settings) <= PRINT_TOLERANCE_DB);
}

#[test]
fn no_overs_auto_release_half_link() {
    let settings = LimiterSettings {
        ceiling_db: -0.3,
        lookahead_ms: 1.5,
        release_ms: 50.0,
        auto_release: true,
        stereo_link_t: 0.5,
        ..LimiterSettings::default()
    };
    assert!(worst_over_db(settings) <= PRINT_TOLERANCE_DB);
}

/// The limiter's detector is the oracle meter's interpolator: at every phase and frequency up
/// to Nyquist the two responses agree (to f32 coefficient rounding), so the limiter never reads
/// an inter-sample peak lower than the meter that judges its output does.
#[test]
fn detector_response_is_the_oracle_meters() {
    let kernel = PeakKernel::new(48_000.0);
    let oracle = TruePeakDetector::new(48_000.0, 1, ORACLE_OVERSAMPLING);
    let mut worst_db = 0.0f64;
    for i in 0..=490 {
        let freq_norm = i as f64 / 1000.0;
        let (lo, hi) = kernel.response_range_db(freq_norm);
        let (oracle_lo, oracle_hi) = oracle.response_range_db(freq_norm * 48_000.0);
        worst_db = worst_db
            .max((lo - oracle_lo).abs())
            .max((hi - oracle_hi).abs());
    }
    println!("largest response difference to the oracle up to 0.49 fs: {worst_db:.2e} dB");
    assert!(worst_db < 1e-4);
}
