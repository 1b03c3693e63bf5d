//! The project's DDP 2.00 reader: parses `DDPID`, the `DDPMS` map packets, the PQ descriptor
//! and CD-TEXT of an audio CD fileset, checks every field against the layout of
//! [`super::ddp_fields`] and the rules of an audio master, and recovers the [`CdLayout`]. It
//! reads what other writers produce too (space- or zero-padded numbers, SCR `0` or `1`, one or
//! two lead-out packets, any PQ and CD-TEXT file names). Every malformed or truncated input
//! gives an error naming the file, the packet and the field; nothing panics.

use super::cdtext::{self, CdText};
use super::ddp::{CHECKSUM_FILE, ID_FILE, LEAD_OUT_TRACK, LEVEL, MAP_FILE, SUB_CD_TEXT, SUB_PQ};
use super::ddp_fields::{self as fields, id, map, number, pq, text, Field};
use super::{CdLayout, CdTrack, Isrc, Upc, BYTES_PER_FRAME, FRAMES_PER_SECOND};
use anyhow::{anyhow, bail, Context, Result};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// A DDP fileset read and checked.
#[derive(Debug, Clone)]
pub struct DdpImage {
    /// The fileset's folder.
    pub dir: PathBuf,
    /// UPC/EAN of `DDPID`, if given.
    pub upc: Option<Upc>,
    /// Master identifier of `DDPID`, if given.
    pub master_id: Option<String>,
    /// The map packets in order.
    pub map: Vec<MapEntry>,
    /// The PQ descriptor packets in order.
    pub pq: Vec<PqEntry>,
    /// Number of CD-TEXT packs (0 without CD-TEXT).
    pub num_cd_text_packs: usize,
    /// The disc: frames from the PQ descriptor, ISRCs and UPC, titles and performers from
    /// CD-TEXT (loudness is not in a DDP image: `None`).
    pub layout: CdLayout,
    /// The audio image's file.
    pub audio_path: PathBuf,
    /// Bytes of audio in it (`total_frames × 2352`, the whole file).
    pub audio_bytes: u64,
    /// The checksum file's entries (file name, lower-case MD5 hex), empty without one.
    pub checksums: Vec<(String, String)>,
}

impl DdpImage {
    /// The audio, 16-bit little-endian stereo from frame 0 to the lead-out, as a reader.
    pub fn audio(&self) -> Result<impl Read> {
        let file = File::open(&self.audio_path)
            .with_context(|| format!("{}: cannot open", self.audio_path.display()))?;
        Ok(BufReader::new(file).take(self.audio_bytes))
    }

    /// The files of the fileset: `DDPID`, `DDPMS` and every stream's file.
    pub fn files(&self) -> Vec<String> {
        [ID_FILE.to_owned(), MAP_FILE.to_owned()]
            .into_iter()
            .chain(self.map.iter().map(|m| m.file_name.clone()))
            .collect()
    }
}

/// One `DDPMS` packet.
#[derive(Debug, Clone, PartialEq)]
pub struct MapEntry {
    /// Data stream type (`D0`, `S0`).
    pub stream_type: String,
    /// Stream length: sectors for `D0`, bytes for `S0`.
    pub length: u64,
    /// Subcode descriptor of an `S0` (`PQ DESCR`, `CDTEXT`).
    pub subcode: Option<String>,
    /// The stream's file name.
    pub file_name: String,
}

/// One PQ descriptor packet.
#[derive(Debug, Clone, PartialEq)]
pub struct PqEntry {
    /// Track: 0 for the lead-in, 1–99, [`LEAD_OUT_TRACK`] for the lead-out.
    pub track: u8,
    /// Index, 0–99.
    pub index: u8,
    /// Absolute time, frames from the start of the image.
    pub frame: u32,
    /// Q control nibble (1 pre-emphasis, 2 copy permitted, 8 four channels).
    pub control: u8,
    /// Serial Copy Management System requested (`S`).
    pub scms: bool,
    /// ISRC, if the packet carries one.
    pub isrc: Option<Isrc>,
    /// UPC/EAN, if the packet carries one.
    pub upc: Option<Upc>,
}

/// Reads and checks the DDP fileset in `dir`.
pub fn read_image(dir: &Path) -> Result<DdpImage> {
    let context = || format!("{}: not a valid DDP 2.00 audio CD image", dir.display());
    read(dir).with_context(context)
}

fn read(dir: &Path) -> Result<DdpImage> {
    let id_bytes = read_file(dir, ID_FILE)?;
    let (upc, master_id) = parse_id(&id_bytes).context(ID_FILE)?;
    let map_bytes = read_file(dir, MAP_FILE)?;
    let map = parse_map(&map_bytes, dir).context(MAP_FILE)?;
    let find =
        |wanted: &dyn Fn(&MapEntry) -> bool| map.iter().filter(|m| wanted(m)).collect::<Vec<_>>();
    let audio = find(&|m| m.stream_type == "D0");
    let [audio] = audio.as_slice() else {
        bail!(
            "{MAP_FILE}: {} audio (D0) streams; an audio master has one",
            audio.len()
        );
    };
    let pq_streams = find(&|m| m.subcode.as_deref() == Some(SUB_PQ));
    let [pq_stream] = pq_streams.as_slice() else {
        bail!(
            "{MAP_FILE}: {} PQ descriptor streams, not 1",
            pq_streams.len()
        );
    };
    let text_streams = find(&|m| m.subcode.as_deref() == Some(SUB_CD_TEXT));
    if text_streams.len() > 1 {
        bail!(
            "{MAP_FILE}: {} CD-TEXT streams, not 0 or 1",
            text_streams.len()
        );
    }
    let total_frames = u32::try_from(audio.length)
        .ok()
        .filter(|&f| f <= super::MAX_ADDRESS_FRAMES)
        .ok_or_else(|| {
            anyhow!(
                "{MAP_FILE}: audio stream of {} sectors, longer than a CD address reaches \
                 ({})",
                audio.length,
                super::msf(super::MAX_ADDRESS_FRAMES)
            )
        })?;
    let pq_bytes = read_file(dir, &pq_stream.file_name)?;
    let pq = parse_pq(&pq_bytes, upc.as_ref(), total_frames)
        .with_context(|| pq_stream.file_name.clone())?;
    let mut layout =
        layout_of(&pq, upc.clone(), total_frames).with_context(|| pq_stream.file_name.clone())?;
    check_pregap(&map_bytes, &layout)?;
    let mut num_cd_text_packs = 0;
    if let Some(stream) = text_streams.first() {
        let bytes = read_file(dir, &stream.file_name)?;
        let text = cdtext::decode(&bytes, layout.tracks.len())
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("{}: CD-TEXT", stream.file_name))?;
        apply_text(&mut layout, text);
        num_cd_text_packs = bytes.len() / cdtext::PACK_BYTES;
    }
    let checksums = match std::fs::read(dir.join(CHECKSUM_FILE)) {
        Ok(bytes) => parse_checksums(&bytes).with_context(|| CHECKSUM_FILE.to_owned())?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).context(format!("{CHECKSUM_FILE}: cannot read")),
    };
    Ok(DdpImage {
        dir: dir.to_owned(),
        upc,
        master_id,
        map: map.clone(),
        pq,
        num_cd_text_packs,
        layout,
        audio_path: dir.join(&audio.file_name),
        audio_bytes: audio.length * u64::from(BYTES_PER_FRAME),
        checksums,
    })
}

/// The bytes of `dir/name`.
fn read_file(dir: &Path, name: &str) -> Result<Vec<u8>> {
    let path = dir.join(name);
    std::fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))
}

/// `text` of `field`, as an anyhow error.
fn field_text<'a>(record: &'a [u8], field: &Field) -> Result<&'a str> {
    text(record, field).map_err(anyhow::Error::msg)
}

/// `number` of `field`, as an anyhow error.
fn field_number(record: &[u8], field: &Field) -> Result<Option<u64>> {
    number(record, field).map_err(anyhow::Error::msg)
}

/// An error unless `field` is blank or holds one of `allowed`.
fn expect_one_of(record: &[u8], field: &Field, allowed: &[&str]) -> Result<()> {
    let value = field_text(record, field)?;
    if !value.is_empty() && !allowed.contains(&value) {
        bail!(
            "field {} holds {value:?}, expected {allowed:?} or blank",
            field.name
        );
    }
    Ok(())
}

/// A UPC/EAN field: blank, or 12/13 digits with a valid check digit.
fn parse_upc(record: &[u8], field: &Field) -> Result<Option<Upc>> {
    let value = field_text(record, field)?.trim_start();
    if value.is_empty() {
        return Ok(None);
    }
    Upc::parse(value)
        .map(Some)
        .map_err(|e| anyhow!("field {}: {e}", field.name))
}

/// Checks `DDPID`: its size, level, UPC, disc type and the DVD-only fields; returns the UPC
/// and the master identifier.
fn parse_id(record: &[u8]) -> Result<(Option<Upc>, Option<String>)> {
    if record.len() != fields::ID_BYTES {
        bail!("{} bytes, not {}", record.len(), fields::ID_BYTES);
    }
    let level = field_text(record, &id::LEVEL)?;
    if level != LEVEL {
        bail!("level {level:?}; this reader reads {LEVEL:?}");
    }
    let upc = parse_upc(record, &id::UPC)?;
    for field in [id::MSS, id::MSL] {
        field_number(record, &field)?;
    }
    expect_one_of(record, &id::MED, &["0", "1"])?;
    let master_id = field_text(record, &id::MID)?.trim_start();
    field_text(record, &id::BK)?;
    let disc_type = field_text(record, &id::TYPE)?;
    if disc_type != "CD" {
        bail!("disc type {disc_type:?}, not \"CD\"");
    }
    if !field_text(record, &id::DVD_ONLY)?.trim().is_empty() {
        bail!("field {} is set; it is for DVDs only", id::DVD_ONLY.name);
    }
    field_text(record, &id::USER_TEXT)?;
    Ok((upc, (!master_id.is_empty()).then(|| master_id.to_owned())))
}

/// Parses and checks every `DDPMS` packet; each stream's file must exist with the length its
/// packet gives.
fn parse_map(bytes: &[u8], dir: &Path) -> Result<Vec<MapEntry>> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(fields::MAP_PACKET_BYTES) {
        bail!(
            "{} bytes is not a whole number of {}-byte packets",
            bytes.len(),
            fields::MAP_PACKET_BYTES
        );
    }
    bytes
        .chunks(fields::MAP_PACKET_BYTES)
        .enumerate()
        .map(|(i, packet)| {
            parse_map_packet(packet, dir).with_context(|| {
                let start = i * fields::MAP_PACKET_BYTES;
                format!(
                    "packet {i} (bytes {start}..{})",
                    start + fields::MAP_PACKET_BYTES
                )
            })
        })
        .collect()
}

fn parse_map_packet(packet: &[u8], dir: &Path) -> Result<MapEntry> {
    use map::*;
    if field_text(packet, &MPV)? != "VVVM" {
        bail!("marker {:?}, not \"VVVM\"", field_text(packet, &MPV)?);
    }
    let stream_type = field_text(packet, &DST)?.to_owned();
    for field in UNUSED_NUMBERS {
        if field_number(packet, &field)?.unwrap_or(0) != 0 {
            bail!(
                "field {} is set; an audio master leaves it blank",
                field.name
            );
        }
    }
    let length =
        field_number(packet, &DSL)?.ok_or_else(|| anyhow!("field DSL (stream length) is blank"))?;
    let size = field_number(packet, &SIZ)?.unwrap_or(0);
    if !(1..=DSI.width as u64).contains(&size) {
        bail!(
            "field SIZ gives a file name of {size} bytes (1 to {})",
            DSI.width
        );
    }
    let file_name = field_text(packet, &DSI)?.trim_start().to_owned();
    if file_name.is_empty()
        || file_name.len() > size as usize
        || file_name.contains(['/', '\\'])
        || file_name.starts_with('.')
    {
        bail!("field DSI holds {file_name:?}, not a file name of at most {size} bytes");
    }
    for field in [MED, IDX, NEW, PAD] {
        field_text(packet, &field)?;
    }
    field_text(packet, &ISRC)?;
    expect_one_of(packet, &TRK, &["00"])?;
    let subcode_text = field_text(packet, &SUB)?;
    let subcode = (!subcode_text.is_empty()).then(|| subcode_text.to_owned());
    let file_bytes = std::fs::metadata(dir.join(&file_name))
        .with_context(|| format!("stream file {file_name:?} is missing"))?
        .len();
    match stream_type.as_str() {
        "D0" => {
            if field_text(packet, &CDM)? != "DA" {
                bail!(
                    "audio stream with CD mode {:?}, not \"DA\"",
                    field_text(packet, &CDM)?
                );
            }
            expect_one_of(packet, &SSM, &["7", "0"])?;
            expect_one_of(packet, &SCR, &["0", "1"])?;
            if field_number(packet, &DSS)?.unwrap_or(0) != 0 {
                bail!(
                    "audio stream starting at sector {:?}, not 0",
                    field_number(packet, &DSS)?
                );
            }
            if subcode.is_some() {
                bail!("audio stream with subcode descriptor {subcode_text:?}");
            }
            let expected = length * u64::from(BYTES_PER_FRAME);
            if file_bytes != expected {
                bail!(
                    "{file_name} has {file_bytes} bytes; DSL gives {length} sectors = \
                     {expected} bytes"
                );
            }
        }
        "S0" => {
            if ![SUB_PQ, SUB_CD_TEXT].contains(&subcode_text) {
                bail!("subcode stream {subcode_text:?}, not {SUB_PQ:?} or {SUB_CD_TEXT:?}");
            }
            for field in [CDM, SSM, SCR, PRE2] {
                if !field_text(packet, &field)?.is_empty() {
                    bail!("field {} is set on a subcode stream", field.name);
                }
            }
            if file_bytes != length {
                bail!("{file_name} has {file_bytes} bytes; DSL gives {length}");
            }
        }
        other => bail!("stream type {other:?}; an audio master has D0 and S0 streams only"),
    }
    Ok(MapEntry {
        stream_type,
        length,
        subcode,
        file_name,
    })
}

/// Checks the audio packet's PRE2 (sectors of track 1's pre-gap in the stream): blank, or
/// track 1's index 1.
fn check_pregap(map_bytes: &[u8], layout: &CdLayout) -> Result<()> {
    for packet in map_bytes.chunks(fields::MAP_PACKET_BYTES) {
        if field_text(packet, &map::DST)? == "D0" {
            if let Some(pregap) = field_number(packet, &map::PRE2)? {
                let index1 = layout.tracks[0].index1_frame;
                if pregap != u64::from(index1) {
                    bail!(
                        "{MAP_FILE}: PRE2 gives a {pregap}-sector first pre-gap; the PQ \
                         descriptor starts track 1 at sector {index1}"
                    );
                }
            }
        }
    }
    Ok(())
}

/// Parses and checks every PQ packet.
fn parse_pq(bytes: &[u8], upc: Option<&Upc>, total_frames: u32) -> Result<Vec<PqEntry>> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(fields::PQ_PACKET_BYTES) {
        bail!(
            "{} bytes is not a whole number of {}-byte packets",
            bytes.len(),
            fields::PQ_PACKET_BYTES
        );
    }
    let entries = bytes
        .chunks(fields::PQ_PACKET_BYTES)
        .enumerate()
        .map(|(i, packet)| {
            parse_pq_packet(packet, upc).with_context(|| {
                let start = i * fields::PQ_PACKET_BYTES;
                format!(
                    "packet {i} (bytes {start}..{})",
                    start + fields::PQ_PACKET_BYTES
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let lead_outs: Vec<&PqEntry> = entries
        .iter()
        .filter(|e| e.track == LEAD_OUT_TRACK)
        .collect();
    if lead_outs.is_empty() || lead_outs.len() > 2 {
        bail!(
            "{} lead-out (AA) packets; there are 1 or 2",
            lead_outs.len()
        );
    }
    if let Some(bad) = lead_outs
        .iter()
        .find(|e| e.frame != total_frames || e.index != 1)
    {
        bail!(
            "lead-out at index {:02} {}; the audio stream ends at index 01 {}",
            bad.index,
            super::msf(bad.frame),
            super::msf(total_frames)
        );
    }
    Ok(entries)
}

fn parse_pq_packet(packet: &[u8], disc_upc: Option<&Upc>) -> Result<PqEntry> {
    use pq::*;
    if field_text(packet, &SPV)? != "VVVS" {
        bail!("marker {:?}, not \"VVVS\"", field_text(packet, &SPV)?);
    }
    let track = match field_text(packet, &TRK)? {
        "AA" => LEAD_OUT_TRACK,
        digits => match digits.parse::<u8>() {
            Ok(n) if digits.len() == 2 && n <= 99 => n,
            _ => bail!("track {digits:?}, not 00-99 or AA"),
        },
    };
    let index = field_number(packet, &IDX)?
        .filter(|&i| i <= 99)
        .ok_or_else(|| anyhow!("field IDX (index) is blank"))? as u8;
    if field_number(packet, &HRS)?.unwrap_or(0) != 0 {
        bail!("field HRS (hours) is set; CD time has no hours");
    }
    let mut time = [0u32; 3];
    for (slot, (field, limit)) in time.iter_mut().zip([(MIN, 100), (SEC, 60), (FRM, 75)]) {
        let value = field_number(packet, &field)?
            .ok_or_else(|| anyhow!("field {} is blank", field.name))?;
        if value >= limit {
            bail!(
                "field {} holds {value}; it counts 0 to {}",
                field.name,
                limit - 1
            );
        }
        *slot = value as u32;
    }
    let frame = (time[0] * 60 + time[1]) * FRAMES_PER_SECOND + time[2];
    let c1 = field_text(packet, &C1)?;
    let (control, scms) = match c1.as_bytes() {
        [nibble, mode @ (b'1' | b'S')] => match char::from(*nibble).to_digit(16) {
            Some(n) if n & 0x4 == 0 => (n as u8, *mode == b'S'),
            _ => bail!("field C1 holds {c1:?}: not an audio track's control nibble"),
        },
        _ => bail!("field C1 holds {c1:?}, not a control nibble and 1 or S"),
    };
    field_text(packet, &C2)?;
    field_text(packet, &TXT)?;
    let isrc_text = field_text(packet, &ISRC)?.trim_start();
    let isrc = if isrc_text.is_empty() {
        None
    } else {
        Some(Isrc::parse(isrc_text).map_err(|e| anyhow!("field ISRC: {e}"))?)
    };
    let upc = parse_upc(packet, &UPC)?;
    if let Some(upc) = &upc {
        if disc_upc != Some(upc) {
            bail!("UPC {upc} differs from {ID_FILE}'s {disc_upc:?}");
        }
    }
    Ok(PqEntry {
        track,
        index,
        frame,
        control,
        scms,
        isrc,
        upc,
    })
}

/// The layout the PQ packets describe: the lead-in first, tracks from 1 without a gap in
/// the numbering, each with an optional index 0 then index 1, 2, … in order, times
/// increasing, the lead-out last.
fn layout_of(entries: &[PqEntry], upc: Option<Upc>, total_frames: u32) -> Result<CdLayout> {
    let Some((first, rest)) = entries.split_first() else {
        bail!("no packets");
    };
    if (first.track, first.index, first.frame) != (0, 0, 0) {
        bail!("the first packet is not the lead-in (track 00 index 00 at 00:00:00)");
    }
    let mut tracks: Vec<CdTrack> = Vec::new();
    let mut previous: Option<&PqEntry> = None;
    for (i, entry) in rest.iter().enumerate() {
        let at = || {
            format!(
                "packet {} (track {} index {:02})",
                i + 1,
                track_name(entry.track),
                entry.index
            )
        };
        let ends_track = previous.is_some_and(|p| p.track != entry.track);
        if let Some(p) = previous.filter(|p| ends_track && p.index == 0) {
            bail!("{}: track {} has no index 01", at(), track_name(p.track));
        }
        if entry.track == LEAD_OUT_TRACK {
            if rest[i..].iter().any(|e| e.track != LEAD_OUT_TRACK) {
                bail!("{}: packets follow the lead-out", at());
            }
            break;
        }
        if previous.is_none() || ends_track {
            if usize::from(entry.track) != tracks.len() + 1 || entry.index > 1 {
                bail!(
                    "{}: expected track {:02} index 00 or 01",
                    at(),
                    tracks.len() + 1
                );
            }
            tracks.push(CdTrack {
                title: None,
                performer: None,
                isrc: entry.isrc.clone(),
                index0_frame: entry.frame,
                index1_frame: entry.frame,
                loudness: None,
            });
        } else {
            let expected = previous.map_or(0, |p| p.index + 1);
            if entry.index != expected {
                bail!("{}: expected index {expected:02}", at());
            }
            if entry.isrc.is_some() {
                bail!("{}: an ISRC on a packet other than the track's first", at());
            }
        }
        if let Some(p) = previous.filter(|p| entry.frame <= p.frame) {
            bail!(
                "{}: at {}, not after {}",
                at(),
                super::msf(entry.frame),
                super::msf(p.frame)
            );
        }
        if entry.index == 1 {
            if let Some(track) = tracks.last_mut() {
                track.index1_frame = entry.frame;
            }
        }
        previous = Some(entry);
    }
    let layout = CdLayout {
        title: None,
        performer: None,
        upc,
        tracks,
        total_frames,
    };
    if let Some(last) = previous.filter(|p| p.frame >= total_frames) {
        bail!(
            "index at {} is not before the lead-out",
            super::msf(last.frame)
        );
    }
    layout.check_frames().map_err(anyhow::Error::msg)?;
    Ok(layout)
}

/// A PQ track number as the descriptor writes it: `00`–`99`, `AA` for the lead-out.
fn track_name(track: u8) -> String {
    if track == LEAD_OUT_TRACK {
        "AA".to_owned()
    } else {
        format!("{track:02}")
    }
}

/// Puts CD-TEXT's titles and performers into `layout`.
fn apply_text(layout: &mut CdLayout, text: CdText) {
    layout.title = text.album_title;
    layout.performer = text.album_performer;
    let strings = text.track_titles.into_iter().zip(text.track_performers);
    for (track, (title, performer)) in layout.tracks.iter_mut().zip(strings) {
        track.title = title;
        track.performer = performer;
    }
}

/// Parses an `md5sum` listing: `<32 hex> *<name>` or `<32 hex>  <name>` per line.
fn parse_checksums(bytes: &[u8]) -> Result<Vec<(String, String)>> {
    let listing = std::str::from_utf8(bytes).context("not UTF-8 text")?;
    listing
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            let parsed = line.split_at_checked(32).and_then(|(hex, rest)| {
                let name = rest
                    .strip_prefix(" *")
                    .or_else(|| rest.strip_prefix("  "))?;
                let valid = hex.bytes().all(|b| b.is_ascii_hexdigit()) && !name.is_empty();
                valid.then(|| (name.to_owned(), hex.to_ascii_lowercase()))
            });
            parsed.ok_or_else(|| anyhow!("line {}: {line:?} is not \"<md5> *<file>\"", i + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_listings_in_both_md5sum_modes_and_crlf() {
        let listing = b"D41D8CD98F00B204E9800998ECF8427E *DDPID\r\n\
            d41d8cd98f00b204e9800998ecf8427e  IMAGE.DAT\r\n\r\n";
        let parsed = parse_checksums(listing).unwrap();
        let md5 = "d41d8cd98f00b204e9800998ecf8427e".to_owned();
        assert_eq!(
            parsed,
            [
                ("DDPID".to_owned(), md5.clone()),
                ("IMAGE.DAT".to_owned(), md5)
            ]
        );
        for bad in [
            &b"d41d8cd98f00b204e9800998ecf8427e DDPID"[..],
            b"xyz *DDPID",
            b"\xff",
        ] {
            assert!(parse_checksums(bad).is_err());
        }
    }
}
