//! Stem Strip parameters. IDs are frozen forever: renaming one breaks saved projects.

use nice_plug::prelude::*;
use shared_dsp::gain::GainSettings;

/// Trim range either side of 0 dB.
pub const TRIM_RANGE_DB: f32 = 12.0;
/// Beyond this much trim the balance problem belongs in the mix (the GUI warns).
pub const TRIM_WARN_DB: f32 = 3.0;

/// All host-visible parameters of the Stem Strip.
#[derive(Params)]
pub struct StemStripParams {
    /// Input trim in dB, −12…+12, 0.01 dB steps. Lane (a): per-sample smoothed in shared-dsp.
    #[id = "trim"]
    pub trim_db: FloatParam,
    /// Invert the polarity of the left (or mono) channel. Lane (a): 20 ms crossfade.
    #[id = "inv_l"]
    pub invert_left: BoolParam,
    /// Invert the polarity of the right channel. Lane (a): 20 ms crossfade.
    #[id = "inv_r"]
    pub invert_right: BoolParam,
    /// Host bypass: crossfades to the latency-compensated dry signal (10 ms).
    #[id = "bypass"]
    pub bypass: BoolParam,
    /// The CLAP id of this plugin, saved with the state so that a state from the other
    /// Stemwise plugin is recognised and ignored (see `plugin_common::identity`).
    #[persist = "plugin"]
    pub identity: std::sync::RwLock<String>,
}

impl Default for StemStripParams {
    fn default() -> Self {
        Self {
            trim_db: FloatParam::new(
                "Trim",
                0.0,
                FloatRange::Linear {
                    min: -TRIM_RANGE_DB,
                    max: TRIM_RANGE_DB,
                },
            )
            .with_step_size(0.01)
            .with_unit(" dB")
            .with_value_to_string(formatters::v2s_f32_rounded(2)),
            invert_left: BoolParam::new("Polarity L", false).with_value_to_string(polarity_text()),
            invert_right: BoolParam::new("Polarity R", false).with_value_to_string(polarity_text()),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
            identity: plugin_common::identity::identity(crate::CLAP_ID),
        }
    }
}

fn polarity_text() -> std::sync::Arc<dyn Fn(bool) -> String + Send + Sync> {
    std::sync::Arc::new(|inverted| if inverted { "Inverted" } else { "Normal" }.to_owned())
}

impl StemStripParams {
    /// The trim/polarity stage settings for the current parameter values.
    pub fn gain_settings(&self) -> GainSettings {
        GainSettings {
            gain_db: self.trim_db.value(),
            invert: [self.invert_left.value(), self.invert_right.value()],
        }
    }

    /// True when the trim is beyond the ±3 dB a stem should need.
    pub fn trim_warning(&self) -> bool {
        self.trim_db.value().abs() > TRIM_WARN_DB
    }
}
