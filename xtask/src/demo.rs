//! `cargo xtask demo`: builds the release bundles and launches the demo renderer.

use crate::bundle::PLUGINS;
use crate::run::cargo;
use anyhow::{bail, Context};

/// Where the demo renderer writes its output, relative to the workspace root.
const OUT_DIR: &str = "out/demo";

/// Bundles both plugins with `--release`, then runs `stemwise-demo` into [`OUT_DIR`].
pub fn run() -> anyhow::Result<()> {
    let mut bundle_args = vec!["bundle".to_owned()];
    bundle_args.extend(PLUGINS.iter().map(|name| (*name).to_owned()));
    bundle_args.push("--release".to_owned());
    crate::bundle::run(bundle_args)?;

    let status = cargo()
        .args([
            "run",
            "--release",
            "-p",
            "stemwise-tests",
            "--bin",
            "stemwise-demo",
            "--",
        ])
        .arg(OUT_DIR)
        .status()
        .context("could not start cargo")?;
    if !status.success() {
        bail!("the demo renderer failed ({status})");
    }
    println!("Demo written to {OUT_DIR}/");
    Ok(())
}
