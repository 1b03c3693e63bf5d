//! `stemwise measure`: loudness, range and peaks of audio files, with the gain each delivery
//! target would apply, and for stereo files the stereo image a vinyl cut depends on
//! (correlation, low-frequency width, HF level, with the cutting warnings).

use crate::audio_file::Audio;
use crate::audio_reader::AudioReader;
use anyhow::{bail, Result};
use serde::Serialize;
use shared_dsp::loudness::{LoudnessMeter, MAX_CHANNELS};
use shared_dsp::stereo_image::{
    StereoImageMeter, StereoImageStatistics, HF_SPLIT_HZ, HF_WARN_DBFS, LF_SPLIT_HZ,
};
use shared_dsp::targets::TARGETS;
use std::path::Path;

/// Frames handed to the meter per call (the meter's block size; any value gives the same
/// result).
const BLOCK_FRAMES: usize = 4096;

/// Every reading of one file. Levels that are undefined (silence) are `None` (`null` in JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    /// The file as given on the command line.
    pub file: String,
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Number of channels.
    pub num_channels: usize,
    /// Duration, seconds.
    pub duration_s: f64,
    /// Gated integrated loudness (ITU-R BS.1770-4), LUFS.
    pub integrated_lufs: Option<f32>,
    /// Loudness range (EBU Tech 3342), LU.
    pub lra_lu: f32,
    /// Largest short-term (3 s) loudness, LUFS.
    pub max_short_term_lufs: Option<f32>,
    /// Largest momentary (400 ms) loudness, LUFS.
    pub max_momentary_lufs: Option<f32>,
    /// Largest true peak (BS.1770-4 Annex 2 oversampling), dBTP.
    pub true_peak_dbtp: Option<f32>,
    /// Largest sample peak, dBFS.
    pub sample_peak_dbfs: Option<f32>,
    /// Peak-to-loudness ratio (true peak minus integrated), LU.
    pub plr_lu: Option<f32>,
    /// What each delivery target does with this file.
    pub targets: Vec<TargetReading>,
    /// The stereo image (vinyl checks); `None` (`null`) when the file is not stereo: not
    /// applicable.
    pub stereo: Option<StereoReport>,
}

/// The stereo image of a whole stereo file ([`shared_dsp::stereo_image`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StereoReport {
    /// The meter's whole-programme statistics.
    #[serde(flatten)]
    pub statistics: StereoImageStatistics,
    /// What would stress a cutting lathe, in words (empty: nothing).
    pub warnings: Vec<String>,
}

impl StereoReport {
    /// The report of what went through `meter`.
    fn of(meter: &StereoImageMeter) -> Self {
        let s = meter.statistics();
        let mut warnings = Vec::new();
        if let Some(first_s) = s.first_lf_antiphase_s {
            warnings.push(format!(
                "LF anti-phase: side above mid below {LF_SPLIT_HZ:.0} Hz for {:.1} s (first at \
                 {}): vertical groove excursions; mono the bass (ms_hp_on) before cutting",
                s.lf_antiphase_s,
                clock(first_s)
            ));
        }
        if let Some(first_s) = s.first_hf_stress_s {
            warnings.push(format!(
                "sustained HF: above {:.0} kHz over {HF_WARN_DBFS:.0} dB for {:.1} s (first at \
                 {}): stresses the cutting head; de-ess or tame the cymbals",
                HF_SPLIT_HZ / 1000.0,
                s.hf_stress_s,
                clock(first_s)
            ));
        }
        Self {
            statistics: s,
            warnings,
        }
    }
}

/// `m:ss.s` of a time in seconds.
fn clock(seconds: f64) -> String {
    let minutes = (seconds / 60.0).floor();
    format!("{minutes:.0}:{:04.1}", seconds - 60.0 * minutes)
}

/// One delivery target's view of a measured file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetReading {
    /// Target identifier (`spotify`, `ebu-r128`, …).
    pub id: &'static str,
    /// Target integrated loudness, LUFS.
    pub target_lufs: f32,
    /// Gain the platform applies on playback (or the delivery spec requires), dB.
    pub gain_db: f32,
    /// The true peak is at or below the target's ceiling.
    pub true_peak_ok: bool,
}

/// `Some(x)` for a finite level, `None` for an undefined one.
fn defined(level: f32) -> Option<f32> {
    level.is_finite().then_some(level)
}

/// A meter for a file at `rate_hz` with `num_channels` channels, or why it cannot be measured.
fn new_meter(file: &str, rate_hz: u32, num_channels: usize) -> Result<LoudnessMeter> {
    if !(1..=MAX_CHANNELS).contains(&num_channels) {
        bail!("{file}: {num_channels} channels; the meter takes 1 to {MAX_CHANNELS}");
    }
    let rate_hz = f64::from(rate_hz);
    if !(8_000.0..=384_000.0).contains(&rate_hz) {
        bail!("{file}: sample rate {rate_hz} Hz is outside 8 kHz to 384 kHz");
    }
    Ok(LoudnessMeter::new(rate_hz, BLOCK_FRAMES, num_channels))
}

/// The stereo image meter for a file with `num_channels` channels (stereo files only).
fn new_stereo_meter(rate_hz: u32, num_channels: usize) -> Option<StereoImageMeter> {
    (num_channels == 2).then(|| StereoImageMeter::new(f64::from(rate_hz)))
}

/// The measurement of `num_frames` frames that went through `meter` (and `stereo`).
fn measurement(
    file: &str,
    sample_rate_hz: u32,
    num_channels: usize,
    num_frames: u64,
    meter: &LoudnessMeter,
    stereo: Option<&StereoImageMeter>,
) -> Measurement {
    let r = meter.readings();
    let targets = TARGETS
        .iter()
        .map(|t| TargetReading {
            id: t.id,
            target_lufs: t.integrated_lufs,
            gain_db: t.normalization_gain_db(r.integrated_lufs, r.max_true_peak_dbtp),
            true_peak_ok: t.true_peak_ok(r.max_true_peak_dbtp),
        })
        .collect();
    Measurement {
        file: file.to_owned(),
        sample_rate_hz,
        num_channels,
        duration_s: num_frames as f64 / f64::from(sample_rate_hz),
        integrated_lufs: defined(r.integrated_lufs),
        lra_lu: r.lra_lu,
        max_short_term_lufs: defined(r.max_short_term_lufs),
        max_momentary_lufs: defined(r.max_momentary_lufs),
        true_peak_dbtp: defined(r.max_true_peak_dbtp),
        sample_peak_dbfs: defined(r.max_sample_peak_dbfs),
        plr_lu: defined(r.plr_lu),
        targets,
        stereo: stereo.map(StereoReport::of),
    }
}

/// Measures audio already in memory (the reference the streaming [`measure_file`] is tested
/// against).
pub fn measure_audio(file: &str, audio: &Audio) -> Result<Measurement> {
    let num_channels = audio.channels.len();
    let mut meter = new_meter(file, audio.sample_rate_hz, num_channels)?;
    let mut stereo = new_stereo_meter(audio.sample_rate_hz, num_channels);
    let channels = audio.slices();
    let mut block: Vec<&[f32]> = Vec::with_capacity(num_channels);
    for start in (0..audio.num_frames()).step_by(BLOCK_FRAMES) {
        let end = (start + BLOCK_FRAMES).min(audio.num_frames());
        block.clear();
        block.extend(channels.iter().map(|c| &c[start..end]));
        meter.process_block(&block);
        if let (Some(stereo), [left, right]) = (&mut stereo, block.as_slice()) {
            stereo.process_block(left, right);
        }
    }
    let num_frames = audio.num_frames() as u64;
    Ok(measurement(
        file,
        audio.sample_rate_hz,
        num_channels,
        num_frames,
        &meter,
        stereo.as_ref(),
    ))
}

/// Measures one file, streaming it through the meter block by block: memory stays a few
/// hundred kilobytes whatever the file's length.
pub fn measure_file(path: &Path) -> Result<Measurement> {
    let file = path.display().to_string();
    let mut reader = AudioReader::open(path)?;
    let (rate_hz, num_channels) = (reader.sample_rate_hz(), reader.num_channels());
    let mut meter = new_meter(&file, rate_hz, num_channels)?;
    let mut stereo = new_stereo_meter(rate_hz, num_channels);
    let mut block = vec![Vec::with_capacity(BLOCK_FRAMES); num_channels];
    while reader.read_block(&mut block, BLOCK_FRAMES)? > 0 {
        let slices: [&[f32]; MAX_CHANNELS] =
            std::array::from_fn(|c| block.get(c).map_or(&[][..], Vec::as_slice));
        meter.process_block(&slices[..num_channels]);
        if let (Some(stereo), [left, right]) = (&mut stereo, &slices[..num_channels]) {
            stereo.process_block(left, right);
        }
    }
    Ok(measurement(
        &file,
        rate_hz,
        num_channels,
        reader.frames_read(),
        &meter,
        stereo.as_ref(),
    ))
}

/// A level for the table, `-inf` when undefined.
fn show(level: Option<f32>) -> String {
    level.map_or_else(|| "-inf".to_owned(), |v| format!("{v:.1}"))
}

/// The human-readable report of one file.
pub fn report(m: &Measurement) -> String {
    let mut out = format!(
        "{}\n  {} Hz, {} ch, {:.2} s\n  integrated {} LUFS   LRA {:.1} LU   PLR {} LU\n  \
         max short-term {} LUFS   max momentary {} LUFS\n  true peak {} dBTP   sample peak {} dBFS\n",
        m.file,
        m.sample_rate_hz,
        m.num_channels,
        m.duration_s,
        show(m.integrated_lufs),
        m.lra_lu,
        show(m.plr_lu),
        show(m.max_short_term_lufs),
        show(m.max_momentary_lufs),
        show(m.true_peak_dbtp),
        show(m.sample_peak_dbfs),
    );
    for t in &m.targets {
        out += &format!(
            "  {:<14} {:>6.1} LUFS  gain {:>+6.1} dB  true peak {}\n",
            t.id,
            t.target_lufs,
            t.gain_db,
            if t.true_peak_ok { "ok" } else { "OVER" }
        );
    }
    out += &stereo_report(m);
    out
}

/// A statistic with `decimals`, `-` when undefined.
fn show_f64(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:+.decimals$}"))
}

/// The stereo image lines of the human-readable report.
fn stereo_report(m: &Measurement) -> String {
    let Some(stereo) = &m.stereo else {
        return format!(
            "  stereo image: not applicable ({} channel{})\n",
            m.num_channels,
            if m.num_channels == 1 { "" } else { "s" }
        );
    };
    let s = &stereo.statistics;
    let mut out = format!(
        "  correlation {} (mean {}, min {})   below {LF_SPLIT_HZ:.0} Hz {} (min {})\n  \
         LF side/mid {} dB (max {} dB, negative {})   HF > {:.0} kHz max {} dB\n",
        show_f64(s.correlation, 2),
        show_f64(s.mean_correlation, 2),
        show_f64(s.min_correlation, 2),
        show_f64(s.lf_correlation, 2),
        show_f64(s.min_lf_correlation, 2),
        show_f64(s.lf_side_to_mid_db, 1),
        show_f64(s.max_lf_side_to_mid_db, 1),
        s.lf_negative_share.map_or_else(
            || "-".to_owned(),
            |v| format!("{:.1} % of the time", 100.0 * v)
        ),
        HF_SPLIT_HZ / 1000.0,
        show_f64(s.max_hf_level_dbfs, 1),
    );
    if stereo.warnings.is_empty() {
        out += "  vinyl: no LF anti-phase, no sustained HF\n";
    }
    for warning in &stereo.warnings {
        out += &format!("  WARNING {warning}\n");
    }
    out
}
