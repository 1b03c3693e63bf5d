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
pub mod tracks;
pub mod vinyl;

use crate::audio_file::write_file;
use crate::cd::{msf, CdLayout, CdTrack, CD_SAMPLE_RATE_HZ, SAMPLES_PER_FRAME};
use crate::measure::measure_file;
use crate::parallel::parallel_map;
use crate::progress::Progress;
use crate::staging::Staging;
use crate::stems::LoadOptions;
use anyhow::{bail, Context, Result};
use assemble::{wav_frames, Piece};
use file::{Album, Track};
use layout::{Segment, TrackSpan};
use report::{AlbumReport, CdReport, HiddenReport, TargetInfo, Timings, TrackReport, REPORT_FILE};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tracks::{AsMastered, CdRender, RenderPlace};

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
        let existing: Vec<String> = planned_outputs(album, &options.out_dir)
            .iter()
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            bail!(
                "{} already exist(s) (use --force to overwrite): {}",
                existing.len(),
                existing.join(", ")
            );
        }
    }
    let staging = Staging::new(&options.out_dir)?;
    let num_tracks = album.tracks.len();
    // The songs to render: every track, then the hidden track.
    let songs: Vec<&Track> = album.tracks.iter().chain(&album.hidden).collect();
    // Their work folders and their names in errors.
    let labels: Vec<String> = (1..=num_tracks)
        .map(|n| format!("track-{n:02}"))
        .chain(album.hidden.iter().map(|_| "hidden".to_owned()))
        .collect();
    let names: Vec<String> = (1..=num_tracks)
        .map(|n| format!("track {n}"))
        .chain(album.hidden.iter().map(|_| "hidden track".to_owned()))
        .collect();
    let song_threads = options.num_threads.clamp(1, songs.len());
    let place = RenderPlace {
        work_dir: staging.path("work"),
        load: options.load,
        num_threads: (options.num_threads / song_threads).max(1),
    };
    let indices: Vec<usize> = (0..songs.len()).collect();
    let on_side = |i: usize| -> Option<&str> {
        album.vinyl.as_ref().and_then(|v| {
            v.sides
                .iter()
                .find(|s| s.tracks.contains(&i))
                .map(|s| s.name.as_str())
        })
    };
    let bar = options
        .progress
        .bar(2 * songs.len() as u64, "album renders");
    let mut timings = Timings::default();

    let started = Instant::now();
    let as_mastered: Vec<AsMastered> = collect(
        parallel_map(&indices, song_threads, |&i| {
            let measured = tracks::measure_as_mastered(songs[i], &labels[i], &place);
            bar.inc(1);
            measured
        }),
        &names,
    )?;
    timings.measure_s = started.elapsed().as_secs_f64();
    let version_lufs: Vec<f32> = as_mastered[..num_tracks]
        .iter()
        .map(|m| m.version_lufs)
        .collect();
    let (mut goals, album_gain_db) =
        loudness::goals(album.mode, album.target.integrated_lufs, &version_lufs)?;
    if let Some(hidden) = as_mastered.get(num_tracks) {
        if !hidden.version_lufs.is_finite() {
            bail!("the hidden track is silent");
        }
        // The hidden track follows the plan without setting it: the album gain, or the target.
        goals.push(
            album_gain_db.map_or(album.target.integrated_lufs, |gain_db| {
                hidden.version_lufs + gain_db
            }),
        );
    }

    let started = Instant::now();
    let rendered: Vec<(CdRender, Option<PathBuf>)> = collect(
        parallel_map(&indices, song_threads, |&i| {
            let cd = tracks::render_cd(
                album,
                songs[i],
                &labels[i],
                &as_mastered[i],
                goals[i],
                &place,
            )?;
            let vinyl_wav = match (&album.vinyl, on_side(i)) {
                (Some(v), Some(_)) if i < num_tracks => Some(tracks::render_vinyl(
                    songs[i],
                    &labels[i],
                    v,
                    cd.input_db,
                    &place,
                )?),
                _ => None,
            };
            bar.inc(1);
            Ok((cd, vinyl_wav))
        }),
        &names,
    )?;
    bar.finish_and_clear();
    timings.render_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut warnings = Vec::new();
    for ((cd, _), name) in rendered.iter().zip(&names) {
        if cd.error_lu.abs() > loudness::TOLERANCE_LU {
            warnings.push(format!(
                "{name}: {:+.2} LU from its goal after {} renders (the Master Bus cannot \
                 reach it within its input-gain range)",
                cd.error_lu, cd.num_renders
            ));
        }
    }
    let hidden_samples = match rendered.get(num_tracks) {
        Some((cd, _)) => wav_frames(&cd.wav)?,
        None => 0,
    };
    let spans: Vec<TrackSpan> = rendered[..num_tracks]
        .iter()
        .zip(&album.tracks)
        .map(|((cd, _), track)| {
            Ok(TrackSpan {
                num_samples: wav_frames(&cd.wav)?,
                gap_before_s: track.gap_before_s,
                crossfade_samples: vinyl::seconds_to_samples(track.crossfade_s, CD_SAMPLE_RATE_HZ),
            })
        })
        .collect::<Result<_>>()?;
    let plan = layout::plan(&spans, hidden_samples)?;
    // Vinyl sides are checked before anything is written.
    let vinyl_wavs: Vec<Option<PathBuf>> = rendered.iter().map(|(_, v)| v.clone()).collect();
    let rates_hz: Vec<u32> = as_mastered.iter().map(|m| m.sample_rate_hz).collect();
    let sides = match &album.vinyl {
        None => Vec::new(),
        Some(v) => v
            .sides
            .iter()
            .map(|side| {
                let (rate, pieces, _) =
                    vinyl::side_pieces(side, &album.tracks, &vinyl_wavs, &rates_hz, &mut warnings)?;
                Ok((side, rate, pieces))
            })
            .collect::<Result<Vec<_>>>()?,
    };

    let cd_wav = staging.path(cd_output::CD_WAV_FILE);
    let pieces: Vec<Piece<'_>> = plan
        .segments
        .iter()
        .map(|segment| match *segment {
            Segment::Silence(n) => Piece::Silence(n),
            Segment::Hidden(n) => Piece::File {
                path: &rendered[num_tracks].0.wav,
                from: 0,
                to: n,
            },
            Segment::Track { index, from, to } => Piece::File {
                path: &rendered[index].0.wav,
                from,
                to,
            },
            Segment::Crossfade {
                from_track,
                num_samples,
            } => Piece::Crossfade {
                out: &rendered[from_track].0.wav,
                out_from: spans[from_track].num_samples - num_samples,
                into: &rendered[from_track + 1].0.wav,
                num_frames: num_samples,
            },
        })
        .collect();
    let num_frames = assemble::write_image(&cd_wav, CD_SAMPLE_RATE_HZ, album.cd_format, &pieces)?;
    let image_frames = u64::from(plan.total_frames) * u64::from(SAMPLES_PER_FRAME);
    if num_frames != image_frames {
        bail!("the CD master has {num_frames} samples, its layout {image_frames}");
    }
    let layout = cd_layout(album, &plan, &rendered);
    let verification = cd_output::write(staging.dir(), &layout)?;
    let mut album_measurement = measure_file(&cd_wav)?;
    album_measurement.file = cd_output::CD_WAV_FILE.to_owned();
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
    timings.write_s = started.elapsed().as_secs_f64();

    let cd_lufs: Vec<f32> = layout
        .tracks
        .iter()
        .map(|t| t.loudness.map_or(f32::NEG_INFINITY, |l| l.integrated_lufs))
        .collect();
    let track_reports = track_reports(
        album,
        &plan,
        &spans,
        &as_mastered,
        &goals,
        &rendered,
        on_side,
    );
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
        album_gain_db,
        tracks: track_reports,
        hidden_track: album.hidden.as_ref().map(|track| {
            let cd = &rendered[num_tracks].0;
            HiddenReport {
                session: track.session.path.display().to_string(),
                version: track.version().to_owned(),
                num_samples: hidden_samples,
                as_mastered: as_mastered[num_tracks],
                goal_lufs: goals[num_tracks],
                cd: tracks::track_loudness(&cd.measurement),
                error_lu: cd.error_lu,
                num_cd_renders: cd.num_renders,
            }
        }),
        loudness_differences: loudness::differences(&version_lufs, &cd_lufs),
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
    let work = staging.path("work");
    std::fs::remove_dir_all(&work).with_context(|| format!("{}: cannot remove", work.display()))?;
    staging.publish(options.force)?;
    Ok(report)
}

/// The results of jobs over the songs, or the first error, naming its song.
fn collect<T>(results: Vec<Result<T>>, names: &[String]) -> Result<Vec<T>> {
    results
        .into_iter()
        .zip(names)
        .map(|(r, name)| r.with_context(|| name.clone()))
        .collect()
}

/// The disc: the album's codes and text, the plan's indices, each track's loudness as measured
/// on its CD master.
fn cd_layout(
    album: &Album,
    plan: &layout::CdPlan,
    rendered: &[(CdRender, Option<PathBuf>)],
) -> CdLayout {
    CdLayout {
        title: album.title.clone(),
        performer: album.performer.clone(),
        upc: album.upc.clone(),
        tracks: album
            .tracks
            .iter()
            .enumerate()
            .map(|(i, t)| CdTrack {
                title: t.title.clone(),
                performer: t.performer.clone(),
                isrc: t.isrc.clone(),
                index0_frame: plan.index0_frames[i],
                index1_frame: plan.index1_frames[i],
                loudness: Some(tracks::track_loudness(&rendered[i].0.measurement)),
            })
            .collect(),
        total_frames: plan.total_frames,
    }
}

/// One report per track.
fn track_reports<'a>(
    album: &'a Album,
    plan: &layout::CdPlan,
    spans: &[TrackSpan],
    as_mastered: &[AsMastered],
    goals: &[f32],
    rendered: &[(CdRender, Option<PathBuf>)],
    on_side: impl Fn(usize) -> Option<&'a str>,
) -> Vec<TrackReport> {
    album
        .tracks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let cd = &rendered[i].0;
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
                num_samples: spans[i].num_samples,
                as_mastered: as_mastered[i],
                goal_lufs: goals[i],
                cd: tracks::track_loudness(&cd.measurement),
                error_lu: cd.error_lu,
                master_input_db: cd.input_db,
                limiter_mean_db: cd.limiter_db.0,
                limiter_max_db: cd.limiter_db.1,
                num_cd_renders: cd.num_renders,
                vinyl_side: on_side(i).map(str::to_owned),
            }
        })
        .collect()
}
