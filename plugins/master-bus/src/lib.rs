//! Stemwise Master Bus: the plugin on the master. All DSP lives in `shared-dsp`; this crate
//! maps parameters to processor settings, runs the chain and publishes meters.

use nice_plug::prelude::*;
use plugin_common::meters::PeakMeter;
use shared_dsp::block::for_each_chunk;
use shared_dsp::bypass::BypassMixer;
use shared_dsp::gain::{GainSettings, GainStage};
use shared_dsp::sanitize::sanitize_block;
use std::num::NonZeroU32;
use std::sync::Arc;

mod editor;

/// The CLAP id, frozen forever (hosts store projects by it).
pub const CLAP_ID: &str = "com.stemwise.master-bus";
pub mod params;

use params::MasterBusParams;

/// Meter values shared with the editor.
#[derive(Debug, Default)]
pub struct BusMeters {
    /// Input peak (the summed stems).
    pub input: PeakMeter,
    /// Output peak.
    pub output: PeakMeter,
}

/// The processors of the bus, sized in `activate`.
struct Chain {
    /// Gain into the chain.
    input_gain: GainStage,
    /// Gain after the chain.
    output_gain: GainStage,
    /// Click-free bypass with the dry path delay-compensated.
    bypass: BypassMixer,
    /// Largest block the processors were sized for.
    max_block: usize,
}

/// Settings read from the parameters once per (sub-)block.
#[derive(Clone, Copy)]
struct ChainSettings {
    input_gain: GainSettings,
    output_gain: GainSettings,
    bypassed: bool,
}

/// The Master Bus plugin.
pub struct MasterBus {
    params: Arc<MasterBusParams>,
    meters: Arc<BusMeters>,
    /// `None` until the host activates the plugin.
    chain: Option<Chain>,
}

impl Default for MasterBus {
    fn default() -> Self {
        Self {
            params: Arc::new(MasterBusParams::default()),
            meters: Arc::new(BusMeters::default()),
            chain: None,
        }
    }
}

impl MasterBus {
    fn settings(&self) -> ChainSettings {
        ChainSettings {
            input_gain: self.params.input_gain(),
            output_gain: self.params.output_gain(),
            bypassed: self.params.bypass.value(),
        }
    }
}

impl Plugin for MasterBus {
    const NAME: &'static str = "Stemwise Master Bus";
    const VENDOR: &'static str = "Stemwise";
    const URL: &'static str = env!("CARGO_PKG_HOMEPAGE");
    const EMAIL: &'static str = "support@stemwise.audio";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[AudioIOLayout {
        main_input_channels: NonZeroU32::new(2),
        main_output_channels: NonZeroU32::new(2),
        ..AudioIOLayout::const_default()
    }];

    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = nice_plug_egui::EguiEditor<editor::BusGui>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn filter_state(state: &mut PluginState) {
        plugin_common::identity::drop_foreign_state(state, CLAP_ID);
    }

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(self.params.clone(), self.meters.clone())
    }

    fn activate(
        &mut self,
        _audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let sample_rate_hz = buffer_config.sample_rate;
        let max_block = buffer_config.max_buffer_size.max(1) as usize;
        let chain = Chain {
            input_gain: GainStage::new(sample_rate_hz, self.params.input_gain()),
            output_gain: GainStage::new(sample_rate_hz, self.params.output_gain()),
            bypass: BypassMixer::new(sample_rate_hz, max_block, 2, 0),
            max_block,
        };
        context.set_latency_samples(chain.latency_samples() as u32);
        self.chain = Some(chain);
        true
    }

    fn reset(&mut self) {
        let settings = self.settings();
        if let Some(chain) = &mut self.chain {
            chain.apply(settings);
            chain.input_gain.reset();
            chain.output_gain.reset();
            chain.bypass.reset();
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let settings = self.settings();
        let Some(chain) = &mut self.chain else {
            return ProcessStatus::Error("process called before activate");
        };
        let channels = buffer.as_slice();
        sanitize_block(channels);
        self.meters.input.publish(channels);
        for_each_chunk(channels, chain.max_block, |chunk| {
            chain.process(chunk, settings)
        });
        self.meters.output.publish(buffer.as_slice_immutable());
        ProcessStatus::Normal
    }
}

impl Chain {
    /// Sends new targets to every stage.
    fn apply(&mut self, settings: ChainSettings) {
        self.input_gain.set_settings(settings.input_gain);
        self.output_gain.set_settings(settings.output_gain);
        self.bypass.set_bypassed(settings.bypassed);
    }

    /// Runs one chunk through the bus in place.
    fn process(&mut self, channels: &mut [&mut [f32]], settings: ChainSettings) {
        self.apply(settings);
        self.bypass.capture_dry(channels);
        self.input_gain.process_block(channels);
        self.output_gain.process_block(channels);
        self.bypass.mix(channels);
    }

    /// Latency of the whole bus, constant under bypass.
    fn latency_samples(&self) -> usize {
        self.input_gain.latency_samples() + self.output_gain.latency_samples()
    }
}

impl ClapPlugin for MasterBus {
    const CLAP_ID: &'static str = CLAP_ID;
    const CLAP_DESCRIPTION: Option<&'static str> = Some(
        "Master bus for stem mastering: EQ, glue compression, true-peak limiting, loudness, null test",
    );
    const CLAP_MANUAL_URL: Option<&'static str> = Some(Self::URL);
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Mastering,
        ClapFeature::Mixing,
        ClapFeature::Stereo,
        ClapFeature::Equalizer,
        ClapFeature::Compressor,
        ClapFeature::Limiter,
        ClapFeature::Analyzer,
    ];
}

impl Vst3Plugin for MasterBus {
    const VST3_CLASS_ID: [u8; 16] = *b"StemwiseMasterBs";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Mastering,
        Vst3SubCategory::Dynamics,
        Vst3SubCategory::Analyzer,
    ];
}

nice_export_clap!(MasterBus);
nice_export_vst3!(MasterBus);
