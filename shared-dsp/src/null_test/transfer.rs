//! Reading a stem's estimated transfer function `H(f)` (stem → reference, from
//! `spectral.rs`): what a right stem looks like (`H = 1`) and what each fault looks like.
//!
//! - An offset of `d` samples is a linear phase, `H = e^{jωd}` (the aligned stem is `d`
//!   samples behind the reference's copy): the integer part is the peak of the weighted
//!   impulse response `IFFT(w·H)`, the fractional part the weighted slope of the phase that
//!   remains.
//! - Polarity is the sign and a level error the size of `G = H·e^{−jωd}` at low frequencies
//!   (the lowest bins holding [`GAIN_WEIGHT_SHARE`] of the stem's weight, below any roll-off).
//! - The shape `|G(f)| / |g|` on third-octave bands: flat = nothing more; unity up to a corner
//!   then rising for good = a stem that lost its top band in a sample-rate round trip (the
//!   reference holds what the stem lacks, so stem → reference is the *inverse* of the
//!   resampler's roll-off; the corner names the intermediate rate); any other deviation = a
//!   filter (EQ) on the stem (or, on every stem alike, on the mix bus).
//!
//! Weights `w` are the precisions of `H` (see `spectral.rs`), so bins where the stem is weak or
//! masked by another stem count little. Every band level and the gain carry a standard error
//! from the fit's residual (`noise / w` per bin); a deviation counts only beyond
//! [`SIGNIFICANCE`] standard errors, so what another stem's fault or missing material leaks
//! into a stem's fit is not read as a fault of that stem.
//!
//! Least squares assumes the stem is exact and the reference carries the noise. A stem that
//! carries its own error (a resampler's aliasing: material the reference does not hold) is
//! read too low by its coherence with the reference (errors in variables); the H2 estimator
//! `Σ|R|² / Σ conj(X)·R` over the same bins (here `Σ(|H|²·w + E) / |Σ conj(H)·w|`, `E` the
//! fit's residual power) reads it too high by what the reference holds beyond the model.
//! The true level lies between them (Bendat & Piersol, *Random Data*, §9.2), so each band and
//! the gain carry that bracket too; a linear 96 → 48 → 96 kHz round trip reads −6…−8 dB at
//! 2–10 kHz by least squares on a reverb return whose top band aliases down, and +0.0…+1.2 dB
//! (its interpolator's true response) on the bracket's other end.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner};

/// Share of the stem's weight below fs/4, from the lowest bins up, that measures its gain.
const GAIN_WEIGHT_SHARE: f64 = 0.1;
/// A band counts when its mean bin weight is at least this fraction of the strongest band's.
const VALID_BAND_WEIGHT: f64 = 1e-6;
/// Deviation at which the top-band corner is read, in dB re the low-frequency gain.
const CORNER_DB: f64 = 3.0;
/// A top-band deviation is sustained while every band above it deviates by more than this,
/// in dB.
const SUSTAINED_DB: f64 = 1.0;
/// A resampler's deviation reaches this somewhere above the corner (its stopband), in dB.
const RESAMPLED_MIN_DB: f64 = 3.0;
/// A resampler's corner lies above this fraction of the Nyquist frequency.
const RESAMPLED_MIN_CORNER: f64 = 0.25;
/// Half-width of the smoothing of the corner's refinement, bins.
const REFINE_HALF_BINS: usize = 4;
/// Standard errors a deviation (or a gain error) must exceed to count.
pub(crate) const SIGNIFICANCE: f64 = 4.0;
/// Below half the corner a roll-off (resampling) leaves the response within this, in dB.
const PASSBAND_FLAT_DB: f64 = 1.0;

/// One third-octave band of the shape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Band {
    /// Centre frequency (geometric), Hz.
    pub centre_hz: f64,
    /// `20·log10|Ḡ|`, the band's weighted mean gain in dB (absolute, not re the gain).
    pub level_db: f64,
    /// The band has enough of the stem to be read.
    pub valid: bool,
    /// Standard error of the band's mean gain (linear, same scale as the gain).
    pub error: f64,
    /// `20·log10` of the band's errors-in-variables level (see [`Reading::gain_upper`]): what
    /// the level is if everything the stem holds beyond the reference is the stem's own error.
    pub upper_db: f64,
}

impl Band {
    /// The band's level relative to `gain_db` when it differs from it by more than
    /// [`SIGNIFICANCE`] standard errors, else 0 dB.
    pub fn significant_db(&self, gain: f64) -> f64 {
        let level = 10f64.powf(self.level_db / 20.0);
        if (level - gain.abs()).abs() > SIGNIFICANCE * self.error {
            self.level_db - 20.0 * gain.abs().max(1e-12).log10()
        } else {
            0.0
        }
    }

    /// The band's level bracket `[least squares, errors-in-variables]` widened by
    /// [`SIGNIFICANCE`] standard errors, relative to the gain bracket `gains` (linear
    /// magnitudes): 0 dB when they overlap (some reading puts the band at the stem's level),
    /// else the gap between them, dB (positive: the band is above the gain).
    pub fn bracketed_db(&self, gains: (f64, f64)) -> f64 {
        let (a, b) = (
            10f64.powf(self.level_db / 20.0),
            10f64.powf(self.upper_db / 20.0),
        );
        let margin = SIGNIFICANCE * self.error;
        let (lo, hi) = ((a.min(b) - margin).max(1e-12), a.max(b) + margin);
        let (g_lo, g_hi) = (
            gains.0.abs().min(gains.1.abs()).max(1e-12),
            gains.0.abs().max(gains.1.abs()).max(1e-12),
        );
        if lo > g_hi {
            20.0 * (lo / g_hi).log10()
        } else if hi < g_lo {
            20.0 * (hi / g_lo).log10()
        } else {
            0.0
        }
    }
}

/// What a stem's transfer function says, one channel.
#[derive(Debug, Clone)]
pub(crate) struct Reading {
    /// Signed low-frequency gain (1 = right, −1 = inverted, 0 = not in the reference).
    pub gain: f64,
    /// Standard error of `gain`.
    pub gain_error: f64,
    /// The low-frequency level read as errors-in-variables (`Σ|R|² / Σ conj(X)·R` over the
    /// same bins, the "H2" estimator; Bendat & Piersol ch. 9): least squares (`gain`) reads a
    /// stem that carries its own error (a resampler's aliasing, which the reference does not
    /// hold) too low by its coherence with the reference, this reads it too high by what the
    /// reference holds beyond the model; the stem's true level lies between them. Same sign
    /// as `gain`.
    pub gain_upper: f64,
    /// How far the stem, as aligned, lags the reference's copy of it, in samples
    /// (fractional; add its rounding to the stem's shift).
    pub lag_samples: f64,
    /// Standard error of `lag_samples`, samples.
    pub lag_error: f64,
    /// Where the shape first deviates by [`CORNER_DB`] from the gain, Hz.
    pub corner_hz: Option<f64>,
    /// The deviation is a resampler's: flat below half the corner, at least
    /// [`RESAMPLED_MIN_DB`] above it, corner in the top three quarters of the band; read on
    /// the least-squares levels, or on the level brackets (a stem whose aliasing biases its
    /// least-squares levels down where it holds little of its own).
    pub resample_like: bool,
    /// Largest deviation of the shape from flat below the roll-off (or everywhere), in dB
    /// (signed: positive = boost).
    pub deviation_db: f64,
    /// The same deviation read on the level brackets ([`Band::bracketed_db`]): what remains of
    /// it when another stem's own error (a resampler's aliasing, noise in the model's inputs)
    /// may have biased the least-squares levels, dB.
    pub bracketed_deviation_db: f64,
    /// Third-octave bands of the shape.
    pub bands: Vec<Band>,
    /// Σ of the bin weights (0: the stem is silent).
    pub weight: f64,
}

/// Reads transfer functions of one segment length (allocates its FFT once).
pub(crate) struct Reader {
    /// Segment length (FFT length) in samples.
    len: usize,
    /// Sample rate in Hz.
    sample_rate_hz: f64,
    /// Inverse FFT for the weighted impulse response.
    inverse: Arc<dyn ComplexToReal<f64>>,
    /// Band edges in bins: band `b` spans `edges[b]..edges[b + 1]`.
    edges: Vec<usize>,
}

impl Reader {
    /// A reader for segments of `len` samples at `sample_rate_hz`.
    pub fn new(len: usize, sample_rate_hz: f64) -> Self {
        let bin_hz = sample_rate_hz / len as f64;
        let nyquist_bin = len / 2;
        let mut edges = vec![1usize];
        let mut edge_hz = 10.0 * bin_hz;
        while ((edge_hz / bin_hz).round() as usize) < nyquist_bin {
            let bin = (edge_hz / bin_hz).round() as usize;
            if bin > *edges.last().unwrap_or(&0) {
                edges.push(bin);
            }
            edge_hz *= 2f64.powf(1.0 / 3.0);
        }
        edges.push(nyquist_bin + 1);
        Self {
            len,
            sample_rate_hz,
            inverse: RealFftPlanner::<f64>::new().plan_fft_inverse(len),
            edges,
        }
    }

    /// Angular frequency of bin `k`, radians per sample.
    fn omega(&self, k: usize) -> f64 {
        std::f64::consts::TAU * k as f64 / self.len as f64
    }

    /// Reads `transfer` weighted by `weights`, with the fit's residual `noise` (per segment
    /// and degree of freedom) and `residual` (summed over segments), one value per bin, DC to
    /// Nyquist.
    pub fn read(
        &self,
        transfer: &[Complex<f64>],
        weights: &[f64],
        noise: &[f64],
        residual: &[f64],
    ) -> Reading {
        let bins = transfer.len();
        let weight: f64 = weights.iter().sum();
        let quarter = bins / 2;
        if weight <= 0.0 {
            return Reading {
                gain: 0.0,
                gain_error: 0.0,
                gain_upper: 0.0,
                lag_samples: 0.0,
                lag_error: f64::INFINITY,
                corner_hz: None,
                resample_like: false,
                deviation_db: 0.0,
                bracketed_deviation_db: 0.0,
                bands: Vec::new(),
                weight,
            };
        }
        // Integer lag: peak of the weighted impulse response (H = e^{jωd} peaks at n = −d).
        let mut spectrum: Vec<Complex<f64>> =
            transfer.iter().zip(weights).map(|(h, w)| h * *w).collect();
        spectrum[0].im = 0.0;
        spectrum[bins - 1].im = 0.0;
        let mut impulse = vec![0.0; self.len];
        self.inverse
            .process(&mut spectrum, &mut impulse)
            .expect("buffer lengths match the plan");
        let reach = (self.len / 4) as isize;
        let at = |n: isize| impulse[n.rem_euclid(self.len as isize) as usize];
        let mut peak = 0isize;
        for n in -reach..=reach {
            if at(n).abs() > at(peak).abs() {
                peak = n;
            }
        }
        let lag_int = -peak as f64;
        let sign = if at(peak) < 0.0 { -1.0 } else { 1.0 };
        // Fractional lag: weighted phase slope below fs/4 of what remains.
        // Its standard error from the phase's, var(φ) ≈ noise / (2·w·|G|²).
        let (mut num, mut den, mut variance) = (0.0f64, 0.0f64, 0.0f64);
        for k in 1..quarter {
            let w = self.omega(k);
            let g = transfer[k] * Complex::from_polar(sign, -w * lag_int);
            let weight_k = weights[k] * g.norm();
            num += weight_k * w * g.arg();
            den += weight_k * w * w;
            variance += 0.5 * weights[k] * w * w * noise[k];
        }
        let lag = lag_int + if den > 0.0 { num / den } else { 0.0 };
        let lag_error = if den > 0.0 {
            variance.sqrt() / den
        } else {
            f64::INFINITY
        };
        let shape: Vec<Complex<f64>> = transfer
            .iter()
            .enumerate()
            .map(|(k, h)| h * Complex::from_polar(1.0, -self.omega(k) * lag))
            .collect();
        // Gain from the lowest bins.
        let low_weight: f64 = weights[1..quarter.max(2)].iter().sum();
        let (mut sum_w, mut sum_g, mut sum_noise) = (0.0f64, 0.0f64, 0.0f64);
        let (mut sum_explained, mut sum_cross) = (0.0f64, Complex::new(0.0, 0.0));
        for k in 1..bins {
            sum_w += weights[k];
            sum_g += weights[k] * shape[k].re;
            sum_noise += weights[k] * noise[k];
            sum_explained += weights[k] * shape[k].norm_sqr() + residual[k];
            sum_cross += shape[k].conj() * weights[k];
            if sum_w >= GAIN_WEIGHT_SHARE * low_weight {
                break;
            }
        }
        let gain = if sum_w > 0.0 { sum_g / sum_w } else { 0.0 };
        let gain_upper = if sum_cross.norm() > 0.0 {
            gain.signum() * sum_explained / sum_cross.norm()
        } else {
            gain
        };
        let gain_error = if sum_w > 0.0 {
            sum_noise.sqrt() / sum_w
        } else {
            0.0
        };
        let bands = self.bands(&shape, weights, noise, residual);
        // Relative levels, a deviation within its error counted as none.
        let relative: Vec<(f64, f64)> = bands
            .iter()
            .filter(|b| b.valid)
            .map(|b| (b.centre_hz, b.significant_db(gain)))
            .collect();
        let nyquist_hz = 0.5 * self.sample_rate_hz;
        let resampler = |relative: &[(f64, f64)], corner_hz: Option<f64>| {
            corner_hz.is_some_and(|c| {
                let flat_below = relative
                    .iter()
                    .filter(|(f, _)| *f < 0.5 * c)
                    .all(|(_, db)| db.abs() < PASSBAND_FLAT_DB);
                let deep = relative
                    .iter()
                    .filter(|(f, _)| *f >= c)
                    .any(|(_, db)| db.abs() >= RESAMPLED_MIN_DB);
                c >= RESAMPLED_MIN_CORNER * nyquist_hz && flat_below && deep
            })
        };
        let mut corner_hz =
            corner(&relative).map(|c| self.refine_corner(&shape, weights, None, gain, c));
        let mut resample_like = resampler(&relative, corner_hz);
        if !resample_like {
            // The same reading on the level brackets: a stem whose own aliasing biases its
            // least-squares levels down (where it holds little of its own material) is still
            // flat to the corner when its errors-in-variables levels are.
            let bracketed: Vec<(f64, f64)> = bands
                .iter()
                .filter(|b| b.valid)
                .map(|b| (b.centre_hz, b.bracketed_db((gain, gain_upper))))
                .collect();
            let bracket_corner = corner(&bracketed)
                .map(|c| self.refine_corner(&shape, weights, Some(residual), gain_upper, c));
            if resampler(&bracketed, bracket_corner) {
                resample_like = true;
                corner_hz = bracket_corner;
            }
        }
        let limit_hz = if resample_like {
            corner_hz.map_or(f64::INFINITY, |c| 0.5 * c)
        } else {
            f64::INFINITY
        };
        let largest = |m: f64, db: f64| if db.abs() > m.abs() { db } else { m };
        let deviation_db = relative
            .iter()
            .filter(|(f, _)| *f < limit_hz)
            .map(|&(_, db)| db)
            .fold(0.0, largest);
        let bracketed_deviation_db = bands
            .iter()
            .filter(|b| b.valid && b.centre_hz < limit_hz)
            .map(|b| b.bracketed_db((gain, gain_upper)))
            .fold(0.0, largest);
        Reading {
            gain,
            gain_error,
            gain_upper,
            lag_samples: lag,
            lag_error,
            corner_hz,
            resample_like,
            deviation_db,
            bracketed_deviation_db,
            bands,
            weight,
        }
    }

    /// The corner `coarse_hz` (read on third-octave bands) refined to the bin: within the
    /// octave around it, the first bin whose weighted mean shape over ±[`REFINE_HALF_BINS`]
    /// deviates from `gain` by more than [`CORNER_DB`] (the errors-in-variables mean when
    /// the fit's `residual` is given).
    fn refine_corner(
        &self,
        shape: &[Complex<f64>],
        weights: &[f64],
        residual: Option<&[f64]>,
        gain: f64,
        coarse_hz: f64,
    ) -> f64 {
        let bin_hz = self.sample_rate_hz / self.len as f64;
        let last = shape.len() - 1;
        let lo = ((coarse_hz / 2f64.sqrt() / bin_hz) as usize).clamp(1, last);
        let hi = ((coarse_hz * 2f64.sqrt() / bin_hz) as usize).clamp(lo, last);
        let limit = 10f64.powf(CORNER_DB / 20.0);
        for k in lo..=hi {
            let range = k.saturating_sub(REFINE_HALF_BINS).max(1)
                ..(k + REFINE_HALF_BINS + 1).min(shape.len());
            let w: f64 = weights[range.clone()].iter().sum();
            if w <= 0.0 {
                continue;
            }
            let level = match residual {
                None => range.map(|j| shape[j].norm() * weights[j]).sum::<f64>() / w,
                Some(residual) => {
                    let cross: Complex<f64> =
                        range.clone().map(|j| shape[j].conj() * weights[j]).sum();
                    range
                        .map(|j| shape[j].norm_sqr() * weights[j] + residual[j])
                        .sum::<f64>()
                        / cross.norm().max(1e-300)
                }
            };
            let mean = level / gain.abs().max(1e-12);
            if mean > limit || mean < 1.0 / limit {
                return k as f64 * bin_hz;
            }
        }
        coarse_hz
    }

    /// Weighted mean of `shape` per third-octave band, with its standard error and its
    /// errors-in-variables level.
    fn bands(
        &self,
        shape: &[Complex<f64>],
        weights: &[f64],
        noise: &[f64],
        residual: &[f64],
    ) -> Vec<Band> {
        let bin_hz = self.sample_rate_hz / self.len as f64;
        let raw: Vec<(f64, Complex<f64>, f64, f64, f64)> = self
            .edges
            .windows(2)
            .map(|e| {
                let (lo, hi) = (e[0], e[1].min(shape.len()));
                let w: f64 = weights[lo..hi].iter().sum();
                let g: Complex<f64> = (lo..hi).map(|k| shape[k] * weights[k]).sum();
                let variance: f64 = (lo..hi).map(|k| weights[k] * noise[k]).sum();
                let total: f64 = (lo..hi)
                    .map(|k| shape[k].norm_sqr() * weights[k] + residual[k])
                    .sum();
                let upper = total / g.norm().max(1e-300);
                let centre_hz = (lo as f64 * (hi - 1).max(lo) as f64).sqrt() * bin_hz;
                let mean_w = w / (hi - lo).max(1) as f64;
                let (mean, error) = if w > 0.0 {
                    (g / w, variance.sqrt() / w)
                } else {
                    (Complex::default(), f64::INFINITY)
                };
                (centre_hz, mean, mean_w, error, upper)
            })
            .collect();
        let strongest = raw.iter().map(|b| b.2).fold(0.0, f64::max);
        raw.iter()
            .map(|&(centre_hz, g, mean_w, error, upper)| Band {
                centre_hz,
                level_db: 20.0 * g.norm().max(1e-12).log10(),
                valid: mean_w > 0.0 && mean_w >= VALID_BAND_WEIGHT * strongest,
                error,
                upper_db: 20.0 * upper.clamp(1e-12, 1e12).log10(),
            })
            .collect()
    }
}

/// The corner of the top-band deviation: from the deepest deviation (largest |dB|) down
/// through the bands that deviate by more than [`SUSTAINED_DB`], the first that deviates by
/// more than [`CORNER_DB`], interpolated on log frequency (`None` when the deepest is within
/// it). A stem that lost its top band rises there (the reference holds what the stem lacks);
/// one a resampler left images in falls (the stem holds what the reference lacks).
fn corner(relative: &[(f64, f64)]) -> Option<f64> {
    let deepest =
        (0..relative.len()).max_by(|&a, &b| relative[a].1.abs().total_cmp(&relative[b].1.abs()))?;
    if relative[deepest].1.abs() <= CORNER_DB {
        return None;
    }
    let mut start = deepest;
    while start > 0 && relative[start - 1].1.abs() > SUSTAINED_DB {
        start -= 1;
    }
    let first = (start..=deepest).find(|&b| relative[b].1.abs() > CORNER_DB)?;
    if first == 0 {
        return Some(relative[0].0);
    }
    let (f0, d0) = (relative[first - 1].0, relative[first - 1].1.abs());
    let (f1, d1) = (relative[first].0, relative[first].1.abs());
    let t = ((d0 - CORNER_DB) / (d0 - d1)).clamp(0.0, 1.0);
    Some(f0 * (f1 / f0).powf(t))
}
