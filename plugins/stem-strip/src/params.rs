//! Stem Strip parameters, built from the table in `shared_dsp::params::strip` (ids, names,
//! ranges, defaults, lanes and practice ranges are declared there, once).

use nice_plug::params::internals::ParamPtr;
use nice_plug::prelude::*;
use plugin_common::host_params;
use plugin_common::param_kit::{ChoiceParam, ChoiceValue, FromTable};
pub use plugin_common::param_kit::{EqBandParams, EQ_RANGE_DB};
use session_link::{Stages, Warnings};
use shared_dsp::eq::settings::PhaseMode;
use shared_dsp::params::choice::{CompressorModes, Detectors, PhaseModes, Roles, StripSlopes};
use shared_dsp::params::strip::{strip_settings, StripParam};
use shared_dsp::params::{ParamIndex, ParamSpec};
use shared_dsp::strip::{CompressorMode, StripSettings};
use std::sync::RwLock;

/// One multiband band's parameters (attack, release, knee and detector are shared): two table
/// entries, threshold and ratio.
pub struct MultibandBandParams {
    /// Threshold, dBFS. Lane (b).
    pub threshold_db: FloatParam,
    /// Ratio (1–10). Lane (b).
    pub ratio: FloatParam,
}

impl FromTable for MultibandBandParams {
    const LEN: usize = 2;

    fn build(specs: &[ParamSpec]) -> Self {
        Self {
            threshold_db: FloatParam::build(&specs[0..]),
            ratio: FloatParam::build(&specs[1..]),
        }
    }

    fn ptrs(&self, out: &mut Vec<ParamPtr>) {
        out.extend([self.threshold_db.as_ptr(), self.ratio.as_ptr()]);
    }

    fn read(&self, out: &mut [f32]) {
        out[..2].copy_from_slice(&[self.threshold_db.value(), self.ratio.value()]);
    }
}

host_params! {
    /// The Stem Strip's host parameters, one field per [`StripParam`] entry (lanes and ranges
    /// are documented there).
    pub struct StripHostParams: StripParam {
        /// What the stem carries.
        pub role: ChoiceParam<Roles> = Role,
        /// Input trim, dB.
        pub trim_db: FloatParam = Trim,
        /// Invert the left (or mono) channel.
        pub invert_left: BoolParam = InvertLeft,
        /// Invert the right channel.
        pub invert_right: BoolParam = InvertRight,
        /// High-pass on.
        pub high_pass_on: BoolParam = HighPassOn,
        /// High-pass corner, Hz.
        pub high_pass_hz: FloatParam = HighPassHz,
        /// High-pass steepness.
        pub high_pass_slope: ChoiceParam<StripSlopes> = HighPassSlope,
        /// Low shelf.
        pub low_shelf: EqBandParams = LowShelfGain,
        /// First bell.
        pub bell_1: EqBandParams = Bell1Gain,
        /// Second bell.
        pub bell_2: EqBandParams = Bell2Gain,
        /// High shelf.
        pub high_shelf: EqBandParams = HighShelfGain,
        /// Minimum or linear phase.
        pub eq_phase: ChoiceParam<PhaseModes> = EqPhase,
        /// Compressor on.
        pub compressor_on: BoolParam = CompressorOn,
        /// Single-band or 3-band.
        pub compressor_mode: ChoiceParam<CompressorModes> = CompressorMode,
        /// Ratio.
        pub ratio: FloatParam = Ratio,
        /// Threshold, dBFS.
        pub threshold_db: FloatParam = Threshold,
        /// Knee width, dB.
        pub knee_db: FloatParam = Knee,
        /// Attack, ms.
        pub attack_ms: FloatParam = Attack,
        /// Release, ms.
        pub release_ms: FloatParam = Release,
        /// Peak or RMS detection.
        pub detector: ChoiceParam<Detectors> = Detector,
        /// Stereo link, 0…1.
        pub link_t: FloatParam = Link,
        /// Sidechain high-pass corner, Hz.
        pub sidechain_hpf_hz: FloatParam = SidechainHpf,
        /// Parallel-compression mix, 0…1.
        pub compressor_mix_t: FloatParam = CompressorMix,
        /// Makeup gain, dB.
        pub makeup_db: FloatParam = Makeup,
        /// Low/mid crossover, Hz.
        pub crossover_low_hz: FloatParam = CrossoverLow,
        /// Mid/high crossover, Hz.
        pub crossover_high_hz: FloatParam = CrossoverHigh,
        /// Low band of the 3-band mode.
        pub band_low: MultibandBandParams = LowBandThreshold,
        /// Mid band of the 3-band mode.
        pub band_mid: MultibandBandParams = MidBandThreshold,
        /// High band of the 3-band mode.
        pub band_high: MultibandBandParams = HighBandThreshold,
        /// Parallel saturation on.
        pub saturation_on: BoolParam = SaturationOn,
        /// Drive into the curve, dB.
        pub saturation_drive_db: FloatParam = SaturationDrive,
        /// Tone, Hz.
        pub saturation_tone_hz: FloatParam = SaturationTone,
        /// Saturation mix, 0…1.
        pub saturation_mix_t: FloatParam = SaturationMix,
        /// Output gain, dB.
        pub output_db: FloatParam = Output,
        /// Host bypass.
        pub bypass: BoolParam = Bypass,
    }
}

/// All host-visible parameters of the Stem Strip and its persisted fields.
#[derive(Params)]
pub struct StemStripParams {
    /// The table's parameters (reached through `Deref`: `params.trim_db`).
    #[nested]
    pub host: StripHostParams,
    /// The CLAP id of this plugin, saved with the state so that a state from the other
    /// Stemwise plugin is recognised and ignored (see `plugin_common::identity`).
    #[persist = "plugin"]
    pub identity: std::sync::RwLock<String>,
    /// The user presets, saved with the host project.
    #[persist = "presets"]
    pub presets: plugin_common::presets::PresetBank,
    /// The session-link session this strip joins (default "default"; the Master Bus of the same
    /// session lists it). Set in the editor; takes effect at once (editor) or on activation.
    #[persist = "session"]
    pub session_name: RwLock<String>,
    /// The name the strip shows in the Master Bus's session panel; empty = the host's track
    /// name (CLAP track-info / VST3 channel context), else "Stem Strip". Set in the editor.
    #[persist = "display_name"]
    pub display_name: RwLock<String>,
}

impl std::ops::Deref for StemStripParams {
    type Target = StripHostParams;

    fn deref(&self) -> &StripHostParams {
        &self.host
    }
}

impl Default for StemStripParams {
    fn default() -> Self {
        Self {
            host: StripHostParams::from_table(),
            identity: plugin_common::identity::identity(crate::CLAP_ID),
            presets: Default::default(),
            session_name: RwLock::new(session_link::DEFAULT_SESSION.to_owned()),
            display_name: RwLock::new(String::new()),
        }
    }
}

/// True when `param`'s current value is beyond its practice range.
fn beyond(param: StripParam, value: f32) -> bool {
    param.spec().beyond_practice(value)
}

impl StemStripParams {
    /// The whole strip's settings for the current parameter values (cheap; never allocates).
    pub fn strip_settings(&self) -> StripSettings {
        strip_settings(&self.values())
    }

    /// The guardrail warnings the current settings trip, as flags (allocation-free: the audio
    /// thread publishes them to the session link).
    pub fn warning_flags(&self) -> Warnings {
        let eq_beyond = [
            (StripParam::LowShelfGain, &self.low_shelf),
            (StripParam::Bell1Gain, &self.bell_1),
            (StripParam::Bell2Gain, &self.bell_2),
            (StripParam::HighShelfGain, &self.high_shelf),
        ]
        .iter()
        .any(|(param, band)| beyond(*param, band.gain_db.value()));
        Warnings::NONE
            .with(
                Warnings::TRIM,
                beyond(StripParam::Trim, self.trim_db.value()),
            )
            .with(
                Warnings::RATIO,
                self.compressor_on.value() && self.ratio_beyond_practice(),
            )
            .with(Warnings::EQ, eq_beyond)
            .with(
                Warnings::POLARITY,
                self.invert_left.value() || self.invert_right.value(),
            )
    }

    /// The guardrail warnings the current settings trip (for the GUI).
    pub fn warnings(&self) -> Vec<&'static str> {
        let flags = self.warning_flags();
        [
            (
                Warnings::TRIM,
                "Trim beyond ±3 dB: this balance problem belongs in the mix",
            ),
            (
                Warnings::RATIO,
                "Ratio above 3:1: heavy compression belongs in the mix",
            ),
            (
                Warnings::EQ,
                "EQ beyond the gentle range (bells ±3 dB, shelves ±2 dB)",
            ),
            (
                Warnings::POLARITY,
                "Polarity inverted: the stems will not null against the mix",
            ),
        ]
        .into_iter()
        .filter(|&(flag, _)| flags.contains(flag))
        .map(|(_, text)| text)
        .collect()
    }

    /// The processing stages that are on (allocation-free).
    pub fn stages(&self) -> Stages {
        let compressor_on = self.compressor_on.value();
        let eq_moves = [
            &self.low_shelf,
            &self.bell_1,
            &self.bell_2,
            &self.high_shelf,
        ]
        .iter()
        .any(|b| b.gain_db.value() != 0.0);
        Stages::NONE
            .with(Stages::HIGH_PASS, self.high_pass_on.value())
            .with(Stages::EQ, eq_moves)
            .with(
                Stages::LINEAR_PHASE,
                self.eq_phase.choice() == PhaseMode::Linear,
            )
            .with(Stages::COMPRESSOR, compressor_on)
            .with(
                Stages::MULTIBAND,
                compressor_on && self.compressor_mode.choice() == CompressorMode::Multiband,
            )
            .with(Stages::SATURATION, self.saturation_on.value())
    }

    /// True when a ratio in use (single-band, or any band of the 3-band mode) is beyond
    /// practice.
    fn ratio_beyond_practice(&self) -> bool {
        match self.compressor_mode.choice() {
            CompressorMode::Single => beyond(StripParam::Ratio, self.ratio.value()),
            CompressorMode::Multiband => [
                (StripParam::LowBandRatio, &self.band_low),
                (StripParam::MidBandRatio, &self.band_mid),
                (StripParam::HighBandRatio, &self.band_high),
            ]
            .iter()
            .any(|(param, band)| beyond(*param, band.ratio.value())),
        }
    }
}
