//! Meters that read a signal streamed in blocks of any length exactly as they read it whole:
//! each re-cuts the stream into the blocks its whole-signal counterpart processes, so the
//! floating-point sums run in the same order and the readings are bit-identical.

use shared_dsp::db::gain_to_db;
use shared_dsp::loudness::{LoudnessMeter, SLICES_PER_SUBBLOCK};
use shared_dsp::true_peak::{bs1770_oversampling, TruePeakDetector};

/// Collects planar frames into blocks of a fixed length.
pub struct Rechunker {
    /// Frames per block; set by `new`.
    block_frames: usize,
    /// Frames collected for the next block, per channel.
    pending: Vec<Vec<f32>>,
}

impl Rechunker {
    /// Blocks of `block_frames` frames of `num_channels` channels.
    pub fn new(block_frames: usize, num_channels: usize) -> Self {
        Self {
            block_frames,
            pending: (0..num_channels)
                .map(|_| Vec::with_capacity(block_frames))
                .collect(),
        }
    }

    /// Appends `input` (one slice per channel, equal lengths) and calls `block` with every
    /// block it completes. Whole blocks of `input` past the one that completes the pending
    /// frames are handed over in place, without a copy.
    pub fn push(&mut self, input: &[&[f32]], mut block: impl FnMut(&[&[f32]])) {
        let len = input.first().map_or(0, |c| c.len());
        let input = &input[..self.pending.len().min(input.len())];
        let mut pos = 0;
        if !self.pending[0].is_empty() {
            pos = (self.block_frames - self.pending[0].len()).min(len);
            for (p, c) in self.pending.iter_mut().zip(input) {
                p.extend_from_slice(&c[..pos]);
            }
            if self.pending[0].len() < self.block_frames {
                return;
            }
            self.emit(&mut block);
        }
        let mut slices = Vec::new();
        while len - pos >= self.block_frames {
            let end = pos + self.block_frames;
            slices.clear();
            slices.extend(input.iter().map(|c| &c[pos..end]));
            block(&slices);
            pos = end;
        }
        for (p, c) in self.pending.iter_mut().zip(input) {
            p.extend_from_slice(&c[pos..len]);
        }
    }

    /// Calls `block` with the last, partial block (if any frames are left).
    pub fn finish(&mut self, mut block: impl FnMut(&[&[f32]])) {
        if !self.pending[0].is_empty() {
            self.emit(&mut block);
        }
    }

    fn emit(&mut self, block: &mut impl FnMut(&[&[f32]])) {
        let slices: Vec<&[f32]> = self.pending.iter().map(Vec::as_slice).collect();
        block(&slices);
        self.pending.iter_mut().for_each(Vec::clear);
    }
}

/// The true peak of a streamed signal as the BS.1770-4 meter reads it (4× below 96 kHz),
/// equal to [`shared_dsp::true_peak::measure_true_peak_db`] on the whole signal: the detector
/// computes every interpolated value from the same window with the same operations whatever
/// the block lengths, so the blocks go to it as they come (no re-cutting, no copy).
pub struct TruePeakReader {
    /// The detector; set by `new`.
    detector: TruePeakDetector,
    /// Channels measured; set by `new`.
    num_channels: usize,
    /// Largest interpolated magnitude so far, linear.
    peak: f32,
}

impl TruePeakReader {
    /// A reader for `num_channels` channels at `sample_rate_hz`.
    pub fn new(sample_rate_hz: u32, num_channels: usize) -> Self {
        let rate = f64::from(sample_rate_hz);
        Self {
            detector: TruePeakDetector::new(rate, num_channels, bs1770_oversampling(rate)),
            num_channels,
            peak: 0.0,
        }
    }

    /// Reads the next frames (one slice per channel).
    pub fn push(&mut self, input: &[&[f32]]) {
        let input = &input[..self.num_channels.min(input.len())];
        self.peak = self.peak.max(self.detector.process_block(input));
    }

    /// The true peak of everything pushed, dBTP.
    pub fn finish(mut self) -> f32 {
        let peak = self.peak.max(self.detector.flush(self.num_channels));
        gain_to_db(peak)
    }
}

/// The integrated loudness of a streamed signal, equal to a loudness-only
/// [`LoudnessMeter`] given the whole signal in one block: the meter gets the blocks cut at
/// its 5 ms slice boundaries ([`SLICES_PER_SUBBLOCK`]), so every slice's energy is summed in
/// one run as on the whole signal. Whole slices go to it straight from the input; a slice
/// split between two blocks is collected first (the only frames copied).
pub struct IntegratedLoudness {
    /// The meter; set by `new`.
    meter: LoudnessMeter,
    /// Frames per 100 ms sub-block; set by `new`.
    subblock_frames: usize,
    /// Position of the next frame in its sub-block (the frames in `pending` counted).
    position: usize,
    /// The first frames of a slice split between blocks, per channel.
    pending: Vec<Vec<f32>>,
}

impl IntegratedLoudness {
    /// A meter for `num_channels` channels at `sample_rate_hz`.
    pub fn new(sample_rate_hz: u32, num_channels: usize) -> Self {
        let meter = LoudnessMeter::loudness_only(f64::from(sample_rate_hz), 1, num_channels);
        let subblock_frames = meter.settings().subblock_samples;
        Self {
            meter,
            subblock_frames,
            position: 0,
            pending: vec![Vec::new(); num_channels],
        }
    }

    /// Frame `i` of the sub-block grid where slice `i` starts (`i` up to 20, the next
    /// sub-block's start).
    fn slice_start(&self, i: usize) -> usize {
        i * self.subblock_frames / SLICES_PER_SUBBLOCK
    }

    /// The slice holding frame `frame` (below the sub-block length) of a sub-block.
    fn slice_index(&self, frame: usize) -> usize {
        let mut i = frame * SLICES_PER_SUBBLOCK / self.subblock_frames;
        while self.slice_start(i + 1) <= frame {
            i += 1;
        }
        i
    }

    /// The last slice boundary at or before `offset` frames from the current sub-block's
    /// start (any number of sub-blocks on).
    fn slice_boundary_at_or_before(&self, offset: usize) -> usize {
        let n = self.subblock_frames;
        offset / n * n + self.slice_start(self.slice_index(offset % n))
    }

    /// Reads the next frames (one slice per channel).
    pub fn push(&mut self, input: &[&[f32]]) {
        let len = input.first().map_or(0, |c| c.len());
        let input = &input[..self.pending.len().min(input.len())];
        let mut pos = 0;
        while pos < len {
            if self.pending[0].is_empty() {
                // Whole slices straight from the input.
                let end = self.slice_boundary_at_or_before(self.position + len - pos);
                if end > self.position {
                    let take = end - self.position;
                    let block: Vec<&[f32]> = input.iter().map(|c| &c[pos..pos + take]).collect();
                    self.meter.process_block(&block);
                    pos += take;
                    self.position = end % self.subblock_frames;
                    continue;
                }
            }
            // The rest of the current slice, or as much of it as there is.
            let slice_end = self.slice_start(self.slice_index(self.position) + 1);
            let take = (slice_end - self.position).min(len - pos);
            for (p, c) in self.pending.iter_mut().zip(input) {
                p.extend_from_slice(&c[pos..pos + take]);
            }
            pos += take;
            self.position += take;
            if self.position == slice_end {
                self.process_pending();
            }
            self.position %= self.subblock_frames;
        }
    }

    /// Hands the collected frames to the meter.
    fn process_pending(&mut self) {
        let block: Vec<&[f32]> = self.pending.iter().map(Vec::as_slice).collect();
        self.meter.process_block(&block);
        self.pending.iter_mut().for_each(Vec::clear);
    }

    /// The integrated loudness of everything pushed, LUFS (−∞ for silence).
    pub fn finish(mut self) -> f32 {
        if !self.pending[0].is_empty() {
            self.process_pending();
        }
        self.meter.readings().integrated_lufs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_dsp::signals::white_noise;
    use shared_dsp::true_peak::measure_true_peak_db;

    /// `signal` handed over in blocks of 1, 7, 4096 and 1000 frames, cycling.
    fn in_odd_blocks(signal: &[Vec<f32>], mut push: impl FnMut(&[&[f32]])) {
        let lengths = [1, 7, 4096, 1000];
        let (mut pos, mut i) = (0, 0);
        while pos < signal[0].len() {
            let end = (pos + lengths[i % 4]).min(signal[0].len());
            let block: Vec<&[f32]> = signal.iter().map(|c| &c[pos..end]).collect();
            push(&block);
            pos = end;
            i += 1;
        }
    }

    #[test]
    fn rechunked_blocks_are_the_signal_cut_into_fixed_blocks() {
        let len = 20_000;
        let signal = vec![white_noise(3, 0.5, len), white_noise(4, 0.5, len)];
        for block_frames in [1, 7, 1000, 4096, 5000] {
            let mut blocks: Vec<Vec<Vec<f32>>> = Vec::new();
            let mut collect = |b: &[&[f32]]| blocks.push(b.iter().map(|c| c.to_vec()).collect());
            let mut rechunker = Rechunker::new(block_frames, 2);
            in_odd_blocks(&signal, |b| rechunker.push(b, &mut collect));
            rechunker.finish(&mut collect);
            let expected: Vec<Vec<Vec<f32>>> = (0..len.div_ceil(block_frames))
                .map(|i| {
                    let range = i * block_frames..((i + 1) * block_frames).min(len);
                    signal.iter().map(|c| c[range.clone()].to_vec()).collect()
                })
                .collect();
            assert!(blocks == expected, "{block_frames}-frame blocks");
        }
    }

    #[test]
    fn streamed_readings_equal_the_whole_signal_readings() {
        for rate in [44_100u32, 48_000, 96_000] {
            let len = rate as usize * 3 + 123;
            let signal = vec![white_noise(1, 0.5, len), white_noise(2, 0.3, len)];
            let slices: Vec<&[f32]> = signal.iter().map(Vec::as_slice).collect();

            let mut tp = TruePeakReader::new(rate, 2);
            in_odd_blocks(&signal, |b| tp.push(b));
            let rate_f64 = f64::from(rate);
            let whole_tp = measure_true_peak_db(&slices, rate_f64, bs1770_oversampling(rate_f64));
            assert_eq!(tp.finish().to_bits(), whole_tp.to_bits(), "{rate} Hz");

            let mut lufs = IntegratedLoudness::new(rate, 2);
            in_odd_blocks(&signal, |b| lufs.push(b));
            let mut whole = LoudnessMeter::loudness_only(rate_f64, len, 2);
            whole.process_block(&slices);
            let whole_lufs = whole.readings().integrated_lufs;
            assert!(whole_lufs.is_finite());
            assert_eq!(lufs.finish().to_bits(), whole_lufs.to_bits(), "{rate} Hz");
        }
    }
}
