//! `stemwise`: the offline companion of the Stemwise plugins, on the same shared-dsp code.

use clap::{Parser, Subcommand};
use shared_dsp::null_test::NullSettings;
use shared_dsp::params::master::MasterParam;
use shared_dsp::params::strip::StripParam;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use stemwise_cli::progress::Progress;
use stemwise_cli::render::{self, RenderOptions};
use stemwise_cli::stems::LoadOptions;
use stemwise_cli::{album, contribution, demo, interrupt, measure, null_test, session, stems};

/// Exit status for unreadable or invalid input.
const EXIT_BAD_INPUT: u8 = 3;
/// Exit status of a null test that warns (residual between the pass and fail limits).
const EXIT_WARN: u8 = 1;
/// Exit status of a null test that fails.
const EXIT_FAIL: u8 = 2;

/// Stem-mastering renders, measurements and null tests on the Stemwise DSP.
#[derive(Debug, Parser)]
#[command(name = "stemwise", version, about, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Examples shown by `stemwise --help`.
const EXAMPLES: &str = "Examples:
  stemwise demo --out out/demo              # built-in demo session, report in out/demo/report.html
  stemwise render examples/session.toml --out renders/song
  stemwise render song.toml --resample --pad --force --json > render.json
  stemwise album examples/album.toml --out renders/album
  stemwise contribution song.toml
  stemwise measure renders/song/full-wav24-44k1.wav --json
  stemwise null-test --mix master.wav drums.wav bass.wav keys.wav vocals.wav";

/// Options shared by the commands that read a session's stems.
#[derive(Debug, clap::Args)]
struct StemOptions {
    /// Convert stems at another sample rate to the session's rate.
    #[arg(long)]
    resample: bool,
    /// Pad stems shorter than the longest with silence.
    #[arg(long)]
    pad: bool,
    /// Threads for the Stem Strips (default: every core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// No progress bars.
    #[arg(long, short)]
    quiet: bool,
    /// Print one JSON object instead of the text report (no progress bars).
    #[arg(long)]
    json: bool,
}

impl StemOptions {
    fn load(&self) -> LoadOptions {
        LoadOptions {
            resample: self.resample,
            pad: self.pad,
        }
    }

    fn threads(&self) -> usize {
        self.threads.unwrap_or_else(default_threads).max(1)
    }

    fn progress(&self) -> Progress {
        Progress::new(!self.quiet && !self.json)
    }
}

/// `stemwise params`: the session keys from the parameter tables.
fn run_params(json: bool) -> ExitCode {
    use stemwise_cli::session::keys::{key_infos, KeyInfo};
    let strip = key_infos::<StripParam>();
    let master = key_infos::<MasterParam>();
    if json {
        let all = serde_json::json!({ "strip": strip, "master": master });
        println!("{all}");
        return ExitCode::SUCCESS;
    }
    let list = |title: &str, infos: &[KeyInfo]| {
        println!("{title}");
        for info in infos {
            let note = if info.in_session {
                ""
            } else {
                "  (not in sessions)"
            };
            println!(
                "  {:<14} {}: {}; default {}{note}",
                info.key, info.name, info.accepts, info.session_default
            );
        }
    };
    list("[stem.strip]", &strip);
    list("[master]", &master);
    ExitCode::SUCCESS
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Renders a session file: stems, full master, versions and deliverables.
    ///
    /// Stems go through their Stem Strips, the full mix through the Master Bus, every version
    /// with the full mix's master gains (so complementary versions sum to the full master),
    /// optional loudness targeting, and the deliverables (24-bit/44.1 kHz, 24-bit/96 kHz,
    /// 32-bit float), each re-measured and held under the true-peak ceiling.
    #[command(after_help = "Examples:
  stemwise render examples/session.toml --out renders/song
  stemwise render song.toml --out renders/song --force --quiet
  stemwise render song.toml --resample --pad --json > render.json

Outputs: DIR/<version>-<format>.wav for each delivered version and format, and
DIR/render.json (the report). Existing outputs are refused unless --force.
Exit status 0 on success, 3 on bad input (missing or unreadable file, session error,
mismatched stems, existing outputs).")]
    Render {
        /// The session file (TOML; see examples/session.toml).
        session: PathBuf,
        /// Output folder (default: `render` next to the session file).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Overwrite existing outputs.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        stems: StemOptions,
    },
    /// Renders an album: CD master (DDP image, cue sheet + WAV, PQ sheet) and vinyl sides.
    ///
    /// Renders every song of the album file from its session (in parallel), at one album gain
    /// that keeps the songs' relative loudness (or each at the target), lays them out on a
    /// CD (gaps, gapless transitions, every index on a CD frame, Red Book limits checked),
    /// writes the 16-bit/44.1 kHz master as a DDP 2.00 image (read back and verified
    /// bit-exact), a cue sheet with its WAV and a PQ sheet, and a 24-bit pre-master per
    /// vinyl side.
    #[command(after_help = "Examples:
  stemwise album examples/album.toml --out renders/album
  stemwise album album.toml --threads 2 --force --json > album.json

Outputs: DIR/album.wav + DIR/album.cue (the CD image and its cue sheet), DIR/ddp/ (DDP 2.00
fileset), DIR/pq-sheet.html + .png, DIR/vinyl-side-<name>.wav per side, DIR/album.json.
Existing outputs are refused unless --force. Exit status 0 on success, 3 on bad input
(album or session error, ISRC/UPC error, Red Book limit, side too long, existing outputs):
then nothing is written.")]
    Album {
        /// The album file (TOML; see examples/album.toml).
        album: PathBuf,
        /// Output folder (default: `album` next to the album file).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Overwrite existing outputs.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        stems: StemOptions,
    },
    /// How much loudness and limiting each stem contributes to the master.
    ///
    /// How many LU each stem contributes to the master (integrated loudness with the stem
    /// muted against with it), how much limiting it drives, and which single trim (master
    /// input or one stem's output) reaches the session's target with the least limiting.
    #[command(after_help = "Examples:
  stemwise contribution examples/session.toml
  stemwise contribution song.toml --json")]
    Contribution {
        /// The session file.
        session: PathBuf,
        #[command(flatten)]
        stems: StemOptions,
    },
    /// Renders the built-in demo and writes an HTML report with charts.
    ///
    /// Generates the built-in demo session (drums, bass, keys, vocal-like lead; 24 s),
    /// renders it with versions and deliverables, null-tests the versions, analyses the
    /// contributions, makes an album of three versions (DIR/album/: CD image, DDP, cue and PQ
    /// sheets, vinyl sides) and writes DIR/report.html with PNG charts.
    #[command(after_help = "Examples:
  stemwise demo                         # into out/demo
  stemwise demo --out /tmp/demo --force")]
    Demo {
        /// Output folder.
        #[arg(long, value_name = "DIR", default_value = "out/demo")]
        out: PathBuf,
        /// Overwrite an earlier demo.
        #[arg(long)]
        force: bool,
        /// Length of the demo, s (4 to 600: each album track lasts at least 4 s).
        #[arg(long, default_value_t = demo::DEMO_DURATION_S)]
        seconds: f64,
        /// No progress bars.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Measures loudness, range and peaks of audio files.
    ///
    /// Integrated loudness, LRA, short-term/momentary maxima, true and sample peak, PLR,
    /// duration, and the gain each delivery target applies.
    #[command(after_help = "Examples:
  stemwise measure master.wav
  stemwise measure renders/song/*.wav --json")]
    Measure {
        /// WAV, AIFF or FLAC files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print one JSON object per file (one per line) instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Checks that the stems sum back to the mix, and says which stem does not and why.
    ///
    /// Verdict from the residual peak (at most −60 dBFS passes, above −40 dBFS fails, warns
    /// between), residual RMS and peak, stem-sum level against the mix (±0.1 dB), offset,
    /// and per stem the cause: inverted, offset, gained, missing, resampled, or processing
    /// left on the mix bus. Exit status 0 pass, 1 warn, 2 fail, 3 bad input.
    #[command(after_help = "Examples:
  stemwise null-test --mix mix.wav drums.wav bass.wav keys.wav vocals.wav
  stemwise null-test --mix out/demo/full-float32.wav out/demo/broken/instrumental-late.wav \\
      out/demo/acappella-float32.wav --json")]
    NullTest {
        /// The reference mix (WAV, AIFF or FLAC).
        #[arg(long, value_name = "MIX")]
        mix: PathBuf,
        /// The delivered stems; same sample rate and channel count as the mix. Shorter stems
        /// are padded with silence.
        #[arg(required = true, value_name = "STEM")]
        stems: Vec<PathBuf>,
        /// Print one JSON object instead of the text report.
        #[arg(long)]
        json: bool,
    },
    /// Lists the session keys of `[stem.strip]` and `[master]`: the plugins' parameters.
    ///
    /// Every parameter of the Stem Strip and the Master Bus with its key (the plugin's
    /// parameter id), name, what it accepts in a session file and its default; parameters a
    /// session does not set (bypass, monitoring) are marked. One table declares them for the
    /// plugins, the session files and this list.
    #[command(after_help = "Examples:
  stemwise params
  stemwise params --json")]
    Params {
        /// Print one JSON object (`strip`, `master`: every parameter with its range, default,
        /// choices and practice range, in the plugins' units) instead of the list.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    if let Err(error) = interrupt::install() {
        eprintln!("stemwise: {error:#}; Ctrl-C will not remove temporary files");
    }
    match Cli::parse().command {
        Command::Measure { files, json } => run_measure(&files, json),
        Command::NullTest { mix, stems, json } => run_null_test(&mix, &stems, json),
        Command::Render {
            session,
            out,
            force,
            stems,
        } => run_render(&session, out, force, &stems),
        Command::Album {
            album,
            out,
            force,
            stems,
        } => run_album(&album, out, force, &stems),
        Command::Contribution { session, stems } => run_contribution(&session, &stems),
        Command::Params { json } => run_params(json),
        Command::Demo {
            out,
            force,
            seconds,
            quiet,
        } => report_errors(
            demo::run(
                &out,
                seconds,
                force,
                Progress::new(!quiet),
                default_threads(),
            )
            .map(|summary| print!("{summary}")),
        ),
    }
}

/// Exit status for `result`: success, or [`EXIT_BAD_INPUT`] with the error on standard error.
fn report_errors(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("stemwise: {error:#}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// `stemwise render`.
fn run_render(path: &Path, out: Option<PathBuf>, force: bool, opts: &StemOptions) -> ExitCode {
    report_errors((|| {
        let session = session::load(path)?;
        let out_dir = out.unwrap_or_else(|| path.parent().unwrap_or(Path::new(".")).join("render"));
        let options = RenderOptions {
            out_dir,
            force,
            load: opts.load(),
            num_threads: opts.threads(),
            progress: opts.progress(),
            write_files: true,
        };
        let outcome = render::render(&session, &options)?;
        if opts.json {
            println!("{}", serde_json::to_string(&outcome.report)?);
        } else {
            print!("{}", render::summary(&outcome.report));
        }
        Ok(())
    })())
}

/// `stemwise album`.
fn run_album(path: &Path, out: Option<PathBuf>, force: bool, opts: &StemOptions) -> ExitCode {
    report_errors((|| {
        let loaded = album::file::load(path)?;
        let out_dir = out.unwrap_or_else(|| path.parent().unwrap_or(Path::new(".")).join("album"));
        let options = album::AlbumOptions {
            out_dir,
            force,
            load: opts.load(),
            num_threads: opts.threads(),
            progress: opts.progress(),
        };
        let report = album::make(&loaded, &options)?;
        if opts.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            print!("{}", album::report::summary(&report));
        }
        Ok(())
    })())
}

/// `stemwise contribution`.
fn run_contribution(path: &Path, opts: &StemOptions) -> ExitCode {
    report_errors((|| {
        let session = session::load(path)?;
        let progress = opts.progress();
        let loaded = stems::load_stems(&session, opts.load(), progress)?;
        let mut audio = loaded.audio;
        let strips: Vec<_> = session.stems.iter().map(|s| s.strip).collect();
        stems::process_strips(
            &mut audio,
            &strips,
            loaded.sample_rate_hz,
            opts.threads(),
            progress,
        );
        let names: Vec<String> = session.stems.iter().map(|s| s.name.clone()).collect();
        let result = contribution::contributions(
            &names,
            &audio,
            &session.master,
            loaded.sample_rate_hz,
            session.target.integrated_lufs,
            progress,
        );
        if opts.json {
            println!("{}", serde_json::to_string(&result)?);
        } else {
            print!("{}", contribution::report(&result));
        }
        Ok(())
    })())
}

/// Measures every file; a file that cannot be measured is reported and makes the exit status
/// [`EXIT_BAD_INPUT`], the others are still measured.
fn run_measure(files: &[PathBuf], json: bool) -> ExitCode {
    let mut status = ExitCode::SUCCESS;
    for path in files {
        match measure::measure_file(path) {
            Ok(m) if json => match serde_json::to_string(&m) {
                Ok(line) => println!("{line}"),
                Err(error) => {
                    eprintln!("stemwise: {}: {error}", path.display());
                    status = ExitCode::from(EXIT_BAD_INPUT);
                }
            },
            Ok(m) => print!("{}", measure::report(&m)),
            Err(error) => {
                eprintln!("stemwise: {error:#}");
                status = ExitCode::from(EXIT_BAD_INPUT);
            }
        }
    }
    status
}

/// Null-tests `stems` against `mix`: exit status from the verdict, or [`EXIT_BAD_INPUT`] with
/// every input problem on standard error.
fn run_null_test(mix: &Path, stems: &[PathBuf], json: bool) -> ExitCode {
    let progress = Progress::new(!json);
    let result = match null_test::null_test_files(mix, stems, &NullSettings::default(), progress) {
        Ok(result) => result,
        Err(null_test::BadInput(problems)) => {
            for problem in problems {
                eprintln!("stemwise: {problem}");
            }
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    if json {
        match serde_json::to_string(&result) {
            Ok(line) => println!("{line}"),
            Err(error) => {
                eprintln!("stemwise: {}: {error}", mix.display());
                return ExitCode::from(EXIT_BAD_INPUT);
            }
        }
    } else {
        print!("{}", null_test::report(&result));
    }
    match result.verdict {
        null_test::Outcome::Pass => ExitCode::SUCCESS,
        null_test::Outcome::Warn => ExitCode::from(EXIT_WARN),
        null_test::Outcome::Fail => ExitCode::from(EXIT_FAIL),
    }
}
