//! Finding the built `.clap` bundles and reading their plugin descriptors.

use anyhow::{anyhow, bail, Context, Result};
use clack_host::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The command that builds the bundles the harness loads.
pub const BUNDLE_COMMAND: &str = "cargo xtask bundle -p stem-strip -p master-bus --profile harness";

/// CLAP id of the Stem Strip plugin.
pub const STEM_STRIP_ID: &str = "com.stemwise.stem-strip";
/// CLAP id of the Master Bus plugin.
pub const MASTER_BUS_ID: &str = "com.stemwise.master-bus";
/// Both Stemwise plugins, for checks that run on each.
pub const ALL_PLUGIN_IDS: [&str; 2] = [STEM_STRIP_ID, MASTER_BUS_ID];

/// One plugin found in a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginDescription {
    /// The bundle file the plugin lives in.
    pub bundle: PathBuf,
    /// CLAP plugin id, e.g. `com.stemwise.stem-strip`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Vendor name.
    pub vendor: String,
    /// Version string.
    pub version: String,
    /// CLAP feature strings (`audio-effect`, `stereo`, ...).
    pub features: Vec<String>,
}

/// The directory holding the bundles: `$CARGO_TARGET_DIR/bundled`, else the workspace's
/// `target/bundled`.
pub fn bundle_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("the tests crate lives inside the workspace")
                .join("target")
        });
    target.join("bundled")
}

/// Every `.clap` bundle in [`bundle_dir`], sorted by path.
///
/// # Errors
/// If there are none, with the command that builds them.
pub fn clap_bundles() -> Result<Vec<PathBuf>> {
    let dir = bundle_dir();
    let mut bundles: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.extension().is_some_and(|ext| ext == "clap"))
                .collect()
        })
        .unwrap_or_default();
    if bundles.is_empty() {
        bail!(
            "no .clap bundles in {}: build them first with `{BUNDLE_COMMAND}`",
            dir.display()
        );
    }
    bundles.sort();
    Ok(bundles)
}

/// Loads the CLAP entry of a bundle. On Linux and Windows the bundle is the library itself;
/// on macOS it is a directory with the library under `Contents/MacOS`.
///
/// Like a DAW, the harness loads each bundle once and never unloads it: a thread that ran
/// plugin code may hold thread-local values whose destructors live in the library, and those
/// run when the thread exits, possibly after the last instance is gone.
pub fn load_entry(bundle: &Path) -> Result<PluginEntry> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, PluginEntry>>> = OnceLock::new();
    let mut loaded = LOADED
        .get_or_init(Default::default)
        .lock()
        .map_err(|_| anyhow!("a thread panicked while loading a bundle"))?;
    if let Some(entry) = loaded.get(bundle) {
        return Ok(entry.clone());
    }
    // SAFETY: loading a library runs its initialisers; the harness only loads the bundles this
    // workspace built, whose entry points are nice-plug's well-behaved CLAP exports.
    let entry = unsafe { PluginEntry::load(bundle) }
        .map_err(|e| anyhow!("loading {}: {e:?}", bundle.display()))?;
    loaded.insert(bundle.to_owned(), entry.clone());
    Ok(entry)
}

/// Lists the plugins in one bundle.
pub fn describe_bundle(bundle: &Path) -> Result<Vec<PluginDescription>> {
    let entry = load_entry(bundle)?;
    let factory = entry
        .get_plugin_factory()
        .with_context(|| format!("{} has no plugin factory", bundle.display()))?;
    let text = |s: Option<&std::ffi::CStr>| s.map_or(String::new(), |s| s.to_string_lossy().into());
    Ok(factory
        .plugin_descriptors()
        .map(|d| PluginDescription {
            bundle: bundle.to_path_buf(),
            id: text(d.id()),
            name: text(d.name()),
            vendor: text(d.vendor()),
            version: text(d.version()),
            features: d.features().map(|f| f.to_string_lossy().into()).collect(),
        })
        .collect())
}

/// Every plugin in every bundle of [`bundle_dir`].
pub fn all_plugins() -> Result<Vec<PluginDescription>> {
    let mut plugins = Vec::new();
    for bundle in clap_bundles()? {
        plugins.extend(describe_bundle(&bundle)?);
    }
    Ok(plugins)
}

/// The bundle that contains the plugin with `plugin_id`.
pub fn find_plugin(plugin_id: &str) -> Result<PluginDescription> {
    all_plugins()?
        .into_iter()
        .find(|p| p.id == plugin_id)
        .with_context(|| {
            format!(
                "no bundle in {} contains {plugin_id}: rebuild with `{BUNDLE_COMMAND}`",
                bundle_dir().display()
            )
        })
}
