//! Album files: the disc's metadata, the loudness plan, CD and vinyl settings and the tracks in
//! order, in TOML (see `examples/album.toml` for every field). Unknown keys are errors, and
//! every error names the file and, where it points at a value, its line and column. Each
//! track's session file is loaded and checked here, so a bad album fails before any render.

use crate::cd::{cdtext, CdLayout, CdTrack, Isrc, Upc};
use crate::deliver::Format;
use crate::session::keys::{self, Section};
use crate::session::{self, line_col, Session, TargetParams, FULL_VERSION};
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use shared_dsp::params::choice::{CeilingPreset, CeilingPresets};
use shared_dsp::params::master::MasterParam;
use shared_dsp::params::ChoiceList;
use shared_dsp::targets::DeliveryTarget;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Most tracks on a CD (Red Book).
pub const MAX_TRACKS: usize = 99;
/// Shortest pre-gap of track 1, s (Red Book: 2 s of pause before the first track).
pub const MIN_FIRST_GAP_S: f64 = 2.0;
/// Gap before every track unless the album file says otherwise, s.
pub const DEFAULT_GAP_S: f64 = 2.0;
/// Longest gap the album file accepts, s (a minute of silence is already a hidden track).
pub const MAX_GAP_S: f64 = 60.0;
/// Longest crossfade the album file accepts, s.
pub const MAX_CROSSFADE_S: f64 = 20.0;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlbumFile {
    /// Album title (CD-TEXT).
    #[serde(default)]
    title: Option<String>,
    /// Album performer (CD-TEXT).
    #[serde(default)]
    performer: Option<String>,
    /// UPC-A or EAN-13 (the disc's media catalog number).
    #[serde(default)]
    upc: Option<Spanned<String>>,
    /// `[loudness]`.
    #[serde(default)]
    loudness: LoudnessParams,
    /// `[cd]`.
    #[serde(default)]
    cd: CdParams,
    /// `[vinyl]` (no vinyl pre-masters without it).
    #[serde(default)]
    vinyl: Option<VinylParams>,
    /// `[hidden_track]`: audio hidden in track 1's pre-gap.
    #[serde(default)]
    hidden_track: Option<HiddenEntry>,
    /// The `[[track]]` tables, in disc order.
    #[serde(rename = "track", default)]
    tracks: Vec<TrackEntry>,
}

/// `[hidden_track]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HiddenEntry {
    /// Session file, relative to the album file.
    session: PathBuf,
    /// Which of the session's versions (default `full`).
    #[serde(default)]
    version: Option<Spanned<String>>,
}

/// `[loudness]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoudnessParams {
    /// `album` or `track`.
    #[serde(default)]
    mode: LoudnessMode,
    /// A built-in target id or `custom`.
    #[serde(default = "default_target")]
    target: String,
    /// Integrated loudness of a custom target, LUFS.
    #[serde(default)]
    lufs: Option<f32>,
    /// True-peak ceiling of a custom target, dBTP.
    #[serde(default)]
    true_peak_dbtp: Option<f32>,
}

fn default_target() -> String {
    "spotify".to_owned()
}

impl Default for LoudnessParams {
    fn default() -> Self {
        Self {
            mode: LoudnessMode::default(),
            target: default_target(),
            lufs: None,
            true_peak_dbtp: None,
        }
    }
}

/// How the album's loudness is set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LoudnessMode {
    /// The songs keep their relative loudness (as their sessions master them); one gain
    /// brings the loudest to the target.
    #[default]
    Album,
    /// Every song is brought to the target.
    Track,
}

/// `[cd]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CdParams {
    /// Second-order noise shaping of the 16-bit dither.
    #[serde(default)]
    noise_shaping: bool,
}

/// `[vinyl]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VinylParams {
    /// `[vinyl.master]`: Master Bus keys that differ for the vinyl render.
    #[serde(default)]
    master: Section,
    /// The `[[vinyl.side]]` tables.
    #[serde(rename = "side")]
    sides: Vec<SideEntry>,
}

/// One `[[vinyl.side]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SideEntry {
    /// Side name (`A`, `B`, …; part of the file name).
    name: String,
    /// Track numbers (1-based, disc order) on this side, in playing order.
    tracks: Spanned<Vec<i64>>,
}

/// One `[[track]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrackEntry {
    /// Session file, relative to the album file.
    session: PathBuf,
    /// Which of the session's versions (default `full`).
    #[serde(default)]
    version: Option<Spanned<String>>,
    /// Track title (CD-TEXT).
    #[serde(default)]
    title: Option<String>,
    /// Track performer (CD-TEXT; default: the album's).
    #[serde(default)]
    performer: Option<String>,
    /// ISRC, `CC-XXX-YY-NNNNN`.
    #[serde(default)]
    isrc: Option<Spanned<String>>,
    /// Silence before the track, s (0 = gapless).
    #[serde(default)]
    gap_before_s: Option<Spanned<f64>>,
    /// Overlap with the previous track, s (makes the track gapless).
    #[serde(default)]
    crossfade_s: Option<Spanned<f64>>,
}

/// One track, resolved.
#[derive(Debug, Clone)]
pub struct Track {
    /// The session, loaded and validated.
    pub session: Session,
    /// Index of the version in `session.versions`.
    pub version_index: usize,
    /// Title, if given.
    pub title: Option<String>,
    /// Performer: the track's, else the album's, if either is given.
    pub performer: Option<String>,
    /// ISRC, if given.
    pub isrc: Option<Isrc>,
    /// Silence before the track, s (0 = gapless: the audio follows the previous track's).
    pub gap_before_s: f64,
    /// Overlap with the previous track's end, s (0 = none; only for a gapless track).
    pub crossfade_s: f64,
}

impl Track {
    /// The version's name.
    pub fn version(&self) -> &str {
        &self.session.versions[self.version_index].name
    }
}

/// A vinyl side, resolved.
#[derive(Debug, Clone)]
pub struct Side {
    /// Name (`A`, `B`, …).
    pub name: String,
    /// Indices into [`Album::tracks`], in playing order.
    pub tracks: Vec<usize>,
}

/// The vinyl pre-masters, resolved.
#[derive(Debug, Clone)]
pub struct Vinyl {
    /// Master Bus parameters that differ for the vinyl render, plain values: those of
    /// `[vinyl.master]`, and the vinyl ceiling preset unless it sets the ceiling itself.
    pub overrides: Vec<(MasterParam, f32)>,
    /// The sides.
    pub sides: Vec<Side>,
}

/// A validated album.
#[derive(Debug, Clone)]
pub struct Album {
    /// The album file.
    pub path: PathBuf,
    /// Title, if given.
    pub title: Option<String>,
    /// Performer, if given.
    pub performer: Option<String>,
    /// UPC/EAN, if given.
    pub upc: Option<Upc>,
    /// Loudness mode.
    pub mode: LoudnessMode,
    /// Loudness target (programme loudness).
    pub target: DeliveryTarget,
    /// The CD master's format (16-bit/44.1 kHz, with or without noise shaping).
    pub cd_format: Format,
    /// Vinyl pre-masters, if wanted.
    pub vinyl: Option<Vinyl>,
    /// The tracks in disc order.
    pub tracks: Vec<Track>,
    /// Hidden track one audio (HTOA): a song in track 1's pre-gap, before index 1, where a
    /// player that starts at track 1 does not play it (rewinding from track 1 does). Only its
    /// session and version are used.
    pub hidden: Option<Track>,
}

impl Album {
    /// The name of the vinyl side track `index` (0-based) is on, if any.
    pub fn side_of(&self, index: usize) -> Option<&str> {
        self.vinyl.as_ref().and_then(|v| {
            v.sides
                .iter()
                .find(|s| s.tracks.contains(&index))
                .map(|s| s.name.as_str())
        })
    }
}

/// Reads, parses and validates an album file and every session it names.
pub fn load(path: &Path) -> Result<Album> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read album file", path.display()))?;
    parse(path, &text)
}

/// Parses and validates album text; `path` names the file in errors and anchors the
/// sessions' relative paths.
pub fn parse(path: &Path, text: &str) -> Result<Album> {
    let file: AlbumFile = session::from_toml(path, text)?;
    resolve(path, text, file).map_err(|e| anyhow!("{}: {e:#}", path.display()))
}

/// `message` prefixed with the line and column of `span` in `text`.
fn at(text: &str, span: std::ops::Range<usize>, message: impl std::fmt::Display) -> anyhow::Error {
    let (line, col) = line_col(text, span.start);
    anyhow!("line {line}, column {col}: {message}")
}

fn resolve(path: &Path, text: &str, file: AlbumFile) -> Result<Album> {
    if file.tracks.is_empty() {
        bail!("no [[track]]: an album needs at least one track");
    }
    if file.tracks.len() > MAX_TRACKS {
        bail!(
            "{} tracks: a CD holds at most {MAX_TRACKS} (Red Book)",
            file.tracks.len()
        );
    }
    let upc = file
        .upc
        .as_ref()
        .map(|u| Upc::parse(u.get_ref()).map_err(|e| at(text, u.span(), e)))
        .transpose()?;
    let target = session::resolve_target(&TargetParams {
        id: file.loudness.target.clone(),
        lufs: file.loudness.lufs,
        true_peak_dbtp: file.loudness.true_peak_dbtp,
        normalize: false,
    })
    .context("[loudness]")?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tracks: Vec<Track> = Vec::new();
    let mut isrc_lines: Vec<(Isrc, usize)> = Vec::new();
    for (i, entry) in file.tracks.iter().enumerate() {
        let number = i + 1;
        let mut track = resolve_track(dir, text, entry, number, &mut isrc_lines)
            .with_context(|| format!("track {number}"))?;
        if track.performer.is_none() {
            track.performer.clone_from(&file.performer);
        }
        tracks.push(track);
    }
    check_cd_text(&file.title, &file.performer, &tracks)?;
    let hidden = file
        .hidden_track
        .as_ref()
        .map(|h| {
            let entry = TrackEntry {
                session: h.session.clone(),
                version: h.version.clone(),
                title: None,
                performer: None,
                isrc: None,
                gap_before_s: None,
                crossfade_s: None,
            };
            resolve_track(dir, text, &entry, 0, &mut Vec::new())
        })
        .transpose()
        .context("[hidden_track]")?;
    let vinyl = file
        .vinyl
        .as_ref()
        .map(|v| resolve_vinyl(v, text, tracks.len()))
        .transpose()
        .context("[vinyl]")?;
    Ok(Album {
        path: path.to_owned(),
        title: file.title,
        performer: file.performer,
        upc,
        mode: file.loudness.mode,
        target,
        cd_format: if file.cd.noise_shaping {
            Format::Cd16_44k1Shaped
        } else {
            Format::Cd16_44k1
        },
        vinyl,
        tracks,
        hidden,
    })
}

/// Refuses titles and performers that CD-TEXT cannot carry (before anything is rendered).
fn check_cd_text(
    title: &Option<String>,
    performer: &Option<String>,
    tracks: &[Track],
) -> Result<()> {
    // Only the text matters to CD-TEXT; the frames are the layout's, not known yet.
    let text_only = CdLayout {
        title: title.clone(),
        performer: performer.clone(),
        upc: None,
        tracks: tracks
            .iter()
            .map(|t| CdTrack {
                title: t.title.clone(),
                performer: t.performer.clone(),
                isrc: None,
                index0_frame: 0,
                index1_frame: 0,
                loudness: None,
            })
            .collect(),
        total_frames: 0,
    };
    cdtext::check(&text_only).map_err(|e| anyhow!("CD-TEXT: {e}"))
}

/// One `[[track]]` (number 0: the hidden track): its session loaded, version found, ISRC
/// checked (and not used by an earlier track: `isrcs` holds those with their lines), gap and
/// crossfade checked.
fn resolve_track(
    dir: &Path,
    text: &str,
    entry: &TrackEntry,
    number: usize,
    isrcs: &mut Vec<(Isrc, usize)>,
) -> Result<Track> {
    let isrc = match &entry.isrc {
        None => None,
        Some(code) => {
            let isrc = Isrc::parse(code.get_ref()).map_err(|e| at(text, code.span(), e))?;
            let (line, _) = line_col(text, code.span().start);
            if let Some((_, first)) = isrcs.iter().find(|(seen, _)| *seen == isrc) {
                return Err(at(
                    text,
                    code.span(),
                    format!(
                        "ISRC {isrc} is already given on line {first}: every track needs its own"
                    ),
                ));
            }
            isrcs.push((isrc.clone(), line));
            Some(isrc)
        }
    };
    let gap_before_s = match &entry.gap_before_s {
        None => DEFAULT_GAP_S,
        Some(gap) => {
            let s = *gap.get_ref();
            if !(0.0..=MAX_GAP_S).contains(&s) {
                return Err(at(
                    text,
                    gap.span(),
                    format!("gap_before_s = {s} is outside 0…{MAX_GAP_S}"),
                ));
            }
            if number == 1 && s < MIN_FIRST_GAP_S {
                return Err(at(
                    text,
                    gap.span(),
                    format!(
                        "gap_before_s = {s}: the Red Book requires at least {MIN_FIRST_GAP_S} s \
                         of pre-gap before track 1"
                    ),
                ));
            }
            s
        }
    };
    let crossfade_s = match &entry.crossfade_s {
        None => 0.0,
        Some(fade) => {
            let s = *fade.get_ref();
            let problem = if number == 1 {
                Some("track 1 has no track before it to crossfade from".to_owned())
            } else if !(0.0..=MAX_CROSSFADE_S).contains(&s) {
                Some(format!("crossfade_s = {s} is outside 0…{MAX_CROSSFADE_S}"))
            } else if s > 0.0 && entry.gap_before_s.is_some() && gap_before_s > 0.0 {
                Some(format!(
                    "crossfade_s = {s} with gap_before_s = {gap_before_s}: crossfaded tracks \
                     overlap, they have no gap"
                ))
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(at(text, fade.span(), problem));
            }
            s
        }
    };
    // A crossfaded track runs on from the previous one: no default gap.
    let gap_before_s = if crossfade_s > 0.0 { 0.0 } else { gap_before_s };
    let session = session::load(&dir.join(&entry.session))?;
    let version_index = match &entry.version {
        None => 0,
        Some(name) => session
            .versions
            .iter()
            .position(|v| &v.name == name.get_ref())
            .ok_or_else(|| {
                let names: Vec<_> = session.versions.iter().map(|v| v.name.as_str()).collect();
                at(
                    text,
                    name.span(),
                    format!(
                        "{} has no version \"{}\" (it has {})",
                        session.path.display(),
                        name.get_ref(),
                        names.join(", ")
                    ),
                )
            })?,
    };
    debug_assert_eq!(session.versions[0].name, FULL_VERSION);
    Ok(Track {
        session,
        version_index,
        title: entry.title.clone(),
        performer: entry.performer.clone(),
        isrc,
        gap_before_s,
        crossfade_s,
    })
}

/// `[vinyl]`: the master overrides read through the Master Bus's parameter table, and the
/// sides (every track number valid, no track on two sides).
fn resolve_vinyl(params: &VinylParams, text: &str, num_tracks: usize) -> Result<Vinyl> {
    let values =
        keys::read_section::<MasterParam>(&params.master, text).context("[vinyl.master]")?;
    let mut overrides: Vec<(MasterParam, f32)> = params
        .master
        .keys()
        .filter_map(|key| keys::param_of::<MasterParam>(key.get_ref()))
        .map(|p| (p, values.get(p)))
        .collect();
    if !overrides
        .iter()
        .any(|(p, _)| *p == MasterParam::CeilingPreset)
    {
        let vinyl = CeilingPresets::CHOICES
            .values
            .iter()
            .position(|&p| p == CeilingPreset::Vinyl)
            .context("the ceiling presets have no vinyl preset")?;
        overrides.push((MasterParam::CeilingPreset, vinyl as f32));
    }
    if params.sides.is_empty() {
        bail!("no [[vinyl.side]]: list the tracks of each side");
    }
    let mut sides: Vec<Side> = Vec::new();
    let mut side_of = vec![None; num_tracks];
    for entry in &params.sides {
        let ok_name = !entry.name.is_empty()
            && entry
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
        if !ok_name {
            bail!(
                "side name \"{}\": use letters, digits, '-' or '_' only",
                entry.name
            );
        }
        if sides.iter().any(|s| s.name == entry.name) {
            bail!("two sides are called \"{}\"", entry.name);
        }
        let numbers = entry.tracks.get_ref();
        if numbers.is_empty() {
            return Err(at(
                text,
                entry.tracks.span(),
                format!("side {} has no tracks", entry.name),
            ));
        }
        let mut tracks = Vec::new();
        for &number in numbers {
            if !(1..=num_tracks as i64).contains(&number) {
                return Err(at(
                    text,
                    entry.tracks.span(),
                    format!(
                        "side {}: no track {number} (the album has 1…{num_tracks})",
                        entry.name
                    ),
                ));
            }
            let index = (number - 1) as usize;
            if let Some(other) = &side_of[index] {
                return Err(at(
                    text,
                    entry.tracks.span(),
                    format!(
                        "side {}: track {number} is already on side {other}",
                        entry.name
                    ),
                ));
            }
            side_of[index] = Some(entry.name.clone());
            tracks.push(index);
        }
        sides.push(Side {
            name: entry.name.clone(),
            tracks,
        });
    }
    Ok(Vinyl { overrides, sides })
}
