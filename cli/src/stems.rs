//! Reading a session's stems (checked for rate, length and channels) and running each through
//! its Stem Strip, latency-compensated, on one or more threads.

use crate::audio_file::read_audio;
use crate::parallel::parallel_map;
use crate::progress::Progress;
use crate::session::Session;
use anyhow::{bail, Context, Result};
use shared_dsp::resample::SampleRateConverter;
use shared_dsp::strip::{StripChain, StripSettings};
use std::sync::Mutex;

/// Frames per `process_block` call of the offline renders (a typical large host block).
pub const RENDER_BLOCK: usize = 1024;

/// Stereo audio: two channels of equal length.
pub type Stereo = Vec<Vec<f32>>;

/// How to treat stems that do not match.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Convert stems at another sample rate to the session rate.
    pub resample: bool,
    /// Pad shorter stems with silence to the longest.
    pub pad: bool,
}

/// The session's stems, decoded, as stereo at one rate and length.
#[derive(Debug, Clone)]
pub struct LoadedStems {
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Frames per stem.
    pub num_frames: usize,
    /// One stereo signal per stem, in session order.
    pub audio: Vec<Stereo>,
}

/// Reads every stem of `session`. Errors name the file and what is wrong with it, and say
/// which option would fix it.
pub fn load_stems(
    session: &Session,
    options: LoadOptions,
    progress: Progress,
) -> Result<LoadedStems> {
    let bar = progress.bar(session.stems.len() as u64, "reading stems");
    let mut decoded = Vec::new();
    for stem in &session.stems {
        let audio = read_audio(&stem.path)?;
        bar.inc(1);
        decoded.push(audio);
    }
    bar.finish_and_clear();
    let first = &session.stems[0];
    let rate = session.sample_rate_hz.unwrap_or(decoded[0].sample_rate_hz);
    let mut audio = Vec::new();
    for (stem, file) in session.stems.iter().zip(decoded) {
        let channels = match file.channels.len() {
            1 => vec![file.channels[0].clone(), file.channels[0].clone()],
            2 => file.channels.clone(),
            n => bail!(
                "{}: {n} channels; stems must be mono or stereo",
                stem.path.display()
            ),
        };
        let channels = if file.sample_rate_hz == rate {
            channels
        } else if options.resample {
            let slices: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
            SampleRateConverter::new(file.sample_rate_hz, rate, 2)
                .with_context(|| format!("{}: cannot resample", stem.path.display()))?
                .process(&slices)
        } else {
            let why = match session.sample_rate_hz {
                Some(_) => "sample_rate_hz of the session".to_owned(),
                None => format!("the rate of the first stem, {}", first.path.display()),
            };
            bail!(
                "{}: sample rate {} Hz, but the session renders at {rate} Hz ({why}); \
                 use --resample to convert it",
                stem.path.display(),
                file.sample_rate_hz
            );
        };
        audio.push(channels);
    }
    let longest = audio.iter().map(|a| a[0].len()).max().unwrap_or(0);
    for (stem, channels) in session.stems.iter().zip(&mut audio) {
        let len = channels[0].len();
        // Resampling may round the length of a stem by a frame: always pad that.
        if len < longest && (options.pad || (options.resample && longest - len <= 1)) {
            for c in channels.iter_mut() {
                c.resize(longest, 0.0);
            }
        } else if len != longest {
            let seconds = |n: usize| n as f64 / f64::from(rate);
            bail!(
                "{}: {:.3} s ({len} frames), but the longest stem is {:.3} s ({longest} frames); \
                 use --pad to pad shorter stems with silence",
                stem.path.display(),
                seconds(len),
                seconds(longest)
            );
        }
    }
    Ok(LoadedStems {
        sample_rate_hz: rate,
        num_frames: longest,
        audio,
    })
}

/// Runs each stem through a Stem Strip with its settings, in place, with the strip's latency
/// removed (the output lines up with the input, as with a host's delay compensation), on up
/// to `num_threads` threads.
pub fn process_strips(
    stems: &mut [Stereo],
    settings: &[StripSettings],
    sample_rate_hz: u32,
    num_threads: usize,
    progress: Progress,
) {
    let total_blocks: usize = stems
        .iter()
        .map(|s| s[0].len().div_ceil(RENDER_BLOCK))
        .sum();
    let bar = progress.bar(total_blocks as u64, "stem strips");
    let jobs: Vec<Mutex<(&mut Stereo, StripSettings)>> = stems
        .iter_mut()
        .zip(settings)
        .map(|(s, &st)| Mutex::new((s, st)))
        .collect();
    parallel_map(&jobs, num_threads, |job| {
        let mut job = job.lock().unwrap_or_else(|e| e.into_inner());
        let (audio, strip) = &mut *job;
        run_strip(audio, *strip, sample_rate_hz, &|| bar.inc(1));
    });
    bar.finish_and_clear();
}

/// One stem through one strip, latency-compensated; `tick` is called once per block.
pub fn run_strip(
    audio: &mut Stereo,
    settings: StripSettings,
    sample_rate_hz: u32,
    tick: &dyn Fn(),
) {
    let mut strip = StripChain::new(f64::from(sample_rate_hz), RENDER_BLOCK, 2);
    strip.set_settings(settings);
    strip.reset();
    let latency = strip.latency_samples();
    let len = audio[0].len();
    for c in audio.iter_mut() {
        c.resize(len + latency, 0.0);
    }
    let (left, right) = audio.split_at_mut(1);
    let (l, r) = (&mut left[0], &mut right[0]);
    for start in (0..len + latency).step_by(RENDER_BLOCK) {
        let end = (start + RENDER_BLOCK).min(len + latency);
        strip.process_block(&mut [&mut l[start..end], &mut r[start..end]]);
        tick();
    }
    for c in audio.iter_mut() {
        c.drain(..latency);
    }
}
