//! `stemwise render` streams: its deliverables and `render.json` are bit-identical to the
//! in-memory render it replaced, and its peak memory does not grow with the programme's length.
//! Run with release speed: `cargo test -p stemwise-cli --profile harness --test render_streaming`
//! (`-- --ignored` adds the 60-minute case).

mod common;

use common::{assert_peak_bounded, run_with_peak_rss};
use std::path::Path;
use std::process::{Command, Stdio};

/// The bound the issue sets on `render`'s peak memory for 8 stereo stems, bytes.
const MAX_PEAK_RSS_BYTES: u64 = 400 << 20;
/// Sample rate of the generated sessions, Hz.
const RATE_HZ: u32 = 48_000;
/// Stems of the generated sessions.
const NUM_STEMS: usize = 8;

/// CRC-32 of every file the in-memory render (the code before streaming: commit 9231a43, the
/// last with whole programmes in memory, same DSP as now) wrote for the 24 s demo session
/// (`stemwise demo --seconds 24`), `render.json` with the output folder replaced by `OUT`.
/// The streaming render was proven equal to the in-memory one at e947910 too; a change of the
/// DSP that moves these numbers must be re-proven against an in-memory render of that DSP.
const IN_MEMORY_RENDER_CRC32: [(&str, u32); 15] = [
    ("acappella-float32.wav", 3221121153),
    ("acappella-wav24-44k1.wav", 929280367),
    ("acappella-wav24-96k.wav", 548311186),
    ("full-float32.wav", 4069487144),
    ("full-wav24-44k1.wav", 3789592128),
    ("full-wav24-96k.wav", 2969010125),
    ("instrumental-float32.wav", 2341734481),
    ("instrumental-wav24-44k1.wav", 2258062790),
    ("instrumental-wav24-96k.wav", 959918583),
    ("masters/acappella.wav", 3942257259),
    ("masters/full.wav", 3450109101),
    ("masters/instrumental.wav", 2839601873),
    ("masters/rhythm.wav", 3958572183),
    ("masters/tv.wav", 2873061204),
    ("render.json", 3997177827),
];

#[test]
fn streamed_demo_render_is_bit_identical_to_the_in_memory_render() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    // In a child process: a render in this process would raise its peak memory, which the
    // children spawned by the memory test inherit as their `ru_maxrss` (the kernel keeps the
    // larger of the pre-exec and post-exec peaks).
    let status = Command::new(env!("CARGO_BIN_EXE_stemwise"))
        .args(["demo", "--seconds", "24", "--quiet", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    for (file, crc) in IN_MEMORY_RENDER_CRC32 {
        let mut bytes = std::fs::read(out.join(file)).unwrap();
        if file == "render.json" {
            let text = String::from_utf8(bytes).unwrap();
            bytes = text.replace(&out.display().to_string(), "OUT").into_bytes();
        }
        assert_eq!(crc32fast::hash(&bytes), crc, "{file}");
    }
}

/// Writes an 8-stem session of `seconds` into `dir`, one second at a time (never a whole
/// stem in memory): drums-like transients, pink noise and a tone per stem, EQ and a
/// compressor on every strip, saturation on one, glue and limiter on the master, Spotify
/// targeting, an instrumental version and the default deliverables.
fn write_session(dir: &Path, seconds: usize) {
    use shared_dsp::signals::{pink_noise, sine, transient_train};
    let sr = f64::from(RATE_HZ);
    let n = RATE_HZ as usize;
    let mut toml = String::from(
        "[target]\nid = \"spotify\"\nnormalize = true\n\n[master]\nls_gain = 0.5\n\
         glue_on = true\nglue_thresh = -24.0\nlim_on = true\nlim_drive = 2.0\n\n",
    );
    for i in 0..NUM_STEMS {
        // Four different seconds per stem, cycled, so the programme is not one loop.
        let seconds_audio: Vec<Vec<Vec<f32>>> = (0..4u64)
            .map(|k| {
                let seed = (i as u64) * 100 + k * 10;
                (0..2u64)
                    .map(|ch| {
                        let hits =
                            transient_train(seed + ch, 0.3, sr, n, 0.3 + 0.05 * i as f64, 40.0);
                        let pink = pink_noise(seed + 5 + ch, 0.08 * (k + 1) as f32, n);
                        let tone = sine(55.0 * (i + 1) as f64, 0.1, sr, n, ch as f64);
                        (0..n).map(|j| hits[j] + pink[j] + tone[j]).collect()
                    })
                    .collect()
            })
            .collect();
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: RATE_HZ,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let path = dir.join(format!("stem{i}.wav"));
        let mut writer = hound::WavWriter::create(&path, spec).unwrap();
        for s in 0..seconds {
            let audio = &seconds_audio[s % 4];
            for (&left, &right) in audio[0].iter().zip(&audio[1]) {
                writer.write_sample(left).unwrap();
                writer.write_sample(right).unwrap();
            }
        }
        writer.finalize().unwrap();
        let role = if i == NUM_STEMS - 1 {
            "vocals"
        } else {
            "other"
        };
        toml += &format!(
            "[[stem]]\nname = \"stem{i}\"\npath = \"stem{i}.wav\"\nrole = \"{role}\"\n\
             [stem.strip]\nls_gain = 1.0\nhs_gain = -1.0\ncomp_on = true\nthresh = -24.0\n{}\n",
            if i == 1 {
                "sat_on = true\nsat_mix = 20.0\n"
            } else {
                ""
            }
        );
    }
    toml += "[[version]]\nname = \"instrumental\"\nmute = [\"stem7\"]\n";
    std::fs::write(dir.join("session.toml"), toml).unwrap();
}

/// Renders a generated session of `seconds` in a child process: its report and peak memory.
fn render_in_child(seconds: usize) -> (serde_json::Value, u64) {
    let dir = tempfile::tempdir().unwrap();
    write_session(dir.path(), seconds);
    let (code, stdout, peak_rss_bytes) = run_with_peak_rss(
        Command::new(env!("CARGO_BIN_EXE_stemwise"))
            .arg("render")
            .arg(dir.path().join("session.toml"))
            .arg("--out")
            .arg(dir.path().join("out"))
            .args(["--threads", "2", "--quiet", "--json"]),
    );
    assert_eq!(code, 0, "stemwise render failed");
    println!(
        "{NUM_STEMS} stems, {seconds} s: peak RSS {:.1} MB",
        peak_rss_bytes as f64 / 1048576.0
    );
    (serde_json::from_str(&stdout).unwrap(), peak_rss_bytes)
}

#[test]
fn peak_memory_does_not_grow_with_the_length() {
    let (short, short_rss_bytes) = render_in_child(40);
    let (long, long_rss_bytes) = render_in_child(160);
    assert_eq!(long["duration_s"], 160.0);
    assert_eq!(short["duration_s"], 40.0);
    assert_peak_bounded(short_rss_bytes, long_rss_bytes, MAX_PEAK_RSS_BYTES);
    // Both renders reach the target, with every deliverable under the ceiling.
    for report in [&short, &long] {
        assert!(
            report["target"]["error_lu"].as_f64().unwrap().abs() <= 0.1,
            "{report}"
        );
        let ceiling = report["ceiling_dbtp"].as_f64().unwrap();
        for version in report["versions"].as_array().unwrap() {
            for d in version["deliverables"].as_array().unwrap() {
                assert!(d["true_peak_dbtp"].as_f64().unwrap() <= ceiling, "{d}");
            }
        }
    }
}

#[test]
#[ignore = "an hour of 8 stems: about 30 GB of disk (11 GB of stems, 9 GB of deliverables, the spills) and several minutes of CPU"]
fn an_hour_renders_in_bounded_memory() {
    let (report, rss_bytes) = render_in_child(3600);
    assert_eq!(report["duration_s"], 3600.0);
    assert!(rss_bytes <= MAX_PEAK_RSS_BYTES, "{rss_bytes} bytes");
}
