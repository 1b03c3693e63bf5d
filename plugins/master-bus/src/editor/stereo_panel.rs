//! The stereo image panel (vinyl checks): phase correlation full band and below 150 Hz as
//! −1…+1 bars, the LF side/mid ratio, the HF level above 8 kHz, the cutting-head warnings,
//! the programme statistics since the last reset, and the correlation history.

use super::{fmt_signed, DIM};
use crate::meters::{column, BusMeters, HISTORY_INTERVAL_S};
use egui::{Color32, RichText, Stroke};
use plugin_common::widgets::{self, palette, Guide, HistoryLine};
use shared_dsp::stereo_image::{HF_WARN_DBFS, LF_SPLIT_HZ};
use std::sync::atomic::Ordering;

/// Seconds of correlation history shown.
const SPAN_S: f32 = 30.0;
/// Size of a correlation bar, logical pixels.
const BAR_SIZE: egui::Vec2 = egui::vec2(210.0, 14.0);
/// Height of the history plot, logical pixels.
const HISTORY_HEIGHT: f32 = 64.0;
/// Colour of the full-band correlation.
const FULL_COLOR: Color32 = palette::ACCENT;
/// Colour of the LF correlation.
const LF_COLOR: Color32 = Color32::from_rgb(200, 140, 230);

/// The correlation history rows, read into a buffer reused every frame.
pub struct StereoView {
    /// The newest rows, oldest first.
    rows: Vec<[f32; column::COUNT]>,
}

impl Default for StereoView {
    fn default() -> Self {
        Self {
            rows: Vec::with_capacity(span_rows()),
        }
    }
}

/// Rows on screen.
fn span_rows() -> usize {
    (SPAN_S / HISTORY_INTERVAL_S).round() as usize
}

impl StereoView {
    /// Draws the panel.
    pub fn show(&mut self, ui: &mut egui::Ui, meters: &BusMeters) {
        let s = &meters.readings.stereo;
        ui.horizontal(|ui| {
            super::section_title(ui, "Stereo image");
            ui.weak("vinyl checks · 300 ms ballistics").on_hover_text(
                "Correlation +1 = mono, 0 = unrelated, −1 = anti-phase. Below 150 Hz the \
                     side cuts vertical groove excursions: keep the LF correlation positive.",
            );
        });
        correlation_row(ui, "Correlation", s.correlation.read(), FULL_COLOR);
        correlation_row(
            ui,
            &format!("< {LF_SPLIT_HZ:.0} Hz"),
            s.lf_correlation.read(),
            LF_COLOR,
        );
        ui.horizontal(|ui| {
            ui.label(format!(
                "LF side/mid {} dB",
                fmt_signed(s.lf_side_to_mid_db.read())
            ));
            ui.add_space(10.0);
            ui.label(format!(
                "HF > 8 kHz {} dB",
                super::fmt_level(s.hf_level_dbfs.read())
            ))
            .on_hover_text(format!(
                "Level above 8 kHz; above {HF_WARN_DBFS:.0} dB, held, it stresses the \
                     cutting head (RIAA pre-emphasis +12 to +20 dB)"
            ));
        });
        let mut warnings = Vec::new();
        if s.lf_antiphase.load(Ordering::Relaxed) {
            warnings.push("LF anti-phase: side above mid below 150 Hz (vertical excursion)");
        }
        if s.hf_stress.load(Ordering::Relaxed) {
            warnings.push("Sustained HF above 8 kHz: cutting-head stress (de-ess, tame cymbals)");
        }
        if warnings.is_empty() {
            ui.colored_label(palette::OK, "Cuttable: no LF anti-phase, no sustained HF");
        } else {
            widgets::warning_badges(ui, &warnings);
        }
        let min = s.min_correlation.read();
        let share = s.lf_negative_share.read();
        ui.label(
            RichText::new(format!(
                "since reset: min correlation {} · LF negative {} · LF warned {:.1} s · HF warned {:.1} s",
                if min.is_finite() { format!("{min:+.2}") } else { "—".to_owned() },
                if share.is_finite() { format!("{:.1} %", 100.0 * share) } else { "—".to_owned() },
                s.lf_antiphase_s.read(),
                s.hf_stress_s.read(),
            ))
            .color(DIM)
            .size(11.0),
        );
        meters.history.read_into(span_rows(), &mut self.rows);
        let grid = Color32::from_gray(45);
        let guides = [
            Guide {
                value: 0.0,
                label: "0",
                color: palette::WARN.gamma_multiply(0.6),
                dashed: true,
            },
            Guide {
                value: 0.5,
                label: "+0.5",
                color: grid,
                dashed: false,
            },
            Guide {
                value: -0.5,
                label: "−0.5",
                color: grid,
                dashed: false,
            },
        ];
        let lines = [
            HistoryLine {
                column: column::CORRELATION,
                color: FULL_COLOR,
                width: 1.5,
            },
            HistoryLine {
                column: column::LF_CORRELATION,
                color: LF_COLOR,
                width: 1.5,
            },
        ];
        let tick_rows = (10.0 / HISTORY_INTERVAL_S).round() as usize;
        widgets::history_plot(
            ui,
            egui::vec2(ui.available_width(), HISTORY_HEIGHT),
            &self.rows,
            span_rows(),
            tick_rows,
            (1.0, -1.0),
            &lines,
            &guides,
        );
    }
}

/// One correlation reading: caption, a −1…+1 bar (red below 0) with the value marked, the
/// value.
fn correlation_row(ui: &mut egui::Ui, caption: &str, value: f32, color: Color32) {
    ui.horizontal(|ui| {
        ui.add_sized([80.0, BAR_SIZE.y], egui::Label::new(caption));
        let (rect, _) = ui.allocate_exact_size(BAR_SIZE, egui::Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, Color32::from_gray(14));
        let x_of = |v: f32| rect.left() + (v.clamp(-1.0, 1.0) + 1.0) * 0.5 * rect.width();
        let negative = egui::Rect::from_x_y_ranges(rect.left()..=x_of(0.0), rect.y_range());
        painter.rect_filled(negative, 0.0, palette::BAD.gamma_multiply(0.15));
        painter.vline(
            x_of(0.0),
            rect.y_range(),
            Stroke::new(1.0, Color32::from_gray(70)),
        );
        if value.is_finite() {
            let from = x_of(0.0).min(x_of(value));
            let to = x_of(0.0).max(x_of(value));
            let fill = if value < 0.0 { palette::BAD } else { color };
            painter.rect_filled(
                egui::Rect::from_x_y_ranges(from..=to, rect.shrink(3.0).y_range()),
                1.0,
                fill,
            );
            painter.vline(
                x_of(value),
                rect.y_range(),
                Stroke::new(2.0, Color32::WHITE),
            );
        }
        let text = if value.is_finite() {
            format!("{value:+.2}")
        } else {
            "—".to_owned()
        };
        let color = if value < 0.0 { palette::BAD } else { color };
        ui.colored_label(color, text);
    });
}
