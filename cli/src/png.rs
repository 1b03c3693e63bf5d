//! PNG drawing for reports (the demo's charts, the PQ sheet): `plotters` with text in the
//! Ubuntu Light font that egui embeds, so no system fonts are needed. Every picture is drawn
//! to a temporary file that is removed on error or interruption and renamed into place only
//! when complete.

use crate::interrupt;
use anyhow::{anyhow, Context, Result};
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

/// Font family every picture uses (registered from the embedded font).
pub const FONT: &str = "sans-serif";

/// A drawing area of a PNG being drawn.
pub type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// Registers the embedded font with plotters, once.
fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // A font that does not parse only loses the labels, not the picture.
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        );
    });
}

/// Draws a `size` (width, height in pixels) PNG on white with `draw` into a temporary file
/// next to `path`, then renames it into place.
pub fn draw_png(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&Area) -> Result<()>,
) -> Result<()> {
    register_font();
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .context("picture path has no file name")?;
    let temp = path.with_file_name(format!(".{name}.partial-{}.png", std::process::id()));
    let (registration, ()) = interrupt::create_guarded(&temp, || Ok(()))?;
    let result = (|| {
        {
            let root = BitMapBackend::new(&temp, size).into_drawing_area();
            root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
            draw(&root)?;
            root.present().map_err(|e| anyhow!("{e}"))?;
        }
        interrupt::uninterrupted(|| std::fs::rename(&temp, path))
            .context("cannot move the picture into place")
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    drop(registration);
    result.with_context(|| format!("{}: cannot draw", path.display()))
}
