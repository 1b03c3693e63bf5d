//! A Red Book audio CD as a mastering engineer delivers it: the track layout in CD frames
//! (1/75 s = 588 stereo samples at 44.1 kHz) with pre-gaps, ISRCs, UPC/EAN and CD-TEXT, over
//! one 16-bit/44.1 kHz stereo image. `album` builds it; the writers (DDP 2.00 image, cue sheet,
//! PQ sheet) and the DDP reader that verifies them read it.

pub mod codes;

pub use codes::{Isrc, Upc};

/// Sample rate of a CD, Hz.
pub const CD_SAMPLE_RATE_HZ: u32 = 44_100;
/// CD frames (sectors) per second.
pub const FRAMES_PER_SECOND: u32 = 75;
/// Stereo samples per CD frame (2352 bytes of 16-bit stereo audio).
pub const SAMPLES_PER_FRAME: u32 = 588;
/// Bytes of audio per CD frame.
pub const BYTES_PER_FRAME: u32 = 2352;

/// One track on the disc. Frame numbers count from the start of the audio image (frame 0 is
/// the first frame of track 1's pre-gap, i.e. disc time 00:00:00).
#[derive(Debug, Clone, PartialEq)]
pub struct CdTrack {
    /// Title (CD-TEXT), if given.
    pub title: Option<String>,
    /// Performer (CD-TEXT), if given.
    pub performer: Option<String>,
    /// ISRC, if given.
    pub isrc: Option<Isrc>,
    /// Index 0: first frame of the pre-gap (equals `index1_frame` without a pre-gap).
    pub index0_frame: u32,
    /// Index 1: the frame the track starts on.
    pub index1_frame: u32,
    /// Loudness of the track as mastered (for the PQ sheet), if measured.
    pub loudness: Option<TrackLoudness>,
}

/// A track's loudness figures as shown on the PQ sheet and in the album report.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TrackLoudness {
    /// Integrated loudness, LUFS.
    pub integrated_lufs: f32,
    /// Loudness range, LU.
    pub lra_lu: f32,
    /// True peak, dBTP.
    pub true_peak_dbtp: f32,
    /// Peak-to-loudness ratio (true peak − integrated), LU.
    pub plr_lu: f32,
}

/// The whole disc: album metadata and the tracks in order over `total_frames` of audio.
#[derive(Debug, Clone, PartialEq)]
pub struct CdLayout {
    /// Album title (CD-TEXT), if given.
    pub title: Option<String>,
    /// Album performer (CD-TEXT), if given.
    pub performer: Option<String>,
    /// UPC/EAN (the disc's media catalog number), if given.
    pub upc: Option<Upc>,
    /// Tracks in disc order (track numbers are positions + 1).
    pub tracks: Vec<CdTrack>,
    /// Length of the audio image, frames (the image holds `total_frames × 2352` bytes).
    pub total_frames: u32,
}

/// `frames` as the CD's `mm:ss:ff` (minutes, seconds, frames of 1/75 s).
pub fn msf(frames: u32) -> String {
    let ff = frames % FRAMES_PER_SECOND;
    let seconds = frames / FRAMES_PER_SECOND;
    format!("{:02}:{:02}:{:02}", seconds / 60, seconds % 60, ff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msf_counts_frames_seconds_minutes() {
        assert_eq!(msf(0), "00:00:00");
        assert_eq!(msf(150), "00:02:00");
        assert_eq!(msf(74), "00:00:74");
        assert_eq!(msf(79 * 60 * 75 + 57 * 75 + 74), "79:57:74");
    }
}
