//! What `stemwise album` reports (`album.json`) and its text summary.

use super::file::{Album, LoudnessMode, Track};
use super::layout::CdPlan;
use super::loudness::Differences;
use super::songs::Song;
use super::tracks::{track_loudness, AsMastered};
use super::vinyl::SideReport;
use crate::cd::{msf, TrackLoudness, CD_SAMPLE_RATE_HZ};
use crate::deliver::Format;
use crate::measure::Measurement;
use serde::Serialize;

/// Name of the JSON report.
pub const REPORT_FILE: &str = "album.json";

/// The loudness target of the album.
#[derive(Debug, Clone, Serialize)]
pub struct TargetInfo {
    /// Target id (`spotify`, …, `custom`).
    pub id: String,
    /// Integrated loudness, LUFS.
    pub lufs: f32,
    /// True-peak ceiling of the CD master, dBTP.
    pub true_peak_dbtp: f32,
}

/// One track.
#[derive(Debug, Clone, Serialize)]
pub struct TrackReport {
    /// Track number (1-based).
    pub number: usize,
    /// Title, if given.
    pub title: Option<String>,
    /// Performer, if given.
    pub performer: Option<String>,
    /// ISRC (`CC-XXX-YY-NNNNN`), if given.
    pub isrc: Option<String>,
    /// Session file.
    pub session: String,
    /// Version of the session.
    pub version: String,
    /// Gap before the track as asked, s.
    pub gap_before_s: f64,
    /// Index 0, frames from the start of the disc.
    pub index0_frame: u32,
    /// Index 1, frames.
    pub index1_frame: u32,
    /// Index 0 as `mm:ss:ff`.
    pub index0: String,
    /// Index 1 as `mm:ss:ff`.
    pub index1: String,
    /// Index 1 to the next index 0 (or the end), `mm:ss:ff`.
    pub length: String,
    /// First sample of the track's audio in the CD master (44.1 kHz).
    pub audio_start_sample: u64,
    /// Samples of the track's audio.
    pub num_samples: u64,
    /// The song as its session masters it.
    pub as_mastered: AsMastered,
    /// Loudness the plan masters it to, LUFS.
    pub goal_lufs: f32,
    /// Its CD master, measured.
    pub cd: TrackLoudness,
    /// `cd.integrated_lufs − goal_lufs`, LU.
    pub error_lu: f32,
    /// Master input gain of the CD master, dB.
    pub master_input_db: f32,
    /// Mean limiter reduction of the CD master, dB.
    pub limiter_mean_db: f32,
    /// Deepest limiter reduction of the CD master, dB.
    pub limiter_max_db: f32,
    /// CD renders it took.
    pub num_cd_renders: usize,
    /// Vinyl side, if on one.
    pub vinyl_side: Option<String>,
}

/// The hidden track (audio in track 1's pre-gap).
#[derive(Debug, Clone, Serialize)]
pub struct HiddenReport {
    /// Session file.
    pub session: String,
    /// Version of the session.
    pub version: String,
    /// Samples of its audio (from the start of the disc).
    pub num_samples: u64,
    /// The song as its session masters it.
    pub as_mastered: AsMastered,
    /// Loudness the plan masters it to, LUFS.
    pub goal_lufs: f32,
    /// Its CD master, measured.
    pub cd: TrackLoudness,
    /// `cd.integrated_lufs − goal_lufs`, LU.
    pub error_lu: f32,
    /// CD renders it took.
    pub num_cd_renders: usize,
}

/// The CD deliverables.
#[derive(Debug, Clone, Serialize)]
pub struct CdReport {
    /// Format of the CD master.
    pub format: Format,
    /// Files and folders written.
    pub files: Vec<String>,
    /// Length of the image, frames.
    pub total_frames: u32,
    /// Length as `mm:ss:ff`.
    pub length: String,
    /// The whole CD master measured (album loudness, LRA, true peak, PLR).
    pub album: Measurement,
    /// The DDP image read back and compared with the CD master.
    pub ddp_verification: serde_json::Value,
}

/// Seconds each step took (wall clock, for the user; nothing depends on them).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Measuring every song as its session masters it, s.
    pub measure_s: f64,
    /// CD and vinyl renders, s.
    pub render_s: f64,
    /// Assembling, writing and verifying the CD and vinyl masters, s.
    pub write_s: f64,
}

/// Everything `stemwise album` reports.
#[derive(Debug, Clone, Serialize)]
pub struct AlbumReport {
    /// The album file.
    pub album: String,
    /// Title, if given.
    pub title: Option<String>,
    /// Performer, if given.
    pub performer: Option<String>,
    /// UPC/EAN as EAN-13, if given.
    pub upc: Option<String>,
    /// Loudness mode.
    pub mode: LoudnessMode,
    /// Loudness target.
    pub target: TargetInfo,
    /// The one gain of album mode (target − loudest song as mastered), dB.
    pub album_gain_db: Option<f32>,
    /// The tracks.
    pub tracks: Vec<TrackReport>,
    /// The hidden track, if any.
    pub hidden_track: Option<HiddenReport>,
    /// How well the songs' loudness differences are kept.
    pub loudness_differences: Differences,
    /// The CD.
    pub cd: CdReport,
    /// The vinyl sides.
    pub vinyl: Vec<SideReport>,
    /// Wall-clock time of each step.
    pub timings: Timings,
    /// Things the user should know.
    pub warnings: Vec<String>,
}

/// One report per track of `album`, laid out by `plan`, rendered as `songs`.
pub fn track_reports(album: &Album, plan: &CdPlan, songs: &[Song]) -> Vec<TrackReport> {
    album
        .tracks
        .iter()
        .zip(songs)
        .enumerate()
        .map(|(i, (t, song))| {
            let end = plan
                .index0_frames
                .get(i + 1)
                .copied()
                .unwrap_or(plan.total_frames);
            TrackReport {
                number: i + 1,
                title: t.title.clone(),
                performer: t.performer.clone(),
                isrc: t.isrc.as_ref().map(ToString::to_string),
                session: t.session.path.display().to_string(),
                version: t.version().to_owned(),
                gap_before_s: t.gap_before_s,
                index0_frame: plan.index0_frames[i],
                index1_frame: plan.index1_frames[i],
                index0: msf(plan.index0_frames[i]),
                index1: msf(plan.index1_frames[i]),
                length: msf(end - plan.index1_frames[i]),
                audio_start_sample: plan.audio_start_samples[i],
                num_samples: song.num_samples,
                as_mastered: song.as_mastered,
                goal_lufs: song.goal_lufs,
                cd: track_loudness(&song.cd.measurement),
                error_lu: song.cd.error_lu,
                master_input_db: song.cd.input_db,
                limiter_mean_db: song.cd.limiter_db.0,
                limiter_max_db: song.cd.limiter_db.1,
                num_cd_renders: song.cd.num_renders,
                vinyl_side: album.side_of(i).map(str::to_owned),
            }
        })
        .collect()
}

/// The report of the hidden track `track`, rendered as `song`.
pub fn hidden_report(track: &Track, song: &Song) -> HiddenReport {
    HiddenReport {
        session: track.session.path.display().to_string(),
        version: track.version().to_owned(),
        num_samples: song.num_samples,
        as_mastered: song.as_mastered,
        goal_lufs: song.goal_lufs,
        cd: track_loudness(&song.cd.measurement),
        error_lu: song.cd.error_lu,
        num_cd_renders: song.cd.num_renders,
    }
}

/// A level for the summary, `-inf` when undefined.
fn level(value: Option<f32>) -> String {
    value.map_or_else(|| "-inf".to_owned(), |v| format!("{v:.2}"))
}

/// The human-readable summary.
pub fn summary(r: &AlbumReport) -> String {
    let name = match (&r.title, &r.performer) {
        (Some(t), Some(p)) => format!("\"{t}\" by {p}"),
        (Some(t), None) => format!("\"{t}\""),
        _ => r.album.clone(),
    };
    let mode = match r.mode {
        LoudnessMode::Album => format!(
            "album loudness (album gain {:+.2} dB)",
            r.album_gain_db.unwrap_or(0.0)
        ),
        LoudnessMode::Track => "track loudness".to_owned(),
    };
    let mut out = format!(
        "{name}: {} tracks, {} ({} frames)\n  target {} {:.1} LUFS, {:.1} dBTP; {mode}\n",
        r.tracks.len(),
        r.cd.length,
        r.cd.total_frames,
        r.target.id,
        r.target.lufs,
        r.target.true_peak_dbtp,
    );
    out += "   #  index 0   index 1   length     as mastered  goal     CD LUFS  LRA   TP dBTP  PLR   renders  title\n";
    for t in &r.tracks {
        out += &format!(
            "  {:>2}  {}  {}  {}   {:>7.2}     {:>7.2}  {:>7.2}  {:>4.1}  {:>6.2}  {:>5.1}  {:>3}      {}\n",
            t.number,
            t.index0,
            t.index1,
            t.length,
            t.as_mastered.version_lufs,
            t.goal_lufs,
            t.cd.integrated_lufs,
            t.cd.lra_lu,
            t.cd.true_peak_dbtp,
            t.cd.plr_lu,
            t.num_cd_renders,
            t.title.as_deref().unwrap_or(&t.version),
        );
    }
    if let Some(h) = &r.hidden_track {
        out += &format!(
            "  hidden track ({}, {}): {:.2} s before index 1 of track 1, {:.2} LUFS (goal {:.2}), TP {:.2} dBTP\n",
            h.session,
            h.version,
            h.num_samples as f64 / f64::from(CD_SAMPLE_RATE_HZ),
            h.cd.integrated_lufs,
            h.goal_lufs,
            h.cd.true_peak_dbtp
        );
    }
    let a = &r.cd.album;
    out += &format!(
        "  album: {} LUFS, LRA {:.1} LU, true peak {} dBTP, PLR {} LU\n",
        level(a.integrated_lufs),
        a.lra_lu,
        level(a.true_peak_dbtp),
        level(a.plr_lu)
    );
    out += &format!(
        "  loudness differences between songs kept within {:.3} LU\n",
        r.loudness_differences.max_pair_error_lu
    );
    out += &format!("  CD ({}): {}\n", r.cd.format.id(), r.cd.files.join(", "));
    for side in &r.vinyl {
        let m = &side.measurement;
        out += &format!(
            "  vinyl side {}: {} ({:.1} s, tracks {:?}): {} LUFS, true peak {} dBTP\n",
            side.name,
            side.file,
            side.duration_s,
            side.tracks,
            level(m.integrated_lufs),
            level(m.true_peak_dbtp)
        );
    }
    out += &format!(
        "  time: measure {:.1} s, render {:.1} s, write {:.1} s\n",
        r.timings.measure_s, r.timings.render_s, r.timings.write_s
    );
    for w in &r.warnings {
        out += &format!("  warning: {w}\n");
    }
    out
}
