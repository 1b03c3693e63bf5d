//! The Session panel: every linked Stem Strip in one table (name, role, trim, polarity, GR,
//! short-term loudness, warnings), the stem-count guidance, each stem's loudness
//! contribution and share of the limiting (estimates from the strips' published energies),
//! the latency check and the trim that would reach the target with less limiting.

use super::DIM;
use crate::meters::BusMeters;
use crate::params::MasterBusParams;
use crate::session::{stem_count_advice, trim_suggestion, SessionRecord};
use egui::RichText;
use plugin_common::widgets::palette;
use std::time::{Duration, Instant};

/// How often the panel reads the shared-memory segment.
const REFRESH: Duration = Duration::from_millis(250);

/// The last snapshot and when it was taken.
pub struct SessionCache {
    /// The last snapshot.
    record: SessionRecord,
    /// When it was taken (`None`: never).
    taken: Option<Instant>,
    /// The session name being typed.
    name_text: String,
}

impl SessionCache {
    /// An empty cache showing `name`.
    pub fn new(name: String) -> Self {
        Self {
            record: SessionRecord::default(),
            taken: None,
            name_text: name,
        }
    }
}

/// Draws the panel.
pub fn show(
    ui: &mut egui::Ui,
    params: &MasterBusParams,
    meters: &BusMeters,
    cache: &mut SessionCache,
) {
    if cache.taken.is_none_or(|t| t.elapsed() >= REFRESH) {
        cache.record = params.session.snapshot();
        cache.taken = Some(Instant::now());
    }
    ui.horizontal(|ui| {
        super::section_title(ui, "Session");
        ui.weak("session");
        let edit = ui.add(egui::TextEdit::singleline(&mut cache.name_text).desired_width(110.0));
        if edit.lost_focus() && cache.name_text.trim() != cache.record.name {
            params.session.set_name(&cache.name_text);
            cache.taken = None;
        }
    })
    .response
    .on_hover_text(
        "Stem Strips with the same session name appear here, in this host process or another",
    );
    let record = &cache.record;
    if let Some(why) = &record.unavailable {
        ui.colored_label(palette::WARN, format!("Session link unavailable: {why}"));
        return;
    }
    if let Some(advice) = stem_count_advice(record.strips.len()) {
        ui.colored_label(palette::WARN, advice);
    }
    if record.strips.is_empty() {
        return;
    }
    egui::Grid::new("session_grid")
        .num_columns(7)
        .spacing(egui::vec2(6.0, 2.0))
        .striped(true)
        .show(ui, |ui| {
            for title in ["Stem", "Role", "Trim", "GR", "Short", "Loud", "Limit"] {
                ui.weak(title);
            }
            ui.end_row();
            for row in &record.strips {
                // A flipped channel is marked on the name (the warnings below say which).
                let name = match row.invert {
                    [false, false] => RichText::new(&row.name),
                    _ => RichText::new(format!("{} (−)", row.name)).color(palette::WARN),
                };
                let name = if row.processing { name } else { name.color(DIM) };
                ui.label(name).on_hover_text(if row.bypassed {
                    "bypassed"
                } else if row.processing {
                    "processing"
                } else {
                    "not processing (transport stopped?)"
                });
                // "Keys / Instruments" → "Keys": the column stays narrow.
                ui.label(row.role.split(" /").next().unwrap_or(&row.role));
                let trim = RichText::new(format!("{:+.2}", row.trim_db));
                ui.label(if row.trim_db.abs() > 3.0 {
                    trim.color(palette::WARN)
                } else {
                    trim
                });
                ui.label(format!("{:.1}", row.reduction_db));
                ui.label(row.short_term_lufs.map_or("—".to_owned(), |l| format!("{l:.1}")));
                ui.label(format!("{:.0} %", 100.0 * row.loudness_share))
                    .on_hover_text(format!(
                        "the master would be {:.1} LU quieter without it (estimate; `stemwise contribution` measures it)",
                        row.contribution_lu
                    ));
                ui.label(format!("{:.0} %", 100.0 * row.limiting_share))
                    .on_hover_text("share of the energy in the session's loudest moments, which drive the limiter");
                ui.end_row();
            }
        });
    for row in record.strips.iter().filter(|r| !r.warnings.is_empty()) {
        ui.colored_label(
            palette::WARN,
            format!("{}: {}", row.name, row.warnings.join(", ")),
        );
    }
    let offsets: Vec<String> = record
        .strips
        .iter()
        .filter(|r| r.latency_offset_samples > 0)
        .map(|r| format!("{} +{}", r.name, r.latency_offset_samples))
        .collect();
    if !offsets.is_empty() {
        ui.colored_label(
            palette::WARN,
            format!(
                "Latencies differ: the host must delay {} samples to line up (check its delay compensation)",
                offsets.join(", ")
            ),
        );
    }
    let target = params.delivery_target();
    if let Some(needed) = meters.limiting_needed_db(&target) {
        if let Some((row, trim_db)) = trim_suggestion(&record.strips, needed) {
            ui.label(format!(
                "Less limiting: trim {} by {trim_db:+.1} dB (it drives {:.0} % of the loudest moments for {:.0} % of the loudness)",
                row.name,
                100.0 * row.limiting_share,
                100.0 * row.loudness_share
            ));
        }
    }
    ui.weak("Loudness and limiting shares are estimates from the strips' 100 ms energies.");
}
