//! Reading RF64 and BW64 WAV files (over 4 GB), which symphonia's WAV demuxer does not know.
//!
//! RF64 (EBU Tech 3306, <https://tech.ebu.ch/docs/tech/tech3306v1_1.pdf>) and BW64 (ITU-R
//! BS.2088, <https://www.itu.int/rec/R-REC-BS.2088>) are RIFF/WAVE with the `RIFF` marker
//! replaced by `RF64`/`BW64`, the 32-bit sizes of the file and of the `data` chunk set to
//! `0xFFFF_FFFF`, and the real 64-bit sizes in a `ds64` chunk right after `WAVE`.
//!
//! [`Rf64Source`] presents such a file to symphonia as the RIFF stream ffmpeg writes to a pipe:
//! marker `RIFF`, file and `data` sizes "unknown" (`0xFFFF_FFFF`, which symphonia reads as "to
//! the end of the stream"). The `ds64` chunk is skipped by symphonia as an unknown chunk.
//! Symphonia reads such a stream in packets of [`SYMPHONIA_PACKET_FRAMES`] frames and fails
//! on a last, partial one, so the presented stream replaces everything after the audio (chunks
//! that must never be decoded as samples) by one packet of silence, and the reader stops at
//! [`Rf64Layout::num_frames`] (see [`crate::audio_reader::AudioReader`]). Everything else is
//! read unchanged, in blocks.

use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use symphonia::core::io::MediaSource;

/// The 32-bit size meaning "see the `ds64` chunk" (and, to symphonia, "unknown").
const SIZE_IN_DS64: u32 = u32::MAX;

/// Frames per packet of symphonia's PCM WAV demuxer (`MAX_FRAMES_PER_PACKET` in
/// symphonia-format-riff 0.6): the silence presented after the audio is this long.
const SYMPHONIA_PACKET_FRAMES: u64 = 1152;

/// Where the audio of an RF64/BW64 file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rf64Layout {
    /// Byte offset of the `data` chunk's 32-bit size field.
    pub data_size_field_offset: u64,
    /// Byte offset of the first audio byte.
    pub data_offset: u64,
    /// Bytes of audio (the `ds64` data size when the 32-bit field defers to it).
    pub data_size_bytes: u64,
    /// Bytes per frame (the `fmt ` chunk's block align).
    pub block_align_bytes: u64,
}

impl Rf64Layout {
    /// Frames of audio in the file.
    pub fn num_frames(&self) -> u64 {
        self.data_size_bytes / self.block_align_bytes
    }
}

fn read_array<const N: usize>(reader: &mut impl Read) -> io::Result<[u8; N]> {
    let mut bytes = [0; N];
    reader.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn read_u32(reader: &mut impl Read) -> io::Result<u32> {
    read_array(reader).map(u32::from_le_bytes)
}

fn read_u64(reader: &mut impl Read) -> io::Result<u64> {
    read_array(reader).map(u64::from_le_bytes)
}

/// The first 16 bytes of a Sony Wave64 file: the GUID of its `riff` chunk.
const WAVE64_MAGIC: [u8; 16] = [
    0x72, 0x69, 0x66, 0x66, 0x2E, 0x91, 0xCF, 0x11, 0xA5, 0xD6, 0x28, 0xDB, 0x04, 0xC1, 0x00, 0x00,
];

/// The layout of `reader` if it is an RF64/BW64 WAVE file, `None` if it is anything else
/// (plain RIFF WAVE, AIFF, FLAC…); an error for a Wave64 file, which is not supported. Leaves
/// the position anywhere.
pub fn parse_layout(reader: &mut (impl Read + Seek)) -> Result<Option<Rf64Layout>> {
    reader.seek(SeekFrom::Start(0))?;
    let Ok(header) = read_array::<16>(reader) else {
        return Ok(None);
    };
    if header == WAVE64_MAGIC {
        bail!("Sony Wave64 (.w64) is not supported: convert it to RF64/BW64 WAV or FLAC");
    }
    reader.seek(SeekFrom::Start(12))?;
    if !matches!(&header[..4], b"RF64" | b"BW64") || &header[8..12] != b"WAVE" {
        return Ok(None);
    }
    let truncated = || "RF64: header ends early";
    let id = read_array::<4>(reader).with_context(truncated)?;
    let ds64_size = read_u32(reader).with_context(truncated)?;
    if &id != b"ds64" || ds64_size < 24 {
        bail!("RF64: the first chunk is not a ds64 chunk");
    }
    let _riff_size = read_u64(reader).with_context(truncated)?;
    let ds64_data_size = read_u64(reader).with_context(truncated)?;
    // Skip the sample count and the chunk-size table (sizes of chunks other than `data`).
    let mut pos = 20 + u64::from(ds64_size) + u64::from(ds64_size & 1);
    let mut block_align_bytes = None;
    loop {
        reader.seek(SeekFrom::Start(pos))?;
        let id = read_array::<4>(reader).context("RF64: no data chunk")?;
        let size = read_u32(reader).context("RF64: no data chunk")?;
        if &id == b"fmt " && size >= 16 {
            let fmt = read_array::<16>(reader).context("RF64: fmt chunk ends early")?;
            block_align_bytes = Some(u64::from(u16::from_le_bytes([fmt[12], fmt[13]])));
        }
        if &id == b"data" {
            let Some(block_align_bytes) = block_align_bytes.filter(|&b| b > 0) else {
                bail!("RF64: no valid fmt chunk before the audio");
            };
            return Ok(Some(Rf64Layout {
                block_align_bytes,
                data_size_field_offset: pos + 4,
                data_offset: pos + 8,
                data_size_bytes: if size == SIZE_IN_DS64 {
                    ds64_data_size
                } else {
                    u64::from(size)
                },
            }));
        }
        if size == SIZE_IN_DS64 {
            let id = String::from_utf8_lossy(&id);
            bail!("RF64: chunk {id:?} before the audio is over 4 GB (not supported)");
        }
        pos += 8 + u64::from(size) + u64::from(size & 1);
    }
}

/// An RF64/BW64 file seen as a RIFF WAVE stream of unknown length: the file up to the end of
/// its audio, then one symphonia packet of silence.
pub struct Rf64Source {
    /// The file; its position is kept equal to `pos_bytes`.
    file: File,
    /// Where the audio is; set by `new`.
    layout: Rf64Layout,
    /// Current position in the presented stream, bytes.
    pos_bytes: u64,
}

impl Rf64Source {
    /// Presents `file`, whose layout is `layout`, from its start.
    pub fn new(mut file: File, layout: Rf64Layout) -> io::Result<Self> {
        file.seek(SeekFrom::Start(0))?;
        Ok(Self {
            file,
            layout,
            pos_bytes: 0,
        })
    }

    /// Where the audio ends, bytes.
    fn data_end_bytes(&self) -> u64 {
        self.layout.data_offset + self.layout.data_size_bytes
    }

    /// Length of the presented stream: the audio, then a packet of silence, bytes.
    fn len_bytes(&self) -> u64 {
        self.data_end_bytes() + SYMPHONIA_PACKET_FRAMES * self.layout.block_align_bytes
    }

    /// Bytes of the presented stream that differ from the file: the marker and the two sizes.
    fn patches(&self) -> [(u64, [u8; 4]); 3] {
        let unknown = SIZE_IN_DS64.to_le_bytes();
        [
            (0, *b"RIFF"),
            (4, unknown),
            (self.layout.data_size_field_offset, unknown),
        ]
    }
}

impl Read for Rf64Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let remaining = self.len_bytes().saturating_sub(self.pos_bytes);
        let want = buf
            .len()
            .min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let n = self.file.read(&mut buf[..want])?;
        let start = self.pos_bytes;
        for (offset, bytes) in self.patches() {
            for (i, &byte) in bytes.iter().enumerate() {
                let at = offset + i as u64;
                if (start..start + n as u64).contains(&at) {
                    buf[(at - start) as usize] = byte;
                }
            }
        }
        self.pos_bytes += n as u64;
        Ok(n)
    }
}

impl Seek for Rf64Source {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(pos) => Some(pos),
            SeekFrom::End(delta) => self.len_bytes().checked_add_signed(delta),
            SeekFrom::Current(delta) => self.pos_bytes.checked_add_signed(delta),
        };
        let target = target.ok_or_else(|| io::Error::other("RF64: seek out of range"))?;
        self.pos_bytes = self.file.seek(SeekFrom::Start(target))?;
        Ok(self.pos_bytes)
    }
}

impl MediaSource for Rf64Source {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len_bytes())
    }
}
