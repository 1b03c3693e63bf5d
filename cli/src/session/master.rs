//! The Master Bus settings in a session file: the plugin's parameter IDs, units, ranges and
//! defaults (`plugins/master-bus/src/params.rs`), mapped to [`MasterSettings`] the way the
//! plugin's `master_settings` maps its parameters. Percentages are 0–100.

use super::check_range;
use super::strip::PhaseChoice;
use anyhow::Result;
use serde::Deserialize;
use shared_dsp::eq::settings::Slope;
use shared_dsp::limiter::LimiterSettings;
use shared_dsp::master::{
    band_index, default_eq, GlueSettings, MasterSettings, CEILING_BROADCAST_DBTP,
    CEILING_STREAMING_DBTP, CEILING_VINYL_DBTP, GLUE_KNEE_DB,
};

/// Sidechain high-pass setting that means "off", Hz (the bottom of its range, as in the
/// plugin).
pub const SIDECHAIN_OFF_HZ: f32 = 20.0;

/// High-/low-pass slope (`hp_slope`, `lp_slope`): `"12"`, `"24"` or `"48"` dB/oct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum PassSlope {
    /// 12 dB/oct.
    #[default]
    #[serde(rename = "12")]
    Db12,
    /// 24 dB/oct.
    #[serde(rename = "24")]
    Db24,
    /// 48 dB/oct.
    #[serde(rename = "48")]
    Db48,
}

impl PassSlope {
    fn slope(self) -> Slope {
        match self {
            Self::Db12 => Slope::Db12,
            Self::Db24 => Slope::Db24,
            Self::Db48 => Slope::Db48,
        }
    }
}

/// Limiter ceiling preset (`lim_ceil_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CeilingChoice {
    /// −1 dBTP.
    #[default]
    Streaming,
    /// −0.5 dBTP.
    Vinyl,
    /// −2 dBTP.
    Broadcast,
    /// `lim_ceiling`.
    Custom,
}

/// The Master Bus parameters; every key optional, defaults as in the plugin.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MasterParams {
    /// Input gain, dB (±24).
    pub in_gain: f32,
    /// High-pass on.
    pub hp_on: bool,
    /// High-pass corner, Hz (10–300).
    pub hp_freq: f32,
    /// High-pass slope.
    pub hp_slope: PassSlope,
    /// Low shelf gain, dB (±6).
    pub ls_gain: f32,
    /// Low shelf frequency, Hz (20–20000).
    pub ls_freq: f32,
    /// Low shelf Q (0.3–4).
    pub ls_q: f32,
    /// Bell 1 gain, dB (±6).
    pub b1_gain: f32,
    /// Bell 1 frequency, Hz.
    pub b1_freq: f32,
    /// Bell 1 Q (0.3–4).
    pub b1_q: f32,
    /// Bell 2 gain, dB (±6).
    pub b2_gain: f32,
    /// Bell 2 frequency, Hz.
    pub b2_freq: f32,
    /// Bell 2 Q (0.3–4).
    pub b2_q: f32,
    /// Bell 3 gain, dB (±6).
    pub b3_gain: f32,
    /// Bell 3 frequency, Hz.
    pub b3_freq: f32,
    /// Bell 3 Q (0.3–4).
    pub b3_q: f32,
    /// High shelf gain, dB (±6).
    pub hs_gain: f32,
    /// High shelf frequency, Hz.
    pub hs_freq: f32,
    /// High shelf Q (0.3–4).
    pub hs_q: f32,
    /// Low-pass on.
    pub lp_on: bool,
    /// Low-pass corner, Hz (5000–22000).
    pub lp_freq: f32,
    /// Low-pass slope.
    pub lp_slope: PassSlope,
    /// EQ phase, `"min"` or `"lin"`.
    pub eq_phase: PhaseChoice,
    /// Glue compressor on.
    pub glue_on: bool,
    /// Glue ratio (1–4).
    pub glue_ratio: f32,
    /// Glue threshold, dBFS (−40…0).
    pub glue_thresh: f32,
    /// Glue knee, dB (0–12).
    pub glue_knee: f32,
    /// Glue attack, ms (0.1–100).
    pub glue_attack: f32,
    /// Glue release, ms (50–1000).
    pub glue_release: f32,
    /// Program-dependent glue release.
    pub glue_auto_rel: bool,
    /// Glue sidechain high-pass, Hz (20 = off … 300).
    pub glue_sc_hpf: f32,
    /// Glue stereo link, % (0–100).
    pub glue_link: f32,
    /// Glue parallel mix, % (0–100).
    pub glue_mix: f32,
    /// Glue makeup, dB (−12…12).
    pub glue_makeup: f32,
    /// Equal-loudness auto makeup.
    pub glue_auto_mk: bool,
    /// Limiter on.
    pub lim_on: bool,
    /// Ceiling preset: `"streaming"` (−1), `"vinyl"` (−0.5), `"broadcast"` (−2), `"custom"`.
    pub lim_ceil_mode: CeilingChoice,
    /// Custom ceiling, dBTP (−6…0), used with `lim_ceil_mode = "custom"`.
    pub lim_ceiling: f32,
    /// Limiter drive, dB (0…24).
    pub lim_drive: f32,
    /// Limiter release, ms (1–1000).
    pub lim_release: f32,
    /// Program-dependent limiter release.
    pub lim_auto_rel: bool,
    /// Limiter lookahead, ms (0.5–10).
    pub lim_lookahead: f32,
    /// Limiter stereo link, % (0–100).
    pub lim_link: f32,
    /// Output gain after the limiter, dB (±24).
    pub out_gain: f32,
}

impl Default for MasterParams {
    fn default() -> Self {
        Self {
            in_gain: 0.0,
            hp_on: false,
            hp_freq: 30.0,
            hp_slope: PassSlope::Db12,
            ls_gain: 0.0,
            ls_freq: 100.0,
            ls_q: 0.707,
            b1_gain: 0.0,
            b1_freq: 250.0,
            b1_q: 1.0,
            b2_gain: 0.0,
            b2_freq: 1000.0,
            b2_q: 1.0,
            b3_gain: 0.0,
            b3_freq: 4000.0,
            b3_q: 1.0,
            hs_gain: 0.0,
            hs_freq: 10_000.0,
            hs_q: 0.707,
            lp_on: false,
            lp_freq: 20_000.0,
            lp_slope: PassSlope::Db12,
            eq_phase: PhaseChoice::Minimum,
            glue_on: false,
            glue_ratio: 1.5,
            glue_thresh: -18.0,
            glue_knee: GLUE_KNEE_DB,
            glue_attack: 30.0,
            glue_release: 200.0,
            glue_auto_rel: false,
            glue_sc_hpf: SIDECHAIN_OFF_HZ,
            glue_link: 100.0,
            glue_mix: 100.0,
            glue_makeup: 0.0,
            glue_auto_mk: false,
            lim_on: false,
            lim_ceil_mode: CeilingChoice::Streaming,
            lim_ceiling: CEILING_STREAMING_DBTP,
            lim_drive: 0.0,
            lim_release: 100.0,
            lim_auto_rel: true,
            lim_lookahead: 5.0,
            lim_link: 100.0,
            out_gain: 0.0,
        }
    }
}

impl MasterParams {
    /// Checks every value against the plugin's range; the error names the key and range.
    pub fn validate(&self) -> Result<()> {
        for (key, value, lo, hi) in [
            ("in_gain", self.in_gain, -24.0, 24.0),
            ("hp_freq", self.hp_freq, 10.0, 300.0),
            ("lp_freq", self.lp_freq, 5000.0, 22_000.0),
            ("glue_ratio", self.glue_ratio, 1.0, 4.0),
            ("glue_thresh", self.glue_thresh, -40.0, 0.0),
            ("glue_knee", self.glue_knee, 0.0, 12.0),
            ("glue_attack", self.glue_attack, 0.1, 100.0),
            ("glue_release", self.glue_release, 50.0, 1000.0),
            ("glue_sc_hpf", self.glue_sc_hpf, 20.0, 300.0),
            ("glue_link", self.glue_link, 0.0, 100.0),
            ("glue_mix", self.glue_mix, 0.0, 100.0),
            ("glue_makeup", self.glue_makeup, -12.0, 12.0),
            ("lim_ceiling", self.lim_ceiling, -6.0, 0.0),
            ("lim_drive", self.lim_drive, 0.0, 24.0),
            ("lim_release", self.lim_release, 1.0, 1000.0),
            ("lim_lookahead", self.lim_lookahead, 0.5, 10.0),
            ("lim_link", self.lim_link, 0.0, 100.0),
            ("out_gain", self.out_gain, -24.0, 24.0),
        ] {
            check_range(key, value, lo, hi)?;
        }
        for (prefix, [gain, freq, q]) in self.band_values() {
            check_range(&format!("{prefix}_gain"), gain, -6.0, 6.0)?;
            check_range(&format!("{prefix}_freq"), freq, 20.0, 20_000.0)?;
            check_range(&format!("{prefix}_q"), q, 0.3, 4.0)?;
        }
        Ok(())
    }

    /// Gain, frequency and Q of the five shaping bands with their key prefix.
    fn band_values(&self) -> [(&'static str, [f32; 3]); 5] {
        [
            ("ls", [self.ls_gain, self.ls_freq, self.ls_q]),
            ("b1", [self.b1_gain, self.b1_freq, self.b1_q]),
            ("b2", [self.b2_gain, self.b2_freq, self.b2_q]),
            ("b3", [self.b3_gain, self.b3_freq, self.b3_q]),
            ("hs", [self.hs_gain, self.hs_freq, self.hs_q]),
        ]
    }

    /// The limiter ceiling in dBTP (the preset's value, or the custom one).
    pub fn ceiling_dbtp(&self) -> f32 {
        match self.lim_ceil_mode {
            CeilingChoice::Streaming => CEILING_STREAMING_DBTP,
            CeilingChoice::Vinyl => CEILING_VINYL_DBTP,
            CeilingChoice::Broadcast => CEILING_BROADCAST_DBTP,
            CeilingChoice::Custom => self.lim_ceiling,
        }
    }

    /// The Master Bus settings these parameters give (the plugin's `master_settings`).
    pub fn settings(&self) -> MasterSettings {
        let mut eq = default_eq();
        let bands = &mut eq.bands;
        let hp = &mut bands[band_index::HIGH_PASS];
        hp.enabled = self.hp_on;
        hp.freq_hz = self.hp_freq;
        hp.slope = self.hp_slope.slope();
        let lp = &mut bands[band_index::LOW_PASS];
        lp.enabled = self.lp_on;
        lp.freq_hz = self.lp_freq;
        lp.slope = self.lp_slope.slope();
        let indices = [
            band_index::LOW_SHELF,
            band_index::BELL_1,
            band_index::BELL_2,
            band_index::BELL_3,
            band_index::HIGH_SHELF,
        ];
        for (index, (_, [gain_db, freq_hz, q])) in indices.into_iter().zip(self.band_values()) {
            bands[index].gain_db = gain_db;
            bands[index].freq_hz = freq_hz;
            bands[index].q = q;
        }
        eq.phase = self.eq_phase.phase();
        MasterSettings {
            input_db: self.in_gain,
            eq,
            compressor_on: self.glue_on,
            glue: GlueSettings {
                threshold_db: self.glue_thresh,
                ratio: self.glue_ratio,
                knee_db: self.glue_knee,
                attack_ms: self.glue_attack,
                release_ms: self.glue_release,
                auto_release: self.glue_auto_rel,
                sidechain_hpf_hz: (self.glue_sc_hpf.round() > SIDECHAIN_OFF_HZ)
                    .then_some(self.glue_sc_hpf),
                stereo_link_t: self.glue_link / 100.0,
                mix_t: self.glue_mix / 100.0,
                makeup_db: self.glue_makeup,
                auto_makeup: self.glue_auto_mk,
            },
            limiter_on: self.lim_on,
            limiter: LimiterSettings {
                ceiling_db: self.ceiling_dbtp(),
                drive_db: self.lim_drive,
                lookahead_ms: self.lim_lookahead,
                release_ms: self.lim_release,
                auto_release: self.lim_auto_rel,
                stereo_link_t: self.lim_link / 100.0,
            },
            output_db: self.out_gain,
        }
    }
}
