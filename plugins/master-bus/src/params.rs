//! Master Bus parameters, built from the table in `shared_dsp::params::master` (ids, names,
//! ranges, defaults, lanes and practice ranges are declared there, once).

use crate::meters::SavedReadings;
use crate::session::SessionLink;
use nice_plug::prelude::*;
use plugin_common::host_params;
use plugin_common::param_kit::{ChoiceParam, EqBandParams};
use shared_dsp::master::MasterSettings;
use shared_dsp::params::choice::{BusSlopes, CeilingPresets, PhaseModes, Targets};
use shared_dsp::params::master::{self as table, MasterParam};
use shared_dsp::params::ParamIndex;
use shared_dsp::targets::DeliveryTarget;
use std::sync::Arc;

/// Limiting beyond this suggests the stem balance, not the limiter, should make the loudness.
pub const LIMITING_ADVICE_DB: f32 = 2.0;

host_params! {
    /// The Master Bus's host parameters, one field per [`MasterParam`] entry (lanes and
    /// ranges are documented there).
    pub struct BusHostParams: MasterParam {
        /// Gain into the chain, dB.
        pub input_gain_db: FloatParam = InputGain,
        /// High-pass on.
        pub high_pass_on: BoolParam = HighPassOn,
        /// High-pass corner, Hz.
        pub high_pass_hz: FloatParam = HighPassHz,
        /// High-pass steepness.
        pub high_pass_slope: ChoiceParam<BusSlopes> = HighPassSlope,
        /// Low shelf.
        pub low_shelf: EqBandParams = LowShelfGain,
        /// First bell.
        pub bell_1: EqBandParams = Bell1Gain,
        /// Second bell.
        pub bell_2: EqBandParams = Bell2Gain,
        /// Third bell.
        pub bell_3: EqBandParams = Bell3Gain,
        /// High shelf.
        pub high_shelf: EqBandParams = HighShelfGain,
        /// Low-pass on.
        pub low_pass_on: BoolParam = LowPassOn,
        /// Low-pass corner, Hz.
        pub low_pass_hz: FloatParam = LowPassHz,
        /// Low-pass steepness.
        pub low_pass_slope: ChoiceParam<BusSlopes> = LowPassSlope,
        /// Minimum or linear phase.
        pub eq_phase: ChoiceParam<PhaseModes> = EqPhase,
        /// Glue compressor on.
        pub glue_on: BoolParam = GlueOn,
        /// Glue ratio.
        pub glue_ratio: FloatParam = GlueRatio,
        /// Glue threshold, dBFS.
        pub glue_threshold_db: FloatParam = GlueThreshold,
        /// Glue knee, dB.
        pub glue_knee_db: FloatParam = GlueKnee,
        /// Glue attack, ms.
        pub glue_attack_ms: FloatParam = GlueAttack,
        /// Glue release, ms.
        pub glue_release_ms: FloatParam = GlueRelease,
        /// Program-dependent glue release.
        pub glue_auto_release: BoolParam = GlueAutoRelease,
        /// Glue sidechain high-pass, Hz (bottom = off).
        pub glue_sidechain_hpf_hz: FloatParam = GlueSidechainHpf,
        /// Glue stereo link, 0…1.
        pub glue_link_t: FloatParam = GlueLink,
        /// Glue parallel mix, 0…1.
        pub glue_mix_t: FloatParam = GlueMix,
        /// Glue makeup, dB.
        pub glue_makeup_db: FloatParam = GlueMakeup,
        /// Equal-loudness auto makeup.
        pub glue_auto_makeup: BoolParam = GlueAutoMakeup,
        /// True-peak limiter on.
        pub limiter_on: BoolParam = LimiterOn,
        /// Ceiling preset.
        pub ceiling_preset: ChoiceParam<CeilingPresets> = CeilingPreset,
        /// Custom ceiling, dBTP.
        pub custom_ceiling_dbtp: FloatParam = CustomCeiling,
        /// Drive into the limiter, dB.
        pub limiter_drive_db: FloatParam = LimiterDrive,
        /// Limiter release, ms.
        pub limiter_release_ms: FloatParam = LimiterRelease,
        /// Program-dependent limiter release.
        pub limiter_auto_release: BoolParam = LimiterAutoRelease,
        /// Lookahead, ms.
        pub limiter_lookahead_ms: FloatParam = Lookahead,
        /// Limiter stereo link, 0…1.
        pub limiter_link_t: FloatParam = LimiterLink,
        /// Gain after the limiter, dB.
        pub output_gain_db: FloatParam = OutputGain,
        /// Equal-loudness A/B (monitoring only).
        pub ab_unprocessed: BoolParam = AbUnprocessed,
        /// Host bypass.
        pub bypass: BoolParam = Bypass,
        /// Delivery target the meter compares against.
        pub target: ChoiceParam<Targets> = Target,
        /// Custom target loudness, LUFS.
        pub custom_target_lufs: FloatParam = CustomTargetLufs,
        /// Custom target true-peak ceiling, dBTP.
        pub custom_target_dbtp: FloatParam = CustomTargetDbtp,
        /// Mono bass (side high-pass) on.
        pub mono_bass_on: BoolParam = MonoBassOn,
        /// Mono bass corner, Hz.
        pub mono_bass_hz: FloatParam = MonoBassHz,
        /// Mono bass steepness.
        pub mono_bass_slope: ChoiceParam<BusSlopes> = MonoBassSlope,
    }
}

/// All host-visible parameters of the Master Bus and its persisted fields.
#[derive(Params)]
pub struct MasterBusParams {
    /// The table's parameters (reached through `Deref`: `params.glue_on`).
    #[nested]
    pub host: BusHostParams,
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

impl std::ops::Deref for MasterBusParams {
    type Target = BusHostParams;

    fn deref(&self) -> &BusHostParams {
        &self.host
    }
}

impl MasterBusParams {
    /// Parameters at their defaults, sharing `readings` with the meters.
    pub fn new(readings: Arc<SavedReadings>) -> Self {
        Self {
            host: BusHostParams::from_table(),
            identity: plugin_common::identity::identity(crate::CLAP_ID),
            readings,
            session: Arc::new(SessionLink::default()),
        }
    }

    /// The whole bus's settings for the current parameter values (cheap; never allocates).
    pub fn master_settings(&self) -> MasterSettings {
        table::master_settings(&self.values())
    }

    /// The bell and shelf bands with their gain parameter's table entry.
    pub fn shaping_bands(&self) -> [(MasterParam, &EqBandParams); 5] {
        [
            (MasterParam::LowShelfGain, &self.low_shelf),
            (MasterParam::Bell1Gain, &self.bell_1),
            (MasterParam::Bell2Gain, &self.bell_2),
            (MasterParam::Bell3Gain, &self.bell_3),
            (MasterParam::HighShelfGain, &self.high_shelf),
        ]
    }

    /// The limiter ceiling in dBTP (the preset's value, or the custom one).
    pub fn ceiling_dbtp(&self) -> f32 {
        table::ceiling_dbtp(&self.values())
    }

    /// The selected delivery target.
    pub fn delivery_target(&self) -> DeliveryTarget {
        table::delivery_target(&self.values())
    }

    /// The practice warnings the current settings trip (for the GUI).
    pub fn warnings(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self
            .shaping_bands()
            .iter()
            .any(|(param, b)| param.spec().beyond_practice(b.gain_db.value()))
        {
            out.push("Bus EQ beyond ±3 dB: a move this big belongs on a stem");
        }
        if self.glue_on.value()
            && MasterParam::GlueRatio
                .spec()
                .beyond_practice(self.glue_ratio.value())
        {
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
