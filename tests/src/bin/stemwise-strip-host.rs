//! Test helper: a second host process for the session-link tests. Loads Stem Strips from the
//! built CLAP bundle, joins them to a session and processes pink noise in real time until
//! killed (or for a given time).
//!
//! `stemwise-strip-host SESSION COUNT SECONDS`: COUNT strips named `host-strip-0`…, trim
//! `0.5 * index` dB, 48 kHz, 512-frame blocks, 100 ms of audio per 100 ms of wall time. Prints
//! `ready PID` after the first round; exits 0 after SECONDS, non-zero on any failure.

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

/// A strip joined to `session` as `name` with `trim_db`, activated.
fn strip(session: &str, name: &str, trim_db: f64) -> Result<PluginUnderTest> {
    let mut plugin = PluginUnderTest::open_typed(STEM_STRIP_ID, 2, &[("Trim", trim_db)])?;
    plugin.set_fields(&[
        ("session", serde_json::json!(session)),
        ("display_name", serde_json::json!(name)),
    ])?;
    plugin.activate(RATE_HZ, 512)?;
    Ok(plugin)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let session = args.get(1).context("usage: SESSION COUNT SECONDS")?;
    let count: usize = args.get(2).context("COUNT")?.parse()?;
    let seconds: u64 = args.get(3).context("SECONDS")?.parse()?;
    let mut strips = (0..count)
        .map(|i| strip(session, &format!("host-strip-{i}"), 0.5 * i as f64))
        .collect::<Result<Vec<_>>>()?;
    let start = Instant::now();
    let mut round = 0u64;
    while start.elapsed() < Duration::from_secs(seconds) {
        let mut audio: Vec<_> = (0..count)
            .map(|i| pink(round * 100 + i as u64, -12.0, 2, ROUND_FRAMES))
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
