//! The live null test: the stems' sum (main input, before the master processing) against the
//! approved stereo mix on the reference (sidechain) input. Verdict, alignment, residuals, the
//! sum's level, and the likely cause in words with what to do about it.

use super::{fmt_level, fmt_signed, DIM};
use crate::meters::{verdict_code, BusMeters};
use egui::{Color32, RichText};
use plugin_common::widgets::palette;
use shared_dsp::null_test::{Cause, LiveDiagnosis, LiveSubject, Processing};
use std::sync::atomic::Ordering;

/// Residual peak at or below this passes, dBFS (shown in the legend; the analyzer decides).
const PASS_DBFS: f32 = -60.0;
/// Residual peak above this fails, dBFS.
const FAIL_DBFS: f32 = -40.0;

/// Draws the panel.
pub fn show(ui: &mut egui::Ui, meters: &BusMeters) {
    let null = &meters.readings.null;
    let reference_seen = null.reference_seen.load(Ordering::Relaxed);
    let locked = null.locked.load(Ordering::Relaxed);
    let code = null.verdict.load(Ordering::Relaxed);
    let rate_hz = meters.sample_rate_hz.read();

    ui.horizontal(|ui| {
        super::section_title(ui, "Null test");
        ui.weak(format!(
            "pass ≤ {PASS_DBFS:.0} · fail > {FAIL_DBFS:.0} dBFS residual peak"
        ))
        .on_hover_text("The stems' sum (main input) against the approved mix (reference input), before the master processing");
    });
    let (verdict, color) = match code {
        verdict_code::PASS => ("PASS", palette::OK),
        verdict_code::WARN => ("WARN", palette::WARN),
        verdict_code::FAIL => ("FAIL", palette::BAD),
        _ => ("—", DIM),
    };
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(verdict)
                .font(egui::FontId::proportional(26.0))
                .strong()
                .color(color),
        );
        ui.add_space(8.0);
        ui.vertical(|ui| {
            if !reference_seen {
                ui.colored_label(
                    palette::WARN,
                    "Connect the approved stereo mix to the reference (sidechain) input",
                );
            } else if !locked {
                ui.colored_label(palette::ACCENT, "Searching alignment… (±1 s)");
            } else {
                let offset = null.offset_samples.load(Ordering::Relaxed);
                let ms = if rate_hz > 0.0 {
                    format!(" ({:+.2} ms)", 1000.0 * offset as f32 / rate_hz)
                } else {
                    String::new()
                };
                ui.label(format!("Locked: sum offset {offset:+} samples{ms}"));
            }
        });
    });
    if !(reference_seen && locked) {
        return;
    }

    egui::Grid::new("null_grid")
        .num_columns(3)
        .spacing(egui::vec2(12.0, 2.0))
        .show(ui, |ui| {
            ui.label("");
            ui.weak("RMS");
            ui.weak("Peak");
            ui.end_row();
            residual_row(
                ui,
                "Residual (whole song)",
                null.residual_rms_dbfs.read(),
                null.residual_peak_dbfs.read(),
            );
            residual_row(
                ui,
                "Residual (last second)",
                null.live_residual_rms_dbfs.read(),
                null.live_residual_peak_dbfs.read(),
            );
        });
    let diff_db = null.sum_level_diff_db.read();
    if null.sum_within_tolerance.load(Ordering::Relaxed) {
        ui.colored_label(
            palette::OK,
            format!(
                "Sum level {} dB vs the mix: within ±0.1 dB",
                fmt_signed(diff_db)
            ),
        );
    } else {
        ui.colored_label(
            palette::WARN,
            format!(
                "Sum level {} dB vs the mix: outside ±0.1 dB",
                fmt_signed(diff_db)
            ),
        );
    }
    if let Some(diagnosis) = null.diagnosis() {
        ui.add_space(2.0);
        ui.label(RichText::new(format!("Likely cause — {diagnosis}")).color(color));
        ui.label(advice(&diagnosis, rate_hz));
    } else if code == verdict_code::PASS {
        ui.colored_label(palette::OK, "The stems sum to the approved mix.");
    }
}

/// A residual row: RMS and peak, coloured against the verdict limits.
fn residual_row(ui: &mut egui::Ui, caption: &str, rms_dbfs: f32, peak_dbfs: f32) {
    ui.label(caption);
    ui.monospace(format!("{:>6} dBFS", fmt_level(rms_dbfs)));
    ui.colored_label(
        level_color(peak_dbfs),
        RichText::new(format!("{:>6} dBFS", fmt_level(peak_dbfs))).monospace(),
    );
    ui.end_row();
}

/// Green at or below the pass limit, red above the fail limit, amber between.
fn level_color(dbfs: f32) -> Color32 {
    if !dbfs.is_finite() || dbfs <= PASS_DBFS {
        palette::OK
    } else if dbfs > FAIL_DBFS {
        palette::BAD
    } else {
        palette::WARN
    }
}

/// What to do about a diagnosed cause, in words.
fn advice(diagnosis: &LiveDiagnosis, rate_hz: f32) -> String {
    let whole = diagnosis.subject == LiveSubject::WholeSum;
    match diagnosis.cause {
        Cause::Inverted if whole => {
            "The whole sum is inverted: check the polarity of the reference or the bus routing."
                .to_owned()
        }
        Cause::Inverted => match diagnosis.channel {
            Some(channel) => format!(
                "One channel ({}) of one stem is polarity-inverted: check that stem's Ø {} switch and its export.",
                if channel == 0 { "left" } else { "right" },
                if channel == 0 { "L" } else { "R" },
            ),
            None => "One stem is polarity-inverted: check the polarity switches (Stem Strip Ø L/R) and the stem's export."
                .to_owned(),
        },
        Cause::Offset { samples } => {
            let ms = if rate_hz > 0.0 {
                format!(" ({:.2} ms)", 1000.0 * samples.unsigned_abs() as f32 / rate_hz)
            } else {
                String::new()
            };
            let (n, when) = (samples.unsigned_abs(), if samples >= 0 { "late" } else { "early" });
            format!(
                "A stem starts {n} samples{ms} {when}: re-export it from the session start, or nudge it by {} samples.",
                -samples
            )
        }
        Cause::Gained { db } if whole => format!(
            "The whole sum is {db:+.2} dB against the mix: trim the input gain by {:+.2} dB or check the export levels.",
            -db
        ),
        Cause::Gained { db } => format!(
            "One stem is {db:+.2} dB off: trim it (Stem Strip trim) by {:+.2} dB.",
            -db
        ),
        Cause::MasterProcessing if diagnosis.processing == Some(Processing::Equalizer) => format!(
            "An EQ left on the reference's mix bus (up to {:+.1} dB): bounce the reference with the mix-bus processing off.",
            diagnosis.deviation_db.unwrap_or(0.0)
        ),
        Cause::MasterProcessing => {
            "Processing left on the reference's mix bus (limiter, compressor or clipper): bounce the reference with the mix-bus processing off."
                .to_owned()
        }
        Cause::Resampled => {
            let corner = diagnosis.corner_hz.map_or(String::new(), |hz| {
                format!(" above {:.1} kHz", hz / 1000.0)
            });
            format!(
                "A stem went through a sample-rate conversion (its top band{corner} is missing): re-export it at the session rate ({:.0} Hz) without resampling.",
                rate_hz
            )
        }
        Cause::Missing => {
            "A stem is missing from the sum (or silent): check every stem is routed to this bus."
                .to_owned()
        }
        Cause::Unexplained if diagnosis.processing == Some(Processing::Equalizer) => format!(
            "One stem is filtered (up to {:+.1} dB) against the mix: bypass the EQ on that stem (or re-export it without).",
            diagnosis.deviation_db.unwrap_or(0.0)
        ),
        Cause::Unexplained if diagnosis.subject == LiveSubject::OneStem => {
            "The sum holds material the reference lacks (a stem that is not in the mix): mute stems one by one to find it."
                .to_owned()
        }
        Cause::Unexplained => {
            "Unexplained residual: solo the stems one by one against the reference to find it."
                .to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnosis(cause: Cause, subject: LiveSubject) -> LiveDiagnosis {
        LiveDiagnosis::plain(cause, subject, 0.9)
    }

    #[test]
    fn advice_names_the_fix() {
        let late = advice(
            &diagnosis(Cause::Offset { samples: 48 }, LiveSubject::OneStem),
            48_000.0,
        );
        assert!(late.contains("48 samples (1.00 ms) late"), "{late}");
        let flipped = advice(&diagnosis(Cause::Inverted, LiveSubject::OneStem), 48_000.0);
        assert!(flipped.contains("polarity"), "{flipped}");
        let gained = advice(
            &diagnosis(Cause::Gained { db: 0.5 }, LiveSubject::OneStem),
            48_000.0,
        );
        assert!(gained.contains("by -0.50 dB"), "{gained}");
        let bus = advice(
            &diagnosis(Cause::MasterProcessing, LiveSubject::Reference),
            48_000.0,
        );
        assert!(bus.contains("mix bus"), "{bus}");
        let src = advice(
            &LiveDiagnosis {
                corner_hz: Some(20_000.0),
                ..diagnosis(Cause::Resampled, LiveSubject::OneStem)
            },
            48_000.0,
        );
        assert!(src.contains("sample-rate conversion"), "{src}");
        assert!(
            src.contains("above 20.0 kHz") && src.contains("48000 Hz"),
            "{src}"
        );
        let channel = advice(
            &LiveDiagnosis {
                channel: Some(1),
                ..diagnosis(Cause::Inverted, LiveSubject::OneStem)
            },
            48_000.0,
        );
        assert!(channel.contains("Ø R"), "{channel}");
        let eq = advice(
            &LiveDiagnosis {
                processing: Some(Processing::Equalizer),
                deviation_db: Some(2.0),
                ..diagnosis(Cause::MasterProcessing, LiveSubject::Reference)
            },
            48_000.0,
        );
        assert!(eq.contains("EQ") && eq.contains("+2.0 dB"), "{eq}");
        let extra = advice(
            &diagnosis(Cause::Unexplained, LiveSubject::OneStem),
            48_000.0,
        );
        assert!(extra.contains("not in the mix"), "{extra}");
    }

    #[test]
    fn residual_colours_follow_the_limits() {
        assert_eq!(level_color(-70.0), palette::OK);
        assert_eq!(level_color(-50.0), palette::WARN);
        assert_eq!(level_color(-30.0), palette::BAD);
    }
}
