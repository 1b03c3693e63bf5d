//! Master Bus parameters. IDs are frozen forever: renaming one breaks saved projects.
//!
//! Smoothing happens in shared-dsp (conventions §5): gains and mixes are lane (a) (per-sample
//! ramps), EQ and dynamics settings lane (b) (coefficients), the EQ phase mode and the
//! limiter lookahead lane (c) (structural: they change the latency, reported once per change).

use crate::meters::SavedReadings;
use crate::session::SessionLink;
use nice_plug::prelude::*;
pub use plugin_common::param_kit::PhaseChoice;
use plugin_common::param_kit::{
    db_param, hz_param, labelled_switch, ms_param, percent_param, ratio_param, EqBandParams,
};
use shared_dsp::eq::settings::Slope;
use shared_dsp::limiter::LimiterSettings;
use shared_dsp::master::{
    band_index, default_eq, GlueSettings, MasterSettings, CEILING_BROADCAST_DBTP,
    CEILING_STREAMING_DBTP, CEILING_VINYL_DBTP, GLUE_KNEE_DB, MAX_GLUE_RATIO,
};
use shared_dsp::targets::{target_by_id, DeliveryTarget};
use std::sync::Arc;

/// Input and output gain range either side of 0 dB.
pub const GAIN_RANGE_DB: f32 = 24.0;
/// Bus EQ moves beyond this are outside mastering practice (shaded, warned).
pub const BUS_EQ_PRACTICE_DB: f32 = 3.0;
/// Glue attack times mastering engineers use, ms (shaded).
pub const GLUE_ATTACK_PRACTICE_MS: std::ops::RangeInclusive<f32> = 30.0..=60.0;
/// Glue release times mastering engineers use, ms (shaded).
pub const GLUE_RELEASE_PRACTICE_MS: std::ops::RangeInclusive<f32> = 100.0..=300.0;
/// Sidechain high-pass setting that means "off", Hz (the bottom of its range).
pub const SIDECHAIN_OFF_HZ: f32 = 20.0;
/// Limiting beyond this suggests the stem balance, not the limiter, should make the loudness.
pub const LIMITING_ADVICE_DB: f32 = 2.0;

/// High-/low-pass steepness choices of the bus EQ.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassSlope {
    #[id = "12"]
    #[name = "12 dB/oct"]
    Db12,
    #[id = "24"]
    #[name = "24 dB/oct"]
    Db24,
    #[id = "48"]
    #[name = "48 dB/oct"]
    Db48,
}

impl PassSlope {
    /// The shared-dsp slope.
    pub fn slope(self) -> Slope {
        match self {
            Self::Db12 => Slope::Db12,
            Self::Db24 => Slope::Db24,
            Self::Db48 => Slope::Db48,
        }
    }
}

/// Limiter ceiling presets; `Custom` uses the "Ceiling" parameter.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeilingChoice {
    #[id = "streaming"]
    #[name = "Streaming −1.0 dBTP"]
    Streaming,
    #[id = "vinyl"]
    #[name = "Vinyl −0.5 dBTP"]
    Vinyl,
    #[id = "broadcast"]
    #[name = "Broadcast −2.0 dBTP"]
    Broadcast,
    #[id = "custom"]
    Custom,
}

/// Delivery target choices (ids equal `shared_dsp::targets` ids); `Custom` uses the two
/// custom-target parameters.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetChoice {
    #[id = "spotify"]
    Spotify,
    #[id = "apple-music"]
    #[name = "Apple Music"]
    AppleMusic,
    #[id = "tidal"]
    Tidal,
    #[id = "youtube"]
    #[name = "YouTube"]
    YouTube,
    #[id = "amazon-music"]
    #[name = "Amazon Music"]
    AmazonMusic,
    #[id = "deezer"]
    Deezer,
    #[id = "aes-td1008"]
    #[name = "AES TD1008"]
    AesTd1008,
    #[id = "ebu-r128"]
    #[name = "EBU R128"]
    EbuR128,
    #[id = "atsc-a85"]
    #[name = "ATSC A/85"]
    AtscA85,
    #[id = "netflix"]
    Netflix,
    #[id = "custom"]
    Custom,
}

/// All host-visible parameters of the Master Bus.
#[derive(Params)]
pub struct MasterBusParams {
    /// Gain into the chain in dB, ±24. Lane (a).
    #[id = "in_gain"]
    pub input_gain_db: FloatParam,

    /// High-pass on. Crossfaded.
    #[id = "hp_on"]
    pub high_pass_on: BoolParam,
    /// High-pass corner, Hz (10–300). Lane (b).
    #[id = "hp_freq"]
    pub high_pass_hz: FloatParam,
    /// High-pass steepness. Structural (resets that band).
    #[id = "hp_slope"]
    pub high_pass_slope: EnumParam<PassSlope>,
    /// Low shelf.
    #[nested(id_prefix = "ls", group = "Low Shelf")]
    pub low_shelf: EqBandParams,
    /// First bell.
    #[nested(id_prefix = "b1", group = "Bell 1")]
    pub bell_1: EqBandParams,
    /// Second bell.
    #[nested(id_prefix = "b2", group = "Bell 2")]
    pub bell_2: EqBandParams,
    /// Third bell.
    #[nested(id_prefix = "b3", group = "Bell 3")]
    pub bell_3: EqBandParams,
    /// High shelf.
    #[nested(id_prefix = "hs", group = "High Shelf")]
    pub high_shelf: EqBandParams,
    /// Low-pass on. Crossfaded.
    #[id = "lp_on"]
    pub low_pass_on: BoolParam,
    /// Low-pass corner, Hz (5–22 kHz). Lane (b).
    #[id = "lp_freq"]
    pub low_pass_hz: FloatParam,
    /// Low-pass steepness. Structural.
    #[id = "lp_slope"]
    pub low_pass_slope: EnumParam<PassSlope>,
    /// Minimum or linear phase. Lane (c): changes the latency.
    #[id = "eq_phase"]
    pub eq_phase: EnumParam<PhaseChoice>,

    /// Glue compressor on (off = transparent, crossfaded through its mix).
    #[id = "glue_on"]
    pub glue_on: BoolParam,
    /// Ratio 1–4 (default 1.5). Lane (b).
    #[id = "glue_ratio"]
    pub glue_ratio: FloatParam,
    /// Threshold, dBFS (−40…0). Lane (b).
    #[id = "glue_thresh"]
    pub glue_threshold_db: FloatParam,
    /// Knee width, dB (0–12). Lane (b).
    #[id = "glue_knee"]
    pub glue_knee_db: FloatParam,
    /// Attack, ms (0.1–100; practice 30–60). Lane (b).
    #[id = "glue_attack"]
    pub glue_attack_ms: FloatParam,
    /// Release, ms (50–1000; practice 100–300). Lane (b).
    #[id = "glue_release"]
    pub glue_release_ms: FloatParam,
    /// Program-dependent release around the release time. Lane (b).
    #[id = "glue_auto_rel"]
    pub glue_auto_release: BoolParam,
    /// Sidechain high-pass, Hz (20 = off … 300). Lane (b).
    #[id = "glue_sc_hpf"]
    pub glue_sidechain_hpf_hz: FloatParam,
    /// Stereo link, 0–100 %. Lane (b).
    #[id = "glue_link"]
    pub glue_link_t: FloatParam,
    /// Parallel mix, 0–100 %. Lane (a).
    #[id = "glue_mix"]
    pub glue_mix_t: FloatParam,
    /// Makeup, dB (−12…+12). Lane (a).
    #[id = "glue_makeup"]
    pub glue_makeup_db: FloatParam,
    /// Equal-loudness auto makeup (switching the compressor in does not just sound louder).
    #[id = "glue_auto_mk"]
    pub glue_auto_makeup: BoolParam,

    /// True-peak limiter on (off = delay-matched, crossfaded; latency unchanged). Off by
    /// default, so that inserting the plugin leaves the stems' sum bit-exact.
    #[id = "lim_on"]
    pub limiter_on: BoolParam,
    /// Ceiling preset: streaming −1, vinyl −0.5, broadcast −2 dBTP, or custom.
    #[id = "lim_ceil_mode"]
    pub ceiling_preset: EnumParam<CeilingChoice>,
    /// Custom ceiling, dBTP (−6…0), used when the preset is Custom. Lane (b).
    #[id = "lim_ceiling"]
    pub custom_ceiling_dbtp: FloatParam,
    /// Drive into the limiter, dB (0…+24). Lane (a).
    #[id = "lim_drive"]
    pub limiter_drive_db: FloatParam,
    /// Release, ms (1–1000). Lane (b).
    #[id = "lim_release"]
    pub limiter_release_ms: FloatParam,
    /// Program-dependent release. Lane (b).
    #[id = "lim_auto_rel"]
    pub limiter_auto_release: BoolParam,
    /// Lookahead, ms (0.5–10). Lane (c): sets the latency (fix it once per session).
    #[id = "lim_lookahead"]
    pub limiter_lookahead_ms: FloatParam,
    /// Stereo link, 0–100 %. Lane (b).
    #[id = "lim_link"]
    pub limiter_link_t: FloatParam,

    /// Gain after the limiter in dB, ±24. Lane (a).
    #[id = "out_gain"]
    pub output_gain_db: FloatParam,
    /// Equal-loudness A/B: hear the unprocessed input, delay-matched and gained to the
    /// processed master's short-term loudness. Monitoring only; the meters keep measuring
    /// the processed master.
    #[id = "ab"]
    pub ab_unprocessed: BoolParam,
    /// Host bypass: crossfades to the latency-compensated dry signal (10 ms).
    #[id = "bypass"]
    pub bypass: BoolParam,

    /// Delivery target the meter compares against.
    #[id = "target"]
    pub target: EnumParam<TargetChoice>,
    /// Custom target loudness, LUFS (−36…−5).
    #[id = "target_lufs"]
    pub custom_target_lufs: FloatParam,
    /// Custom target true-peak ceiling, dBTP (−6…0).
    #[id = "target_tp"]
    pub custom_target_dbtp: FloatParam,

    /// The CLAP id of this plugin, saved with the state so that a state from the other
    /// Stemwise plugin is recognised and ignored (see `plugin_common::identity`).
    #[persist = "plugin"]
    pub identity: std::sync::RwLock<String>,
    /// The meter's readings, saved with the project (shown until new audio is measured).
    #[persist = "readings"]
    pub readings: Arc<SavedReadings>,
    /// The session-link session this bus reads (default "default"); saved with the strips
    /// it saw as a record.
    #[persist = "session"]
    pub session: Arc<SessionLink>,
}

/// True when the glue sidechain high-pass at `hz` is off: at or below [`SIDECHAIN_OFF_HZ`] once
/// rounded to the whole hertz it is shown in, so the text "Off" and the audio always agree.
pub fn sidechain_is_off(hz: f32) -> bool {
    hz.round() <= SIDECHAIN_OFF_HZ
}

/// An on/off switch shown as "On"/"Off".
fn switch(name: &str, default: bool) -> BoolParam {
    BoolParam::new(name, default)
}

impl MasterBusParams {
    /// Parameters at their defaults, sharing `readings` with the meters.
    pub fn new(readings: Arc<SavedReadings>) -> Self {
        let sidechain_text = Arc::new(|hz: f32| {
            if sidechain_is_off(hz) {
                "Off".to_owned()
            } else {
                format!("{hz:.0} Hz")
            }
        });
        let parse_hz = formatters::s2v_f32_hz_then_khz();
        let sidechain_value = Arc::new(move |text: &str| {
            if text.trim().eq_ignore_ascii_case("off") {
                Some(SIDECHAIN_OFF_HZ)
            } else {
                parse_hz(text)
            }
        });
        Self {
            input_gain_db: db_param("Input Gain", 0.0, -GAIN_RANGE_DB, GAIN_RANGE_DB),
            high_pass_on: switch("High-Pass", false),
            high_pass_hz: hz_param("High-Pass Frequency", 30.0, 10.0, 300.0),
            high_pass_slope: EnumParam::new("High-Pass Slope", PassSlope::Db12),
            low_shelf: EqBandParams::new("Low Shelf", 100.0, 0.707),
            bell_1: EqBandParams::new("Bell 1", 250.0, 1.0),
            bell_2: EqBandParams::new("Bell 2", 1000.0, 1.0),
            bell_3: EqBandParams::new("Bell 3", 4000.0, 1.0),
            high_shelf: EqBandParams::new("High Shelf", 10_000.0, 0.707),
            low_pass_on: switch("Low-Pass", false),
            low_pass_hz: hz_param("Low-Pass Frequency", 20_000.0, 5_000.0, 22_000.0),
            low_pass_slope: EnumParam::new("Low-Pass Slope", PassSlope::Db12),
            eq_phase: EnumParam::new("EQ Phase", PhaseChoice::Minimum),
            glue_on: switch("Glue Compressor", false),
            glue_ratio: ratio_param("Glue Ratio", 1.5, MAX_GLUE_RATIO),
            glue_threshold_db: db_param("Glue Threshold", -18.0, -40.0, 0.0),
            glue_knee_db: db_param("Glue Knee", GLUE_KNEE_DB, 0.0, 12.0),
            glue_attack_ms: ms_param("Glue Attack", 30.0, 0.1, 100.0),
            glue_release_ms: ms_param("Glue Release", 200.0, 50.0, 1000.0),
            glue_auto_release: switch("Glue Auto Release", false),
            glue_sidechain_hpf_hz: hz_param(
                "Glue Sidechain High-Pass",
                SIDECHAIN_OFF_HZ,
                20.0,
                300.0,
            )
            .with_value_to_string(sidechain_text)
            .with_string_to_value(sidechain_value),
            glue_link_t: percent_param("Glue Stereo Link", 1.0),
            glue_mix_t: percent_param("Glue Mix", 1.0),
            glue_makeup_db: db_param("Glue Makeup", 0.0, -12.0, 12.0),
            glue_auto_makeup: switch("Glue Auto Makeup", false),
            limiter_on: switch("Limiter", false),
            ceiling_preset: EnumParam::new("Ceiling Preset", CeilingChoice::Streaming),
            custom_ceiling_dbtp: db_param("Ceiling", CEILING_STREAMING_DBTP, -6.0, 0.0)
                .with_unit(" dBTP"),
            limiter_drive_db: db_param("Limiter Drive", 0.0, 0.0, 24.0),
            limiter_release_ms: ms_param("Limiter Release", 100.0, 1.0, 1000.0),
            limiter_auto_release: switch("Limiter Auto Release", true),
            limiter_lookahead_ms: ms_param("Lookahead", 5.0, 0.5, 10.0).with_step_size(0.1),
            limiter_link_t: percent_param("Limiter Stereo Link", 1.0),
            output_gain_db: db_param("Output Gain", 0.0, -GAIN_RANGE_DB, GAIN_RANGE_DB),
            ab_unprocessed: labelled_switch(
                "Equal-Loudness A/B",
                false,
                "Processed",
                "Unprocessed",
            ),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
            target: EnumParam::new("Delivery Target", TargetChoice::Spotify),
            custom_target_lufs: db_param("Custom Target Loudness", -14.0, -36.0, -5.0)
                .with_unit(" LUFS"),
            custom_target_dbtp: db_param("Custom Target True Peak", -1.0, -6.0, 0.0)
                .with_unit(" dBTP"),
            identity: plugin_common::identity::identity(crate::CLAP_ID),
            readings,
            session: Arc::new(SessionLink::default()),
        }
    }

    /// The whole bus's settings for the current parameter values (cheap; never allocates).
    pub fn master_settings(&self) -> MasterSettings {
        let mut eq = default_eq();
        let bands = &mut eq.bands;
        let hp = &mut bands[band_index::HIGH_PASS];
        hp.enabled = self.high_pass_on.value();
        hp.freq_hz = self.high_pass_hz.value();
        hp.slope = self.high_pass_slope.value().slope();
        let lp = &mut bands[band_index::LOW_PASS];
        lp.enabled = self.low_pass_on.value();
        lp.freq_hz = self.low_pass_hz.value();
        lp.slope = self.low_pass_slope.value().slope();
        for (index, band) in self.shaping_bands() {
            band.apply_to(&mut bands[index]);
        }
        eq.phase = self.eq_phase.value().phase_mode();
        let sidechain_hz = self.glue_sidechain_hpf_hz.value();
        MasterSettings {
            input_db: self.input_gain_db.value(),
            eq,
            compressor_on: self.glue_on.value(),
            glue: GlueSettings {
                threshold_db: self.glue_threshold_db.value(),
                ratio: self.glue_ratio.value(),
                knee_db: self.glue_knee_db.value(),
                attack_ms: self.glue_attack_ms.value(),
                release_ms: self.glue_release_ms.value(),
                auto_release: self.glue_auto_release.value(),
                sidechain_hpf_hz: (!sidechain_is_off(sidechain_hz)).then_some(sidechain_hz),
                stereo_link_t: self.glue_link_t.value(),
                mix_t: self.glue_mix_t.value(),
                makeup_db: self.glue_makeup_db.value(),
                auto_makeup: self.glue_auto_makeup.value(),
            },
            limiter_on: self.limiter_on.value(),
            limiter: LimiterSettings {
                ceiling_db: self.ceiling_dbtp(),
                drive_db: self.limiter_drive_db.value(),
                lookahead_ms: self.limiter_lookahead_ms.value(),
                release_ms: self.limiter_release_ms.value(),
                auto_release: self.limiter_auto_release.value(),
                stereo_link_t: self.limiter_link_t.value(),
            },
            output_db: self.output_gain_db.value(),
        }
    }

    /// The bell and shelf bands with their shared-dsp band index.
    pub fn shaping_bands(&self) -> [(usize, &EqBandParams); 5] {
        [
            (band_index::LOW_SHELF, &self.low_shelf),
            (band_index::BELL_1, &self.bell_1),
            (band_index::BELL_2, &self.bell_2),
            (band_index::BELL_3, &self.bell_3),
            (band_index::HIGH_SHELF, &self.high_shelf),
        ]
    }

    /// The limiter ceiling in dBTP (the preset's value, or the custom one).
    pub fn ceiling_dbtp(&self) -> f32 {
        match self.ceiling_preset.value() {
            CeilingChoice::Streaming => CEILING_STREAMING_DBTP,
            CeilingChoice::Vinyl => CEILING_VINYL_DBTP,
            CeilingChoice::Broadcast => CEILING_BROADCAST_DBTP,
            CeilingChoice::Custom => self.custom_ceiling_dbtp.value(),
        }
    }

    /// The selected delivery target.
    pub fn delivery_target(&self) -> DeliveryTarget {
        let id = match self.target.value() {
            TargetChoice::Spotify => "spotify",
            TargetChoice::AppleMusic => "apple-music",
            TargetChoice::Tidal => "tidal",
            TargetChoice::YouTube => "youtube",
            TargetChoice::AmazonMusic => "amazon-music",
            TargetChoice::Deezer => "deezer",
            TargetChoice::AesTd1008 => "aes-td1008",
            TargetChoice::EbuR128 => "ebu-r128",
            TargetChoice::AtscA85 => "atsc-a85",
            TargetChoice::Netflix => "netflix",
            TargetChoice::Custom => "custom",
        };
        target_by_id(id).copied().unwrap_or_else(|| {
            DeliveryTarget::custom(
                self.custom_target_lufs.value(),
                self.custom_target_dbtp.value(),
            )
        })
    }

    /// The practice warnings the current settings trip (for the GUI).
    pub fn warnings(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self
            .shaping_bands()
            .iter()
            .any(|(_, b)| b.gain_db.value().abs() > BUS_EQ_PRACTICE_DB)
        {
            out.push("Bus EQ beyond ±3 dB: a move this big belongs on a stem");
        }
        if self.glue_on.value() && self.glue_ratio.value() > 2.0 {
            out.push("Glue ratio above 2:1: more than glue; check the stem dynamics");
        }
        if self.limiter_on.value() && self.ceiling_dbtp() > self.delivery_target().true_peak_dbtp {
            out.push("Limiter ceiling above the target's true-peak limit");
        }
        if !self.limiter_on.value() {
            out.push("Limiter off: nothing holds the true peak under the ceiling");
        }
        out
    }
}

impl Default for MasterBusParams {
    fn default() -> Self {
        Self::new(Arc::new(SavedReadings::default()))
    }
}
