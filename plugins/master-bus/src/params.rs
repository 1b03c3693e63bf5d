//! Master Bus parameters. IDs are frozen forever: renaming one breaks saved projects.

use nice_plug::prelude::*;
use shared_dsp::gain::GainSettings;

/// All host-visible parameters of the Master Bus.
#[derive(Params)]
pub struct MasterBusParams {
    /// Gain into the chain in dB, −24…+24. Lane (a): per-sample smoothed in shared-dsp.
    #[id = "in_gain"]
    pub input_gain_db: FloatParam,
    /// Gain after the chain in dB, −24…+24. Lane (a): per-sample smoothed in shared-dsp.
    #[id = "out_gain"]
    pub output_gain_db: FloatParam,
    /// Host bypass: crossfades to the latency-compensated dry signal (10 ms).
    #[id = "bypass"]
    pub bypass: BoolParam,
    /// The CLAP id of this plugin, saved with the state so that a state from the other
    /// Stemwise plugin is recognised and ignored (see `plugin_common::identity`).
    #[persist = "plugin"]
    pub identity: std::sync::RwLock<String>,
}

fn gain_param(name: &str) -> FloatParam {
    FloatParam::new(
        name,
        0.0,
        FloatRange::Linear {
            min: -24.0,
            max: 24.0,
        },
    )
    .with_step_size(0.01)
    .with_unit(" dB")
    .with_value_to_string(formatters::v2s_f32_rounded(2))
}

impl Default for MasterBusParams {
    fn default() -> Self {
        Self {
            input_gain_db: gain_param("Input Gain"),
            output_gain_db: gain_param("Output Gain"),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
            identity: plugin_common::identity::identity(crate::CLAP_ID),
        }
    }
}

impl MasterBusParams {
    /// Settings of the input gain stage.
    pub fn input_gain(&self) -> GainSettings {
        GainSettings {
            gain_db: self.input_gain_db.value(),
            ..GainSettings::default()
        }
    }

    /// Settings of the output gain stage.
    pub fn output_gain(&self) -> GainSettings {
        GainSettings {
            gain_db: self.output_gain_db.value(),
            ..GainSettings::default()
        }
    }
}
