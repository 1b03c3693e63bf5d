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

/// The linear stages of the master for one follower signal, with their own state, applying
/// the lead's captured dynamic gains ([`LeadGains`]). Create with
/// [`MasterChain::version_follower`] under the same conditions as [`MasterChain::followers`].
pub struct VersionFollower {
    /// Input gain (same settings as the chain's).
    input: GainStage,
    /// EQ (same settings as the chain's).
    eq: Eq,
    /// Delays the follower by the limiter's latency before the limiter's gain.
    limiter_delay: DelayLine,
    /// Output gain (same settings as the chain's).
    output: GainStage,
    /// The chain's largest block: the follower runs in chunks of it, as the lead does.
    max_block: usize,
}

impl VersionFollower {
    /// Processes `signal` (the lead's channel count, all channels equally long) with the
    /// gains `gains` captured for the lead's frames `offset..offset + len`, chunked as
    /// [`MasterChain::process_block_capturing`] chunked the lead's block. Never allocates.
    ///
    /// # Panics
    /// If `gains` holds fewer than `offset + len` frames.
    pub fn process_block(&mut self, signal: &mut [&mut [f32]], gains: &LeadGains, offset: usize) {
        self.for_each_chunk(signal, gains, offset, Self::process_chunk);
    }

    /// The first half of [`VersionFollower::process_block`]: input gain, EQ and the glue
    /// gains (the stages [`MasterChain::process_block_front`] runs on the lead). With
    /// [`VersionFollower::process_block_back`] on another follower made alike, on the same
    /// blocks in the same order, bit for bit `process_block`. Never allocates.
    ///
    /// # Panics
    /// If `gains` holds fewer than `offset + len` frames.
    pub fn process_block_front(
        &mut self,
        signal: &mut [&mut [f32]],
        gains: &LeadGains,
        offset: usize,
    ) {
        self.for_each_chunk(signal, gains, offset, Self::front_chunk);
    }

    /// The second half of [`VersionFollower::process_block`] (see
    /// [`VersionFollower::process_block_front`]): the limiter's delay and gains and the
    /// output gain. Never allocates.
    ///
    /// # Panics
    /// If `gains` holds fewer than `offset + len` frames.
    pub fn process_block_back(
        &mut self,
        signal: &mut [&mut [f32]],
        gains: &LeadGains,
        offset: usize,
    ) {
        self.for_each_chunk(signal, gains, offset, Self::back_chunk);
    }

    /// Runs `f` on each chunk of at most `max_block` frames of `signal`, with the offset of
    /// its gains.
    fn for_each_chunk(
        &mut self,
        signal: &mut [&mut [f32]],
        gains: &LeadGains,
        offset: usize,
        f: fn(&mut Self, &mut [&mut [f32]], &LeadGains, usize),
    ) {
        let n = signal.len().min(MAX_PATH_CHANNELS);
        let num_frames = signal.first().map_or(0, |c| c.len());
        assert!(offset + num_frames <= gains.len, "gains for every frame");
        let mut start = 0;
        while start < num_frames {
            let end = (start + self.max_block).min(num_frames);
            let mut chunk = sub_block(signal, n, start, end);
            f(self, &mut chunk[..n], gains, offset + start);
            start = end;
        }
    }

    /// One chunk of at most `max_block` frames, with the gains from frame `offset` on.
    fn process_chunk(&mut self, chunk: &mut [&mut [f32]], gains: &LeadGains, offset: usize) {
        self.front_chunk(chunk, gains, offset);
        self.back_chunk(chunk, gains, offset);
    }

    /// The stages up to the glue gains of one chunk.
    fn front_chunk(&mut self, chunk: &mut [&mut [f32]], gains: &LeadGains, offset: usize) {
        self.input.process_block(chunk);
        self.eq.process_block(chunk);
        apply_gains(chunk, &gains.glue, offset);
    }

    /// The stages from the limiter's delay on of one chunk.
    fn back_chunk(&mut self, chunk: &mut [&mut [f32]], gains: &LeadGains, offset: usize) {
        self.limiter_delay.process_block(chunk);
        apply_gains(chunk, &gains.limiter, offset);
        self.output.process_block(chunk);
    }
}

/// The lead's side of the gain read-back: scratch and held gains.
pub struct GainCapture {
    /// Scratch: the lead before the current stage, per channel (`max_block` long).
    before: Vec<Vec<f32>>,
    /// Delays the lead's limiter input by the limiter's latency.
    lead_delay: DelayLine,
    /// Last defined glue gain per channel (held where the lead is silent).
    last_glue_gain: [f32; MAX_PATH_CHANNELS],
    /// Last defined limiter gain per channel (held where the lead is silent).
    last_limiter_gain: [f32; MAX_PATH_CHANNELS],
}

/// The lead's glue and limiter gains per channel and frame, appended block by block by
/// [`MasterChain::process_block_capturing`] up to a fixed capacity.
pub struct LeadGains {
    /// Glue gain per channel and frame (capacity long).
    glue: Vec<Vec<f32>>,
    /// Limiter gain per channel and frame (capacity long).
    limiter: Vec<Vec<f32>>,
    /// Frames captured.
    len: usize,
}

impl LeadGains {
    /// Room for `capacity_frames` frames of `num_channels` channels.
    pub fn new(num_channels: usize, capacity_frames: usize) -> Self {
        Self {
            glue: vec![vec![1.0; capacity_frames]; num_channels],
            limiter: vec![vec![1.0; capacity_frames]; num_channels],
            len: 0,
        }
    }

    /// Frames captured since the last [`LeadGains::clear`].
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no frames are captured.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets the captured frames (keeps the room).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// The next `n` frames' slots per channel, marked captured.
    fn append(&mut self, n: usize) -> usize {
        let offset = self.len;
        assert!(
            offset + n <= self.glue.first().map_or(0, Vec::len),
            "gains beyond the capacity"
        );
        self.len += n;
        offset
    }
}

/// Follower state and the scratch of the gain read-back, for one [`MasterChain`].
///
/// Lifecycle: create with [`MasterChain::followers`] right after the chain's `set_settings` and
/// `reset` (the followers start from the same state as the chain); process with
/// [`MasterChain::process_block_with_followers`]. Changing the chain's settings needs new followers.
pub struct VersionFollowers {
    /// One per follower signal.
    followers: Vec<VersionFollower>,
    /// The lead's read-back state.
    capture: GainCapture,
    /// Scratch: the gains of the current chunk (`max_block` long).
    gains: LeadGains,
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
        VersionFollowers {
            followers: (0..num_followers)
                .map(|_| self.version_follower())
                .collect(),
            capture: self.gain_capture(),
            gains: LeadGains::new(self.num_channels, self.max_block),
        }
    }

    /// One follower at the chain's current settings and in its reset state (call right after
    /// `set_settings` + `reset`), for gains captured with [`MasterChain::process_block_capturing`].
    pub fn version_follower(&self) -> VersionFollower {
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
        let mut eq = Eq::new(self.sample_rate_hz, self.max_block, self.num_channels);
        eq.set_settings(self.settings.eq);
        eq.reset();
        VersionFollower {
            input: gain(self.settings.input_db),
            eq,
            limiter_delay: self.limiter_delay(),
            output: gain(self.settings.output_db),
            max_block: self.max_block,
        }
    }

    /// The lead's read-back state in its reset state (call right after `set_settings` +
    /// `reset`), for [`MasterChain::process_block_capturing`].
    pub fn gain_capture(&self) -> GainCapture {
        GainCapture {
            before: vec![vec![0.0; self.max_block]; self.num_channels],
            lead_delay: self.limiter_delay(),
            last_glue_gain: [1.0; MAX_PATH_CHANNELS],
            last_limiter_gain: [1.0; MAX_PATH_CHANNELS],
        }
    }

    /// A delay line of the limiter's latency.
    fn limiter_delay(&self) -> DelayLine {
        let latency = self.limiter.latency_samples();
        let mut d = DelayLine::new(self.num_channels, latency);
        d.set_delay_samples(latency);
        d
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
            state.gains.clear();
            self.capture_chunk(
                &mut chunk[..num_channels],
                &mut state.capture,
                &mut state.gains,
            );
            for (f, signal) in state.followers.iter_mut().zip(followers.iter_mut()) {
                let mut chunk = sub_block(signal, num_channels, start, end);
                f.process_chunk(&mut chunk[..num_channels], &state.gains, 0);
            }
            start = end;
        }
    }

    /// Processes `lead` exactly as [`MasterChain::process_block`] does (bit for bit) and
    /// appends its glue and limiter gains per frame to `gains`, for [`VersionFollower`]s
    /// (on another thread, say). Never allocates.
    ///
    /// # Panics
    /// If `gains` has no room for the block.
    pub fn process_block_capturing(
        &mut self,
        lead: &mut [&mut [f32]],
        capture: &mut GainCapture,
        gains: &mut LeadGains,
    ) {
        self.block_gr_db = 0.0;
        self.for_each_lead_chunk(lead, |chain, chunk| {
            chain.capture_chunk(chunk, capture, gains)
        });
    }

    /// The first half of [`MasterChain::process_block_capturing`]: input gain, EQ and glue
    /// (compressor and makeup), the glue's gains appended to `gains` (their limiter gains are
    /// left as they are). For a pipeline over two threads: this chain runs only front halves
    /// and another one (same settings, reset alike, its own [`GainCapture`] and
    /// [`LeadGains`]) only [`MasterChain::process_block_back`] halves, on the same blocks in
    /// the same order; together they process the lead bit for bit as `process_block` does
    /// (the stages of the two halves share no state). Never allocates.
    ///
    /// # Panics
    /// If `gains` has no room for the block.
    pub fn process_block_front(
        &mut self,
        lead: &mut [&mut [f32]],
        capture: &mut GainCapture,
        gains: &mut LeadGains,
    ) {
        self.block_gr_db = 0.0;
        self.for_each_lead_chunk(lead, |chain, chunk| {
            chain.capture_front_chunk(chunk, capture, gains);
        });
    }

    /// The second half of [`MasterChain::process_block_capturing`] (see
    /// [`MasterChain::process_block_front`]): limiter (with its bypass crossfade) and output
    /// gain, the limiter's gains appended to `gains` (their glue gains are left as they are).
    /// Never allocates.
    ///
    /// # Panics
    /// If `gains` has no room for the block.
    pub fn process_block_back(
        &mut self,
        lead: &mut [&mut [f32]],
        capture: &mut GainCapture,
        gains: &mut LeadGains,
    ) {
        self.for_each_lead_chunk(lead, |chain, chunk| {
            let len = chunk.first().map_or(0, |c| c.len());
            let offset = gains.append(len);
            chain.capture_back_chunk(chunk, capture, gains, offset);
        });
    }

    /// Runs `f` on each chunk of at most `max_block` frames of the lead's channels.
    fn for_each_lead_chunk(
        &mut self,
        lead: &mut [&mut [f32]],
        mut f: impl FnMut(&mut Self, &mut [&mut [f32]]),
    ) {
        let num_channels = self.num_channels.min(lead.len());
        let num_frames = lead.first().map_or(0, |c| c.len());
        let mut start = 0;
        while start < num_frames {
            let end = (start + self.max_block).min(num_frames);
            let mut chunk = sub_block(lead, num_channels, start, end);
            f(self, &mut chunk[..num_channels]);
            start = end;
        }
    }

    /// One chunk of at most `max_block` frames: the stages of `process_chunk` in the same
    /// order, with the gains of the glue and limiter stages read back and appended to `gains`.
    fn capture_chunk(
        &mut self,
        lead: &mut [&mut [f32]],
        capture: &mut GainCapture,
        gains: &mut LeadGains,
    ) {
        let offset = self.capture_front_chunk(lead, capture, gains);
        self.capture_back_chunk(lead, capture, gains, offset);
    }

    /// The stages up to the glue of one chunk, its glue gains appended to `gains`; returns
    /// the chunk's offset in `gains`.
    fn capture_front_chunk(
        &mut self,
        lead: &mut [&mut [f32]],
        capture: &mut GainCapture,
        gains: &mut LeadGains,
    ) -> usize {
        let len = lead.first().map_or(0, |c| c.len());
        let offset = gains.append(len);
        self.input.process_block(lead);
        self.eq.process_block(lead);

        copy_into(&mut capture.before, lead);
        self.process_glue(lead);
        read_gains(
            &capture.before,
            lead,
            &mut gains.glue,
            offset,
            &mut capture.last_glue_gain,
        );
        offset
    }

    /// The stages from the limiter on of one chunk, its limiter gains written to `gains` from
    /// frame `offset` on.
    fn capture_back_chunk(
        &mut self,
        lead: &mut [&mut [f32]],
        capture: &mut GainCapture,
        gains: &mut LeadGains,
        offset: usize,
    ) {
        let n = lead.len();
        let len = lead.first().map_or(0, |c| c.len());
        copy_into(&mut capture.before, lead);
        self.limiter_switch.capture_dry(lead);
        self.limiter.process_block(lead);
        self.limiter_switch.mix(lead);
        {
            let mut delayed: [&mut [f32]; MAX_PATH_CHANNELS] = [&mut [], &mut []];
            for (slot, b) in delayed.iter_mut().zip(capture.before.iter_mut()) {
                *slot = &mut b[..len];
            }
            capture.lead_delay.process_block(&mut delayed[..n]);
        }
        read_gains(
            &capture.before,
            lead,
            &mut gains.limiter,
            offset,
            &mut capture.last_limiter_gain,
        );
        self.output.process_block(lead);
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

/// `gains[offset..] = after / before` per channel and frame, holding the last defined gain
/// where `before` is (near) zero or the ratio is not finite.
fn read_gains(
    before: &[Vec<f32>],
    after: &[&mut [f32]],
    gains: &mut [Vec<f32>],
    offset: usize,
    last: &mut [f32; MAX_PATH_CHANNELS],
) {
    for (((b, a), g), last) in before.iter().zip(after).zip(gains).zip(last.iter_mut()) {
        for ((g, &x), &y) in g[offset..].iter_mut().zip(b.iter()).zip(a.iter()) {
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

/// Multiplies each channel by its gains from frame `offset` on.
fn apply_gains(channels: &mut [&mut [f32]], gains: &[Vec<f32>], offset: usize) {
    for (samples, g) in channels.iter_mut().zip(gains) {
        for (s, &g) in samples.iter_mut().zip(g[offset..].iter()) {
            *s *= g;
        }
    }
}
