//! Long-term average spectrum (Welch's method) for reports: Hann-windowed frames with 50 %
//! overlap, power averaged over frames and channels. Source: P. Welch, "The use of fast Fourier
//! transform for the estimation of power spectra", IEEE Trans. Audio Electroacoust. 15(2),
//! 1967, <https://doi.org/10.1109/TAU.1967.1161901>. Offline analysis only: allocates.

use realfft::RealFftPlanner;

/// One point of a spectrum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpectrumPoint {
    /// Bin centre frequency, Hz.
    pub freq_hz: f64,
    /// Average power relative to a full-scale sine, dB.
    pub level_db: f64,
}

/// Welch average spectrum of `channels` with frames of `fft_len` samples (a power of two is
/// fastest), bins 1 to `fft_len / 2`. Levels are scaled so that a full-scale sine reads 0 dB
/// in its bin. Empty when the signal is shorter than one frame.
pub fn average_spectrum(
    channels: &[&[f32]],
    sample_rate_hz: f64,
    fft_len: usize,
) -> Vec<SpectrumPoint> {
    let fft_len = fft_len.max(4);
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(fft_len);
    let window: Vec<f64> = (0..fft_len)
        .map(|i| 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / fft_len as f64).cos())
        .collect();
    let window_sum: f64 = window.iter().sum();
    let mut power = vec![0.0f64; fft_len / 2 + 1];
    let mut frames = 0usize;
    let mut input = fft.make_input_vec();
    let mut output = fft.make_output_vec();
    for samples in channels {
        let mut start = 0;
        while start + fft_len <= samples.len() {
            for ((x, &s), &w) in input.iter_mut().zip(&samples[start..]).zip(&window) {
                *x = f64::from(s) * w;
            }
            if fft.process(&mut input, &mut output).is_ok() {
                for (p, c) in power.iter_mut().zip(&output) {
                    *p += c.norm_sqr();
                }
                frames += 1;
            }
            start += fft_len / 2;
        }
    }
    if frames == 0 {
        return Vec::new();
    }
    // A full-scale sine gives |X| = window_sum / 2 in its bin.
    let reference = (window_sum / 2.0).powi(2);
    (1..=fft_len / 2)
        .map(|k| SpectrumPoint {
            freq_hz: k as f64 * sample_rate_hz / fft_len as f64,
            level_db: 10.0 * (power[k] / frames as f64 / reference).max(1e-30).log10(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::sine;

    #[test]
    fn full_scale_sine_reads_zero_db_in_its_bin() {
        // 1500 Hz is bin 64 of a 2048-point frame at 48 kHz.
        let x = sine(1500.0, 1.0, 48_000.0, 48_000, 0.0);
        let s = average_spectrum(&[&x], 48_000.0, 2048);
        let peak = s
            .iter()
            .max_by(|a, b| a.level_db.total_cmp(&b.level_db))
            .unwrap();
        assert_eq!(peak.freq_hz, 1500.0);
        assert!(peak.level_db.abs() < 0.01, "{}", peak.level_db);
    }
}
