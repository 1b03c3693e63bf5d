//! Stemwise's host-level test harness: loads the built bundles in a real CLAP host
//! (`clack-host`), never by linking the plugin crates.
//!
//! - [`bundles`]: find `target/bundled/*.clap` and list their plugin descriptors.
//! - [`PluginUnderTest`]: instantiate, pick a channel layout, activate at any rate and block
//!   size, process f32 audio with sample-accurate parameter events on an audio thread,
//!   latency, parameters, state save/load, GUI queries.
//! - [`params`]: parameters as discovered through CLAP, and generic parameter settings.
//! - [`checks`]: signals and measurements shared by the tests.
//! - [`demo`]: the demo's plugin parity render (`stemwise-demo`, run by `cargo xtask demo`):
//!   the session `stemwise demo` wrote, through the bundles, against the CLI's master.

pub mod audio;
pub mod bundles;
pub mod checks;
pub mod demo;
pub mod gui;
pub mod host;
pub mod link;
pub mod params;
pub mod plugin;

pub use audio::{sweep_events, ParamEvent};
pub use plugin::{process_in_parallel, ActiveConfig, PluginUnderTest};
