//! The album's loudness plan.
//!
//! **Album mode** keeps the songs' relative loudness, as streaming services' album
//! normalisation expects: every song is first measured as its session delivers it (loudness
//! `Lᵢ`), then one gain `G = target − max Lᵢ` brings the loudest song to the target and every
//! song gets the same `G`: song `i` is mastered to `Lᵢ + G`. `G` is realised through each
//! song's Master Bus input gain, not after it, so the limiter keeps every song under the
//! ceiling; and because a limiter makes loudness grow less than the input gain (the more it
//! works, the less), one input-gain offset for all songs would squeeze the loud ones more than
//! the quiet ones. So each song's input gain is targeted to its `Lᵢ + G` (the render's own
//! loudness targeting first), and the CD master of every song is measured afterwards: within
//! [`TOLERANCE_LU`] of its goal, or it is rendered again at a corrected input gain
//! ([`super::tracks::render_cd`]), so any two songs keep their difference within twice that
//! (the report measures how well they did).
//!
//! **Track mode** masters every song to the target.

use super::file::LoudnessMode;
use anyhow::{bail, Result};
use serde::Serialize;

/// A song's CD master is accepted this close to its goal, LU.
pub const TOLERANCE_LU: f32 = 0.04;
/// Most CD renders of one song (the first plus corrections).
pub const MAX_RENDERS: usize = 4;

/// The loudness every song is mastered to, LUFS, and the album gain (album mode), dB.
pub fn goals(
    mode: LoudnessMode,
    target_lufs: f32,
    as_mastered_lufs: &[f32],
) -> Result<(Vec<f32>, Option<f32>)> {
    if let Some(i) = as_mastered_lufs.iter().position(|l| !l.is_finite()) {
        bail!(
            "track {}: the master is silent (no loudness to plan with)",
            i + 1
        );
    }
    Ok(match mode {
        LoudnessMode::Track => (vec![target_lufs; as_mastered_lufs.len()], None),
        LoudnessMode::Album => {
            let loudest = as_mastered_lufs
                .iter()
                .copied()
                .fold(f32::NEG_INFINITY, f32::max);
            let gain_db = target_lufs - loudest;
            (
                as_mastered_lufs.iter().map(|l| l + gain_db).collect(),
                Some(gain_db),
            )
        }
    })
}

/// How well the album's CD master keeps the songs' loudness differences.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Differences {
    /// Per song: its loudness minus the loudest song's, as the sessions master them, LU.
    pub as_mastered_lu: Vec<f32>,
    /// The same on the CD master, LU.
    pub cd_lu: Vec<f32>,
    /// Largest |CD − as mastered| over every pair of songs, LU.
    pub max_pair_error_lu: f32,
}

/// Compares the songs' loudness differences as mastered and on the CD (every pair of songs).
pub fn differences(as_mastered_lufs: &[f32], cd_lufs: &[f32]) -> Differences {
    let relative = |levels: &[f32]| -> Vec<f32> {
        let loudest = levels.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        levels.iter().map(|l| l - loudest).collect()
    };
    let mut max_pair_error_lu = 0.0f32;
    for i in 0..as_mastered_lufs.len() {
        for j in i + 1..as_mastered_lufs.len() {
            let before = as_mastered_lufs[i] - as_mastered_lufs[j];
            let after = cd_lufs[i] - cd_lufs[j];
            max_pair_error_lu = max_pair_error_lu.max((after - before).abs());
        }
    }
    Differences {
        as_mastered_lu: relative(as_mastered_lufs),
        cd_lu: relative(cd_lufs),
        max_pair_error_lu,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn album_mode_moves_every_song_by_the_loudest_songs_gain() {
        let (album, gain) = goals(LoudnessMode::Album, -14.0, &[-12.0, -15.5, -18.0]).unwrap();
        assert_eq!(gain, Some(-2.0));
        assert_eq!(album, vec![-14.0, -17.5, -20.0]);
        let (track, gain) = goals(LoudnessMode::Track, -14.0, &[-12.0, -15.5]).unwrap();
        assert_eq!(gain, None);
        assert_eq!(track, vec![-14.0, -14.0]);
        let err = goals(LoudnessMode::Album, -14.0, &[-12.0, f32::NEG_INFINITY])
            .unwrap_err()
            .to_string();
        assert!(err.contains("track 2"), "{err}");
    }

    #[test]
    fn differences_compare_every_pair() {
        let d = differences(&[-10.0, -12.0, -15.0], &[-14.0, -16.05, -18.9]);
        assert_eq!(d.as_mastered_lu, vec![0.0, -2.0, -5.0]);
        assert!((d.cd_lu[2] + 4.9).abs() < 1e-5);
        // Pair (2, 3): 3.0 as mastered, 2.85 on the CD.
        assert!((d.max_pair_error_lu - 0.15).abs() < 1e-5, "{d:?}");
    }
}
