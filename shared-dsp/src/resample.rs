//! Offline sample-rate conversion of whole deliverables with `rubato`'s synchronous FFT
//! resampler (`rubato::Fft`, squared Blackman–Harris anti-aliasing window).
//!
//! `Resampler::process_all` trims the resampler's own delay (`output_delay()`), so the output
//! is time-aligned with the input; we then cut it to exactly `round(len·out/in)` samples.
//! One large FFT block (`FFT_CHUNK_FRAMES`, one sub-chunk) gives a long anti-aliasing filter:
//! a narrow transition band just below the lower Nyquist frequency. API:
//! <https://docs.rs/rubato/5.1.0/rubato/struct.Fft.html>.

use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{Fft, FixedSync, Indexing, Resampler, WindowFunction};

pub use rubato::ResamplerConstructionError;

/// Approximate FFT block length of the resampler in input frames. The actual length is an
/// even multiple of `input_rate / gcd(rates)`, so both FFT sizes are even and rubato's delay
/// (`fft_size / 2` on each side) is a whole number of samples in both domains; with an odd
/// size the output would be half a sample late.
const FFT_CHUNK_FRAMES: usize = 16384;

/// A converter between two fixed rates for a fixed channel count.
pub struct SampleRateConverter {
    /// Input rate in Hz (set by `new`).
    input_rate_hz: u32,
    /// Output rate in Hz (set by `new`).
    output_rate_hz: u32,
    /// The rubato resampler (allocated in `new`), working in f64.
    resampler: Fft<f64>,
    /// The conversion in progress (see [`Self::begin`]).
    stream: StreamState,
}

/// The state of a conversion handed over block by block. It replays rubato's `process_all`
/// chunk by chunk: full chunks while more input follows, the last one partial, then silence
/// until the output is complete; the resampler's delay is dropped from the front and the
/// output cut to `output_len(input_len)` frames.
struct StreamState {
    /// Input frames not yet handed over; set by `begin`.
    input_left: usize,
    /// Output frames not yet handed out; set by `begin`.
    output_left: usize,
    /// Leading output frames (the resampler's delay) still to drop; set by `begin`.
    delay_left: usize,
    /// Input collected for the next chunk, per channel, in f64 (allocated in `new`).
    chunk: Vec<Vec<f64>>,
    /// Output of one chunk, per channel (allocated in `new`).
    converted: Vec<Vec<f64>>,
}

impl SampleRateConverter {
    /// Plans a converter from `input_rate_hz` to `output_rate_hz` for `num_channels`.
    pub fn new(
        input_rate_hz: u32,
        output_rate_hz: u32,
        num_channels: usize,
    ) -> Result<Self, ResamplerConstructionError> {
        let min_block = input_rate_hz as usize / gcd(input_rate_hz, output_rate_hz).max(1) as usize;
        let chunk_frames = 2 * FFT_CHUNK_FRAMES.div_ceil(2 * min_block.max(1)) * min_block;
        let resampler = Fft::new_custom(
            input_rate_hz as usize,
            output_rate_hz as usize,
            chunk_frames,
            1,
            num_channels,
            WindowFunction::BlackmanHarris2,
            FixedSync::Both,
        )?;
        let stream = StreamState {
            input_left: 0,
            output_left: 0,
            delay_left: 0,
            chunk: (0..num_channels)
                .map(|_| Vec::with_capacity(resampler.input_frames_max()))
                .collect(),
            converted: vec![vec![0.0; resampler.output_frames_max()]; num_channels],
        };
        Ok(Self {
            input_rate_hz,
            output_rate_hz,
            resampler,
            stream,
        })
    }

    /// Output length for `input_len` input samples: `round(input_len·out/in)`.
    pub fn output_len(&self, input_len: usize) -> usize {
        ((input_len as u128 * self.output_rate_hz as u128 * 2 + self.input_rate_hz as u128)
            / (2 * self.input_rate_hz as u128)) as usize
    }

    /// Converts whole channels (all the same length as the first) and returns the converted
    /// channels, time-aligned with the input and `output_len(len)` samples long. Allocates.
    ///
    /// # Panics
    /// If `channels` does not match the channel count given to `new`, or the channels have
    /// different lengths.
    pub fn process(&mut self, channels: &[&[f32]]) -> Vec<Vec<f32>> {
        let len = channels.first().map_or(0, |c| c.len());
        assert!(
            channels.iter().all(|c| c.len() == len),
            "channels must have equal lengths"
        );
        let mut output = vec![Vec::new(); channels.len()];
        self.begin(len);
        self.push(channels, &mut output);
        self.finish(&mut output);
        output
    }

    /// Starts converting a signal of `input_len` frames handed over block by block
    /// ([`Self::push`], then [`Self::finish`]): the output is bit-identical to
    /// [`Self::process`] on the whole signal, with one FFT chunk in memory. Resets the
    /// resampler (a conversion in progress is abandoned).
    pub fn begin(&mut self, input_len: usize) {
        self.resampler.reset();
        let output_len = self.output_len(input_len);
        let stream = &mut self.stream;
        stream.input_left = input_len;
        stream.output_left = output_len;
        stream.delay_left = self.resampler.output_delay();
        stream.chunk.iter_mut().for_each(Vec::clear);
    }

    /// Hands over the next input frames (one slice per channel, equal lengths) and appends
    /// the output they complete to `output` (one vector per channel).
    ///
    /// # Panics
    /// If more frames are pushed than [`Self::begin`] announced, or the channel counts do
    /// not match.
    pub fn push(&mut self, input: &[&[f32]], output: &mut [Vec<f32>]) {
        let len = input.first().map_or(0, |c| c.len());
        assert!(len <= self.stream.input_left, "more input than announced");
        let chunk_frames = self.resampler.input_frames_max();
        let mut pos = 0;
        while pos < len {
            let stream = &mut self.stream;
            let take = (chunk_frames - stream.chunk[0].len()).min(len - pos);
            for (chunk, channel) in stream.chunk.iter_mut().zip(input) {
                chunk.extend(channel[pos..pos + take].iter().map(|&s| f64::from(s)));
            }
            pos += take;
            stream.input_left -= take;
            // As `process_all`: a chunk is processed as a full one only while more input
            // follows it; the last one goes through `finish` as a partial chunk.
            if stream.chunk[0].len() == chunk_frames && stream.input_left > 0 {
                self.run_chunk(None, output);
            }
        }
    }

    /// After the last input frame: appends the remaining output.
    pub fn finish(&mut self, output: &mut [Vec<f32>]) {
        let partial = self.stream.chunk[0].len();
        if partial > 0 {
            self.run_chunk(Some(partial), output);
        }
        while self.stream.output_left > 0 {
            self.run_chunk(Some(0), output);
        }
    }

    /// Runs the collected chunk (`partial`: how many of its frames are valid) and appends
    /// the output frames past the delay, up to the output length.
    fn run_chunk(&mut self, partial: Option<usize>, output: &mut [Vec<f32>]) {
        let chunk_frames = self.resampler.input_frames_max();
        let stream = &mut self.stream;
        let num_channels = stream.chunk.len();
        for chunk in &mut stream.chunk {
            chunk.resize(chunk_frames, 0.0);
        }
        let input = SequentialSliceOfVecs::new(&stream.chunk, num_channels, chunk_frames)
            .expect("chunk sized by the resampler");
        let output_frames = stream.converted[0].len();
        let mut converted =
            SequentialSliceOfVecs::new_mut(&mut stream.converted, num_channels, output_frames)
                .expect("output sized by the resampler");
        let indexing = Indexing {
            input_offset: 0,
            output_offset: 0,
            active_channels_mask: None,
            partial_len: partial,
        };
        let (_, produced) = self
            .resampler
            .process_into_buffer(&input, &mut converted, Some(&indexing))
            .expect("buffers sized by the resampler");
        stream.chunk.iter_mut().for_each(Vec::clear);
        let skip = stream.delay_left.min(produced);
        stream.delay_left -= skip;
        let keep = (produced - skip).min(stream.output_left);
        stream.output_left -= keep;
        for (out, converted) in output.iter_mut().zip(&stream.converted) {
            out.extend(converted[skip..skip + keep].iter().map(|&s| s as f32));
        }
    }
}

/// Greatest common divisor (Euclid).
fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::white_noise;

    /// rubato's own whole-clip conversion, cut to `output_len` as `process` promises.
    fn process_all(converter: &mut SampleRateConverter, channels: &[Vec<f32>]) -> Vec<Vec<f32>> {
        let len = channels[0].len();
        let input: Vec<Vec<f64>> = channels
            .iter()
            .map(|c| c.iter().map(|&s| f64::from(s)).collect())
            .collect();
        let adapter = SequentialSliceOfVecs::new(&input, channels.len(), len).unwrap();
        let frames = converter
            .resampler
            .process_all(&adapter, len, None)
            .unwrap()
            .take_data();
        let out_len = converter.output_len(len);
        (0..channels.len())
            .map(|ch| {
                (0..out_len)
                    .map(|n| {
                        frames
                            .get(n * channels.len() + ch)
                            .map_or(0.0, |&s| s as f32)
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn streamed_in_any_blocks_equals_rubatos_whole_clip_conversion() {
        for (input_rate, output_rate) in [(48_000, 44_100), (48_000, 96_000), (44_100, 48_000)] {
            // Shorter than one chunk, exactly one chunk, and several chunks plus a bit.
            let mut converter = SampleRateConverter::new(input_rate, output_rate, 2).unwrap();
            let chunk = converter.resampler.input_frames_max();
            for len in [1000, chunk, 3 * chunk + 777] {
                let channels = vec![white_noise(1, 0.5, len), white_noise(2, 0.5, len)];
                let expected = process_all(&mut converter, &channels);
                for block in [1, 4096, len] {
                    let mut output = vec![Vec::new(); 2];
                    converter.begin(len);
                    // Block lengths cycle through `block`, `block / 3 + 1` and 17.
                    let lengths = [block, block / 3 + 1, 17];
                    let (mut pos, mut i) = (0, 0);
                    while pos < len {
                        let end = (pos + lengths[i % 3]).min(len);
                        converter.push(
                            &[&channels[0][pos..end], &channels[1][pos..end]],
                            &mut output,
                        );
                        pos = end;
                        i += 1;
                    }
                    converter.finish(&mut output);
                    assert_eq!(
                        output, expected,
                        "{input_rate} → {output_rate}, {len}, {block}"
                    );
                }
            }
        }
    }
}
