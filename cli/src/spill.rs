//! Spill files: intermediate signals of a render (the version buses, the masters, converted
//! and limited deliverables) written once as raw interleaved little-endian `f32` and read
//! back block by block, so a pass that needs a signal again never holds the programme in
//! memory. They live in a hidden folder removed when the render ends, fails or is interrupted
//! (see [`crate::interrupt`]); the page cache keeps them cheap to re-read.

use crate::interrupt::{create_guarded, RemoveOnInterrupt};
use anyhow::{Context, Result};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes per sample in a spill file.
const SAMPLE_BYTES: usize = 4;
/// I/O buffer of a spill reader or writer, bytes.
const IO_BUFFER_BYTES: usize = 1 << 18;

/// Spill folders created by this process so far (several renders may run side by side).
static NUM_SPILL_DIRS: AtomicUsize = AtomicUsize::new(0);

/// A folder of spill files; removed with its contents when dropped.
#[derive(Debug)]
pub struct SpillDir {
    /// The folder; set by `new`.
    dir: PathBuf,
    /// Removes `dir` if the process is interrupted; dropped with the folder.
    _registration: RemoveOnInterrupt,
}

impl SpillDir {
    /// Creates a hidden spill folder inside `parent`.
    pub fn new(parent: &Path) -> Result<Self> {
        let index = NUM_SPILL_DIRS.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!(".stemwise-spill-{}-{index}", std::process::id()));
        let (registration, ()) = create_guarded(&dir, || {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("{}: cannot create", dir.display()))
        })?;
        Ok(Self {
            dir,
            _registration: registration,
        })
    }

    /// The path of spill file `name`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Writes planar blocks to a spill file, interleaved.
pub struct SpillWriter {
    /// The file, for error messages; set by `create`.
    path: PathBuf,
    /// The buffered file; set by `create`.
    out: BufWriter<File>,
    /// Channels per frame; set by `create`.
    num_channels: usize,
    /// Interleaving buffer, reused.
    bytes: Vec<u8>,
}

impl SpillWriter {
    /// Creates (or truncates) the spill file at `path` for `num_channels` channels.
    pub fn create(path: &Path, num_channels: usize) -> Result<Self> {
        let file =
            File::create(path).with_context(|| format!("{}: cannot create", path.display()))?;
        Ok(Self {
            path: path.to_owned(),
            out: BufWriter::with_capacity(IO_BUFFER_BYTES, file),
            num_channels,
            bytes: Vec::new(),
        })
    }

    /// Appends the frames of `channels` (one slice per channel, equal lengths).
    pub fn write(&mut self, channels: &[&[f32]]) -> Result<()> {
        let len = channels.first().map_or(0, |c| c.len());
        let channels = &channels[..self.num_channels];
        // Every byte is overwritten: no clearing (a block as long as the last costs no fill).
        self.bytes.resize(len * self.num_channels * SAMPLE_BYTES, 0);
        if let [left, right] = channels {
            // Stereo, every spill of a render: one pass without index checks.
            let frames = self.bytes.chunks_exact_mut(2 * SAMPLE_BYTES);
            for ((l, r), frame) in left.iter().zip(&right[..len]).zip(frames) {
                frame[..4].copy_from_slice(&l.to_le_bytes());
                frame[4..].copy_from_slice(&r.to_le_bytes());
            }
        } else {
            let frames = self
                .bytes
                .chunks_exact_mut(SAMPLE_BYTES * self.num_channels);
            for (frame_index, frame) in frames.enumerate() {
                for (sample, channel) in frame.chunks_exact_mut(SAMPLE_BYTES).zip(channels) {
                    sample.copy_from_slice(&channel[frame_index].to_le_bytes());
                }
            }
        }
        self.out
            .write_all(&self.bytes)
            .with_context(|| format!("{}: write failed", self.path.display()))
    }

    /// Flushes the file; it can then be read.
    pub fn finish(mut self) -> Result<()> {
        self.out
            .flush()
            .with_context(|| format!("{}: write failed", self.path.display()))
    }
}

/// Reads a spill file back in planar blocks.
pub struct SpillReader {
    /// The file, for error messages; set by `open`.
    path: PathBuf,
    /// The buffered file; set by `open`.
    input: BufReader<File>,
    /// Channels per frame; set by `open`.
    num_channels: usize,
    /// De-interleaving buffer, reused.
    bytes: Vec<u8>,
}

impl SpillReader {
    /// Opens the spill file at `path`, written with `num_channels` channels.
    pub fn open(path: &Path, num_channels: usize) -> Result<Self> {
        let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
        Ok(Self {
            path: path.to_owned(),
            input: BufReader::with_capacity(IO_BUFFER_BYTES, file),
            num_channels,
            bytes: Vec::new(),
        })
    }

    /// Replaces the contents of `block` (one vector per channel) with the next `num_frames`
    /// frames. Reading past the end of the file is an error: every reader knows the length.
    pub fn read(&mut self, block: &mut [Vec<f32>], num_frames: usize) -> Result<()> {
        self.bytes
            .resize(num_frames * self.num_channels * SAMPLE_BYTES, 0);
        self.input
            .read_exact(&mut self.bytes)
            .with_context(|| format!("{}: read failed", self.path.display()))?;
        let block = &mut block[..self.num_channels];
        for channel in block.iter_mut() {
            // Every sample is overwritten: no clearing (a block as long as the last costs no
            // fill).
            channel.resize(num_frames, 0.0);
        }
        let sample = |bytes: &[u8]| f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if let [left, right] = block {
            // Stereo, every spill of a render: one pass without index checks.
            let frames = self.bytes.chunks_exact(2 * SAMPLE_BYTES);
            for ((l, r), frame) in left.iter_mut().zip(right.iter_mut()).zip(frames) {
                (*l, *r) = (sample(&frame[..4]), sample(&frame[4..]));
            }
            return Ok(());
        }
        let frames = self.bytes.chunks_exact(SAMPLE_BYTES * self.num_channels);
        for (frame_index, frame) in frames.enumerate() {
            for (bytes, channel) in frame.chunks_exact(SAMPLE_BYTES).zip(block.iter_mut()) {
                channel[frame_index] = sample(bytes);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_trip_and_the_folder_is_removed() {
        let parent = tempfile::tempdir().unwrap();
        let dir = SpillDir::new(parent.path()).unwrap();
        let path = dir.path("bus");
        let left: Vec<f32> = (0..1000).map(|i| i as f32 * 0.25 - 3.0).collect();
        let right: Vec<f32> = left.iter().map(|s| -s * 1e-7).collect();
        let mut writer = SpillWriter::create(&path, 2).unwrap();
        writer.write(&[&left[..600], &right[..600]]).unwrap();
        writer.write(&[&left[600..], &right[600..]]).unwrap();
        writer.finish().unwrap();
        let mut reader = SpillReader::open(&path, 2).unwrap();
        let mut block = vec![Vec::new(); 2];
        reader.read(&mut block, 999).unwrap();
        assert_eq!(
            (&block[0][..], &block[1][..]),
            (&left[..999], &right[..999])
        );
        reader.read(&mut block, 1).unwrap();
        assert_eq!(block, [vec![left[999]], vec![right[999]]]);
        let err = reader.read(&mut block, 1).unwrap_err();
        assert!(format!("{err:#}").contains("read failed"), "{err:#}");
        drop(dir);
        assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);
    }
}
