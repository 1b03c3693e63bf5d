//! Writes an image (the CD master, a vinyl side) as one integer PCM WAV: pieces of digital
//! silence, stretches of track files copied sample for sample, and crossfades, streamed block
//! by block through [`AudioReader`] so memory stays a few blocks whatever the album's length.
//! The track files are already at the image's word length (dithered once, when delivered), so
//! the copy is exact: a 16- or 24-bit sample decodes to a float that converts back to the same
//! integer. Only a crossfade makes new samples; they are dithered again (the image format's
//! dither). Its fades are equal-gain (the two gains add up to 1): the mix of two signals under
//! a ceiling stays under it, which an equal-power fade (gains whose squares add up to 1) would
//! not promise for correlated material.

use crate::audio_file::{to_int16, to_int24, WavFormat};
use crate::audio_reader::AudioReader;
use crate::deliver::Format;
use anyhow::{bail, Context, Result};
use shared_dsp::dither::Dither;
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
    /// Frames `from..to` of a stereo file (at the image's rate and word length).
    File {
        /// The file.
        path: &'a Path,
        /// First frame.
        from: u64,
        /// Frame after the last.
        to: u64,
    },
    /// `num_frames` from frame `out_from` of `out`, fading out, mixed with the first
    /// `num_frames` of `into`, fading in.
    Crossfade {
        /// The file fading out.
        out: &'a Path,
        /// Where its fade starts, frames.
        out_from: u64,
        /// The file fading in (from its first frame).
        into: &'a Path,
        /// Length, frames.
        num_frames: u64,
    },
}

/// A reader of `path` positioned at frame `from`, checked against the image's rate.
fn open_at(
    path: &Path,
    from: u64,
    sample_rate_hz: u32,
    block: &mut [Vec<f32>],
) -> Result<AudioReader> {
    let mut reader = AudioReader::open(path)?;
    if reader.sample_rate_hz() != sample_rate_hz || reader.num_channels() != NUM_CHANNELS {
        bail!(
            "{}: {} Hz, {} channels; the image is {sample_rate_hz} Hz stereo",
            path.display(),
            reader.sample_rate_hz(),
            reader.num_channels()
        );
    }
    let mut left = from;
    while left > 0 {
        let n = reader.read_block(block, left.min(BLOCK_FRAMES as u64) as usize)?;
        if n == 0 {
            bail!("{}: shorter than {from} frames", path.display());
        }
        left -= n as u64;
    }
    Ok(reader)
}

/// Reads exactly `n` frames into `block`, or errors naming the file.
fn read_exactly(
    reader: &mut AudioReader,
    block: &mut [Vec<f32>],
    n: usize,
    path: &Path,
) -> Result<()> {
    if reader.read_block(block, n)? != n {
        bail!("{}: ended early", path.display());
    }
    Ok(())
}

/// Writes `pieces` in order to `out` (inside a staging folder: not atomic by itself) as a
/// stereo WAV at `sample_rate_hz` in `format` (an integer format: its word length and
/// dither); returns the frames written. Errors name a file whose rate or channel count does
/// not match or that is shorter than its piece.
pub fn write_image(
    out: &Path,
    sample_rate_hz: u32,
    format: Format,
    pieces: &[Piece<'_>],
) -> Result<u64> {
    let wav_format = format.wav_format();
    let Some(dither_settings) = format.dither() else {
        bail!("an image is integer PCM, not {}", format.id());
    };
    let spec = hound::WavSpec {
        channels: NUM_CHANNELS as u16,
        sample_rate: sample_rate_hz,
        bits_per_sample: wav_format.bits_per_sample(),
        sample_format: hound::SampleFormat::Int,
    };
    let context = || format!("{}: write failed", out.display());
    let file = File::create(out).with_context(|| format!("{}: cannot create", out.display()))?;
    let mut writer = hound::WavWriter::new(BufWriter::new(file), spec).with_context(context)?;
    let mut write = |block: &[Vec<f32>], num_frames: usize| -> Result<()> {
        for frame in 0..num_frames {
            for channel in block {
                match wav_format {
                    WavFormat::Int16 => writer.write_sample(to_int16(channel[frame])),
                    _ => writer.write_sample(to_int24(channel[frame])),
                }
                .with_context(context)?;
            }
        }
        Ok(())
    };
    let new_block = || -> Vec<Vec<f32>> {
        (0..NUM_CHANNELS)
            .map(|_| Vec::with_capacity(BLOCK_FRAMES))
            .collect()
    };
    let (mut block, mut other) = (new_block(), new_block());
    let silence = vec![vec![0.0f32; BLOCK_FRAMES]; NUM_CHANNELS];
    let mut dither = Dither::new(
        f64::from(sample_rate_hz),
        BLOCK_FRAMES,
        NUM_CHANNELS,
        dither_settings,
    );
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
            Piece::File { path, from, to } => {
                let mut reader = open_at(path, from, sample_rate_hz, &mut block)?;
                let mut left = to - from;
                while left > 0 {
                    let n = left.min(BLOCK_FRAMES as u64) as usize;
                    read_exactly(&mut reader, &mut block, n, path)?;
                    write(&block, n)?;
                    left -= n as u64;
                }
                num_frames_written += to - from;
            }
            Piece::Crossfade {
                out: fading_out,
                out_from,
                into,
                num_frames,
            } => {
                let mut falling = open_at(fading_out, out_from, sample_rate_hz, &mut block)?;
                let mut rising = open_at(into, 0, sample_rate_hz, &mut other)?;
                let mut done = 0u64;
                while done < num_frames {
                    let n = (num_frames - done).min(BLOCK_FRAMES as u64) as usize;
                    read_exactly(&mut falling, &mut block, n, fading_out)?;
                    read_exactly(&mut rising, &mut other, n, into)?;
                    for (a, b) in block.iter_mut().zip(&other) {
                        for (k, (a, &b)) in a.iter_mut().zip(b).enumerate() {
                            let fade_in = ((done + k as u64) as f64 + 0.5) / num_frames as f64;
                            *a = (f64::from(*a) * (1.0 - fade_in) + f64::from(b) * fade_in) as f32;
                        }
                    }
                    let mut slices: Vec<&mut [f32]> =
                        block.iter_mut().map(|c| &mut c[..n]).collect();
                    dither.process_block(&mut slices);
                    write(&block, n)?;
                    done += n as u64;
                }
                num_frames_written += num_frames;
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
        for (format, bits) in [(Format::Cd16_44k1, 16), (Format::Wav24, 24)] {
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
            write_wav(&track, &audio, format.wav_format(), true).unwrap();
            let image = dir.path().join(format!("image{bits}.wav"));
            let file = |from, to| Piece::File {
                path: &track,
                from,
                to,
            };
            let pieces = [
                Piece::Silence(588),
                file(0, 3000),
                Piece::Silence(20_000),
                file(1000, 2500),
            ];
            let n = write_image(&image, rate, format, &pieces).unwrap();
            assert_eq!(n, 588 + 3000 + 20_000 + 1500);
            assert_eq!(wav_frames(&image).unwrap(), n);
            let back = read_audio(&image).unwrap();
            for (c, channel) in back.channels.iter().enumerate() {
                assert!(channel[..588].iter().all(|&s| s == 0.0));
                assert_eq!(&channel[588..3588], &audio.channels[c][..]);
                assert!(channel[3588..23_588].iter().all(|&s| s == 0.0));
                assert_eq!(&channel[23_588..], &audio.channels[c][1000..2500]);
            }
        }
    }

    #[test]
    fn a_crossfade_is_equal_gain_and_dithered_to_the_word_length() {
        let dir = tempfile::tempdir().unwrap();
        let rate = 44_100;
        let step = 2f32.powi(-15);
        let constant = |level: f32, path: &Path| {
            let audio = Audio {
                sample_rate_hz: rate,
                channels: vec![vec![level; 10_000]; 2],
            };
            write_wav(path, &audio, WavFormat::Int16, true).unwrap();
        };
        let (a, b) = (dir.path().join("a.wav"), dir.path().join("b.wav"));
        constant(0.5, &a);
        constant(-0.25, &b);
        let image = dir.path().join("x.wav");
        let pieces = [
            Piece::File {
                path: &a,
                from: 0,
                to: 6000,
            },
            Piece::Crossfade {
                out: &a,
                out_from: 6000,
                into: &b,
                num_frames: 4000,
            },
            Piece::File {
                path: &b,
                from: 4000,
                to: 10_000,
            },
        ];
        assert_eq!(
            write_image(&image, rate, Format::Cd16_44k1, &pieces).unwrap(),
            16_000
        );
        let back = read_audio(&image).unwrap();
        for channel in &back.channels {
            assert!(channel[..6000].iter().all(|&s| s == 0.5));
            assert!(channel[10_000..].iter().all(|&s| s == -0.25));
            for (k, &s) in channel[6000..10_000].iter().enumerate() {
                let t = (k as f32 + 0.5) / 4000.0;
                let ideal = 0.5 * (1.0 - t) - 0.25 * t;
                // TPDF dither: within ±1.5 LSB of the ideal mix, on the 16-bit grid.
                assert!((s - ideal).abs() <= 1.5 * step, "{k}: {s} vs {ideal}");
                assert_eq!((s / step).fract(), 0.0);
                // Equal gain: never beyond the louder of the two.
                assert!(s.abs() <= 0.5);
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
            Format::Cd16_44k1,
            &[Piece::File {
                path: &track,
                from: 0,
                to: 100,
            }],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("48000 Hz, 2 channels"), "{err}");
    }
}
