//! WAV files written block by block as the blocks are produced ([`WavStreamWriter`]), and
//! created atomically ([`AtomicFile`]): under a temporary name in the target directory,
//! renamed into place once complete, removed on an error or an interruption.

use crate::audio_file::{to_int16, to_int24, WavContainer, WavFormat, WavLayout};
use crate::interrupt::{self, RemoveOnInterrupt};
use crate::rf64_writer::{
    needs_rf64, write_rf64_header, write_rf64_padding, write_riff_header, Rf64Spec,
};
use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being created atomically: its contents go to a temporary file in the same
/// directory, renamed over the path by [`AtomicFile::commit`]; removed if dropped before, or
/// if the process is interrupted.
pub struct AtomicFile {
    /// Where the file goes once complete.
    path: PathBuf,
    /// The temporary file.
    temp: PathBuf,
    /// Removes `temp` on an interruption while the file is written.
    _registration: RemoveOnInterrupt,
    /// Renamed into place.
    committed: bool,
}

impl AtomicFile {
    /// Creates the temporary file for `path` and returns it with its guard. Refuses to
    /// replace an existing file unless `overwrite` is true.
    pub fn create(path: &Path, overwrite: bool) -> Result<(Self, File)> {
        if !overwrite && path.exists() {
            bail!(
                "{}: already exists (use --force to overwrite)",
                path.display()
            );
        }
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
        let temp = temp_path(path);
        let (registration, file) = interrupt::create_guarded(&temp, || {
            File::create(&temp).with_context(|| format!("{}: cannot create", temp.display()))
        })?;
        let guard = Self {
            path: path.to_owned(),
            temp,
            _registration: registration,
            committed: false,
        };
        Ok((guard, file))
    }

    /// Moves the finished file into place.
    pub fn commit(mut self) -> Result<()> {
        interrupt::uninterrupted(|| std::fs::rename(&self.temp, &self.path)).with_context(
            || {
                format!(
                    "{}: cannot move finished file into place",
                    self.path.display()
                )
            },
        )?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_os_string());
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".partial-{}", std::process::id()));
    path.with_file_name(temp_name)
}

/// A WAV file of a known layout written block by block, atomically ([`AtomicFile`]). RF64
/// when the audio would not fit a plain RIFF WAV or the container asks for it.
pub struct WavStreamWriter {
    /// The file's guard; committed by `finish`.
    file: AtomicFile,
    /// The buffered temporary file.
    out: BufWriter<File>,
    /// The layout promised.
    layout: WavLayout,
    /// Header written as RF64.
    rf64: bool,
    /// Frames written so far.
    written_frames: usize,
    /// Sample bytes of a block, reused.
    bytes: Vec<u8>,
}

impl WavStreamWriter {
    /// Starts the file at `path` (see [`AtomicFile::create`] for `overwrite`).
    pub fn create(
        path: &Path,
        layout: WavLayout,
        container: WavContainer,
        overwrite: bool,
    ) -> Result<Self> {
        if layout.num_channels == 0 {
            bail!("{}: no channels", path.display());
        }
        let (file, temp) = AtomicFile::create(path, overwrite)?;
        let mut out = BufWriter::new(temp);
        let rf64 = container == WavContainer::Rf64 || needs_rf64(data_bytes(layout));
        let num_frames = layout.num_frames as u64;
        let header = if rf64 {
            write_rf64_header(&mut out, spec(layout), num_frames)
        } else {
            write_riff_header(&mut out, spec(layout), data_bytes(layout))
        };
        header.with_context(|| format!("{}: write failed", path.display()))?;
        Ok(Self {
            file,
            out,
            layout,
            rf64,
            written_frames: 0,
            bytes: Vec::new(),
        })
    }

    /// Appends the frames of `channels` (one slice per channel, equal lengths).
    pub fn write(&mut self, channels: &[&[f32]]) -> Result<()> {
        let n = channels.first().map_or(0, |c| c.len());
        self.written_frames += n;
        let channels = &channels[..self.layout.num_channels];
        let bytes = &mut self.bytes;
        match (channels, self.layout.format) {
            // Stereo, every deliverable: whole frames packed in a word.
            ([left, right], WavFormat::Int16) => {
                interleave_stereo::<4>(bytes, left, right, pack_int16)
            }
            ([left, right], WavFormat::Int24) => {
                interleave_stereo::<6>(bytes, left, right, pack_int24)
            }
            ([left, right], WavFormat::Float32) => {
                interleave_stereo::<8>(bytes, left, right, pack_float32)
            }
            (_, WavFormat::Int16) => interleave(bytes, channels, n, |s| to_int16(s).to_le_bytes()),
            (_, WavFormat::Int24) => interleave(bytes, channels, n, |s| {
                let [a, b, c, _] = to_int24(s).to_le_bytes();
                [a, b, c]
            }),
            (_, WavFormat::Float32) => interleave(bytes, channels, n, |s| s.to_le_bytes()),
        }
        self.out
            .write_all(&self.bytes)
            .with_context(|| format!("{}: write failed", self.file.path.display()))
    }

    /// Checks that the promised frames were written, pads the file and moves it into place.
    pub fn finish(mut self) -> Result<()> {
        let path = self.file.path.display().to_string();
        if self.written_frames != self.layout.num_frames {
            bail!(
                "{path}: {} frames written, {} announced",
                self.written_frames,
                self.layout.num_frames
            );
        }
        let context = || format!("{path}: write failed");
        if self.rf64 {
            write_rf64_padding(
                &mut self.out,
                spec(self.layout),
                self.layout.num_frames as u64,
            )
            .with_context(context)?;
        } else if data_bytes(self.layout) & 1 == 1 {
            self.out.write_all(&[0]).with_context(context)?;
        }
        self.out.flush().with_context(context)?;
        drop(self.out);
        self.file.commit()
    }
}

/// A stereo frame of 16-bit PCM in the low 4 bytes of a little-endian word.
fn pack_int16(left: f32, right: f32) -> u64 {
    u64::from(to_int16(left) as u16) | u64::from(to_int16(right) as u16) << 16
}

/// A stereo frame of 24-bit PCM in the low 6 bytes of a little-endian word.
fn pack_int24(left: f32, right: f32) -> u64 {
    const MASK: u32 = 0xFF_FFFF;
    u64::from(to_int24(left) as u32 & MASK) | u64::from(to_int24(right) as u32 & MASK) << 24
}

/// A stereo frame of 32-bit float as a little-endian word.
fn pack_float32(left: f32, right: f32) -> u64 {
    u64::from(left.to_bits()) | u64::from(right.to_bits()) << 32
}

/// Frames packed per pass of [`interleave_stereo`].
const PACK_FRAMES: usize = 256;

/// Replaces the contents of `bytes` with the frames of `left` and `right[..left.len()]`,
/// interleaved: `pack` gives a frame's `B` bytes as the low bytes of a little-endian word.
/// The words of a run of frames are computed first (a loop that vectorises), then stored 8
/// bytes at a time, each store overlapping the next frame's (slack past the end, cut off
/// again). Every byte is overwritten, so `bytes` is not cleared first: a block as long as the
/// last costs no fill.
fn interleave_stereo<const B: usize>(
    bytes: &mut Vec<u8>,
    left: &[f32],
    right: &[f32],
    pack: impl Fn(f32, f32) -> u64,
) {
    let n = left.len();
    let right = &right[..n];
    bytes.resize(n * B + 8, 0);
    let out = &mut bytes[..];
    let mut words = [0u64; PACK_FRAMES];
    for (run, (l, r)) in left
        .chunks(PACK_FRAMES)
        .zip(right.chunks(PACK_FRAMES))
        .enumerate()
    {
        let words = &mut words[..l.len()];
        for ((w, &l), &r) in words.iter_mut().zip(l).zip(r) {
            *w = pack(l, r);
        }
        let out = &mut out[run * PACK_FRAMES * B..];
        for (i, w) in words.iter().enumerate() {
            out[i * B..i * B + 8].copy_from_slice(&w.to_le_bytes());
        }
    }
    bytes.truncate(n * B);
}

/// Replaces the contents of `bytes` with `n` frames of `channels`, interleaved, each sample as
/// `encode` gives it (any channel count; see [`interleave_stereo`] for two).
fn interleave<const B: usize>(
    bytes: &mut Vec<u8>,
    channels: &[&[f32]],
    n: usize,
    encode: impl Fn(f32) -> [u8; B],
) {
    bytes.resize(n * channels.len() * B, 0);
    let frames = bytes.chunks_exact_mut(channels.len() * B);
    for (frame_index, frame) in frames.enumerate() {
        for (sample, channel) in frame.chunks_exact_mut(B).zip(channels) {
            sample.copy_from_slice(&encode(channel[frame_index]));
        }
    }
}

/// Bytes of the audio data of `layout`.
fn data_bytes(layout: WavLayout) -> u64 {
    layout.num_frames as u64
        * layout.num_channels as u64
        * u64::from(layout.format.bits_per_sample() / 8)
}

/// The header fields of `layout`.
fn spec(layout: WavLayout) -> Rf64Spec {
    Rf64Spec {
        num_channels: layout.num_channels as u16,
        sample_rate_hz: layout.sample_rate_hz,
        bits_per_sample: layout.format.bits_per_sample(),
        is_float: layout.format == WavFormat::Float32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_dsp::signals::Rng;

    #[test]
    fn stereo_packing_equals_the_sample_by_sample_interleaving() {
        let mut rng = Rng::new(9);
        let mut sample = |n: usize| match n % 11 {
            0 => [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 3e9, -1.0][n / 11 % 6],
            // Exactly on the rounding boundaries of both integer formats.
            1 => ((rng.next_u64() % 4096) as f32 - 2048.0 + 0.5) / 32_768.0,
            2 => ((rng.next_u64() % 4096) as f32 - 2048.0 + 0.5) / 8_388_608.0,
            _ => rng.next_bipolar() * 1.1,
        };
        for n in [0, 1, 7, PACK_FRAMES - 1, PACK_FRAMES, PACK_FRAMES + 1, 1000] {
            let left: Vec<f32> = (0..n).map(&mut sample).collect();
            let right: Vec<f32> = (0..n).map(&mut sample).collect();
            let channels = [&left[..], &right[..]];
            // Leftovers of a longer block, overwritten.
            let mut expected = vec![1; 9000];
            let mut packed = vec![2; 9000];
            interleave(&mut expected, &channels, n, |s| to_int16(s).to_le_bytes());
            interleave_stereo::<4>(&mut packed, &left, &right, pack_int16);
            assert_eq!(packed, expected, "16 bits, {n} frames");
            let (mut expected, mut packed) = (vec![3], vec![4; 20]);
            interleave(&mut expected, &channels, n, |s| {
                let [a, b, c, _] = to_int24(s).to_le_bytes();
                [a, b, c]
            });
            interleave_stereo::<6>(&mut packed, &left, &right, pack_int24);
            assert_eq!(packed, expected, "24 bits, {n} frames");
            let mut expected = Vec::new();
            let mut packed = Vec::new();
            interleave(&mut expected, &channels, n, |s| s.to_le_bytes());
            interleave_stereo::<8>(&mut packed, &left, &right, pack_float32);
            assert_eq!(packed, expected, "float, {n} frames");
        }
    }
}
