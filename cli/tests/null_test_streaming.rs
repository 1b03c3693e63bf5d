//! `stemwise null-test` streams: the files are decoded to disk and analysed a stretch at a
//! time, so its peak memory does not grow with the programme's length (that its diagnosis
//! is the in-memory analysis's, result for result, is checked in `null_test.rs`: this test
//! process must stay small, see [`run_with_peak_rss`]).
//! Run with release speed: `cargo test -p stemwise-cli --profile harness --test
//! null_test_streaming`.

mod common;
#[path = "common/delivery.rs"]
mod delivery;

use common::{assert_peak_bounded, run_with_peak_rss};
use delivery::{gained_and_late, write_delivery, NUM_STEMS};
use serde_json::Value;
use std::process::Command;

/// The bound the issue sets on `null-test`'s peak memory for 8 stereo stems, bytes.
const MAX_PEAK_RSS_BYTES: u64 = 400 << 20;
/// Runs `stemwise null-test --json` on a generated delivery of `seconds` in a child process:
/// its report and peak memory.
fn null_test_in_child(seconds: usize) -> (Value, u64) {
    let dir = tempfile::tempdir().unwrap();
    let (mix, stems) = write_delivery(dir.path(), seconds, &gained_and_late());
    let (code, stdout, peak_rss_bytes) = run_with_peak_rss(
        Command::new(env!("CARGO_BIN_EXE_stemwise"))
            .arg("null-test")
            .arg("--mix")
            .arg(&mix)
            .args(&stems)
            .arg("--json"),
    );
    assert_eq!(code, 2, "a broken delivery fails: {stdout}");
    println!(
        "{NUM_STEMS} stems, {seconds} s: peak RSS {:.1} MB",
        peak_rss_bytes as f64 / 1048576.0
    );
    (serde_json::from_str(&stdout).unwrap(), peak_rss_bytes)
}

/// The causes found per stem index, sorted.
fn causes(report: &Value) -> Vec<(Option<u64>, String)> {
    let mut causes: Vec<(Option<u64>, String)> = report["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["stem_index"].as_u64(),
                d["cause"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    causes.sort();
    causes
}

#[test]
fn peak_memory_does_not_grow_with_the_length() {
    let (short, short_rss_bytes) = null_test_in_child(40);
    let (long, long_rss_bytes) = null_test_in_child(160);
    assert_eq!(long["mix_duration_s"], 160.0);
    assert_peak_bounded(short_rss_bytes, long_rss_bytes, MAX_PEAK_RSS_BYTES);
    // Both lengths name exactly the two faults, with their sizes.
    for report in [&short, &long] {
        assert_eq!(
            causes(report),
            [
                (Some(2), "gained".to_owned()),
                (Some(5), "offset".to_owned())
            ],
            "{report}"
        );
        for d in report["diagnoses"].as_array().unwrap() {
            match d["cause"].as_str().unwrap() {
                "gained" => assert!((d["gain_db"].as_f64().unwrap() + 1.0).abs() < 0.01, "{d}"),
                _ => assert_eq!(d["offset_samples"], 48, "{d}"),
            }
        }
    }
}

#[test]
#[ignore = "an hour of 8 stems and the mix: about 25 GB of disk (12.4 GB of WAV files, as much again decoded) and several minutes"]
fn an_hour_is_null_tested_in_bounded_memory() {
    let (report, rss_bytes) = null_test_in_child(3600);
    assert_eq!(report["mix_duration_s"], 3600.0);
    assert_eq!(
        causes(&report),
        [
            (Some(2), "gained".to_owned()),
            (Some(5), "offset".to_owned())
        ]
    );
    assert!(rss_bytes <= MAX_PEAK_RSS_BYTES, "{rss_bytes} bytes");
}
