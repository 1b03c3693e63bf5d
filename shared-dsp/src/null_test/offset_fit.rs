//! The offset fit of a residual against the reference (one window, mono): is the residual one
//! stem late or early by `d` samples, or a level or polarity error of it? Used by the null
//! test of a stem sum ([`super::sum`]), where only the residual and the reference are known.
//!
//! Legend: `x` = aligned reference, `e` = residual `reference − aligned sum`; `X`, `E` their
//! frame spectra, `See = ⟨|E|²⟩`, `Sex = ⟨E·conj(X)⟩` (Welch averages), `B(ω)` the residual's
//! transfer from the broken stem.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

/// Welch frames per diagnosis window length: a frame is `len / FRAMES_PER_WINDOW_LEN` samples,
/// hopped by half a frame (31 frames). Longer frames see larger offsets coherently, more frames
/// average the other stems' cross terms down.
const FRAMES_PER_WINDOW_LEN: usize = 16;
/// Neighbours of the magnitude-and-phase fit's best lag (either way) that the phase refinement
/// may move to.
const REFINE_HALF_WIDTH: isize = 3;
/// Fit (share of `Σ w·See²`) a neighbour may lose to the best lag and still be a refinement
/// candidate.
const REFINE_MAX_FIT_LOSS: f64 = 0.008;
/// Bins with a residual power below this fraction of the largest one carry no phase weight.
const PHASE_MIN_RELATIVE_POWER: f64 = 1e-5;

/// What the offset fit found (see [`TransferWindow::analyze`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct WindowFindings {
    /// Offset `d` (samples; positive = one stem late) whose model `See = B(d)·conj(Sex)`,
    /// `B(d) = 1 − e^{−jωd}`, fits best (0 when no lag fits better than none).
    pub offset_samples: isize,
    /// Share of `Σ w·See²` (coherence-weighted) that the offset model at `offset_samples`
    /// explains, `≤ 1` (1 = exact).
    pub offset_fit: f64,
    /// Share of `Σ w·See²` that a constant real residual gain `c` (`See = c·conj(Sex)`: a
    /// stem's level or polarity error, `c = 1 − g`) explains, 0..=1.
    pub level_fit: f64,
}

/// One window of aligned reference `x` and residual `e` (mono), reduced to Welch-averaged
/// spectra
/// (<https://en.wikipedia.org/wiki/Welch%27s_method>): the residual's auto-spectrum
/// `See = ⟨|E|²⟩` and the cross-spectrum `Sex = ⟨E·conj(X)⟩`, over Hann frames of
/// `len / 16` samples hopped by half a frame.
///
/// With `X = S + O` (one stem `S`, the other stems `O`) and `E = S·B` per frame, where `B = c`
/// (real, `c = 1 − g`) for a level or polarity error of the stem and `B = 1 − e^{−jωd}` for the
/// stem late by `d` samples (any spectrum: tonal stems included):
/// `See = |B|²·Pss` and `Sex = B·(Pss + Cso)`, so `See = B·conj(Sex)` wherever the stem's
/// cross terms with the other stems `Cso` average out. The offset is the integer `d` that
/// minimises `J(d) = Σ w·|See − B(d)·conj(Sex)|²` over the Hermitian spectrum, each bin
/// weighted by the squared coherence `w` of residual and reference; `J` expands into a
/// constant plus `2·Re Σ w·(See·Sex − |Sex|²)·e^{jωd}`, one inverse FFT for every lag at once.
/// Stems that share partials (a vocal over keys on the same chord) leave cross terms that bias
/// `|B|` low but not its phase, so the best lag is then refined among its neighbours that fit
/// almost as well (within [`REFINE_MAX_FIT_LOSS`]) by the phase alone:
/// `Σ w·|Sex|·cos(arg Sex − arg B(d))`. A periodic stem's offset is only known up to its
/// period; the fit names one of them.
pub(crate) struct TransferWindow {
    /// Lags examined either way, in samples (set by `new`, at most half a frame).
    max_lag_samples: usize,
    /// Welch frame length in samples.
    frame_len: usize,
    /// Forward real FFT plan of the frame length.
    forward: Arc<dyn RealToComplex<f64>>,
    /// Inverse real FFT plan of the frame length.
    inverse: Arc<dyn ComplexToReal<f64>>,
    /// Hann window of one frame.
    window: Vec<f64>,
    /// Captured reference.
    reference: Vec<f64>,
    /// Captured residual.
    residual: Vec<f64>,
    /// One windowed frame (FFT input), then `J(d) − K` after the inverse FFT.
    frame: Vec<f64>,
    /// Spectrum of the reference frame, then the spectrum whose inverse gives `J`.
    reference_spectrum: Vec<Complex<f64>>,
    /// Spectrum of the residual frame.
    residual_spectrum: Vec<Complex<f64>>,
    /// `See` per bin (Σ over frames).
    residual_power: Vec<f64>,
    /// `Sex` per bin (Σ over frames).
    cross_spectrum: Vec<Complex<f64>>,
    /// `Sxx` per bin (Σ over frames).
    reference_power: Vec<f64>,
    /// FFT scratch for both plans.
    scratch: Vec<Complex<f64>>,
    /// Samples captured so far.
    num_captured: usize,
    /// `Σ w·See²` over the Hermitian spectrum (set by the fit).
    residual_power_energy: f64,
    /// Constant term `K` of `J(d)` (set by the fit).
    fit_constant: f64,
    /// `K2 = Σ w·|Sex|²` (set by the fit): the part of `J` that scales with `ρ(d)²`.
    cross_energy: f64,
    /// The Hann window's normalised autocorrelation `ρ(m)` at lags `0..=max_lag_samples`.
    window_correlation: Vec<f64>,
    /// [`WindowFindings::level_fit`] (set by the fit).
    level_fit: f64,
}

impl TransferWindow {
    /// Allocates a window of `len_samples` (rounded up to a power of two, at least 256)
    /// examining lags up to `±max_lag_samples` (clamped to just under half a frame).
    pub fn new(len_samples: usize, max_lag_samples: usize) -> Self {
        let len = len_samples.max(256).next_power_of_two();
        let frame_len = len / FRAMES_PER_WINDOW_LEN;
        let mut planner = RealFftPlanner::<f64>::new();
        let forward = planner.plan_fft_forward(frame_len);
        let inverse = planner.plan_fft_inverse(frame_len);
        let scratch_len = forward.get_scratch_len().max(inverse.get_scratch_len());
        let bins = frame_len / 2 + 1;
        let max_lag_samples = max_lag_samples.min(frame_len / 2 - 1);
        let window: Vec<f64> = (0..frame_len)
            .map(|n| 0.5 - 0.5 * (std::f64::consts::TAU * n as f64 / frame_len as f64).cos())
            .collect();
        let window_correlation = hann_correlation(&window, max_lag_samples);
        Self {
            max_lag_samples,
            frame_len,
            window,
            window_correlation,
            reference: vec![0.0; len],
            residual: vec![0.0; len],
            frame: forward.make_input_vec(),
            reference_spectrum: forward.make_output_vec(),
            residual_spectrum: forward.make_output_vec(),
            residual_power: vec![0.0; bins],
            cross_spectrum: vec![Complex::default(); bins],
            reference_power: vec![0.0; bins],
            scratch: vec![Complex::default(); scratch_len],
            forward,
            inverse,
            num_captured: 0,
            residual_power_energy: 0.0,
            fit_constant: 0.0,
            cross_energy: 0.0,
            level_fit: 0.0,
        }
    }

    /// Stores one mono sample pair (ignored once full).
    #[inline]
    pub fn push(&mut self, reference: f64, residual: f64) {
        let k = self.num_captured;
        if k < self.reference.len() {
            self.reference[k] = reference;
            self.residual[k] = residual;
            self.num_captured += 1;
        }
    }

    /// Analyses the window (samples not pushed count as silence): the Welch frames, the fit
    /// (one inverse FFT), then the lag search and its phase refinement.
    pub fn analyze(&mut self) -> WindowFindings {
        self.residual_power.fill(0.0);
        self.cross_spectrum.fill(Complex::default());
        self.reference_power.fill(0.0);
        let num_frames = (self.reference.len() - self.frame_len) / (self.frame_len / 2) + 1;
        for frame in 0..num_frames {
            self.accumulate_frame(frame * self.frame_len / 2);
        }
        self.fit();
        self.search()
    }

    /// Adds the frame starting at `start` to `See` and `Sex`.
    fn accumulate_frame(&mut self, start: usize) {
        let n = self.frame_len;
        for ((f, x), w) in self
            .frame
            .iter_mut()
            .zip(&self.reference[start..start + n])
            .zip(&self.window)
        {
            *f = x * w;
        }
        // Lengths come from the plans, so the transforms cannot fail.
        self.forward
            .process_with_scratch(
                &mut self.frame,
                &mut self.reference_spectrum,
                &mut self.scratch,
            )
            .expect("buffer lengths match the plan");
        for ((f, e), w) in self
            .frame
            .iter_mut()
            .zip(&self.residual[start..start + n])
            .zip(&self.window)
        {
            *f = e * w;
        }
        self.forward
            .process_with_scratch(
                &mut self.frame,
                &mut self.residual_spectrum,
                &mut self.scratch,
            )
            .expect("buffer lengths match the plan");
        for ((((p, c), r), e), x) in self
            .residual_power
            .iter_mut()
            .zip(&mut self.cross_spectrum)
            .zip(&mut self.reference_power)
            .zip(&self.residual_spectrum)
            .zip(&self.reference_spectrum)
        {
            *p += e.norm_sqr();
            *c += e * x.conj();
            *r += x.norm_sqr();
        }
    }

    /// Weight of bin `k` in the fits before its count in the Hermitian spectrum: the squared
    /// coherence of residual and reference `|Sex|² / (See·Sxx)`, 0..=1. Bins where the broken
    /// stem is weak against the other stems hold mostly cross terms and count little.
    #[inline]
    fn coherence(&self, k: usize) -> f64 {
        let power = self.residual_power[k] * self.reference_power[k];
        if power > 0.0 {
            (self.cross_spectrum[k].norm_sqr() / power).min(1.0)
        } else {
            0.0
        }
    }

    /// Weight of bin `k` in sums over the Hermitian spectrum: its coherence, twice for the
    /// bins between DC and Nyquist (which stand for their negative-frequency mirror too).
    #[inline]
    fn bin_weight(&self, k: usize) -> f64 {
        let count = if k == 0 || k == self.frame_len / 2 {
            1.0
        } else {
            2.0
        };
        count * self.coherence(k)
    }

    /// The level fit, `K`, `Σ See²`, and `J(d) − K` for every lag (into `frame`).
    fn fit(&mut self) {
        let (mut a2, mut constant, mut a_re_b, mut b2) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        let mut cross = 0.0f64;
        for k in 0..self.residual_power.len() {
            let (a, b, c, w) = (
                self.residual_power[k],
                self.cross_spectrum[k],
                self.coherence(k),
                self.bin_weight(k),
            );
            a2 += w * a * a;
            a_re_b += w * a * b.re;
            b2 += w * b.norm_sqr();
            constant += w * (a * a - 2.0 * a * b.re + b.norm_sqr());
            cross += w * b.norm_sqr();
            self.reference_spectrum[k] = (b * a - b.norm_sqr()) * c;
        }
        self.residual_power_energy = a2;
        self.fit_constant = constant;
        self.cross_energy = cross;
        self.level_fit = if a2 > 0.0 && b2 > 0.0 {
            (a_re_b * a_re_b / (a2 * b2)).min(1.0)
        } else {
            0.0
        };
        let last = self.reference_spectrum.len() - 1;
        self.reference_spectrum[0].im = 0.0;
        self.reference_spectrum[last].im = 0.0;
        // The unnormalised inverse gives Σ over the Hermitian spectrum of f·e^{jωd} at d (it
        // counts the inner bins twice itself, so they carry only their coherence here).
        self.inverse
            .process_with_scratch(
                &mut self.reference_spectrum,
                &mut self.frame,
                &mut self.scratch,
            )
            .expect("buffer lengths match the plan");
    }

    /// `ρ(|d|)`, the share of a `d`-late copy that stays within the same Hann frame.
    fn rho(&self, d: isize) -> f64 {
        self.window_correlation
            .get(d.unsigned_abs())
            .copied()
            .unwrap_or(0.0)
    }

    /// Share of `Σ w·See²` the offset model explains at lag `d` (from `frame` after the fit).
    fn offset_fit(&self, d: isize) -> f64 {
        let n = self.frame_len as isize;
        let rho = self.rho(d);
        let j = self.fit_constant
            + rho * rho * self.cross_energy
            + 2.0 * rho * self.frame[d.rem_euclid(n) as usize];
        1.0 - j / self.residual_power_energy
    }

    /// Phase agreement of `Sex` with `B(d)`, `Σ w·|Sex|·cos(arg Sex − arg B(d)) / Σ w·|Sex|`
    /// over the bins with residual power.
    fn phase_fit(&self, d: isize) -> f64 {
        let floor =
            PHASE_MIN_RELATIVE_POWER * self.residual_power.iter().fold(0.0f64, |m, &p| m.max(p));
        let step = -std::f64::consts::TAU * d as f64 / self.frame_len as f64;
        let rotation = Complex::new(step.cos(), step.sin());
        // e^{−jω_k·d}, advanced bin by bin (f64 keeps the drift far below the scores' use).
        let mut turn = Complex::new(1.0, 0.0);
        let (mut agreement, mut total) = (0.0f64, 0.0f64);
        for k in 0..self.residual_power.len() {
            if self.residual_power[k] > floor {
                let b = Complex::new(1.0, 0.0) - turn * self.rho(d);
                let norm = b.norm();
                if norm > 0.0 {
                    let w = self.bin_weight(k);
                    let s = self.cross_spectrum[k];
                    agreement += w * (s * b.conj()).re / norm;
                    total += w * s.norm();
                }
            }
            turn *= rotation;
        }
        if total > 0.0 {
            agreement / total
        } else {
            0.0
        }
    }

    /// The best lag (ties to the smallest |lag|), refined by the phase, and the fits.
    fn search(&self) -> WindowFindings {
        let unusable = self.residual_power_energy <= 0.0;
        let mut best = (0isize, if unusable { 0.0 } else { self.offset_fit(0) });
        if !unusable {
            for distance in 1..=self.max_lag_samples as isize {
                for d in [distance, -distance] {
                    let fit = self.offset_fit(d);
                    if fit > best.1 {
                        best = (d, fit);
                    }
                }
            }
        }
        let max_lag = self.max_lag_samples as isize;
        let mut refined = (best.0, f64::NEG_INFINITY);
        if best.0 != 0 {
            for d in (best.0 - REFINE_HALF_WIDTH)..=(best.0 + REFINE_HALF_WIDTH) {
                if d == 0 || d.abs() > max_lag || self.offset_fit(d) < best.1 - REFINE_MAX_FIT_LOSS
                {
                    continue;
                }
                let phase = self.phase_fit(d);
                if phase > refined.1 {
                    refined = (d, phase);
                }
            }
        }
        WindowFindings {
            offset_samples: refined.0,
            offset_fit: if refined.0 == 0 {
                best.1
            } else {
                self.offset_fit(refined.0)
            },
            level_fit: self.level_fit,
        }
    }
}

/// Normalised autocorrelation `Σ w(n)·w(n + m) / Σ w(n)²` of `window` at lags `0..=max_lag`.
fn hann_correlation(window: &[f64], max_lag: usize) -> Vec<f64> {
    let n = window.len();
    let size = (2 * n).next_power_of_two();
    let mut planner = RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(size);
    let inverse = planner.plan_fft_inverse(size);
    let mut time = vec![0.0; size];
    time[..n].copy_from_slice(window);
    let mut spectrum = forward.make_output_vec();
    forward
        .process(&mut time, &mut spectrum)
        .expect("buffer lengths match the plan");
    for z in spectrum.iter_mut() {
        *z = Complex::new(z.norm_sqr(), 0.0);
    }
    inverse
        .process(&mut spectrum, &mut time)
        .expect("buffer lengths match the plan");
    let zero = time[0].max(1e-300);
    (0..=max_lag.min(n - 1)).map(|m| time[m] / zero).collect()
}
