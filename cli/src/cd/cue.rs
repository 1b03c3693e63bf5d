//! The cue sheet of the CD image as one WAV file (CDRWin syntax, for duplicators and burning
//! software that take no DDP). Times are `mm:ss:ff` from the start of the WAV, which is the
//! start of the disc (track 1's pre-gap), so they equal the PQ descriptor's absolute times.
//!
//! Text is written as UTF-8. The format has no escape mechanism that parsers agree on
//! (cuetools accepts `\"` but keeps the backslash; CDRWin-style parsers read to the last
//! quote on the line), so quoted strings are made safe instead: `"` becomes `'`, `\` becomes
//! `/`, and control characters (line breaks, tabs) become spaces.

use super::{msf, CdLayout};
use std::fmt::Write;

/// `text` as a quoted cue sheet string (see the module documentation).
fn quoted(text: &str) -> String {
    let safe: String = text
        .chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("\"{safe}\"")
}

/// The cue sheet of `layout` over the WAV file named `wav_file_name` (a name relative to the
/// cue sheet's folder): `CATALOG` (UPC/EAN), album `TITLE`/`PERFORMER`, `FILE … WAVE`, and per
/// track `TRACK nn AUDIO`, `TITLE`, `PERFORMER`, `ISRC`, `INDEX 00` (when the track has a
/// pre-gap) and `INDEX 01`.
pub fn cue_sheet(layout: &CdLayout, wav_file_name: &str) -> String {
    let mut out = String::new();
    // `write!` into a String cannot fail.
    let mut line = |text: String| {
        let _ = writeln!(out, "{text}");
    };
    if let Some(upc) = &layout.upc {
        line(format!("CATALOG {}", upc.ean13()));
    }
    if let Some(performer) = &layout.performer {
        line(format!("PERFORMER {}", quoted(performer)));
    }
    if let Some(title) = &layout.title {
        line(format!("TITLE {}", quoted(title)));
    }
    line(format!("FILE {} WAVE", quoted(wav_file_name)));
    for (i, track) in layout.tracks.iter().enumerate() {
        line(format!("  TRACK {:02} AUDIO", i + 1));
        if let Some(title) = &track.title {
            line(format!("    TITLE {}", quoted(title)));
        }
        if let Some(performer) = &track.performer {
            line(format!("    PERFORMER {}", quoted(performer)));
        }
        if let Some(isrc) = &track.isrc {
            line(format!("    ISRC {}", isrc.bare()));
        }
        if track.index0_frame < track.index1_frame {
            line(format!("    INDEX 00 {}", msf(track.index0_frame)));
        }
        line(format!("    INDEX 01 {}", msf(track.index1_frame)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cd::{CdTrack, Isrc, Upc};

    #[test]
    fn lines_of_a_two_track_sheet() {
        let track = |index0_frame, index1_frame, title: &str| CdTrack {
            title: Some(title.to_owned()),
            performer: None,
            isrc: Some(Isrc::parse("US-RC1-76-07839").unwrap()),
            index0_frame,
            index1_frame,
            loudness: None,
        };
        let layout = CdLayout {
            title: Some("A \"quoted\" \\ title\nwith a break".to_owned()),
            performer: Some("Zoë".to_owned()),
            upc: Some(Upc::parse("036000291452").unwrap()),
            tracks: vec![track(0, 150, "One"), track(900, 900, "Two")],
            total_frames: 2000,
        };
        let sheet = cue_sheet(&layout, "album \"cd\".wav");
        let expected = "CATALOG 0036000291452\n\
            PERFORMER \"Zoë\"\n\
            TITLE \"A 'quoted' / title with a break\"\n\
            FILE \"album 'cd'.wav\" WAVE\n  \
            TRACK 01 AUDIO\n    TITLE \"One\"\n    ISRC USRC17607839\n    \
            INDEX 00 00:00:00\n    INDEX 01 00:02:00\n  \
            TRACK 02 AUDIO\n    TITLE \"Two\"\n    ISRC USRC17607839\n    \
            INDEX 01 00:12:00\n";
        assert_eq!(sheet, expected);
    }
}
