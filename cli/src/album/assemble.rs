//! Writes an image (the CD master, a vinyl side) as one integer PCM WAV: pieces of digital
//! silence and track files copied sample for sample, streamed block by block through
//! [`AudioReader`] so memory stays a few blocks whatever the album's length. The track files
//! are already at the image's word length (dithered once, when delivered), so the copy is
//! exact: a 16- or 24-bit sample decodes to a float that converts back to the same integer.

use crate::audio_file::{to_int16, to_int24, WavFormat};
use crate::audio_reader::AudioReader;
use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// Frames per read and write.
const BLOCK_FRAMES: usize = 1 << 14;
/// Channels of every image (stereo).
const NUM_CHANNELS: usize = 2;

/// One piece of an image.
#[derive(Debug, Clone, Copy)]
pub enum Piece<'a> {
    /// Digital silence, frames.
    Silence(u64),
    /// Every frame of this stereo file (at the image's rate and word length).
    File(&'a Path),
}

/// Writes `pieces` in order to `out` as a stereo WAV at `sample_rate_hz` in `format` (16- or
/// 24-bit PCM); returns the frames written. Errors name a file whose rate or channel count does
/// not match.
pub fn write_image(
    out: &Path,
    sample_rate_hz: u32,
    format: WavFormat,
    pieces: &[Piece<'_>],
) -> Result<u64> {
    if format == WavFormat::Float32 {
        bail!("an image is integer PCM");
    }
    let spec = hound::WavSpec {
        channels: NUM_CHANNELS as u16,
        sample_rate: sample_rate_hz,
        bits_per_sample: format.bits_per_sample(),
        sample_format: hound::SampleFormat::Int,
    };
    let context = || format!("{}: write failed", out.display());
    let file = File::create(out).with_context(|| format!("{}: cannot create", out.display()))?;
    let mut writer = hound::WavWriter::new(BufWriter::new(file), spec).with_context(context)?;
    let mut write = |block: &[Vec<f32>], num_frames: usize| -> Result<()> {
        for frame in 0..num_frames {
            for channel in block {
                match format {
                    WavFormat::Int16 => writer.write_sample(to_int16(channel[frame])),
                    _ => writer.write_sample(to_int24(channel[frame])),
                }
                .with_context(context)?;
            }
        }
        Ok(())
    };
    let mut block: Vec<Vec<f32>> = (0..NUM_CHANNELS)
        .map(|_| Vec::with_capacity(BLOCK_FRAMES))
        .collect();
    let silence = vec![vec![0.0f32; BLOCK_FRAMES]; NUM_CHANNELS];
    let mut num_frames_written = 0u64;
    for piece in pieces {
        match *piece {
            Piece::Silence(num_frames) => {
                let mut left = num_frames;
                while left > 0 {
                    let n = left.min(BLOCK_FRAMES as u64) as usize;
                    write(&silence, n)?;
                    left -= n as u64;
                }
                num_frames_written += num_frames;
            }
            Piece::File(path) => {
                let mut reader = AudioReader::open(path)?;
                if reader.sample_rate_hz() != sample_rate_hz
                    || reader.num_channels() != NUM_CHANNELS
                {
                    bail!(
                        "{}: {} Hz, {} channels; the image is {sample_rate_hz} Hz stereo",
                        path.display(),
                        reader.sample_rate_hz(),
                        reader.num_channels()
                    );
                }
                loop {
                    let n = reader.read_block(&mut block, BLOCK_FRAMES)?;
                    if n == 0 {
                        break;
                    }
                    write(&block, n)?;
                    num_frames_written += n as u64;
                }
            }
        }
    }
    writer.finalize().with_context(context)?;
    Ok(num_frames_written)
}

/// Frames of a WAV file, from its header.
pub fn wav_frames(path: &Path) -> Result<u64> {
    let reader =
        hound::WavReader::open(path).with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(u64::from(reader.duration()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio_file::{read_audio, write_wav, Audio};
    use shared_dsp::signals::white_noise;

    #[test]
    fn copies_tracks_bit_exactly_between_silences() {
        let dir = tempfile::tempdir().unwrap();
        let rate = 44_100;
        for (format, bits) in [(WavFormat::Int16, 16), (WavFormat::Int24, 24)] {
            let step = 2f32.powi(1 - bits);
            // Samples on the format's grid, full range included.
            let grid = |seed| -> Vec<f32> {
                let mut v: Vec<f32> = white_noise(seed, 0.9, 3000)
                    .iter()
                    .map(|x| (x / step).round() * step)
                    .collect();
                v[0] = -1.0;
                v[1] = 1.0 - step;
                v
            };
            let audio = Audio {
                sample_rate_hz: rate,
                channels: vec![grid(1), grid(2)],
            };
            let track = dir.path().join(format!("track{bits}.wav"));
            write_wav(&track, &audio, format, true).unwrap();
            let image = dir.path().join(format!("image{bits}.wav"));
            let pieces = [
                Piece::Silence(588),
                Piece::File(&track),
                Piece::Silence(20_000),
                Piece::File(&track),
            ];
            let n = write_image(&image, rate, format, &pieces).unwrap();
            assert_eq!(n, 588 + 3000 + 20_000 + 3000);
            assert_eq!(wav_frames(&image).unwrap(), n);
            let back = read_audio(&image).unwrap();
            for (c, channel) in back.channels.iter().enumerate() {
                assert!(channel[..588].iter().all(|&s| s == 0.0));
                assert_eq!(&channel[588..3588], &audio.channels[c][..]);
                assert!(channel[3588..23_588].iter().all(|&s| s == 0.0));
                assert_eq!(&channel[23_588..], &audio.channels[c][..]);
            }
        }
    }

    #[test]
    fn refuses_a_track_at_another_rate() {
        let dir = tempfile::tempdir().unwrap();
        let track = dir.path().join("t.wav");
        let audio = Audio {
            sample_rate_hz: 48_000,
            channels: vec![vec![0.0; 100]; 2],
        };
        write_wav(&track, &audio, WavFormat::Int16, true).unwrap();
        let err = write_image(
            &dir.path().join("i.wav"),
            44_100,
            WavFormat::Int16,
            &[Piece::File(&track)],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("48000 Hz, 2 channels"), "{err}");
    }
}
