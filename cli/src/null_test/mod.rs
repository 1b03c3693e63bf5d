//! `stemwise null-test`: do the delivered stems sum back to the reference mix, and if not,
//! which stem is wrong and why?
//!
//! The analysis is `shared_dsp::null_test::analyze` (the same code as the Master Bus's null
//! test); this module loads and checks the files, turns the analyzer's report into a
//! serializable [`NullTestResult`] naming the stems by file, and renders the text [`report`].

mod inputs;

pub use inputs::{check_compatible, Format, Input, InputInfo};

use crate::progress::Progress;
use serde::Serialize;
use shared_dsp::db::MIN_DB;
use shared_dsp::null_test::{
    analyze_tracks, Cause, Diagnosis, NullReport, NullSettings, Processing, SliceTrack, Track,
    Verdict,
};
use std::fmt;
use std::path::{Path, PathBuf};

/// A stem whose length differs from the mix by more than this is noted in the report, s.
const LENGTH_NOTE_S: f64 = 1.0;

/// Why the files cannot be compared: one message per problem, each naming the file and
/// what is wrong with it (unreadable, sample rate or channel count different from the mix).
#[derive(Debug, Clone, PartialEq)]
pub struct BadInput(pub Vec<String>);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for BadInput {}

/// The overall outcome (serialized as `"pass"`, `"warn"`, `"fail"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Residual peak at or below the pass limit (−60 dBFS).
    Pass,
    /// Residual peak between the pass and fail limits.
    Warn,
    /// Residual peak above the fail limit (−40 dBFS), or nothing to compare.
    Fail,
}

impl Outcome {
    /// `PASS`, `WARN` or `FAIL`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Warn => "WARN",
            Self::Fail => "FAIL",
        }
    }
}

/// Everything the null test found. Levels that are undefined (a residual of exactly zero, a
/// silent mix or delivery) are `None` (`null` in JSON); no value is NaN or infinite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NullTestResult {
    /// The reference mix as given on the command line.
    pub mix: String,
    /// Sample rate of every file, Hz.
    pub sample_rate_hz: u32,
    /// Channel count of every file.
    pub num_channels: usize,
    /// Duration of the mix, s.
    pub mix_duration_s: f64,
    /// PASS / WARN / FAIL from the residual peak.
    pub verdict: Outcome,
    /// Residual peak at or below this passes, dBFS.
    pub pass_dbfs: f64,
    /// Residual peak above this fails, dBFS.
    pub fail_dbfs: f64,
    /// Peak |mix − aligned stem sum| over all compared samples and channels, dBFS
    /// (full-scale square = 0 dBFS); `None` when the residual is exactly zero.
    pub residual_peak_dbfs: Option<f64>,
    /// RMS of the residual, dBFS; `None` when the residual is exactly zero.
    pub residual_rms_dbfs: Option<f64>,
    /// Residual peak relative to the mix peak, dB; `None` for a zero residual or silent mix.
    pub residual_peak_rel_db: Option<f64>,
    /// Residual RMS relative to the mix RMS, dB; `None` for a zero residual or silent mix.
    pub residual_rms_rel_db: Option<f64>,
    /// RMS level of the stem sum minus RMS level of the mix, dB; `None` when either is silent.
    pub sum_level_diff_db: Option<f64>,
    /// The stem sum should be within ± this of the mix RMS, dB.
    pub sum_tolerance_db: f64,
    /// `|sum_level_diff_db| ≤ sum_tolerance_db` (false when undefined).
    pub sum_within_tolerance: bool,
    /// How late the delivery as a whole is relative to the mix, samples (negative = early);
    /// compensated before the residual is measured.
    pub offset_samples: isize,
    /// The same offset in milliseconds.
    pub offset_ms: f64,
    /// The delivery as a whole is polarity-inverted (compensated before the residual).
    pub polarity_inverted: bool,
    /// Least-squares level of the whole delivery relative to the mix, dB (positive = the
    /// stems are louder); `None` when the delivery is silent.
    pub delivery_gain_db: Option<f64>,
    /// Samples per channel where mix and delivery overlap and were compared.
    pub compared_samples: usize,
    /// The delivered stems, in the order given.
    pub stems: Vec<StemInfo>,
    /// Findings: whole-delivery ones (`stem` = `None`) first, then per stem.
    pub diagnoses: Vec<Finding>,
    /// What the per-stem linear model (offsets, polarity, gains, transfer functions) leaves
    /// unexplained, dB re mix; `None` when the delivery passed unexamined.
    pub model_residual_rel_db: Option<f64>,
    /// Correlation (−1..=1) of the gain the unexplained residual implies frame by frame with
    /// the programme level: strongly negative for dynamics on the mix bus.
    pub level_tracking: Option<f64>,
    /// Share (0..=1) of the unexplained residual a frame-by-frame gain explains.
    pub varying_gain_share: Option<f64>,
}

/// One delivered stem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StemInfo {
    /// The file as given on the command line.
    pub file: String,
    /// The name the report uses for it (the file name, or the path when two share a name).
    pub name: String,
    /// Duration, s.
    pub duration_s: f64,
    /// Stem duration minus mix duration, s (negative = shorter; padded with silence).
    pub length_diff_s: f64,
    /// Least-squares weight of the stem in the mix (1 = as delivered; −1 = inverted; 0 = not
    /// in the mix); exactly 1 when the delivery passed unexamined.
    pub weight: Option<f64>,
    /// Set when the stem is more than 1 s shorter or longer than the mix.
    pub length_note: Option<String>,
}

/// One finding of the analysis, with the stem named.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Name of the stem concerned (as in [`StemInfo::name`]); `None` for the whole delivery
    /// or the mix.
    pub stem: Option<String>,
    /// Index of the stem in the order given; `None` for the whole delivery or the mix.
    pub stem_index: Option<usize>,
    /// `inverted`, `offset`, `gained`, `missing`, `resampled`, `master_processing`,
    /// `filtered` (an EQ or filter on one stem) or `unexplained`. `missing` without a stem:
    /// the mix holds material none of the delivered stems has (a stem left out of the
    /// delivery).
    pub cause: &'static str,
    /// For `offset`: how late, samples (negative = early).
    pub offset_samples: Option<isize>,
    /// For `gained`: level error, dB (positive = louder than in the mix).
    pub gain_db: Option<f64>,
    /// How sure the analyzer is, 0..=1.
    pub confidence: Option<f64>,
    /// The finding in words, starting with the stem's name.
    pub message: String,
    /// For `inverted`: the one channel concerned (0 = left), `None` for every channel.
    pub channel: Option<usize>,
    /// For `resampled`: where the stem's response falls 3 dB below its level, Hz.
    pub corner_hz: Option<f64>,
    /// For `master_processing` and `filtered`: `dynamics` (compressor, limiter, clipper) or
    /// `eq`.
    pub processing: Option<&'static str>,
    /// For `eq` processing: the largest deviation of the response from flat, dB.
    pub deviation_db: Option<f64>,
    /// How to fix it, in words.
    pub fix: String,
}

/// `Some(level)` for a finite level above the analyzer's floor, `None` otherwise.
fn level(db: f64) -> Option<f64> {
    (db.is_finite() && db > f64::from(MIN_DB)).then_some(db)
}

/// `Some(x)` for a finite value.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Null-tests the stem files against the mix file with `settings`: the files are decoded to
/// a temporary folder and the analysis reads them from there a stretch at a time, so memory
/// does not grow with their length (the same analysis as [`null_test`] in memory).
pub fn null_test_files(
    mix: &Path,
    stems: &[PathBuf],
    settings: &NullSettings,
    progress: Progress,
) -> Result<NullTestResult, BadInput> {
    let files = inputs::open_files(mix, stems, progress)?;
    let stem_infos: Vec<InputInfo> = files.stems.iter().map(|(info, _)| info.clone()).collect();
    let stem_tracks: Vec<&dyn Track> = files.stems.iter().map(|(_, t)| t as &dyn Track).collect();
    let spinner = progress.spinner("analysing");
    let result = run(
        (&files.mix.0, &files.mix.1),
        (&stem_infos, &stem_tracks),
        settings,
    );
    spinner.finish_and_clear();
    let errors: Vec<String> = std::iter::once(&files.mix.1)
        .chain(files.stems.iter().map(|(_, t)| t))
        .filter_map(|t| t.take_error())
        .collect();
    if errors.is_empty() {
        Ok(result)
    } else {
        Err(BadInput(errors))
    }
}

/// Null-tests decoded `stems` against the decoded `mix`, in memory.
pub fn null_test(
    mix: &Input,
    stems: &[Input],
    settings: &NullSettings,
) -> Result<NullTestResult, BadInput> {
    let stem_formats: Vec<Format> = stems.iter().map(|s| s.info().format).collect();
    check_compatible(&mix.info().format, &stem_formats)?;
    if stems.is_empty() {
        return Err(BadInput(
            vec!["no stems to compare with the mix".to_owned()],
        ));
    }
    let mix_channels = mix.audio.slices();
    let stem_channels: Vec<Vec<&[f32]>> = stems.iter().map(|s| s.audio.slices()).collect();
    let stem_slices: Vec<SliceTrack> = stem_channels.iter().map(|c| SliceTrack(c)).collect();
    let stem_tracks: Vec<&dyn Track> = stem_slices.iter().map(|t| t as &dyn Track).collect();
    let stem_infos: Vec<InputInfo> = stems.iter().map(Input::info).collect();
    Ok(run(
        (&mix.info(), &SliceTrack(&mix_channels)),
        (&stem_infos, &stem_tracks),
        settings,
    ))
}

/// Runs the analysis on compatible inputs (at least one stem) and builds the result.
fn run(
    (mix, mix_track): (&InputInfo, &dyn Track),
    (stems, stem_tracks): (&[InputInfo], &[&dyn Track]),
    settings: &NullSettings,
) -> NullTestResult {
    let rate_hz = f64::from(mix.format.sample_rate_hz);
    let report = analyze_tracks(mix_track, stem_tracks, rate_hz, settings);
    build_result(mix, stems, settings, &report)
}

/// Turns the analyzer's report into the CLI's result.
fn build_result(
    mix: &InputInfo,
    stems: &[InputInfo],
    settings: &NullSettings,
    report: &NullReport,
) -> NullTestResult {
    let rate_hz = f64::from(mix.format.sample_rate_hz);
    let mix_silent = mix.silent;
    let delivery_silent = stems.iter().all(|s| s.silent);
    let names = stem_names(stems);
    let mix_name = file_name(&mix.format.file);

    let residual_peak_dbfs = level(report.residual_peak_dbfs);
    let residual_rms_dbfs = level(report.residual_rms_dbfs);
    let relative = |db: f64, absolute: Option<f64>| {
        absolute.and_then(|_| if mix_silent { None } else { finite(db) })
    };
    let sum_level_diff_db = if mix_silent || delivery_silent {
        None
    } else {
        finite(report.sum_level_diff_db)
    };
    let delivery_gain_db = if delivery_silent || mix_silent {
        None
    } else {
        level(-report.delivery_gain_db).map(|db| -db)
    };

    let mut verdict = match report.verdict {
        Verdict::Pass => Outcome::Pass,
        Verdict::Warn => Outcome::Warn,
        Verdict::Fail => Outcome::Fail,
    };
    let mut diagnoses: Vec<Finding> = report
        .diagnoses
        .iter()
        .map(|d| {
            let stem = d.stem_index.map(|i| names[i].clone());
            let mut f = finding(stem, d, &mix_name, rate_hz);
            // The analyzer's "missing" covers both; the file tells which.
            if let (Cause::Missing, Some(i)) = (d.cause, d.stem_index) {
                if stems[i].silent {
                    f.message = format!("{}: missing (the file is silent)", names[i]);
                    f.fix = format!(
                        "re-export {}: the file is silent (muted track or wrong source)",
                        names[i]
                    );
                }
            }
            if let (Cause::Missing, None) = (d.cause, d.stem_index) {
                if let Some(db) = relative(report.residual_rms_rel_db, residual_rms_dbfs) {
                    f.message += &format!(" (residual {db:.1} dB RMS re mix)");
                }
            }
            f
        })
        .collect();
    if report.compared_samples == 0 {
        // Nothing overlapped: no evidence that the stems sum to the mix.
        verdict = Outcome::Fail;
        diagnoses.push(Finding {
            stem: None,
            stem_index: None,
            cause: "unexplained",
            offset_samples: None,
            gain_db: None,
            confidence: None,
            message: "delivery: no samples of the stems overlap the mix".to_owned(),
            channel: None,
            corner_hz: None,
            processing: None,
            deviation_db: None,
            fix: "check that the stems and the mix are renders of the same song and range"
                .to_owned(),
        });
    }

    let mix_duration_s = mix.duration_s();
    let stems = stems
        .iter()
        .zip(names)
        .enumerate()
        .map(|(i, (stem, name))| {
            let duration_s = stem.duration_s();
            let length_diff_s = duration_s - mix_duration_s;
            let length_note = (length_diff_s.abs() > LENGTH_NOTE_S).then(|| {
                if length_diff_s < 0.0 {
                    format!(
                        "{name}: {:.2} s shorter than the mix (padded with silence)",
                        -length_diff_s
                    )
                } else {
                    format!(
                        "{name}: {length_diff_s:.2} s longer than the mix (the part past the \
                         mix's end is not compared)"
                    )
                }
            });
            StemInfo {
                file: stem.format.file.clone(),
                name,
                duration_s,
                length_diff_s,
                weight: report.stem_weights.get(i).copied().and_then(finite),
                length_note,
            }
        })
        .collect();

    NullTestResult {
        mix: mix.format.file.clone(),
        sample_rate_hz: mix.format.sample_rate_hz,
        num_channels: mix.format.num_channels,
        mix_duration_s,
        verdict,
        pass_dbfs: settings.pass_dbfs,
        fail_dbfs: settings.fail_dbfs,
        residual_peak_dbfs,
        residual_rms_dbfs,
        residual_peak_rel_db: relative(report.residual_peak_rel_db, residual_peak_dbfs),
        residual_rms_rel_db: relative(report.residual_rms_rel_db, residual_rms_dbfs),
        sum_level_diff_db,
        sum_tolerance_db: settings.sum_tolerance_db,
        sum_within_tolerance: sum_level_diff_db
            .is_some_and(|db| db.abs() <= settings.sum_tolerance_db),
        offset_samples: report.offset_samples,
        offset_ms: report.offset_samples as f64 * 1000.0 / rate_hz,
        polarity_inverted: report.polarity_inverted,
        delivery_gain_db,
        compared_samples: report.compared_samples,
        stems,
        diagnoses,
        model_residual_rel_db: report.model_residual_rel_db.and_then(finite),
        level_tracking: report.level_tracking.and_then(finite),
        varying_gain_share: report.varying_gain_share.and_then(finite),
    }
}

/// One analyzer finding in words, with how to fix it. `stem` is the stem's name, `None`
/// for the whole delivery (or the mix, for processing on the mix bus).
fn finding(stem: Option<String>, d: &Diagnosis, mix_name: &str, rate_hz: f64) -> Finding {
    let subject = stem.clone().unwrap_or_else(|| "all stems".to_owned());
    let mut offset_samples = None;
    let mut gain_db = None;
    let processing = d.processing.map(|p| match p {
        Processing::Dynamics => "dynamics",
        Processing::Equalizer => "eq",
    });
    let channel_name = |c: usize| match c {
        0 => "left".to_owned(),
        1 => "right".to_owned(),
        c => format!("channel {}", c + 1),
    };
    let (id, message, fix) = match d.cause {
        Cause::Inverted => match (&stem, d.channel) {
            (Some(_), Some(c)) => (
                "inverted",
                format!(
                    "{subject}: polarity of the {} channel inverted",
                    channel_name(c)
                ),
                format!(
                    "flip the polarity of the {} channel of {subject} (or re-export it without \
                     the channel's polarity switch)",
                    channel_name(c)
                ),
            ),
            (Some(_), None) => (
                "inverted",
                format!("{subject}: polarity inverted"),
                format!(
                    "flip the polarity of {subject} (or re-export it without the polarity switch)"
                ),
            ),
            (None, _) => (
                "inverted",
                format!("{subject}: polarity inverted (compensated before the residual)"),
                format!("flip the polarity of {mix_name} or of every stem"),
            ),
        },
        Cause::Offset { samples } => {
            offset_samples = Some(samples);
            let ms = samples as f64 * 1000.0 / rate_hz;
            let when = if samples < 0 { "early" } else { "late" };
            let compensated = if stem.is_some() {
                ""
            } else {
                ", compensated before the residual"
            };
            let unit = if samples.abs() == 1 {
                "sample"
            } else {
                "samples"
            };
            let direction = if samples < 0 { "later" } else { "earlier" };
            let fix = if stem.is_some() {
                format!(
                    "move {subject} {} {unit} {direction} (or re-export it from the same start \
                     as the other stems)",
                    samples.abs()
                )
            } else {
                format!(
                    "{mix_name} and the stems start {} {unit} apart: export both from the same \
                     start point",
                    samples.abs()
                )
            };
            (
                "offset",
                format!(
                    "{subject}: offset by {samples} {unit} ({:.2} ms {when}{compensated})",
                    ms.abs()
                ),
                fix,
            )
        }
        Cause::Gained { db } => {
            gain_db = finite(db);
            let direction = if db > 0.0 { "louder" } else { "quieter" };
            let turn = if db > 0.0 { "down" } else { "up" };
            (
                "gained",
                format!("{subject}: gained by {db:+.2} dB ({direction} than in the mix)"),
                if stem.is_some() {
                    format!(
                        "re-export {subject} at the fader level of the mix (turn it {turn} by \
                         {:.2} dB)",
                        db.abs()
                    )
                } else {
                    format!(
                        "every stem is {db:+.2} dB: re-export without the master-fader or \
                         normalisation change (turn them {turn} by {:.2} dB)",
                        db.abs()
                    )
                },
            )
        }
        Cause::Missing => match &stem {
            Some(_) => (
                "missing",
                format!("{subject}: missing (not in the mix)"),
                format!(
                    "{subject} is not in {mix_name}: leave it out of the delivery, or re-print \
                     the mix with it"
                ),
            ),
            None => (
                "missing",
                format!(
                    "delivery: a stem (or effect return) seems to be missing: {mix_name} holds \
                     material that none of the delivered stems has"
                ),
                "export every track that feeds the mix bus, effect returns included".to_owned(),
            ),
        },
        Cause::Resampled => {
            let corner = d
                .corner_hz
                .map_or_else(String::new, |c| format!(" from {:.1} kHz up", c / 1000.0));
            (
                "resampled",
                if stem.is_some() {
                    format!("{subject}: resampled (its response falls{corner}: it went through a lower sample rate)")
                } else {
                    format!("{subject}: resampled (the response falls{corner})")
                },
                format!(
                    "re-export {subject} at {:.0} Hz without sample-rate conversion",
                    rate_hz
                ),
            )
        }
        Cause::MasterProcessing => match d.processing {
            Some(Processing::Equalizer) => (
                "master_processing",
                format!(
                    "{mix_name}: EQ left on the mix bus (the mix differs from the stems' sum by \
                     up to {:+.1} dB, the same on every stem)",
                    d.deviation_db.unwrap_or(0.0)
                ),
                "bypass the mix-bus EQ before printing the reference (or print the stems \
                 through it)"
                    .to_owned(),
            ),
            _ => (
                "master_processing",
                format!(
                    "{mix_name}: processing left on the mix bus (compressor, limiter or \
                     clipper: the difference follows the programme's level)"
                ),
                "bypass the mix-bus processing before printing the reference (or print the \
                 stems through it)"
                    .to_owned(),
            ),
        },
        Cause::Unexplained => match (&stem, d.processing) {
            (Some(_), Some(Processing::Equalizer)) => (
                "filtered",
                format!(
                    "{subject}: filtered (its response differs from the mix by up to {:+.1} dB)",
                    d.deviation_db.unwrap_or(0.0)
                ),
                format!("re-export {subject} without the EQ or filter on it"),
            ),
            _ => (
                "unexplained",
                "delivery: residual not explained by the polarity, offset, gain, filtering or \
                 resampling of any stem"
                    .to_owned(),
                "compare the session's routing with the mix's (sends, bus processing, \
                 automation)"
                    .to_owned(),
            ),
        },
    };
    Finding {
        stem,
        stem_index: d.stem_index,
        cause: id,
        offset_samples,
        gain_db,
        confidence: finite(d.confidence).map(|c| c.clamp(0.0, 1.0)),
        message,
        channel: d.channel,
        corner_hz: d.corner_hz.and_then(finite),
        processing,
        deviation_db: d.deviation_db.and_then(finite),
        fix,
    }
}

/// The file name of `file`, or `file` itself if it has none.
fn file_name(file: &str) -> String {
    Path::new(file)
        .file_name()
        .map_or_else(|| file.to_owned(), |n| n.to_string_lossy().into_owned())
}

/// The names the report uses: file names, or the paths as given where two share a name.
fn stem_names(stems: &[InputInfo]) -> Vec<String> {
    let names: Vec<String> = stems.iter().map(|s| file_name(&s.format.file)).collect();
    names
        .iter()
        .zip(stems)
        .map(|(name, stem)| {
            if names.iter().filter(|n| *n == name).count() > 1 {
                stem.format.file.clone()
            } else {
                name.clone()
            }
        })
        .collect()
}

/// A level for the report, `-inf` when undefined.
fn show(db: Option<f64>) -> String {
    db.map_or_else(|| "-inf".to_owned(), |v| format!("{v:.1}"))
}

/// The human-readable report: the verdict line, the figures, then one line per finding and
/// per length note.
pub fn report(r: &NullTestResult) -> String {
    let mut out = format!(
        "{}: residual peak {} dBFS (pass ≤ {}, fail > {})\n",
        r.verdict.label(),
        show(r.residual_peak_dbfs),
        r.pass_dbfs,
        r.fail_dbfs
    );
    let rel = |db: Option<f64>| db.map_or_else(String::new, |v| format!(" ({v:.1} dB re mix)"));
    out += &format!(
        "  mix {}: {} Hz, {} ch, {:.2} s; {} stem{}\n",
        file_name(&r.mix),
        r.sample_rate_hz,
        r.num_channels,
        r.mix_duration_s,
        r.stems.len(),
        if r.stems.len() == 1 { "" } else { "s" }
    );
    out += &format!(
        "  residual peak {} dBFS{}, RMS {} dBFS{}\n",
        show(r.residual_peak_dbfs),
        rel(r.residual_peak_rel_db),
        show(r.residual_rms_dbfs),
        rel(r.residual_rms_rel_db),
    );
    out += &match r.sum_level_diff_db {
        Some(db) => format!(
            "  stem sum vs mix RMS {db:+.2} dB ({} ±{} dB)\n",
            if r.sum_within_tolerance {
                "ok, within"
            } else {
                "OUT of"
            },
            r.sum_tolerance_db
        ),
        None => "  stem sum vs mix RMS undefined (silent mix or stems)\n".to_owned(),
    };
    out += &format!(
        "  offset {} samples ({:.2} ms), polarity {}, compared {:.2} s\n",
        r.offset_samples,
        r.offset_ms,
        if r.polarity_inverted {
            "inverted"
        } else {
            "normal"
        },
        r.compared_samples as f64 / f64::from(r.sample_rate_hz),
    );
    let notes: Vec<&String> = r
        .stems
        .iter()
        .filter_map(|s| s.length_note.as_ref())
        .collect();
    if r.diagnoses.is_empty() && notes.is_empty() {
        out += "  diagnosis: none\n";
    }
    for f in &r.diagnoses {
        out += &format!("  - {}", f.message);
        if let Some(c) = f.confidence {
            out += &format!(" [confidence {c:.2}]");
        }
        out += &format!("\n      fix: {}\n", f.fix);
    }
    for note in notes {
        out += &format!("  - note: {note}\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio_file::Audio;
    use shared_dsp::signals::{pink_noise, sine};

    fn input(file: &str, rate: u32, channels: Vec<Vec<f32>>) -> Input {
        Input {
            file: file.to_owned(),
            audio: Audio {
                sample_rate_hz: rate,
                channels,
            },
        }
    }

    #[test]
    fn mismatches_name_the_file_and_what_differs() {
        let mix = input("dir/mix.wav", 48_000, vec![vec![0.0; 10]; 2]);
        let stems = [
            input("a.wav", 44_100, vec![vec![0.0; 10]; 2]),
            input("b.wav", 48_000, vec![vec![0.0; 10]]),
        ];
        let formats: Vec<Format> = stems.iter().map(|s| s.info().format).collect();
        let BadInput(problems) = check_compatible(&mix.info().format, &formats).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert!(problems[0].contains("a.wav: sample rate 44100 Hz"));
        assert!(problems[0].contains("dir/mix.wav: 48000 Hz"));
        assert!(problems[1].contains("b.wav: 1 channel(s)"));
    }

    #[test]
    fn exact_null_has_undefined_residual_levels_and_no_findings() {
        // Stems that take turns, so the f32 mix is their exact sum.
        let mut a = pink_noise(1, 0.5, 48_000);
        let mut b = sine(440.0, 0.25, 48_000.0, 48_000, 0.0);
        a[24_000..].fill(0.0);
        b[..24_000].fill(0.0);
        let sum: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        let mix = input("mix.wav", 48_000, vec![sum]);
        let stems = [
            input("x/a.wav", 48_000, vec![a]),
            input("y/a.wav", 48_000, vec![b]),
        ];
        let r = null_test(&mix, &stems, &NullSettings::default()).unwrap();
        assert_eq!(r.verdict, Outcome::Pass);
        assert_eq!(r.residual_peak_dbfs, None);
        assert!(r.diagnoses.is_empty());
        // Two stems share a file name: the report uses the paths.
        assert_eq!(r.stems[0].name, "x/a.wav");
        let text = report(&r);
        assert!(text.starts_with("PASS: residual peak -inf dBFS"), "{text}");
    }

    #[test]
    fn odd_inputs_neither_panic_nor_produce_non_finite_values() {
        let noise = |seed, len| vec![pink_noise(seed, 0.5, len), pink_noise(seed + 1, 0.5, len)];
        let cases = [
            // (mix, stems)
            (vec![vec![0.25; 1]; 2], vec![vec![vec![0.25; 1]; 2]]),
            (vec![vec![0.0; 1]; 2], vec![vec![vec![0.5; 1]; 2]]),
            (noise(1, 100), vec![noise(3, 100_000)]),
            (
                vec![vec![0.0; 48_000]; 2],
                vec![noise(5, 48_000), noise(7, 10)],
            ),
            (noise(1, 48_000), vec![vec![vec![0.0; 5]; 2]]),
            (
                noise(1, 30),
                vec![noise(1, 30)[..].iter().map(|c| c[20..].to_vec()).collect()],
            ),
        ];
        for (i, (mix, stems)) in cases.into_iter().enumerate() {
            let mix = input("mix.wav", 48_000, mix);
            let stems: Vec<Input> = stems
                .into_iter()
                .map(|c| input("s.wav", 48_000, c))
                .collect();
            let r = null_test(&mix, &stems, &NullSettings::default()).unwrap();
            let json = serde_json::to_string(&r).unwrap();
            assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
            eprintln!("case {i}:\n{}", report(&r));
        }
    }

    #[test]
    fn silent_everything_does_not_produce_non_finite_values() {
        let mix = input("mix.wav", 48_000, vec![vec![0.0; 3000]; 2]);
        let stems = [input("s.wav", 48_000, vec![vec![0.0; 100]; 2])];
        let r = null_test(&mix, &stems, &NullSettings::default()).unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
        assert_eq!(r.sum_level_diff_db, None);
        assert_eq!(r.delivery_gain_db, None);
    }
}
