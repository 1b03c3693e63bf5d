//! The session link through the built Stem Strip bundle: strips hosted by the CLAP harness
//! publish what they set (read back from this test process with `session_link::Reader`),
//! leave when removed, drop out within 2 s when their host process is killed, survive foreign
//! bytes in the segment, and keep working when no shared memory is available. Publishing runs
//! inside nice-plug's allocation-checked `process` (harness profile).

use anyhow::Result;
use session_link::{EnergyBlock, LinkedStrip, Reader, Stages, Warnings, SLOT_COUNT};
use shared_dsp::loudness::{energy_to_lufs, LoudnessMeter};
use shared_dsp::roles::Role;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use stemwise_tests::bundles::STEM_STRIP_ID;
use stemwise_tests::checks::{pink, Channels};
use stemwise_tests::link::TestSession;
use stemwise_tests::params::param_named;
use stemwise_tests::{process_in_parallel, PluginUnderTest};

/// Sample rate, Hz.
const RATE_HZ: f64 = 48_000.0;
/// 3.6 s: 36 whole 100 ms blocks, so the last 30 are exactly the short-term window.
const NUM_FRAMES: usize = 172_800;

/// One strip's settings in these tests.
struct StripSetup {
    name: &'static str,
    num_channels: usize,
    /// `(parameter name, typed value)`.
    params: &'static [(&'static str, &'static str)],
    level_dbfs: f64,
}

/// A Stem Strip joined to `session` as `setup.name` with `setup.params`, activated.
fn open_strip(session: &str, setup: &StripSetup) -> Result<PluginUnderTest> {
    let mut plugin = PluginUnderTest::open_inactive(STEM_STRIP_ID, setup.num_channels)?;
    plugin.set_fields(&[
        ("session", serde_json::json!(session)),
        ("display_name", serde_json::json!(setup.name)),
    ])?;
    let specs = plugin.params().to_vec();
    for (name, text) in setup.params {
        let spec = param_named(&specs, name).unwrap_or_else(|| panic!("no parameter {name}"));
        let value = if spec.is_stepped {
            text.parse()?
        } else {
            plugin.value_from_text(spec.id, text)?
        };
        plugin.set_param(spec.id, value)?;
    }
    plugin.activate(RATE_HZ, 512)?;
    Ok(plugin)
}

/// Processes one signal per strip, all at once on their own audio threads.
fn process_all(strips: &mut [PluginUnderTest], audio: &mut [Channels]) -> Result<()> {
    let mut refs: Vec<&mut PluginUnderTest> = strips.iter_mut().collect();
    let mut audio_refs: Vec<&mut [Vec<f32>]> = audio.iter_mut().map(|a| a.as_mut_slice()).collect();
    process_in_parallel(&mut refs, &mut audio_refs, &[512, 480, 7, 301], &[])
}

/// The strip named `name` in `strips`.
fn named<'a>(strips: &'a [LinkedStrip], name: &str) -> &'a LinkedStrip {
    strips
        .iter()
        .find(|s| s.state.name.as_str() == name)
        .unwrap_or_else(|| panic!("no strip {name} in the session"))
}

const SETUPS: [StripSetup; 4] = [
    StripSetup {
        name: "Kick",
        num_channels: 2,
        params: &[("Trim", "-2.37"), ("Role", "0")],
        level_dbfs: -6.0,
    },
    StripSetup {
        name: "Bass DI",
        num_channels: 1,
        params: &[("Trim", "1.25"), ("Role", "1"), ("Polarity L", "1")],
        level_dbfs: -12.0,
    },
    StripSetup {
        name: "Lead vocal",
        num_channels: 2,
        params: &[
            ("Trim", "3.5"),
            ("Role", "3"),
            ("Compressor", "1"),
            ("Ratio", "4"),
            ("Threshold", "-30"),
        ],
        level_dbfs: -9.0,
    },
    StripSetup {
        name: "Pads",
        num_channels: 2,
        params: &[("Trim", "0"), ("Bypass", "1")],
        level_dbfs: -20.0,
    },
];

#[test]
fn strips_in_one_host_publish_what_they_set() {
    let session = TestSession::new("values");
    let mut strips: Vec<PluginUnderTest> = SETUPS
        .iter()
        .map(|s| open_strip(&session.0, s).unwrap())
        .collect();
    let mut audio: Vec<Channels> = SETUPS
        .iter()
        .enumerate()
        .map(|(i, s)| pink(40 + i as u64, s.level_dbfs, s.num_channels, NUM_FRAMES))
        .collect();
    process_all(&mut strips, &mut audio).unwrap();
    let seen = Reader::open(&session.0).unwrap().snapshot();
    assert_eq!(seen.len(), SETUPS.len(), "{seen:#?}");
    for ((setup, plugin), output) in SETUPS.iter().zip(&mut strips).zip(&audio) {
        let strip = named(&seen, setup.name);
        let state = &strip.state;
        assert_eq!(strip.pid(), std::process::id());
        // Exactly the typed trim (0.01 dB steps), as an f32.
        let trim_text = setup.params.iter().find(|(n, _)| *n == "Trim").unwrap().1;
        assert_eq!(
            state.trim_db,
            trim_text.parse::<f32>().unwrap(),
            "{}",
            setup.name
        );
        assert_eq!(usize::from(state.num_channels), setup.num_channels);
        assert_eq!(state.latency_samples, plugin.latency().unwrap());
        assert_eq!(state.sample_rate_hz, RATE_HZ as f32);
        // The strip's own meter, run here on the strip's output.
        let mut meter = LoudnessMeter::new(RATE_HZ, NUM_FRAMES, setup.num_channels);
        let channels: Vec<&[f32]> = output.iter().map(Vec::as_slice).collect();
        meter.process_block(&channels);
        let own = meter.readings();
        let (short_term, momentary) = (own.short_term_lufs, own.momentary_lufs);
        println!(
            "{}: trim {} dB, S {:.3} / {short_term:.3} LUFS, M {:.3} / {momentary:.3} LUFS, GR {:.2} dB",
            setup.name, state.trim_db, state.short_term_lufs, state.momentary_lufs, state.reduction_db
        );
        assert!(
            (state.short_term_lufs - short_term).abs() < 0.1,
            "{}",
            setup.name
        );
        assert!(
            (state.momentary_lufs - momentary).abs() < 0.1,
            "{}",
            setup.name
        );
        let peak_db = 20.0
            * output
                .iter()
                .flatten()
                .fold(0f32, |m, s| m.max(s.abs()))
                .log10();
        assert!(state.peak_dbfs <= peak_db + 1e-4);
        // The last 30 energy blocks are the short-term window.
        let blocks = strip.energy_blocks();
        assert!(blocks.len() >= 30);
        let last30 = &blocks[blocks.len() - 30..];
        assert!(last30
            .iter()
            .all(|b| b.num_frames == 4800 && b.flags & EnergyBlock::TRANSPORT == 0));
        let mean = last30.iter().map(|b| b.energy).sum::<f64>() / 30.0;
        assert!(
            (energy_to_lufs(mean) as f32 - short_term).abs() < 0.1,
            "{}",
            setup.name
        );
    }
    let kick = named(&seen, "Kick").state;
    assert_eq!(kick.role, Role::Drums);
    assert!(kick.warnings.is_empty() && !kick.bypassed);
    let bass = named(&seen, "Bass DI").state;
    assert_eq!((bass.role, bass.invert), (Role::Bass, [true, false]));
    assert!(bass.warnings.contains(Warnings::POLARITY));
    let vocal = named(&seen, "Lead vocal").state;
    assert_eq!(vocal.role, Role::Vocals);
    assert!(vocal.warnings.contains(Warnings::TRIM) && vocal.warnings.contains(Warnings::RATIO));
    assert!(vocal.stages.contains(Stages::COMPRESSOR) && vocal.reduction_db > 0.5);
    assert!(named(&seen, "Pads").state.bypassed);
}

#[test]
fn a_removed_strip_leaves_the_session_at_once() {
    let session = TestSession::new("removed");
    let mut strips: Vec<PluginUnderTest> = SETUPS[..2]
        .iter()
        .map(|s| open_strip(&session.0, s).unwrap())
        .collect();
    let mut audio: Vec<Channels> = SETUPS[..2]
        .iter()
        .map(|s| pink(7, s.level_dbfs, s.num_channels, 9600))
        .collect();
    process_all(&mut strips, &mut audio).unwrap();
    let reader = Reader::open(&session.0).unwrap();
    assert_eq!(reader.snapshot().len(), 2);
    drop(strips.pop());
    let left = reader.snapshot();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].state.name.as_str(), "Kick");
}

/// Starts `stemwise-strip-host` with `count` strips in `session` and waits for `ready`.
fn spawn_host(session: &str, count: usize, env: &[(&str, &str)]) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stemwise-strip-host"))
        .args([session, &count.to_string(), "60"])
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("ready"), "strip host said {line:?}");
    child
}

/// Polls until `done` holds for a snapshot or `timeout` passes; the time it took.
fn wait_for(
    reader: &Reader,
    timeout: Duration,
    done: impl Fn(&[LinkedStrip]) -> bool,
) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if done(&reader.snapshot()) {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[test]
fn strips_in_a_killed_host_process_drop_out_within_two_seconds() {
    let session = TestSession::new("killed");
    let reader = Reader::open(&session.0).unwrap();
    let mut child = spawn_host(&session.0, 3, &[]);
    let pid = child.id();
    let running = wait_for(&reader, Duration::from_secs(10), |s| {
        s.len() == 3 && s.iter().all(|x| x.pid() == pid && x.is_processing)
    });
    assert!(running.is_some(), "the host process's strips never showed");
    let strips = reader.snapshot();
    for i in 0..3 {
        let strip = named(&strips, &format!("host-strip-{i}"));
        assert_eq!(strip.state.trim_db, 0.5 * i as f32);
        assert!(strip.state.short_term_lufs.is_finite());
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let gone = wait_for(&reader, Duration::from_secs(4), |s| s.is_empty())
        .expect("the killed process's strips stayed listed");
    println!("dropped out {} ms after the kill", gone.as_millis());
    assert!(gone < Duration::from_secs(2), "{gone:?}");
}

#[test]
fn strips_work_standalone_when_shared_memory_is_unavailable() {
    let session = TestSession::new("unavailable");
    let mut child = spawn_host(
        &session.0,
        2,
        &[("STEMWISE_LINK_DIR", "/nonexistent/stemwise-link")],
    );
    // It processes for a while without a link, then is stopped.
    std::thread::sleep(Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "the strip host died");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(Reader::open(&session.0).unwrap().snapshot().is_empty());
}

#[test]
fn random_bytes_in_the_segment_do_not_crash_a_strip() {
    let session = TestSession::new("scribble");
    let reader = Reader::open(&session.0).unwrap();
    let mut strips: Vec<PluginUnderTest> = SETUPS[..2]
        .iter()
        .map(|s| open_strip(&session.0, s).unwrap())
        .collect();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(reader.path())
        .unwrap();
    let len = file.metadata().unwrap().len() as usize;
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..20 {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        file.seek(SeekFrom::Start(0)).unwrap();
        file.write_all(&bytes).unwrap();
        let mut audio: Vec<Channels> = SETUPS[..2]
            .iter()
            .map(|s| pink(3, s.level_dbfs, s.num_channels, 4800))
            .collect();
        process_all(&mut strips, &mut audio).unwrap();
        assert!(reader.snapshot().len() <= SLOT_COUNT);
    }
    // The strips claim slots again (at most every 250 ms) and show up with their names.
    let start = Instant::now();
    let mut names = Vec::new();
    while start.elapsed() < Duration::from_secs(3) {
        let mut audio: Vec<Channels> = SETUPS[..2]
            .iter()
            .map(|s| pink(5, s.level_dbfs, s.num_channels, 2400))
            .collect();
        process_all(&mut strips, &mut audio).unwrap();
        names = reader
            .snapshot()
            .iter()
            .map(|s| s.state.name.as_str().to_owned())
            .collect();
        names.sort();
        if names == ["Bass DI", "Kick"] {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("after the damage the session shows {names:?}");
}
