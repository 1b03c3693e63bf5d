//! Zero overs: the limiter's output true peak, measured by the 16× oracle meter of
//! `shared_dsp::true_peak` (64 taps per phase, flat to 0.45·fs), never exceeds the ceiling on a
//! stress set of sines up to 0.49·fs, naive square and saw waves, clipped material, impulses,
//! noise and drum-like transients, at 44.1/48/96 kHz with 0/6/12/20 dB of drive.
//! Run with `cargo test --profile harness` (a few minutes of audio in total).

mod limiter_common;

use assert_no_alloc::AllocDisabler;
use limiter_common::{limiter, run_stereo, with_tail};
use shared_dsp::limiter::peak::PeakKernel;
use shared_dsp::limiter::LimiterSettings;
use shared_dsp::signals::{pink_noise, sine, transient_train, white_noise, Rng};
use shared_dsp::true_peak::{measure_true_peak_db, TruePeakDetector, ORACLE_OVERSAMPLING};
use std::f64::consts::FRAC_PI_4;

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

/// Seconds of audio per stress case.
const CASE_SECONDS: f64 = 1.0;
/// Output true peak may exceed the ceiling by at most this before it reads above the ceiling
/// when printed to 3 decimals (dB).
const PRINT_TOLERANCE_DB: f32 = 0.0005;

/// A naive (aliased) square wave at `freq_hz`.
fn square(freq_hz: f64, fs: f64, n: usize) -> Vec<f32> {
    sine(freq_hz, 1.0, fs, n, 0.3)
        .iter()
        .map(|s| if *s >= 0.0 { 1.0 } else { -1.0 })
        .collect()
}

/// A naive (aliased) rising saw wave at `freq_hz`, full scale.
fn saw(freq_hz: f64, fs: f64, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (2.0 * (i as f64 * freq_hz / fs).fract() - 1.0) as f32)
        .collect()
}

/// Pink noise boosted by 12 dB and hard-clipped at full scale (brickwalled master).
fn clipped(seed: u64, n: usize) -> Vec<f32> {
    pink_noise(seed, 4.0, n)
        .iter()
        .map(|s| s.clamp(-1.0, 1.0))
        .collect()
}

/// Full-scale single-sample impulses of random sign at random spacing (1…200 frames).
fn impulses(seed: u64, n: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut v = vec![0.0; n];
    let mut i = 0;
    while i < n {
        v[i] = if rng.next_bipolar() > 0.0 { 1.0 } else { -1.0 };
        i += 1 + (rng.next_u64() % 200) as usize;
    }
    v
}

/// The stress set at `fs`: (name, left, right).
fn stress_set(fs: f64) -> Vec<(String, Vec<f32>, Vec<f32>)> {
    let n = (CASE_SECONDS * fs) as usize;
    let mut set = Vec::new();
    for f in [20.0, 997.0, 5_000.0, 0.33 * fs, 0.45 * fs, 0.49 * fs] {
        set.push((
            format!("sine {f:.0} Hz"),
            sine(f, 1.0, fs, n, 0.0),
            sine(f, 1.0, fs, n, 1.0),
        ));
    }
    let quarter = sine(0.25 * fs, 1.0, fs, n, FRAC_PI_4);
    set.push(("sine fs/4 45°".into(), quarter.clone(), quarter));
    set.push((
        "square 1 kHz".into(),
        square(1_000.0, fs, n),
        square(3_100.0, fs, n),
    ));
    set.push(("saw 2.2 kHz".into(), saw(2_200.0, fs, n), saw(440.0, fs, n)));
    set.push(("clipped pink".into(), clipped(1, n), clipped(2, n)));
    set.push(("impulses".into(), impulses(3, n), impulses(4, n)));
    set.push((
        "white noise".into(),
        white_noise(5, 1.0, n),
        white_noise(6, 1.0, n),
    ));
    set.push((
        "pink noise".into(),
        pink_noise(7, 1.0, n),
        pink_noise(8, 1.0, n),
    ));
    let drums = |seed| transient_train(seed, 1.0, fs, n, 0.125, 40.0);
    set.push(("transients".into(), drums(9), drums(10)));
    set
}

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
    let kernel = PeakKernel::new();
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
