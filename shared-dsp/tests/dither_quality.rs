//! Dither against theory: TPDF total error is white with variance q²/4 (q = 1 LSB);
//! error-feedback shaping multiplies its spectrum by |NTF|² (`NoiseShaping::power_response`).

use realfft::RealFftPlanner;
use shared_dsp::dither::{Dither, DitherSettings, NoiseShaping};
use shared_dsp::signals::sine;

const FS: f64 = 48_000.0;
const LEN: usize = 1 << 20;
const SEGMENT: usize = 4096;

/// Dithers a 997 Hz sine at −6 dBFS plus a quiet 50 Hz tone; returns (input, output).
fn dithered(bits: u32, shaping: NoiseShaping) -> (Vec<f32>, Vec<f32>) {
    let low = sine(50.0, 1e-4, FS, LEN, 0.0);
    let x: Vec<f32> = sine(997.0, 0.5, FS, LEN, 0.1)
        .iter()
        .zip(&low)
        .map(|(a, b)| a + b)
        .collect();
    let mut y = x.clone();
    let settings = DitherSettings {
        bits,
        shaping,
        seed: 42,
    };
    let mut dither = Dither::new(FS, 512, 1, settings);
    for chunk in y.chunks_mut(512) {
        dither.process_block(&mut [chunk]);
    }
    (x, y)
}

/// Power spectral density of `e` per bin (Welch, Hann, no overlap), normalised so white noise
/// of variance σ² reads σ² in every bin.
fn density(e: &[f64]) -> Vec<f64> {
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(SEGMENT);
    let window: Vec<f64> = (0..SEGMENT)
        .map(|n| 0.5 - 0.5 * (std::f64::consts::TAU * n as f64 / SEGMENT as f64).cos())
        .collect();
    let window_energy: f64 = window.iter().map(|w| w * w).sum();
    let mut input = fft.make_input_vec();
    let mut output = fft.make_output_vec();
    let mut power = vec![0.0; output.len()];
    let segments = e.len() / SEGMENT;
    for s in 0..segments {
        for (n, v) in input.iter_mut().enumerate() {
            *v = window[n] * e[s * SEGMENT + n];
        }
        fft.process(&mut input, &mut output).unwrap();
        for (p, x) in power.iter_mut().zip(&output) {
            *p += x.norm_sqr() / (window_energy * segments as f64);
        }
    }
    power
}

fn bin_hz(k: usize) -> f64 {
    k as f64 * FS / SEGMENT as f64
}

fn error(x: &[f32], y: &[f32]) -> Vec<f64> {
    x.iter()
        .zip(y)
        .map(|(&a, &b)| b as f64 - a as f64)
        .collect()
}

#[test]
fn output_is_exactly_representable_in_24_bits() {
    let (_, y) = dithered(24, NoiseShaping::SecondOrder);
    for &s in &y {
        let code = s as f64 * 8_388_608.0;
        assert_eq!(code, code.round());
        assert!((-8_388_608.0..8_388_608.0).contains(&code));
    }
}

#[test]
fn tpdf_error_has_zero_mean_and_the_theoretical_level() {
    let (x, y) = dithered(16, NoiseShaping::None);
    let q = 2f64.powi(-15);
    let e = error(&x, &y);
    let mean = e.iter().sum::<f64>() / e.len() as f64;
    let variance = e.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / e.len() as f64;
    let level_error_db = 10.0 * (variance / (q * q / 4.0)).log10();
    eprintln!(
        "mean {:.2e} LSB, level vs q²/4 {level_error_db:+.4} dB",
        mean / q
    );
    assert!(mean.abs() < 0.005 * q);
    assert!(level_error_db.abs() < 0.1);
}

#[test]
fn tpdf_error_spectrum_is_flat() {
    let (x, y) = dithered(16, NoiseShaping::None);
    let q = 2f64.powi(-15);
    let psd = density(&error(&x, &y));
    let bands = 8;
    let per_band = (psd.len() - 1) / bands;
    for b in 0..bands {
        let bins = 1 + b * per_band..1 + (b + 1) * per_band;
        let mean = psd[bins.clone()].iter().sum::<f64>() / bins.len() as f64;
        let deviation_db = 10.0 * (mean / (q * q / 4.0)).log10();
        eprintln!("band {b}: {deviation_db:+.4} dB");
        assert!(deviation_db.abs() < 0.2, "band {b}: {deviation_db} dB");
    }
}

#[test]
fn noise_shaping_lowers_in_band_noise_as_designed() {
    let q = 2f64.powi(-15);
    let in_band = |psd: &[f64]| -> f64 {
        (1..psd.len())
            .filter(|&k| bin_hz(k) < 4000.0)
            .map(|k| psd[k])
            .sum::<f64>()
    };
    let (x, y) = dithered(16, NoiseShaping::None);
    let plain = in_band(&density(&error(&x, &y)));
    let (x, y) = dithered(16, NoiseShaping::SecondOrder);
    let shaped = in_band(&density(&error(&x, &y)));
    let theory: f64 = (1..=SEGMENT / 2)
        .filter(|&k| bin_hz(k) < 4000.0)
        .map(|k| q * q / 4.0 * NoiseShaping::SecondOrder.power_response(bin_hz(k), FS))
        .sum();
    let gain_db = 10.0 * (shaped / plain).log10();
    let vs_theory_db = 10.0 * (shaped / theory).log10();
    eprintln!("in-band (<4 kHz) shaped vs plain {gain_db:.2} dB, vs theory {vs_theory_db:+.3} dB");
    assert!(gain_db < -10.0);
    // The Hann window leaks a little of the louder out-of-band noise into the band.
    assert!(vs_theory_db.abs() < 0.5);
}

#[test]
fn reset_reproduces_the_output() {
    let settings = DitherSettings {
        bits: 16,
        shaping: NoiseShaping::SecondOrder,
        seed: 7,
    };
    let mut dither = Dither::new(FS, 64, 2, settings);
    let x = sine(440.0, 0.3, FS, 4096, 0.0);
    let run = |d: &mut Dither| {
        let (mut l, mut r) = (x.clone(), x.clone());
        d.process_block(&mut [&mut l, &mut r]);
        (l, r)
    };
    let first = run(&mut dither);
    dither.reset();
    let second = run(&mut dither);
    assert_eq!(first, second);
    assert_ne!(first.0, first.1, "channels use different dither sequences");
}
