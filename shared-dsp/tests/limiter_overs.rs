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

/// Runs `left`/`right` through a limiter (+12 dB into −1 dBTP, 5 ms lookahead) whose stereo
/// link changes every 4 800 frames (full link, where one gain path serves both channels,
/// alternating with partial and no link), in blocks cycling through `block_sizes` that never
/// straddle a change.
fn run_switching_link(left: &[f32], right: &[f32], block_sizes: &[usize]) -> (Vec<f32>, Vec<f32>) {
    const SEGMENT_FRAMES: usize = 4_800;
    let links = [1.0, 0.3, 1.0, 0.0, 1.0, 0.999, 1.0];
    let settings = |stereo_link_t| LimiterSettings {
        ceiling_db: -1.0,
        drive_db: 12.0,
        stereo_link_t,
        ..LimiterSettings::default()
    };
    let mut lim = limiter(48_000.0, settings(links[0]));
    let (mut out_l, mut out_r) = (Vec::new(), Vec::new());
    let segments = left
        .chunks(SEGMENT_FRAMES)
        .zip(right.chunks(SEGMENT_FRAMES));
    for (i, (l, r)) in segments.enumerate() {
        lim.set_settings(settings(links[i % links.len()]));
        let (l, r) = run_stereo(&mut lim, l, r, block_sizes);
        out_l.extend(l);
        out_r.extend(r);
    }
    (out_l, out_r)
}

/// Switching in and out of full link (one gain path for both channels) keeps the ceiling at
/// 16×, even with a loud peak in one channel only inside the lookahead at the switch, and
/// the output does not depend on the block size.
#[test]
fn link_switches_keep_the_ceiling_and_block_size_invariance() {
    let fs = 48_000.0;
    let set = stress_set(fs);
    let (name, noise_l, noise_r) = set
        .iter()
        .find(|(name, _, _)| name == "pink noise")
        .expect("pink noise in the stress set");
    let len = 7 * 4_800 + 2_000;
    let mut left: Vec<f32> = noise_l.iter().cycle().take(len).copied().collect();
    let right: Vec<f32> = noise_r.iter().cycle().take(len).map(|x| 0.1 * x).collect();
    // Left-only bursts just before and just after every switch.
    for switch in (4_800..len).step_by(4_800) {
        for offset in [switch - 120, switch + 30] {
            left[offset] = 1.0;
            left[offset + 1] = -1.0;
        }
    }
    let reference = run_switching_link(&left, &right, &[4_800]);
    for sizes in [&[1][..], &[7, 64, 512], &[300, 1, 97]] {
        let out = run_switching_link(&left, &right, sizes);
        assert!(out == reference, "block sizes {sizes:?} change the output");
    }
    let tp_db = measure_true_peak_db(&[&reference.0, &reference.1], fs, ORACLE_OVERSAMPLING);
    let meter_db = measure_true_peak_db(&[&reference.0, &reference.1], fs, 4);
    println!("{name}, link switching: 16x {tp_db:+.4} dBTP, BS.1770-4 {meter_db:+.4} dBTP");
    assert!(tp_db <= -1.0 && meter_db <= -1.0, "{tp_db} {meter_db}");
}
