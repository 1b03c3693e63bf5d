//! Spawning child processes: the cargo in use, and live output that is also scanned for results.

use std::io::{self, BufRead, BufReader, Write};
use std::process::{Command, ExitStatus, Stdio};

/// A `cargo` command: the cargo that runs this xtask (`$CARGO`), or the one on `PATH`.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs `command`, echoing its stdout line by line as it arrives and handing each line to
/// `on_line`; stderr goes straight to the terminal.
pub fn streaming(command: &mut Command, mut on_line: impl FnMut(&str)) -> io::Result<ExitStatus> {
    let mut child = command.stdout(Stdio::piped()).spawn()?;
    let stdout = child.stdout.take().expect("stdout was piped above");
    let mut reader = BufReader::new(stdout);
    let mut raw = Vec::new();
    let mut out = io::stdout();
    while reader.read_until(b'\n', &mut raw)? > 0 {
        out.write_all(&raw)?;
        out.flush()?;
        on_line(String::from_utf8_lossy(&raw).trim_end());
        raw.clear();
    }
    child.wait()
}

/// Runs `command` with inherited stdio and tells whether it exited successfully.
pub fn succeeds(command: &mut Command) -> io::Result<bool> {
    Ok(command.status()?.success())
}

/// Runs `command` silently and tells whether it could start and exited successfully.
pub fn quietly_succeeds(command: &mut Command) -> bool {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Runs `command` silently and returns its stdout and stderr, or `None` if it could not start.
pub fn output_of(command: &mut Command) -> Option<String> {
    let output = command.stdin(Stdio::null()).output().ok()?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Some(text)
}
