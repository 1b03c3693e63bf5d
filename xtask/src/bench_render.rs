//! `cargo xtask bench-render`: the CPU cost of a whole `stemwise render` next to ffmpeg's
//! two-pass `loudnorm` on the same session's stereo mix, measured in the same run.
//!
//! The session is synthesized here (fixed seeds): 6 stereo stems of 64 s at 48 kHz, EQ and a
//! compressor on every strip, saturation on the bass, glue compressor and limiter on the
//! master, the Spotify target (−14 LUFS, −1 dBTP) with two-pass targeting, two versions (full
//! and instrumental) and the default deliverables. ffmpeg gets the plain sum of the stems and
//! the same target: a measuring pass, then the normalising pass with the measured values
//! (`linear=true`), written as a 48 kHz WAV. CPU times are the children's user + system time
//! from `wait4`, so other jobs on the machine do not count.

use crate::run::cargo;
use anyhow::{bail, Context, Result};
use std::mem::MaybeUninit;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Where the session and the outputs go, relative to the workspace root.
const BENCH_DIR: &str = "target/bench-render";
/// Sample rate of the session, Hz.
const RATE_HZ: u32 = 48_000;
/// Length of the session, s.
const SECONDS: usize = 64;
/// Spotify's target (the session's `id = "spotify"`), for ffmpeg.
const TARGET_LUFS: f64 = -14.0;
/// Spotify's true-peak maximum, dBTP.
const TARGET_TRUE_PEAK_DBTP: f64 = -1.0;

/// The stems: name, role, strip section (EQ and compressor on each; saturation on the bass).
const STEMS: [(&str, &str, &str); 6] = [
    ("drums", "drums", "hs_gain = 1.0\ncomp_on = true\nthresh = -20.0\nratio = 2.0\ndetector = \"peak\"\n"),
    ("bass", "bass", "ls_gain = 1.0\ncomp_on = true\nthresh = -22.0\nsat_on = true\nsat_drive = 6.0\nsat_mix = 15.0\n"),
    ("keys", "keys", "b2_gain = -1.0\ncomp_on = true\nthresh = -24.0\n"),
    ("guitar", "other", "hp_on = true\nb1_gain = 1.0\ncomp_on = true\nthresh = -24.0\n"),
    ("pad", "other", "hs_gain = -2.0\ncomp_on = true\nthresh = -26.0\nratio = 1.5\n"),
    ("vocals", "vocals", "hp_on = true\nb2_gain = 1.5\ncomp_on = true\nthresh = -20.0\nratio = 3.0\n"),
];

/// The master and target sections of the session.
const SESSION_HEAD: &str = "[target]\nid = \"spotify\"\nnormalize = true\n\n[master]\n\
ls_gain = 0.5\nb3_gain = -0.5\nhs_gain = 1.0\nglue_on = true\nglue_thresh = -22.0\n\
glue_ratio = 1.5\nglue_auto_rel = true\nlim_on = true\nlim_drive = 2.0\n\n";

/// Builds `stemwise`, synthesizes the session, runs ffmpeg's two passes and the render at 1
/// and 2 threads, and prints the CPU times, their ratio and the speed-up.
pub fn run(args: &[String]) -> Result<()> {
    let stemwise = match args {
        [] => {
            let status = cargo()
                .args([
                    "build",
                    "--release",
                    "-p",
                    "stemwise-cli",
                    "--bin",
                    "stemwise",
                ])
                .status()
                .context("cannot run cargo")?;
            if !status.success() {
                bail!("building stemwise failed");
            }
            PathBuf::from("target/release/stemwise")
        }
        [flag, path] if flag == "--bin" => PathBuf::from(path),
        _ => bail!("usage: cargo xtask bench-render [--bin <path to a stemwise build>]"),
    };
    if Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .status()
        .is_err()
    {
        bail!("ffmpeg not found: install it with `sudo apt-get install ffmpeg`");
    }
    let dir = Path::new(BENCH_DIR);
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let session = write_session(dir)?;
    println!(
        "session: {} stems, {SECONDS} s at {RATE_HZ} Hz ({})",
        STEMS.len(),
        session.display()
    );

    let normalised = dir.join("mix-loudnorm.wav");
    if normalised.exists() {
        std::fs::remove_file(&normalised)
            .with_context(|| format!("{}: cannot remove", normalised.display()))?;
    }
    let ffmpeg = loudnorm_two_pass(&dir.join("mix.wav"), &normalised)?;
    let mut renders = Vec::new();
    for threads in [1, 2] {
        // A fresh folder, as a render normally gets: replacing last run's files would add
        // the file system's flush-on-replace to the render's time.
        let out = dir.join(format!("render-{threads}"));
        if out.exists() {
            std::fs::remove_dir_all(&out)
                .with_context(|| format!("{}: cannot remove", out.display()))?;
        }
        let (usage, _) = measure(
            Command::new(&stemwise)
                .arg("render")
                .arg(&session)
                .arg("--out")
                .arg(&out)
                .args(["--quiet", "--threads", &threads.to_string()])
                .stdout(Stdio::null()),
        )?;
        renders.push(usage);
    }
    let (one, two) = (renders[0], renders[1]);
    let audio_min = SECONDS as f64 / 60.0;
    println!("ffmpeg loudnorm, two passes:  CPU {:6.2} s", ffmpeg.cpu_s);
    println!(
        "stemwise render, 1 thread:    CPU {:6.2} s, wall {:6.2} s  ({:.2} min of audio per CPU s)",
        one.cpu_s,
        one.wall_s,
        audio_min / one.cpu_s
    );
    println!(
        "stemwise render, 2 threads:   CPU {:6.2} s, wall {:6.2} s",
        two.cpu_s, two.wall_s
    );
    println!(
        "render / ffmpeg CPU: {:.2}× (target ≤ 1.0×); speed-up 1 → 2 threads: {:.2}× wall (target ≥ 1.8×)",
        one.cpu_s / ffmpeg.cpu_s,
        one.wall_s / two.wall_s
    );
    Ok(())
}

/// CPU and wall time of one child process.
#[derive(Debug, Clone, Copy)]
struct Usage {
    /// User + system time, s.
    cpu_s: f64,
    /// Wall time, s.
    wall_s: f64,
}

/// Runs `command` to completion and returns its CPU time (user + system, from `wait4`), wall
/// time and what it printed on stderr if `stderr` was piped; fails if it does not succeed.
// The child is reaped by `libc::wait4` (which `Child::wait` cannot replace: it discards the
// usage), so clippy's zombie warning does not apply.
#[allow(clippy::zombie_processes)]
fn measure(command: &mut Command) -> Result<(Usage, String)> {
    use std::io::Read;
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot run {command:?}"))?;
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        pipe.read_to_string(&mut stderr)?;
    }
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage = MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `pid` is our own unreaped child; `wait4` writes the status and usage to the
    // valid pointers it is given.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
    let wall_s = started.elapsed().as_secs_f64();
    if waited != pid {
        bail!("wait4 failed for {command:?}");
    }
    // SAFETY: `wait4` succeeded, so it filled `usage` (zeroed before, so initialised anyway).
    let usage = unsafe { usage.assume_init() };
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        bail!("{command:?} failed\n{stderr}");
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    let usage = Usage {
        cpu_s: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        wall_s,
    };
    Ok((usage, stderr))
}

/// ffmpeg's two-pass `loudnorm` of `input` to the target: the measuring pass (its JSON
/// parsed from stderr), then the normalising pass into `output`. Returns the two passes'
/// summed usage.
fn loudnorm_two_pass(input: &Path, output: &Path) -> Result<Usage> {
    let filter = format!("loudnorm=I={TARGET_LUFS}:TP={TARGET_TRUE_PEAK_DBTP}:LRA=11");
    let (first, stderr) = measure(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-nostats", "-y", "-i"])
            .arg(input)
            .args([
                "-af",
                &format!("{filter}:print_format=json"),
                "-f",
                "null",
                "-",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    )?;
    let measured = |key: &str| -> Result<String> {
        let at = stderr
            .find(&format!("\"{key}\""))
            .with_context(|| format!("ffmpeg printed no {key}:\n{stderr}"))?;
        let value = stderr[at..]
            .split('"')
            .nth(3)
            .with_context(|| format!("ffmpeg's {key} unreadable"))?;
        Ok(value.to_owned())
    };
    let second_filter = format!(
        "{filter}:measured_I={}:measured_TP={}:measured_LRA={}:measured_thresh={}:offset={}:linear=true",
        measured("input_i")?,
        measured("input_tp")?,
        measured("input_lra")?,
        measured("input_thresh")?,
        measured("target_offset")?
    );
    let (second, _) = measure(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-nostats", "-loglevel", "error", "-y", "-i"])
            .arg(input)
            .args(["-af", &second_filter, "-ar", &RATE_HZ.to_string()])
            .arg(output),
    )?;
    Ok(Usage {
        cpu_s: first.cpu_s + second.cpu_s,
        wall_s: first.wall_s + second.wall_s,
    })
}

/// A deterministic white-noise generator (xorshift64*), uniform in [−1, 1).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40;
        bits as f32 / (1u64 << 23) as f32 - 1.0
    }
}

/// One stem's stereo signal, frame by frame: a stem-like mixture per role (decaying hits
/// for the drums, a low tone for the bass, chords for keys, guitar and pad, gated noise
/// for the vocals), each with noise so the compressors and the limiter work.
fn stem_frame(index: usize, frame: usize, noise: &mut Noise) -> [f32; 2] {
    let t = frame as f64 / f64::from(RATE_HZ);
    let beat = (t * 2.0).fract();
    let sine = |hz: f64| (std::f64::consts::TAU * hz * t).sin() as f32;
    let (l, r) = match index {
        0 => {
            let hit = (-beat * 30.0).exp() as f32;
            let n = noise.next();
            (
                0.6 * hit * (sine(60.0) + 0.5 * n),
                0.6 * hit * (sine(60.0) + 0.5 * noise.next()),
            )
        }
        1 => {
            let note = [55.0, 55.0, 73.4, 65.4][(t / 2.0) as usize % 4];
            let v = 0.4 * sine(note) + 0.1 * sine(2.0 * note) + 0.02 * noise.next();
            (v, v)
        }
        2..=4 => {
            let root = [220.0, 196.0, 174.6, 196.0][(t / 2.0) as usize % 4] * index as f64 / 2.0;
            let chord = sine(root) + sine(root * 1.26) + sine(root * 1.5);
            (
                0.1 * chord + 0.02 * noise.next(),
                0.1 * chord + 0.02 * noise.next(),
            )
        }
        _ => {
            let gate = if (t * 1.5).fract() < 0.6 { 1.0 } else { 0.05 };
            let v = gate * (0.15 * sine(330.0 + 20.0 * sine(5.0) as f64) + 0.1 * noise.next());
            (v, v)
        }
    };
    [l, r]
}

/// Writes the stems, their plain sum (`mix.wav`, for ffmpeg) and `session.toml` into `dir`;
/// returns the session's path.
fn write_session(dir: &Path) -> Result<PathBuf> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: RATE_HZ,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let num_frames = SECONDS * RATE_HZ as usize;
    let mut writers = Vec::new();
    for (name, _, _) in STEMS {
        writers.push(hound::WavWriter::create(
            dir.join(format!("{name}.wav")),
            spec,
        )?);
    }
    let mut mix = hound::WavWriter::create(dir.join("mix.wav"), spec)?;
    let mut noises: Vec<Noise> = (0..STEMS.len())
        .map(|i| Noise(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1)))
        .collect();
    for frame in 0..num_frames {
        let mut sum = [0.0f32; 2];
        for (i, (writer, noise)) in writers.iter_mut().zip(&mut noises).enumerate() {
            let [l, r] = stem_frame(i, frame, noise);
            writer.write_sample(l)?;
            writer.write_sample(r)?;
            sum[0] += l;
            sum[1] += r;
        }
        mix.write_sample(sum[0])?;
        mix.write_sample(sum[1])?;
    }
    for writer in writers {
        writer.finalize()?;
    }
    mix.finalize()?;
    let mut toml = String::from(SESSION_HEAD);
    for (name, role, strip) in STEMS {
        toml += &format!(
            "[[stem]]\nname = \"{name}\"\npath = \"{name}.wav\"\nrole = \"{role}\"\n[stem.strip]\n{strip}\n"
        );
    }
    toml += "[[version]]\nname = \"instrumental\"\nmute = [\"vocals\"]\n";
    let path = dir.join("session.toml");
    std::fs::write(&path, toml).with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(path)
}
