//! The DDP 2.00 fileset of an audio CD, as replication plants take a master:
//!
//! | file | content |
//! |------|---------|
//! | `DDPID` | one 128-byte record: level `DDP 2.00`, UPC/EAN, disc type `CD` |
//! | `DDPMS` | one 128-byte map packet per stream: CD-TEXT, PQ descriptor, audio |
//! | `CDTEXT.BIN` | CD-TEXT packs ([`super::cdtext`]), when a title or performer is given |
//! | `PQDESCR` | the PQ descriptor: one 64-byte packet per index, lead-in and lead-out |
//! | `IMAGE.DAT` | the audio: 16-bit little-endian stereo (left, right), 2352-byte sectors |
//! | `CHECKSUM.MD5` | MD5 of every other file, `md5sum` format |
//!
//! Field layouts and the values written are in [`super::ddp_fields`], with their sources.
//! Conventions where writers differ, and the choice made: map packets in the order CD-TEXT,
//! PQ, audio (cue2ddp, HOFA); numbers zero-padded, the audio's DSS `0` and SCR `0` (Sonoris,
//! HOFA; cue2ddp pads with spaces and writes SCR `1`); the PQ file named `PQDESCR` (Sonoris,
//! HOFA); the UPC on the lead-in packet (cue2ddp); the lead-out packet written twice (all
//! three). The audio is the CD master WAV's sample data as it is: a WAV stores 16-bit samples
//! little-endian, left then right, which is what `IMAGE.DAT` holds (ddpLib exports it to WAV
//! unchanged; cue2ddp makes the same image from a WAVE or little-endian BINARY file).
//!
//! Cross-checked against a reader this project did not write: ddpLib 1.1.1
//! (<https://github.com/suntriprecords/ddpLib>, built locally, not part of the build) read the
//! 3-track image of `cli/tests/cd_image.rs` as DDP 2.00 with the same UPC, CD-TEXT (album and
//! track titles and performers, Latin-1 included), PQ packets and ISRCs, and its track export
//! (index 1 to the next track's index 0) was bit-identical to the master's samples for all
//! three tracks. The CD-TEXT encoder matches packs cue2ddp 1.1 wrote byte for byte
//! ([`super::cdtext`]'s tests).

use super::ddp_fields::{self as fields, Record};
use super::{cdtext, msf, CdLayout, BYTES_PER_FRAME, CD_SAMPLE_RATE_HZ, SAMPLES_PER_FRAME};
use crate::staging::Staging;
use anyhow::{bail, Context, Result};
use md5::{Digest, Md5};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

pub use super::ddp_reader::{read_image, DdpImage, MapEntry, PqEntry};
pub use super::ddp_verify::{verify, Verification};

/// File name of the identifier.
pub const ID_FILE: &str = "DDPID";
/// File name of the map stream.
pub const MAP_FILE: &str = "DDPMS";
/// File name of the PQ descriptor.
pub const PQ_FILE: &str = "PQDESCR";
/// File name of the CD-TEXT packs.
pub const CD_TEXT_FILE: &str = "CDTEXT.BIN";
/// File name of the audio image.
pub const IMAGE_FILE: &str = "IMAGE.DAT";
/// File name of the MD5 checksums.
pub const CHECKSUM_FILE: &str = "CHECKSUM.MD5";
/// The DDP level this module writes and reads.
pub const LEVEL: &str = "DDP 2.00";
/// Subcode descriptor of the PQ stream.
pub const SUB_PQ: &str = "PQ DESCR";
/// Subcode descriptor of the CD-TEXT stream.
pub const SUB_CD_TEXT: &str = "CDTEXT";
/// Track number of the lead-out in the PQ descriptor (`AA`).
pub const LEAD_OUT_TRACK: u8 = 0xAA;
/// The longest first pre-gap the audio map packet's PRE2 field (4 digits) holds, frames.
pub const MAX_FIRST_PREGAP_FRAMES: u32 = 9999;
/// Audio copied per read, bytes: one second of CD audio (75 sectors).
const BLOCK_BYTES: usize = BYTES_PER_FRAME as usize * 75;

/// Writes the DDP 2.00 fileset of `layout` over the CD master `cd_wav` (16-bit, 44.1 kHz,
/// stereo, exactly `total_frames × 588` frames) into `dir`, which must be empty or absent.
/// Every file is written into a staging folder inside `dir` and moved into place only when
/// all are complete ([`Staging`]): an error or an interruption leaves no file behind.
pub fn write_image(dir: &Path, layout: &CdLayout, cd_wav: &Path) -> Result<()> {
    layout
        .check_frames()
        .map_err(anyhow::Error::msg)
        .context("cannot write a DDP image of this layout")?;
    let first_pregap_frames = layout.tracks[0].index1_frame;
    if first_pregap_frames > MAX_FIRST_PREGAP_FRAMES {
        bail!(
            "track 1's pre-gap of {} ({first_pregap_frames} frames) does not fit the 4 digits \
             of the DDP map's PRE2 field (at most {MAX_FIRST_PREGAP_FRAMES} frames)",
            msf(first_pregap_frames)
        );
    }
    let cd_text = cdtext::encode(layout)
        .map_err(anyhow::Error::msg)
        .context("cannot write CD-TEXT")?;
    let (mut audio, audio_bytes) = open_cd_wav(cd_wav, layout.total_frames)?;
    if dir.exists() {
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))?;
        if entries.next().is_some() {
            bail!(
                "{}: not empty; a DDP image is written into a new or empty folder",
                dir.display()
            );
        }
    }
    let staging = Staging::new(dir)?;
    let mut sums: Vec<(&str, String)> = Vec::new();
    let pq = pq_descriptor(layout);
    let map = map_stream(layout, cd_text.as_ref().map(Vec::len), pq.len());
    for (name, bytes) in [(ID_FILE, Some(id_record(layout))), (MAP_FILE, Some(map))]
        .into_iter()
        .chain([(CD_TEXT_FILE, cd_text), (PQ_FILE, Some(pq))])
    {
        if let Some(bytes) = bytes {
            write_file(&staging.path(name), &bytes)?;
            sums.push((name, format!("{:x}", Md5::digest(&bytes))));
        }
    }
    let image_path = staging.path(IMAGE_FILE);
    let image_md5 = copy_audio(&mut audio, audio_bytes, &image_path).with_context(|| {
        format!(
            "{}: cannot copy the audio of {}",
            IMAGE_FILE,
            cd_wav.display()
        )
    })?;
    sums.push((IMAGE_FILE, image_md5));
    let listing: String = sums
        .iter()
        .map(|(name, md5)| format!("{md5} *{name}\n"))
        .collect();
    write_file(&staging.path(CHECKSUM_FILE), listing.as_bytes())?;
    staging.publish(false)
}

/// Writes `bytes` to `path` (a file in the staging folder).
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("{}: cannot write", path.display()))
}

/// Copies `num_bytes` of `audio` into a new file at `path` one second at a time, returning the
/// MD5 of what was written.
fn copy_audio(audio: &mut impl Read, num_bytes: u64, path: &Path) -> Result<String> {
    let mut out = BufWriter::new(File::create(path)?);
    let mut md5 = Md5::new();
    let mut block = vec![0u8; BLOCK_BYTES];
    let mut left = num_bytes;
    while left > 0 {
        let n = left.min(BLOCK_BYTES as u64) as usize;
        audio.read_exact(&mut block[..n])?;
        md5.update(&block[..n]);
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    out.flush()?;
    Ok(format!("{:x}", md5.finalize()))
}

/// Opens the CD master WAV and checks it is 16-bit integer, 44.1 kHz, stereo and exactly
/// `total_frames` CD frames long; returns a reader at its first sample and the number of
/// audio bytes (`total_frames × 2352`).
pub(super) fn open_cd_wav(path: &Path, total_frames: u32) -> Result<(impl Read, u64)> {
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let reader = hound::WavReader::new(BufReader::new(file))
        .with_context(|| format!("{}: not a readable WAV file", path.display()))?;
    let spec = reader.spec();
    if spec.sample_format != hound::SampleFormat::Int
        || spec.bits_per_sample != 16
        || spec.sample_rate != CD_SAMPLE_RATE_HZ
        || spec.channels != 2
    {
        bail!(
            "{}: {} channel(s), {} Hz, {}-bit {:?}; a CD master is 2 channels, 44100 Hz, \
             16-bit integer",
            path.display(),
            spec.channels,
            spec.sample_rate,
            spec.bits_per_sample,
            spec.sample_format
        );
    }
    let expected_samples = u64::from(total_frames) * u64::from(SAMPLES_PER_FRAME);
    let samples = u64::from(reader.duration());
    if samples != expected_samples {
        bail!(
            "{}: {samples} samples per channel; the layout's {total_frames} CD frames \
             ({}) need {expected_samples} ({total_frames} × {SAMPLES_PER_FRAME})",
            path.display(),
            msf(total_frames)
        );
    }
    Ok((
        reader.into_inner(),
        u64::from(total_frames) * u64::from(BYTES_PER_FRAME),
    ))
}

/// The `DDPID` record of `layout`.
pub fn id_record(layout: &CdLayout) -> Vec<u8> {
    let mut record = Record::blank(fields::ID_BYTES);
    record.text(&fields::id::LEVEL, LEVEL);
    if let Some(upc) = &layout.upc {
        record.text(&fields::id::UPC, upc.ean13());
    }
    record.text(&fields::id::TYPE, "CD");
    record.into_bytes()
}

/// The `DDPMS` map stream: CD-TEXT (when there is any), PQ descriptor, audio.
pub fn map_stream(layout: &CdLayout, cd_text_bytes: Option<usize>, pq_bytes: usize) -> Vec<u8> {
    use fields::map::*;
    let packet = |dst: &str, length: u64, name: &str| {
        let mut record = Record::blank(fields::MAP_PACKET_BYTES);
        record
            .text(&MPV, "VVVM")
            .text(&DST, dst)
            .number(&DSL, length)
            .number(&SIZ, DSI.width as u64)
            .text(&DSI, name);
        record
    };
    let mut out = Vec::with_capacity(3 * fields::MAP_PACKET_BYTES);
    if let Some(bytes) = cd_text_bytes {
        let mut record = packet("S0", bytes as u64, CD_TEXT_FILE);
        record.text(&SUB, SUB_CD_TEXT).text(&TRK, "00");
        out.extend(record.into_bytes());
    }
    let mut record = packet("S0", pq_bytes as u64, PQ_FILE);
    record.text(&SUB, SUB_PQ);
    out.extend(record.into_bytes());
    let mut record = packet("D0", u64::from(layout.total_frames), IMAGE_FILE);
    record
        .number(&DSS, 0)
        .text(&CDM, "DA")
        .text(&SSM, "7")
        .text(&SCR, "0")
        .number(&PRE2, u64::from(layout.tracks[0].index1_frame));
    out.extend(record.into_bytes());
    out
}

/// The PQ descriptor of `layout`: the lead-in (track 00 index 00 at 00:00:00, carrying the
/// UPC), every track's index 00 (when it has a pre-gap) and index 01 (the first carrying its
/// ISRC), and the lead-out (track AA index 01 at the end of the image), written twice.
/// Tracks are 2-channel audio, copy prohibited, no pre-emphasis (C1 `01`).
pub fn pq_descriptor(layout: &CdLayout) -> Vec<u8> {
    use fields::pq::*;
    let packet = |track: &str, index: u8, frame: u32| {
        let mut record = Record::blank(fields::PQ_PACKET_BYTES);
        let seconds = frame / super::FRAMES_PER_SECOND;
        record
            .text(&SPV, "VVVS")
            .text(&TRK, track)
            .number(&IDX, u64::from(index))
            .number(&MIN, u64::from(seconds / 60))
            .number(&SEC, u64::from(seconds % 60))
            .number(&FRM, u64::from(frame % super::FRAMES_PER_SECOND))
            .text(&C1, "01");
        record
    };
    let mut out = Vec::new();
    let mut lead_in = packet("00", 0, 0);
    if let Some(upc) = &layout.upc {
        lead_in.text(&UPC, upc.ean13());
    }
    out.extend(lead_in.into_bytes());
    for (i, track) in layout.tracks.iter().enumerate() {
        let number = format!("{:02}", i + 1);
        let has_pregap = track.index0_frame < track.index1_frame;
        let indexes = has_pregap
            .then_some((0, track.index0_frame))
            .into_iter()
            .chain([(1, track.index1_frame)]);
        for (k, (index, frame)) in indexes.enumerate() {
            let mut record = packet(&number, index, frame);
            if let (0, Some(isrc)) = (k, &track.isrc) {
                record.text(&ISRC, isrc.bare());
            }
            out.extend(record.into_bytes());
        }
    }
    for _ in 0..2 {
        out.extend(packet("AA", 1, layout.total_frames).into_bytes());
    }
    out
}
