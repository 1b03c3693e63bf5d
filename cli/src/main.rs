//! `stemwise`: the offline companion of the Stemwise plugins, on the same shared-dsp code.

use clap::{Parser, Subcommand};
use shared_dsp::null_test::NullSettings;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use stemwise_cli::{measure, null_test};

/// Exit status for unreadable or invalid input.
const EXIT_BAD_INPUT: u8 = 3;
/// Exit status of a null test that warns (residual between the pass and fail limits).
const EXIT_WARN: u8 = 1;
/// Exit status of a null test that fails.
const EXIT_FAIL: u8 = 2;

/// Stem-mastering renders, measurements and null tests on the Stemwise DSP.
#[derive(Debug, Parser)]
#[command(name = "stemwise", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Integrated loudness, LRA, short-term/momentary maxima, true and sample peak, PLR,
    /// duration, and the gain each delivery target applies.
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
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Measure { files, json } => run_measure(&files, json),
        Command::NullTest { mix, stems, json } => run_null_test(&mix, &stems, json),
    }
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
    let result = match null_test::null_test_files(mix, stems, &NullSettings::default()) {
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
