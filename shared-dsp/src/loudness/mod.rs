//! EBU R128 / ITU-R BS.1770-4 loudness meter: momentary (400 ms), short-term (3 s),
//! integrated (gated), loudness range (EBU Tech 3342), sample and true peak, PLR.
//!
//! Sources: ITU-R BS.1770-4, <https://www.itu.int/rec/R-REC-BS.1770-4-201510-I/en>;
//! EBU Tech 3341 (meter behaviour), <https://tech.ebu.ch/publications/tech3341>;
//! EBU Tech 3342 (loudness range), <https://tech.ebu.ch/publications/tech3342>.
//!
//! Legend of the timing:
//! - a *sub-block* is 100 ms: `(round(fs) + 5) / 10` frames, as libebur128 rounds it;
//! - a *slice* is 1/20 of a sub-block (5 ms; slice lengths differ by at most one frame when
//!   20 does not divide the sub-block); the meter keeps the K-weighted energy of the last
//!   600 slices (3 s) in a ring, so momentary and short-term loudness are exact sliding
//!   windows evaluated every 5 ms (their maxima catch tone bursts that start off the 100 ms
//!   grid, EBU Tech 3341 cases 10 and 13);
//! - every sub-block end is a gating-block end: the 400 ms block (75 % overlap) goes into the
//!   integrated histogram; every 10th from 3 s on, the 3 s short-term block goes into the LRA
//!   histogram (2 s overlap, as libebur128); both are fixed-size (see `histogram`), so memory
//!   is constant for any programme length.
//!
//! Undefined levels (silence, nothing past the gates yet) read `f32::NEG_INFINITY`; an
//! undefined loudness range reads 0 LU. Non-finite input samples count as silence.

mod histogram;
mod k_weighting;

pub use histogram::{energy_to_lufs, lufs_to_energy, ABSOLUTE_GATE_LUFS};
pub use k_weighting::{run_k_weighting, Biquad, KWeighting, KWeightingState};

use crate::true_peak::{bs1770_oversampling, TruePeakDetector};
use histogram::GatingHistogram;

/// Most channels the meter takes (5.0: L, R, C, Ls, Rs).
pub const MAX_CHANNELS: usize = 5;
/// BS.1770-4 channel weights in the order L, R, C, Ls, Rs (surrounds +1.5 dB).
pub const CHANNEL_WEIGHTS: [f64; MAX_CHANNELS] = [1.0, 1.0, 1.0, 1.41, 1.41];
/// Slices per 100 ms sub-block: slice `i` of a sub-block of `n` frames spans its frames
/// `i·n/20 .. (i+1)·n/20` (integer division). The meter sums a slice's energy in one run when
/// a block holds the slice whole, so feeding it blocks cut at slice boundaries reads exactly
/// what the whole signal in one block reads.
pub const SLICES_PER_SUBBLOCK: usize = 20;
/// Slices in the momentary window (400 ms).
const MOMENTARY_SLICES: usize = 4 * SLICES_PER_SUBBLOCK;
/// Slices in the short-term window (3 s); the ring holds exactly this many.
const SHORT_TERM_SLICES: usize = 30 * SLICES_PER_SUBBLOCK;
/// K-weighting state magnitude flushed to exact zero at every slice end (−600 dB: no reading
/// can see it). Without it a silent tail decays the state into `f64` subnormals within about
/// two seconds, where it then sits in a limit cycle.
const K_WEIGHTING_FLUSH: f64 = 1e-30;
/// Points kept by [`LoudnessMeter::history`]: one per 100 ms, 60 s in all.
pub const HISTORY_CAPACITY: usize = 600;

/// One snapshot of every reading (levels in LUFS/dB, `NEG_INFINITY` when undefined).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessReadings {
    /// Momentary loudness of the last 400 ms, LUFS (updated every 5 ms).
    pub momentary_lufs: f32,
    /// Short-term loudness of the last 3 s, LUFS (updated every 5 ms).
    pub short_term_lufs: f32,
    /// Gated integrated loudness since reset, LUFS (updated every 100 ms).
    pub integrated_lufs: f32,
    /// Loudness range since reset, LU (updated every second from 3 s on; 0 before).
    pub lra_lu: f32,
    /// Largest `|x|` of the last processed block, dBFS.
    pub sample_peak_dbfs: f32,
    /// Largest sample peak since reset, dBFS.
    pub max_sample_peak_dbfs: f32,
    /// True peak of the last processed block, dBTP.
    pub true_peak_dbtp: f32,
    /// Largest true peak since reset, dBTP.
    pub max_true_peak_dbtp: f32,
    /// Peak-to-loudness ratio `max_true_peak_dbtp - integrated_lufs`, LU.
    pub plr_lu: f32,
    /// Largest momentary loudness since reset, LUFS.
    pub max_momentary_lufs: f32,
    /// Largest short-term loudness since reset, LUFS.
    pub max_short_term_lufs: f32,
}

/// One point of the loudness history (one per 100 ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryPoint {
    /// Momentary loudness at the end of the 100 ms, LUFS.
    pub momentary_lufs: f32,
    /// Short-term loudness at the end of the 100 ms, LUFS.
    pub short_term_lufs: f32,
}

/// Fixed settings (set by `new`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessSettings {
    /// Sample rate, Hz (8 kHz to 384 kHz).
    pub sample_rate_hz: f64,
    /// Largest block the host promised; the meter keeps no per-block buffer, so longer
    /// blocks are accepted too.
    pub max_block: usize,
    /// Channels, 1 to [`MAX_CHANNELS`], in the order of [`CHANNEL_WEIGHTS`].
    pub num_channels: usize,
    /// Frames per 100 ms sub-block.
    pub subblock_samples: usize,
}

/// Everything `reset` clears (the legend is in the module doc).
#[derive(Debug, Clone)]
struct LoudnessState {
    /// K-weighting filter state per channel.
    filters: [KWeightingState; MAX_CHANNELS],
    /// Unweighted K-filtered energy per channel in the current slice so far.
    slice_channel_energy: [f64; MAX_CHANNELS],
    /// Frames of the current slice done.
    slice_frames: usize,
    /// Index of the current slice within its sub-block (0..20).
    slice_index: usize,
    /// Ring of the channel-weighted energy sum of the last 600 slices.
    slices: Vec<f64>,
    /// Ring position where the next slice is written.
    slice_pos: usize,
    /// Sum of the last 80 slices (kept by add/subtract, recomputed every 100 ms).
    momentary_sum: f64,
    /// Sum of the last 600 slices (same upkeep).
    short_term_sum: f64,
    /// Completed sub-blocks since reset.
    num_subblocks: u64,
    /// Mean-square energy of the momentary window.
    momentary_energy: f64,
    /// Mean-square energy of the short-term window.
    short_term_energy: f64,
    /// Largest momentary energy since reset.
    max_momentary_energy: f64,
    /// Largest short-term energy since reset.
    max_short_term_energy: f64,
    /// Gating blocks (400 ms) for the integrated loudness.
    integrated_blocks: GatingHistogram,
    /// Short-term blocks (3 s) for the loudness range.
    lra_blocks: GatingHistogram,
    /// Integrated loudness as of the last gating block, LUFS.
    integrated_lufs: f64,
    /// Loudness range as of the last short-term block, LU.
    lra_lu: f64,
    /// Sample peak of the last block (linear).
    block_sample_peak: f32,
    /// Sample peak since reset (linear).
    max_sample_peak: f32,
    /// True peak of the last block (linear).
    block_true_peak: f32,
    /// True peak since reset (linear).
    max_true_peak: f32,
    /// History ring, one point per sub-block.
    history: Vec<HistoryPoint>,
    /// Ring position of the next history point.
    history_pos: usize,
    /// Points in the history ring.
    history_len: usize,
}

/// Streaming loudness meter. Allocates only in `new`.
#[derive(Debug, Clone)]
pub struct LoudnessMeter {
    /// Fixed settings; set by `new`.
    settings: LoudnessSettings,
    /// K-weighting coefficients for the rate; set by `new`.
    k_weighting: KWeighting,
    /// True-peak detector, libebur128's interpolator (4× below 96 kHz, 2× to 192 kHz, 1×
    /// above: it reads what the `ebur128` crate and ffmpeg read); set by `new`, `None`
    /// for a [`LoudnessMeter::loudness_only`] meter.
    true_peak: Option<TruePeakDetector>,
    /// Measurement state; cleared by `reset`.
    state: LoudnessState,
}

/// Linear peak to dB, `NEG_INFINITY` for 0.
fn peak_to_db(peak: f32) -> f32 {
    20.0 * peak.log10()
}

impl LoudnessMeter {
    /// A meter for `num_channels` channels at `sample_rate_hz` (clamped into
    /// [`crate::rate`]'s range, so no host rate can make it panic).
    ///
    /// # Panics
    /// If `num_channels` is not 1 to 5.
    pub fn new(sample_rate_hz: f64, max_block: usize, num_channels: usize) -> Self {
        let sample_rate_hz = crate::rate::clamp_hz(sample_rate_hz);
        assert!(
            (1..=MAX_CHANNELS).contains(&num_channels),
            "1 to {MAX_CHANNELS} channels, got {num_channels}"
        );
        let settings = LoudnessSettings {
            sample_rate_hz,
            max_block,
            num_channels,
            subblock_samples: (sample_rate_hz.round() as usize + 5) / 10,
        };
        let state = LoudnessState {
            filters: [[0.0; 4]; MAX_CHANNELS],
            slice_channel_energy: [0.0; MAX_CHANNELS],
            slice_frames: 0,
            slice_index: 0,
            slices: vec![0.0; SHORT_TERM_SLICES],
            slice_pos: 0,
            momentary_sum: 0.0,
            short_term_sum: 0.0,
            num_subblocks: 0,
            momentary_energy: 0.0,
            short_term_energy: 0.0,
            max_momentary_energy: 0.0,
            max_short_term_energy: 0.0,
            integrated_blocks: GatingHistogram::new(),
            lra_blocks: GatingHistogram::new(),
            integrated_lufs: f64::NEG_INFINITY,
            lra_lu: 0.0,
            block_sample_peak: 0.0,
            max_sample_peak: 0.0,
            block_true_peak: 0.0,
            max_true_peak: 0.0,
            history: vec![
                HistoryPoint {
                    momentary_lufs: f32::NEG_INFINITY,
                    short_term_lufs: f32::NEG_INFINITY,
                };
                HISTORY_CAPACITY
            ],
            history_pos: 0,
            history_len: 0,
        };
        Self {
            settings,
            k_weighting: KWeighting::new(sample_rate_hz),
            true_peak: Some(TruePeakDetector::new(
                sample_rate_hz,
                num_channels,
                bs1770_oversampling(sample_rate_hz),
            )),
            state,
        }
    }

    /// A meter without true-peak detection, for loudness matching (A/B, a strip's short-term
    /// readout), where the detector's cost buys nothing. Its true-peak readings and PLR stay
    /// undefined; everything else is as [`Self::new`].
    ///
    /// # Panics
    /// As [`Self::new`].
    pub fn loudness_only(sample_rate_hz: f64, max_block: usize, num_channels: usize) -> Self {
        Self {
            true_peak: None,
            ..Self::new(sample_rate_hz, max_block, num_channels)
        }
    }

    /// The fixed settings.
    pub fn settings(&self) -> LoudnessSettings {
        self.settings
    }

    /// The K-weighting coefficients in use (for response plots and tests).
    pub fn k_weighting(&self) -> &KWeighting {
        &self.k_weighting
    }

    /// The meter only analyses, so it adds no latency (0). Its true-peak readings lag the
    /// input by [`TruePeakDetector::latency_samples`].
    pub fn latency_samples(&self) -> usize {
        0
    }

    /// Clears every measurement (integrated, LRA, maxima, history). Never allocates.
    pub fn reset(&mut self) {
        let s = &mut self.state;
        s.filters = [[0.0; 4]; MAX_CHANNELS];
        s.slice_channel_energy = [0.0; MAX_CHANNELS];
        s.slice_frames = 0;
        s.slice_index = 0;
        s.slices.fill(0.0);
        s.slice_pos = 0;
        s.momentary_sum = 0.0;
        s.short_term_sum = 0.0;
        s.num_subblocks = 0;
        s.momentary_energy = 0.0;
        s.short_term_energy = 0.0;
        s.max_momentary_energy = 0.0;
        s.max_short_term_energy = 0.0;
        s.integrated_blocks.reset();
        s.lra_blocks.reset();
        s.integrated_lufs = f64::NEG_INFINITY;
        s.lra_lu = 0.0;
        s.block_sample_peak = 0.0;
        s.max_sample_peak = 0.0;
        s.block_true_peak = 0.0;
        s.max_true_peak = 0.0;
        s.history_pos = 0;
        s.history_len = 0;
        if let Some(detector) = &mut self.true_peak {
            detector.reset();
        }
    }

    /// Analyses one block of planar audio (`num_channels` slices of equal length; extra
    /// slices are ignored). Any block length works. Never allocates.
    pub fn process_block(&mut self, channels: &[&[f32]]) {
        let num_channels = channels.len().min(self.settings.num_channels);
        let channels = &channels[..num_channels];
        let num_frames = channels.iter().map(|c| c.len()).min().unwrap_or(0);

        let tp = self
            .true_peak
            .as_mut()
            .map_or(0.0, |detector| detector.process_block(channels));
        let sp = channels.iter().fold(0.0f32, |m, c| {
            c.iter().fold(m, |m, &x| {
                let a = x.abs();
                m.max(if a < f32::INFINITY { a } else { 0.0 })
            })
        });
        let s = &mut self.state;
        s.block_true_peak = tp;
        s.max_true_peak = s.max_true_peak.max(tp);
        s.block_sample_peak = sp;
        s.max_sample_peak = s.max_sample_peak.max(sp);

        let mut start = 0;
        while start < num_frames {
            let slice_len = self.slice_len(self.state.slice_index);
            let take = (slice_len - self.state.slice_frames).min(num_frames - start);
            self.filter_segment(channels, start, start + take);
            self.state.slice_frames += take;
            start += take;
            if self.state.slice_frames == slice_len {
                self.finish_slice();
            }
        }
    }

    /// Frames in slice `index` of a sub-block.
    fn slice_len(&self, index: usize) -> usize {
        let n = self.settings.subblock_samples;
        (index + 1) * n / SLICES_PER_SUBBLOCK - index * n / SLICES_PER_SUBBLOCK
    }

    /// K-weights frames `start..end` of every channel into the current slice's energy.
    fn filter_segment(&mut self, channels: &[&[f32]], start: usize, end: usize) {
        fn run<const N: usize>(
            kw: &KWeighting,
            state: &mut LoudnessState,
            channels: &[&[f32]],
            start: usize,
            end: usize,
        ) {
            let inputs: [&[f32]; N] = std::array::from_fn(|c| &channels[c][start..end]);
            let states: &mut [KWeightingState; N] =
                (&mut state.filters[..N]).try_into().expect("N channels");
            let energy = run_k_weighting(kw, states, inputs);
            for (acc, e) in state.slice_channel_energy.iter_mut().zip(energy) {
                *acc += e;
            }
        }
        let kw = &self.k_weighting;
        let st = &mut self.state;
        match channels.len() {
            1 => run::<1>(kw, st, channels, start, end),
            2 => run::<2>(kw, st, channels, start, end),
            3 => run::<3>(kw, st, channels, start, end),
            4 => run::<4>(kw, st, channels, start, end),
            _ => run::<5>(kw, st, channels, start, end),
        }
    }

    /// Closes the current slice: updates the sliding windows and their maxima, and at each
    /// sub-block end the gating blocks and the history.
    fn finish_slice(&mut self) {
        let sub_n = self.settings.subblock_samples as f64;
        let s = &mut self.state;
        let energy: f64 = s
            .slice_channel_energy
            .iter()
            .zip(CHANNEL_WEIGHTS)
            .map(|(e, w)| e * w)
            .sum();
        s.slice_channel_energy = [0.0; MAX_CHANNELS];
        // On the absolute slice grid, so the flush points do not depend on the block size.
        for v in s.filters.iter_mut().flatten() {
            if v.abs() < K_WEIGHTING_FLUSH {
                *v = 0.0;
            }
        }
        let leaving_momentary =
            s.slices[(s.slice_pos + SHORT_TERM_SLICES - MOMENTARY_SLICES) % SHORT_TERM_SLICES];
        let leaving_short_term = s.slices[s.slice_pos];
        s.slices[s.slice_pos] = energy;
        s.slice_pos = (s.slice_pos + 1) % SHORT_TERM_SLICES;
        s.momentary_sum += energy - leaving_momentary;
        s.short_term_sum += energy - leaving_short_term;
        s.slice_frames = 0;
        s.slice_index += 1;
        let subblock_done = s.slice_index == SLICES_PER_SUBBLOCK;
        if subblock_done {
            s.slice_index = 0;
            // Exact sums once per 100 ms, so add/subtract rounding never accumulates.
            s.short_term_sum = s.slices.iter().sum();
            s.momentary_sum = (0..MOMENTARY_SLICES)
                .map(|i| s.slices[(s.slice_pos + SHORT_TERM_SLICES - 1 - i) % SHORT_TERM_SLICES])
                .sum();
        }
        s.momentary_energy = s.momentary_sum.max(0.0) / (4.0 * sub_n);
        s.short_term_energy = s.short_term_sum.max(0.0) / (30.0 * sub_n);
        s.max_momentary_energy = s.max_momentary_energy.max(s.momentary_energy);
        s.max_short_term_energy = s.max_short_term_energy.max(s.short_term_energy);
        if subblock_done {
            self.finish_subblock();
        }
    }

    /// Gating blocks and history at the end of a 100 ms sub-block.
    fn finish_subblock(&mut self) {
        let s = &mut self.state;
        s.num_subblocks += 1;
        if s.num_subblocks >= 4 {
            s.integrated_blocks.add(s.momentary_energy);
            s.integrated_lufs = s.integrated_blocks.integrated_lufs();
        }
        if s.num_subblocks >= 30 && (s.num_subblocks - 30).is_multiple_of(10) {
            s.lra_blocks.add(s.short_term_energy);
            s.lra_lu = s.lra_blocks.loudness_range_lu();
        }
        s.history[s.history_pos] = HistoryPoint {
            momentary_lufs: energy_to_lufs(s.momentary_energy) as f32,
            short_term_lufs: energy_to_lufs(s.short_term_energy) as f32,
        };
        s.history_pos = (s.history_pos + 1) % HISTORY_CAPACITY;
        s.history_len = (s.history_len + 1).min(HISTORY_CAPACITY);
    }

    /// Every reading now. Cheap (a few logarithms); never allocates.
    pub fn readings(&self) -> LoudnessReadings {
        let s = &self.state;
        let integrated_lufs = s.integrated_lufs as f32;
        let max_true_peak_dbtp = peak_to_db(s.max_true_peak);
        let plr_lu = if integrated_lufs.is_finite() && max_true_peak_dbtp.is_finite() {
            max_true_peak_dbtp - integrated_lufs
        } else {
            f32::NEG_INFINITY
        };
        LoudnessReadings {
            momentary_lufs: energy_to_lufs(s.momentary_energy) as f32,
            short_term_lufs: energy_to_lufs(s.short_term_energy) as f32,
            integrated_lufs,
            lra_lu: s.lra_lu as f32,
            sample_peak_dbfs: peak_to_db(s.block_sample_peak),
            max_sample_peak_dbfs: peak_to_db(s.max_sample_peak),
            true_peak_dbtp: peak_to_db(s.block_true_peak),
            max_true_peak_dbtp,
            plr_lu,
            max_momentary_lufs: energy_to_lufs(s.max_momentary_energy) as f32,
            max_short_term_lufs: energy_to_lufs(s.max_short_term_energy) as f32,
        }
    }

    /// Momentary and short-term loudness, one point per 100 ms, oldest first (at most
    /// [`HISTORY_CAPACITY`] points: the last 60 s). Never allocates.
    pub fn history(&self) -> impl Iterator<Item = HistoryPoint> + '_ {
        let s = &self.state;
        let first = (s.history_pos + HISTORY_CAPACITY - s.history_len) % HISTORY_CAPACITY;
        (0..s.history_len).map(move |i| s.history[(first + i) % HISTORY_CAPACITY])
    }
}
