//! The Python side of the tests: a venv under `target/venv` with pedalboard, numpy and pytest.

use crate::run::{quietly_succeeds, succeeds};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The venv's directory, relative to the workspace root.
const VENV_DIR: &str = "target/venv";
/// What the VST3 and GUI tests import.
const PACKAGES: [&str; 3] = ["pedalboard", "numpy", "pytest"];

/// The venv's interpreter, creating the venv and installing [`PACKAGES`] when needed.
pub fn ensure_venv() -> anyhow::Result<PathBuf> {
    let python = venv_python();
    if !python.exists() || !quietly_succeeds(Command::new(&python).args(["-m", "pip", "--version"]))
    {
        create_venv()?;
    }
    let import_all = format!("import {}", PACKAGES.join(", "));
    if !quietly_succeeds(Command::new(&python).args(["-c", &import_all])) {
        println!("[xtask] installing {} into {VENV_DIR}", PACKAGES.join(", "));
        let installed = succeeds(
            Command::new(&python)
                .args(["-m", "pip", "install", "--disable-pip-version-check"])
                .args(PACKAGES),
        )?;
        if !installed {
            bail!("pip could not install {}", PACKAGES.join(", "));
        }
    }
    Ok(python)
}

/// A command that runs pytest from the venv on `dir`, unbuffered so its output streams live.
pub fn pytest(python: &Path, dir: &str) -> Command {
    let mut command = Command::new(python);
    command
        .args(["-m", "pytest", "-v", "-p", "no:cacheprovider", dir])
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    command
}

/// (Re)creates the venv; a half-made one (for example from a python without ensurepip) goes first.
fn create_venv() -> anyhow::Result<()> {
    if Path::new(VENV_DIR).exists() {
        std::fs::remove_dir_all(VENV_DIR)
            .with_context(|| format!("could not remove {VENV_DIR}"))?;
    }
    println!("[xtask] creating the Python venv {VENV_DIR}");
    if !succeeds(Command::new("python3").args(["-m", "venv", VENV_DIR]))? {
        bail!("`python3 -m venv {VENV_DIR}` failed (Debian: apt-get install python3-venv)");
    }
    Ok(())
}

fn venv_python() -> PathBuf {
    if cfg!(windows) {
        Path::new(VENV_DIR).join("Scripts").join("python.exe")
    } else {
        Path::new(VENV_DIR).join("bin").join("python")
    }
}
