//! Stem Strip parameters. IDs are frozen forever: renaming one breaks saved projects.
//!
//! Smoothing happens in shared-dsp (conventions §5), so no parameter has a nice-plug smoother:
//! gains and mixes are lane (a) (per-sample ramps), EQ frequency/gain/Q and compressor
//! settings lane (b) (coefficients), the EQ phase mode lane (c) (structural: latency).

use nice_plug::prelude::*;
use plugin_common::param_kit::{
    db_param, hz_param, labelled_switch, ms_param, percent_param, ratio_param,
};
pub use plugin_common::param_kit::{EqBandParams, PhaseChoice, EQ_RANGE_DB};
use session_link::{Stages, Warnings};
use shared_dsp::compressor::{CompressorSettings, Detector};
use shared_dsp::eq::settings::Slope;
use shared_dsp::gain::GainSettings;
use shared_dsp::multiband::MultibandSettings;
use shared_dsp::roles::Role;
use shared_dsp::saturation::SaturationSettings;
use shared_dsp::strip::{band_index, CompressorMode, StripSettings};
use std::sync::RwLock;

/// Highest compressor ratio (the GUI warns above [`RATIO_WARN`]).
pub const MAX_RATIO: f32 = 10.0;
/// Trim range either side of 0 dB.
pub const TRIM_RANGE_DB: f32 = 12.0;
/// Beyond this much trim the balance problem belongs in the mix (the GUI warns).
pub const TRIM_WARN_DB: f32 = 3.0;
/// Bells beyond this are outside stem-mastering practice (shaded, warned).
pub const BELL_GENTLE_DB: f32 = 3.0;
/// Shelves beyond this are outside stem-mastering practice (shaded, warned).
pub const SHELF_GENTLE_DB: f32 = 2.0;
/// Ratios above this belong in the mix (warned).
pub const RATIO_WARN: f32 = 3.0;
/// The gentle Q range (shaded).
pub const GENTLE_Q: std::ops::RangeInclusive<f32> = 0.5..=2.0;

/// The role selector's choices (mirrors [`shared_dsp::roles::Role`]).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleChoice {
    #[id = "drums"]
    Drums,
    #[id = "bass"]
    Bass,
    #[id = "keys"]
    #[name = "Keys / Instruments"]
    Keys,
    #[id = "vocals"]
    Vocals,
    #[id = "sub"]
    Sub,
    #[id = "fx"]
    #[name = "FX / Ambience"]
    Fx,
    #[id = "dialogue"]
    Dialogue,
    #[id = "music"]
    Music,
    #[id = "effects"]
    Effects,
    #[id = "other"]
    Other,
}

impl RoleChoice {
    /// The shared-dsp role.
    pub fn role(self) -> Role {
        match self {
            Self::Drums => Role::Drums,
            Self::Bass => Role::Bass,
            Self::Keys => Role::Keys,
            Self::Vocals => Role::Vocals,
            Self::Sub => Role::Sub,
            Self::Fx => Role::Fx,
            Self::Dialogue => Role::Dialogue,
            Self::Music => Role::Music,
            Self::Effects => Role::Effects,
            Self::Other => Role::Other,
        }
    }
}

/// High-pass steepness choices.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum HighPassSlope {
    #[id = "12"]
    #[name = "12 dB/oct"]
    Db12,
    #[id = "24"]
    #[name = "24 dB/oct"]
    Db24,
}

/// Compressor mode choices.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeChoice {
    #[id = "single"]
    #[name = "Single band"]
    Single,
    #[id = "multi"]
    #[name = "3-band"]
    Multiband,
}

/// Detector choices.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectorChoice {
    #[id = "peak"]
    Peak,
    #[id = "rms"]
    #[name = "RMS"]
    Rms,
}

/// One multiband band's parameters (attack, release, knee and detector are shared).
#[derive(Params)]
pub struct MultibandBandParams {
    /// Threshold, dBFS. Lane (b).
    #[id = "thr"]
    pub threshold_db: FloatParam,
    /// Ratio (1–10). Lane (b).
    #[id = "ratio"]
    pub ratio: FloatParam,
}

/// All host-visible parameters of the Stem Strip.
#[derive(Params)]
pub struct StemStripParams {
    /// What the stem carries; the editor loads the role's defaults when the user picks one.
    #[id = "role"]
    pub role: EnumParam<RoleChoice>,
    /// Input trim in dB, −12…+12, 0.01 dB steps. Lane (a).
    #[id = "trim"]
    pub trim_db: FloatParam,
    /// Invert the polarity of the left (or mono) channel. Lane (a): 20 ms crossfade.
    #[id = "inv_l"]
    pub invert_left: BoolParam,
    /// Invert the polarity of the right channel. Lane (a): 20 ms crossfade.
    #[id = "inv_r"]
    pub invert_right: BoolParam,

    /// High-pass on. Crossfaded.
    #[id = "hp_on"]
    pub high_pass_on: BoolParam,
    /// High-pass corner, Hz (20–300). Lane (b).
    #[id = "hp_freq"]
    pub high_pass_hz: FloatParam,
    /// High-pass steepness. Structural (resets that band).
    #[id = "hp_slope"]
    pub high_pass_slope: EnumParam<HighPassSlope>,
    /// Low shelf.
    #[nested(id_prefix = "ls", group = "Low Shelf")]
    pub low_shelf: EqBandParams,
    /// First bell.
    #[nested(id_prefix = "b1", group = "Bell 1")]
    pub bell_1: EqBandParams,
    /// Second bell.
    #[nested(id_prefix = "b2", group = "Bell 2")]
    pub bell_2: EqBandParams,
    /// High shelf.
    #[nested(id_prefix = "hs", group = "High Shelf")]
    pub high_shelf: EqBandParams,
    /// Minimum or linear phase. Lane (c): changes the latency (the host is asked to restart).
    #[id = "eq_phase"]
    pub eq_phase: EnumParam<PhaseChoice>,

    /// Compressor on (off = transparent). Crossfaded through the compressor's mix.
    #[id = "comp_on"]
    pub compressor_on: BoolParam,
    /// Single-band or 3-band.
    #[id = "comp_mode"]
    pub compressor_mode: EnumParam<ModeChoice>,
    /// Ratio (1–10, default 1.5; the GUI warns above 3:1). Lane (b).
    #[id = "ratio"]
    pub ratio: FloatParam,
    /// Threshold, dBFS (−40…0). Lane (b).
    #[id = "thresh"]
    pub threshold_db: FloatParam,
    /// Knee width, dB (0–12). Lane (b).
    #[id = "knee"]
    pub knee_db: FloatParam,
    /// Attack time constant, ms (0.1–100). Lane (b).
    #[id = "attack"]
    pub attack_ms: FloatParam,
    /// Release time constant, ms (10–1000). Lane (b).
    #[id = "release"]
    pub release_ms: FloatParam,
    /// Peak or RMS detection. Lane (b).
    #[id = "detector"]
    pub detector: EnumParam<DetectorChoice>,
    /// Stereo link, 0–100 %. Lane (b).
    #[id = "link"]
    pub link_t: FloatParam,
    /// Sidechain high-pass corner, Hz (20–300). Lane (b).
    #[id = "sc_hpf"]
    pub sidechain_hpf_hz: FloatParam,
    /// Parallel-compression mix, 0–100 %. Lane (a).
    #[id = "comp_mix"]
    pub compressor_mix_t: FloatParam,
    /// Makeup gain, dB (0–12). Lane (a).
    #[id = "makeup"]
    pub makeup_db: FloatParam,
    /// Low/mid crossover, Hz (40–1000). Lane (b).
    #[id = "xo_low"]
    pub crossover_low_hz: FloatParam,
    /// Mid/high crossover, Hz (500–16 000). Lane (b).
    #[id = "xo_high"]
    pub crossover_high_hz: FloatParam,
    /// Low band of the 3-band mode.
    #[nested(id_prefix = "mb_lo", group = "Low Band")]
    pub band_low: MultibandBandParams,
    /// Mid band of the 3-band mode.
    #[nested(id_prefix = "mb_mid", group = "Mid Band")]
    pub band_mid: MultibandBandParams,
    /// High band of the 3-band mode.
    #[nested(id_prefix = "mb_hi", group = "High Band")]
    pub band_high: MultibandBandParams,

    /// Parallel saturation on (off = transparent). Crossfaded through its mix.
    #[id = "sat_on"]
    pub saturation_on: BoolParam,
    /// Drive into the curve, dB (0–24). Lane (a).
    #[id = "sat_drive"]
    pub saturation_drive_db: FloatParam,
    /// Tone: low-pass of the saturated path, Hz (1–20 kHz). Lane (b).
    #[id = "sat_tone"]
    pub saturation_tone_hz: FloatParam,
    /// Parallel mix of the saturated path, 0–100 %. Lane (a).
    #[id = "sat_mix"]
    pub saturation_mix_t: FloatParam,

    /// Output gain, dB (±12). Lane (a).
    #[id = "out"]
    pub output_db: FloatParam,
    /// Host bypass: crossfades to the latency-compensated dry signal (10 ms).
    #[id = "bypass"]
    pub bypass: BoolParam,
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

impl MultibandBandParams {
    /// A band at `threshold_db` and ratio 1.5; names start with `name`.
    fn new(name: &str, threshold_db: f32) -> Self {
        Self {
            threshold_db: db_param(&format!("{name} Threshold"), threshold_db, -40.0, 0.0),
            ratio: ratio_param(&format!("{name} Ratio"), 1.5, MAX_RATIO),
        }
    }

    /// This band's compressor settings on top of the shared ones.
    fn settings(&self, shared: CompressorSettings) -> CompressorSettings {
        CompressorSettings {
            threshold_db: self.threshold_db.value(),
            ratio: self.ratio.value(),
            ..shared
        }
    }
}

impl Default for StemStripParams {
    fn default() -> Self {
        Self {
            role: EnumParam::new("Role", RoleChoice::Other),
            trim_db: db_param("Trim", 0.0, -TRIM_RANGE_DB, TRIM_RANGE_DB),
            invert_left: labelled_switch("Polarity L", false, "Normal", "Inverted"),
            invert_right: labelled_switch("Polarity R", false, "Normal", "Inverted"),
            high_pass_on: BoolParam::new("High-Pass", false),
            high_pass_hz: hz_param("High-Pass Frequency", 80.0, 20.0, 300.0),
            high_pass_slope: EnumParam::new("High-Pass Slope", HighPassSlope::Db12),
            low_shelf: EqBandParams::new("Low Shelf", 100.0, 0.707),
            bell_1: EqBandParams::new("Bell 1", 400.0, 1.0),
            bell_2: EqBandParams::new("Bell 2", 3000.0, 1.0),
            high_shelf: EqBandParams::new("High Shelf", 8000.0, 0.707),
            eq_phase: EnumParam::new("EQ Phase", PhaseChoice::Minimum),
            compressor_on: BoolParam::new("Compressor", false),
            compressor_mode: EnumParam::new("Compressor Mode", ModeChoice::Single),
            ratio: ratio_param("Ratio", 1.5, MAX_RATIO),
            threshold_db: db_param("Threshold", -18.0, -40.0, 0.0),
            knee_db: db_param("Knee", 6.0, 0.0, 12.0),
            attack_ms: ms_param("Attack", 20.0, 0.1, 100.0),
            release_ms: ms_param("Release", 140.0, 10.0, 1000.0),
            detector: EnumParam::new("Detector", DetectorChoice::Rms),
            link_t: percent_param("Stereo Link", 1.0),
            sidechain_hpf_hz: hz_param("Sidechain High-Pass", 20.0, 20.0, 300.0),
            compressor_mix_t: percent_param("Compressor Mix", 1.0),
            makeup_db: db_param("Makeup", 0.0, 0.0, 12.0),
            crossover_low_hz: hz_param("Crossover Low", 150.0, 40.0, 1000.0),
            crossover_high_hz: hz_param("Crossover High", 2500.0, 500.0, 16_000.0),
            band_low: MultibandBandParams::new("Low Band", -18.0),
            band_mid: MultibandBandParams::new("Mid Band", -18.0),
            band_high: MultibandBandParams::new("High Band", -18.0),
            saturation_on: BoolParam::new("Saturation", false),
            saturation_drive_db: db_param("Drive", 6.0, 0.0, 24.0),
            saturation_tone_hz: hz_param("Tone", 8000.0, 1000.0, 20_000.0),
            saturation_mix_t: percent_param("Saturation Mix", 0.2),
            output_db: db_param("Output", 0.0, -TRIM_RANGE_DB, TRIM_RANGE_DB),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
            identity: plugin_common::identity::identity(crate::CLAP_ID),
            presets: Default::default(),
            session_name: RwLock::new(session_link::DEFAULT_SESSION.to_owned()),
            display_name: RwLock::new(String::new()),
        }
    }
}

impl StemStripParams {
    /// The whole strip's settings for the current parameter values (cheap; never allocates).
    pub fn strip_settings(&self) -> StripSettings {
        let mut s = StripSettings {
            trim: GainSettings {
                gain_db: self.trim_db.value(),
                invert: [self.invert_left.value(), self.invert_right.value()],
            },
            compressor_on: self.compressor_on.value(),
            compressor_mode: match self.compressor_mode.value() {
                ModeChoice::Single => CompressorMode::Single,
                ModeChoice::Multiband => CompressorMode::Multiband,
            },
            saturation_on: self.saturation_on.value(),
            output_db: self.output_db.value(),
            ..StripSettings::default()
        };
        let bands = &mut s.eq.bands;
        let hp = &mut bands[band_index::HIGH_PASS];
        hp.enabled = self.high_pass_on.value();
        hp.freq_hz = self.high_pass_hz.value();
        hp.slope = match self.high_pass_slope.value() {
            HighPassSlope::Db12 => Slope::Db12,
            HighPassSlope::Db24 => Slope::Db24,
        };
        for (index, band) in [
            (band_index::LOW_SHELF, &self.low_shelf),
            (band_index::BELL_1, &self.bell_1),
            (band_index::BELL_2, &self.bell_2),
            (band_index::HIGH_SHELF, &self.high_shelf),
        ] {
            band.apply_to(&mut bands[index]);
        }
        s.eq.phase = self.eq_phase.value().phase_mode();
        s.compressor = CompressorSettings {
            threshold_db: self.threshold_db.value(),
            ratio: self.ratio.value(),
            knee_db: self.knee_db.value(),
            attack_ms: self.attack_ms.value(),
            release_ms: self.release_ms.value(),
            detector: match self.detector.value() {
                DetectorChoice::Peak => Detector::Peak,
                DetectorChoice::Rms => Detector::Rms,
            },
            stereo_link_t: self.link_t.value(),
            sidechain_hpf_hz: Some(self.sidechain_hpf_hz.value()),
            makeup_db: self.makeup_db.value(),
            mix_t: self.compressor_mix_t.value(),
        };
        s.multiband = MultibandSettings {
            low_hz: self.crossover_low_hz.value(),
            high_hz: self.crossover_high_hz.value(),
            bands: [
                self.band_low.settings(s.compressor),
                self.band_mid.settings(s.compressor),
                self.band_high.settings(s.compressor),
            ],
        };
        s.saturation = SaturationSettings {
            drive_db: self.saturation_drive_db.value(),
            tone_hz: Some(self.saturation_tone_hz.value()),
            mix_t: self.saturation_mix_t.value(),
            ..s.saturation
        };
        s
    }

    /// The guardrail warnings the current settings trip, as flags (allocation-free: the audio
    /// thread publishes them to the session link).
    pub fn warning_flags(&self) -> Warnings {
        let bells = [&self.bell_1, &self.bell_2];
        let shelves = [&self.low_shelf, &self.high_shelf];
        let eq_beyond = bells
            .iter()
            .any(|b| b.gain_db.value().abs() > BELL_GENTLE_DB)
            || shelves
                .iter()
                .any(|b| b.gain_db.value().abs() > SHELF_GENTLE_DB);
        Warnings::NONE
            .with(Warnings::TRIM, self.trim_db.value().abs() > TRIM_WARN_DB)
            .with(
                Warnings::RATIO,
                self.compressor_on.value() && self.max_ratio() > RATIO_WARN,
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
                self.eq_phase.value() == PhaseChoice::Linear,
            )
            .with(Stages::COMPRESSOR, compressor_on)
            .with(
                Stages::MULTIBAND,
                compressor_on && self.compressor_mode.value() == ModeChoice::Multiband,
            )
            .with(Stages::SATURATION, self.saturation_on.value())
    }

    /// The largest ratio in use (single-band or any band of the 3-band mode).
    fn max_ratio(&self) -> f32 {
        match self.compressor_mode.value() {
            ModeChoice::Single => self.ratio.value(),
            ModeChoice::Multiband => [&self.band_low, &self.band_mid, &self.band_high]
                .iter()
                .map(|b| b.ratio.value())
                .fold(1.0, f32::max),
        }
    }
}
