//! Master Bus GUI (nice-plug-egui): gains, bypass and peak meters.

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

/// Default editor size in logical pixels.
const SIZE: (f32, f32) = (480.0, 300.0);

/// The editor's state: parameter handles, meters and display ballistics.
pub struct BusGui {
    params: Arc<MasterBusParams>,
    meters: Arc<BusMeters>,
    gui_context: Option<GuiContext>,
    input_display: PeakDisplay,
    output_display: PeakDisplay,
    last_frame: Instant,
}

/// Builds the editor for the plugin's `editor()` callback.
pub fn create(params: Arc<MasterBusParams>, meters: Arc<BusMeters>) -> Option<EguiEditor<BusGui>> {
    let app = BusGui {
        params,
        meters,
        gui_context: None,
        input_display: PeakDisplay::default(),
        output_display: PeakDisplay::default(),
        last_frame: Instant::now(),
    };
    let min_size = LogicalSize::new(SIZE.0 * 0.8, SIZE.1 * 0.8);
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

        egui::Frame::new().inner_margin(12.0).show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("Stemwise Master Bus");
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    widgets::param_toggle(ui, &self.params.bypass, &setter, palette::WARN);
                });
            });
            ui.separator();
            ui.horizontal(|ui| {
                ui.vertical(|ui| {
                    ui.label("Input gain");
                    ui.add(
                        ParamSlider::for_param(&self.params.input_gain_db, &setter)
                            .with_width(240.0),
                    );
                    ui.add_space(8.0);
                    ui.label("Output gain");
                    ui.add(
                        ParamSlider::for_param(&self.params.output_gain_db, &setter)
                            .with_width(240.0),
                    );
                });
                ui.add_space(16.0);
                widgets::meter_pair(ui, "In", &self.input_display);
                widgets::meter_pair(ui, "Out", &self.output_display);
            });
        });
    }
}
