//! Session files: the stems, their Stem Strip settings, the Master Bus settings, the delivery
//! target, the versions and the deliverables of one master, in TOML
//! (see `examples/session.toml` for every field). Unknown keys are errors, and every parse
//! error names the file, line and column. The `[stem.strip]` and `[master]` keys are read
//! through the plugins' parameter tables ([`keys`]).

pub mod keys;

use crate::deliver::Format;
use anyhow::{bail, Context, Result};
use keys::Section;
use serde::Deserialize;
use shared_dsp::master::MasterSettings;
use shared_dsp::params::choice::Roles;
use shared_dsp::params::master::{master_settings, MasterParam};
use shared_dsp::params::strip::{strip_settings, StripParam};
use shared_dsp::params::{ChoiceList, Values};
use shared_dsp::roles::Role;
use shared_dsp::strip::StripSettings;
use shared_dsp::targets::{target_by_id, DeliveryTarget, TARGETS};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Name of the version every session has: all stems at unity.
pub const FULL_VERSION: &str = "full";

/// The file as written (before resolving names and paths).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFile {
    /// Sample rate of the render, Hz; stems at another rate need `--resample`. Default: the
    /// first stem's rate.
    #[serde(default)]
    pub sample_rate_hz: Option<u32>,
    /// Delivery target and loudness targeting.
    #[serde(default)]
    pub target: TargetParams,
    /// Master Bus parameters (`[master]`, see [`keys`]).
    #[serde(default)]
    pub master: Section,
    /// The stems (`[[stem]]` tables), at least one.
    #[serde(rename = "stem")]
    pub stems: Vec<StemEntry>,
    /// Versions besides the full master (`[[version]]` tables).
    #[serde(rename = "version", default)]
    pub versions: Vec<VersionEntry>,
    /// What to deliver.
    #[serde(default)]
    pub deliverables: DeliverablesParams,
}

/// `[target]`: a built-in delivery target or a custom one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetParams {
    /// A built-in target id (`spotify`, `ebu-r128`, `netflix`, …) or `custom`.
    pub id: String,
    /// Integrated loudness of a custom target, LUFS.
    #[serde(default)]
    pub lufs: Option<f32>,
    /// True-peak ceiling of a custom target, dBTP.
    #[serde(default)]
    pub true_peak_dbtp: Option<f32>,
    /// Two-pass loudness targeting: adjust the master's input gain until the full master is
    /// within ±0.1 LU of the target.
    #[serde(default)]
    pub normalize: bool,
}

impl Default for TargetParams {
    fn default() -> Self {
        Self {
            id: "spotify".to_owned(),
            lufs: None,
            true_peak_dbtp: None,
            normalize: false,
        }
    }
}

/// One `[[stem]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StemEntry {
    /// Short unique name (used by versions and in reports).
    pub name: String,
    /// Audio file (WAV, AIFF or FLAC), relative to the session file.
    pub path: PathBuf,
    /// Role: one of the Stem Strip's role ids (default `other`).
    #[serde(default)]
    pub role: Option<Spanned<String>>,
    /// Stem Strip parameters (`[stem.strip]`, see [`keys`]).
    #[serde(default)]
    pub strip: Section,
}

/// One `[[version]]`: which stems, at which gains.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionEntry {
    /// Unique name (file names of its outputs).
    pub name: String,
    /// Only these stems (default: all).
    #[serde(default)]
    pub only: Option<Vec<String>>,
    /// These stems left out.
    #[serde(default)]
    pub mute: Vec<String>,
    /// Per-stem gain changes in dB (e.g. vocals down 6 dB).
    #[serde(default)]
    pub gain_db: BTreeMap<String, f32>,
}

/// `[deliverables]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverablesParams {
    /// Formats: `wav24-44k1`, `wav24-96k`, `float32` (default: these three), `wav24` (24-bit
    /// at the session rate), `cd16-44k1`, `cd16-44k1-shaped` (16-bit/44.1 kHz, noise-shaped).
    #[serde(default = "all_formats")]
    pub formats: Vec<Format>,
    /// Versions to deliver (default: all, `full` included).
    #[serde(default)]
    pub versions: Option<Vec<String>>,
}

impl Default for DeliverablesParams {
    fn default() -> Self {
        Self {
            formats: all_formats(),
            versions: None,
        }
    }
}

fn all_formats() -> Vec<Format> {
    vec![Format::Wav24_44k1, Format::Wav24_96k, Format::Float32]
}

/// A stem, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Stem {
    /// Name.
    pub name: String,
    /// Audio file path (resolved against the session file's folder).
    pub path: PathBuf,
    /// Role.
    pub role: Role,
    /// Stem Strip settings.
    pub strip: StripSettings,
}

/// A version, resolved: one linear gain per stem (0 = left out).
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    /// Name.
    pub name: String,
    /// Linear gain of each stem, in stem order.
    pub stem_gains: Vec<f32>,
}

/// A validated session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The session file.
    pub path: PathBuf,
    /// Render sample rate, Hz, if the session fixes it.
    pub sample_rate_hz: Option<u32>,
    /// Delivery target.
    pub target: DeliveryTarget,
    /// Two-pass loudness targeting on.
    pub normalize: bool,
    /// Master Bus settings.
    pub master: MasterSettings,
    /// The `[master]` parameter values `master` was made from (every key the file leaves
    /// out at its default), for renders that change some keys (the album's vinyl master).
    pub master_values: Values<MasterParam>,
    /// Stems in file order.
    pub stems: Vec<Stem>,
    /// Versions; the first is always [`FULL_VERSION`].
    pub versions: Vec<Version>,
    /// Deliverable formats.
    pub formats: Vec<Format>,
    /// Indices into `versions` of the versions to deliver.
    pub delivered_versions: Vec<usize>,
}

/// Errors unless `lo <= value <= hi`, naming the key.
fn check_range(key: &str, value: f32, lo: f32, hi: f32) -> Result<()> {
    if !(lo..=hi).contains(&value) {
        bail!("{key} = {value} is outside {lo}…{hi}");
    }
    Ok(())
}

/// Reads, parses and validates a session file.
pub fn load(path: &Path) -> Result<Session> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read session file", path.display()))?;
    parse(path, &text)
}

/// Parses and validates session text; `path` names the file in errors and anchors relative
/// stem paths.
pub fn parse(path: &Path, text: &str) -> Result<Session> {
    let file: SessionFile = from_toml(path, text)?;
    resolve(path, text, file).map_err(|e| anyhow::anyhow!("{}: {e:#}", path.display()))
}

/// `text` (the file `path`) deserialized; a syntax error, unknown key or wrong type names the
/// file, line and column.
pub(crate) fn from_toml<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| {
        let place = e
            .span()
            .map(|span| {
                let (line, col) = line_col(text, span.start);
                format!("line {line}, column {col}: ")
            })
            .unwrap_or_default();
        anyhow::anyhow!("{}: {place}{}", path.display(), e.message())
    })
}

/// 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.chars().rev().take_while(|&c| c != '\n').count() + 1;
    (line, col)
}

fn resolve(path: &Path, text: &str, file: SessionFile) -> Result<Session> {
    let dir = path.parent().unwrap_or(Path::new("."));
    if file.stems.is_empty() {
        bail!("no [[stem]]: a session needs at least one stem");
    }
    if let Some(rate) = file.sample_rate_hz {
        if !(8_000..=384_000).contains(&rate) {
            bail!("sample_rate_hz = {rate} is outside 8000…384000");
        }
    }
    let mut stems = Vec::new();
    for entry in &file.stems {
        check_name("stem", &entry.name)?;
        if stems.iter().any(|s: &Stem| s.name == entry.name) {
            bail!("two stems are called \"{}\"", entry.name);
        }
        let what = || format!("stem \"{}\"", entry.name);
        let role = resolve_role(entry.role.as_ref(), text).with_context(what)?;
        let strip = keys::read_section::<StripParam>(&entry.strip, text)
            .with_context(|| format!("{}: [stem.strip]", what()))?;
        stems.push(Stem {
            name: entry.name.clone(),
            path: dir.join(&entry.path),
            role,
            strip: strip_settings(&strip),
        });
    }
    let master = keys::read_section::<MasterParam>(&file.master, text).context("[master]")?;
    let target = resolve_target(&file.target).context("[target]")?;
    let mut versions = vec![Version {
        name: FULL_VERSION.to_owned(),
        stem_gains: vec![1.0; stems.len()],
    }];
    for entry in &file.versions {
        let version = resolve_version(entry, &stems)
            .with_context(|| format!("version \"{}\"", entry.name))?;
        if versions.iter().any(|v| v.name == version.name) {
            bail!("two versions are called \"{}\"", version.name);
        }
        versions.push(version);
    }
    let delivered_versions = match &file.deliverables.versions {
        None => (0..versions.len()).collect(),
        Some(names) => names
            .iter()
            .map(|name| {
                versions
                    .iter()
                    .position(|v| &v.name == name)
                    .with_context(|| format!("[deliverables]: no version called \"{name}\""))
            })
            .collect::<Result<_>>()?,
    };
    Ok(Session {
        path: path.to_owned(),
        sample_rate_hz: file.sample_rate_hz,
        target,
        normalize: file.target.normalize,
        master: master_settings(&master),
        master_values: master,
        stems,
        versions,
        formats: file.deliverables.formats.clone(),
        delivered_versions,
    })
}

/// The role a `[[stem]]`'s `role` names (default: other).
fn resolve_role(role: Option<&Spanned<String>>, text: &str) -> Result<Role> {
    let Some(role) = role else {
        return Ok(Role::Other);
    };
    Roles::from_id(role.get_ref()).with_context(|| {
        let (line, col) = line_col(text, role.span().start);
        format!(
            "line {line}, column {col}: unknown role \"{}\" (one of {})",
            role.get_ref(),
            Roles::CHOICES.ids.join(", ")
        )
    })
}

/// Names become file names: letters, digits, `-`, `_`, `.` only.
fn check_name(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        bail!("{what} name \"{name}\": use letters, digits, '-', '_' or '.' only");
    }
    Ok(())
}

/// The delivery target `params` names (built-in or custom, range-checked).
pub(crate) fn resolve_target(params: &TargetParams) -> Result<DeliveryTarget> {
    if params.id == "custom" {
        let (Some(lufs), Some(tp)) = (params.lufs, params.true_peak_dbtp) else {
            bail!("id = \"custom\" needs lufs and true_peak_dbtp");
        };
        check_range("lufs", lufs, -50.0, 0.0)?;
        check_range("true_peak_dbtp", tp, -12.0, 0.0)?;
        return Ok(DeliveryTarget::custom(lufs, tp));
    }
    if params.lufs.is_some() || params.true_peak_dbtp.is_some() {
        bail!("lufs and true_peak_dbtp are only for id = \"custom\"");
    }
    target_by_id(&params.id).copied().with_context(|| {
        let ids: Vec<_> = TARGETS.iter().map(|t| t.id).collect();
        format!(
            "unknown target id \"{}\" (one of {}, custom)",
            params.id,
            ids.join(", ")
        )
    })
}

fn resolve_version(entry: &VersionEntry, stems: &[Stem]) -> Result<Version> {
    check_name("version", &entry.name)?;
    let index = |name: &String| {
        stems
            .iter()
            .position(|s| &s.name == name)
            .with_context(|| format!("no stem called \"{name}\""))
    };
    let mut stem_gains = match &entry.only {
        None => vec![1.0; stems.len()],
        Some(only) => {
            let mut gains = vec![0.0; stems.len()];
            for name in only {
                gains[index(name)?] = 1.0;
            }
            gains
        }
    };
    for name in &entry.mute {
        stem_gains[index(name)?] = 0.0;
    }
    for (name, &db) in &entry.gain_db {
        check_range(&format!("gain_db.{name}"), db, -60.0, 12.0)?;
        stem_gains[index(name)?] *= 10f32.powf(db / 20.0);
    }
    Ok(Version {
        name: entry.name.clone(),
        stem_gains,
    })
}
