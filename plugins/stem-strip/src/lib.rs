//! Stemwise Stem Strip: the plugin on every stem track. All DSP lives in `shared-dsp`; this
//! crate maps parameters to processor settings, runs the chain and publishes meters.

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
pub const CLAP_ID: &str = "com.stemwise.stem-strip";
pub mod params;

use params::StemStripParams;

/// Meter values shared with the editor.
#[derive(Debug, Default)]
pub struct StripMeters {
    /// Input peak (before trim).
    pub input: PeakMeter,
    /// Output peak.
    pub output: PeakMeter,
}

/// The processors of one strip, sized in `activate`.
struct Chain {
    /// Trim and polarity.
    gain: GainStage,
    /// Click-free bypass with the dry path delay-compensated.
    bypass: BypassMixer,
    /// Largest block the processors were sized for.
    max_block: usize,
}

/// The Stem Strip plugin.
pub struct StemStrip {
    params: Arc<StemStripParams>,
    meters: Arc<StripMeters>,
    /// `None` until the host activates the plugin.
    chain: Option<Chain>,
}

impl Default for StemStrip {
    fn default() -> Self {
        Self {
            params: Arc::new(StemStripParams::default()),
            meters: Arc::new(StripMeters::default()),
            chain: None,
        }
    }
}

impl Plugin for StemStrip {
    const NAME: &'static str = "Stemwise Stem Strip";
    const VENDOR: &'static str = "Stemwise";
    const URL: &'static str = env!("CARGO_PKG_HOMEPAGE");
    const EMAIL: &'static str = "support@stemwise.audio";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = nice_plug_egui::EguiEditor<editor::StripGui>;
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
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let sample_rate_hz = buffer_config.sample_rate;
        let num_channels = audio_io_layout
            .main_output_channels
            .map_or(2, NonZeroU32::get) as usize;
        let max_block = buffer_config.max_buffer_size.max(1) as usize;
        let chain = Chain {
            gain: GainStage::new(sample_rate_hz, self.params.gain_settings()),
            bypass: BypassMixer::new(sample_rate_hz, max_block, num_channels, 0),
            max_block,
        };
        context.set_latency_samples(chain.latency_samples() as u32);
        self.chain = Some(chain);
        true
    }

    fn reset(&mut self) {
        if let Some(chain) = &mut self.chain {
            chain.gain.set_settings(self.params.gain_settings());
            chain.gain.reset();
            chain.bypass.set_bypassed(self.params.bypass.value());
            chain.bypass.reset();
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let Some(chain) = &mut self.chain else {
            return ProcessStatus::Error("process called before activate");
        };
        let channels = buffer.as_slice();
        sanitize_block(channels);
        self.meters.input.publish(channels);
        let settings = self.params.gain_settings();
        let bypassed = self.params.bypass.value();
        for_each_chunk(channels, chain.max_block, |chunk| {
            chain.process(chunk, settings, bypassed)
        });
        self.meters.output.publish(buffer.as_slice_immutable());
        ProcessStatus::Normal
    }
}

impl Chain {
    /// Runs one chunk through the strip in place.
    fn process(&mut self, channels: &mut [&mut [f32]], settings: GainSettings, bypassed: bool) {
        self.gain.set_settings(settings);
        self.bypass.set_bypassed(bypassed);
        self.bypass.capture_dry(channels);
        self.gain.process_block(channels);
        self.bypass.mix(channels);
    }

    /// Latency of the whole strip, constant under bypass.
    fn latency_samples(&self) -> usize {
        self.gain.latency_samples()
    }
}

impl ClapPlugin for StemStrip {
    const CLAP_ID: &'static str = CLAP_ID;
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Gentle per-stem mastering moves: trim, polarity, EQ, compression");
    const CLAP_MANUAL_URL: Option<&'static str> = Some(Self::URL);
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Mixing,
        ClapFeature::Mastering,
        ClapFeature::Stereo,
        ClapFeature::Mono,
        ClapFeature::Equalizer,
        ClapFeature::Compressor,
    ];
}

impl Vst3Plugin for StemStrip {
    const VST3_CLASS_ID: [u8; 16] = *b"StemwiseStemStrp";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Mastering,
        Vst3SubCategory::Eq,
        Vst3SubCategory::Dynamics,
    ];
}

nice_export_clap!(StemStrip);
nice_export_vst3!(StemStrip);
