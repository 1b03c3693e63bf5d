//! 24-bit WAV writing and reading for the demo and its test (`hound`).

use crate::checks::Channels;
use anyhow::{bail, Context, Result};
use std::path::Path;

/// Full scale of a 24-bit sample.
const FULL_SCALE_24: f32 = 8_388_608.0;

/// Writes planar `audio` as an interleaved 24-bit integer WAV; samples are clipped to the
/// 24-bit range.
pub fn write_wav_24(path: &Path, audio: &[Vec<f32>], sample_rate_hz: u32) -> Result<()> {
    let num_frames = audio.first().map_or(0, Vec::len);
    if audio.iter().any(|c| c.len() != num_frames) {
        bail!("channels of unequal length for {}", path.display());
    }
    let spec = hound::WavSpec {
        channels: u16::try_from(audio.len())?,
        sample_rate: sample_rate_hz,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec)
        .with_context(|| format!("creating {}", path.display()))?;
    for frame in 0..num_frames {
        for channel in audio {
            let scaled = (channel[frame] * FULL_SCALE_24).round();
            writer.write_sample(scaled.clamp(-FULL_SCALE_24, FULL_SCALE_24 - 1.0) as i32)?;
        }
    }
    writer.finalize()?;
    Ok(())
}

/// Reads a WAV back as planar f32 (integer formats scaled to ±1) with its header.
pub fn read_wav(path: &Path) -> Result<(hound::WavSpec, Channels)> {
    let mut reader =
        hound::WavReader::open(path).with_context(|| format!("opening {}", path.display()))?;
    let spec = reader.spec();
    let num_channels = usize::from(spec.channels);
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>()?,
        hound::SampleFormat::Int => {
            let scale = (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|s| s as f32 / scale))
                .collect::<Result<_, _>>()?
        }
    };
    let mut planar = vec![Vec::with_capacity(interleaved.len() / num_channels); num_channels];
    for (i, sample) in interleaved.into_iter().enumerate() {
        planar[i % num_channels].push(sample);
    }
    Ok((spec, planar))
}
