//! K-weighted energy per 100 ms block on the host transport's grid: what the Master Bus needs to
//! estimate each stem's share of its loudness.
//!
//! The K-weighting is the loudness meter's own (`shared_dsp::loudness::run_k_weighting`).
//! Block length: `(round(fs) + 5) / 10` frames, as the loudness meter's 100 ms sub-block, so
//! 30 full blocks average to the short-term loudness.

use crate::record::EnergyBlock;
use shared_dsp::loudness::{run_k_weighting, KWeighting, KWeightingState};

/// Most channels measured (L, R; BS.1770 weight 1.0 each).
const MAX_CHANNELS: usize = 2;
/// Completed blocks held until the next publish (a host block of up to 3.2 s).
const MAX_COMPLETED: usize = 32;
/// Filter state below this is flushed to zero at every block end (no subnormals on silence).
const FLUSH: f64 = 1e-30;

/// Where the host transport is for the current block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TransportStamp {
    /// Transport position of the block's first frame, samples (`None`: the host did not say).
    pub position_samples: Option<i64>,
    /// The transport is playing.
    pub playing: bool,
}

/// Streaming K-weighted energy per 100 ms block. Sized in `new`; never allocates afterwards.
///
/// Legend: `acc` is the sum of squared K-weighted samples (all channels) of the open block,
/// `acc_frames` its length so far, `target_frames` where it closes (the next multiple of the
/// block length on the transport grid, or a full block when free-running), `expected_start`
/// where the next host block must start for the open block to continue.
#[derive(Debug, Clone)]
pub struct BlockEnergyMeter {
    /// K-weighting coefficients for the rate; set by `new`.
    k_weighting: KWeighting,
    /// Per channel: shelf s1, s2, high-pass s1, s2.
    filters: [KWeightingState; MAX_CHANNELS],
    /// Frames per full block (100 ms).
    block_frames: i64,
    /// Sum of squares of the open block.
    acc: f64,
    /// Peak |sample| of the open block.
    peak: f32,
    /// Frames in the open block.
    acc_frames: i64,
    /// Frames at which the open block closes.
    target_frames: i64,
    /// Start position of the open block.
    start_samples: i64,
    /// Flags of the open block ([`EnergyBlock::TRANSPORT`], [`EnergyBlock::PLAYING`]).
    flags: u32,
    /// Position the next host block continues the open block at.
    expected_start: i64,
    /// Frames processed since construction or reset (the position when no transport is known).
    running_frames: i64,
    /// Blocks closed since the last [`BlockEnergyMeter::take_completed`].
    completed: [EnergyBlock; MAX_COMPLETED],
    /// How many of `completed` are valid.
    num_completed: usize,
}

impl BlockEnergyMeter {
    /// A meter at `sample_rate_hz`.
    pub fn new(sample_rate_hz: f64) -> Self {
        Self {
            k_weighting: KWeighting::new(sample_rate_hz),
            filters: [[0.0; 4]; MAX_CHANNELS],
            block_frames: ((sample_rate_hz.round() as i64) + 5) / 10,
            acc: 0.0,
            peak: 0.0,
            acc_frames: 0,
            target_frames: 0,
            start_samples: 0,
            flags: 0,
            expected_start: i64::MIN,
            running_frames: 0,
            completed: [EnergyBlock::default(); MAX_COMPLETED],
            num_completed: 0,
        }
    }

    /// Frames in a full block (100 ms).
    pub fn block_frames(&self) -> usize {
        self.block_frames as usize
    }

    /// Clears the filters, the open block and the completed ones. Never allocates.
    pub fn reset(&mut self) {
        self.filters = [[0.0; 4]; MAX_CHANNELS];
        self.acc = 0.0;
        self.peak = 0.0;
        self.acc_frames = 0;
        self.expected_start = i64::MIN;
        self.running_frames = 0;
        self.num_completed = 0;
    }

    /// Measures one host block (1 or 2 channels of equal length) at `transport`. Never
    /// allocates.
    pub fn process(&mut self, channels: &[&[f32]], transport: TransportStamp) {
        let num_frames = channels.iter().map(|c| c.len()).min().unwrap_or(0) as i64;
        let (start, flags) = match transport.position_samples {
            Some(position) if transport.playing => {
                (position, EnergyBlock::TRANSPORT | EnergyBlock::PLAYING)
            }
            _ => (
                self.running_frames,
                if transport.playing {
                    EnergyBlock::PLAYING
                } else {
                    0
                },
            ),
        };
        if self.acc_frames > 0 && (start != self.expected_start || flags != self.flags) {
            self.close_block();
        }
        let channels = &channels[..channels.len().min(MAX_CHANNELS)];
        let mut done = 0;
        while done < num_frames {
            if self.acc_frames == 0 {
                self.open_block(start + done, flags);
            }
            let take = (self.target_frames - self.acc_frames).min(num_frames - done);
            let range = done as usize..(done + take) as usize;
            self.accumulate(channels, range);
            self.acc_frames += take;
            done += take;
            if self.acc_frames == self.target_frames {
                self.close_block();
            }
        }
        self.expected_start = start + num_frames;
        self.running_frames += num_frames;
    }

    /// The blocks closed since the last call (oldest first), then forgets them.
    pub fn take_completed(&mut self) -> &[EnergyBlock] {
        let n = std::mem::take(&mut self.num_completed);
        &self.completed[..n]
    }

    /// Starts a block at `start`: it closes on the next multiple of the block length when on
    /// the transport grid, after a full block otherwise.
    fn open_block(&mut self, start: i64, flags: u32) {
        self.start_samples = start;
        self.flags = flags;
        self.target_frames = if flags & EnergyBlock::TRANSPORT != 0 {
            self.block_frames - start.rem_euclid(self.block_frames)
        } else {
            self.block_frames
        };
    }

    /// K-weights `range` of every channel into the open block.
    fn accumulate(&mut self, channels: &[&[f32]], range: std::ops::Range<usize>) {
        match channels {
            [mono] => self.accumulate_n([&mono[range]]),
            [left, right, ..] => self.accumulate_n([&left[range.clone()], &right[range]]),
            [] => {}
        }
    }

    /// [`Self::accumulate`] for `N` channels: shared-dsp's K-weighting loop (the loudness
    /// meter's own), then the block's sample peak.
    fn accumulate_n<const N: usize>(&mut self, inputs: [&[f32]; N]) {
        let mut states: [KWeightingState; N] = std::array::from_fn(|c| self.filters[c]);
        let energy = run_k_weighting(&self.k_weighting, &mut states, inputs);
        self.filters[..N].copy_from_slice(&states);
        self.acc += energy.iter().sum::<f64>();
        self.peak = inputs
            .iter()
            .flat_map(|c| c.iter())
            .fold(self.peak, |m, x| m.max(x.abs()));
    }

    /// Closes the open block into `completed` (dropping the oldest when full).
    fn close_block(&mut self) {
        if self.num_completed == MAX_COMPLETED {
            self.completed.copy_within(1.., 0);
            self.num_completed -= 1;
        }
        let peak_dbfs = if self.peak.is_finite() {
            20.0 * self.peak.log10()
        } else {
            f32::NEG_INFINITY
        };
        self.completed[self.num_completed] = EnergyBlock {
            sequence: 0,
            start_samples: self.start_samples,
            num_frames: self.acc_frames as u32,
            flags: self.flags,
            peak_dbfs,
            energy: self.acc / self.acc_frames.max(1) as f64,
        };
        self.num_completed += 1;
        self.acc = 0.0;
        self.peak = 0.0;
        self.acc_frames = 0;
        for v in self.filters.iter_mut().flatten() {
            if v.abs() < FLUSH {
                *v = 0.0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_dsp::loudness::{energy_to_lufs, LoudnessMeter};
    use shared_dsp::signals::sine;

    #[test]
    fn thirty_blocks_average_to_the_short_term_loudness() {
        let rate_hz = 48_000.0;
        let x = sine(997.0, 0.25, rate_hz, 3 * 48_000, 0.0);
        let channels = [&x[..], &x[..]];
        let mut meter = BlockEnergyMeter::new(rate_hz);
        let mut loudness = LoudnessMeter::new(rate_hz, 512, 2);
        let mut blocks = Vec::new();
        for (start, chunk) in (0..x.len())
            .step_by(512)
            .map(|s| (s, s..(s + 512).min(x.len())))
        {
            let c = [&channels[0][chunk.clone()], &channels[1][chunk.clone()]];
            meter.process(&c, TransportStamp::default());
            loudness.process_block(&c);
            blocks.extend_from_slice(meter.take_completed());
            let _ = start;
        }
        assert_eq!(blocks.len(), 30);
        assert!(blocks.iter().all(|b| b.num_frames == 4800 && b.flags == 0));
        assert_eq!(blocks[1].start_samples, 4800);
        let mean = blocks.iter().map(|b| b.energy).sum::<f64>() / 30.0;
        let short_term = f64::from(loudness.readings().short_term_lufs);
        assert!(
            (energy_to_lufs(mean) - short_term).abs() < 0.01,
            "{mean} {short_term}"
        );
        assert!((blocks[5].peak_dbfs - 20.0 * 0.25f32.log10()).abs() < 0.01);
    }

    #[test]
    fn blocks_sit_on_the_transport_grid_and_split_on_jumps() {
        let mut meter = BlockEnergyMeter::new(48_000.0);
        let x = vec![0.1f32; 1000];
        let playing = |p| TransportStamp {
            position_samples: Some(p),
            playing: true,
        };
        meter.process(&[&x], playing(3000)); // grid block 0 ends at 4800
        assert!(meter.take_completed().is_empty());
        meter.process(&[&x], playing(5000)); // jump: closes [3000, 4000) partial
        let done = meter.take_completed().to_vec();
        assert_eq!(done.len(), 1);
        assert_eq!((done[0].start_samples, done[0].num_frames), (3000, 1000));
        assert_eq!(done[0].flags, EnergyBlock::TRANSPORT | EnergyBlock::PLAYING);
        for i in 0..4 {
            meter.process(&[&x], playing(6000 + 1000 * i));
        }
        // 5000..9600 closes at the grid line 9600 (4600 frames).
        let done = meter.take_completed().to_vec();
        assert_eq!((done[0].start_samples, done[0].num_frames), (5000, 4600));
    }
}
