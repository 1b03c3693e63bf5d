//! Feed-forward compressor: soft-knee gain computer in dB, attack/release ballistics on the gain
//! reduction, peak or RMS detection, stereo link, sidechain high-pass, makeup and dry/wet mix.
//!
//! Signal flow per sample frame (Giannoulis, Massberg, Reiss, JAES 2012,
//! <https://www.eecs.qmul.ac.uk/~josh/documents/2012/GiannoulisMassbergReiss-dynamicrangecompression-JAES2012.pdf>):
//!
//! ```text
//! x ─┬─────────────────────────────────────────────── dry ─┐
//!    ├─ sidechain HPF ─ level (peak |x| or RMS) ─ dB ─ link ─ gain computer ─ ballistics ─┐
//!    └─ × 10^((makeup − reduction)/20) ─────────────────────────────────────── wet ───── mix
//! ```
//!
//! Legend of the per-sample quantities:
//! - `level_db`: detector level in dBFS, `20·log10|x|` (peak) or `10·log10(mean square)` (RMS),
//!   floored at [`crate::db::MIN_DB`];
//! - linked level: `(1 − t)·level_own + t·level_max` with `t` the stereo link and `level_max`
//!   the louder channel. At `t = 1` both channels share **one** detector fed by the louder
//!   channel (max, not mean), which is also the cheap path;
//! - target reduction: the static curve ([`detector::GainComputer`]);
//! - reduction: the target after attack/release ([`detector::Ballistics`]), the value metered.
//!
//! Lanes (conventions §5): makeup and mix are per-sample smoothed ([`LinearSmoother`] over
//! [`GAIN_RAMP_MS`], makeup ramped in dB); threshold, ratio, knee, times, detector, link and the
//! sidechain frequency are coefficients applied from the next sample (their changes reach the
//! audio through the ballistics, so they do not click). There is no structural lane: the
//! compressor has no lookahead and its latency is always 0, so the dry path needs no delay.
//!
//! Non-finite input samples are replaced by 0 on the dry and the wet path before anything else,
//! so they never reach the state. Silent tails are flushed to exact zeros (no denormals).
//!
//! Cost: a block whose makeup and mix are not ramping, whose samples are all finite (one
//! vectorised test per block) and whose channels share one detector runs a leaner loop with
//! the same arithmetic (`Compressor::run_settled`): about 100 instructions per stereo frame
//! (peak) and 111 (RMS) under callgrind, against 170/176 for the general loop.

pub mod detector;
mod fast_math;

use std::ops::RangeInclusive;

use crate::db::{MIN_DB, MIN_GAIN};
use crate::eq::section::{Coefficients, Section};
use crate::gain::GAIN_RAMP_MS;
use crate::smoother::LinearSmoother;
use detector::{smoothing_factor, Ballistics, GainComputer};
use fast_math::{exp2_approx, log2_approx, DB_PER_LOG2};

/// Most channels a compressor handles (stereo); more passed to `process_block` are untouched.
pub const MAX_CHANNELS: usize = 2;
/// Time constant of the RMS detector's exponential window in ms (one-pole mean square, τ as
/// defined by [`detector::smoothing_factor`]).
pub const RMS_WINDOW_MS: f32 = 10.0;
/// Quality factor of the sidechain high-pass (Butterworth, 12 dB/octave).
pub const SIDECHAIN_HPF_Q: f64 = std::f64::consts::FRAC_1_SQRT_2;
/// Frames between flushes of the sidechain filter state (counted across blocks, so the flush
/// points do not depend on the block size).
pub const SIDECHAIN_FLUSH_INTERVAL_FRAMES: u32 = 64;
/// Mean square below which the RMS detector state is flushed to 0 (−200 dBFS).
const FLUSH_MEAN_SQUARE: f64 = (MIN_GAIN as f64) * (MIN_GAIN as f64);
/// `1 / (20·log10 2)`: octaves of amplitude per dB.
const LOG2_PER_DB: f32 = 1.0 / DB_PER_LOG2;
/// Frames per chunk of [`Compressor::run_settled`] (its scratch lives on the stack).
const SETTLED_CHUNK_FRAMES: usize = 64;

/// Accepted threshold, dBFS.
pub const THRESHOLD_DB_RANGE: RangeInclusive<f32> = -80.0..=0.0;
/// Accepted ratio (1 = no compression).
pub const RATIO_RANGE: RangeInclusive<f32> = 1.0..=20.0;
/// Accepted knee width, dB.
pub const KNEE_DB_RANGE: RangeInclusive<f32> = 0.0..=24.0;
/// Accepted attack time, ms (0 = instant).
pub const ATTACK_MS_RANGE: RangeInclusive<f32> = 0.0..=500.0;
/// Accepted release time, ms (0 = instant).
pub const RELEASE_MS_RANGE: RangeInclusive<f32> = 0.0..=5000.0;
/// Accepted sidechain high-pass frequency, Hz.
pub const SIDECHAIN_HPF_HZ_RANGE: RangeInclusive<f32> = 20.0..=300.0;
/// Accepted makeup gain, dB.
pub const MAKEUP_DB_RANGE: RangeInclusive<f32> = -24.0..=24.0;

/// What the level detector measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detector {
    /// Instantaneous peak `|x|`: the ballistics alone shape the response.
    #[default]
    Peak,
    /// Mean square over an exponential window of [`RMS_WINDOW_MS`], read as `10·log10`.
    Rms,
}

/// Compressor settings (set by the plugin or CLI from its parameters; clamped on use).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompressorSettings {
    /// Threshold `T` in dBFS, in [`THRESHOLD_DB_RANGE`] (coefficient lane).
    pub threshold_db: f32,
    /// Ratio `R`, in [`RATIO_RANGE`] (coefficient lane).
    pub ratio: f32,
    /// Full knee width `W` in dB, in [`KNEE_DB_RANGE`]; 0 = hard knee (coefficient lane).
    pub knee_db: f32,
    /// Attack time constant in ms, in [`ATTACK_MS_RANGE`] (coefficient lane).
    pub attack_ms: f32,
    /// Release time constant in ms, in [`RELEASE_MS_RANGE`] (coefficient lane).
    pub release_ms: f32,
    /// Level detector (coefficient lane).
    pub detector: Detector,
    /// Stereo link in [0, 1]: 0 = independent channels, 1 = one detector on the louder channel
    /// (coefficient lane).
    pub stereo_link_t: f32,
    /// Sidechain 12 dB/oct Butterworth high-pass corner in Hz (in
    /// [`SIDECHAIN_HPF_HZ_RANGE`]), or `None` for no filter (coefficient lane).
    pub sidechain_hpf_hz: Option<f32>,
    /// Makeup gain in dB, in [`MAKEUP_DB_RANGE`] (per-sample smoothed).
    pub makeup_db: f32,
    /// Wet share of the output in [0, 1]: 0 = dry only, 1 = compressed only (per-sample
    /// smoothed).
    pub mix_t: f32,
}

impl Default for CompressorSettings {
    fn default() -> Self {
        Self {
            threshold_db: -18.0,
            ratio: 2.0,
            knee_db: 6.0,
            attack_ms: 10.0,
            release_ms: 100.0,
            detector: Detector::Peak,
            stereo_link_t: 1.0,
            sidechain_hpf_hz: None,
            makeup_db: 0.0,
            mix_t: 1.0,
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

impl CompressorSettings {
    /// These settings with every field clamped to its range (non-finite values take the
    /// default).
    pub fn sanitized(self) -> Self {
        let d = Self::default();
        Self {
            threshold_db: clamp_finite(self.threshold_db, THRESHOLD_DB_RANGE, d.threshold_db),
            ratio: clamp_finite(self.ratio, RATIO_RANGE, d.ratio),
            knee_db: clamp_finite(self.knee_db, KNEE_DB_RANGE, d.knee_db),
            attack_ms: clamp_finite(self.attack_ms, ATTACK_MS_RANGE, d.attack_ms),
            release_ms: clamp_finite(self.release_ms, RELEASE_MS_RANGE, d.release_ms),
            detector: self.detector,
            stereo_link_t: clamp_finite(self.stereo_link_t, 0.0..=1.0, d.stereo_link_t),
            sidechain_hpf_hz: self.sidechain_hpf_hz.filter(|hz| hz.is_finite()).map(|hz| {
                hz.clamp(
                    *SIDECHAIN_HPF_HZ_RANGE.start(),
                    *SIDECHAIN_HPF_HZ_RANGE.end(),
                )
            }),
            makeup_db: clamp_finite(self.makeup_db, MAKEUP_DB_RANGE, d.makeup_db),
            mix_t: clamp_finite(self.mix_t, 0.0..=1.0, d.mix_t),
        }
    }

    /// The static gain computer of these settings.
    pub fn gain_computer(&self) -> GainComputer {
        let s = self.sanitized();
        GainComputer::new(s.threshold_db, s.ratio, s.knee_db)
    }

    /// Static transfer curve for the GUI: steady output level in dBFS (wet path, makeup
    /// included) for a steady detector level of `input_db` dBFS.
    pub fn output_level_db(&self, input_db: f32) -> f32 {
        let s = self.sanitized();
        input_db - self.gain_computer().reduction_db(input_db) + s.makeup_db
    }

    /// True when the stereo link is complete (one shared detector).
    fn is_fully_linked(&self) -> bool {
        self.stereo_link_t >= 1.0
    }
}

/// Values derived from the settings and the sample rate (set by `update_coefficients`).
#[derive(Debug, Clone, Copy)]
struct CompressorCoefficients {
    /// Static curve.
    gain_computer: GainComputer,
    /// Attack/release smoothing factors.
    ballistics: Ballistics,
    /// Smoothing factor of the RMS mean square (from [`RMS_WINDOW_MS`]).
    rms_beta: f64,
    /// Sidechain high-pass, `None` when off.
    sidechain: Option<Coefficients>,
}

/// Running state of the detector (written by `process_block`, zeroed by `reset`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CompressorState {
    /// Smoothed gain reduction in dB (≥ 0) per detector; only index 0 runs at 100 % link.
    pub reduction_db: [f64; MAX_CHANNELS],
    /// RMS detector mean square per channel, linear full-scale² (only with [`Detector::Rms`]).
    pub mean_square: [f64; MAX_CHANNELS],
    /// Frames left until the next sidechain filter flush.
    pub frames_to_flush: u32,
}

/// The compressor processor (see the module documentation).
#[derive(Debug, Clone)]
pub struct Compressor {
    /// Current settings, sanitized (set by `set_settings`).
    settings: CompressorSettings,
    /// Derived coefficients (set by `update_coefficients`).
    coefficients: CompressorCoefficients,
    /// Detector state.
    state: CompressorState,
    /// Sidechain high-pass filter with its per-channel state.
    sidechain: Section,
    /// Makeup gain in dB, ramped per sample.
    makeup_db: LinearSmoother,
    /// Wet share of the output, ramped per sample.
    mix_t: LinearSmoother,
    /// Sample rate in Hz (set by `new`, `set_sample_rate`).
    sample_rate_hz: f32,
    /// Largest reduction of the last block in dB, for meters (set by `process_block`).
    block_reduction_db: f32,
}

impl Compressor {
    /// A compressor with default settings for `num_channels` (1 or 2) channels. The compressor
    /// works sample by sample in place and keeps no block buffers, so `max_block` is accepted
    /// only for the uniform lifecycle of the conventions.
    ///
    /// # Panics
    /// If `num_channels` is 0 or greater than [`MAX_CHANNELS`].
    pub fn new(sample_rate_hz: f32, _max_block: usize, num_channels: usize) -> Self {
        let sample_rate_hz = crate::rate::clamp_hz_f32(sample_rate_hz);
        assert!(
            (1..=MAX_CHANNELS).contains(&num_channels),
            "the compressor handles 1 or 2 channels, not {num_channels}"
        );
        let settings = CompressorSettings::default();
        let mut compressor = Self {
            settings,
            coefficients: CompressorCoefficients {
                gain_computer: settings.gain_computer(),
                ballistics: Ballistics::new(settings.attack_ms, settings.release_ms, 1.0),
                rms_beta: 1.0,
                sidechain: None,
            },
            state: CompressorState::default(),
            sidechain: Section::new(Coefficients::identity()),
            makeup_db: LinearSmoother::new(GAIN_RAMP_MS, sample_rate_hz, settings.makeup_db),
            mix_t: LinearSmoother::new(GAIN_RAMP_MS, sample_rate_hz, settings.mix_t),
            sample_rate_hz,
            block_reduction_db: 0.0,
        };
        compressor.set_sample_rate(sample_rate_hz);
        compressor.reset();
        compressor
    }

    /// Recomputes everything that depends on the sample rate (keeps the state).
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        let sample_rate_hz = crate::rate::clamp_hz_f32(sample_rate_hz);
        self.sample_rate_hz = sample_rate_hz;
        self.makeup_db.set_sample_rate(sample_rate_hz);
        self.mix_t.set_sample_rate(sample_rate_hz);
        self.update_coefficients();
    }

    /// New settings (clamped by [`CompressorSettings::sanitized`]). Makeup and mix ramp over
    /// [`GAIN_RAMP_MS`]; everything else applies from the next sample. Never allocates.
    ///
    /// Link changes across 100 % hand the state over: leaving full link starts both channel
    /// detectors from the shared one; entering it starts the shared one from the larger.
    pub fn set_settings(&mut self, settings: CompressorSettings) {
        let settings = settings.sanitized();
        let old = self.settings;
        let reduction_db = &mut self.state.reduction_db;
        if old.is_fully_linked() && !settings.is_fully_linked() {
            reduction_db[1] = reduction_db[0];
        } else if !old.is_fully_linked() && settings.is_fully_linked() {
            reduction_db[0] = reduction_db[0].max(reduction_db[1]);
        }
        if old.sidechain_hpf_hz.is_none() && settings.sidechain_hpf_hz.is_some() {
            self.sidechain.reset();
        }
        self.settings = settings;
        self.makeup_db.set_target(settings.makeup_db);
        self.mix_t.set_target(settings.mix_t);
        self.update_coefficients();
    }

    /// The current (sanitized) settings.
    pub fn settings(&self) -> &CompressorSettings {
        &self.settings
    }

    /// Clears the detector and sidechain state and jumps the smoothers to their targets
    /// (never allocates).
    pub fn reset(&mut self) {
        self.state = CompressorState {
            frames_to_flush: SIDECHAIN_FLUSH_INTERVAL_FRAMES,
            ..CompressorState::default()
        };
        self.sidechain.reset();
        self.makeup_db.reset(self.settings.makeup_db);
        self.mix_t.reset(self.settings.mix_t);
        self.block_reduction_db = 0.0;
    }

    /// Latency in samples: always 0 (no lookahead).
    pub fn latency_samples(&self) -> usize {
        0
    }

    /// Largest gain reduction of the last processed block in dB (≥ 0; makeup not included),
    /// over both channels, for meters.
    pub fn gain_reduction_db(&self) -> f32 {
        self.block_reduction_db
    }

    /// The detector state (for diagnostics and tests).
    pub fn state(&self) -> &CompressorState {
        &self.state
    }

    /// True when every state value (detectors and sidechain filter) is exactly zero.
    pub fn is_at_rest(&self) -> bool {
        let s = &self.state;
        s.reduction_db
            .iter()
            .chain(s.mean_square.iter())
            .all(|&v| v == 0.0)
            && self.sidechain.is_at_rest()
    }

    /// Compresses one or two channels in place. Channels beyond [`MAX_CHANNELS`] are left
    /// untouched; all channels must have the same length.
    pub fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        let block_reduction_db = match channels {
            [] => 0.0,
            [mono] => self.run([&mut **mono]),
            [left, right, ..] => self.run([&mut **left, &mut **right]),
        };
        self.block_reduction_db = block_reduction_db as f32;
    }

    /// Derives the coefficients from the settings and the sample rate.
    fn update_coefficients(&mut self) {
        let s = &self.settings;
        let fs = self.sample_rate_hz;
        let sidechain = s.sidechain_hpf_hz.map(|hz| {
            Coefficients::butterworth_highpass(f64::from(hz), SIDECHAIN_HPF_Q, f64::from(fs))
        });
        self.coefficients = CompressorCoefficients {
            gain_computer: s.gain_computer(),
            ballistics: Ballistics::new(s.attack_ms, s.release_ms, fs),
            rms_beta: smoothing_factor(RMS_WINDOW_MS, fs),
            sidechain,
        };
        if let Some(c) = sidechain {
            self.sidechain.set_coefficients(c);
        }
    }

    /// The per-frame loop for `N` (1 or 2) channels; returns the block's largest reduction.
    ///
    /// A block in which makeup and mix stand still, whose samples are all finite and whose
    /// channels share one detector takes [`Self::run_settled`]; any other takes
    /// [`Self::run_general`]. Both do the same arithmetic in the same order, so the choice,
    /// which depends on where blocks start, never shows in the output.
    fn run<const N: usize>(&mut self, channels: [&mut [f32]; N]) -> f64 {
        let num_frames = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        let channels = channels.map(|c| &mut c[..num_frames]);
        let settled = self.makeup_db.is_settled()
            && self.mix_t.is_settled()
            && (N == 1 || self.settings.is_fully_linked())
            && channels.iter().all(|c| all_finite(c));
        if !settled {
            return self.run_general(channels);
        }
        let rms = self.settings.detector == Detector::Rms;
        match (rms, self.mix_t.current() == 1.0) {
            (false, true) => self.run_settled::<N, false, true>(channels),
            (false, false) => self.run_settled::<N, false, false>(channels),
            (true, true) => self.run_settled::<N, true, true>(channels),
            (true, false) => self.run_settled::<N, true, false>(channels),
        }
    }

    /// Settled, linked, clean block: makeup and mix are constants (`MIX_ONE`: the mix is 1,
    /// so the output is `dry · gain`, bit-identical to the mixing formula), one detector, no
    /// per-sample finiteness test. Runs in chunks of [`SETTLED_CHUNK_FRAMES`], stage by stage:
    /// only the detector and the ballistics carry state from frame to frame, so the gain
    /// computer, the gain and its application run in loops the compiler vectorises (the same
    /// arithmetic per frame as frame by frame).
    #[inline(always)]
    fn run_settled<const N: usize, const RMS: bool, const MIX_ONE: bool>(
        &mut self,
        mut channels: [&mut [f32]; N],
    ) -> f64 {
        let num_frames = channels.first().map_or(0, |c| c.len());
        let co = self.coefficients;
        let makeup_db = self.makeup_db.current();
        let mix_t = self.mix_t.current();
        let (db_per_log2, level_floor) = detector_scale(RMS);
        let mut state = self.state;
        let mut block_max_db = 0.0f64;
        // Per frame of the chunk: the loudest level, then the target reduction, dB.
        let mut target_db = [0.0f32; SETTLED_CHUNK_FRAMES];
        // Per frame of the chunk: the gain's exponent, then the gain.
        let mut gain = [0.0f32; SETTLED_CHUNK_FRAMES];
        for start in (0..num_frames).step_by(SETTLED_CHUNK_FRAMES) {
            let len = SETTLED_CHUNK_FRAMES.min(num_frames - start);
            let (target_db, gain) = (&mut target_db[..len], &mut gain[..len]);
            for (i, loudest) in target_db.iter_mut().enumerate() {
                let dry: [f32; N] = std::array::from_fn(|c| channels[c][start + i]);
                let level = self.detector_levels::<N>(&co, &mut state, RMS, dry);
                *loudest = level.iter().fold(level_floor, |m, &l| max(m, l));
            }
            for t in target_db.iter_mut() {
                *t = co.gain_computer.reduction_db(db_per_log2 * log2_approx(*t));
            }
            for (g, &t) in gain.iter_mut().zip(target_db.iter()) {
                let reduction_db = co.ballistics.step(state.reduction_db[0], t);
                state.reduction_db[0] = reduction_db;
                block_max_db = max(block_max_db, reduction_db);
                *g = (makeup_db - reduction_db as f32) * LOG2_PER_DB;
            }
            for g in gain.iter_mut() {
                *g = exp2_approx(*g);
            }
            for channel in &mut channels {
                for (s, &g) in channel[start..start + len].iter_mut().zip(gain.iter()) {
                    *s = if MIX_ONE { *s * g } else { mix(*s, g, mix_t) };
                }
            }
        }
        self.state = state;
        block_max_db
    }

    /// Any block: per-sample makeup and mix ramps, non-finite samples replaced by 0, partial
    /// stereo link.
    fn run_general<const N: usize>(&mut self, channels: [&mut [f32]; N]) -> f64 {
        let num_frames = channels.first().map_or(0, |c| c.len());
        let co = self.coefficients;
        let rms = self.settings.detector == Detector::Rms;
        let (db_per_log2, level_floor) = detector_scale(rms);
        let linked = N == 1 || self.settings.is_fully_linked();
        let link_t = self.settings.stereo_link_t;
        let mut state = self.state;
        let mut block_max_db = 0.0f64;
        for i in 0..num_frames {
            let dry: [f32; N] = std::array::from_fn(|c| {
                let x = channels[c][i];
                if x.is_finite() {
                    x
                } else {
                    0.0
                }
            });
            let level = self.detector_levels::<N>(&co, &mut state, rms, dry);
            let makeup_db = self.makeup_db.next_value();
            let mut gain = [0.0f32; N];
            if linked {
                let loudest = level.iter().fold(level_floor, |m, &l| max(m, l));
                let level_db = db_per_log2 * log2_approx(loudest);
                let target_db = co.gain_computer.reduction_db(level_db);
                let reduction_db = co.ballistics.step(state.reduction_db[0], target_db);
                state.reduction_db[0] = reduction_db;
                block_max_db = max(block_max_db, reduction_db);
                gain = [exp2_approx((makeup_db - reduction_db as f32) * LOG2_PER_DB); N];
            } else {
                let level_db = level.map(|l| db_per_log2 * log2_approx(max(l, level_floor)));
                let loudest_db = level_db.iter().fold(MIN_DB, |m, &l| max(m, l));
                for c in 0..N {
                    let linked_db = (1.0 - link_t) * level_db[c] + link_t * loudest_db;
                    let target_db = co.gain_computer.reduction_db(linked_db);
                    let reduction_db = co.ballistics.step(state.reduction_db[c], target_db);
                    state.reduction_db[c] = reduction_db;
                    block_max_db = max(block_max_db, reduction_db);
                    gain[c] = exp2_approx((makeup_db - reduction_db as f32) * LOG2_PER_DB);
                }
            }
            let mix_t = self.mix_t.next_value();
            for c in 0..N {
                channels[c][i] = mix(dry[c], gain[c], mix_t);
            }
        }
        self.state = state;
        block_max_db
    }

    /// Detector input of one frame: `|x|` (peak) or the updated mean square (RMS) per channel,
    /// after the sidechain filter when it is on.
    #[inline(always)]
    fn detector_levels<const N: usize>(
        &mut self,
        co: &CompressorCoefficients,
        state: &mut CompressorState,
        rms: bool,
        dry: [f32; N],
    ) -> [f32; N] {
        if co.sidechain.is_none() && !rms {
            // `|f64::from(x)| as f32` is exactly `|x|`.
            return dry.map(f32::abs);
        }
        let mut sidechain = dry.map(f64::from);
        if co.sidechain.is_some() {
            sidechain = self.filter_sidechain(sidechain, &mut state.frames_to_flush);
        }
        std::array::from_fn(|c| {
            if rms {
                let ms = &mut state.mean_square[c];
                *ms += co.rms_beta * (sidechain[c] * sidechain[c] - *ms);
                if *ms < FLUSH_MEAN_SQUARE {
                    *ms = 0.0;
                }
                *ms as f32
            } else {
                sidechain[c].abs() as f32
            }
        })
    }

    /// Runs the sidechain high-pass on one frame and flushes its state every
    /// [`SIDECHAIN_FLUSH_INTERVAL_FRAMES`] frames.
    #[inline(always)]
    fn filter_sidechain<const N: usize>(
        &mut self,
        input: [f64; N],
        frames_to_flush: &mut u32,
    ) -> [f64; N] {
        let mut out = input;
        if N == 2 {
            let y = self.sidechain.process_frame([input[0], input[N - 1]]);
            out[0] = y[0];
            out[N - 1] = y[1];
        } else {
            out[0] = self.sidechain.process(0, input[0]);
        }
        if *frames_to_flush <= 1 {
            self.sidechain.flush();
            *frames_to_flush = SIDECHAIN_FLUSH_INTERVAL_FRAMES;
        } else {
            *frames_to_flush -= 1;
        }
        out
    }
}

/// Detector scaling: dB per unit of `log2` of the level, and the level floor ([`MIN_GAIN`] as
/// amplitude, or squared for the RMS mean square).
#[inline(always)]
fn detector_scale(rms: bool) -> (f32, f32) {
    if rms {
        (0.5 * DB_PER_LOG2, MIN_GAIN * MIN_GAIN)
    } else {
        (DB_PER_LOG2, MIN_GAIN)
    }
}

/// The larger of `a` and `b` (one `max` instruction: no NaN rules, the detector never sees
/// NaN).
#[inline(always)]
fn max<T: PartialOrd>(a: T, b: T) -> T {
    if b > a {
        b
    } else {
        a
    }
}

/// Dry/wet mix of one sample: `dry·gain·mix + dry·(1 − mix)`.
#[inline(always)]
fn mix(dry: f32, gain: f32, mix_t: f32) -> f32 {
    dry * gain * mix_t + dry * (1.0 - mix_t)
}

/// True when no sample of `samples` is NaN or infinite (vectorised, about one instruction
/// per sample).
#[inline(always)]
fn all_finite(samples: &[f32]) -> bool {
    crate::eq::lanes::all_finite(samples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::pink_noise;

    fn bits(x: &[f32]) -> Vec<u32> {
        x.iter().map(|s| s.to_bits()).collect()
    }

    /// The settled path gives the general path's output bit for bit (peak and RMS, mix 1 and
    /// partial, with and without the sidechain filter, mono and stereo, with a non-finite
    /// sample, which sends its block down the general path).
    #[test]
    fn settled_path_matches_general_path_bit_for_bit() {
        let len = 6_000;
        let mut left = pink_noise(5, 0.8, len);
        let right = pink_noise(6, 0.6, len);
        left[2_500] = f32::NAN;
        for detector in [Detector::Peak, Detector::Rms] {
            for mix_t in [1.0, 0.6] {
                for sidechain_hpf_hz in [None, Some(120.0)] {
                    for num_channels in [1, 2] {
                        let settings = CompressorSettings {
                            threshold_db: -24.0,
                            ratio: 3.0,
                            detector,
                            sidechain_hpf_hz,
                            makeup_db: 2.5,
                            mix_t,
                            ..CompressorSettings::default()
                        };
                        let make = || {
                            let mut c = Compressor::new(48_000.0, 512, num_channels);
                            c.set_settings(settings);
                            c.reset();
                            c
                        };
                        let (mut general, mut settled) = (make(), make());
                        let mut expected = [left.clone(), right.clone()];
                        let mut out = [left.clone(), right.clone()];
                        let mut maxima = (Vec::new(), Vec::new());
                        for start in (0..len).step_by(256) {
                            let end = (start + 256).min(len);
                            let [l, r] = &mut expected;
                            maxima.0.push(match num_channels {
                                1 => general.run_general([&mut l[start..end]]),
                                _ => general.run_general([&mut l[start..end], &mut r[start..end]]),
                            });
                            let [l, r] = &mut out;
                            let mut block = [&mut l[start..end], &mut r[start..end]];
                            settled.process_block(&mut block[..num_channels]);
                            maxima.1.push(f64::from(settled.gain_reduction_db()));
                        }
                        let what = format!("{settings:?}, {num_channels} channels");
                        for ch in 0..num_channels {
                            assert_eq!(bits(&out[ch]), bits(&expected[ch]), "{what}");
                        }
                        let general_maxima: Vec<f64> =
                            maxima.0.iter().map(|&m| f64::from(m as f32)).collect();
                        assert_eq!(general_maxima, maxima.1, "{what}: meter");
                        assert_eq!(general.state(), settled.state(), "{what}: state");
                    }
                }
            }
        }
    }
}
