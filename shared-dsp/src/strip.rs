//! The Stem Strip's whole signal chain, shared by the plugin and the offline renderer so that a
//! stem rendered by `stemwise` sounds exactly like the plugin with the same settings.
//!
//! ```text
//! trim+polarity ─ EQ (high-pass, low shelf, 2 bells, high shelf) ─ compressor ─ saturation ─ output
//!                                                                  (1 or 3 bands)  (parallel, 4×)
//! ```
//!
//! Every stage is always in the signal path; a stage that is "off" runs at transparent
//! settings (conventions §7), so the latency is a pure function of the EQ phase mode and the
//! sample rate, and the default settings are bit-exact (after the latency):
//! - trim 0 dB / output 0 dB: the gain stages do no arithmetic;
//! - EQ gains 0 dB, high-pass off: the bands run `b = a` sections or none;
//! - single-band compressor off: its mix is 0 (bit-exact dry);
//! - multiband off: the crossover is not run at all (a crossfade covers switching it on/off);
//! - saturation off: its mix is 0 (bit-exact, delayed by its fixed 4× oversampling latency).

use crate::bypass::BypassMixer;
use crate::compressor::{Compressor, CompressorSettings};
use crate::eq::linear_phase;
use crate::eq::settings::{BandKind, BandSettings, EqSettings, PhaseMode, Slope};
use crate::eq::Eq;
use crate::gain::{GainSettings, GainStage};
use crate::multiband::{MultibandCompressor, MultibandSettings};
use crate::oversampling::OversamplingFactor;
use crate::saturation::{Saturation, SaturationSettings};

/// Index of each EQ band in [`EqSettings::bands`].
pub mod band_index {
    /// High-pass (vocal rumble, 20–300 Hz).
    pub const HIGH_PASS: usize = 0;
    /// Low shelf.
    pub const LOW_SHELF: usize = 1;
    /// First bell.
    pub const BELL_1: usize = 2;
    /// Second bell.
    pub const BELL_2: usize = 3;
    /// High shelf.
    pub const HIGH_SHELF: usize = 4;
}

/// Bias of the saturation curve: a little asymmetry, so the parallel saturation adds the even
/// harmonics that make a bass line read on small speakers.
pub const SATURATION_BIAS: f32 = 0.1;
/// Oversampling of the saturation (fixed, so the strip's latency never changes with it).
pub const SATURATION_OVERSAMPLING: OversamplingFactor = OversamplingFactor::X4;
/// Q of both shelves (Butterworth-like, no overshoot).
pub const SHELF_Q: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// How the compressor works when it is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompressorMode {
    /// One full-band compressor.
    #[default]
    Single,
    /// Three bands split by Linkwitz-Riley crossovers, each with its own threshold and ratio.
    Multiband,
}

/// Settings of the whole strip (set by the plugin from its parameters, by the CLI from a
/// session file).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StripSettings {
    /// Input trim and per-channel polarity.
    pub trim: GainSettings,
    /// High-pass, shelves and bells; see [`band_index`].
    pub eq: EqSettings,
    /// The compressor acts (off = transparent).
    pub compressor_on: bool,
    /// Single-band or multiband.
    pub compressor_mode: CompressorMode,
    /// Settings of the single-band compressor (its `mix_t` is the parallel mix).
    pub compressor: CompressorSettings,
    /// Settings of the multiband compressor.
    pub multiband: MultibandSettings,
    /// The parallel saturation acts (off = transparent).
    pub saturation_on: bool,
    /// Saturation drive, tone and mix (bias and oversampling are fixed by the strip).
    pub saturation: SaturationSettings,
    /// Output gain in dB.
    pub output_db: f32,
}

impl Default for StripSettings {
    fn default() -> Self {
        Self {
            trim: GainSettings::default(),
            eq: default_eq(),
            compressor_on: false,
            compressor_mode: CompressorMode::Single,
            compressor: CompressorSettings::default(),
            multiband: MultibandSettings::default(),
            saturation_on: false,
            saturation: SaturationSettings {
                bias: SATURATION_BIAS,
                oversampling: SATURATION_OVERSAMPLING,
                ..SaturationSettings::default()
            },
            output_db: 0.0,
        }
    }
}

/// The strip's EQ layout with every band flat.
fn default_eq() -> EqSettings {
    let band = |kind, freq_hz| BandSettings {
        kind,
        enabled: true,
        freq_hz,
        gain_db: 0.0,
        q: SHELF_Q,
        slope: Slope::Db12,
    };
    let mut eq = EqSettings::default();
    eq.bands[band_index::HIGH_PASS] = BandSettings {
        enabled: false,
        ..band(BandKind::HighPass, 80.0)
    };
    eq.bands[band_index::LOW_SHELF] = band(BandKind::LowShelf, 100.0);
    eq.bands[band_index::BELL_1] = BandSettings {
        q: 1.0,
        ..band(BandKind::Bell, 400.0)
    };
    eq.bands[band_index::BELL_2] = BandSettings {
        q: 1.0,
        ..band(BandKind::Bell, 3000.0)
    };
    eq.bands[band_index::HIGH_SHELF] = band(BandKind::HighShelf, 8000.0);
    eq.phase = PhaseMode::Minimum;
    eq
}

/// Gain reduction of the strip's compressor for meters, dB (positive = reduction).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StripReduction {
    /// Single-band compressor, or the largest of the three bands.
    pub overall_db: f32,
    /// Per band (low, mid, high) in multiband mode; zeros otherwise.
    pub bands_db: [f32; 3],
}

/// The strip's processors.
pub struct StripChain {
    /// Current settings.
    settings: StripSettings,
    /// Trim and polarity.
    trim: GainStage,
    /// The EQ.
    eq: Eq,
    /// Single-band compressor.
    compressor: Compressor,
    /// Multiband compressor.
    multiband: MultibandCompressor,
    /// Crossfades the multiband path in and out (latency 0).
    multiband_switch: BypassMixer,
    /// Parallel saturation.
    saturation: Saturation,
    /// Output gain.
    output: GainStage,
    /// The multiband compressor's state is clear and it is not running (fully switched off).
    multiband_resting: bool,
}

impl StripChain {
    /// Allocates every processor for blocks of up to `max_block` frames.
    pub fn new(sample_rate_hz: f64, max_block: usize, num_channels: usize) -> Self {
        let sample_rate_hz = crate::rate::clamp_hz(sample_rate_hz);
        let rate = sample_rate_hz as f32;
        let settings = StripSettings::default();
        let mut chain = Self {
            settings,
            trim: GainStage::new(rate, settings.trim),
            eq: Eq::new(sample_rate_hz, max_block, num_channels),
            compressor: Compressor::new(rate, max_block, num_channels),
            multiband: MultibandCompressor::new(rate, max_block, num_channels),
            multiband_switch: BypassMixer::new(rate, max_block, num_channels, 0),
            saturation: Saturation::new(rate, max_block, num_channels),
            output: GainStage::new(rate, GainSettings::default()),
            multiband_resting: false,
        };
        chain.apply(settings);
        chain.reset();
        chain
    }

    /// Sets new targets (never allocates).
    pub fn set_settings(&mut self, settings: StripSettings) {
        if settings != self.settings {
            self.apply(settings);
        }
    }

    /// Hands `settings` to every stage, with "off" stages at transparent settings.
    fn apply(&mut self, settings: StripSettings) {
        self.settings = settings;
        self.trim.set_settings(settings.trim);
        self.eq.set_settings(settings.eq);
        let single_on =
            settings.compressor_on && settings.compressor_mode == CompressorMode::Single;
        self.compressor.set_settings(CompressorSettings {
            mix_t: if single_on {
                settings.compressor.mix_t
            } else {
                0.0
            },
            ..settings.compressor
        });
        self.multiband.set_settings(settings.multiband);
        let multiband_on =
            settings.compressor_on && settings.compressor_mode == CompressorMode::Multiband;
        self.multiband_switch.set_bypassed(!multiband_on);
        self.saturation.set_settings(SaturationSettings {
            mix_t: if settings.saturation_on {
                settings.saturation.mix_t
            } else {
                0.0
            },
            bias: SATURATION_BIAS,
            oversampling: SATURATION_OVERSAMPLING,
            ..settings.saturation
        });
        self.output.set_settings(GainSettings {
            gain_db: settings.output_db,
            invert: [false; 2],
        });
    }

    /// Clears all state and jumps every smoother to its target (never allocates).
    pub fn reset(&mut self) {
        self.trim.reset();
        self.eq.reset();
        self.compressor.reset();
        self.multiband.reset();
        self.multiband_resting = false;
        self.multiband_switch.reset();
        self.saturation.reset();
        self.output.reset();
    }

    /// Latency in samples: the EQ's (0 in minimum phase) plus the saturation's oversampling.
    pub fn latency_samples(&self) -> usize {
        self.eq.latency_samples() + self.saturation.latency_samples()
    }

    /// The largest latency the strip can report at `sample_rate_hz` (linear-phase EQ), for
    /// sizing delay-compensation buffers.
    pub fn max_latency_samples(sample_rate_hz: f64) -> usize {
        linear_phase::BASE_LATENCY_SAMPLES * linear_phase::fir_scale(sample_rate_hz)
            + SATURATION_OVERSAMPLING.latency_samples()
    }

    /// The settings last applied.
    pub fn settings(&self) -> &StripSettings {
        &self.settings
    }

    /// The EQ, for its `response()` (GUI curve, tests).
    pub fn eq(&self) -> &Eq {
        &self.eq
    }

    /// Current gain reduction for meters.
    pub fn reduction(&self) -> StripReduction {
        match self.settings.compressor_mode {
            CompressorMode::Single => StripReduction {
                overall_db: self.compressor.gain_reduction_db(),
                bands_db: [0.0; 3],
            },
            CompressorMode::Multiband => {
                let bands_db = self.multiband.gain_reduction_db();
                StripReduction {
                    overall_db: bands_db.iter().copied().fold(0.0, f32::max),
                    bands_db,
                }
            }
        }
    }

    /// Processes one block in place (at most `max_block` frames, 1 or 2 channels).
    pub fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        self.trim.process_block(channels);
        self.eq.process_block(channels);
        self.compressor.process_block(channels);
        if self.multiband_switch.is_processing_audible() {
            self.multiband_resting = false;
            self.multiband_switch.capture_dry(channels);
            self.multiband.process_block(channels);
            self.multiband_switch.mix(channels);
        } else if !self.multiband_resting {
            // Fully off: clear it once, so it starts clean when switched on again.
            self.multiband.reset();
            self.multiband_resting = true;
        }
        self.saturation.process_block(channels);
        self.output.process_block(channels);
    }
}
