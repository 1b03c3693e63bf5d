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
        self.bytes.clear();
        let channels = &channels[..self.layout.num_channels];
        match self.layout.format {
            WavFormat::Int16 => {
                interleave(&mut self.bytes, channels, n, |s| to_int16(s).to_le_bytes())
            }
            WavFormat::Int24 => interleave(&mut self.bytes, channels, n, |s| {
                let [a, b, c, _] = to_int24(s).to_le_bytes();
                [a, b, c]
            }),
            WavFormat::Float32 => interleave(&mut self.bytes, channels, n, |s| s.to_le_bytes()),
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

/// Appends `n` frames of `channels` to `bytes`, interleaved, each sample as `encode` gives it.
fn interleave<const B: usize>(
    bytes: &mut Vec<u8>,
    channels: &[&[f32]],
    n: usize,
    encode: impl Fn(f32) -> [u8; B],
) {
    let start = bytes.len();
    bytes.resize(start + n * channels.len() * B, 0);
    if let [left, right] = channels {
        // Stereo: one pass without index checks.
        let frames = bytes[start..].chunks_exact_mut(2 * B);
        for ((l, r), frame) in left.iter().zip(&right[..n]).zip(frames) {
            frame[..B].copy_from_slice(&encode(*l));
            frame[B..].copy_from_slice(&encode(*r));
        }
        return;
    }
    let frames = bytes[start..].chunks_exact_mut(channels.len() * B);
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
