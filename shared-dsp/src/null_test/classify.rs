//! From the fitted model to findings: per stem (missing, offset, polarity of the stem or of
//! one channel, resampled with its corner, filtered, gain), factored into whole-delivery
//! findings when every stem in the mix shares them, and the residual the linear model leaves
//! (dynamics on the mix bus, or material missing from the delivery).
//!
//! A stem is named resampled by any of: its transfer function's top-band shape (flat to a
//! corner in the top three quarters of the band, then off by 3 dB or more), its top band lost
//! (the model's residual concentrated above a corner where the stem's spectrum falls off a
//! cliff; or the same shape read on the errors-in-variables level brackets, see `transfer.rs`),
//! the residual's envelope following that stem's alone (aliasing), or a significant
//! fraction-of-a-sample delay with nothing else unexplained (a stem with no top band to lose).
//! The thresholds are documented where they are defined, with the values the breakage matrix
//! (`tests/null_matrix.rs`) shows on either side of them.

use super::delivery::Delivery;
use super::report::{Cause, Diagnosis, NullReport, Processing};
use super::spectral::{SegmentStats, TransferModel};
use super::transfer::{Reading, SIGNIFICANCE};
use super::NullSettings;

/// A stem whose low-frequency gain in the reference is below this (−10.5 dB; the faults the
/// analysis names stay within ±6 dB) is not in the mix.
const MISSING_MAX_GAIN: f64 = 0.3;
/// A shape deviating from flat by more than this is a filter, in dB.
const FILTER_MIN_DB: f64 = 0.5;
/// Every stem's band level within this of the common shape makes it a mix-bus EQ, in dB.
const COMMON_SHAPE_TOLERANCE_DB: f64 = 1.0;
/// Share of the model's residual that a gain changing frame by frame must explain for gain
/// riding on the mix bus (compressor, limiter: 0.65–0.8 on the matrix; a stem left out of
/// the delivery, 0.25 at most), as long as that gain falls rather than rises with level.
const GAIN_RIDING_MIN_SHARE: f64 = 0.5;
/// Correlation of the frame gain with the programme level (dB) at or below which the residual
/// is level-dependent distortion (a clipper: −0.77 on the matrix; a stem left out, −0.45 at
/// most) ...
const CLIPPING_MAX_LEVEL_CORRELATION: f64 = -0.6;
/// ... provided the frame gain explains at least this share of it.
const CLIPPING_MIN_SHARE: f64 = 0.05;
/// Fraction of the frames (the highest peaks of the fitted programme) the peak concentration
/// looks at.
const LOUDEST_FRAMES_SHARE: f64 = 0.05;
/// The residual's share of energy in those frames over the programme's share there at or above
/// which the residual is the programme's peaks (when in anti-phase with it).
const PEAK_CONCENTRATION: f64 = 3.0;
/// Share of the residual energy in those frames that must lower the programme (negative
/// `Σ e·y` in its frame) for the residual to be the programme's peaks taken off.
const PEAK_MIN_LOWERED_SHARE: f64 = 0.9;
/// Residual-weighted correlation of residual and programme within frames at or below which
/// the residual is the programme's peaks taken off (sparse clipping).
const PEAKS_MAX_CORRELATION: f64 = -0.5;
/// The same correlation's bound when the residual is concentrated in the loudest frames: still
/// in anti-phase overall (a hard clipper at 70 % of the peak: −0.31; a stem's lost top band,
/// which also sits in its loud frames: ≥ 0).
const PEAKS_CONCENTRATED_MAX_CORRELATION: f64 = -0.1;
/// The model's residual counts when it holds at least this share of the delivery's residual
/// energy...
const RESIDUAL_MIN_SHARE: f64 = 0.1;
/// ...and its RMS is above `pass_dbfs` minus this (peaks sit ~10 dB above the RMS), in dB.
const RESIDUAL_RMS_MARGIN_DB: f64 = 12.0;
/// A stem's lag off the whole samples by more than this (and its error) is fractional.
const FRACTIONAL_LAG_MIN_SAMPLES: f64 = 0.05;
/// Correlation of the residual's frame envelope with one stem's above which the residual is
/// that stem's own (nonlinear) error (a resampler's aliasing: 0.77 where the other stems
/// reach 0.37) ...
const ENVELOPE_MIN_CORRELATION: f64 = 0.6;
/// ... by at least this margin over the next stem.
const ENVELOPE_MIN_MARGIN: f64 = 0.3;
/// Largest fit-round lag change read as a bus EQ's group delay rather than an offset, samples.
const BUS_EQ_MAX_GROUP_DELAY_SAMPLES: isize = 2;
/// Share of the model's residual energy above the corner for a lost top band.
const TOP_BAND_RESIDUAL_SHARE: f64 = 0.9;
/// The residual's share of the reference above the corner must exceed its share below by
/// this factor.
const TOP_BAND_CONCENTRATION: f64 = 10.0;
/// The lost top band lies above this fraction of the Nyquist frequency.
const TOP_BAND_MIN_NYQUIST_SHARE: f64 = 0.2;
/// A stem holds at least this share of the reference's power just below the corner to have
/// lost anything above it.
const TOP_BAND_MIN_STEM_SHARE: f64 = 0.001;
/// The stem that lost it drops across the corner by this much more than the reference, dB.
const TOP_BAND_MIN_DROP_DB: f64 = 10.0;
/// Segments quieter than this relative to the loudest one are left out of the level
/// correlation, in dB.
const ACTIVE_SEGMENT_DB: f64 = -60.0;

/// The stem's lag left in its transfer functions, rounded: the weight-averaged lag of the
/// channels where the stem is in the mix.
pub(crate) fn stem_lag(readings: &[Vec<Reading>], i: usize) -> isize {
    let (mut sum, mut weight) = (0.0f64, 0.0f64);
    for channel in readings {
        let r = &channel[i];
        if r.gain.abs() >= MISSING_MAX_GAIN {
            sum += r.weight * r.lag_samples;
            weight += r.weight;
        }
    }
    if weight > 0.0 {
        (sum / weight).round() as isize
    } else {
        0
    }
}

/// True when stem `i` is in the mix on some channel (its low-frequency gain at least
/// [`MISSING_MAX_GAIN`]).
pub(crate) fn stem_in_mix(readings: &[Vec<Reading>], i: usize) -> bool {
    readings
        .iter()
        .any(|channel| channel[i].gain.abs() >= MISSING_MAX_GAIN)
}

/// True when what `model` leaves is loud enough to matter: its RMS (from the fit's residual
/// spectra) within [`RESIDUAL_RMS_MARGIN_DB`] of the pass limit or above, with the reference
/// at `reference_rms_dbfs`.
pub(crate) fn model_audible(
    model: &TransferModel,
    reference_rms_dbfs: f64,
    settings: &NullSettings,
) -> bool {
    let residual: f64 = model.residual_power.iter().flatten().sum();
    let reference: f64 = model.reference_power.iter().flatten().sum();
    let model_rel_db = 10.0 * (residual.max(1e-300) / reference.max(1e-300)).log10();
    reference_rms_dbfs + model_rel_db > settings.pass_dbfs - RESIDUAL_RMS_MARGIN_DB
}

/// What the whole delivery shares, for its figures.
pub(crate) struct Findings {
    /// Offset every stem shares (or most stems, when they differ), in samples.
    pub offset_samples: isize,
    /// −1 when every stem in the mix is inverted, else +1.
    pub polarity: f64,
}

/// One stem's summary over its channels.
struct Stem {
    /// Index in the delivery.
    index: usize,
    /// Polarity of each channel relative to the reference (delivery polarity included).
    signs: Vec<f64>,
    /// Level error, dB (positive = louder than in the mix).
    gain_db: f64,
    /// Standard error of `gain_db`, dB.
    gain_error_db: f64,
    /// Level error read as errors-in-variables (see [`Reading::gain_upper`]), dB.
    gain_upper_db: f64,
    /// Absolute shift, samples.
    shift: isize,
    /// Channel with the most weight.
    main: usize,
}

/// Everything the classification reads.
pub(crate) struct Classifier<'a> {
    /// Readings per channel and stem.
    pub readings: &'a [Vec<Reading>],
    /// The fitted model (for the spectra of what it leaves).
    pub model: &'a TransferModel,
    /// Width of a bin of the model, Hz.
    pub bin_hz: f64,
    /// The delivery as finally aligned.
    pub delivery: &'a Delivery<'a>,
    /// What the linear model leaves, per segment.
    pub segment_stats: &'a SegmentStats,
    /// Analysis settings.
    pub settings: &'a NullSettings,
    /// Offset of the whole-delivery lock, samples.
    pub lock_offset_samples: isize,
    /// Each stem's shift as the correlation alignment found it, before the fit rounds.
    pub align_shifts: &'a [isize],
}

impl Classifier<'_> {
    /// Pushes the findings into `report` and returns what the whole delivery shares.
    pub fn classify(&self, report: &mut NullReport) -> Findings {
        let num_stems = self.delivery.stems.len();
        let mut present = Vec::new();
        let mut silent_stem = false;
        for i in 0..num_stems {
            let gains: Vec<f64> = self.readings.iter().map(|c| c[i].gain).collect();
            let largest = gains.iter().fold(0.0f64, |m, g| m.max(g.abs()));
            report.stem_weights[i] =
                self.delivery.polarity * gains.iter().sum::<f64>() / gains.len().max(1) as f64;
            let silent = self.delivery.is_silent(i);
            silent_stem |= silent;
            if silent || largest < MISSING_MAX_GAIN {
                report.push(Some(i), Cause::Missing, 1.0 - largest / MISSING_MAX_GAIN);
                continue;
            }
            let (mut db, mut weight, mut variance, mut upper_db) = (0.0, 0.0, 0.0, 0.0);
            for c in self.readings {
                if c[i].gain.abs() >= MISSING_MAX_GAIN {
                    db -= c[i].weight * 20.0 * c[i].gain.abs().log10();
                    upper_db -= c[i].weight * 20.0 * c[i].gain_upper.abs().max(1e-12).log10();
                    let error_db =
                        20.0 / std::f64::consts::LN_10 * c[i].gain_error / c[i].gain.abs();
                    variance += (c[i].weight * error_db).powi(2);
                    weight += c[i].weight;
                }
            }
            let main = (0..self.readings.len())
                .max_by(|&a, &b| {
                    self.readings[a][i]
                        .weight
                        .total_cmp(&self.readings[b][i].weight)
                })
                .unwrap_or(0);
            present.push(Stem {
                index: i,
                signs: gains
                    .iter()
                    .map(|g| {
                        if *g < 0.0 {
                            -self.delivery.polarity
                        } else {
                            self.delivery.polarity
                        }
                    })
                    .collect(),
                gain_db: db / weight.max(1e-300),
                gain_error_db: variance.sqrt() / weight.max(1e-300),
                gain_upper_db: upper_db / weight.max(1e-300),
                shift: self.delivery.shifts_samples[i],
                main,
            });
        }
        if present.is_empty() {
            return Findings {
                offset_samples: self.lock_offset_samples,
                polarity: self.delivery.polarity,
            };
        };
        let explained = self.explained_share(report);
        // An EQ on the mix bus delays each stem by its group delay where the stem has its
        // energy: that is no offset, so such a stem keeps the lag its correlation found.
        let bus_eq = self.common_shape(&present);
        // Likewise when the model leaves audible material: what a stem's fit absorbs of it
        // can tilt its phase by a sample.
        if bus_eq.is_some() || self.residual_counts(report) {
            for s in present.iter_mut() {
                let aligned = self.align_shifts[s.index];
                if (s.shift - aligned).abs() <= BUS_EQ_MAX_GROUP_DELAY_SAMPLES {
                    s.shift = aligned;
                }
            }
        }
        let first = &present[0];

        // Offsets: the delivery's only when every stem shares it.
        let offset_samples = if present.iter().all(|s| s.shift == first.shift) {
            if first.shift != 0 {
                report.push(
                    None,
                    Cause::Offset {
                        samples: first.shift,
                    },
                    explained,
                );
            }
            first.shift
        } else {
            for s in present.iter().filter(|s| s.shift != 0) {
                report.push(Some(s.index), Cause::Offset { samples: s.shift }, explained);
            }
            mode(present.iter().map(|s| s.shift))
        };

        // Polarity: of the delivery, of a stem, or of one channel of a stem.
        let all_inverted = present.iter().all(|s| s.signs.iter().all(|&g| g < 0.0));
        if all_inverted {
            report.push(None, Cause::Inverted, explained);
        } else {
            for s in &present {
                let inverted: Vec<usize> =
                    (0..s.signs.len()).filter(|&c| s.signs[c] < 0.0).collect();
                if inverted.len() == s.signs.len() {
                    report.push(Some(s.index), Cause::Inverted, explained);
                } else {
                    for &channel in &inverted {
                        report.push_diagnosis(Diagnosis {
                            channel: Some(channel),
                            ..Diagnosis::plain(Some(s.index), Cause::Inverted, explained)
                        });
                    }
                }
            }
        }
        let findings = Findings {
            offset_samples,
            polarity: if all_inverted { -1.0 } else { 1.0 },
        };

        if let Some(confidence) = self.dynamics(report) {
            report.push_diagnosis(Diagnosis {
                processing: Some(Processing::Dynamics),
                ..Diagnosis::plain(None, Cause::MasterProcessing, confidence)
            });
            return findings;
        }
        if let Some(deviation_db) = bus_eq {
            report.push_diagnosis(Diagnosis {
                processing: Some(Processing::Equalizer),
                deviation_db: Some(deviation_db),
                ..Diagnosis::plain(None, Cause::MasterProcessing, explained)
            });
            return findings;
        }
        let lost_top = self.top_band_loss(report, &present);
        let mut nonlinear_stem = false;
        let mut resampled = Vec::new();
        let explained_fully = !self.residual_counts(report);
        for s in &present {
            let r = &self.readings[s.main][s.index];
            let lost = lost_top
                .iter()
                .find(|&&(i, _)| i == s.index)
                .map(|&(_, c)| c);
            // A whole-sample offset is an export error; a significant fraction of a sample,
            // with nothing else the linear model cannot explain, is what a sample-rate
            // conversion's filter leaves on a stem with no top band to lose.
            let fraction = r.lag_samples - r.lag_samples.round();
            let fractional = explained_fully
                && fraction.abs() > FRACTIONAL_LAG_MIN_SAMPLES.max(SIGNIFICANCE * r.lag_error);
            if r.resample_like || lost.is_some() || fractional {
                nonlinear_stem = true;
                resampled.push(s.index);
                report.push_diagnosis(Diagnosis {
                    corner_hz: if r.resample_like { r.corner_hz } else { lost },
                    ..Diagnosis::plain(Some(s.index), Cause::Resampled, explained)
                });
            }
        }
        // What the model leaves follows one stem's envelope closely: that stem's own nonlinear
        // error (a resampler's aliasing), if its transfer function shows it was touched.
        if !nonlinear_stem && self.residual_counts(report) {
            if let Some(i) = self.envelope_match(&present) {
                let r =
                    &self.readings[present.iter().find(|s| s.index == i).map_or(0, |s| s.main)][i];
                let nyquist_hz =
                    0.5 * self.bin_hz * (self.model.residual_power[0].len() - 1) as f64;
                if r.deviation_db.abs() > FILTER_MIN_DB || r.corner_hz.is_some() {
                    nonlinear_stem = true;
                    resampled.push(i);
                    report.push_diagnosis(Diagnosis {
                        corner_hz: r.corner_hz.filter(|&c| c >= 0.25 * nyquist_hz),
                        ..Diagnosis::plain(Some(i), Cause::Resampled, explained)
                    });
                }
            }
        }
        // What the model leaves is missing material, unless a stem's own nonlinear fault
        // (a resampler's aliasing) or a silent stem (its material is the missing part)
        // accounts for it. With material missing, what the other stems' fits absorb of it is
        // not read as their filtering.
        let missing = !nonlinear_stem && !silent_stem && self.residual_counts(report);
        // Likewise a resampled stem's aliasing is noise in the model's inputs, which biases
        // the other stems' least-squares levels too: their shapes are then read on the level
        // brackets.
        for s in present.iter().filter(|_| !missing) {
            let r = &self.readings[s.main][s.index];
            let deviation_db = if resampled.is_empty() {
                r.deviation_db
            } else {
                r.bracketed_deviation_db
            };
            if !resampled.contains(&s.index) && deviation_db.abs() > FILTER_MIN_DB {
                report.push_diagnosis(Diagnosis {
                    processing: Some(Processing::Equalizer),
                    deviation_db: Some(deviation_db),
                    ..Diagnosis::plain(Some(s.index), Cause::Unexplained, explained)
                });
            }
        }
        // A gain error counts beyond the tolerance and beyond its standard error.
        let tolerance = self.settings.gain_tolerance_db;
        // A resampled stem's level is read through its aliasing, which least squares takes
        // for a lower level (errors in variables): its level lies between the least-squares
        // and the errors-in-variables readings, and a level error is reported on it only when
        // both show it beyond the tolerance (which replaces a fixed floor of 0.5 dB: with it
        // at the tolerance the matrix is unchanged).
        let gained = |s: &Stem| {
            let bracket = !resampled.contains(&s.index)
                || (s.gain_db.signum() == s.gain_upper_db.signum()
                    && s.gain_db.abs().min(s.gain_upper_db.abs()) > tolerance);
            bracket
                && s.gain_db.abs() > tolerance
                && s.gain_db.abs() > SIGNIFICANCE * s.gain_error_db
        };
        let mean_db = present.iter().map(|s| s.gain_db).sum::<f64>() / present.len() as f64;
        if present.len() > 1
            && present
                .iter()
                .all(|s| (s.gain_db - mean_db).abs() <= tolerance)
            && present.iter().all(gained)
        {
            report.push(None, Cause::Gained { db: mean_db }, explained);
        } else {
            for s in present.iter().filter(|s| gained(s)) {
                report.push(Some(s.index), Cause::Gained { db: s.gain_db }, explained);
            }
        }
        if missing {
            report.push(None, Cause::Missing, 1.0 - explained);
        }
        findings
    }

    /// Share of the delivery's residual energy the linear model explains, 0..=1.
    fn explained_share(&self, report: &mut NullReport) -> f64 {
        let s = self.segment_stats;
        let (residual, reference): (f64, f64) = (s.residual.iter().sum(), s.reference.iter().sum());
        let model_rel_db = 10.0 * (residual.max(1e-300) / reference.max(1e-300)).log10();
        report.model_residual_rel_db = Some(model_rel_db.max(-300.0));
        let unexplained = 10f64.powf((model_rel_db - report.residual_rms_rel_db) / 10.0);
        (1.0 - unexplained).clamp(0.0, 1.0)
    }

    /// True when the residual the model leaves is a real part of the delivery's residual.
    fn residual_counts(&self, report: &NullReport) -> bool {
        let Some(model_rel_db) = report.model_residual_rel_db else {
            return false;
        };
        let reference_rms_dbfs = report.residual_rms_dbfs - report.residual_rms_rel_db;
        model_rel_db - report.residual_rms_rel_db > 10.0 * RESIDUAL_MIN_SHARE.log10()
            && reference_rms_dbfs + model_rel_db > self.settings.pass_dbfs - RESIDUAL_RMS_MARGIN_DB
    }

    /// The stem whose frame envelope (RMS per frame) the model's residual follows with a
    /// correlation of at least [`ENVELOPE_MIN_CORRELATION`], clearly more than any other.
    fn envelope_match(&self, present: &[Stem]) -> Option<usize> {
        let s = self.segment_stats;
        let residual: Vec<f64> = s.residual.iter().map(|e| e.sqrt()).collect();
        match present
            .iter()
            .map(|stem| {
                let envelope: Vec<f64> = s.stems[stem.index].iter().map(|e| e.sqrt()).collect();
                (stem.index, pearson(&residual, &envelope))
            })
            .fold(
                [None, None],
                |[best, second]: [Option<(usize, f64)>; 2], c| {
                    if best.is_none_or(|b| c.1 > b.1) {
                        [Some(c), best]
                    } else if second.is_none_or(|s| c.1 > s.1) {
                        [best, Some(c)]
                    } else {
                        [best, second]
                    }
                },
            )
            .into_iter()
            .collect::<Vec<_>>()
            .as_slice()
        {
            &[Some((i, best)), second] => (best >= ENVELOPE_MIN_CORRELATION
                && best - second.map_or(0.0, |s| s.1) >= ENVELOPE_MIN_MARGIN)
                .then_some(i),
            _ => None,
        }
    }

    /// True when what the model leaves is loud enough to matter (its RMS within
    /// [`RESIDUAL_RMS_MARGIN_DB`] of the pass limit or above).
    fn audible(&self, report: &NullReport) -> bool {
        let reference_rms_dbfs = report.residual_rms_dbfs - report.residual_rms_rel_db;
        report.model_residual_rel_db.is_some_and(|db| {
            reference_rms_dbfs + db > self.settings.pass_dbfs - RESIDUAL_RMS_MARGIN_DB
        })
    }

    /// Dynamics on the mix bus: what the model leaves is audible and either a gain changing
    /// frame by frame explains most of it (and falls, not rises, with level: gain riding), or
    /// that gain follows the programme level closely (level-dependent distortion: clipping).
    /// Returns the confidence, and sets the report's `level_tracking` and
    /// `varying_gain_share`.
    fn dynamics(&self, report: &mut NullReport) -> Option<f64> {
        let s = self.segment_stats;
        let loudest = s.fitted.iter().fold(0.0f64, |m, &e| m.max(e));
        let floor = loudest * 10f64.powf(ACTIVE_SEGMENT_DB / 10.0);
        let active: Vec<usize> = (0..s.fitted.len())
            .filter(|&m| s.fitted[m] > floor && s.fitted[m] > 0.0)
            .collect();
        if active.len() < 3 {
            return None;
        }
        let gains: Vec<f64> = active.iter().map(|&m| s.cross[m] / s.fitted[m]).collect();
        let levels: Vec<f64> = active.iter().map(|&m| 10.0 * s.fitted[m].log10()).collect();
        let correlation = pearson(&gains, &levels);
        report.level_tracking = Some(correlation);
        let residual: f64 = s.residual.iter().sum();
        let gain_energy: f64 = active
            .iter()
            .map(|&m| s.cross[m] * s.cross[m] / s.fitted[m])
            .sum();
        let gain_share = gain_energy / residual.max(1e-300);
        report.varying_gain_share = Some(gain_share);
        // Dynamics usually also change the overall level, which the linear model takes up, so
        // what it leaves need only be audible, not a large share of the residual.
        let audible = self.audible(report);
        // Residual-weighted correlation of residual and programme within the frames: the
        // programme's own peaks taken off (clipping, fast limiting) are in anti-phase with it,
        // material missing from the delivery is unrelated to it.
        let (mut weighted, mut total) = (0.0f64, 0.0f64);
        for &m in &active {
            if s.residual[m] > 0.0 {
                weighted += s.cross[m] / s.fitted[m].sqrt() * s.residual[m].sqrt();
                total += s.residual[m];
            }
        }
        let anti_phase = if total > 0.0 { weighted / total } else { 0.0 };
        // Sparse clipping: the residual sits in the frames with the highest peaks, in
        // anti-phase there.
        let mut by_level = active.clone();
        by_level.sort_by(|&a, &b| s.fitted_peak[b].total_cmp(&s.fitted_peak[a]));
        let loudest =
            &by_level[..((LOUDEST_FRAMES_SHARE * by_level.len() as f64).ceil() as usize).max(1)];
        let share = |v: &[f64]| {
            let all: f64 = active.iter().map(|&m| v[m]).sum();
            loudest.iter().map(|&m| v[m]).sum::<f64>() / all.max(1e-300)
        };
        // In anti-phase: (nearly) all the residual energy of those frames lowers the
        // programme, where unrelated material would lower it in about half of it. Weighted by
        // the residual, so loud frames the clipper did not touch (no residual) do not count.
        let loudest_residual: f64 = loudest.iter().map(|&m| s.residual[m]).sum();
        let lowered: f64 = loudest
            .iter()
            .filter(|&&m| s.cross[m] < 0.0)
            .map(|&m| s.residual[m])
            .sum();
        let concentrated = share(&s.residual) >= PEAK_CONCENTRATION * share(&s.fitted)
            && lowered >= PEAK_MIN_LOWERED_SHARE * loudest_residual
            && anti_phase <= PEAKS_CONCENTRATED_MAX_CORRELATION;
        let riding = gain_share >= GAIN_RIDING_MIN_SHARE && correlation < 0.0;
        let peaks_taken_off = anti_phase <= PEAKS_MAX_CORRELATION || concentrated;
        let clipping =
            correlation <= CLIPPING_MAX_LEVEL_CORRELATION && gain_share >= CLIPPING_MIN_SHARE;
        (audible && (riding || clipping || peaks_taken_off))
            .then_some(gain_share.max(-correlation).max(-anti_phase))
    }

    /// A stem that lost its top band with too little left there for its transfer function to
    /// show it: the model's residual lies above a corner (where the reference holds what the
    /// stem lacks), and one stem's spectrum drops across that corner far more than the
    /// reference's. Returns each such stem with the corner, Hz.
    fn top_band_loss(&self, report: &NullReport, present: &[Stem]) -> Vec<(usize, f64)> {
        let m = self.model;
        let Some(bins) = m.residual_power.first().map(Vec::len) else {
            return Vec::new();
        };
        if !self.audible(report) {
            return Vec::new();
        }
        let sum = |v: &[Vec<f64>]| -> Vec<f64> {
            (0..bins).map(|k| v.iter().map(|c| c[k]).sum()).collect()
        };
        let residual = sum(&m.residual_power);
        let reference = sum(&m.reference_power);
        let total: f64 = residual.iter().sum();
        if total <= 0.0 {
            return Vec::new();
        }
        let (mut corner, mut above) = (bins, 0.0);
        while corner > 1 && above < TOP_BAND_RESIDUAL_SHARE * total {
            corner -= 1;
            above += residual[corner];
        }
        if corner < (TOP_BAND_MIN_NYQUIST_SHARE * bins as f64) as usize || corner + 1 >= bins {
            return Vec::new();
        }
        let mean = |p: &[f64], r: std::ops::Range<usize>| {
            let n = r.len().max(1) as f64;
            p[r].iter().sum::<f64>() / n
        };
        let share = |r: std::ops::Range<usize>| {
            mean(&residual, r.clone()) / mean(&reference, r).max(1e-300)
        };
        if share(corner..bins) < TOP_BAND_CONCENTRATION * share(1..corner) {
            return Vec::new();
        }
        let (below, over) = (
            corner / 2..corner,
            corner..(corner + corner / 4).clamp(corner + 1, bins),
        );
        let drop = |p: &[f64]| {
            10.0 * (mean(p, below.clone()).max(1e-300) / mean(p, over.clone()).max(1e-300)).log10()
        };
        let reference_drop = drop(&reference);
        let reference_below: f64 = reference[below.clone()].iter().sum();
        present
            .iter()
            .filter_map(|s| {
                let power: Vec<f64> = (0..bins)
                    .map(|k| m.stem_power.iter().map(|c| c[s.index][k]).sum())
                    .collect();
                let stem_below: f64 = power[below.clone()].iter().sum();
                (stem_below >= TOP_BAND_MIN_STEM_SHARE * reference_below)
                    .then(|| (s.index, drop(&power) - reference_drop))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .filter(|&(_, d)| d > TOP_BAND_MIN_DROP_DB)
            .map(|(i, _)| (i, corner as f64 * self.bin_hz))
            .into_iter()
            .collect()
    }

    /// The same smooth non-flat shape on every stem in the mix (two or more): an EQ on the mix
    /// bus. Each band counts where at least two stems read it; a level within its error of
    /// unity counts as unity. Returns the largest deviation from flat, dB.
    fn common_shape(&self, present: &[Stem]) -> Option<f64> {
        if present.len() < 2 {
            return None;
        }
        let bands = &self.readings[present[0].main][present[0].index].bands;
        let mut profile = vec![None; bands.len()];
        for (b, slot) in profile.iter_mut().enumerate() {
            let levels: Vec<(f64, f64)> = present
                .iter()
                .filter_map(|s| self.readings[s.main][s.index].bands.get(b))
                .filter(|band| band.valid && band.error.is_finite())
                .map(|band| {
                    let error_db = 20.0 * (1.0 + SIGNIFICANCE * band.error).log10();
                    (band.significant_db(1.0), error_db)
                })
                .collect();
            if levels.len() < 2 {
                continue;
            }
            let mean = levels.iter().map(|l| l.0).sum::<f64>() / levels.len() as f64;
            let tolerance = |error_db: f64| COMMON_SHAPE_TOLERANCE_DB.max(error_db);
            if levels.iter().any(|&(l, e)| (l - mean).abs() > tolerance(e)) {
                return None;
            }
            *slot = Some(mean);
        }
        let levels: Vec<f64> = profile.iter().flatten().copied().collect();
        let (lo, hi) = levels
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &l| {
                (lo.min(l), hi.max(l))
            });
        if levels.is_empty() || hi - lo <= FILTER_MIN_DB {
            return None;
        }
        Some(if hi.abs() > lo.abs() { hi } else { lo })
    }
}

/// The most frequent value (ties to the first seen).
fn mode(values: impl Iterator<Item = isize> + Clone) -> isize {
    values
        .clone()
        .max_by_key(|v| values.clone().filter(|w| w == v).count())
        .unwrap_or(0)
}

/// Pearson correlation of `a` and `b` (0 when either is constant).
fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa > 0.0 && sbb > 0.0 {
        sab / (saa * sbb).sqrt()
    } else {
        0.0
    }
}
