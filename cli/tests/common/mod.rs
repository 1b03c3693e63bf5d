//! Helpers shared by the integration tests that measure child processes.

use std::io::Read;
use std::mem::MaybeUninit;
use std::process::{Command, Stdio};

/// Runs `command` to completion: its exit code, standard output and peak resident memory
/// (the child's `ru_maxrss` from `wait4`, as `/usr/bin/time -v` reports it), bytes.
///
/// The figure is at least the calling process's own peak: `Command` spawns with `vfork`
/// semantics (posix_spawn), so the child runs in the caller's memory until `exec`, and Linux
/// folds that memory's high-water mark into the child's `ru_maxrss`. Measure from a test
/// binary whose tests stay small (generate inputs streaming, keep no audio in memory).
// The child is reaped by `libc::wait4` (which `Child::wait` cannot replace: it discards the
// usage), so clippy's zombie warning does not apply.
#[allow(clippy::zombie_processes)]
pub fn run_with_peak_rss(command: &mut Command) -> (i32, String, u64) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage = MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `pid` is our own unreaped child; `wait4` writes the status and usage to the
    // valid pointers it is given.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
    assert_eq!(waited, pid, "wait4 failed");
    // SAFETY: `wait4` succeeded, so it filled `usage` (zeroed before, so initialised anyway).
    let usage = unsafe { usage.assume_init() };
    assert!(libc::WIFEXITED(status), "child did not exit normally");
    // Linux reports `ru_maxrss` in kilobytes.
    let peak_rss_bytes = u64::try_from(usage.ru_maxrss).unwrap() * 1024;
    (libc::WEXITSTATUS(status), stdout, peak_rss_bytes)
}

/// How much more a longer run may peak at than a shorter one, bytes: buffers whose size
/// grows with the length (the render's 100 ms loudness and reduction traces, the null test's
/// per-block energies) and allocator noise.
pub const LENGTH_GROWTH_BYTES: u64 = 16 << 20;

/// Asserts that the longer run peaked within `max_bytes` and at most
/// [`LENGTH_GROWTH_BYTES`] above the shorter run.
pub fn assert_peak_bounded(short_rss_bytes: u64, long_rss_bytes: u64, max_bytes: u64) {
    assert!(long_rss_bytes <= max_bytes, "{long_rss_bytes} bytes");
    assert!(
        long_rss_bytes <= short_rss_bytes + LENGTH_GROWTH_BYTES,
        "{short_rss_bytes} → {long_rss_bytes} bytes"
    );
}
