//! The Stem Strip's parameters and the one mapping from their values to [`StripSettings`].
//!
//! Smoothing happens in shared-dsp (conventions §5): gains and mixes are lane (a) (per-sample
//! ramps), EQ frequency/gain/Q and compressor settings lane (b) (coefficients), the high-pass
//! slope and EQ phase mode lane (c) (structural: the slope resets its band, the phase mode
//! changes the latency).

use super::choice::{CompressorModes, Detectors, PhaseModes, Roles, StripSlopes};
use super::{ParamSpec as S, Values};
use crate::compressor::CompressorSettings;
use crate::gain::GainSettings;
use crate::multiband::MultibandSettings;
use crate::saturation::SaturationSettings;
use crate::strip::{band_index, StripSettings};

/// EQ gain range either side of 0 dB (both plugins).
pub const EQ_RANGE_DB: f32 = 6.0;
/// Trim and output range either side of 0 dB.
pub const TRIM_RANGE_DB: f32 = 12.0;
/// Highest compressor ratio.
pub const MAX_RATIO: f32 = 10.0;
/// Trim beyond this belongs in the mix (shaded, warned).
const TRIM_PRACTICE_DB: f32 = 3.0;
/// Bells beyond this are outside stem-mastering practice (shaded, warned).
const BELL_PRACTICE_DB: f32 = 3.0;
/// Shelves beyond this are outside stem-mastering practice (shaded, warned).
const SHELF_PRACTICE_DB: f32 = 2.0;
/// Ratios above this belong in the mix (warned).
const RATIO_PRACTICE: f32 = 3.0;
/// The gentle Q range (shaded).
const GENTLE_Q: (f32, f32) = (0.5, 2.0);

/// A bell's gain with its practice range.
const fn bell_gain(id: &'static str, name: &'static str, group: &'static str) -> S {
    S::db(id, name, 0.0, -EQ_RANGE_DB, EQ_RANGE_DB)
        .in_group(group)
        .practice(-BELL_PRACTICE_DB, BELL_PRACTICE_DB)
}

/// A shelf's gain with its practice range.
const fn shelf_gain(id: &'static str, name: &'static str, group: &'static str) -> S {
    S::db(id, name, 0.0, -EQ_RANGE_DB, EQ_RANGE_DB)
        .in_group(group)
        .practice(-SHELF_PRACTICE_DB, SHELF_PRACTICE_DB)
}

/// An EQ band's frequency (20 Hz–20 kHz).
const fn band_freq(id: &'static str, name: &'static str, group: &'static str, hz: f32) -> S {
    S::hz(id, name, hz, 20.0, 20_000.0).in_group(group)
}

/// An EQ band's Q with the gentle range.
const fn band_q(id: &'static str, name: &'static str, group: &'static str, q: f32) -> S {
    S::q(id, name, q)
        .in_group(group)
        .practice(GENTLE_Q.0, GENTLE_Q.1)
}

/// A 3-band compressor band's threshold.
const fn band_threshold(id: &'static str, name: &'static str, group: &'static str) -> S {
    S::db(id, name, -18.0, -40.0, 0.0).in_group(group)
}

/// A 3-band compressor band's ratio.
const fn band_ratio(id: &'static str, name: &'static str, group: &'static str) -> S {
    S::ratio(id, name, 1.5, MAX_RATIO)
        .in_group(group)
        .practice(1.0, RATIO_PRACTICE)
}

crate::param_table! {
    /// Every host-visible Stem Strip parameter, in host order.
    pub enum StripParam {
        /// What the stem carries; the editor loads the role's defaults when the user picks
        /// one. Changes no audio. A session sets it as the `[[stem]]`'s `role`.
        Role = S::choice::<Roles>("role", "Role", 9).not_in_session(),
        /// Input trim, dB. Lane (a).
        Trim = S::db("trim", "Trim", 0.0, -TRIM_RANGE_DB, TRIM_RANGE_DB)
            .practice(-TRIM_PRACTICE_DB, TRIM_PRACTICE_DB),
        /// Invert the polarity of the left (or mono) channel. Lane (a): 20 ms crossfade.
        InvertLeft = S::switch("inv_l", "Polarity L", false).labelled("Normal", "Inverted"),
        /// Invert the polarity of the right channel. Lane (a): 20 ms crossfade.
        InvertRight = S::switch("inv_r", "Polarity R", false).labelled("Normal", "Inverted"),
        /// High-pass on. Crossfaded.
        HighPassOn = S::switch("hp_on", "High-Pass", false),
        /// High-pass corner, Hz. Lane (b).
        HighPassHz = S::hz("hp_freq", "High-Pass Frequency", 80.0, 20.0, 300.0),
        /// High-pass steepness. Lane (c): resets that band.
        HighPassSlope = S::choice::<StripSlopes>("hp_slope", "High-Pass Slope", 0),
        /// Low shelf gain, dB. Lane (b).
        LowShelfGain = shelf_gain("ls_gain", "Low Shelf Gain", "Low Shelf"),
        /// Low shelf frequency, Hz. Lane (b).
        LowShelfHz = band_freq("ls_freq", "Low Shelf Frequency", "Low Shelf", 100.0),
        /// Low shelf Q (0.707 = no resonance). Lane (b).
        LowShelfQ = band_q("ls_q", "Low Shelf Q", "Low Shelf", 0.707),
        /// Bell 1 gain, dB. Lane (b).
        Bell1Gain = bell_gain("b1_gain", "Bell 1 Gain", "Bell 1"),
        /// Bell 1 frequency, Hz. Lane (b).
        Bell1Hz = band_freq("b1_freq", "Bell 1 Frequency", "Bell 1", 400.0),
        /// Bell 1 Q. Lane (b).
        Bell1Q = band_q("b1_q", "Bell 1 Q", "Bell 1", 1.0),
        /// Bell 2 gain, dB. Lane (b).
        Bell2Gain = bell_gain("b2_gain", "Bell 2 Gain", "Bell 2"),
        /// Bell 2 frequency, Hz. Lane (b).
        Bell2Hz = band_freq("b2_freq", "Bell 2 Frequency", "Bell 2", 3000.0),
        /// Bell 2 Q. Lane (b).
        Bell2Q = band_q("b2_q", "Bell 2 Q", "Bell 2", 1.0),
        /// High shelf gain, dB. Lane (b).
        HighShelfGain = shelf_gain("hs_gain", "High Shelf Gain", "High Shelf"),
        /// High shelf frequency, Hz. Lane (b).
        HighShelfHz = band_freq("hs_freq", "High Shelf Frequency", "High Shelf", 8000.0),
        /// High shelf Q. Lane (b).
        HighShelfQ = band_q("hs_q", "High Shelf Q", "High Shelf", 0.707),
        /// Minimum or linear phase. Lane (c): changes the latency (the host is asked to
        /// restart).
        EqPhase = S::choice::<PhaseModes>("eq_phase", "EQ Phase", 0),
        /// Compressor on (off = transparent). Crossfaded through the compressor's mix.
        CompressorOn = S::switch("comp_on", "Compressor", false),
        /// Single-band or 3-band.
        CompressorMode = S::choice::<CompressorModes>("comp_mode", "Compressor Mode", 0),
        /// Ratio (the GUI warns above 3:1). Lane (b).
        Ratio = S::ratio("ratio", "Ratio", 1.5, MAX_RATIO).practice(1.0, RATIO_PRACTICE),
        /// Threshold, dBFS. Lane (b).
        Threshold = S::db("thresh", "Threshold", -18.0, -40.0, 0.0),
        /// Knee width, dB. Lane (b).
        Knee = S::db("knee", "Knee", 6.0, 0.0, 12.0),
        /// Attack time constant, ms. Lane (b).
        Attack = S::ms("attack", "Attack", 20.0, 0.1, 100.0),
        /// Release time constant, ms. Lane (b).
        Release = S::ms("release", "Release", 140.0, 10.0, 1000.0),
        /// Peak or RMS detection. Lane (b).
        Detector = S::choice::<Detectors>("detector", "Detector", 1),
        /// Stereo link, 0–100 %. Lane (b).
        Link = S::percent("link", "Stereo Link", 1.0),
        /// Sidechain high-pass corner, Hz. Lane (b).
        SidechainHpf = S::hz("sc_hpf", "Sidechain High-Pass", 20.0, 20.0, 300.0),
        /// Parallel-compression mix, 0–100 %. Lane (a).
        CompressorMix = S::percent("comp_mix", "Compressor Mix", 1.0),
        /// Makeup gain, dB. Lane (a).
        Makeup = S::db("makeup", "Makeup", 0.0, 0.0, 12.0),
        /// Low/mid crossover, Hz. Lane (b).
        CrossoverLow = S::hz("xo_low", "Crossover Low", 150.0, 40.0, 1000.0),
        /// Mid/high crossover, Hz. Lane (b).
        CrossoverHigh = S::hz("xo_high", "Crossover High", 2500.0, 500.0, 16_000.0),
        /// Low band threshold of the 3-band mode, dBFS. Lane (b).
        LowBandThreshold = band_threshold("mb_lo_thr", "Low Band Threshold", "Low Band"),
        /// Low band ratio of the 3-band mode. Lane (b).
        LowBandRatio = band_ratio("mb_lo_ratio", "Low Band Ratio", "Low Band"),
        /// Mid band threshold of the 3-band mode, dBFS. Lane (b).
        MidBandThreshold = band_threshold("mb_mid_thr", "Mid Band Threshold", "Mid Band"),
        /// Mid band ratio of the 3-band mode. Lane (b).
        MidBandRatio = band_ratio("mb_mid_ratio", "Mid Band Ratio", "Mid Band"),
        /// High band threshold of the 3-band mode, dBFS. Lane (b).
        HighBandThreshold = band_threshold("mb_hi_thr", "High Band Threshold", "High Band"),
        /// High band ratio of the 3-band mode. Lane (b).
        HighBandRatio = band_ratio("mb_hi_ratio", "High Band Ratio", "High Band"),
        /// Parallel saturation on (off = transparent). Crossfaded through its mix.
        SaturationOn = S::switch("sat_on", "Saturation", false),
        /// Drive into the curve, dB. Lane (a).
        SaturationDrive = S::db("sat_drive", "Drive", 6.0, 0.0, 24.0),
        /// Tone: low-pass of the saturated path, Hz. Lane (b).
        SaturationTone = S::hz("sat_tone", "Tone", 8000.0, 1000.0, 20_000.0),
        /// Parallel mix of the saturated path, 0–100 %. Lane (a).
        SaturationMix = S::percent("sat_mix", "Saturation Mix", 0.2),
        /// Output gain, dB. Lane (a).
        Output = S::db("out", "Output", 0.0, -TRIM_RANGE_DB, TRIM_RANGE_DB),
        /// Host bypass: crossfades to the latency-compensated dry signal (10 ms).
        Bypass = S::bypass(),
    }
}

/// The strip's settings for `v` (cheap; never allocates). The plugin calls it every block,
/// the CLI once per stem.
pub fn strip_settings(v: &Values<StripParam>) -> StripSettings {
    use StripParam as P;
    let mut s = StripSettings {
        trim: GainSettings {
            gain_db: v.get(P::Trim),
            invert: [v.on(P::InvertLeft), v.on(P::InvertRight)],
        },
        compressor_on: v.on(P::CompressorOn),
        compressor_mode: v.choice::<CompressorModes>(P::CompressorMode),
        saturation_on: v.on(P::SaturationOn),
        output_db: v.get(P::Output),
        ..StripSettings::default()
    };
    let bands = &mut s.eq.bands;
    let hp = &mut bands[band_index::HIGH_PASS];
    hp.enabled = v.on(P::HighPassOn);
    hp.freq_hz = v.get(P::HighPassHz);
    hp.slope = v.choice::<StripSlopes>(P::HighPassSlope);
    for (index, [gain, freq, q]) in [
        (
            band_index::LOW_SHELF,
            [P::LowShelfGain, P::LowShelfHz, P::LowShelfQ],
        ),
        (band_index::BELL_1, [P::Bell1Gain, P::Bell1Hz, P::Bell1Q]),
        (band_index::BELL_2, [P::Bell2Gain, P::Bell2Hz, P::Bell2Q]),
        (
            band_index::HIGH_SHELF,
            [P::HighShelfGain, P::HighShelfHz, P::HighShelfQ],
        ),
    ] {
        bands[index].gain_db = v.get(gain);
        bands[index].freq_hz = v.get(freq);
        bands[index].q = v.get(q);
    }
    s.eq.phase = v.choice::<PhaseModes>(P::EqPhase);
    s.compressor = CompressorSettings {
        threshold_db: v.get(P::Threshold),
        ratio: v.get(P::Ratio),
        knee_db: v.get(P::Knee),
        attack_ms: v.get(P::Attack),
        release_ms: v.get(P::Release),
        detector: v.choice::<Detectors>(P::Detector),
        stereo_link_t: v.get(P::Link),
        sidechain_hpf_hz: Some(v.get(P::SidechainHpf)),
        makeup_db: v.get(P::Makeup),
        mix_t: v.get(P::CompressorMix),
    };
    let band = |threshold, ratio| CompressorSettings {
        threshold_db: v.get(threshold),
        ratio: v.get(ratio),
        ..s.compressor
    };
    s.multiband = MultibandSettings {
        low_hz: v.get(P::CrossoverLow),
        high_hz: v.get(P::CrossoverHigh),
        bands: [
            band(P::LowBandThreshold, P::LowBandRatio),
            band(P::MidBandThreshold, P::MidBandRatio),
            band(P::HighBandThreshold, P::HighBandRatio),
        ],
    };
    s.saturation = SaturationSettings {
        drive_db: v.get(P::SaturationDrive),
        tone_hz: Some(v.get(P::SaturationTone)),
        mix_t: v.get(P::SaturationMix),
        ..s.saturation
    };
    s
}
