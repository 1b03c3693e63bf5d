//! Where every track goes on the disc: pre-gaps of digital silence, every index on a CD frame
//! (588 samples), gapless tracks running straight on, the image padded to whole frames, and
//! the Red Book's limits. Pure arithmetic on sample counts: [`plan`] decides, the assembly
//! ([`super::assemble`]) writes what it decided.

use crate::cd::{msf, CD_SAMPLE_RATE_HZ, FRAMES_PER_SECOND, SAMPLES_PER_FRAME};
use anyhow::{bail, Result};

/// Shortest track, frames (Red Book: 4 s, not counting the pause before the next track).
pub const MIN_TRACK_FRAMES: u32 = 4 * FRAMES_PER_SECOND;
/// Shortest pre-gap of track 1, frames (Red Book: 2 s).
pub const MIN_FIRST_PREGAP_FRAMES: u32 = 2 * FRAMES_PER_SECOND;
/// Longest image, frames: 79:57:74, the Red Book's maximum programme time.
pub const MAX_TOTAL_FRAMES: u32 = (79 * 60 + 57) * FRAMES_PER_SECOND + 74;

/// A track as the layout sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackSpan {
    /// Length of the track's audio, samples at 44.1 kHz.
    pub num_samples: u64,
    /// Silence before it, s (0 = gapless after the previous track).
    pub gap_before_s: f64,
    /// Samples its start overlaps the previous track's end (a crossfade; 0 = none). Only
    /// for a gapless track.
    pub crossfade_samples: u64,
}

/// One piece of the image, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// Digital silence, samples.
    Silence(u64),
    /// Samples `from..to` of track `index`'s audio (0-based).
    Track {
        /// The track.
        index: usize,
        /// First sample.
        from: u64,
        /// Sample after the last.
        to: u64,
    },
    /// All of the hidden track (track 1's pre-gap audio), samples.
    Hidden(u64),
    /// The last `num_samples` of track `from_track` faded out while the first `num_samples` of
    /// the next track fade in.
    Crossfade {
        /// The track fading out (the next one fades in).
        from_track: usize,
        /// Length, samples.
        num_samples: u64,
    },
}

/// The disc as laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdPlan {
    /// Index 0 (start of the pre-gap) of each track, frames from the start of the image.
    pub index0_frames: Vec<u32>,
    /// Index 1 (start of the track) of each track, frames.
    pub index1_frames: Vec<u32>,
    /// First sample of each track's audio in the image.
    pub audio_start_samples: Vec<u64>,
    /// Length of the image, frames.
    pub total_frames: u32,
    /// The image, piece by piece (their lengths add up to `total_frames × 588` samples).
    pub segments: Vec<Segment>,
}

/// `seconds` in whole CD frames, rounded to the nearest.
pub fn seconds_to_frames(seconds: f64) -> u32 {
    (seconds * f64::from(FRAMES_PER_SECOND)).round() as u32
}

/// Lays out `tracks` (at least one). A track with a gap starts its pre-gap (index 0) on the
/// frame boundary at or after the end of the previous track's audio (the samples between are
/// silence), and its audio right after `gap` of silence rounded to whole frames: index 1 is
/// the frame its first sample opens. A gapless track's audio follows the previous track's
/// sample for sample (or overlaps its last `crossfade_samples`); its index 1 (and 0: no
/// pre-gap) is the frame that contains its first sample, so a player that jumps to the track
/// plays all of it (and at most 587 samples, 13 ms, of the previous one). The image ends on a
/// frame boundary (silence after the last track). `hidden_samples` of hidden audio (HTOA)
/// open the disc inside track 1's pre-gap, which then lasts at least as long (whole frames).
/// Errors name the track and the Red Book limit it breaks, or the crossfade that is longer
/// than its tracks.
pub fn plan(tracks: &[TrackSpan], hidden_samples: u64) -> Result<CdPlan> {
    let frame = u64::from(SAMPLES_PER_FRAME);
    if tracks.is_empty() {
        bail!("an album needs at least one track");
    }
    let mut plan = CdPlan {
        index0_frames: Vec::with_capacity(tracks.len()),
        index1_frames: Vec::with_capacity(tracks.len()),
        audio_start_samples: Vec::with_capacity(tracks.len()),
        total_frames: 0,
        segments: Vec::new(),
    };
    let mut pos = 0u64;
    let align = |pos: &mut u64, segments: &mut Vec<Segment>| {
        let aligned = pos.div_ceil(frame) * frame;
        if aligned > *pos {
            segments.push(Segment::Silence(aligned - *pos));
            *pos = aligned;
        }
    };
    for (i, track) in tracks.iter().enumerate() {
        let gap_frames = seconds_to_frames(track.gap_before_s);
        let overlap = track.crossfade_samples;
        if i == 0 || gap_frames > 0 {
            if overlap > 0 {
                bail!(
                    "track {}: a crossfade needs a gapless track after another",
                    i + 1
                );
            }
            align(&mut pos, &mut plan.segments);
            plan.index0_frames.push(frame_count(pos / frame)?);
            let mut gap_samples = u64::from(gap_frames) * frame;
            if i == 0 && hidden_samples > 0 {
                plan.segments.push(Segment::Hidden(hidden_samples));
                gap_samples = gap_samples.max(hidden_samples.div_ceil(frame) * frame);
                gap_samples -= hidden_samples;
                pos += hidden_samples;
            }
            if gap_samples > 0 {
                plan.segments.push(Segment::Silence(gap_samples));
                pos += gap_samples;
            }
            plan.index1_frames.push(frame_count(pos / frame)?);
        } else {
            if overlap > 0 {
                shorten_for_crossfade(&mut plan.segments, i, overlap, track.num_samples)?;
                pos -= overlap;
            }
            let index = frame_count(pos / frame)?;
            plan.index0_frames.push(index);
            plan.index1_frames.push(index);
        }
        plan.audio_start_samples.push(pos);
        plan.segments.push(Segment::Track {
            index: i,
            from: overlap,
            to: track.num_samples,
        });
        pos += track.num_samples;
    }
    align(&mut pos, &mut plan.segments);
    plan.total_frames = frame_count(pos / frame)?;
    check_red_book(&plan)?;
    Ok(plan)
}

/// Ends the previous track's last segment `overlap` samples early and puts the crossfade into
/// track `index` after it; errors if either track is shorter than what it must give.
fn shorten_for_crossfade(
    segments: &mut Vec<Segment>,
    index: usize,
    overlap: u64,
    num_samples: u64,
) -> Result<()> {
    let Some(Segment::Track { from, to, .. }) = segments.last_mut() else {
        bail!("track {}: a crossfade needs a track before it", index + 1);
    };
    if overlap > *to - *from || overlap > num_samples {
        bail!(
            "track {}: the crossfade ({:.2} s) is longer than track {} or {} (what is left of \
             them besides their other crossfade)",
            index + 1,
            overlap as f64 / f64::from(CD_SAMPLE_RATE_HZ),
            index,
            index + 1
        );
    }
    *to -= overlap;
    segments.push(Segment::Crossfade {
        from_track: index - 1,
        num_samples: overlap,
    });
    Ok(())
}

/// A frame number, or an error for an image far past a CD's length.
fn frame_count(frames: u64) -> Result<u32> {
    u32::try_from(frames).or_else(|_| bail!("{frames} frames: far longer than a CD"))
}

/// The Red Book limits: 1–99 tracks, a first pre-gap of at least 2 s, every track at least
/// 4 s (index 1 to the next track's index 0), the whole image at most 79:57:74.
fn check_red_book(plan: &CdPlan) -> Result<()> {
    let n = plan.index1_frames.len();
    if n > super::file::MAX_TRACKS {
        bail!(
            "{n} tracks: a CD holds at most {} (Red Book)",
            super::file::MAX_TRACKS
        );
    }
    if plan.index1_frames[0] < MIN_FIRST_PREGAP_FRAMES {
        bail!(
            "track 1 starts at {}: the Red Book requires a pre-gap of at least 2 s (00:02:00)",
            msf(plan.index1_frames[0])
        );
    }
    for i in 0..n {
        let end = plan
            .index0_frames
            .get(i + 1)
            .copied()
            .unwrap_or(plan.total_frames);
        let length = end - plan.index1_frames[i];
        if length < MIN_TRACK_FRAMES {
            bail!(
                "track {} is {} ({:.2} s) long: the Red Book's shortest track is 4 s (00:04:00)",
                i + 1,
                msf(length),
                f64::from(length) / f64::from(FRAMES_PER_SECOND)
            );
        }
    }
    if plan.total_frames > MAX_TOTAL_FRAMES {
        bail!(
            "the disc is {} long: a CD holds at most {} (Red Book)",
            msf(plan.total_frames),
            msf(MAX_TOTAL_FRAMES)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: u64 = SAMPLES_PER_FRAME as u64;

    fn span(num_samples: u64, gap_before_s: f64) -> TrackSpan {
        TrackSpan {
            num_samples,
            gap_before_s,
            crossfade_samples: 0,
        }
    }

    fn track(index: usize, from: u64, to: u64) -> Segment {
        Segment::Track { index, from, to }
    }

    fn total_samples(plan: &CdPlan) -> u64 {
        plan.segments
            .iter()
            .map(|s| match *s {
                Segment::Silence(n)
                | Segment::Hidden(n)
                | Segment::Crossfade { num_samples: n, .. } => n,
                Segment::Track { from, to, .. } => to - from,
            })
            .sum()
    }

    #[test]
    fn gaps_are_whole_frames_and_gapless_tracks_run_on() {
        // Track 1: 5 s + 100 samples; track 2 gapless after it; track 3 after 2 s.
        let tracks = [
            span(5 * 44_100 + 100, 2.0),
            span(6 * 44_100 + 7, 0.0),
            span(4 * 44_100 + 300, 2.0),
        ];
        let plan = plan(&tracks, 0).unwrap();
        assert_eq!(plan.index0_frames[0], 0);
        assert_eq!(plan.index1_frames[0], 150);
        assert_eq!(plan.audio_start_samples[0], 150 * F);
        // Track 2 starts at sample 150·588 + 220 600, inside frame 150 + 375 = 525.
        let start2 = 150 * F + 5 * 44_100 + 100;
        assert_eq!(plan.audio_start_samples[1], start2);
        assert_eq!(plan.index1_frames[1], (start2 / F) as u32);
        assert_eq!(plan.index1_frames[1], 525);
        assert_eq!(plan.index0_frames[1], plan.index1_frames[1]);
        // Track 3's pre-gap starts on the frame after track 2's last sample.
        let end2 = start2 + 6 * 44_100 + 7;
        assert_eq!(u64::from(plan.index0_frames[2]), end2.div_ceil(F));
        assert_eq!(plan.index1_frames[2], plan.index0_frames[2] + 150);
        let end3 = u64::from(plan.index1_frames[2]) * F + tracks[2].num_samples;
        assert_eq!(u64::from(plan.total_frames), end3.div_ceil(F));
        assert_eq!(total_samples(&plan), u64::from(plan.total_frames) * F);
        assert_eq!(
            plan.segments,
            vec![
                Segment::Silence(150 * F),
                track(0, 0, tracks[0].num_samples),
                track(1, 0, tracks[1].num_samples),
                Segment::Silence(end2.div_ceil(F) * F - end2),
                Segment::Silence(150 * F),
                track(2, 0, tracks[2].num_samples),
                Segment::Silence(end3.div_ceil(F) * F - end3),
            ]
        );
    }

    #[test]
    fn a_crossfade_overlaps_the_tracks_and_indexes_the_frame_it_starts_in() {
        let xf = 44_100; // 1 s
        let mut tracks = [span(6 * 44_100 + 10, 2.0), span(5 * 44_100, 0.0)];
        tracks[1].crossfade_samples = xf;
        let laid = plan(&tracks, 0).unwrap();
        let start2 = 150 * F + 6 * 44_100 + 10 - xf;
        assert_eq!(laid.audio_start_samples[1], start2);
        assert_eq!(u64::from(laid.index1_frames[1]), start2 / F);
        let end = start2 + 5 * 44_100;
        assert_eq!(u64::from(laid.total_frames), end.div_ceil(F));
        assert_eq!(
            laid.segments,
            vec![
                Segment::Silence(150 * F),
                track(0, 0, 5 * 44_100 + 10),
                Segment::Crossfade {
                    from_track: 0,
                    num_samples: xf
                },
                track(1, xf, 5 * 44_100),
                Segment::Silence(end.div_ceil(F) * F - end),
            ]
        );
        assert_eq!(total_samples(&laid), u64::from(laid.total_frames) * F);
        // Longer than the track it fades into: refused.
        tracks[1].crossfade_samples = 5 * 44_100 + 1;
        let err = plan(&tracks, 0).unwrap_err().to_string();
        assert!(
            err.contains("track 2: the crossfade (5.00 s) is longer"),
            "{err}"
        );
    }

    #[test]
    fn hidden_audio_opens_track_ones_pregap() {
        let tracks = [span(5 * 44_100, 2.0)];
        // 3 s + 10 samples of hidden audio: the pre-gap grows to 226 frames.
        let hidden = 3 * 44_100 + 10;
        let laid = plan(&tracks, hidden).unwrap();
        assert_eq!(laid.index0_frames[0], 0);
        assert_eq!(laid.index1_frames[0], 226);
        assert_eq!(
            laid.segments[..3],
            [
                Segment::Hidden(hidden),
                Segment::Silence(226 * F - hidden),
                track(0, 0, 5 * 44_100)
            ]
        );
        // Shorter than 2 s: the pre-gap stays 2 s, silence after the hidden audio.
        let laid = plan(&tracks, 44_100).unwrap();
        assert_eq!(laid.index1_frames[0], 150);
        assert_eq!(laid.segments[1], Segment::Silence(150 * F - 44_100));
        assert_eq!(total_samples(&laid), u64::from(laid.total_frames) * F);
    }

    #[test]
    fn red_book_limits_are_refused_by_name() {
        let err = plan(&[span(44_100 * 10, 1.0)], 0).unwrap_err().to_string();
        assert!(err.contains("pre-gap of at least 2 s"), "{err}");
        let err = plan(&[span(44_100 * 10, 2.0), span(44_100 * 3, 2.0)], 0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("track 2 is 00:03:00"), "{err}");
        // Exactly 4 s passes.
        plan(&[span(44_100 * 4, 2.0)], 0).unwrap();
        // A gapless track shorter than 4 s measured to the next index.
        let err = plan(
            &[
                span(44_100 * 10, 2.0),
                span(44_100 * 3, 0.0),
                span(44_100 * 10, 0.0),
            ],
            0,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("track 2"), "{err}");
        let too_long = u64::from(MAX_TOTAL_FRAMES) * F;
        let err = plan(&[span(too_long, 2.0)], 0).unwrap_err().to_string();
        assert!(err.contains("at most 79:57:74"), "{err}");
        // The longest disc that fits: 79:57:74 in all.
        let fits = u64::from(MAX_TOTAL_FRAMES - 150) * F;
        assert_eq!(
            plan(&[span(fits, 2.0)], 0).unwrap().total_frames,
            MAX_TOTAL_FRAMES
        );
    }
}
