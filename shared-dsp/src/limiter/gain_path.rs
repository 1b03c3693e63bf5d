//! One channel's gain computer: lookahead minimum-hold, hold/release envelope, two cascaded
//! box averages.
//!
//! The design follows x42's dpl (<https://github.com/x42/dpl.lv2>) and Signalsmith's
//! "brick-wall limiter" note (<https://signalsmith-audio.co.uk/writing/2022/limiter/>):
//! the gain applied to a sample is a weighted mean of `box_samples` envelope values (two boxes
//! of `first_box_samples` and `second_box_samples` frames in cascade, spanning
//! `box_samples = first + second - 1`), each of which is at most the minimum of the required
//! gains over the last `window_samples` frames. With `window_samples = box_samples + TAPS - 1`
//! and the audio delayed by `box_samples + TAPS - 2` frames, every sample that any peak
//! estimate looked at is multiplied by at most the gain that estimate required, so the gain is
//! fully down (an S-shaped ramp of `box_samples` frames) before the peak and the whole
//! interpolation support of the peak. The S shape (instead of the straight ramp of one box)
//! has no kink where the gain starts to fall: a gain change spreads less spectrum, which is
//! what lets a later, louder peak's ramp raise an earlier peak's true peak (see
//! [`super::peak::INTERPOLATION_MARGIN_DB`]).
//!
//! Legend: `r` required gain of one frame (1 = no limiting); `held` the minimum of `r` over the
//! window; `env` the released envelope (`env ≤ held` always); the output gain is
//! `1 - mean(mean(1 - env))` over the two boxes, accumulated in `f64` as deviations from unity
//! so that a path that is not limiting returns exactly 1.0.
//!
//! The minimum hold is a van Herk / Gil–Werman sliding minimum (`SlidingMin`); each stage runs
//! over a whole chunk before the next.

/// Envelope values within this factor of the held gain count as "the level is still there":
/// they restart the hold instead of releasing (0.0087 dB; keeps steady tones at constant gain).
const HOLD_HYSTERESIS: f32 = 1.001;
/// Once the envelope is this close to its target it jumps onto it (so it reaches exactly 1.0).
const RELEASE_SNAP_GAIN: f32 = 1e-6;

/// Sample-rate dependent constants of the gain path (computed by the limiter from its
/// settings; shared by all channels).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GainCoefficients {
    /// Length of the required-gain minimum window, in frames.
    pub window_samples: usize,
    /// Length of the whole smoothing (the lookahead), in frames:
    /// `first_box_samples + second_box_samples - 1`.
    pub box_samples: usize,
    /// Length of the first of the two cascaded boxes, in frames.
    pub first_box_samples: usize,
    /// Length of the second of the two cascaded boxes, in frames.
    pub second_box_samples: usize,
    /// `1 / first_box_samples`.
    pub first_box_inv: f64,
    /// `1 / second_box_samples`.
    pub second_box_inv: f64,
    /// Frames the envelope holds after the last reduction before releasing.
    pub hold_samples: usize,
    /// One-pole release coefficient per frame (manual release).
    pub release_coef: f32,
    /// Release coefficient while the envelope is below its running average (auto release).
    pub auto_fast_coef: f32,
    /// Release coefficient while the envelope is at or above its running average (auto).
    pub auto_slow_coef: f32,
    /// Coefficient of the running average of the envelope (auto release).
    pub auto_average_coef: f32,
    /// Program-dependent release on/off.
    pub auto_release: bool,
}

/// One-pole coefficient per frame for time constant `time_ms` (reaches `1 - 1/e` of a step
/// after `time_ms`): `1 - exp(-1 / (τ·fs))`.
pub fn one_pole_coef(time_ms: f32, sample_rate_hz: f32) -> f32 {
    let samples = (time_ms as f64 * sample_rate_hz as f64 / 1000.0).max(1e-9);
    (1.0 - (-1.0 / samples).exp()) as f32
}

/// Gain computer state of one channel. Rings are allocated for the largest window in `new`.
#[derive(Debug, Clone)]
pub struct GainPath {
    /// Minimum of the required gains over the window.
    hold: SlidingMin,
    /// Released envelope (linear gain).
    env: f32,
    /// Frames left before the envelope may release.
    hold_left: usize,
    /// Running average of the envelope (auto release).
    average: f32,
    /// First smoothing box, over `1 - env`.
    first_box: BoxAverage,
    /// Second smoothing box, over the first box's output.
    second_box: BoxAverage,
}

impl GainPath {
    /// Allocates for windows up to `max_window_samples` frames.
    pub fn new(max_window_samples: usize) -> Self {
        let capacity = max_window_samples.max(1);
        let mut path = Self {
            hold: SlidingMin::new(capacity),
            env: 1.0,
            hold_left: 0,
            average: 1.0,
            first_box: BoxAverage::new(capacity),
            second_box: BoxAverage::new(capacity),
        };
        path.reset();
        path
    }

    /// Back to unity gain with empty history. Never allocates.
    pub fn reset(&mut self) {
        self.hold.reset();
        self.env = 1.0;
        self.hold_left = 0;
        self.average = 1.0;
        self.first_box.reset();
        self.second_box.reset();
    }

    /// Takes over `other`'s state (same capacity, as every path of a limiter has). Never
    /// allocates.
    pub fn copy_state_from(&mut self, other: &Self) {
        self.hold.copy_state_from(&other.hold);
        self.env = other.env;
        self.hold_left = other.hold_left;
        self.average = other.average;
        self.first_box.copy_state_from(&other.first_box);
        self.second_box.copy_state_from(&other.second_box);
    }

    /// Replaces each required gain in `gains` (in `(0, 1]`, one per frame) by the gain to
    /// apply to the frame `window_samples - 1` frames older, one stage at a time over the
    /// chunk: minimum hold and release (writing `1 - env`), first box, second box.
    #[inline]
    pub fn process(&mut self, coefs: &GainCoefficients, gains: &mut [f32]) {
        for g in gains.iter_mut() {
            let held = self.hold.push(*g, coefs.window_samples);
            self.release(coefs, held);
            *g = 1.0 - self.env;
        }
        let (first_len, first_inv) = (coefs.first_box_samples, coefs.first_box_inv);
        self.first_box
            .process(gains, first_len, first_inv, |mean| mean as f32);
        let (second_len, second_inv) = (coefs.second_box_samples, coefs.second_box_inv);
        self.second_box
            .process(gains, second_len, second_inv, |mean| (1.0 - mean) as f32);
    }

    /// Instant attack, hold, then one-pole release toward `held` (never above it).
    #[inline]
    fn release(&mut self, coefs: &GainCoefficients, held: f32) {
        if held < self.env {
            self.env = held;
            self.hold_left = coefs.hold_samples;
        } else if held < 1.0 && held <= self.env * HOLD_HYSTERESIS {
            self.hold_left = coefs.hold_samples;
        } else if self.hold_left > 0 {
            self.hold_left -= 1;
        } else if held > self.env {
            let coef = if !coefs.auto_release {
                coefs.release_coef
            } else if self.env < self.average {
                coefs.auto_fast_coef
            } else {
                coefs.auto_slow_coef
            };
            self.env += coef * (held - self.env);
            if held - self.env <= RELEASE_SNAP_GAIN {
                self.env = held;
            }
        }
        if coefs.auto_release {
            self.average += coefs.auto_average_coef * (self.env - self.average);
        }
    }
}

/// Minimum of the last `window` values, van Herk / Gil–Werman: the stream is cut into blocks
/// of `window` frames; the window ending in the current block is the current block's prefix
/// plus a suffix of the previous block, whose suffix minima are computed once when it
/// completes. About three operations per frame and no data-dependent branch, where a
/// monotonic deque pops a data-dependent number of entries
/// (<https://doi.org/10.1016/0167-8655(92)90069-C>, Gil & Werman 1993; the same minima
/// exactly, a minimum has no rounding). Frames before the first count as 1.0 (no reduction).
#[derive(Debug, Clone)]
struct SlidingMin {
    /// The current block's values so far (allocated by `new`).
    block: Vec<f32>,
    /// `suffix[j]`: minimum of the previous block's values `j..window`; `suffix[window]` and
    /// everything beyond it are 1.0 (allocated by `new`, one longer than `block`).
    suffix: Vec<f32>,
    /// Frames of the current block so far.
    pos: usize,
    /// Minimum of the current block so far (1.0 when empty).
    prefix: f32,
}

impl SlidingMin {
    /// Room for windows up to `capacity` frames.
    fn new(capacity: usize) -> Self {
        Self {
            block: vec![1.0; capacity],
            suffix: vec![1.0; capacity + 1],
            pos: 0,
            prefix: 1.0,
        }
    }

    /// No history: every earlier frame counts as 1.0. Never allocates.
    fn reset(&mut self) {
        self.suffix.fill(1.0);
        self.pos = 0;
        self.prefix = 1.0;
    }

    /// Takes over `other`'s state (same capacity). Never allocates.
    fn copy_state_from(&mut self, other: &Self) {
        self.block.copy_from_slice(&other.block);
        self.suffix.copy_from_slice(&other.suffix);
        self.pos = other.pos;
        self.prefix = other.prefix;
    }

    /// Pushes `value` and returns the minimum of the last `window` values (`window` at most
    /// the capacity and constant between resets).
    #[inline]
    fn push(&mut self, value: f32, window: usize) -> f32 {
        self.prefix = smaller(self.prefix, value);
        self.block[self.pos] = value;
        self.pos += 1;
        let held = smaller(self.prefix, self.suffix[self.pos]);
        if self.pos >= window {
            // The block is complete: its suffix minima serve the next `window` frames.
            let mut min = 1.0f32;
            for (s, &v) in self.suffix[..window].iter_mut().zip(&self.block).rev() {
                min = smaller(min, v);
                *s = min;
            }
            self.suffix[window] = 1.0;
            self.pos = 0;
            self.prefix = 1.0;
        }
        held
    }
}

/// The smaller of `a` and `b` for values that are never NaN (one `minss`).
#[inline(always)]
fn smaller(a: f32, b: f32) -> f32 {
    if a < b {
        a
    } else {
        b
    }
}

/// Running mean of the last `len` values (deviations from unity gain). Returns exactly 0.0
/// once the last `len` values are all 0.0, so a path that is not limiting yields gain 1.0
/// bit-exactly.
#[derive(Debug, Clone)]
struct BoxAverage {
    /// The last values (ring, allocated by `new`).
    ring: Vec<f32>,
    /// Next write index in `ring`.
    pos: usize,
    /// Sum of `ring[..len]`.
    sum: f64,
    /// How many zeros were pushed last in a row (saturating; `>= len`: the box holds only
    /// zeros). Starts at `usize::MAX` (empty box).
    zeros: usize,
}

impl BoxAverage {
    /// An empty box for lengths up to `capacity`.
    fn new(capacity: usize) -> Self {
        Self {
            ring: vec![0.0; capacity.max(1)],
            pos: 0,
            sum: 0.0,
            zeros: usize::MAX,
        }
    }

    /// Empties the box. Never allocates.
    fn reset(&mut self) {
        self.ring.fill(0.0);
        self.pos = 0;
        self.sum = 0.0;
        self.zeros = usize::MAX;
    }

    /// Takes over `other`'s state (same capacity). Never allocates.
    fn copy_state_from(&mut self, other: &Self) {
        self.ring.copy_from_slice(&other.ring);
        self.pos = other.pos;
        self.sum = other.sum;
        self.zeros = other.zeros;
    }

    /// Replaces each value of `values` (pushed in order) by `output` of the mean of the last
    /// `len` values (`inv_len = 1 / len`), ring wrap checked once per run of frames rather
    /// than per frame.
    #[inline]
    fn process(
        &mut self,
        values: &mut [f32],
        len: usize,
        inv_len: f64,
        output: impl Fn(f64) -> f32,
    ) {
        let mut rest = values;
        while !rest.is_empty() {
            if self.pos >= len {
                self.pos = 0;
            }
            let run = (len - self.pos).min(rest.len());
            let (now, later) = rest.split_at_mut(run);
            for (v, slot) in now.iter_mut().zip(&mut self.ring[self.pos..self.pos + run]) {
                let value = *v;
                let old = std::mem::replace(slot, value);
                self.zeros = if value == 0.0 {
                    self.zeros.saturating_add(1)
                } else {
                    0
                };
                let mean = if self.zeros >= len {
                    self.sum = 0.0;
                    0.0
                } else {
                    self.sum += f64::from(value) - f64::from(old);
                    self.sum * inv_len
                };
                *v = output(mean);
            }
            self.pos += run;
            rest = later;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::white_noise;

    #[test]
    fn sliding_min_is_the_window_minimum() {
        let values: Vec<f32> = white_noise(11, 1.0, 3_000)
            .iter()
            .map(|x| 0.5 + 0.5 * x.abs().min(1.0))
            .collect();
        for window in [1, 2, 7, 64, 303, 1_000] {
            let mut min = SlidingMin::new(1_024);
            for (n, &v) in values.iter().enumerate() {
                let want = values[n.saturating_sub(window - 1)..=n]
                    .iter()
                    .fold(1.0f32, |m, &x| m.min(x));
                assert_eq!(min.push(v, window), want, "window {window}, frame {n}");
            }
        }
    }
}
