//! The heartbeat clock: milliseconds on one clock shared by every process of the machine.

/// Which clock [`now_ms`] reads (stored in the segment header).
#[cfg(unix)]
pub(crate) const CLOCK_KIND: u64 = 1;
/// Which clock [`now_ms`] reads (stored in the segment header).
#[cfg(not(unix))]
pub(crate) const CLOCK_KIND: u64 = 2;

/// Now, in ms: `CLOCK_MONOTONIC` on Unix (machine-wide, never jumps), the Unix-epoch system time
/// elsewhere. Never allocates; a vDSO call on Linux.
#[cfg(unix)]
pub fn now_ms() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC exists on every Unix we build
    // for (Linux, macOS ≥ 10.12, the BSDs).
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    if rc != 0 {
        return 0;
    }
    (ts.tv_sec as u64) * 1000 + (ts.tv_nsec as u64) / 1_000_000
}

/// Now, in ms: `CLOCK_MONOTONIC` on Unix (machine-wide, never jumps), the Unix-epoch system time
/// elsewhere. Never allocates.
#[cfg(not(unix))]
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
