//! The stereo image meter against independent oracles: identical channels read +1, opposite
//! ones −1, independent noise 0 within the estimator's spread (1/√N), phase-shifted sines
//! cos φ, an LF-only anti-phase signal −1 below 150 Hz with the full band at 0, the HF level
//! against the tone's level times the high-pass's own `response()`, the ballistics against the
//! exponential they define, decimation images far down, block-size invariance and no
//! allocation. Run: `cargo test -p shared-dsp --test stereo_image -- --nocapture`.

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
use shared_dsp::eq::section::Coefficients;
use shared_dsp::signals::{white_noise, Rng};
use shared_dsp::stereo_image::{
    StereoImageMeter, StereoImageReadings, StereoImageStatistics, BALLISTICS_MS, GRID_FRAMES,
    HF_SPLIT_HZ, SIDE_TO_MID_RANGE_DB,
};

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

const FS: f64 = 48_000.0;

/// `amplitude · sin(2π f t + phase)` in `f64`, rounded to `f32`.
fn tone(freq_hz: f64, amplitude: f64, phase: f64, len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| {
            (amplitude * (std::f64::consts::TAU * freq_hz * i as f64 / FS + phase).sin()) as f32
        })
        .collect()
}

/// Sample-wise sum.
fn plus(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

/// Sample-wise negation.
fn minus(a: &[f32]) -> Vec<f32> {
    a.iter().map(|x| -x).collect()
}

/// Runs the pair through a fresh meter in 512-frame blocks (each under `assert_no_alloc`).
fn measure(left: &[f32], right: &[f32]) -> (StereoImageReadings, StereoImageStatistics) {
    let mut meter = StereoImageMeter::new(FS);
    for (l, r) in left.chunks(512).zip(right.chunks(512)) {
        assert_no_alloc(|| meter.process_block(l, r));
    }
    (meter.readings(), meter.statistics())
}

#[test]
fn identical_and_opposite_channels() {
    let len = 5 * FS as usize;
    let x = plus(&tone(60.0, 0.3, 0.0, len), &white_noise(1, 0.3, len));
    let (r, s) = measure(&x, &x);
    assert_eq!(r.correlation, 1.0);
    assert!(r.lf_correlation > 0.999_999, "{}", r.lf_correlation);
    assert_eq!(f64::from(r.lf_side_to_mid_db), -SIDE_TO_MID_RANGE_DB);
    assert!(!r.lf_antiphase);
    assert_eq!(s.min_correlation, Some(1.0));
    assert_eq!(s.lf_negative_share, Some(0.0));
    assert_eq!(s.lf_antiphase_s, 0.0);

    let (r, s) = measure(&x, &minus(&x));
    assert_eq!(r.correlation, -1.0);
    assert!(r.lf_correlation < -0.999_999, "{}", r.lf_correlation);
    assert_eq!(f64::from(r.lf_side_to_mid_db), SIDE_TO_MID_RANGE_DB);
    assert!(r.lf_antiphase);
    assert_eq!(s.lf_negative_share, Some(1.0));
    // The warning starts once the LF reading rises above its gate, within the first 100 ms.
    assert!(s.first_lf_antiphase_s.unwrap() < 0.1);
    assert!(s.lf_antiphase_s > 4.9);
}

#[test]
fn independent_noise_reads_zero_within_its_spread() {
    let len = 20 * FS as usize;
    let (r, s) = measure(&white_noise(20, 0.5, len), &white_noise(41, 0.5, len));
    // Pearson's r of N independent pairs has a standard deviation of 1/√N: the programme value
    // over N = 960 000 frames within 4σ; the live reading (an exponential average of τ = 300 ms,
    // N_eff = 2τ·fs = 28 800) within 4σ of its own; the LF band (150/24 000 of white noise,
    // N_eff = 2·150 Hz·2τ = 180 independent values at 300 ms) within 4σ.
    let sigma_programme = 1.0 / (len as f64).sqrt();
    let sigma_live = 1.0 / (2.0 * BALLISTICS_MS * 1e-3 * FS).sqrt();
    let sigma_lf = 1.0 / (2.0 * 150.0 * 2.0 * BALLISTICS_MS * 1e-3).sqrt();
    println!(
        "programme r = {:.5} (σ {sigma_programme:.5}), live r = {:.4} (σ {sigma_live:.4}), \
         live LF r = {:.3} (σ {sigma_lf:.3})",
        s.correlation.unwrap(),
        r.correlation,
        r.lf_correlation
    );
    assert!(s.correlation.unwrap().abs() < 4.0 * sigma_programme);
    assert!(f64::from(r.correlation).abs() < 4.0 * sigma_live);
    assert!(f64::from(r.lf_correlation).abs() < 4.0 * sigma_lf);
    assert!(s.mean_correlation.unwrap().abs() < 4.0 * sigma_live);
}

#[test]
fn phase_shifted_sines_read_cos_phi() {
    let len = 2 * FS as usize;
    for degrees in [0.0f64, 30.0, 60.0, 90.0, 120.0, 150.0, 180.0] {
        let phi = degrees.to_radians();
        // 750 Hz: one whole cycle per 64-frame grid interval, so no interval holds a partial
        // cycle and the live means do not ripple.
        let (r, s) = measure(&tone(750.0, 0.5, 0.0, len), &tone(750.0, 0.5, phi, len));
        let expected = phi.cos();
        println!(
            "{degrees}°: programme {:.7}, live {:.7}, cos φ {expected:.7}",
            s.correlation.unwrap(),
            r.correlation
        );
        assert!(
            (s.correlation.unwrap() - expected).abs() < 1e-6,
            "{degrees}°"
        );
        assert!(
            (f64::from(r.correlation) - expected).abs() < 1e-6,
            "{degrees}°"
        );
    }
}

#[test]
fn lf_only_anti_phase_with_correlated_highs() {
    let len = 4 * FS as usize;
    let bass = tone(60.0, 0.3, 0.0, len);
    let highs = tone(1000.0, 0.3, 0.0, len);
    // L = bass + highs, R = −bass + highs: equal powers in and out of phase.
    let left = plus(&highs, &bass);
    let right = plus(&highs, &minus(&bass));
    let (r, s) = measure(&left, &right);
    println!(
        "full band r = {:.5}, LF r = {:.6}, LF side/mid {:.1} dB",
        r.correlation, r.lf_correlation, r.lf_side_to_mid_db
    );
    assert!(f64::from(r.correlation).abs() < 1e-4);
    assert!(s.correlation.unwrap().abs() < 1e-4);
    // The LR4 low-pass leaves the 1 kHz tone 66 dB down: LF r = −1 within 1e-6.
    assert!(r.lf_correlation < -0.999_999);
    assert!(r.lf_side_to_mid_db > 55.0);
    assert!(r.lf_antiphase && !r.hf_stress);
    assert!(s.lf_negative_share.unwrap() > 0.99);
}

#[test]
fn decimation_images_stay_out_of_the_lf_readings() {
    // Mono bass plus an anti-phase tone just below the first image of the decimated LF path
    // (fs/D = 6 kHz): were it aliased onto the bass it would show as LF side.
    let len = 4 * FS as usize;
    let bass = tone(60.0, 0.3, 0.0, len);
    let image = tone(5_950.0, 0.3, 0.0, len);
    let (r, _) = measure(&plus(&bass, &image), &plus(&bass, &minus(&image)));
    println!(
        "LF side/mid with an anti-phase 5.95 kHz tone: {:.1} dB",
        r.lf_side_to_mid_db
    );
    assert!(r.lf_side_to_mid_db < -55.0, "{}", r.lf_side_to_mid_db);
    assert!(StereoImageMeter::new(FS).decimation() == 8);
}

#[test]
fn hf_level_follows_the_highpass_response() {
    let len = 2 * FS as usize;
    let hp = Coefficients::butterworth_highpass(HF_SPLIT_HZ, std::f64::consts::FRAC_1_SQRT_2, FS);
    for (freq_hz, amplitude, warns) in [
        (12_000.0, 0.5, true),
        (10_000.0, 0.1, false),
        (10_000.0, 0.2, true),
        (2_000.0, 0.9, false),
    ] {
        let x = tone(freq_hz, amplitude, 0.0, len);
        let (r, s) = measure(&x, &x);
        let expected_db =
            20.0 * (amplitude * hp.response(freq_hz, FS)).log10() - 10.0 * 2f64.log10();
        println!(
            "{freq_hz} Hz at {amplitude}: HF {:.2} dB (expected {expected_db:.2})",
            r.hf_level_dbfs
        );
        assert!((f64::from(r.hf_level_dbfs) - expected_db).abs() < 0.05);
        assert_eq!(r.hf_stress, warns, "{freq_hz} Hz at {amplitude}");
        assert_eq!(s.hf_stress_s > 0.0, warns);
    }
}

#[test]
fn ballistics_follow_one_time_constant() {
    // L = R, then L = −R from frame `step` on (a grid boundary): the means of L² and R² stay
    // put and the mean of L·R moves exponentially, so r(t) = 2·exp(−t/τ) − 1.
    // The step comes after about 11 τ, when the means have settled from their zero start.
    let tau_frames = BALLISTICS_MS * 1e-3 * FS;
    let step = GRID_FRAMES * (11.0 * tau_frames / GRID_FRAMES as f64).ceil() as usize;
    let len = step + 3 * tau_frames as usize;
    let x = white_noise(7, 0.5, len);
    let right: Vec<f32> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| if i < step { v } else { -v })
        .collect();
    let mut meter = StereoImageMeter::new(FS);
    meter.process_block(&x[..step], &right[..step]);
    assert_eq!(meter.readings().correlation, 1.0);
    for t_ms in [100.0, 300.0, 600.0] {
        // Readings advance at the ends of grid intervals.
        let intervals = (t_ms * 1e-3 * FS / GRID_FRAMES as f64).round() as usize;
        let end = step + intervals * GRID_FRAMES;
        let mut m = meter.clone();
        m.process_block(&x[step..end], &right[step..end]);
        let t = (intervals * GRID_FRAMES) as f64;
        let expected = 2.0 * (-t / tau_frames).exp() - 1.0;
        let reading = f64::from(m.readings().correlation);
        println!(
            "after {:.0} ms: r = {reading:.4}, 2·exp(−t/τ) − 1 = {expected:.4}",
            t / FS * 1e3
        );
        // White noise's own spread of L² vs R² over τ: well below 0.02.
        assert!((reading - expected).abs() < 0.02);
    }
}

#[test]
fn block_size_invariance_and_reset() {
    let len = 3 * FS as usize;
    let left = plus(&white_noise(8, 0.4, len), &tone(80.0, 0.3, 0.0, len));
    let right = plus(&white_noise(9, 0.4, len), &tone(80.0, 0.3, 2.0, len));
    let mut reference = StereoImageMeter::new(FS);
    reference.process_block(&left, &right);
    let mut rng = Rng::new(4);
    let random: Vec<usize> = (0..3000)
        .map(|_| 1 + (rng.next_u64() % 900) as usize)
        .collect();
    for sizes in [&[1][..], &[7], &[64], &[4096], &random] {
        let mut meter = StereoImageMeter::new(FS);
        let (mut start, mut k) = (0, 0);
        while start < len {
            let end = (start + sizes[k % sizes.len()]).min(len);
            meter.process_block(&left[start..end], &right[start..end]);
            start = end;
            k += 1;
        }
        assert_eq!(meter.readings(), reference.readings());
        assert_eq!(meter.statistics(), reference.statistics());
        assert_no_alloc(|| meter.reset());
        meter.process_block(&left, &right);
        assert_eq!(meter.statistics(), reference.statistics(), "after reset");
    }
}

#[test]
fn non_finite_samples_count_as_silence() {
    let len = FS as usize;
    let x = white_noise(10, 0.5, len);
    let mut y = x.clone();
    y[1000] = f32::NAN;
    y[2000] = f32::INFINITY;
    let mut z = x.clone();
    z[1000] = 0.0;
    z[2000] = 0.0;
    assert_eq!(measure(&y, &y), measure(&z, &z));
}
