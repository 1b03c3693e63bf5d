//! The live lock search: the same bounded cross-correlation as [`super::super::CrossCorrelator`]
//! (`r[k] = Σ_m x[m]·y[m + k]`, largest |r| wins, ties to the smallest |lag|), computed as a
//! **uniformly partitioned** correlation so that the work after the capture is cut into small
//! units of fixed cost, whatever the sample rate and the search range
//! (partitioned convolution: <https://en.wikipedia.org/wiki/Overlap%E2%80%93save_method>,
//! applied per lag block as in uniformly partitioned convolution engines).
//!
//! The reference window `x` (`num_x_blocks · B` samples) and the candidate segment `y`
//! (`x` plus `2·max_lag` samples) are cut into blocks of `B` samples. With `Xₚ` the spectrum
//! of block `p` of `x` zero-padded to `2B`, and `Yq` the spectrum of blocks `q, q+1` of `y`,
//! the correlation at lags `jB .. jB + B` is the first `B` samples of
//! `IFFT( Σₚ conj(Xₚ)·Y₍ₚ₊ⱼ₎ )` (exact: no circular wrap for lags below `B`).
//! One work unit is one FFT of `2B` points or `MAC_CHUNK` spectrum products; the caller
//! runs one unit every few samples, so the lock costs the same in every block.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use super::super::LagPeak;

/// Partition length in samples (FFT length `2B`).
const BLOCK_SAMPLES: usize = 4096;
/// Spectrum products (blocks of `x`) accumulated per work unit.
const MAC_CHUNK: usize = 8;

/// Partitioned, stepwise lock search (allocates only in `new`).
pub(super) struct LockSearch {
    /// Lags searched either way, in samples.
    max_lag_samples: usize,
    /// Blocks in the reference window.
    num_x_blocks: usize,
    /// Spectra of `y` (two blocks each) the lag blocks use.
    num_y_spectra: usize,
    /// Lag blocks covering `0 ..= 2·max_lag`.
    num_lag_blocks: usize,
    /// Forward real FFT of `2B` points.
    forward: Arc<dyn RealToComplex<f64>>,
    /// Inverse real FFT of `2B` points.
    inverse: Arc<dyn ComplexToReal<f64>>,
    /// Captured reference window.
    x: Vec<f64>,
    /// Captured candidate segment.
    y: Vec<f64>,
    /// Time-domain FFT buffer, `2B`.
    time: Vec<f64>,
    /// Spectra of the blocks of `x`, `B + 1` bins each.
    x_spectra: Vec<Complex<f64>>,
    /// Spectra of the block pairs of `y`, `B + 1` bins each.
    y_spectra: Vec<Complex<f64>>,
    /// Cross-spectrum accumulator of the current lag block.
    accumulator: Vec<Complex<f64>>,
    /// FFT scratch for both plans.
    scratch: Vec<Complex<f64>>,
    /// Samples of `y` captured so far (`x` sample `k − max_lag` arrives with `y` sample `k`).
    num_captured: usize,
    /// Σ x² of the window.
    energy_x: f64,
    /// Σ y² of the segment.
    energy_y: f64,
    /// Next work unit.
    next_unit: usize,
    /// Best (lag, r) so far.
    best: (isize, f64),
    /// r at lag 0.
    at_zero: f64,
}

impl LockSearch {
    /// Allocates a search over `±max_lag_samples` with a reference window of at least
    /// `min_window_samples`.
    pub fn new(max_lag_samples: usize, min_window_samples: usize) -> Self {
        let fft_len = 2 * BLOCK_SAMPLES;
        let mut planner = RealFftPlanner::<f64>::new();
        let forward = planner.plan_fft_forward(fft_len);
        let inverse = planner.plan_fft_inverse(fft_len);
        let scratch_len = forward.get_scratch_len().max(inverse.get_scratch_len());
        let num_x_blocks = min_window_samples.max(1).div_ceil(BLOCK_SAMPLES);
        let num_lag_blocks = (2 * max_lag_samples + 1).div_ceil(BLOCK_SAMPLES);
        let num_y_spectra = num_x_blocks + num_lag_blocks;
        let bins = BLOCK_SAMPLES + 1;
        Self {
            max_lag_samples,
            num_x_blocks,
            num_y_spectra,
            num_lag_blocks,
            x: vec![0.0; num_x_blocks * BLOCK_SAMPLES],
            y: vec![0.0; num_x_blocks * BLOCK_SAMPLES + 2 * max_lag_samples],
            time: forward.make_input_vec(),
            x_spectra: vec![Complex::default(); num_x_blocks * bins],
            y_spectra: vec![Complex::default(); num_y_spectra * bins],
            accumulator: forward.make_output_vec(),
            scratch: vec![Complex::default(); scratch_len],
            forward,
            inverse,
            num_captured: 0,
            energy_x: 0.0,
            energy_y: 0.0,
            next_unit: 0,
            best: (0, 0.0),
            at_zero: 0.0,
        }
    }

    /// Starts over.
    pub fn reset(&mut self) {
        self.num_captured = 0;
        self.energy_x = 0.0;
        self.energy_y = 0.0;
        self.next_unit = 0;
        self.best = (0, 0.0);
        self.at_zero = 0.0;
    }

    /// True before the first sample of a capture.
    pub fn is_empty(&self) -> bool {
        self.num_captured == 0
    }

    /// True once every sample has been captured.
    pub fn is_captured(&self) -> bool {
        self.num_captured == self.y.len()
    }

    /// Stores the next reference and candidate sample (ignored once captured).
    #[inline]
    pub fn push(&mut self, reference: f64, candidate: f64) {
        let k = self.num_captured;
        if k == self.y.len() {
            return;
        }
        self.y[k] = candidate;
        self.energy_y += candidate * candidate;
        if let Some(m) = k.checked_sub(self.max_lag_samples) {
            if m < self.x.len() {
                self.x[m] = reference;
                self.energy_x += reference * reference;
            }
        }
        self.num_captured += 1;
    }

    /// Runs one work unit after the capture; returns the peak after the last unit.
    /// Never allocates.
    pub fn step(&mut self) -> Option<LagPeak> {
        if !self.is_captured() {
            return None;
        }
        let bins = BLOCK_SAMPLES + 1;
        let unit = self.next_unit;
        self.next_unit += 1;
        let chunks_per_lag_block = self.num_x_blocks.div_ceil(MAC_CHUNK);
        if unit < self.num_x_blocks {
            let start = unit * BLOCK_SAMPLES;
            self.time[..BLOCK_SAMPLES].copy_from_slice(&self.x[start..start + BLOCK_SAMPLES]);
            self.time[BLOCK_SAMPLES..].fill(0.0);
            self.transform_into_x_or_y(true, unit * bins);
            return None;
        }
        let unit = unit - self.num_x_blocks;
        if unit < self.num_y_spectra {
            let start = unit * BLOCK_SAMPLES;
            for (i, v) in self.time.iter_mut().enumerate() {
                *v = self.y.get(start + i).copied().unwrap_or(0.0);
            }
            self.transform_into_x_or_y(false, unit * bins);
            return None;
        }
        let unit = unit - self.num_y_spectra;
        let lag_block = unit / (chunks_per_lag_block + 1);
        let phase = unit % (chunks_per_lag_block + 1);
        if lag_block >= self.num_lag_blocks {
            return None;
        }
        if phase < chunks_per_lag_block {
            if phase == 0 {
                self.accumulator.fill(Complex::default());
            }
            let first = phase * MAC_CHUNK;
            for p in first..(first + MAC_CHUNK).min(self.num_x_blocks) {
                let xs = &self.x_spectra[p * bins..(p + 1) * bins];
                let q = p + lag_block;
                let ys = &self.y_spectra[q * bins..(q + 1) * bins];
                for ((a, x), y) in self.accumulator.iter_mut().zip(xs).zip(ys) {
                    *a += x.conj() * y;
                }
            }
            return None;
        }
        // DC and Nyquist bins of a real signal's cross spectrum are real.
        self.accumulator[0].im = 0.0;
        self.accumulator[BLOCK_SAMPLES].im = 0.0;
        self.inverse
            .process_with_scratch(&mut self.accumulator, &mut self.time, &mut self.scratch)
            .expect("buffer lengths match the plan");
        let scale = 1.0 / (2 * BLOCK_SAMPLES) as f64;
        let max_lag = self.max_lag_samples as isize;
        for t in 0..BLOCK_SAMPLES {
            let k = lag_block * BLOCK_SAMPLES + t;
            if k > 2 * self.max_lag_samples {
                break;
            }
            let lag = k as isize - max_lag;
            let value = self.time[t] * scale;
            if lag == 0 {
                self.at_zero = value;
            }
            let (best_lag, best_value) = self.best;
            let better = value.abs() > best_value.abs()
                || (value.abs() == best_value.abs() && lag.abs() < best_lag.abs());
            if better || (lag_block == 0 && t == 0) {
                self.best = (lag, value);
            }
        }
        if lag_block + 1 < self.num_lag_blocks {
            return None;
        }
        let norm = (self.energy_x * self.energy_y).sqrt();
        Some(LagPeak {
            lag_samples: self.best.0,
            correlation: self.best.1,
            correlation_at_zero: self.at_zero,
            normalized: if norm > 0.0 {
                (self.best.1.abs() / norm).min(1.0)
            } else {
                0.0
            },
        })
    }

    /// Forward-transforms `time` into the `x` (or `y`) spectra at `offset`.
    fn transform_into_x_or_y(&mut self, into_x: bool, offset: usize) {
        let bins = BLOCK_SAMPLES + 1;
        let spectra = if into_x {
            &mut self.x_spectra
        } else {
            &mut self.y_spectra
        };
        self.forward
            .process_with_scratch(
                &mut self.time,
                &mut spectra[offset..offset + bins],
                &mut self.scratch,
            )
            .expect("buffer lengths match the plan");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::null_test::CrossCorrelator;

    /// Same lag and sign as the offline [`CrossCorrelator`] on the same capture.
    #[test]
    fn agrees_with_the_cross_correlator() {
        let signal = crate::signals::white_noise(5, 1.0, 40_000);
        let max_lag = 2000;
        for lag in [-1234isize, -37, 0, 1, 1999] {
            for sign in [1.0, -1.0] {
                let mut search = LockSearch::new(max_lag, 5000);
                let mut k = 0usize;
                while !search.is_captured() {
                    // Candidate late by `lag`: y[t] = sign·x[t − lag].
                    let x = signal[5000 + k] as f64;
                    let y = sign * signal[(5000 + k as isize - lag) as usize] as f64;
                    search.push(x, y);
                    k += 1;
                }
                let peak = loop {
                    if let Some(peak) = search.step() {
                        break peak;
                    }
                };
                assert_eq!(peak.lag_samples, lag);
                assert_eq!(peak.correlation.signum(), sign);
                assert!(peak.normalized > 0.5, "{}", peak.normalized);

                let mut xc = CrossCorrelator::new(max_lag, 5000);
                for (m, v) in xc.reference_window_mut().iter_mut().enumerate() {
                    *v = signal[5000 + max_lag + m] as f64;
                }
                for (j, v) in xc.candidate_segment_mut().iter_mut().enumerate() {
                    *v = sign * signal[(5000 + j as isize - lag) as usize] as f64;
                }
                assert_eq!(xc.find_peak().lag_samples, peak.lag_samples);
            }
        }
    }
}
