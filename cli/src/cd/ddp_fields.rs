//! The fixed-width ASCII records of a DDP 2.00 fileset (`DDPID`, the `DDPMS` map packets and
//! the PQ descriptor packets): one table of field offsets and widths that the writer
//! ([`super::ddp`]) fills and the reader ([`super::ddp_reader`]) checks.
//!
//! DCA's specification is licensed, not public; the layout here is the one public readers and
//! writers agree on, cross-checked field by field:
//! - ddpLib (Suntrip Records, Java, reads DDP 1.01/2.00 masters from Wavelab, Sonoris, …):
//!   <https://github.com/suntriprecords/ddpLib>, `ddp/common/AbstractDdpIdLoader.java`,
//!   `ddp/v20/DdpIdLoader.java`, `ddp/common/AbstractMapPacketLoader.java`,
//!   `ddp/v20/MapPacketLoader.java`, `ddp/common/AbstractPqDescriptorLoader.java`;
//! - the manual pages of Andreas Ruge's ddptools (`cue2ddp`, `ddpinfo`),
//!   <http://ddp.andreasruge.de/>, and a public black-box study of their output that also
//!   compares Sonoris DDP Creator and HOFA CD-Burn.DDP.Master filesets (field widths from
//!   `ddpinfo -e`, values from byte diffs).
//!
//! Text fields are left-aligned and padded with spaces; number fields are decimal,
//! right-aligned (this writer pads them with zeros, as Sonoris and HOFA do; readers must also
//! accept spaces, as cue2ddp writes); a field that is not set is all spaces.

use std::ops::Range;

/// One field of a record: its name in the specification, offset and width in bytes.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Name as the specification and `ddpinfo -e` show it.
    pub name: &'static str,
    /// Offset in the record, bytes.
    pub offset: usize,
    /// Width, bytes.
    pub width: usize,
}

impl Field {
    const fn new(name: &'static str, offset: usize, width: usize) -> Self {
        Self {
            name,
            offset,
            width,
        }
    }

    /// The bytes of the record the field covers.
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.width
    }
}

/// Bytes of the `DDPID` record.
pub const ID_BYTES: usize = 128;
/// `DDPID` fields.
pub mod id {
    use super::Field;
    /// DDP level, `DDP 2.00`.
    pub const LEVEL: Field = Field::new("DDPID", 0, 8);
    /// UPC/EAN of the disc (the media catalog number).
    pub const UPC: Field = Field::new("UPC", 8, 13);
    /// Map stream start (blank on file-based masters).
    pub const MSS: Field = Field::new("MSS", 21, 8);
    /// Reserved (blank).
    pub const MSL: Field = Field::new("MSL", 29, 8);
    /// Media number (blank: one input medium).
    pub const MED: Field = Field::new("MED", 37, 1);
    /// Master identifier, free text that does not reach the disc.
    pub const MID: Field = Field::new("MID", 38, 48);
    /// Book specifier (blank: Red Book).
    pub const BK: Field = Field::new("BK", 86, 1);
    /// Disc type, `CD`.
    pub const TYPE: Field = Field::new("TYPE", 87, 2);
    /// Number of sides, current side, number of layers, current layer (DVD only: blank).
    pub const DVD_ONLY: Field = Field::new("NSIDE/SIDE/NLAYER/LAYER", 89, 4);
    /// User text and its length (free text; ddptools read the length at 93, Sonoris and
    /// HOFA write it at 94: the reader accepts any printable text here).
    pub const USER_TEXT: Field = Field::new("SIZ/TXT", 93, 35);
}

/// Bytes of a `DDPMS` map packet.
pub const MAP_PACKET_BYTES: usize = 128;
/// `DDPMS` map packet fields.
pub mod map {
    use super::Field;
    /// Packet marker, `VVVM`.
    pub const MPV: Field = Field::new("MPV", 0, 4);
    /// Data stream type: `D0` main data, `S0` subcode.
    pub const DST: Field = Field::new("DST", 4, 2);
    /// Data stream pointer (blank).
    pub const DSP: Field = Field::new("DSP", 6, 8);
    /// Data stream length: sectors for `D0`, bytes for `S0`.
    pub const DSL: Field = Field::new("DSL", 14, 8);
    /// Data stream start sector (0 or blank for the audio).
    pub const DSS: Field = Field::new("DSS", 22, 8);
    /// Subcode descriptor of an `S0`: `PQ DESCR` or `CDTEXT`.
    pub const SUB: Field = Field::new("SUB", 30, 8);
    /// CD mode of a `D0`: `DA` for audio.
    pub const CDM: Field = Field::new("CDM", 38, 2);
    /// Source storage mode of a `D0`: `7`, complete 2352-byte sectors.
    pub const SSM: Field = Field::new("SSM", 40, 1);
    /// Source material scrambled (`0`; cue2ddp writes `1`).
    pub const SCR: Field = Field::new("SCR", 41, 1);
    /// Pre-gap part 1 (blank).
    pub const PRE1: Field = Field::new("PRE1", 42, 4);
    /// Pre-gap part 2: sectors of track 1's pre-gap at the start of the audio stream.
    pub const PRE2: Field = Field::new("PRE2", 46, 4);
    /// Post-gap (blank).
    pub const PST: Field = Field::new("PST", 50, 4);
    /// Media number (blank).
    pub const MED: Field = Field::new("MED", 54, 1);
    /// Track number: `00` on the CD-TEXT packet, otherwise blank.
    pub const TRK: Field = Field::new("TRK", 55, 2);
    /// Index number (blank).
    pub const IDX: Field = Field::new("IDX", 57, 2);
    /// ISRC (blank: the PQ descriptor carries the ISRCs).
    pub const ISRC: Field = Field::new("ISRC", 59, 12);
    /// Width of the data stream identifier, `017`.
    pub const SIZ: Field = Field::new("SIZ", 71, 3);
    /// Data stream identifier: the stream's file name.
    pub const DSI: Field = Field::new("DSI", 74, 17);
    /// New session (blank).
    pub const NEW: Field = Field::new("NEW", 91, 1);
    /// Pre-gap part 1 of the next track (blank).
    pub const PRE1NXT: Field = Field::new("PRE1NXT", 92, 4);
    /// Blocks of pause to add (blank).
    pub const PAUSEADD: Field = Field::new("PAUSEADD", 96, 8);
    /// Starting file offset (blank).
    pub const OFS: Field = Field::new("OFS", 104, 9);
    /// Padding (blank).
    pub const PAD: Field = Field::new("PAD", 113, 15);
    /// The fields that are blank in an audio master and that this reader requires blank or
    /// zero (a value would change where the audio is, which an audio master never does).
    pub const UNUSED_NUMBERS: [Field; 6] = [DSP, PRE1, PST, PRE1NXT, PAUSEADD, OFS];
}

/// Bytes of a PQ descriptor packet.
pub const PQ_PACKET_BYTES: usize = 64;
/// PQ descriptor packet fields.
pub mod pq {
    use super::Field;
    /// Packet marker, `VVVS`.
    pub const SPV: Field = Field::new("SPV", 0, 4);
    /// Track: `00` lead-in, `01`–`99`, `AA` lead-out.
    pub const TRK: Field = Field::new("TRK", 4, 2);
    /// Index: `00`–`99` (`01` for the lead-out).
    pub const IDX: Field = Field::new("IDX", 6, 2);
    /// Hours of the absolute time (reserved: blank).
    pub const HRS: Field = Field::new("HRS", 8, 2);
    /// Minutes of the absolute time.
    pub const MIN: Field = Field::new("MIN", 10, 2);
    /// Seconds of the absolute time.
    pub const SEC: Field = Field::new("SEC", 12, 2);
    /// Frames of the absolute time.
    pub const FRM: Field = Field::new("FRM", 14, 2);
    /// Control nibble (hex: 1 pre-emphasis, 2 copy permitted, 8 four channels) and `1`
    /// (ADR mode 1) or `S` (SCMS).
    pub const C1: Field = Field::new("C1", 16, 2);
    /// Reserved (blank).
    pub const C2: Field = Field::new("C2", 18, 2);
    /// ISRC, on the track's first packet.
    pub const ISRC: Field = Field::new("ISRC", 20, 12);
    /// UPC/EAN, on the lead-in packet.
    pub const UPC: Field = Field::new("UPC", 32, 13);
    /// Comment that does not reach the disc.
    pub const TXT: Field = Field::new("TXT", 45, 19);
}

/// A record being written: starts all spaces, fields are set one by one.
pub struct Record(Vec<u8>);

impl Record {
    /// A record of `len` spaces.
    pub fn blank(len: usize) -> Self {
        Self(vec![b' '; len])
    }

    /// Sets a text field, left-aligned.
    ///
    /// # Panics
    /// If `text` is not printable ASCII or longer than the field: the writer validates its
    /// input before it builds records, so this is a bug.
    pub fn text(&mut self, field: &Field, text: &str) -> &mut Self {
        assert!(
            text.len() <= field.width && text.bytes().all(|b| (0x20..0x7f).contains(&b)),
            "{}: {text:?} does not fit {} bytes of ASCII",
            field.name,
            field.width
        );
        self.0[field.offset..field.offset + text.len()].copy_from_slice(text.as_bytes());
        self
    }

    /// Sets a number field, right-aligned and padded with zeros.
    ///
    /// # Panics
    /// If `value` has more digits than the field (a bug, as for [`Self::text`]).
    pub fn number(&mut self, field: &Field, value: u64) -> &mut Self {
        let text = format!("{value:0width$}", width = field.width);
        self.text(field, &text)
    }

    /// The finished record.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// The text of `field` in `record` without its trailing spaces; an error names the field when
/// it holds anything but printable ASCII.
pub fn text<'a>(record: &'a [u8], field: &Field) -> Result<&'a str, String> {
    let bytes = &record[field.range()];
    if let Some(&bad) = bytes.iter().find(|b| !(0x20..0x7f).contains(*b)) {
        return Err(format!(
            "field {} (bytes {}..{}) holds byte 0x{bad:02X}, not printable ASCII",
            field.name,
            field.offset,
            field.offset + field.width
        ));
    }
    // Printable ASCII is UTF-8.
    Ok(std::str::from_utf8(bytes).unwrap_or_default().trim_end())
}

/// The number in `field`: `None` when blank, otherwise decimal digits right-aligned with
/// leading spaces or zeros; an error names the field and what it holds.
pub fn number(record: &[u8], field: &Field) -> Result<Option<u64>, String> {
    let raw = text(record, field)?;
    let digits = raw.trim_start();
    if digits.is_empty() {
        return Ok(None);
    }
    if raw.len() != field.width || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "field {} (bytes {}..{}) holds {:?}, not a right-aligned decimal number",
            field.name,
            field.offset,
            field.offset + field.width,
            std::str::from_utf8(&record[field.range()]).unwrap_or_default()
        ));
    }
    Ok(digits.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fields of a record follow each other without gap or overlap and fill it.
    fn assert_tiles(fields: &[Field], len: usize) {
        let mut end = 0;
        for field in fields {
            assert_eq!(
                field.offset, end,
                "{} starts at {}",
                field.name, field.offset
            );
            end = field.offset + field.width;
        }
        assert_eq!(end, len);
    }

    #[test]
    fn field_tables_tile_their_records() {
        {
            use id::*;
            assert_tiles(
                &[
                    LEVEL, UPC, MSS, MSL, MED, MID, BK, TYPE, DVD_ONLY, USER_TEXT,
                ],
                ID_BYTES,
            );
        }
        {
            use map::*;
            assert_tiles(
                &[
                    MPV, DST, DSP, DSL, DSS, SUB, CDM, SSM, SCR, PRE1, PRE2, PST, MED, TRK, IDX,
                    ISRC, SIZ, DSI, NEW, PRE1NXT, PAUSEADD, OFS, PAD,
                ],
                MAP_PACKET_BYTES,
            );
        }
        use pq::*;
        assert_tiles(
            &[SPV, TRK, IDX, HRS, MIN, SEC, FRM, C1, C2, ISRC, UPC, TXT],
            PQ_PACKET_BYTES,
        );
    }

    #[test]
    fn numbers_read_with_zeros_or_spaces_and_refuse_anything_else() {
        let field = map::DSL;
        let mut record = Record::blank(MAP_PACKET_BYTES);
        record.number(&field, 1650);
        let bytes = record.into_bytes();
        assert_eq!(&bytes[field.range()], b"00001650");
        assert_eq!(number(&bytes, &field), Ok(Some(1650)));
        let mut spaced = bytes.clone();
        spaced[field.range()].copy_from_slice(b"    1650");
        assert_eq!(number(&spaced, &field), Ok(Some(1650)));
        spaced[field.range()].copy_from_slice(b"        ");
        assert_eq!(number(&spaced, &field), Ok(None));
        for bad in [b"1650    ", b"  16 50 ", b"  -1650 ", b"0000165x"] {
            spaced[field.range()].copy_from_slice(bad);
            let err = number(&spaced, &field).unwrap_err();
            assert!(err.contains("DSL (bytes 14..22)"), "{err}");
        }
        spaced[20] = 0;
        assert!(text(&spaced, &field).unwrap_err().contains("byte 0x00"));
    }
}
