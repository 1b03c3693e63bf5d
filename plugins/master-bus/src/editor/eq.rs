//! The EQ section: the curve from the audio path's own `response()`, band markers, and the
//! band controls (high-pass, low shelf, three bells, high shelf, low-pass, mono bass) with the
//! phase mode. With the mono bass on, the side's curve (`side_response()`) is drawn dashed.

use crate::meters::BusMeters;
use crate::params::MasterBusParams;
use nice_plug::prelude::*;
use nice_plug_egui::widgets::ParamSlider;
use plugin_common::param_kit::{ChoiceValue, EqBandParams, EQ_RANGE_DB};
use plugin_common::widgets::{self, palette};
use shared_dsp::eq::settings::{EqSettings, PhaseMode};
use shared_dsp::eq::Eq;
use shared_dsp::params::master::MasterParam;
use shared_dsp::params::ParamIndex;

/// Vertical range of the curve either side of 0 dB (a little beyond the ±6 dB gain range, so
/// the pass filters' slopes show where they start).
const PLOT_RANGE_DB: f32 = 9.0;
/// Height of the curve, logical pixels.
const PLOT_HEIGHT: f32 = 172.0;
/// Narrowest the curve gets beside the band grid (below it, it takes the full width).
const MIN_PLOT_WIDTH: f32 = 220.0;
/// Height of the curve when it sits above the band grid.
const NARROW_PLOT_HEIGHT: f32 = 130.0;
/// Width the band grid needs next to the curve (sliders, values, spacing).
const GRID_WIDTH: f32 = 480.0;
/// Q factor per point of mouse-wheel scroll over a marker.
const Q_PER_POINT: f32 = 1.004;
/// Slider width of the band gains.
const GAIN_WIDTH: f32 = 64.0;
/// Slider width of the band frequencies.
const FREQ_WIDTH: f32 = 64.0;
/// Slider width of the band Qs.
const Q_WIDTH: f32 = 40.0;
/// Colour of the side curve (mono bass).
const SIDE_COLOR: egui::Color32 = egui::Color32::from_rgb(200, 140, 230);

/// A GUI-side EQ running the audio path's design code, settled at the current parameters.
#[derive(Default)]
pub struct EqView {
    /// The EQ, the sample rate it was built for and the settings it was last given.
    curve_eq: Option<(Eq, f64, EqSettings)>,
}

impl EqView {
    /// Draws the section.
    pub fn show(
        &mut self,
        ui: &mut egui::Ui,
        params: &MasterBusParams,
        meters: &BusMeters,
        setter: &ParamSetter,
    ) {
        let settings = params.master_settings().eq;
        let rate_hz = f64::from(meters.sample_rate_hz.read()).max(22_050.0);
        if !matches!(&self.curve_eq, Some((_, r, _)) if *r == rate_hz) {
            self.curve_eq = Some((Eq::new(rate_hz, 1, 2), rate_hz, EqSettings::default()));
        }
        let Some((eq, _, shown)) = &mut self.curve_eq else {
            return;
        };
        if *shown != settings {
            // Settled at the targets: the curve shows where the smoothing ends.
            eq.set_settings(settings);
            eq.reset();
            *shown = settings;
        }
        let eq = &*eq;
        // Every shaping band's gain shares the bus practice range.
        let (_, practice_db) = MasterParam::Bell1Gain.spec().practice.unwrap_or_default();

        ui.horizontal(|ui| {
            super::section_title(ui, "EQ");
            widgets::param_combo(ui, "eq_phase", &params.eq_phase, setter);
            if params.eq_phase.choice() == PhaseMode::Linear {
                ui.colored_label(
                    palette::WARN,
                    "linear phase adds latency (fixed per session)",
                );
            } else {
                ui.weak("no latency");
            }
            ui.weak(format!(
                "· shaded: bus practice ±{practice_db:.0} dB (gain range ±{EQ_RANGE_DB:.0} dB)"
            ));
        });
        let side_by_side = ui.available_width() >= GRID_WIDTH + MIN_PLOT_WIDTH;
        let curve = |ui: &mut egui::Ui, size: egui::Vec2| {
            let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
            ui.scope_builder(egui::UiBuilder::new().max_rect(rect), |ui| {
                widgets::response_plot(ui, size, PLOT_RANGE_DB, practice_db, |f| {
                    20.0 * eq.response(f).max(1e-6).log10()
                });
            });
            draw_overlay(ui, rect, params, setter, eq);
        };
        if side_by_side {
            ui.horizontal_top(|ui| {
                let width = ui.available_width() - GRID_WIDTH;
                curve(ui, egui::vec2(width, PLOT_HEIGHT));
                ui.add_space(6.0);
                band_grid(ui, params, setter);
            });
        } else {
            // Narrow window: the curve above the bands.
            curve(ui, egui::vec2(ui.available_width(), NARROW_PLOT_HEIGHT));
            band_grid(ui, params, setter);
        }
    }
}

/// dB labels on the curve and a draggable marker on each band (HP/LP when on).
fn draw_overlay(
    ui: &egui::Ui,
    rect: egui::Rect,
    params: &MasterBusParams,
    setter: &ParamSetter,
    eq: &Eq,
) {
    let painter = ui.painter_at(rect);
    let y_of = |db: f32| {
        rect.center().y
            - db.clamp(-PLOT_RANGE_DB, PLOT_RANGE_DB) / PLOT_RANGE_DB * rect.height() * 0.5
    };
    let label_color = egui::Color32::from_gray(120);
    for db in [-6.0f32, -3.0, 3.0, 6.0] {
        painter.hline(
            rect.x_range(),
            y_of(db),
            egui::Stroke::new(1.0, egui::Color32::from_gray(28)),
        );
        painter.text(
            egui::pos2(rect.left() + 3.0, y_of(db)),
            egui::Align2::LEFT_CENTER,
            format!("{db:+.0}"),
            egui::FontId::proportional(10.0),
            label_color,
        );
    }
    let x_of = |freq_hz: f32| rect.left() + widgets::response_plot_position(freq_hz) * rect.width();
    let side_on = params.mono_bass_on.value();
    if side_on {
        let points: Vec<egui::Pos2> = (0..=rect.width() as usize)
            .map(|px| {
                let freq_hz = 20.0 * 1000f64.powf(px as f64 / f64::from(rect.width()));
                let db = (20.0 * eq.side_response(freq_hz).max(1e-6).log10()) as f32;
                egui::pos2(rect.left() + px as f32, y_of(db))
            })
            .collect();
        painter.extend(egui::Shape::dashed_line(
            &points,
            egui::Stroke::new(1.5, SIDE_COLOR),
            5.0,
            3.0,
        ));
        painter.text(
            egui::pos2(rect.right() - 4.0, rect.top() + 3.0),
            egui::Align2::RIGHT_TOP,
            "- - side (mono bass)",
            egui::FontId::proportional(10.0),
            SIDE_COLOR,
        );
    }
    let marker = |ui: &egui::Ui, handle: Handle, active: bool| {
        let freq_hz = handle.freq.value();
        let response = if handle.side {
            eq.side_response(f64::from(freq_hz))
        } else {
            eq.response(f64::from(freq_hz))
        };
        let db = (20.0 * response.max(1e-6).log10()) as f32;
        let center = egui::pos2(x_of(freq_hz), y_of(db));
        let id = egui::Id::unique(("master_bus_eq_marker", handle.label));
        let hit = egui::Rect::from_center_size(center, egui::vec2(18.0, 18.0));
        let response = ui
            .interact(hit, id, egui::Sense::click_and_drag())
            .on_hover_cursor(egui::CursorIcon::Grab);
        drag_handle(ui, &response, &handle, rect, setter);
        let (fill, text) = if active || response.hovered() || response.dragged() {
            (palette::ACCENT, egui::Color32::BLACK)
        } else {
            (egui::Color32::from_gray(60), egui::Color32::from_gray(190))
        };
        painter.circle_filled(center, 7.0, fill);
        painter.text(
            center,
            egui::Align2::CENTER_CENTER,
            handle.label,
            egui::FontId::proportional(9.0),
            text,
        );
        response.on_hover_text(handle.tooltip());
    };
    if params.high_pass_on.value() {
        marker(ui, Handle::pass("HP", &params.high_pass_hz), true);
    }
    if params.low_pass_on.value() {
        marker(ui, Handle::pass("LP", &params.low_pass_hz), true);
    }
    if side_on {
        let handle = Handle {
            side: true,
            ..Handle::pass("M", &params.mono_bass_hz)
        };
        marker(ui, handle, true);
    }
    for ((_, band), label) in params
        .shaping_bands()
        .into_iter()
        .zip(["LS", "1", "2", "3", "HS"])
    {
        marker(ui, Handle::band(label, band), band.gain_db.value() != 0.0);
    }
}

/// The parameters a marker on the curve moves.
struct Handle<'a> {
    /// Text on the marker.
    label: &'static str,
    /// Moved left/right.
    freq: &'a FloatParam,
    /// Moved up/down (none for the pass filters).
    gain: Option<&'a FloatParam>,
    /// Changed with the scroll wheel (none for the pass filters).
    q: Option<&'a FloatParam>,
    /// The marker sits on the side curve (mono bass), not the stereo one.
    side: bool,
}

impl<'a> Handle<'a> {
    /// A high- or low-pass marker (frequency only).
    fn pass(label: &'static str, freq: &'a FloatParam) -> Self {
        Self {
            label,
            freq,
            gain: None,
            q: None,
            side: false,
        }
    }

    /// A bell or shelf marker.
    fn band(label: &'static str, band: &'a EqBandParams) -> Self {
        Self {
            label,
            freq: &band.freq_hz,
            gain: Some(&band.gain_db),
            q: Some(&band.q),
            side: false,
        }
    }

    /// What the marker's tooltip says.
    fn tooltip(&self) -> String {
        let mut text = format!("{}: {}", self.freq.name(), self.freq);
        if let (Some(gain), Some(q)) = (self.gain, self.q) {
            text.push_str(&format!(", {gain}, Q {q}"));
            text.push_str("\nDrag: frequency and gain · wheel: Q · double-click: 0 dB");
        } else {
            text.push_str("\nDrag: frequency");
        }
        text
    }
}

/// Drag moves frequency (and gain) as one host gesture; the wheel steps Q; a double click
/// resets the gain. Relative to the drag, so a shelf's marker (drawn on the curve, not at its
/// gain) does not jump.
fn drag_handle(
    ui: &egui::Ui,
    response: &egui::Response,
    handle: &Handle,
    rect: egui::Rect,
    setter: &ParamSetter,
) {
    let params = std::iter::once(handle.freq).chain(handle.gain);
    if response.drag_started() {
        params.clone().for_each(|p| setter.begin_set_parameter(p));
    }
    if response.dragged() {
        let delta = response.drag_delta();
        // 3 decades across the plot's width; ±PLOT_RANGE_DB across its height.
        let freq_hz = handle.freq.value() * 1000f32.powf(delta.x / rect.width());
        setter.set_parameter(handle.freq, freq_hz);
        if let Some(gain) = handle.gain {
            let db = gain.value() - delta.y / (rect.height() * 0.5) * PLOT_RANGE_DB;
            setter.set_parameter(gain, db.clamp(-EQ_RANGE_DB, EQ_RANGE_DB));
        }
    }
    if response.drag_stopped() {
        params.for_each(|p| setter.end_set_parameter(p));
    }
    if let Some(gain) = handle.gain.filter(|_| response.double_clicked()) {
        widgets::set_param(setter, gain, gain.default_plain_value());
    }
    if let Some(q) = handle.q.filter(|_| response.hovered()) {
        let scroll_y = ui.input(|i| i.smooth_scroll_delta.y);
        if scroll_y != 0.0 {
            widgets::set_param(setter, q, q.value() * Q_PER_POINT.powf(scroll_y));
        }
    }
}

/// The band controls: one row per band.
fn band_grid(ui: &mut egui::Ui, params: &MasterBusParams, setter: &ParamSetter) {
    egui::Grid::new("eq_bands")
        .num_columns(4)
        .spacing(egui::vec2(6.0, 3.0))
        .show(ui, |ui| {
            ui.label("");
            ui.weak("Gain / slope");
            ui.weak("Frequency");
            ui.weak("Q");
            ui.end_row();
            widgets::param_toggle(ui, &params.high_pass_on, setter, palette::ACCENT);
            widgets::param_combo(ui, "hp_slope", &params.high_pass_slope, setter);
            ui.add(ParamSlider::for_param(&params.high_pass_hz, setter).with_width(FREQ_WIDTH));
            ui.end_row();
            let names = ["Low shelf", "Bell 1", "Bell 2", "Bell 3", "High shelf"];
            for ((gain, band), name) in params.shaping_bands().into_iter().zip(names) {
                band_row(ui, name, band, setter, gain);
            }
            widgets::param_toggle(ui, &params.low_pass_on, setter, palette::ACCENT);
            widgets::param_combo(ui, "lp_slope", &params.low_pass_slope, setter);
            ui.add(ParamSlider::for_param(&params.low_pass_hz, setter).with_width(FREQ_WIDTH));
            ui.end_row();
            widgets::param_toggle(ui, &params.mono_bass_on, setter, palette::ACCENT);
            widgets::param_combo(ui, "ms_hp_slope", &params.mono_bass_slope, setter);
            ui.add(ParamSlider::for_param(&params.mono_bass_hz, setter).with_width(FREQ_WIDTH));
            ui.weak("side only").on_hover_text(
                "Vinyl: high-pass on the side only (elliptical EQ); the mid is untouched",
            );
            ui.end_row();
        });
}

/// One bell or shelf: name (amber beyond the bus practice range of its gain's table entry
/// `gain`), gain with the practice range shaded, frequency and Q.
fn band_row(
    ui: &mut egui::Ui,
    name: &str,
    band: &EqBandParams,
    setter: &ParamSetter,
    gain: MasterParam,
) {
    if gain.spec().beyond_practice(band.gain_db.value()) {
        ui.colored_label(palette::WARN, name);
    } else {
        ui.label(name);
    }
    widgets::practice_slider(ui, &band.gain_db, setter, GAIN_WIDTH, gain.spec());
    ui.add(ParamSlider::for_param(&band.freq_hz, setter).with_width(FREQ_WIDTH));
    ui.add(ParamSlider::for_param(&band.q, setter).with_width(Q_WIDTH));
    ui.end_row();
}
