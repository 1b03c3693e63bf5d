//! egui widgets shared by both plugin GUIs.

use crate::meters::PeakDisplay;
use egui::{Color32, Rect, Sense, Stroke, Ui, Vec2};
use nice_plug::prelude::{BoolParam, Enum, EnumParam, Param, ParamSetter};
use nice_plug_egui::widgets::ParamSlider;

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
        set_param(setter, param, !on);
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

/// A combo box bound to an [`EnumParam`]; returns the variant the user picked, if any.
pub fn param_combo<E: Enum + PartialEq + Copy + 'static>(
    ui: &mut Ui,
    id_salt: &str,
    param: &EnumParam<E>,
    setter: &ParamSetter,
) -> Option<E> {
    let current = param.value();
    let names = E::variants();
    let mut picked = None;
    egui::ComboBox::from_id_salt(id_salt)
        .selected_text(names[current.to_index()])
        .show_ui(ui, |ui| {
            for (index, name) in names.iter().enumerate() {
                let variant = E::from_index(index);
                if ui.selectable_label(variant == current, *name).clicked() && variant != current {
                    picked = Some(variant);
                }
            }
        });
    if let Some(variant) = picked {
        set_param(setter, param, variant);
    }
    picked
}

/// Sets a parameter as one complete host gesture (begin, set, end).
pub fn set_param<P: Param>(setter: &ParamSetter, param: &P, value: P::Plain) {
    setter.begin_set_parameter(param);
    setter.set_parameter(param, value);
    setter.end_set_parameter(param);
}

/// A labelled parameter slider (double-click or Ctrl+click resets to the default).
pub fn labelled_slider<P: Param>(ui: &mut Ui, label: &str, param: &P, setter: &ParamSetter) {
    ui.label(label);
    ui.add(ParamSlider::for_param(param, setter).with_width(SLIDER_WIDTH));
    ui.end_row();
}

/// Width of parameter sliders in logical pixels.
pub const SLIDER_WIDTH: f32 = 120.0;

/// A frequency-response plot: 20 Hz–20 kHz on a log axis, ±`range_db`, with the gentle zone
/// (±`gentle_db`) shaded and `curve_db(freq_hz)` drawn on top.
pub fn response_plot(
    ui: &mut Ui,
    size: Vec2,
    range_db: f32,
    gentle_db: f32,
    curve_db: impl Fn(f64) -> f64,
) {
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 3.0, Color32::from_gray(14));
    let y_of = |db: f32| rect.center().y - db / range_db * rect.height() * 0.5;
    let gentle = Rect::from_x_y_ranges(rect.x_range(), y_of(gentle_db)..=y_of(-gentle_db));
    painter.rect_filled(gentle, 0.0, palette::OK.gamma_multiply(0.08));
    let grid = Stroke::new(1.0, Color32::from_gray(40));
    for freq_hz in [100.0, 1_000.0, 10_000.0] {
        let x = rect.left() + log_position(freq_hz) * rect.width();
        painter.line_segment(
            [egui::pos2(x, rect.top()), egui::pos2(x, rect.bottom())],
            grid,
        );
    }
    painter.line_segment(
        [
            egui::pos2(rect.left(), y_of(0.0)),
            egui::pos2(rect.right(), y_of(0.0)),
        ],
        grid,
    );
    let points: Vec<egui::Pos2> = (0..=rect.width() as usize)
        .map(|px| {
            let t = px as f32 / rect.width();
            let freq_hz = 20.0 * 1000f64.powf(f64::from(t));
            let db = (curve_db(freq_hz) as f32).clamp(-range_db, range_db);
            egui::pos2(rect.left() + px as f32, y_of(db))
        })
        .collect();
    painter.add(egui::Shape::line(points, Stroke::new(2.0, palette::ACCENT)));
    let label = |text: &str, x: f32| {
        painter.text(
            egui::pos2(x, rect.bottom() - 2.0),
            egui::Align2::CENTER_BOTTOM,
            text,
            egui::FontId::proportional(10.0),
            Color32::from_gray(120),
        );
    };
    label("100", rect.left() + log_position(100.0) * rect.width());
    label("1k", rect.left() + log_position(1_000.0) * rect.width());
    label("10k", rect.left() + log_position(10_000.0) * rect.width());
}

/// Position of `freq_hz` on the 20 Hz–20 kHz log axis, 0…1.
fn log_position(freq_hz: f32) -> f32 {
    (freq_hz / 20.0).log10() / 3.0
}

/// A static compressor curve: output level against input level over −60…0 dBFS, with the
/// 1:1 line for reference.
pub fn transfer_plot(ui: &mut Ui, size: Vec2, output_db: impl Fn(f32) -> f32) {
    const FLOOR_DB: f32 = -60.0;
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 3.0, Color32::from_gray(14));
    let to_screen = |input_db: f32, out_db: f32| {
        egui::pos2(
            rect.left() + (input_db - FLOOR_DB) / -FLOOR_DB * rect.width(),
            rect.bottom() - (out_db - FLOOR_DB) / -FLOOR_DB * rect.height(),
        )
    };
    painter.line_segment(
        [to_screen(FLOOR_DB, FLOOR_DB), to_screen(0.0, 0.0)],
        Stroke::new(1.0, Color32::from_gray(50)),
    );
    let points: Vec<egui::Pos2> = (0..=60)
        .map(|i| {
            let input_db = FLOOR_DB + i as f32;
            to_screen(input_db, output_db(input_db).clamp(FLOOR_DB, 0.0))
        })
        .collect();
    painter.add(egui::Shape::line(points, Stroke::new(2.0, palette::ACCENT)));
}

/// A horizontal gain-reduction bar (0 to `max_db` dB, filling from the right).
pub fn reduction_bar(ui: &mut Ui, reduction_db: f32, max_db: f32, width: f32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(width, 10.0), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, Color32::from_gray(12));
    let frac = (reduction_db / max_db).clamp(0.0, 1.0);
    let left = rect.right() - frac * rect.width();
    painter.rect_filled(
        Rect::from_min_max(egui::pos2(left, rect.top()), rect.right_bottom()),
        2.0,
        palette::WARN,
    );
}

/// Warning badges, one per line, in the warning colour.
pub fn warnings(ui: &mut Ui, warnings: &[&str]) {
    for text in warnings {
        ui.colored_label(palette::WARN, format!("⚠ {text}"));
    }
}

/// The editor's initial zoom: `STEMWISE_UI_SCALE` (0.5–4, e.g. `2` for 200 %) for screens
/// where the host reports no scale factor, else 1. Egui then scales every widget and text,
/// and the window opens at the zoomed size.
pub fn initial_zoom() -> f32 {
    std::env::var("STEMWISE_UI_SCALE")
        .ok()
        .and_then(|s| s.trim().parse::<f32>().ok())
        .filter(|z| (0.5..=4.0).contains(z))
        .unwrap_or(1.0)
}
