//! Sample-rate conversion quality: level, flatness, aliasing/THD+N, time alignment, length.
//! Each tone is measured by a least-squares sine fit over the middle of the output (the
//! edges hold the filter's start-up and tail).

use shared_dsp::resample::SampleRateConverter;
use shared_dsp::signals::sine;

/// Least-squares fit of `a·sin(ωn) + b·cos(ωn)` over the middle half of `y`; returns
/// (amplitude, phase_rad, residual_energy / fitted_energy).
fn fit_sine(y: &[f32], freq_hz: f64, sample_rate_hz: f64) -> (f64, f64, f64) {
    let w = std::f64::consts::TAU * freq_hz / sample_rate_hz;
    let range = y.len() / 4..3 * y.len() / 4;
    let (mut ss, mut sc, mut cc, mut ys, mut yc) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for n in range.clone() {
        let (s, c) = (w * n as f64).sin_cos();
        ss += s * s;
        sc += s * c;
        cc += c * c;
        ys += y[n] as f64 * s;
        yc += y[n] as f64 * c;
    }
    let det = ss * cc - sc * sc;
    let a = (ys * cc - yc * sc) / det;
    let b = (yc * ss - ys * sc) / det;
    let (mut e_res, mut e_fit) = (0.0, 0.0);
    for n in range {
        let fitted = a * (w * n as f64).sin() + b * (w * n as f64).cos();
        e_fit += fitted * fitted;
        e_res += (y[n] as f64 - fitted).powi(2);
    }
    (a.hypot(b), b.atan2(a), e_res / e_fit)
}

fn convert(x: &[f32], input_rate: u32, output_rate: u32) -> Vec<f32> {
    let mut converter = SampleRateConverter::new(input_rate, output_rate, 1).unwrap();
    converter.process(&[x]).remove(0)
}

#[test]
fn one_khz_level_is_kept_within_0_01_db() {
    let x = sine(1000.0, 0.5, 96_000.0, 96_000, 0.0);
    let y = convert(&x, 96_000, 44_100);
    let (amplitude, _, _) = fit_sine(&y, 1000.0, 44_100.0);
    let error_db = 20.0 * (amplitude / 0.5).log10();
    eprintln!("1 kHz level error {error_db:.5} dB");
    assert!(error_db.abs() < 0.01);
}

#[test]
fn passband_is_flat_within_0_05_db_to_20_khz() {
    let mut worst_db = 0.0f64;
    for freq_hz in [
        20.0, 100.0, 1000.0, 5000.0, 10_000.0, 15_000.0, 18_000.0, 19_000.0, 20_000.0,
    ] {
        let x = sine(freq_hz, 0.5, 96_000.0, 96_000, 0.0);
        let y = convert(&x, 96_000, 44_100);
        let (amplitude, _, _) = fit_sine(&y, freq_hz, 44_100.0);
        let error_db = 20.0 * (amplitude / 0.5).log10();
        eprintln!("{freq_hz} Hz: {error_db:+.5} dB");
        worst_db = worst_db.max(error_db.abs());
    }
    assert!(worst_db < 0.05, "worst {worst_db} dB");
}

#[test]
fn thd_n_near_20_khz_and_aliasing_are_below_minus_100_db() {
    let x = sine(19_500.0, 0.5, 96_000.0, 96_000, 0.0);
    let y = convert(&x, 96_000, 44_100);
    let (_, _, residual_ratio) = fit_sine(&y, 19_500.0, 44_100.0);
    let thd_n_db = 10.0 * residual_ratio.log10();
    // A 26 kHz tone is above the output Nyquist frequency; any alias lands at 18.1 kHz.
    let x_alias = sine(26_000.0, 0.5, 96_000.0, 96_000, 0.0);
    let y_alias = convert(&x_alias, 96_000, 44_100);
    let middle = &y_alias[y_alias.len() / 4..3 * y_alias.len() / 4];
    let rms =
        (middle.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / middle.len() as f64).sqrt();
    let alias_db = 20.0 * (rms / (0.5 / 2f64.sqrt())).log10();
    eprintln!("THD+N at 19.5 kHz {thd_n_db:.1} dB, 26 kHz alias {alias_db:.1} dB");
    assert!(thd_n_db < -100.0);
    assert!(alias_db < -100.0);
}

#[test]
fn output_is_time_aligned_within_one_sample() {
    for (input_rate, output_rate) in [(96_000, 44_100), (48_000, 44_100), (44_100, 48_000)] {
        for freq_hz in [1000.0, 3000.0] {
            let x = sine(freq_hz, 0.5, input_rate as f64, input_rate as usize, 0.0);
            let y = convert(&x, input_rate, output_rate);
            let (_, phase_rad, _) = fit_sine(&y, freq_hz, output_rate as f64);
            let delay_samples = -phase_rad / std::f64::consts::TAU / freq_hz * output_rate as f64;
            eprintln!(
                "{input_rate}->{output_rate} at {freq_hz} Hz: delay {delay_samples:.4} samples"
            );
            assert!(delay_samples.abs() < 1.0);
            assert!(delay_samples.abs() < 0.01, "sub-sample alignment");
        }
    }
}

#[test]
fn output_length_is_the_rounded_ratio() {
    for (len, input_rate, output_rate, expected) in [
        (96_001, 96_000, 44_100, 44_100),
        (96_002, 96_000, 44_100, 44_101),
        (1000, 44_100, 48_000, 1088),
        (48_000, 48_000, 44_100, 44_100),
    ] {
        let x = vec![0.0f32; len];
        let y = convert(&x, input_rate, output_rate);
        assert_eq!(
            y.len(),
            expected,
            "{len} samples {input_rate}->{output_rate}"
        );
    }
}
