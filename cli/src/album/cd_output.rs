//! The CD deliverables written from one layout over one CD master WAV, through the `cd`
//! module's writers: the DDP 2.00 image (read back and verified against the master), the cue
//! sheet that goes with the WAV, and the PQ sheet.

use crate::audio_file::write_file;
use crate::cd::{cue, ddp, pq_sheet, CdLayout};
use anyhow::{Context, Result};
use std::path::Path;

/// Name of the CD master WAV (the cue sheet's `FILE`).
pub const CD_WAV_FILE: &str = "album.wav";
/// Name of the cue sheet.
pub const CUE_FILE: &str = "album.cue";
/// Folder of the DDP fileset.
pub const DDP_DIR: &str = "ddp";
/// File stem of the PQ sheet (`.html` and `.png`).
pub const PQ_SHEET_STEM: &str = "pq-sheet";

/// Every file and folder [`write()`] creates, by name.
pub fn output_names() -> Vec<String> {
    vec![
        CD_WAV_FILE.to_owned(),
        CUE_FILE.to_owned(),
        DDP_DIR.to_owned(),
        format!("{PQ_SHEET_STEM}.html"),
        format!("{PQ_SHEET_STEM}.png"),
    ]
}

/// Writes the DDP image, the cue sheet and the PQ sheet of `layout` into `dir`, next to the CD
/// master `dir/album.wav` (already written), and verifies the DDP image against that master.
pub fn write(dir: &Path, layout: &CdLayout) -> Result<ddp::Verification> {
    let cd_wav = dir.join(CD_WAV_FILE);
    let ddp_dir = dir.join(DDP_DIR);
    ddp::write_image(&ddp_dir, layout, &cd_wav).context("DDP image")?;
    let verification = ddp::verify(&ddp_dir, layout, &cd_wav).context("DDP read-back")?;
    let cue_text = cue::cue_sheet(layout, CD_WAV_FILE);
    write_file(&dir.join(CUE_FILE), cue_text.as_bytes(), false)?;
    pq_sheet::write(dir, PQ_SHEET_STEM, layout).context("PQ sheet")?;
    Ok(verification)
}
