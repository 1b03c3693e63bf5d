//! The BS.1770-4 meters' interpolators, evaluated by the limiter's side chain next to the 16×
//! oracle kernel of [`super::peak`], so the limiter also reads what the meters that judge a
//! master read:
//! - libebur128's (also the `ebur128` crate's and ffmpeg's `ebur128` filter), which
//!   distributors and clients use: a 48-tap Hann-windowed sinc
//!   (<https://github.com/jiixyj/libebur128/blob/master/ebur128/ebur128.c>, `interp_create`),
//!   4× (12 taps per phase) below 96 kHz, 2× (24 taps per phase) below 192 kHz, none above;
//! - this crate's own meter grade ([`crate::true_peak`], the plugins' meters and
//!   `stemwise measure`): 12 taps per phase, Kaiser β = 4, at the same factors.
//!
//! Both filters are short: near Nyquist their interpolated phases read up to a few tenths of a
//! dB above the band-limited true peak the 16× kernel measures (their pass bands are not flat
//! and their images are not suppressed), and they differ from each other, so a limiter that
//! only holds the 16× reading lets those meters see an over. The limiter takes the largest of
//! the readings.
//!
//! # Folding
//! libebur128's coefficients are `c[j] = hann(j) · sinc((j - 24) / F)`, `j = 0..48`, not
//! normalised (exactly the crate's formula, rounded to f32 as the crate does); output phase
//! `p` of the frame whose newest input is `x[n]` is `Σ_t c[F·t + p] · x[n - t]`. Both meters
//! put phase `p` at `n - T/2 + p/F` (`T` taps per phase); phase 0 is the sample `x[n - T/2]`
//! itself. With `a_p[t]` the tap of phase `p` on `x[n - t]`, phases `p` and `F - p` use the
//! same taps in reverse order (`a_(F-p)[t] = a_p[T-1-t]`), so as in [`super::peak`] the pair
//! `max(|y_p|, |y_(F-p)|)` is `|E| + |O|` of half-length correlations over the pair sums and
//! differences of the window. The limiter's window `w` (oldest first, 64 frames) reads the
//! interval between `w[31]` and `w[32]`, so a meter's newest sample there is `w[31 + T/2]`.

use crate::lanes::{Coefficient, Lanes, LANES};
use crate::true_peak::{bs1770_oversampling, meter_grade_phases, METER_TAPS_PER_PHASE};
use std::f64::consts::PI;

/// Length of the meter's interpolation filter over all phases (libebur128's 49 taps, the last
/// of which is zero).
pub const METER_FILTER_TAPS: usize = 48;
/// Window index of the sample at the start of the interval a limiter estimate covers
/// (`TAPS/2 - 1` of the 16× kernel).
const INTERVAL_START: usize = 31;
/// Tap pairs per phase of libebur128's 4× filter (12 taps per phase).
const EBUR_PAIRS_4X: usize = METER_FILTER_TAPS / 4 / 2;
/// Tap pairs per phase of libebur128's 2× filter (24 taps per phase).
const EBUR_PAIRS_2X: usize = METER_FILTER_TAPS / 2 / 2;
/// Tap pairs per phase of this crate's meter grade (any factor).
const HOUSE_PAIRS: usize = METER_TAPS_PER_PHASE / 2;

/// Oversampling factor of the BS.1770-4 meter at `sample_rate_hz` as libebur128 chooses it
/// (4 below 96 kHz, 2 below 192 kHz, 1 = sample peak only above): the crate's one definition,
/// [`bs1770_oversampling`].
pub fn meter_factor(sample_rate_hz: f32) -> usize {
    bs1770_oversampling(f64::from(sample_rate_hz))
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

/// One meter's interpolator at factor 4 or 2, folded, with `PAIRS` tap pairs per phase
/// (fixed design data).
#[derive(Clone)]
struct FoldedMeter<const PAIRS: usize> {
    /// `even[k][i]`: even part `(a_p[k] + a_p[T-1-k]) / 2` of phase `p = i + 1` at tap pair
    /// `k` (phases 1 and 2 at 4×; phase 1, the half-sample phase, at 2×).
    even: [[Coefficient; 2]; PAIRS],
    /// `odd[k]`: odd part `(a_1[k] - a_1[T-1-k]) / 2` of phase 1 (4× only; zero at 2×).
    odd: [Coefficient; PAIRS],
}

impl<const PAIRS: usize> FoldedMeter<PAIRS> {
    /// Folds the phases `tap(p, t)` (the tap of phase `p` on the sample `t` frames before the
    /// newest, `t = 0..2·PAIRS`) of a factor-`factor` interpolator.
    fn new(factor: usize, tap: impl Fn(usize, usize) -> f32) -> Self {
        let taps = 2 * PAIRS;
        let part = |p: usize, k: usize, sign: f64| {
            if p >= factor || (sign < 0.0 && 2 * p == factor) {
                return Coefficient::default();
            }
            let (near, far) = (f64::from(tap(p, k)), f64::from(tap(p, taps - 1 - k)));
            Coefficient([(0.5 * (near + sign * far)) as f32; LANES])
        };
        Self {
            even: std::array::from_fn(|k| std::array::from_fn(|i| part(i + 1, k, 1.0))),
            odd: std::array::from_fn(|k| part(1, k, -1.0)),
        }
    }

    /// Largest sum of absolute taps over the interpolated phases, from the folded tables.
    fn abs_sum_bound(&self) -> f64 {
        let value = |c: &Coefficient| f64::from(c.0[0]);
        let mut phase_1 = 0.0;
        let mut phase_2 = 0.0;
        for (even, odd) in self.even.iter().zip(&self.odd) {
            let (e1, e2, o1) = (value(&even[0]), value(&even[1]), value(odd));
            phase_1 += (e1 + o1).abs() + (e1 - o1).abs();
            phase_2 += 2.0 * e2.abs();
        }
        phase_1.max(phase_2)
    }

    /// Largest `|y|` of the 4× phases 1..3 of this interpolator and of `other` (same
    /// geometry, so they share the pair sums and differences of the window) in the interval
    /// the limiter window covers.
    #[inline(always)]
    fn estimate_4x_with<const N: usize>(&self, other: &Self, window: &[f32]) -> Lanes<N> {
        let lanes = |start: usize| Lanes::<N>::load(&window[start..]);
        let (newest, oldest) = (INTERVAL_START + PAIRS, INTERVAL_START + 1 - PAIRS);
        let mut even = [[Lanes::<N>::splat(0.0); 2]; 2];
        let mut odd = [Lanes::<N>::splat(0.0); 2];
        for k in 0..PAIRS {
            let (near, far) = (lanes(newest - k), lanes(oldest + k));
            let (sum, diff) = (near.add(far), near.sub(far));
            for ((table, e), o) in [self, other].iter().zip(&mut even).zip(&mut odd) {
                e[0] = e[0].add(table.even[k][0].lanes().mul(sum));
                e[1] = e[1].add(table.even[k][1].lanes().mul(sum));
                *o = o.add(table.odd[k].lanes().mul(diff));
            }
        }
        let peak = |e: &[Lanes<N>; 2], o: &Lanes<N>| e[0].abs().add(o.abs()).max(e[1].abs());
        peak(&even[0], &odd[0]).max(peak(&even[1], &odd[1]))
    }

    /// `|y|` of the 2× half-sample phase in the interval the limiter window covers.
    #[inline(always)]
    fn estimate_2x<const N: usize>(&self, window: &[f32]) -> Lanes<N> {
        let lanes = |start: usize| Lanes::<N>::load(&window[start..]);
        let (newest, oldest) = (INTERVAL_START + PAIRS, INTERVAL_START + 1 - PAIRS);
        let mut half = Lanes::<N>::splat(0.0);
        for (k, row) in self.even.iter().enumerate() {
            let sum = lanes(newest - k).add(lanes(oldest + k));
            half = half.add(row[0].lanes().mul(sum));
        }
        half.abs()
    }
}

/// The folded meter interpolators (every factor designed once by `new`; the pair in use
/// follows the sample rate).
#[derive(Clone)]
pub struct MeterKernel {
    /// libebur128 at 4×.
    ebur_4x: FoldedMeter<EBUR_PAIRS_4X>,
    /// libebur128 at 2×.
    ebur_2x: FoldedMeter<EBUR_PAIRS_2X>,
    /// This crate's meter grade at 4×.
    house_4x: FoldedMeter<HOUSE_PAIRS>,
    /// This crate's meter grade at 2×.
    house_2x: FoldedMeter<HOUSE_PAIRS>,
    /// Oversampling factor of the meters at the current rate (4, 2 or 1); set by `new` and
    /// `set_sample_rate`.
    factor: usize,
}

impl MeterKernel {
    /// Designs every table and selects the factor the meters use at `sample_rate_hz`.
    /// Allocates (temporarily, for the design).
    pub fn new(sample_rate_hz: f32) -> Self {
        let ebur = |factor: usize| {
            let c = meter_filter(factor);
            move |p: usize, t: usize| c[factor * t + p]
        };
        let house = |factor: usize| {
            let phases = meter_grade_phases(factor);
            move |p: usize, t: usize| phases[p - 1][METER_TAPS_PER_PHASE - 1 - t]
        };
        Self {
            ebur_4x: FoldedMeter::new(4, ebur(4)),
            ebur_2x: FoldedMeter::new(2, ebur(2)),
            house_4x: FoldedMeter::new(4, house(4)),
            house_2x: FoldedMeter::new(2, house(2)),
            factor: meter_factor(sample_rate_hz),
        }
    }

    /// Follows the meters' choice of factor at `sample_rate_hz`. Never allocates.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        self.factor = meter_factor(sample_rate_hz);
    }

    /// Oversampling factor of the meters at the current rate (4, 2 or 1).
    pub fn factor(&self) -> usize {
        self.factor
    }

    /// Largest sum of absolute taps over the interpolated phases of the current factor (1.0
    /// without interpolation): `estimate ≤ bound · max |window|`.
    pub fn abs_sum_bound(&self) -> f64 {
        match self.factor {
            4 => self
                .ebur_4x
                .abs_sum_bound()
                .max(self.house_4x.abs_sum_bound()),
            2 => self
                .ebur_2x
                .abs_sum_bound()
                .max(self.house_2x.abs_sum_bound()),
            _ => 1.0,
        }
    }

    /// Largest `|y|` over both meters' interpolated phases in the interval the limiter window
    /// `window` (oldest first) covers, for `N` consecutive frames; zero at factor 1 (the
    /// sample itself is read by the 16× kernel's phase 0). `window` holds at least `63 + N`
    /// samples.
    #[inline(always)]
    pub(crate) fn estimate_lanes<const N: usize>(&self, window: &[f32]) -> Lanes<N> {
        match self.factor {
            4 => self.ebur_4x.estimate_4x_with(&self.house_4x, window),
            2 => self
                .ebur_2x
                .estimate_2x(window)
                .max(self.house_2x.estimate_2x(window)),
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

    /// Both meters' interpolated phases computed directly from the unfolded filters, as the
    /// meters do: the largest `|y|` in the interval `window[31]..window[32]`.
    fn direct(factor: usize, window: &[f32]) -> f32 {
        let ebur = meter_filter(factor);
        let ebur_taps = METER_FILTER_TAPS / factor;
        let house = meter_grade_phases(factor);
        let house_taps = METER_TAPS_PER_PHASE;
        (1..factor)
            .map(|p| {
                let ebur_newest = INTERVAL_START + ebur_taps / 2;
                let ebur_y: f32 = (0..ebur_taps)
                    .map(|t| ebur[factor * t + p] * window[ebur_newest - t])
                    .sum();
                let house_oldest = INTERVAL_START + 1 - house_taps / 2;
                let house_y: f32 = (0..house_taps)
                    .map(|k| house[p - 1][k] * window[house_oldest + k])
                    .sum();
                ebur_y.abs().max(house_y.abs())
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
