//! The loudness panel: big integrated / true-peak / LRA readouts coloured against the
//! selected delivery target, the other EBU R128 readings, the target selector, the limiting
//! the target needs, and what every platform's normalization does to this master.

use super::{fmt_level, DIM};
use crate::meters::BusMeters;
use crate::params::{MasterBusParams, LIMITING_ADVICE_DB};
use egui::Color32;
use nice_plug::prelude::*;
use plugin_common::param_kit::ChoiceValue;
use plugin_common::widgets::{self, palette};
use shared_dsp::targets::{DeliveryTarget, Normalization, TARGETS};

/// A streaming master within this many LU of the target reads as on target.
const STREAMING_TOLERANCE_LU: f32 = 1.0;
/// A delivery specification's tolerance (EBU R128: ±0.5 LU for file-based programmes).
const DELIVERY_TOLERANCE_LU: f32 = 0.5;
/// Below this loudness range a music master reads as squashed (display hint only).
const MUSIC_MIN_LRA_LU: f32 = 3.0;
/// Above this loudness range a broadcast programme is hard to follow on small speakers
/// (display hint only; EBU Tech 3343's guidance for most programme types).
const BROADCAST_MAX_LRA_LU: f32 = 20.0;

/// Height of the target list, points (every target without scrolling).
const TARGET_LIST_HEIGHT: f32 = 400.0;
/// The platform table shows each one's normalization policy from this width on.
const POLICY_MIN_WIDTH: f32 = 365.0;

/// Draws the panel.
pub fn show(ui: &mut egui::Ui, params: &MasterBusParams, meters: &BusMeters, setter: &ParamSetter) {
    let master = &meters.readings.master;
    let target = params.delivery_target();
    let integrated = master.integrated_lufs.read();
    let max_tp = master.max_true_peak_dbtp.read();
    let lra = master.lra_lu.read();

    ui.horizontal(|ui| {
        super::section_title(ui, "Loudness");
        ui.weak("EBU R128 of the processed master");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button("Reset")
                .on_hover_text("Restart integrated loudness, LRA, maxima and the histories")
                .clicked()
            {
                meters.request_reset();
            }
        });
    });
    ui.horizontal(|ui| {
        ui.label("Target");
        widgets::param_combo_tall(ui, "target", &params.target, setter, TARGET_LIST_HEIGHT);
        ui.weak(format!(
            "{:.0} LUFS · TP ≤ {:.1} dBTP",
            target.integrated_lufs, target.true_peak_dbtp
        ))
        .on_hover_text(target.name);
    });
    if params.target.choice() == "custom" {
        egui::Grid::new("custom_target")
            .num_columns(2)
            .show(ui, |ui| {
                widgets::labelled_slider(ui, "Loudness", &params.custom_target_lufs, setter);
                widgets::labelled_slider(ui, "True peak", &params.custom_target_dbtp, setter);
            });
    }

    ui.horizontal(|ui| {
        widgets::big_readout(
            ui,
            "Integrated",
            &fmt_level(integrated),
            "LUFS",
            integrated_color(&target, integrated),
        );
        ui.add_space(10.0);
        let tp_color = if !max_tp.is_finite() {
            DIM
        } else if target.true_peak_ok(max_tp) {
            palette::OK
        } else {
            palette::BAD
        };
        widgets::big_readout(ui, "True peak max", &fmt_level(max_tp), "dBTP", tp_color);
        ui.add_space(10.0);
        widgets::big_readout(
            ui,
            "LRA",
            &fmt_lra(integrated, lra),
            "LU",
            lra_color(&target, integrated, lra),
        );
    });

    egui::Grid::new("loudness_small")
        .num_columns(4)
        .spacing(egui::vec2(10.0, 2.0))
        .show(ui, |ui| {
            small_pair(ui, "Momentary", master.momentary_lufs.read(), "LUFS");
            small_pair(ui, "Max M", master.max_momentary_lufs.read(), "LUFS");
            ui.end_row();
            small_pair(ui, "Short-term", master.short_term_lufs.read(), "LUFS");
            small_pair(ui, "Max S", master.max_short_term_lufs.read(), "LUFS");
            ui.end_row();
            small_pair(
                ui,
                "Sample peak",
                master.max_sample_peak_dbfs.read(),
                "dBFS",
            );
            small_pair(ui, "PLR", master.plr_lu.read(), "LU");
            ui.end_row();
        });

    target_lines(ui, &target, integrated, max_tp);
    limiting_needed(ui, &target, meters);
    if target.dialogue_gated {
        ui.colored_label(
            palette::WARN,
            "Netflix measures dialogue-gated loudness; this meter measures the full programme. \
             For the gated figure run `stemwise render` with the dialogue stem.",
        );
    }
    ui.add_space(4.0);
    platform_table(ui, &target, integrated, max_tp);
}

/// Distance to the target, the gain its normalization applies and the true-peak headroom.
fn target_lines(ui: &mut egui::Ui, target: &DeliveryTarget, integrated: f32, max_tp: f32) {
    if !integrated.is_finite() {
        ui.weak("Play the master to measure it against the target.");
        return;
    }
    let distance = target.distance_lu(integrated);
    let gain = target.normalization_gain_db(integrated, max_tp);
    ui.horizontal_wrapped(|ui| {
        ui.label("Distance to target");
        ui.colored_label(
            integrated_color(target, integrated),
            format!("{distance:+.1} LU"),
        );
        ui.label("·");
        let verb = match target.normalization {
            Normalization::Delivery => "needs",
            _ => "plays it at",
        };
        ui.label(format!("{} {verb} {gain:+.1} dB", short_name(target)));
    });
    if max_tp.is_finite() {
        let headroom = target.true_peak_dbtp - max_tp;
        if target.true_peak_ok(max_tp) {
            ui.colored_label(
                palette::OK,
                format!("True-peak headroom met ({headroom:.1} dB to spare)"),
            );
        } else {
            ui.colored_label(
                palette::BAD,
                format!("True peak {:.1} dB over the target's ceiling", -headroom),
            );
        }
    }
}

/// The limiting the target needs (see [`BusMeters::limiting_needed_db`]), with the
/// stem-balance advice beyond [`LIMITING_ADVICE_DB`].
fn limiting_needed(ui: &mut egui::Ui, target: &DeliveryTarget, meters: &BusMeters) {
    let needed = meters.limiting_needed_db(target);
    ui.horizontal(|ui| {
        ui.label("Limiting needed to reach the target");
        match needed {
            Some(needed) => {
                let color = if needed > LIMITING_ADVICE_DB { palette::WARN } else { palette::OK };
                ui.colored_label(color, egui::RichText::new(format!("{needed:.1} dB")).strong());
            }
            None => {
                ui.colored_label(DIM, "—");
            }
        }
    })
    .response
    .on_hover_text("The material's peak-to-loudness ratio (the master's PLR plus the deepest limiting so far) minus the target's (true-peak ceiling − loudness)");
    if needed.is_some_and(|n| n > LIMITING_ADVICE_DB) {
        ui.colored_label(
            palette::WARN,
            "Better stem balance would need less limiting (balanced stems usually need only 1–2 dB).",
        );
    }
}

/// Every built-in platform with the gain its normalization applies to this master.
fn platform_table(ui: &mut egui::Ui, selected: &DeliveryTarget, integrated: f32, max_tp: f32) {
    let with_policy = ui.available_width() >= POLICY_MIN_WIDTH;
    let shown = egui::CollapsingHeader::new("Every platform's gain on this master")
        .id_salt("platforms")
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("platforms_grid")
                .num_columns(if with_policy { 5 } else { 4 })
                .spacing(egui::vec2(10.0, 1.0))
                .striped(true)
                .show(ui, |ui| {
                    ui.weak("Platform");
                    ui.weak("Target");
                    ui.weak("Gain");
                    ui.weak("TP");
                    if with_policy {
                        ui.weak("Policy");
                    }
                    ui.end_row();
                    for target in &TARGETS {
                        let name = egui::RichText::new(short_name(target));
                        if target.id == selected.id {
                            ui.label(name.strong().color(palette::ACCENT));
                        } else {
                            ui.label(name);
                        }
                        ui.monospace(format!("{:.0} LUFS", target.integrated_lufs));
                        if integrated.is_finite() {
                            let gain = target.normalization_gain_db(integrated, max_tp);
                            let color = if gain.abs() < 0.05 {
                                DIM
                            } else {
                                Color32::from_gray(220)
                            };
                            ui.colored_label(
                                color,
                                egui::RichText::new(format!("{gain:+.1} dB")).monospace(),
                            );
                        } else {
                            ui.colored_label(DIM, "—");
                        }
                        if max_tp.is_finite() {
                            if target.true_peak_ok(max_tp) {
                                ui.colored_label(palette::OK, "ok");
                            } else {
                                ui.colored_label(palette::BAD, "over");
                            }
                        } else {
                            ui.colored_label(DIM, "—");
                        }
                        if with_policy {
                            ui.colored_label(DIM, policy(target.normalization));
                        }
                        ui.end_row();
                    }
                });
        });
    shown.header_response.on_hover_text(
        "Streaming: the gain playback applies. Broadcast: the gain delivery requires.",
    );
}

/// How a target treats a master at another loudness, in two words.
fn policy(normalization: Normalization) -> &'static str {
    match normalization {
        Normalization::UpToPeakHeadroom => "up to TP",
        Normalization::DownOnly => "down only",
        Normalization::Delivery => "spec",
    }
}

/// The target's name without its parenthesised note.
fn short_name(target: &DeliveryTarget) -> &'static str {
    target.name.split(" (").next().unwrap_or(target.name)
}

/// The integrated readout's colour: green within the tolerance, amber outside it (a
/// streaming platform normalizes; a delivery spec within 1 LU), red for a delivery
/// specification missed by more.
fn integrated_color(target: &DeliveryTarget, integrated: f32) -> Color32 {
    if !integrated.is_finite() {
        return DIM;
    }
    let off = target.distance_lu(integrated).abs();
    match target.normalization {
        Normalization::Delivery if off <= DELIVERY_TOLERANCE_LU => palette::OK,
        Normalization::Delivery if off <= 2.0 * DELIVERY_TOLERANCE_LU => palette::WARN,
        Normalization::Delivery => palette::BAD,
        _ if off <= STREAMING_TOLERANCE_LU => palette::OK,
        _ => palette::WARN,
    }
}

/// LRA, undefined until the integrated loudness is.
fn fmt_lra(integrated: f32, lra: f32) -> String {
    if integrated.is_finite() {
        format!("{lra:.1}")
    } else {
        "—".to_owned()
    }
}

/// The LRA's colour: amber for a squashed music master or a broadcast programme too wide to
/// follow, green otherwise.
fn lra_color(target: &DeliveryTarget, integrated: f32, lra: f32) -> Color32 {
    if !integrated.is_finite() {
        return DIM;
    }
    let broadcast =
        target.normalization == Normalization::Delivery && target.integrated_lufs < -20.0;
    if (broadcast && lra > BROADCAST_MAX_LRA_LU) || (!broadcast && lra < MUSIC_MIN_LRA_LU) {
        palette::WARN
    } else {
        palette::OK
    }
}

/// A caption and a reading with its unit in two grid cells.
fn small_pair(ui: &mut egui::Ui, caption: &str, value: f32, unit: &str) {
    ui.colored_label(DIM, caption);
    ui.monospace(format!("{:>6} {unit}", fmt_level(value)));
}

#[cfg(test)]
mod tests {
    use super::super::fmt_signed;
    use super::*;
    use shared_dsp::targets::target_by_id;

    #[test]
    fn names_drop_the_note() {
        assert_eq!(short_name(target_by_id("netflix").unwrap()), "Netflix");
        assert_eq!(short_name(target_by_id("spotify").unwrap()), "Spotify");
    }

    #[test]
    fn signed_format_marks_undefined() {
        assert_eq!(fmt_signed(f32::NEG_INFINITY), "—");
        assert_eq!(fmt_signed(1.26), "+1.3");
    }
}
