//! `stemwise measure`: loudness, range and peaks of audio files, with the gain each delivery
//! target would apply.

use crate::audio_file::Audio;
use crate::audio_reader::AudioReader;
use anyhow::{bail, Result};
use serde::Serialize;
use shared_dsp::loudness::{LoudnessMeter, MAX_CHANNELS};
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

/// The measurement of `num_frames` frames that went through `meter`.
fn measurement(
    file: &str,
    sample_rate_hz: u32,
    num_channels: usize,
    num_frames: u64,
    meter: &LoudnessMeter,
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
    }
}

/// Measures audio already in memory (the reference the streaming [`measure_file`] is tested
/// against).
pub fn measure_audio(file: &str, audio: &Audio) -> Result<Measurement> {
    let num_channels = audio.channels.len();
    let mut meter = new_meter(file, audio.sample_rate_hz, num_channels)?;
    let channels = audio.slices();
    let mut block: Vec<&[f32]> = Vec::with_capacity(num_channels);
    for start in (0..audio.num_frames()).step_by(BLOCK_FRAMES) {
        let end = (start + BLOCK_FRAMES).min(audio.num_frames());
        block.clear();
        block.extend(channels.iter().map(|c| &c[start..end]));
        meter.process_block(&block);
    }
    let num_frames = audio.num_frames() as u64;
    Ok(measurement(
        file,
        audio.sample_rate_hz,
        num_channels,
        num_frames,
        &meter,
    ))
}

/// Measures one file, streaming it through the meter block by block: memory stays a few
/// hundred kilobytes whatever the file's length.
pub fn measure_file(path: &Path) -> Result<Measurement> {
    let file = path.display().to_string();
    let mut reader = AudioReader::open(path)?;
    let (rate_hz, num_channels) = (reader.sample_rate_hz(), reader.num_channels());
    let mut meter = new_meter(&file, rate_hz, num_channels)?;
    let mut block = vec![Vec::with_capacity(BLOCK_FRAMES); num_channels];
    while reader.read_block(&mut block, BLOCK_FRAMES)? > 0 {
        let slices: [&[f32]; MAX_CHANNELS] =
            std::array::from_fn(|c| block.get(c).map_or(&[][..], Vec::as_slice));
        meter.process_block(&slices[..num_channels]);
    }
    Ok(measurement(
        &file,
        rate_hz,
        num_channels,
        reader.frames_read(),
        &meter,
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
    out
}
