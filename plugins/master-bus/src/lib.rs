//! Stemwise Master Bus: the plugin on the master. All DSP lives in `shared-dsp`; this crate
//! maps parameters to processor settings, runs the chain and publishes meters.
//!
//! Signal flow: input gain → EQ → glue compressor → true-peak limiter → output gain
//! ([`shared_dsp::master::MasterChain`]) → meters. The reference input (CLAP aux port, VST3
//! sidechain bus) carries the approved mix; the live null test compares it with the main
//! input (the stems' sum) *before* the master processing.

use nice_plug::prelude::*;
use plugin_common::activation::supported_config;
use shared_dsp::block::for_each_chunk;
use shared_dsp::sanitize::sanitize_block;
use std::num::NonZeroU32;
use std::sync::Arc;

mod chain;
mod editor;
pub mod meters;
pub mod params;
pub mod session;

use chain::Chain;
use meters::{BusMeters, SavedReadings};
use params::MasterBusParams;
use shared_dsp::params::master::MasterParam;

/// The CLAP id, frozen forever (hosts store projects by it).
pub const CLAP_ID: &str = "com.stemwise.master-bus";

/// The Master Bus plugin.
pub struct MasterBus {
    params: Arc<MasterBusParams>,
    meters: Arc<BusMeters>,
    /// `None` until the host activates the plugin.
    chain: Option<Chain>,
}

impl Default for MasterBus {
    fn default() -> Self {
        let readings = Arc::new(SavedReadings::default());
        Self {
            params: Arc::new(MasterBusParams::new(readings.clone())),
            meters: Arc::new(BusMeters::new(readings)),
            chain: None,
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
        aux_input_ports: &[new_nonzero_u32(2)],
        names: PortNames {
            layout: Some("Stereo with reference mix"),
            main_input: Some("Stems sum"),
            main_output: Some("Master"),
            aux_inputs: &["Reference mix"],
            aux_outputs: &[],
        },
        ..AudioIOLayout::const_default()
    }];

    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = nice_plug_egui::EguiEditor<editor::BusGui>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn filter_state(state: &mut PluginState) {
        plugin_common::identity::drop_foreign_state(state, CLAP_ID);
        // States saved before the mono bass parameters load with it off.
        plugin_common::param_kit::default_missing_params::<MasterParam>(state);
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
        let Some((sample_rate_hz, max_block)) = supported_config(buffer_config) else {
            return false;
        };
        let chain = Chain::new(sample_rate_hz, max_block, &self.params);
        let latency_samples = chain.latency_samples();
        context.set_latency_samples(latency_samples as u32);
        self.meters.latency_samples.publish(latency_samples as f32);
        self.meters.sample_rate_hz.publish(sample_rate_hz as f32);
        self.chain = Some(chain);
        true
    }

    fn reset(&mut self) {
        if let Some(chain) = &mut self.chain {
            chain.reset(&self.params);
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let Some(chain) = &mut self.chain else {
            return ProcessStatus::Error("process called before activate");
        };
        if self.meters.take_reset_request() {
            chain.reset_measurement(&self.meters);
        }
        let settings = self.params.master_settings();
        let monitor = chain::Monitor {
            bypassed: self.params.bypass.value(),
            ab_unprocessed: self.params.ab_unprocessed.value(),
        };
        let latency_before = chain.latency_samples();
        let reference = aux.inputs.first_mut().map(|b| b.as_slice());
        let channels = buffer.as_slice();
        sanitize_block(channels);
        chain.null_test(reference, channels);
        self.meters.input.publish(channels);
        for_each_chunk(channels, chain.max_block(), |chunk| {
            chain.process(chunk, settings, monitor, &self.meters)
        });
        let latency_samples = chain.latency_samples();
        if latency_samples != latency_before {
            // EQ phase mode and limiter lookahead only (structural, lane (c) changes).
            context.set_latency_samples(latency_samples as u32);
            self.meters.latency_samples.publish(latency_samples as f32);
        }
        self.meters.output.publish(buffer.as_slice_immutable());
        chain.publish(&self.meters);
        ProcessStatus::Normal
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

    fn remote_controls(&self, context: &mut impl RemoteControlsContext) {
        add_remote_controls(&self.params, context);
    }
}

/// CLAP remote-control pages (Bitwig's controller mapping): EQ, glue, limiter & output.
fn add_remote_controls(params: &MasterBusParams, context: &mut impl RemoteControlsContext) {
    context.add_section("Master Bus", |section| {
        section.add_page("EQ", |page| {
            page.add_param(&params.low_shelf.gain_db);
            page.add_param(&params.bell_1.gain_db);
            page.add_param(&params.bell_2.gain_db);
            page.add_param(&params.bell_3.gain_db);
            page.add_param(&params.high_shelf.gain_db);
            page.add_param(&params.bell_1.freq_hz);
            page.add_param(&params.bell_2.freq_hz);
            page.add_param(&params.bell_3.freq_hz);
        });
        section.add_page("Glue Compressor", |page| {
            page.add_param(&params.glue_on);
            page.add_param(&params.glue_ratio);
            page.add_param(&params.glue_threshold_db);
            page.add_param(&params.glue_attack_ms);
            page.add_param(&params.glue_release_ms);
            page.add_param(&params.glue_sidechain_hpf_hz);
            page.add_param(&params.glue_mix_t);
            page.add_param(&params.glue_makeup_db);
        });
        section.add_page("Limiter & Output", |page| {
            page.add_param(&params.limiter_on);
            page.add_param(&params.ceiling_preset);
            page.add_param(&params.limiter_drive_db);
            page.add_param(&params.limiter_release_ms);
            page.add_param(&params.input_gain_db);
            page.add_param(&params.output_gain_db);
            page.add_param(&params.ab_unprocessed);
            page.add_param(&params.target);
        });
    });
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
