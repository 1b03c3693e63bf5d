//! Building blocks of the live null test's diagnosis from the stem **sum** alone: the
//! level-binned frame statistics (mix-bus processing), the top-band residual filter
//! (resampled stem) and the one-time transfer-function window (offset stem).
//!
//! Legend (all "energies" are Σ sample² over the compared samples of every channel):
//! `x` = aligned reference, `e` = residual `reference − aligned candidate`, `h(k)` = the
//! relation between reference and residual at lag `k` (see [`TransferWindow`]).

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::eq::section::{Coefficients, Section};

/// Lowest edge of the level bins, in dBFS (frames below it go to the lowest bin).
const LEVEL_FLOOR_DBFS: f64 = -100.0;
/// Number of 1 dB level bins from [`LEVEL_FLOOR_DBFS`] to 0 dBFS (louder frames go to the top).
pub(super) const NUM_LEVEL_BINS: usize = 100;

/// Energies of the frames whose reference level falls in one 1 dB bin.
#[derive(Debug, Clone, Copy, Default)]
struct LevelBin {
    /// Σ e² of the bin's frames.
    residual_energy: f64,
    /// Σ x² of the bin's frames.
    reference_energy: f64,
    /// Σ e·x of the bin's frames.
    cross_energy: f64,
    /// Number of frames in the bin.
    num_frames: u64,
}

/// The residual's figures in the loudest frames (see [`LevelBins::loudest`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct LoudestShares {
    /// Share of the residual energy in the loudest frames, 0..=1.
    pub residual_share: f64,
    /// Share of the reference energy in the same frames, 0..=1.
    pub reference_share: f64,
    /// Σ e·x in those frames (negative: the reference is quieter than the sum at its peaks).
    pub cross_energy: f64,
}

/// Frame energies binned by the reference frame level, in a fixed array (no allocation).
/// A linear error (a stem's gain or polarity) scales with that stem wherever it plays; a
/// limiter, compressor or clipper on the reference's mix bus puts its residual into the
/// loudest frames, where the reference is *quieter* than the stem sum.
#[derive(Debug, Clone)]
pub(super) struct LevelBins {
    /// One bin per dB of reference frame level (set by `add`, cleared by `reset`).
    bins: [LevelBin; NUM_LEVEL_BINS],
}

impl Default for LevelBins {
    fn default() -> Self {
        Self {
            bins: [LevelBin::default(); NUM_LEVEL_BINS],
        }
    }
}

impl LevelBins {
    /// Clears every bin.
    pub fn reset(&mut self) {
        self.bins = [LevelBin::default(); NUM_LEVEL_BINS];
    }

    /// Adds one frame whose reference level is `level_dbfs` (mean square over samples and
    /// channels, in dB) with its energies.
    #[inline]
    pub fn add(&mut self, level_dbfs: f64, residual: f64, reference: f64, cross: f64) {
        let index = (level_dbfs - LEVEL_FLOOR_DBFS).floor();
        // NaN and −∞ (silent frames) land in bin 0.
        let index = if index >= 0.0 {
            (index as usize).min(NUM_LEVEL_BINS - 1)
        } else {
            0
        };
        let bin = &mut self.bins[index];
        bin.residual_energy += residual;
        bin.reference_energy += reference;
        bin.cross_energy += cross;
        bin.num_frames += 1;
    }

    /// Shares of residual and reference energy in the loudest `fraction` of frames (by
    /// reference level; the bin at the edge counts in proportion to the frames it
    /// contributes). `None` before any frame with energy.
    pub fn loudest(&self, fraction: f64) -> Option<LoudestShares> {
        let total_frames: u64 = self.bins.iter().map(|b| b.num_frames).sum();
        let total_residual: f64 = self.bins.iter().map(|b| b.residual_energy).sum();
        let total_reference: f64 = self.bins.iter().map(|b| b.reference_energy).sum();
        if total_frames == 0 || total_residual <= 0.0 || total_reference <= 0.0 {
            return None;
        }
        let mut wanted = fraction * total_frames as f64;
        let (mut residual, mut reference, mut cross) = (0.0, 0.0, 0.0);
        for bin in self.bins.iter().rev() {
            if wanted <= 0.0 {
                break;
            }
            if bin.num_frames == 0 {
                continue;
            }
            let take = (wanted / bin.num_frames as f64).min(1.0);
            residual += take * bin.residual_energy;
            reference += take * bin.reference_energy;
            cross += take * bin.cross_energy;
            wanted -= bin.num_frames as f64;
        }
        Some(LoudestShares {
            residual_share: residual / total_residual,
            reference_share: reference / total_reference,
            cross_energy: cross,
        })
    }
}

/// Q values of the two sections of a 4th-order Butterworth filter
/// (`1 / (2·cos(π/8))`, `1 / (2·cos(3π/8))`), <https://en.wikipedia.org/wiki/Butterworth_filter>.
const BUTTERWORTH_4_Q: [f64; 2] = [0.541_196_100_146_197, 1.306_562_964_876_376_7];

/// 4th-order Butterworth high-pass at fs/4 on one or two channels (the shared [`Section`]):
/// the residual energy it passes, over the whole residual energy, is the top-band share.
#[derive(Debug, Clone, Copy)]
pub(super) struct TopBandFilter {
    /// The two cascaded sections (state per channel lane).
    sections: [Section; 2],
}

impl TopBandFilter {
    /// The filter for `sample_rate_hz` (cutoff at a quarter of it).
    pub fn new(sample_rate_hz: f64) -> Self {
        let section = |q| {
            Section::new(Coefficients::butterworth_highpass(
                sample_rate_hz / 4.0,
                q,
                sample_rate_hz,
            ))
        };
        Self {
            sections: [section(BUTTERWORTH_4_Q[0]), section(BUTTERWORTH_4_Q[1])],
        }
    }

    /// Filters one sample of `lane` (0 or 1).
    #[inline(always)]
    pub fn process(&mut self, lane: usize, x: f64) -> f64 {
        let y = self.sections[0].process(lane, x);
        self.sections[1].process(lane, y)
    }

    /// Zeroes tiny or non-finite state (call once per frame).
    pub fn flush(&mut self) {
        self.sections.iter_mut().for_each(Section::flush);
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        self.sections.iter_mut().for_each(Section::reset);
    }
}

/// Half-width of the neighbourhoods compared by the antisymmetry score, in lags.
const ANTISYMMETRY_HALF_WIDTH: isize = 16;
/// Lag distances (each both ways) the dipole search scores per work unit.
const DISTANCES_PER_UNIT: usize = 600;
/// Regularisation of the deconvolution, as a fraction of the mean reference power per bin.
const DECONVOLUTION_REGULARISATION: f64 = 1e-3;

/// What the transfer-function window found (computed once, see [`TransferWindow::step`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct WindowFindings {
    /// Lag `d ≠ 0` (samples; positive = one stem late) about whose midpoint `h` is most
    /// antisymmetric.
    pub dipole_lag_samples: isize,
    /// Antisymmetry of `h` about `d/2` near 0 and `d`: 1 = perfect dipole `δ(k) − δ(k − d)`,
    /// 0 = unrelated, negative = symmetric.
    pub antisymmetry: f64,
    /// Share of `h`'s energy over the lag range that lies within ±16 lags of 0 and of `d`,
    /// 0..=1: a broadband stem's dipole is local (≈0.4–0.8 on the tests), a tonal stem's `h`
    /// rings over every lag (≈0.01–0.2) and its `d` is only known up to its period.
    pub localization: f64,
    /// Evenness of `h` about lag 0 over the lag range: 1 = even (a level or polarity error of
    /// one stem or of the sum, or level-dependent gain), ≤ 0.5 for an offset dipole.
    pub evenness: f64,
    /// `h(0)` (relation at lag 0; > 0 when the residual follows the reference).
    pub lag_zero: f64,
}

/// One window of aligned reference `x` and residual `e` (mono), captured once after the
/// residual leaves the pass range, and turned into the relation
/// `h = IFFT( conj(X)·E / (|X|² + ε) )` (Hann-windowed, regularised deconvolution: the filter
/// that best maps the reference onto the residual, <https://en.wikipedia.org/wiki/Wiener_deconvolution>).
///
/// If stem `s` is late by `d` samples the residual is `s(t) − s(t − d)`, so `h(k)` is
/// `w(k) − w(k − d)`, where `w` (even) is the inverse transform of the stem's share of the
/// reference spectrum: a dipole, antisymmetric about `d/2` for any stem spectrum. A level or
/// polarity error of a stem gives `h = c·w`, even about 0. All buffers are allocated in
/// [`TransferWindow::new`]; `push` and `step` never allocate.
pub(super) struct TransferWindow {
    /// Lags examined either way, in samples (set by `new`).
    max_lag_samples: usize,
    /// Forward real FFT plan of the window length.
    forward: Arc<dyn RealToComplex<f64>>,
    /// Inverse real FFT plan of the window length.
    inverse: Arc<dyn ComplexToReal<f64>>,
    /// Hann window.
    window: Vec<f64>,
    /// Captured reference, then scratch.
    reference: Vec<f64>,
    /// Captured residual; after the deconvolution it holds `h` (circular: lag −k at `len − k`).
    residual: Vec<f64>,
    /// Spectrum of the windowed reference.
    reference_spectrum: Vec<Complex<f64>>,
    /// Spectrum of the windowed residual, then of `h`.
    residual_spectrum: Vec<Complex<f64>>,
    /// FFT scratch for both plans.
    scratch: Vec<Complex<f64>>,
    /// Samples captured so far.
    num_captured: usize,
    /// Next analysis work unit.
    next_unit: usize,
    /// Evenness of `h` (set by the deconvolution unit).
    evenness: f64,
    /// Best (lag, antisymmetry) of the dipole search so far.
    best: (isize, f64),
}

impl TransferWindow {
    /// Allocates a window of `len_samples` (a power of two is fastest) examining lags up to
    /// `±max_lag_samples` (clamped to a quarter of the window).
    pub fn new(len_samples: usize, max_lag_samples: usize) -> Self {
        let len = len_samples.max(16);
        let mut planner = RealFftPlanner::<f64>::new();
        let forward = planner.plan_fft_forward(len);
        let inverse = planner.plan_fft_inverse(len);
        let scratch_len = forward.get_scratch_len().max(inverse.get_scratch_len());
        Self {
            max_lag_samples: max_lag_samples.min(len / 4),
            window: (0..len)
                .map(|n| 0.5 - 0.5 * (std::f64::consts::TAU * n as f64 / len as f64).cos())
                .collect(),
            reference: forward.make_input_vec(),
            residual: forward.make_input_vec(),
            reference_spectrum: forward.make_output_vec(),
            residual_spectrum: forward.make_output_vec(),
            scratch: vec![Complex::default(); scratch_len],
            forward,
            inverse,
            num_captured: 0,
            next_unit: 0,
            evenness: 1.0,
            best: (0, f64::NEG_INFINITY),
        }
    }

    /// Starts a new capture.
    pub fn reset(&mut self) {
        self.num_captured = 0;
        self.next_unit = 0;
    }

    /// True once the window is full (then call [`Self::step`] until it returns findings).
    pub fn is_full(&self) -> bool {
        self.num_captured == self.window.len()
    }

    /// Stores one mono sample pair (ignored once full).
    #[inline]
    pub fn push(&mut self, reference: f64, residual: f64) {
        let k = self.num_captured;
        if k < self.window.len() {
            self.reference[k] = reference;
            self.residual[k] = residual;
            self.num_captured += 1;
        }
    }

    /// Runs one work unit of the analysis of a full window (two forward FFTs, the
    /// deconvolution with the inverse FFT, then the dipole search in chunks of
    /// `DISTANCES_PER_UNIT` lags); returns the findings after the last unit. Never allocates.
    pub fn step(&mut self) -> Option<WindowFindings> {
        if !self.is_full() {
            return None;
        }
        let unit = self.next_unit;
        self.next_unit += 1;
        let max_lag = self.max_lag_samples;
        let num_search_units = max_lag.div_ceil(DISTANCES_PER_UNIT);
        match unit {
            0 => {
                for (x, w) in self.reference.iter_mut().zip(&self.window) {
                    *x *= w;
                }
                // Lengths come from the plans, so the transforms cannot fail.
                self.forward
                    .process_with_scratch(
                        &mut self.reference,
                        &mut self.reference_spectrum,
                        &mut self.scratch,
                    )
                    .expect("buffer lengths match the plan");
            }
            1 => {
                for (e, w) in self.residual.iter_mut().zip(&self.window) {
                    *e *= w;
                }
                self.forward
                    .process_with_scratch(
                        &mut self.residual,
                        &mut self.residual_spectrum,
                        &mut self.scratch,
                    )
                    .expect("buffer lengths match the plan");
            }
            2 => {
                self.deconvolve();
                self.evenness = self.evenness();
                self.best = (0, f64::NEG_INFINITY);
            }
            u if u < 3 + num_search_units => {
                let first = (u - 3) * DISTANCES_PER_UNIT + 1;
                for distance in first..(first + DISTANCES_PER_UNIT).min(max_lag + 1) {
                    for d in [distance as isize, -(distance as isize)] {
                        let a = self.antisymmetry(d);
                        if a > self.best.1 {
                            self.best = (d, a);
                        }
                    }
                }
            }
            _ => {
                self.num_captured = 0;
                self.next_unit = 0;
                return Some(self.findings());
            }
        }
        None
    }

    /// `E·conj(X) / (|X|² + ε)`, then the inverse FFT into `residual` (= `h`).
    fn deconvolve(&mut self) {
        let mean_power = self
            .reference_spectrum
            .iter()
            .map(|x| x.norm_sqr())
            .sum::<f64>()
            / self.reference_spectrum.len() as f64;
        let epsilon = (DECONVOLUTION_REGULARISATION * mean_power).max(1e-300);
        for (e, x) in self
            .residual_spectrum
            .iter_mut()
            .zip(&self.reference_spectrum)
        {
            *e = *e * x.conj() / (x.norm_sqr() + epsilon);
        }
        let last = self.residual_spectrum.len() - 1;
        self.residual_spectrum[0].im = 0.0;
        self.residual_spectrum[last].im = 0.0;
        self.inverse
            .process_with_scratch(
                &mut self.residual_spectrum,
                &mut self.residual,
                &mut self.scratch,
            )
            .expect("buffer lengths match the plan");
    }

    /// `h(k)` after the deconvolution (unscaled: only ratios are used).
    #[inline]
    fn h(&self, lag: isize) -> f64 {
        let len = self.residual.len() as isize;
        self.residual[lag.rem_euclid(len) as usize]
    }

    /// Evenness of `h` about 0 over the lag range.
    fn evenness(&self) -> f64 {
        let (mut odd, mut total) = (0.0f64, 0.0f64);
        for k in 1..=self.max_lag_samples as isize {
            let (a, b) = (self.h(k), self.h(-k));
            odd += (a - b) * (a - b);
            total += a * a + b * b;
        }
        if total > 0.0 {
            1.0 - odd / total
        } else {
            1.0
        }
    }

    /// Antisymmetry of `h` about `d/2`, near 0 and `d`.
    fn antisymmetry(&self, d: isize) -> f64 {
        let (mut sum, mut power) = (0.0f64, 0.0f64);
        for k in -ANTISYMMETRY_HALF_WIDTH..=ANTISYMMETRY_HALF_WIDTH {
            let (a, b) = (self.h(k), self.h(d - k));
            sum += (a + b) * (a + b);
            power += a * a + b * b;
        }
        if power > 0.0 {
            1.0 - sum / power
        } else {
            0.0
        }
    }

    /// The findings once the search is done.
    fn findings(&self) -> WindowFindings {
        let max_lag = self.max_lag_samples as isize;
        let d = self.best.0;
        let near: f64 = (-ANTISYMMETRY_HALF_WIDTH..=ANTISYMMETRY_HALF_WIDTH)
            .map(|k| self.h(k).powi(2) + self.h(d - k).powi(2))
            .sum();
        let all: f64 = (-max_lag..=max_lag).map(|k| self.h(k).powi(2)).sum();
        WindowFindings {
            dipole_lag_samples: d,
            localization: if all > 0.0 {
                (near / all).min(1.0)
            } else {
                0.0
            },
            antisymmetry: self.best.1.max(-1.0),
            evenness: self.evenness,
            lag_zero: self.h(0),
        }
    }
}
