//! The staging folder of a command that writes several outputs: every output is written into a
//! hidden folder inside the output folder and moved into place only once all of them are
//! finished, so an error or an interruption (Ctrl-C, SIGTERM: see [`crate::interrupt`]) leaves
//! the output folder as it was: no partial file and no incomplete set of files.

use crate::interrupt::{create_guarded, uninterrupted, RemoveOnInterrupt};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// Refuses to start a command whose `planned` outputs exist (without `--force`), so nothing is
/// overwritten by surprise: the error lists them.
pub fn refuse_existing(planned: &[PathBuf]) -> Result<()> {
    let existing: Vec<String> = planned
        .iter()
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        bail!(
            "{} already exist(s) (use --force to overwrite): {}",
            existing.len(),
            existing.join(", ")
        );
    }
    Ok(())
}

/// A staging folder; removed with whatever it holds when dropped unpublished.
#[derive(Debug)]
pub struct Staging {
    /// The output folder; set by `new`.
    out_dir: PathBuf,
    /// The hidden folder inside it the outputs are written to; set by `new`.
    dir: PathBuf,
    /// Removes `dir` if the process is interrupted; dropped with the staging.
    _registration: RemoveOnInterrupt,
}

impl Staging {
    /// Creates `out_dir` if missing and the staging folder in it.
    pub fn new(out_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(out_dir)
            .with_context(|| format!("{}: cannot create", out_dir.display()))?;
        let dir = out_dir.join(format!(".stemwise-staging-{}", std::process::id()));
        let (registration, ()) = create_guarded(&dir, || {
            std::fs::create_dir(&dir).with_context(|| format!("{}: cannot create", dir.display()))
        })?;
        Ok(Self {
            out_dir: out_dir.to_owned(),
            dir,
            _registration: registration,
        })
    }

    /// The staging folder itself (outputs that are folders are built inside it; intermediate
    /// files go into a subfolder removed before [`Self::publish`]).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where to write the output that will be `file_name` in the output folder.
    pub fn path(&self, file_name: &str) -> PathBuf {
        self.dir.join(file_name)
    }

    /// Moves every staged output into the output folder, all of them or none (nothing is
    /// replaced unless `overwrite`, and an interruption waits until the moves are done), and
    /// removes the staging folder.
    pub fn publish(self, overwrite: bool) -> Result<()> {
        let context = || format!("{}: cannot list", self.dir.display());
        let mut moves = Vec::new();
        for entry in std::fs::read_dir(&self.dir).with_context(context)? {
            let staged = entry.with_context(context)?.path();
            let target = self.out_dir.join(staged.file_name().unwrap_or_default());
            if !overwrite && target.exists() {
                bail!(
                    "{}: already exists (use --force to overwrite)",
                    target.display()
                );
            }
            moves.push((staged, target));
        }
        uninterrupted(|| {
            for (staged, target) in &moves {
                if target.is_dir() {
                    self.replace_dir(staged, target)?;
                    continue;
                }
                std::fs::rename(staged, target).with_context(|| {
                    format!("{}: cannot move finished file into place", target.display())
                })?;
            }
            Ok(())
        })
    }

    /// Replaces the folder `target` by the staged folder `staged` (a rename cannot replace a
    /// folder that has files): the old one is moved aside, the new one into place, the old
    /// one removed.
    fn replace_dir(&self, staged: &Path, target: &Path) -> Result<()> {
        let name = target.file_name().unwrap_or_default().to_string_lossy();
        let aside = self
            .out_dir
            .join(format!(".stemwise-replaced-{}-{name}", std::process::id()));
        std::fs::rename(target, &aside)
            .with_context(|| format!("{}: cannot move the old folder aside", target.display()))?;
        std::fs::rename(staged, target).with_context(|| {
            format!(
                "{}: cannot move finished folder into place",
                target.display()
            )
        })?;
        std::fs::remove_dir_all(&aside)
            .with_context(|| format!("{}: cannot remove the old folder", aside.display()))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_replaces_a_folder_only_when_asked() {
        let out = tempfile::tempdir().unwrap();
        let old = out.path().join("ddp");
        std::fs::create_dir(&old).unwrap();
        std::fs::write(old.join("OLD"), b"old").unwrap();
        let staged = |overwrite: bool| -> Result<()> {
            let staging = Staging::new(out.path())?;
            std::fs::create_dir(staging.path("ddp"))?;
            std::fs::write(staging.path("ddp").join("NEW"), b"new")?;
            staging.publish(overwrite)
        };
        let err = staged(false).unwrap_err().to_string();
        assert!(err.contains("already exists"), "{err}");
        assert!(old.join("OLD").exists());
        staged(true).unwrap();
        assert!(!old.join("OLD").exists());
        assert_eq!(std::fs::read(old.join("NEW")).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
        assert_eq!(
            names.len(),
            1,
            "a staging or set-aside folder was left behind"
        );
    }
}
