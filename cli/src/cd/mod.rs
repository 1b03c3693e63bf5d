//! A Red Book audio CD as a mastering engineer delivers it: the track layout in CD frames
//! (1/75 s = 588 stereo samples at 44.1 kHz) with pre-gaps, ISRCs, UPC/EAN and CD-TEXT, over
//! one 16-bit/44.1 kHz stereo image. `album` builds it; the writers (DDP 2.00 image, cue sheet,
//! PQ sheet) and the DDP reader that verifies them read it.

pub mod cdtext;
pub mod codes;
pub mod cue;
pub mod ddp;
pub mod ddp_fields;
pub mod ddp_reader;
mod ddp_verify;
pub mod pq_sheet;

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

impl CdLayout {
    /// The frame track `index` (0-based) ends before: the next track's index 0, or the end of
    /// the image for the last track.
    pub fn track_end_frame(&self, index: usize) -> u32 {
        self.tracks
            .get(index + 1)
            .map_or(self.total_frames, |next| next.index0_frame)
    }

    /// Length of track `index` (0-based) from its index 1 to its end, frames (the pre-gap of
    /// the next track not included).
    pub fn track_length_frames(&self, index: usize) -> u32 {
        self.track_end_frame(index)
            .saturating_sub(self.tracks[index].index1_frame)
    }

    /// Checks that the frame numbers describe one disc: 1 to 99 tracks, track 1's pre-gap
    /// starting at frame 0, every index 0 ≤ its index 1, every track at least one frame long
    /// and starting where the previous one ended, the last ending inside the image, and the
    /// image no longer than 99:59:74 (what a `mm:ss:ff` address can hold). The Red Book's
    /// stricter rules (2 s first pre-gap, 4 s tracks, 79:57 total) are the album layer's.
    pub fn check_frames(&self) -> Result<(), String> {
        let num_tracks = self.tracks.len();
        if !(1..=99).contains(&num_tracks) {
            return Err(format!("a CD holds 1 to 99 tracks, not {num_tracks}"));
        }
        if self.tracks[0].index0_frame != 0 {
            return Err(format!(
                "track 1's pre-gap must start the image (frame 0), not at {}",
                msf(self.tracks[0].index0_frame)
            ));
        }
        for (i, track) in self.tracks.iter().enumerate() {
            let number = i + 1;
            if track.index1_frame < track.index0_frame {
                return Err(format!(
                    "track {number}: index 1 at {} is before its index 0 at {}",
                    msf(track.index1_frame),
                    msf(track.index0_frame)
                ));
            }
            let end_frame = self.track_end_frame(i);
            if track.index1_frame >= end_frame {
                return Err(format!(
                    "track {number}: starts at {} but ends at {} (the next track's index 0 \
                     or the end of the image)",
                    msf(track.index1_frame),
                    msf(end_frame)
                ));
            }
        }
        if self.total_frames > MAX_ADDRESS_FRAMES {
            return Err(format!(
                "the image is {} long; a CD address ends at {}",
                msf(self.total_frames),
                msf(MAX_ADDRESS_FRAMES)
            ));
        }
        Ok(())
    }
}

/// The last address `mm:ss:ff` can hold, 99:59:74, frames.
pub const MAX_ADDRESS_FRAMES: u32 = (99 * 60 + 59) * FRAMES_PER_SECOND + 74;

/// `frames` as the CD's `mm:ss:ff` (minutes, seconds, frames of 1/75 s).
pub fn msf(frames: u32) -> String {
    let ff = frames % FRAMES_PER_SECOND;
    let seconds = frames / FRAMES_PER_SECOND;
    format!("{:02}:{:02}:{:02}", seconds / 60, seconds % 60, ff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(index0_frame: u32, index1_frame: u32) -> CdTrack {
        CdTrack {
            title: None,
            performer: None,
            isrc: None,
            index0_frame,
            index1_frame,
            loudness: None,
        }
    }

    #[test]
    fn frame_checks_name_the_track() {
        let mut layout = CdLayout {
            title: None,
            performer: None,
            upc: None,
            tracks: vec![track(0, 150), track(600, 600), track(900, 1050)],
            total_frames: 1500,
        };
        assert_eq!(layout.check_frames(), Ok(()));
        assert_eq!(layout.track_length_frames(0), 450);
        assert_eq!(layout.track_length_frames(1), 300);
        assert_eq!(layout.track_end_frame(2), 1500);
        type Breakage = fn(&mut CdLayout);
        let cases: [(Breakage, &str); 5] = [
            (
                |l| l.tracks[0].index0_frame = 10,
                "track 1's pre-gap must start",
            ),
            (
                |l| l.tracks[1].index1_frame = 590,
                "track 2: index 1 at 00:07:65",
            ),
            (
                |l| l.tracks[2].index0_frame = 600,
                "track 2: starts at 00:08:00 but ends",
            ),
            (
                |l| l.total_frames = 1050,
                "track 3: starts at 00:14:00 but ends at 00:14:00",
            ),
            (|l| l.tracks.clear(), "1 to 99 tracks, not 0"),
        ];
        for (break_it, expected) in cases {
            let mut broken = layout.clone();
            break_it(&mut broken);
            let err = broken.check_frames().unwrap_err();
            assert!(err.contains(expected), "{expected}: {err}");
        }
        layout.tracks = (0..100).map(|i| track(i * 300, i * 300 + 150)).collect();
        layout.total_frames = 30_000;
        assert!(layout.check_frames().unwrap_err().contains("not 100"));
        layout.tracks.truncate(1);
        layout.total_frames = MAX_ADDRESS_FRAMES + 1;
        assert!(layout
            .check_frames()
            .unwrap_err()
            .contains("ends at 99:59:74"));
    }

    #[test]
    fn msf_counts_frames_seconds_minutes() {
        assert_eq!(msf(0), "00:00:00");
        assert_eq!(msf(150), "00:02:00");
        assert_eq!(msf(74), "00:00:74");
        assert_eq!(msf(79 * 60 * 75 + 57 * 75 + 74), "79:57:74");
    }
}
