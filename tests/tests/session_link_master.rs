//! The Master Bus's side of the session link, through the built bundles: what the Master Bus
//! lists (read from its saved state, where it records the strips it saw) equals what each
//! Stem Strip set, with strips in this host process and in another one; strips of a killed
//! process leave the Master Bus's list within 2 s.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use stemwise_tests::bundles::{MASTER_BUS_ID, STEM_STRIP_ID};
use stemwise_tests::checks::{pink, Channels};
use stemwise_tests::link::TestSession;
use stemwise_tests::{process_in_parallel, PluginUnderTest};

/// Sample rate, Hz.
const RATE_HZ: f64 = 48_000.0;

/// A Master Bus (inactive: the Session panel needs no audio) reading `session`.
fn master(session: &str) -> PluginUnderTest {
    let mut bus = PluginUnderTest::open_inactive(MASTER_BUS_ID, 2).unwrap();
    bus.set_fields(&[("session", json!({ "name": session }))])
        .unwrap();
    bus
}

/// The strips the Master Bus lists now.
fn listed(bus: &mut PluginUnderTest) -> Vec<Value> {
    let record = bus.saved_field("session").unwrap();
    assert!(record["unavailable"].is_null(), "{record}");
    record["strips"].as_array().unwrap().clone()
}

/// The listed strip named `name`.
fn row<'a>(rows: &'a [Value], name: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("{name} not listed in {rows:?}"))
}

#[test]
fn the_master_bus_lists_the_strips_of_its_session_as_they_are_set() {
    let session = TestSession::new("master-one-process");
    // (name, role index, trim dB, polarity L)
    let setups = [
        ("Drums", 0.0, -2.37, 0.0),
        ("Bass", 1.0, 1.25, 1.0),
        ("Vocals", 3.0, 0.5, 0.0),
    ];
    let mut strips: Vec<PluginUnderTest> = setups
        .iter()
        .map(|&(name, role, trim, invert)| {
            let mut strip = PluginUnderTest::open_typed(
                STEM_STRIP_ID,
                2,
                &[("Role", role), ("Trim", trim), ("Polarity L", invert)],
            )
            .unwrap();
            strip
                .set_fields(&[("session", json!(session.0)), ("display_name", json!(name))])
                .unwrap();
            strip.activate(RATE_HZ, 512).unwrap();
            strip
        })
        .collect();
    let mut audio: Vec<Channels> = (0..strips.len())
        .map(|i| pink(i as u64 + 1, -12.0 - 3.0 * i as f64, 2, 4 * 48_000))
        .collect();
    let mut refs: Vec<&mut PluginUnderTest> = strips.iter_mut().collect();
    let mut audio_refs: Vec<&mut [Vec<f32>]> = audio.iter_mut().map(|a| a.as_mut_slice()).collect();
    process_in_parallel(&mut refs, &mut audio_refs, &[512], &[]).unwrap();

    let mut bus = master(&session.0);
    let rows = listed(&mut bus);
    println!("{}", serde_json::to_string_pretty(&rows).unwrap());
    assert_eq!(rows.len(), 3);
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Drums", "Bass", "Vocals"], "sorted by role");
    for &(name, _, trim, invert) in &setups {
        let r = row(&rows, name);
        let listed_trim = r["trim_db"].as_f64().unwrap();
        assert!(
            (listed_trim - trim).abs() < 1e-4,
            "{name}: {listed_trim} vs {trim}"
        );
        assert_eq!(r["invert"][0], invert == 1.0, "{name} polarity");
        assert!(r["short_term_lufs"].is_number(), "{name} loudness");
    }
    assert_eq!(row(&rows, "Bass")["warnings"], json!(["polarity inverted"]));
    let shares: f64 = rows
        .iter()
        .map(|r| r["loudness_share"].as_f64().unwrap())
        .sum();
    assert!(
        (shares - 1.0).abs() < 1e-9,
        "loudness shares sum to {shares}"
    );
    // Another session sees none of them.
    let other = TestSession::new("master-other");
    assert!(listed(&mut master(&other.0)).is_empty());
}

#[test]
fn strips_of_another_process_are_listed_and_leave_when_it_dies() {
    let session = TestSession::new("master-two-processes");
    let mut child = Command::new(env!("CARGO_BIN_EXE_stemwise-strip-host"))
        .args([session.0.as_str(), "3", "60"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("ready"), "strip host said {line:?}");
    let mut bus = master(&session.0);
    let start = Instant::now();
    while listed(&mut bus).len() < 3 && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let rows = listed(&mut bus);
    assert_eq!(rows.len(), 3, "{rows:?}");
    for i in 0..3 {
        let r = row(&rows, &format!("host-strip-{i}"));
        assert_eq!(r["trim_db"].as_f64().unwrap(), 0.5 * i as f64);
        assert_eq!(r["processing"], true);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let killed = Instant::now();
    while !listed(&mut bus).is_empty() && killed.elapsed() < Duration::from_secs(4) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let gone = killed.elapsed();
    println!(
        "the Master Bus dropped the killed process's strips after {} ms",
        gone.as_millis()
    );
    assert!(
        listed(&mut bus).is_empty() && gone < Duration::from_secs(2),
        "{gone:?}"
    );
}
