//! One channel's gain computer: lookahead minimum-hold, hold/release envelope, box smoothing.
//!
//! The design follows x42's dpl (<https://github.com/x42/dpl.lv2>) and Signalsmith's
//! "brick-wall limiter" note (<https://signalsmith-audio.co.uk/writing/2022/limiter/>):
//! the gain applied to a sample is the mean of `box_samples` envelope values, each of which is at
//! most the minimum of the required gains over the last `window_samples` frames. With
//! `window_samples = box_samples + TAPS - 1` and the audio delayed by
//! `box_samples + TAPS - 2` frames, every sample that any peak estimate looked at is multiplied
//! by at most the gain that estimate required, so the gain is fully down (a straight ramp of
//! `box_samples` frames) before the peak and the whole interpolation support of the peak.
//!
//! Legend: `r` required gain of one frame (1 = no limiting); `held` the minimum of `r` over the
//! window; `env` the released envelope (`env ≤ held` always); the output gain is
//! `1 - mean(1 - env)` over the box, accumulated in `f64` as deviations from unity so that a
//! path that is not limiting returns exactly 1.0.

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
    /// Length of the smoothing box (the lookahead), in frames.
    pub box_samples: usize,
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
    /// Monotonic deque of the minimum hold: frame index of each entry (ring).
    hold_frames: Vec<usize>,
    /// Monotonic deque of the minimum hold: required gain of each entry (ring).
    hold_gains: Vec<f32>,
    /// Ring index of the deque's front (the window minimum).
    hold_head: usize,
    /// Number of deque entries.
    hold_len: usize,
    /// Frames processed since the last reset.
    frame: usize,
    /// Released envelope (linear gain).
    env: f32,
    /// Frames left before the envelope may release.
    hold_left: usize,
    /// Running average of the envelope (auto release).
    average: f32,
    /// Last `box_samples` values of `1 - env`.
    box_ring: Vec<f32>,
    /// Next write index in `box_ring`.
    box_pos: usize,
    /// Sum of `box_ring[..box_samples]`.
    box_sum: f64,
    /// How many entries of `box_ring[..box_samples]` are non-zero.
    box_nonzero: usize,
}

impl GainPath {
    /// Allocates for windows up to `max_window_samples` frames.
    pub fn new(max_window_samples: usize) -> Self {
        let capacity = max_window_samples.max(1);
        let mut path = Self {
            hold_frames: vec![0; capacity],
            hold_gains: vec![1.0; capacity],
            hold_head: 0,
            hold_len: 0,
            frame: 0,
            env: 1.0,
            hold_left: 0,
            average: 1.0,
            box_ring: vec![0.0; capacity],
            box_pos: 0,
            box_sum: 0.0,
            box_nonzero: 0,
        };
        path.reset();
        path
    }

    /// Back to unity gain with empty history. Never allocates.
    pub fn reset(&mut self) {
        self.hold_head = 0;
        self.hold_len = 0;
        self.frame = 0;
        self.env = 1.0;
        self.hold_left = 0;
        self.average = 1.0;
        self.box_ring.fill(0.0);
        self.box_pos = 0;
        self.box_sum = 0.0;
        self.box_nonzero = 0;
    }

    /// Feeds the required gain of one frame (in `(0, 1]`) and returns the gain to apply to the
    /// frame `window_samples - 1` frames older.
    #[inline]
    pub fn tick(&mut self, coefs: &GainCoefficients, required: f32) -> f32 {
        let held = self.hold_min(coefs.window_samples, required);
        self.release(coefs, held);
        self.smooth(coefs.box_samples)
    }

    /// Pushes `required` into the sliding-minimum deque and returns the window minimum.
    #[inline]
    fn hold_min(&mut self, window_samples: usize, required: f32) -> f32 {
        let cap = self.hold_gains.len();
        while self.hold_len > 0 {
            let back = wrap(self.hold_head + self.hold_len - 1, cap);
            if self.hold_gains[back] < required {
                break;
            }
            self.hold_len -= 1;
        }
        let slot = wrap(self.hold_head + self.hold_len, cap);
        self.hold_frames[slot] = self.frame;
        self.hold_gains[slot] = required;
        self.hold_len += 1;
        if self.hold_frames[self.hold_head] + window_samples <= self.frame {
            self.hold_head = wrap(self.hold_head + 1, cap);
            self.hold_len -= 1;
        }
        self.frame += 1;
        self.hold_gains[self.hold_head]
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

    /// Box average of the envelope over `box_samples` frames.
    #[inline]
    fn smooth(&mut self, box_samples: usize) -> f32 {
        let deviation = 1.0 - self.env;
        let old = self.box_ring[self.box_pos];
        self.box_ring[self.box_pos] = deviation;
        self.box_pos += 1;
        if self.box_pos >= box_samples {
            self.box_pos = 0;
        }
        self.box_nonzero =
            self.box_nonzero + usize::from(deviation != 0.0) - usize::from(old != 0.0);
        if self.box_nonzero == 0 {
            self.box_sum = 0.0;
            return 1.0;
        }
        self.box_sum += deviation as f64 - old as f64;
        (1.0 - self.box_sum / box_samples as f64) as f32
    }
}

/// `index` modulo `len` for `index < 2·len`.
#[inline]
fn wrap(index: usize, len: usize) -> usize {
    if index >= len {
        index - len
    } else {
        index
    }
}
