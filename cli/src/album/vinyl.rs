//! Vinyl pre-masters: one 24-bit WAV per side at the sessions' rate, the side's tracks in order
//! with their album gaps as silence (gapless tracks run on; no silence before the first: lead-in
//! and run-out grooves are the cutting engineer's), length checked for a 12" side at 33⅓ rpm,
//! and measured like `stemwise measure` measures a file.

use super::assemble::{wav_frames, write_image, Piece};
use super::file::{Side, Track};
use crate::audio_file::WavFormat;
use crate::measure::{measure_file, Measurement};
use anyhow::{bail, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

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

/// The pieces of `side` from the tracks' vinyl WAVs (`wavs[i]` for track `i`, at
/// `rates_hz[i]`), with its rate and length in frames; refuses tracks at different rates and a
/// side longer than [`SIDE_MAX_S`], and adds a warning above [`SIDE_WARN_S`].
pub fn side_pieces<'a>(
    side: &Side,
    tracks: &[Track],
    wavs: &'a [Option<PathBuf>],
    rates_hz: &[u32],
    warnings: &mut Vec<String>,
) -> Result<(u32, Vec<Piece<'a>>, u64)> {
    let rate = rates_hz[side.tracks[0]];
    let mut pieces = Vec::new();
    let mut num_frames = 0u64;
    for (k, &i) in side.tracks.iter().enumerate() {
        if rates_hz[i] != rate {
            bail!(
                "side {}: track {} renders at {} Hz, track {} at {rate} Hz; a side is one file \
                 at one rate",
                side.name,
                i + 1,
                rates_hz[i],
                side.tracks[0] + 1
            );
        }
        let Some(wav) = wavs[i].as_deref() else {
            bail!(
                "side {}: track {} was not rendered for vinyl",
                side.name,
                i + 1
            );
        };
        if k > 0 {
            let gap = (tracks[i].gap_before_s * f64::from(rate)).round() as u64;
            if gap > 0 {
                pieces.push(Piece::Silence(gap));
                num_frames += gap;
            }
        }
        pieces.push(Piece::File(wav));
        num_frames += wav_frames(wav)?;
    }
    let seconds = num_frames as f64 / f64::from(rate);
    if seconds > SIDE_MAX_S {
        bail!(
            "side {} is {} long: a 12\" side at 33⅓ rpm holds at most {} (move a track to \
             another side)",
            side.name,
            minutes(seconds),
            minutes(SIDE_MAX_S)
        );
    }
    if seconds > SIDE_WARN_S {
        warnings.push(format!(
            "side {} is {} long: above {} per 12\" side at 33⅓ rpm the cut loses level and \
             low end",
            side.name,
            minutes(seconds),
            minutes(SIDE_WARN_S)
        ));
    }
    Ok((rate, pieces, num_frames))
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
    let num_frames = write_image(&path, rate_hz, WavFormat::Int24, pieces)?;
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

/// `seconds` as `m:ss`.
fn minutes(seconds: f64) -> String {
    let whole = seconds.round() as u64;
    format!("{}:{:02}", whole / 60, whole % 60)
}
