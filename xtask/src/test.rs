//! `cargo xtask test`: the one command that runs every check and test of the project.

use crate::bundle::PLUGINS;
use crate::prereq::{self, Prerequisite};
use crate::python;
use crate::run::{cargo, streaming, succeeds};
use crate::summary::{self, parse_cargo_line, parse_pytest_line, Counts, StepReport};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// The profile of the bundles and tests: release speed with debug assertions, so nice-plug's
/// `assert_process_allocs` aborts on an allocation in `process`.
const PROFILE: &str = "harness";

/// Runs every step in order, prints the step table and `N passed, M failed`, and fails the
/// process if anything failed.
pub fn run() -> anyhow::Result<ExitCode> {
    let mut reports = Vec::new();
    let mut step = |name, needs: &[&[Prerequisite]], body: &dyn Fn() -> anyhow::Result<Counts>| {
        reports.push(run_step(name, needs, body));
    };
    step("fmt", &[prereq::RUSTFMT], &|| {
        check(cargo().args(["fmt", "--all", "--", "--check"]))
    });
    step("clippy", &[prereq::CLIPPY, prereq::NATIVE_LIBS], &|| {
        check(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    });
    step("bundle", &[prereq::NATIVE_LIBS], &bundle);
    step("standalone", &[prereq::NATIVE_LIBS], &|| {
        let packages = PLUGINS.iter().flat_map(|name| ["-p", name]);
        check(
            cargo()
                .args(["build", "--profile", PROFILE])
                .args(packages)
                .args(["--features", "standalone", "--bins"]),
        )
    });
    // The GUI step's session screenshot runs the session-link strip host.
    step("strip host", &[prereq::NATIVE_LIBS], &|| {
        check(
            cargo()
                .args(["build", "--profile", PROFILE, "-p", "stemwise-tests"])
                .args(["--bin", "stemwise-strip-host"]),
        )
    });
    step(
        "cargo test",
        &[prereq::NATIVE_LIBS, prereq::ORACLE_TOOLS],
        &|| {
            let mut command = cargo();
            command.args([
                "test",
                "--workspace",
                "--profile",
                PROFILE,
                "--no-fail-fast",
            ]);
            counted(&mut command, parse_cargo_line)
        },
    );
    step("vst3", &[prereq::PYTHON], &|| pytest("tests/vst3"));
    step("gui", &[prereq::PYTHON, prereq::GUI_TOOLS], &|| {
        pytest("tests/gui")
    });

    let total = summary::print(&reports);
    Ok(if total.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs one step unless a prerequisite is missing (then it counts as one failure).
fn run_step(
    name: &'static str,
    needs: &[&[Prerequisite]],
    body: &dyn Fn() -> anyhow::Result<Counts>,
) -> StepReport {
    println!("\n[xtask] ==== {name} ====");
    let start = Instant::now();
    let missing = prereq::missing(needs);
    let counts = if !missing.is_empty() {
        prereq::explain(name, &missing);
        Counts::FAIL
    } else {
        body().unwrap_or_else(|error| {
            eprintln!("[xtask] step `{name}` failed: {error:#}");
            Counts::FAIL
        })
    };
    StepReport {
        name,
        counts,
        duration: start.elapsed(),
    }
}

/// A step that runs no tests: one pass or one failure.
fn check(command: &mut Command) -> anyhow::Result<Counts> {
    Ok(if succeeds(command)? {
        Counts::PASS
    } else {
        Counts::FAIL
    })
}

/// Bundles both plugins (CLAP + VST3) with the harness profile into `target/bundled`.
fn bundle() -> anyhow::Result<Counts> {
    let mut args = vec!["bundle".to_owned()];
    args.extend(PLUGINS.iter().map(|name| (*name).to_owned()));
    args.extend(["--profile".to_owned(), PROFILE.to_owned()]);
    crate::bundle::run(args)?;
    Ok(Counts::PASS)
}

/// Runs pytest on `dir` in the venv and counts its results.
fn pytest(dir: &str) -> anyhow::Result<Counts> {
    let python = python::ensure_venv()?;
    counted(&mut python::pytest(&python, dir), parse_pytest_line)
}

/// Runs a test runner, streaming its output and adding up the result lines `parse` recognises.
/// A runner that fails without reporting a failed test (a crash, a build error) adds one failure.
fn counted(command: &mut Command, parse: fn(&str) -> Option<Counts>) -> anyhow::Result<Counts> {
    let mut counts = Counts::default();
    let status = streaming(command, |line| {
        if let Some(found) = parse(line) {
            counts += found;
        }
    })?;
    if !status.success() && counts.failed == 0 {
        eprintln!("[xtask] the test runner exited with {status} without reporting a failed test");
        counts += Counts::FAIL;
    }
    Ok(counts)
}
