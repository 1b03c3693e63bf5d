//! Streaming null test for the Master Bus: capture a fixed window, search the offset once
//! (bounded, with the same [`CrossCorrelator`] as the offline analysis), then compensate the
//! offset with [`DelayLine`]s and accumulate residual energy and peak every block.
//!
//! Lifecycle note: the analyzer reads two inputs and changes no audio, so `process_block`
//! takes `reference` and `candidate` as read-only channel lists, `latency_samples()` is 0,
//! and no per-block scratch depends on the block size (no `max_block`). Buffer sizes
//! depend on the sample rate, so a rate change means constructing a new analyzer in the
//! plugin's `initialize()`. The one offset search (one FFT pair of the window's power-of-two
//! length) runs inside the block that completes the capture.

use super::{CrossCorrelator, Verdict};
use crate::db::gain_to_db_f64;
use crate::delay::DelayLine;

/// Settings of the live analyzer (set by the plugin at construction).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveNullSettings {
    /// Offset search range either way, in milliseconds.
    pub max_offset_ms: f64,
    /// Minimum analysis window of the offset search, in milliseconds.
    pub min_window_ms: f64,
    /// Residual peak at or below this passes, in dBFS.
    pub pass_dbfs: f64,
    /// Residual peak above this fails, in dBFS.
    pub fail_dbfs: f64,
}

impl Default for LiveNullSettings {
    fn default() -> Self {
        Self {
            max_offset_ms: 250.0,
            min_window_ms: 2000.0,
            pass_dbfs: -60.0,
            fail_dbfs: -40.0,
        }
    }
}

/// What the GUI shows (a `Copy` snapshot, ready for the meter transport).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveNullReadings {
    /// True once the offset search has run.
    pub locked: bool,
    /// How late the candidate is relative to the reference, in samples (0 until locked).
    pub offset_samples: isize,
    /// True when the candidate is polarity-inverted (compensated in the residual).
    pub polarity_inverted: bool,
    /// Residual RMS since lock, in dBFS.
    pub residual_rms_dbfs: f64,
    /// Residual peak since lock, in dBFS.
    pub residual_peak_dbfs: f64,
    /// Residual RMS relative to the reference RMS since lock, in dB.
    pub residual_rms_rel_db: f64,
    /// Verdict from the residual peak, `None` until samples have been compared.
    pub verdict: Option<Verdict>,
}

/// Streaming null-test analyzer (allocates only in `new`).
pub struct LiveNullTest {
    /// Settings given to `new`.
    settings: LiveNullSettings,
    /// The offset search.
    correlator: CrossCorrelator,
    /// Mono reference capture, `window + 2·max_lag` samples.
    capture_reference: Vec<f64>,
    /// Mono candidate capture, same length.
    capture_candidate: Vec<f64>,
    /// Samples captured so far.
    captured_samples: usize,
    /// Delays the reference when the candidate is late.
    reference_delay: DelayLine,
    /// Delays the candidate when it is early.
    candidate_delay: DelayLine,
    /// Offset in samples and polarity (±1) once locked.
    lock: Option<(isize, f64)>,
    /// Samples to skip after locking while the delay lines fill.
    settle_samples: usize,
    /// Σ residual² since lock (all channels).
    residual_energy: f64,
    /// Σ reference² since lock (all channels).
    reference_energy: f64,
    /// Peak |residual| since lock.
    residual_peak: f64,
    /// Number of compared values (samples × channels).
    num_compared: u64,
}

impl LiveNullTest {
    /// Allocates every buffer for `num_channels` at `sample_rate_hz`.
    pub fn new(sample_rate_hz: f64, num_channels: usize, settings: LiveNullSettings) -> Self {
        let max_lag = (settings.max_offset_ms * sample_rate_hz / 1000.0).round() as usize;
        let window = (settings.min_window_ms * sample_rate_hz / 1000.0).round() as usize;
        let correlator = CrossCorrelator::new(max_lag, window);
        let capture_len = correlator.window_samples() + 2 * max_lag;
        Self {
            settings,
            correlator,
            capture_reference: vec![0.0; capture_len],
            capture_candidate: vec![0.0; capture_len],
            captured_samples: 0,
            reference_delay: DelayLine::new(num_channels, max_lag),
            candidate_delay: DelayLine::new(num_channels, max_lag),
            lock: None,
            settle_samples: 0,
            residual_energy: 0.0,
            reference_energy: 0.0,
            residual_peak: 0.0,
            num_compared: 0,
        }
    }

    /// Starts over: capture, search and accumulate again (never allocates).
    pub fn reset(&mut self) {
        self.captured_samples = 0;
        self.lock = None;
        self.settle_samples = 0;
        self.residual_energy = 0.0;
        self.reference_energy = 0.0;
        self.residual_peak = 0.0;
        self.num_compared = 0;
        self.reference_delay.set_delay_samples(0);
        self.candidate_delay.set_delay_samples(0);
    }

    /// The analyzer adds no latency (it changes no audio).
    pub fn latency_samples(&self) -> usize {
        0
    }

    /// Feeds one block of both signals (same channel count and length). Never allocates.
    pub fn process_block(&mut self, reference: &[&[f32]], candidate: &[&[f32]]) {
        let num_frames = reference
            .iter()
            .chain(candidate)
            .map(|c| c.len())
            .min()
            .unwrap_or(0);
        let Some((_, polarity)) = self.lock else {
            let capture_len = self.capture_reference.len();
            for n in 0..num_frames {
                if self.captured_samples == capture_len {
                    break;
                }
                let k = self.captured_samples;
                self.capture_reference[k] = reference.iter().map(|c| c[n] as f64).sum();
                self.capture_candidate[k] = candidate.iter().map(|c| c[n] as f64).sum();
                self.captured_samples += 1;
            }
            if self.captured_samples == capture_len {
                self.search();
            }
            return;
        };
        for n in 0..num_frames {
            for (ch, (r, c)) in reference.iter().zip(candidate).enumerate() {
                let r = self.reference_delay.tick(ch, r[n]) as f64;
                let c = self.candidate_delay.tick(ch, c[n]) as f64;
                if self.settle_samples == 0 {
                    let residual = r - polarity * c;
                    self.residual_energy += residual * residual;
                    self.reference_energy += r * r;
                    self.residual_peak = self.residual_peak.max(residual.abs());
                    self.num_compared += 1;
                }
            }
            self.reference_delay.advance();
            self.candidate_delay.advance();
            self.settle_samples = self.settle_samples.saturating_sub(1);
        }
    }

    /// Runs the bounded offset search on the captured window and locks.
    fn search(&mut self) {
        let max_lag = self.correlator.max_lag_samples();
        let window = self.correlator.window_samples();
        self.correlator
            .reference_window_mut()
            .copy_from_slice(&self.capture_reference[max_lag..max_lag + window]);
        self.correlator
            .candidate_segment_mut()
            .copy_from_slice(&self.capture_candidate);
        let peak = self.correlator.find_peak();
        let offset = peak.lag_samples;
        self.reference_delay
            .set_delay_samples(offset.max(0) as usize);
        self.candidate_delay
            .set_delay_samples((-offset).max(0) as usize);
        self.settle_samples = offset.unsigned_abs();
        let polarity = if peak.correlation < 0.0 { -1.0 } else { 1.0 };
        self.lock = Some((offset, polarity));
    }

    /// The current readings (cheap; call once per block and publish).
    pub fn readings(&self) -> LiveNullReadings {
        let values = self.num_compared.max(1) as f64;
        let residual_peak_dbfs = gain_to_db_f64(self.residual_peak);
        LiveNullReadings {
            locked: self.lock.is_some(),
            offset_samples: self.lock.map_or(0, |(o, _)| o),
            polarity_inverted: self.lock.is_some_and(|(_, p)| p < 0.0),
            residual_rms_dbfs: gain_to_db_f64((self.residual_energy / values).sqrt()),
            residual_peak_dbfs,
            residual_rms_rel_db: gain_to_db_f64(
                (self.residual_energy / self.reference_energy.max(1e-30)).sqrt(),
            ),
            verdict: (self.num_compared > 0).then(|| {
                Verdict::from_residual_peak_dbfs(
                    residual_peak_dbfs,
                    self.settings.pass_dbfs,
                    self.settings.fail_dbfs,
                )
            }),
        }
    }
}
