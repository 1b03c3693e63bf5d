//! Versions that share one master: a [`MasterChain`] processes the lead signal (the full mix)
//! exactly as `process_block` does, and hands its dynamic gains to follower signals (the
//! instrumental, the a cappella, …), so that every version gets *identical* master processing
//! and versions that partition the stems sum back to the full master within float rounding.
//!
//! Per stage, for each follower:
//! - input gain, EQ and output gain are linear and time-invariant (apart from their smoothers,
//!   which ramp identically): each follower runs its own copy with its own filter state;
//! - glue compressor + makeup (the whole stage, parallel mix included) and limiter (drive,
//!   gain, ceiling clamp and its bypass crossfade) are pure per-channel gains on the lead
//!   (the compressor has no latency; the limiter multiplies its input delayed by its latency).
//!   The gain each applied is read back from the lead as `output / input` (the input delayed by
//!   the limiter's latency for the limiter) and multiplied onto the follower, which is delayed
//!   by the same latency first. Where the lead input is (near) zero the ratio is undefined and
//!   the previous gain of that channel is held.
//!
//! The ratio of two floats carries at most a few ulps of error, so a follower equal to the
//! lead comes out within a few ulps of the lead's output, and `Σ followers` within the float
//! rounding of the linear stages of `lead`'s output.

use super::MasterChain;
use crate::block::MAX_PATH_CHANNELS;
use crate::delay::DelayLine;
use crate::eq::Eq;
use crate::gain::{GainSettings, GainStage};

/// Lead inputs with a smaller magnitude than this give no gain reading (the ratio would be
/// dominated by rounding); the previous gain is held.
const MIN_RATIO_INPUT: f32 = 1e-20;

/// The linear stages of the master for one follower, with their own state.
struct Follower {
    /// Input gain (same settings as the chain's).
    input: GainStage,
    /// EQ (same settings as the chain's).
    eq: Eq,
    /// Delays the follower by the limiter's latency before the limiter's gain.
    limiter_delay: DelayLine,
    /// Output gain (same settings as the chain's).
    output: GainStage,
}

/// Follower state and the scratch of the gain read-back, for one [`MasterChain`].
///
/// Lifecycle: create with [`MasterChain::followers`] right after the chain's `set_settings` and
/// `reset` (the followers start from the same state as the chain); process with
/// [`MasterChain::process_block_with_followers`]. Changing the chain's settings needs new followers.
pub struct VersionFollowers {
    /// One per follower signal.
    followers: Vec<Follower>,
    /// Scratch: the lead before the current stage, per channel (`max_block` long).
    before: Vec<Vec<f32>>,
    /// Delays the lead's limiter input by the limiter's latency.
    lead_delay: DelayLine,
    /// Scratch: the gain of the current stage per channel and frame (`max_block` long).
    gains: Vec<Vec<f32>>,
    /// Last defined glue gain per channel (held where the lead is silent).
    last_glue_gain: [f32; MAX_PATH_CHANNELS],
    /// Last defined limiter gain per channel (held where the lead is silent).
    last_limiter_gain: [f32; MAX_PATH_CHANNELS],
}

impl VersionFollowers {
    /// Number of follower signals these followers were made for.
    pub fn num_followers(&self) -> usize {
        self.followers.len()
    }
}

impl MasterChain {
    /// Allocates follower state for `num_followers` signals at the chain's current settings
    /// and in its reset state (call right after `set_settings` + `reset`).
    pub fn followers(&self, num_followers: usize) -> VersionFollowers {
        let n = self.num_channels;
        let rate = self.sample_rate_hz as f32;
        let gain = |gain_db| {
            let mut stage = GainStage::new(
                rate,
                GainSettings {
                    gain_db,
                    invert: [false; 2],
                },
            );
            stage.reset();
            stage
        };
        let latency = self.limiter.latency_samples();
        let delay = || {
            let mut d = DelayLine::new(n, latency);
            d.set_delay_samples(latency);
            d
        };
        let followers = (0..num_followers)
            .map(|_| {
                let mut eq = Eq::new(self.sample_rate_hz, self.max_block, n);
                eq.set_settings(self.settings.eq);
                eq.reset();
                Follower {
                    input: gain(self.settings.input_db),
                    eq,
                    limiter_delay: delay(),
                    output: gain(self.settings.output_db),
                }
            })
            .collect();
        VersionFollowers {
            followers,
            before: vec![vec![0.0; self.max_block]; n],
            lead_delay: delay(),
            gains: vec![vec![1.0; self.max_block]; n],
            last_glue_gain: [1.0; MAX_PATH_CHANNELS],
            last_limiter_gain: [1.0; MAX_PATH_CHANNELS],
        }
    }

    /// Processes `lead` exactly as [`MasterChain::process_block`] does (bit for bit) and every
    /// follower in `followers` (one per follower of `state`, each with the lead's channel count
    /// and length) with the linear stages of its own and the lead's dynamic gains. Never
    /// allocates.
    ///
    /// # Panics
    /// If the number of followers differs from `state`'s, or a follower's shape differs
    /// from the lead's.
    pub fn process_block_with_followers(
        &mut self,
        lead: &mut [&mut [f32]],
        state: &mut VersionFollowers,
        followers: &mut [&mut [&mut [f32]]],
    ) {
        assert_eq!(
            followers.len(),
            state.followers.len(),
            "one signal per follower"
        );
        let num_channels = self.num_channels.min(lead.len());
        let num_frames = lead.first().map_or(0, |c| c.len());
        for f in followers.iter() {
            assert!(
                f.len() >= num_channels && f.iter().all(|c| c.len() == num_frames),
                "followers must have the lead's shape"
            );
        }
        self.block_gr_db = 0.0;
        let mut start = 0;
        while start < num_frames {
            let end = (start + self.max_block).min(num_frames);
            let mut chunk = sub_block(lead, num_channels, start, end);
            self.process_chunk_with_followers(
                &mut chunk[..num_channels],
                state,
                followers,
                start,
                end,
            );
            start = end;
        }
    }

    /// One chunk of at most `max_block` frames: the stages of `process_chunk` in the same
    /// order, with the gains of the glue and limiter stages read back and handed on.
    fn process_chunk_with_followers(
        &mut self,
        lead: &mut [&mut [f32]],
        state: &mut VersionFollowers,
        followers: &mut [&mut [&mut [f32]]],
        start: usize,
        end: usize,
    ) {
        let n = lead.len();
        self.input.process_block(lead);
        self.eq.process_block(lead);
        for (f, signal) in state.followers.iter_mut().zip(followers.iter_mut()) {
            let mut chunk = sub_block(signal, n, start, end);
            f.input.process_block(&mut chunk[..n]);
            f.eq.process_block(&mut chunk[..n]);
        }

        copy_into(&mut state.before, lead);
        self.process_glue(lead);
        read_gains(
            &state.before,
            lead,
            &mut state.gains,
            &mut state.last_glue_gain,
        );
        for signal in followers.iter_mut() {
            let mut chunk = sub_block(signal, n, start, end);
            apply_gains(&mut chunk[..n], &state.gains);
        }

        copy_into(&mut state.before, lead);
        self.limiter_switch.capture_dry(lead);
        self.limiter.process_block(lead);
        self.limiter_switch.mix(lead);
        {
            let len = end - start;
            let mut delayed: [&mut [f32]; MAX_PATH_CHANNELS] = [&mut [], &mut []];
            for (slot, b) in delayed.iter_mut().zip(state.before.iter_mut()) {
                *slot = &mut b[..len];
            }
            state.lead_delay.process_block(&mut delayed[..n]);
        }
        read_gains(
            &state.before,
            lead,
            &mut state.gains,
            &mut state.last_limiter_gain,
        );
        self.output.process_block(lead);
        for (f, signal) in state.followers.iter_mut().zip(followers.iter_mut()) {
            let mut chunk = sub_block(signal, n, start, end);
            f.limiter_delay.process_block(&mut chunk[..n]);
            apply_gains(&mut chunk[..n], &state.gains);
            f.output.process_block(&mut chunk[..n]);
        }
    }
}

/// Frames `start..end` of the first `n` channels of `channels`.
fn sub_block<'a>(
    channels: &'a mut [&mut [f32]],
    n: usize,
    start: usize,
    end: usize,
) -> [&'a mut [f32]; MAX_PATH_CHANNELS] {
    let mut out: [&mut [f32]; MAX_PATH_CHANNELS] = [&mut [], &mut []];
    for (slot, ch) in out.iter_mut().zip(channels.iter_mut().take(n)) {
        *slot = &mut ch[start..end];
    }
    out
}

/// Copies each channel of `src` to the start of the matching scratch channel.
fn copy_into(dst: &mut [Vec<f32>], src: &[&mut [f32]]) {
    for (d, s) in dst.iter_mut().zip(src) {
        d[..s.len()].copy_from_slice(s);
    }
}

/// `gains = after / before` per channel and frame, holding the last defined gain where
/// `before` is (near) zero or the ratio is not finite.
fn read_gains(
    before: &[Vec<f32>],
    after: &[&mut [f32]],
    gains: &mut [Vec<f32>],
    last: &mut [f32; MAX_PATH_CHANNELS],
) {
    for (((b, a), g), last) in before.iter().zip(after).zip(gains).zip(last.iter_mut()) {
        for ((g, &x), &y) in g.iter_mut().zip(b.iter()).zip(a.iter()) {
            if x.abs() >= MIN_RATIO_INPUT {
                let ratio = y / x;
                if ratio.is_finite() {
                    *last = ratio;
                }
            }
            *g = *last;
        }
    }
}

/// Multiplies each channel by its gains.
fn apply_gains(channels: &mut [&mut [f32]], gains: &[Vec<f32>]) {
    for (samples, g) in channels.iter_mut().zip(gains) {
        for (s, &g) in samples.iter_mut().zip(g.iter()) {
            *s *= g;
        }
    }
}
