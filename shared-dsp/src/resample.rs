//! Offline sample-rate conversion of whole deliverables with `rubato`'s synchronous FFT
//! resampler (`rubato::Fft`, squared Blackman–Harris anti-aliasing window).
//!
//! `Resampler::process_all` trims the resampler's own delay (`output_delay()`), so the output
//! is time-aligned with the input; we then cut it to exactly `round(len·out/in)` samples.
//! One large FFT block (`FFT_CHUNK_FRAMES`, one sub-chunk) gives a long anti-aliasing filter:
//! a narrow transition band just below the lower Nyquist frequency. API:
//! <https://docs.rs/rubato/5.1.0/rubato/struct.Fft.html>.

use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{Fft, FixedSync, Resampler, WindowFunction};

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
        Ok(Self {
            input_rate_hz,
            output_rate_hz,
            resampler,
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
        let num_channels = channels.len();
        let len = channels.first().map_or(0, |c| c.len());
        let input: Vec<Vec<f64>> = channels
            .iter()
            .map(|c| {
                assert_eq!(c.len(), len, "channels must have equal lengths");
                c.iter().map(|&s| s as f64).collect()
            })
            .collect();
        let adapter = SequentialSliceOfVecs::new(&input, num_channels, len)
            .expect("adapter sized from the input");
        let output = self
            .resampler
            .process_all(&adapter, len, None)
            .expect("channel count matches the resampler");
        let frames = output.take_data();
        let out_len = self.output_len(len);
        (0..num_channels)
            .map(|ch| {
                (0..out_len)
                    .map(|n| frames.get(n * num_channels + ch).map_or(0.0, |&s| s as f32))
                    .collect()
            })
            .collect()
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
