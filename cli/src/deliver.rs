//! Deliverables: a master converted to a delivery format (resampled with shared-dsp's
//! resampler, TPDF-dithered to 24 bits or to the CD's 16, or kept as 32-bit float), then
//! **re-measured** and
//! held at or below the ceiling:
//! 1. the converted signal goes through shared-dsp's true-peak limiter at the delivery rate
//!    (latency removed). Resampling moves inter-sample peaks, and a version can peak higher
//!    than the full mix whose limiter gains it carries; the limiter catches exactly those
//!    overs, on the 16× grid of the oracle meter, and passes everything else bit for bit, so
//!    an over costs a few hundredths of an LU instead of turning the whole file down. Its
//!    ceiling sits [`SAFETY_MARGIN_DB`] below the delivery ceiling;
//! 2. after quantisation the true peak is measured again (the BS.1770-4 meter, as
//!    `stemwise measure` and delivery checks read it) and, if still over, the file is turned
//!    down by the excess plus [`SAFETY_MARGIN_DB`] and quantised again.
//!
//! With loudness targeting, a `trim_db` before the limiter restores what the conversion took
//! from the loudness (the band above the lower Nyquist frequency, limited overs); the render
//! finds it on the full master and applies the same trim to every version of that format.

use crate::audio_file::{Audio, WavFormat};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use shared_dsp::dither::{Dither, DitherSettings, NoiseShaping};
use shared_dsp::limiter::{Limiter, LimiterSettings};
use shared_dsp::loudness::LoudnessMeter;
use shared_dsp::resample::SampleRateConverter;
use shared_dsp::true_peak::{bs1770_oversampling, measure_true_peak_db};

/// The safety limiter's ceiling sits this far below the delivery ceiling, and a deliverable
/// that still reads over is turned down this much past it, dB: room for the dither, and
/// for the BS.1770 meter's short 4× interpolator, which reads up to about 0.1 dB above the
/// 16× oracle grid the limiters hold.
pub const SAFETY_MARGIN_DB: f32 = 0.1;
/// Correction rounds before giving up (each round re-measures the quantised file).
const MAX_CORRECTIONS: usize = 4;
/// Seed of the TPDF dither (deterministic renders).
const DITHER_SEED: u64 = 7;

/// A delivery format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Format {
    /// 24-bit PCM WAV at 44.1 kHz (resampled, TPDF dither).
    #[serde(rename = "wav24-44k1")]
    Wav24_44k1,
    /// 24-bit PCM WAV at 96 kHz (resampled, TPDF dither).
    #[serde(rename = "wav24-96k")]
    Wav24_96k,
    /// 32-bit float WAV at the session rate.
    #[serde(rename = "float32")]
    Float32,
    /// 24-bit PCM WAV at the session rate (TPDF dither): the vinyl pre-master's format.
    #[serde(rename = "wav24")]
    Wav24,
    /// 16-bit PCM WAV at 44.1 kHz (resampled, TPDF dither): a CD master.
    #[serde(rename = "cd16-44k1")]
    Cd16_44k1,
    /// 16-bit PCM WAV at 44.1 kHz, TPDF dither with second-order noise shaping (the dither
    /// noise moved from the low and middle frequencies towards 22 kHz).
    #[serde(rename = "cd16-44k1-shaped")]
    Cd16_44k1Shaped,
}

impl Format {
    /// The identifier used in session files and file names.
    pub fn id(self) -> &'static str {
        match self {
            Self::Wav24_44k1 => "wav24-44k1",
            Self::Wav24_96k => "wav24-96k",
            Self::Float32 => "float32",
            Self::Wav24 => "wav24",
            Self::Cd16_44k1 => "cd16-44k1",
            Self::Cd16_44k1Shaped => "cd16-44k1-shaped",
        }
    }

    /// Output sample rate for a session at `session_rate_hz`.
    pub fn sample_rate_hz(self, session_rate_hz: u32) -> u32 {
        match self {
            Self::Wav24_44k1 | Self::Cd16_44k1 | Self::Cd16_44k1Shaped => 44_100,
            Self::Wav24_96k => 96_000,
            Self::Float32 | Self::Wav24 => session_rate_hz,
        }
    }

    /// WAV sample format.
    pub fn wav_format(self) -> WavFormat {
        match self {
            Self::Float32 => WavFormat::Float32,
            Self::Cd16_44k1 | Self::Cd16_44k1Shaped => WavFormat::Int16,
            Self::Wav24_44k1 | Self::Wav24_96k | Self::Wav24 => WavFormat::Int24,
        }
    }

    /// The dither that quantises to the format's word length (`None` for float).
    pub fn dither(self) -> Option<DitherSettings> {
        let (bits, shaping) = match self {
            Self::Float32 => return None,
            Self::Wav24_44k1 | Self::Wav24_96k | Self::Wav24 => (24, NoiseShaping::None),
            Self::Cd16_44k1 => (16, NoiseShaping::None),
            Self::Cd16_44k1Shaped => (16, NoiseShaping::SecondOrder),
        };
        Some(DitherSettings {
            bits,
            shaping,
            seed: DITHER_SEED,
        })
    }
}

/// What the conversion did and measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryCheck {
    /// Format.
    pub format: Format,
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// True peak right after conversion (before trim and limiter), dBTP (BS.1770-4 meter).
    pub converted_true_peak_dbtp: f32,
    /// Gain before the safety limiter, dB (with loudness targeting: the one that restores the
    /// master's loudness after conversion).
    pub trim_db: f32,
    /// Deepest reduction of the safety limiter, dB (0 = it did not act: bit-exact).
    pub limiter_db: f32,
    /// Gain applied to bring the true peak under the ceiling, dB (0 = none needed).
    pub correction_db: f32,
    /// True peak of the delivered samples, dBTP (BS.1770-4 meter).
    pub true_peak_dbtp: f32,
    /// Integrated loudness of the delivered samples, LUFS.
    pub integrated_lufs: f32,
}

/// The level a deliverable is given before its safety limiter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trim {
    /// This gain, dB.
    Fixed(f32),
    /// The gain that brings the limited deliverable to this integrated loudness, LUFS (within
    /// [`TRIM_TOLERANCE_LU`]).
    MatchLufs(f32),
}

/// A [`Trim::MatchLufs`] stops this close to its loudness, LU.
pub const TRIM_TOLERANCE_LU: f32 = 0.02;
/// Most limiter passes a [`Trim::MatchLufs`] takes.
const MAX_TRIM_ROUNDS: usize = 4;

/// Converts `master` to `format` with its true peak at or below `ceiling_dbtp` at the level
/// `trim` asks for; returns the delivered samples (quantised to the format's grid) and the
/// checks.
pub fn deliver(
    master: &Audio,
    format: Format,
    ceiling_dbtp: f32,
    trim: Trim,
) -> Result<(Audio, DeliveryCheck)> {
    let converted = convert(master, format)?;
    Ok(finish(&converted, format, ceiling_dbtp, trim))
}

/// `master` resampled to the format's rate (a copy when the rate is the same).
pub fn convert(master: &Audio, format: Format) -> Result<Audio> {
    let rate = format.sample_rate_hz(master.sample_rate_hz);
    let channels = if rate == master.sample_rate_hz {
        master.channels.clone()
    } else {
        SampleRateConverter::new(master.sample_rate_hz, rate, master.channels.len())
            .with_context(|| format!("cannot plan {} Hz → {rate} Hz", master.sample_rate_hz))?
            .process(&master.slices())
    };
    Ok(Audio {
        sample_rate_hz: rate,
        channels,
    })
}

/// The rest of the conversion of an already resampled signal: trim, safety limiter,
/// quantisation and the true-peak re-check (see the module documentation).
pub fn finish(
    converted: &Audio,
    format: Format,
    ceiling_dbtp: f32,
    trim: Trim,
) -> (Audio, DeliveryCheck) {
    let rate = converted.sample_rate_hz;
    let converted_true_peak_dbtp = true_peak_dbtp(&converted.channels, rate);
    let limit = |trim_db: f32| {
        let gain = 10f32.powf(trim_db / 20.0);
        let trimmed: Vec<Vec<f32>> = converted
            .channels
            .iter()
            .map(|c| c.iter().map(|s| s * gain).collect())
            .collect();
        let (limited, limiter_db) = safety_limit(trimmed, rate, ceiling_dbtp - SAFETY_MARGIN_DB);
        let lufs = integrated_lufs(&limited, rate);
        (limited, limiter_db, lufs)
    };
    let (mut trim_db, goal_lufs) = match trim {
        Trim::Fixed(db) => (db, None),
        // First guess: the loudness the conversion lost, before the limiter takes its share.
        Trim::MatchLufs(lufs) => {
            let error_lu = lufs - integrated_lufs(&converted.channels, rate);
            (
                if error_lu.is_finite() { error_lu } else { 0.0 },
                Some(lufs),
            )
        }
    };
    let (mut limited, mut limiter_db, mut lufs) = limit(trim_db);
    if let Some(goal) = goal_lufs {
        for _ in 1..MAX_TRIM_ROUNDS {
            let error_lu = goal - lufs;
            if !error_lu.is_finite() || error_lu.abs() <= TRIM_TOLERANCE_LU {
                break;
            }
            trim_db += error_lu;
            (limited, limiter_db, lufs) = limit(trim_db);
        }
    }
    let mut correction_db = 0.0f32;
    let mut delivered = quantise(&limited, format, 1.0);
    let mut peak = true_peak_dbtp(&delivered, rate);
    for _ in 0..MAX_CORRECTIONS {
        if peak <= ceiling_dbtp {
            break;
        }
        correction_db += ceiling_dbtp - peak - SAFETY_MARGIN_DB;
        delivered = quantise(&limited, format, 10f32.powf(correction_db / 20.0));
        peak = true_peak_dbtp(&delivered, rate);
    }
    // The dither alone moves the loudness by far less than 0.01 LU; a correction by its gain.
    let integrated_lufs = lufs + correction_db;
    let audio = Audio {
        sample_rate_hz: rate,
        channels: delivered,
    };
    let check = DeliveryCheck {
        format,
        sample_rate_hz: rate,
        converted_true_peak_dbtp,
        trim_db,
        limiter_db,
        correction_db,
        true_peak_dbtp: peak,
        integrated_lufs,
    };
    (audio, check)
}

/// Frames per limiter block.
const LIMITER_BLOCK: usize = 4096;

/// `channels` through a true-peak limiter at `ceiling_dbtp` (default lookahead and release),
/// latency removed; returns the limited channels and the deepest reduction in dB.
fn safety_limit(mut channels: Vec<Vec<f32>>, rate: u32, ceiling_dbtp: f32) -> (Vec<Vec<f32>>, f32) {
    let mut limiter = Limiter::new(rate as f32, LIMITER_BLOCK, channels.len());
    limiter.set_settings(LimiterSettings {
        ceiling_db: ceiling_dbtp,
        ..LimiterSettings::default()
    });
    limiter.reset();
    let latency = limiter.latency_samples();
    let len = channels.first().map_or(0, Vec::len);
    for c in &mut channels {
        c.resize(len + latency, 0.0);
    }
    let mut deepest_db = 0.0f32;
    for start in (0..len + latency).step_by(LIMITER_BLOCK) {
        let end = (start + LIMITER_BLOCK).min(len + latency);
        let mut block: Vec<&mut [f32]> = channels.iter_mut().map(|c| &mut c[start..end]).collect();
        limiter.process_block(&mut block);
        deepest_db = deepest_db.max(limiter.gain_reduction_db());
    }
    for c in &mut channels {
        c.drain(..latency);
    }
    (channels, deepest_db)
}

/// `channels × gain`, dithered to the word length of the integer formats.
fn quantise(channels: &[Vec<f32>], format: Format, gain: f32) -> Vec<Vec<f32>> {
    let mut out: Vec<Vec<f32>> = channels
        .iter()
        .map(|c| c.iter().map(|s| s * gain).collect())
        .collect();
    if let Some(settings) = format.dither() {
        let mut dither = Dither::new(0.0, 0, out.len(), settings);
        let mut slices: Vec<&mut [f32]> = out.iter_mut().map(Vec::as_mut_slice).collect();
        dither.process_block(&mut slices);
    }
    out
}

/// True peak of `channels` as the BS.1770-4 meter reads it (4× below 96 kHz), dBTP.
pub fn true_peak_dbtp(channels: &[Vec<f32>], sample_rate_hz: u32) -> f32 {
    let slices: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    let rate = f64::from(sample_rate_hz);
    measure_true_peak_db(&slices, rate, bs1770_oversampling(rate))
}

/// Integrated loudness of `channels` at `sample_rate_hz`, LUFS (−∞ for silence).
pub fn integrated_lufs(channels: &[Vec<f32>], sample_rate_hz: u32) -> f32 {
    let len = channels.first().map_or(0, Vec::len);
    let mut meter =
        LoudnessMeter::loudness_only(f64::from(sample_rate_hz), len.max(1), channels.len());
    let slices: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    meter.process_block(&slices);
    meter.readings().integrated_lufs
}
