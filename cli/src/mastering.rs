//! The master stage of a render: the full mix through the Master Bus chain, versions linked
//! to it ([`MasterChain::process_block_with_followers`]), meters on a 100 ms grid, and two-pass
//! loudness targeting.

use crate::block_meters::Rechunker;
use crate::progress::Progress;
use crate::stems::{Stereo, RENDER_BLOCK};
use anyhow::{anyhow, Result};
use serde::Serialize;
use shared_dsp::dialogue_gate::dialogue_gated_lufs;
use shared_dsp::loudness::{LoudnessMeter, LoudnessReadings};
use shared_dsp::master::{GainCapture, LeadGains, MasterChain, MasterSettings, VersionFollower};
use shared_dsp::targets::DeliveryTarget;
use std::collections::VecDeque;
use std::sync::mpsc::{Sender, TryRecvError, TrySendError};
use std::sync::{Mutex, TryLockError};

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

/// Hops in flight from the front half of a [`stream_master_split`] to its back half.
const SPLIT_DEPTH: usize = 8;

/// [`stream_master`] on two threads, pipelined hop by hop: the chain is cut in two halves
/// ([`MasterChain::process_block_front`]: input, EQ, glue; [`MasterChain::process_block_back`]:
/// limiter, output), and so is every follower. This thread reads and runs the front halves,
/// the other runs the back halves, and `consume` takes each finished hop's masters on
/// whichever thread would otherwise wait (the balance follows the session); `near` then gets
/// them on this thread. Both receive what [`stream_master`]'s `write` does, bit for bit, in the
/// same order.
#[allow(clippy::too_many_arguments)]
pub fn stream_master_split(
    settings: &MasterSettings,
    sample_rate_hz: u32,
    num_frames: usize,
    num_followers: usize,
    read: &mut ReadBlock,
    near: &mut WriteBlock,
    consume: impl FnMut(&[&[f32]]) -> Result<()> + Send,
    bar_label: &str,
    progress: Progress,
) -> Result<ReductionTrace> {
    let mut front = SplitHalf::new(settings, sample_rate_hz, num_followers);
    let mut back = SplitHalf::new(settings, sample_rate_hz, num_followers);
    let hop = hop_frames(sample_rate_hz);
    let num_channels = 2 * (1 + num_followers);
    // The inputs padded with the latency's silence, hop by hop as `MasterStream` cuts them.
    let padded_frames = num_frames + front.chain.latency_samples();
    let mut skip_frames = front.chain.latency_samples();
    let bar = progress.bar(num_frames.div_ceil(hop) as u64, bar_label);
    let handoff = Handoff {
        done: Mutex::new(VecDeque::new()),
        consumer: Mutex::new(Consumer {
            consume,
            error: None,
        }),
    };
    let (to_back, from_front) = std::sync::mpsc::sync_channel::<SplitHop>(SPLIT_DEPTH);
    let (to_front, from_back) = std::sync::mpsc::channel::<SplitHop>();
    let (limiter_db, fronted) = std::thread::scope(|scope| {
        let back_to_front = to_front.clone();
        let handoff = &handoff;
        let back_thread = scope.spawn(move || {
            loop {
                // Consumes finished hops while the front has none for it.
                let next = loop {
                    match from_front.try_recv() {
                        Ok(hop) => break Some(hop),
                        Err(TryRecvError::Disconnected) => break None,
                        Err(TryRecvError::Empty) if handoff.consume_one(&back_to_front) => {}
                        Err(TryRecvError::Empty) => break from_front.recv().ok(),
                    }
                };
                let Some(mut hop) = next else { break };
                back.run_back(&mut hop.buses);
                hop.skip_frames = skip_frames.min(hop.len());
                skip_frames -= hop.skip_frames;
                if handoff.push(hop) > SPLIT_DEPTH {
                    handoff.consume_one(&back_to_front);
                }
            }
            handoff.consume_all(&back_to_front);
            back.limiter_db
        });
        let mut spare: Vec<SplitHop> = Vec::new();
        let mut hand_on = |hop: SplitHop, spare: &mut Vec<SplitHop>| -> Result<()> {
            if let Some(masters) = hop.masters() {
                near(&masters)?;
            }
            spare.push(hop);
            Ok(())
        };
        let fronted = (|| -> Result<()> {
            let stopped = || anyhow!("the master's second thread stopped");
            for start in (0..padded_frames).step_by(hop) {
                let n = hop.min(padded_frames - start);
                let mut next = spare.pop().unwrap_or_else(|| SplitHop {
                    buses: vec![Vec::with_capacity(hop); num_channels],
                    skip_frames: 0,
                });
                let real = n.min(num_frames.saturating_sub(start));
                if real > 0 {
                    read(&mut next.buses, real)?;
                    bar.inc(1);
                } else {
                    next.buses.iter_mut().for_each(Vec::clear);
                }
                for bus in &mut next.buses {
                    bus.resize(n, 0.0);
                }
                front.run_front(&mut next.buses);
                // Consumes finished hops while the back half has no room for this one.
                loop {
                    match to_back.try_send(next) {
                        Ok(()) => break,
                        Err(TrySendError::Full(hop)) if handoff.consume_one(&to_front) => {
                            next = hop;
                        }
                        Err(TrySendError::Full(hop)) => {
                            to_back.send(hop).map_err(|_| stopped())?;
                            break;
                        }
                        Err(TrySendError::Disconnected(_)) => return Err(stopped()),
                    }
                }
                while let Ok(done) = from_back.try_recv() {
                    hand_on(done, &mut spare)?;
                }
            }
            Ok(())
        })();
        // Ends the other thread's loop (early if this one failed).
        drop(to_back);
        let limiter_db = back_thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        handoff.consume_all(&to_front);
        drop(to_front);
        let fronted = fronted.and_then(|()| {
            from_back
                .iter()
                .try_for_each(|done| hand_on(done, &mut spare))
        });
        (limiter_db, fronted)
    });
    let consumer = handoff
        .consumer
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(error) = consumer.error {
        return Err(error);
    }
    fronted?;
    bar.finish_and_clear();
    Ok(ReductionTrace {
        compressor_db: front.compressor_db,
        limiter_db,
    })
}

/// The hops the back half of a [`stream_master_split`] finished, and the consumer that
/// takes them one at a time, in order, on whichever thread calls [`Handoff::consume_one`]
/// or [`Handoff::consume_all`].
struct Handoff<C> {
    /// Finished hops, oldest first.
    done: Mutex<VecDeque<SplitHop>>,
    /// The consumer; held while it consumes.
    consumer: Mutex<Consumer<C>>,
}

/// The consumer of a [`Handoff`].
struct Consumer<C> {
    /// Takes the masters of each hop.
    consume: C,
    /// Its first error (it is not called again after one).
    error: Option<anyhow::Error>,
}

impl<C: FnMut(&[&[f32]]) -> Result<()>> Handoff<C> {
    /// Queues a finished hop; returns the number queued.
    fn push(&self, hop: SplitHop) -> usize {
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        done.push_back(hop);
        done.len()
    }

    /// Consumes the oldest queued hop and hands it on to `to_front`, unless another thread is
    /// consuming; returns whether it did.
    fn consume_one(&self, to_front: &Sender<SplitHop>) -> bool {
        match self.consumer.try_lock() {
            Ok(mut consumer) => self.consume_next(&mut consumer, to_front),
            Err(TryLockError::Poisoned(e)) => self.consume_next(&mut e.into_inner(), to_front),
            Err(TryLockError::WouldBlock) => false,
        }
    }

    /// Consumes every queued hop (after any other thread's consuming).
    fn consume_all(&self, to_front: &Sender<SplitHop>) {
        let mut consumer = self.consumer.lock().unwrap_or_else(|e| e.into_inner());
        while self.consume_next(&mut consumer, to_front) {}
    }

    /// Consumes the oldest queued hop, if any, with the `consumer` this thread holds.
    fn consume_next(&self, consumer: &mut Consumer<C>, to_front: &Sender<SplitHop>) -> bool {
        let next = self
            .done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front();
        let Some(hop) = next else { return false };
        if let (None, Some(masters)) = (&consumer.error, hop.masters()) {
            if let Err(error) = (consumer.consume)(&masters) {
                consumer.error = Some(error);
            }
        }
        // A front that has stopped needs no buffers back.
        let _ = to_front.send(hop);
        true
    }
}

/// A hop between the halves of a [`stream_master_split`].
struct SplitHop {
    /// The full mix's two channels, then each follower's.
    buses: Vec<Vec<f32>>,
    /// Leading frames that are latency, not master (set by the back half).
    skip_frames: usize,
}

impl SplitHop {
    /// Frames in the hop.
    fn len(&self) -> usize {
        self.buses.first().map_or(0, Vec::len)
    }

    /// The masters of the hop past the latency, if any.
    fn masters(&self) -> Option<Vec<&[f32]>> {
        (self.skip_frames < self.len())
            .then(|| self.buses.iter().map(|b| &b[self.skip_frames..]).collect())
    }
}

/// One half of a [`stream_master_split`]: a whole chain and followers, of which it runs
/// only its half's stages.
struct SplitHalf {
    /// The chain; set by `new`.
    chain: MasterChain,
    /// The lead's gain read-back; set by `new`.
    capture: GainCapture,
    /// This half's gains over the current hop.
    gains: LeadGains,
    /// One per follower.
    followers: Vec<VersionFollower>,
    /// Glue compressor reduction per hop so far, dB (front half).
    compressor_db: Vec<f32>,
    /// Limiter reduction per hop so far, dB (back half).
    limiter_db: Vec<f32>,
}

impl SplitHalf {
    fn new(settings: &MasterSettings, sample_rate_hz: u32, num_followers: usize) -> Self {
        let mut chain = MasterChain::new(f64::from(sample_rate_hz), RENDER_BLOCK, 2);
        chain.set_settings(*settings);
        chain.reset();
        Self {
            capture: chain.gain_capture(),
            gains: LeadGains::new(2, hop_frames(sample_rate_hz)),
            followers: (0..num_followers)
                .map(|_| chain.version_follower())
                .collect(),
            chain,
            compressor_db: Vec::new(),
            limiter_db: Vec::new(),
        }
    }

    /// The front half of a hop (the full mix's two channels, then each follower's), in the
    /// [`RENDER_BLOCK`]s [`MasterStream`] processes it in.
    fn run_front(&mut self, buses: &mut [Vec<f32>]) {
        self.run(buses, Half::Front);
    }

    /// The back half of a hop (see [`SplitHalf::run_front`]).
    fn run_back(&mut self, buses: &mut [Vec<f32>]) {
        self.run(buses, Half::Back);
    }

    /// `half` of a hop: the lead's chain, its reduction on the hop grid (the glue's in the
    /// front half, the limiter's in the back), then the followers.
    fn run(&mut self, buses: &mut [Vec<f32>], half: Half) {
        let len = buses[0].len();
        self.gains.clear();
        let mut hop_db = 0.0f32;
        let (lead, followers) = buses.split_at_mut(2);
        for (s, e) in render_blocks(len) {
            let (l, r) = lead.split_at_mut(1);
            let block = &mut [&mut l[0][s..e], &mut r[0][s..e]];
            let (capture, gains) = (&mut self.capture, &mut self.gains);
            let reduction = match half {
                Half::Front => {
                    self.chain.process_block_front(block, capture, gains);
                    self.chain.reduction().compressor_db
                }
                Half::Back => {
                    self.chain.process_block_back(block, capture, gains);
                    self.chain.reduction().limiter_db
                }
            };
            hop_db = hop_db.max(reduction);
        }
        match half {
            Half::Front => self.compressor_db.push(hop_db),
            Half::Back => self.limiter_db.push(hop_db),
        }
        for (follower, pair) in self.followers.iter_mut().zip(followers.chunks_exact_mut(2)) {
            let (l, r) = pair.split_at_mut(1);
            for (s, e) in render_blocks(len) {
                let signal = &mut [&mut l[0][s..e], &mut r[0][s..e]];
                match half {
                    Half::Front => follower.process_block_front(signal, &self.gains, s),
                    Half::Back => follower.process_block_back(signal, &self.gains, s),
                }
            }
        }
    }
}

/// Which half of the master chain a [`SplitHalf`] runs.
#[derive(Clone, Copy)]
enum Half {
    /// Input, EQ and glue compressor.
    Front,
    /// Limiter and output.
    Back,
}

/// `(start, end)` of each [`RENDER_BLOCK`] of `len` frames.
fn render_blocks(len: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..len)
        .step_by(RENDER_BLOCK)
        .map(move |s| (s, (s + RENDER_BLOCK).min(len)))
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
/// masters line up with the mixes. On one thread ([`stream_master_split`] runs it on two).
pub struct MasterStream {
    /// The chain; set by `new`.
    chain: MasterChain,
    /// The lead's gain read-back; set by `new`.
    capture: GainCapture,
    /// The lead's gains over the current hop.
    gains: LeadGains,
    /// One per follower.
    followers: Vec<VersionFollower>,
    /// Leading output frames (the latency) still to drop.
    skip_frames: usize,
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
    /// A Master Bus with `settings` and `num_followers` versions.
    pub fn new(settings: &MasterSettings, sample_rate_hz: u32, num_followers: usize) -> Self {
        let mut chain = MasterChain::new(f64::from(sample_rate_hz), RENDER_BLOCK, 2);
        chain.set_settings(*settings);
        chain.reset();
        let hop = hop_frames(sample_rate_hz);
        let num_channels = 2 * (1 + num_followers);
        Self {
            capture: chain.gain_capture(),
            gains: LeadGains::new(2, hop),
            followers: (0..num_followers)
                .map(|_| chain.version_follower())
                .collect(),
            skip_frames: chain.latency_samples(),
            hop_frames: hop,
            latency_frames: chain.latency_samples(),
            chain,
            buses: (0..num_channels).map(|_| Vec::with_capacity(hop)).collect(),
            reduction: ReductionTrace::default(),
        }
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

    /// Processes the collected hop and hands on its masters past the latency.
    fn run_hop(&mut self, write: &mut WriteBlock) -> Result<()> {
        let len = self.buses[0].len();
        let (mut hop_comp_db, mut hop_lim_db) = (0.0f32, 0.0f32);
        self.gains.clear();
        let (lead, followers) = self.buses.split_at_mut(2);
        for (s, e) in render_blocks(len) {
            let (l, r) = lead.split_at_mut(1);
            self.chain.process_block_capturing(
                &mut [&mut l[0][s..e], &mut r[0][s..e]],
                &mut self.capture,
                &mut self.gains,
            );
            let r = self.chain.reduction();
            hop_comp_db = hop_comp_db.max(r.compressor_db);
            hop_lim_db = hop_lim_db.max(r.limiter_db);
        }
        self.reduction.compressor_db.push(hop_comp_db);
        self.reduction.limiter_db.push(hop_lim_db);
        for (follower, pair) in self.followers.iter_mut().zip(followers.chunks_exact_mut(2)) {
            let (l, r) = pair.split_at_mut(1);
            for (s, e) in render_blocks(len) {
                let signal = &mut [&mut l[0][s..e], &mut r[0][s..e]];
                follower.process_block(signal, &self.gains, s);
            }
        }
        let skip = self.skip_frames.min(len);
        self.skip_frames -= skip;
        if skip < len {
            let out: Vec<&[f32]> = self.buses.iter().map(|b| &b[skip..]).collect();
            write(&out)?;
        }
        self.buses.iter_mut().for_each(Vec::clear);
        Ok(())
    }
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
