//! Audio files decoded once, block by block, into raw little-endian `f32` spill files (one
//! per channel, so a stretch of a channel is one contiguous read) and read back a stretch at
//! a time: the null test's inputs as [`Track`]s, so a mix and 8 stems of any length take
//! bounded memory.

use crate::audio_file::READ_BLOCK_FRAMES;
use crate::audio_reader::AudioReader;
use crate::spill::SpillDir;
use anyhow::{Context, Result};
use shared_dsp::null_test::Track;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Mutex;

/// Bytes per sample in a spill file.
const SAMPLE_BYTES: usize = 4;
/// I/O buffer of a spill writer, bytes.
const WRITE_BUFFER_BYTES: usize = 1 << 18;

/// One decoded audio file on disk.
#[derive(Debug)]
pub struct SpilledTrack {
    /// The decoded file, for error messages; set by `decode`.
    path: PathBuf,
    /// Frames decoded; set by `decode`.
    num_frames: usize,
    /// Every sample is zero; set by `decode`.
    silent: bool,
    /// Each channel's spill file, opened for reading; set by `decode`.
    channels: Vec<Mutex<File>>,
    /// The first read error (the analysis reads through [`Track::read`], which cannot fail:
    /// a failed read gives zeros, and the caller checks [`Self::take_error`] afterwards).
    error: Mutex<Option<String>>,
}

impl SpilledTrack {
    /// Decodes `reader` to the end of its file into spill files `{name}-{channel}` in
    /// `spills`, calling `on_frames(n)` after every block of `n` frames. Errors name the file
    /// (corrupt data, non-finite samples) or the spill file (disk full).
    pub fn decode(
        mut reader: AudioReader,
        spills: &SpillDir,
        name: &str,
        mut on_frames: impl FnMut(usize),
    ) -> Result<Self> {
        let num_channels = reader.num_channels();
        let paths: Vec<PathBuf> = (0..num_channels)
            .map(|ch| spills.path(&format!("{name}-{ch}")))
            .collect();
        let mut writers = paths
            .iter()
            .map(|path| {
                File::create(path)
                    .map(|f| BufWriter::with_capacity(WRITE_BUFFER_BYTES, f))
                    .with_context(|| format!("{}: cannot create", path.display()))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut block = vec![Vec::with_capacity(READ_BLOCK_FRAMES); num_channels];
        let mut bytes = Vec::with_capacity(READ_BLOCK_FRAMES * SAMPLE_BYTES);
        let (mut num_frames, mut silent) = (0, true);
        loop {
            let n = reader.read_block(&mut block, READ_BLOCK_FRAMES)?;
            if n == 0 {
                break;
            }
            for ((writer, samples), path) in writers.iter_mut().zip(&block).zip(&paths) {
                silent &= samples.iter().all(|&s| s == 0.0);
                bytes.clear();
                bytes.extend(samples.iter().flat_map(|s| s.to_le_bytes()));
                writer
                    .write_all(&bytes)
                    .with_context(|| format!("{}: cannot write", path.display()))?;
            }
            num_frames += n;
            on_frames(n);
        }
        let channels = writers
            .into_iter()
            .zip(&paths)
            .map(|(writer, path)| {
                writer
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .and_then(|_| File::open(path))
                    .map(Mutex::new)
                    .with_context(|| format!("{}: cannot write", path.display()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            path: reader.path().to_owned(),
            num_frames,
            silent,
            channels,
            error: Mutex::new(None),
        })
    }

    /// The first error a read met since the last call, if any.
    pub fn take_error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Reads `count` samples of channel `ch` from sample `from` into `out` as `f64`.
    fn read_samples(&self, ch: usize, from: usize, out: &mut [f64]) -> std::io::Result<()> {
        let mut bytes = vec![0u8; out.len() * SAMPLE_BYTES];
        {
            let mut file = self.channels[ch].lock().unwrap_or_else(|e| e.into_inner());
            file.seek(SeekFrom::Start((from * SAMPLE_BYTES) as u64))?;
            file.read_exact(&mut bytes)?;
        }
        for (v, b) in out.iter_mut().zip(bytes.chunks_exact(SAMPLE_BYTES)) {
            *v = f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        }
        Ok(())
    }
}

impl Track for SpilledTrack {
    fn num_channels(&self) -> usize {
        self.channels.len()
    }

    fn num_samples(&self) -> usize {
        self.num_frames
    }

    fn read(&self, ch: usize, start: isize, out: &mut [f64]) {
        out.fill(0.0);
        if ch >= self.channels.len() {
            return;
        }
        let first = if start < 0 {
            start.unsigned_abs().min(out.len())
        } else {
            0
        };
        let from = start.max(0) as usize;
        if first >= out.len() || from >= self.num_frames {
            return;
        }
        let count = (out.len() - first).min(self.num_frames - from);
        if let Err(error) = self.read_samples(ch, from, &mut out[first..first + count]) {
            out.fill(0.0);
            let mut slot = self.error.lock().unwrap_or_else(|e| e.into_inner());
            slot.get_or_insert_with(|| {
                format!(
                    "{}: cannot read back its decoded samples ({error})",
                    self.path.display()
                )
            });
        }
    }

    fn is_silent(&self) -> bool {
        self.silent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio_file::{write_wav, Audio, WavFormat};
    use shared_dsp::null_test::SliceTrack;

    #[test]
    fn reads_what_a_slice_track_of_the_same_audio_reads() {
        let dir = tempfile::tempdir().unwrap();
        let left: Vec<f32> = (0..200_000)
            .map(|n| ((n % 977) as f32 / 977.0) - 0.5)
            .collect();
        let right: Vec<f32> = left.iter().map(|s| -0.25 * s).collect();
        let path = dir.path().join("in.wav");
        let audio = Audio {
            sample_rate_hz: 48_000,
            channels: vec![left.clone(), right.clone()],
        };
        write_wav(&path, &audio, WavFormat::Float32, false).unwrap();
        let spills = SpillDir::new(dir.path()).unwrap();
        let mut frames = 0;
        let track = SpilledTrack::decode(AudioReader::open(&path).unwrap(), &spills, "in", |n| {
            frames += n
        })
        .unwrap();
        assert_eq!(frames, 200_000);
        assert!(!track.is_silent());
        let channels: [&[f32]; 2] = [&left, &right];
        let memory = SliceTrack(&channels);
        assert_eq!(track.num_samples(), memory.num_samples());
        for (ch, start, len) in [
            (0, -5, 10),
            (1, 0, 70_000),
            (0, 199_990, 20),
            (1, 250_000, 8),
            (0, -300_000, 600_000),
            (2, 0, 4),
        ] {
            let (mut a, mut b) = (vec![7.0; len], vec![7.0; len]);
            track.read(ch, start, &mut a);
            memory.read(ch, start, &mut b);
            assert_eq!(a, b, "channel {ch} from {start}");
        }
        assert_eq!(track.take_error(), None);
        drop(track);
        drop(spills);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "spills removed"
        );
    }
}
