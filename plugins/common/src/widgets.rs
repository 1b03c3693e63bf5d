//! egui widgets shared by both plugin GUIs.

use crate::meters::PeakDisplay;
use egui::{Color32, Rect, Sense, Stroke, Ui, Vec2};
use nice_plug::prelude::{BoolParam, Enum, EnumParam, Param, ParamSetter};
use nice_plug_egui::widgets::ParamSlider;
use shared_dsp::params::ParamSpec;

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

/// The range the GUI shades on `spec`'s slider: its table practice range (plain values).
pub fn shaded_range(spec: &ParamSpec) -> Option<std::ops::RangeInclusive<f32>> {
    spec.practice.map(|(lo, hi)| lo..=hi)
}

/// A [`ParamSlider`] `width` wide with the practice range of its table entry `spec`
/// ([`shaded_range`]) shaded on its track and underlined, so the usual settings show at a
/// glance. Returns the track's response (click the value to type one in).
pub fn practice_slider<P: Param<Plain = f32>>(
    ui: &mut Ui,
    param: &P,
    setter: &ParamSetter,
    width: f32,
    spec: &ParamSpec,
) -> egui::Response {
    let response = ui.add(ParamSlider::for_param(param, setter).with_width(width));
    let Some(practice) = shaded_range(spec) else {
        return response;
    };
    let rect = response.rect;
    let x_of = |plain: f32| rect.left() + param.preview_normalized(plain) * rect.width();
    let band = Rect::from_x_y_ranges(
        x_of(*practice.start())..=x_of(*practice.end()),
        rect.y_range(),
    );
    let painter = ui.painter();
    painter.rect_filled(band, 0.0, palette::OK.gamma_multiply(0.22));
    let underline = Rect::from_x_y_ranges(band.x_range(), rect.bottom() - 2.0..=rect.bottom());
    painter.rect_filled(underline, 0.0, palette::OK.gamma_multiply(0.8));
    response
}

/// A horizontal peak meter bar for one channel (same colours and floor as [`meter_bar`]).
pub fn meter_bar_horizontal(ui: &mut Ui, level_db: f32, size: Vec2) {
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 1.0, Color32::from_gray(12));
    let frac = ((level_db - METER_FLOOR_DB) / -METER_FLOOR_DB).clamp(0.0, 1.0);
    let color = if level_db > -0.1 {
        palette::BAD
    } else if level_db > -6.0 {
        palette::WARN
    } else {
        palette::OK
    };
    let right = rect.left() + frac * rect.width();
    painter.rect_filled(
        Rect::from_min_max(rect.left_top(), egui::pos2(right, rect.bottom())),
        1.0,
        color,
    );
    for tick_db in [-48.0, -36.0, -24.0, -12.0, -6.0] {
        let x = rect.left() + (tick_db - METER_FLOOR_DB) / -METER_FLOOR_DB * rect.width();
        painter.vline(x, rect.y_range(), Stroke::new(1.0, Color32::from_gray(40)));
    }
}

/// A compact stereo peak meter for a header: caption, two horizontal bars (L above R) and
/// the held peak readout, in one row.
pub fn meter_pair_horizontal(ui: &mut Ui, caption: &str, display: &PeakDisplay, width: f32) {
    ui.horizontal(|ui| {
        ui.label(caption);
        ui.vertical(|ui| {
            ui.spacing_mut().item_spacing.y = 2.0;
            ui.add_space(2.0);
            for level_db in display.level_db {
                meter_bar_horizontal(ui, level_db, egui::vec2(width, 6.0));
            }
        });
        let max_db = display.level_db[0].max(display.level_db[1]);
        ui.monospace(format!("{:>5}", format_db(max_db)));
    });
}

/// A large numeric readout: a small caption above the value in `color`, the unit after it.
pub fn big_readout(ui: &mut Ui, caption: &str, value: &str, unit: &str, color: Color32) {
    ui.vertical(|ui| {
        ui.spacing_mut().item_spacing.y = 0.0;
        ui.label(egui::RichText::new(caption).color(Color32::from_gray(150)));
        ui.horizontal(|ui| {
            ui.label(
                egui::RichText::new(value)
                    .font(egui::FontId::monospace(24.0))
                    .color(color),
            );
            ui.label(egui::RichText::new(unit).color(Color32::from_gray(150)));
        });
    });
}

/// One line of a [`history_plot`]: which column of the rows, its colour and stroke width.
#[derive(Debug, Clone, Copy)]
pub struct HistoryLine {
    /// Column of the history rows the line draws.
    pub column: usize,
    /// Line colour.
    pub color: Color32,
    /// Stroke width in points.
    pub width: f32,
}

/// A horizontal reference line of a [`history_plot`], labelled at the left edge.
#[derive(Debug, Clone, Copy)]
pub struct Guide<'a> {
    /// Value the line marks.
    pub value: f32,
    /// Label drawn on the line (empty for none).
    pub label: &'a str,
    /// Line colour.
    pub color: Color32,
    /// Dashed (a target) rather than solid (a grid line).
    pub dashed: bool,
}

/// A scrolling history graph: `rows` (oldest first) drawn right-aligned, the newest at the
/// right edge, over a window of `span_rows` rows; values map linearly from `top_value` (top
/// edge) to `bottom_value` (bottom edge) and are clamped to the plot; a non-finite value
/// breaks its line. A vertical grid line every `tick_rows` rows counts back from now.
#[allow(clippy::too_many_arguments)]
pub fn history_plot<const COLS: usize>(
    ui: &mut Ui,
    size: Vec2,
    rows: &[[f32; COLS]],
    span_rows: usize,
    tick_rows: usize,
    (top_value, bottom_value): (f32, f32),
    lines: &[HistoryLine],
    guides: &[Guide],
) -> Rect {
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 3.0, Color32::from_gray(14));
    let y_of = |value: f32| {
        let t = ((value - top_value) / (bottom_value - top_value)).clamp(0.0, 1.0);
        rect.top() + t * rect.height()
    };
    let span = span_rows.max(2);
    let dx = rect.width() / (span - 1) as f32;
    if tick_rows > 0 {
        let grid = Stroke::new(1.0, Color32::from_gray(32));
        let mut back = tick_rows;
        while back < span {
            painter.vline(rect.right() - back as f32 * dx, rect.y_range(), grid);
            back += tick_rows;
        }
    }
    for guide in guides {
        let y = y_of(guide.value);
        let ends = [egui::pos2(rect.left(), y), egui::pos2(rect.right(), y)];
        let stroke = Stroke::new(1.0, guide.color);
        if guide.dashed {
            painter.extend(egui::Shape::dashed_line(&ends, stroke, 6.0, 4.0));
        } else {
            painter.line_segment(ends, stroke);
        }
        if !guide.label.is_empty() {
            // Grid lines are too dark for text; targets keep their colour.
            let text_color = if guide.dashed {
                guide.color
            } else {
                Color32::from_gray(125)
            };
            painter.text(
                egui::pos2(rect.left() + 3.0, y - 1.0),
                egui::Align2::LEFT_BOTTOM,
                guide.label,
                egui::FontId::proportional(11.0),
                text_color,
            );
        }
    }
    let shown = &rows[rows.len().saturating_sub(span)..];
    let x0 = rect.right() - (shown.len().saturating_sub(1)) as f32 * dx;
    for line in lines {
        let stroke = Stroke::new(line.width, line.color);
        let mut points: Vec<egui::Pos2> = Vec::with_capacity(shown.len());
        for (i, row) in shown.iter().enumerate() {
            let value = row.get(line.column).copied().unwrap_or(f32::NAN);
            if value.is_finite() {
                points.push(egui::pos2(x0 + i as f32 * dx, y_of(value)));
            } else if !points.is_empty() {
                painter.add(egui::Shape::line(std::mem::take(&mut points), stroke));
            }
        }
        if points.len() > 1 {
            painter.add(egui::Shape::line(points, stroke));
        }
    }
    painter.rect_stroke(
        rect,
        3.0,
        Stroke::new(1.0, Color32::from_gray(45)),
        egui::StrokeKind::Inside,
    );
    rect
}

/// Position of `freq_hz` on the 20 Hz–20 kHz log axis of [`response_plot`], 0…1 (for
/// markers drawn over the plot).
pub fn response_plot_position(freq_hz: f32) -> f32 {
    log_position(freq_hz)
}

/// [`param_toggle`] with its own caption instead of the parameter's (host) name, for
/// toggles whose section already says what they belong to.
pub fn param_toggle_captioned(
    ui: &mut Ui,
    param: &BoolParam,
    setter: &ParamSetter,
    caption: &str,
    on_color: Color32,
) -> egui::Response {
    let on = param.value();
    let text = egui::RichText::new(caption).strong();
    let button = if on {
        egui::Button::new(text.color(Color32::BLACK)).fill(on_color)
    } else {
        egui::Button::new(text)
    };
    let response = ui.add(button);
    if response.clicked() {
        set_param(setter, param, !on);
    }
    response
}

/// Warnings in the warning colour, each behind a painted "!" badge (no emoji glyph, so it
/// renders with any font set), laid out in a wrapping row.
pub fn warning_badges(ui: &mut Ui, warnings: &[&str]) {
    ui.horizontal_wrapped(|ui| {
        for text in warnings {
            let height = ui.text_style_height(&egui::TextStyle::Body);
            let (rect, _) = ui.allocate_exact_size(egui::vec2(height, height), Sense::hover());
            let painter = ui.painter_at(rect);
            painter.circle_filled(rect.center(), height * 0.45, palette::WARN);
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "!",
                egui::FontId::proportional(height * 0.8),
                Color32::BLACK,
            );
            ui.colored_label(palette::WARN, *text);
            ui.add_space(10.0);
        }
    });
}

/// [`param_combo`] whose list shows up to `max_height` points before it scrolls (egui's
/// default shows about nine entries; a long list such as the delivery targets fits whole).
pub fn param_combo_tall<E: Enum + PartialEq + Copy + 'static>(
    ui: &mut Ui,
    id_salt: &str,
    param: &EnumParam<E>,
    setter: &ParamSetter,
    max_height: f32,
) -> Option<E> {
    let current = param.value();
    let names = E::variants();
    let mut picked = None;
    egui::ComboBox::from_id_salt(id_salt)
        .selected_text(names[current.to_index()])
        .height(max_height)
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
