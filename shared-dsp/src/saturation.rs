//! Oversampled soft saturation for parallel use (e.g. bass): drive, bias for even harmonics,
//! tone, level-compensated wet path and a delay-compensated dry/wet mix.
//!
//! ```text
//! x ─┬─ delay(latency) ───────────────────────────────────────────────── dry ─┐
//!    └─ ↑N ─ (f(g·x + b) − f(b)) · c ─ ↓N ─ tone LP ─ DC blocker ──── wet ─ mix
//! ```
//!
//! Legend: `f` is [`soft_clip`] (`tanh`); `g` the drive gain (`10^(drive_db/20)`); `b` the
//! bias; `c = 1 / (g·f′(b))` the level compensation, which makes the wet path's small-signal gain
//! exactly 1, so the wet and dry paths match in level below saturation and mix changes do not
//! jump in level (only the saturated peaks get quieter); `↑N`/`↓N` the linear-phase half-band
//! oversampler ([`crate::oversampling`]), whose latency the dry path is delayed by.
//! Subtracting `f(b)` keeps silence silent; the DC blocker removes the program-dependent DC
//! that the bias creates.
//!
//! Lanes (conventions §5): drive, bias and mix are per-sample smoothed over [`GAIN_RAMP_MS`]
//! (drive and bias are held for the `N` oversampled samples of each base sample); tone is a
//! coefficient applied from the next sample; the oversampling factor is structural (it resets
//! the state and changes [`Saturation::latency_samples`]).
//!
//! Aliasing, and why the curve is `tanh`: the harmonics of `f(A·sin θ)` are the Chebyshev
//! coefficients of `f(A·x)` on [−1, 1], which fall by `e^{−asinh(y/A)}` per harmonic when the
//! curve's nearest complex singularity is at `±i·y` (Bernstein ellipse: Trefethen,
//! *Approximation Theory and Approximation Practice*, Thm. 8.1,
//! <https://people.maths.ox.ac.uk/trefethen/ATAP/>). `tanh` has `y = π/2`; the algebraic
//! sigmoid `x/√(1+x²)` it replaced has `y = 1`, i.e. 3.3 instead of 2.1 dB per harmonic at
//! `A = 4` (+12 dB drive of a full-scale sine). That is the difference between −79 and −66 dBc
//! for the worst alias of a 7 kHz sine at 4× (the 23rd harmonic folded to 15.4 kHz; spec
//! ≤ −70 dBc, `tests/saturation_quality.rs`). First-order ADAA was not used: it delays the
//! high-rate signal by half a sample (a fractional, non-integer latency) and droops the top
//! octave; 8× would double the cost and add latency for what the curve alone achieves.

use std::ops::RangeInclusive;

use crate::db::db_to_gain;
use crate::delay::DelayLine;
use crate::gain::GAIN_RAMP_MS;
use crate::oversampling::{Oversampler, OversamplingFactor};
use crate::smoother::LinearSmoother;

/// Most channels a saturation handles (stereo); more passed to `process_block` are untouched.
pub const MAX_CHANNELS: usize = 2;
/// Accepted drive, dB.
pub const DRIVE_DB_RANGE: RangeInclusive<f32> = 0.0..=24.0;
/// Accepted bias (full-scale units added after the drive gain).
pub const BIAS_RANGE: RangeInclusive<f32> = -0.5..=0.5;
/// Accepted tone corner, Hz.
pub const TONE_HZ_RANGE: RangeInclusive<f32> = 1_000.0..=20_000.0;
/// Corner of the wet path's DC blocker, Hz.
pub const DC_BLOCKER_HZ: f64 = 5.0;
/// Filter state magnitude flushed to exact zero (far above denormals, far below audibility).
const FLUSH_STATE: f64 = 1e-20;

/// `|x|` beyond which [`soft_clip`] is ±1 to f32 precision and its input is clamped:
/// `1 − tanh 8 = 2.3e−7`, and the slope jumps there only by `tanh′(8) = 4.5e−7`.
pub const SOFT_CLIP_CLAMP: f32 = 8.0;
/// Numerator `P(s) = Σ pₖ·sᵏ`, `s = x²`, of [`soft_clip`] (all positive: no cancellation).
const SOFT_CLIP_P: [f32; 5] = [
    1.0,
    1.344_680_2e-1,
    3.574_321_5e-3,
    2.193_926e-5,
    1.529_265_4e-8,
];
/// Denominator `Q(s) = Σ qₖ·sᵏ` of [`soft_clip`] (all positive: `Q ≥ 1`, no real poles).
const SOFT_CLIP_Q: [f32; 5] = [
    1.0,
    4.678_013e-1,
    2.617_483_4e-2,
    3.415_732e-4,
    8.547_772e-7,
];

/// The soft-clip curve `f(x) = tanh(x)`: odd, slope 1 at 0, asymptotes ±1, smooth (analytic
/// in the strip |Im x| < π/2, which keeps its harmonics, and so the aliasing, low; see the
/// module documentation).
///
/// Evaluated as the rational `x·P(x²)/Q(x²)` of degree 9/8 on `|x| ≤` [`SOFT_CLIP_CLAMP`]
/// (input clamped beyond): a relative-error minimax fit made for this crate (Lawson-weighted
/// least squares, <https://en.wikipedia.org/wiki/Minimax_approximation_algorithm>): relative
/// error 7e−9 before rounding the coefficients to f32, ≤ 2.5 ulp (2.9e−7) as evaluated in f32;
/// its slope is within 1.2e−7 of `1 − tanh²` (both asserted by the unit tests below). Exactly
/// odd (so bias 0 makes no even harmonics), `P(0) = Q(0) = 1` (slope exactly 1 at 0),
/// branch-free, one division, vectorizable: replacing `x/√(1+x²)` by it added 2 % instructions
/// per frame to the whole processor (`benches/callgrind.sh saturation2x saturation4x`).
#[inline(always)]
pub fn soft_clip(x: f32) -> f32 {
    let x = x.clamp(-SOFT_CLIP_CLAMP, SOFT_CLIP_CLAMP);
    let s = x * x;
    let [p0, p1, p2, p3, p4] = SOFT_CLIP_P;
    let [q0, q1, q2, q3, q4] = SOFT_CLIP_Q;
    let num = (((p4 * s + p3) * s + p2) * s + p1) * s + p0;
    let den = (((q4 * s + q3) * s + q2) * s + q1) * s + q0;
    x * num / den
}

/// Slope `f′(x)` of [`soft_clip`] as evaluated (the exact derivative of its rational, in f64,
/// so that the level compensation `1/(g·f′(b))` matches the curve actually applied): with
/// `s = x²`, `f′ = ((P + 2s·P′)·Q − 2s·P·Q′) / Q²`; 0 beyond [`SOFT_CLIP_CLAMP`].
pub fn soft_clip_slope(x: f32) -> f32 {
    if x.abs() >= SOFT_CLIP_CLAMP {
        return 0.0;
    }
    let s = f64::from(x) * f64::from(x);
    // Horner for the value and the derivative in s.
    let eval = |c: &[f32; 5]| {
        c.iter().rev().fold((0.0f64, 0.0f64), |(v, d), &k| {
            (v * s + f64::from(k), d * s + v)
        })
    };
    let ((p, dp), (q, dq)) = (eval(&SOFT_CLIP_P), eval(&SOFT_CLIP_Q));
    (((p + 2.0 * s * dp) * q - 2.0 * s * p * dq) / (q * q)) as f32
}

/// Saturation settings (set by the plugin or CLI from its parameters; clamped on use).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SaturationSettings {
    /// Gain into the curve in dB, in [`DRIVE_DB_RANGE`] (per-sample smoothed).
    pub drive_db: f32,
    /// Offset added to the driven signal before the curve, in [`BIAS_RANGE`]: 0 gives odd
    /// harmonics only, ±0.5 strong even harmonics (per-sample smoothed).
    pub bias: f32,
    /// Corner of the wet path's one-pole (6 dB/oct) low-pass in Hz, in [`TONE_HZ_RANGE`], or
    /// `None` for no tone filter (coefficient lane).
    pub tone_hz: Option<f32>,
    /// Wet share of the output in [0, 1]: 0 = delayed dry only, 1 = wet only (per-sample
    /// smoothed).
    pub mix_t: f32,
    /// Oversampling factor (structural: changes reset the state and the latency).
    pub oversampling: OversamplingFactor,
}

impl Default for SaturationSettings {
    fn default() -> Self {
        Self {
            drive_db: 6.0,
            bias: 0.0,
            tone_hz: None,
            mix_t: 1.0,
            oversampling: OversamplingFactor::X2,
        }
    }
}

/// Clamps `value` to `range`, replacing a non-finite value by `fallback`.
fn clamp_finite(value: f32, range: RangeInclusive<f32>, fallback: f32) -> f32 {
    if value.is_finite() {
        value.clamp(*range.start(), *range.end())
    } else {
        fallback
    }
}

impl SaturationSettings {
    /// These settings with every field clamped to its range (non-finite values take the
    /// default).
    pub fn sanitized(self) -> Self {
        let d = Self::default();
        Self {
            drive_db: clamp_finite(self.drive_db, DRIVE_DB_RANGE, d.drive_db),
            bias: clamp_finite(self.bias, BIAS_RANGE, d.bias),
            tone_hz: self
                .tone_hz
                .filter(|hz| hz.is_finite())
                .map(|hz| hz.clamp(*TONE_HZ_RANGE.start(), *TONE_HZ_RANGE.end())),
            mix_t: clamp_finite(self.mix_t, 0.0..=1.0, d.mix_t),
            oversampling: self.oversampling,
        }
    }
}

/// Curve parameters of one base-rate sample (derived from the smoothed drive and bias).
#[derive(Debug, Clone, Copy, Default)]
struct CurveParams {
    /// Linear drive gain `g`.
    drive_gain: f32,
    /// Bias `b`.
    bias: f32,
    /// `f(b)`, subtracted so that silence stays silent.
    offset: f32,
    /// Level compensation `1 / (g·f′(b))` (finite: `|b| ≤ 0.5`, where `f′ > 0.78`).
    compensation: f32,
}

impl CurveParams {
    fn new(drive_gain: f32, bias: f32) -> Self {
        Self {
            drive_gain,
            bias,
            offset: soft_clip(bias),
            compensation: 1.0 / (drive_gain * soft_clip_slope(bias)),
        }
    }

    #[inline(always)]
    fn apply(&self, x: f32) -> f32 {
        (soft_clip(self.drive_gain * x + self.bias) - self.offset) * self.compensation
    }
}

/// Coefficients of the wet path's base-rate filters (set by `update_coefficients`).
#[derive(Debug, Clone, Copy)]
struct PostCoefficients {
    /// One-pole low-pass factor `a = 1 − e^{−2π·f/fs}` (impulse-invariant), `None` when off.
    tone_alpha: Option<f64>,
    /// DC-blocker pole `R = e^{−2π·DC_BLOCKER_HZ/fs}`.
    dc_pole: f64,
}

/// Per-channel state of the wet path's base-rate filters (written by `process_block`).
#[derive(Debug, Clone, Copy, Default)]
struct PostState {
    /// Tone low-pass output `y[n−1]`.
    tone: f64,
    /// DC-blocker input `x[n−1]`.
    dc_input: f64,
    /// DC-blocker output `y[n−1]`.
    dc_output: f64,
}

/// The saturation processor (see the module documentation).
#[derive(Debug, Clone)]
pub struct Saturation {
    /// Current settings, sanitized (set by `set_settings`).
    settings: SaturationSettings,
    /// Base-rate filter coefficients.
    post: PostCoefficients,
    /// Base-rate filter state per channel.
    post_state: [PostState; MAX_CHANNELS],
    /// Up/down sampler of the wet path.
    oversampler: Oversampler,
    /// Delay of the dry path, equal to the oversampler's latency.
    dry_delay: DelayLine,
    /// Dry copy of the current block per channel (allocated in `new`).
    dry: Vec<Vec<f32>>,
    /// Curve parameters per base sample while drive or bias ramps (allocated in `new`).
    ramp_params: Vec<CurveParams>,
    /// Linear drive gain, ramped per sample.
    drive_gain: LinearSmoother,
    /// Bias, ramped per sample.
    bias: LinearSmoother,
    /// Wet share of the output, ramped per sample.
    mix_t: LinearSmoother,
    /// The wet path's state is clear and it is not running (mix settled at 0).
    wet_resting: bool,
    /// Sample rate in Hz (set by `new`, `set_sample_rate`).
    sample_rate_hz: f32,
    /// Largest block length (set by `new`).
    max_block: usize,
}

impl Saturation {
    /// A saturation with default settings for `num_channels` (1 or 2) channels and blocks of
    /// up to `max_block` frames; allocates for every oversampling factor.
    ///
    /// # Panics
    /// If `num_channels` is 0 or greater than [`MAX_CHANNELS`].
    pub fn new(sample_rate_hz: f32, max_block: usize, num_channels: usize) -> Self {
        let sample_rate_hz = crate::rate::clamp_hz_f32(sample_rate_hz);
        assert!(
            (1..=MAX_CHANNELS).contains(&num_channels),
            "the saturation handles 1 or 2 channels, not {num_channels}"
        );
        let settings = SaturationSettings::default();
        let mut saturation = Self {
            settings,
            post: PostCoefficients {
                tone_alpha: None,
                dc_pole: 0.0,
            },
            post_state: [PostState::default(); MAX_CHANNELS],
            oversampler: Oversampler::new(max_block, num_channels),
            // A block of room beyond the longest delay: the ring then copies whole blocks
            // instead of one frame per run.
            dry_delay: DelayLine::new(
                num_channels,
                OversamplingFactor::X4.latency_samples() + max_block,
            ),
            dry: vec![vec![0.0; max_block]; num_channels],
            ramp_params: vec![CurveParams::default(); max_block],
            drive_gain: LinearSmoother::new(GAIN_RAMP_MS, sample_rate_hz, 1.0),
            bias: LinearSmoother::new(GAIN_RAMP_MS, sample_rate_hz, 0.0),
            mix_t: LinearSmoother::new(GAIN_RAMP_MS, sample_rate_hz, 1.0),
            wet_resting: false,
            sample_rate_hz,
            max_block,
        };
        saturation.set_sample_rate(sample_rate_hz);
        saturation.apply_structure();
        saturation.set_settings(settings);
        saturation.reset();
        saturation
    }

    /// Recomputes everything that depends on the sample rate (keeps the state).
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        let sample_rate_hz = crate::rate::clamp_hz_f32(sample_rate_hz);
        self.sample_rate_hz = sample_rate_hz;
        self.drive_gain.set_sample_rate(sample_rate_hz);
        self.bias.set_sample_rate(sample_rate_hz);
        self.mix_t.set_sample_rate(sample_rate_hz);
        self.update_coefficients();
    }

    /// New settings (clamped by [`SaturationSettings::sanitized`]). Drive, bias and mix ramp
    /// over [`GAIN_RAMP_MS`], tone applies at once, and a new oversampling factor resets the
    /// state (structural). Never allocates.
    pub fn set_settings(&mut self, settings: SaturationSettings) {
        let settings = settings.sanitized();
        let structural = settings.oversampling != self.settings.oversampling;
        self.settings = settings;
        self.drive_gain.set_target(db_to_gain(settings.drive_db));
        self.bias.set_target(settings.bias);
        self.mix_t.set_target(settings.mix_t);
        self.update_coefficients();
        if structural {
            self.apply_structure();
            self.reset();
        }
    }

    /// The current (sanitized) settings.
    pub fn settings(&self) -> &SaturationSettings {
        &self.settings
    }

    /// Clears all filter and delay state and jumps the smoothers to their targets (never
    /// allocates).
    pub fn reset(&mut self) {
        self.oversampler.reset();
        self.dry_delay.reset();
        self.post_state = [PostState::default(); MAX_CHANNELS];
        self.drive_gain.reset(db_to_gain(self.settings.drive_db));
        self.bias.reset(self.settings.bias);
        self.mix_t.reset(self.settings.mix_t);
        self.wet_resting = false;
    }

    /// Clears the wet path's state (not the dry delay) once when it stops, and keeps drive and
    /// bias settled on their targets while it rests.
    fn rest_wet_path(&mut self) {
        if !self.wet_resting {
            self.oversampler.reset();
            self.post_state = [PostState::default(); MAX_CHANNELS];
            self.wet_resting = true;
        }
        self.drive_gain.reset(db_to_gain(self.settings.drive_db));
        self.bias.reset(self.settings.bias);
    }

    /// Latency in samples: [`OversamplingFactor::latency_samples`] of the current factor.
    pub fn latency_samples(&self) -> usize {
        self.settings.oversampling.latency_samples()
    }

    /// Linear magnitude of the wet path's linear filters (tone and DC blocker) at `freq_hz`:
    /// the small-signal response of the wet path relative to the dry path.
    pub fn wet_filter_response(&self, freq_hz: f64) -> f64 {
        let omega = 2.0 * std::f64::consts::PI * freq_hz / f64::from(self.sample_rate_hz);
        // |1 − p·e^{−jω}|² = 1 − 2p·cos ω + p².
        let one_minus = |p: f64| (1.0 - 2.0 * p * omega.cos() + p * p).sqrt();
        let r = self.post.dc_pole;
        let dc_blocker = one_minus(1.0) / one_minus(r);
        let tone = self.post.tone_alpha.map_or(1.0, |a| a / one_minus(1.0 - a));
        dc_blocker * tone
    }

    /// Saturates one or two channels in place. Channels beyond [`MAX_CHANNELS`] are left
    /// untouched; all channels must have the same length. Non-finite input samples are
    /// replaced by 0 (on the dry path too).
    ///
    /// # Panics
    /// If the block is longer than the `max_block` given to `new`.
    pub fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        let num_channels = channels.len().min(self.dry.len());
        let channels = &mut channels[..num_channels];
        let num_frames = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        assert!(num_frames <= self.max_block, "block longer than max_block");
        for (samples, dry) in channels.iter_mut().zip(self.dry.iter_mut()) {
            for s in samples.iter_mut() {
                if !s.is_finite() {
                    *s = 0.0;
                }
            }
            dry[..num_frames].copy_from_slice(&samples[..num_frames]);
        }
        self.delay_dry(num_frames);
        if self.mix_t.is_settled() && self.mix_t.current() == 0.0 {
            // Dry only: the output is exactly the delayed input (signed zeros included) and
            // the wet path rests, restarting from clean state when the mix rises again (its
            // filters fill while the mix ramps up from 0, so that is click-free).
            for (samples, dry) in channels.iter_mut().zip(&self.dry) {
                samples[..num_frames].copy_from_slice(&dry[..num_frames]);
            }
            self.rest_wet_path();
            return;
        }
        self.wet_resting = false;

        let ramping = !(self.drive_gain.is_settled() && self.bias.is_settled());
        let constant = CurveParams::new(self.drive_gain.current(), self.bias.current());
        if ramping {
            for p in &mut self.ramp_params[..num_frames] {
                *p = CurveParams::new(self.drive_gain.next_value(), self.bias.next_value());
            }
        }
        let ramp_params = &self.ramp_params[..num_frames];
        let ratio = self.settings.oversampling.ratio();
        self.oversampler.process_block(channels, |_, high| {
            if ramping {
                for (chunk, p) in high.chunks_exact_mut(ratio).zip(ramp_params) {
                    chunk.iter_mut().for_each(|s| *s = p.apply(*s));
                }
            } else {
                high.iter_mut().for_each(|s| *s = constant.apply(*s));
            }
        });

        let post = self.post;
        for i in 0..num_frames {
            let mix_t = self.mix_t.next_value();
            for (c, samples) in channels.iter_mut().enumerate() {
                let state = &mut self.post_state[c];
                let mut wet = f64::from(samples[i]);
                if let Some(alpha) = post.tone_alpha {
                    state.tone = flush(state.tone + alpha * (wet - state.tone));
                    wet = state.tone;
                }
                let blocked = wet - state.dc_input + post.dc_pole * state.dc_output;
                state.dc_input = wet;
                state.dc_output = flush(blocked);
                samples[i] = blocked as f32 * mix_t + self.dry[c][i] * (1.0 - mix_t);
            }
        }
    }

    /// Delays the dry copies of the first `num_frames` frames by the latency.
    fn delay_dry(&mut self, num_frames: usize) {
        let num_channels = self.dry.len();
        let mut slices: [&mut [f32]; MAX_CHANNELS] = [&mut [], &mut []];
        for (slot, dry) in slices.iter_mut().zip(self.dry.iter_mut()) {
            *slot = &mut dry[..num_frames];
        }
        self.dry_delay.process_block(&mut slices[..num_channels]);
    }

    /// Sets the oversampler and the dry delay to the current factor.
    fn apply_structure(&mut self) {
        self.oversampler.set_factor(self.settings.oversampling);
        self.dry_delay
            .set_delay_samples(self.settings.oversampling.latency_samples());
    }

    /// Derives the base-rate filter coefficients from the settings and the sample rate.
    fn update_coefficients(&mut self) {
        let fs = f64::from(self.sample_rate_hz);
        let pole = |hz: f64| (-2.0 * std::f64::consts::PI * hz / fs).exp();
        self.post = PostCoefficients {
            tone_alpha: self.settings.tone_hz.map(|hz| 1.0 - pole(f64::from(hz))),
            dc_pole: pole(DC_BLOCKER_HZ),
        };
    }
}

/// `x`, or exactly 0 when its magnitude is below [`FLUSH_STATE`].
#[inline(always)]
fn flush(x: f64) -> f64 {
    if x.abs() < FLUSH_STATE {
        0.0
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every f32 step of 1/4096 on [−12, 12] (beyond the clamp too).
    fn grid() -> impl Iterator<Item = f32> {
        (-12 * 4096..=12 * 4096).map(|i| i as f32 / 4096.0)
    }

    #[test]
    fn soft_clip_is_tanh_within_its_stated_error() {
        let mut worst_abs = 0.0f64;
        let mut worst_ulp = 0.0f64;
        for x in grid() {
            let exact = f64::from(x).tanh();
            let err = (f64::from(soft_clip(x)) - exact).abs();
            worst_abs = worst_abs.max(err);
            if exact != 0.0 {
                worst_ulp = worst_ulp.max(err / (exact.abs() * f64::from(f32::EPSILON)));
            }
            assert_eq!(soft_clip(-x), -soft_clip(x), "not odd at {x}");
            assert!(soft_clip(x).abs() <= 1.0, "{x}");
        }
        println!("soft_clip vs tanh: worst {worst_abs:.2e} absolute, {worst_ulp:.2} ulp");
        assert!(
            worst_abs <= 3e-7 && worst_ulp <= 2.5,
            "{worst_abs} {worst_ulp}"
        );
        assert_eq!(soft_clip(0.0), 0.0);
        assert_eq!(soft_clip(1e-30), 1e-30);
    }

    /// The slope is the derivative of the curve as evaluated (central difference in f64 of the
    /// same rational; up to the f32 rounding of the result) and of `tanh` to within the fit's
    /// error; it is continuous to 5e−7 at the clamp.
    #[test]
    fn soft_clip_slope_is_the_curves_derivative() {
        let rational = |x: f64| {
            let s = x * x;
            let h = |c: &[f32; 5]| c.iter().rev().fold(0.0, |v, &k| v * s + f64::from(k));
            x * h(&SOFT_CLIP_P) / h(&SOFT_CLIP_Q)
        };
        let (mut worst_diff, mut worst_tanh) = (0.0f64, 0.0f64);
        for x in grid().filter(|x| x.abs() < SOFT_CLIP_CLAMP - 1e-3) {
            let slope = f64::from(soft_clip_slope(x));
            let x = f64::from(x);
            let step = 1e-5;
            let central = (rational(x + step) - rational(x - step)) / (2.0 * step);
            worst_diff = worst_diff.max((slope - central).abs());
            worst_tanh = worst_tanh.max((slope - (1.0 - x.tanh().powi(2))).abs());
        }
        println!(
            "soft_clip_slope: vs central difference {worst_diff:.1e}, vs tanh′ {worst_tanh:.1e}"
        );
        assert!(worst_diff < 6e-8, "{worst_diff}");
        assert!(worst_tanh < 2e-7, "{worst_tanh}");
        assert_eq!(soft_clip_slope(0.0), 1.0);
        assert!(soft_clip_slope(SOFT_CLIP_CLAMP.next_down()) < 6e-7);
        assert_eq!(soft_clip_slope(SOFT_CLIP_CLAMP), 0.0);
    }
}
