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
//!
//! Steady state: when the window holds only 1.0, the envelope is at a fixed point of its
//! release (at 1.0, or where the f32 release step rounds to no change, where a release from
//! a small reduction comes to rest) and each box holds only the value it is fed, a run of
//! required gains of exactly 1.0 leaves every output at the same value and the state as it
//! is but for the ring positions and counters. [`GainPath::process`] then fills that run's
//! gains and updates the state in O(1) plus a fill of the visited ring slots, exactly as
//! the frame-by-frame recursion would, so a limiter that is not limiting (or holds a
//! constant residue of a past reduction) costs almost nothing here.

/// Envelope values within this factor of the held gain count as "the level is still there":
/// they restart the hold instead of releasing (0.0087 dB; keeps steady tones at constant gain).
const HOLD_HYSTERESIS: f32 = 1.001;
/// Once the envelope is this close to its target it jumps onto it (so it reaches exactly 1.0).
const RELEASE_SNAP_GAIN: f32 = 1e-6;
/// Frames the frame-by-frame recursion runs before [`GainPath::process`] checks again for the
/// steady state.
const SLOW_RUN_FRAMES: usize = 512;

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
    /// Hold/release envelope of the held gain.
    pub(super) envelope: Envelope,
    /// First smoothing box, over `1 - env`.
    first_box: BoxAverage,
    /// Second smoothing box, over the first box's output.
    second_box: BoxAverage,
    /// Tests only: the frame-by-frame recursion everywhere (the reference of the shortcut).
    #[cfg(test)]
    pub(super) frames_only: bool,
}

impl GainPath {
    /// Allocates for windows up to `max_window_samples` frames.
    pub fn new(max_window_samples: usize) -> Self {
        let capacity = max_window_samples.max(1);
        let mut path = Self {
            hold: SlidingMin::new(capacity),
            envelope: Envelope::UNITY,
            first_box: BoxAverage::new(capacity),
            second_box: BoxAverage::new(capacity),
            #[cfg(test)]
            frames_only: false,
        };
        path.reset();
        path
    }

    /// Back to unity gain with empty history. Never allocates.
    pub fn reset(&mut self) {
        self.hold.reset();
        self.envelope = Envelope::UNITY;
        self.first_box.reset();
        self.second_box.reset();
    }

    /// Takes over `other`'s state (same capacity, as every path of a limiter has). Never
    /// allocates.
    pub fn copy_state_from(&mut self, other: &Self) {
        self.hold.copy_state_from(&other.hold);
        self.envelope = other.envelope;
        self.first_box.copy_state_from(&other.first_box);
        self.second_box.copy_state_from(&other.second_box);
    }

    /// Replaces each required gain in `gains` (in `(0, 1]`, one per frame) by the gain to
    /// apply to the frame `window_samples - 1` frames older, one stage at a time over the
    /// chunk: minimum hold and release (writing `1 - env`), first box, second box. Runs of
    /// 1.0 in the steady state (see the module doc) skip the recursion.
    #[inline]
    pub fn process(&mut self, coefs: &GainCoefficients, gains: &mut [f32]) {
        #[cfg(test)]
        if self.frames_only {
            self.process_frames(coefs, gains);
            return;
        }
        let mut rest = gains;
        while !rest.is_empty() {
            let mut steady = 0;
            if let Some((first_output, output)) = self.steady_outputs(coefs) {
                steady = rest.iter().position(|&g| g != 1.0).unwrap_or(rest.len());
                self.skip_steady(coefs, steady, first_output);
                rest[..steady].fill(output);
            }
            let slow = (rest.len() - steady).min(SLOW_RUN_FRAMES);
            let (now, later) = rest[steady..].split_at_mut(slow);
            self.process_frames(coefs, now);
            rest = later;
        }
    }

    /// [`Self::process`] without the steady-state shortcut: the recursion frame by frame.
    #[inline]
    fn process_frames(&mut self, coefs: &GainCoefficients, gains: &mut [f32]) {
        for g in gains.iter_mut() {
            let held = self.hold.push(*g, coefs.window_samples);
            self.envelope.release(coefs, held);
            *g = 1.0 - self.envelope.env;
        }
        let (first_len, first_inv) = (coefs.first_box_samples, coefs.first_box_inv);
        self.first_box
            .process(gains, first_len, first_inv, |mean| mean as f32);
        let (second_len, second_inv) = (coefs.second_box_samples, coefs.second_box_inv);
        self.second_box
            .process(gains, second_len, second_inv, |mean| (1.0 - mean) as f32);
    }

    /// In the steady state (see the module doc): the first box's output and the gain that
    /// every frame of a run of required gains 1.0 gets; else `None`.
    pub(super) fn steady_outputs(&self, coefs: &GainCoefficients) -> Option<(f32, f32)> {
        if !self.hold.holds_only_ones() {
            return None;
        }
        // One release step toward 1.0 (as after the hold) must leave the envelope and the
        // average where they are; the steps of the hold itself then change neither.
        let envelope = self.envelope;
        let mut probe = Envelope {
            hold_left: 0,
            ..envelope
        };
        probe.release(coefs, 1.0);
        if probe.env.to_bits() != envelope.env.to_bits()
            || probe.average.to_bits() != envelope.average.to_bits()
        {
            return None;
        }
        let first = self.first_box.steady_mean(
            1.0 - envelope.env,
            coefs.first_box_samples,
            coefs.first_box_inv,
        )?;
        let first_output = first as f32;
        let second = self.second_box.steady_mean(
            first_output,
            coefs.second_box_samples,
            coefs.second_box_inv,
        )?;
        Some((first_output, (1.0 - second) as f32))
    }

    /// Advances the steady state (see [`Self::steady_outputs`], which returned
    /// `first_output`) by `frames` frames of required gain 1.0: the state the frame-by-frame
    /// recursion leaves.
    fn skip_steady(&mut self, coefs: &GainCoefficients, frames: usize, first_output: f32) {
        if frames == 0 {
            return;
        }
        self.hold.skip_ones(frames, coefs.window_samples);
        // The hold counts down; the envelope and its average stay (`steady_outputs`).
        self.envelope.hold_left = self.envelope.hold_left.saturating_sub(frames);
        let first_value = 1.0 - self.envelope.env;
        self.first_box
            .skip_steady(first_value, frames, coefs.first_box_samples);
        self.second_box
            .skip_steady(first_output, frames, coefs.second_box_samples);
    }
}

/// Hold/release envelope of one gain path.
#[derive(Debug, Clone, Copy)]
pub(super) struct Envelope {
    /// Released envelope (linear gain).
    pub(super) env: f32,
    /// Frames left before the envelope may release.
    hold_left: usize,
    /// Running average of the envelope (auto release).
    average: f32,
}

impl Envelope {
    /// At unity gain, no hold.
    const UNITY: Self = Self {
        env: 1.0,
        hold_left: 0,
        average: 1.0,
    };

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

    /// Whether the window holds only 1.0 and every push of 1.0 until the window has passed
    /// returns 1.0: the current block so far and the rest of the previous one are all 1.0
    /// (suffix minima do not decrease along the block).
    fn holds_only_ones(&self) -> bool {
        self.prefix == 1.0 && self.suffix[self.pos + 1] == 1.0
    }

    /// Pushes `frames` values 1.0 (each returning 1.0, see [`Self::holds_only_ones`], which
    /// must hold): the state `push` leaves, by fills of the slots it would write.
    fn skip_ones(&mut self, frames: usize, window: usize) {
        let end = self.pos + frames;
        if end < window {
            self.block[self.pos..end].fill(1.0);
            self.pos = end;
            return;
        }
        // The block completes: its values so far are all 1.0, so are its suffix minima, and
        // those of every block of ones after it.
        self.block[self.pos..window].fill(1.0);
        self.suffix[..=window].fill(1.0);
        let beyond = end - window;
        self.block[..beyond.min(window)].fill(1.0);
        self.pos = beyond % window;
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

    /// If every push of `value` from now on yields the same mean: that mean (exactly what
    /// `process` computes), else `None`. So it is when the box holds only `value`: for 0.0,
    /// `len` zeros in a row; otherwise a ring of `value` only (the sum then changes by
    /// exactly 0 per push).
    fn steady_mean(&self, value: f32, len: usize, inv_len: f64) -> Option<f64> {
        if value == 0.0 {
            (self.zeros >= len).then_some(0.0)
        } else if self.ring[..len].iter().all(|&v| v == value) {
            Some((self.sum + (f64::from(value) - f64::from(value))) * inv_len)
        } else {
            None
        }
    }

    /// Pushes `frames` values `value` in the steady state ([`Self::steady_mean`] returned a
    /// mean): the state `process` leaves. The ring slots it would write already hold `value`
    /// (for 0.0: +0.0, the only zero the gain path feeds a box).
    fn skip_steady(&mut self, value: f32, frames: usize, len: usize) {
        let start = if self.pos >= len { 0 } else { self.pos };
        self.pos = (start + frames - 1) % len + 1;
        if value == 0.0 {
            self.zeros = self.zeros.saturating_add(frames);
            self.sum = 0.0;
        } else {
            self.zeros = 0;
            self.sum += f64::from(value) - f64::from(value);
        }
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

    /// Coefficients of a path with a lookahead of `box_samples` frames (as the limiter sets
    /// them, with a 64-tap estimate) and a release of `release_samples` frames.
    fn coefficients(
        box_samples: usize,
        release_samples: f32,
        auto_release: bool,
    ) -> GainCoefficients {
        let first_box_samples = box_samples.div_ceil(2);
        let second_box_samples = box_samples + 1 - first_box_samples;
        let coef = |factor: f32| one_pole_coef(release_samples * factor, 1_000.0);
        GainCoefficients {
            window_samples: box_samples + 63,
            box_samples,
            first_box_samples,
            second_box_samples,
            first_box_inv: 1.0 / first_box_samples as f64,
            second_box_inv: 1.0 / second_box_samples as f64,
            hold_samples: (release_samples / 2.0) as usize,
            release_coef: coef(1.0),
            auto_fast_coef: coef(0.25),
            auto_slow_coef: coef(2.0),
            auto_average_coef: coef(8.0),
            auto_release,
        }
    }

    /// Required gains: long stretches of 1.0 between bursts of reduction (single dips,
    /// dense runs, reductions of a few ulps to 6 dB).
    fn required_gains(seed: u64, len: usize) -> Vec<f32> {
        let noise = white_noise(seed, 1.0, len);
        let mut gains = vec![1.0f32; len];
        let mut n = 0;
        while n < len {
            let pick = (noise[n].abs() * 1e4) as usize;
            let gap = [3, 40, 700, 3_000, 40_000][pick % 5];
            n += gap;
            let burst = [1, 5, 200][pick / 5 % 3];
            for (i, g) in gains.iter_mut().skip(n).take(burst).enumerate() {
                let depth = [1e-7, 1e-4, 0.02, 0.5][(pick / 15 + i) % 4];
                *g = 1.0 - depth * noise[(n + i) % len].abs();
            }
            n += burst;
        }
        gains
    }

    #[test]
    fn steady_state_shortcut_is_the_recursion() {
        for (box_samples, release_samples, auto_release) in [
            (1, 2.0, false),
            (240, 2_400.0, false),
            (13, 30.0, true),
            (441, 300.0, true),
        ] {
            let coefs = coefficients(box_samples, release_samples, auto_release);
            let capacity = coefs.window_samples;
            let required = required_gains(box_samples as u64, 200_000);
            let mut reference = required.clone();
            let mut frames = GainPath::new(capacity);
            frames.process_frames(&coefs, &mut reference);
            assert!(reference.iter().any(|&g| g < 1.0) && reference.contains(&1.0));
            for block in [1, 7, 64, 4_096] {
                let mut path = GainPath::new(capacity);
                let mut gains = required.clone();
                // Chunk starts in the steady state: at unity, and at a stalled release.
                let (mut unity, mut stalled) = (0, 0);
                for chunk in gains.chunks_mut(block) {
                    if path.steady_outputs(&coefs).is_some() {
                        let at_unity = path.envelope.env == 1.0;
                        (unity, stalled) = (
                            unity + usize::from(at_unity),
                            stalled + usize::from(!at_unity),
                        );
                    }
                    path.process(&coefs, chunk);
                }
                // The shortcut is taken at unity and (unless the release snaps to 1.0) at a
                // stalled release.
                assert!(unity > 0 && (stalled > 0 || release_samples < 10.0));
                let same = gains
                    .iter()
                    .zip(&reference)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(
                    same,
                    "box {box_samples}, auto {auto_release}, blocks of {block}"
                );
                assert_eq!(format!("{path:?}"), format!("{frames:?}"), "state");
            }
        }
    }
}
