//! The album's renders, every one through [`render::render`] on a copy of the track's session
//! with a few fields changed: only the full version and the track's version, only the format
//! wanted, and the loudness plan's target ([`super::loudness`]). Three renders per song:
//! 1. **measure**: the session as it is, nothing written: the loudness of the song as the
//!    session delivers it (32-bit float at its rate, as `stemwise render` writes it);
//! 2. **CD**: targeted to the song's goal, delivered as a 16-bit/44.1 kHz WAV, measured, and
//!    rendered again with the error added while it is more than the plan's tolerance off;
//! 3. **vinyl** (songs on a side): the Master Bus with the album's `[vinyl.master]` keys,
//!    the CD's input gain, no targeting, 24-bit at the session rate.

use super::file::{Album, Track, Vinyl};
use super::loudness::{MAX_RENDERS, TOLERANCE_LU};
use crate::cd::TrackLoudness;
use crate::deliver::Format;
use crate::measure::{measure_file, Measurement};
use crate::progress::Progress;
use crate::render::{self, deliverable_path, RenderOptions, RenderReport};
use crate::session::Session;
use crate::stems::LoadOptions;
use anyhow::{Context, Result};
use serde::Serialize;
use shared_dsp::params::master::{ceiling_dbtp, master_settings, MasterParam, GAIN_RANGE_DB};
use shared_dsp::targets::DeliveryTarget;
use std::path::PathBuf;

/// Where and how the renders run (each song's renders go to folders named after its label,
/// `track-01`, …, `hidden`).
#[derive(Debug, Clone)]
pub struct RenderPlace {
    /// Scratch folder; every render writes into its own folder inside.
    pub work_dir: PathBuf,
    /// Stem mismatch handling.
    pub load: LoadOptions,
    /// Threads of each render (its stems and deliverables).
    pub num_threads: usize,
}

impl RenderPlace {
    /// Renders `session` into `work_dir/name` (nothing written without `write_files`).
    fn render(&self, session: &Session, name: &str, write_files: bool) -> Result<RenderReport> {
        let options = RenderOptions {
            out_dir: self.work_dir.join(name),
            force: true,
            load: self.load,
            num_threads: self.num_threads,
            progress: Progress::new(false),
            write_files,
        };
        Ok(render::render(session, &options)?.report)
    }
}

/// A song as its session masters it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AsMastered {
    /// Integrated loudness of the track's version as the session delivers it (32-bit float at
    /// the session rate, through the deliverables' safety limiter), LUFS: the loudness the
    /// album plan keeps the differences of.
    pub version_lufs: f32,
    /// Integrated loudness of the version's master (before the deliverable's limiter), LUFS.
    pub version_master_lufs: f32,
    /// Integrated loudness of the full master (whose dynamics every version follows), LUFS.
    pub full_master_lufs: f32,
    /// Master input gain the session renders with (after its own targeting, if on), dB.
    pub input_db: f32,
    /// Render sample rate, Hz.
    pub sample_rate_hz: u32,
}

/// A copy of `track`'s session that renders the full version and the track's version (the
/// full mix drives the Master Bus; versions follow its gains), delivering only the track's
/// version in `formats`.
fn track_session(track: &Track, formats: Vec<Format>) -> Session {
    let mut session = track.session.clone();
    let full = session.versions[0].clone();
    session.versions = if track.version_index == 0 {
        vec![full]
    } else {
        vec![full, track.session.versions[track.version_index].clone()]
    };
    session.delivered_versions = vec![session.versions.len() - 1];
    session.formats = formats;
    session
}

/// Render 1: the loudness of `track` as its session delivers it (nothing written).
pub fn measure_as_mastered(track: &Track, label: &str, place: &RenderPlace) -> Result<AsMastered> {
    let report = place.render(
        &track_session(track, vec![Format::Float32]),
        &format!("{label}-measure"),
        false,
    )?;
    let version = report
        .versions
        .last()
        .context("the render has no version")?;
    let delivered = version
        .deliverables
        .first()
        .context("the render delivered nothing")?;
    Ok(AsMastered {
        version_lufs: delivered.check.integrated_lufs,
        version_master_lufs: version.integrated_lufs,
        full_master_lufs: report.versions[0].integrated_lufs,
        input_db: report.master_input_db,
        sample_rate_hz: report.sample_rate_hz,
    })
}

/// A song's CD master.
#[derive(Debug, Clone)]
pub struct CdRender {
    /// The 16-bit/44.1 kHz WAV (in the work folder).
    pub wav: PathBuf,
    /// Its loudness (the samples that go on the disc, measured).
    pub measurement: Measurement,
    /// Master input gain of the final render, dB.
    pub input_db: f32,
    /// Mean and deepest limiter reduction of the full master, dB.
    pub limiter_db: (f32, f32),
    /// CD renders it took (1 = the first was within tolerance).
    pub num_renders: usize,
    /// Its integrated loudness minus its goal, LU.
    pub error_lu: f32,
}

/// Render 2: `track` mastered to `goal_lufs` and delivered for the CD. The first render uses
/// the render's own loudness targeting (on the full master, which drives the bus; aimed so that
/// the version lands on its goal); its CD master is then measured and, while more than
/// [`TOLERANCE_LU`] off (the render's targeting stops within its own, wider tolerance, and the
/// version and the conversion move the loudness a little), rendered again at a corrected master
/// input gain (secant steps on the measured loudness), at most [`MAX_RENDERS`] renders in all.
pub fn render_cd(
    album: &Album,
    track: &Track,
    label: &str,
    as_mastered: &AsMastered,
    goal_lufs: f32,
    place: &RenderPlace,
) -> Result<CdRender> {
    let name = format!("{label}-cd");
    let wav = deliverable_path(
        &place.work_dir.join(&name),
        track.version(),
        album.cd_format,
    );
    let full_goal_lufs = goal_lufs + as_mastered.full_master_lufs - as_mastered.version_master_lufs;
    // Start from the input gain that would get there without dynamics.
    let mut input_db = (as_mastered.input_db + goal_lufs - as_mastered.version_lufs)
        .clamp(-GAIN_RANGE_DB, GAIN_RANGE_DB);
    // (input gain, measured loudness) of every render, and the loudness per dB of input gain.
    let mut rounds: Vec<(f32, f32)> = Vec::new();
    let mut slope = 1.0f32;
    loop {
        let mut session = track_session(track, vec![album.cd_format]);
        session.target = DeliveryTarget::custom(full_goal_lufs, album.target.true_peak_dbtp);
        session.normalize = rounds.is_empty();
        session.master.input_db = input_db;
        let report = place.render(&session, &name, true)?;
        input_db = report.master_input_db;
        let measurement = measure_file(&wav)?;
        let lufs = measurement.integrated_lufs.unwrap_or(f32::NEG_INFINITY);
        let error_lu = lufs - goal_lufs;
        rounds.push((input_db, lufs));
        if !error_lu.is_finite() || error_lu.abs() <= TOLERANCE_LU || rounds.len() == MAX_RENDERS {
            return Ok(CdRender {
                wav,
                measurement,
                input_db,
                limiter_db: (report.limiter_mean_db, report.limiter_max_db),
                num_renders: rounds.len(),
                error_lu,
            });
        }
        // The local slope: from the last two renders, else from the targeting's last two
        // passes (same bus, the full master's loudness), else 1 (no dynamics).
        let pairs: Vec<(f32, f32)> = match rounds.len() {
            1 => report
                .target
                .passes
                .iter()
                .map(|p| (p.input_db, p.loudness_lufs))
                .collect(),
            _ => rounds.clone(),
        };
        if let [.., (i1, l1), (i2, l2)] = pairs[..] {
            let s = (l2 - l1) / (i2 - i1);
            if s.is_finite() && s > MIN_SLOPE {
                slope = s.min(1.0);
            }
        }
        input_db = (input_db - error_lu / slope).clamp(-GAIN_RANGE_DB, GAIN_RANGE_DB);
    }
}

/// Smallest loudness change per dB of input gain a correction trusts (a limiter deep in
/// reduction still gives more than this).
const MIN_SLOPE: f32 = 0.05;

/// Render 3: `track`'s vinyl pre-master (24-bit at the session rate): its session's Master Bus
/// with the album's vinyl keys, at the CD's input gain (moved by as much as `[vinyl.master]`
/// moves `in_gain`), without targeting, its ceiling the vinyl master's.
pub fn render_vinyl(
    track: &Track,
    label: &str,
    vinyl: &Vinyl,
    cd_input_db: f32,
    place: &RenderPlace,
) -> Result<PathBuf> {
    let name = format!("{label}-vinyl");
    let mut values = track.session.master_values;
    for &(param, plain) in &vinyl.overrides {
        values.set(param, plain);
    }
    let mut session = track_session(track, vec![Format::Wav24]);
    session.master = master_settings(&values);
    session.master.input_db = (cd_input_db + values.get(MasterParam::InputGain)
        - track.session.master_values.get(MasterParam::InputGain))
    .clamp(-GAIN_RANGE_DB, GAIN_RANGE_DB);
    session.normalize = false;
    session.target = DeliveryTarget::custom(session.target.integrated_lufs, ceiling_dbtp(&values));
    place.render(&session, &name, true)?;
    Ok(deliverable_path(
        &place.work_dir.join(&name),
        track.version(),
        Format::Wav24,
    ))
}

/// Loudness figures of a measured file for the PQ sheet (undefined levels as −∞).
pub fn track_loudness(m: &Measurement) -> TrackLoudness {
    let level = |v: Option<f32>| v.unwrap_or(f32::NEG_INFINITY);
    TrackLoudness {
        integrated_lufs: level(m.integrated_lufs),
        lra_lu: m.lra_lu,
        true_peak_dbtp: level(m.true_peak_dbtp),
        plr_lu: level(m.plr_lu),
    }
}
