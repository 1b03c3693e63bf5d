//! Parameter builders both plugins share, so that a dB, Hz, ms or % parameter reads, types
//! and automates the same way on every Stemwise plugin.
//!
//! No parameter gets a nice-plug smoother: smoothing happens in shared-dsp (conventions §5).

use nice_plug::prelude::*;
use std::sync::Arc;

/// EQ gain range either side of 0 dB (both plugins).
pub const EQ_RANGE_DB: f32 = 6.0;

/// A dB parameter `min..max` with 0.01 dB steps.
pub fn db_param(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min, max })
        .with_step_size(0.01)
        .with_unit(" dB")
        .with_value_to_string(formatters::v2s_f32_rounded(2))
}

/// A frequency parameter on a logarithmic scale (typed as "80", "80 Hz" or "2.5 kHz").
pub fn hz_param(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min,
            max,
            factor: FloatRange::skew_factor(-2.0),
        },
    )
    .with_value_to_string(formatters::v2s_f32_hz_then_khz(1))
    .with_string_to_value(formatters::s2v_f32_hz_then_khz())
}

/// A time parameter in ms on a logarithmic scale.
pub fn ms_param(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min,
            max,
            factor: FloatRange::skew_factor(-1.5),
        },
    )
    .with_unit(" ms")
    .with_value_to_string(formatters::v2s_f32_rounded(1))
}

/// A 0–100 % parameter stored as 0…1.
pub fn percent_param(name: &str, default_t: f32) -> FloatParam {
    FloatParam::new(name, default_t, FloatRange::Linear { min: 0.0, max: 1.0 })
        .with_unit("%")
        .with_value_to_string(formatters::v2s_f32_percentage(0))
        .with_string_to_value(formatters::s2v_f32_percentage())
}

/// A compression ratio parameter `1..max_ratio`, finer at the gentle end, shown as "1.50:1".
pub fn ratio_param(name: &str, default: f32, max_ratio: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min: 1.0,
            max: max_ratio,
            factor: FloatRange::skew_factor(-1.5),
        },
    )
    .with_step_size(0.01)
    .with_value_to_string(Arc::new(|ratio| format!("{ratio:.2}:1")))
    .with_string_to_value(Arc::new(parse_ratio))
}

/// Parses a typed or displayed ratio: "1.50:1", "1.5 : 1", "1.5".
fn parse_ratio(text: &str) -> Option<f32> {
    let number = text.split(':').next()?.trim();
    number.parse().ok().filter(|ratio: &f32| ratio.is_finite())
}

/// An on/off switch shown as `off_label` / `on_label` (e.g. "Normal" / "Inverted"). Both labels
/// parse back to their state (any case), as do "On"/"Off", "true"/"false" and "1"/"0", so a host
/// that restores or types the displayed text gets the state it showed.
pub fn labelled_switch(
    name: &str,
    default: bool,
    off_label: &'static str,
    on_label: &'static str,
) -> BoolParam {
    BoolParam::new(name, default)
        .with_value_to_string(Arc::new(move |on| {
            if on { on_label } else { off_label }.to_owned()
        }))
        .with_string_to_value(Arc::new(move |text| {
            let text = text.trim();
            let is = |word: &str| text.eq_ignore_ascii_case(word);
            if is(on_label) || is("on") || is("true") || is("1") {
                Some(true)
            } else if is(off_label) || is("off") || is("false") || is("0") {
                Some(false)
            } else {
                None
            }
        }))
}

/// EQ phase mode choices (both plugins).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseChoice {
    #[id = "min"]
    #[name = "Minimum phase"]
    Minimum,
    #[id = "lin"]
    #[name = "Linear phase"]
    Linear,
}

impl PhaseChoice {
    /// The shared-dsp phase mode.
    pub fn phase_mode(self) -> shared_dsp::eq::settings::PhaseMode {
        match self {
            Self::Minimum => shared_dsp::eq::settings::PhaseMode::Minimum,
            Self::Linear => shared_dsp::eq::settings::PhaseMode::Linear,
        }
    }
}

/// One EQ band's parameters (bell or shelf).
#[derive(Params)]
pub struct EqBandParams {
    /// Gain, dB (±[`EQ_RANGE_DB`]). Lane (b).
    #[id = "gain"]
    pub gain_db: FloatParam,
    /// Frequency, Hz (20 Hz–20 kHz, logarithmic). Lane (b).
    #[id = "freq"]
    pub freq_hz: FloatParam,
    /// Quality factor (0.3–4; for shelves it sets the knee's resonance, 0.707 = none).
    /// Lane (b).
    #[id = "q"]
    pub q: FloatParam,
}

impl EqBandParams {
    /// A band at 0 dB; parameter names start with `name` (hosts show names without groups).
    pub fn new(name: &str, freq_hz: f32, q: f32) -> Self {
        Self {
            gain_db: db_param(&format!("{name} Gain"), 0.0, -EQ_RANGE_DB, EQ_RANGE_DB),
            freq_hz: hz_param(&format!("{name} Frequency"), freq_hz, 20.0, 20_000.0),
            q: FloatParam::new(
                format!("{name} Q"),
                q,
                FloatRange::Skewed {
                    min: 0.3,
                    max: 4.0,
                    factor: FloatRange::skew_factor(-1.0),
                },
            )
            .with_step_size(0.01)
            .with_value_to_string(formatters::v2s_f32_rounded(2)),
        }
    }

    /// Copies gain, frequency and Q into a shared-dsp band (kind, slope, on/off unchanged).
    pub fn apply_to(&self, band: &mut shared_dsp::eq::settings::BandSettings) {
        band.gain_db = self.gain_db.value();
        band.freq_hz = self.freq_hz.value();
        band.q = self.q.value();
    }
}
