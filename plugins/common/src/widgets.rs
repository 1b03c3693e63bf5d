//! egui widgets shared by both plugin GUIs.

use crate::meters::PeakDisplay;
use egui::{Color32, Rect, Sense, Stroke, Ui, Vec2};
use nice_plug::prelude::{BoolParam, Param, ParamSetter};

/// Lowest level a meter bar shows, in dBFS.
pub const METER_FLOOR_DB: f32 = -60.0;

/// Colours of the Stemwise GUIs.
pub mod palette {
    use egui::Color32;
    /// Background of panels.
    pub const PANEL: Color32 = Color32::from_rgb(24, 27, 33);
    /// Accent for active controls and curves.
    pub const ACCENT: Color32 = Color32::from_rgb(88, 196, 220);
    /// Safe/OK readouts.
    pub const OK: Color32 = Color32::from_rgb(110, 200, 120);
    /// Warnings (beyond the gentle range).
    pub const WARN: Color32 = Color32::from_rgb(240, 180, 60);
    /// Failures and overs.
    pub const BAD: Color32 = Color32::from_rgb(235, 80, 70);
}

/// Applies the Stemwise dark style to an egui context.
pub fn apply_style(ctx: &egui::Context) {
    let mut visuals = egui::Visuals::dark();
    visuals.panel_fill = palette::PANEL;
    visuals.selection.bg_fill = palette::ACCENT.gamma_multiply(0.6);
    ctx.set_visuals(visuals);
}

/// A vertical peak meter bar for one channel with a dB readout underneath.
pub fn meter_bar(ui: &mut Ui, level_db: f32, size: Vec2) {
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, Color32::from_gray(12));
    let frac = ((level_db - METER_FLOOR_DB) / -METER_FLOOR_DB).clamp(0.0, 1.0);
    let top = rect.bottom() - frac * rect.height();
    let color = if level_db > -0.1 {
        palette::BAD
    } else if level_db > -6.0 {
        palette::WARN
    } else {
        palette::OK
    };
    painter.rect_filled(
        Rect::from_min_max(egui::pos2(rect.left(), top), rect.right_bottom()),
        2.0,
        color,
    );
    painter.rect_stroke(
        rect,
        2.0,
        Stroke::new(1.0, Color32::from_gray(70)),
        egui::StrokeKind::Inside,
    );
}

/// A toggle button bound to a [`BoolParam`]; `on_color` fills it while the param is on.
/// Double-click is not needed for bool params: one click toggles, as in every DAW.
pub fn param_toggle(ui: &mut Ui, param: &BoolParam, setter: &ParamSetter, on_color: Color32) {
    let on = param.value();
    let text = egui::RichText::new(param.name()).strong();
    let button = if on {
        egui::Button::new(text.color(Color32::BLACK)).fill(on_color)
    } else {
        egui::Button::new(text)
    };
    if ui.add(button).clicked() {
        setter.begin_set_parameter(param);
        setter.set_parameter(param, !on);
        setter.end_set_parameter(param);
    }
}

/// Formats a dB value for readouts: one decimal, `-inf` below the meter floor.
pub fn format_db(level_db: f32) -> String {
    if level_db <= -150.0 {
        "-inf".to_owned()
    } else {
        format!("{level_db:+.1}")
    }
}

/// Two meter bars (L, R) with a caption and the held peak readout.
pub fn meter_pair(ui: &mut Ui, caption: &str, display: &PeakDisplay) {
    ui.vertical(|ui| {
        ui.label(caption);
        ui.horizontal(|ui| {
            for level_db in display.level_db {
                meter_bar(ui, level_db, egui::vec2(14.0, 160.0));
            }
        });
        let max_db = display.level_db[0].max(display.level_db[1]);
        ui.monospace(format_db(max_db));
    });
}
