//! A stem's Stem Strip settings in a session file: the plugin's parameter IDs, units and
//! defaults (`plugins/stem-strip/src/params.rs`), mapped to [`StripSettings`] the way the
//! plugin maps its parameters. Percentages are 0–100 (the plugin shows %, stores 0…1).

use super::check_range;
use anyhow::Result;
use serde::Deserialize;
use shared_dsp::compressor::{CompressorSettings, Detector};
use shared_dsp::eq::settings::{PhaseMode, Slope};
use shared_dsp::gain::GainSettings;
use shared_dsp::multiband::MultibandSettings;
use shared_dsp::saturation::SaturationSettings;
use shared_dsp::strip::{band_index, CompressorMode, StripSettings};

/// EQ phase mode (`eq_phase`): `"min"` or `"lin"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum PhaseChoice {
    /// Minimum phase.
    #[default]
    #[serde(rename = "min")]
    Minimum,
    /// Linear phase (adds latency; the renderer compensates it).
    #[serde(rename = "lin")]
    Linear,
}

impl PhaseChoice {
    /// The shared-dsp phase mode.
    pub fn phase(self) -> PhaseMode {
        match self {
            Self::Minimum => PhaseMode::Minimum,
            Self::Linear => PhaseMode::Linear,
        }
    }
}

/// High-pass slope (`hp_slope`): `"12"` or `"24"` dB/oct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum SlopeChoice {
    /// 12 dB/oct.
    #[default]
    #[serde(rename = "12")]
    Db12,
    /// 24 dB/oct.
    #[serde(rename = "24")]
    Db24,
}

/// Compressor mode (`comp_mode`): `"single"` or `"multi"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum ModeChoice {
    /// One full-band compressor.
    #[default]
    #[serde(rename = "single")]
    Single,
    /// Three bands.
    #[serde(rename = "multi")]
    Multiband,
}

/// Detector (`detector`): `"peak"` or `"rms"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum DetectorChoice {
    /// Peak.
    #[serde(rename = "peak")]
    Peak,
    /// RMS.
    #[default]
    #[serde(rename = "rms")]
    Rms,
}

/// The Stem Strip parameters of one stem; every key optional, defaults as in the plugin.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StripParams {
    /// Input trim, dB (−12…12).
    pub trim: f32,
    /// Invert the left (or mono) channel.
    pub inv_l: bool,
    /// Invert the right channel.
    pub inv_r: bool,
    /// High-pass on.
    pub hp_on: bool,
    /// High-pass corner, Hz (20–300).
    pub hp_freq: f32,
    /// High-pass slope, `"12"` or `"24"` dB/oct.
    pub hp_slope: SlopeChoice,
    /// Low shelf gain, dB (±6).
    pub ls_gain: f32,
    /// Low shelf frequency, Hz.
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
    /// High shelf gain, dB (±6).
    pub hs_gain: f32,
    /// High shelf frequency, Hz.
    pub hs_freq: f32,
    /// High shelf Q (0.3–4).
    pub hs_q: f32,
    /// EQ phase, `"min"` or `"lin"`.
    pub eq_phase: PhaseChoice,
    /// Compressor on.
    pub comp_on: bool,
    /// Compressor mode, `"single"` or `"multi"`.
    pub comp_mode: ModeChoice,
    /// Ratio (1–10).
    pub ratio: f32,
    /// Threshold, dBFS (−40…0).
    pub thresh: f32,
    /// Knee, dB (0–12).
    pub knee: f32,
    /// Attack, ms (0.1–100).
    pub attack: f32,
    /// Release, ms (10–1000).
    pub release: f32,
    /// Detector, `"peak"` or `"rms"`.
    pub detector: DetectorChoice,
    /// Stereo link, % (0–100).
    pub link: f32,
    /// Sidechain high-pass, Hz (20–300).
    pub sc_hpf: f32,
    /// Compressor (parallel) mix, % (0–100).
    pub comp_mix: f32,
    /// Makeup, dB (0–12).
    pub makeup: f32,
    /// Low/mid crossover, Hz (40–1000).
    pub xo_low: f32,
    /// Mid/high crossover, Hz (500–16000).
    pub xo_high: f32,
    /// Low band threshold, dBFS (−40…0).
    pub mb_lo_thr: f32,
    /// Low band ratio (1–10).
    pub mb_lo_ratio: f32,
    /// Mid band threshold, dBFS (−40…0).
    pub mb_mid_thr: f32,
    /// Mid band ratio (1–10).
    pub mb_mid_ratio: f32,
    /// High band threshold, dBFS (−40…0).
    pub mb_hi_thr: f32,
    /// High band ratio (1–10).
    pub mb_hi_ratio: f32,
    /// Saturation on.
    pub sat_on: bool,
    /// Saturation drive, dB (0–24).
    pub sat_drive: f32,
    /// Saturation tone, Hz (1000–20000).
    pub sat_tone: f32,
    /// Saturation mix, % (0–100).
    pub sat_mix: f32,
    /// Output gain, dB (−12…12).
    pub out: f32,
}

impl Default for StripParams {
    fn default() -> Self {
        Self {
            trim: 0.0,
            inv_l: false,
            inv_r: false,
            hp_on: false,
            hp_freq: 80.0,
            hp_slope: SlopeChoice::Db12,
            ls_gain: 0.0,
            ls_freq: 100.0,
            ls_q: 0.707,
            b1_gain: 0.0,
            b1_freq: 400.0,
            b1_q: 1.0,
            b2_gain: 0.0,
            b2_freq: 3000.0,
            b2_q: 1.0,
            hs_gain: 0.0,
            hs_freq: 8000.0,
            hs_q: 0.707,
            eq_phase: PhaseChoice::Minimum,
            comp_on: false,
            comp_mode: ModeChoice::Single,
            ratio: 1.5,
            thresh: -18.0,
            knee: 6.0,
            attack: 20.0,
            release: 140.0,
            detector: DetectorChoice::Rms,
            link: 100.0,
            sc_hpf: 20.0,
            comp_mix: 100.0,
            makeup: 0.0,
            xo_low: 150.0,
            xo_high: 2500.0,
            mb_lo_thr: -18.0,
            mb_lo_ratio: 1.5,
            mb_mid_thr: -18.0,
            mb_mid_ratio: 1.5,
            mb_hi_thr: -18.0,
            mb_hi_ratio: 1.5,
            sat_on: false,
            sat_drive: 6.0,
            sat_tone: 8000.0,
            sat_mix: 20.0,
            out: 0.0,
        }
    }
}

impl StripParams {
    /// Checks every value against the plugin's range; the error names the key and range.
    pub fn validate(&self) -> Result<()> {
        for (key, value, lo, hi) in [
            ("trim", self.trim, -12.0, 12.0),
            ("hp_freq", self.hp_freq, 20.0, 300.0),
            ("ls_gain", self.ls_gain, -6.0, 6.0),
            ("ls_freq", self.ls_freq, 20.0, 20_000.0),
            ("ls_q", self.ls_q, 0.3, 4.0),
            ("b1_gain", self.b1_gain, -6.0, 6.0),
            ("b1_freq", self.b1_freq, 20.0, 20_000.0),
            ("b1_q", self.b1_q, 0.3, 4.0),
            ("b2_gain", self.b2_gain, -6.0, 6.0),
            ("b2_freq", self.b2_freq, 20.0, 20_000.0),
            ("b2_q", self.b2_q, 0.3, 4.0),
            ("hs_gain", self.hs_gain, -6.0, 6.0),
            ("hs_freq", self.hs_freq, 20.0, 20_000.0),
            ("hs_q", self.hs_q, 0.3, 4.0),
            ("ratio", self.ratio, 1.0, 10.0),
            ("thresh", self.thresh, -40.0, 0.0),
            ("knee", self.knee, 0.0, 12.0),
            ("attack", self.attack, 0.1, 100.0),
            ("release", self.release, 10.0, 1000.0),
            ("link", self.link, 0.0, 100.0),
            ("sc_hpf", self.sc_hpf, 20.0, 300.0),
            ("comp_mix", self.comp_mix, 0.0, 100.0),
            ("makeup", self.makeup, 0.0, 12.0),
            ("xo_low", self.xo_low, 40.0, 1000.0),
            ("xo_high", self.xo_high, 500.0, 16_000.0),
            ("mb_lo_thr", self.mb_lo_thr, -40.0, 0.0),
            ("mb_lo_ratio", self.mb_lo_ratio, 1.0, 10.0),
            ("mb_mid_thr", self.mb_mid_thr, -40.0, 0.0),
            ("mb_mid_ratio", self.mb_mid_ratio, 1.0, 10.0),
            ("mb_hi_thr", self.mb_hi_thr, -40.0, 0.0),
            ("mb_hi_ratio", self.mb_hi_ratio, 1.0, 10.0),
            ("sat_drive", self.sat_drive, 0.0, 24.0),
            ("sat_tone", self.sat_tone, 1000.0, 20_000.0),
            ("sat_mix", self.sat_mix, 0.0, 100.0),
            ("out", self.out, -12.0, 12.0),
        ] {
            check_range(key, value, lo, hi)?;
        }
        Ok(())
    }

    /// The strip settings these parameters give (the plugin's `strip_settings` mapping).
    pub fn settings(&self) -> StripSettings {
        let mut s = StripSettings {
            trim: GainSettings {
                gain_db: self.trim,
                invert: [self.inv_l, self.inv_r],
            },
            compressor_on: self.comp_on,
            compressor_mode: match self.comp_mode {
                ModeChoice::Single => CompressorMode::Single,
                ModeChoice::Multiband => CompressorMode::Multiband,
            },
            saturation_on: self.sat_on,
            output_db: self.out,
            ..StripSettings::default()
        };
        let bands = &mut s.eq.bands;
        let hp = &mut bands[band_index::HIGH_PASS];
        hp.enabled = self.hp_on;
        hp.freq_hz = self.hp_freq;
        hp.slope = match self.hp_slope {
            SlopeChoice::Db12 => Slope::Db12,
            SlopeChoice::Db24 => Slope::Db24,
        };
        for (index, gain_db, freq_hz, q) in [
            (band_index::LOW_SHELF, self.ls_gain, self.ls_freq, self.ls_q),
            (band_index::BELL_1, self.b1_gain, self.b1_freq, self.b1_q),
            (band_index::BELL_2, self.b2_gain, self.b2_freq, self.b2_q),
            (
                band_index::HIGH_SHELF,
                self.hs_gain,
                self.hs_freq,
                self.hs_q,
            ),
        ] {
            bands[index].gain_db = gain_db;
            bands[index].freq_hz = freq_hz;
            bands[index].q = q;
        }
        s.eq.phase = self.eq_phase.phase();
        s.compressor = CompressorSettings {
            threshold_db: self.thresh,
            ratio: self.ratio,
            knee_db: self.knee,
            attack_ms: self.attack,
            release_ms: self.release,
            detector: match self.detector {
                DetectorChoice::Peak => Detector::Peak,
                DetectorChoice::Rms => Detector::Rms,
            },
            stereo_link_t: self.link / 100.0,
            sidechain_hpf_hz: Some(self.sc_hpf),
            makeup_db: self.makeup,
            mix_t: self.comp_mix / 100.0,
        };
        let band = |threshold_db, ratio| CompressorSettings {
            threshold_db,
            ratio,
            ..s.compressor
        };
        s.multiband = MultibandSettings {
            low_hz: self.xo_low,
            high_hz: self.xo_high,
            bands: [
                band(self.mb_lo_thr, self.mb_lo_ratio),
                band(self.mb_mid_thr, self.mb_mid_ratio),
                band(self.mb_hi_thr, self.mb_hi_ratio),
            ],
        };
        s.saturation = SaturationSettings {
            drive_db: self.sat_drive,
            tone_hz: Some(self.sat_tone),
            mix_t: self.sat_mix / 100.0,
            ..s.saturation
        };
        s
    }
}
