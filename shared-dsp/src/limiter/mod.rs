//! True-peak lookahead limiter (brick-wall): the output's true peak, read on the 16× grid of
//! the oracle meter in [`crate::true_peak`], stays at or below the ceiling.
//!
//! Signal flow, one stage at a time over each chunk of up to `max_block` frames:
//! drive gain (smoothed) → non-finite results become 0 → 16× inter-sample peak estimate with
//! the oracle meter's own interpolator ([`peak`]) → required gain `min(1, ceiling / estimate)`
//! → stereo link → per-channel gain computer ([`gain_path`]: minimum hold over the lookahead,
//! hold/release, two cascaded box averages) → multiply the delayed audio → clamp at the
//! ceiling (catches the last-ulp rounding of `x · ceiling / |x|` on sample peaks, and a ceiling
//! lowered while louder samples are already inside the lookahead).
//!
//! Why the output meets the ceiling: the estimate is the meter's own reading of the driven
//! input (same filter, all 16 phases), plus [`peak::INTERPOLATION_MARGIN_DB`] on the
//! interpolated phases; every sample an estimate looked at is multiplied by at most the gain
//! that estimate required ([`gain_path`]). What the margin covers is the gain changing inside
//! the 64-sample support of a peak (when a louder peak follows within it), which the meter
//! sees and the estimate of the unlimited input cannot.
//!
//! Latency is `lookahead_samples + TAPS - 2` frames (`TAPS` = 64, the oracle kernel's length,
//! so 62 frames on top of the lookahead), a pure function of `lookahead_ms` and the sample
//! rate. A signal whose estimated true peak stays at or below the ceiling passes with gain
//! exactly 1.0: the output is the input, delayed, bit for bit.
//!
//! The estimate also reads the BS.1770-4 meter's own interpolator (libebur128's, which the
//! `ebur128` crate, ffmpeg, distributors, the plugins' meters and `stemwise measure` all use:
//! [`crate::true_peak`]'s meter grade; 4× below 96 kHz, 2× below 192 kHz) and takes the larger
//! reading, so every meter agrees with the ceiling (`tests/limiter_meters.rs`). That costs
//! loudness only where that meter reads above the 16× grid (a few thousandths of an LU on
//! song-like programme at +12 dB drive).
//!
//! Cost: about 495 instructions per stereo frame under callgrind while limiting at full
//! stereo link (`benches/callgrind.sh limiter`, AVX code path), about four fifths of it the
//! 16-phase estimate of both channels; at full link one gain path serves both channels, at
//! partial or no link each runs its own (about 595, `limiter_half_link`). Where no reduction
//! is needed, rigorous early-outs skip the work with the same results ([`peak`] and
//! [`gain_path`]): material whose samples stay more than ~9 dB below the ceiling skips the
//! estimate; material closer to the ceiling that does not reach it mostly passes a bound at
//! about a quarter of the estimate's cost; and while the gain path is at rest (at unity, or
//! at the constant residue where a release stalls in f32) runs of frames needing no
//! reduction skip its recursion.

pub mod gain_path;
pub mod peak;

use crate::db::{db_to_gain, gain_to_db};
use crate::lanes::larger;
use crate::smoother::LinearSmoother;
use gain_path::{one_pole_coef, GainCoefficients, GainPath};
use peak::{PeakHistory, PeakKernel, TAPS};

/// Lowest ceiling, in dBTP.
pub const MIN_CEILING_DB: f32 = -6.0;
/// Highest ceiling, in dBTP.
pub const MAX_CEILING_DB: f32 = 0.0;
/// Lowest drive, in dB.
pub const MIN_DRIVE_DB: f32 = -12.0;
/// Highest drive, in dB.
pub const MAX_DRIVE_DB: f32 = 24.0;
/// Shortest lookahead, in ms.
pub const MIN_LOOKAHEAD_MS: f32 = 0.5;
/// Longest lookahead, in ms (rings are sized for it in `new`).
pub const MAX_LOOKAHEAD_MS: f32 = 10.0;
/// Fastest release time constant, in ms.
pub const MIN_RELEASE_MS: f32 = 1.0;
/// Slowest release time constant, in ms.
pub const MAX_RELEASE_MS: f32 = 2000.0;
/// Ramp time of drive changes, in ms.
pub const DRIVE_RAMP_MS: f32 = 20.0;
/// Hold after the last reduction before the release starts, as a fraction of `release_ms`.
pub const HOLD_FRACTION: f32 = 0.5;
/// Longest hold, in ms.
pub const MAX_HOLD_MS: f32 = 50.0;
/// Auto release: time constant factor (× `release_ms`) while the gain is below its average.
pub const AUTO_FAST_FACTOR: f32 = 0.25;
/// Auto release: time constant factor (× `release_ms`) at or above its average.
pub const AUTO_SLOW_FACTOR: f32 = 2.0;
/// Auto release: time constant factor (× `release_ms`) of the running average of the gain.
pub const AUTO_AVERAGE_FACTOR: f32 = 8.0;
/// Sample rate the rings are sized for at least, so `set_sample_rate` never allocates.
pub const CAPACITY_SAMPLE_RATE_HZ: f32 = 384_000.0;

/// User settings of a [`Limiter`] (set by the plugin or CLI from its parameters; values are
/// clamped to the ranges above).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimiterSettings {
    /// Output true-peak ceiling in dBTP (−6…0).
    pub ceiling_db: f32,
    /// Input gain in dB applied before limiting (−12…+24; per-sample smoothed).
    pub drive_db: f32,
    /// Lookahead in ms (0.5…10); structural: changing it resets the state and the latency.
    pub lookahead_ms: f32,
    /// Release time constant in ms (1…2000): the remaining reduction falls to 1/e after it.
    pub release_ms: f32,
    /// Program-dependent release: dips below the running average gain release 4× faster,
    /// sustained reduction 2× slower than `release_ms`.
    pub auto_release: bool,
    /// Stereo link 0…1: 0 = channels independent, 1 = both get the smaller gain.
    pub stereo_link_t: f32,
}

impl Default for LimiterSettings {
    fn default() -> Self {
        Self {
            ceiling_db: -1.0,
            drive_db: 0.0,
            lookahead_ms: 5.0,
            release_ms: 100.0,
            auto_release: false,
            stereo_link_t: 1.0,
        }
    }
}

impl LimiterSettings {
    /// The settings with every field clamped to its range (non-finite values become defaults).
    pub fn clamped(&self) -> Self {
        let d = Self::default();
        let fix =
            |v: f32, dv: f32, lo: f32, hi: f32| if v.is_finite() { v.clamp(lo, hi) } else { dv };
        Self {
            ceiling_db: fix(
                self.ceiling_db,
                d.ceiling_db,
                MIN_CEILING_DB,
                MAX_CEILING_DB,
            ),
            drive_db: fix(self.drive_db, d.drive_db, MIN_DRIVE_DB, MAX_DRIVE_DB),
            lookahead_ms: fix(
                self.lookahead_ms,
                d.lookahead_ms,
                MIN_LOOKAHEAD_MS,
                MAX_LOOKAHEAD_MS,
            ),
            release_ms: fix(
                self.release_ms,
                d.release_ms,
                MIN_RELEASE_MS,
                MAX_RELEASE_MS,
            ),
            auto_release: self.auto_release,
            stereo_link_t: fix(self.stereo_link_t, d.stereo_link_t, 0.0, 1.0),
        }
    }
}

/// Lookahead length in frames for `lookahead_ms` at `sample_rate_hz` (at least 1).
pub fn lookahead_samples(lookahead_ms: f32, sample_rate_hz: f32) -> usize {
    ((lookahead_ms as f64 * sample_rate_hz as f64 / 1000.0).round() as usize).max(1)
}

/// True-peak lookahead limiter for `num_channels` channels.
#[derive(Debug, Clone)]
pub struct Limiter {
    /// Current (clamped) settings; set by `set_settings`.
    settings: LimiterSettings,
    /// Sample rate in Hz; set by `new` / `set_sample_rate`.
    sample_rate_hz: f32,
    /// Longest lookahead window the rings hold, in frames (fixed by `new`).
    capacity_samples: usize,
    /// Gain computer constants derived from settings and rate.
    coefs: GainCoefficients,
    /// Linear ceiling.
    ceiling_gain: f32,
    /// Inter-sample peak kernel (fixed).
    kernel: PeakKernel,
    /// Per-channel interpolator histories (room for `max_block` frames).
    histories: Vec<PeakHistory>,
    /// Per-channel gain computers.
    paths: Vec<GainPath>,
    /// Delays the driven audio by the latency.
    delay: BlockDelay,
    /// Drive gain ramp (linear).
    drive: LinearSmoother,
    /// Scratch: drive gain per frame of the current chunk (`max_block` long).
    drive_gains: Vec<f32>,
    /// Scratch: per channel and frame of the current chunk, the required gain, then (in place)
    /// the linked required gain, then the gain applied.
    required: Vec<Vec<f32>>,
    /// Scratch: stereo-linked gain per frame of the current chunk (`max_block` long).
    linked: Vec<f32>,
    /// Smallest gain applied during the last `process_block` (meter; 1.0 = no reduction).
    block_min_gain: f32,
    /// Frames processed in a row fully linked (`stereo_link_t` = 1), saturating. From
    /// `shared_path_frames()` on, every channel's gain path has only seen the same linked
    /// required gains, so `paths[0]` alone computes the gain of every channel (the others are
    /// left untouched and get a copy of its state when the link drops below 1).
    linked_frames: usize,
}

impl Limiter {
    /// Allocates every buffer (rings for [`MAX_LOOKAHEAD_MS`] at up to
    /// [`CAPACITY_SAMPLE_RATE_HZ`], scratch for `max_block` frames) and applies default settings.
    pub fn new(sample_rate_hz: f32, max_block: usize, num_channels: usize) -> Self {
        let sample_rate_hz = crate::rate::clamp_hz_f32(sample_rate_hz);
        let rate = sample_rate_hz.max(CAPACITY_SAMPLE_RATE_HZ);
        let capacity_samples = lookahead_samples(MAX_LOOKAHEAD_MS, rate) + TAPS;
        let max_block = max_block.max(1);
        let settings = LimiterSettings::default();
        let mut limiter = Self {
            settings,
            sample_rate_hz,
            capacity_samples,
            coefs: GainCoefficients {
                window_samples: 1,
                box_samples: 1,
                first_box_samples: 1,
                second_box_samples: 1,
                first_box_inv: 1.0,
                second_box_inv: 1.0,
                hold_samples: 0,
                release_coef: 1.0,
                auto_fast_coef: 1.0,
                auto_slow_coef: 1.0,
                auto_average_coef: 1.0,
                auto_release: false,
            },
            ceiling_gain: 1.0,
            kernel: PeakKernel::new(sample_rate_hz),
            histories: vec![PeakHistory::new(max_block); num_channels],
            paths: vec![GainPath::new(capacity_samples); num_channels],
            delay: BlockDelay::new(num_channels, capacity_samples, max_block),
            drive: LinearSmoother::new(DRIVE_RAMP_MS, sample_rate_hz, 1.0),
            drive_gains: vec![1.0; max_block],
            required: vec![vec![1.0; max_block]; num_channels],
            linked: vec![1.0; max_block],
            block_min_gain: 1.0,
            linked_frames: 0,
        };
        limiter.set_sample_rate(sample_rate_hz);
        limiter
    }

    /// Changes the sample rate: recomputes every constant and resets the state. Never allocates.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        let sample_rate_hz = crate::rate::clamp_hz_f32(sample_rate_hz);
        self.sample_rate_hz = sample_rate_hz;
        self.drive.set_sample_rate(sample_rate_hz);
        self.kernel.set_sample_rate(sample_rate_hz);
        self.coefs = self.coefficients(&self.settings);
        self.apply_structure();
    }

    /// New settings. A lookahead change is structural (state reset, new latency); the others
    /// apply immediately (drive ramps over [`DRIVE_RAMP_MS`]; a lowered ceiling is enforced at
    /// once by the output clamp on the samples already inside the lookahead).
    pub fn set_settings(&mut self, settings: LimiterSettings) {
        let settings = settings.clamped();
        let coefs = self.coefficients(&settings);
        let structural = coefs.box_samples != self.coefs.box_samples;
        self.settings = settings;
        self.coefs = coefs;
        self.ceiling_gain = db_to_gain(settings.ceiling_db);
        self.drive.set_target(db_to_gain(settings.drive_db));
        if structural {
            self.apply_structure();
        }
    }

    /// The current (clamped) settings.
    pub fn settings(&self) -> LimiterSettings {
        self.settings
    }

    /// Clears every state (history, envelopes, delay) and jumps the drive to its target.
    /// Never allocates.
    pub fn reset(&mut self) {
        for h in &mut self.histories {
            h.reset();
        }
        for p in &mut self.paths {
            p.reset();
        }
        self.delay.reset();
        self.drive.reset(db_to_gain(self.settings.drive_db));
        self.block_min_gain = 1.0;
        // Every path is in the same (reset) state: one path serves all from the start.
        self.linked_frames = usize::MAX;
    }

    /// Latency in frames: `lookahead_samples + TAPS - 2`.
    pub fn latency_samples(&self) -> usize {
        self.coefs.box_samples + TAPS - 2
    }

    /// Gain reduction in dB (≥ 0) at the deepest point of the last block, for meters.
    pub fn gain_reduction_db(&self) -> f32 {
        -gain_to_db(self.block_min_gain)
    }

    /// Limits `channels` in place (at most `num_channels` slices of equal length; any length).
    /// Never allocates.
    pub fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        let num_channels = channels.len().min(self.paths.len());
        let num_frames = channels.first().map_or(0, |c| c.len());
        let max_block = self.drive_gains.len();
        self.block_min_gain = 1.0;
        let mut start = 0;
        while start < num_frames {
            let end = (start + max_block).min(num_frames);
            self.process_chunk(&mut channels[..num_channels], start, end);
            start = end;
        }
    }

    /// Processes frames `start..end` (at most `max_block` of them), one stage at a time over
    /// the whole chunk.
    fn process_chunk(&mut self, channels: &mut [&mut [f32]], start: usize, end: usize) {
        let len = end - start;
        if self.drive.is_settled() {
            // No ramp in progress: one value for the whole chunk.
            self.drive_gains[..len].fill(self.drive.next_value());
        } else {
            for g in &mut self.drive_gains[..len] {
                *g = self.drive.next_value();
            }
        }
        let ceiling = self.ceiling_gain;
        let num_channels = channels.len();
        for ((samples, history), required) in channels
            .iter_mut()
            .zip(&mut self.histories)
            .zip(&mut self.required)
        {
            let samples = &mut samples[start..end];
            for (s, &drive) in samples.iter_mut().zip(&self.drive_gains[..len]) {
                let x = *s * drive;
                *s = if x.is_finite() { x } else { 0.0 };
            }
            history.push_block(&self.kernel, samples, ceiling, &mut required[..len]);
        }
        let link_t = self.settings.stereo_link_t;
        if num_channels > 1 && link_t >= 1.0 {
            self.process_fully_linked(channels, start, end);
            return;
        }
        if self.linked_frames >= self.shared_path_frames() {
            // Leaving full link: the idle paths resume from the shared path's state (it was
            // fed the smallest required gain of every channel, so it holds every channel's).
            let (shared, others) = self.paths.split_at_mut(1);
            for path in others {
                path.copy_state_from(&shared[0]);
            }
        }
        self.linked_frames = 0;
        if num_channels > 1 && link_t > 0.0 {
            self.linked_required(num_channels, len);
            let linked = &mut self.linked[..len];
            for l in linked.iter_mut() {
                *l = 1.0 - link_t * (1.0 - *l);
            }
            for required in &mut self.required[..num_channels] {
                for (r, &l) in required[..len].iter_mut().zip(&*linked) {
                    *r = smaller(*r, l);
                }
            }
        }
        let mut min_gain = self.block_min_gain;
        for (ch, samples) in channels.iter_mut().enumerate() {
            let gains = &mut self.required[ch][..len];
            self.paths[ch].process(&self.coefs, gains);
            min_gain = gains.iter().fold(min_gain, |m, &g| smaller(m, g));
            self.delay
                .process(ch, &mut samples[start..end], gains, ceiling);
        }
        self.block_min_gain = min_gain;
    }

    /// Writes the smallest required gain of the first `num_channels` channels per frame of
    /// the chunk into `linked[..len]`.
    fn linked_required(&mut self, num_channels: usize, len: usize) {
        let linked = &mut self.linked[..len];
        linked.fill(1.0);
        for required in &self.required[..num_channels] {
            for (l, &r) in linked.iter_mut().zip(&required[..len]) {
                *l = smaller(*l, r);
            }
        }
    }

    /// Frames of full link after which every gain path has seen only the linked required
    /// gains: the minimum window plus the smoothing.
    fn shared_path_frames(&self) -> usize {
        self.coefs.window_samples + self.coefs.box_samples
    }

    /// The rest of [`Self::process_chunk`] at full link (`required` holds each channel's
    /// required gain): every channel gets the gain of the smallest required gain. Once every
    /// path has seen only that for [`Self::shared_path_frames`] frames, one path computes it;
    /// before that, every path runs and the smallest of their gains applies (each path still
    /// holds its own channel's earlier peaks).
    fn process_fully_linked(&mut self, channels: &mut [&mut [f32]], start: usize, end: usize) {
        let len = end - start;
        let num_channels = channels.len();
        self.linked_required(num_channels, len);
        let settled_after = self
            .shared_path_frames()
            .saturating_sub(self.linked_frames)
            .min(len);
        if settled_after > 0 {
            let (linked, required) = (&self.linked[..settled_after], &mut self.required);
            let paths = self.paths.iter_mut().zip(required.iter_mut());
            for (path, gains) in paths.take(num_channels) {
                let gains = &mut gains[..settled_after];
                gains.copy_from_slice(linked);
                path.process(&self.coefs, gains);
            }
            let (first, others) = self.required.split_at_mut(1);
            for gains in &others[..num_channels - 1] {
                for (g, &o) in first[0][..settled_after].iter_mut().zip(gains) {
                    *g = smaller(*g, o);
                }
            }
            self.linked[..settled_after].copy_from_slice(&first[0][..settled_after]);
        }
        self.paths[0].process(&self.coefs, &mut self.linked[settled_after..len]);
        self.linked_frames = self.linked_frames.saturating_add(len);
        let gains = &self.linked[..len];
        let min_gain = gains
            .iter()
            .fold(self.block_min_gain, |m, &g| smaller(m, g));
        for (ch, samples) in channels.iter_mut().enumerate() {
            self.delay
                .process(ch, &mut samples[start..end], gains, self.ceiling_gain);
        }
        self.block_min_gain = min_gain;
    }

    /// Gain computer constants for `settings` at the current rate.
    fn coefficients(&self, settings: &LimiterSettings) -> GainCoefficients {
        let fs = self.sample_rate_hz;
        let box_samples =
            lookahead_samples(settings.lookahead_ms, fs).min(self.capacity_samples - TAPS);
        let hold_ms = (settings.release_ms * HOLD_FRACTION).min(MAX_HOLD_MS);
        // Two boxes whose cascade spans the lookahead: an S-shaped attack (no kink where the
        // gain starts to fall, so less spectral spread of the gain change).
        let first_box_samples = box_samples.div_ceil(2);
        let second_box_samples = box_samples + 1 - first_box_samples;
        GainCoefficients {
            window_samples: box_samples + TAPS - 1,
            box_samples,
            first_box_samples,
            second_box_samples,
            first_box_inv: 1.0 / first_box_samples as f64,
            second_box_inv: 1.0 / second_box_samples as f64,
            hold_samples: (hold_ms as f64 * fs as f64 / 1000.0).round() as usize,
            release_coef: one_pole_coef(settings.release_ms, fs),
            auto_fast_coef: one_pole_coef(settings.release_ms * AUTO_FAST_FACTOR, fs),
            auto_slow_coef: one_pole_coef(settings.release_ms * AUTO_SLOW_FACTOR, fs),
            auto_average_coef: one_pole_coef(settings.release_ms * AUTO_AVERAGE_FACTOR, fs),
            auto_release: settings.auto_release,
        }
    }

    /// Applies the current lookahead: delay length, and a full reset.
    fn apply_structure(&mut self) {
        self.delay.delay_samples = self.latency_samples().min(self.capacity_samples);
        self.ceiling_gain = db_to_gain(self.settings.ceiling_db);
        self.reset();
    }
}

/// The smaller of `a` and `b` for values that are never NaN (one `minps`).
#[inline(always)]
fn smaller(a: f32, b: f32) -> f32 {
    if a < b {
        a
    } else {
        b
    }
}

/// Delays the driven audio by the latency and applies the gain, a chunk at a time per channel
/// (the shared [`crate::delay::DelayLine`] works frame by frame across channels; here the
/// gains of a whole chunk are known before the audio is touched, so each channel is one
/// vectorised pass plus one copy of the delayed frames).
#[derive(Debug, Clone)]
struct BlockDelay {
    /// Per channel: the `delay_samples` frames still owed (oldest first), then room for one
    /// chunk. Allocated by `new`.
    buffers: Vec<Vec<f32>>,
    /// Delay in frames (at most the capacity given to `new`); set by the limiter.
    delay_samples: usize,
}

impl BlockDelay {
    /// Room for delays up to `max_delay_samples` and chunks up to `max_block` frames.
    fn new(num_channels: usize, max_delay_samples: usize, max_block: usize) -> Self {
        Self {
            buffers: vec![vec![0.0; max_delay_samples + max_block]; num_channels],
            delay_samples: 0,
        }
    }

    /// Clears the owed frames. Never allocates.
    fn reset(&mut self) {
        for b in &mut self.buffers {
            b.fill(0.0);
        }
    }

    /// Replaces `samples` of channel `ch` by the samples `delay_samples` frames older times
    /// `gains`, clamped to `±ceiling_gain`.
    #[inline]
    fn process(&mut self, ch: usize, samples: &mut [f32], gains: &[f32], ceiling_gain: f32) {
        let delay = self.delay_samples;
        let len = samples.len();
        let buffer = &mut self.buffers[ch];
        buffer[delay..delay + len].copy_from_slice(samples);
        for ((y, &x), &g) in samples.iter_mut().zip(&buffer[..len]).zip(gains) {
            *y = smaller(ceiling_gain, larger(-ceiling_gain, x * g));
        }
        buffer.copy_within(len..len + delay, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::white_noise;

    /// Programme that goes in and out of limiting: quarter-second stretches of tones plus a
    /// little noise at levels from far below the ceiling (both early-outs), just below it
    /// (the bound), above it (limiting), and long enough below it for the gain path to come
    /// to rest (at unity or at a stalled release).
    fn programme(seed: u64, num_frames: usize) -> Vec<f32> {
        let noise = white_noise(seed, 1.0, num_frames);
        let levels_db = [
            -30.0f32, -1.5, 4.0, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -8.0, 9.0, -1.3, -1.3,
        ];
        let stretch = 12_000;
        (0..num_frames)
            .map(|n| {
                let gain = db_to_gain(levels_db[n / stretch % levels_db.len()]);
                let t = n as f32;
                let tones = 0.5 * (t * 0.013 + seed as f32).sin()
                    + 0.3 * (t * 0.21).sin()
                    + 0.15 * (t * 2.9).sin();
                gain * (tones + 0.05 * noise[n])
            })
            .collect()
    }

    /// What a run went through, in blocks: limiting, and the first gain path at rest at
    /// unity and at a stalled release at the start of a block.
    #[derive(Debug, Default)]
    struct Visited {
        limiting: usize,
        unity: usize,
        stalled: usize,
    }

    /// `channels` through `limiter` in blocks of `block` frames.
    fn run(limiter: &mut Limiter, channels: &[Vec<f32>], block: usize) -> (Vec<Vec<f32>>, Visited) {
        let mut out = channels.to_vec();
        let mut visited = Visited::default();
        let num_frames = out[0].len();
        for start in (0..num_frames).step_by(block) {
            if limiter.paths[0].steady_outputs(&limiter.coefs).is_some() {
                match limiter.paths[0].envelope.env {
                    1.0 => visited.unity += 1,
                    _ => visited.stalled += 1,
                }
            }
            let end = (start + block).min(num_frames);
            let mut slices: Vec<&mut [f32]> = out.iter_mut().map(|c| &mut c[start..end]).collect();
            limiter.process_block(&mut slices);
            visited.limiting += usize::from(limiter.gain_reduction_db() > 0.0);
        }
        (out, visited)
    }

    #[test]
    fn shortcuts_are_bit_identical_to_the_full_computation() {
        let settings = [
            LimiterSettings::default(),
            LimiterSettings {
                ceiling_db: -0.3,
                lookahead_ms: 1.0,
                release_ms: 20.0,
                auto_release: true,
                ..LimiterSettings::default()
            },
        ];
        let left = programme(1, 160_000);
        let right = programme(2, 160_000);
        for (s, base) in settings.iter().enumerate() {
            for num_channels in [1, 2] {
                let input = [left.clone(), right.clone()][..num_channels].to_vec();
                for link in [0.0, 0.5, 1.0] {
                    let settings = LimiterSettings {
                        stereo_link_t: link,
                        ..*base
                    };
                    let mut reference = Limiter::new(48_000.0, 4_096, num_channels);
                    reference.set_settings(settings);
                    reference.kernel.estimate_only = true;
                    for path in &mut reference.paths {
                        path.frames_only = true;
                    }
                    let (expected, _) = run(&mut reference, &input, 4_096);
                    for block in [1, 7, 64, 4_096] {
                        let mut limiter = Limiter::new(48_000.0, 4_096, num_channels);
                        limiter.set_settings(settings);
                        let (got, visited) = run(&mut limiter, &input, block);
                        let Visited {
                            limiting,
                            unity,
                            stalled,
                        } = visited;
                        assert!(limiting > 0 && unity > 0 && stalled > 0, "{visited:?}");
                        let same = got.iter().flatten().zip(expected.iter().flatten());
                        assert!(
                            same.clone().all(|(a, b)| a.to_bits() == b.to_bits()),
                            "settings {s}, {num_channels} channels, link {link}, blocks of {block}"
                        );
                    }
                }
            }
        }
    }
}
