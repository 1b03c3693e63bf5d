//! `stemwise render`, `contribution` and `demo` end to end: stems written as WAV files into a
//! temporary folder, the binary run on a session file, outputs read back from disk. Covers the
//! version sum, the deliverables' true peak after conversion, loudness targeting (programme
//! and dialogue-gated), and every bad input (each must exit with status 3 and write nothing).
//! Run: `cargo test -p stemwise-cli --profile harness --test render`.

use serde_json::Value;
use shared_dsp::signals::{pink_noise, sine, transient_train};
use shared_dsp::true_peak::measure_true_peak_db;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use stemwise_cli::audio_file::{read_audio, write_wav, Audio, WavFormat};
use stemwise_cli::measure::measure_file;

const RATE: u32 = 48_000;
/// Seconds of audio per test stem.
const SECONDS: f64 = 3.0;
const EXIT_BAD_INPUT: i32 = 3;

fn frames() -> usize {
    (SECONDS * f64::from(RATE)) as usize
}

/// Writes a stereo float WAV.
fn write_stem(path: &Path, channels: Vec<Vec<f32>>, rate: u32) {
    let audio = Audio {
        sample_rate_hz: rate,
        channels,
    };
    write_wav(path, &audio, WavFormat::Float32, true).unwrap();
}

/// Drums, bass and a vocal-like stem in `dir/stems`.
fn write_stems(dir: &Path) {
    let n = frames();
    let sr = f64::from(RATE);
    std::fs::create_dir_all(dir.join("stems")).unwrap();
    write_stem(
        &dir.join("stems/drums.wav"),
        vec![
            transient_train(1, 0.7, sr, n, 0.25, 40.0),
            transient_train(2, 0.7, sr, n, 0.25, 40.0),
        ],
        RATE,
    );
    let bass = sine(55.0, 0.4, sr, n, 0.0);
    write_stem(&dir.join("stems/bass.wav"), vec![bass.clone(), bass], RATE);
    // Speech-like: noise in bursts, active half of the time.
    let voice = |seed| -> Vec<f32> {
        pink_noise(seed, 0.3, n)
            .into_iter()
            .enumerate()
            .map(|(i, x)| {
                if (i / (RATE as usize / 2)).is_multiple_of(2) {
                    x
                } else {
                    0.0
                }
            })
            .collect()
    };
    write_stem(
        &dir.join("stems/vocals.wav"),
        vec![voice(5), voice(6)],
        RATE,
    );
}

/// A session over the three stems with `target` (a TOML `[target]` body) and everything on.
fn session_text(target: &str, vocal_role: &str) -> String {
    format!(
        r#"
[target]
{target}

[master]
ls_gain = 1.0
glue_on = true
glue_thresh = -24.0
glue_ratio = 2.0
glue_mix = 80.0
lim_on = true
lim_ceil_mode = "streaming"
lim_drive = 3.0

[[stem]]
name = "drums"
path = "stems/drums.wav"
role = "drums"
[stem.strip]
comp_on = true
thresh = -20.0

[[stem]]
name = "bass"
path = "stems/bass.wav"
role = "bass"
[stem.strip]
sat_on = true

[[stem]]
name = "vocals"
path = "stems/vocals.wav"
role = "{vocal_role}"
[stem.strip]
hp_on = true
b2_gain = 1.5

[[version]]
name = "instrumental"
mute = ["vocals"]

[[version]]
name = "acappella"
only = ["vocals"]
"#
    )
}

fn write_session(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("session.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn stemwise(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stemwise"))
        .args(args)
        .output()
        .unwrap()
}

fn render(session: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "render",
        session.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--json",
    ];
    args.extend_from_slice(extra);
    stemwise(&args)
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "stemwise failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts a bad-input failure whose message contains every one of `needles`, and that
/// `out` holds no file at all.
fn assert_bad_input(output: &Output, needles: &[&str], out: &Path) {
    assert_eq!(
        output.status.code(),
        Some(EXIT_BAD_INPUT),
        "{}",
        stderr(output)
    );
    let err = stderr(output);
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} not in: {err}");
    }
    let written: Vec<_> = std::fs::read_dir(out)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    assert!(written.is_empty(), "outputs written: {written:?}");
}

#[test]
fn versions_sum_to_the_master_and_deliverables_hold_the_ceiling_at_the_target() {
    let dir = tempfile::tempdir().unwrap();
    write_stems(dir.path());
    let session = write_session(
        dir.path(),
        &session_text("id = \"spotify\"\nnormalize = true", "vocals"),
    );
    let out = dir.path().join("out");
    let report = json(&render(&session, &out, &[]));

    let sum = &report["version_sums"][0];
    assert_eq!(
        sum["parts"],
        serde_json::json!(["instrumental", "acappella"])
    );
    let max_error = sum["max_error"].as_f64().unwrap();
    assert!(max_error < 1e-5, "version sum error {max_error}");

    let target = &report["target"];
    let error_lu = target["error_lu"].as_f64().unwrap();
    assert!(error_lu.abs() <= 0.1, "targeting missed by {error_lu} LU");
    let ceiling = report["ceiling_dbtp"].as_f64().unwrap() as f32;
    assert_eq!(ceiling, -1.0);

    // Every deliverable, read back from disk: right rate, true peak at or under the ceiling
    // on the 16× grid.
    for version in ["full", "instrumental", "acappella"] {
        for (format, rate) in [
            ("wav24-44k1", 44_100),
            ("wav24-96k", 96_000),
            ("float32", RATE),
        ] {
            let path = out.join(format!("{version}-{format}.wav"));
            let audio = read_audio(&path).unwrap();
            assert_eq!(audio.sample_rate_hz, rate, "{}", path.display());
            let tp = measure_true_peak_db(&audio.slices(), f64::from(rate), 16);
            assert!(tp <= ceiling, "{}: {tp} dBTP", path.display());
        }
    }
    // The full master's deliverables keep the target loudness through conversion.
    for format in ["wav24-44k1", "wav24-96k", "float32"] {
        let m = measure_file(&out.join(format!("full-{format}.wav"))).unwrap();
        let lufs = m.integrated_lufs.unwrap();
        assert!((lufs + 14.0).abs() <= 0.1, "full-{format}: {lufs} LUFS");
        assert!(m.true_peak_dbtp.unwrap() <= ceiling, "full-{format}: {m:?}");
    }
    assert!(out.join("render.json").exists());
}

#[test]
fn dialogue_gated_target_is_measured_on_the_dialogue() {
    let dir = tempfile::tempdir().unwrap();
    write_stems(dir.path());
    let session = write_session(
        dir.path(),
        &session_text("id = \"netflix\"\nnormalize = true", "dialogue"),
    );
    let out = dir.path().join("out");
    let report = json(&render(&session, &out, &[]));
    let target = &report["target"];
    assert_eq!(target["dialogue_gated"], true);
    let error_lu = target["error_lu"].as_f64().unwrap();
    assert!(
        error_lu.abs() <= 0.1,
        "dialogue targeting missed by {error_lu} LU"
    );
    // The programme as a whole measures differently from its dialogue-gated loudness.
    let programme = report["versions"][0]["integrated_lufs"].as_f64().unwrap();
    let gated = target["achieved_lufs"].as_f64().unwrap();
    assert!((programme - gated).abs() > 0.05, "{programme} vs {gated}");
    assert!(report["warnings"].as_array().unwrap().is_empty());
}

#[test]
fn existing_outputs_are_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    write_stems(dir.path());
    let session = write_session(dir.path(), &session_text("id = \"spotify\"", "vocals"));
    let out = dir.path().join("out");
    json(&render(&session, &out, &[]));
    let precious = out.join("full-wav24-44k1.wav");
    std::fs::write(&precious, b"precious").unwrap();
    let again = render(&session, &out, &[]);
    assert_eq!(again.status.code(), Some(EXIT_BAD_INPUT));
    assert!(
        stderr(&again).contains("already exist"),
        "{}",
        stderr(&again)
    );
    assert_eq!(std::fs::read(&precious).unwrap(), b"precious");
    json(&render(&session, &out, &["--force"]));
    assert_ne!(std::fs::read(&precious).unwrap(), b"precious");
    let partial = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().contains("partial")
        })
        .count();
    assert_eq!(partial, 0, "temporary files left behind");
}

#[test]
fn missing_non_audio_and_nan_stems_are_named() {
    let dir = tempfile::tempdir().unwrap();
    write_stems(dir.path());
    let session = write_session(dir.path(), &session_text("id = \"spotify\"", "vocals"));
    let out = dir.path().join("out");
    let vocals = dir.path().join("stems/vocals.wav");

    std::fs::remove_file(&vocals).unwrap();
    assert_bad_input(
        &render(&session, &out, &[]),
        &["vocals.wav", "cannot open"],
        &out,
    );

    std::fs::write(&vocals, "lyrics, not samples").unwrap();
    assert_bad_input(
        &render(&session, &out, &[]),
        &["vocals.wav", "not a supported audio file"],
        &out,
    );

    let mut nan = vec![vec![0.1f32; frames()]; 2];
    nan[0][123] = f32::NAN;
    write_stem(&vocals, nan, RATE);
    assert_bad_input(
        &render(&session, &out, &[]),
        &["vocals.wav", "non-finite", "frame 123"],
        &out,
    );
}

#[test]
fn mismatched_rate_and_length_say_which_stem_and_offer_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    write_stems(dir.path());
    let session = write_session(dir.path(), &session_text("id = \"spotify\"", "vocals"));
    let out = dir.path().join("out");
    let bass = dir.path().join("stems/bass.wav");

    let n44 = (SECONDS * 44_100.0) as usize;
    let tone = sine(55.0, 0.4, 44_100.0, n44, 0.0);
    write_stem(&bass, vec![tone.clone(), tone], 44_100);
    assert_bad_input(
        &render(&session, &out, &[]),
        &["bass.wav", "44100 Hz", "48000 Hz", "--resample"],
        &out,
    );
    json(&render(&session, &out, &["--resample"]));

    let short = sine(55.0, 0.4, f64::from(RATE), frames() / 2, 0.0);
    write_stem(&bass, vec![short.clone(), short], RATE);
    let out2 = dir.path().join("out2");
    assert_bad_input(
        &render(&session, &out2, &[]),
        &["bass.wav", "1.500 s", "--pad"],
        &out2,
    );
    json(&render(&session, &out2, &["--pad"]));
}

#[test]
fn session_errors_give_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    write_stems(dir.path());
    let out = dir.path().join("out");
    let good = session_text("id = \"spotify\"", "vocals");
    let line_of = |text: &str, needle: &str| {
        let line = text.lines().position(|l| l.contains(needle)).unwrap() + 1;
        format!("line {line}, column")
    };
    let unknown = good.replace("b2_gain = 1.5", "b2_gain = 1.5\ntirm = 1.0");
    let malformed = good.replace("ratio = 2.0", "ratio = = 2.0");
    let wrong_type = good.replace("[master]", "[master]\nglue_knee = \"soft\"");
    let cases: [(String, Vec<String>); 6] = [
        (
            unknown.clone(),
            vec![
                line_of(&unknown, "tirm") + " 1",
                "unknown field `tirm`".into(),
            ],
        ),
        (malformed.clone(), vec![line_of(&malformed, "= = 2.0")]),
        (
            wrong_type.clone(),
            vec![line_of(&wrong_type, "soft") + " 13", "invalid type".into()],
        ),
        (
            good.replace("b2_gain = 1.5", "trim = 20.0"),
            vec![
                "stem \"vocals\"".into(),
                "trim = 20 is outside -12…12".into(),
            ],
        ),
        (
            good.replace("mute = [\"vocals\"]", "mute = [\"vox\"]"),
            vec![
                "version \"instrumental\"".into(),
                "no stem called \"vox\"".into(),
            ],
        ),
        (
            good.replace("id = \"spotify\"", "id = \"spotifi\""),
            vec!["[target]".into(), "unknown target id \"spotifi\"".into()],
        ),
    ];
    for (text, needles) in cases {
        let session = write_session(dir.path(), &text);
        let mut needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        needles.push("session.toml");
        assert_bad_input(&render(&session, &out, &[]), &needles, &out);
    }
    let missing = dir.path().join("nowhere.toml");
    assert_bad_input(
        &render(&missing, &out, &[]),
        &["nowhere.toml", "cannot read session file"],
        &out,
    );
}

#[test]
fn contribution_names_each_stem_and_the_least_limiting_trim() {
    let dir = tempfile::tempdir().unwrap();
    write_stems(dir.path());
    let session = write_session(dir.path(), &session_text("id = \"spotify\"", "vocals"));
    let result = json(&stemwise(&[
        "contribution",
        session.to_str().unwrap(),
        "--json",
    ]));
    let stems = result["stems"].as_array().unwrap();
    assert_eq!(stems.len(), 3);
    for s in stems {
        let lu = s["contribution_lu"].as_f64().unwrap();
        assert!(lu > 0.0, "{s}");
    }
    let best = result["best_trim"].as_u64().unwrap() as usize;
    let trim = &result["trims"][best];
    let reached = trim["reached_lufs"].as_f64().unwrap();
    assert!((reached + 14.0).abs() <= 0.1, "{trim}");
    let least = result["trims"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["trim_db"].is_number())
        .map(|t| t["limiting_db"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert_eq!(trim["limiting_db"].as_f64().unwrap(), least);
}

#[test]
fn demo_writes_the_report_with_charts_and_null_tests() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let output = stemwise(&[
        "demo",
        "--out",
        out.to_str().unwrap(),
        "--seconds",
        "4",
        "--quiet",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("null test, instrumental + a cappella against the full master: PASS"),
        "{text}"
    );
    assert!(text.contains("polarity inverted"), "{text}");
    assert!(text.contains("offset by"), "{text}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for version in ["full", "instrumental", "acappella", "tv", "rhythm"] {
        let master = read_audio(&out.join(format!("masters/{version}.wav"))).unwrap();
        assert_eq!(master.num_frames(), 4 * RATE as usize);
    }
    for chart in [
        "loudness",
        "reduction",
        "spectrum",
        "contribution",
        "residual",
    ] {
        let png = out.join(format!("charts/{chart}.png"));
        assert!(
            std::fs::metadata(&png).unwrap().len() > 1000,
            "{}",
            png.display()
        );
        assert!(html.contains(&format!("charts/{chart}.png")));
    }
    // The demo album: CD image, DDP, cue sheet, PQ sheet linked from the report.
    for file in [
        "album/album.wav",
        "album/album.cue",
        "album/ddp/IMAGE.DAT",
        "album/pq-sheet.png",
    ] {
        assert!(out.join(file).exists(), "{file}");
    }
    assert!(html.contains("href=\"album/pq-sheet.html\""));
    assert!(text.contains("3 tracks"), "{text}");
    // A second demo into the same folder is refused without --force.
    let again = stemwise(&[
        "demo",
        "--out",
        out.to_str().unwrap(),
        "--seconds",
        "4",
        "-q",
    ]);
    assert_eq!(again.status.code(), Some(EXIT_BAD_INPUT));
}

#[test]
fn the_example_session_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/session.toml");
    let session = stemwise_cli::session::load(&path).unwrap();
    assert_eq!(session.stems.len(), 4);
    assert_eq!(session.versions.len(), 5);
    assert!(session.normalize);
}
