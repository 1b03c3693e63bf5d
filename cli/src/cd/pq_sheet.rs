//! The PQ sheet: the listing of the disc's PQ code a replication plant checks the master
//! against and a client signs off: album title, performer and UPC/EAN; per track its number,
//! title, performer, ISRC, index 0 and index 1 in `mm:ss:ff`, pre-gap, length and (when
//! measured) integrated loudness, true peak and PLR; the total running time and the lead-out.
//! Written as HTML (`<stem>.html`, all text escaped) and as a PNG of the same table
//! (`<stem>.png`, drawn with `plotters`, text in the Ubuntu font egui embeds).

use super::{msf, CdLayout};
use crate::png::{self, FONT};
use anyhow::{anyhow, Context, Result};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

/// PNG width, pixels.
const PNG_WIDTH: u32 = 1600;
/// Height of a table row in the PNG, pixels.
const ROW_HEIGHT: u32 = 30;
/// Height of the PNG above the table (title block), pixels.
const HEADER_HEIGHT: u32 = 150;
/// Height of the PNG below the table (totals), pixels.
const FOOTER_HEIGHT: u32 = 90;
/// Left and right margin of the PNG, pixels.
const MARGIN: i32 = 30;

/// The sheet as text: column titles, one row per track, and the lines above and below.
struct Sheet {
    /// Lines above the table: album title, performer, UPC/EAN.
    header: Vec<String>,
    /// Column titles.
    columns: Vec<&'static str>,
    /// One row per track, a cell per column.
    rows: Vec<Vec<String>>,
    /// Lines below the table: total running time, lead-out.
    footer: Vec<String>,
}

/// A figure with one decimal, or a dash when not measured.
fn one_decimal(value: Option<f32>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.1}"))
}

impl Sheet {
    fn of(layout: &CdLayout) -> Self {
        let or_dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "–".to_owned());
        let header = vec![
            format!("Album: {}", or_dash(&layout.title)),
            format!("Performer: {}", or_dash(&layout.performer)),
            format!(
                "UPC/EAN: {}",
                layout
                    .upc
                    .as_ref()
                    .map_or("–".to_owned(), |u| u.ean13().to_owned())
            ),
        ];
        let with_loudness = layout.tracks.iter().any(|t| t.loudness.is_some());
        let mut columns = vec![
            "#",
            "Title",
            "Performer",
            "ISRC",
            "Index 0",
            "Index 1",
            "Pre-gap",
            "Length",
        ];
        if with_loudness {
            columns.extend(["LUFS", "dBTP", "PLR LU"]);
        }
        let rows = layout
            .tracks
            .iter()
            .enumerate()
            .map(|(i, track)| {
                let mut row = vec![
                    format!("{:02}", i + 1),
                    or_dash(&track.title),
                    or_dash(&track.performer),
                    track
                        .isrc
                        .as_ref()
                        .map_or("–".to_owned(), ToString::to_string),
                    msf(track.index0_frame),
                    msf(track.index1_frame),
                    msf(track.index1_frame - track.index0_frame),
                    msf(layout.track_length_frames(i)),
                ];
                if with_loudness {
                    let l = track.loudness;
                    row.extend([
                        one_decimal(l.map(|l| l.integrated_lufs)),
                        one_decimal(l.map(|l| l.true_peak_dbtp)),
                        one_decimal(l.map(|l| l.plr_lu)),
                    ]);
                }
                row
            })
            .collect();
        let footer = vec![
            format!(
                "Total running time (track 1 index 1 to lead-out): {}",
                msf(layout.total_frames - layout.tracks[0].index1_frame)
            ),
            format!(
                "Lead-out: {}   ({} tracks, {} frames of 1/75 s)",
                msf(layout.total_frames),
                layout.tracks.len(),
                layout.total_frames
            ),
        ];
        Self {
            header,
            columns,
            rows,
            footer,
        }
    }
}

/// Writes `<stem>.html` and `<stem>.png` into `dir` (created if missing; an existing file is
/// not replaced); returns their paths.
pub fn write(dir: &Path, stem: &str, layout: &CdLayout) -> Result<Vec<PathBuf>> {
    layout
        .check_frames()
        .map_err(anyhow::Error::msg)
        .context("cannot write a PQ sheet of this layout")?;
    let sheet = Sheet::of(layout);
    let html_path = dir.join(format!("{stem}.html"));
    crate::audio_file::write_file(&html_path, html(&sheet).as_bytes(), false)?;
    let png_path = dir.join(format!("{stem}.png"));
    write_png(&png_path, &sheet)?;
    Ok(vec![html_path, png_path])
}

/// `text` with `&`, `<`, `>`, `"` and `'` escaped for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The sheet as an HTML document.
fn html(sheet: &Sheet) -> String {
    let title = sheet.header.first().map_or("", String::as_str);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>PQ sheet – {}</title>\n<style>\n\
         body {{ font-family: sans-serif; margin: 2em; }}\n\
         table {{ border-collapse: collapse; }}\n\
         th, td {{ border: 1px solid #999; padding: 0.3em 0.6em; text-align: left; }}\n\
         td.time {{ font-family: monospace; }}\n\
         </style>\n</head>\n<body>\n<h1>PQ sheet</h1>\n",
        escape(title)
    );
    for line in &sheet.header {
        out += &format!("<p>{}</p>\n", escape(line));
    }
    out += "<table>\n<tr>";
    for column in &sheet.columns {
        out += &format!("<th>{}</th>", escape(column));
    }
    out += "</tr>\n";
    for row in &sheet.rows {
        out += "<tr>";
        for (cell, column) in row.iter().zip(&sheet.columns) {
            let class =
                if column.starts_with("Index") || *column == "Pre-gap" || *column == "Length" {
                    " class=\"time\""
                } else {
                    ""
                };
            out += &format!("<td{class}>{}</td>", escape(cell));
        }
        out += "</tr>\n";
    }
    out += "</table>\n";
    for line in &sheet.footer {
        out += &format!("<p>{}</p>\n", escape(line));
    }
    out += "<p>Times in mm:ss:ff (minutes, seconds, CD frames of 1/75 s) from the start of \
            the disc.</p>\n</body>\n</html>\n";
    out
}

/// Widths of the PNG's columns, as fractions of the table width.
fn column_weights(num_columns: usize) -> Vec<f64> {
    let base = [0.04, 0.22, 0.16, 0.12, 0.08, 0.08, 0.07, 0.08];
    let loudness = [0.05, 0.05, 0.05];
    base.iter()
        .chain(loudness.iter())
        .take(num_columns)
        .copied()
        .collect()
}

/// Draws the sheet into `path` (refused if it exists), through a temporary file.
fn write_png(path: &Path, sheet: &Sheet) -> Result<()> {
    if path.exists() {
        anyhow::bail!("{}: already exists", path.display());
    }
    let height = HEADER_HEIGHT + ROW_HEIGHT * (sheet.rows.len() as u32 + 1) + FOOTER_HEIGHT;
    let size = (PNG_WIDTH, height);
    png::draw_png(path, size, |root| draw(root, size, sheet))
        .with_context(|| format!("{}: cannot draw the PQ sheet", path.display()))
}

fn draw(root: &png::Area, size: (u32, u32), sheet: &Sheet) -> Result<()> {
    let e = |e: DrawingAreaErrorKind<_>| anyhow!("{e}");
    let style = |px: u32| (FONT, px).into_font().color(&BLACK);
    let left = |px: u32| style(px).pos(Pos::new(HPos::Left, VPos::Center));
    root.draw(&Text::new("PQ sheet", (MARGIN, 30), left(30)))
        .map_err(e)?;
    for (i, line) in sheet.header.iter().enumerate() {
        let y = 70 + 26 * i as i32;
        root.draw(&Text::new(line.as_str(), (MARGIN, y), left(20)))
            .map_err(e)?;
    }
    let table_width = f64::from(size.0) - 2.0 * f64::from(MARGIN);
    let mut x_edges = vec![MARGIN];
    for weight in column_weights(sheet.columns.len()) {
        let last = *x_edges.last().unwrap_or(&MARGIN);
        x_edges.push(last + (weight * table_width / 0.99).round() as i32);
    }
    let top = HEADER_HEIGHT as i32;
    let row_height = ROW_HEIGHT as i32;
    let right = *x_edges.last().unwrap_or(&MARGIN);
    let header_fill = RGBColor(225, 230, 240);
    root.draw(&Rectangle::new(
        [(MARGIN, top), (right, top + row_height)],
        header_fill.filled(),
    ))
    .map_err(e)?;
    let rows = std::iter::once(
        sheet
            .columns
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>(),
    )
    .chain(sheet.rows.iter().cloned());
    for (r, row) in rows.enumerate() {
        let y = top + r as i32 * row_height;
        for (c, cell) in row.iter().enumerate() {
            let width = x_edges[c + 1] - x_edges[c] - 10;
            let text = fit(root, cell, width, &style(17))?;
            root.draw(&Text::new(
                text,
                (x_edges[c] + 5, y + row_height / 2),
                left(17),
            ))
            .map_err(e)?;
        }
        let line = [(MARGIN, y + row_height), (right, y + row_height)];
        root.draw(&PathElement::new(line, BLACK.mix(0.4)))
            .map_err(e)?;
    }
    let bottom = top + row_height * (sheet.rows.len() as i32 + 1);
    for &x in &x_edges {
        root.draw(&PathElement::new([(x, top), (x, bottom)], BLACK.mix(0.4)))
            .map_err(e)?;
    }
    root.draw(&PathElement::new(
        [(MARGIN, top), (right, top)],
        BLACK.mix(0.4),
    ))
    .map_err(e)?;
    for (i, line) in sheet.footer.iter().enumerate() {
        let y = bottom + 30 + 26 * i as i32;
        root.draw(&Text::new(line.as_str(), (MARGIN, y), left(19)))
            .map_err(e)?;
    }
    Ok(())
}

/// `text`, cut with an ellipsis to fit `width` pixels in `style`.
fn fit(root: &png::Area, text: &str, width: i32, style: &TextStyle) -> Result<String> {
    let fits = |t: &str| -> Result<bool> {
        let (w, _) = root
            .estimate_text_size(t, style)
            .map_err(|e| anyhow!("{e}"))?;
        Ok(w as i32 <= width)
    };
    if fits(text)? {
        return Ok(text.to_owned());
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().chain(['…'].iter()).collect();
        if fits(&candidate)? {
            return Ok(candidate);
        }
    }
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_every_special_character() {
        assert_eq!(
            escape("<b>\"Tom\" & 'Jerry'</b>"),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }
}
