//! `cargo xtask validate`: the three standard plugin validators on the built bundles.
//!
//! clap-validator (CLAP), Steinberg's VST3 validator (`-e`, extensive) and Tracktion's pluginval
//! (strictness 10, with the editor, under Xvfb when there is no display) are what hosts, stores
//! and users check a plugin with. None is on a package registry: each is built from its public
//! repository (see the README's "Plugin validators") into `$PREFIX`, default
//! `/opt/plugin-validators`. Missing validators are named with how to get them; CI cannot fetch
//! them and runs the in-repo checks of `tests/tests/clap_host_rules.rs` and
//! `tests/vst3/test_host_robustness_vst3.py` instead.

use crate::run::quietly_succeeds;
use anyhow::bail;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Where the validators are installed unless `$PREFIX` says otherwise.
const DEFAULT_PREFIX: &str = "/opt/plugin-validators";
/// The bundles' folder, relative to the workspace root.
const BUNDLE_DIR: &str = "target/bundled";

/// One validator: its binary in the prefix and the bundle kind it checks.
struct Validator {
    /// File name under the prefix.
    binary: &'static str,
    /// Bundle extension it applies to.
    extension: &'static str,
}

const VALIDATORS: [Validator; 3] = [
    Validator {
        binary: "clap-validator",
        extension: "clap",
    },
    Validator {
        binary: "vst3-validator",
        extension: "vst3",
    },
    Validator {
        binary: "pluginval",
        extension: "vst3",
    },
];

/// Runs every installed validator on every bundle in `target/bundled`; prints one line per run
/// and `N passed, M failed`; fails when a validator fails or none is installed.
pub fn run() -> anyhow::Result<ExitCode> {
    let prefix = PathBuf::from(std::env::var("PREFIX").unwrap_or_else(|_| DEFAULT_PREFIX.into()));
    let bundles = bundles()?;
    let (mut passed, mut failed, mut missing) = (0, 0, Vec::new());
    for validator in &VALIDATORS {
        let binary = prefix.join(validator.binary);
        if !binary.is_file() {
            missing.push(validator.binary);
            continue;
        }
        for bundle in bundles
            .iter()
            .filter(|b| b.extension().is_some_and(|e| e == validator.extension))
        {
            let (ok, summary) = validate(validator.binary, &binary, bundle);
            let name = bundle.file_name().unwrap_or_default().to_string_lossy();
            println!(
                "{} {} {name}: {summary}",
                if ok { "PASS" } else { "FAIL" },
                validator.binary
            );
            if ok {
                passed += 1;
            } else {
                failed += 1;
            }
        }
    }
    if !missing.is_empty() {
        explain_missing(&prefix, &missing);
    }
    println!("{passed} passed, {failed} failed");
    if passed == 0 && failed == 0 {
        bail!("no validator ran");
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The `.clap` and `.vst3` bundles in `target/bundled`, sorted; an error saying how to build
/// them when there are none.
fn bundles() -> anyhow::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(BUNDLE_DIR)
        .map(|dir| {
            dir.filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "clap" || e == "vst3"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    if found.is_empty() {
        bail!(
            "no bundles in {BUNDLE_DIR}; build release bundles first with \
             `cargo xtask bundle stem-strip master-bus --release`"
        );
    }
    Ok(found)
}

/// Runs one validator on one bundle: (passed, a one-line summary). The full output goes to
/// `target/validators/<validator>-<bundle>.log`.
fn validate(name: &str, binary: &Path, bundle: &Path) -> (bool, String) {
    let mut command = match name {
        "clap-validator" => {
            let mut c = Command::new(binary);
            c.arg("validate").arg(bundle);
            c
        }
        "vst3-validator" => {
            let mut c = Command::new(binary);
            c.arg("-e").arg(bundle);
            c
        }
        _ => {
            let mut c = with_display(binary);
            c.args(["--strictness-level", "10", "--validate"])
                .arg(bundle);
            c
        }
    };
    let output = command.stdin(std::process::Stdio::null()).output();
    let Ok(output) = output else {
        return (false, format!("could not run {}", binary.display()));
    };
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    let log = log_path(name, bundle);
    let written = std::fs::create_dir_all("target/validators")
        .and_then(|()| std::fs::write(&log, &text))
        .is_ok();
    let log_note = if written {
        format!(" (log: {})", log.display())
    } else {
        String::new()
    };
    let (ok, summary) = judge(name, output.status.success(), &text);
    (ok, format!("{summary}{log_note}"))
}

/// Whether a validator's run passed, and its summary line, from its exit status and output.
fn judge(name: &str, exited_ok: bool, text: &str) -> (bool, String) {
    match name {
        "clap-validator" => {
            let summary = text
                .lines()
                .rev()
                .find(|l| l.contains("tests run"))
                .map(strip_ansi)
                .unwrap_or_else(|| "no summary (crashed?)".to_owned());
            (summary.contains(" 0 failed"), summary)
        }
        "vst3-validator" => {
            let failed = text.lines().filter(|l| l.contains("[Failed]")).count();
            let ok = exited_ok && failed == 0;
            let summary = if ok {
                "0 failed".to_owned()
            } else {
                format!("{failed} [Failed], exit ok: {exited_ok}")
            };
            (ok, summary)
        }
        _ => {
            let ok = exited_ok && text.contains("SUCCESS");
            (ok, if ok { "SUCCESS" } else { "FAILED" }.to_owned())
        }
    }
}

/// `line` without ANSI colour codes.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The log file of `validator` on `bundle`.
fn log_path(validator: &str, bundle: &Path) -> PathBuf {
    let name = bundle
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .replace(' ', "_");
    PathBuf::from(format!("target/validators/{validator}-{name}.log"))
}

/// A command for `binary` that can open windows: as is with a display, else under `xvfb-run`.
fn with_display(binary: &Path) -> Command {
    let has_display = std::env::var_os("DISPLAY").is_some();
    if !has_display && quietly_succeeds(Command::new("xvfb-run").arg("--help")) {
        let mut c = Command::new("xvfb-run");
        c.arg("-a").arg(binary);
        c
    } else {
        Command::new(binary)
    }
}

/// Says which validators are missing and how to get them.
fn explain_missing(prefix: &Path, missing: &[&str]) {
    println!(
        "[xtask] not installed in {} ({}): {}",
        prefix.display(),
        if std::env::var_os("PREFIX").is_some() {
            "$PREFIX"
        } else {
            "set PREFIX to look elsewhere"
        },
        missing.join(", ")
    );
    println!(
        "[xtask] build them from their public repositories as the README's \"Plugin validators\" \
         section shows (clap-validator: free-audio/clap-validator with cargo; vst3-validator: \
         steinbergmedia/vst3sdk's `validator` target; pluginval: Tracktion/pluginval with JUCE)"
    );
}

#[cfg(test)]
mod tests {
    use super::{judge, strip_ansi};

    #[test]
    fn clap_validator_summary_decides() {
        let out =
            "...\n\u{1b}[1m44 tests run, 33 passed, 0 failed, 1 warnings, 10 skipped\u{1b}[0m\n";
        assert_eq!(
            judge("clap-validator", true, out),
            (
                true,
                "44 tests run, 33 passed, 0 failed, 1 warnings, 10 skipped".to_owned()
            )
        );
        let bad = "44 tests run, 30 passed, 4 failed, 0 warnings, 10 skipped";
        assert!(!judge("clap-validator", true, bad).0);
        assert!(!judge("clap-validator", false, "thread panicked").0);
    }

    #[test]
    fn vst3_and_pluginval_results() {
        assert!(judge("vst3-validator", true, "[Passed]\n").0);
        assert!(!judge("vst3-validator", true, "[Failed] Process test\n").0);
        assert!(!judge("vst3-validator", false, "aborted").0);
        assert!(judge("pluginval", true, "SUCCESS\n").0);
        assert!(!judge("pluginval", true, "FAILED\n").0);
        assert_eq!(strip_ansi("\u{1b}[31mred\u{1b}[0m"), "red");
    }
}
