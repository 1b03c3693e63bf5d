//! Every song of the album rendered, in parallel over the songs (each render spreads its stems
//! over the threads left): first measured as its session masters it, then, once the loudness
//! plan is known from all of them, mastered for the CD (and for vinyl, if on a side).

use super::file::{Album, Track};
use super::loudness;
use super::tracks::{self, AsMastered, CdRender, RenderPlace};
use crate::parallel::parallel_map;
use crate::progress::Progress;
use crate::stems::LoadOptions;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::time::Instant;

/// One song rendered.
#[derive(Debug, Clone)]
pub struct Song {
    /// The song as its session masters it.
    pub as_mastered: AsMastered,
    /// Loudness the plan masters it to, LUFS.
    pub goal_lufs: f32,
    /// Its CD master.
    pub cd: CdRender,
    /// Samples of its CD master (44.1 kHz).
    pub num_samples: u64,
    /// Its vinyl pre-master (24-bit at the session rate), if it is on a side.
    pub vinyl_wav: Option<PathBuf>,
}

/// The album's songs rendered.
#[derive(Debug, Clone)]
pub struct Songs {
    /// The tracks, in disc order.
    pub tracks: Vec<Song>,
    /// The hidden track, if any.
    pub hidden: Option<Song>,
    /// The one gain of album mode, dB.
    pub album_gain_db: Option<f32>,
    /// Wall-clock time of the measuring renders, s.
    pub measure_s: f64,
    /// Wall-clock time of the CD and vinyl renders, s.
    pub render_s: f64,
}

/// Renders every song of `album` into `work_dir` on `num_threads` threads in all.
pub fn render(
    album: &Album,
    work_dir: PathBuf,
    load: LoadOptions,
    num_threads: usize,
    progress: Progress,
) -> Result<Songs> {
    let num_tracks = album.tracks.len();
    // Every track, then the hidden track; their work folders; their names in errors.
    let songs: Vec<&Track> = album.tracks.iter().chain(&album.hidden).collect();
    let labels: Vec<String> = (1..=num_tracks)
        .map(|n| format!("track-{n:02}"))
        .chain(album.hidden.iter().map(|_| "hidden".to_owned()))
        .collect();
    let names: Vec<String> = (1..=num_tracks)
        .map(|n| format!("track {n}"))
        .chain(album.hidden.iter().map(|_| "hidden track".to_owned()))
        .collect();
    let song_threads = num_threads.clamp(1, songs.len());
    let place = RenderPlace {
        work_dir,
        load,
        num_threads: (num_threads / song_threads).max(1),
    };
    let indices: Vec<usize> = (0..songs.len()).collect();
    let bar = progress.bar(2 * songs.len() as u64, "album renders");

    let started = Instant::now();
    let as_mastered: Vec<AsMastered> = collect(
        parallel_map(&indices, song_threads, |&i| {
            let measured = tracks::measure_as_mastered(songs[i], &labels[i], &place);
            bar.inc(1);
            measured
        }),
        &names,
    )?;
    let measure_s = started.elapsed().as_secs_f64();
    let track_lufs: Vec<f32> = as_mastered[..num_tracks]
        .iter()
        .map(|m| m.version_lufs)
        .collect();
    let (mut goals, album_gain_db) =
        loudness::goals(album.mode, album.target.integrated_lufs, &track_lufs)?;
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
    let mut rendered = collect(
        parallel_map(&indices, song_threads, |&i| {
            let cd = tracks::render_cd(
                album,
                songs[i],
                &labels[i],
                &as_mastered[i],
                goals[i],
                &place,
            )?;
            let vinyl_wav = match (&album.vinyl, album.side_of(i)) {
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
            Ok(Song {
                as_mastered: as_mastered[i],
                goal_lufs: goals[i],
                num_samples: super::assemble::wav_frames(&cd.wav)?,
                cd,
                vinyl_wav,
            })
        }),
        &names,
    )?;
    bar.finish_and_clear();
    let hidden = (rendered.len() > num_tracks).then(|| rendered.remove(num_tracks));
    Ok(Songs {
        tracks: rendered,
        hidden,
        album_gain_db,
        measure_s,
        render_s: started.elapsed().as_secs_f64(),
    })
}

/// The results of jobs over the songs, or the first error, naming its song.
fn collect<T>(results: Vec<Result<T>>, names: &[String]) -> Result<Vec<T>> {
    results
        .into_iter()
        .zip(names)
        .map(|(r, name)| r.with_context(|| name.clone()))
        .collect()
}
