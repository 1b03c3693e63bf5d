//! The staging folder of a command that writes several outputs: every output is written into a
//! hidden folder inside the output folder and moved into place only once all of them are
//! finished, so an error or an interruption (Ctrl-C, SIGTERM: see [`crate::interrupt`]) leaves
//! the output folder as it was: no partial file and no incomplete set of files.

use crate::interrupt::{create_guarded, uninterrupted, RemoveOnInterrupt};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

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

    /// The staging folder itself (intermediate files go into a subfolder removed before
    /// [`Self::publish`]).
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
                std::fs::rename(staged, target).with_context(|| {
                    format!("{}: cannot move finished file into place", target.display())
                })?;
            }
            Ok(())
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
