//! Ctrl-C (SIGINT) and SIGTERM: stop at once, remove every temporary file and folder, leave no
//! partial output.
//!
//! [`install`] blocks both signals in every thread and starts one thread that waits for them
//! with `sigwait` (no signal handler, so nothing has to be async-signal-safe). On a signal, it
//! takes the cleanup lock, removes every path registered through [`create_guarded`] and ends
//! the process with status 128 + the signal number, still holding the lock. Because paths are
//! created, and finished outputs published ([`uninterrupted`]), under that same lock, a path
//! is either created before the cleanup (and removed by it) or never, and an output is either
//! published whole before the signal is acted on or not at all.

use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Temporary files and folders that exist right now, to remove on a signal. The signal
/// thread never releases the lock once it has it, so holding it holds off the cleanup.
static CLEANUP: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn lock() -> MutexGuard<'static, Vec<PathBuf>> {
    CLEANUP.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Blocks SIGINT and SIGTERM in the calling thread (and so in every thread it starts later)
/// and starts the thread that acts on them. Call it first thing in `main`, before any other
/// thread exists, or those threads would still receive the signals.
pub fn install() -> Result<()> {
    // SAFETY: `sigset_t` is plain data that `sigemptyset` initialises; every call gets valid
    // pointers, and the signal numbers are valid.
    let signals = unsafe {
        let mut set = std::mem::zeroed::<libc::sigset_t>();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            bail!("cannot block SIGINT/SIGTERM");
        }
        set
    };
    std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || loop {
            let mut signal = 0;
            // SAFETY: `signals` is an initialised set and `signal` a valid out-pointer.
            if unsafe { libc::sigwait(&signals, &mut signal) } == 0 {
                clean_up_and_exit(signal);
            }
        })?;
    Ok(())
}

/// Removes every registered path and ends the process with status 128 + `signal`.
fn clean_up_and_exit(signal: i32) -> ! {
    let paths = lock();
    for path in paths.iter() {
        let _ = if path.is_dir() {
            std::fs::remove_dir_all(path)
        } else {
            std::fs::remove_file(path)
        };
    }
    let name = if signal == libc::SIGINT {
        "SIGINT"
    } else {
        "SIGTERM"
    };
    eprintln!("\nstemwise: interrupted ({name}); stopped, temporary files removed");
    // SAFETY: `_exit` ends the process without running exit handlers, which other threads
    // (the main thread returning, say) might be running at the same moment.
    unsafe { libc::_exit(128 + signal) }
}

/// A path removed if the process is interrupted while the guard lives; dropping the guard
/// only forgets the path (the owner removes or publishes it).
#[derive(Debug)]
pub struct RemoveOnInterrupt {
    /// The registered path.
    path: PathBuf,
}

impl Drop for RemoveOnInterrupt {
    fn drop(&mut self) {
        let mut paths = lock();
        if let Some(i) = paths.iter().position(|p| *p == self.path) {
            paths.swap_remove(i);
        }
    }
}

/// Runs `create` (which creates `path`) with interruption held off, then registers `path` for
/// removal on interruption until the returned guard drops: the path cannot appear after the
/// cleanup ran, nor exist unregistered when it runs. If `create` fails, nothing is registered
/// (the caller removes whatever it left).
pub fn create_guarded<T>(
    path: &Path,
    create: impl FnOnce() -> Result<T>,
) -> Result<(RemoveOnInterrupt, T)> {
    let mut paths = lock();
    let created = create()?;
    paths.push(path.to_owned());
    let guard = RemoveOnInterrupt {
        path: path.to_owned(),
    };
    Ok((guard, created))
}

/// Runs `publish` (renames that put finished outputs in place) with interruption held off:
/// a signal arriving meanwhile is acted on once `publish` has returned, so outputs are
/// published whole or not at all.
pub fn uninterrupted<T>(publish: impl FnOnce() -> T) -> T {
    let _paths = lock();
    publish()
}
