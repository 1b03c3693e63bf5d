//! The scrolling histories: compressor and limiter gain reduction, and momentary /
//! short-term loudness with the selected target's loudness as a line.

use crate::meters::{column, BusMeters, HISTORY_INTERVAL_S};
use crate::params::MasterBusParams;
use egui::Color32;
use plugin_common::widgets::{self, palette, Guide, HistoryLine};

/// Seconds of history on screen.
const SPAN_S: f32 = 60.0;
/// Seconds between vertical grid lines.
const TICK_S: f32 = 10.0;
/// Smallest height of the plots, logical pixels (they take what the window leaves).
const MIN_PLOT_HEIGHT: f32 = 90.0;
/// Room above 0 dB of reduction, so a resting stage's line shows below the plot's border.
const GR_TOP_MARGIN_DB: f32 = 0.4;
/// Largest reduction the GR history shows, dB.
const GR_SCALE_DB: f32 = 12.0;
/// The loudness plot spans from this far above the target…
const ABOVE_TARGET_LU: f32 = 10.0;
/// …to this far below it.
const BELOW_TARGET_LU: f32 = 26.0;
/// Colour of the compressor's reduction line.
const COMPRESSOR_COLOR: Color32 = palette::ACCENT;
/// Colour of the limiter's reduction line.
const LIMITER_COLOR: Color32 = palette::WARN;
/// Colour of the momentary loudness line.
const MOMENTARY_COLOR: Color32 = Color32::from_rgb(120, 130, 150);
/// Colour of the short-term loudness line.
const SHORT_TERM_COLOR: Color32 = Color32::from_rgb(230, 230, 235);

/// Rows on screen.
fn span_rows() -> usize {
    (SPAN_S / HISTORY_INTERVAL_S).round() as usize
}

/// The history rows, read into one buffer that is reused every frame.
pub struct HistoryView {
    /// The newest rows, oldest first (capacity reserved once).
    rows: Vec<[f32; column::COUNT]>,
}

impl Default for HistoryView {
    fn default() -> Self {
        Self {
            rows: Vec::with_capacity(span_rows()),
        }
    }
}

impl HistoryView {
    /// Draws both histories side by side, filling the height left.
    /// `height` is what the window leaves for them, logical pixels.
    pub fn show(
        &mut self,
        ui: &mut egui::Ui,
        params: &MasterBusParams,
        meters: &BusMeters,
        height: f32,
    ) {
        meters.history.read_into(span_rows(), &mut self.rows);
        let spacing = ui.spacing().item_spacing.x;
        let width = ((ui.available_width() - 3.0 * spacing) / 2.0).max(120.0);
        let title_height = ui.text_style_height(&egui::TextStyle::Body) + 8.0;
        let height = (height - title_height).max(MIN_PLOT_HEIGHT);
        let tick_rows = (TICK_S / HISTORY_INTERVAL_S).round() as usize;
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.horizontal(|ui| {
                    super::section_title(ui, "Gain reduction");
                    ui.colored_label(COMPRESSOR_COLOR, "— glue");
                    ui.colored_label(LIMITER_COLOR, "— limiter");
                    ui.weak(format!("last {SPAN_S:.0} s"));
                });
                let grid = Color32::from_gray(45);
                let guides = [
                    Guide {
                        value: 3.0,
                        label: "3 dB",
                        color: grid,
                        dashed: false,
                    },
                    Guide {
                        value: 6.0,
                        label: "6 dB",
                        color: grid,
                        dashed: false,
                    },
                    Guide {
                        value: 9.0,
                        label: "9 dB",
                        color: grid,
                        dashed: false,
                    },
                ];
                let lines = [
                    HistoryLine {
                        column: column::COMPRESSOR_GR,
                        color: COMPRESSOR_COLOR,
                        width: 1.5,
                    },
                    HistoryLine {
                        column: column::LIMITER_GR,
                        color: LIMITER_COLOR,
                        width: 1.5,
                    },
                ];
                widgets::history_plot(
                    ui,
                    egui::vec2(width, height),
                    &self.rows,
                    span_rows(),
                    tick_rows,
                    (-GR_TOP_MARGIN_DB, GR_SCALE_DB),
                    &lines,
                    &guides,
                );
            });
            ui.vertical(|ui| {
                let target = params.delivery_target();
                let target_lufs = target.integrated_lufs;
                ui.horizontal(|ui| {
                    super::section_title(ui, "Loudness");
                    ui.colored_label(MOMENTARY_COLOR, "— momentary");
                    ui.colored_label(SHORT_TERM_COLOR, "— short-term");
                    ui.colored_label(palette::OK, "- - target");
                });
                let grid = Color32::from_gray(45);
                let target_label = format!("{target_lufs:.0} LUFS");
                let upper = format!("{:.0}", target_lufs + 6.0);
                let lower = format!("{:.0}", target_lufs - 6.0);
                let lower_2 = format!("{:.0}", target_lufs - 18.0);
                let guides = [
                    Guide {
                        value: target_lufs + 6.0,
                        label: &upper,
                        color: grid,
                        dashed: false,
                    },
                    Guide {
                        value: target_lufs - 6.0,
                        label: &lower,
                        color: grid,
                        dashed: false,
                    },
                    Guide {
                        value: target_lufs - 18.0,
                        label: &lower_2,
                        color: grid,
                        dashed: false,
                    },
                    Guide {
                        value: target_lufs,
                        label: &target_label,
                        color: palette::OK,
                        dashed: true,
                    },
                ];
                let lines = [
                    HistoryLine {
                        column: column::MOMENTARY,
                        color: MOMENTARY_COLOR,
                        width: 1.0,
                    },
                    HistoryLine {
                        column: column::SHORT_TERM,
                        color: SHORT_TERM_COLOR,
                        width: 2.0,
                    },
                ];
                widgets::history_plot(
                    ui,
                    egui::vec2(width, height),
                    &self.rows,
                    span_rows(),
                    tick_rows,
                    (target_lufs + ABOVE_TARGET_LU, target_lufs - BELOW_TARGET_LU),
                    &lines,
                    &guides,
                );
            });
        });
    }
}
