//! Stemwise Stem Strip: the plugin on every stem track. All DSP lives in `shared-dsp`; this
//! crate maps parameters to processor settings, runs the chain and publishes meters.

use nice_plug::prelude::*;
use plugin_common::activation::supported_config;
use plugin_common::meters::PeakMeter;
use plugin_common::param_kit::ChoiceValue;
use session_link::{BlockEnergyMeter, StripState, TransportStamp};
use shared_dsp::block::{for_each_chunk, with_shared};
use shared_dsp::bypass::BypassMixer;
use shared_dsp::loudness::LoudnessMeter;
use shared_dsp::meter_transport::ScalarMeter;
use shared_dsp::sanitize::sanitize_block;
use shared_dsp::strip::{StripChain, StripSettings};
use std::num::NonZeroU32;
use std::sync::Arc;

mod editor;
pub mod link;

/// The CLAP id, frozen forever (hosts store projects by it).
pub const CLAP_ID: &str = "com.stemwise.stem-strip";
pub mod params;

use link::{LinkAudio, LinkShared};
use params::StemStripParams;

/// Meter values shared with the editor (published once per block by the audio thread).
#[derive(Debug)]
pub struct StripMeters {
    /// Input peak (before trim).
    pub input: PeakMeter,
    /// Output peak.
    pub output: PeakMeter,
    /// Short-term (3 s) loudness of the input, LUFS.
    pub input_short_term_lufs: ScalarMeter,
    /// Short-term (3 s) loudness of the output, LUFS.
    pub output_short_term_lufs: ScalarMeter,
    /// Compressor gain reduction, dB (largest band in 3-band mode).
    pub reduction_db: ScalarMeter,
    /// Gain reduction per band (low, mid, high) in 3-band mode, dB.
    pub band_reduction_db: [ScalarMeter; 3],
    /// Reported latency, samples.
    pub latency_samples: ScalarMeter,
    /// Sample rate of the current activation, Hz (0 before activation).
    pub sample_rate_hz: ScalarMeter,
}

impl Default for StripMeters {
    fn default() -> Self {
        let silent = || ScalarMeter::new(f32::NEG_INFINITY);
        Self {
            input: PeakMeter::default(),
            output: PeakMeter::default(),
            input_short_term_lufs: silent(),
            output_short_term_lufs: silent(),
            reduction_db: ScalarMeter::new(0.0),
            band_reduction_db: Default::default(),
            latency_samples: ScalarMeter::new(0.0),
            sample_rate_hz: ScalarMeter::new(0.0),
        }
    }
}

/// The processors of one strip, sized in `activate`.
struct Chain {
    /// The shared-dsp strip (trim → EQ → compressor → saturation → output).
    strip: StripChain,
    /// Click-free host bypass with the dry path delay-compensated.
    bypass: BypassMixer,
    /// Loudness of the input, for the short-term meter (no true peak: nothing shows it).
    input_loudness: LoudnessMeter,
    /// Loudness of the output, for the short-term meter and the session link (no true peak).
    output_loudness: LoudnessMeter,
    /// K-weighted energy of the output per 100 ms, for the session link.
    output_energy: BlockEnergyMeter,
    /// Channels of the activation (1 or 2).
    num_channels: usize,
    /// The delay of the bypass mixer's dry path, samples (= the strip's latency).
    dry_latency_samples: usize,
    /// Largest block the processors were sized for.
    max_block: usize,
}

/// The Stem Strip plugin.
pub struct StemStrip {
    params: Arc<StemStripParams>,
    meters: Arc<StripMeters>,
    /// `None` until the host activates the plugin.
    chain: Option<Chain>,
    /// The session link, shared with the editor.
    link: Arc<LinkShared>,
    /// The audio thread's end of the session link.
    link_audio: LinkAudio,
}

impl Default for StemStrip {
    fn default() -> Self {
        let (link, link_audio) = LinkShared::new();
        Self {
            params: Arc::new(StemStripParams::default()),
            meters: Arc::new(StripMeters::default()),
            chain: None,
            link,
            link_audio,
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
        editor::create(self.params.clone(), self.meters.clone(), self.link.clone())
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let Some((rate_hz, max_block)) = supported_config(buffer_config) else {
            return false;
        };
        let sample_rate_hz = rate_hz as f32;
        let num_channels = audio_io_layout
            .main_output_channels
            .map_or(2, NonZeroU32::get) as usize;
        let mut strip = StripChain::new(rate_hz, max_block, num_channels);
        strip.set_settings(self.params.strip_settings());
        strip.reset();
        let latency_samples = strip.latency_samples();
        let mut bypass = BypassMixer::new(
            sample_rate_hz,
            max_block,
            num_channels,
            StripChain::max_latency_samples(rate_hz),
        );
        bypass.set_latency_samples(latency_samples);
        let chain = Chain {
            strip,
            bypass,
            input_loudness: LoudnessMeter::loudness_only(rate_hz, max_block, num_channels),
            output_loudness: LoudnessMeter::loudness_only(rate_hz, max_block, num_channels),
            output_energy: BlockEnergyMeter::new(rate_hz),
            num_channels,
            dry_latency_samples: latency_samples,
            max_block,
        };
        context.set_latency_samples(latency_samples as u32);
        self.meters.latency_samples.publish(latency_samples as f32);
        self.meters.sample_rate_hz.publish(sample_rate_hz);
        self.chain = Some(chain);
        self.link_audio.activate(&self.params);
        true
    }

    fn reset(&mut self) {
        if let Some(chain) = &mut self.chain {
            chain.strip.set_settings(self.params.strip_settings());
            chain.strip.reset();
            chain.bypass.set_bypassed(self.params.bypass.value());
            chain.bypass.reset();
            chain.input_loudness.reset();
            chain.output_loudness.reset();
            chain.output_energy.reset();
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let Some(chain) = &mut self.chain else {
            return ProcessStatus::Error("process called before activate");
        };
        let channels = buffer.as_slice();
        sanitize_block(channels);
        self.meters.input.publish(channels);
        let settings = self.params.strip_settings();
        let bypassed = self.params.bypass.value();
        let latency_before = chain.strip.latency_samples();
        let transport = context.transport();
        let mut stamp = TransportStamp {
            position_samples: transport.pos_samples(),
            playing: transport.playing,
        };
        for_each_chunk(channels, chain.max_block, |chunk| {
            chain.process(chunk, settings, bypassed, stamp);
            let len = chunk.first().map_or(0, |c| c.len()) as i64;
            stamp.position_samples = stamp.position_samples.map(|p| p + len);
        });
        let latency_samples = chain.strip.latency_samples();
        if latency_samples != latency_before {
            // Only the EQ phase mode does this (a structural, lane (c) change).
            context.set_latency_samples(latency_samples as u32);
            self.meters.latency_samples.publish(latency_samples as f32);
        }
        self.meters.output.publish(buffer.as_slice_immutable());
        chain.publish(&self.meters);
        let state = chain.link_state(&self.params, buffer.as_slice_immutable());
        self.link_audio
            .publish(state, chain.output_energy.take_completed());
        ProcessStatus::Normal
    }
}

impl Chain {
    /// Runs one chunk through the strip in place, metering input and output loudness and the
    /// output's energy per 100 ms at transport position `stamp`.
    fn process(
        &mut self,
        channels: &mut [&mut [f32]],
        settings: StripSettings,
        bypassed: bool,
        stamp: TransportStamp,
    ) {
        with_shared(channels, |c| self.input_loudness.process_block(c));
        self.strip.set_settings(settings);
        let latency_samples = self.strip.latency_samples();
        if latency_samples != self.dry_latency_samples {
            self.bypass.set_latency_samples(latency_samples);
            self.dry_latency_samples = latency_samples;
        }
        self.bypass.set_bypassed(bypassed);
        self.bypass.capture_dry(channels);
        self.strip.process_block(channels);
        self.bypass.mix(channels);
        with_shared(channels, |c| {
            self.output_loudness.process_block(c);
            self.output_energy.process(c, stamp);
        });
    }

    /// What the strip publishes to the session link for this block (`output`: the processed
    /// block). Never allocates.
    fn link_state(&self, params: &StemStripParams, output: &[&mut [f32]]) -> StripState {
        let peak = output
            .iter()
            .flat_map(|c| c.iter())
            .fold(0.0f32, |m, s| m.max(s.abs()));
        let readings = self.output_loudness.readings();
        StripState {
            role: params.role.choice(),
            num_channels: self.num_channels as u8,
            trim_db: params.trim_db.value(),
            output_db: params.output_db.value(),
            invert: [params.invert_left.value(), params.invert_right.value()],
            bypassed: params.bypass.value(),
            stages: params.stages(),
            // An off compressor is transparent, whatever its detector still reads.
            reduction_db: if params.compressor_on.value() {
                self.strip.reduction().overall_db
            } else {
                0.0
            },
            peak_dbfs: 20.0 * peak.log10(),
            momentary_lufs: readings.momentary_lufs,
            short_term_lufs: readings.short_term_lufs,
            warnings: params.warning_flags(),
            latency_samples: self.strip.latency_samples() as u32,
            sample_rate_hz: self.output_loudness.settings().sample_rate_hz as f32,
            ..StripState::default()
        }
    }

    /// Publishes the per-block meter values.
    fn publish(&self, meters: &StripMeters) {
        let reduction = self.strip.reduction();
        meters.reduction_db.publish(reduction.overall_db);
        for (meter, db) in meters.band_reduction_db.iter().zip(reduction.bands_db) {
            meter.publish(db);
        }
        let input = self.input_loudness.readings();
        let output = self.output_loudness.readings();
        meters.input_short_term_lufs.publish(input.short_term_lufs);
        meters
            .output_short_term_lufs
            .publish(output.short_term_lufs);
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

    fn remote_controls(&self, context: &mut impl RemoteControlsContext) {
        add_remote_controls(&self.params, context);
    }
}

/// CLAP remote-control pages (Bitwig's controller mapping): trim/EQ, compressor, saturation.
fn add_remote_controls(params: &StemStripParams, context: &mut impl RemoteControlsContext) {
    context.add_section("Stem Strip", |section| {
        section.add_page("Trim & EQ", |page| {
            page.add_param(&params.trim_db);
            page.add_param(&params.high_pass_on);
            page.add_param(&params.high_pass_hz);
            page.add_param(&params.low_shelf.gain_db);
            page.add_param(&params.bell_1.gain_db);
            page.add_param(&params.bell_1.freq_hz);
            page.add_param(&params.bell_2.gain_db);
            page.add_param(&params.high_shelf.gain_db);
        });
        section.add_page("Compressor", |page| {
            page.add_param(&params.compressor_on);
            page.add_param(&params.ratio);
            page.add_param(&params.threshold_db);
            page.add_param(&params.attack_ms);
            page.add_param(&params.release_ms);
            page.add_param(&params.knee_db);
            page.add_param(&params.compressor_mix_t);
            page.add_param(&params.makeup_db);
        });
        section.add_page("Saturation & Output", |page| {
            page.add_param(&params.saturation_on);
            page.add_param(&params.saturation_drive_db);
            page.add_param(&params.saturation_tone_hz);
            page.add_param(&params.saturation_mix_t);
            page.add_spacer();
            page.add_param(&params.invert_left);
            page.add_param(&params.invert_right);
            page.add_param(&params.output_db);
        });
    });
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
