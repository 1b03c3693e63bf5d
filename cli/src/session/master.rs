//! The Master Bus settings in a session file, mapped to [`MasterSettings`]. Keys follow the
//! Master Bus plugin's parameter IDs where it has them (`in_gain`, `out_gain`) and the
//! Stem Strip's naming for the rest; units as the plugins show them (dB, Hz, ms, %).

use super::check_range;
use super::strip::PhaseChoice;
use anyhow::Result;
use serde::Deserialize;
use shared_dsp::master::{band_index, MasterSettings};

/// The Master Bus parameters; every key optional, defaults as the Master Bus's (everything
/// flat and off, ceiling −1 dBTP).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MasterParams {
    /// Input gain, dB (±24).
    pub in_gain: f32,
    /// Output gain, dB (±24), after the limiter.
    pub out_gain: f32,
    /// EQ phase, `"min"` or `"lin"`.
    pub eq_phase: PhaseChoice,
    /// High-pass on (12 dB/oct).
    pub hp_on: bool,
    /// High-pass corner, Hz.
    pub hp_freq: f32,
    /// Low shelf gain, dB (±12).
    pub ls_gain: f32,
    /// Low shelf frequency, Hz.
    pub ls_freq: f32,
    /// Bell 1 (low mids) gain, dB (±12).
    pub b1_gain: f32,
    /// Bell 1 frequency, Hz.
    pub b1_freq: f32,
    /// Bell 1 Q (0.3–4).
    pub b1_q: f32,
    /// Bell 2 (mids) gain, dB (±12).
    pub b2_gain: f32,
    /// Bell 2 frequency, Hz.
    pub b2_freq: f32,
    /// Bell 2 Q (0.3–4).
    pub b2_q: f32,
    /// Bell 3 (presence) gain, dB (±12).
    pub b3_gain: f32,
    /// Bell 3 frequency, Hz.
    pub b3_freq: f32,
    /// Bell 3 Q (0.3–4).
    pub b3_q: f32,
    /// High shelf gain, dB (±12).
    pub hs_gain: f32,
    /// High shelf frequency, Hz.
    pub hs_freq: f32,
    /// Low-pass on (12 dB/oct).
    pub lp_on: bool,
    /// Low-pass corner, Hz.
    pub lp_freq: f32,
    /// Glue compressor on.
    pub comp_on: bool,
    /// Glue threshold, dBFS (−80…0).
    pub thresh: f32,
    /// Glue ratio (1–4).
    pub ratio: f32,
    /// Glue knee, dB (0–12).
    pub knee: f32,
    /// Glue attack, ms (0–500).
    pub attack: f32,
    /// Glue release, ms (0–5000).
    pub release: f32,
    /// Program-dependent release.
    pub auto_release: bool,
    /// Sidechain high-pass on.
    pub sc_hpf_on: bool,
    /// Sidechain high-pass corner, Hz (20–300).
    pub sc_hpf: f32,
    /// Glue stereo link, % (0–100).
    pub link: f32,
    /// Glue parallel mix, % (0–100).
    pub comp_mix: f32,
    /// Glue makeup, dB (−24…24).
    pub makeup: f32,
    /// Equal-loudness auto makeup.
    pub auto_makeup: bool,
    /// Limiter on.
    pub lim_on: bool,
    /// Limiter ceiling, dBTP (−6…0).
    pub ceiling: f32,
    /// Limiter drive, dB (−12…24).
    pub drive: f32,
    /// Limiter lookahead, ms (0.5–10).
    pub lookahead: f32,
    /// Limiter release, ms (1–2000).
    pub lim_release: f32,
    /// Limiter program-dependent release.
    pub lim_auto_release: bool,
    /// Limiter stereo link, % (0–100).
    pub lim_link: f32,
}

impl Default for MasterParams {
    fn default() -> Self {
        let d = MasterSettings::default();
        let band = |i: usize| d.eq.bands[i];
        Self {
            in_gain: d.input_db,
            out_gain: d.output_db,
            eq_phase: PhaseChoice::Minimum,
            hp_on: false,
            hp_freq: band(band_index::HIGH_PASS).freq_hz,
            ls_gain: 0.0,
            ls_freq: band(band_index::LOW_SHELF).freq_hz,
            b1_gain: 0.0,
            b1_freq: band(band_index::BELL_1).freq_hz,
            b1_q: band(band_index::BELL_1).q,
            b2_gain: 0.0,
            b2_freq: band(band_index::BELL_2).freq_hz,
            b2_q: band(band_index::BELL_2).q,
            b3_gain: 0.0,
            b3_freq: band(band_index::BELL_3).freq_hz,
            b3_q: band(band_index::BELL_3).q,
            hs_gain: 0.0,
            hs_freq: band(band_index::HIGH_SHELF).freq_hz,
            lp_on: false,
            lp_freq: band(band_index::LOW_PASS).freq_hz,
            comp_on: d.compressor_on,
            thresh: d.glue.threshold_db,
            ratio: d.glue.ratio,
            knee: d.glue.knee_db,
            attack: d.glue.attack_ms,
            release: d.glue.release_ms,
            auto_release: d.glue.auto_release,
            sc_hpf_on: d.glue.sidechain_hpf_hz.is_some(),
            sc_hpf: d.glue.sidechain_hpf_hz.unwrap_or(80.0),
            link: d.glue.stereo_link_t * 100.0,
            comp_mix: d.glue.mix_t * 100.0,
            makeup: d.glue.makeup_db,
            auto_makeup: d.glue.auto_makeup,
            lim_on: d.limiter_on,
            ceiling: d.limiter.ceiling_db,
            drive: d.limiter.drive_db,
            lookahead: d.limiter.lookahead_ms,
            lim_release: d.limiter.release_ms,
            lim_auto_release: d.limiter.auto_release,
            lim_link: d.limiter.stereo_link_t * 100.0,
        }
    }
}

impl MasterParams {
    /// Checks every value against its range; the error names the key and range.
    pub fn validate(&self) -> Result<()> {
        for (key, value, lo, hi) in [
            ("in_gain", self.in_gain, -24.0, 24.0),
            ("out_gain", self.out_gain, -24.0, 24.0),
            ("hp_freq", self.hp_freq, 10.0, 300.0),
            ("ls_gain", self.ls_gain, -12.0, 12.0),
            ("ls_freq", self.ls_freq, 20.0, 20_000.0),
            ("b1_gain", self.b1_gain, -12.0, 12.0),
            ("b1_freq", self.b1_freq, 20.0, 20_000.0),
            ("b1_q", self.b1_q, 0.3, 4.0),
            ("b2_gain", self.b2_gain, -12.0, 12.0),
            ("b2_freq", self.b2_freq, 20.0, 20_000.0),
            ("b2_q", self.b2_q, 0.3, 4.0),
            ("b3_gain", self.b3_gain, -12.0, 12.0),
            ("b3_freq", self.b3_freq, 20.0, 20_000.0),
            ("b3_q", self.b3_q, 0.3, 4.0),
            ("hs_gain", self.hs_gain, -12.0, 12.0),
            ("hs_freq", self.hs_freq, 20.0, 20_000.0),
            ("lp_freq", self.lp_freq, 1000.0, 22_000.0),
            ("thresh", self.thresh, -80.0, 0.0),
            ("ratio", self.ratio, 1.0, 4.0),
            ("knee", self.knee, 0.0, 12.0),
            ("attack", self.attack, 0.0, 500.0),
            ("release", self.release, 0.0, 5000.0),
            ("sc_hpf", self.sc_hpf, 20.0, 300.0),
            ("link", self.link, 0.0, 100.0),
            ("comp_mix", self.comp_mix, 0.0, 100.0),
            ("makeup", self.makeup, -24.0, 24.0),
            ("ceiling", self.ceiling, -6.0, 0.0),
            ("drive", self.drive, -12.0, 24.0),
            ("lookahead", self.lookahead, 0.5, 10.0),
            ("lim_release", self.lim_release, 1.0, 2000.0),
            ("lim_link", self.lim_link, 0.0, 100.0),
        ] {
            check_range(key, value, lo, hi)?;
        }
        Ok(())
    }

    /// The Master Bus settings these parameters give.
    pub fn settings(&self) -> MasterSettings {
        let mut s = MasterSettings {
            input_db: self.in_gain,
            output_db: self.out_gain,
            compressor_on: self.comp_on,
            limiter_on: self.lim_on,
            ..MasterSettings::default()
        };
        s.eq.phase = self.eq_phase.phase();
        let bands = &mut s.eq.bands;
        bands[band_index::HIGH_PASS].enabled = self.hp_on;
        bands[band_index::HIGH_PASS].freq_hz = self.hp_freq;
        bands[band_index::LOW_PASS].enabled = self.lp_on;
        bands[band_index::LOW_PASS].freq_hz = self.lp_freq;
        for (index, gain_db, freq_hz) in [
            (band_index::LOW_SHELF, self.ls_gain, self.ls_freq),
            (band_index::HIGH_SHELF, self.hs_gain, self.hs_freq),
        ] {
            bands[index].gain_db = gain_db;
            bands[index].freq_hz = freq_hz;
        }
        for (index, gain_db, freq_hz, q) in [
            (band_index::BELL_1, self.b1_gain, self.b1_freq, self.b1_q),
            (band_index::BELL_2, self.b2_gain, self.b2_freq, self.b2_q),
            (band_index::BELL_3, self.b3_gain, self.b3_freq, self.b3_q),
        ] {
            bands[index].gain_db = gain_db;
            bands[index].freq_hz = freq_hz;
            bands[index].q = q;
        }
        let glue = &mut s.glue;
        glue.threshold_db = self.thresh;
        glue.ratio = self.ratio;
        glue.knee_db = self.knee;
        glue.attack_ms = self.attack;
        glue.release_ms = self.release;
        glue.auto_release = self.auto_release;
        glue.sidechain_hpf_hz = self.sc_hpf_on.then_some(self.sc_hpf);
        glue.stereo_link_t = self.link / 100.0;
        glue.mix_t = self.comp_mix / 100.0;
        glue.makeup_db = self.makeup;
        glue.auto_makeup = self.auto_makeup;
        let lim = &mut s.limiter;
        lim.ceiling_db = self.ceiling;
        lim.drive_db = self.drive;
        lim.lookahead_ms = self.lookahead;
        lim.release_ms = self.lim_release;
        lim.auto_release = self.lim_auto_release;
        lim.stereo_link_t = self.lim_link / 100.0;
        s
    }
}
