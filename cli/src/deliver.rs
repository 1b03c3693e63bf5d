//! Deliverables: a master converted to a delivery format (resampled with shared-dsp's
//! resampler, TPDF-dithered to 24 bits or to the CD's 16, or kept as 32-bit float), then
//! **re-measured** and held at or below the ceiling:
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

use crate::audio_file::{WavContainer, WavFormat, WavLayout};
use crate::block_meters::{IntegratedLoudness, TruePeakReader};
use crate::spill::{SpillDir, SpillReader, SpillWriter};
use crate::wav_stream::WavStreamWriter;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use shared_dsp::dither::{Dither, DitherSettings, NoiseShaping};
use shared_dsp::limiter::{Limiter, LimiterSettings};
use shared_dsp::resample::SampleRateConverter;
use std::path::Path;

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

/// Frames per block when streaming a deliverable.
const STREAM_BLOCK_FRAMES: usize = 1 << 15;
/// Frames per limiter block.
const LIMITER_BLOCK: usize = 4096;

/// A master to deliver: a stereo spill file at the session rate.
#[derive(Debug, Clone, Copy)]
pub struct MasterSpill<'a> {
    /// The spill file (see [`crate::spill`]).
    pub path: &'a Path,
    /// Frames in it.
    pub num_frames: usize,
    /// Session rate, Hz.
    pub sample_rate_hz: u32,
}

/// Converts `master` to `format` with its true peak at or below `ceiling_dbtp` at the level
/// `trim` asks for, streaming: the converted signal (kept in `spills` when a
/// [`Trim::MatchLufs`] needs it again) through the trim and the safety limiter, once per trim
/// round, the pass that delivers straight on into the delivered samples (quantised to the
/// format's grid), written to `output` as a WAV file (when given; otherwise only measured);
/// a correction re-runs that pass. `name` names this deliverable's spill files.
pub fn deliver(
    master: MasterSpill,
    format: Format,
    ceiling_dbtp: f32,
    trim: Trim,
    spills: &SpillDir,
    name: &str,
    output: Option<&Path>,
) -> Result<DeliveryCheck> {
    let rate = format.sample_rate_hz(master.sample_rate_hz);
    let num_frames = if rate == master.sample_rate_hz {
        master.num_frames
    } else {
        converter(master, rate)?.output_len(master.num_frames)
    };
    let mut converted = Converted {
        master,
        rate,
        spill: None,
    };
    let converted_spill = spills.path(&format!("{name}.converted"));
    let mut converted_true_peak_dbtp = None;
    let (mut trim_db, goal_lufs) = match trim {
        Trim::Fixed(db) => (db, None),
        // First guess: the loudness the conversion lost, before the limiter takes its share.
        Trim::MatchLufs(lufs) => {
            let mut peak = TruePeakReader::new(rate, 2);
            let mut loudness = IntegratedLoudness::new(rate, 2);
            let mut writer = (rate != master.sample_rate_hz)
                .then(|| SpillWriter::create(&converted_spill, 2))
                .transpose()?;
            converted.stream(&mut |block| {
                peak.push(block);
                loudness.push(block);
                writer.as_mut().map_or(Ok(()), |w| w.write(block))
            })?;
            if let Some(writer) = writer {
                writer.finish()?;
                converted.spill = Some(&converted_spill);
            }
            converted_true_peak_dbtp = Some(peak.finish());
            let error_lu = lufs - loudness.finish();
            (
                if error_lu.is_finite() { error_lu } else { 0.0 },
                Some(lufs),
            )
        }
    };
    // A pass: the converted signal trimmed and limited, measured, × `gain` dithered into
    // `output` and measured again.
    let pass = |trim_db: f32, measure_peak: bool, gain: f32| -> Result<Pass> {
        let mut peak = measure_peak.then(|| TruePeakReader::new(rate, 2));
        let mut limiter = SafetyLimiter::new(rate, ceiling_dbtp - SAFETY_MARGIN_DB);
        let mut loudness = IntegratedLoudness::new(rate, 2);
        let mut quantiser = Quantiser::new(num_frames, rate, format, gain, output)?;
        let trim = 10f32.powf(trim_db / 20.0);
        let mut trimmed = vec![Vec::new(); 2];
        let mut emit = |limited: &[&[f32]]| -> Result<()> {
            loudness.push(limited);
            quantiser.push(limited)
        };
        converted.stream(&mut |block| {
            if let Some(peak) = &mut peak {
                peak.push(block);
            }
            for (t, c) in trimmed.iter_mut().zip(block) {
                t.clear();
                t.extend(c.iter().map(|s| s * trim));
            }
            limiter.push(&trimmed, &mut emit)
        })?;
        let limiter_db = limiter.finish(&mut emit)?;
        Ok(Pass {
            limiter_db,
            lufs: loudness.finish(),
            converted_peak_dbtp: peak.map(TruePeakReader::finish),
            delivered_peak_dbtp: quantiser.finish()?,
        })
    };
    // Every pass delivers: the one a trim round ends with is the deliverable (a round that
    // misses the loudness is overwritten by the next).
    let first = pass(trim_db, converted_true_peak_dbtp.is_none(), 1.0)?;
    let converted_true_peak_dbtp = converted_true_peak_dbtp
        .or(first.converted_peak_dbtp)
        .unwrap_or(f32::NEG_INFINITY);
    let mut last = first;
    if let Some(goal) = goal_lufs {
        for _ in 1..MAX_TRIM_ROUNDS {
            let error_lu = goal - last.lufs;
            if !error_lu.is_finite() || error_lu.abs() <= TRIM_TOLERANCE_LU {
                break;
            }
            trim_db += error_lu;
            last = pass(trim_db, false, 1.0)?;
        }
    }
    let Pass {
        limiter_db,
        lufs,
        delivered_peak_dbtp: mut peak,
        ..
    } = last;
    let mut correction_db = 0.0f32;
    for _ in 0..MAX_CORRECTIONS {
        if peak <= ceiling_dbtp {
            break;
        }
        correction_db += ceiling_dbtp - peak - SAFETY_MARGIN_DB;
        peak = pass(trim_db, false, 10f32.powf(correction_db / 20.0))?.delivered_peak_dbtp;
    }
    if converted.spill.is_some() {
        // Only frees the space early: the spill folder goes with the render anyway.
        let _ = std::fs::remove_file(&converted_spill);
    }
    // The dither alone moves the loudness by far less than 0.01 LU; a correction by its gain.
    let integrated_lufs = lufs + correction_db;
    Ok(DeliveryCheck {
        format,
        sample_rate_hz: rate,
        converted_true_peak_dbtp,
        trim_db,
        limiter_db,
        correction_db,
        true_peak_dbtp: peak,
        integrated_lufs,
    })
}

/// What one pass of the safety limiter measured.
struct Pass {
    /// Deepest reduction of the safety limiter, dB.
    limiter_db: f32,
    /// Integrated loudness of the limited signal, LUFS.
    lufs: f32,
    /// True peak of the converted signal, dBTP, when asked for.
    converted_peak_dbtp: Option<f32>,
    /// True peak of the delivered samples, dBTP.
    delivered_peak_dbtp: f32,
}

/// A converter from the master's rate to `rate`.
fn converter(master: MasterSpill, rate: u32) -> Result<SampleRateConverter> {
    SampleRateConverter::new(master.sample_rate_hz, rate, 2)
        .with_context(|| format!("cannot plan {} Hz → {rate} Hz", master.sample_rate_hz))
}

/// The master converted to the delivery rate: read from its spill once written, else the
/// master itself at the session rate, else converted on the fly.
struct Converted<'a> {
    /// The master.
    master: MasterSpill<'a>,
    /// Delivery rate, Hz.
    rate: u32,
    /// The converted signal's spill, once written.
    spill: Option<&'a Path>,
}

impl Converted<'_> {
    /// Calls `f` with the converted signal, block by block.
    fn stream(&self, f: &mut dyn FnMut(&[&[f32]]) -> Result<()>) -> Result<()> {
        let master = self.master;
        let (path, num_frames) = match self.spill {
            Some(path) => (
                path,
                converter(master, self.rate)?.output_len(master.num_frames),
            ),
            None => (master.path, master.num_frames),
        };
        let mut reader = SpillReader::open(path, 2)?;
        let mut block = vec![Vec::new(); 2];
        let mut convert =
            (self.spill.is_none() && self.rate != master.sample_rate_hz).then(|| -> Result<_> {
                let mut c = converter(master, self.rate)?;
                c.begin(master.num_frames);
                Ok(c)
            });
        let mut convert = convert.take().transpose()?;
        let mut converted = vec![Vec::new(); 2];
        let mut pass_on =
            |c: &mut Option<SampleRateConverter>, block: &[Vec<f32>], last: bool| -> Result<()> {
                let slices: Vec<&[f32]> = block.iter().map(Vec::as_slice).collect();
                match c {
                    Some(c) => {
                        converted.iter_mut().for_each(Vec::clear);
                        c.push(&slices, &mut converted);
                        if last {
                            c.finish(&mut converted);
                        }
                        let out: Vec<&[f32]> = converted.iter().map(Vec::as_slice).collect();
                        f(&out)
                    }
                    None => f(&slices),
                }
            };
        let mut pos = 0;
        while pos < num_frames {
            let n = STREAM_BLOCK_FRAMES.min(num_frames - pos);
            reader.read(&mut block, n)?;
            pos += n;
            pass_on(&mut convert, &block, pos == num_frames)?;
        }
        if num_frames == 0 {
            pass_on(&mut convert, &[Vec::new(), Vec::new()], true)?;
        }
        Ok(())
    }
}

/// The last stage of a deliverable: the limited signal × a gain, dithered to the word length
/// of the integer formats, written to the output file (when given) and measured.
struct Quantiser {
    /// Gain applied before the dither, linear.
    gain: f32,
    /// The format's dither; `None` for float.
    dither: Option<Dither>,
    /// True peak of the delivered samples.
    peak: TruePeakReader,
    /// The output file, when written.
    writer: Option<WavStreamWriter>,
    /// The block being quantised, reused.
    block: Vec<Vec<f32>>,
}

impl Quantiser {
    /// A quantiser of `num_frames` frames at `rate` into `output` (if given) in `format`.
    fn new(
        num_frames: usize,
        rate: u32,
        format: Format,
        gain: f32,
        output: Option<&Path>,
    ) -> Result<Self> {
        let layout = WavLayout {
            sample_rate_hz: rate,
            num_channels: 2,
            num_frames,
            format: format.wav_format(),
        };
        let writer = output
            .map(|path| WavStreamWriter::create(path, layout, WavContainer::Auto, true))
            .transpose()?;
        Ok(Self {
            gain,
            dither: format
                .dither()
                .map(|settings| Dither::new(0.0, 0, 2, settings)),
            peak: TruePeakReader::new(rate, 2),
            writer,
            block: vec![Vec::new(); 2],
        })
    }

    /// Quantises, writes and measures the next limited frames.
    fn push(&mut self, limited: &[&[f32]]) -> Result<()> {
        let gain = self.gain;
        for (b, channel) in self.block.iter_mut().zip(limited) {
            b.clear();
            b.extend(channel.iter().map(|s| s * gain));
        }
        let mut slices: Vec<&mut [f32]> = self.block.iter_mut().map(Vec::as_mut_slice).collect();
        if let Some(dither) = &mut self.dither {
            dither.process_block(&mut slices);
        }
        let slices: Vec<&[f32]> = self.block.iter().map(Vec::as_slice).collect();
        self.peak.push(&slices);
        self.writer.as_mut().map_or(Ok(()), |w| w.write(&slices))
    }

    /// Finishes the file; returns the true peak of the delivered samples (BS.1770-4 meter),
    /// dBTP.
    fn finish(self) -> Result<f32> {
        if let Some(writer) = self.writer {
            writer.finish()?;
        }
        Ok(self.peak.finish())
    }
}

/// The safety limiter: a true-peak limiter at a ceiling (default lookahead and release) run
/// in [`LIMITER_BLOCK`]s over the signal padded with its latency in silence, the first
/// latency frames dropped. The blocks are collected in the buffer the limiter works in (one
/// copy of the input).
struct SafetyLimiter {
    /// The limiter; set by `new`.
    limiter: Limiter,
    /// Leading output frames (the latency) still to drop.
    skip_frames: usize,
    /// Deepest reduction so far, dB.
    deepest_db: f32,
    /// The block being collected, then limited in place (up to [`LIMITER_BLOCK`] frames per
    /// channel), reused.
    block: Vec<Vec<f32>>,
}

impl SafetyLimiter {
    fn new(rate: u32, ceiling_dbtp: f32) -> Self {
        let mut limiter = Limiter::new(rate as f32, LIMITER_BLOCK, 2);
        limiter.set_settings(LimiterSettings {
            ceiling_db: ceiling_dbtp,
            ..LimiterSettings::default()
        });
        limiter.reset();
        Self {
            skip_frames: limiter.latency_samples(),
            limiter,
            deepest_db: 0.0,
            block: (0..2).map(|_| Vec::with_capacity(LIMITER_BLOCK)).collect(),
        }
    }

    /// Limits the next frames; `emit` receives the limited frames as they come out.
    fn push(
        &mut self,
        input: &[Vec<f32>],
        emit: &mut dyn FnMut(&[&[f32]]) -> Result<()>,
    ) -> Result<()> {
        let len = input.first().map_or(0, Vec::len);
        let mut pos = 0;
        while pos < len {
            let take = (LIMITER_BLOCK - self.block[0].len()).min(len - pos);
            for (b, c) in self.block.iter_mut().zip(input) {
                b.extend_from_slice(&c[pos..pos + take]);
            }
            pos += take;
            if self.block[0].len() == LIMITER_BLOCK {
                self.limit(emit)?;
            }
        }
        Ok(())
    }

    /// Pushes the latency in silence and limits the last block; returns the deepest
    /// reduction, dB.
    fn finish(mut self, emit: &mut dyn FnMut(&[&[f32]]) -> Result<()>) -> Result<f32> {
        let silence = vec![vec![0.0; self.limiter.latency_samples()]; 2];
        self.push(&silence, emit)?;
        if !self.block[0].is_empty() {
            self.limit(emit)?;
        }
        Ok(self.deepest_db)
    }

    /// Limits the collected block in place, emits it (but for frames still to drop) and
    /// empties it.
    fn limit(&mut self, emit: &mut dyn FnMut(&[&[f32]]) -> Result<()>) -> Result<()> {
        let mut slices: Vec<&mut [f32]> = self.block.iter_mut().map(Vec::as_mut_slice).collect();
        self.limiter.process_block(&mut slices);
        self.deepest_db = self.deepest_db.max(self.limiter.gain_reduction_db());
        let len = self.block[0].len();
        let skip = self.skip_frames.min(len);
        self.skip_frames -= skip;
        let result = if skip < len {
            let out: Vec<&[f32]> = self.block.iter().map(|b| &b[skip..]).collect();
            emit(&out)
        } else {
            Ok(())
        };
        self.block.iter_mut().for_each(Vec::clear);
        result
    }
}
