//! Master Bus GUI (nice-plug-egui).
//!
//! Layout (1200×720 logical at 100 %, resizable down to 80 %):
//! - header: title, bypass, equal-loudness A/B, input/output gain with peak meters, latency
//!   and the practice warnings;
//! - right panel: the loudness meter against the delivery target ([`loudness`]), the stereo
//!   image for vinyl ([`stereo_panel`]), the live null test ([`null_panel`]) and the linked
//!   Stem Strips ([`session_panel`]);
//! - centre: the EQ curve and bands ([`eq`]), the glue compressor and the limiter
//!   ([`dynamics`]), the gain-reduction and loudness histories ([`history`]).
//!
//! Every value shown is read from atomics (parameters, [`BusMeters`]); the editor never
//! waits on the audio thread.

use crate::params::MasterBusParams;
use crate::BusMeters;
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::LogicalSize;
use nice_plug::prelude::*;
use nice_plug_egui::widgets::ParamSlider;
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier,
};
use plugin_common::meters::PeakDisplay;
use plugin_common::widgets::{self, palette};
use std::sync::Arc;
use std::time::Instant;

mod dynamics;
mod eq;
mod history;
mod loudness;
mod null_panel;
mod session_panel;
mod stereo_panel;

/// Default editor size in logical pixels.
const SIZE: (f32, f32) = (1200.0, 720.0);
/// Smallest size the host may resize the editor to, as a share of [`SIZE`].
const MIN_SIZE_T: f32 = 0.8;
/// Share of the window the right-hand loudness and null-test panel takes…
const SIDE_PANEL_SHARE: f32 = 0.335;
/// …within these widths, logical pixels.
const SIDE_PANEL_WIDTH: (f32, f32) = (360.0, 420.0);
/// Width of the gain sliders in the header.
const GAIN_SLIDER_WIDTH: f32 = 130.0;
/// Widths of the header peak meters (they give way first when the window narrows).
const METER_WIDTH: (f32, f32) = (80.0, 150.0);
/// Width of the header's gain row without its meters.
const GAIN_ROW_FIXED_WIDTH: f32 = 740.0;

/// The editor's state: parameter handles, meters, display ballistics and the panels' caches.
pub struct BusGui {
    params: Arc<MasterBusParams>,
    meters: Arc<BusMeters>,
    gui_context: Option<GuiContext>,
    input_display: PeakDisplay,
    output_display: PeakDisplay,
    /// The GUI-side EQ that draws the curve with the audio path's own `response()`.
    eq_view: eq::EqView,
    /// The history rows, read into a reused buffer every frame.
    history_view: history::HistoryView,
    /// The session link's last snapshot.
    session_cache: session_panel::SessionCache,
    /// The stereo image panel's history rows.
    stereo_view: stereo_panel::StereoView,
    last_frame: Instant,
}

/// Builds the editor for the plugin's `editor()` callback.
pub fn create(params: Arc<MasterBusParams>, meters: Arc<BusMeters>) -> Option<EguiEditor<BusGui>> {
    let session_cache = session_panel::SessionCache::new(params.session.name());
    let app = BusGui {
        params,
        meters,
        gui_context: None,
        input_display: PeakDisplay::default(),
        output_display: PeakDisplay::default(),
        eq_view: eq::EqView::default(),
        history_view: history::HistoryView::default(),
        session_cache,
        stereo_view: stereo_panel::StereoView::default(),
        last_frame: Instant::now(),
    };
    let min_size = LogicalSize::new(SIZE.0 * MIN_SIZE_T, SIZE.1 * MIN_SIZE_T);
    create_egui_editor(
        EguiEditorState::from_size(LogicalSize::new(SIZE.0, SIZE.1), widgets::initial_zoom()),
        RepaintNotifier::new(),
        EguiNiceSettings::new()
            .with_tile("Stemwise Master Bus")
            .with_resize_hint(ResizeHint::resizable().with_min_logical_size(min_size)),
        app,
    )
}

impl NiceEguiApp for BusGui {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        widgets::apply_style(&egui_ctx);
        self.gui_context = Some(nice_gui_ctx);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        let Some(gui_context) = self.gui_context.clone() else {
            return;
        };
        let setter = gui_context.param_setter();
        let dt_s = self.last_frame.elapsed().as_secs_f32();
        self.last_frame = Instant::now();
        self.input_display.update(self.meters.input.take_db(), dt_s);
        self.output_display
            .update(self.meters.output.take_db(), dt_s);
        ui.ctx().request_repaint();

        let panel_frame = egui::Frame::new()
            .fill(palette::PANEL)
            .inner_margin(egui::Margin::symmetric(10, 6));
        egui::Panel::top("header")
            .frame(panel_frame)
            .show(ui, |ui| self.header(ui, &setter));
        let side_width =
            (ui.available_width() * SIDE_PANEL_SHARE).clamp(SIDE_PANEL_WIDTH.0, SIDE_PANEL_WIDTH.1);
        egui::Panel::right("measure")
            .frame(panel_frame)
            .resizable(false)
            .exact_size(side_width)
            .show(ui, |ui| {
                compact_spacing(ui);
                egui::ScrollArea::vertical()
                    .id_salt("measure_scroll")
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        loudness::show(ui, &self.params, &self.meters, &setter);
                        ui.separator();
                        self.stereo_view.show(ui, &self.meters);
                        ui.separator();
                        null_panel::show(ui, &self.meters);
                        ui.separator();
                        session_panel::show(
                            ui,
                            &self.params,
                            &self.meters,
                            &mut self.session_cache,
                        );
                    });
            });
        egui::CentralPanel::default_margins()
            .frame(panel_frame)
            .show(ui, |ui| {
                compact_spacing(ui);
                let viewport_height = ui.available_height();
                // Both ways: content that cannot shrink further scrolls instead of spilling
                // over the side panel.
                egui::ScrollArea::both()
                    .id_salt("process_scroll")
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        let content_top = ui.cursor().top();
                        self.eq_view.show(ui, &self.params, &self.meters, &setter);
                        ui.separator();
                        dynamics::show(ui, &self.params, &self.meters, &setter);
                        ui.separator();
                        // The histories take the height left in the viewport (measured in
                        // content coordinates, so scrolling does not change it).
                        let used = ui.cursor().top() - content_top;
                        self.history_view.show(
                            ui,
                            &self.params,
                            &self.meters,
                            viewport_height - used,
                        );
                    });
            });
    }
}

/// Tighter rows than egui's defaults, so every section fits the default size.
fn compact_spacing(ui: &mut egui::Ui) {
    let spacing = ui.spacing_mut();
    spacing.item_spacing.y = 2.0;
    spacing.interact_size.y = 16.0;
}

impl BusGui {
    /// Title, bypass, A/B, gains with peak meters, latency and warnings.
    fn header(&self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let params = &self.params;
        ui.horizontal(|ui| {
            ui.heading(egui::RichText::new("Stemwise Master Bus").strong());
            ui.add_space(16.0);
            widgets::param_toggle(ui, &params.bypass, setter, palette::WARN);
            widgets::param_toggle(ui, &params.ab_unprocessed, setter, palette::WARN);
            if params.ab_unprocessed.value() {
                ui.colored_label(
                    palette::WARN,
                    format!(
                        "Hearing UNPROCESSED at matched loudness ({:+.1} dB)",
                        self.meters.ab_match_db.read()
                    ),
                );
            } else if params.bypass.value() {
                ui.colored_label(
                    palette::WARN,
                    "Bypassed: hearing the input at its own level",
                );
            } else {
                ui.weak("A/B: hear the input at the master's loudness");
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.weak(latency_text(&self.meters));
            });
        });
        let meter_width = ((ui.available_width() - GAIN_ROW_FIXED_WIDTH) / 2.0)
            .clamp(METER_WIDTH.0, METER_WIDTH.1);
        ui.horizontal(|ui| {
            ui.label("Input");
            ui.add(
                ParamSlider::for_param(&params.input_gain_db, setter).with_width(GAIN_SLIDER_WIDTH),
            );
            widgets::meter_pair_horizontal(ui, "In", &self.input_display, meter_width);
            ui.add_space(24.0);
            ui.label("Output");
            ui.add(
                ParamSlider::for_param(&params.output_gain_db, setter)
                    .with_width(GAIN_SLIDER_WIDTH),
            );
            widgets::meter_pair_horizontal(ui, "Out", &self.output_display, meter_width);
        });
        let warnings = params.warnings();
        if !warnings.is_empty() {
            widgets::warning_badges(ui, &warnings);
        }
    }
}

/// "latency N smp (x.xx ms)" of the whole bus, or a dash before activation.
fn latency_text(meters: &BusMeters) -> String {
    let rate_hz = meters.sample_rate_hz.read();
    let latency = meters.latency_samples.read();
    if rate_hz > 0.0 {
        format!(
            "latency {latency:.0} samples ({:.2} ms at {:.1} kHz)",
            1000.0 * latency / rate_hz,
            rate_hz / 1000.0
        )
    } else {
        "latency —".to_owned()
    }
}

/// A loudness or level with one decimal, or "—" when undefined (−∞ or NaN).
fn fmt_level(value: f32) -> String {
    if value.is_finite() && value > -150.0 {
        format!("{value:.1}")
    } else {
        "—".to_owned()
    }
}

/// A signed dB figure with one decimal, or "—" when undefined.
fn fmt_signed(value: f32) -> String {
    if value.is_finite() {
        format!("{value:+.1}")
    } else {
        "—".to_owned()
    }
}

/// The dim colour of captions and undefined readouts.
const DIM: egui::Color32 = egui::Color32::from_gray(140);

/// Size of the section titles, points (between body text and the heading).
const SECTION_TITLE_SIZE: f32 = 15.0;

/// A section's title: larger and brighter than the labels around it.
fn section_title(ui: &mut egui::Ui, text: &str) {
    ui.label(
        egui::RichText::new(text)
            .size(SECTION_TITLE_SIZE)
            .strong()
            .color(egui::Color32::from_gray(235)),
    );
}
