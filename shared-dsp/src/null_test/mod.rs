//! Null test: does a delivery (a set of stems, or one rendered file) sum back to the
//! reference mix, and if not, why?
//!
//! [`analyze`] is the offline analysis; [`LiveNullTest`] is the streaming form for the
//! Master Bus (preallocated, bounded offset search over a fixed window, then residual
//! accumulation per block).
//!
//! Offline algorithm:
//! 1. Whole-delivery offset and polarity: FFT cross-correlation ([`CrossCorrelator`]) of the
//!    mono reference against the mono stem sum over the loudest reference window, lags within
//!    `±max_offset_ms`. The peak is sample-exact (for an exact copy the autocorrelation peak
//!    at lag 0 is strict by Cauchy–Schwarz).
//! 2. Residual = reference − polarity·aligned sum (no gain compensation: a delivery that is
//!    0.5 dB hot does not null), measured over the samples where both exist.
//! 3. Verdict from the residual **peak** (the stricter reading, so a single click fails):
//!    `≤ pass_dbfs` (−60) PASS, `> fail_dbfs` (−40) FAIL, WARN between.
//! 4. Diagnosis when not PASS, in this order:
//!    - **Resampled**: more than 90 % of the residual energy lies above fs/4 (the top octave),
//!      the signature of a stem that went through a lower rate and lost its top band. The
//!      stem named is the one whose spectrum drops most (> 20 dB) from the octave below the
//!      residual band to the residual band, i.e. the stem with the brick-wall cutoff.
//!    - **Offset** per stem: each stem is cross-correlated against the reference minus the
//!      other stems. The whole-delivery offset is then moved to the lag most stems agree on
//!      (stems with normalised correlation > 0.3 vote with their peak lag; ties go to the
//!      lag with more stem energy), so one late stem is named even when it is the loudest.
//!      A non-zero lag that beats lag 0 with normalised correlation > 0.3 and removes at least
//!      5 % of the residual energy in the stem's window is reported and corrected before the
//!      fit (a low sine's correlation is nearly flat over ±1 sample, so noise must not tip it).
//!    - Least-squares fit `reference ≈ Σ cᵢ·stemᵢ`: `|cᵢ| < 0.1` **Missing** (the stem is not
//!      in the mix, or is silent), `cᵢ < 0` **Inverted**, `|20·log10|cᵢ|| > gain_tolerance_db`
//!      **Gained** by `−20·log10|cᵢ|` dB (positive = stem louder than in the mix).
//!    - **Common gain**: when a single gain for the whole delivery leaves a residual that the
//!      per-stem weights reduce by less than half, the gain error is the mix's, not N stems':
//!      no per-stem **Gained** is reported. If what the single gain leaves is level dependent
//!      (see below) → **MasterProcessing** (e.g. a limiter with drive); otherwise a
//!      delivery-wide **Gained** (stem `None`).
//!    - Otherwise, if the fit explains less than 90 % of the residual energy and the residual
//!      is level dependent (its share of energy in the loudest 10 % of 10 ms frames is more
//!      than 1.5× the delivery's own share there) → **MasterProcessing** (a limiter/compressor/
//!      clipper left on the mix bus); otherwise the unexplained part is reported as
//!      **Unexplained**.

mod fit;
mod live;
mod report;
mod xcorr;

pub use live::{LiveDiagnosis, LiveNullReadings, LiveNullSettings, LiveNullTest, LiveSubject};
pub use report::{Cause, Diagnosis, NullReport, Verdict};
pub use xcorr::{CrossCorrelator, LagPeak};

use crate::db::gain_to_db_f64;
use fit::{band, fit_stem_weights, level_dependence, power_spectrum, Delivery};

/// Settings of the offline analysis (all set by the caller; `Default` = product spec).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NullSettings {
    /// Offset search range either way, in milliseconds (spec: 1000).
    pub max_offset_ms: f64,
    /// Residual peak at or below this passes, in dBFS (spec: −60).
    pub pass_dbfs: f64,
    /// Residual peak above this fails, in dBFS (spec: −40).
    pub fail_dbfs: f64,
    /// The stem sum must be within this of the reference RMS, in dB (spec: 0.1).
    pub sum_tolerance_db: f64,
    /// Per-stem gain errors smaller than this are not reported, in dB.
    pub gain_tolerance_db: f64,
}

impl Default for NullSettings {
    fn default() -> Self {
        Self {
            max_offset_ms: 1000.0,
            pass_dbfs: -60.0,
            fail_dbfs: -40.0,
            sum_tolerance_db: 0.1,
            gain_tolerance_db: 0.05,
        }
    }
}

/// Share of residual energy above fs/4 that marks a resampled stem.
const RESAMPLED_HF_SHARE: f64 = 0.9;
/// Minimum spectral drop at the residual band edge, in dB, for naming the resampled stem.
const RESAMPLED_MIN_DROP_DB: f64 = 20.0;
/// Normalised correlation a per-stem lag needs to be reported.
const STEM_OFFSET_MIN_CORRELATION: f64 = 0.3;
/// Share of the residual energy in its window a per-stem lag must remove to be reported.
const STEM_OFFSET_MIN_IMPROVEMENT: f64 = 0.05;
/// Weights below this magnitude mean the stem is missing from the mix.
const MISSING_MAX_WEIGHT: f64 = 0.1;
/// Fraction of residual energy the linear per-stem fit must explain.
const LINEAR_EXPLAINED_SHARE: f64 = 0.9;
/// Per-stem weights must remove less than this share of what a single delivery gain leaves
/// for the gain error to count as common to all stems.
const COMMON_GAIN_MAX_STEM_SHARE: f64 = 0.5;
/// Residual energy (share of the delivery's residual) too small to matter.
const COMMON_GAIN_NEGLIGIBLE_SHARE: f64 = 0.01;
/// Ratio of residual to delivery energy share in the loudest frames that marks processing.
const LEVEL_DEPENDENCE_RATIO: f64 = 1.5;
/// Frame length of the level-dependence statistic, in milliseconds.
const FRAME_MS: f64 = 10.0;
/// Block length of the loudest-window search, in samples.
const ENERGY_BLOCK_SAMPLES: usize = 1024;

/// Runs the offline null test of `stems` (each a list of channels; pass one "stem" for a
/// rendered file) against `reference` (a list of channels, usually stereo).
///
/// # Panics
/// If `reference` has no channels.
pub fn analyze(
    reference: &[&[f32]],
    stems: &[&[&[f32]]],
    sample_rate_hz: f64,
    settings: &NullSettings,
) -> NullReport {
    let num_channels = reference.len();
    let reference_len = reference[0].len();
    let max_lag = (settings.max_offset_ms * sample_rate_hz / 1000.0).round() as usize;
    let mut correlator = CrossCorrelator::new(max_lag, 6 * max_lag.max(1024));
    let mut delivery = Delivery {
        stems,
        shifts_samples: vec![0; stems.len()],
        polarity: 1.0,
    };

    let reference_mono = |n: isize| -> f64 {
        if n < 0 {
            return 0.0;
        }
        reference
            .iter()
            .map(|c| c.get(n as usize).map_or(0.0, |&s| s as f64))
            .sum()
    };
    let w0 = loudest_window(reference_len, correlator.window_samples(), |n| {
        reference_mono(n as isize).powi(2)
    });
    let peak = correlate(&mut correlator, w0, reference_mono, |n| {
        (0..num_channels).map(|ch| delivery.sum(ch, n, None)).sum()
    });
    let offset = peak.lag_samples;
    delivery.polarity = if peak.correlation < 0.0 { -1.0 } else { 1.0 };
    delivery.shifts_samples.fill(offset);

    let delivery_len = stems
        .iter()
        .flat_map(|s| s.iter().map(|c| c.len()))
        .max()
        .unwrap_or(0) as isize;
    let overlap = |offset: isize| {
        let start = (-offset).max(0) as usize;
        start
            ..(reference_len as isize)
                .min(delivery_len - offset)
                .max(start as isize) as usize
    };
    let mut range = overlap(offset);
    let mut stats = measure(reference, &delivery, range.clone(), settings);
    let mut stem_lags = vec![
        StemLag {
            lag: 0,
            vote: 0,
            confidence: 0.0,
            votes: false,
        };
        stems.len()
    ];
    if stats.verdict != Verdict::Pass {
        // The whole-delivery offset is the one most stems agree with.
        stem_lags = stem_offsets(&mut correlator, reference, &delivery, range.clone());
        let consensus = consensus_lag(reference.len(), &delivery, range.clone(), &stem_lags);
        if consensus != 0 {
            delivery.shifts_samples.fill(offset + consensus);
            range = overlap(offset + consensus);
            stats = measure(reference, &delivery, range.clone(), settings);
            // Re-measure the stem lags from the new alignment (a stem whose lag was not
            // trusted keeps no lag rather than inheriting the shift).
            stem_lags = stem_offsets(&mut correlator, reference, &delivery, range.clone());
        }
    }
    let offset = delivery.shifts_samples.first().copied().unwrap_or(offset);

    let mut report = NullReport {
        verdict: stats.verdict,
        offset_samples: offset,
        polarity_inverted: delivery.polarity < 0.0,
        delivery_gain_db: stats.delivery_gain_db,
        residual_rms_dbfs: stats.residual_rms_dbfs,
        residual_peak_dbfs: stats.residual_peak_dbfs,
        residual_rms_rel_db: stats.residual_rms_rel_db,
        residual_peak_rel_db: stats.residual_peak_rel_db,
        sum_level_diff_db: stats.sum_level_diff_db,
        sum_within_tolerance: stats.sum_level_diff_db.abs() <= settings.sum_tolerance_db,
        compared_samples: range.len(),
        stem_weights: vec![1.0; stems.len()],
        diagnoses: Vec::new(),
    };
    if offset != 0 {
        report.push(None, Cause::Offset { samples: offset }, peak.normalized);
    }
    if report.polarity_inverted {
        report.push(None, Cause::Inverted, peak.normalized);
    }
    if report.verdict != Verdict::Pass && stats.residual_energy > 0.0 {
        let mut ctx = Context {
            reference,
            delivery,
            range,
            sample_rate_hz,
            settings,
            residual_energy: stats.residual_energy,
        };
        ctx.diagnose(&mut report, &stem_lags);
    }
    report
}

/// Residual and level figures of the delivery as aligned.
struct Stats {
    /// Verdict from the residual peak.
    verdict: Verdict,
    /// Σ residual² over the compared samples and channels.
    residual_energy: f64,
    /// See [`NullReport::delivery_gain_db`].
    delivery_gain_db: f64,
    /// See [`NullReport::residual_rms_dbfs`].
    residual_rms_dbfs: f64,
    /// See [`NullReport::residual_peak_dbfs`].
    residual_peak_dbfs: f64,
    /// See [`NullReport::residual_rms_rel_db`].
    residual_rms_rel_db: f64,
    /// See [`NullReport::residual_peak_rel_db`].
    residual_peak_rel_db: f64,
    /// See [`NullReport::sum_level_diff_db`].
    sum_level_diff_db: f64,
}

/// Measures the residual `reference − aligned sum` over `range`.
fn measure(
    reference: &[&[f32]],
    delivery: &Delivery,
    range: std::ops::Range<usize>,
    settings: &NullSettings,
) -> Stats {
    let (mut e_ref, mut e_sum, mut e_cross, mut e_res) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let (mut peak_ref, mut peak_res) = (0.0f64, 0.0f64);
    for (ch, reference_ch) in reference.iter().enumerate() {
        for n in range.clone() {
            let r = reference_ch[n] as f64;
            let s = delivery.sum(ch, n as isize, None);
            e_ref += r * r;
            e_sum += s * s;
            e_cross += r * s;
            e_res += (r - s) * (r - s);
            peak_ref = peak_ref.max(r.abs());
            peak_res = peak_res.max((r - s).abs());
        }
    }
    let num_values = (range.len() * reference.len()).max(1) as f64;
    let db = |energy_ratio: f64| gain_to_db_f64(energy_ratio.sqrt());
    let residual_peak_dbfs = gain_to_db_f64(peak_res);
    let gain = if e_sum > 0.0 { e_cross / e_sum } else { 0.0 };
    Stats {
        verdict: Verdict::from_residual_peak_dbfs(
            residual_peak_dbfs,
            settings.pass_dbfs,
            settings.fail_dbfs,
        ),
        residual_energy: e_res,
        delivery_gain_db: -gain_to_db_f64(gain.abs()),
        residual_rms_dbfs: db(e_res / num_values),
        residual_peak_dbfs,
        residual_rms_rel_db: db(e_res / e_ref.max(1e-30)),
        residual_peak_rel_db: residual_peak_dbfs - gain_to_db_f64(peak_ref),
        sum_level_diff_db: 10.0 * (e_sum.max(1e-30) / e_ref.max(1e-30)).log10(),
    }
}

/// Per-stem lag relative to the current alignment, its normalised correlation, and whether
/// the stem's lag is trustworthy enough to vote on the whole-delivery offset: each stem is
/// correlated against the reference minus the other stems over the stem's loudest window.
/// A lag counts only if it beats lag 0, its normalised correlation exceeds
/// `STEM_OFFSET_MIN_CORRELATION`, and moving the stem there removes at least
/// `STEM_OFFSET_MIN_IMPROVEMENT` of the residual energy in the window (a sine or bass stem has
/// an almost flat correlation around its true lag, so noise from another stem can tip it by a
/// sample); otherwise it is 0.
fn stem_offsets(
    correlator: &mut CrossCorrelator,
    reference: &[&[f32]],
    delivery: &Delivery,
    range: std::ops::Range<usize>,
) -> Vec<StemLag> {
    let num_channels = reference.len();
    let len = range.end;
    (0..delivery.stems.len())
        .map(|i| {
            let stem_mono =
                |n: isize| -> f64 { (0..num_channels).map(|ch| delivery.stem(i, ch, n)).sum() };
            let w0 = loudest_window(len, correlator.window_samples(), |n| {
                stem_mono(n as isize).powi(2)
            });
            let target = |n: isize| -> f64 {
                if n < range.start as isize || n >= len as isize {
                    return 0.0;
                }
                (0..num_channels)
                    .map(|ch| {
                        reference[ch][n as usize] as f64 - delivery.sum(ch, n, None)
                            + delivery.stem(i, ch, n)
                    })
                    .sum()
            };
            let (mut e_stem, mut e_residual) = (0.0f64, 0.0f64);
            for n in w0..w0 + correlator.window_samples() {
                let s = stem_mono(n as isize);
                e_stem += s * s;
                e_residual += (target(n as isize) - s).powi(2);
            }
            let peak = correlate(correlator, w0, target, stem_mono);
            // Residual energy removed by moving the stem from lag 0 to the peak, each with its
            // best gain.
            let improvement =
                (peak.correlation.powi(2) - peak.correlation_at_zero.powi(2)) / e_stem.max(1e-300);
            let confident = peak.normalized > STEM_OFFSET_MIN_CORRELATION;
            let beats_zero =
                peak.lag_samples != 0 && peak.correlation.abs() > peak.correlation_at_zero.abs();
            let found =
                beats_zero && confident && improvement > STEM_OFFSET_MIN_IMPROVEMENT * e_residual;
            StemLag {
                lag: if found { peak.lag_samples } else { 0 },
                vote: if beats_zero { peak.lag_samples } else { 0 },
                confidence: peak.normalized,
                votes: confident,
            }
        })
        .collect()
}

/// One stem's offset finding relative to the current alignment.
#[derive(Debug, Clone, Copy)]
struct StemLag {
    /// Lag in samples to report (0: none found).
    lag: isize,
    /// Lag of the correlation peak, even when too weak an improvement to report; what the
    /// stem votes for in the whole-delivery offset.
    vote: isize,
    /// Normalised correlation at the peak.
    confidence: f64,
    /// The stem correlates well enough with the mix to vote on the whole-delivery offset.
    votes: bool,
}

/// The lag (0 or one of the stems' peak lags) shared by the most stems that correlate with
/// the mix;
/// ties go to the lag with more stem energy, then to 0. A single late stem, even the loudest,
/// is thus named itself instead of every other stem being reported early.
fn consensus_lag(
    num_channels: usize,
    delivery: &Delivery,
    range: std::ops::Range<usize>,
    stem_lags: &[StemLag],
) -> isize {
    let energies: Vec<f64> = (0..stem_lags.len())
        .map(|i| {
            (0..num_channels)
                .flat_map(|ch| {
                    range
                        .clone()
                        .map(move |n| delivery.stem(i, ch, n as isize).powi(2))
                })
                .sum()
        })
        .collect();
    let weight = |lag: isize| -> (usize, f64) {
        stem_lags
            .iter()
            .zip(&energies)
            .filter(|(l, _)| l.votes && l.vote == lag)
            .fold((0, 0.0), |(count, energy), (_, e)| (count + 1, energy + e))
    };
    stem_lags
        .iter()
        .filter(|l| l.votes)
        .map(|l| l.vote)
        .fold(0, |best, lag| {
            let (w, b) = (weight(lag), weight(best));
            if w.0 > b.0 || (w.0 == b.0 && w.1 > b.1) {
                lag
            } else {
                best
            }
        })
}

/// Everything the per-stem diagnosis needs.
struct Context<'a> {
    /// Reference channels.
    reference: &'a [&'a [f32]],
    /// Delivery aligned by the whole-delivery offset (per-stem offsets are added here).
    delivery: Delivery<'a>,
    /// Reference samples compared.
    range: std::ops::Range<usize>,
    /// Sample rate in Hz.
    sample_rate_hz: f64,
    /// Analysis settings.
    settings: &'a NullSettings,
    /// Residual energy of the delivery as is (sample² summed over channels).
    residual_energy: f64,
}

impl Context<'_> {
    fn diagnose(&mut self, report: &mut NullReport, stem_lags: &[StemLag]) {
        if self.diagnose_resampled(report) {
            return;
        }
        for (i, l) in stem_lags.iter().enumerate() {
            if l.lag != 0 {
                report.push(Some(i), Cause::Offset { samples: l.lag }, l.confidence);
                self.delivery.shifts_samples[i] += l.lag;
            }
        }
        let weights = fit_stem_weights(self.reference, &self.delivery, self.range.clone());
        // One gain for the whole delivery, for comparison with the per-stem fit.
        let (mut cross, mut power) = (0.0f64, 0.0f64);
        for (ch, reference_ch) in self.reference.iter().enumerate() {
            for n in self.range.clone() {
                let s = self.delivery.sum(ch, n as isize, None);
                cross += reference_ch[n] as f64 * s;
                power += s * s;
            }
        }
        let common_gain = if power > 0.0 { cross / power } else { 0.0 };
        let frame = ((FRAME_MS * self.sample_rate_hz / 1000.0).round() as usize).max(1);
        let num_frames = self.range.len().div_ceil(frame);
        let mut e_sum = vec![0.0; num_frames];
        let mut e_fit = vec![0.0; num_frames];
        let mut e_common = vec![0.0; num_frames];
        for (ch, reference_ch) in self.reference.iter().enumerate() {
            for n in self.range.clone() {
                let f = (n - self.range.start) / frame;
                let r = reference_ch[n] as f64;
                let s = self.delivery.sum(ch, n as isize, None);
                let fitted = self.delivery.sum(ch, n as isize, Some(&weights));
                e_sum[f] += s * s;
                e_fit[f] += (r - fitted).powi(2);
                e_common[f] += (r - common_gain * s).powi(2);
            }
        }
        let fit_energy: f64 = e_fit.iter().sum();
        let common_energy: f64 = e_common.iter().sum();
        let explained = 1.0 - fit_energy / self.residual_energy;
        // The stems share one gain error when per-stem weights add little to a single gain:
        // that is a gained (or driven) mix, not N stem faults.
        let common = self.delivery.stems.len() > 1
            && common_gain.abs() >= MISSING_MAX_WEIGHT
            && common_energy - fit_energy
                <= COMMON_GAIN_MAX_STEM_SHARE * common_energy
                    + COMMON_GAIN_NEGLIGIBLE_SHARE * self.residual_energy;
        let (share_residual, share_signal) = if common {
            level_dependence(&e_sum, &e_common)
        } else {
            level_dependence(&e_sum, &e_fit)
        };
        let level_dependent = share_residual > LEVEL_DEPENDENCE_RATIO * share_signal;
        let processing = if common {
            common_energy > COMMON_GAIN_NEGLIGIBLE_SHARE * self.residual_energy && level_dependent
        } else {
            explained < LINEAR_EXPLAINED_SHARE && level_dependent
        };
        let confidence = explained.clamp(0.0, 1.0);
        for (i, &c) in weights.iter().enumerate() {
            if c.abs() < MISSING_MAX_WEIGHT {
                report.push(Some(i), Cause::Missing, 1.0 - c.abs() / MISSING_MAX_WEIGHT);
                continue;
            }
            if c < 0.0 {
                report.push(Some(i), Cause::Inverted, confidence);
            }
            let db = -gain_to_db_f64(c.abs());
            if !processing && !common && db.abs() > self.settings.gain_tolerance_db {
                report.push(Some(i), Cause::Gained { db }, confidence);
            }
        }
        report.stem_weights = weights;
        let common_db = -gain_to_db_f64(common_gain.abs());
        if common && !processing && common_db.abs() > self.settings.gain_tolerance_db {
            let explained_common = 1.0 - common_energy / self.residual_energy;
            report.push(
                None,
                Cause::Gained { db: common_db },
                explained_common.clamp(0.0, 1.0),
            );
        }
        let unexplained = if common {
            1.0 - common_energy / self.residual_energy
        } else {
            explained
        };
        if processing {
            let confidence = (share_residual - share_signal) / (1.0 - share_signal).max(1e-12);
            report.push(None, Cause::MasterProcessing, confidence.clamp(0.0, 1.0));
        } else if unexplained < LINEAR_EXPLAINED_SHARE {
            report.push(
                None,
                Cause::Unexplained,
                (1.0 - unexplained).clamp(0.0, 1.0),
            );
        }
    }

    /// Reports a resampled stem when the residual lives in the top octave; true if so.
    fn diagnose_resampled(&self, report: &mut NullReport) -> bool {
        let num_channels = self.reference.len();
        let residual = power_spectrum(num_channels, self.range.clone(), |ch, n| {
            self.reference[ch][n] as f64 - self.delivery.sum(ch, n as isize, None)
        });
        let nyquist_bin = residual.len() - 1;
        let total = band(&residual, 0..nyquist_bin + 1);
        let hf_share = band(&residual, nyquist_bin / 2..nyquist_bin + 1) / total.max(1e-300);
        if total <= 0.0 || hf_share <= RESAMPLED_HF_SHARE {
            return false;
        }
        // Lowest bin of the band that holds 90 % of the residual energy.
        let mut edge_bin = nyquist_bin;
        let mut above = residual[nyquist_bin];
        while edge_bin > 1 && above < RESAMPLED_HF_SHARE * total {
            edge_bin -= 1;
            above += residual[edge_bin];
        }
        let mut best: Option<(usize, f64)> = None;
        for i in 0..self.delivery.stems.len() {
            let stem = power_spectrum(num_channels, self.range.clone(), |ch, n| {
                self.delivery.stem(i, ch, n as isize)
            });
            let density =
                |bins: std::ops::Range<usize>| band(&stem, bins.clone()) / bins.len() as f64;
            let below = density(edge_bin / 2..edge_bin);
            let inside = density(edge_bin..nyquist_bin + 1);
            if below <= 0.0 {
                continue;
            }
            let drop_db = 10.0 * (below / inside.max(below * 1e-30)).log10();
            if best.is_none_or(|(_, d)| drop_db > d) {
                best = Some((i, drop_db));
            }
        }
        match best {
            Some((i, drop_db)) if drop_db > RESAMPLED_MIN_DROP_DB => {
                report.push(Some(i), Cause::Resampled, (drop_db / 60.0).min(1.0));
            }
            _ => report.push(None, Cause::Resampled, hf_share),
        }
        true
    }
}

/// Fills the correlator with `reference(n)` from `w0` and `candidate(n)` from
/// `w0 − max_lag` (both in reference time) and returns the peak.
fn correlate(
    correlator: &mut CrossCorrelator,
    w0: usize,
    reference: impl Fn(isize) -> f64,
    candidate: impl Fn(isize) -> f64,
) -> LagPeak {
    let origin = w0 as isize;
    for (m, v) in correlator.reference_window_mut().iter_mut().enumerate() {
        *v = reference(origin + m as isize);
    }
    let lag = correlator.max_lag_samples() as isize;
    for (j, v) in correlator.candidate_segment_mut().iter_mut().enumerate() {
        *v = candidate(origin - lag + j as isize);
    }
    correlator.find_peak()
}

/// Start of the `window`-long stretch of `0..len` with the most `energy(n)`, on a grid of
/// [`ENERGY_BLOCK_SAMPLES`]; 0 when the signal is no longer than the window.
fn loudest_window(len: usize, window: usize, energy: impl Fn(usize) -> f64) -> usize {
    if len <= window {
        return 0;
    }
    let blocks: Vec<f64> = (0..len.div_ceil(ENERGY_BLOCK_SAMPLES))
        .map(|b| {
            let end = ((b + 1) * ENERGY_BLOCK_SAMPLES).min(len);
            (b * ENERGY_BLOCK_SAMPLES..end).map(&energy).sum()
        })
        .collect();
    let span = (window / ENERGY_BLOCK_SAMPLES).max(1);
    let last_start = (len - window) / ENERGY_BLOCK_SAMPLES;
    let mut sum: f64 = blocks[..span].iter().sum();
    let mut best = (0, sum);
    for b in 1..=last_start {
        sum += blocks.get(b + span - 1).copied().unwrap_or(0.0) - blocks[b - 1];
        if sum > best.1 {
            best = (b, sum);
        }
    }
    best.0 * ENERGY_BLOCK_SAMPLES
}
