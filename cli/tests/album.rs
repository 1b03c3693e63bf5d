//! `stemwise album` end to end: three songs (stems generated into a temporary folder, one
//! session each, at different loudness) made into an album with a gapless pair and a normal
//! gap, the binary run on the album file, the outputs read back from disk: the CD layout
//! against the Red Book arithmetic, the DDP image read back bit-exact, the cue sheet through
//! Debian's `cuebreakpoints` (package `cuetools`), the songs' loudness differences against the
//! `ebur128` crate on independent renders, the vinyl sides; and every bad album (each must
//! exit with status 3 and write nothing).
//! Run: `cargo test -p stemwise-cli --test album`
//! (needs `cuebreakpoints`: `apt-get install cuetools`).

use serde_json::Value;
use shared_dsp::signals::{pink_noise, sine, transient_train};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use stemwise_cli::audio_file::{read_audio, write_wav, Audio, WavFormat};

const RATE: u32 = 44_100;
const EXIT_BAD_INPUT: i32 = 3;
/// Samples per CD frame.
const FRAME: u64 = 588;
/// The songs' loudness differences are kept within this (the issue's promise), LU.
const DIFFERENCE_TOLERANCE_LU: f64 = 0.1;

/// Writes drums, bass and keys of `num_samples` into `dir/stems`.
fn write_stems(dir: &Path, num_samples: usize, seed: u64) {
    let sr = f64::from(RATE);
    std::fs::create_dir_all(dir.join("stems")).unwrap();
    let write = |name: &str, channels: Vec<Vec<f32>>| {
        let audio = Audio {
            sample_rate_hz: RATE,
            channels,
        };
        write_wav(
            &dir.join("stems").join(name),
            &audio,
            WavFormat::Float32,
            true,
        )
        .unwrap();
    };
    write(
        "drums.wav",
        vec![
            transient_train(seed, 0.7, sr, num_samples, 0.25, 40.0),
            transient_train(seed + 1, 0.7, sr, num_samples, 0.25, 40.0),
        ],
    );
    let bass = sine(55.0, 0.35, sr, num_samples, 0.0);
    write("bass.wav", vec![bass.clone(), bass]);
    write(
        "keys.wav",
        vec![
            pink_noise(seed + 2, 0.2, num_samples),
            pink_noise(seed + 3, 0.2, num_samples),
        ],
    );
}

/// A session over the three stems, mastered with `in_gain_db` into a limiter.
fn session_text(in_gain_db: f32) -> String {
    format!(
        r#"
[target]
id = "spotify"

[master]
in_gain = {in_gain_db}
glue_on = true
glue_thresh = -24.0
glue_ratio = 1.5
lim_on = true
lim_ceil_mode = "streaming"
lim_drive = 2.0

[[stem]]
name = "drums"
path = "stems/drums.wav"
role = "drums"

[[stem]]
name = "bass"
path = "stems/bass.wav"
role = "bass"

[[stem]]
name = "keys"
path = "stems/keys.wav"
role = "keys"

[[version]]
name = "instrumental"
mute = ["keys"]

[deliverables]
formats = ["float32"]
versions = ["full"]
"#
    )
}

/// Writes song `name` (`num_samples` long, master input `in_gain_db`) into `dir/name`.
fn write_song(dir: &Path, name: &str, num_samples: usize, in_gain_db: f32, seed: u64) {
    let song = dir.join(name);
    write_stems(&song, num_samples, seed);
    std::fs::write(song.join("session.toml"), session_text(in_gain_db)).unwrap();
}

/// Lengths of the three songs, samples: 5 s + 100 (so track 2 starts inside a frame),
/// 4.6 s + 7, 5 s.
const SONG_SAMPLES: [usize; 3] = [220_600, 202_867, 220_500];
/// Master input gains of the three songs, dB (three different loudnesses).
const SONG_IN_GAIN_DB: [f32; 3] = [0.0, -4.0, -8.0];

/// Writes the three songs into `dir`.
fn write_songs(dir: &Path) {
    for (i, (&n, &gain)) in SONG_SAMPLES.iter().zip(&SONG_IN_GAIN_DB).enumerate() {
        write_song(dir, &format!("song{}", i + 1), n, gain, 10 * i as u64 + 1);
    }
}

/// The album of the three songs: track 2 gapless after track 1, track 3 after 2 s.
fn album_text(mode: &str) -> String {
    format!(
        r#"
title = "Test Album"
performer = "Stemwise"
upc = "036000291452"

[loudness]
mode = "{mode}"
target = "spotify"

[vinyl]
[[vinyl.side]]
name = "A"
tracks = [1, 2]
[[vinyl.side]]
name = "B"
tracks = [3]

[[track]]
session = "song1/session.toml"
title = "One"
isrc = "US-S1Z-26-00001"

[[track]]
session = "song2/session.toml"
title = "Two"
isrc = "US-S1Z-26-00002"
gap_before_s = 0

[[track]]
session = "song3/session.toml"
title = "Three"
isrc = "US-S1Z-26-00003"
"#
    )
}

fn stemwise(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stemwise"))
        .args(args)
        .output()
        .expect("run stemwise")
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs `stemwise album` on `album` into `out` with two threads; the JSON report.
fn make_album(album: &Path, out: &Path) -> Value {
    let output = stemwise(&[
        "album",
        arg(album),
        "--out",
        arg(out),
        "--threads",
        "2",
        "--json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Integrated loudness of `channels[start..start + len]` by the `ebur128` crate, LUFS.
fn ebur128_lufs(channels: &[Vec<f32>], start: usize, len: usize) -> f64 {
    let mut meter = ebur128::EbuR128::new(2, RATE, ebur128::Mode::I).unwrap();
    let planar: Vec<&[f32]> = channels.iter().map(|c| &c[start..start + len]).collect();
    meter.add_frames_planar_f32(&planar).unwrap();
    meter.loudness_global().unwrap()
}

/// `frames` as cuebreakpoints prints a time: `m:ss.ff`.
fn cue_time(frames: u64) -> String {
    let seconds = frames / 75;
    format!("{}:{:02}.{:02}", seconds / 60, seconds % 60, frames % 75)
}

/// The path of `cuebreakpoints`, or a panic that says how to install it.
fn cuebreakpoints() -> &'static str {
    let found = Command::new("cuebreakpoints")
        .arg("--help")
        .output()
        .is_ok();
    assert!(
        found,
        "this test needs Debian's cuetools: apt-get install cuetools (cuebreakpoints not found)"
    );
    "cuebreakpoints"
}

fn u64_of(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn f64_of(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn album_mode_lays_out_the_cd_keeps_the_loudness_differences_and_cuts_the_sides() {
    let dir = tempfile::tempdir().unwrap();
    write_songs(dir.path());
    let album = dir.path().join("album.toml");
    std::fs::write(&album, album_text("album")).unwrap();
    let out = dir.path().join("out");
    let report = make_album(&album, &out);

    // Layout, by the Red Book arithmetic: track 1 after the 2 s (150-frame) pre-gap; track 2
    // gapless: its audio starts at sample 150·588 + 220 600 = 308 800, inside frame 525
    // (525·588 = 308 700), which is its index 0 and 1; track 3's pre-gap starts on the
    // frame after track 2's last sample (308 800 + 202 867 = 511 667 → frame 871), its index 1
    // 150 frames later (1021); the image ends on the frame after track 3's audio
    // (1021·588 + 220 500 = 820 848 → 1396 frames).
    let tracks = report["tracks"].as_array().unwrap();
    for t in tracks {
        println!(
            "track {}: as mastered {} LUFS, goal {} LUFS, CD {} LUFS ({} renders)",
            t["number"],
            t["as_mastered"]["version_lufs"],
            t["goal_lufs"],
            t["cd"]["integrated_lufs"],
            t["num_cd_renders"]
        );
    }
    let index = |t: usize, key: &str| u64_of(&tracks[t][key]);
    assert_eq!(
        (index(0, "index0_frame"), index(0, "index1_frame")),
        (0, 150)
    );
    assert_eq!(
        (index(1, "index0_frame"), index(1, "index1_frame")),
        (525, 525)
    );
    assert_eq!(
        (index(2, "index0_frame"), index(2, "index1_frame")),
        (871, 1021)
    );
    assert_eq!(index(0, "audio_start_sample"), 150 * FRAME);
    assert_eq!(index(1, "audio_start_sample"), 308_800);
    assert_eq!(index(2, "audio_start_sample"), 1021 * FRAME);
    for (t, &n) in SONG_SAMPLES.iter().enumerate() {
        assert_eq!(index(t, "num_samples"), n as u64, "track {}", t + 1);
    }
    let total_frames = u64_of(&report["cd"]["total_frames"]);
    assert_eq!(total_frames, 1396);
    assert_eq!(report["cd"]["length"], "00:18:46");

    // The CD master: exactly the image's samples, digital silence in the gaps, the gapless
    // pair contiguous (no silence between them).
    let cd = read_audio(&out.join("album.wav")).unwrap();
    assert_eq!(cd.sample_rate_hz, RATE);
    assert_eq!(cd.num_frames() as u64, total_frames * FRAME);
    let silent = |from: u64, to: u64| {
        cd.channels
            .iter()
            .all(|c| c[from as usize..to as usize].iter().all(|&s| s == 0.0))
    };
    assert!(silent(0, 150 * FRAME), "pre-gap of track 1 is not silent");
    assert!(
        silent(511_667, 1021 * FRAME),
        "pre-gap of track 3 is not silent"
    );
    assert!(silent(820_848, total_frames * FRAME));
    let audible = |at: u64| {
        cd.channels
            .iter()
            .any(|c| c[at as usize..at as usize + 2000].iter().any(|&s| s != 0.0))
    };
    assert!(
        audible(150 * FRAME)
            && audible(308_800 - 1000)
            && audible(308_800)
            && audible(1021 * FRAME)
    );
    // 16-bit words: every sample on the 2⁻¹⁵ grid.
    assert!(cd
        .channels
        .iter()
        .flatten()
        .all(|&s| (s * 32_768.0).fract() == 0.0));

    // The cue sheet, read by cuetools: index 1 of tracks 2 and 3 and index 0 of track 3.
    let breakpoints = Command::new(cuebreakpoints())
        .arg("--split-gaps")
        .arg(out.join("album.cue"))
        .output()
        .unwrap();
    assert!(breakpoints.status.success());
    let printed = String::from_utf8(breakpoints.stdout).unwrap();
    let expected: Vec<String> = [150, 525, 871, 1021].iter().map(|&f| cue_time(f)).collect();
    assert_eq!(printed.lines().collect::<Vec<_>>(), expected, "{printed}");

    // Loudness: each song rendered on its own as its session masters it, measured by the
    // ebur128 crate, against the same song's stretch of the CD master.
    let mut as_mastered = Vec::new();
    for i in 1..=3 {
        let song = dir.path().join(format!("song{i}"));
        let render_out = song.join("render");
        let output = stemwise(&[
            "render",
            arg(&song.join("session.toml")),
            "--out",
            arg(&render_out),
            "--quiet",
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let master = read_audio(&render_out.join("full-float32.wav")).unwrap();
        as_mastered.push(ebur128_lufs(&master.channels, 0, master.num_frames()));
    }
    let on_cd: Vec<f64> = (0..3)
        .map(|t| {
            ebur128_lufs(
                &cd.channels,
                index(t, "audio_start_sample") as usize,
                index(t, "num_samples") as usize,
            )
        })
        .collect();
    assert!(as_mastered[0] > as_mastered[1] + 2.0 && as_mastered[1] > as_mastered[2] + 2.0);
    let mut worst = 0.0f64;
    for i in 0..3 {
        for j in i + 1..3 {
            let error = (on_cd[i] - on_cd[j]) - (as_mastered[i] - as_mastered[j]);
            worst = worst.max(error.abs());
        }
    }
    println!("as mastered {as_mastered:?} LUFS, on the CD {on_cd:?} LUFS (ebur128): differences kept within {worst:.4} LU");
    assert!(
        worst <= DIFFERENCE_TOLERANCE_LU,
        "differences kept within {worst:.3} LU: as mastered {as_mastered:?}, on the CD {on_cd:?}"
    );
    // The loudest song at the target (−14 LUFS), within the plan's tolerance and the
    // meters' difference.
    assert!((on_cd[0] + 14.0).abs() <= 0.1, "{on_cd:?}");
    assert!(
        f64_of(&report["loudness_differences"]["max_pair_error_lu"]) <= DIFFERENCE_TOLERANCE_LU
    );
    // The ceiling: the target's −1 dBTP on every track and on the album.
    for t in tracks {
        assert!(f64_of(&t["cd"]["true_peak_dbtp"]) <= -1.0, "{t}");
    }
    assert!(f64_of(&report["cd"]["album"]["true_peak_dbtp"]) <= -1.0);

    // Vinyl: side A = tracks 1 and 2 run on (gapless), side B = track 3; 24-bit at 44.1 kHz,
    // under the vinyl ceiling.
    let sides = report["vinyl"].as_array().unwrap();
    assert_eq!(sides.len(), 2);
    for (side, samples) in sides
        .iter()
        .zip([SONG_SAMPLES[0] + SONG_SAMPLES[1], SONG_SAMPLES[2]])
    {
        let path = out.join(side["file"].as_str().unwrap());
        let reader = hound::WavReader::open(&path).unwrap();
        assert_eq!(reader.spec().bits_per_sample, 24);
        assert_eq!(reader.spec().sample_rate, RATE);
        assert_eq!(reader.duration() as usize, samples, "{}", side["name"]);
        assert!(
            f64_of(&side["measurement"]["true_peak_dbtp"]) <= -0.5,
            "{side}"
        );
    }

    // Everything the album writes, and nothing else (no staging or work folder left).
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "album.cue",
            "album.json",
            "album.wav",
            "ddp",
            "pq-sheet.html",
            "pq-sheet.png",
            "vinyl-side-A.wav",
            "vinyl-side-B.wav"
        ]
    );
    // The DDP image, read back by the tool: every audio byte compared.
    let verification = &report["cd"]["ddp_verification"];
    assert_eq!(
        u64_of(&verification["audio_bytes_compared"]),
        total_frames * 2352
    );
    assert_eq!(u64_of(&verification["total_frames"]), total_frames);
    // And read back here: the PQ times, codes and text as laid out, IMAGE.DAT byte for byte
    // the CD master's 16-bit little-endian samples.
    let image = stemwise_cli::cd::ddp::read_image(&out.join("ddp")).unwrap();
    assert_eq!(image.upc.as_ref().unwrap().ean13(), "0036000291452");
    assert_eq!(image.layout.total_frames as u64, total_frames);
    for (t, track) in image.layout.tracks.iter().enumerate() {
        assert_eq!(u64::from(track.index0_frame), index(t, "index0_frame"));
        assert_eq!(u64::from(track.index1_frame), index(t, "index1_frame"));
        assert_eq!(
            track.isrc.as_ref().unwrap().to_string(),
            format!("US-S1Z-26-0000{}", t + 1)
        );
        assert_eq!(track.title.as_deref(), Some(["One", "Two", "Three"][t]));
    }
    let mut image_bytes = Vec::new();
    std::io::Read::read_to_end(&mut image.audio().unwrap(), &mut image_bytes).unwrap();
    let master_bytes: Vec<u8> = (0..cd.num_frames())
        .flat_map(|i| [cd.channels[0][i], cd.channels[1][i]])
        .flat_map(|s| ((s * 32_768.0) as i16).to_le_bytes())
        .collect();
    assert!(
        image_bytes == master_bytes,
        "IMAGE.DAT differs from album.wav"
    );

    // A second run refuses to overwrite.
    let again = stemwise(&["album", arg(&album), "--out", arg(&out), "--quiet"]);
    assert_eq!(again.status.code(), Some(EXIT_BAD_INPUT));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
}

#[test]
fn track_mode_brings_every_song_to_the_target() {
    let dir = tempfile::tempdir().unwrap();
    write_songs(dir.path());
    let album = dir.path().join("album.toml");
    let text = album_text("track").replace(
        "[vinyl]\n[[vinyl.side]]\nname = \"A\"\ntracks = [1, 2]\n[[vinyl.side]]\nname = \"B\"\ntracks = [3]\n",
        "",
    );
    assert!(!text.contains("vinyl"));
    std::fs::write(&album, text).unwrap();
    let out = dir.path().join("out");
    let report = make_album(&album, &out);
    let cd = read_audio(&out.join("album.wav")).unwrap();
    for t in report["tracks"].as_array().unwrap() {
        let lufs = ebur128_lufs(
            &cd.channels,
            u64_of(&t["audio_start_sample"]) as usize,
            u64_of(&t["num_samples"]) as usize,
        );
        println!(
            "track mode, track {}: {lufs:.3} LUFS (ebur128)",
            t["number"]
        );
        assert!(
            (lufs + 14.0).abs() <= 0.1,
            "track {}: {lufs:.3} LUFS",
            t["number"]
        );
    }
    assert!(report["vinyl"].as_array().unwrap().is_empty());
}

#[test]
fn a_crossfade_overlaps_the_songs_on_the_cd_and_on_the_side() {
    let dir = tempfile::tempdir().unwrap();
    write_song(dir.path(), "song1", SONG_SAMPLES[0], 0.0, 1);
    write_song(dir.path(), "song2", SONG_SAMPLES[1], -4.0, 11);
    let album = dir.path().join("album.toml");
    std::fs::write(
        &album,
        r#"
[vinyl]
[vinyl.master]
lim_ceil_mode = "custom"
lim_ceiling = -3.0
[[vinyl.side]]
name = "A"
tracks = [1, 2]
[[track]]
session = "song1/session.toml"
[[track]]
session = "song2/session.toml"
crossfade_s = 1.0
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    let report = make_album(&album, &out);
    let tracks = report["tracks"].as_array().unwrap();
    // Track 2 starts 1 s (44 100 samples) before track 1 ends: 88 200 + 220 600 − 44 100.
    let start2 = 264_700;
    assert_eq!(u64_of(&tracks[1]["audio_start_sample"]), start2);
    assert_eq!(u64_of(&tracks[1]["index1_frame"]), start2 / FRAME);
    let end = start2 + SONG_SAMPLES[1] as u64;
    assert_eq!(u64_of(&report["cd"]["total_frames"]), end.div_ceil(FRAME));
    // Equal-gain fades keep the ceiling: no warning, the album under −1 dBTP.
    assert_eq!(report["warnings"].as_array().unwrap().len(), 0, "{report}");
    assert!(f64_of(&report["cd"]["album"]["true_peak_dbtp"]) <= -1.0);
    let cd = read_audio(&out.join("album.wav")).unwrap();
    let fade = &cd.channels[0][start2 as usize..start2 as usize + 44_100];
    assert!(fade.iter().all(|&s| (s * 32_768.0).fract() == 0.0));
    assert!(fade.iter().any(|&s| s != 0.0));
    // The side overlaps the same second, under the [vinyl.master] ceiling (−3 dBTP, its
    // limiter working: the CD's −1 dBTP masters reach higher).
    let side_tp = f64_of(&report["vinyl"][0]["measurement"]["true_peak_dbtp"]);
    assert!((-3.5..=-3.0).contains(&side_tp), "{side_tp}");
    let side = report["vinyl"][0]["file"].as_str().unwrap();
    let reader = hound::WavReader::open(out.join(side)).unwrap();
    assert_eq!(
        reader.duration() as usize,
        SONG_SAMPLES[0] + SONG_SAMPLES[1] - 44_100
    );
    // --force replaces every output, the DDP folder included (read back again).
    let output = stemwise(&[
        "album",
        arg(&album),
        "--out",
        arg(&out),
        "--force",
        "--json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let again: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        again["cd"]["ddp_verification"],
        report["cd"]["ddp_verification"]
    );
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let expected = [
        "album.cue",
        "album.json",
        "album.wav",
        "ddp",
        "pq-sheet.html",
        "pq-sheet.png",
        "vinyl-side-A.wav",
    ];
    assert_eq!(names, expected, "nothing set aside or staged is left");
}

#[test]
fn a_hidden_track_opens_the_disc_before_track_one() {
    let dir = tempfile::tempdir().unwrap();
    write_song(dir.path(), "song1", SONG_SAMPLES[0], 0.0, 1);
    write_song(dir.path(), "song2", SONG_SAMPLES[1], -4.0, 11);
    let album = dir.path().join("album.toml");
    std::fs::write(
        &album,
        r#"
title = "Hidden"
[hidden_track]
session = "song2/session.toml"
version = "instrumental"
[[track]]
session = "song1/session.toml"
title = "One"
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    let report = make_album(&album, &out);
    // 202 867 samples of hidden audio: track 1's pre-gap grows to ⌈202 867 / 588⌉ = 346
    // frames; track 1 (220 600 samples) ends inside frame 721: 722 frames in all.
    let track = &report["tracks"][0];
    assert_eq!(u64_of(&track["index0_frame"]), 0);
    assert_eq!(u64_of(&track["index1_frame"]), 346);
    assert_eq!(u64_of(&report["cd"]["total_frames"]), 722);
    assert_eq!(
        u64_of(&report["hidden_track"]["num_samples"]),
        SONG_SAMPLES[1] as u64
    );
    assert_eq!(report["hidden_track"]["version"], "instrumental");
    let cd = read_audio(&out.join("album.wav")).unwrap();
    let left = &cd.channels[0];
    assert!(left[..SONG_SAMPLES[1]].iter().any(|&s| s != 0.0));
    assert!(left[SONG_SAMPLES[1]..346 * FRAME as usize]
        .iter()
        .all(|&s| s == 0.0));
    // The DDP image holds the long pre-gap (verified by the tool, checked again here).
    let image = stemwise_cli::cd::ddp::read_image(&out.join("ddp")).unwrap();
    assert_eq!(image.layout.tracks[0].index1_frame, 346);
    // The cue sheet's INDEX 01 of track 1, read by cuetools.
    let printed = Command::new(cuebreakpoints())
        .arg("--split-gaps")
        .arg(out.join("album.cue"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(printed.stdout).unwrap().trim(),
        cue_time(346)
    );
}

#[test]
fn a_side_with_songs_at_two_rates_is_refused_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    write_song(dir.path(), "song1", SONG_SAMPLES[0], 0.0, 1);
    write_song(dir.path(), "song2", SONG_SAMPLES[1], -4.0, 11);
    // Song 2 renders at 48 kHz (its stems resampled): fine for the CD, not on one side.
    let session2 = dir.path().join("song2/session.toml");
    let text = std::fs::read_to_string(&session2).unwrap();
    std::fs::write(&session2, format!("sample_rate_hz = 48000\n{text}")).unwrap();
    let album = dir.path().join("album.toml");
    std::fs::write(
        &album,
        "[vinyl]\n[[vinyl.side]]\nname = \"A\"\ntracks = [1, 2]\n\
         [[track]]\nsession = \"song1/session.toml\"\n\
         [[track]]\nsession = \"song2/session.toml\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let output = stemwise(&[
        "album",
        arg(&album),
        "--out",
        arg(&out),
        "--resample",
        "--quiet",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(EXIT_BAD_INPUT), "{stderr}");
    assert!(
        stderr.contains("side A: track 2 renders at 48000 Hz, track 1 at 44100 Hz"),
        "{stderr}"
    );
    let written: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert!(written.is_empty(), "written: {written:?}");
}

/// Writes `text` as an album next to the three songs, runs it, and checks exit status 3, an
/// error containing every one of `needles`, and that nothing was written.
fn assert_refused(dir: &Path, text: &str, needles: &[&str]) {
    let album = dir.join("bad.toml");
    std::fs::write(&album, text).unwrap();
    let out: PathBuf = dir.join("bad-out");
    let output = stemwise(&["album", arg(&album), "--out", arg(&out), "--quiet"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(EXIT_BAD_INPUT), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} not in: {stderr}");
    }
    let written: Vec<_> = std::fs::read_dir(&out)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(written.is_empty(), "written: {written:?}");
}

#[test]
fn bad_albums_are_refused_with_exit_3_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    write_songs(dir.path());
    let good = album_text("album");
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            good.replace("title = \"Two\"", "titel = \"Two\""),
            vec!["line 25, column 1", "unknown field `titel`"],
        ),
        (
            good.replace("US-S1Z-26-00002", "US-S1Z-26-0002"),
            vec!["line 26, column 8", "is not CC-XXX-YY-NNNNN"],
        ),
        (
            good.replace("US-S1Z-26-00003", "US-S1Z-26-00001"),
            vec![
                "track 3",
                "ISRC US-S1Z-26-00001 is already given on line 21",
            ],
        ),
        (
            good.replace("036000291452", "036000291453"),
            vec![
                "line 4, column 7",
                "check digit is 3, the other digits need 2",
            ],
        ),
        (
            good.replace("title = \"One\"", "title = \"One\"\ngap_before_s = 1.5"),
            vec!["track 1", "at least 2 s of pre-gap before track 1"],
        ),
        (
            good.replace("title = \"One\"", "title = \"One\"\ncrossfade_s = 1.0"),
            vec!["line 21, column 15", "track 1 has no track before it"],
        ),
        (
            good.replace(
                "title = \"Three\"",
                "title = \"Three\"\ngap_before_s = 2\ncrossfade_s = 1",
            ),
            vec!["track 3", "crossfaded tracks overlap, they have no gap"],
        ),
        (
            good.replace("tracks = [3]", "tracks = [2, 3]"),
            vec!["[vinyl]", "track 2 is already on side A"],
        ),
        (
            good.replace("[loudness]", "[loudness]\nlufs = -10.0"),
            vec!["[loudness]", "only for id = \"custom\""],
        ),
        (
            good.replace("[vinyl]", "[vinyl]\n[vinyl.master]\nlim_ceiling = 3.0"),
            vec!["[vinyl.master]", "lim_ceiling = 3 is outside -6…0"],
        ),
        (
            good.replace(
                "song3/session.toml\"",
                "song3/session.toml\"\nversion = \"tv\"",
            ),
            vec!["has no version \"tv\" (it has full, instrumental)"],
        ),
        (
            good.replace("title = \"Two\"", "title = \"Two ☃\""),
            vec!["CD-TEXT", "☃"],
        ),
        (
            good.replace("song2/session.toml", "song9/session.toml"),
            vec!["track 2", "song9/session.toml: cannot read session file"],
        ),
    ];
    for (text, needles) in &cases {
        assert_refused(dir.path(), text, needles);
    }
}

#[test]
fn a_track_under_four_seconds_breaks_the_red_book() {
    let dir = tempfile::tempdir().unwrap();
    // 3.5 s: renders fine, but a CD track must last 4 s.
    write_song(dir.path(), "short", 154_350, 0.0, 3);
    write_song(dir.path(), "song1", SONG_SAMPLES[0], 0.0, 1);
    let text = r#"
[[track]]
session = "song1/session.toml"
[[track]]
session = "short/session.toml"
"#;
    assert_refused(
        dir.path(),
        text,
        &["track 2 is 00:03:38 (3.51 s) long", "shortest track is 4 s"],
    );
}

#[test]
fn the_example_album_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/album.toml");
    let album = stemwise_cli::album::file::load(&path).unwrap();
    assert_eq!(album.tracks.len(), 3);
    assert_eq!(album.upc.unwrap().ean13(), "0036000291452");
    let versions: Vec<&str> = album.tracks.iter().map(|t| t.version()).collect();
    assert_eq!(versions, ["full", "tv", "instrumental"]);
    assert_eq!(album.tracks[1].gap_before_s, 0.0);
    let vinyl = album.vinyl.unwrap();
    assert_eq!(vinyl.sides.len(), 2);
    assert_eq!(vinyl.sides[0].tracks, [0, 1]);
}

/// Mean power of `error` in the bins between `lo_hz` and `hi_hz` (Welch, 4096-point frames),
/// relative to a full-scale sine; and the same mean of `weight(freq)` over those bins.
fn band_power(
    error: &[Vec<f32>],
    lo_hz: f64,
    hi_hz: f64,
    weight: impl Fn(f64) -> f64,
) -> (f64, f64) {
    let slices: Vec<&[f32]> = error.iter().map(Vec::as_slice).collect();
    let spectrum = shared_dsp::spectrum::average_spectrum(&slices, f64::from(RATE), 4096);
    let band: Vec<_> = spectrum
        .iter()
        .filter(|p| (lo_hz..=hi_hz).contains(&p.freq_hz))
        .collect();
    let n = band.len() as f64;
    let power = band
        .iter()
        .map(|p| 10f64.powf(p.level_db / 10.0))
        .sum::<f64>()
        / n;
    let expected = band.iter().map(|p| weight(p.freq_hz)).sum::<f64>() / n;
    (power, expected)
}

#[test]
fn cd_formats_are_16_bit_tpdf_with_optional_second_order_shaping() {
    use shared_dsp::dither::NoiseShaping;
    let dir = tempfile::tempdir().unwrap();
    let n = 3 * RATE as usize;
    let tone = sine(1000.0, 0.1, f64::from(RATE), n, 0.0);
    let audio = Audio {
        sample_rate_hz: RATE,
        channels: vec![tone.clone(), tone],
    };
    std::fs::create_dir_all(dir.path().join("stems")).unwrap();
    write_wav(
        &dir.path().join("stems/tone.wav"),
        &audio,
        WavFormat::Float32,
        true,
    )
    .unwrap();
    let session = dir.path().join("session.toml");
    std::fs::write(
        &session,
        r#"
[[stem]]
name = "tone"
path = "stems/tone.wav"
[deliverables]
formats = ["float32", "cd16-44k1", "cd16-44k1-shaped"]
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    let output = stemwise(&["render", arg(&session), "--out", arg(&out), "--quiet"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // At −20 dBFS nothing limits: each CD file is the float master plus its dither error.
    let float = read_audio(&out.join("full-float32.wav")).unwrap();
    let error_of = |file: &str| -> Vec<Vec<f32>> {
        let path = out.join(file);
        let spec = hound::WavReader::open(&path).unwrap().spec();
        assert_eq!(
            (spec.bits_per_sample, spec.sample_rate),
            (16, RATE),
            "{file}"
        );
        let cd = read_audio(&path).unwrap();
        cd.channels
            .iter()
            .zip(&float.channels)
            .map(|(c, f)| c.iter().zip(f).map(|(c, f)| c - f).collect())
            .collect()
    };
    let plain = error_of("full-cd16-44k1.wav");
    let shaped = error_of("full-cd16-44k1-shaped.wav");
    // TPDF: total error variance q²/4 (q = 2⁻¹⁵), white: RMS −96.3 dBFS (Wannamaker et al.).
    let rms = |e: &[Vec<f32>]| {
        let sum: f64 = e.iter().flatten().map(|&x| f64::from(x).powi(2)).sum();
        10.0 * (sum / (2 * n) as f64).log10()
    };
    let expected_db = 20.0 * (2f64.powi(-16)).log10();
    println!(
        "TPDF error {:.2} dBFS RMS, theory {expected_db:.2} dBFS",
        rms(&plain)
    );
    assert!(
        (rms(&plain) - expected_db).abs() < 0.3,
        "{:.2} dBFS",
        rms(&plain)
    );
    // Second-order shaping: the error spectrum follows |NTF|² = (2 sin(ω/2))⁴ relative to
    // plain TPDF, in a low band (−34…−22 dB) and a high band (≈ +10 dB).
    let ntf = |f: f64| NoiseShaping::SecondOrder.power_response(f, f64::from(RATE));
    for (lo, hi) in [(500.0, 2000.0), (15_000.0, 20_000.0)] {
        let (p_plain, _) = band_power(&plain, lo, hi, |_| 1.0);
        let (p_shaped, theory) = band_power(&shaped, lo, hi, ntf);
        let measured_db = 10.0 * (p_shaped / p_plain).log10();
        let theory_db = 10.0 * theory.log10();
        println!("{lo}–{hi} Hz: shaped/plain {measured_db:.2} dB, |NTF|² {theory_db:.2} dB");
        assert!(
            (measured_db - theory_db).abs() < 1.0,
            "{lo}–{hi} Hz: shaped/plain {measured_db:.2} dB, |NTF|² {theory_db:.2} dB"
        );
    }
}
