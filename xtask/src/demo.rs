//! `cargo xtask demo`: the project's main job. Builds both plugins' release bundles, runs
//! `stemwise demo` (stems, session, render, deliverables, null tests, the demo album,
//! `report.html`), then the
//! plugin parity render (`stemwise-demo`): the same session through the CLAP bundles,
//! compared with the CLI's full master.

use crate::bundle::PLUGINS;
use crate::run::{cargo, streaming};
use anyhow::{bail, Context};
use std::process::Command;
use std::time::{Duration, Instant};

/// Where the demo goes, relative to the workspace root.
const OUT_DIR: &str = "out/demo";

/// Bundles both plugins with `--release`, renders the demo into [`OUT_DIR`] with `stemwise`,
/// renders it again through the bundles and prints a summary with the parity result.
pub fn run() -> anyhow::Result<()> {
    let started = Instant::now();
    let mut bundle_args = vec!["bundle".to_owned()];
    bundle_args.extend(PLUGINS.iter().map(|name| (*name).to_owned()));
    bundle_args.push("--release".to_owned());
    crate::bundle::run(bundle_args)?;
    // Both programs in one cargo call, so the two crates build side by side.
    run_cargo(
        cargo().args([
            "build",
            "--release",
            "-p",
            "stemwise-cli",
            "--bin",
            "stemwise",
            "-p",
            "stemwise-tests",
            "--bin",
            "stemwise-demo",
        ]),
        "building stemwise and stemwise-demo",
    )?;
    let built = started.elapsed();

    let render_started = Instant::now();
    let mut demo_lines = Vec::new();
    run_streaming(
        cargo()
            .args(release_bin("stemwise-cli", "stemwise"))
            .args(["demo", "--out", OUT_DIR, "--force"]),
        "stemwise demo",
        &mut demo_lines,
    )?;
    let rendered = render_started.elapsed();

    let parity_started = Instant::now();
    let mut parity_lines = Vec::new();
    let parity = run_streaming(
        cargo()
            .args(release_bin("stemwise-tests", "stemwise-demo"))
            .arg(OUT_DIR),
        "the plugin parity render",
        &mut parity_lines,
    );
    let parity_time = parity_started.elapsed();

    println!();
    println!("== cargo xtask demo ==");
    let report = demo_lines
        .iter()
        .find_map(|line| line.strip_prefix("report: "))
        .map_or_else(|| format!("{OUT_DIR}/report.html"), str::to_owned);
    println!("report:  {report} (open it in a browser)");
    println!("masters: {OUT_DIR}/masters/ (stemwise), {OUT_DIR}/parity/ (CLAP bundles)");
    println!("album:   {OUT_DIR}/album/ (CD master + cue sheet, ddp/, pq-sheet.html, vinyl sides)");
    for line in parity_lines.iter().filter(|line| {
        line.starts_with("plugin parity")
            || line.starts_with("parity")
            || line.starts_with("instrumental")
    }) {
        println!("{line}");
    }
    println!(
        "time:    {} total (bundles and builds {}, stemwise demo {}, parity render {})",
        minutes(started.elapsed()),
        minutes(built),
        minutes(rendered),
        minutes(parity_time)
    );
    parity
}

/// `cargo run --release -p package --bin bin --`.
fn release_bin(package: &str, bin: &str) -> [String; 7] {
    ["run", "--release", "-p", package, "--bin", bin, "--"].map(str::to_owned)
}

/// Runs a cargo command with inherited output; `what` names it in the error.
fn run_cargo(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let status = command.status().context("could not start cargo")?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// Runs `command`, echoing and collecting its standard output into `lines`.
fn run_streaming(command: &mut Command, what: &str, lines: &mut Vec<String>) -> anyhow::Result<()> {
    let status =
        streaming(command, |line| lines.push(line.to_owned())).context("could not start cargo")?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// `1m 05s` or `12.3 s`.
fn minutes(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1} s")
    } else {
        format!("{}m {:02}s", (s / 60.0).floor(), (s % 60.0).floor())
    }
}
