//! The demo's **plugin parity render**: the session `stemwise demo` wrote, rendered again
//! through the built CLAP bundles (one Stem Strip per stem, summed, one Master Bus), as a
//! DAW would render it, and compared with the master the `stemwise` tool wrote.
//!
//! # How the settings reach the plugins
//!
//! A session's `[stem.strip]` and `[master]` keys are the plugins' parameter string IDs
//! (`shared_dsp::params`, read by `cli/src/session/keys.rs`). nice-plug's CLAP state is JSON keyed by those same IDs with plain
//! values (`{"thresh": {"f32": -20.0}, "comp_on": {"bool": true}, "detector": {"string":
//! "peak"}}`), so each instance gets its settings through `state.load`, the way a DAW recalls
//! a project: no name table, and no precision lost. (Typed-in values would go through the
//! parameter's text parser and CLAP's normalised 0…1 doubles; for skewed ranges such as
//! frequencies that round trip is not exact to the last bit.) The only unit difference is
//! percentages: the session writes 0–100, the plugin stores 0…1 (the table's `Unit::Percent`).
//!
//! Every instance is then checked the other way round: its saved state, read as session keys
//! and resolved by the CLI's own session code ([`StripParams::settings`],
//! [`MasterParams::settings`]), must equal the settings the CLI rendered with. So a renamed
//! ID, a default that differs between plugin and CLI, or a missed percentage is an error,
//! not a silent mismatch.
//!
//! # What is compared
//!
//! The effective master settings are the session's with the master input gain the loudness
//! targeting found (`render.json` `master_input_db`). The CLI renders every version with the
//! full mix's dynamic gains; a plugin chain cannot, so **parity is for the full master**. The
//! instrumental is also rendered, through its own Master Bus as a DAW bounce of the muted mix
//! would be, and its difference from the CLI's linked instrumental is reported (not a parity
//! check: it shows what the linking does).

use crate::bundles::{MASTER_BUS_ID, STEM_STRIP_ID};
use crate::checks::{first_bit_difference, max_abs_diff_from, Channels};
use crate::plugin::state_json;
use crate::PluginUnderTest;
use anyhow::{bail, ensure, Context, Result};
use serde_json::{Map, Value};
use shared_dsp::master::MasterSettings;
use shared_dsp::params::master::{master_settings, MasterParam};
use shared_dsp::params::strip::{strip_settings, StripParam};
use shared_dsp::params::{Kind, ParamIndex, Values};
use std::path::{Path, PathBuf};
use stemwise_cli::audio_file::{read_audio, write_wav, Audio, WavFormat};
use stemwise_cli::progress::Progress;
use stemwise_cli::render::{mix, REPORT_FILE};
use stemwise_cli::session::keys::{param_of, read_table, session_keys, session_value};
use stemwise_cli::session::{self, Session, FULL_VERSION};
use stemwise_cli::stems::{load_stems, LoadOptions, RENDER_BLOCK};

/// The session file `stemwise demo` writes into its folder.
pub const SESSION_FILE: &str = "session.toml";
/// Folder (in the demo folder) of the masters as the CLI wrote them.
pub const MASTERS_DIR: &str = "masters";
/// Folder (in the demo folder) the plugin renders are written to.
pub const PARITY_DIR: &str = "parity";
/// The version rendered besides the full master (when the session has it).
pub const INSTRUMENTAL_VERSION: &str = "instrumental";

/// How far a plugin render is from the CLI's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// Largest |plugin − CLI| over every sample, linear full scale.
    pub max_abs_diff: f32,
    /// The same in dBFS (−inf when identical).
    pub residual_peak_dbfs: f64,
    /// RMS of the difference over both channels, dBFS (−inf when identical).
    pub residual_rms_dbfs: f64,
    /// First `(channel, frame)` whose bits differ; `None` when bit-exact.
    pub first_difference: Option<(usize, usize)>,
}

impl Comparison {
    /// Compares `plugin` with `reference` (same shape).
    pub fn of(plugin: &[Vec<f32>], reference: &[Vec<f32>]) -> Self {
        let max_abs_diff = max_abs_diff_from(plugin, reference, 0);
        let (sum_sq, count) = plugin
            .iter()
            .zip(reference)
            .flat_map(|(p, r)| p.iter().zip(r))
            .fold((0.0f64, 0usize), |(s, n), (&p, &r)| {
                let d = f64::from(p) - f64::from(r);
                (s + d * d, n + 1)
            });
        let rms = (sum_sq / count.max(1) as f64).sqrt();
        Self {
            max_abs_diff,
            residual_peak_dbfs: 20.0 * f64::from(max_abs_diff).log10(),
            residual_rms_dbfs: 20.0 * rms.log10(),
            first_difference: first_bit_difference(plugin, reference),
        }
    }

    /// Every sample identical bit for bit.
    pub fn bit_exact(&self) -> bool {
        self.first_difference.is_none()
    }

    /// One line for the summary.
    pub fn describe(&self) -> String {
        match self.first_difference {
            None => "bit-exact (max |difference| 0)".to_owned(),
            Some((channel, frame)) => format!(
                "max |difference| {:.3e} ({:.1} dBFS), residual RMS {:.1} dBFS, first \
                 difference at channel {channel}, frame {frame}",
                self.max_abs_diff, self.residual_peak_dbfs, self.residual_rms_dbfs
            ),
        }
    }
}

/// What the parity render found.
#[derive(Debug, Clone, PartialEq)]
pub struct ParityReport {
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Frames per signal.
    pub num_frames: usize,
    /// Stem names, in session order.
    pub stem_names: Vec<String>,
    /// Latency each Stem Strip reported, samples (removed, as a host's delay compensation).
    pub strip_latency_samples: Vec<u32>,
    /// Latency the Master Bus reported, samples.
    pub master_latency_samples: u32,
    /// Master input gain of the render (after loudness targeting), dB.
    pub master_input_db: f32,
    /// Plugin parameters set and checked against the CLI's settings, all instances.
    pub num_params_checked: usize,
    /// The full master through the bundles against `masters/full.wav`.
    pub full: Comparison,
    /// The instrumental through its own Master Bus against `masters/instrumental.wav` (not
    /// expected to null: the CLI applies the full mix's dynamic gain to it).
    pub instrumental: Option<Comparison>,
    /// The plugin renders written (`parity/*.wav`).
    pub files: Vec<PathBuf>,
}

impl ParityReport {
    /// The human-readable summary.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "plugin parity: {} stems through Stem Strip (latency {:?} samples), summed, \
             through Master Bus (latency {}, input {:+.2} dB), {} parameters checked against \
             the CLI's settings\n",
            self.stem_names.len(),
            self.strip_latency_samples,
            self.master_latency_samples,
            self.master_input_db,
            self.num_params_checked
        );
        out += &format!(
            "parity full master (CLAP bundles vs stemwise): {}\n",
            self.full.describe()
        );
        if let Some(instrumental) = &self.instrumental {
            out += &format!(
                "instrumental through its own Master Bus vs stemwise's (full-mix dynamics; \
                 not a parity check): {}\n",
                instrumental.describe()
            );
        }
        out
    }
}

/// Renders the demo session in `demo_dir` (written by `stemwise demo`) through the CLAP
/// bundles, writes the renders to `demo_dir/parity/` and compares them with
/// `demo_dir/masters/`.
pub fn render_parity(demo_dir: &Path) -> Result<ParityReport> {
    render_parity_in_blocks(demo_dir, &[RENDER_BLOCK])
}

/// [`render_parity`] with host blocks whose sizes cycle through `block_sizes` (each at most
/// [`RENDER_BLOCK`], the size the instances are activated with), as a DAW's varying buffers.
pub fn render_parity_in_blocks(demo_dir: &Path, block_sizes: &[usize]) -> Result<ParityReport> {
    ensure!(
        !block_sizes.is_empty() && block_sizes.iter().all(|&n| (1..=RENDER_BLOCK).contains(&n)),
        "block sizes must be 1…{RENDER_BLOCK}"
    );
    let session_path = demo_dir.join(SESSION_FILE);
    let session = session::load(&session_path)?;
    let raw: toml::Table = toml::from_str(
        &std::fs::read_to_string(&session_path)
            .with_context(|| format!("reading {}", session_path.display()))?,
    )
    .with_context(|| format!("parsing {}", session_path.display()))?;
    let master_input_db = rendered_master_input_db(demo_dir)?;
    let stems = load_stems(&session, LoadOptions::default(), Progress::new(false))?;
    let rate = stems.sample_rate_hz;

    let raw_stems = raw
        .get("stem")
        .and_then(toml::Value::as_array)
        .context("session has no [[stem]] array")?;
    ensure!(
        raw_stems.len() == session.stems.len(),
        "stem count mismatch"
    );
    let mut num_params_checked = 0;
    let mut processed = Vec::new();
    let mut strip_latency_samples = Vec::new();
    for ((stem, raw_stem), audio) in session.stems.iter().zip(raw_stems).zip(stems.audio) {
        let what = format!("stem \"{}\"", stem.name);
        let strip_keys = raw_stem.get("strip").and_then(toml::Value::as_table);
        let mut values = session_values::<StripParam>(strip_keys)?;
        if let Some(role) = raw_stem.get("role").and_then(toml::Value::as_str) {
            // The role selector only tells the editor which defaults to offer.
            values.push(("role".to_owned(), Value::String(role.to_owned())));
        }
        let mut strip = PluginUnderTest::open_inactive(STEM_STRIP_ID, 2)?;
        num_params_checked += apply_session_values(&mut strip, &values)
            .and_then(|()| {
                let (values, n) = session_params::<StripParam>(&mut strip)?;
                let settings = strip_settings(&values);
                ensure!(
                    settings == stem.strip,
                    "the plugin's settings {settings:?}\ndiffer from the CLI's {:?}",
                    stem.strip
                );
                Ok(n)
            })
            .with_context(|| format!("{what}: Stem Strip settings"))?;
        strip.activate(f64::from(rate), RENDER_BLOCK)?;
        strip_latency_samples.push(strip.latency()?);
        processed
            .push(process_aligned(&mut strip, audio, block_sizes).with_context(|| what.clone())?);
    }

    let mut master_values =
        session_values::<MasterParam>(raw.get("master").and_then(toml::Value::as_table))?;
    master_values.retain(|(key, _)| key != "in_gain");
    master_values.push(("in_gain".to_owned(), f32_value(master_input_db)));
    // What `stemwise render` masters with: the session's settings at the targeted input gain.
    let effective_master = MasterSettings {
        input_db: master_input_db,
        ..session.master
    };
    let master = MasterRun {
        values: &master_values,
        settings: effective_master,
        rate,
        demo_dir,
        block_sizes,
    };
    let full = master.render(&session, &processed, FULL_VERSION)?;
    let instrumental = if session
        .versions
        .iter()
        .any(|v| v.name == INSTRUMENTAL_VERSION)
    {
        Some(master.render(&session, &processed, INSTRUMENTAL_VERSION)?)
    } else {
        None
    };
    num_params_checked += full.num_params_checked;
    let mut files = vec![full.path];
    files.extend(instrumental.as_ref().map(|r| r.path.clone()));

    Ok(ParityReport {
        sample_rate_hz: rate,
        num_frames: stems.num_frames,
        stem_names: session.stems.iter().map(|s| s.name.clone()).collect(),
        strip_latency_samples,
        master_latency_samples: full.latency_samples,
        master_input_db,
        num_params_checked,
        full: full.comparison,
        instrumental: instrumental.map(|r| r.comparison),
        files,
    })
}

/// The Master Bus stage of the parity render.
struct MasterRun<'a> {
    /// Session keys and values to set (`in_gain` already the targeted one).
    values: &'a [(String, Value)],
    /// The settings the CLI rendered with, that the instance must end up with.
    settings: MasterSettings,
    /// Sample rate, Hz.
    rate: u32,
    /// The demo folder.
    demo_dir: &'a Path,
    /// Host block sizes, cycled.
    block_sizes: &'a [usize],
}

/// One version through a Master Bus instance.
struct MasterRendered {
    /// Against the CLI's master of the version.
    comparison: Comparison,
    /// Reported latency, samples.
    latency_samples: u32,
    /// Parameters set and checked.
    num_params_checked: usize,
    /// The plugin render written.
    path: PathBuf,
}

impl MasterRun<'_> {
    /// Mixes version `name` of the processed stems, runs it through a fresh Master Bus,
    /// writes it to `parity/{name}-clap.wav` and compares it with `masters/{name}.wav`.
    fn render(
        &self,
        session: &Session,
        processed: &[Channels],
        name: &str,
    ) -> Result<MasterRendered> {
        let index = session
            .versions
            .iter()
            .position(|v| v.name == name)
            .with_context(|| format!("the session has no version \"{name}\""))?;
        let mut bus = PluginUnderTest::open_inactive(MASTER_BUS_ID, 2)?;
        let num_params_checked = apply_session_values(&mut bus, self.values)
            .and_then(|()| {
                let (values, n) = session_params::<MasterParam>(&mut bus)?;
                let settings = master_settings(&values);
                ensure!(
                    settings == self.settings,
                    "the plugin's settings {settings:?}\ndiffer from the CLI's {:?}",
                    self.settings
                );
                Ok(n)
            })
            .context("Master Bus settings")?;
        bus.activate(f64::from(self.rate), RENDER_BLOCK)?;
        let latency_samples = bus.latency()?;
        // The host's summing bus: stems in session order, as the CLI sums them.
        let summed = mix(processed, &session.versions[index].stem_gains);
        let master = process_aligned(&mut bus, summed, self.block_sizes)
            .with_context(|| format!("{name} master"))?;
        let reference_path = self.demo_dir.join(MASTERS_DIR).join(format!("{name}.wav"));
        let reference = read_audio(&reference_path)?;
        ensure!(
            reference.sample_rate_hz == self.rate && reference.num_frames() == master[0].len(),
            "{}: {} frames at {} Hz, but the plugin render has {} at {} Hz",
            reference_path.display(),
            reference.num_frames(),
            reference.sample_rate_hz,
            master[0].len(),
            self.rate
        );
        let path = self
            .demo_dir
            .join(PARITY_DIR)
            .join(format!("{name}-clap.wav"));
        let audio = Audio {
            sample_rate_hz: self.rate,
            channels: master,
        };
        write_wav(&path, &audio, WavFormat::Float32, true)?;
        Ok(MasterRendered {
            comparison: Comparison::of(&audio.channels, &reference.channels),
            latency_samples,
            num_params_checked,
            path,
        })
    }
}

/// The master input gain `stemwise` rendered with (`render.json`; loudness targeting changes
/// it from the session's `in_gain`).
pub fn rendered_master_input_db(demo_dir: &Path) -> Result<f32> {
    let path = demo_dir.join(REPORT_FILE);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let json: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let db = json["master_input_db"]
        .as_f64()
        .with_context(|| format!("{}: no master_input_db", path.display()))?;
    // serde_json wrote the f32 in its shortest round-trip form: this is the same f32.
    Ok(db as f32)
}

/// A session table's keys and values as plugin state values: numbers as the f32 the CLI
/// reads (percentages divided by 100 in f32, as the CLI does, through the same table),
/// switches and choices as they are. The state's own variant (`f32`, `bool`, `string`) is
/// chosen in [`apply_session_values`].
fn session_values<P: ParamIndex>(table: Option<&toml::Table>) -> Result<Vec<(String, Value)>> {
    let Some(table) = table else {
        return Ok(Vec::new());
    };
    let plain = read_table::<P>(table)?;
    table
        .keys()
        .map(|key| {
            let param = param_of::<P>(key).with_context(|| format!("unknown key {key}"))?;
            let value = match param.spec().kind {
                Kind::Float(_) => f32_value(plain.get(param)),
                _ => match &table[key] {
                    toml::Value::Boolean(b) => Value::Bool(*b),
                    toml::Value::String(s) => Value::String(s.clone()),
                    other => bail!("{key} = {other}: not a parameter value"),
                },
            };
            Ok((key.clone(), value))
        })
        .collect()
}

/// An f32 as a JSON number that parses back to the same f32.
fn f32_value(x: f32) -> Value {
    Value::from(f64::from(x))
}

/// Sets `values` (session keys = parameter IDs) in the inactive `plugin` through its state,
/// keeping every other parameter and field as the plugin saved it.
fn apply_session_values(plugin: &mut PluginUnderTest, values: &[(String, Value)]) -> Result<()> {
    let saved = plugin.save_state()?;
    let mut json = state_json(&saved)?;
    let params = json["params"]
        .as_object_mut()
        .context("the plugin's state has no params object")?;
    for (key, value) in values {
        let slot = params
            .get_mut(key)
            .and_then(Value::as_object_mut)
            .with_context(|| format!("the plugin has no parameter `{key}`"))?;
        let (kind, _) = slot
            .iter()
            .next()
            .with_context(|| format!("`{key}`: empty state value"))?;
        let kind = kind.clone();
        let fits = match kind.as_str() {
            "f32" => value.is_number(),
            "bool" => value.is_boolean(),
            "string" => value.is_string(),
            _ => false,
        };
        ensure!(fits, "`{key}` = {value}: the plugin stores a {kind}");
        *slot = Map::from_iter([(kind, value.clone())]);
    }
    plugin.load_state(&encode_state(&saved, &json)?)
}

/// `saved` (nice-plug's CLAP state: little-endian u64 length, JSON, then anything else) with
/// its JSON replaced by `json`.
fn encode_state(saved: &[u8], json: &Value) -> Result<Vec<u8>> {
    let header: [u8; 8] = saved
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .context("state shorter than its length header")?;
    let old_len = u64::from_le_bytes(header) as usize;
    let body = serde_json::to_vec(json)?;
    let mut bytes = (body.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(&body);
    bytes.extend_from_slice(saved.get(8 + old_len..).unwrap_or_default());
    Ok(bytes)
}

/// The plugin's saved state read as session keys (every key of table `P`, in session units)
/// and resolved by the CLI's session code, with the number of keys read.
fn session_params<P: ParamIndex>(plugin: &mut PluginUnderTest) -> Result<(Values<P>, usize)> {
    let json = plugin.saved_json()?;
    let params = json["params"]
        .as_object()
        .context("the plugin's state has no params object")?;
    let mut table = toml::Table::new();
    for key in session_keys::<P>() {
        let slot = params
            .get(key)
            .and_then(Value::as_object)
            .and_then(|o| o.iter().next())
            .with_context(|| format!("the plugin has no parameter `{key}` (a session key)"))?;
        let param = param_of::<P>(key).context("a session key of the table")?;
        let value = match slot {
            (kind, Value::Number(x)) if kind == "f32" => {
                let plain = x.as_f64().context("not a number")? as f32;
                session_value(param.spec(), plain)
            }
            (_, Value::Bool(b)) => toml::Value::Boolean(*b),
            (_, Value::String(s)) => toml::Value::String(s.clone()),
            (kind, other) => bail!("`{key}`: a {kind} state value {other}"),
        };
        table.insert(key.to_owned(), value);
    }
    Ok((read_table::<P>(&table)?, table.len()))
}

/// Processes `audio` through an active plugin in blocks of `block_sizes` (cycled) and removes its
/// reported latency (the input is extended by that many zeros), as the CLI does, so the
/// output lines up with the input sample for sample.
fn process_aligned(
    plugin: &mut PluginUnderTest,
    mut audio: Channels,
    block_sizes: &[usize],
) -> Result<Channels> {
    let latency = plugin.latency()? as usize;
    let len = audio.first().map_or(0, Vec::len);
    for channel in &mut audio {
        channel.resize(len + latency, 0.0);
    }
    plugin.process(&mut audio, block_sizes, &[])?;
    for channel in &mut audio {
        channel.drain(..latency);
    }
    Ok(audio)
}
