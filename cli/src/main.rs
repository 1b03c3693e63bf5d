//! `stemwise`: the offline companion of the Stemwise plugins, on the same shared-dsp code.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use stemwise_cli::measure;

/// Exit status for unreadable or invalid input.
const EXIT_BAD_INPUT: u8 = 3;

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
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Measure { files, json } => run_measure(&files, json),
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
