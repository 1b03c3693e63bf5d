//! Gain stage: trim / input / output gain and per-channel polarity, click-free.
//!
//! Each channel's factor `gain · (±1)` is ramped by a [`LinearSmoother`] over
//! [`GAIN_RAMP_MS`]; a polarity flip therefore passes through zero in 20 ms instead of
//! clicking. At 0 dB with polarity normal the factor is exactly 1.0 and the stage does no
//! arithmetic at all, so default settings are bit-exact.

use crate::db::db_to_gain;
use crate::smoother::LinearSmoother;

/// Ramp time of gain and polarity changes, in milliseconds.
pub const GAIN_RAMP_MS: f32 = 20.0;

/// Most channels a gain stage handles (stereo).
pub const MAX_CHANNELS: usize = 2;

/// Settings of a [`GainStage`] (set by the plugin or CLI from its parameters).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GainSettings {
    /// Gain in dB; 0 dB is unity.
    pub gain_db: f32,
    /// Polarity inversion per channel (index 0 = left/mono, 1 = right).
    pub invert: [bool; MAX_CHANNELS],
}

impl Default for GainSettings {
    fn default() -> Self {
        Self {
            gain_db: 0.0,
            invert: [false; MAX_CHANNELS],
        }
    }
}

impl GainSettings {
    /// The linear factor applied to `channel` once settled.
    pub fn factor(&self, channel: usize) -> f32 {
        let sign = if self.invert[channel.min(MAX_CHANNELS - 1)] {
            -1.0
        } else {
            1.0
        };
        db_to_gain(self.gain_db) * sign
    }
}

/// Smoothed gain and polarity for up to two channels.
#[derive(Debug, Clone)]
pub struct GainStage {
    /// Current settings (set by `set_settings`).
    settings: GainSettings,
    /// One smoother per channel for the combined gain·polarity factor.
    factors: [LinearSmoother; MAX_CHANNELS],
}

impl GainStage {
    /// A gain stage settled at `settings`.
    pub fn new(sample_rate_hz: f32, settings: GainSettings) -> Self {
        let sample_rate_hz = crate::rate::clamp_hz_f32(sample_rate_hz);
        let mut stage = Self {
            settings,
            factors: [LinearSmoother::new(GAIN_RAMP_MS, sample_rate_hz, 1.0); MAX_CHANNELS],
        };
        stage.set_sample_rate(sample_rate_hz);
        stage.reset();
        stage
    }

    /// Updates the ramp length for a new sample rate.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        let sample_rate_hz = crate::rate::clamp_hz_f32(sample_rate_hz);
        for f in &mut self.factors {
            f.set_sample_rate(sample_rate_hz);
        }
    }

    /// New target settings; changes ramp over [`GAIN_RAMP_MS`].
    pub fn set_settings(&mut self, settings: GainSettings) {
        self.settings = settings;
        for (ch, f) in self.factors.iter_mut().enumerate() {
            f.set_target(settings.factor(ch));
        }
    }

    /// Jumps to the current settings without a ramp (never allocates).
    pub fn reset(&mut self) {
        for (ch, f) in self.factors.iter_mut().enumerate() {
            f.reset(self.settings.factor(ch));
        }
    }

    /// Applies the gain in place. Extra channels beyond two use the right channel's factor.
    pub fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        for (ch, samples) in channels.iter_mut().enumerate() {
            let smoother = &mut self.factors[ch.min(MAX_CHANNELS - 1)];
            if smoother.is_settled() {
                let factor = smoother.current();
                if factor != 1.0 {
                    samples.iter_mut().for_each(|s| *s *= factor);
                }
            } else {
                samples.iter_mut().for_each(|s| *s *= smoother.next_value());
            }
        }
    }

    /// Latency of the stage in samples (always 0).
    pub fn latency_samples(&self) -> usize {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_bit_exact() {
        let mut stage = GainStage::new(48_000.0, GainSettings::default());
        let input: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.37).sin() * 0.9).collect();
        let mut l = input.clone();
        let mut r = input.clone();
        stage.process_block(&mut [&mut l, &mut r]);
        assert_eq!(l, input);
        assert_eq!(r, input);
    }

    #[test]
    fn gain_and_polarity_settle_to_exact_factor() {
        let mut stage = GainStage::new(48_000.0, GainSettings::default());
        stage.set_settings(GainSettings {
            gain_db: -6.0,
            invert: [false, true],
        });
        let mut l = vec![1.0f32; 2000];
        let mut r = vec![1.0f32; 2000];
        stage.process_block(&mut [&mut l, &mut r]);
        let g = db_to_gain(-6.0);
        assert_eq!(l[1999], g);
        assert_eq!(r[1999], -g);
        // The 20 ms (960-sample) ramp passes through zero instead of jumping.
        let min_abs = r[..960].iter().fold(1.0f32, |m, s| m.min(s.abs()));
        assert!(min_abs < 0.002, "{min_abs}");
        assert!(r[0] > 0.99 && r[959] == -g);
        assert!(l[0] < 1.0 && l[0] > g);
    }

    #[test]
    fn block_size_invariant() {
        let run = |block: usize| {
            let mut stage = GainStage::new(44_100.0, GainSettings::default());
            stage.set_settings(GainSettings {
                gain_db: 3.0,
                invert: [true, false],
            });
            let mut l: Vec<f32> = (0..3000).map(|i| (i as f32 * 0.01).sin()).collect();
            let mut r = l.clone();
            for (lc, rc) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
                stage.process_block(&mut [lc, rc]);
            }
            (l, r)
        };
        let reference = run(3000);
        for block in [1, 7, 64, 512] {
            assert_eq!(run(block), reference, "block {block}");
        }
    }
}
