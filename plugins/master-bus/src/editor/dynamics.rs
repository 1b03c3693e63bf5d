//! The glue compressor (transfer curve, gain reduction, controls with the bus practice ranges
//! shaded) and the true-peak limiter (ceiling presets, lookahead with the latency it costs).

use crate::meters::BusMeters;
use crate::params::MasterBusParams;
use nice_plug::prelude::*;
use nice_plug_egui::widgets::ParamSlider;
use plugin_common::param_kit::ChoiceValue;
use plugin_common::widgets::{self, palette};
use shared_dsp::compressor::CompressorSettings;
use shared_dsp::params::choice::CeilingPreset;
use shared_dsp::params::master::MasterParam;
use shared_dsp::params::ParamIndex;

/// `lo–hi` of `param`'s practice range (its table entry).
fn practice_text(param: MasterParam) -> String {
    let (lo, hi) = param.spec().practice.unwrap_or_default();
    format!("{lo}–{hi}")
}
/// Widest the sliders of both sections get.
const MAX_SLIDER_WIDTH: f32 = 110.0;
/// Narrowest they get.
const MIN_SLIDER_WIDTH: f32 = 56.0;
/// Width of both sections side by side without their sliders (plot, labels, values, gap).
const FIXED_WIDTH: f32 = 550.0;
/// Width of the compressor section without its slider.
const GLUE_FIXED_WIDTH: f32 = 340.0;
/// Gap between the compressor and the limiter, with the separator in its middle.
const SECTION_GAP: f32 = 14.0;
/// Side of the transfer-curve plot.
const TRANSFER_SIZE: f32 = 140.0;
/// Full scale of the compressor's reduction bar, dB.
const GLUE_GR_SCALE_DB: f32 = 6.0;
/// Full scale of the limiter's reduction bar, dB.
const LIMITER_GR_SCALE_DB: f32 = 12.0;

/// Draws the compressor and the limiter side by side.
pub fn show(ui: &mut egui::Ui, params: &MasterBusParams, meters: &BusMeters, setter: &ParamSetter) {
    let slider_width =
        ((ui.available_width() - FIXED_WIDTH) / 2.0).clamp(MIN_SLIDER_WIDTH, MAX_SLIDER_WIDTH);
    if ui.available_width() < FIXED_WIDTH + 2.0 * MIN_SLIDER_WIDTH {
        // Narrow window: the limiter below the compressor.
        let slider_width =
            (ui.available_width() - GLUE_FIXED_WIDTH).clamp(MIN_SLIDER_WIDTH, MAX_SLIDER_WIDTH);
        glue(ui, params, meters, setter, slider_width);
        ui.separator();
        limiter(ui, params, meters, setter, slider_width);
        return;
    }
    let (left, right) = ui
        .horizontal_top(|ui| {
            let left = ui
                .vertical(|ui| glue(ui, params, meters, setter, slider_width))
                .response
                .rect;
            ui.add_space(SECTION_GAP);
            let right = ui
                .vertical(|ui| limiter(ui, params, meters, setter, slider_width))
                .response
                .rect;
            (left, right)
        })
        .inner;
    // A separator as tall as the sections (egui's own would fill the height left).
    let x = (left.right() + right.left()) / 2.0;
    ui.painter().vline(
        x,
        left.top()..=left.bottom().max(right.bottom()),
        ui.visuals().widgets.noninteractive.bg_stroke,
    );
}

/// The glue compressor.
fn glue(
    ui: &mut egui::Ui,
    params: &MasterBusParams,
    meters: &BusMeters,
    setter: &ParamSetter,
    slider_width: f32,
) {
    let on = params.glue_on.value();
    ui.horizontal(|ui| {
        widgets::param_toggle_captioned(
            ui,
            &params.glue_on,
            setter,
            "Glue compressor",
            palette::ACCENT,
        );
        widgets::param_toggle_captioned(
            ui,
            &params.glue_auto_release,
            setter,
            "Auto release",
            palette::ACCENT,
        )
        .on_hover_text("Program-dependent release around the release time");
        widgets::param_toggle_captioned(
            ui,
            &params.glue_auto_makeup,
            setter,
            "Auto makeup",
            palette::ACCENT,
        )
        .on_hover_text(
            "Equal-loudness makeup: switching the compressor in does not just sound louder",
        );
    });
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            let glue = params.master_settings().glue;
            let auto_makeup_db = if glue.auto_makeup {
                meters.auto_makeup_db.read()
            } else {
                0.0
            };
            let curve = CompressorSettings {
                threshold_db: glue.threshold_db,
                ratio: glue.ratio,
                knee_db: glue.knee_db,
                makeup_db: glue.makeup_db + auto_makeup_db,
                ..CompressorSettings::default()
            };
            ui.scope(|ui| {
                if !on {
                    ui.multiply_opacity(0.35);
                }
                widgets::transfer_plot(ui, egui::vec2(TRANSFER_SIZE, TRANSFER_SIZE), |input_db| {
                    curve.output_level_db(input_db)
                });
            });
            let gr_db = if on {
                meters.compressor_gr_db.read()
            } else {
                0.0
            };
            ui.horizontal(|ui| {
                ui.label("GR");
                widgets::reduction_bar(ui, gr_db, GLUE_GR_SCALE_DB, TRANSFER_SIZE - 70.0);
                ui.monospace(format!("{gr_db:4.1} dB"));
            });
            if glue.auto_makeup && on {
                ui.weak(format!("auto makeup {auto_makeup_db:+.1} dB"));
            } else {
                ui.weak(if on {
                    "transfer curve"
                } else {
                    "off (transparent)"
                });
            }
        });
        egui::Grid::new("glue")
            .num_columns(2)
            .spacing(egui::vec2(6.0, 3.0))
            .show(ui, |ui| {
                ui.label("Ratio");
                widgets::practice_slider(
                    ui,
                    &params.glue_ratio,
                    setter,
                    slider_width,
                    MasterParam::GlueRatio.spec(),
                )
                .on_hover_text(format!(
                    "Glue: {}:1 (shaded)",
                    practice_text(MasterParam::GlueRatio)
                ));
                ui.end_row();
                slider_row(
                    ui,
                    "Threshold",
                    &params.glue_threshold_db,
                    setter,
                    slider_width,
                );
                slider_row(ui, "Knee", &params.glue_knee_db, setter, slider_width);
                ui.label("Attack");
                widgets::practice_slider(
                    ui,
                    &params.glue_attack_ms,
                    setter,
                    slider_width,
                    MasterParam::GlueAttack.spec(),
                )
                .on_hover_text(format!(
                    "Bus practice {} ms (shaded): lets the transients through",
                    practice_text(MasterParam::GlueAttack)
                ));
                ui.end_row();
                ui.label("Release");
                widgets::practice_slider(
                    ui,
                    &params.glue_release_ms,
                    setter,
                    slider_width,
                    MasterParam::GlueRelease.spec(),
                )
                .on_hover_text(format!(
                    "Bus practice {} ms (shaded): breathes with the tempo",
                    practice_text(MasterParam::GlueRelease)
                ));
                ui.end_row();
                slider_row(
                    ui,
                    "SC high-pass",
                    &params.glue_sidechain_hpf_hz,
                    setter,
                    slider_width,
                );
                slider_row(ui, "Link", &params.glue_link_t, setter, slider_width);
                slider_row(ui, "Mix", &params.glue_mix_t, setter, slider_width);
                slider_row(ui, "Makeup", &params.glue_makeup_db, setter, slider_width);
            });
    });
    ui.weak(format!(
        "shaded: bus practice (attack {}, release {} ms, ratio {}:1)",
        practice_text(MasterParam::GlueAttack),
        practice_text(MasterParam::GlueRelease),
        practice_text(MasterParam::GlueRatio)
    ));
}

/// The true-peak limiter.
fn limiter(
    ui: &mut egui::Ui,
    params: &MasterBusParams,
    meters: &BusMeters,
    setter: &ParamSetter,
    slider_width: f32,
) {
    let on = params.limiter_on.value();
    ui.horizontal(|ui| {
        widgets::param_toggle_captioned(
            ui,
            &params.limiter_on,
            setter,
            "True-peak limiter",
            palette::ACCENT,
        );
        widgets::param_toggle_captioned(
            ui,
            &params.limiter_auto_release,
            setter,
            "Auto release",
            palette::ACCENT,
        )
        .on_hover_text("Program-dependent release");
    });
    egui::Grid::new("limiter")
        .num_columns(2)
        .spacing(egui::vec2(6.0, 3.0))
        .show(ui, |ui| {
            ui.label("Ceiling");
            widgets::param_combo(ui, "ceiling_preset", &params.ceiling_preset, setter);
            ui.end_row();
            let custom = params.ceiling_preset.choice() == CeilingPreset::Custom;
            ui.label("Custom");
            ui.add_enabled_ui(custom, |ui| {
                ui.add(
                    ParamSlider::for_param(&params.custom_ceiling_dbtp, setter)
                        .with_width(slider_width),
                );
            });
            ui.end_row();
            slider_row(ui, "Drive", &params.limiter_drive_db, setter, slider_width);
            slider_row(
                ui,
                "Release",
                &params.limiter_release_ms,
                setter,
                slider_width,
            );
            slider_row(
                ui,
                "Lookahead",
                &params.limiter_lookahead_ms,
                setter,
                slider_width,
            );
            slider_row(ui, "Link", &params.limiter_link_t, setter, slider_width);
        });
    let gr_db = if on { meters.limiter_gr_db.read() } else { 0.0 };
    ui.horizontal(|ui| {
        ui.label("GR");
        widgets::reduction_bar(ui, gr_db, LIMITER_GR_SCALE_DB, 150.0);
        ui.monospace(format!("{gr_db:4.1} dB"));
    });
    let ceiling = params.ceiling_dbtp();
    if on {
        ui.weak(format!("true peak held at ≤ {ceiling:.1} dBTP"));
    } else {
        ui.weak("off: delay-matched, latency kept");
    }
    let rate_hz = meters.sample_rate_hz.read();
    let lookahead_ms = params.limiter_lookahead_ms.value();
    if rate_hz > 0.0 {
        let latency = meters.latency_samples.read();
        ui.weak(format!(
            "lookahead {:.0} samples ({lookahead_ms:.1} ms)",
            f64::from(lookahead_ms) * f64::from(rate_hz) / 1000.0,
        ));
        ui.weak(format!(
            "bus latency {latency:.0} samples ({:.2} ms)",
            1000.0 * latency / rate_hz,
        ));
    }
    ui.weak("fix the lookahead once per session");
}

/// A label and a parameter slider in a two-column grid.
fn slider_row<P: Param>(
    ui: &mut egui::Ui,
    label: &str,
    param: &P,
    setter: &ParamSetter,
    width: f32,
) {
    ui.label(label);
    ui.add(ParamSlider::for_param(param, setter).with_width(width));
    ui.end_row();
}
