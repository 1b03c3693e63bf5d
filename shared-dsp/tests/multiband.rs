//! The 3-band Linkwitz–Riley crossover and the multiband compressor built on it.
//!
//! - flatness: with no band compressing, the impulse response of the whole processor has a
//!   flat magnitude (±0.01 dB, 20 Hz–20 kHz, FFT) at 44.1/48/96 kHz for several crossover
//!   pairs, and the analytic band sum is an allpass;
//! - each band's measured complex response equals the analytic `band_transfer`, and its
//!   magnitude equals `band_response`;
//! - the bands cross at −6.02 dB;
//! - compressing the mid band lowers a 300 Hz tone by the predicted amount and leaves 60 Hz
//!   and 5 kHz tones within 0.1 dB;
//! - block-size invariance, `reset()` determinism, no allocation (every `process_block`,
//!   `set_settings` and `reset` under `assert_no_alloc`), non-finite input, silent tails,
//!   stability at 22.05–384 kHz for every crossover setting, frequency smoothing.
//!
//! Run: `cargo test -p shared-dsp --profile harness --test multiband -- --nocapture`.

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
use realfft::num_complex::Complex64;
use realfft::RealFftPlanner;
use shared_dsp::compressor::{CompressorSettings, Detector};
use shared_dsp::crossover::{
    Band, Crossover, CrossoverCoefficients, CrossoverSettings, HIGH_HZ_RANGE, LOW_HZ_RANGE,
    MIN_HIGH_TO_LOW_RATIO,
};
use shared_dsp::multiband::{MultibandCompressor, MultibandSettings};
use shared_dsp::signals::{pink_noise, sine, transient_train, white_noise, Rng};
use std::f64::consts::PI;

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

/// Rates of the flatness tests.
const FLAT_RATES_HZ: [f64; 3] = [44_100.0, 48_000.0, 96_000.0];
/// Crossover pairs (low, high) in Hz: extremes, the default, a one-octave pair.
const PAIRS_HZ: [(f32, f32); 7] = [
    (40.0, 500.0),
    (40.0, 16_000.0),
    (150.0, 2500.0),
    (80.0, 800.0),
    (300.0, 5000.0),
    (1000.0, 2000.0),
    (1000.0, 16_000.0),
];
/// Every rate the processors must be stable at.
const ALL_RATES_HZ: [f64; 10] = [
    22_050.0, 32_000.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0, 176_400.0, 192_000.0, 352_800.0,
    384_000.0,
];
/// Impulse-response / FFT length (the 40 Hz LR4 at 96 kHz has decayed below −200 dB long before).
const IR_LEN: usize = 1 << 17;

fn db(x: f64) -> f64 {
    20.0 * x.log10()
}

/// Band settings that never compress the test signals here (threshold 0 dBFS, hard knee).
fn quiet_band() -> CompressorSettings {
    CompressorSettings {
        threshold_db: 0.0,
        ratio: 4.0,
        knee_db: 0.0,
        ..CompressorSettings::default()
    }
}

fn quiet_settings(low_hz: f32, high_hz: f32) -> MultibandSettings {
    MultibandSettings {
        low_hz,
        high_hz,
        bands: [quiet_band(); 3],
    }
}

/// A multiband compressor settled on `settings` (reset after `set_settings`).
fn multiband(fs: f64, max_block: usize, settings: MultibandSettings) -> MultibandCompressor {
    let mut mb = MultibandCompressor::new(fs as f32, max_block, 2);
    assert_no_alloc(|| {
        mb.set_settings(settings);
        mb.reset();
    });
    mb
}

/// Runs `mb` over stereo `input` in blocks whose sizes cycle through `sizes` (every call under
/// `assert_no_alloc`); a block crossing `change.0` is split there and `change.1` applied.
fn run(
    mb: &mut MultibandCompressor,
    input: &(Vec<f32>, Vec<f32>),
    sizes: &[usize],
    change: Option<(usize, MultibandSettings)>,
) -> (Vec<f32>, Vec<f32>) {
    let (mut l, mut r) = input.clone();
    let (mut start, mut k) = (0, 0);
    while start < l.len() {
        if let Some((at, settings)) = change {
            if at == start {
                assert_no_alloc(|| mb.set_settings(settings));
            }
        }
        let mut end = (start + sizes[k % sizes.len()]).min(l.len());
        if let Some((at, _)) = change.filter(|&(at, _)| start < at && at < end) {
            end = at;
        }
        assert_no_alloc(|| mb.process_block(&mut [&mut l[start..end], &mut r[start..end]]));
        (start, k) = (end, k + 1);
    }
    (l, r)
}

fn spectrum(ir: &[f64]) -> Vec<Complex64> {
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(ir.len());
    let mut input = ir.to_vec();
    let mut out = fft.make_output_vec();
    fft.process(&mut input, &mut out).unwrap();
    out
}

/// DFT of `x` at `freq_hz` (any frequency), `Σ x[n]·e^{−jωn}`.
fn dft_at(x: &[f64], freq_hz: f64, fs: f64) -> Complex64 {
    let omega = 2.0 * PI * freq_hz / fs;
    x.iter()
        .enumerate()
        .map(|(n, &v)| Complex64::from_polar(v, -omega * n as f64))
        .sum()
}

/// Amplitude of the `freq_hz` component of `x` (window of whole periods assumed).
fn tone_amplitude(x: &[f32], freq_hz: f64, fs: f64) -> f64 {
    let x: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    2.0 * dft_at(&x, freq_hz, fs).norm() / x.len() as f64
}

/// Impulse responses (amplitude 1) of the three crossover bands, left channel.
fn band_impulse_responses(fs: f64, low_hz: f32, high_hz: f32) -> [Vec<f64>; 3] {
    let mut crossover = Crossover::new(fs, CrossoverSettings { low_hz, high_hz });
    let mut x = vec![0.0f32; IR_LEN];
    x[0] = 1.0;
    let mut bands = [
        vec![0.0f32; IR_LEN],
        vec![0.0f32; IR_LEN],
        vec![0.0f32; IR_LEN],
    ];
    let [lo, mi, hi] = &mut bands;
    assert_no_alloc(|| crossover.split_block(&[&x[..]], &mut [lo], &mut [mi], &mut [hi]));
    bands.map(|b| b.iter().map(|&v| f64::from(v)).collect())
}

/// With every band below threshold the processor's magnitude is flat within ±0.01 dB from
/// 20 Hz to 20 kHz (impulse of −12 dBFS, FFT of 2^17 points), and the analytic sum of the
/// complex band responses has magnitude 1.
#[test]
fn bands_sum_flat_without_compression() {
    const AMPLITUDE: f32 = 0.25;
    let mut worst_measured_db = 0.0f64;
    let mut worst_analytic_db = 0.0f64;
    for fs in FLAT_RATES_HZ {
        for (low_hz, high_hz) in PAIRS_HZ {
            let mut mb = multiband(fs, 512, quiet_settings(low_hz, high_hz));
            let mut impulse = vec![0.0f32; IR_LEN];
            impulse[0] = AMPLITUDE;
            let (l, r) = run(&mut mb, &(impulse.clone(), impulse), &[512], None);
            assert_eq!(l, r);
            assert_eq!(mb.gain_reduction_db(), [0.0; 3], "a band compressed");
            let tail = l[IR_LEN - 4096..]
                .iter()
                .fold(0.0f32, |m, v| m.max(v.abs()));
            assert!(tail < 1e-12, "impulse response not decayed: {tail}");
            let ir: Vec<f64> = l.iter().map(|&v| f64::from(v / AMPLITUDE)).collect();
            let spec = spectrum(&ir);
            let mut worst = 0.0f64;
            for (k, h) in spec.iter().enumerate() {
                let f = k as f64 * fs / IR_LEN as f64;
                if (20.0..=20_000.0).contains(&f) {
                    worst = worst.max(db(h.norm()).abs());
                }
            }
            let coefficients = mb.crossover().target_coefficients();
            let mut worst_analytic = 0.0f64;
            let mut f = 20.0;
            while f <= 20_000.0 {
                let sum: Complex64 = Band::ALL
                    .iter()
                    .map(|&b| coefficients.band_transfer(b, f))
                    .sum();
                worst_analytic = worst_analytic.max(db(sum.norm()).abs());
                f *= 1.01;
            }
            println!(
                "fs {fs} Hz, crossovers {low_hz}/{high_hz} Hz: measured max |error| \
                 {worst:.2e} dB, analytic {worst_analytic:.2e} dB"
            );
            assert!(worst < 0.01, "not flat: {worst} dB");
            assert!(
                worst_analytic < 1e-9,
                "analytic sum not allpass: {worst_analytic}"
            );
            worst_measured_db = worst_measured_db.max(worst);
            worst_analytic_db = worst_analytic_db.max(worst_analytic);
        }
    }
    println!(
        "flatness, 20 Hz–20 kHz, all rates and pairs: measured {worst_measured_db:.2e} dB, \
         analytic {worst_analytic_db:.2e} dB"
    );
}

/// Each band's impulse response (FFT) equals the analytic complex response `band_transfer`
/// (|difference| < 1e-5, phase included), and its magnitude `band_response` within 0.005 dB
/// wherever the band is above −60 dB.
#[test]
fn bands_match_the_analytic_response() {
    let mut worst_complex = 0.0f64;
    let mut worst_db = 0.0f64;
    for fs in FLAT_RATES_HZ {
        for (low_hz, high_hz) in PAIRS_HZ {
            let irs = band_impulse_responses(fs, low_hz, high_hz);
            let crossover = Crossover::new(fs, CrossoverSettings { low_hz, high_hz });
            for (band, ir) in Band::ALL.iter().zip(&irs) {
                let spec = spectrum(ir);
                for (k, h) in spec.iter().enumerate().step_by(7) {
                    let f = k as f64 * fs / IR_LEN as f64;
                    if !(10.0..=0.49 * fs).contains(&f) {
                        continue;
                    }
                    let want = crossover.band_transfer(*band, f);
                    worst_complex = worst_complex.max((h - want).norm());
                    let mag = crossover.band_response(*band, f);
                    assert!(
                        (mag - want.norm()).abs() <= 1e-9 * (1.0 + mag),
                        "band_response and band_transfer disagree"
                    );
                    if db(mag) > -60.0 {
                        worst_db = worst_db.max((db(h.norm()) - db(mag)).abs());
                    }
                }
            }
        }
    }
    println!("measured vs analytic band responses: complex {worst_complex:.2e}, magnitude {worst_db:.2e} dB");
    assert!(worst_complex < 1e-5, "{worst_complex}");
    assert!(worst_db < 0.005, "{worst_db}");
}

/// The low band is −6.02 dB at the low crossover, the high band at the high one, and the mid
/// band at both (pairs at least 3.3 octaves apart, where the other LR4 pair's skirt is below
/// 0.01 dB); measured by DFT of the impulse responses at the exact frequencies.
#[test]
fn bands_cross_at_minus_6_db() {
    let minus_6 = db(0.5);
    for fs in FLAT_RATES_HZ {
        for (low_hz, high_hz) in [
            (40.0, 500.0),
            (100.0, 1000.0),
            (150.0, 2500.0),
            (1000.0, 16_000.0),
        ] {
            let irs = band_impulse_responses(fs, low_hz, high_hz);
            let crossover = Crossover::new(fs, CrossoverSettings { low_hz, high_hz });
            let (fl, fh) = (f64::from(low_hz), f64::from(high_hz));
            for (band, f, tolerance_db) in [
                (Band::Low, fl, 1e-9),
                (Band::Mid, fl, 0.01),
                (Band::Mid, fh, 0.01),
                (Band::High, fh, 0.01),
            ] {
                let analytic = db(crossover.band_response(band, f));
                let measured = db(dft_at(&irs[band as usize], f, fs).norm());
                assert!(
                    (analytic - minus_6).abs() < tolerance_db,
                    "{band:?} at {f} Hz (fs {fs}): analytic {analytic} dB"
                );
                assert!(
                    (measured - analytic).abs() < 1e-4,
                    "{band:?} at {f} Hz (fs {fs}): measured {measured} dB, analytic {analytic} dB"
                );
            }
        }
    }
}

/// Settings compressing only the mid band: threshold −20 dBFS, ratio 4, hard knee, peak
/// detector, instant attack, 1 s release (so a steady tone gives the static reduction with
/// a ripple of ~0.03 dB). Crossovers 150/2500 Hz.
fn mid_compressing() -> MultibandSettings {
    let mut settings = quiet_settings(150.0, 2500.0);
    settings.bands[Band::Mid as usize] = CompressorSettings {
        threshold_db: -20.0,
        ratio: 4.0,
        knee_db: 0.0,
        attack_ms: 0.0,
        release_ms: 1000.0,
        detector: Detector::Peak,
        ..CompressorSettings::default()
    };
    settings
}

/// Runs a −6 dBFS stereo tone for 2 s through the mid-compressing settings; returns
/// (output amplitude / input amplitude in dB over the last 0.5 s, meter readings).
fn tone_through_mid_compressor(freq_hz: f64) -> (f64, [f32; 3]) {
    const FS: f64 = 48_000.0;
    let len = 2 * FS as usize;
    let x = sine(freq_hz, 0.5, FS, len, 0.0);
    let mut mb = multiband(FS, 512, mid_compressing());
    let (l, _) = run(&mut mb, &(x.clone(), x.clone()), &[512], None);
    let window = len - 24_000..len;
    let gain =
        tone_amplitude(&l[window.clone()], freq_hz, FS) / tone_amplitude(&x[window], freq_hz, FS);
    (db(gain), mb.gain_reduction_db())
}

/// Compressing the mid band on a 300 Hz tone lowers it by the predicted amount: the static
/// reduction `r` of the mid band's level (−6 dBFS × |mid(300 Hz)|), applied to the mid band
/// only, so the output is `|low + 10^(−r/20)·mid + high|` at 300 Hz (complex band responses).
/// Tones at 60 Hz and 5 kHz (mid band leakage −32 dB / −25 dB, below threshold) stay within
/// 0.1 dB.
#[test]
fn compressing_the_mid_band_touches_only_the_mid_band() {
    const FS: f64 = 48_000.0;
    let settings = mid_compressing();
    let crossover = CrossoverCoefficients::from_settings(settings.crossover(), FS);
    let f = 300.0;
    let [low, mid, high] = Band::ALL.map(|b| crossover.band_transfer(b, f));
    let mid_level_db = db(0.5 * mid.norm());
    let reduction_db = f64::from(
        settings.bands[Band::Mid as usize]
            .gain_computer()
            .reduction_db(mid_level_db as f32),
    );
    let g = 10f64.powf(-reduction_db / 20.0);
    let predicted_db = db((low + g * mid + high).norm());
    let (measured_db, meters) = tone_through_mid_compressor(f);
    println!(
        "300 Hz: mid level {mid_level_db:.2} dBFS, reduction {reduction_db:.2} dB, predicted \
         {predicted_db:.3} dB, measured {measured_db:.3} dB, meters {meters:?}"
    );
    assert!((measured_db - predicted_db).abs() < 0.1);
    assert!(predicted_db < -8.0, "the test must compress audibly");
    assert!((f64::from(meters[1]) - reduction_db).abs() < 0.1);
    assert_eq!((meters[0], meters[2]), (0.0, 0.0));
    for f in [60.0, 5000.0] {
        let (measured_db, meters) = tone_through_mid_compressor(f);
        println!("{f} Hz: level change {measured_db:.4} dB, meters {meters:?}");
        assert!(measured_db.abs() < 0.1, "{f} Hz moved by {measured_db} dB");
        assert_eq!(meters, [0.0; 3]);
    }
}

/// Loud, busy stereo material (pink noise, drum-like hits, a tone).
fn programme(seed: u64, fs: f64, len: usize) -> (Vec<f32>, Vec<f32>) {
    let pink = pink_noise(seed, 0.45, len);
    let hits = transient_train(seed + 1, 0.6, fs, len, 0.11, 30.0);
    let tone = sine(997.0, 0.2, fs, len, 0.0);
    let l = (0..len).map(|i| pink[i] + hits[i] + tone[i]).collect();
    let r = (0..len)
        .map(|i| 0.7 * pink[i] - hits[i] + tone[i])
        .collect();
    (l, r)
}

/// Every band compressing (different thresholds, RMS on the low band, partial link).
fn busy_settings() -> MultibandSettings {
    let band = |threshold_db, detector, stereo_link_t| CompressorSettings {
        threshold_db,
        ratio: 3.0,
        attack_ms: 3.0,
        release_ms: 80.0,
        detector,
        stereo_link_t,
        makeup_db: 2.0,
        ..CompressorSettings::default()
    };
    MultibandSettings {
        low_hz: 120.0,
        high_hz: 3000.0,
        bands: [
            band(-30.0, Detector::Rms, 1.0),
            band(-24.0, Detector::Peak, 0.5),
            band(-36.0, Detector::Peak, 0.0),
        ],
    }
}

/// The settings change of the invariance tests: both crossovers move (a glide), thresholds,
/// makeup and mix change.
fn changed_settings() -> MultibandSettings {
    let mut s = busy_settings();
    s.low_hz = 400.0;
    s.high_hz = 1500.0;
    s.bands[1].threshold_db = -40.0;
    s.bands[2].makeup_db = -3.0;
    s.bands[0].mix_t = 0.5;
    s
}

/// Blocks of 1, 7, 64, 4096 (beyond `max_block` = 512, so chunked) and seeded random sizes
/// give output bit-identical to one block for the whole signal, across a settings change.
#[test]
fn block_size_invariance() {
    const FS: f64 = 48_000.0;
    let len = 48_000;
    let change = Some((20_011, changed_settings()));
    let input = programme(1, FS, len);
    let reference = run(
        &mut multiband(FS, 512, busy_settings()),
        &input,
        &[len],
        change,
    );
    assert_ne!(reference.0, input.0);
    let mut rng = Rng::new(9);
    let random: Vec<usize> = (0..500)
        .map(|_| 1 + (rng.next_u64() % 700) as usize)
        .collect();
    for sizes in [&[1][..], &[7], &[64], &[4096], &random] {
        let out = run(
            &mut multiband(FS, 512, busy_settings()),
            &input,
            sizes,
            change,
        );
        let same = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(
            same(&out.0, &reference.0) && same(&out.1, &reference.1),
            "blocks of {}",
            sizes[0]
        );
    }
}

/// A used instance after `reset()` behaves bit for bit like a fresh one; `reset`,
/// `set_settings` and `process_block` never allocate (checked inside `run`/`multiband`).
#[test]
fn reset_restores_a_fresh_instance() {
    const FS: f64 = 48_000.0;
    let mut used = multiband(FS, 256, busy_settings());
    run(
        &mut used,
        &programme(2, FS, 30_000),
        &[300],
        Some((10_000, changed_settings())),
    );
    assert_no_alloc(|| used.reset());
    let mut fresh = multiband(FS, 256, changed_settings());
    let second = programme(3, FS, 20_000);
    assert_eq!(
        run(&mut used, &second, &[333], None),
        run(&mut fresh, &second, &[333], None)
    );
}

/// NaN and ±Inf samples: the output is finite everywhere and bit-identical to a run with
/// zeros in their place (they enter as 0 and never reach any state).
#[test]
fn non_finite_input_does_not_poison_the_state() {
    const FS: f64 = 48_000.0;
    let clean = programme(4, FS, 30_000);
    let (mut poisoned, mut zeroed) = (clean.clone(), clean);
    let bad = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
    for (n, i) in [100, 5000, 5001, 5002, 12_345, 20_000]
        .into_iter()
        .enumerate()
    {
        poisoned.0[i] = bad[n % 3];
        poisoned.1[i + n] = bad[(n + 1) % 3];
        zeroed.0[i] = 0.0;
        zeroed.1[i + n] = 0.0;
    }
    let out = run(
        &mut multiband(FS, 512, busy_settings()),
        &poisoned,
        &[512],
        None,
    );
    let want = run(
        &mut multiband(FS, 512, busy_settings()),
        &zeroed,
        &[512],
        None,
    );
    assert!(out.0.iter().chain(&out.1).all(|s| s.is_finite()));
    assert_eq!(out, want);
}

/// Loud programme then silence: no subnormal output sample, and the crossover state reaches
/// exact zero (flushed) at the slowest setting and the highest rate.
#[test]
fn silent_tails_produce_no_subnormals() {
    for fs in [44_100.0, 384_000.0] {
        let mut settings = busy_settings();
        settings.low_hz = 40.0;
        let (mut l, mut r) = programme(5, fs, 48_000);
        let tail = (fs * 3.0) as usize;
        l.resize(48_000 + tail, 0.0);
        r.resize(48_000 + tail, 0.0);
        let mut mb = multiband(fs, 512, settings);
        let out = run(&mut mb, &(l, r), &[512], None);
        assert!(
            !out.0.iter().chain(&out.1).any(|s| s.is_subnormal()),
            "fs {fs}"
        );
        assert!(
            out.0[out.0.len() - 512..].iter().all(|&s| s == 0.0),
            "fs {fs}"
        );
        assert!(
            mb.crossover().is_at_rest(),
            "fs {fs}: crossover state not flushed"
        );
    }
}

/// Every rate from 22.05 to 384 kHz and a grid of crossover settings (the ranges' ends and
/// log-spaced points, conflicting pairs included): sanitized frequencies are ordered, at
/// least an octave apart and below Nyquist; every section is stable; and white noise through
/// crossover glides between extreme settings stays finite and bounded (|y| < 4).
#[test]
fn stable_at_every_rate_for_every_crossover_setting() {
    let grid = |range: std::ops::RangeInclusive<f32>, n: usize| -> Vec<f32> {
        let (a, b) = (range.start().ln(), range.end().ln());
        (0..n)
            .map(|i| (a + (b - a) * i as f32 / (n - 1) as f32).exp())
            .collect()
    };
    let lows = grid(20.0..=2000.0, 15);
    let highs = grid(200.0..=30_000.0, 15);
    let mut worst_radius = 0.0f64;
    for fs in ALL_RATES_HZ {
        for &low_hz in &lows {
            for &high_hz in &highs {
                let s = CrossoverSettings { low_hz, high_hz }.sanitized(fs);
                assert!(
                    LOW_HZ_RANGE.start() * 0.999 <= s.low_hz && s.low_hz <= *LOW_HZ_RANGE.end()
                );
                assert!(s.high_hz <= *HIGH_HZ_RANGE.end() && f64::from(s.high_hz) < 0.5 * fs);
                assert!(s.high_hz >= s.low_hz * MIN_HIGH_TO_LOW_RATIO * 0.9999);
                let c = CrossoverCoefficients::from_settings(s, fs);
                assert!(c.is_stable(), "unstable at fs {fs}, {low_hz}/{high_hz} Hz");
                for section in [c.low_lp, c.low_hp, c.high_lp, c.high_hp, c.high_ap] {
                    worst_radius = worst_radius.max(section.pole_radius());
                }
            }
        }
        let noise = white_noise(7, 1.0, (fs * 0.5) as usize);
        let extremes = [
            (40.0, 500.0),
            (1000.0, 16_000.0),
            (40.0, 16_000.0),
            (1000.0, 2000.0),
        ];
        let mut crossover = Crossover::new(
            fs,
            CrossoverSettings {
                low_hz: 40.0,
                high_hz: 500.0,
            },
        );
        let n = noise.len();
        let mut bands = [vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n]];
        let block = (fs * 0.05) as usize;
        for (k, start) in (0..n).step_by(block).enumerate() {
            let end = (start + block).min(n);
            let (low_hz, high_hz) = extremes[k % extremes.len()];
            let [lo, mi, hi] = &mut bands;
            assert_no_alloc(|| {
                crossover.set_settings(CrossoverSettings { low_hz, high_hz });
                crossover.split_block(
                    &[&noise[start..end]],
                    &mut [&mut lo[start..end]],
                    &mut [&mut mi[start..end]],
                    &mut [&mut hi[start..end]],
                );
            });
        }
        let peak = bands.iter().flatten().fold(0.0f32, |m, v| m.max(v.abs()));
        let sum_peak = (0..n).fold(0.0f32, |m, i| {
            m.max((bands[0][i] + bands[1][i] + bands[2][i]).abs())
        });
        assert!(
            peak.is_finite() && peak < 4.0 && sum_peak < 4.0,
            "fs {fs}: peak {peak}, sum {sum_peak}"
        );
    }
    println!("largest pole radius over all rates and settings: {worst_radius}");
}

/// A crossover change glides: the running coefficients leave the old design at once, differ
/// from the target before the end of the smoothing time, and equal it exactly afterwards.
#[test]
fn crossover_changes_glide_to_the_target() {
    const FS: f64 = 48_000.0;
    let mut crossover = Crossover::new(
        FS,
        CrossoverSettings {
            low_hz: 100.0,
            high_hz: 1000.0,
        },
    );
    let start = *crossover.current_coefficients();
    crossover.set_settings(CrossoverSettings {
        low_hz: 800.0,
        high_hz: 8000.0,
    });
    let target = *crossover.target_coefficients();
    assert_eq!(
        start,
        CrossoverCoefficients::from_settings(
            CrossoverSettings {
                low_hz: 100.0,
                high_hz: 1000.0
            },
            FS
        )
    );
    let x = [0.1f32; 48];
    let mut out = [vec![0.0f32; 48], vec![0.0f32; 48], vec![0.0f32; 48]];
    let mut split = |crossover: &mut Crossover| {
        let [lo, mi, hi] = &mut out;
        crossover.split_block(&[&x[..]], &mut [lo], &mut [mi], &mut [hi]);
    };
    split(&mut crossover);
    let early = *crossover.current_coefficients();
    assert!(early != start && early != target, "no glide");
    // 30 ms at 48 kHz = 1440 samples = 90 grid ticks; 31 ms later it has landed.
    for _ in 0..31 {
        split(&mut crossover);
    }
    assert_eq!(*crossover.current_coefficients(), target);
}

/// Moving both crossovers by three octaves at once under a steady 1 kHz tone makes no click:
/// the largest sample-to-sample step of the output stays within 5 % of the tone's own, and
/// the output envelope stays within ±0.5 dB of the input during the glide.
#[test]
fn crossover_glide_makes_no_click() {
    const FS: f64 = 48_000.0;
    let len = 24_000;
    let x = sine(1000.0, 0.5, FS, len, 0.0);
    let mut mb = multiband(FS, 512, quiet_settings(100.0, 1000.0));
    let change = Some((4800, quiet_settings(800.0, 8000.0)));
    let (y, _) = run(&mut mb, &(x.clone(), x.clone()), &[64], change);
    let max_step = |s: &[f32]| s.windows(2).fold(0.0f32, |m, w| m.max((w[1] - w[0]).abs()));
    let (step_in, step_out) = (max_step(&x[2400..]), max_step(&y[2400..]));
    // Envelope over half-period-free windows: peak per 1 ms (one period at 1 kHz).
    let mut worst_db = 0.0f64;
    for w in y[2400..].chunks_exact(48) {
        let peak = w.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        worst_db = worst_db.max(db(f64::from(peak) / 0.5).abs());
    }
    println!(
        "glide: max step in {step_in:.5}, out {step_out:.5}; envelope within {worst_db:.3} dB"
    );
    assert!(step_out < 1.05 * step_in);
    assert!(worst_db < 0.5);
}
