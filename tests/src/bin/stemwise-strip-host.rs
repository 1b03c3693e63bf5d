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
use stemwise_tests::params::param_named;
use stemwise_tests::{process_in_parallel, PluginUnderTest};

/// Sample rate, Hz.
const RATE_HZ: f64 = 48_000.0;
/// Frames per round (100 ms).
const ROUND_FRAMES: usize = 4800;

/// `state` (a nice-plug CLAP state: little-endian u64 length, then JSON) with persisted fields
/// set to JSON strings.
fn with_fields(state: &[u8], fields: &[(&str, &str)]) -> Result<Vec<u8>> {
    let len = u64::from_le_bytes(state[..8].try_into()?) as usize;
    let mut json: serde_json::Value = serde_json::from_slice(&state[8..8 + len])?;
    for (key, value) in fields {
        json["fields"][*key] = serde_json::Value::String(serde_json::to_string(value)?);
    }
    let body = serde_json::to_vec(&json)?;
    let mut out = (body.len() as u64).to_le_bytes().to_vec();
    out.extend(body);
    Ok(out)
}

/// A strip joined to `session` as `name` with `trim_db`, activated.
fn strip(session: &str, name: &str, trim_db: f64) -> Result<PluginUnderTest> {
    let mut plugin = PluginUnderTest::open_inactive(STEM_STRIP_ID, 2)?;
    let state = plugin.save_state()?;
    plugin.load_state(&with_fields(
        &state,
        &[("session", session), ("display_name", name)],
    )?)?;
    let trim = param_named(plugin.params(), "Trim").context("no Trim parameter")?;
    let id = trim.id;
    let value = plugin.value_from_text(id, &trim_db.to_string())?;
    plugin.set_param(id, value)?;
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
