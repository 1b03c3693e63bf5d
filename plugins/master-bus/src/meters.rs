//! Audio thread → GUI (and saved state) meter values of the Master Bus.
//!
//! Everything is an atomic written once per block by the audio thread, so the editor and the
//! state save read them without locks. The master's loudness readings are also saved with the
//! project ([`SavedReadings`], a nice-plug persistent field): a host — or the test harness —
//! reads exactly what the meter shows by saving the state.

use nice_plug::params::persist::PersistentField;
use plugin_common::history::History;
use plugin_common::meters::PeakMeter;
use serde::{Deserialize, Serialize};
use shared_dsp::loudness::LoudnessReadings;
use shared_dsp::meter_transport::ScalarMeter;
use shared_dsp::null_test::{DiagnosisCell, LiveDiagnosis, LiveNullReadings, Verdict};
use shared_dsp::stereo_image::{StereoImageReadings, StereoImageStatistics};
use shared_dsp::targets::DeliveryTarget;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, Ordering};
use std::sync::Arc;

/// Rows of the scrolling history (one per 100 ms: 10 minutes).
pub const HISTORY_ROWS: usize = 6000;
/// Interval of the history rows, seconds.
pub const HISTORY_INTERVAL_S: f32 = 0.1;

/// Columns of one history row.
pub mod column {
    /// Momentary loudness of the master, LUFS.
    pub const MOMENTARY: usize = 0;
    /// Short-term loudness of the master, LUFS.
    pub const SHORT_TERM: usize = 1;
    /// Glue compressor reduction, dB (positive).
    pub const COMPRESSOR_GR: usize = 2;
    /// Limiter reduction, dB (positive).
    pub const LIMITER_GR: usize = 3;
    /// Phase correlation of the master, full band (−1…1).
    pub const CORRELATION: usize = 4;
    /// Phase correlation of the master below 150 Hz (−1…1).
    pub const LF_CORRELATION: usize = 5;
    /// Number of columns.
    pub const COUNT: usize = 6;
}

/// Loudness readings as atomics (`NEG_INFINITY` = undefined, as in shared-dsp).
#[derive(Debug)]
pub struct LoudnessScalars {
    /// Momentary (400 ms), LUFS.
    pub momentary_lufs: ScalarMeter,
    /// Short-term (3 s), LUFS.
    pub short_term_lufs: ScalarMeter,
    /// Integrated since reset, LUFS.
    pub integrated_lufs: ScalarMeter,
    /// Loudness range, LU.
    pub lra_lu: ScalarMeter,
    /// True peak of the last block, dBTP.
    pub true_peak_dbtp: ScalarMeter,
    /// Largest true peak since reset, dBTP.
    pub max_true_peak_dbtp: ScalarMeter,
    /// Largest sample peak since reset, dBFS.
    pub max_sample_peak_dbfs: ScalarMeter,
    /// Peak-to-loudness ratio, LU.
    pub plr_lu: ScalarMeter,
    /// Largest momentary loudness since reset, LUFS.
    pub max_momentary_lufs: ScalarMeter,
    /// Largest short-term loudness since reset, LUFS.
    pub max_short_term_lufs: ScalarMeter,
}

impl Default for LoudnessScalars {
    fn default() -> Self {
        let undefined = || ScalarMeter::new(f32::NEG_INFINITY);
        Self {
            momentary_lufs: undefined(),
            short_term_lufs: undefined(),
            integrated_lufs: undefined(),
            lra_lu: ScalarMeter::new(0.0),
            true_peak_dbtp: undefined(),
            max_true_peak_dbtp: undefined(),
            max_sample_peak_dbfs: undefined(),
            plr_lu: undefined(),
            max_momentary_lufs: undefined(),
            max_short_term_lufs: undefined(),
        }
    }
}

impl LoudnessScalars {
    /// Audio thread: publishes a meter's readings.
    pub fn publish(&self, r: &LoudnessReadings) {
        self.momentary_lufs.publish(r.momentary_lufs);
        self.short_term_lufs.publish(r.short_term_lufs);
        self.integrated_lufs.publish(r.integrated_lufs);
        self.lra_lu.publish(r.lra_lu);
        self.true_peak_dbtp.publish(r.true_peak_dbtp);
        self.max_true_peak_dbtp.publish(r.max_true_peak_dbtp);
        self.max_sample_peak_dbfs.publish(r.max_sample_peak_dbfs);
        self.plr_lu.publish(r.plr_lu);
        self.max_momentary_lufs.publish(r.max_momentary_lufs);
        self.max_short_term_lufs.publish(r.max_short_term_lufs);
    }
}

/// The stereo image meter's readings and programme statistics as atomics (vinyl checks;
/// `NaN` = nothing measured yet).
#[derive(Debug)]
pub struct StereoScalars {
    /// Phase correlation, full band, −1…1.
    pub correlation: ScalarMeter,
    /// Phase correlation below 150 Hz, −1…1.
    pub lf_correlation: ScalarMeter,
    /// Side over mid energy below 150 Hz, dB.
    pub lf_side_to_mid_db: ScalarMeter,
    /// Level above 8 kHz, dB re full scale.
    pub hf_level_dbfs: ScalarMeter,
    /// The LF anti-phase warning holds now.
    pub lf_antiphase: AtomicBool,
    /// The HF stress warning holds now.
    pub hf_stress: AtomicBool,
    /// Lowest correlation reading since the measurement reset.
    pub min_correlation: ScalarMeter,
    /// Share (0…1) of the LF-active time with a negative LF correlation.
    pub lf_negative_share: ScalarMeter,
    /// Time the LF anti-phase warning held since the reset, s.
    pub lf_antiphase_s: ScalarMeter,
    /// Time the HF stress warning held since the reset, s.
    pub hf_stress_s: ScalarMeter,
}

impl Default for StereoScalars {
    fn default() -> Self {
        let none = || ScalarMeter::new(f32::NAN);
        Self {
            correlation: ScalarMeter::new(0.0),
            lf_correlation: ScalarMeter::new(0.0),
            lf_side_to_mid_db: none(),
            hf_level_dbfs: ScalarMeter::new(f32::NEG_INFINITY),
            lf_antiphase: AtomicBool::new(false),
            hf_stress: AtomicBool::new(false),
            min_correlation: none(),
            lf_negative_share: none(),
            lf_antiphase_s: ScalarMeter::new(0.0),
            hf_stress_s: ScalarMeter::new(0.0),
        }
    }
}

impl StereoScalars {
    /// The saved form.
    pub fn record(&self) -> StereoRecord {
        let defined = |v: f32| v.is_finite().then_some(v);
        StereoRecord {
            correlation: self.correlation.read(),
            lf_correlation: self.lf_correlation.read(),
            min_correlation: defined(self.min_correlation.read()),
            lf_negative_share: defined(self.lf_negative_share.read()),
            lf_antiphase_s: self.lf_antiphase_s.read(),
            hf_stress_s: self.hf_stress_s.read(),
        }
    }

    /// Audio thread: publishes the meter's readings and statistics.
    pub fn publish(&self, r: &StereoImageReadings, s: &StereoImageStatistics) {
        self.correlation.publish(r.correlation);
        self.lf_correlation.publish(r.lf_correlation);
        self.lf_side_to_mid_db.publish(r.lf_side_to_mid_db);
        self.hf_level_dbfs.publish(r.hf_level_dbfs);
        self.lf_antiphase.store(r.lf_antiphase, Ordering::Relaxed);
        self.hf_stress.store(r.hf_stress, Ordering::Relaxed);
        let or_nan = |v: Option<f64>| v.map_or(f32::NAN, |v| v as f32);
        self.min_correlation.publish(or_nan(s.min_correlation));
        self.lf_negative_share.publish(or_nan(s.lf_negative_share));
        self.lf_antiphase_s.publish(s.lf_antiphase_s as f32);
        self.hf_stress_s.publish(s.hf_stress_s as f32);
    }
}

/// Verdict codes of [`NullScalars::verdict`].
pub mod verdict_code {
    /// No reference signal yet, or nothing compared yet.
    pub const NONE: u8 = 0;
    /// Residual peak at or below −60 dBFS.
    pub const PASS: u8 = 1;
    /// Between the limits.
    pub const WARN: u8 = 2;
    /// Residual peak above −40 dBFS.
    pub const FAIL: u8 = 3;
}

/// The live null test's readings as atomics.
#[derive(Debug)]
pub struct NullScalars {
    /// A non-silent reference mix has arrived on the reference input.
    pub reference_seen: AtomicBool,
    /// The offset search has run.
    pub locked: AtomicBool,
    /// How late the stems' sum is against the reference, samples.
    pub offset_samples: AtomicI64,
    /// See [`verdict_code`].
    pub verdict: AtomicU8,
    /// Residual RMS since lock, dBFS.
    pub residual_rms_dbfs: ScalarMeter,
    /// Residual peak since lock, dBFS.
    pub residual_peak_dbfs: ScalarMeter,
    /// Residual RMS relative to the reference, dB.
    pub residual_rms_rel_db: ScalarMeter,
    /// Residual RMS over the last second, dBFS.
    pub live_residual_rms_dbfs: ScalarMeter,
    /// Residual peak over the last second, dBFS.
    pub live_residual_peak_dbfs: ScalarMeter,
    /// RMS of the stems' sum minus RMS of the reference, dB.
    pub sum_level_diff_db: ScalarMeter,
    /// The sum is within ±0.1 dB RMS of the reference.
    pub sum_within_tolerance: AtomicBool,
    /// The likely cause (see [`NullScalars::diagnosis`]).
    diagnosis: DiagnosisCell,
}

impl Default for NullScalars {
    fn default() -> Self {
        Self {
            reference_seen: AtomicBool::new(false),
            locked: AtomicBool::new(false),
            offset_samples: AtomicI64::new(0),
            verdict: AtomicU8::new(verdict_code::NONE),
            residual_rms_dbfs: ScalarMeter::new(f32::NEG_INFINITY),
            residual_peak_dbfs: ScalarMeter::new(f32::NEG_INFINITY),
            residual_rms_rel_db: ScalarMeter::new(f32::NEG_INFINITY),
            live_residual_rms_dbfs: ScalarMeter::new(f32::NEG_INFINITY),
            live_residual_peak_dbfs: ScalarMeter::new(f32::NEG_INFINITY),
            sum_level_diff_db: ScalarMeter::new(0.0),
            sum_within_tolerance: AtomicBool::new(false),
            diagnosis: DiagnosisCell::default(),
        }
    }
}

impl NullScalars {
    /// Audio thread: publishes the analyzer's readings.
    pub fn publish(&self, reference_seen: bool, r: &LiveNullReadings) {
        self.reference_seen.store(reference_seen, Ordering::Relaxed);
        self.locked.store(r.locked, Ordering::Relaxed);
        self.offset_samples
            .store(r.offset_samples as i64, Ordering::Relaxed);
        let code = match r.verdict {
            None => verdict_code::NONE,
            Some(Verdict::Pass) => verdict_code::PASS,
            Some(Verdict::Warn) => verdict_code::WARN,
            Some(Verdict::Fail) => verdict_code::FAIL,
        };
        self.verdict.store(code, Ordering::Relaxed);
        self.residual_rms_dbfs.publish(r.residual_rms_dbfs as f32);
        self.residual_peak_dbfs.publish(r.residual_peak_dbfs as f32);
        self.residual_rms_rel_db
            .publish(r.residual_rms_rel_db as f32);
        self.live_residual_rms_dbfs
            .publish(r.live_residual_rms_dbfs as f32);
        self.live_residual_peak_dbfs
            .publish(r.live_residual_peak_dbfs as f32);
        self.sum_level_diff_db.publish(r.sum_level_diff_db as f32);
        self.sum_within_tolerance
            .store(r.sum_within_tolerance, Ordering::Relaxed);
        self.diagnosis.store(0, r.diagnosis);
    }

    /// The likely cause of a failing null (`None` while passing or not yet analysed).
    pub fn diagnosis(&self) -> Option<LiveDiagnosis> {
        self.diagnosis.load(0)
    }

    /// The saved form (`None` before anything was compared).
    pub fn record(&self) -> Option<NullRecord> {
        let verdict = match self.verdict.load(Ordering::Relaxed) {
            verdict_code::PASS => "pass",
            verdict_code::WARN => "warn",
            verdict_code::FAIL => "fail",
            _ => return None,
        };
        Some(NullRecord {
            verdict: verdict.to_owned(),
            offset_samples: self.offset_samples.load(Ordering::Relaxed),
            residual_rms_dbfs: finite(self.residual_rms_dbfs.read()),
            residual_peak_dbfs: finite(self.residual_peak_dbfs.read()),
            sum_level_diff_db: finite(self.sum_level_diff_db.read()),
            cause: self.diagnosis().map(|d| d.to_string()),
        })
    }
}

/// The saved form of the null test's result (a log of the last comparison; the test itself
/// runs live and starts over after loading).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NullRecord {
    /// `pass`, `warn` or `fail`.
    pub verdict: String,
    /// How late the stems' sum was against the reference, samples.
    pub offset_samples: i64,
    /// Residual RMS, dBFS.
    pub residual_rms_dbfs: Option<f32>,
    /// Residual peak, dBFS.
    pub residual_peak_dbfs: Option<f32>,
    /// RMS of the stems' sum minus RMS of the reference, dB.
    pub sum_level_diff_db: Option<f32>,
    /// The likely cause, as the panel words it.
    pub cause: Option<String>,
}

/// The saved form of the master's readings (JSON cannot hold ±∞: undefined is `None`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadingsRecord {
    /// Integrated loudness, LUFS.
    pub integrated_lufs: Option<f32>,
    /// Loudness range, LU.
    pub lra_lu: Option<f32>,
    /// Largest true peak, dBTP.
    pub max_true_peak_dbtp: Option<f32>,
    /// Largest sample peak, dBFS.
    pub max_sample_peak_dbfs: Option<f32>,
    /// Peak-to-loudness ratio, LU.
    pub plr_lu: Option<f32>,
    /// Largest momentary loudness, LUFS.
    pub max_momentary_lufs: Option<f32>,
    /// Largest short-term loudness, LUFS.
    pub max_short_term_lufs: Option<f32>,
    /// The live null test's last result.
    #[serde(default)]
    pub null: Option<NullRecord>,
    /// The stereo image since the last measurement reset (a log, like the null test's).
    #[serde(default)]
    pub stereo: Option<StereoRecord>,
}

/// The saved form of the stereo image meter's readings (undefined values are `None`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StereoRecord {
    /// Phase correlation at the time of saving, full band.
    pub correlation: f32,
    /// Phase correlation below 150 Hz at the time of saving.
    pub lf_correlation: f32,
    /// Lowest correlation reading since the reset.
    pub min_correlation: Option<f32>,
    /// Share (0…1) of the LF-active time with a negative LF correlation.
    pub lf_negative_share: Option<f32>,
    /// Time the LF anti-phase warning held, s.
    pub lf_antiphase_s: f32,
    /// Time the HF stress warning held, s.
    pub hf_stress_s: f32,
}

/// The master's readings, shared by the audio thread, the editor and the saved state.
#[derive(Debug, Default)]
pub struct SavedReadings {
    /// The processed master's loudness.
    pub master: LoudnessScalars,
    /// The live null test.
    pub null: NullScalars,
    /// The master's stereo image (vinyl checks).
    pub stereo: StereoScalars,
}

/// `Some(value)` when finite.
fn finite(value: f32) -> Option<f32> {
    value.is_finite().then_some(value)
}

impl SavedReadings {
    /// The current readings in their saved form.
    pub fn record(&self) -> ReadingsRecord {
        let m = &self.master;
        ReadingsRecord {
            integrated_lufs: finite(m.integrated_lufs.read()),
            lra_lu: finite(m.lra_lu.read()),
            max_true_peak_dbtp: finite(m.max_true_peak_dbtp.read()),
            max_sample_peak_dbfs: finite(m.max_sample_peak_dbfs.read()),
            plr_lu: finite(m.plr_lu.read()),
            max_momentary_lufs: finite(m.max_momentary_lufs.read()),
            max_short_term_lufs: finite(m.max_short_term_lufs.read()),
            null: self.null.record(),
            stereo: Some(self.stereo.record()),
        }
    }
}

impl<'a> PersistentField<'a, ReadingsRecord> for SavedReadings {
    /// Shows the saved loudness readings until the meter measures new audio (the null test and
    /// the stereo image start over).
    fn set(&self, record: ReadingsRecord) {
        let m = &self.master;
        let or_undefined =
            |v: Option<f32>| v.filter(|v| v.is_finite()).unwrap_or(f32::NEG_INFINITY);
        m.integrated_lufs
            .publish(or_undefined(record.integrated_lufs));
        m.lra_lu
            .publish(record.lra_lu.filter(|v| v.is_finite()).unwrap_or(0.0));
        m.max_true_peak_dbtp
            .publish(or_undefined(record.max_true_peak_dbtp));
        m.max_sample_peak_dbfs
            .publish(or_undefined(record.max_sample_peak_dbfs));
        m.plr_lu.publish(or_undefined(record.plr_lu));
        m.max_momentary_lufs
            .publish(or_undefined(record.max_momentary_lufs));
        m.max_short_term_lufs
            .publish(or_undefined(record.max_short_term_lufs));
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&ReadingsRecord) -> R,
    {
        f(&self.record())
    }
}

impl<'a> PersistentField<'a, ReadingsRecord> for Arc<SavedReadings> {
    fn set(&self, record: ReadingsRecord) {
        self.as_ref().set(record);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&ReadingsRecord) -> R,
    {
        self.as_ref().map(f)
    }
}

/// Every meter value of the bus.
#[derive(Debug)]
pub struct BusMeters {
    /// Input peak (the summed stems).
    pub input: PeakMeter,
    /// Output peak.
    pub output: PeakMeter,
    /// The processed master's loudness (also saved with the state).
    pub readings: Arc<SavedReadings>,
    /// The unprocessed input's loudness (for the A/B match; no true peak).
    pub input_loudness: LoudnessScalars,
    /// Glue compressor reduction, dB (largest of the last block).
    pub compressor_gr_db: ScalarMeter,
    /// Limiter reduction, dB (deepest of the last block).
    pub limiter_gr_db: ScalarMeter,
    /// Deepest limiter reduction since the measurement was reset, dB.
    pub max_limiter_gr_db: ScalarMeter,
    /// Auto makeup currently applied, dB.
    pub auto_makeup_db: ScalarMeter,
    /// Gain the A/B applies to the unprocessed signal to match the master, dB.
    pub ab_match_db: ScalarMeter,
    /// Reported latency, samples.
    pub latency_samples: ScalarMeter,
    /// Sample rate of the activation, Hz (0 before).
    pub sample_rate_hz: ScalarMeter,
    /// Loudness, reduction and correlation history (see [`column`]).
    pub history: History<{ column::COUNT }>,
    /// Set by the GUI to restart the loudness measurement; cleared by the audio thread.
    reset_requested: AtomicBool,
}

impl BusMeters {
    /// Meters at rest, sharing `readings` with the parameters' saved state.
    pub fn new(readings: Arc<SavedReadings>) -> Self {
        Self {
            input: PeakMeter::default(),
            output: PeakMeter::default(),
            readings,
            input_loudness: LoudnessScalars::default(),
            compressor_gr_db: ScalarMeter::new(0.0),
            limiter_gr_db: ScalarMeter::new(0.0),
            max_limiter_gr_db: ScalarMeter::new(0.0),
            auto_makeup_db: ScalarMeter::new(0.0),
            ab_match_db: ScalarMeter::new(0.0),
            latency_samples: ScalarMeter::new(0.0),
            sample_rate_hz: ScalarMeter::new(0.0),
            history: History::new(HISTORY_ROWS),
            reset_requested: AtomicBool::new(false),
        }
    }

    /// GUI: asks the audio thread to restart the loudness measurement (integrated, LRA,
    /// maxima, history) at its next block.
    pub fn request_reset(&self) {
        self.reset_requested.store(true, Ordering::Release);
    }

    /// Limiting needed to bring the master to `target`'s loudness with its true peak at the
    /// target's ceiling, dB (0 when none is, `None` while the loudness is undefined): the
    /// material's own peak-to-loudness ratio — the master's PLR plus the deepest limiting
    /// applied so far — minus the ratio the target allows (ceiling − target loudness).
    pub fn limiting_needed_db(&self, target: &DeliveryTarget) -> Option<f32> {
        let master = &self.readings.master;
        let plr_lu = master.plr_lu.read();
        if !plr_lu.is_finite() {
            return None;
        }
        let material_plr_lu = plr_lu + self.max_limiter_gr_db.read();
        let allowed_plr_lu = target.true_peak_dbtp - target.integrated_lufs;
        Some((material_plr_lu - allowed_plr_lu).max(0.0))
    }

    /// Audio thread: true once per GUI request.
    pub fn take_reset_request(&self) -> bool {
        self.reset_requested.swap(false, Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_dsp::targets::target_by_id;

    #[test]
    fn limiting_needed_is_the_material_plr_beyond_the_target_plr() {
        let meters = BusMeters::new(Arc::new(SavedReadings::default()));
        let spotify = target_by_id("spotify").unwrap();
        assert_eq!(
            meters.limiting_needed_db(spotify),
            None,
            "nothing measured yet"
        );
        // A master at PLR 16 LU after 2 dB of limiting: the material has PLR 18; Spotify
        // allows −1 − (−14) = 13 LU, so 5 dB of limiting in all.
        meters.readings.master.plr_lu.publish(16.0);
        meters.max_limiter_gr_db.publish(2.0);
        let needed = meters.limiting_needed_db(spotify).unwrap();
        assert!((needed - 5.0).abs() < 1e-6, "{needed}");
        meters.readings.master.plr_lu.publish(9.0);
        meters.max_limiter_gr_db.publish(0.0);
        assert_eq!(meters.limiting_needed_db(spotify), Some(0.0));
    }
}
