//! CD-TEXT as the lead-in carries it (Sony's format, MMC-3 Annex J): 18-byte packs, each a
//! 4-byte header, 12 bytes of text and a CRC. The DDP fileset stores the packs as they are
//! (`CDTEXT.BIN`, subcode descriptor `CDTEXT`).
//!
//! Pack layout: byte 0 the pack type (0x80 title, 0x81 performer, … 0x8F size information);
//! byte 1 the track whose string holds byte 4 (0 = the album); byte 2 the sequence number
//! (0, 1, 2, … over the block); byte 3 bit 7 double-byte characters, bits 6–4 the block,
//! bits 3–0 how many characters of that string come before byte 4 (capped at 15); bytes 4–15
//! the text, every string ended by a NUL, the last pack of a type padded with NULs; bytes
//! 16–17 the CRC-16/CCITT (polynomial 0x1021, initial value 0) of bytes 0–15, inverted, big
//! endian. The size information (three 0x8F packs) gives the character set, the first and last
//! track, the number of packs of each type, the last sequence number and the language of each
//! block. Sources: T10 MMC-3 draft (<https://www.t10.org/drafts.htm>), the ddptools manual
//! (<http://ddp.andreasruge.de/>), and ddpLib's reader
//! (<https://github.com/suntriprecords/ddpLib>, `cdtext/`). The unit tests check the encoder
//! byte for byte against packs cue2ddp 1.1 wrote.
//!
//! **Character set**: one block, language English (0x09), character set 0x00, ISO 8859-1
//! (Latin-1), the only single-byte set every player decodes and the one cue2ddp, Sonoris and
//! HOFA write. A title or performer with a character outside ISO 8859-1 (Greek, Cyrillic,
//! CJK, emoji, …) or a control character is refused with an error that names the track, the
//! field and the character. [`check`] tells the album layer before it renders anything, so the
//! engineer can transliterate the text; the PQ sheet and the cue sheet are UTF-8 and take any
//! character.

use super::CdLayout;

/// Bytes of a pack.
pub const PACK_BYTES: usize = 18;
/// Text bytes of a pack.
const PAYLOAD_BYTES: usize = 12;
/// Pack type of titles.
const TITLE: u8 = 0x80;
/// Pack type of performers.
const PERFORMER: u8 = 0x81;
/// Pack type of the size information.
const SIZE_INFO: u8 = 0x8F;
/// Size-information packs.
const NUM_SIZE_INFO_PACKS: usize = 3;
/// Character set code of ISO 8859-1.
const CHARSET_ISO_8859_1: u8 = 0x00;
/// Language code of English (EBU Tech 3258 code, as CD-TEXT uses).
const LANGUAGE_ENGLISH: u8 = 0x09;
/// Packs a block holds: the sequence number is one byte.
const MAX_PACKS: usize = 256;

/// The text of a disc as CD-TEXT carries it (block 0): `None` where no string is given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CdText {
    /// Album title.
    pub album_title: Option<String>,
    /// Album performer.
    pub album_performer: Option<String>,
    /// Track titles, one per track.
    pub track_titles: Vec<Option<String>>,
    /// Track performers, one per track.
    pub track_performers: Vec<Option<String>>,
}

impl CdText {
    /// The text of `layout`.
    pub fn of(layout: &CdLayout) -> Self {
        Self {
            album_title: layout.title.clone(),
            album_performer: layout.performer.clone(),
            track_titles: layout.tracks.iter().map(|t| t.title.clone()).collect(),
            track_performers: layout.tracks.iter().map(|t| t.performer.clone()).collect(),
        }
    }

    /// Whether any string is given (a disc without one gets no CD-TEXT).
    pub fn is_empty(&self) -> bool {
        self.album_title.is_none()
            && self.album_performer.is_none()
            && self.track_titles.iter().all(Option::is_none)
            && self.track_performers.iter().all(Option::is_none)
    }

    /// The pack types present, each with its strings (album first, then every track).
    fn types(&self) -> Vec<(u8, Vec<Option<&str>>)> {
        [
            (TITLE, &self.album_title, &self.track_titles),
            (PERFORMER, &self.album_performer, &self.track_performers),
        ]
        .into_iter()
        .filter(|(_, album, tracks)| album.is_some() || tracks.iter().any(Option::is_some))
        .map(|(kind, album, tracks)| {
            let strings = std::iter::once(album)
                .chain(tracks)
                .map(Option::as_deref)
                .collect();
            (kind, strings)
        })
        .collect()
    }
}

/// Name of a text pack type in messages.
fn type_name(kind: u8) -> &'static str {
    match kind {
        TITLE => "title",
        PERFORMER => "performer",
        _ => "text",
    }
}

/// Who a string belongs to, in messages.
fn owner(track: usize) -> String {
    if track == 0 {
        "album".to_owned()
    } else {
        format!("track {track}")
    }
}

/// `text` in ISO 8859-1, or an error naming the first character outside it (or a control
/// character, which would break the NUL-separated strings).
fn latin1(text: &str) -> Result<Vec<u8>, char> {
    text.chars()
        .map(|c| match u32::from(c) {
            code @ (0x20..=0x7E | 0xA0..=0xFF) => Ok(code as u8),
            _ => Err(c),
        })
        .collect()
}

/// Checks that every title and performer of `layout` can be written as CD-TEXT (ISO 8859-1,
/// no control characters, 256 packs at most); the album layer calls it before rendering.
pub fn check(layout: &CdLayout) -> Result<(), String> {
    encode(layout).map(|_| ())
}

/// The CD-TEXT packs of `layout`, or `None` when it has no title or performer.
pub fn encode(layout: &CdLayout) -> Result<Option<Vec<u8>>, String> {
    let text = CdText::of(layout);
    if text.is_empty() {
        return Ok(None);
    }
    let num_tracks = layout.tracks.len();
    let mut packs: Vec<[u8; PACK_BYTES]> = Vec::new();
    let mut counts = [0usize; 16];
    for (kind, strings) in text.types() {
        // Every byte of the type's text with the string (track) it belongs to and its position
        // in that string.
        let mut bytes: Vec<(u8, usize, usize)> = Vec::new();
        for (track, string) in strings.iter().enumerate() {
            let encoded = latin1(string.unwrap_or_default()).map_err(|c| {
                format!(
                    "{} {}: {c:?} (U+{:04X}) is not in ISO 8859-1 (Latin-1), the CD-TEXT \
                     character set; spell it with Latin-1 characters",
                    owner(track),
                    type_name(kind),
                    u32::from(c)
                )
            })?;
            let with_nul = encoded.into_iter().chain(std::iter::once(0));
            bytes.extend(with_nul.enumerate().map(|(pos, b)| (b, track, pos)));
        }
        for chunk in bytes.chunks(PAYLOAD_BYTES) {
            let (_, track, pos) = chunk[0];
            let mut pack = [0u8; PACK_BYTES];
            pack[0] = kind;
            pack[1] = track as u8;
            pack[3] = pos.min(15) as u8;
            for (slot, &(b, _, _)) in pack[4..].iter_mut().zip(chunk) {
                *slot = b;
            }
            packs.push(pack);
            counts[usize::from(kind - TITLE)] += 1;
        }
    }
    counts[usize::from(SIZE_INFO - TITLE)] = NUM_SIZE_INFO_PACKS;
    let num_packs = packs.len() + NUM_SIZE_INFO_PACKS;
    if num_packs > MAX_PACKS {
        return Err(format!(
            "the titles and performers need {num_packs} CD-TEXT packs; a block holds \
             {MAX_PACKS} (about 3000 characters): shorten them"
        ));
    }
    let mut info = [0u8; 3 * PAYLOAD_BYTES];
    info[0] = CHARSET_ISO_8859_1;
    info[1] = 1;
    info[2] = num_tracks as u8;
    // Each count is at most 256 − 3 (checked above).
    for (slot, &count) in info[4..20].iter_mut().zip(&counts) {
        *slot = count as u8;
    }
    info[20] = (num_packs - 1) as u8;
    info[28] = LANGUAGE_ENGLISH;
    for (i, chunk) in info.chunks(PAYLOAD_BYTES).enumerate() {
        let mut pack = [0u8; PACK_BYTES];
        pack[0] = SIZE_INFO;
        pack[1] = i as u8;
        pack[4..16].copy_from_slice(chunk);
        packs.push(pack);
    }
    let mut out = Vec::with_capacity(num_packs * PACK_BYTES);
    for (sequence, mut pack) in packs.into_iter().enumerate() {
        pack[2] = sequence as u8;
        let crc = !crc16_ccitt(&pack[..16]);
        pack[16..].copy_from_slice(&crc.to_be_bytes());
        out.extend_from_slice(&pack);
    }
    Ok(Some(out))
}

/// CRC-16/CCITT as CD subcode uses it: polynomial 0x1021, initial value 0, no reflection
/// (the packs store it inverted).
fn crc16_ccitt(bytes: &[u8]) -> u16 {
    let mut crc = 0u16;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Parses and checks the packs of `bytes` for a disc of `num_tracks` tracks: length, every
/// CRC, the sequence numbers, the header of every text pack against the position of its text,
/// the size information against the packs; an error names the pack.
pub fn decode(bytes: &[u8], num_tracks: usize) -> Result<CdText, String> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(PACK_BYTES) {
        return Err(format!(
            "{} bytes is not a whole number of {PACK_BYTES}-byte packs",
            bytes.len()
        ));
    }
    let packs: Vec<&[u8]> = bytes.chunks(PACK_BYTES).collect();
    if packs.len() > MAX_PACKS {
        return Err(format!("{} packs: a block holds {MAX_PACKS}", packs.len()));
    }
    let mut counts = [0usize; 16];
    let mut streams: Vec<(u8, Vec<&[u8]>)> = Vec::new();
    for (i, pack) in packs.iter().enumerate() {
        let stored = u16::from_be_bytes([pack[16], pack[17]]);
        let computed = !crc16_ccitt(&pack[..16]);
        if stored != computed {
            return Err(format!(
                "pack {i}: CRC 0x{stored:04X} does not match its bytes (0x{computed:04X})"
            ));
        }
        let kind = pack[0];
        if !(TITLE..=SIZE_INFO).contains(&kind) {
            return Err(format!(
                "pack {i}: type 0x{kind:02X} is not a CD-TEXT pack type"
            ));
        }
        if usize::from(pack[2]) != i {
            return Err(format!("pack {i}: sequence number {}", pack[2]));
        }
        if pack[3] & 0x80 != 0 {
            return Err(format!(
                "pack {i}: double-byte characters; this reader decodes ISO 8859-1 only"
            ));
        }
        if pack[3] & 0x70 != 0 {
            return Err(format!(
                "pack {i}: block {}; this reader reads block 0 (one language) only",
                (pack[3] >> 4) & 7
            ));
        }
        match streams.last_mut() {
            Some((last, stream)) if *last == kind => stream.push(pack),
            Some((last, _)) if *last > kind => {
                return Err(format!(
                    "pack {i}: type 0x{kind:02X} after type 0x{last:02X} (types ascend)"
                ))
            }
            _ => streams.push((kind, vec![pack])),
        }
        counts[usize::from(kind - TITLE)] += 1;
    }
    let Some((SIZE_INFO, info_packs)) = streams.last() else {
        return Err("no size information (0x8F) packs at the end".to_owned());
    };
    check_size_info(info_packs, &counts, packs.len(), num_tracks)?;
    let mut text = CdText {
        track_titles: vec![None; num_tracks],
        track_performers: vec![None; num_tracks],
        ..CdText::default()
    };
    for (kind, stream) in &streams {
        if !matches!(*kind, TITLE..=0x85) {
            continue;
        }
        let strings = decode_strings(*kind, stream, num_tracks)?;
        let (album, tracks) = match *kind {
            TITLE => (&mut text.album_title, &mut text.track_titles),
            PERFORMER => (&mut text.album_performer, &mut text.track_performers),
            // Songwriter, composer, arranger, message: checked, not kept.
            _ => continue,
        };
        let mut strings = strings.into_iter();
        *album = strings.next().flatten();
        for (slot, string) in tracks.iter_mut().zip(strings) {
            *slot = string;
        }
    }
    Ok(text)
}

/// Checks the three size-information packs against what the packs hold.
fn check_size_info(
    info_packs: &[&[u8]],
    counts: &[usize; 16],
    num_packs: usize,
    num_tracks: usize,
) -> Result<(), String> {
    if info_packs.len() != NUM_SIZE_INFO_PACKS {
        return Err(format!(
            "{} size information packs, not {NUM_SIZE_INFO_PACKS}",
            info_packs.len()
        ));
    }
    let mut info = Vec::with_capacity(3 * PAYLOAD_BYTES);
    for (i, pack) in info_packs.iter().enumerate() {
        if usize::from(pack[1]) != i {
            return Err(format!("size information pack {i} is numbered {}", pack[1]));
        }
        info.extend_from_slice(&pack[4..16]);
    }
    if info[0] != CHARSET_ISO_8859_1 {
        return Err(format!(
            "character set 0x{:02X}; this reader decodes ISO 8859-1 (0x00) only",
            info[0]
        ));
    }
    if usize::from(info[1]) != 1 || usize::from(info[2]) != num_tracks {
        return Err(format!(
            "size information gives tracks {} to {}, the disc has 1 to {num_tracks}",
            info[1], info[2]
        ));
    }
    for (i, (&given, &actual)) in info[4..20].iter().zip(counts).enumerate() {
        if usize::from(given) != actual {
            return Err(format!(
                "size information gives {given} packs of type 0x{:02X}, there are {actual}",
                0x80 + i
            ));
        }
    }
    if usize::from(info[20]) != num_packs - 1 || info[21..28].iter().any(|&b| b != 0) {
        return Err(format!(
            "size information gives last sequence number {} for block 0, the last pack is \
             {} (and no other block)",
            info[20],
            num_packs - 1
        ));
    }
    Ok(())
}

/// The album's and every track's string of one text type, checking every pack header.
fn decode_strings(
    kind: u8,
    stream: &[&[u8]],
    num_tracks: usize,
) -> Result<Vec<Option<String>>, String> {
    let name = type_name(kind);
    let mut strings: Vec<Vec<u8>> = vec![Vec::new()];
    let mut padding = false;
    for (p, pack) in stream.iter().enumerate() {
        let (track, pos) = (strings.len() - 1, strings.last().map_or(0, Vec::len));
        if padding {
            return Err(format!("{name} pack {p}: text after the last string"));
        }
        if usize::from(pack[1]) != track || usize::from(pack[3] & 0x0F) != pos.min(15) {
            return Err(format!(
                "{name} pack {p}: header says track {} character {}, its text is {} \
                 character {}",
                pack[1],
                pack[3] & 0x0F,
                owner(track),
                pos
            ));
        }
        for &b in &pack[4..16] {
            if padding {
                if b != 0 {
                    return Err(format!("{name} pack {p}: text after the last string"));
                }
            } else if b == 0 {
                if strings.len() == num_tracks + 1 {
                    padding = true;
                } else {
                    strings.push(Vec::new());
                }
            } else if let Some(current) = strings.last_mut() {
                current.push(b);
            }
        }
    }
    if !padding {
        return Err(format!(
            "{name}: {} strings, the disc needs {} (album and {num_tracks} tracks)",
            strings.len() - usize::from(strings.last().is_some_and(Vec::is_empty)),
            num_tracks + 1
        ));
    }
    let mut out: Vec<Option<String>> = Vec::with_capacity(strings.len());
    for (track, bytes) in strings.iter().enumerate() {
        // A lone TAB stands for the previous track's string.
        let string = if bytes.as_slice() == b"\t" && track > 1 {
            out[track - 1].clone()
        } else if let Some(&bad) = bytes
            .iter()
            .find(|&&b| b < 0x20 || (0x7F..0xA0).contains(&b))
        {
            return Err(format!("{} {name}: control byte 0x{bad:02X}", owner(track)));
        } else {
            // ISO 8859-1 maps byte b to U+00b.
            Some(bytes.iter().map(|&b| char::from(b)).collect::<String>())
        };
        out.push(string.filter(|s| !s.is_empty()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cd::CdTrack;

    fn layout(titles: &[&str], performer: &str) -> CdLayout {
        CdLayout {
            title: Some("Disc".to_owned()),
            performer: Some(performer.to_owned()),
            upc: None,
            tracks: titles
                .iter()
                .enumerate()
                .map(|(i, t)| CdTrack {
                    title: Some((*t).to_owned()),
                    performer: Some(performer.to_owned()),
                    isrc: None,
                    index0_frame: i as u32 * 1000,
                    index1_frame: i as u32 * 1000 + 150,
                    loudness: None,
                })
                .collect(),
            total_frames: titles.len() as u32 * 1000,
        }
    }

    /// Packs cue2ddp 1.1 wrote for album "Disc" by "Artist" with tracks "Track One", "Track
    /// Two", "Track Three" by "Artist" (published as a golden file of an independent DDP
    /// writer's interoperability test, decoded here to hex).
    const CUE2DDP_PACKS: &str = "\
        800000004469736300547261636b204f4804\
        800101076e6500547261636b2054776f55c9\
        8002020900547261636b205468726565e66f\
        8003030b0000000000000000000000005df7\
        81000400417274697374004172746973fd22\
        810105057400417274697374004172748c25\
        8103060369737400000000000000000062ac\
        8f00070000010300040300000000000040fb\
        8f010800000000000000000309000000d6a6\
        8f0209000000000009000000000000000a4e";

    fn hex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
            .collect()
    }

    #[test]
    fn encoder_matches_cue2ddp_byte_for_byte() {
        let layout = layout(&["Track One", "Track Two", "Track Three"], "Artist");
        let packs = encode(&layout).unwrap().unwrap();
        assert_eq!(packs, hex(CUE2DDP_PACKS));
        let text = decode(&packs, 3).unwrap();
        assert_eq!(text, CdText::of(&layout));
    }

    #[test]
    fn latin1_round_trips_and_other_characters_are_refused() {
        let mut layout = layout(&["Café Überall", "ñ ø ß ÿ", "Twelve chars"], "Zoë");
        layout.tracks[1].performer = None;
        let packs = encode(&layout).unwrap().unwrap();
        // 'é' is the single byte 0xE9 in the packs.
        assert!(packs.windows(4).any(|w| w == b"Caf\xe9"));
        assert_eq!(decode(&packs, 3).unwrap(), CdText::of(&layout));

        layout.tracks[2].title = Some("Ωmega".to_owned());
        let err = encode(&layout).unwrap_err();
        assert!(
            err.contains("track 3 title") && err.contains("U+03A9") && err.contains("8859-1"),
            "{err}"
        );
        layout.tracks[2].title = Some("tab\there".to_owned());
        assert!(encode(&layout).unwrap_err().contains("U+0009"));
    }

    #[test]
    fn no_text_gives_no_packs_and_too_much_text_is_refused() {
        let mut layout = layout(&["a"], "b");
        layout.title = None;
        layout.performer = None;
        layout.tracks[0].title = None;
        layout.tracks[0].performer = None;
        assert_eq!(encode(&layout).unwrap(), None);
        layout.tracks[0].title = Some("x".repeat(3100));
        assert!(encode(&layout).unwrap_err().contains("packs"));
    }

    #[test]
    fn corrupt_packs_are_named() {
        let packs = hex(CUE2DDP_PACKS);
        type Corruption = Box<dyn Fn(&mut Vec<u8>)>;
        let cases: Vec<(Corruption, &str)> = vec![
            (Box::new(|p| p[5] ^= 1), "pack 0: CRC"),
            (Box::new(|p| p.truncate(100)), "whole number"),
            (
                Box::new(|p| p.drain(18..36).for_each(drop)),
                "pack 1: sequence",
            ),
            (Box::new(|p| p.truncate(18 * 7)), "no size information"),
        ];
        for (corrupt, expected) in cases {
            let mut bytes = packs.clone();
            corrupt(&mut bytes);
            let err = decode(&bytes, 3).unwrap_err();
            assert!(err.contains(expected), "{expected}: {err}");
        }
        // A header that disagrees with its text (CRC fixed up so only the header is wrong).
        let mut bytes = packs.clone();
        bytes[18 + 3] = 5;
        let crc = !crc16_ccitt(&bytes[18..34]);
        bytes[34..36].copy_from_slice(&crc.to_be_bytes());
        assert!(decode(&bytes, 3)
            .unwrap_err()
            .contains("header says track 1 character 5"));
        // The wrong number of tracks for the disc.
        assert!(decode(&packs, 4).unwrap_err().contains("tracks 1 to 3"));
    }
}
