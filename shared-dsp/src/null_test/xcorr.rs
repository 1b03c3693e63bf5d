//! Bounded, sample-exact time-offset search by FFT cross-correlation (`realfft`).
//!
//! A reference window `x` of `window_samples` is correlated against a candidate segment `y`
//! that starts `max_lag_samples` earlier and is `2·max_lag_samples` longer:
//! `r[k] = Σ_m x[m]·y[m + k]`, computed as `IFFT(conj(X)·Y)` (cross-correlation theorem,
//! <https://en.wikipedia.org/wiki/Cross-correlation#Properties>). Because `y` fits in the
//! FFT length, no lag in `±max_lag_samples` wraps around. All buffers are allocated in
//! [`CrossCorrelator::new`]; [`CrossCorrelator::find_peak`] never allocates, so the live
//! analyzer can call it on the audio thread.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

/// Result of one offset search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LagPeak {
    /// How many samples the candidate is late relative to the reference (negative: early).
    pub lag_samples: isize,
    /// Correlation at `lag_samples` (sign = polarity), `Σ x·y` in sample² units.
    pub correlation: f64,
    /// Correlation at lag 0, for comparison with the peak.
    pub correlation_at_zero: f64,
    /// `|correlation| / sqrt(Σx²·Σy²)` over the windows, in [0, 1] (1 = identical shape).
    pub normalized: f64,
}

/// FFT cross-correlator with a fixed analysis window and lag range.
pub struct CrossCorrelator {
    /// Largest lag searched either way, in samples (set by `new`).
    max_lag_samples: usize,
    /// Reference window length in samples: FFT length minus `2·max_lag_samples` (set by `new`).
    window_samples: usize,
    /// Forward real FFT plan of the FFT length.
    forward: Arc<dyn RealToComplex<f64>>,
    /// Inverse real FFT plan of the FFT length.
    inverse: Arc<dyn ComplexToReal<f64>>,
    /// Reference window (first `window_samples`, filled by the caller), zero padded.
    reference: Vec<f64>,
    /// Candidate segment (first `window_samples + 2·max_lag_samples`, filled by the caller);
    /// after `find_peak` it holds the correlation.
    candidate: Vec<f64>,
    /// Spectrum of the reference window.
    reference_spectrum: Vec<Complex<f64>>,
    /// Spectrum of the candidate segment, then the cross spectrum.
    candidate_spectrum: Vec<Complex<f64>>,
    /// FFT scratch, long enough for both plans.
    scratch: Vec<Complex<f64>>,
}

impl CrossCorrelator {
    /// Allocates a correlator for lags up to `±max_lag_samples` and a reference window of at
    /// least `min_window_samples` (the FFT length is the next power of two of
    /// `min_window_samples + 2·max_lag_samples`; the window grows to fill it).
    pub fn new(max_lag_samples: usize, min_window_samples: usize) -> Self {
        let fft_len = (min_window_samples.max(1) + 2 * max_lag_samples).next_power_of_two();
        let mut planner = RealFftPlanner::<f64>::new();
        let forward = planner.plan_fft_forward(fft_len);
        let inverse = planner.plan_fft_inverse(fft_len);
        let scratch_len = forward.get_scratch_len().max(inverse.get_scratch_len());
        Self {
            max_lag_samples,
            window_samples: fft_len - 2 * max_lag_samples,
            reference: forward.make_input_vec(),
            candidate: forward.make_input_vec(),
            reference_spectrum: forward.make_output_vec(),
            candidate_spectrum: forward.make_output_vec(),
            scratch: vec![Complex::default(); scratch_len],
            forward,
            inverse,
        }
    }

    /// Reference window length in samples.
    pub fn window_samples(&self) -> usize {
        self.window_samples
    }

    /// Largest lag searched either way, in samples.
    pub fn max_lag_samples(&self) -> usize {
        self.max_lag_samples
    }

    /// The reference window to fill: element `m` is reference time `w0 + m`.
    pub fn reference_window_mut(&mut self) -> &mut [f64] {
        &mut self.reference[..self.window_samples]
    }

    /// The candidate segment to fill: element `j` is candidate time `w0 - max_lag + j`
    /// (zero where the candidate does not exist).
    pub fn candidate_segment_mut(&mut self) -> &mut [f64] {
        let len = self.window_samples + 2 * self.max_lag_samples;
        &mut self.candidate[..len]
    }

    /// The correlation at `lag` (within `±max_lag_samples`) after [`Self::find_peak`].
    pub fn correlation_at(&self, lag: isize) -> f64 {
        let index = (lag + self.max_lag_samples as isize) as usize;
        self.candidate[index] / self.candidate.len() as f64
    }

    /// Correlates the filled buffers and returns the lag with the largest |correlation|
    /// (ties go to the smallest |lag|, so an all-zero input reports lag 0). Never allocates.
    pub fn find_peak(&mut self) -> LagPeak {
        let segment_len = self.window_samples + 2 * self.max_lag_samples;
        self.reference[self.window_samples..].fill(0.0);
        self.candidate[segment_len..].fill(0.0);
        let energy_x: f64 = self.reference.iter().map(|v| v * v).sum();
        let energy_y: f64 = self.candidate.iter().map(|v| v * v).sum();
        // Lengths come from the plans, so the transforms cannot fail.
        self.forward
            .process_with_scratch(
                &mut self.reference,
                &mut self.reference_spectrum,
                &mut self.scratch,
            )
            .expect("buffer lengths match the plan");
        self.forward
            .process_with_scratch(
                &mut self.candidate,
                &mut self.candidate_spectrum,
                &mut self.scratch,
            )
            .expect("buffer lengths match the plan");
        for (y, x) in self
            .candidate_spectrum
            .iter_mut()
            .zip(&self.reference_spectrum)
        {
            *y *= x.conj();
        }
        // DC and Nyquist bins of a real signal's cross spectrum are real.
        let last = self.candidate_spectrum.len() - 1;
        self.candidate_spectrum[0].im = 0.0;
        self.candidate_spectrum[last].im = 0.0;
        self.inverse
            .process_with_scratch(
                &mut self.candidate_spectrum,
                &mut self.candidate,
                &mut self.scratch,
            )
            .expect("buffer lengths match the plan");

        let lag_max = self.max_lag_samples as isize;
        let at = |lag: isize| self.correlation_at(lag);
        let mut best = (0isize, at(0));
        for distance in 1..=lag_max {
            for lag in [distance, -distance] {
                let value = at(lag);
                if value.abs() > best.1.abs() {
                    best = (lag, value);
                }
            }
        }
        let norm = (energy_x * energy_y).sqrt();
        LagPeak {
            lag_samples: best.0,
            correlation: best.1,
            correlation_at_zero: at(0),
            normalized: if norm > 0.0 {
                (best.1.abs() / norm).min(1.0)
            } else {
                0.0
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_known_lag_with_its_sign() {
        let signal = crate::signals::white_noise(5, 1.0, 4000);
        let mut xc = CrossCorrelator::new(100, 1000);
        let w = xc.window_samples();
        let lag = -37isize;
        for (m, v) in xc.reference_window_mut().iter_mut().enumerate() {
            *v = signal[1000 + m] as f64;
        }
        // Candidate early by 37 and inverted: cand[t] = -ref[t + 37].
        for (j, v) in xc.candidate_segment_mut().iter_mut().enumerate() {
            let t = 1000 - 100 + j as isize - lag;
            *v = -(signal.get(t as usize).copied().unwrap_or(0.0) as f64);
        }
        let peak = xc.find_peak();
        assert!(w >= 1000);
        assert_eq!(peak.lag_samples, lag);
        assert!(peak.correlation < 0.0);
        assert!(peak.normalized > 0.5, "{}", peak.normalized);
    }
}
