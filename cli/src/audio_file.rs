//! Reading and writing audio files for the offline tool.
//!
//! Reading decodes WAV, AIFF and FLAC (any PCM or float format symphonia supports) to planar
//! `f32` through [`AudioReader`]. Writing produces WAV through `hound` (RF64 through
//! [`crate::rf64_writer`] when the audio is over 4 GB), always via a temporary file in the
//! target directory that is renamed into place, so an output is never left half-written and an
//! existing file is never overwritten unless the caller asks for it.

use crate::audio_reader::AudioReader;
use crate::wav_stream::{AtomicFile, WavStreamWriter};
use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::Write;
use std::path::Path;

/// Decoded audio: one `Vec` per channel, all the same length.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// Sample rate in Hz.
    pub sample_rate_hz: u32,
    /// Planar samples, one vector per channel.
    pub channels: Vec<Vec<f32>>,
}

impl Audio {
    /// Number of sample frames.
    pub fn num_frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// Duration in seconds.
    pub fn duration_s(&self) -> f64 {
        self.num_frames() as f64 / self.sample_rate_hz as f64
    }

    /// The channels as slices, for analysis code.
    pub fn slices(&self) -> Vec<&[f32]> {
        self.channels.iter().map(Vec::as_slice).collect()
    }
}

/// Sample format of a written WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WavFormat {
    /// 16-bit integer PCM, the CD's word length (samples must already be quantized/dithered
    /// by the caller).
    Int16,
    /// 24-bit integer PCM (samples must already be quantized/dithered by the caller).
    Int24,
    /// 32-bit IEEE float.
    Float32,
}

impl WavFormat {
    /// Bits per sample in the file.
    pub fn bits_per_sample(self) -> u16 {
        match self {
            WavFormat::Int16 => 16,
            WavFormat::Int24 => 24,
            WavFormat::Float32 => 32,
        }
    }
}

/// Container of a written WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WavContainer {
    /// Plain RIFF WAV while the audio fits its 32-bit sizes, RF64 beyond.
    Auto,
    /// RF64 (EBU Tech 3306) whatever the size.
    Rf64,
}

/// Frames per read when collecting a whole file.
pub(crate) const READ_BLOCK_FRAMES: usize = 1 << 16;

/// Decodes a whole audio file into memory (see [`AudioReader`] to stream it instead). Errors
/// name the file and the problem: missing, not audio, no audio track, corrupt data, or
/// non-finite samples.
pub fn read_audio(path: &Path) -> Result<Audio> {
    let mut reader = AudioReader::open(path)?;
    let mut channels = vec![Vec::new(); reader.num_channels()];
    let mut block = vec![Vec::with_capacity(READ_BLOCK_FRAMES); reader.num_channels()];
    while reader.read_block(&mut block, READ_BLOCK_FRAMES)? > 0 {
        for (dst, src) in channels.iter_mut().zip(&block) {
            dst.extend_from_slice(src);
        }
    }
    Ok(Audio {
        sample_rate_hz: reader.sample_rate_hz(),
        channels,
    })
}

/// Writes `audio` as a WAV file at `path`, atomically: the data goes to a temporary file in
/// the same directory, which is renamed over `path` only once complete (and is removed on an
/// error or an interruption, see [`crate::interrupt`]). Refuses to replace an existing file
/// unless `overwrite` is true.
///
/// Files whose audio would not fit a plain RIFF WAV (4 GB) are written as RF64.
pub fn write_wav(path: &Path, audio: &Audio, format: WavFormat, overwrite: bool) -> Result<()> {
    write_wav_in(path, audio, format, WavContainer::Auto, overwrite)
}

/// [`write_wav`] with the container chosen by the caller.
pub fn write_wav_in(
    path: &Path,
    audio: &Audio,
    format: WavFormat,
    container: WavContainer,
    overwrite: bool,
) -> Result<()> {
    if audio.channels.is_empty() || audio.channels.iter().any(|c| c.len() != audio.num_frames()) {
        bail!(
            "{}: channels must be non-empty and equally long",
            path.display()
        );
    }
    let layout = WavLayout {
        sample_rate_hz: audio.sample_rate_hz,
        num_channels: audio.channels.len(),
        num_frames: audio.num_frames(),
        format,
    };
    let mut pos = 0;
    write_wav_streamed(path, layout, container, overwrite, &mut |block| {
        let n = READ_BLOCK_FRAMES.min(audio.num_frames() - pos);
        for (b, c) in block.iter_mut().zip(&audio.channels) {
            b.clear();
            b.extend_from_slice(&c[pos..pos + n]);
        }
        pos += n;
        Ok(n)
    })
}

/// The shape of a WAV file written block by block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavLayout {
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Channels.
    pub num_channels: usize,
    /// Frames the file will hold.
    pub num_frames: usize,
    /// Sample format.
    pub format: WavFormat,
}

/// Writes a WAV file of `layout` block by block, atomically as [`write_wav`]:
/// `next_block(block)` replaces `block` (one vector per channel) with the next frames and
/// returns how many (0 at the end); they must add up to `layout.num_frames`. RF64 when the
/// audio would not fit a plain RIFF WAV or `container` asks for it.
pub fn write_wav_streamed(
    path: &Path,
    layout: WavLayout,
    container: WavContainer,
    overwrite: bool,
    next_block: &mut dyn FnMut(&mut [Vec<f32>]) -> Result<usize>,
) -> Result<()> {
    let mut writer = WavStreamWriter::create(path, layout, container, overwrite)?;
    let mut block = vec![Vec::new(); layout.num_channels];
    loop {
        let n = next_block(&mut block)?;
        if n == 0 {
            break;
        }
        let slices: Vec<&[f32]> = block.iter().map(|c| &c[..n]).collect();
        writer.write(&slices)?;
    }
    writer.finish()
}

/// Writes `bytes` to `path` atomically (temporary file in the same directory, then rename),
/// refusing to replace an existing file unless `overwrite` is true.
pub fn write_file(path: &Path, bytes: &[u8], overwrite: bool) -> Result<()> {
    write_atomically(path, overwrite, |mut file| {
        file.write_all(bytes)
            .with_context(|| format!("{}: write failed", path.display()))
    })
}

/// Creates `path` atomically ([`AtomicFile`]): `write` fills a temporary file in the same
/// directory, renamed over `path` once `write` succeeded, removed if it failed or the process
/// is interrupted. Refuses to replace an existing file unless `overwrite` is true.
fn write_atomically(
    path: &Path,
    overwrite: bool,
    write: impl FnOnce(File) -> Result<()>,
) -> Result<()> {
    let (guard, file) = AtomicFile::create(path, overwrite)?;
    write(file)?;
    guard.commit()
}

/// `x.round()` (halves away from zero) without the libm call `f32::round` compiles to on
/// baseline x86-64: the truncating conversion of `|x|` is exact below 2^31 and the fraction
/// `|x| − t` is exact; beyond, the conversion saturates, which the callers' clamps absorb.
/// The result takes the sign of `x`, as `round`'s does; a NaN gives a zero, which the
/// callers' conversions make of a NaN too.
#[inline]
fn round_half_away(x: f32) -> f32 {
    let magnitude = x.abs();
    let t = magnitude as i32 as f32;
    let up = f32::from(u8::from(magnitude - t >= 0.5));
    (t + up).copysign(x)
}

/// Full scale of 16-bit PCM.
const INT16_SCALE: f32 = 32_768.0;

/// Converts a sample to 16-bit PCM with rounding and clipping to the integer range.
pub fn to_int16(sample: f32) -> i16 {
    round_half_away(sample * INT16_SCALE).clamp(-INT16_SCALE, INT16_SCALE - 1.0) as i16
}

/// Full scale of 24-bit PCM.
const INT24_SCALE: f32 = 8_388_608.0;

/// Converts a sample to 24-bit PCM with rounding and clipping to the integer range.
pub fn to_int24(sample: f32) -> i32 {
    round_half_away(sample * INT24_SCALE).clamp(-INT24_SCALE, INT24_SCALE - 1.0) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_dsp::signals;

    #[test]
    fn fast_rounding_equals_f32_round() {
        let mut rng = signals::Rng::new(5);
        let specials = [
            0.5,
            -0.5,
            1.5,
            -2.5,
            0.499_999_97,
            -0.499_999_97,
            0.0,
            -0.0,
            8_388_607.5,
        ];
        let scaled = (0..100_000)
            .map(|i| rng.next_bipolar() * 2f32.powi(i % 26) + if i % 2 == 0 { 0.5 } else { 0.0 });
        for x in specials.into_iter().chain(scaled) {
            assert_eq!(round_half_away(x).to_bits(), x.round().to_bits(), "{x}");
        }
        for x in [f32::NAN, 3e9, -3e9, f32::INFINITY, f32::NEG_INFINITY] {
            assert_eq!(
                to_int24(x),
                (x * INT24_SCALE)
                    .round()
                    .clamp(-INT24_SCALE, INT24_SCALE - 1.0) as i32
            );
            assert_eq!(
                to_int16(x),
                (x * INT16_SCALE)
                    .round()
                    .clamp(-INT16_SCALE, INT16_SCALE - 1.0) as i16
            );
        }
    }

    fn stereo_test_audio() -> Audio {
        Audio {
            sample_rate_hz: 48_000,
            channels: vec![
                signals::sine(997.0, 0.5, 48_000.0, 4800, 0.0),
                signals::white_noise(3, 0.25, 4800),
            ],
        }
    }

    #[test]
    fn float_wav_round_trips_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("float.wav");
        let audio = stereo_test_audio();
        write_wav(&path, &audio, WavFormat::Float32, false).unwrap();
        assert_eq!(read_audio(&path).unwrap(), audio);
    }

    #[test]
    fn int24_wav_round_trips_within_half_an_lsb() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("int24.wav");
        let audio = stereo_test_audio();
        write_wav(&path, &audio, WavFormat::Int24, false).unwrap();
        let back = read_audio(&path).unwrap();
        assert_eq!(back.sample_rate_hz, 48_000);
        assert_eq!(back.num_frames(), audio.num_frames());
        let max_err = audio
            .channels
            .iter()
            .flatten()
            .zip(back.channels.iter().flatten())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(max_err <= 0.5 / INT24_SCALE + 1e-9, "{max_err}");
    }

    #[test]
    fn refuses_to_overwrite_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.wav");
        std::fs::write(&path, b"precious").unwrap();
        let err = write_wav(&path, &stereo_test_audio(), WavFormat::Int24, false).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"precious");
        write_wav(&path, &stereo_test_audio(), WavFormat::Int24, true).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "temporary file left behind");
    }

    #[test]
    fn bad_inputs_get_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.wav");
        let err = read_audio(&missing).unwrap_err().to_string();
        assert!(
            err.contains("missing.wav") && err.contains("cannot open"),
            "{err}"
        );

        let text = dir.path().join("notes.wav");
        std::fs::write(&text, "these are not samples").unwrap();
        let err = read_audio(&text).unwrap_err().to_string();
        assert!(
            err.contains("notes.wav") && err.contains("not a supported audio file"),
            "{err}"
        );

        let nan = dir.path().join("nan.wav");
        let mut audio = stereo_test_audio();
        audio.channels[1][100] = f32::NAN;
        write_wav(&nan, &audio, WavFormat::Float32, false).unwrap();
        let err = read_audio(&nan).unwrap_err().to_string();
        assert!(err.contains("channel 2, first at frame 100"), "{err}");
    }

    #[test]
    fn int16_conversion_clips_and_rounds() {
        assert_eq!(to_int16(1.0), 32_767);
        assert_eq!(to_int16(-1.0), -32_768);
        assert_eq!(to_int16(2.0), 32_767);
        assert_eq!(to_int16(0.5 / INT16_SCALE), 1);
        assert_eq!(to_int16(-3.0 / INT16_SCALE), -3);
    }

    #[test]
    fn plain_wav_is_byte_for_byte_what_hound_writes() {
        let dir = tempfile::tempdir().unwrap();
        let audio = stereo_test_audio();
        for (format, bits, sample_format) in [
            (WavFormat::Int16, 16, hound::SampleFormat::Int),
            (WavFormat::Int24, 24, hound::SampleFormat::Int),
            (WavFormat::Float32, 32, hound::SampleFormat::Float),
        ] {
            let ours = dir.path().join(format!("ours{bits}.wav"));
            write_wav(&ours, &audio, format, false).unwrap();
            let theirs = dir.path().join(format!("hound{bits}.wav"));
            let spec = hound::WavSpec {
                channels: 2,
                sample_rate: audio.sample_rate_hz,
                bits_per_sample: bits,
                sample_format,
            };
            let mut writer = hound::WavWriter::create(&theirs, spec).unwrap();
            for frame in 0..audio.num_frames() {
                for channel in &audio.channels {
                    match format {
                        WavFormat::Int16 => writer.write_sample(to_int16(channel[frame])),
                        WavFormat::Int24 => writer.write_sample(to_int24(channel[frame])),
                        WavFormat::Float32 => writer.write_sample(channel[frame]),
                    }
                    .unwrap();
                }
            }
            writer.finalize().unwrap();
            assert_eq!(
                std::fs::read(&ours).unwrap(),
                std::fs::read(&theirs).unwrap()
            );
        }
    }

    #[test]
    fn int24_conversion_clips_and_rounds() {
        assert_eq!(to_int24(1.0), 8_388_607);
        assert_eq!(to_int24(-1.0), -8_388_608);
        assert_eq!(to_int24(2.0), 8_388_607);
        assert_eq!(to_int24(0.5 / INT24_SCALE), 1);
    }
}
