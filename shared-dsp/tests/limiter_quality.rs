//! Limiter quality: bit-exact transparency while the true peak stays below the ceiling, and
//! THD+N of a steady sine pushed 6 dB into the limiter.
//! Run: `cargo test -p shared-dsp --profile harness --test limiter_quality -- --nocapture`.

mod limiter_common;

use assert_no_alloc::AllocDisabler;
use limiter_common::{limiter, run_stereo, with_tail};
use shared_dsp::limiter::{LimiterSettings, MIN_RELEASE_MS};
use shared_dsp::signals::{pink_noise, sine};
use shared_dsp::true_peak::measure_true_peak_db;

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

const FS: f64 = 48_000.0;

/// Programme whose true peak stays below −1 dBTP: pink noise, a 997 Hz sine and a 0.45·fs sine
/// (the largest inter-sample overshoot of a sine), one after the other.
fn quiet_programme(seed: u64, phase: f64) -> Vec<f32> {
    let n = FS as usize;
    let mut x = pink_noise(seed, 0.6, n);
    x.extend(sine(997.0, 0.75, FS, n, phase));
    x.extend(sine(0.45 * FS, 0.7, FS, n, phase));
    x
}

/// Below the ceiling the limiter is a pure delay: output = input delayed by
/// `latency_samples()`, bit for bit, for every release, auto release, link and lookahead.
#[test]
fn transparent_until_it_acts() {
    let (left, right) = (quiet_programme(1, 0.0), quiet_programme(2, 1.0));
    let tp_db = measure_true_peak_db(&[&left, &right], FS, 16);
    println!("input true peak {tp_db:.2} dBTP, ceiling -1 dBTP");
    assert!(tp_db < -1.5);
    let mut cases = 0;
    for release_ms in [MIN_RELEASE_MS, 100.0, 2000.0] {
        for auto_release in [false, true] {
            for stereo_link_t in [0.0, 0.5, 1.0] {
                for lookahead_ms in [0.5, 5.0, 10.0] {
                    let settings = LimiterSettings {
                        ceiling_db: -1.0,
                        release_ms,
                        auto_release,
                        stereo_link_t,
                        lookahead_ms,
                        ..LimiterSettings::default()
                    };
                    let mut lim = limiter(FS as f32, settings);
                    let lat = lim.latency_samples();
                    let (l, r) = run_stereo(
                        &mut lim,
                        &with_tail(&left, lat),
                        &with_tail(&right, lat),
                        &[511, 64, 7, 1, 300],
                    );
                    assert!(l[..lat].iter().chain(&r[..lat]).all(|&y| y == 0.0));
                    assert!(
                        l[lat..] == left[..] && r[lat..] == right[..],
                        "{settings:?}"
                    );
                    assert_eq!(lim.gain_reduction_db(), 0.0);
                    cases += 1;
                }
            }
        }
    }
    println!("{cases} settings: output = input delayed by latency_samples(), bit-exact");
}

/// THD+N of `y` against a sine of known frequency: least-squares fit of
/// `a·sin(ωn) + b·cos(ωn) + c`, residual energy over fitted-sine energy, in dB.
fn thd_n_db(y: &[f32], freq_hz: f64, fs: f64) -> f64 {
    let w = std::f64::consts::TAU * freq_hz / fs;
    let basis = |n: usize| [(w * n as f64).sin(), (w * n as f64).cos(), 1.0];
    let (mut g, mut rhs) = ([[0.0f64; 3]; 3], [0.0f64; 3]);
    for (n, &v) in y.iter().enumerate() {
        let b = basis(n);
        for i in 0..3 {
            rhs[i] += b[i] * f64::from(v);
            for j in 0..3 {
                g[i][j] += b[i] * b[j];
            }
        }
    }
    // Gaussian elimination on the 3×3 normal equations (well conditioned over many periods).
    for col in 0..3 {
        for row in col + 1..3 {
            let f = g[row][col] / g[col][col];
            let pivot = g[col];
            for (a, p) in g[row].iter_mut().zip(pivot).skip(col) {
                *a -= f * p;
            }
            rhs[row] -= f * rhs[col];
        }
    }
    let mut c = [0.0f64; 3];
    for i in (0..3).rev() {
        let s: f64 = (i + 1..3).map(|k| g[i][k] * c[k]).sum();
        c[i] = (rhs[i] - s) / g[i][i];
    }
    let (mut fit_energy, mut residual) = (0.0f64, 0.0f64);
    for (n, &v) in y.iter().enumerate() {
        let b = basis(n);
        let sine = c[0] * b[0] + c[1] * b[1];
        fit_energy += sine * sine;
        residual += (f64::from(v) - sine - c[2]).powi(2);
    }
    10.0 * (residual / fit_energy).log10()
}

/// A sine peaking at +5 dBFS into a −1 dBTP ceiling (6 dB of limiting) at `fs`, stereo;
/// THD+N of the left output over 2 s after 2 s of settling, and the final gain reduction.
fn limited_sine_thd_n_db(fs: f64, freq_hz: f64, settings: LimiterSettings) -> (f64, f32) {
    let mut lim = limiter(fs as f32, settings);
    let x = sine(freq_hz, 10f32.powf(5.0 / 20.0), fs, 4 * fs as usize, 0.0);
    let (l, _) = run_stereo(&mut lim, &x, &x, &[512]);
    let y = &l[2 * fs as usize..];
    (thd_n_db(y, freq_hz, fs), lim.gain_reduction_db())
}

/// Worst THD+N at `freq_hz` with `release_ms` over 44.1/48 kHz, lookahead 0.5/1/5 ms and
/// manual/auto release (100 Hz has 220.5 samples per half period at 44.1 kHz, so the peaks
/// fall on a different sub-sample phase every half period).
fn worst_thd_n_db(freq_hz: f64, release_ms: f32) -> (f64, String) {
    let mut worst = (f64::NEG_INFINITY, String::new());
    for fs in [44_100.0, 48_000.0] {
        for lookahead_ms in [0.5, 1.0, 5.0] {
            for auto_release in [false, true] {
                let settings = LimiterSettings {
                    ceiling_db: -1.0,
                    release_ms,
                    lookahead_ms,
                    auto_release,
                    ..LimiterSettings::default()
                };
                let (thd_n_db, gr_db) = limited_sine_thd_n_db(fs, freq_hz, settings);
                assert!((gr_db - 6.0).abs() < 0.1, "gain reduction {gr_db} dB");
                if thd_n_db > worst.0 {
                    let auto = if auto_release { "auto" } else { "manual" };
                    worst = (
                        thd_n_db,
                        format!("{fs} Hz, {lookahead_ms} ms lookahead, {auto}"),
                    );
                }
            }
        }
    }
    worst
}

#[test]
fn thd_n_of_a_sine_limited_by_6_db() {
    let input = sine(100.0, 0.5, 44_100.0, 88_200, 0.0);
    let input_thd_n_db = thd_n_db(&input, 100.0, 44_100.0);
    println!("THD+N of the f32 input sine itself: {input_thd_n_db:.1} dB");
    let default_fast = LimiterSettings {
        ceiling_db: -1.0,
        release_ms: MIN_RELEASE_MS,
        ..LimiterSettings::default()
    };
    let (default_db, _) = limited_sine_thd_n_db(48_000.0, 100.0, default_fast);
    let (fast_db, fast_case) = worst_thd_n_db(100.0, MIN_RELEASE_MS);
    println!(
        "release {MIN_RELEASE_MS} ms (fastest), 100 Hz, printed only: THD+N {default_db:.1} dB at \
         48 kHz / 5 ms lookahead, worst {fast_db:.1} dB ({fast_case})"
    );
    for release_ms in [10.0, 30.0, 100.0, 300.0, 1000.0] {
        let (low_db, low_case) = worst_thd_n_db(100.0, release_ms);
        let (mid_db, mid_case) = worst_thd_n_db(1_000.0, release_ms);
        println!(
            "release {release_ms:>4} ms: worst THD+N 100 Hz {low_db:.1} dB ({low_case}), \
             1 kHz {mid_db:.1} dB ({mid_case})"
        );
        if release_ms >= 100.0 {
            assert!(
                low_db <= -96.0,
                "100 Hz, release {release_ms} ms: {low_db:.1} dB"
            );
            assert!(
                mid_db <= -140.0,
                "1 kHz, release {release_ms} ms: {mid_db:.1} dB"
            );
        }
    }
}
