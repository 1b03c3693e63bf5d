//! Test helper: a second host process for the session-link tests. Loads Stem Strips from the
//! built CLAP bundle, joins them to a session and processes pink noise in real time until
//! killed (or for a given time).
//!
//! `stemwise-strip-host SESSION COUNT SECONDS`: COUNT strips named `host-strip-0`…, trim
//! `0.5 * index` dB, 48 kHz, 512-frame blocks, 100 ms of audio per 100 ms of wall time. Prints
//! `ready PID` after the first round; exits 0 after SECONDS, non-zero on any failure.
//!
//! `stemwise-strip-host SESSION COUNT SECONDS electronic`: the first COUNT (at most 6) strips
//! of an electronic session instead ([`ELECTRONIC`]: names, roles, trims and noise levels).

use anyhow::{Context, Result};
use std::io::Write;
use std::time::{Duration, Instant};
use stemwise_tests::bundles::STEM_STRIP_ID;
use stemwise_tests::checks::pink;
use stemwise_tests::{process_in_parallel, PluginUnderTest};

/// Sample rate, Hz.
const RATE_HZ: f64 = 48_000.0;
/// Frames per round (100 ms).
const ROUND_FRAMES: usize = 4800;

/// One preset strip: name, `Role` index (drums 0, bass 1, keys 2, vocals 3, sub 4, fx 5),
/// trim dB and pink-noise level dBFS.
type Preset = (&'static str, f64, f64, f64);

/// An electronic 6-stem session; the Sub's trim is beyond ±3 dB, so the Master Bus warns.
const ELECTRONIC: [Preset; 6] = [
    ("Kick", 0.0, -1.5, -10.0),
    ("Bass", 1.0, 0.75, -12.0),
    ("Sub", 4.0, -4.5, -14.0),
    ("Synths", 2.0, 1.25, -16.0),
    ("Vocals", 3.0, 2.0, -13.0),
    ("FX", 5.0, -2.25, -22.0),
];

/// A strip joined to `session` as `name` with `role` and `trim_db`, activated.
fn strip(session: &str, name: &str, role: f64, trim_db: f64) -> Result<PluginUnderTest> {
    let mut plugin =
        PluginUnderTest::open_typed(STEM_STRIP_ID, 2, &[("Role", role), ("Trim", trim_db)])?;
    plugin.set_fields(&[
        ("session", serde_json::json!(session)),
        ("display_name", serde_json::json!(name)),
    ])?;
    plugin.activate(RATE_HZ, 512)?;
    Ok(plugin)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let session = args
        .get(1)
        .context("usage: SESSION COUNT SECONDS [electronic]")?;
    let count: usize = args.get(2).context("COUNT")?.parse()?;
    let seconds: u64 = args.get(3).context("SECONDS")?.parse()?;
    let presets: Vec<(String, f64, f64, f64)> = match args.get(4).map(String::as_str) {
        None => (0..count)
            .map(|i| (format!("host-strip-{i}"), 0.0, 0.5 * i as f64, -12.0))
            .collect(),
        Some("electronic") => ELECTRONIC
            .iter()
            .take(count)
            .map(|&(name, role, trim, level)| (name.to_owned(), role, trim, level))
            .collect(),
        Some(other) => anyhow::bail!("unknown preset set {other:?} (known: electronic)"),
    };
    let count = presets.len();
    let mut strips = presets
        .iter()
        .map(|(name, role, trim, _)| strip(session, name, *role, *trim))
        .collect::<Result<Vec<_>>>()?;
    let start = Instant::now();
    let mut round = 0u64;
    while start.elapsed() < Duration::from_secs(seconds) {
        let mut audio: Vec<_> = (0..count)
            .map(|i| pink(round * 100 + i as u64, presets[i].3, 2, ROUND_FRAMES))
            .collect();
        let mut refs: Vec<&mut PluginUnderTest> = strips.iter_mut().collect();
        let mut audio_refs: Vec<&mut [Vec<f32>]> =
            audio.iter_mut().map(|a| a.as_mut_slice()).collect();
        process_in_parallel(&mut refs, &mut audio_refs, &[512], &[])?;
        if round == 0 {
            println!("ready {}", std::process::id());
            std::io::stdout().flush()?;
        }
        round += 1;
        let due = Duration::from_millis(100 * round);
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    Ok(())
}
