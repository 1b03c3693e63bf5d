//! The master stage of a render: the full mix through the Master Bus chain, versions linked
//! to it ([`MasterChain::process_block_with_followers`]), meters on a 100 ms grid, and two-pass
//! loudness targeting.

use crate::block_meters::Rechunker;
use crate::parallel::pipeline;
use crate::progress::Progress;
use crate::stems::{Stereo, RENDER_BLOCK};
use anyhow::Result;
use serde::Serialize;
use shared_dsp::dialogue_gate::dialogue_gated_lufs;
use shared_dsp::loudness::{LoudnessMeter, LoudnessReadings};
use shared_dsp::master::{GainCapture, LeadGains, MasterChain, MasterSettings, VersionFollower};
use shared_dsp::targets::DeliveryTarget;

/// Momentary values before this many 100 ms hops cover less than the 400 ms gating block.
const PARTIAL_HOPS: usize = 3;
/// Targeting stops this close to the target, LU (half the promised ±0.1 LU).
pub const TARGET_TOLERANCE_LU: f32 = 0.05;
/// Most master passes the targeting runs.
pub const MAX_TARGET_PASSES: usize = 8;

/// Loudness of a signal on a 100 ms grid.
#[derive(Debug, Clone, PartialEq)]
pub struct LoudnessTrace {
    /// Every reading at the end.
    pub readings: LoudnessReadings,
    /// Momentary loudness at the end of each 100 ms hop, LUFS.
    pub momentary_lufs: Vec<f32>,
    /// Short-term loudness at the end of each 100 ms hop, LUFS.
    pub short_term_lufs: Vec<f32>,
}

impl LoudnessTrace {
    /// Measures `audio` (stereo) at `sample_rate_hz`; the true-peak readings only with
    /// `true_peak` (the detector is most of the meter's cost; loudness passes skip it).
    pub fn measure(audio: &[Vec<f32>], sample_rate_hz: u32, true_peak: bool) -> Self {
        let mut tracer = LoudnessTracer::new(sample_rate_hz, audio.len(), true_peak);
        let slices: Vec<&[f32]> = audio.iter().map(Vec::as_slice).collect();
        tracer.push(&slices);
        tracer.finish()
    }

    /// The momentary values that are full BS.1770 gating blocks.
    pub fn gating_blocks(&self) -> &[f32] {
        &self.momentary_lufs[PARTIAL_HOPS.min(self.momentary_lufs.len())..]
    }
}

/// A [`LoudnessTrace`] of a signal streamed in blocks of any length: the meter reads it
/// hop by hop on the 100 ms grid from its first frame.
pub struct LoudnessTracer {
    /// The meter; set by `new`.
    meter: LoudnessMeter,
    /// The 100 ms hops.
    hops: Rechunker,
    /// Momentary loudness at the end of each hop so far, LUFS.
    momentary_lufs: Vec<f32>,
    /// Short-term loudness at the end of each hop so far, LUFS.
    short_term_lufs: Vec<f32>,
}

impl LoudnessTracer {
    /// A tracer for `num_channels` channels at `sample_rate_hz`, true peak with `true_peak`.
    pub fn new(sample_rate_hz: u32, num_channels: usize, true_peak: bool) -> Self {
        let hop = hop_frames(sample_rate_hz);
        let rate = f64::from(sample_rate_hz);
        let meter = if true_peak {
            LoudnessMeter::new(rate, hop, num_channels)
        } else {
            LoudnessMeter::loudness_only(rate, hop, num_channels)
        };
        Self {
            meter,
            hops: Rechunker::new(hop, num_channels),
            momentary_lufs: Vec::new(),
            short_term_lufs: Vec::new(),
        }
    }

    /// Reads the next frames (one slice per channel, equal lengths).
    pub fn push(&mut self, input: &[&[f32]]) {
        let Self {
            meter,
            hops,
            momentary_lufs,
            short_term_lufs,
        } = self;
        hops.push(input, |hop| {
            Self::read_hop(meter, hop, momentary_lufs, short_term_lufs)
        });
    }

    /// The trace of everything pushed.
    pub fn finish(mut self) -> LoudnessTrace {
        let Self {
            meter,
            hops,
            momentary_lufs,
            short_term_lufs,
        } = &mut self;
        hops.finish(|hop| Self::read_hop(meter, hop, momentary_lufs, short_term_lufs));
        LoudnessTrace {
            readings: self.meter.readings(),
            momentary_lufs: self.momentary_lufs,
            short_term_lufs: self.short_term_lufs,
        }
    }

    fn read_hop(
        meter: &mut LoudnessMeter,
        hop: &[&[f32]],
        momentary_lufs: &mut Vec<f32>,
        short_term_lufs: &mut Vec<f32>,
    ) {
        meter.process_block(hop);
        let r = meter.readings();
        momentary_lufs.push(r.momentary_lufs);
        short_term_lufs.push(r.short_term_lufs);
    }
}

/// Frames per 100 ms.
pub fn hop_frames(sample_rate_hz: u32) -> usize {
    (sample_rate_hz as usize / 10).max(1)
}

/// Gain reduction on the 100 ms grid, dB (positive = reduction).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReductionTrace {
    /// Glue compressor, largest per hop.
    pub compressor_db: Vec<f32>,
    /// Limiter, deepest per hop.
    pub limiter_db: Vec<f32>,
}

impl ReductionTrace {
    /// Mean limiter reduction over the programme, dB.
    pub fn mean_limiter_db(&self) -> f32 {
        mean(&self.limiter_db)
    }

    /// Deepest limiter reduction, dB.
    pub fn max_limiter_db(&self) -> f32 {
        self.limiter_db.iter().fold(0.0, |m, &v| m.max(v))
    }
}

fn mean(values: &[f32]) -> f32 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f32>() / values.len() as f32
    }
}

/// The master of the full mix and of every version.
#[derive(Debug, Clone)]
pub struct MasterRender {
    /// The full master, latency-compensated.
    pub full: Stereo,
    /// One master per follower, in the order given.
    pub versions: Vec<Stereo>,
    /// Gain reduction of the master (from the full mix).
    pub reduction: ReductionTrace,
}

/// Runs `full` through a Master Bus with `settings`, and every signal in `versions` with the
/// full mix's dynamic gains, in memory (see [`stream_master`]). Outputs line up with the
/// inputs (latency removed).
pub fn render_master(
    settings: &MasterSettings,
    sample_rate_hz: u32,
    full: &[Vec<f32>],
    versions: Vec<Stereo>,
    bar_label: &str,
    progress: Progress,
) -> MasterRender {
    let len = full.first().map_or(0, Vec::len);
    let inputs: Vec<&Vec<f32>> = full.iter().chain(versions.iter().flatten()).collect();
    let mut masters: Vec<Vec<f32>> = inputs.iter().map(|_| Vec::with_capacity(len)).collect();
    let mut pos = 0;
    let reduction = stream_master(
        settings,
        sample_rate_hz,
        len,
        versions.len(),
        &mut |block, n| {
            for (b, input) in block.iter_mut().zip(&inputs) {
                b.clear();
                b.extend_from_slice(&input[pos..pos + n]);
            }
            pos += n;
            Ok(())
        },
        &mut |out| {
            for (m, o) in masters.iter_mut().zip(out) {
                m.extend_from_slice(o);
            }
            Ok(())
        },
        bar_label,
        progress,
    )
    .expect("memory reads and writes cannot fail");
    let mut channels = masters.into_iter();
    let mut stereo = || -> Stereo { channels.by_ref().take(2).collect() };
    let full = stereo();
    let versions = (0..versions.len()).map(|_| stereo()).collect();
    MasterRender {
        full,
        versions,
        reduction,
    }
}

/// Replaces a block (one vector per channel) with the next `n` frames of a stream.
pub type ReadBlock<'a> = dyn FnMut(&mut [Vec<f32>], usize) -> Result<()> + 'a;
/// Receives the next block of a stream (one slice per channel).
pub type WriteBlock<'a> = dyn FnMut(&[&[f32]]) -> Result<()> + 'a;

/// Streams a full mix through a Master Bus with `settings`, and `num_followers` versions with
/// the full mix's dynamic gains (see [`MasterStream`]). `read(block, n)` replaces `block`
/// (the full mix's two channels, then each follower's) with the next `n` of the `num_frames`
/// input frames; `write` receives the masters in the same layout, `num_frames` frames in
/// all. Returns the master's gain reduction on the hop grid.
#[allow(clippy::too_many_arguments)]
pub fn stream_master(
    settings: &MasterSettings,
    sample_rate_hz: u32,
    num_frames: usize,
    num_followers: usize,
    read: &mut ReadBlock,
    write: &mut WriteBlock,
    bar_label: &str,
    progress: Progress,
) -> Result<ReductionTrace> {
    let master = MasterStream::new(settings, sample_rate_hz, num_followers);
    drive(
        master,
        sample_rate_hz,
        num_frames,
        read,
        write,
        bar_label,
        progress,
    )
}

/// [`stream_master`] on two threads, pipelined hop by hop ([`pipeline`]): the reads and the
/// full mix's chain on this one, the followers and `write` on the other.
#[allow(clippy::too_many_arguments)]
pub fn stream_master_split(
    settings: &MasterSettings,
    sample_rate_hz: u32,
    num_frames: usize,
    num_followers: usize,
    read: &mut ReadBlock,
    mut write: impl FnMut(&[&[f32]]) -> Result<()> + Send,
    bar_label: &str,
    progress: Progress,
) -> Result<ReductionTrace> {
    let (master, mut followers) = MasterStream::split(settings, sample_rate_hz, num_followers);
    pipeline(
        2,
        move |packed| followers.push_packed(packed, &mut write),
        |sink| {
            drive(
                master,
                sample_rate_hz,
                num_frames,
                read,
                sink,
                bar_label,
                progress,
            )
        },
    )
}

/// Streams the `num_frames` frames of `read` through `master` hop by hop into `write`.
fn drive(
    mut master: MasterStream,
    sample_rate_hz: u32,
    num_frames: usize,
    read: &mut ReadBlock,
    write: &mut WriteBlock,
    bar_label: &str,
    progress: Progress,
) -> Result<ReductionTrace> {
    let hop = hop_frames(sample_rate_hz);
    let bar = progress.bar(num_frames.div_ceil(hop) as u64, bar_label);
    let mut block: Vec<Vec<f32>> = vec![Vec::new(); master.buses.len()];
    for start in (0..num_frames).step_by(hop) {
        let n = hop.min(num_frames - start);
        read(&mut block, n)?;
        let slices: Vec<&[f32]> = block.iter().map(Vec::as_slice).collect();
        master.push(&slices, write)?;
        bar.inc(1);
    }
    let reduction = master.finish(write)?;
    bar.finish_and_clear();
    Ok(reduction)
}

/// A full mix and its versions streaming through a Master Bus
/// ([`MasterChain::process_block_capturing`] and [`VersionFollower`]s): the inputs padded
/// with the chain's latency in silence, processed hop by hop on the 100 ms grid from the first
/// frame (in [`RENDER_BLOCK`]s within each hop), the first latency frames dropped so the
/// masters line up with the mixes. The followers run inline ([`MasterStream::new`]) or on
/// another thread ([`MasterStream::split`]).
pub struct MasterStream {
    /// The chain; set by `new`.
    chain: MasterChain,
    /// The lead's gain read-back; set by `new`.
    capture: GainCapture,
    /// The lead's gains over the current hop.
    gains: LeadGains,
    /// The followers, when they run inline; else every hop goes to `write` packed for a
    /// [`FollowerStream`].
    followers: Option<FollowerStream>,
    /// Frames per hop; set by `new`.
    hop_frames: usize,
    /// Latency of the chain, frames.
    latency_frames: usize,
    /// The hop being collected: the full mix's two channels, then each follower's.
    buses: Vec<Vec<f32>>,
    /// Gain reduction per hop so far.
    reduction: ReductionTrace,
}

impl MasterStream {
    /// A Master Bus with `settings` and `num_followers` versions, inline.
    pub fn new(settings: &MasterSettings, sample_rate_hz: u32, num_followers: usize) -> Self {
        let (mut stream, followers) = Self::split(settings, sample_rate_hz, num_followers);
        stream.followers = Some(followers);
        stream
    }

    /// A Master Bus with `settings` for the full mix only, whose `write` receives every hop
    /// packed (the hop's inputs after the full mix's master, then the captured gains), and
    /// the [`FollowerStream`] that takes them and writes the masters.
    pub fn split(
        settings: &MasterSettings,
        sample_rate_hz: u32,
        num_followers: usize,
    ) -> (Self, FollowerStream) {
        let mut chain = MasterChain::new(f64::from(sample_rate_hz), RENDER_BLOCK, 2);
        chain.set_settings(*settings);
        chain.reset();
        let hop = hop_frames(sample_rate_hz);
        let num_channels = 2 * (1 + num_followers);
        let followers = FollowerStream {
            followers: (0..num_followers)
                .map(|_| chain.version_follower())
                .collect(),
            skip_frames: chain.latency_samples(),
            buses: vec![Vec::with_capacity(hop); num_channels],
            gains: LeadGains::new(2, hop),
        };
        let stream = Self {
            capture: chain.gain_capture(),
            gains: LeadGains::new(2, hop),
            followers: None,
            hop_frames: hop,
            latency_frames: chain.latency_samples(),
            chain,
            buses: (0..num_channels).map(|_| Vec::with_capacity(hop)).collect(),
            reduction: ReductionTrace::default(),
        };
        (stream, followers)
    }

    /// The next input frames (the full mix's two channels, then each follower's); `write`
    /// receives the masters of every hop they complete.
    pub fn push(&mut self, input: &[&[f32]], write: &mut WriteBlock) -> Result<()> {
        let len = input.first().map_or(0, |c| c.len());
        let mut pos = 0;
        while pos < len {
            let take = (self.hop_frames - self.buses[0].len()).min(len - pos);
            for (bus, channel) in self.buses.iter_mut().zip(input) {
                bus.extend_from_slice(&channel[pos..pos + take]);
            }
            pos += take;
            if self.buses[0].len() == self.hop_frames {
                self.run_hop(write)?;
            }
        }
        Ok(())
    }

    /// After the last input frame: runs the latency's silence through and returns the gain
    /// reduction on the hop grid.
    pub fn finish(mut self, write: &mut WriteBlock) -> Result<ReductionTrace> {
        let mut silence_frames = self.latency_frames;
        while silence_frames > 0 {
            let take = (self.hop_frames - self.buses[0].len()).min(silence_frames);
            for bus in &mut self.buses {
                bus.resize(bus.len() + take, 0.0);
            }
            silence_frames -= take;
            if self.buses[0].len() == self.hop_frames {
                self.run_hop(write)?;
            }
        }
        if !self.buses[0].is_empty() {
            self.run_hop(write)?;
        }
        Ok(self.reduction)
    }

    /// Processes the collected hop and hands on its masters (inline) or the packed hop.
    fn run_hop(&mut self, write: &mut WriteBlock) -> Result<()> {
        let len = self.buses[0].len();
        let (mut hop_comp_db, mut hop_lim_db) = (0.0f32, 0.0f32);
        self.gains.clear();
        for s in (0..len).step_by(RENDER_BLOCK) {
            let e = (s + RENDER_BLOCK).min(len);
            let (l, r) = self.buses.split_at_mut(1);
            let mut lead = [&mut l[0][s..e], &mut r[0][s..e]];
            self.chain
                .process_block_capturing(&mut lead, &mut self.capture, &mut self.gains);
            let r = self.chain.reduction();
            hop_comp_db = hop_comp_db.max(r.compressor_db);
            hop_lim_db = hop_lim_db.max(r.limiter_db);
        }
        self.reduction.compressor_db.push(hop_comp_db);
        self.reduction.limiter_db.push(hop_lim_db);
        match &mut self.followers {
            Some(followers) => followers.run_hop(&mut self.buses, &self.gains, write)?,
            None => {
                let packed: Vec<&[f32]> = self
                    .buses
                    .iter()
                    .map(Vec::as_slice)
                    .chain(self.gains.channels())
                    .collect();
                write(&packed)?;
            }
        }
        self.buses.iter_mut().for_each(Vec::clear);
        Ok(())
    }
}

/// The followers of a [`MasterStream`]: each version with the full mix's captured gains, the
/// first latency frames of every master dropped.
pub struct FollowerStream {
    /// One per follower.
    followers: Vec<VersionFollower>,
    /// Leading output frames (the latency) still to drop.
    skip_frames: usize,
    /// A packed hop's signals: the full mix's master, then each follower's input.
    buses: Vec<Vec<f32>>,
    /// A packed hop's gains.
    gains: LeadGains,
}

impl FollowerStream {
    /// The next packed hop of a split [`MasterStream`]; `write` receives its masters.
    pub fn push_packed(&mut self, packed: &[&[f32]], write: &mut WriteBlock) -> Result<()> {
        let (signals, gains) = packed.split_at(self.buses.len());
        for (bus, channel) in self.buses.iter_mut().zip(signals) {
            bus.clear();
            bus.extend_from_slice(channel);
        }
        self.gains.copy_from_channels(gains);
        let Self {
            followers,
            skip_frames,
            buses,
            gains,
        } = self;
        run_followers(followers, skip_frames, buses, gains, write)
    }

    /// `buses` (the full mix's master, then each follower's input) with `gains` through the
    /// followers, the masters past the latency to `write`.
    fn run_hop(
        &mut self,
        buses: &mut [Vec<f32>],
        gains: &LeadGains,
        write: &mut WriteBlock,
    ) -> Result<()> {
        run_followers(
            &mut self.followers,
            &mut self.skip_frames,
            buses,
            gains,
            write,
        )
    }
}

/// The work of [`FollowerStream::run_hop`] on its parts.
fn run_followers(
    followers: &mut [VersionFollower],
    skip_frames: &mut usize,
    buses: &mut [Vec<f32>],
    gains: &LeadGains,
    write: &mut WriteBlock,
) -> Result<()> {
    let len = buses[0].len();
    for (follower, pair) in followers.iter_mut().zip(buses[2..].chunks_exact_mut(2)) {
        let (l, r) = pair.split_at_mut(1);
        for s in (0..len).step_by(RENDER_BLOCK) {
            let e = (s + RENDER_BLOCK).min(len);
            follower.process_block(&mut [&mut l[0][s..e], &mut r[0][s..e]], gains, s);
        }
    }
    let skip = (*skip_frames).min(len);
    *skip_frames -= skip;
    if skip < len {
        let out: Vec<&[f32]> = buses.iter().map(|b| &b[skip..]).collect();
        write(&out)?;
    }
    Ok(())
}

/// The loudness a target measures: programme loudness, or dialogue-gated loudness when the
/// target is dialogue-gated and a dialogue trace is given.
pub fn target_loudness_lufs(
    target: &DeliveryTarget,
    master: &LoudnessTrace,
    dialogue: Option<&LoudnessTrace>,
) -> f32 {
    match dialogue {
        Some(d) if target.dialogue_gated => {
            dialogue_gated_lufs(master.gating_blocks(), d.gating_blocks())
        }
        _ => master.readings.integrated_lufs,
    }
}

/// One pass of the loudness targeting.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TargetPass {
    /// Master input gain of the pass, dB.
    pub input_db: f32,
    /// Loudness the target measures, LUFS.
    pub loudness_lufs: f32,
}

/// Finds the master input gain that puts the full master within [`TARGET_TOLERANCE_LU`] of
/// the target (secant steps on the measured loudness; the limiter keeps the ceiling).
/// `master_trace(settings, label)` renders the full master with `settings` and returns its
/// loudness-only trace. Returns the settings to render with and every pass.
pub fn target_loudness(
    settings: &MasterSettings,
    target: &DeliveryTarget,
    dialogue: Option<&LoudnessTrace>,
    mut master_trace: impl FnMut(&MasterSettings, &str) -> Result<LoudnessTrace>,
) -> Result<(MasterSettings, Vec<TargetPass>)> {
    let goal = target.integrated_lufs;
    let mut measure = |input_db: f32| -> Result<TargetPass> {
        let s = MasterSettings {
            input_db,
            ..*settings
        };
        let label = format!("loudness pass (in {input_db:+.2} dB)");
        let trace = master_trace(&s, &label)?;
        Ok(TargetPass {
            input_db,
            loudness_lufs: target_loudness_lufs(target, &trace, dialogue),
        })
    };
    let mut passes = vec![measure(settings.input_db)?];
    while passes.len() < MAX_TARGET_PASSES {
        let last = passes[passes.len() - 1];
        let error = goal - last.loudness_lufs;
        if !last.loudness_lufs.is_finite() || error.abs() <= TARGET_TOLERANCE_LU {
            break;
        }
        // Loudness per dB of input gain: 1 without dynamics, less into a limiter.
        let slope = match passes.len() {
            1 => 1.0,
            n => {
                let prev = passes[n - 2];
                let s = (last.loudness_lufs - prev.loudness_lufs) / (last.input_db - prev.input_db);
                if s.is_finite() && s > 0.05 {
                    s
                } else {
                    1.0
                }
            }
        };
        let next = (last.input_db + error / slope).clamp(-24.0, 24.0);
        if next == last.input_db {
            break;
        }
        passes.push(measure(next)?);
    }
    let best = passes
        .iter()
        .min_by(|a, b| {
            let d = |p: &TargetPass| (p.loudness_lufs - goal).abs();
            d(a).total_cmp(&d(b))
        })
        .copied()
        .unwrap_or(passes[0]);
    Ok((
        MasterSettings {
            input_db: best.input_db,
            ..*settings
        },
        passes,
    ))
}
