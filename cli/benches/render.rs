//! Realtime factor of a whole `stemwise render` with everything on: 8 stereo stems of 5
//! minutes at 48 kHz, every Stem Strip stage on (EQ, compressor, 4× saturation), the Master
//! Bus's EQ, glue compressor and limiter on, two-pass loudness targeting, three versions and
//! the three deliverable formats for each (resampling, dither, true-peak re-check), files
//! written. Once single-threaded, once with the stems on every core.
//!
//! Not a criterion bench (one render takes tens of seconds): it renders once per thread
//! count and prints `audio seconds / wall seconds`. Run:
//! `cargo bench -p stemwise-cli --bench render` (`STEMWISE_BENCH_SECONDS=60` for a shorter
//! programme).

use shared_dsp::signals::{pink_noise, sine, transient_train};
use std::time::Instant;
use stemwise_cli::audio_file::{write_wav, Audio, WavFormat};
use stemwise_cli::progress::Progress;
use stemwise_cli::render::{render, RenderOptions};
use stemwise_cli::session;
use stemwise_cli::stems::LoadOptions;

const RATE: u32 = 48_000;
const NUM_STEMS: usize = 8;

/// Every strip stage on.
const STRIP: &str = "[stem.strip]
hp_on = true
ls_gain = 1.0
b1_gain = -1.0
b2_gain = 1.0
hs_gain = 1.0
comp_on = true
thresh = -24.0
sat_on = true
sat_mix = 20.0
";

/// CPU time of this process so far (all threads), s: on a machine shared with other jobs
/// the wall time says little, the CPU time what the render costs.
fn cpu_time_s() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `getrusage` fills the struct it is given; RUSAGE_SELF is always valid.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

fn main() {
    let seconds: f64 = std::env::var("STEMWISE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300.0);
    let n = (seconds * f64::from(RATE)) as usize;
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut text = String::from(
        "[target]\nid = \"spotify\"\nnormalize = true\n\n[master]\nls_gain = 0.5\nhs_gain = 1.0\n\
         glue_on = true\nglue_thresh = -24.0\nglue_auto_rel = true\nlim_on = true\nlim_drive = 2.0\n\n",
    );
    for i in 0..NUM_STEMS {
        let seed = i as u64 * 10;
        let sr = f64::from(RATE);
        let audio = Audio {
            sample_rate_hz: RATE,
            channels: (0..2u64)
                .map(|ch| {
                    let hits = transient_train(seed + ch, 0.3, sr, n, 0.25 + 0.05 * i as f64, 40.0);
                    let pink = pink_noise(seed + 5 + ch, 0.08, n);
                    let tone = sine(55.0 * (i + 1) as f64, 0.1, sr, n, ch as f64);
                    (0..n).map(|k| hits[k] + pink[k] + tone[k]).collect()
                })
                .collect(),
        };
        let path = dir.path().join(format!("stem{i}.wav"));
        write_wav(&path, &audio, WavFormat::Float32, true).expect("stem written");
        let role = if i == NUM_STEMS - 1 {
            "vocals"
        } else {
            "other"
        };
        text += &format!(
            "[[stem]]\nname = \"stem{i}\"\npath = \"stem{i}.wav\"\nrole = \"{role}\"\n{STRIP}\n"
        );
    }
    let last = NUM_STEMS - 1;
    text += &format!(
        "[[version]]\nname = \"instrumental\"\nmute = [\"stem{last}\"]\n\n\
         [[version]]\nname = \"acappella\"\nonly = [\"stem{last}\"]\n"
    );
    let session_path = dir.path().join("session.toml");
    std::fs::write(&session_path, text).expect("session written");
    let session = session::load(&session_path).expect("session parses");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("{NUM_STEMS} stereo stems x {seconds} s at {RATE} Hz, everything on, targeting, 3 versions x 3 formats");
    for threads in [1, cores] {
        let options = RenderOptions {
            out_dir: dir.path().join(format!("out{threads}")),
            force: true,
            load: LoadOptions::default(),
            num_threads: threads,
            progress: Progress::new(false),
            write_files: true,
        };
        let start = Instant::now();
        let cpu_start_s = cpu_time_s();
        let outcome = render(&session, &options).expect("render");
        let wall_s = start.elapsed().as_secs_f64();
        let cpu_s = cpu_time_s() - cpu_start_s;
        println!(
            "{threads} thread(s): {wall_s:.1} s wall ({:.1}x realtime), {cpu_s:.1} s CPU \
             ({:.1}x realtime per core); {} targeting passes, {:.2} LUFS",
            seconds / wall_s,
            seconds / cpu_s,
            outcome.report.target.passes.len(),
            outcome.report.target.achieved_lufs
        );
    }
}
