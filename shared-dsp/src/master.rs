//! The Master Bus's whole signal chain, shared by the plugin and the offline renderer so that a
//! mix rendered by `stemwise` sounds exactly like the plugin with the same settings.
//!
//! ```text
//! input ─ EQ (HP, low shelf, 3 bells, high shelf, LP, mono bass) ─ glue compressor ─ makeup ─ limiter ─ output
//!          minimum or linear phase; mono bass: side high-pass       (auto release)  (auto)   (true peak)
//! ```
//!
//! Every stage is always in the signal path; a stage that is "off" runs at transparent
//! settings (conventions §7), so the latency is a pure function of the EQ phase mode, the
//! limiter lookahead and the sample rate, and the default settings are bit-exact (after the
//! latency):
//! - input 0 dB / output 0 dB: the gain stages do no arithmetic;
//! - EQ gains 0 dB, high- and low-pass and mono bass off: the bands run no sections;
//! - glue compressor off: its mix is 0 (bit-exact dry) and the makeup stage sits at 0 dB;
//! - limiter off: the limiter keeps running (so its lookahead delay and its state stay warm
//!   and switching it on is a click-free crossfade), but a [`BypassMixer`] whose dry path is
//!   delayed by exactly the limiter's latency replaces its output by the delayed input, bit
//!   for bit, for *any* input (overs, ±0, subnormals; the limiter itself would clamp overs
//!   at its ceiling and replace non-finite samples by 0). The price is the limiter's CPU
//!   (about 730 instructions per stereo frame while limiting, less below the ceiling) when it
//!   is off.
//!
//! # Glue compressor control (legend)
//! The compressor ([`Compressor`]) has no program-dependent release and no auto makeup, so the
//! chain drives its settings from outside, on a fixed grid of [`CONTROL_GRID_SAMPLES`] frames
//! counted across blocks (so the control values, like everything else, do not depend on the
//! host's block sizes). At the end of grid interval `k`:
//! - `ms_k`: mean square of the compressor's input over the interval (all channels);
//! - `gr_k`: the compressor's largest gain reduction in the interval, dB (its meter value,
//!   the only per-interval view the compressor's public API gives; over 64 frames it is
//!   within a fraction of a dB of the interval's mean at attack times ≥ 1 ms);
//! - `h_k = m·10^(−gr_k/20) + (1 − m)`: the stage's gain at mix `m` (the compressor is a pure
//!   gain, so wet and dry add in phase).
//!
//! **Auto release** (dual time constant, the same idea and constants as the limiter's auto
//! release, [`crate::limiter::LimiterSettings::auto_release`]): `avg` is a one-pole average of
//! `gr_k` with time constant [`AUTO_AVERAGE_FACTOR`]` × release_ms` (2.4 s at 300 ms); the
//! excess `e = gr_k − avg` (a transient pushed the reduction above its sustained level)
//! selects the release time `release_ms · SLOW^(1−t) · FAST^t` for the next interval, with
//! `t = clamp((e − `[`AUTO_RELEASE_DEADBAND_DB`]`) / `[`AUTO_RELEASE_SPAN_DB`]`, 0, 1)`,
//! `FAST` = [`AUTO_FAST_FACTOR`] (0.25) and `SLOW` = [`AUTO_SLOW_FACTOR`] (2). Transient
//! reduction recovers up to 4× faster than the knob says, sustained reduction 2× slower (no
//! pumping on dense material, no holes after a snare hit).
//!
//! **Auto makeup** (equal loudness): `P_in`, `P_out` are one-pole averages (time constant
//! [`AUTO_MAKEUP_WINDOW_MS`]) of `ms_k` and `ms_k·h_k²` over the intervals whose `ms_k` is
//! above [`AUTO_MAKEUP_GATE_DB`]; the auto makeup is `10·log10(P_in / P_out)` dB (clamped to
//! `0…`[`MAX_AUTO_MAKEUP_DB`]): the power-weighted average gain reduction of the stage at the
//! current programme level, so switching the compressor (or the auto makeup) on keeps the
//! loudness instead of just sounding louder. The estimate runs whether or not the compressor
//! is on (its detector runs at mix 0 too), so it is already right when it is switched on.
//! Makeup (the knob plus the auto makeup) is applied after the compressor's mix, by a
//! [`GainStage`] ramped over [`crate::gain::GAIN_RAMP_MS`]; the compressor's own makeup stays 0.

use crate::block::{for_each_chunk, MAX_PATH_CHANNELS};
use crate::bypass::BypassMixer;
use crate::compressor::{Compressor, CompressorSettings, Detector, MAKEUP_DB_RANGE};
use crate::db::db_to_gain;
use crate::eq::linear_phase;
use crate::eq::settings::{BandKind, BandSettings, EqSettings, PhaseMode, Slope};
use crate::eq::Eq;
use crate::gain::{GainSettings, GainStage};
use crate::limiter::peak::TAPS;
use crate::limiter::{
    self, Limiter, LimiterSettings, AUTO_AVERAGE_FACTOR, AUTO_FAST_FACTOR, AUTO_SLOW_FACTOR,
};

mod versions;
pub use versions::{GainCapture, LeadGains, VersionFollower, VersionFollowers};

/// Index of each EQ band in [`EqSettings::bands`] (the eighth band is unused and flat).
pub mod band_index {
    /// High-pass (subsonic clean-up, off by default).
    pub const HIGH_PASS: usize = 0;
    /// Low shelf.
    pub const LOW_SHELF: usize = 1;
    /// First bell (low mids).
    pub const BELL_1: usize = 2;
    /// Second bell (mids).
    pub const BELL_2: usize = 3;
    /// Third bell (presence).
    pub const BELL_3: usize = 4;
    /// High shelf (air).
    pub const HIGH_SHELF: usize = 5;
    /// Low-pass (off by default).
    pub const LOW_PASS: usize = 6;
    /// Number of bands the Master Bus uses.
    pub const NUM_BANDS: usize = 7;
}

/// Q of both shelves (Butterworth-like, no overshoot).
pub const SHELF_Q: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// Limiter ceiling preset for streaming (AES TD1004 / Spotify, Apple recommendations), dBTP.
pub const CEILING_STREAMING_DBTP: f32 = -1.0;
/// Limiter ceiling preset for vinyl pre-masters, dBTP.
pub const CEILING_VINYL_DBTP: f32 = -0.5;
/// Limiter ceiling preset for broadcast (EBU R128 max. true peak −1 dBTP, with margin for
/// lossy distribution codecs), dBTP.
pub const CEILING_BROADCAST_DBTP: f32 = -2.0;
/// Lowest glue ratio.
pub const MIN_GLUE_RATIO: f32 = 1.0;
/// Highest glue ratio (a bus compressor, not a leveller).
pub const MAX_GLUE_RATIO: f32 = 4.0;
/// Default knee of the glue compressor, dB (soft enough to glue, hard enough to hear).
pub const GLUE_KNEE_DB: f32 = 6.0;
/// Range of the glue compressor's knee, dB.
pub const GLUE_KNEE_RANGE_DB: std::ops::RangeInclusive<f32> = 0.0..=12.0;
/// Detector of the glue compressor (fixed: peak, so the attack knob shapes transients).
pub const GLUE_DETECTOR: Detector = Detector::Peak;
/// Frames between updates of the auto release and the auto makeup (counted across blocks).
pub const CONTROL_GRID_SAMPLES: usize = 64;
/// Auto release: excess of the reduction over its average (dB) up to which the release stays
/// fully slow (the ordinary ripple of the reduction on dense material).
pub const AUTO_RELEASE_DEADBAND_DB: f32 = 1.0;
/// Auto release: width (dB) of the blend from slow to fast above the dead band.
pub const AUTO_RELEASE_SPAN_DB: f32 = 2.0;
/// Auto makeup: time constant of the power averages, ms.
pub const AUTO_MAKEUP_WINDOW_MS: f32 = 3000.0;
/// Auto makeup: grid intervals quieter than this mean square (dBFS) leave the estimate as it
/// is (silence and fade-out tails do not drag it around).
pub const AUTO_MAKEUP_GATE_DB: f32 = -70.0;
/// Auto makeup: largest makeup the estimate gives, dB.
pub const MAX_AUTO_MAKEUP_DB: f32 = 24.0;

/// Settings of the glue compressor (set by the plugin from its parameters, by the CLI from a
/// session file). Threshold, ratio, times, link and sidechain are coefficient lane; mix and
/// makeup are per-sample smoothed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GlueSettings {
    /// Threshold in dBFS (−80…0).
    pub threshold_db: f32,
    /// Ratio, [`MIN_GLUE_RATIO`]…[`MAX_GLUE_RATIO`] (default 1.5).
    pub ratio: f32,
    /// Knee width in dB, [`GLUE_KNEE_RANGE_DB`] (default [`GLUE_KNEE_DB`]).
    pub knee_db: f32,
    /// Attack time constant in ms (0…500).
    pub attack_ms: f32,
    /// Release time constant in ms (0…5000); with `auto_release` the centre of the
    /// program-dependent release (0.25×…2×).
    pub release_ms: f32,
    /// Program-dependent release (see the module documentation).
    pub auto_release: bool,
    /// Sidechain 12 dB/oct high-pass corner in Hz (20…300), or `None` for none.
    pub sidechain_hpf_hz: Option<f32>,
    /// Stereo link 0…1: 0 = channels independent, 1 = one detector on the louder channel.
    pub stereo_link_t: f32,
    /// Wet share 0…1 (parallel compression); makeup applies after the mix.
    pub mix_t: f32,
    /// Makeup gain in dB (−24…24), applied after the mix.
    pub makeup_db: f32,
    /// Adds the equal-loudness auto makeup (see the module documentation) to `makeup_db`.
    pub auto_makeup: bool,
}

impl Default for GlueSettings {
    fn default() -> Self {
        Self {
            threshold_db: -18.0,
            ratio: 1.5,
            knee_db: GLUE_KNEE_DB,
            attack_ms: 10.0,
            release_ms: 300.0,
            auto_release: false,
            sidechain_hpf_hz: None,
            stereo_link_t: 1.0,
            mix_t: 1.0,
            makeup_db: 0.0,
            auto_makeup: false,
        }
    }
}

/// Settings of the whole Master Bus (set by the plugin from its parameters, by the CLI from a
/// session file).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MasterSettings {
    /// Input gain in dB (per-sample smoothed).
    pub input_db: f32,
    /// The seven bands (see [`band_index`]) and the phase mode (structural: latency).
    pub eq: EqSettings,
    /// The glue compressor acts (off = transparent).
    pub compressor_on: bool,
    /// Glue compressor settings.
    pub glue: GlueSettings,
    /// The limiter acts (off = transparent, crossfaded; its latency stays).
    pub limiter_on: bool,
    /// Limiter settings (its `lookahead_ms` is structural and sets the latency even when off).
    pub limiter: LimiterSettings,
    /// Output gain in dB (per-sample smoothed), after the limiter.
    pub output_db: f32,
}

impl Default for MasterSettings {
    fn default() -> Self {
        Self {
            input_db: 0.0,
            eq: default_eq(),
            compressor_on: false,
            glue: GlueSettings::default(),
            limiter_on: false,
            limiter: LimiterSettings {
                ceiling_db: CEILING_STREAMING_DBTP,
                ..LimiterSettings::default()
            },
            output_db: 0.0,
        }
    }
}

/// The Master Bus's EQ layout with every band flat and both pass filters off.
pub fn default_eq() -> EqSettings {
    let band = |kind, freq_hz, q| BandSettings {
        kind,
        enabled: true,
        freq_hz,
        gain_db: 0.0,
        q,
        slope: Slope::Db12,
    };
    let mut eq = EqSettings::default();
    eq.bands[band_index::HIGH_PASS] = BandSettings {
        enabled: false,
        ..band(BandKind::HighPass, 30.0, SHELF_Q)
    };
    eq.bands[band_index::LOW_SHELF] = band(BandKind::LowShelf, 100.0, SHELF_Q);
    eq.bands[band_index::BELL_1] = band(BandKind::Bell, 250.0, 1.0);
    eq.bands[band_index::BELL_2] = band(BandKind::Bell, 1000.0, 1.0);
    eq.bands[band_index::BELL_3] = band(BandKind::Bell, 4000.0, 1.0);
    eq.bands[band_index::HIGH_SHELF] = band(BandKind::HighShelf, 10_000.0, SHELF_Q);
    eq.bands[band_index::LOW_PASS] = BandSettings {
        enabled: false,
        ..band(BandKind::LowPass, 20_000.0, SHELF_Q)
    };
    eq.phase = PhaseMode::Minimum;
    eq
}

/// Gain reduction for meters, dB (positive = reduction; 0 for a stage that is off).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MasterReduction {
    /// Glue compressor, largest of the last block (makeup not included).
    pub compressor_db: f32,
    /// Limiter, deepest of the last block.
    pub limiter_db: f32,
    /// Auto makeup currently estimated (0 when auto makeup is off).
    pub auto_makeup_db: f32,
}

/// State of the glue compressor's auto release and auto makeup (see the module legend).
#[derive(Debug, Clone, Copy)]
struct GlueControl {
    /// Frames into the current grid interval, `0..CONTROL_GRID_SAMPLES`.
    grid_pos: usize,
    /// Sum of squares of the compressor input per channel in the current interval.
    energy: [f64; MAX_PATH_CHANNELS],
    /// Largest compressor reduction in the current interval, dB.
    interval_gr_db: f32,
    /// One-pole average of the interval reductions, dB (`avg`).
    average_gr_db: f64,
    /// Release multiplier currently applied (auto release), `FAST…SLOW`.
    release_factor: f32,
    /// Averaged input power `P_in`.
    power_in: f64,
    /// Averaged power after the stage's gain `P_out`.
    power_out: f64,
    /// Auto makeup estimate, dB.
    auto_makeup_db: f32,
    /// One-pole coefficient of `avg` per interval (set by `apply`).
    average_coef: f64,
    /// One-pole coefficient of `P_in`, `P_out` per interval (set by `new`).
    power_coef: f64,
}

impl GlueControl {
    /// Control state at rest.
    fn new(sample_rate_hz: f64) -> Self {
        Self {
            grid_pos: 0,
            energy: [0.0; MAX_PATH_CHANNELS],
            interval_gr_db: 0.0,
            average_gr_db: 0.0,
            release_factor: AUTO_SLOW_FACTOR,
            power_in: 0.0,
            power_out: 0.0,
            auto_makeup_db: 0.0,
            average_coef: 1.0,
            power_coef: interval_coef(AUTO_MAKEUP_WINDOW_MS, sample_rate_hz),
        }
    }

    /// Back to rest, keeping the coefficients.
    fn reset(&mut self) {
        self.grid_pos = 0;
        self.energy = [0.0; MAX_PATH_CHANNELS];
        self.interval_gr_db = 0.0;
        self.average_gr_db = 0.0;
        self.release_factor = AUTO_SLOW_FACTOR;
        self.power_in = 0.0;
        self.power_out = 0.0;
        self.auto_makeup_db = 0.0;
    }
}

/// One-pole coefficient `1 − exp(−N / (τ·fs))` for an update every [`CONTROL_GRID_SAMPLES`]
/// frames with time constant `time_ms` (the value falls to 1/e of a step after `time_ms`).
fn interval_coef(time_ms: f32, sample_rate_hz: f64) -> f64 {
    let tau_samples = f64::from(time_ms.max(1e-3)) * sample_rate_hz / 1000.0;
    1.0 - (-(CONTROL_GRID_SAMPLES as f64) / tau_samples).exp()
}

/// Finite value clamped to `lo..=hi`, `fallback` for NaN/∞.
fn clamp_or(value: f32, lo: f32, hi: f32, fallback: f32) -> f32 {
    if value.is_finite() {
        value.clamp(lo, hi)
    } else {
        fallback
    }
}

/// The Master Bus's processors.
pub struct MasterChain {
    /// Current settings (set by `set_settings`).
    settings: MasterSettings,
    /// Sample rate in Hz (set by `new`).
    sample_rate_hz: f64,
    /// Largest block the stages are sized for; longer blocks are processed in chunks.
    max_block: usize,
    /// Channels (1 or 2; set by `new`).
    num_channels: usize,
    /// Input gain.
    input: GainStage,
    /// The EQ.
    eq: Eq,
    /// Glue compressor (makeup 0; mix 0 when off).
    compressor: Compressor,
    /// Auto release / auto makeup state.
    control: GlueControl,
    /// Makeup after the compressor's mix: knob + auto makeup (0 dB when off).
    makeup: GainStage,
    /// Largest compressor reduction of the last `process_block`, dB (meter).
    block_gr_db: f32,
    /// True-peak limiter (always running).
    limiter: Limiter,
    /// Crossfades the limiter in and out; its dry path is delayed by the limiter's latency.
    limiter_switch: BypassMixer,
    /// Latency the `limiter_switch` dry path is set to.
    limiter_latency_samples: usize,
    /// Output gain.
    output: GainStage,
}

impl MasterChain {
    /// Allocates every processor for blocks of up to `max_block` frames (longer blocks are
    /// split) on `num_channels` channels.
    ///
    /// # Panics
    /// If `num_channels` is not 1 or 2.
    pub fn new(sample_rate_hz: f64, max_block: usize, num_channels: usize) -> Self {
        let sample_rate_hz = crate::rate::clamp_hz(sample_rate_hz);
        assert!(
            (1..=MAX_PATH_CHANNELS).contains(&num_channels),
            "the master chain handles 1 or 2 channels, not {num_channels}"
        );
        let rate = sample_rate_hz as f32;
        let max_block = max_block.max(1);
        let settings = MasterSettings::default();
        let mut chain = Self {
            settings,
            sample_rate_hz,
            max_block,
            num_channels,
            input: GainStage::new(rate, GainSettings::default()),
            eq: Eq::new(sample_rate_hz, max_block, num_channels),
            compressor: Compressor::new(rate, max_block, num_channels),
            control: GlueControl::new(sample_rate_hz),
            makeup: GainStage::new(rate, GainSettings::default()),
            block_gr_db: 0.0,
            limiter: Limiter::new(rate, max_block, num_channels),
            limiter_switch: BypassMixer::new(
                rate,
                max_block,
                num_channels,
                limiter_max_latency_samples(sample_rate_hz),
            ),
            limiter_latency_samples: usize::MAX,
            output: GainStage::new(rate, GainSettings::default()),
        };
        chain.apply(settings);
        chain.reset();
        chain
    }

    /// Sets new targets (never allocates). An EQ phase-mode or limiter lookahead change is
    /// structural: it changes the latency and clears that stage's state.
    pub fn set_settings(&mut self, settings: MasterSettings) {
        if settings != self.settings {
            self.apply(settings);
        }
    }

    /// Hands `settings` to every stage, with "off" stages at transparent settings.
    fn apply(&mut self, settings: MasterSettings) {
        self.settings = settings;
        self.input.set_settings(GainSettings {
            gain_db: settings.input_db,
            invert: [false; 2],
        });
        self.eq.set_settings(settings.eq);
        self.control.average_coef = interval_coef(
            settings.glue.release_ms * AUTO_AVERAGE_FACTOR,
            self.sample_rate_hz,
        );
        self.update_glue();
        self.limiter.set_settings(settings.limiter);
        let latency = self.limiter.latency_samples();
        if latency != self.limiter_latency_samples {
            self.limiter_latency_samples = latency;
            self.limiter_switch.set_latency_samples(latency);
        }
        self.limiter_switch.set_bypassed(!settings.limiter_on);
        self.output.set_settings(GainSettings {
            gain_db: settings.output_db,
            invert: [false; 2],
        });
    }

    /// Hands the glue settings and the current auto-release / auto-makeup values to the
    /// compressor and the makeup stage.
    fn update_glue(&mut self) {
        self.update_compressor();
        self.update_makeup();
    }

    /// Hands the glue settings and the current auto release to the compressor.
    fn update_compressor(&mut self) {
        let on = self.settings.compressor_on;
        let glue = self.settings.glue;
        let release_ms = if glue.auto_release {
            glue.release_ms * self.control.release_factor
        } else {
            glue.release_ms
        };
        self.compressor.set_settings(CompressorSettings {
            threshold_db: glue.threshold_db,
            ratio: clamp_or(glue.ratio, MIN_GLUE_RATIO, MAX_GLUE_RATIO, 1.5),
            knee_db: clamp_or(
                glue.knee_db,
                *GLUE_KNEE_RANGE_DB.start(),
                *GLUE_KNEE_RANGE_DB.end(),
                GLUE_KNEE_DB,
            ),
            attack_ms: glue.attack_ms,
            release_ms,
            detector: GLUE_DETECTOR,
            stereo_link_t: glue.stereo_link_t,
            sidechain_hpf_hz: glue.sidechain_hpf_hz,
            makeup_db: 0.0,
            mix_t: if on { glue.mix_t } else { 0.0 },
        });
    }

    /// Sets the makeup stage to the knob plus the auto makeup (0 dB when the compressor is off).
    fn update_makeup(&mut self) {
        let on = self.settings.compressor_on;
        let glue = self.settings.glue;
        let makeup_db = if on {
            let knob = clamp_or(
                glue.makeup_db,
                *MAKEUP_DB_RANGE.start(),
                *MAKEUP_DB_RANGE.end(),
                0.0,
            );
            let auto = if glue.auto_makeup {
                self.control.auto_makeup_db
            } else {
                0.0
            };
            knob + auto
        } else {
            0.0
        };
        self.makeup.set_settings(GainSettings {
            gain_db: makeup_db,
            invert: [false; 2],
        });
    }

    /// Clears all state and jumps every smoother to its target (never allocates).
    pub fn reset(&mut self) {
        self.input.reset();
        self.eq.reset();
        self.control.reset();
        self.update_glue();
        self.compressor.reset();
        self.makeup.reset();
        self.block_gr_db = 0.0;
        self.limiter.reset();
        self.limiter_switch.reset();
        self.output.reset();
    }

    /// Latency in samples: the EQ's (0 in minimum phase) plus the limiter's (lookahead + 62),
    /// whether or not the limiter is on.
    pub fn latency_samples(&self) -> usize {
        self.eq.latency_samples() + self.limiter.latency_samples()
    }

    /// The largest latency the chain can report at `sample_rate_hz` (linear-phase EQ, longest
    /// lookahead), for sizing delay-compensation buffers.
    pub fn max_latency_samples(sample_rate_hz: f64) -> usize {
        linear_phase::BASE_LATENCY_SAMPLES * linear_phase::fir_scale(sample_rate_hz)
            + limiter_max_latency_samples(sample_rate_hz)
    }

    /// The settings last applied.
    pub fn settings(&self) -> &MasterSettings {
        &self.settings
    }

    /// The EQ, for its `response()` (GUI curve, tests).
    pub fn eq(&self) -> &Eq {
        &self.eq
    }

    /// Current gain reduction for meters.
    pub fn reduction(&self) -> MasterReduction {
        let glue = self.settings.glue;
        MasterReduction {
            compressor_db: if self.settings.compressor_on {
                self.block_gr_db
            } else {
                0.0
            },
            limiter_db: if self.settings.limiter_on {
                self.limiter.gain_reduction_db()
            } else {
                0.0
            },
            auto_makeup_db: if glue.auto_makeup {
                self.control.auto_makeup_db
            } else {
                0.0
            },
        }
    }

    /// Processes one block in place (1 or 2 channels of equal length, any length; blocks
    /// longer than `max_block` are processed in chunks). Never allocates.
    pub fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        self.block_gr_db = 0.0;
        let max_block = self.max_block;
        for_each_chunk(channels, max_block, |chunk| self.process_chunk(chunk));
    }

    /// All stages over one chunk of at most `max_block` frames.
    fn process_chunk(&mut self, channels: &mut [&mut [f32]]) {
        let num_channels = self.num_channels.min(channels.len());
        let channels = &mut channels[..num_channels];
        self.input.process_block(channels);
        self.eq.process_block(channels);
        self.process_glue(channels);
        // Always run the limiter: its delay and detector stay warm, so switching it on is a
        // plain crossfade and the latency never changes.
        self.limiter_switch.capture_dry(channels);
        self.limiter.process_block(channels);
        self.limiter_switch.mix(channels);
        self.output.process_block(channels);
    }

    /// Compressor and makeup, split at the control grid so the auto release and auto makeup
    /// update at the same frames whatever the block sizes.
    fn process_glue(&mut self, channels: &mut [&mut [f32]]) {
        let num_frames = channels.first().map_or(0, |c| c.len());
        let num_channels = channels.len();
        let mut start = 0;
        while start < num_frames {
            let end = (start + CONTROL_GRID_SAMPLES - self.control.grid_pos).min(num_frames);
            let mut sub: [&mut [f32]; MAX_PATH_CHANNELS] = [&mut [], &mut []];
            for (slot, ch) in sub.iter_mut().zip(channels.iter_mut()) {
                *slot = &mut ch[start..end];
            }
            let sub = &mut sub[..num_channels];
            for (energy, samples) in self.control.energy.iter_mut().zip(sub.iter()) {
                for &s in samples.iter() {
                    if s.is_finite() {
                        let s = f64::from(s);
                        *energy += s * s;
                    }
                }
            }
            self.compressor.process_block(sub);
            let gr_db = self.compressor.gain_reduction_db();
            self.block_gr_db = self.block_gr_db.max(gr_db);
            self.control.interval_gr_db = self.control.interval_gr_db.max(gr_db);
            self.makeup.process_block(sub);
            self.control.grid_pos += end - start;
            if self.control.grid_pos == CONTROL_GRID_SAMPLES {
                self.end_interval();
            }
            start = end;
        }
    }

    /// Updates the auto release and auto makeup at the end of a grid interval (see the module
    /// legend) and hands the new values to the compressor and makeup stage.
    fn end_interval(&mut self) {
        let glue = self.settings.glue;
        let c = &mut self.control;
        let mean_square =
            c.energy.iter().sum::<f64>() / (CONTROL_GRID_SAMPLES * self.num_channels) as f64;
        let gr_db = c.interval_gr_db;
        c.grid_pos = 0;
        c.energy = [0.0; MAX_PATH_CHANNELS];
        c.interval_gr_db = 0.0;

        // Auto release: dual time constant on the reduction.
        c.average_gr_db += c.average_coef * (f64::from(gr_db) - c.average_gr_db);
        if c.average_gr_db < 1e-9 {
            c.average_gr_db = 0.0; // no subnormals on long silences
        }
        let excess_db = gr_db - c.average_gr_db as f32;
        let t = ((excess_db - AUTO_RELEASE_DEADBAND_DB) / AUTO_RELEASE_SPAN_DB).clamp(0.0, 1.0);
        let release_factor = AUTO_SLOW_FACTOR.powf(1.0 - t) * AUTO_FAST_FACTOR.powf(t);

        // Auto makeup: power-weighted average gain of the stage.
        let gate = f64::from(db_to_gain(AUTO_MAKEUP_GATE_DB)).powi(2);
        if mean_square > gate && mean_square.is_finite() {
            let mix_t = f64::from(clamp_or(glue.mix_t, 0.0, 1.0, 1.0));
            let gain = 10f64.powf(-f64::from(gr_db) / 20.0);
            let stage_gain = mix_t * gain + (1.0 - mix_t);
            c.power_in += c.power_coef * (mean_square - c.power_in);
            c.power_out += c.power_coef * (mean_square * stage_gain * stage_gain - c.power_out);
            if c.power_out > 0.0 {
                let db = 10.0 * (c.power_in / c.power_out).log10();
                c.auto_makeup_db = (db as f32).clamp(0.0, MAX_AUTO_MAKEUP_DB);
            }
        }

        let release_changed = glue.auto_release && release_factor != c.release_factor;
        c.release_factor = release_factor;
        if release_changed {
            self.update_compressor();
        }
        if glue.auto_makeup {
            self.update_makeup();
        }
    }
}

/// The limiter's latency at its longest lookahead.
fn limiter_max_latency_samples(sample_rate_hz: f64) -> usize {
    limiter::lookahead_samples(limiter::MAX_LOOKAHEAD_MS, sample_rate_hz as f32) + TAPS - 2
}
