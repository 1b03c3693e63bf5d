//! The Master Bus's parameters and the one mapping from their values to [`MasterSettings`].
//!
//! Smoothing happens in shared-dsp (conventions §5): gains and mixes are lane (a) (per-sample
//! ramps), EQ and dynamics settings lane (b) (coefficients), the pass slopes, the EQ phase
//! mode and the limiter lookahead lane (c) (structural: a slope resets its band, the phase
//! mode and lookahead change the latency, reported once per change).

use super::choice::{BusSlopes, CeilingPresets, PhaseModes, Targets};
use super::strip::EQ_RANGE_DB;
use super::{ParamSpec as S, Unit, Values};
use crate::eq::mono_bass::{self, MonoBassSettings};
use crate::limiter::LimiterSettings;
use crate::master::{
    band_index, default_eq, GlueSettings, MasterSettings, CEILING_STREAMING_DBTP, GLUE_KNEE_DB,
    MAX_GLUE_RATIO,
};
use crate::targets::{target_by_id, DeliveryTarget};

/// Input and output gain range either side of 0 dB.
pub const GAIN_RANGE_DB: f32 = 24.0;
/// Sidechain high-pass setting that means "off", Hz (the bottom of its range).
pub const SIDECHAIN_OFF_HZ: f32 = 20.0;
/// Bus EQ moves beyond this are outside mastering practice (shaded, warned).
const BUS_EQ_PRACTICE_DB: f32 = 3.0;
/// Glue ratios above this are more than glue (warned).
const GLUE_RATIO_PRACTICE: f32 = 2.0;

/// A shaping band's gain with the bus practice range.
const fn gain(id: &'static str, name: &'static str, group: &'static str) -> S {
    S::db(id, name, 0.0, -EQ_RANGE_DB, EQ_RANGE_DB)
        .in_group(group)
        .practice(-BUS_EQ_PRACTICE_DB, BUS_EQ_PRACTICE_DB)
}

/// A shaping band's frequency (20 Hz–20 kHz).
const fn freq(id: &'static str, name: &'static str, group: &'static str, hz: f32) -> S {
    S::hz(id, name, hz, 20.0, 20_000.0).in_group(group)
}

/// A shaping band's Q.
const fn q(id: &'static str, name: &'static str, group: &'static str, q: f32) -> S {
    S::q(id, name, q).in_group(group)
}

crate::param_table! {
    /// Every host-visible Master Bus parameter, in host order.
    pub enum MasterParam {
        /// Gain into the chain, dB. Lane (a).
        InputGain = S::db("in_gain", "Input Gain", 0.0, -GAIN_RANGE_DB, GAIN_RANGE_DB),
        /// High-pass on. Crossfaded.
        HighPassOn = S::switch("hp_on", "High-Pass", false),
        /// High-pass corner, Hz. Lane (b).
        HighPassHz = S::hz("hp_freq", "High-Pass Frequency", 30.0, 10.0, 300.0),
        /// High-pass steepness. Lane (c): resets that band.
        HighPassSlope = S::choice::<BusSlopes>("hp_slope", "High-Pass Slope", 0),
        /// Low shelf gain, dB. Lane (b).
        LowShelfGain = gain("ls_gain", "Low Shelf Gain", "Low Shelf"),
        /// Low shelf frequency, Hz. Lane (b).
        LowShelfHz = freq("ls_freq", "Low Shelf Frequency", "Low Shelf", 100.0),
        /// Low shelf Q. Lane (b).
        LowShelfQ = q("ls_q", "Low Shelf Q", "Low Shelf", 0.707),
        /// Bell 1 (low mids) gain, dB. Lane (b).
        Bell1Gain = gain("b1_gain", "Bell 1 Gain", "Bell 1"),
        /// Bell 1 frequency, Hz. Lane (b).
        Bell1Hz = freq("b1_freq", "Bell 1 Frequency", "Bell 1", 250.0),
        /// Bell 1 Q. Lane (b).
        Bell1Q = q("b1_q", "Bell 1 Q", "Bell 1", 1.0),
        /// Bell 2 (mids) gain, dB. Lane (b).
        Bell2Gain = gain("b2_gain", "Bell 2 Gain", "Bell 2"),
        /// Bell 2 frequency, Hz. Lane (b).
        Bell2Hz = freq("b2_freq", "Bell 2 Frequency", "Bell 2", 1000.0),
        /// Bell 2 Q. Lane (b).
        Bell2Q = q("b2_q", "Bell 2 Q", "Bell 2", 1.0),
        /// Bell 3 (presence) gain, dB. Lane (b).
        Bell3Gain = gain("b3_gain", "Bell 3 Gain", "Bell 3"),
        /// Bell 3 frequency, Hz. Lane (b).
        Bell3Hz = freq("b3_freq", "Bell 3 Frequency", "Bell 3", 4000.0),
        /// Bell 3 Q. Lane (b).
        Bell3Q = q("b3_q", "Bell 3 Q", "Bell 3", 1.0),
        /// High shelf (air) gain, dB. Lane (b).
        HighShelfGain = gain("hs_gain", "High Shelf Gain", "High Shelf"),
        /// High shelf frequency, Hz. Lane (b).
        HighShelfHz = freq("hs_freq", "High Shelf Frequency", "High Shelf", 10_000.0),
        /// High shelf Q. Lane (b).
        HighShelfQ = q("hs_q", "High Shelf Q", "High Shelf", 0.707),
        /// Low-pass on. Crossfaded.
        LowPassOn = S::switch("lp_on", "Low-Pass", false),
        /// Low-pass corner, Hz. Lane (b).
        LowPassHz = S::hz("lp_freq", "Low-Pass Frequency", 20_000.0, 5_000.0, 22_000.0),
        /// Low-pass steepness. Lane (c).
        LowPassSlope = S::choice::<BusSlopes>("lp_slope", "Low-Pass Slope", 0),
        /// Minimum or linear phase. Lane (c): changes the latency.
        EqPhase = S::choice::<PhaseModes>("eq_phase", "EQ Phase", 0),
        /// Glue compressor on (off = transparent, crossfaded through its mix).
        GlueOn = S::switch("glue_on", "Glue Compressor", false),
        /// Glue ratio (warned above 2:1). Lane (b).
        GlueRatio = S::ratio("glue_ratio", "Glue Ratio", 1.5, MAX_GLUE_RATIO)
            .practice(1.0, GLUE_RATIO_PRACTICE),
        /// Glue threshold, dBFS. Lane (b).
        GlueThreshold = S::db("glue_thresh", "Glue Threshold", -18.0, -40.0, 0.0),
        /// Glue knee width, dB. Lane (b).
        GlueKnee = S::db("glue_knee", "Glue Knee", GLUE_KNEE_DB, 0.0, 12.0),
        /// Glue attack, ms (mastering practice 30–60, shaded). Lane (b).
        GlueAttack = S::ms("glue_attack", "Glue Attack", 30.0, 0.1, 100.0).practice(30.0, 60.0),
        /// Glue release, ms (mastering practice 100–300, shaded). Lane (b).
        GlueRelease = S::ms("glue_release", "Glue Release", 200.0, 50.0, 1000.0)
            .practice(100.0, 300.0),
        /// Program-dependent release around the release time. Lane (b).
        GlueAutoRelease = S::switch("glue_auto_rel", "Glue Auto Release", false),
        /// Glue sidechain high-pass, Hz ([`SIDECHAIN_OFF_HZ`] = off). Lane (b).
        GlueSidechainHpf = S::hz(
            "glue_sc_hpf",
            "Glue Sidechain High-Pass",
            SIDECHAIN_OFF_HZ,
            SIDECHAIN_OFF_HZ,
            300.0,
        )
        .off_at_min(),
        /// Glue stereo link, 0–100 %. Lane (b).
        GlueLink = S::percent("glue_link", "Glue Stereo Link", 1.0),
        /// Glue parallel mix, 0–100 %. Lane (a).
        GlueMix = S::percent("glue_mix", "Glue Mix", 1.0),
        /// Glue makeup, dB. Lane (a).
        GlueMakeup = S::db("glue_makeup", "Glue Makeup", 0.0, -12.0, 12.0),
        /// Equal-loudness auto makeup (switching the compressor in does not just sound
        /// louder).
        GlueAutoMakeup = S::switch("glue_auto_mk", "Glue Auto Makeup", false),
        /// True-peak limiter on (off = delay-matched, crossfaded; latency unchanged). Off by
        /// default, so that inserting the plugin leaves the stems' sum bit-exact.
        LimiterOn = S::switch("lim_on", "Limiter", false),
        /// Ceiling preset: streaming −1, vinyl −0.5, broadcast −2 dBTP, or custom.
        CeilingPreset = S::choice::<CeilingPresets>("lim_ceil_mode", "Ceiling Preset", 0),
        /// Custom ceiling, dBTP, used when the preset is custom. Lane (b).
        CustomCeiling = S::db("lim_ceiling", "Ceiling", CEILING_STREAMING_DBTP, -6.0, 0.0)
            .with_unit(Unit::Dbtp),
        /// Drive into the limiter, dB. Lane (a).
        LimiterDrive = S::db("lim_drive", "Limiter Drive", 0.0, 0.0, 24.0),
        /// Limiter release, ms. Lane (b).
        LimiterRelease = S::ms("lim_release", "Limiter Release", 100.0, 1.0, 1000.0),
        /// Program-dependent limiter release. Lane (b).
        LimiterAutoRelease = S::switch("lim_auto_rel", "Limiter Auto Release", true),
        /// Lookahead, ms. Lane (c): sets the latency (fix it once per session).
        Lookahead = S::ms("lim_lookahead", "Lookahead", 5.0, 0.5, 10.0).with_step(0.1),
        /// Limiter stereo link, 0–100 %. Lane (b).
        LimiterLink = S::percent("lim_link", "Limiter Stereo Link", 1.0),
        /// Gain after the limiter, dB. Lane (a).
        OutputGain = S::db("out_gain", "Output Gain", 0.0, -GAIN_RANGE_DB, GAIN_RANGE_DB),
        /// Equal-loudness A/B: hear the unprocessed input, delay-matched and gained to the
        /// processed master's short-term loudness. Monitoring only: not in sessions.
        AbUnprocessed = S::switch("ab", "Equal-Loudness A/B", false)
            .labelled("Processed", "Unprocessed")
            .not_in_session(),
        /// Host bypass: crossfades to the latency-compensated dry signal (10 ms).
        Bypass = S::bypass(),
        /// Delivery target the meter compares against (a session's `[target]` sets the
        /// CLI's).
        Target = S::choice::<Targets>("target", "Delivery Target", 0).not_in_session(),
        /// Custom target loudness, LUFS.
        CustomTargetLufs = S::db("target_lufs", "Custom Target Loudness", -14.0, -36.0, -5.0)
            .with_unit(Unit::Lufs)
            .not_in_session(),
        /// Custom target true-peak ceiling, dBTP.
        CustomTargetDbtp = S::db("target_tp", "Custom Target True Peak", -1.0, -6.0, 0.0)
            .with_unit(Unit::Dbtp)
            .not_in_session(),
        /// Mono bass (vinyl "elliptical EQ"): high-pass on the side only, after the EQ bands.
        /// Crossfaded; off = bit-exact.
        MonoBassOn = S::switch("ms_hp_on", "Mono Bass", false).in_group(MONO_BASS),
        /// Mono bass corner, Hz (the side is mono below it). Lane (b).
        MonoBassHz = S::hz(
            "ms_hp_freq",
            "Mono Bass Frequency",
            mono_bass::DEFAULT_FREQ_HZ,
            *mono_bass::FREQ_RANGE_HZ.start(),
            *mono_bass::FREQ_RANGE_HZ.end(),
        )
        .in_group(MONO_BASS),
        /// Mono bass steepness, 12, 24 or 48 dB/oct (one octave below the corner the side is
        /// 12, 24 or 48 dB down). Lane (c): resets the side filter.
        MonoBassSlope = S::choice::<BusSlopes>("ms_hp_slope", "Mono Bass Slope", 1)
            .in_group(MONO_BASS),
    }
}

/// Host group of the mono bass parameters.
const MONO_BASS: &str = "Mono Bass";

/// True when the glue sidechain high-pass at `hz` is off: at or below [`SIDECHAIN_OFF_HZ`]
/// once rounded to the whole hertz it is shown in, so the text "Off" and the audio agree.
pub fn sidechain_is_off(hz: f32) -> bool {
    hz.round() <= SIDECHAIN_OFF_HZ
}

/// The limiter ceiling in dBTP `v` sets (the preset's value, or the custom one).
pub fn ceiling_dbtp(v: &Values<MasterParam>) -> f32 {
    v.choice::<CeilingPresets>(MasterParam::CeilingPreset)
        .ceiling_dbtp(v.get(MasterParam::CustomCeiling))
}

/// The delivery target `v` selects.
pub fn delivery_target(v: &Values<MasterParam>) -> DeliveryTarget {
    target_by_id(v.choice::<Targets>(MasterParam::Target))
        .copied()
        .unwrap_or_else(|| {
            DeliveryTarget::custom(
                v.get(MasterParam::CustomTargetLufs),
                v.get(MasterParam::CustomTargetDbtp),
            )
        })
}

/// The bus's settings for `v` (cheap; never allocates). The plugin calls it every block, the
/// CLI once per session.
pub fn master_settings(v: &Values<MasterParam>) -> MasterSettings {
    use MasterParam as P;
    let mut eq = default_eq();
    let bands = &mut eq.bands;
    let hp = &mut bands[band_index::HIGH_PASS];
    hp.enabled = v.on(P::HighPassOn);
    hp.freq_hz = v.get(P::HighPassHz);
    hp.slope = v.choice::<BusSlopes>(P::HighPassSlope);
    let lp = &mut bands[band_index::LOW_PASS];
    lp.enabled = v.on(P::LowPassOn);
    lp.freq_hz = v.get(P::LowPassHz);
    lp.slope = v.choice::<BusSlopes>(P::LowPassSlope);
    for (index, [gain, freq, q]) in SHAPING_BANDS {
        bands[index].gain_db = v.get(gain);
        bands[index].freq_hz = v.get(freq);
        bands[index].q = v.get(q);
    }
    eq.phase = v.choice::<PhaseModes>(P::EqPhase);
    eq.mono_bass = MonoBassSettings {
        enabled: v.on(P::MonoBassOn),
        freq_hz: v.get(P::MonoBassHz),
        slope: v.choice::<BusSlopes>(P::MonoBassSlope),
    };
    let sidechain_hz = v.get(P::GlueSidechainHpf);
    MasterSettings {
        input_db: v.get(P::InputGain),
        eq,
        compressor_on: v.on(P::GlueOn),
        glue: GlueSettings {
            threshold_db: v.get(P::GlueThreshold),
            ratio: v.get(P::GlueRatio),
            knee_db: v.get(P::GlueKnee),
            attack_ms: v.get(P::GlueAttack),
            release_ms: v.get(P::GlueRelease),
            auto_release: v.on(P::GlueAutoRelease),
            sidechain_hpf_hz: (!sidechain_is_off(sidechain_hz)).then_some(sidechain_hz),
            stereo_link_t: v.get(P::GlueLink),
            mix_t: v.get(P::GlueMix),
            makeup_db: v.get(P::GlueMakeup),
            auto_makeup: v.on(P::GlueAutoMakeup),
        },
        limiter_on: v.on(P::LimiterOn),
        limiter: LimiterSettings {
            ceiling_db: ceiling_dbtp(v),
            drive_db: v.get(P::LimiterDrive),
            lookahead_ms: v.get(P::Lookahead),
            release_ms: v.get(P::LimiterRelease),
            auto_release: v.on(P::LimiterAutoRelease),
            stereo_link_t: v.get(P::LimiterLink),
        },
        output_db: v.get(P::OutputGain),
    }
}

/// The bell and shelf bands: shared-dsp band index with gain, frequency and Q parameters.
pub const SHAPING_BANDS: [(usize, [MasterParam; 3]); 5] = {
    use MasterParam as P;
    [
        (
            band_index::LOW_SHELF,
            [P::LowShelfGain, P::LowShelfHz, P::LowShelfQ],
        ),
        (band_index::BELL_1, [P::Bell1Gain, P::Bell1Hz, P::Bell1Q]),
        (band_index::BELL_2, [P::Bell2Gain, P::Bell2Hz, P::Bell2Q]),
        (band_index::BELL_3, [P::Bell3Gain, P::Bell3Hz, P::Bell3Q]),
        (
            band_index::HIGH_SHELF,
            [P::HighShelfGain, P::HighShelfHz, P::HighShelfQ],
        ),
    ]
};
