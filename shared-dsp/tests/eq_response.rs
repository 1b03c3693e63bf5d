//! EQ magnitude tests: measured vs `response()`, cramping vs the analog prototype, stability
//! at every rate, and the linear-phase FIR's magnitude and group delay.

mod eq_support;

use eq_support::*;
use shared_dsp::eq::section::Coefficients;
use shared_dsp::eq::settings::{
    design_band, BandKind, DesignParams, EqSettings, PhaseMode, Slope, MAX_SECTIONS,
};
use shared_dsp::eq::Eq;

const SLOPES: [Slope; 4] = [Slope::Db12, Slope::Db24, Slope::Db36, Slope::Db48];

fn single_band_cases() -> Vec<EqSettings> {
    use BandKind::*;
    let m = PhaseMode::Minimum;
    let mut cases = Vec::new();
    for (kind, f, g, q) in [
        (Bell, 1000.0, 6.0, 1.0),
        (Bell, 60.0, -12.0, 4.0),
        (Bell, 10_000.0, 3.0, 1.0),
        (Bell, 18_000.0, 18.0, 0.3),
        (Bell, 20_000.0, -6.0, 2.0),
        (LowShelf, 100.0, 6.0, 0.7),
        (LowShelf, 1000.0, -12.0, 1.5),
        (LowShelf, 15_000.0, 6.0, 0.7),
        (HighShelf, 8000.0, 6.0, 0.7),
        (HighShelf, 200.0, -10.0, 1.0),
        (HighShelf, 19_000.0, 4.0, 2.0),
        (Tilt, 1000.0, 6.0, 0.7),
        (Tilt, 300.0, -4.0, 0.7),
    ] {
        cases.push(settings(&[band(kind, f, g, q, Slope::Db12)], m));
    }
    for slope in SLOPES {
        for f in [30.0, 1000.0] {
            cases.push(settings(&[band(HighPass, f, 0.0, 0.7, slope)], m));
        }
        for f in [5000.0, 18_000.0] {
            cases.push(settings(&[band(LowPass, f, 0.0, 0.7, slope)], m));
        }
    }
    cases.push(master_bus(m));
    cases
}

#[test]
fn measured_magnitude_matches_response() {
    let mut overall = 0.0f64;
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        let mut eq = Eq::new(fs, 4096, 2);
        let len = if fs > 50_000.0 { 1 << 18 } else { 1 << 17 };
        let mut per_rate = 0.0f64;
        for s in single_band_cases() {
            let h = impulse_response(&mut eq, s, len);
            let mag = magnitude(&h);
            let (err, at) = max_error_db(&mag, fs, 20.0, 0.45 * fs, -80.0, |f| eq.response(f));
            assert!(err < 0.05, "{fs} Hz {:?}: {err} dB at {at} Hz", s.bands[0]);
            per_rate = per_rate.max(err);
        }
        println!("{fs} Hz: max |measured - response()| = {per_rate:.2e} dB");
        overall = overall.max(per_rate);
    }
    println!("max |measured - response()| = {overall:.2e} dB");
}

#[test]
fn bell_near_nyquist_is_not_cramped() {
    let fs = 44_100.0;
    let mut eq = Eq::new(fs, 512, 2);
    eq.set_settings(settings(
        &[band(BandKind::Bell, 10_000.0, 3.0, 1.0, Slope::Db12)],
        PhaseMode::Minimum,
    ));
    eq.reset();
    let mut worst = 0.0f64;
    for i in 0..=2000 {
        let f = 20.0 * (18_000.0f64 / 20.0).powf(i as f64 / 2000.0);
        let d = 20.0 * (eq.response(f) / eq.analog_response(f)).log10();
        worst = worst.max(d.abs());
    }
    println!("bell 10 kHz +3 dB Q1 @44.1k: max |digital - analog| to 18 kHz = {worst:.4} dB");
    assert!(worst < 0.1, "{worst}");
    // The centre gain is matched exactly.
    assert!((20.0 * eq.response(10_000.0).log10() - 3.0).abs() < 1e-9);
}

/// The decramped bell over the whole parameter range: the centre gain is exact (the peak stays
/// at the design frequency), and the digital curve follows the analog prototype up to 18 kHz
/// (or 0.41·fs at 44.1 kHz). Near-Nyquist bells cannot follow a prototype whose skirt extends
/// past Nyquist, hence the looser bound for centres above 0.3·fs/2.
#[test]
fn bells_track_their_analog_prototype() {
    let mut worst = [(0.0f64, String::new()), (0.0f64, String::new())];
    for fs in [44_100.0, 48_000.0, 96_000.0, 192_000.0] {
        let mut eq = Eq::new(fs, 512, 2);
        for fi in 0..=20 {
            let freq_hz = 20.0 * 1000f32.powf(fi as f32 / 20.0);
            for gain_db in [-18.0, -12.0, -3.0, -0.5, 0.5, 3.0, 12.0, 18.0] {
                for q in [0.3, 0.7, 1.0, 2.0, 4.0] {
                    let b = band(BandKind::Bell, freq_hz, gain_db, q, Slope::Db12);
                    eq.set_settings(settings(&[b], PhaseMode::Minimum));
                    eq.reset();
                    let centre_db = 20.0 * eq.response(f64::from(freq_hz)).log10();
                    // Exact up to rounding: poles within 1e-4 of z = 1 (20 Hz at 192 kHz)
                    // leave ~1e-6 dB of f64 rounding in the response.
                    assert!((centre_db - f64::from(gain_db)).abs() < 1e-4, "{fs} {b:?}");
                    let hi = 18_000.0f64.min(0.41 * fs);
                    let mut err = 0.0f64;
                    for i in 0..=400 {
                        let f = 20.0 * (hi / 20.0).powf(f64::from(i) / 400.0);
                        let d = 20.0 * (eq.response(f) / eq.analog_response(f)).log10();
                        err = err.max(d.abs());
                    }
                    let near_nyquist = usize::from(f64::from(freq_hz) > 0.15 * fs);
                    if err > worst[near_nyquist].0 {
                        worst[near_nyquist] =
                            (err, format!("{fs} Hz {freq_hz} Hz {gain_db} dB Q{q}"));
                    }
                }
            }
        }
    }
    println!(
        "bells: max |digital − analog| {:.4} dB ({}), centres above 0.3·fs/2 {:.4} dB ({})",
        worst[0].0, worst[0].1, worst[1].0, worst[1].1
    );
    assert!(worst[0].0 < 0.5, "{:?}", worst[0]);
    assert!(worst[1].0 < 3.0, "{:?}", worst[1]);
}

#[test]
fn every_setting_is_stable_at_every_rate() {
    use BandKind::*;
    let mut max_radius = 0.0f64;
    let mut count = 0usize;
    for fs in [
        22_050.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0, 176_400.0, 192_000.0, 384_000.0,
    ] {
        for kind in [Bell, LowShelf, HighShelf, HighPass, LowPass, Tilt] {
            for slope in SLOPES {
                for fi in 0..=30 {
                    let freq_hz = 20.0 * 1000f32.powf(fi as f32 / 30.0);
                    for gain_db in [-18.0, -6.0, -0.1, 0.0, 0.1, 6.0, 18.0] {
                        for q in [0.3, 0.5, 0.707, 1.0, 2.0, 4.0] {
                            let b = band(kind, freq_hz, gain_db, q, slope);
                            let mut c = [Coefficients::identity(); MAX_SECTIONS];
                            let p = DesignParams::new(&b);
                            let n = design_band(kind, slope, &p, fs, &mut c);
                            for c in &c[..n] {
                                assert!(c.is_stable(), "{fs} {b:?} {c:?}");
                                assert!([c.b0, c.b1, c.b2].iter().all(|x| x.is_finite()));
                                max_radius = max_radius.max(c.pole_radius());
                                count += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    println!("{count} sections stable, max pole radius {max_radius:.9}");
    assert!(max_radius < 1.0);
}

#[test]
fn butterworth_sections_hit_minus_3_db_and_slope() {
    for slope in SLOPES {
        let mut eq = Eq::new(48_000.0, 512, 2);
        eq.set_settings(settings(
            &[band(BandKind::HighPass, 1000.0, 0.0, 0.7, slope)],
            PhaseMode::Minimum,
        ));
        eq.reset();
        let at_cutoff = 20.0 * eq.response(1000.0).log10();
        assert!((at_cutoff + 3.0103).abs() < 0.01, "{slope:?}: {at_cutoff}");
        // Far below the cutoff (25–50 Hz, x ≤ 0.05, where the Butterworth term 1 + x^(2N) differs
        // from 1 by < 1e-10) the attenuation of an order-N filter grows by
        // 20·log10(2^N) = 6.0206·N dB per octave: 12.04/24.08/36.12/48.16 dB for the four
        // slopes. "12 dB/oct per section" is the rounded figure, 0.04 dB per section short.
        let per_octave = 20.0 * (eq.response(50.0) / eq.response(25.0)).log10();
        let order = 2 * slope.num_sections() as i32;
        let expected = 20.0 * 2f64.powi(order).log10();
        assert!(
            (per_octave - expected).abs() < 0.05,
            "{slope:?}: {per_octave}"
        );
        println!(
            "{slope:?}: {at_cutoff:.4} dB at the cutoff, {per_octave:.4} dB/octave \
             (ideal {expected:.4})"
        );
    }
}

#[test]
fn linear_phase_matches_minimum_phase_magnitude_with_constant_delay() {
    let cases = [
        master_bus(PhaseMode::Linear),
        settings(
            &[
                band(BandKind::Bell, 100.0, 6.0, 1.0, Slope::Db12),
                band(BandKind::HighShelf, 5000.0, -4.0, 0.7, Slope::Db12),
                band(BandKind::HighPass, 40.0, 0.0, 0.7, Slope::Db12),
            ],
            PhaseMode::Linear,
        ),
        settings(
            &[band(BandKind::Tilt, 1000.0, 5.0, 0.7, Slope::Db12)],
            PhaseMode::Linear,
        ),
    ];
    let (mut worst_mag, mut worst_gd) = (0.0f64, 0.0f64);
    let mut failures = Vec::new();
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        let mut eq = Eq::new(fs, 1024, 2);
        for (i, s) in cases.into_iter().enumerate() {
            let len = 1 << 17;
            let h = impulse_response(&mut eq, s, len);
            let d = eq.latency_samples();
            let mut min_phase = s;
            min_phase.phase = PhaseMode::Minimum;
            eq.set_settings(min_phase);
            eq.reset();
            let mag = magnitude(&h);
            let (err, at) = max_error_db(&mag, fs, 40.0, 20_000.0, -80.0, |f| eq.response(f));
            // Group delay from the phase of H·e^{jωD}: a real, symmetric FIR has none left.
            let gd = group_delay_error(&h, d, fs, 40.0, 20_000.0);
            println!(
                "{fs} Hz case {i}: |linear − minimum| ≤ {err:.4} dB (worst at {at:.1} Hz), \
                 group delay {d} ± {gd:.2e} samples"
            );
            if err >= 0.1 || gd >= 1.0 {
                failures.push(format!(
                    "{fs} Hz case {i}: {err} dB at {at} Hz, gd error {gd}"
                ));
            }
            worst_mag = worst_mag.max(err);
            worst_gd = worst_gd.max(gd);
        }
    }
    println!(
        "linear phase: max magnitude error {worst_mag:.4} dB, \
         group delay error {worst_gd:.2e} samples"
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Largest |group delay − `d`| in samples over `lo..hi` Hz, from phase differences of bins.
fn group_delay_error(h: &[f32], d: usize, fs: f64, lo: f64, hi: f64) -> f64 {
    use realfft::RealFftPlanner;
    let n = h.len();
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut x: Vec<f64> = h.iter().map(|&v| f64::from(v)).collect();
    let mut spec = fft.make_output_vec();
    fft.process(&mut x, &mut spec).unwrap();
    let dw = 2.0 * std::f64::consts::PI / n as f64;
    let mut worst = 0.0f64;
    for k in 1..spec.len() {
        let f = k as f64 * fs / n as f64;
        if f < lo || f > hi {
            continue;
        }
        let dphi = (spec[k] * spec[k - 1].conj()).arg();
        let gd = -dphi / dw;
        worst = worst.max((gd - d as f64).abs());
    }
    worst
}
