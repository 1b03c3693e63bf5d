//! The one second-order section used everywhere in Stemwise (EQ bands, sidechain filters).
//!
//! Transposed direct form II with `f64` state, one state pair per channel (mono or stereo):
//! `y = b0·x + s1;  s1 ← b1·x − a1·y + s2;  s2 ← b2·x − a2·y`
//! (RBJ Audio EQ Cookbook conventions, <https://www.w3.org/TR/audio-eq-cookbook/>, a0 = 1).
//! In `f64` the form is quiet under coefficient changes every few samples, which is how the
//! EQ smooths its parameters. [`Section::flush`] zeroes tiny (< 1e-30) and non-finite state so
//! silent tails never reach denormals and a NaN never survives the next flush.
//! [`Section::process_cascade`] runs several sections frame by frame with both channels in one
//! vector ([`F64x2`]), the same arithmetic as [`Section::process_frames`] bit for bit.

use super::design;
use super::lanes::F64x2;
use crate::block::MAX_PATH_CHANNELS;

/// Coefficients of `H(z) = (b0 + b1·z⁻¹ + b2·z⁻²) / (1 + a1·z⁻¹ + a2·z⁻²)`.
/// Computed by the design functions (or by the caller); read by [`Section`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coefficients {
    /// Numerator coefficient of `z⁰` (linear, unitless).
    pub b0: f64,
    /// Numerator coefficient of `z⁻¹`.
    pub b1: f64,
    /// Numerator coefficient of `z⁻²`.
    pub b2: f64,
    /// Denominator coefficient of `z⁻¹` (the `z⁰` coefficient is 1).
    pub a1: f64,
    /// Denominator coefficient of `z⁻²`.
    pub a2: f64,
}

impl Default for Coefficients {
    fn default() -> Self {
        Self::identity()
    }
}

impl Coefficients {
    /// The pass-through section `H(z) = 1` (bit-exact: `y = 1·x + 0`).
    pub const fn identity() -> Self {
        Self {
            b0: 1.0,
            b1: 0.0,
            b2: 0.0,
            a1: 0.0,
            a2: 0.0,
        }
    }

    /// Second-order high-pass `s² / (s² + s/Q + 1)` at `freq_hz` (−3 dB there for
    /// `q = 1/√2`, the Butterworth value): matched poles, the prototype's double zero at DC and
    /// its gain at `freq_hz` ([`design::matched_highpass`], Vicanek 2016).
    /// `freq_hz` is clamped to `[1 Hz, 0.49·sample_rate_hz]`.
    pub fn butterworth_highpass(freq_hz: f64, q: f64, sample_rate_hz: f64) -> Self {
        design::matched_highpass(q, clamp_freq_hz(freq_hz, sample_rate_hz), sample_rate_hz)
    }

    /// Second-order low-pass `1 / (s² + s/Q + 1)` at `freq_hz`, matched to the analog
    /// magnitude at DC, Nyquist and `freq_hz` ([`design::matched`], Vicanek 2016).
    pub fn butterworth_lowpass(freq_hz: f64, q: f64, sample_rate_hz: f64) -> Self {
        let (num, den) = design::prototype::lowpass(q);
        design::matched(
            num,
            den,
            clamp_freq_hz(freq_hz, sample_rate_hz),
            1.0,
            sample_rate_hz,
        )
    }

    /// Squared linear magnitude `|H(e^{jω})|²` at `freq_hz` (Vicanek's φ form, accurate at
    /// low frequencies).
    #[inline]
    pub fn response_squared(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        self.response_squared_phi(design::phi(design::omega(freq_hz, sample_rate_hz)))
    }

    /// Squared magnitude from precomputed basis values `design::phi(ω)` (used by the FIR design).
    #[inline]
    pub fn response_squared_phi(&self, phi: [f64; 3]) -> f64 {
        let [p0, p1, p2] = phi;
        let nb = self.b0 + self.b1 + self.b2;
        let nn = self.b0 - self.b1 + self.b2;
        let num = nb * nb * p0 + nn * nn * p1 - 4.0 * self.b0 * self.b2 * p2;
        let [a0, a1, a2] = design::denominator_basis(self.a1, self.a2);
        (num / (a0 * p0 + a1 * p1 + a2 * p2)).max(0.0)
    }

    /// Linear magnitude `|H(e^{jω})|` at `freq_hz`: the exact digital response of this section.
    #[inline]
    pub fn response(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        self.response_squared(freq_hz, sample_rate_hz).sqrt()
    }

    /// True when both poles lie strictly inside the unit circle (Jury: `|a2| < 1`,
    /// `|a1| < 1 + a2`).
    pub fn is_stable(&self) -> bool {
        self.a2.abs() < 1.0 && self.a1.abs() < 1.0 + self.a2
    }

    /// Largest pole radius (for stability margins in tests and diagnostics).
    pub fn pole_radius(&self) -> f64 {
        let disc = self.a1 * self.a1 - 4.0 * self.a2;
        if disc < 0.0 {
            self.a2.sqrt()
        } else {
            let r = disc.sqrt();
            ((-self.a1 + r).abs()).max((-self.a1 - r).abs()) * 0.5
        }
    }
}

/// Highest design frequency as a fraction of the sample rate.
pub const MAX_FREQ_RATIO: f64 = 0.49;

/// Clamps a design frequency to `[1 Hz, MAX_FREQ_RATIO · sample_rate_hz]`.
#[inline]
pub fn clamp_freq_hz(freq_hz: f64, sample_rate_hz: f64) -> f64 {
    freq_hz.clamp(1.0, MAX_FREQ_RATIO * sample_rate_hz)
}

/// Magnitude below which state is flushed to exact zero (far above `f64` denormals).
pub const FLUSH_THRESHOLD: f64 = 1e-30;

/// A biquad section with its own coefficients and per-channel `f64` state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Section {
    /// Coefficients in use (set by `new`, `set_coefficients`).
    coefficients: Coefficients,
    /// First TDF-II state per channel (set by `process*`, cleared by `reset`).
    s1: [f64; MAX_PATH_CHANNELS],
    /// Second TDF-II state per channel.
    s2: [f64; MAX_PATH_CHANNELS],
}

impl Section {
    /// A section with cleared state running `coefficients`.
    pub fn new(coefficients: Coefficients) -> Self {
        Self {
            coefficients,
            ..Self::default()
        }
    }

    /// Replaces the coefficients, keeping the state (smooth for small changes).
    #[inline]
    pub fn set_coefficients(&mut self, coefficients: Coefficients) {
        self.coefficients = coefficients;
    }

    /// The coefficients in use.
    #[inline]
    pub fn coefficients(&self) -> &Coefficients {
        &self.coefficients
    }

    /// Clears the state of every channel.
    pub fn reset(&mut self) {
        self.s1 = [0.0; MAX_PATH_CHANNELS];
        self.s2 = [0.0; MAX_PATH_CHANNELS];
    }

    /// True when every state value is exactly zero (a section with identity-equivalent
    /// coefficients and zero state is an exact pass-through).
    #[inline]
    pub fn is_at_rest(&self) -> bool {
        self.s1.iter().chain(self.s2.iter()).all(|&s| s == 0.0)
    }

    /// Zeroes state values below [`FLUSH_THRESHOLD`] in magnitude or non-finite.
    #[inline]
    pub fn flush(&mut self) {
        for s in self.s1.iter_mut().chain(self.s2.iter_mut()) {
            // NaN fails the comparison and is zeroed too.
            if !(s.abs() >= FLUSH_THRESHOLD && s.abs() < f64::INFINITY) {
                *s = 0.0;
            }
        }
    }

    /// Filters one sample of `channel` (0 or 1).
    ///
    /// # Panics
    /// If `channel >= 2`.
    #[inline(always)]
    pub fn process(&mut self, channel: usize, x: f64) -> f64 {
        let c = &self.coefficients;
        let y = c.b0 * x + self.s1[channel];
        self.s1[channel] = c.b1 * x - c.a1 * y + self.s2[channel];
        self.s2[channel] = c.b2 * x - c.a2 * y;
        y
    }

    /// Filters one stereo frame (both lanes at once).
    #[inline(always)]
    pub fn process_frame(&mut self, x: [f64; 2]) -> [f64; 2] {
        let mut frame = [x];
        self.process_frames(&mut frame);
        frame[0]
    }

    /// Filters interleaved stereo frames in place (mono callers leave lane 1 at zero).
    /// State and coefficients live in registers for the whole loop.
    #[inline]
    pub fn process_frames(&mut self, frames: &mut [[f64; 2]]) {
        let c = self.coefficients;
        let (mut s1, mut s2) = (self.s1, self.s2);
        for frame in frames.iter_mut() {
            let x = *frame;
            let mut y = [0.0; 2];
            for i in 0..2 {
                y[i] = c.b0 * x[i] + s1[i];
                s1[i] = c.b1 * x[i] - c.a1 * y[i] + s2[i];
                s2[i] = c.b2 * x[i] - c.a2 * y[i];
            }
            *frame = y;
        }
        self.s1 = s1;
        self.s2 = s2;
    }

    /// Runs the cascade `sections` (in order) over the frames of `io`, one frame through all
    /// `K` sections before the next, state and coefficients in registers; flushes the state of
    /// every section (as [`Section::flush`]) before each frame whose absolute position,
    /// `phase + i`, is a multiple of `flush_interval`. Bit-identical to running the sections
    /// one after the other with [`Section::process_frames`] and flushing at the same frames.
    ///
    /// # Panics
    /// If `flush_interval` is 0.
    #[inline(always)]
    pub fn process_cascade<const K: usize, F: CascadeIo + ?Sized>(
        sections: &mut [Section; K],
        io: &mut F,
        phase: usize,
        flush_interval: usize,
    ) {
        let c = sections
            .each_ref()
            .map(|s| LaneCoefficients::new(&s.coefficients));
        let mut s1 = sections.each_ref().map(|s| F64x2::from_array(s.s1));
        let mut s2 = sections.each_ref().map(|s| F64x2::from_array(s.s2));
        let num_frames = io.num_frames();
        let mut next_flush = (flush_interval - phase % flush_interval) % flush_interval;
        let mut start = 0;
        while start < num_frames {
            if start == next_flush {
                for k in 0..K {
                    s1[k] = s1[k].flush_below(FLUSH_THRESHOLD);
                    s2[k] = s2[k].flush_below(FLUSH_THRESHOLD);
                }
                next_flush += flush_interval;
            }
            let end = next_flush.min(num_frames);
            for i in start..end {
                let mut x = io.read(i);
                for k in 0..K {
                    x = c[k].step(&mut s1[k], &mut s2[k], x);
                }
                io.write(i, x);
            }
            start = end;
        }
        for (k, s) in sections.iter_mut().enumerate() {
            s.s1 = s1[k].to_array();
            s.s2 = s2[k].to_array();
        }
    }

    /// Filters up to two channels in place, then flushes tiny and non-finite state.
    /// Extra channels beyond two are left untouched.
    pub fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        for (ch, samples) in channels.iter_mut().enumerate().take(MAX_PATH_CHANNELS) {
            for s in samples.iter_mut() {
                *s = self.process(ch, f64::from(*s)) as f32;
            }
        }
        self.flush();
    }

    /// Linear magnitude of this section at `freq_hz` (see [`Coefficients::response`]).
    pub fn response(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        self.coefficients.response(freq_hz, sample_rate_hz)
    }
}

/// A section unpacked into registers for a caller's own frame loop (a meter that does more
/// per frame than [`CascadeIo`] allows): the arithmetic of [`Section::process_frames`], bit
/// for bit. Taken by [`Section::registers`], written back by [`Section::store`].
#[derive(Clone, Copy)]
pub struct SectionRegisters {
    /// The coefficients in both lanes.
    coefficients: LaneCoefficients,
    /// First state, both lanes.
    s1: F64x2,
    /// Second state, both lanes.
    s2: F64x2,
}

impl SectionRegisters {
    /// Filters one stereo frame.
    #[inline(always)]
    pub fn step(&mut self, x: F64x2) -> F64x2 {
        self.coefficients.step(&mut self.s1, &mut self.s2, x)
    }
}

impl Section {
    /// The section's coefficients and state, for a frame loop of the caller's.
    #[inline(always)]
    pub fn registers(&self) -> SectionRegisters {
        SectionRegisters {
            coefficients: LaneCoefficients::new(&self.coefficients),
            s1: F64x2::from_array(self.s1),
            s2: F64x2::from_array(self.s2),
        }
    }

    /// Takes back the state of `registers` (taken from this section).
    #[inline(always)]
    pub fn store(&mut self, registers: &SectionRegisters) {
        self.s1 = registers.s1.to_array();
        self.s2 = registers.s2.to_array();
    }
}

/// Coefficients of one section, each repeated for the two lanes.
#[derive(Clone, Copy)]
struct LaneCoefficients {
    /// `b0` in both lanes.
    b0: F64x2,
    /// `b1` in both lanes.
    b1: F64x2,
    /// `b2` in both lanes.
    b2: F64x2,
    /// `a1` in both lanes.
    a1: F64x2,
    /// `a2` in both lanes.
    a2: F64x2,
}

impl LaneCoefficients {
    #[inline(always)]
    fn new(c: &Coefficients) -> Self {
        Self {
            b0: F64x2::splat(c.b0),
            b1: F64x2::splat(c.b1),
            b2: F64x2::splat(c.b2),
            a1: F64x2::splat(c.a1),
            a2: F64x2::splat(c.a2),
        }
    }

    /// One frame through the section: the arithmetic of [`Section::process_frames`], in the
    /// same order.
    #[inline(always)]
    fn step(&self, s1: &mut F64x2, s2: &mut F64x2, x: F64x2) -> F64x2 {
        let y = self.b0 * x + *s1;
        *s1 = self.b1 * x - self.a1 * y + *s2;
        *s2 = self.b2 * x - self.a2 * y;
        y
    }
}

/// Frames read and written by [`Section::process_cascade`]: stereo pairs of `f64` lanes
/// (mono sources leave lane 1 at zero).
pub trait CascadeIo {
    /// Number of frames.
    fn num_frames(&self) -> usize;
    /// Frame `i` (`i < num_frames()`).
    fn read(&self, i: usize) -> F64x2;
    /// Replaces frame `i` (`i < num_frames()`).
    fn write(&mut self, i: usize, frame: F64x2);
}

impl CascadeIo for [[f64; 2]] {
    #[inline(always)]
    fn num_frames(&self) -> usize {
        self.len()
    }
    #[inline(always)]
    fn read(&self, i: usize) -> F64x2 {
        F64x2::from_array(self[i])
    }
    #[inline(always)]
    fn write(&mut self, i: usize, frame: F64x2) {
        self[i] = frame.to_array();
    }
}
