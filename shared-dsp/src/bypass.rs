//! Click-free bypass with constant latency.
//!
//! Bypass is not a removed stage: the dry signal runs through a [`DelayLine`] equal to the
//! processed path's latency, and a [`LinearSmoother`] crossfades between the two over
//! [`BYPASS_FADE_MS`]. Fully engaged, the output is exactly the wet signal; fully bypassed,
//! exactly the delayed dry signal. The reported latency is the same either way.
//!
//! The dry path has a gain of its own ([`BypassMixer::set_dry_gain_db`], ramped over
//! [`DRY_GAIN_RAMP_MS`]): the Master Bus's equal-loudness A/B plays the unprocessed signal
//! at the processed signal's loudness. At 0 dB (the default) the dry copy is untouched.

use crate::db::db_to_gain;
use crate::delay::DelayLine;
use crate::smoother::LinearSmoother;

/// Crossfade time of bypass on/off, in milliseconds.
pub const BYPASS_FADE_MS: f32 = 10.0;
/// Ramp time of a dry-gain change, in milliseconds.
pub const DRY_GAIN_RAMP_MS: f32 = 50.0;

/// Holds a delay-compensated copy of the input and crossfades it with the processed signal.
#[derive(Debug, Clone)]
pub struct BypassMixer {
    /// Copy of the input of the current block, per channel (allocated in `new`).
    dry: Vec<Vec<f32>>,
    /// Aligns the dry copy with the processed path.
    delay: DelayLine,
    /// Bypass amount: 0 = processed, 1 = dry.
    amount_t: LinearSmoother,
    /// Linear gain of the dry copy.
    dry_gain: LinearSmoother,
}

impl BypassMixer {
    /// Allocates for blocks of up to `max_block` frames and latencies up to `max_latency_samples`.
    pub fn new(
        sample_rate_hz: f32,
        max_block: usize,
        num_channels: usize,
        max_latency_samples: usize,
    ) -> Self {
        Self {
            dry: vec![vec![0.0; max_block]; num_channels],
            delay: DelayLine::new(num_channels, max_latency_samples),
            amount_t: LinearSmoother::new(BYPASS_FADE_MS, sample_rate_hz, 0.0),
            dry_gain: LinearSmoother::new(DRY_GAIN_RAMP_MS, sample_rate_hz, 1.0),
        }
    }

    /// Updates the fade length for a new sample rate.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        let sample_rate_hz = crate::rate::clamp_hz_f32(sample_rate_hz);
        self.amount_t.set_sample_rate(sample_rate_hz);
        self.dry_gain.set_sample_rate(sample_rate_hz);
    }

    /// Sets the latency of the processed path the dry copy must match (structural; clears state).
    pub fn set_latency_samples(&mut self, latency_samples: usize) {
        self.delay.set_delay_samples(latency_samples);
    }

    /// Engages (`true`) or releases bypass; the change fades over [`BYPASS_FADE_MS`].
    pub fn set_bypassed(&mut self, bypassed: bool) {
        self.amount_t.set_target(if bypassed { 1.0 } else { 0.0 });
    }

    /// Sets the gain of the dry copy in dB (non-finite = 0 dB); ramps over
    /// [`DRY_GAIN_RAMP_MS`].
    pub fn set_dry_gain_db(&mut self, gain_db: f32) {
        let gain_db = if gain_db.is_finite() { gain_db } else { 0.0 };
        self.dry_gain.set_target(db_to_gain(gain_db));
    }

    /// Clears the dry delay and jumps the fade and the dry gain to their targets (never
    /// allocates).
    pub fn reset(&mut self) {
        self.delay.reset();
        let target = self.amount_t.target();
        self.amount_t.reset(target);
        let gain = self.dry_gain.target();
        self.dry_gain.reset(gain);
    }

    /// Stores (and delays) the input of this block. Call before processing the block.
    ///
    /// # Panics
    /// If the block is longer than `max_block` or has more channels than given to `new`.
    pub fn capture_dry(&mut self, channels: &[&mut [f32]]) {
        let num_frames = channels.first().map_or(0, |c| c.len());
        for (dry, input) in self.dry.iter_mut().zip(channels.iter()) {
            dry[..num_frames].copy_from_slice(input);
        }
        let n = self.dry.len().min(2);
        let mut dry_slices: [&mut [f32]; 2] = [&mut [], &mut []];
        for (slot, dry) in dry_slices.iter_mut().zip(self.dry.iter_mut()) {
            *slot = &mut dry[..num_frames];
        }
        self.delay.process_block(&mut dry_slices[..n]);
        if !(self.dry_gain.is_settled() && self.dry_gain.current() == 1.0) {
            for i in 0..num_frames {
                let gain = self.dry_gain.next_value();
                for dry in dry_slices[..n].iter_mut() {
                    dry[i] *= gain;
                }
            }
        }
    }

    /// Mixes the processed block in `channels` with the stored dry copy, in place.
    pub fn mix(&mut self, channels: &mut [&mut [f32]]) {
        let num_frames = channels.first().map_or(0, |c| c.len());
        if self.amount_t.is_settled() {
            if self.amount_t.current() == 1.0 {
                for (out, dry) in channels.iter_mut().zip(self.dry.iter()) {
                    out.copy_from_slice(&dry[..num_frames]);
                }
            }
            return;
        }
        for i in 0..num_frames {
            let t = self.amount_t.next_value();
            for (out, dry) in channels.iter_mut().zip(self.dry.iter()) {
                // The ends are exact (`out + (dry − out)` is not always `dry` in floating
                // point), so where the fade ends inside a block does not change the output.
                out[i] = if t == 1.0 {
                    dry[i]
                } else if t == 0.0 {
                    out[i]
                } else {
                    out[i] + t * (dry[i] - out[i])
                };
            }
        }
    }

    /// True while the processed path is audible at all (not fully bypassed).
    pub fn is_processing_audible(&self) -> bool {
        !(self.amount_t.is_settled() && self.amount_t.current() == 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test input: 256 samples of `sin(n)`, computed once and stored, so the
    /// expectations below compare against the very values that went in. (Recomputing
    /// `(n as f32).sin()` in the assertion is not bit-reproducible in optimised builds:
    /// LLVM may constant-fold or vectorise one call site and not the other, and the results
    /// differ by an ulp.)
    fn input() -> Vec<f32> {
        (0..256).map(|n| (n as f32).sin()).collect()
    }

    fn run(input: &[f32], bypassed: bool, latency: usize) -> Vec<f32> {
        run_with_dry_gain(input, bypassed, latency, 0.0)
    }

    fn run_with_dry_gain(input: &[f32], bypassed: bool, latency: usize, dry_db: f32) -> Vec<f32> {
        let mut mixer = BypassMixer::new(48_000.0, 64, 1, 100);
        mixer.set_latency_samples(latency);
        mixer.set_bypassed(bypassed);
        mixer.set_dry_gain_db(dry_db);
        mixer.reset();
        let mut out = Vec::new();
        for block in input.chunks(64) {
            let mut x = block.to_vec();
            mixer.capture_dry(&[&mut x]);
            x.iter_mut().for_each(|s| *s *= 0.5); // "processing"
            mixer.mix(&mut [&mut x]);
            out.extend(x);
        }
        out
    }

    #[test]
    fn bypassed_output_is_delayed_dry() {
        let input = input();
        let out = run(&input, true, 10);
        for (i, &y) in out.iter().enumerate() {
            let expected = if i < 10 { 0.0 } else { input[i - 10] };
            assert_eq!(y.to_bits(), expected.to_bits(), "{i}: {y} vs {expected}");
        }
    }

    #[test]
    fn engaged_output_is_wet() {
        let input = input();
        let out = run(&input, false, 10);
        for (i, (&y, &x)) in out.iter().zip(&input).enumerate() {
            // Halving is exact in f32, so "exactly the wet signal" is a bitwise claim.
            assert_eq!(y.to_bits(), (x * 0.5).to_bits(), "{i}: {y} vs {}", x * 0.5);
        }
    }

    #[test]
    fn dry_gain_scales_only_the_dry_path() {
        let input = input();
        // +6.02 dB is a gain of 2 (exact in f32 up to rounding of the dB conversion).
        let gain = db_to_gain(6.0);
        let out = run_with_dry_gain(&input, true, 10, 6.0);
        for (i, &y) in out.iter().enumerate().skip(10) {
            assert_eq!(y.to_bits(), (input[i - 10] * gain).to_bits(), "{i}");
        }
        let engaged = run_with_dry_gain(&input, false, 10, 6.0);
        assert_eq!(
            engaged,
            run(&input, false, 10),
            "the wet path ignores the dry gain"
        );
    }
}
