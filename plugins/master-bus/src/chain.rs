//! The Master Bus's processors for one activation: the shared-dsp master chain, the click-free
//! bypass / equal-loudness A/B, the loudness meters, the stereo image meter and the live null
//! test.

use crate::meters::{column, BusMeters, HISTORY_INTERVAL_S};
use crate::params::MasterBusParams;
use shared_dsp::block::with_shared;
use shared_dsp::bypass::BypassMixer;
use shared_dsp::loudness::LoudnessMeter;
use shared_dsp::master::{MasterChain, MasterSettings};
use shared_dsp::null_test::{LiveNullSettings, LiveNullTest};
use shared_dsp::sanitize::sanitize_block;
use shared_dsp::stereo_image::StereoImageMeter;

/// Largest gain the A/B applies to the unprocessed signal, either way, dB.
pub const AB_MAX_MATCH_DB: f32 = 24.0;
/// Offset search range of the live null test, either way, ms.
pub const NULL_MAX_OFFSET_MS: f64 = 1000.0;
/// Channels of the bus.
const NUM_CHANNELS: usize = 2;

/// What the listener hears (the meters always measure the processed master).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Monitor {
    /// Host bypass: the delay-compensated input at its own level.
    pub bypassed: bool,
    /// Equal-loudness A/B: the delay-compensated input at the master's short-term loudness.
    pub ab_unprocessed: bool,
}

/// Processors of one activation (allocated in `new`, never on the audio thread).
pub struct Chain {
    /// Input gain → EQ → glue → limiter → output gain.
    master: MasterChain,
    /// Host bypass and A/B: crossfade to the delayed input, gained for the A/B.
    monitor: BypassMixer,
    /// The processed master's loudness (what a rendered file measures).
    master_meter: LoudnessMeter,
    /// The unprocessed input's loudness (A/B match; no true peak).
    input_meter: LoudnessMeter,
    /// The processed master's stereo image (correlation, LF width, HF level: vinyl checks).
    stereo_meter: StereoImageMeter,
    /// Stems' sum against the reference mix.
    null: LiveNullTest,
    /// A non-silent reference has arrived since the last reset.
    reference_seen: bool,
    /// The latency the monitor path is aligned to, samples.
    latency_samples: usize,
    /// Largest block the processors are sized for.
    max_block: usize,
    /// Frames per history row.
    history_interval_frames: usize,
    /// Frames since the last history row.
    history_frames: usize,
    /// Deepest compressor and limiter reduction since the last history row, dB.
    history_reduction_db: [f32; 2],
    /// Gain of the A/B's unprocessed signal, dB (updated on the 100 ms grid).
    ab_match_target_db: f32,
    /// Deepest limiter reduction since the last measurement reset, dB.
    max_limiter_gr_db: f32,
}

impl Chain {
    /// Allocates everything for `sample_rate_hz` and blocks of up to `max_block` frames.
    pub fn new(sample_rate_hz: f64, max_block: usize, params: &MasterBusParams) -> Self {
        let mut master = MasterChain::new(sample_rate_hz, max_block, NUM_CHANNELS);
        master.set_settings(params.master_settings());
        master.reset();
        let latency_samples = master.latency_samples();
        let mut monitor = BypassMixer::new(
            sample_rate_hz as f32,
            max_block,
            NUM_CHANNELS,
            MasterChain::max_latency_samples(sample_rate_hz),
        );
        monitor.set_latency_samples(latency_samples);
        let null_settings = LiveNullSettings {
            max_offset_ms: NULL_MAX_OFFSET_MS,
            ..LiveNullSettings::default()
        };
        let mut chain = Self {
            master,
            monitor,
            master_meter: LoudnessMeter::new(sample_rate_hz, max_block, NUM_CHANNELS),
            input_meter: LoudnessMeter::loudness_only(sample_rate_hz, max_block, NUM_CHANNELS),
            stereo_meter: StereoImageMeter::new(sample_rate_hz),
            null: LiveNullTest::new(sample_rate_hz, NUM_CHANNELS, null_settings),
            reference_seen: false,
            latency_samples,
            max_block,
            history_interval_frames: ((sample_rate_hz * f64::from(HISTORY_INTERVAL_S)).round()
                as usize)
                .max(1),
            history_frames: 0,
            history_reduction_db: [0.0; 2],
            ab_match_target_db: 0.0,
            max_limiter_gr_db: 0.0,
        };
        chain.reset(params);
        chain
    }

    /// Clears all audio state and jumps smoothers to the current parameters (never
    /// allocates). The loudness measurement keeps running (it is reset on request only).
    pub fn reset(&mut self, params: &MasterBusParams) {
        self.master.set_settings(params.master_settings());
        self.master.reset();
        self.align_monitor();
        let monitor = Monitor {
            bypassed: params.bypass.value(),
            ab_unprocessed: params.ab_unprocessed.value(),
        };
        self.set_monitor(monitor, self.ab_match_target_db);
        self.monitor.reset();
    }

    /// Restarts the loudness measurement, the history and the null test (GUI request).
    pub fn reset_measurement(&mut self, meters: &BusMeters) {
        self.master_meter.reset();
        self.input_meter.reset();
        self.stereo_meter.reset();
        self.null.reset();
        self.reference_seen = false;
        self.history_frames = 0;
        self.history_reduction_db = [0.0; 2];
        self.ab_match_target_db = 0.0;
        self.max_limiter_gr_db = 0.0;
        meters.history.clear();
    }

    /// The latency of the bus (the same bypassed or not), samples.
    pub fn latency_samples(&self) -> usize {
        self.latency_samples
    }

    /// Largest block the processors accept (longer host blocks are split).
    pub fn max_block(&self) -> usize {
        self.max_block
    }

    /// Feeds the live null test: the reference mix against the stems' sum (the main input
    /// before any processing). Waits for a non-silent reference, so an unconnected
    /// reference input does not read as a failed null test.
    pub fn null_test(&mut self, reference: Option<&mut [&mut [f32]]>, stems_sum: &[&mut [f32]]) {
        let Some(reference) = reference else {
            return;
        };
        sanitize_block(reference);
        if !self.reference_seen {
            self.reference_seen = reference.iter().any(|c| c.iter().any(|&s| s != 0.0));
            if !self.reference_seen {
                return;
            }
        }
        with_shared(reference, |r| {
            with_shared(stems_sum, |c| self.null.process_block(r, c))
        });
    }

    /// Runs one chunk (at most `max_block` frames, already sanitized) through the bus in place.
    ///
    /// The chunk is cut at the 100 ms grid counted from the last measurement reset: at each
    /// grid point the history gets a row and the A/B match gain a new target, so neither
    /// depends on the host's block sizes.
    pub fn process(
        &mut self,
        chunk: &mut [&mut [f32]],
        settings: MasterSettings,
        monitor: Monitor,
        meters: &BusMeters,
    ) {
        self.master.set_settings(settings);
        if self.master.latency_samples() != self.latency_samples {
            self.align_monitor();
        }
        let num_frames = chunk.first().map_or(0, |c| c.len());
        let num_channels = chunk.len().min(2);
        let mut start = 0;
        while start < num_frames {
            let to_grid = self.history_interval_frames - self.history_frames;
            let end = (start + to_grid).min(num_frames);
            let mut part: [&mut [f32]; 2] = [&mut [], &mut []];
            for (slot, channel) in part.iter_mut().zip(chunk.iter_mut()) {
                *slot = &mut channel[start..end];
            }
            self.process_part(&mut part[..num_channels], monitor);
            self.history_frames += end - start;
            if self.history_frames == self.history_interval_frames {
                self.history_frames = 0;
                self.grid_point(meters);
            }
            start = end;
        }
    }

    /// Runs a piece of a chunk that does not cross the 100 ms grid.
    fn process_part(&mut self, part: &mut [&mut [f32]], monitor: Monitor) {
        with_shared(part, |c| self.input_meter.process_block(c));
        self.set_monitor(monitor, self.ab_match_target_db);
        self.monitor.capture_dry(part);
        self.master.process_block(part);
        with_shared(part, |c| self.master_meter.process_block(c));
        if let [left, right] = part {
            self.stereo_meter.process_block(left, right);
        }
        self.monitor.mix(part);
        let reduction = self.master.reduction();
        let deepest = &mut self.history_reduction_db;
        deepest[0] = deepest[0].max(reduction.compressor_db);
        deepest[1] = deepest[1].max(reduction.limiter_db);
        self.max_limiter_gr_db = self.max_limiter_gr_db.max(reduction.limiter_db);
    }

    /// Publishes the block's meter values (once per host block).
    pub fn publish(&self, meters: &BusMeters) {
        meters
            .readings
            .master
            .publish(&self.master_meter.readings());
        meters.input_loudness.publish(&self.input_meter.readings());
        let reduction = self.master.reduction();
        meters.compressor_gr_db.publish(reduction.compressor_db);
        meters.limiter_gr_db.publish(reduction.limiter_db);
        meters.max_limiter_gr_db.publish(self.max_limiter_gr_db);
        meters.auto_makeup_db.publish(reduction.auto_makeup_db);
        meters.ab_match_db.publish(self.ab_match_target_db);
        meters.readings.stereo.publish(
            &self.stereo_meter.readings(),
            &self.stereo_meter.statistics(),
        );
        meters
            .readings
            .null
            .publish(self.reference_seen, &self.null.readings());
    }

    /// Aligns the monitor's dry path with the master chain's (new) latency.
    fn align_monitor(&mut self) {
        self.latency_samples = self.master.latency_samples();
        self.monitor.set_latency_samples(self.latency_samples);
    }

    /// Routes the monitor: processed, bypassed (dry at 0 dB) or A/B (dry at `match_db`).
    fn set_monitor(&mut self, monitor: Monitor, match_db: f32) {
        self.monitor
            .set_bypassed(monitor.bypassed || monitor.ab_unprocessed);
        self.monitor
            .set_dry_gain_db(if monitor.bypassed { 0.0 } else { match_db });
    }

    /// Gain that brings the unprocessed input to the master's short-term loudness, dB (0
    /// while either is undefined).
    fn ab_match_db(&self) -> f32 {
        let master = self.master_meter.readings().short_term_lufs;
        let input = self.input_meter.readings().short_term_lufs;
        let difference_db = master - input;
        if difference_db.is_finite() {
            difference_db.clamp(-AB_MAX_MATCH_DB, AB_MAX_MATCH_DB)
        } else {
            0.0
        }
    }

    /// At a grid point: a history row (deepest reductions since the last one) and a new
    /// A/B match target.
    fn grid_point(&mut self, meters: &BusMeters) {
        let readings = self.master_meter.readings();
        let mut row = [0.0; column::COUNT];
        row[column::MOMENTARY] = readings.momentary_lufs;
        row[column::SHORT_TERM] = readings.short_term_lufs;
        row[column::COMPRESSOR_GR] = self.history_reduction_db[0];
        row[column::LIMITER_GR] = self.history_reduction_db[1];
        let stereo = self.stereo_meter.readings();
        row[column::CORRELATION] = stereo.correlation;
        row[column::LF_CORRELATION] = stereo.lf_correlation;
        meters.history.push(row);
        self.history_reduction_db = [0.0; 2];
        self.ab_match_target_db = self.ab_match_db();
    }
}
