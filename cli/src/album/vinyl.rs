//! Vinyl pre-masters: one 24-bit WAV per side at the sessions' rate, the side's tracks in order
//! with their album gaps as silence (gapless and crossfaded tracks run on, when they follow
//! their album predecessor; no silence before the first: lead-in and run-out grooves are the
//! cutting engineer's), length checked for a 12" side at 33⅓ rpm,
//! and measured like `stemwise measure` measures a file.

use super::assemble::{wav_frames, write_image, Piece};
use super::file::{Side, Track, DEFAULT_GAP_S};
use super::songs::Song;
use crate::deliver::Format;
use crate::measure::{measure_file, Measurement};
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::Path;

/// Above this a 12" side at 33⅓ rpm loses level and low end (the grooves are packed
/// tighter), s: warned.
pub const SIDE_WARN_S: f64 = 18.0 * 60.0;
/// Above this a 12" side at 33⅓ rpm cannot be cut at a usable level, s: refused.
pub const SIDE_MAX_S: f64 = 24.0 * 60.0;

/// One side as written.
#[derive(Debug, Clone, Serialize)]
pub struct SideReport {
    /// Side name.
    pub name: String,
    /// Track numbers (1-based) in playing order.
    pub tracks: Vec<usize>,
    /// File name in the output folder.
    pub file: String,
    /// Length, s.
    pub duration_s: f64,
    /// The whole file measured (as `stemwise measure --json` reports it).
    pub measurement: Measurement,
}

/// File name of side `name`'s pre-master.
pub fn side_file_name(name: &str) -> String {
    format!("vinyl-side-{name}.wav")
}

/// The pieces of `side` from the vinyl WAVs of `songs` (the rendered `tracks`), with its rate;
/// refuses tracks at different rates and a side longer than
/// [`SIDE_MAX_S`], and adds a warning above [`SIDE_WARN_S`].
pub fn side_pieces<'a>(
    side: &Side,
    tracks: &[Track],
    songs: &'a [Song],
    warnings: &mut Vec<String>,
) -> Result<(u32, Vec<Piece<'a>>)> {
    let rate_of = |i: usize| songs[i].as_mastered.sample_rate_hz;
    let rate = rate_of(side.tracks[0]);
    let mut pieces = Vec::new();
    let mut num_frames = 0u64;
    for (k, &i) in side.tracks.iter().enumerate() {
        if rate_of(i) != rate {
            bail!(
                "side {}: track {} renders at {} Hz, track {} at {rate} Hz; a side is one file \
                 at one rate",
                side.name,
                i + 1,
                rate_of(i),
                side.tracks[0] + 1
            );
        }
        let Some(wav) = songs[i].vinyl_wav.as_deref() else {
            bail!(
                "side {}: track {} was not rendered for vinyl",
                side.name,
                i + 1
            );
        };
        let len = wav_frames(wav)?;
        let mut from = 0;
        if k > 0 {
            // Gaps and crossfades are to the album's previous track: a track that follows
            // another on the side gets the default gap.
            let follows = side.tracks[k - 1] + 1 == i;
            let track = &tracks[i];
            let gap_s = if follows {
                track.gap_before_s
            } else {
                track.gap_before_s.max(DEFAULT_GAP_S)
            };
            let gap = seconds_to_samples(gap_s, rate);
            if gap > 0 {
                pieces.push(Piece::Silence(gap));
                num_frames += gap;
            }
            let overlap = if follows {
                seconds_to_samples(track.crossfade_s, rate)
            } else {
                0
            };
            if overlap > 0 {
                let Some(&Piece::File {
                    path: previous,
                    from: previous_from,
                    to: previous_to,
                }) = pieces.last()
                else {
                    bail!(
                        "side {}: track {} has nothing to crossfade from",
                        side.name,
                        i + 1
                    );
                };
                if overlap > previous_to - previous_from || overlap > len {
                    bail!(
                        "side {}: the crossfade into track {} is longer than track {} or {}",
                        side.name,
                        i + 1,
                        i,
                        i + 1
                    );
                }
                pieces.pop();
                pieces.push(Piece::File {
                    path: previous,
                    from: previous_from,
                    to: previous_to - overlap,
                });
                pieces.push(Piece::Crossfade {
                    out: previous,
                    out_from: previous_to - overlap,
                    into: wav,
                    num_frames: overlap,
                });
                from = overlap;
            }
        }
        if from > len {
            bail!(
                "side {}: track {} is shorter than its crossfade",
                side.name,
                i + 1
            );
        }
        pieces.push(Piece::File {
            path: wav,
            from,
            to: len,
        });
        num_frames += len - from;
    }
    check_length(&side.name, num_frames as f64 / f64::from(rate), warnings)?;
    Ok((rate, pieces))
}

/// Refuses a side of `seconds` above [`SIDE_MAX_S`] and warns above [`SIDE_WARN_S`].
fn check_length(name: &str, seconds: f64, warnings: &mut Vec<String>) -> Result<()> {
    if seconds > SIDE_MAX_S {
        bail!(
            "side {name} is {} long: a 12\" side at 33⅓ rpm holds at most {} (move a track to \
             another side)",
            minutes(seconds),
            minutes(SIDE_MAX_S)
        );
    }
    if seconds > SIDE_WARN_S {
        warnings.push(format!(
            "side {name} is {} long: above {} per 12\" side at 33⅓ rpm the cut loses level and \
             low end",
            minutes(seconds),
            minutes(SIDE_WARN_S)
        ));
    }
    Ok(())
}

/// Writes `side` into `dir` and measures it.
pub fn write_side(
    dir: &Path,
    side: &Side,
    rate_hz: u32,
    pieces: &[Piece<'_>],
) -> Result<SideReport> {
    let file = side_file_name(&side.name);
    let path = dir.join(&file);
    let num_frames = write_image(&path, rate_hz, Format::Wav24, pieces)?;
    let mut measurement = measure_file(&path)?;
    measurement.file.clone_from(&file);
    Ok(SideReport {
        name: side.name.clone(),
        tracks: side.tracks.iter().map(|i| i + 1).collect(),
        file,
        duration_s: num_frames as f64 / f64::from(rate_hz),
        measurement,
    })
}

/// `seconds` in whole samples at `sample_rate_hz`, rounded to the nearest.
pub fn seconds_to_samples(seconds: f64, sample_rate_hz: u32) -> u64 {
    (seconds * f64::from(sample_rate_hz)).round() as u64
}

/// `seconds` as `m:ss`.
fn minutes(seconds: f64) -> String {
    let whole = seconds.round() as u64;
    format!("{}:{:02}", whole / 60, whole % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_are_warned_above_18_minutes_and_refused_above_24() {
        let mut warnings = Vec::new();
        check_length("A", 18.0 * 60.0, &mut warnings).unwrap();
        assert!(warnings.is_empty());
        check_length("A", 18.0 * 60.0 + 1.0, &mut warnings).unwrap();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("side A is 18:01 long"), "{warnings:?}");
        check_length("B", 24.0 * 60.0, &mut warnings).unwrap();
        let err = check_length("B", 24.0 * 60.0 + 0.6, &mut warnings)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("side B is 24:01 long") && err.contains("at most 24:00"),
            "{err}"
        );
    }
}
