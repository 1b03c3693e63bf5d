//! Null test: does a delivery (a set of stems, or one rendered file) sum back to the
//! reference mix, and if not, why?
//!
//! [`analyze_tracks`] is the offline analysis, reading the reference and the stems through
//! [`Track`] a stretch at a time (whole-programme figures block by block, the model over
//! bounded windows and at most 480 segments per channel), so a caller may keep them on disk;
//! [`analyze`] runs it on slices in memory. [`LiveNullTest`] is the streaming form for the
//! Master Bus (preallocated, bounded offset search over a fixed window, then residual
//! accumulation per block).
//!
//! Offline algorithm:
//! 1. **Lock**: whole-delivery offset and polarity by FFT cross-correlation
//!    ([`CrossCorrelator`]) of the mono reference against the mono stem sum over the loudest
//!    reference window, lags within `±max_offset_ms` (sample-exact: for an exact copy the
//!    autocorrelation peak at lag 0 is strict by Cauchy–Schwarz).
//! 2. **Verdict**: residual = reference − polarity·aligned sum (no gain compensation: a
//!    delivery that is 0.5 dB hot does not null) over the samples where both exist, judged by
//!    its **peak** (the stricter reading, so a single click fails): `≤ pass_dbfs` (−60) PASS,
//!    `> fail_dbfs` (−40) FAIL, WARN between. A PASS ends the analysis.
//! 3. **Model** (otherwise), the cause read off a fitted model rather than off thresholds
//!    tuned to particular faults:
//!    - *Per-stem alignment* (`align.rs`): each stem against the reference minus the others,
//!      within ±250 ms of the lock. When the fitted model then leaves audible material, a
//!      stem moved off the lock is checked against its delivered position by a joint fit
//!      with the stem at both: a reverb return whose dry source was left out locks onto the
//!      source's time, yet the reference holds the return itself at the lock.
//!    - *Multiple-input system identification* (`spectral.rs`): per channel and frequency bin,
//!      the transfer function `Hᵢ(f)` from every stem to the reference, all stems at once
//!      (least squares over Hann segments), so each stem is judged in the presence of the
//!      others.
//!    - *Reading* each `Hᵢ` (`transfer.rs`): its linear phase is an offset (integer and
//!      fractional; the integer part goes back into the alignment and the fit is redone),
//!      its low-frequency value the polarity (sign) and level (size, 0 = not in the mix), its
//!      shape either flat, a roll-off from a corner (a sample-rate round trip, corner
//!      reported) or another smooth shape (an EQ on the stem). Levels are also read as
//!      errors-in-variables (H2): a stem carrying its own error (a resampler's aliasing)
//!      reads too low by least squares, and its true level lies between the two readings.
//!    - *What the linear model leaves* (`spectral::segment_stats`, 10 ms frames): it is
//!      **dynamics on the mix bus** (compressor, limiter, clipper), reported as that even
//!      when it also changes the overall level, when a gain changing frame by frame explains
//!      most of it and falls rather than rises with level (gain riding), when that gain
//!      follows the programme level closely (level-dependent distortion), or when it sits in
//!      the frames with the programme's highest peaks, in anti-phase with them (peaks taken
//!      off). A remainder whose envelope follows one stem's is that stem's own nonlinear
//!      error (a resampler's aliasing); one concentrated above a corner where one stem's
//!      spectrum falls off a cliff is that stem's lost top band; anything else is material
//!      missing from the delivery. Every level and shape reading carries a standard error
//!      from the fit's residual and counts only beyond four of them.
//! 4. **Findings** (`classify.rs`): offsets, polarity and gain are judged per stem and
//!    reported for the whole delivery only when every stem (that is in the mix) shares them;
//!    the same smooth shape on every stem is an EQ on the mix bus.

mod align;
mod classify;
mod delivery;
mod live;
mod offset_fit;
mod report;
mod spectral;
mod sum;
mod track;
mod transfer;
mod xcorr;

pub use live::{
    DiagnosisCell, LiveDiagnosis, LiveNullReadings, LiveNullSettings, LiveNullTest, LiveSubject,
    ANALYSIS_WINDOW_MS,
};
pub use report::{Cause, Diagnosis, NullReport, Processing, Verdict};
pub use sum::{analyze_sum, SumReport};
pub use track::{SliceTrack, Track};
pub use xcorr::{CrossCorrelator, LagPeak};

use crate::db::gain_to_db_f64;
use delivery::Delivery;
use spectral::Segments;
use transfer::Reader;

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

/// Block length of the loudest-window search, in samples.
const ENERGY_BLOCK_SAMPLES: usize = 1024;
/// Samples per read of the passes that stream through a whole programme (a multiple of
/// [`ENERGY_BLOCK_SAMPLES`]).
const STREAM_BLOCK_SAMPLES: usize = 64 * ENERGY_BLOCK_SAMPLES;
/// Largest offset of one stem relative to the whole-delivery lock that the per-stem
/// alignment searches, in milliseconds (the lock itself spans `±max_offset_ms`).
const STEM_MAX_OFFSET_MS: f64 = 250.0;
/// Rounds of "fit the transfer functions, move each stem by the integer lag its phase shows".
const MAX_FIT_ROUNDS: usize = 3;

/// Runs the offline null test of `stems` (each a list of channels; pass one "stem" for a
/// rendered file) against `reference` (a list of channels, usually stereo), all in memory:
/// [`analyze_tracks`] on [`SliceTrack`]s.
///
/// # Panics
/// If `reference` has no channels.
pub fn analyze(
    reference: &[&[f32]],
    stems: &[&[&[f32]]],
    sample_rate_hz: f64,
    settings: &NullSettings,
) -> NullReport {
    let stem_tracks: Vec<SliceTrack> = stems.iter().map(|s| SliceTrack(s)).collect();
    let stem_refs: Vec<&dyn Track> = stem_tracks.iter().map(|s| s as &dyn Track).collect();
    analyze_tracks(&SliceTrack(reference), &stem_refs, sample_rate_hz, settings)
}

/// Runs the offline null test of `stems` against `reference`, reading both a stretch at a
/// time: whole-programme figures are accumulated block by block, and the model reads only
/// its bounded windows and segments, so memory does not grow with the programme's length.
///
/// # Panics
/// If `reference` has no channels.
pub fn analyze_tracks(
    reference: &dyn Track,
    stems: &[&dyn Track],
    sample_rate_hz: f64,
    settings: &NullSettings,
) -> NullReport {
    let num_channels = reference.num_channels();
    assert!(num_channels > 0, "the reference has no channels");
    let reference_len = reference.num_samples();
    let max_lag = (settings.max_offset_ms * sample_rate_hz / 1000.0).round() as usize;
    let mut correlator = CrossCorrelator::new(max_lag, 6 * max_lag.max(1024));
    let mut delivery = Delivery {
        stems,
        shifts_samples: vec![0; stems.len()],
        polarity: 1.0,
    };

    let w0 = loudest_window(reference_len, correlator.window_samples(), || {
        block_energies(reference_len, |start, out, scratch| {
            read_mono(reference, start, out, scratch)
        })
    });
    // First differences (pre-emphasis): a loud low stem's broad autocorrelation must not
    // pull the peak (an inverted bass could otherwise win at a lag a note away).
    let window = correlator.window_samples();
    let mut reference_window = vec![0.0; window + 1];
    let mut candidate = vec![0.0; window + 2 * max_lag + 1];
    let mut scratch = vec![0.0; candidate.len()];
    read_mono(
        reference,
        w0 as isize - 1,
        &mut reference_window,
        &mut scratch[..window + 1],
    );
    delivery.mono_into(
        None,
        num_channels,
        w0 as isize - max_lag as isize - 1,
        &mut candidate,
        &mut scratch,
    );
    let peak = correlate(
        &mut correlator,
        &first_difference(&reference_window),
        &first_difference(&candidate),
    );
    let offset = peak.lag_samples;
    delivery.polarity = if peak.correlation < 0.0 { -1.0 } else { 1.0 };
    delivery.shifts_samples.fill(offset);

    let delivery_len = delivery.len() as isize;
    let overlap = |offset: isize| {
        let start = (-offset).max(0) as usize;
        start
            ..(reference_len as isize)
                .min(delivery_len - offset)
                .max(start as isize) as usize
    };
    let range = overlap(offset);
    let stats = measure(reference, &delivery, range.clone(), settings);
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
        model_residual_rel_db: None,
        level_tracking: None,
        varying_gain_share: None,
        diagnoses: Vec::new(),
    };
    if report.verdict == Verdict::Pass || stats.residual_energy <= 0.0 || range.is_empty() {
        if offset != 0 {
            report.push(None, Cause::Offset { samples: offset }, peak.normalized);
        }
        if report.polarity_inverted {
            report.push(None, Cause::Inverted, peak.normalized);
        }
        return report;
    }

    // The model: per-stem alignment, then transfer functions until their phase shows no
    // integer lag left.
    let stem_max_lag = max_lag.min((STEM_MAX_OFFSET_MS * sample_rate_hz / 1000.0) as usize);
    let mut stem_correlator = CrossCorrelator::new(stem_max_lag, 6 * stem_max_lag.max(1024));
    align::align_stems(
        &mut stem_correlator,
        reference,
        &mut delivery,
        range.clone(),
    );
    let align_shifts = delivery.shifts_samples.clone();
    // Segments where every aligned stem exists (a shifted stem's missing end is not a fault
    // of its transfer function).
    let covered =
        (0..stems.len())
            .filter(|&i| !delivery.is_silent(i))
            .fold(range.clone(), |r, i| {
                let shift = delivery.shifts_samples[i];
                let len = stems[i].num_samples() as isize;
                let start = (r.start as isize).max(-shift) as usize;
                let end = (r.end as isize).min(len - shift).max(start as isize) as usize;
                start..end
            });
    let margin = (0.01 * sample_rate_hz) as usize;
    let covered = (covered.start + margin)..covered.end.saturating_sub(margin);
    let segments = if covered.len() >= range.len() / 2 {
        Segments::new(covered, sample_rate_hz)
    } else {
        Segments::new(range.clone(), sample_rate_hz)
    };
    let reader = Reader::new(segments.len, sample_rate_hz);
    let mut round = 0;
    let (model, readings) = loop {
        let model = spectral::fit_transfer(reference, &delivery, &segments);
        let readings = read_all(&reader, &model, stems.len());
        round += 1;
        let mut moved = false;
        for i in 0..stems.len() {
            let lag = classify::stem_lag(&readings, i);
            if lag != 0 {
                delivery.shifts_samples[i] += lag;
                moved = true;
            }
        }
        if !moved || round == MAX_FIT_ROUNDS {
            break (model, readings);
        }
    };
    let mut align_shifts = align_shifts;
    let (model, readings) = if classify::model_audible(
        &model,
        stats.residual_rms_dbfs - stats.residual_rms_rel_db,
        settings,
    ) {
        return_home(
            reference,
            &mut delivery,
            &segments,
            &reader,
            offset,
            &mut align_shifts,
            (model, readings),
        )
    } else {
        (model, readings)
    };
    let segment_stats = spectral::segment_stats(reference, &delivery, &segments, &model);
    let findings = classify::Classifier {
        readings: &readings,
        model: &model,
        bin_hz: sample_rate_hz / segments.len as f64,
        delivery: &delivery,
        segment_stats: &segment_stats,
        settings,
        lock_offset_samples: offset,
        align_shifts: &align_shifts,
    }
    .classify(&mut report);

    // Figures for the delivery as a whole, compensated by what every stem shares (or by what
    // most stems share when they differ).
    if findings.offset_samples != offset || findings.polarity != delivery.polarity {
        let uniform = Delivery {
            stems,
            shifts_samples: vec![findings.offset_samples; stems.len()],
            polarity: findings.polarity,
        };
        let range = overlap(findings.offset_samples);
        if !range.is_empty() {
            let stats = measure(reference, &uniform, range.clone(), settings);
            report.verdict = stats.verdict;
            report.delivery_gain_db = stats.delivery_gain_db;
            report.residual_rms_dbfs = stats.residual_rms_dbfs;
            report.residual_peak_dbfs = stats.residual_peak_dbfs;
            report.residual_rms_rel_db = stats.residual_rms_rel_db;
            report.residual_peak_rel_db = stats.residual_peak_rel_db;
            report.sum_level_diff_db = stats.sum_level_diff_db;
            report.sum_within_tolerance =
                stats.sum_level_diff_db.abs() <= settings.sum_tolerance_db;
            report.compared_samples = range.len();
        }
        report.offset_samples = findings.offset_samples;
        report.polarity_inverted = findings.polarity < 0.0;
    }
    report
}

/// Every stem's reading, per channel (`[ch][i]`), of the first `count` stems of `model`.
fn read_all(
    reader: &Reader,
    model: &spectral::TransferModel,
    count: usize,
) -> Vec<Vec<transfer::Reading>> {
    (0..model.transfer.len())
        .map(|ch| {
            (0..count)
                .map(|i| {
                    reader.read(
                        &model.transfer[ch][i],
                        &model.precision[ch][i],
                        &model.noise[ch],
                        &model.residual_power[ch],
                    )
                })
                .collect()
        })
        .collect()
}

/// A stem the alignment moved away from the lock while the model leaves audible material may
/// have locked onto that material rather than onto its own copy in the reference: a reverb
/// return is a filtered, delayed copy of the dry source it is fed from, so with the source
/// left out of the delivery the return predicts it better from the source's time than from
/// its own. The model is refitted with the stem at the lock *and* a second copy of it at the
/// lag it moved to: when the reference holds the stem at the lock (that regressor is in the
/// mix, at no lag), the stem goes back there, and the second copy stays in the model as a
/// predictor of the missing material (its share is not read as any stem's fault).
fn return_home(
    reference: &dyn Track,
    delivery: &mut Delivery,
    segments: &Segments,
    reader: &Reader,
    lock_offset: isize,
    align_shifts: &mut [isize],
    (mut model, mut readings): (spectral::TransferModel, Vec<Vec<transfer::Reading>>),
) -> (spectral::TransferModel, Vec<Vec<transfer::Reading>>) {
    let stems = delivery.stems;
    let count = stems.len();
    // Second copies kept in the model: (stem, shift).
    let mut copies: Vec<(usize, isize)> = Vec::new();
    for i in 0..count {
        let moved_to = delivery.shifts_samples[i];
        if moved_to == lock_offset || delivery.is_silent(i) {
            continue;
        }
        let joint_stems: Vec<&dyn Track> = stems
            .iter()
            .copied()
            .chain(copies.iter().map(|&(j, _)| stems[j]))
            .chain(std::iter::once(stems[i]))
            .collect();
        let mut shifts = delivery.shifts_samples.clone();
        shifts[i] = lock_offset;
        shifts.extend(copies.iter().map(|&(_, shift)| shift));
        shifts.push(moved_to);
        let joint = Delivery {
            stems: &joint_stems,
            shifts_samples: shifts,
            polarity: delivery.polarity,
        };
        let mut joint_model = spectral::fit_transfer(reference, &joint, segments);
        let joint_readings = read_all(reader, &joint_model, count);
        if classify::stem_in_mix(&joint_readings, i) && classify::stem_lag(&joint_readings, i) == 0
        {
            delivery.shifts_samples[i] = lock_offset;
            align_shifts[i] = lock_offset;
            copies.push((i, moved_to));
            for ch in 0..joint_model.transfer.len() {
                joint_model.transfer[ch].truncate(count);
                joint_model.precision[ch].truncate(count);
                joint_model.stem_power[ch].truncate(count);
            }
            model = joint_model;
            readings = joint_readings;
        }
    }
    (model, readings)
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

/// Measures the residual `reference − aligned sum` over `range`, block by block.
fn measure(
    reference: &dyn Track,
    delivery: &Delivery,
    range: std::ops::Range<usize>,
    settings: &NullSettings,
) -> Stats {
    let (mut e_ref, mut e_sum, mut e_cross, mut e_res) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let (mut peak_ref, mut peak_res) = (0.0f64, 0.0f64);
    let block = STREAM_BLOCK_SAMPLES.min(range.len());
    let (mut reference_block, mut sum_block, mut scratch) =
        (vec![0.0; block], vec![0.0; block], vec![0.0; block]);
    for ch in 0..reference.num_channels() {
        for start in range.clone().step_by(block.max(1)) {
            let n = (range.end - start).min(block);
            reference.read(ch, start as isize, &mut reference_block[..n]);
            delivery.sum_into(ch, start as isize, &mut sum_block[..n], &mut scratch[..n]);
            for (&r, &s) in reference_block[..n].iter().zip(&sum_block[..n]) {
                e_ref += r * r;
                e_sum += s * s;
                e_cross += r * s;
                e_res += (r - s) * (r - s);
                peak_ref = peak_ref.max(r.abs());
                peak_res = peak_res.max((r - s).abs());
            }
        }
    }
    let num_values = (range.len() * reference.num_channels()).max(1) as f64;
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

/// Fills the correlator with `reference` (reference time `w0` on) and `candidate` (from
/// `w0 − max_lag`, in reference time) and returns the peak.
fn correlate(correlator: &mut CrossCorrelator, reference: &[f64], candidate: &[f64]) -> LagPeak {
    let window = correlator.reference_window_mut();
    let len = window.len();
    window.copy_from_slice(&reference[..len]);
    let segment = correlator.candidate_segment_mut();
    let len = segment.len();
    segment.copy_from_slice(&candidate[..len]);
    correlator.find_peak()
}

/// `x[m + 1] − x[m]` for every `m` but the last (pre-emphasis of a signal read from one
/// sample early).
fn first_difference(x: &[f64]) -> Vec<f64> {
    x.windows(2).map(|w| w[1] - w[0]).collect()
}

/// The mono (channel) sum of `track` from `start` into `out`; `scratch` (as long as `out`)
/// is overwritten.
fn read_mono(track: &dyn Track, start: isize, out: &mut [f64], scratch: &mut [f64]) {
    out.fill(0.0);
    for ch in 0..track.num_channels() {
        track.read(ch, start, scratch);
        out.iter_mut().zip(&*scratch).for_each(|(v, s)| *v += s);
    }
}

/// Energy per [`ENERGY_BLOCK_SAMPLES`] block (the last one may be short) of the signal over
/// `0..len` that `read(start, out, scratch)` writes into `out` from `start`, read in
/// [`STREAM_BLOCK_SAMPLES`] stretches.
fn block_energies(len: usize, mut read: impl FnMut(isize, &mut [f64], &mut [f64])) -> Vec<f64> {
    let mut energies = Vec::with_capacity(len.div_ceil(ENERGY_BLOCK_SAMPLES));
    let block = STREAM_BLOCK_SAMPLES.min(len);
    let (mut buffer, mut scratch) = (vec![0.0; block], vec![0.0; block]);
    for start in (0..len).step_by(block.max(1)) {
        let n = (len - start).min(block);
        read(start as isize, &mut buffer[..n], &mut scratch[..n]);
        energies.extend(
            buffer[..n]
                .chunks(ENERGY_BLOCK_SAMPLES)
                .map(|b| b.iter().map(|v| v * v).sum::<f64>()),
        );
    }
    energies
}

/// Start of the `window`-long stretch of `0..len` with the most energy, on a grid of
/// [`ENERGY_BLOCK_SAMPLES`], from the energies of those blocks (`blocks()`, called only when
/// needed); 0 when the signal is no longer than the window.
fn loudest_window(len: usize, window: usize, blocks: impl FnOnce() -> Vec<f64>) -> usize {
    if len <= window {
        return 0;
    }
    let blocks = blocks();
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
