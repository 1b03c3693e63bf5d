//! The BS.1770-4 meter's interpolator, evaluated by the limiter's side chain next to the 16×
//! oracle kernel of [`super::peak`], so the limiter also reads what the meters that
//! distributors and clients use read: libebur128, the `ebur128` crate and ffmpeg's `ebur128`
//! filter all interpolate with the same 48-tap Hann-windowed sinc
//! (<https://github.com/jiixyj/libebur128/blob/master/ebur128/ebur128.c>, `interp_create`):
//! 4× (12 taps per phase) below 96 kHz, 2× (24 taps per phase) below 192 kHz, none above.
//!
//! That filter is short: near Nyquist its interpolated phases read up to a few tenths of a dB
//! above the band-limited true peak the 16× kernel measures (its passband is not flat and its
//! images are not suppressed), so a limiter that only holds the 16× reading lets those meters
//! see an over. The limiter takes the larger of both readings.
//!
//! # Folding
//! The meter's coefficients are `c[j] = hann(j) · sinc((j - 24) / F)`, `j = 0..48`, not
//! normalised (exactly the crate's formula, rounded to f32 as the crate does). Output phase
//! `p` of the frame whose newest input is `x[n]` is `Σ_t c[F·t + p] · x[n - t]`, the signal at
//! `n - T/2 + p/F` (`T = 48 / F` taps per phase); phase 0 is the sample `x[n - T/2]` itself.
//! Phases `p` and `F - p` use the same taps in reverse order, so as in [`super::peak`] the
//! pair `max(|y_p|, |y_(F-p)|)` is `|E| + |O|` of half-length correlations over the pair sums
//! and differences of the window. The limiter's window `w` (oldest first, 64 frames) reads the
//! interval between `w[31]` and `w[32]`, so the meter's newest sample there is `w[31 + T/2]`.

use crate::lanes::{Coefficient, Lanes, LANES};
use std::f64::consts::PI;

/// Length of the meter's interpolation filter over all phases (libebur128's 49 taps, the last
/// of which is zero).
pub const METER_FILTER_TAPS: usize = 48;
/// Window index of the sample at the start of the interval a limiter estimate covers
/// (`TAPS/2 - 1` of the 16× kernel).
const INTERVAL_START: usize = 31;
/// Tap pairs of the 4× filter (12 taps per phase).
const PAIRS_4X: usize = METER_FILTER_TAPS / 4 / 2;
/// Tap pairs of the 2× filter (24 taps per phase).
const PAIRS_2X: usize = METER_FILTER_TAPS / 2 / 2;

/// Oversampling factor of the BS.1770-4 meter at `sample_rate_hz` as libebur128 chooses it:
/// 4 below 96 kHz, 2 below 192 kHz, 1 (sample peak only) above.
pub fn meter_factor(sample_rate_hz: f32) -> usize {
    if sample_rate_hz < 96_000.0 {
        4
    } else if sample_rate_hz < 192_000.0 {
        2
    } else {
        1
    }
}

/// The meter's filter for factor `factor` (2 or 4), exactly as the `ebur128` crate computes
/// it (f64, rounded to f32).
pub fn meter_filter(factor: usize) -> [f32; METER_FILTER_TAPS] {
    let window = METER_FILTER_TAPS as f64;
    std::array::from_fn(|j| {
        let j = j as f64;
        let hann = 0.5 * (1.0 - (2.0 * PI * j / window).cos());
        let m = j - window / 2.0;
        let x = m * PI / factor as f64;
        (if m.abs() > 1e-6 {
            hann * x.sin() / x
        } else {
            hann
        }) as f32
    })
}

/// Even (`(a_k + a_(T-1-k)) / 2`) and odd (`(a_k - a_(T-1-k)) / 2`) parts of phase `p` of the
/// meter filter for `factor`, tap pair `k` (`a_t = c[factor·t + p]`).
fn folded(filter: &[f32; METER_FILTER_TAPS], factor: usize, p: usize, k: usize) -> (f32, f32) {
    let taps = METER_FILTER_TAPS / factor;
    let near = f64::from(filter[factor * k + p]);
    let far = f64::from(filter[factor * (taps - 1 - k) + p]);
    ((0.5 * (near + far)) as f32, (0.5 * (near - far)) as f32)
}

/// The folded, pre-broadcast meter interpolators (both factors designed once by `new`; the
/// one in use follows the sample rate).
#[derive(Clone)]
pub struct MeterKernel {
    /// 4×: `even_4x[k][p-1]`, even parts of phases 1 and 2 at tap pair `k`.
    even_4x: [[Coefficient; 2]; PAIRS_4X],
    /// 4×: odd part of phase 1 at tap pair `k` (phase 2 is symmetric).
    odd_4x: [Coefficient; PAIRS_4X],
    /// 2×: the half-sample phase at tap pair `k` (symmetric).
    even_2x: [Coefficient; PAIRS_2X],
    /// Oversampling factor of the meter at the current rate (4, 2 or 1); set by `new` and
    /// `set_sample_rate`.
    factor: usize,
}

impl MeterKernel {
    /// Designs both factors and selects the one libebur128 uses at `sample_rate_hz`.
    pub fn new(sample_rate_hz: f32) -> Self {
        let four = meter_filter(4);
        let two = meter_filter(2);
        let broadcast = |c: f32| Coefficient([c; LANES]);
        Self {
            even_4x: std::array::from_fn(|k| {
                std::array::from_fn(|p| broadcast(folded(&four, 4, p + 1, k).0))
            }),
            odd_4x: std::array::from_fn(|k| broadcast(folded(&four, 4, 1, k).1)),
            even_2x: std::array::from_fn(|k| broadcast(folded(&two, 2, 1, k).0)),
            factor: meter_factor(sample_rate_hz),
        }
    }

    /// Follows the meter's choice of factor at `sample_rate_hz`. Never allocates.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        self.factor = meter_factor(sample_rate_hz);
    }

    /// Oversampling factor of the meter at the current rate (4, 2 or 1).
    pub fn factor(&self) -> usize {
        self.factor
    }

    /// Largest sum of absolute taps over the interpolated phases of the current factor (1.0
    /// without interpolation): `estimate ≤ bound · max |window|`.
    pub fn abs_sum_bound(&self) -> f64 {
        if self.factor == 1 {
            return 1.0;
        }
        let filter = meter_filter(self.factor);
        (1..self.factor)
            .map(|p| {
                (0..METER_FILTER_TAPS / self.factor)
                    .map(|t| f64::from(filter[self.factor * t + p]).abs())
                    .sum::<f64>()
            })
            .fold(1.0, f64::max)
    }

    /// Largest `|y|` over the meter's interpolated phases in the interval the limiter window
    /// `window` (oldest first) covers, for `N` consecutive frames; zero at factor 1 (the
    /// sample itself is read by the 16× kernel's phase 0). `window` holds at least
    /// `63 + N` samples.
    #[inline(always)]
    pub(crate) fn estimate_lanes<const N: usize>(&self, window: &[f32]) -> Lanes<N> {
        let lanes = |start: usize| Lanes::<N>::load(&window[start..]);
        match self.factor {
            4 => {
                let newest = INTERVAL_START + PAIRS_4X;
                let oldest = INTERVAL_START + 1 - PAIRS_4X;
                let mut even = [Lanes::<N>::splat(0.0); 2];
                let mut odd = Lanes::<N>::splat(0.0);
                for (k, (row, o)) in self.even_4x.iter().zip(&self.odd_4x).enumerate() {
                    let (near, far) = (lanes(newest - k), lanes(oldest + k));
                    let (sum, diff) = (near.add(far), near.sub(far));
                    even[0] = even[0].add(row[0].lanes().mul(sum));
                    even[1] = even[1].add(row[1].lanes().mul(sum));
                    odd = odd.add(o.lanes().mul(diff));
                }
                even[0].abs().add(odd.abs()).max(even[1].abs())
            }
            2 => {
                let newest = INTERVAL_START + PAIRS_2X;
                let oldest = INTERVAL_START + 1 - PAIRS_2X;
                let mut half = Lanes::<N>::splat(0.0);
                for (k, c) in self.even_2x.iter().enumerate() {
                    let sum = lanes(newest - k).add(lanes(oldest + k));
                    half = half.add(c.lanes().mul(sum));
                }
                half.abs()
            }
            _ => Lanes::splat(0.0),
        }
    }
}

impl std::fmt::Debug for MeterKernel {
    /// The factor only (the tables are fixed design data, not state).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeterKernel")
            .field("factor", &self.factor)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::white_noise;

    /// The meter's interpolated phases computed directly from the unfolded filter, as the
    /// `ebur128` crate does: the largest `|y|` in the interval `window[31]..window[32]`.
    fn direct(factor: usize, window: &[f32]) -> f32 {
        let filter = meter_filter(factor);
        let taps = METER_FILTER_TAPS / factor;
        let newest = INTERVAL_START + taps / 2;
        (1..factor)
            .map(|p| {
                (0..taps)
                    .map(|t| filter[factor * t + p] * window[newest - t])
                    .sum::<f32>()
                    .abs()
            })
            .fold(0.0, f32::max)
    }

    #[test]
    fn folded_estimate_is_the_meters_direct_form() {
        let input = white_noise(3, 1.0, 64 + 4 + 200);
        for (rate, factor) in [(48_000.0, 4), (96_000.0, 2)] {
            let kernel = MeterKernel::new(rate);
            assert_eq!(kernel.factor(), factor);
            for start in 0..200 {
                let folded = kernel.estimate_lanes::<4>(&input[start..]).0[0];
                let exact = direct(factor, &input[start..]);
                assert!(
                    (folded - exact).abs() <= 1e-5 * exact.max(1.0),
                    "{folded} {exact}"
                );
            }
        }
    }

    #[test]
    fn phase_zero_is_the_sample_and_factor_follows_the_rate() {
        for factor in [2, 4] {
            let filter = meter_filter(factor);
            let taps = METER_FILTER_TAPS / factor;
            let phase0: Vec<f32> = (0..taps).map(|t| filter[factor * t]).collect();
            assert_eq!(phase0[taps / 2], 1.0);
            assert!(phase0
                .iter()
                .enumerate()
                .all(|(t, &c)| t == taps / 2 || c.abs() < 1e-7));
        }
        assert_eq!(meter_factor(44_100.0), 4);
        assert_eq!(meter_factor(96_000.0), 2);
        assert_eq!(meter_factor(192_000.0), 1);
        let mut kernel = MeterKernel::new(192_000.0);
        assert_eq!(kernel.estimate_lanes::<4>(&[1.0; 68]).0, [0.0; 4]);
        kernel.set_sample_rate(44_100.0);
        assert!(kernel.estimate_lanes::<4>(&[1.0; 68]).0[0] > 0.9);
    }
}
