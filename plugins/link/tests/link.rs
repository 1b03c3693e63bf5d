//! The session link end to end: one process, across processes (a child publisher killed
//! mid-stream), 64 strips, foreign bytes in the segment, torn reads under concurrency.

use session_link::{
    segment_path, EnergyBlock, LinkedStrip, Publisher, Reader, Stages, StripName, StripState,
    Warnings, ENERGY_RING_LEN, SLOT_COUNT,
};
use shared_dsp::roles::Role;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A session name no other test (or test run) uses; its file is removed on drop.
struct Session(String);

impl Session {
    fn new(tag: &str) -> Self {
        Self(format!("test-{tag}-{}", std::process::id()))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Ok(path) = segment_path(&self.0) {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Polls `reader` until `done` holds for its snapshot or `timeout` passes; returns the time
/// it took, or `None`.
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

/// Starts the helper publisher with `count` strips and waits for its `ready` line.
fn spawn_publisher(session: &str, count: usize) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stemwise-link-publisher"))
        .args([session, &count.to_string(), "30"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("ready"), "helper said {line:?}");
    child
}

fn sample_state() -> StripState {
    StripState {
        name: StripName::new("Kick & Snare"),
        role: Role::Drums,
        num_channels: 2,
        trim_db: -1.25,
        output_db: 0.5,
        invert: [false, true],
        bypassed: false,
        stages: Stages::COMPRESSOR.with(Stages::HIGH_PASS, true),
        reduction_db: 2.0,
        peak_dbfs: -3.5,
        momentary_lufs: -17.0,
        short_term_lufs: -18.25,
        warnings: Warnings::POLARITY,
        latency_samples: 79,
        sample_rate_hz: 48_000.0,
    }
}

#[test]
fn values_published_are_read_back_exactly() {
    let session = Session::new("values");
    let mut publisher = Publisher::connect(&session.0).unwrap();
    let reader = Reader::open(&session.0).unwrap();
    let state = sample_state();
    let blocks: Vec<EnergyBlock> = (0..40)
        .map(|i| EnergyBlock {
            start_samples: i * 4800,
            num_frames: 4800,
            energy: i as f64,
            ..EnergyBlock::default()
        })
        .collect();
    publisher.publish(&state, &blocks);
    let strips = reader.snapshot();
    assert_eq!(strips.len(), 1);
    let strip = &strips[0];
    assert_eq!(strip.state, state);
    assert_eq!(strip.owner_id, publisher.owner_id());
    assert_eq!(strip.pid(), std::process::id());
    assert!(strip.is_processing);
    assert_eq!(strip.energy_blocks().len(), ENERGY_RING_LEN);
    let newest = strip.energy_blocks().last().unwrap();
    assert_eq!((newest.sequence, newest.energy), (39, 39.0));
    drop(publisher);
    assert!(
        reader.snapshot().is_empty(),
        "a dropped strip leaves at once"
    );
}

#[test]
fn sixty_four_strips_fit_and_a_sixty_fifth_is_refused() {
    let session = Session::new("sixtyfour");
    let mut publishers: Vec<Publisher> = (0..SLOT_COUNT)
        .map(|_| Publisher::connect(&session.0).unwrap())
        .collect();
    for (i, p) in publishers.iter_mut().enumerate() {
        let state = StripState {
            trim_db: i as f32,
            ..StripState::default()
        };
        p.publish(&state, &[]);
    }
    let err = Publisher::connect(&session.0).err().unwrap();
    assert!(
        err.to_string().starts_with("Session link unavailable"),
        "{err}"
    );
    let strips = Reader::open(&session.0).unwrap().snapshot();
    assert_eq!(strips.len(), SLOT_COUNT);
    let mut trims: Vec<f32> = strips.iter().map(|s| s.state.trim_db).collect();
    trims.sort_by(f32::total_cmp);
    assert_eq!(trims, (0..64).map(|i| i as f32).collect::<Vec<_>>());
}

#[test]
fn a_killed_process_drops_out_within_two_seconds_and_frees_its_slots() {
    let session = Session::new("killed");
    let reader = Reader::open(&session.0).unwrap();
    let mut child = spawn_publisher(&session.0, SLOT_COUNT);
    let pid = child.id();
    let all_there = wait_for(&reader, Duration::from_secs(5), |s| {
        s.len() == SLOT_COUNT && s.iter().all(|x| x.pid() == pid && x.is_processing)
    });
    assert!(
        all_there.is_some(),
        "the child's 64 strips never all showed"
    );
    let strips = reader.snapshot();
    assert!(strips
        .iter()
        .any(|s| s.state.name.as_str() == "strip-5" && (s.state.trim_db - 0.5).abs() < 1e-6));
    child.kill().unwrap();
    child.wait().unwrap();
    let gone = wait_for(&reader, Duration::from_secs(3), |s| s.is_empty());
    let gone = gone.expect("the killed child's strips stayed listed");
    println!("dropped out {} ms after the kill", gone.as_millis());
    assert!(gone < Duration::from_secs(2), "{gone:?}");
    // Every slot can be claimed again.
    let publishers: Vec<Publisher> = (0..SLOT_COUNT)
        .map(|_| Publisher::connect(&session.0).unwrap())
        .collect();
    assert_eq!(publishers.len(), SLOT_COUNT);
}

#[test]
fn strips_of_another_process_are_read_while_it_runs() {
    let session = Session::new("cross");
    let reader = Reader::open(&session.0).unwrap();
    let mut child = spawn_publisher(&session.0, 3);
    let seen = wait_for(&reader, Duration::from_secs(5), |s| {
        s.len() == 3 && s.iter().all(|x| x.num_energy_blocks > 10)
    });
    assert!(seen.is_some());
    for strip in reader.snapshot() {
        let index: usize = strip.state.name.as_str()["strip-".len()..].parse().unwrap();
        assert_eq!(strip.state.trim_db, index as f32 / 10.0);
        let blocks = strip.energy_blocks();
        assert!(blocks
            .windows(2)
            .all(|w| w[1].sequence == w[0].sequence + 1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn an_unusable_directory_degrades_with_a_reason() {
    let output = Command::new(env!("CARGO_BIN_EXE_stemwise-link-publisher"))
        .args(["nowhere", "1", "1"])
        .env("STEMWISE_LINK_DIR", "/nonexistent/stemwise")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("Session link unavailable:"), "{text}");
}

#[test]
fn a_foreign_file_of_the_wrong_size_is_recreated() {
    let session = Session::new("foreign-size");
    let path = segment_path(&session.0).unwrap();
    std::fs::write(&path, b"not a stemwise segment at all").unwrap();
    let mut publisher = Publisher::connect(&session.0).unwrap();
    publisher.publish(&sample_state(), &[]);
    assert_eq!(Reader::open(&session.0).unwrap().snapshot().len(), 1);
}

/// A state whose every number is `k`, so a torn copy shows as a mismatch.
fn uniform_state(k: u32) -> StripState {
    let v = k as f32;
    StripState {
        name: StripName::new(&format!("{k}")),
        trim_db: v,
        output_db: v,
        reduction_db: v,
        peak_dbfs: v,
        momentary_lufs: v,
        short_term_lufs: v,
        latency_samples: k,
        sample_rate_hz: v,
        ..StripState::default()
    }
}

/// True if `state` is `uniform_state(k)` for some `k`.
fn is_uniform(state: &StripState) -> bool {
    let k = state.latency_samples;
    state.name.as_str() == format!("{k}") && *state == uniform_state(k)
}

#[test]
fn concurrent_writers_and_readers_never_see_a_torn_record() {
    let session = Session::new("torn");
    let stop = AtomicBool::new(false);
    let reader = Reader::open(&session.0).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut publisher = Publisher::connect(&session.0).unwrap();
                let mut k = 0;
                while !stop.load(Ordering::Relaxed) {
                    k += 1;
                    publisher.publish(&uniform_state(k), &[]);
                }
            });
        }
        let (mut strips_seen, mut out) = (0usize, Vec::with_capacity(SLOT_COUNT));
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(700) {
            reader.snapshot_into(&mut out);
            for strip in &out {
                assert!(is_uniform(&strip.state), "torn: {:?}", strip.state);
            }
            strips_seen += out.len();
        }
        stop.store(true, Ordering::Relaxed);
        assert!(strips_seen > 100, "only {strips_seen} strips read");
    });
}

#[test]
fn random_bytes_in_the_segment_crash_nothing_and_strips_recover() {
    let session = Session::new("scribble");
    let stop = AtomicBool::new(false);
    let reader = Reader::open(&session.0).unwrap();
    let path = reader.path().to_owned();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut publisher = Publisher::connect(&session.0).unwrap();
                let mut k = 0;
                while !stop.load(Ordering::Relaxed) {
                    k += 1;
                    publisher.publish(&uniform_state(k), &[]);
                    std::thread::sleep(Duration::from_micros(200));
                }
            });
        }
        // Foreign bytes written through the file (as another program would), over everything.
        let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        let len = file.metadata().unwrap().len() as usize;
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..50 {
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
            for strip in reader.snapshot() {
                assert!(is_uniform(&strip.state), "round {round}: {:?}", strip.state);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(file.metadata().unwrap().len() as usize, len);
        // The writers claim slots again and the keeper repairs the header.
        let back = wait_for(&reader, Duration::from_secs(2), |strips| {
            strips.len() == 4 && strips.iter().all(|s| is_uniform(&s.state))
        });
        stop.store(true, Ordering::Relaxed);
        let back = back.expect("the strips did not come back after the damage");
        println!("all 4 strips back {} ms after the damage", back.as_millis());
    });
}
