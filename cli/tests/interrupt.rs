//! Ctrl-C and SIGTERM stop `stemwise render` and leave the output folder without any file: no
//! temporary file, no partial deliverable, no incomplete set. The signal is sent to the
//! running binary at two moments: while it processes (its staging folder exists, still empty)
//! and while it writes the deliverables (the staging folder holds files). `stemwise album` is
//! interrupted between its songs' renders (its work folder, inside the staging folder, holds
//! a finished CD master). `stemwise null-test` is interrupted while it decodes its inputs to
//! its temporary folder, which must be gone afterwards.

use shared_dsp::signals::{pink_noise, sine};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use stemwise_cli::audio_file::{write_wav, Audio, WavFormat};

const RATE: u32 = 48_000;
/// Seconds per stem: long enough that writing the deliverables takes a while.
const SECONDS: usize = 150;

const SESSION: &str = r#"
[target]
id = "spotify"

[master]
lim_on = true

[[stem]]
name = "drums"
path = "stems/drums.wav"
role = "drums"
[stem.strip]
comp_on = true

[[stem]]
name = "bass"
path = "stems/bass.wav"
role = "bass"

[[version]]
name = "no-bass"
mute = ["bass"]
"#;

/// Writes the stems and the session into `dir`; returns the session file.
fn write_session(dir: &Path) -> PathBuf {
    let n = SECONDS * RATE as usize;
    let stems = [
        ("drums", vec![pink_noise(1, 0.3, n), pink_noise(2, 0.3, n)]),
        ("bass", {
            let bass = sine(55.0, 0.4, f64::from(RATE), n, 0.0);
            vec![bass.clone(), bass]
        }),
    ];
    for (name, channels) in stems {
        let audio = Audio {
            sample_rate_hz: RATE,
            channels,
        };
        let path = dir.join(format!("stems/{name}.wav"));
        write_wav(&path, &audio, WavFormat::Float32, false).unwrap();
    }
    let session = dir.join("session.toml");
    std::fs::write(&session, SESSION).unwrap();
    session
}

/// Every entry under `dir`, recursively (none if `dir` does not exist).
fn entries(dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    read.flat_map(|e| {
        let path = e.unwrap().path();
        let mut below = entries(&path);
        below.insert(0, path);
        below
    })
    .collect()
}

/// Whether anything under `dir` is a WAV file (finished or being written).
fn has_wav(dir: &Path) -> bool {
    entries(dir).iter().any(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().contains(".wav"))
    })
}

/// The render's staging folder in `out`, if it exists yet.
fn staging_folder(out: &Path) -> Option<PathBuf> {
    std::fs::read_dir(out).ok()?.find_map(|e| {
        let path = e.ok()?.path();
        let name = path.file_name()?.to_string_lossy().into_owned();
        name.starts_with(".stemwise-staging-").then_some(path)
    })
}

/// Polls until `ready(out)` holds, then sends `signal` to `child`. Panics if the render ends
/// first (the moment was missed: the test proves nothing then).
fn signal_when(child: &mut Child, out: &Path, signal: i32, ready: impl Fn(&Path) -> bool) {
    while !ready(out) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("render ended ({status}) before the signal could be sent");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: `kill` only sends a signal to our own, not yet reaped, child.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

/// Runs `stemwise render` on `session` into `out`, sends `signal` once `ready(out)`, and checks
/// the exit status (128 + signal), the message and that `out` holds no file at all.
fn interrupt_render(session: &Path, out: &Path, signal: i32, ready: impl Fn(&Path) -> bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stemwise"))
        .arg("render")
        .arg(session)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    signal_when(&mut child, out, signal, ready);
    let sent = Instant::now();
    let output = child.wait_with_output().unwrap();
    println!(
        "signal {signal}: render exited {:.0} ms after it",
        sent.elapsed().as_secs_f64() * 1000.0
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(128 + signal), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let left = entries(out);
    assert!(left.is_empty(), "left in the output folder: {left:?}");
}

#[test]
fn an_interrupted_render_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let session = write_session(dir.path());

    // SIGTERM while processing: the staging folder exists and holds intermediate files
    // (the render's spill files), no deliverable yet.
    let out = dir.path().join("out-term");
    interrupt_render(&session, &out, libc::SIGTERM, |out| {
        staging_folder(out).is_some_and(|s| !entries(&s).is_empty() && !has_wav(&s))
    });

    // Ctrl-C while writing the deliverables: the staging folder holds a WAV file.
    let out = dir.path().join("out-int");
    interrupt_render(&session, &out, libc::SIGINT, |out| {
        staging_folder(out).is_some_and(|s| has_wav(&s))
    });

    let stems = entries(&dir.path().join("stems"));
    assert_eq!(stems.len(), 2, "the stems are untouched: {stems:?}");
}

#[test]
fn an_interrupted_album_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    // Short songs (the album renders each three times): 10 s of the same two stems.
    let n = 10 * RATE as usize;
    let bass = sine(55.0, 0.4, f64::from(RATE), n, 0.0);
    for (name, channels) in [
        ("drums", vec![pink_noise(1, 0.3, n), pink_noise(2, 0.3, n)]),
        ("bass", vec![bass.clone(), bass]),
    ] {
        let audio = Audio {
            sample_rate_hz: RATE,
            channels,
        };
        write_wav(
            &dir.path().join(format!("stems/{name}.wav")),
            &audio,
            WavFormat::Float32,
            false,
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("session.toml"), SESSION).unwrap();
    let album = dir.path().join("album.toml");
    std::fs::write(
        &album,
        "[[track]]\nsession = \"session.toml\"\n[[track]]\nsession = \"session.toml\"\nversion = \"no-bass\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    // One thread: the songs render one after the other; Ctrl-C once the first CD master is
    // in the work folder (inside the staging folder), while the second renders.
    let mut child = Command::new(env!("CARGO_BIN_EXE_stemwise"))
        .args([
            "album",
            album.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--threads", "1", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    signal_when(&mut child, &out, libc::SIGINT, |out| {
        staging_folder(out).is_some_and(|s| s.join("work/track-01-cd/full-cd16-44k1.wav").exists())
    });
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(128 + libc::SIGINT), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let left = entries(&out);
    assert!(left.is_empty(), "left in the output folder: {left:?}");
}

#[test]
fn an_interrupted_null_test_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    write_session(dir.path());
    let stems = dir.path().join("stems");
    let temp = dir.path().join("tmp");
    std::fs::create_dir(&temp).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_stemwise"))
        .arg("null-test")
        .arg("--mix")
        .arg(stems.join("drums.wav"))
        .arg(stems.join("drums.wav"))
        .arg(stems.join("bass.wav"))
        .env("TMPDIR", &temp)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Ctrl-C once the decoded samples are being written.
    signal_when(&mut child, &temp, libc::SIGINT, |temp| {
        entries(temp).iter().any(|p| p.is_file())
    });
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(128 + libc::SIGINT), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let left = entries(&temp);
    assert!(left.is_empty(), "left in the temporary folder: {left:?}");
}
