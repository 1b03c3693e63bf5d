//! Writing RF64 WAV files (EBU Tech 3306, <https://tech.ebu.ch/docs/tech/tech3306v1_1.pdf>)
//! for deliverables whose audio does not fit the 32-bit sizes of a plain RIFF WAV.
//!
//! The layout: `RF64`, size `0xFFFF_FFFF`, `WAVE`; a `ds64` chunk with the 64-bit file size,
//! data size and frame count (no table: no other chunk is over 4 GB); the same
//! WAVEFORMATEXTENSIBLE `fmt ` chunk `hound` writes; `data` with size `0xFFFF_FFFF`; the
//! interleaved little-endian samples and, for an odd data size, the RIFF pad byte.

use std::io::{self, Write};

/// Bytes before the audio: `RF64` header (12), `ds64` (8 + 28), `fmt ` (8 + 40), `data` header
/// (8).
pub const RF64_HEADER_BYTES: u64 = 12 + 36 + 48 + 8;

/// Bytes before the audio in the plain RIFF WAV `hound` writes with its larger `fmt ` form
/// (WAVEFORMATEXTENSIBLE; the smaller PCMWAVEFORMAT only makes [`needs_rf64`] cautious by
/// 24 bytes).
const RIFF_HEADER_BYTES: u64 = 12 + 48 + 8;

/// Whether `data_bytes` of audio need RF64: the RIFF size field (file size minus 8) would not
/// fit in 32 bits.
pub fn needs_rf64(data_bytes: u64) -> bool {
    RIFF_HEADER_BYTES - 8 + data_bytes + (data_bytes & 1) > u64::from(u32::MAX)
}

/// The sample format of an RF64 file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rf64Spec {
    /// Number of channels.
    pub num_channels: u16,
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Bits per sample: 16 or 24 for integer PCM, 32 for IEEE float.
    pub bits_per_sample: u16,
    /// Samples are IEEE float (else integer PCM).
    pub is_float: bool,
}

/// KSDATAFORMAT_SUBTYPE_PCM and KSDATAFORMAT_SUBTYPE_IEEE_FLOAT (mmreg.h): the format tag in
/// the first two bytes, then the fixed GUID tail.
fn subformat_guid(is_float: bool) -> [u8; 16] {
    let tag = if is_float { 3 } else { 1 };
    [
        tag, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B,
        0x71,
    ]
}

/// Writes the header of an RF64 file holding `num_frames` frames of `spec`; the caller then
/// writes the interleaved samples and [`write_rf64_padding`].
pub fn write_rf64_header(out: &mut impl Write, spec: Rf64Spec, num_frames: u64) -> io::Result<()> {
    let block_align = u64::from(spec.bits_per_sample / 8) * u64::from(spec.num_channels);
    let data_bytes = num_frames * block_align;
    let riff_bytes = RF64_HEADER_BYTES - 8 + data_bytes + (data_bytes & 1);
    let mut header = Vec::with_capacity(RF64_HEADER_BYTES as usize);
    header.extend_from_slice(b"RF64");
    header.extend_from_slice(&u32::MAX.to_le_bytes());
    header.extend_from_slice(b"WAVE");
    header.extend_from_slice(b"ds64");
    header.extend_from_slice(&28u32.to_le_bytes());
    header.extend_from_slice(&riff_bytes.to_le_bytes());
    header.extend_from_slice(&data_bytes.to_le_bytes());
    header.extend_from_slice(&num_frames.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    header.extend_from_slice(&fmt_chunk(spec));
    header.extend_from_slice(b"data");
    header.extend_from_slice(&u32::MAX.to_le_bytes());
    debug_assert_eq!(header.len() as u64, RF64_HEADER_BYTES);
    out.write_all(&header)
}

/// The `fmt ` chunk (WAVEFORMATEXTENSIBLE, as `hound` writes it for 24- and 32-bit samples).
fn fmt_chunk(spec: Rf64Spec) -> Vec<u8> {
    let block_align = u64::from(spec.bits_per_sample / 8) * u64::from(spec.num_channels);
    let mut chunk = Vec::with_capacity(48);
    chunk.extend_from_slice(b"fmt ");
    chunk.extend_from_slice(&40u32.to_le_bytes());
    chunk.extend_from_slice(&0xFFFEu16.to_le_bytes());
    chunk.extend_from_slice(&spec.num_channels.to_le_bytes());
    chunk.extend_from_slice(&spec.sample_rate_hz.to_le_bytes());
    let bytes_per_second = u64::from(spec.sample_rate_hz) * block_align;
    chunk.extend_from_slice(&(bytes_per_second as u32).to_le_bytes());
    chunk.extend_from_slice(&(block_align as u16).to_le_bytes());
    chunk.extend_from_slice(&spec.bits_per_sample.to_le_bytes());
    chunk.extend_from_slice(&22u16.to_le_bytes());
    chunk.extend_from_slice(&spec.bits_per_sample.to_le_bytes());
    let channel_mask = (1u32 << spec.num_channels.min(18)) - 1;
    chunk.extend_from_slice(&channel_mask.to_le_bytes());
    chunk.extend_from_slice(&subformat_guid(spec.is_float));
    chunk
}

/// The 16-byte PCMWAVEFORMAT `fmt ` chunk, the form `hound` (and CD tools) use for integer
/// PCM of at most two channels and 16 bits.
fn pcm_fmt_chunk(spec: Rf64Spec) -> Vec<u8> {
    let block_align = (spec.bits_per_sample / 8) * spec.num_channels;
    let mut chunk = Vec::with_capacity(24);
    chunk.extend_from_slice(b"fmt ");
    chunk.extend_from_slice(&16u32.to_le_bytes());
    chunk.extend_from_slice(&1u16.to_le_bytes());
    chunk.extend_from_slice(&spec.num_channels.to_le_bytes());
    chunk.extend_from_slice(&spec.sample_rate_hz.to_le_bytes());
    let bytes_per_second = spec.sample_rate_hz * u32::from(block_align);
    chunk.extend_from_slice(&bytes_per_second.to_le_bytes());
    chunk.extend_from_slice(&block_align.to_le_bytes());
    chunk.extend_from_slice(&spec.bits_per_sample.to_le_bytes());
    chunk
}

/// Writes the header of a plain RIFF WAV holding `data_bytes` of audio (which must fit its
/// 32-bit sizes: see [`needs_rf64`]), byte for byte as `hound` writes it (PCMWAVEFORMAT for
/// integer PCM of up to two channels and 16 bits, WAVEFORMATEXTENSIBLE otherwise); the caller
/// then writes the interleaved samples and, for an odd data size, the pad byte.
pub fn write_riff_header(out: &mut impl Write, spec: Rf64Spec, data_bytes: u64) -> io::Result<()> {
    let plain_pcm = spec.num_channels <= 2 && spec.bits_per_sample <= 16 && !spec.is_float;
    let fmt = if plain_pcm {
        pcm_fmt_chunk(spec)
    } else {
        fmt_chunk(spec)
    };
    let header_bytes = 12 + fmt.len() as u64 + 8;
    let riff_bytes = header_bytes - 8 + data_bytes + (data_bytes & 1);
    let mut header = Vec::with_capacity(header_bytes as usize);
    header.extend_from_slice(b"RIFF");
    header.extend_from_slice(&(riff_bytes as u32).to_le_bytes());
    header.extend_from_slice(b"WAVE");
    header.extend_from_slice(&fmt);
    header.extend_from_slice(b"data");
    header.extend_from_slice(&(data_bytes as u32).to_le_bytes());
    debug_assert!(header_bytes <= RIFF_HEADER_BYTES);
    out.write_all(&header)
}

/// Writes the pad byte RIFF requires after a chunk of odd size, if `spec` and `num_frames`
/// make the data chunk odd.
pub fn write_rf64_padding(out: &mut impl Write, spec: Rf64Spec, num_frames: u64) -> io::Result<()> {
    let data_bytes =
        num_frames * u64::from(spec.bits_per_sample / 8) * u64::from(spec.num_channels);
    if data_bytes & 1 == 1 {
        out.write_all(&[0])?;
    }
    Ok(())
}
