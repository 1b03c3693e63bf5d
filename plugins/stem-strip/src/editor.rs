//! Stem Strip GUI (nice-plug-egui): role, polarity and guardrails always in view; the EQ curve
//! drawn from the same `response()` as the audio; the compressor's transfer curve and gain
//! reduction; saturation; meters.

use crate::link::LinkShared;
use crate::params::{EqBandParams, StemStripParams, EQ_RANGE_DB};
use crate::StripMeters;
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::LogicalSize;
use nice_plug::prelude::*;
use nice_plug_egui::widgets::ParamSlider;
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier,
};
use plugin_common::meters::PeakDisplay;
use plugin_common::param_kit::{ChoiceValue, Pick};
use plugin_common::presets;
use plugin_common::widgets::{self, palette, set_param};
use shared_dsp::eq::settings::{EqSettings, PhaseMode};
use shared_dsp::eq::Eq;
use shared_dsp::params::choice::Roles;
use shared_dsp::params::strip::StripParam;
use shared_dsp::params::ParamIndex;
use shared_dsp::strip::CompressorMode;
use std::sync::Arc;
use std::time::Instant;

mod link_row;
use link_row::LinkRow;

/// Default editor size in logical pixels.
const SIZE: (f32, f32) = (1080.0, 580.0);

/// The editor's state: parameter handles, meters, display ballistics and a GUI-side EQ that
/// computes the curve with the audio path's own `response()`.
pub struct StripGui {
    params: Arc<StemStripParams>,
    meters: Arc<StripMeters>,
    gui_context: Option<GuiContext>,
    input_display: PeakDisplay,
    output_display: PeakDisplay,
    /// The name typed into the preset menu.
    preset_name: String,
    /// Same design code as the audio thread's EQ, settled at the current parameters, with the
    /// sample rate and settings it was last set to.
    curve_eq: Option<(Eq, f64, EqSettings)>,
    last_frame: Instant,
    /// The session link's shared state.
    link: Arc<LinkShared>,
    /// The session-link row: edit buffers, session reader and strip count.
    link_row: LinkRow,
}

/// Builds the editor for the plugin's `editor()` callback.
pub fn create(
    params: Arc<StemStripParams>,
    meters: Arc<StripMeters>,
    link: Arc<LinkShared>,
) -> Option<EguiEditor<StripGui>> {
    let link_row = LinkRow::new(&params);
    let app = StripGui {
        params,
        meters,
        gui_context: None,
        input_display: PeakDisplay::default(),
        output_display: PeakDisplay::default(),
        preset_name: String::from("My preset"),
        curve_eq: None,
        last_frame: Instant::now(),
        link,
        link_row,
    };
    let min_size = LogicalSize::new(SIZE.0 * 0.75, SIZE.1 * 0.75);
    create_egui_editor(
        EguiEditorState::from_size(LogicalSize::new(SIZE.0, SIZE.1), widgets::initial_zoom()),
        RepaintNotifier::new(),
        EguiNiceSettings::new()
            .with_tile("Stemwise Stem Strip")
            .with_resize_hint(ResizeHint::resizable().with_min_logical_size(min_size)),
        app,
    )
}

impl NiceEguiApp for StripGui {
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

    fn track_info_changed(&mut self, info: TrackInfo) {
        self.link.set_host_track_name(info.name(), &self.params);
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

        egui::Frame::new().inner_margin(10.0).show(ui, |ui| {
            self.header(ui, &setter, &gui_context);
            self.link_row.show(ui, &self.params, &self.link);
            widgets::warnings(ui, &self.params.warnings());
            ui.separator();
            ui.horizontal_top(|ui| {
                self.meter_panel(ui, &setter);
                ui.separator();
                ui.vertical(|ui| {
                    self.eq_panel(ui, &setter);
                    ui.add_space(6.0);
                    self.saturation_panel(ui, &setter);
                });
                ui.separator();
                ui.vertical(|ui| self.compressor_panel(ui, &setter));
            });
        });
    }
}

impl StripGui {
    /// Title, role, polarity (always visible) and bypass.
    fn header(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, context: &GuiContext) {
        let params = self.params.clone();
        ui.horizontal(|ui| {
            ui.heading("Stemwise Stem Strip");
            ui.add_space(12.0);
            presets::preset_menu(
                ui,
                &mut self.preset_name,
                &params.presets,
                params.as_ref(),
                context,
            );
            ui.label("Role");
            if let Some(role) = widgets::param_combo(ui, "role", &params.role, setter) {
                self.load_role_defaults(role, setter);
            }
            ui.add_space(12.0);
            widgets::param_toggle(ui, &params.invert_left, setter, palette::BAD);
            widgets::param_toggle(ui, &params.invert_right, setter, palette::BAD);
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                widgets::param_toggle(ui, &params.bypass, setter, palette::WARN);
                let latency = self.meters.latency_samples.read();
                let rate_hz = self.meters.sample_rate_hz.read().max(1.0);
                ui.weak(format!(
                    "latency {latency:.0} smp ({:.1} ms)",
                    1000.0 * latency / rate_hz
                ));
            });
        });
        let ranges = params.role.choice().ranges();
        ui.weak(format!(
            "{} practice: trim ±{:.0}–{:.0} dB, ratio {:.1}–{:.1}:1, EQ ±{:.0} dB, attack {:.0}–{:.0} ms, release {:.0}–{:.0} ms",
            ranges.row,
            ranges.trim_db.start(),
            ranges.trim_db.end(),
            ranges.ratio.start(),
            ranges.ratio.end(),
            ranges.eq_max_db,
            ranges.attack_ms.start(),
            ranges.attack_ms.end(),
            ranges.release_ms.start(),
            ranges.release_ms.end(),
        ));
    }

    /// Loads a role's gentle starting point: compressor ratio/attack/release, the offered
    /// high-pass frequency and saturation mix. Never touches trim, never switches a stage on.
    fn load_role_defaults(&self, role: Pick<Roles>, setter: &ParamSetter) {
        let params = &self.params;
        let defaults = role.0.defaults();
        set_param(setter, &params.ratio, defaults.ratio);
        set_param(setter, &params.attack_ms, defaults.attack_ms);
        set_param(setter, &params.release_ms, defaults.release_ms);
        if let Some(freq_hz) = defaults.high_pass_hz {
            set_param(setter, &params.high_pass_hz, freq_hz);
        }
        if let Some(mix_t) = defaults.saturation_mix_t {
            set_param(setter, &params.saturation_mix_t, mix_t);
        }
    }

    /// The EQ curve and its controls.
    fn eq_panel(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let params = &self.params;
        let settings = params.strip_settings();
        let rate_hz = f64::from(self.meters.sample_rate_hz.read()).max(22_050.0);
        if !matches!(&self.curve_eq, Some((_, r, _)) if *r == rate_hz) {
            self.curve_eq = Some((Eq::new(rate_hz, 1, 2), rate_hz, EqSettings::default()));
        }
        if let Some((eq, _, shown)) = &mut self.curve_eq {
            if *shown != settings.eq {
                eq.set_settings(settings.eq);
                eq.reset();
                *shown = settings.eq;
            }
        }
        let Some((eq, _, _)) = &self.curve_eq else {
            return;
        };
        ui.horizontal(|ui| {
            ui.strong("EQ");
            widgets::param_combo(ui, "phase", &params.eq_phase, setter);
        });
        if params.eq_phase.choice() == PhaseMode::Linear {
            ui.colored_label(
                palette::WARN,
                "Linear phase adds latency: stems on different phase modes drift in time unless the host compensates",
            );
        }
        let gentle_db = params.role.choice().ranges().eq_max_db;
        widgets::response_plot(ui, egui::vec2(380.0, 150.0), EQ_RANGE_DB, gentle_db, |f| {
            20.0 * eq.response(f).max(1e-6).log10()
        });
        let practice = |param: StripParam| param.spec().practice.unwrap_or_default();
        let (_, bell_db) = practice(StripParam::Bell1Gain);
        let (_, shelf_db) = practice(StripParam::LowShelfGain);
        let (q_lo, q_hi) = practice(StripParam::Bell1Q);
        ui.weak(format!(
            "shaded: the role's gentle EQ range (±{gentle_db:.0} dB); warnings beyond bells ±{bell_db:.0} dB, shelves ±{shelf_db:.0} dB; Q {q_lo}–{q_hi}"
        ));
        egui::Grid::new("eq").num_columns(4).show(ui, |ui| {
            ui.label("");
            ui.label("Gain");
            ui.label("Freq");
            ui.label("Q");
            ui.end_row();
            widgets::param_toggle(ui, &params.high_pass_on, setter, palette::ACCENT);
            widgets::param_combo(ui, "hp_slope", &params.high_pass_slope, setter);
            ui.add(ParamSlider::for_param(&params.high_pass_hz, setter).with_width(90.0));
            ui.end_row();
            band_row(
                ui,
                "Low shelf",
                &params.low_shelf,
                setter,
                StripParam::LowShelfGain,
            );
            band_row(ui, "Bell 1", &params.bell_1, setter, StripParam::Bell1Gain);
            band_row(ui, "Bell 2", &params.bell_2, setter, StripParam::Bell2Gain);
            band_row(
                ui,
                "High shelf",
                &params.high_shelf,
                setter,
                StripParam::HighShelfGain,
            );
        });
    }

    /// The single or 3-band compressor, its transfer curve and gain reduction.
    fn compressor_panel(&self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let params = &self.params;
        ui.horizontal(|ui| {
            widgets::param_toggle(ui, &params.compressor_on, setter, palette::ACCENT);
            widgets::param_combo(ui, "mode", &params.compressor_mode, setter);
            widgets::param_combo(ui, "detector", &params.detector, setter);
        });
        let settings = params.strip_settings().compressor;
        widgets::transfer_plot(ui, egui::vec2(150.0, 150.0), |input_db| {
            settings.output_level_db(input_db)
        });
        ui.horizontal(|ui| {
            ui.label("GR");
            widgets::reduction_bar(ui, self.meters.reduction_db.read(), 12.0, 150.0);
            ui.monospace(format!("{:.1} dB", self.meters.reduction_db.read()));
        });
        egui::Grid::new("comp").num_columns(2).show(ui, |ui| {
            if params.compressor_mode.choice() == CompressorMode::Single {
                widgets::labelled_slider(ui, "Ratio", &params.ratio, setter);
                widgets::labelled_slider(ui, "Threshold", &params.threshold_db, setter);
            }
            widgets::labelled_slider(ui, "Knee", &params.knee_db, setter);
            widgets::labelled_slider(ui, "Attack", &params.attack_ms, setter);
            widgets::labelled_slider(ui, "Release", &params.release_ms, setter);
            widgets::labelled_slider(ui, "Link", &params.link_t, setter);
            widgets::labelled_slider(ui, "SC high-pass", &params.sidechain_hpf_hz, setter);
            widgets::labelled_slider(ui, "Mix", &params.compressor_mix_t, setter);
            widgets::labelled_slider(ui, "Makeup", &params.makeup_db, setter);
        });
        if params.compressor_mode.choice() == CompressorMode::Multiband {
            ui.separator();
            egui::Grid::new("bands").num_columns(2).show(ui, |ui| {
                widgets::labelled_slider(ui, "Low | Mid", &params.crossover_low_hz, setter);
                widgets::labelled_slider(ui, "Mid | High", &params.crossover_high_hz, setter);
                let bands = [
                    ("Low", &params.band_low),
                    ("Mid", &params.band_mid),
                    ("High", &params.band_high),
                ];
                for ((name, band), meter) in bands.into_iter().zip(&self.meters.band_reduction_db) {
                    ui.strong(name);
                    widgets::reduction_bar(ui, meter.read(), 12.0, 120.0);
                    ui.end_row();
                    widgets::labelled_slider(ui, "  threshold", &band.threshold_db, setter);
                    widgets::labelled_slider(ui, "  ratio", &band.ratio, setter);
                }
            });
        }
    }

    /// Parallel saturation.
    fn saturation_panel(&self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let params = &self.params;
        ui.horizontal(|ui| {
            widgets::param_toggle(ui, &params.saturation_on, setter, palette::ACCENT);
            ui.weak("parallel, 4× oversampled");
        });
        egui::Grid::new("sat").num_columns(2).show(ui, |ui| {
            widgets::labelled_slider(ui, "Drive", &params.saturation_drive_db, setter);
            widgets::labelled_slider(ui, "Tone", &params.saturation_tone_hz, setter);
            widgets::labelled_slider(ui, "Mix", &params.saturation_mix_t, setter);
        });
    }

    /// Trim, output, peak and loudness meters.
    fn meter_panel(&self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let params = &self.params;
        ui.vertical(|ui| {
            ui.label("Trim");
            ui.add(ParamSlider::for_param(&params.trim_db, setter).with_width(110.0));
            ui.label("Output");
            ui.add(ParamSlider::for_param(&params.output_db, setter).with_width(110.0));
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                widgets::meter_pair(ui, "In", &self.input_display);
                widgets::meter_pair(ui, "Out", &self.output_display);
            });
            let lufs = |v: f32| {
                if v.is_finite() {
                    format!("{v:.1}")
                } else {
                    "-inf".to_owned()
                }
            };
            ui.monospace(format!(
                "S in  {} LUFS",
                lufs(self.meters.input_short_term_lufs.read())
            ));
            ui.monospace(format!(
                "S out {} LUFS",
                lufs(self.meters.output_short_term_lufs.read())
            ));
        });
    }
}

/// One EQ band's row: name, gain (warned beyond its practice range, from the table entry
/// `gain`), frequency and Q.
fn band_row(
    ui: &mut egui::Ui,
    name: &str,
    band: &EqBandParams,
    setter: &ParamSetter,
    gain: StripParam,
) {
    if gain.spec().beyond_practice(band.gain_db.value()) {
        ui.colored_label(palette::WARN, name);
    } else {
        ui.label(name);
    }
    ui.add(ParamSlider::for_param(&band.gain_db, setter).with_width(90.0));
    ui.add(ParamSlider::for_param(&band.freq_hz, setter).with_width(90.0));
    ui.add(ParamSlider::for_param(&band.q, setter).with_width(60.0));
    ui.end_row();
}
