//! `stemwise album`: an album file's songs rendered from their sessions ([`tracks`]) at the
//! loudness the plan gives them ([`loudness`]), laid out on a CD ([`layout`]), assembled into
//! one 16-bit/44.1 kHz master ([`assemble`]) and written as a DDP 2.00 image, a cue sheet with
//! its WAV and a PQ sheet ([`cd_output`]), plus one 24-bit pre-master per vinyl side
//! ([`vinyl`]), and a report ([`report`]).
//!
//! Everything is written into a staging folder and moved into place only when all of it is
//! finished ([`Staging`]): a bad album file, a Red Book limit, a failed render or an
//! interruption leaves the output folder as it was.

pub mod assemble;
pub mod cd_output;
pub mod file;
pub mod layout;
pub mod loudness;
pub mod report;
pub mod songs;
pub mod tracks;
pub mod vinyl;

use crate::audio_file::write_file;
use crate::cd::{msf, CdLayout, CdTrack, CD_SAMPLE_RATE_HZ, SAMPLES_PER_FRAME};
use crate::measure::{measure_file, Measurement};
use crate::progress::Progress;
use crate::staging::{refuse_existing, Staging};
use crate::stems::LoadOptions;
use anyhow::{bail, Context, Result};
use assemble::Piece;
use file::Album;
use layout::{CdPlan, Segment, TrackSpan};
use report::{AlbumReport, CdReport, TargetInfo, Timings, REPORT_FILE};
use songs::Songs;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How to make the album.
#[derive(Debug, Clone)]
pub struct AlbumOptions {
    /// Output folder (created if missing).
    pub out_dir: PathBuf,
    /// Replace existing outputs.
    pub force: bool,
    /// Stem mismatch handling of every session.
    pub load: LoadOptions,
    /// Threads in all: songs render in parallel, each render's stems share what is left.
    pub num_threads: usize,
    /// Progress bars.
    pub progress: Progress,
}

/// Every file and folder `stemwise album` writes into `out_dir`.
pub fn planned_outputs(album: &Album, out_dir: &Path) -> Vec<PathBuf> {
    let mut names = cd_output::output_names();
    if let Some(v) = &album.vinyl {
        names.extend(v.sides.iter().map(|s| vinyl::side_file_name(&s.name)));
    }
    names.push(REPORT_FILE.to_owned());
    names.iter().map(|n| out_dir.join(n)).collect()
}

/// Makes `album` into `options.out_dir`. Refuses to start if any output exists (unless
/// `force`).
pub fn make(album: &Album, options: &AlbumOptions) -> Result<AlbumReport> {
    if !options.force {
        refuse_existing(&planned_outputs(album, &options.out_dir))?;
    }
    let staging = Staging::new(&options.out_dir)?;
    let work = staging.path("work");
    let songs = songs::render(
        album,
        work.clone(),
        options.load,
        options.num_threads,
        options.progress,
    )?;
    let started = Instant::now();
    let mut warnings = loudness_warnings(&songs);
    let spans: Vec<TrackSpan> = songs
        .tracks
        .iter()
        .zip(&album.tracks)
        .map(|(song, track)| TrackSpan {
            num_samples: song.num_samples,
            gap_before_s: track.gap_before_s,
            crossfade_samples: vinyl::seconds_to_samples(track.crossfade_s, CD_SAMPLE_RATE_HZ),
        })
        .collect();
    let hidden_samples = songs.hidden.as_ref().map_or(0, |h| h.num_samples);
    let plan = layout::plan(&spans, hidden_samples)?;
    // Vinyl sides are checked before anything is written.
    let sides = match &album.vinyl {
        None => Vec::new(),
        Some(v) => v
            .sides
            .iter()
            .map(|side| {
                let (rate, pieces) =
                    vinyl::side_pieces(side, &album.tracks, &songs.tracks, &mut warnings)?;
                Ok((side, rate, pieces))
            })
            .collect::<Result<Vec<_>>>()?,
    };

    let (layout, album_measurement) = write_cd(staging.dir(), album, &songs, &plan)?;
    let verification = cd_output::write(staging.dir(), &layout)?;
    if let Some(peak) = album_measurement.true_peak_dbtp {
        if peak > album.target.true_peak_dbtp {
            warnings.push(format!(
                "the CD master peaks at {peak:.2} dBTP, over the {:.1} dBTP ceiling its songs \
                 keep: at a transition (a crossfade or a gapless junction)",
                album.target.true_peak_dbtp
            ));
        }
    }
    let side_reports = sides
        .iter()
        .map(|(side, rate, pieces)| vinyl::write_side(staging.dir(), side, *rate, pieces))
        .collect::<Result<Vec<_>>>()?;
    for side in &side_reports {
        let stereo_warnings = side.measurement.stereo.iter().flat_map(|s| &s.warnings);
        warnings.extend(stereo_warnings.map(|w| format!("vinyl side {}: {w}", side.name)));
    }
    let timings = Timings {
        measure_s: songs.measure_s,
        render_s: songs.render_s,
        write_s: started.elapsed().as_secs_f64(),
    };

    let as_mastered_lufs: Vec<f32> = songs
        .tracks
        .iter()
        .map(|s| s.as_mastered.version_lufs)
        .collect();
    let cd_lufs: Vec<f32> = layout
        .tracks
        .iter()
        .map(|t| t.loudness.map_or(f32::NEG_INFINITY, |l| l.integrated_lufs))
        .collect();
    let report = AlbumReport {
        album: album.path.display().to_string(),
        title: album.title.clone(),
        performer: album.performer.clone(),
        upc: album.upc.as_ref().map(|u| u.ean13().to_owned()),
        mode: album.mode,
        target: TargetInfo {
            id: album.target.id.to_owned(),
            lufs: album.target.integrated_lufs,
            true_peak_dbtp: album.target.true_peak_dbtp,
        },
        album_gain_db: songs.album_gain_db,
        tracks: report::track_reports(album, &plan, &songs.tracks),
        hidden_track: album
            .hidden
            .as_ref()
            .zip(songs.hidden.as_ref())
            .map(|(track, song)| report::hidden_report(track, song)),
        loudness_differences: loudness::differences(&as_mastered_lufs, &cd_lufs),
        cd: CdReport {
            format: album.cd_format,
            files: cd_output::output_names(),
            total_frames: plan.total_frames,
            length: msf(plan.total_frames),
            album: album_measurement,
            ddp_verification: serde_json::to_value(&verification)
                .context("DDP verification to JSON")?,
        },
        vinyl: side_reports,
        timings,
        warnings,
    };
    let json = serde_json::to_string_pretty(&report).context("report to JSON")?;
    write_file(&staging.path(REPORT_FILE), json.as_bytes(), false)?;
    std::fs::remove_dir_all(&work).with_context(|| format!("{}: cannot remove", work.display()))?;
    staging.publish(options.force)?;
    Ok(report)
}

/// A warning for every song the plan could not bring within its tolerance.
fn loudness_warnings(songs: &Songs) -> Vec<String> {
    let named = songs
        .tracks
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("track {}", i + 1), s))
        .chain(songs.hidden.iter().map(|s| ("hidden track".to_owned(), s)));
    named
        .filter(|(_, s)| s.cd.error_lu.abs() > loudness::TOLERANCE_LU)
        .map(|(name, s)| {
            format!(
                "{name}: {:+.2} LU from its goal after {} renders (the Master Bus cannot reach \
                 it within its input-gain range)",
                s.cd.error_lu, s.cd.num_renders
            )
        })
        .collect()
}

/// Assembles the CD master `dir/album.wav` from the songs' CD masters as `plan` lays them out,
/// and measures it; returns the disc's layout (each track's loudness measured on its CD
/// master) and the whole disc's measurement.
fn write_cd(
    dir: &Path,
    album: &Album,
    songs: &Songs,
    plan: &CdPlan,
) -> Result<(CdLayout, Measurement)> {
    let wav_of = |i: usize| songs.tracks[i].cd.wav.as_path();
    let pieces: Vec<Piece<'_>> = plan
        .segments
        .iter()
        .map(|segment| match *segment {
            Segment::Silence(n) => Ok(Piece::Silence(n)),
            Segment::Hidden(n) => {
                let hidden = songs.hidden.as_ref().context("no hidden track rendered")?;
                Ok(Piece::File {
                    path: &hidden.cd.wav,
                    from: 0,
                    to: n,
                })
            }
            Segment::Track { index, from, to } => Ok(Piece::File {
                path: wav_of(index),
                from,
                to,
            }),
            Segment::Crossfade {
                from_track,
                num_samples,
            } => Ok(Piece::Crossfade {
                out: wav_of(from_track),
                out_from: songs.tracks[from_track].num_samples - num_samples,
                into: wav_of(from_track + 1),
                num_frames: num_samples,
            }),
        })
        .collect::<Result<_>>()?;
    let cd_wav = dir.join(cd_output::CD_WAV_FILE);
    let num_frames = assemble::write_image(&cd_wav, CD_SAMPLE_RATE_HZ, album.cd_format, &pieces)?;
    let image_frames = u64::from(plan.total_frames) * u64::from(SAMPLES_PER_FRAME);
    if num_frames != image_frames {
        bail!("the CD master has {num_frames} samples, its layout {image_frames}");
    }
    let layout = CdLayout {
        title: album.title.clone(),
        performer: album.performer.clone(),
        upc: album.upc.clone(),
        tracks: album
            .tracks
            .iter()
            .zip(&songs.tracks)
            .enumerate()
            .map(|(i, (t, song))| CdTrack {
                title: t.title.clone(),
                performer: t.performer.clone(),
                isrc: t.isrc.clone(),
                index0_frame: plan.index0_frames[i],
                index1_frame: plan.index1_frames[i],
                loudness: Some(tracks::track_loudness(&song.cd.measurement)),
            })
            .collect(),
        total_frames: plan.total_frames,
    };
    let mut measurement = measure_file(&cd_wav)?;
    measurement.file = cd_output::CD_WAV_FILE.to_owned();
    Ok((layout, measurement))
}
