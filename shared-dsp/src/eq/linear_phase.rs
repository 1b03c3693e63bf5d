//! Linear-phase mode: a symmetric FIR with the minimum-phase EQ's target magnitude, run by
//! uniformly partitioned overlap-save FFT convolution.
//!
//! Design (frequency sampling, e.g. J. O. Smith, "Spectral Audio Signal Processing",
//! <https://ccrma.stanford.edu/~jos/sasp/Window_Method.html>): sample the target magnitude
//! `|H(e^{jω})|` on `DESIGN_OVERSAMPLING · 2·D` bins, inverse real FFT to the zero-phase
//! impulse response, keep `|n| < D − P` taps under a Tukey window ([`TAPER_FRACTION`]), centre
//! them at `D`.
//! Convolution: W. G. Gardner, "Efficient Convolution without Input-Output Delay" (1995) /
//! uniformly partitioned overlap-save, partitions of `P` samples, FFT size `2P`. The engine's
//! own `P`-sample block delay is absorbed by the kernel (its first `P` taps are zero), so the
//! total latency is exactly `D` = [`LinearPhase::latency_samples`].
//!
//! Sizes scale with the sample rate ([`fir_scale`]): `D = 4096·scale`, `P = 512·scale`, which
//! keeps the frequency resolution (`fs / 2D` ≈ 5.9 Hz at 48 kHz) and the CPU per second
//! constant across rates: 8192 taps at 44.1/48 kHz, doubled at 88.2/96 kHz, ×4 at
//! 176.4/192 kHz, ×8 at 384 kHz.
//!
//! A settings change marks the target dirty; the next partition boundary redesigns into the
//! spare kernel (all buffers preallocated) and crossfades old → new output over one partition.
//! A transparent target uses an exact `D`-sample delay instead of the FIR, so "all bands off"
//! is a bit-exact pure delay.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use super::design::phi;
use super::section::Coefficients;
use super::settings::{MAX_BANDS, MAX_SECTIONS};

/// Half-length (latency) of the FIR at 44.1/48 kHz, in samples.
pub const BASE_LATENCY_SAMPLES: usize = 4096;
/// Partition length at 44.1/48 kHz, in samples.
pub const BASE_PARTITION_SAMPLES: usize = 512;
/// Design grid size over FIR length (reduces time aliasing of the sampled magnitude).
pub const DESIGN_OVERSAMPLING: usize = 4;
/// Fraction of the FIR half-length (`D − P` taps) under the window's cosine taper; the inner
/// `1 − TAPER_FRACTION` is flat (a Tukey window,
/// <https://en.wikipedia.org/wiki/Window_function#Tukey_window>).
///
/// Windowing convolves the target magnitude with the window's spectrum. A window that is flat
/// around its centre (`w''(0) = 0`) adds no second-order smoothing, so steep low-frequency
/// curves keep their shape; a Hann window (all taper) blurs them by its ±2-bin main lobe. With
/// the same 2·(D − P) − 1 = 7167 taps at 44.1/48 kHz, the Master Bus curve (30 Hz 24 dB/oct
/// high-pass) came out 0.17–0.19 dB off at 40 Hz under Hann, 0.009–0.014 dB under this window.
/// The short taper still keeps the truncation leakage below 1e-4 dB away from the features
/// that cause it.
pub const TAPER_FRACTION: f64 = 0.25;

/// FIR length multiplier for a sample rate: 1 up to 50 kHz, 2 up to 100 kHz, 4 up to
/// 200 kHz, 8 above.
pub fn fir_scale(sample_rate_hz: f64) -> usize {
    match sample_rate_hz {
        r if r <= 50_000.0 => 1,
        r if r <= 100_000.0 => 2,
        r if r <= 200_000.0 => 4,
        _ => 8,
    }
}

/// Tukey half window at tap offset `offset` of `half` (1 over the inner
/// `1 − TAPER_FRACTION`, then a raised-cosine fall towards 0 at `half`).
fn tukey(offset: usize, half: usize) -> f64 {
    let flat = (1.0 - TAPER_FRACTION) * half as f64;
    let o = offset as f64;
    if o <= flat {
        1.0
    } else {
        let t = (o - flat) / (half as f64 - flat);
        0.5 + 0.5 * (std::f64::consts::PI * t).cos()
    }
}

/// Which kernel slot holds what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    /// Exact `D`-sample delay.
    Delay,
    /// FIR spectra in the slot's buffer.
    Fir,
}

/// The linear-phase convolution engine (legend: `D` = latency, `P` = partition length,
/// FDL = frequency-domain delay line of input spectra, newest at `fdl_head`).
pub struct LinearPhase {
    /// Sample rate in Hz (set by `new`, `set_sample_rate`).
    sample_rate_hz: f64,
    /// `D`: latency and FIR centre, in samples (fixed per length class).
    latency_samples: usize,
    /// `P`: partition length in samples.
    partition_samples: usize,
    /// Number of kernel partitions (`2D/P − 2`).
    num_partitions: usize,
    /// Channels processed, 1 or 2.
    num_channels: usize,
    /// Target sections per band (set by `set_target`).
    target: [[Coefficients; MAX_SECTIONS]; MAX_BANDS],
    /// Target section count per band; 0 = band transparent.
    target_sections: [usize; MAX_BANDS],
    /// True when the target changed since the last design (set by `set_target`).
    design_pending: bool,
    /// Inverse FFT of the design grid (`f64`).
    design_inverse: Arc<dyn ComplexToReal<f64>>,
    /// Target magnitude on the design grid (`M/2 + 1` bins).
    design_spectrum: Vec<Complex<f64>>,
    /// Zero-phase impulse response (`M` samples, circular).
    design_time: Vec<f64>,
    /// Scratch of `design_inverse`.
    design_scratch: Vec<Complex<f64>>,
    /// Vicanek basis `φ(ω_k)` of every design bin.
    design_phi: Vec<[f64; 3]>,
    /// Tukey half window over tap offsets `0..D−P` ([`TAPER_FRACTION`]).
    window: Vec<f64>,
    /// Forward FFT of size `2P`.
    forward: Arc<dyn RealToComplex<f32>>,
    /// Inverse FFT of size `2P`.
    inverse: Arc<dyn ComplexToReal<f32>>,
    /// Two kernel slots, each `num_partitions · (P+1)` spectra (scaled by `1/2P`).
    kernels: [Vec<Complex<f32>>; 2],
    /// What each slot holds.
    kernel_kind: [Kernel; 2],
    /// Slot in use.
    active: usize,
    /// Per channel FDL, `num_partitions · (P+1)` spectra.
    fdl: Vec<Vec<Complex<f32>>>,
    /// Partition index of the newest input spectrum.
    fdl_head: usize,
    /// Per channel input window: previous `P` samples then the current `P`.
    input: Vec<Vec<f32>>,
    /// Per channel output of the current partition (`P` samples).
    output: Vec<Vec<f32>>,
    /// Per channel ring of the last `D + P` input samples (delay path).
    dry: Vec<Vec<f32>>,
    /// Next write index in `dry`.
    dry_pos: usize,
    /// Position inside the current partition, `0..P`.
    pos: usize,
    /// FFT input scratch (`2P`).
    fft_time: Vec<f32>,
    /// Spectrum accumulator (`P+1`).
    accumulator: Vec<Complex<f32>>,
    /// Output of the new kernel during a crossfade (`P`).
    crossfade: Vec<f32>,
    /// Scratch of `forward`.
    forward_scratch: Vec<Complex<f32>>,
    /// Scratch of `inverse`.
    inverse_scratch: Vec<Complex<f32>>,
}

impl LinearPhase {
    /// Allocates everything for `sample_rate_hz`'s length class and `num_channels` (1–2).
    pub fn new(sample_rate_hz: f64, num_channels: usize) -> Self {
        let sample_rate_hz = crate::rate::clamp_hz(sample_rate_hz);
        let scale = fir_scale(sample_rate_hz);
        let d = BASE_LATENCY_SAMPLES * scale;
        let p = BASE_PARTITION_SAMPLES * scale;
        let num_partitions = 2 * d / p - 2;
        let m = DESIGN_OVERSAMPLING * 2 * d;
        let mut planner64 = RealFftPlanner::<f64>::new();
        let design_inverse = planner64.plan_fft_inverse(m);
        let mut planner32 = RealFftPlanner::<f32>::new();
        let forward = planner32.plan_fft_forward(2 * p);
        let inverse = planner32.plan_fft_inverse(2 * p);
        let half = d - p;
        let spectra = num_partitions * (p + 1);
        Self {
            sample_rate_hz,
            latency_samples: d,
            partition_samples: p,
            num_partitions,
            num_channels,
            target: [[Coefficients::identity(); MAX_SECTIONS]; MAX_BANDS],
            target_sections: [0; MAX_BANDS],
            design_pending: false,
            design_spectrum: design_inverse.make_input_vec(),
            design_time: design_inverse.make_output_vec(),
            design_scratch: design_inverse.make_scratch_vec(),
            design_inverse,
            design_phi: (0..=m / 2)
                .map(|k| phi(2.0 * std::f64::consts::PI * k as f64 / m as f64))
                .collect(),
            window: (0..half).map(|o| tukey(o, half)).collect(),
            kernels: [
                vec![Complex::default(); spectra],
                vec![Complex::default(); spectra],
            ],
            kernel_kind: [Kernel::Delay; 2],
            active: 0,
            fdl: vec![vec![Complex::default(); spectra]; num_channels],
            fdl_head: 0,
            input: vec![vec![0.0; 2 * p]; num_channels],
            output: vec![vec![0.0; p]; num_channels],
            dry: vec![vec![0.0; d + p]; num_channels],
            dry_pos: 0,
            pos: 0,
            fft_time: forward.make_input_vec(),
            accumulator: forward.make_output_vec(),
            crossfade: vec![0.0; p],
            forward_scratch: forward.make_scratch_vec(),
            inverse_scratch: inverse.make_scratch_vec(),
            forward,
            inverse,
        }
    }

    /// Changes the sample rate within the same length class (no allocation); redesigns at
    /// the next partition.
    ///
    /// # Panics
    /// If `fir_scale(sample_rate_hz)` differs from the one this engine was built for.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        assert_eq!(fir_scale(sample_rate_hz), fir_scale(self.sample_rate_hz));
        self.sample_rate_hz = sample_rate_hz;
        self.design_pending = true;
        self.reset();
    }

    /// Latency in samples (`D`); depends only on the sample rate's length class.
    pub fn latency_samples(&self) -> usize {
        self.latency_samples
    }

    /// Sets the target sections (the minimum-phase EQ's settled sections); the FIR is
    /// redesigned at the next partition boundary. Never allocates.
    pub fn set_target(
        &mut self,
        target: &[[Coefficients; MAX_SECTIONS]; MAX_BANDS],
        target_sections: &[usize; MAX_BANDS],
    ) {
        self.target = *target;
        self.target_sections = *target_sections;
        self.design_pending = true;
    }

    /// Clears all signal state and installs the current target without a crossfade.
    pub fn reset(&mut self) {
        for buf in self.fdl.iter_mut() {
            buf.fill(Complex::default());
        }
        for buf in self
            .input
            .iter_mut()
            .chain(&mut self.output)
            .chain(&mut self.dry)
        {
            buf.fill(0.0);
        }
        self.fdl_head = 0;
        self.dry_pos = 0;
        self.pos = 0;
        self.design(self.active);
        self.design_pending = false;
    }

    /// Filters `channels` in place (any length). Non-finite input samples enter as 0.
    pub fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        let num_channels = channels.len().min(self.num_channels);
        let num_frames = channels.first().map_or(0, |c| c.len());
        let p = self.partition_samples;
        let ring_len = self.dry.first().map_or(1, Vec::len);
        for i in 0..num_frames {
            for (ch, samples) in channels.iter_mut().enumerate().take(num_channels) {
                let x = samples[i];
                let x = if x.is_finite() { x } else { 0.0 };
                self.input[ch][p + self.pos] = x;
                self.dry[ch][self.dry_pos] = x;
                samples[i] = self.output[ch][self.pos];
            }
            self.dry_pos = (self.dry_pos + 1) % ring_len;
            self.pos += 1;
            if self.pos == p {
                self.pos = 0;
                self.step();
            }
        }
    }

    /// One partition: new input spectrum into the FDL, next output block (with a crossfade
    /// to a freshly designed kernel when the target changed).
    fn step(&mut self) {
        let p = self.partition_samples;
        let next = if self.design_pending {
            self.design_pending = false;
            let spare = 1 - self.active;
            self.design(spare);
            Some(spare)
        } else {
            None
        };
        self.fdl_head = (self.fdl_head + self.num_partitions - 1) % self.num_partitions;
        for ch in 0..self.num_channels {
            self.fft_time.copy_from_slice(&self.input[ch]);
            let head = self.fdl_head * (p + 1);
            let spectrum = &mut self.fdl[ch][head..head + p + 1];
            // The buffer sizes come from the plan itself, so the FFT cannot fail.
            let _ = self.forward.process_with_scratch(
                &mut self.fft_time,
                spectrum,
                &mut self.forward_scratch,
            );
            self.input[ch].copy_within(p.., 0);
            let mut out = std::mem::take(&mut self.output[ch]);
            self.render(self.active, ch, &mut out);
            if let Some(slot) = next {
                let mut new = std::mem::take(&mut self.crossfade);
                self.render(slot, ch, &mut new);
                for (i, (o, n)) in out.iter_mut().zip(&new).enumerate() {
                    let t = (i + 1) as f32 / p as f32;
                    *o += t * (n - *o);
                }
                self.crossfade = new;
            }
            self.output[ch] = out;
        }
        if let Some(slot) = next {
            self.active = slot;
        }
    }

    /// Output of kernel `slot` for channel `ch` over the next partition, into `out` (`P`).
    fn render(&mut self, slot: usize, ch: usize, out: &mut [f32]) {
        let p = self.partition_samples;
        match self.kernel_kind[slot] {
            Kernel::Delay => {
                let ring = &self.dry[ch];
                let start = self.dry_pos + ring.len() - self.latency_samples;
                for (i, o) in out.iter_mut().enumerate() {
                    *o = ring[(start + i) % ring.len()];
                }
            }
            Kernel::Fir => {
                self.accumulator.fill(Complex::default());
                let kernel = &self.kernels[slot];
                let fdl = &self.fdl[ch];
                for part in 0..self.num_partitions {
                    let age = (self.fdl_head + part) % self.num_partitions;
                    let k = &kernel[part * (p + 1)..(part + 1) * (p + 1)];
                    let x = &fdl[age * (p + 1)..(age + 1) * (p + 1)];
                    for ((a, k), x) in self.accumulator.iter_mut().zip(k).zip(x) {
                        *a += k * x;
                    }
                }
                // Overlap-save: the inverse needs purely real DC and Nyquist bins.
                self.accumulator[0].im = 0.0;
                self.accumulator[p].im = 0.0;
                let _ = self.inverse.process_with_scratch(
                    &mut self.accumulator,
                    &mut self.fft_time,
                    &mut self.inverse_scratch,
                );
                out.copy_from_slice(&self.fft_time[p..]);
            }
        }
    }

    /// Designs the FIR for the current target into kernel `slot` (no allocation).
    fn design(&mut self, slot: usize) {
        if self.target_sections.iter().all(|&n| n == 0) {
            self.kernel_kind[slot] = Kernel::Delay;
            return;
        }
        let sections: &[[Coefficients; MAX_SECTIONS]] = &self.target;
        for (bin, phi) in self.design_spectrum.iter_mut().zip(&self.design_phi) {
            let mag2: f64 = sections
                .iter()
                .zip(&self.target_sections)
                .flat_map(|(t, &n)| &t[..n])
                .map(|c| c.response_squared_phi(*phi))
                .product();
            *bin = Complex::new(mag2.sqrt(), 0.0);
        }
        let _ = self.design_inverse.process_with_scratch(
            &mut self.design_spectrum,
            &mut self.design_time,
            &mut self.design_scratch,
        );
        let p = self.partition_samples;
        let d = self.latency_samples;
        let m = self.design_time.len();
        let scale = 1.0 / (m as f64 * 2.0 * p as f64);
        for part in 0..self.num_partitions {
            for (j, t) in self.fft_time.iter_mut().enumerate() {
                // Engine tap `part·P + j` is FIR tap `part·P + j + P`, offset from the centre D.
                let offset = (part * p + j + p) as isize - d as isize;
                let o = offset.unsigned_abs();
                *t = if j < p && o < self.window.len() {
                    let h = self.design_time[offset.rem_euclid(m as isize) as usize];
                    (h * self.window[o] * scale) as f32
                } else {
                    0.0
                };
            }
            let spectrum = &mut self.kernels[slot][part * (p + 1)..(part + 1) * (p + 1)];
            let _ = self.forward.process_with_scratch(
                &mut self.fft_time,
                spectrum,
                &mut self.forward_scratch,
            );
        }
        self.kernel_kind[slot] = Kernel::Fir;
    }
}
