//! Test counts: parsing cargo's and pytest's result lines, and the closing summary.

use std::ops::AddAssign;
use std::time::Duration;

/// Passed and failed test counts of one step (or of the whole run).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Tests (or check steps) that passed.
    pub passed: u64,
    /// Tests that failed or errored, plus failed steps that ran no tests.
    pub failed: u64,
}

impl Counts {
    /// One passed check: a step that runs no tests and succeeded.
    pub const PASS: Self = Self {
        passed: 1,
        failed: 0,
    };
    /// One failed check: a step that runs no tests, or could not run, or broke off.
    pub const FAIL: Self = Self {
        passed: 0,
        failed: 1,
    };
}

impl AddAssign for Counts {
    fn add_assign(&mut self, other: Self) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

/// Parses libtest's `test result: ok. 3 passed; 1 failed; 0 ignored; ...` line.
pub fn parse_cargo_line(line: &str) -> Option<Counts> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let (_verdict, tallies) = rest.split_once(". ")?;
    // `…; 0 filtered out; finished in 0.25s`: the duration is not a tally.
    let tallies = tallies
        .split_once("; finished in")
        .map_or(tallies, |(t, _)| t);
    tallies_to_counts(tallies.split(';'))
}

/// Parses pytest's closing line, e.g. `==== 1 failed, 12 passed, 1 error in 3.20s ====`.
pub fn parse_pytest_line(line: &str) -> Option<Counts> {
    let inner = line.trim().trim_matches('=').trim();
    let (tallies, _duration) = inner.rsplit_once(" in ")?;
    tallies_to_counts(tallies.split(','))
}

/// Adds up `N passed`/`N failed`/`N error(s)` items; `None` unless every item is a known tally.
fn tallies_to_counts<'a>(items: impl Iterator<Item = &'a str>) -> Option<Counts> {
    let mut counts = Counts::default();
    for item in items {
        let (number, word) = item.trim().split_once(' ')?;
        let number: u64 = number.parse().ok()?;
        match word.trim() {
            "passed" => counts.passed += number,
            "failed" | "error" | "errors" => counts.failed += number,
            "ignored" | "measured" | "filtered out" | "skipped" | "deselected" | "xfailed"
            | "xpassed" | "warning" | "warnings" | "rerun" => {}
            _ => return None,
        }
    }
    Some(counts)
}

/// The outcome of one step of `cargo xtask test`.
pub struct StepReport {
    /// Short name of the step.
    pub name: &'static str,
    /// Its tests (or its single check).
    pub counts: Counts,
    /// Wall time the step took (reported, never judged).
    pub duration: Duration,
}

/// Prints the step table, then the one closing line `N passed, M failed`.
pub fn print(reports: &[StepReport]) -> Counts {
    let mut total = Counts::default();
    println!();
    println!(
        "{:<14} {:>7} {:>7} {:>9}",
        "step", "passed", "failed", "time"
    );
    for report in reports {
        let Counts { passed, failed } = report.counts;
        let secs = report.duration.as_secs_f64();
        println!("{:<14} {passed:>7} {failed:>7} {secs:>8.1}s", report.name);
        total += report.counts;
    }
    println!("{} passed, {} failed", total.passed, total.failed);
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_result_line() {
        let line =
            "test result: FAILED. 3 passed; 2 failed; 1 ignored; 0 measured; 4 filtered out; \
                    finished in 0.01s";
        let counts = parse_cargo_line(line).expect("a result line");
        assert_eq!(
            counts,
            Counts {
                passed: 3,
                failed: 2
            }
        );
    }

    #[test]
    fn cargo_other_lines_are_ignored() {
        assert_eq!(parse_cargo_line("test gain::unity ... ok"), None);
        assert_eq!(parse_cargo_line("running 4 tests"), None);
    }

    #[test]
    fn pytest_closing_lines() {
        let failed = "===== 1 failed, 12 passed, 2 errors, 1 warning in 3.20s =====";
        assert_eq!(
            parse_pytest_line(failed),
            Some(Counts {
                passed: 12,
                failed: 3
            })
        );
        let quiet = "30 passed in 12.51s";
        assert_eq!(
            parse_pytest_line(quiet),
            Some(Counts {
                passed: 30,
                failed: 0
            })
        );
    }

    #[test]
    fn pytest_other_lines_are_ignored() {
        assert_eq!(
            parse_pytest_line("tests/vst3/test_vst3.py ....F [ 40%]"),
            None
        );
        assert_eq!(parse_pytest_line("E   assert 1 in [2]"), None);
        assert_eq!(parse_pytest_line("==== no tests ran in 0.01s ===="), None);
    }
}
