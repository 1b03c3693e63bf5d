//! The null test's result types and their human-readable summary.

use std::fmt;

/// Overall outcome, decided by the residual peak (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Residual peak at or below `pass_dbfs` (−60 dBFS).
    Pass,
    /// Residual peak between the two limits.
    Warn,
    /// Residual peak above `fail_dbfs` (−40 dBFS).
    Fail,
}

impl Verdict {
    /// The verdict for a residual peak in dBFS: `≤ pass_dbfs` passes, `> fail_dbfs` fails.
    pub fn from_residual_peak_dbfs(peak_dbfs: f64, pass_dbfs: f64, fail_dbfs: f64) -> Self {
        if peak_dbfs <= pass_dbfs {
            Self::Pass
        } else if peak_dbfs > fail_dbfs {
            Self::Fail
        } else {
            Self::Warn
        }
    }
}

/// Why a delivery does not null.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cause {
    /// Polarity flipped.
    Inverted,
    /// Level differs from the mix by `db` (positive = louder than in the mix).
    Gained {
        /// Level error in dB.
        db: f64,
    },
    /// Late by `samples` (negative = early) relative to the reference.
    Offset {
        /// Time offset in samples.
        samples: isize,
    },
    /// The stem is not in the reference mix, or the delivered stem is silent.
    Missing,
    /// The stem went through a sample-rate conversion and lost its top band.
    Resampled,
    /// The reference has level-dependent processing (limiter, compressor, clipper) on the
    /// mix bus that the stems do not have.
    MasterProcessing,
    /// A residual none of the other causes explains.
    Unexplained,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inverted => write!(f, "polarity inverted"),
            Self::Gained { db } => write!(f, "gained by {db:+.2} dB"),
            Self::Offset { samples } => write!(f, "offset by {samples} samples"),
            Self::Missing => write!(f, "missing from the mix (or silent)"),
            Self::Resampled => write!(f, "resampled (top band lost)"),
            Self::MasterProcessing => write!(f, "processing left on the mix bus"),
            Self::Unexplained => write!(f, "unexplained residual"),
        }
    }
}

/// What kind of processing a [`Cause::MasterProcessing`] (or a stem's filtering, reported as
/// [`Cause::Unexplained`] with a stem) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processing {
    /// Level-dependent gain (compressor, limiter, clipper): a residual no linear model
    /// explains that follows the programme's level.
    Dynamics,
    /// A fixed, level-independent filter (an EQ): the same smooth non-flat transfer function
    /// on every stem (mix bus), or on one stem.
    Equalizer,
}

/// One finding of the analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Diagnosis {
    /// Index of the stem concerned (in the order given), `None` for the whole delivery.
    pub stem_index: Option<usize>,
    /// What is wrong.
    pub cause: Cause,
    /// How sure the analysis is, 0..=1 (meaning per cause in the module docs).
    pub confidence: f64,
    /// The one channel concerned (0 = left), when only one channel of the stem is affected
    /// (a polarity flip of one channel); `None` for every channel.
    pub channel: Option<usize>,
    /// For [`Cause::Resampled`]: where the stem's transfer function falls 3 dB below its
    /// low-frequency level, in Hz (names the intermediate rate: about 20 kHz for 44.1 kHz).
    pub corner_hz: Option<f64>,
    /// For [`Cause::MasterProcessing`] and a stem's filtering: which kind of processing.
    pub processing: Option<Processing>,
    /// For filtering ([`Processing::Equalizer`]): the largest deviation of the transfer
    /// function from flat, in dB (signed: positive = boost).
    pub deviation_db: Option<f64>,
}

/// Result of [`super::analyze`]. Levels are dBFS with full-scale DC/square = 0 dBFS (no
/// +3.01 dB sine convention); "rel" values are relative to the reference.
#[derive(Debug, Clone, PartialEq)]
pub struct NullReport {
    /// PASS / WARN / FAIL from `residual_peak_dbfs`.
    pub verdict: Verdict,
    /// How late the delivery is relative to the reference, in samples (negative = early).
    pub offset_samples: isize,
    /// True when the delivery as a whole is polarity-inverted (compensated before the residual).
    pub polarity_inverted: bool,
    /// Least-squares level of the delivery relative to the reference, in dB.
    pub delivery_gain_db: f64,
    /// RMS of the residual over all compared samples and channels, in dBFS.
    pub residual_rms_dbfs: f64,
    /// Peak |residual|, in dBFS.
    pub residual_peak_dbfs: f64,
    /// Residual RMS relative to the reference RMS, in dB.
    pub residual_rms_rel_db: f64,
    /// Residual peak relative to the reference peak, in dB.
    pub residual_peak_rel_db: f64,
    /// RMS level of the stem sum minus RMS level of the reference, in dB.
    pub sum_level_diff_db: f64,
    /// `|sum_level_diff_db| ≤ sum_tolerance_db`.
    pub sum_within_tolerance: bool,
    /// Number of reference samples (per channel) where reference and delivery overlap.
    pub compared_samples: usize,
    /// Least-squares weight of each stem (1.0 each when the delivery passes unexamined): its
    /// signed low-frequency gain in the reference, averaged over channels.
    pub stem_weights: Vec<f64>,
    /// Energy of what the linear per-stem model leaves unexplained, relative to the
    /// reference, in dB (`None` when the delivery passed unexamined).
    pub model_residual_rel_db: Option<f64>,
    /// Correlation (−1..=1) of the per-segment gain that the unexplained residual implies with
    /// the programme level: strongly negative for dynamics on the mix bus (`None` when not
    /// examined).
    pub level_tracking: Option<f64>,
    /// Share (0..=1) of the unexplained residual that a gain changing from one 10 ms frame to
    /// the next explains (`None` when not examined).
    pub varying_gain_share: Option<f64>,
    /// Findings, whole-delivery ones first.
    pub diagnoses: Vec<Diagnosis>,
}

impl Diagnosis {
    /// A finding without details (no channel, corner, processing kind or deviation).
    pub(crate) fn plain(stem_index: Option<usize>, cause: Cause, confidence: f64) -> Self {
        Self {
            stem_index,
            cause,
            confidence,
            channel: None,
            corner_hz: None,
            processing: None,
            deviation_db: None,
        }
    }
}

impl NullReport {
    /// Adds a finding without details.
    pub(crate) fn push(&mut self, stem_index: Option<usize>, cause: Cause, confidence: f64) {
        self.push_diagnosis(Diagnosis::plain(stem_index, cause, confidence));
    }

    /// Adds a finding (confidence clamped to 0..=1).
    pub(crate) fn push_diagnosis(&mut self, diagnosis: Diagnosis) {
        self.diagnoses.push(Diagnosis {
            confidence: diagnosis.confidence.clamp(0.0, 1.0),
            ..diagnosis
        });
    }

    /// The findings about stem `stem_index` (`None` = whole delivery).
    pub fn diagnoses_for(&self, stem_index: Option<usize>) -> impl Iterator<Item = &Diagnosis> {
        self.diagnoses
            .iter()
            .filter(move |d| d.stem_index == stem_index)
    }

    /// A short multi-line text for people: verdict, numbers, then one line per finding.
    pub fn summary(&self) -> String {
        let verdict = match self.verdict {
            Verdict::Pass => "PASS",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
        };
        let mut text = format!(
            "{verdict}: residual peak {:.1} dBFS ({:.1} dB re mix), RMS {:.1} dBFS ({:.1} dB re mix)\n\
             offset {} samples, polarity {}, delivery level {:+.2} dB, stem sum {:+.2} dB vs mix ({})\n",
            self.residual_peak_dbfs,
            self.residual_peak_rel_db,
            self.residual_rms_dbfs,
            self.residual_rms_rel_db,
            self.offset_samples,
            if self.polarity_inverted { "inverted" } else { "normal" },
            self.delivery_gain_db,
            self.sum_level_diff_db,
            if self.sum_within_tolerance { "within tolerance" } else { "out of tolerance" },
        );
        if let (Some(model_db), Some(tracking), Some(share)) = (
            self.model_residual_rel_db,
            self.level_tracking,
            self.varying_gain_share,
        ) {
            text += &format!(
                "model residual {model_db:.1} dB re mix, level tracking {tracking:+.2}, varying \
                 gain {share:.2}\n"
            );
        }
        for d in &self.diagnoses {
            let subject = d
                .stem_index
                .map_or_else(|| "delivery".to_string(), |i| format!("stem {}", i + 1));
            let mut details = String::new();
            if let Some(channel) = d.channel {
                details += &format!(", channel {}", channel + 1);
            }
            if let Some(corner_hz) = d.corner_hz {
                details += &format!(", corner {:.0} Hz", corner_hz);
            }
            if let Some(processing) = d.processing {
                details += &format!(", {processing:?}");
            }
            if let Some(db) = d.deviation_db {
                details += &format!(", up to {db:+.1} dB");
            }
            text += &format!(
                "- {subject}: {}{details} (confidence {:.2})\n",
                d.cause, d.confidence
            );
        }
        text
    }
}
