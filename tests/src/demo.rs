//! The foundation demo: four synthesized stems, each through its own Stem Strip, summed,
//! through the Master Bus, written as 24-bit WAVs and measured.
//!
//! Everything is deterministic (seeded signals, fixed settings), so two renders are
//! identical. The plugins are the built CLAP bundles, driven by the harness's host.

use crate::bundles::{MASTER_BUS_ID, STEM_STRIP_ID};
use crate::checks::Channels;
use crate::params::param_named;
use crate::wav::write_wav_24;
use crate::PluginUnderTest;
use anyhow::{Context, Result};
use shared_dsp::loudness::LoudnessMeter;
use shared_dsp::null_test::{analyze, NullSettings};
use shared_dsp::signals::{pink_noise, sine, transient_train};
use std::f64::consts::TAU;
use std::path::{Path, PathBuf};

/// Sample rate of the demo, in Hz.
pub const DEMO_SAMPLE_RATE_HZ: u32 = 48_000;
/// Length of the full demo, in seconds.
pub const DEMO_DURATION_S: f64 = 20.0;
/// Host block size used for the render, in frames.
const DEMO_BLOCK: usize = 512;

/// One synthesized stem and the gentle Stem Strip move applied to it.
struct Stem {
    /// File stem name (`drums`, `bass`, ...).
    name: &'static str,
    /// Stereo audio.
    audio: Channels,
    /// Stem Strip trim in dB (the "Trim" parameter).
    trim_db: f64,
}

/// What the demo rendered and measured.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoReport {
    /// Every WAV written: the four processed stems, the sum and the master.
    pub files: Vec<PathBuf>,
    /// Frames per file.
    pub num_frames: usize,
    /// Integrated loudness of the master, LUFS (`shared_dsp::loudness`).
    pub integrated_lufs: f32,
    /// Maximum true peak of the master, dBTP.
    pub true_peak_dbtp: f32,
    /// Loudness range of the master, LU.
    pub lra_lu: f32,
    /// Largest |difference| between the stems through default Stem Strips, summed, and the
    /// plain sum of the stems (0 when the strip is transparent).
    pub null_max_abs: f32,
    /// Residual peak of the same comparison from `shared_dsp::null_test::analyze`, dBFS.
    pub null_residual_peak_dbfs: f64,
}

/// Renders the demo of `duration_s` seconds into `out_dir` (created if missing).
pub fn render_demo(out_dir: &Path, duration_s: f64) -> Result<DemoReport> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let sample_rate_hz = f64::from(DEMO_SAMPLE_RATE_HZ);
    let num_frames = (duration_s * sample_rate_hz).round() as usize;
    let stems = synthesize_stems(sample_rate_hz, num_frames);
    let mut files = Vec::new();

    let mut sum = vec![vec![0.0f32; num_frames]; 2];
    for stem in &stems {
        let processed = through_strip(&stem.audio, Some(stem.trim_db), sample_rate_hz)?;
        add_into(&mut sum, &processed);
        files.push(write(
            out_dir,
            &format!("stem_{}.wav", stem.name),
            &processed,
        )?);
    }
    files.push(write(out_dir, "sum.wav", &sum)?);

    let mut master_bus = PluginUnderTest::open_inactive(MASTER_BUS_ID, 2)?;
    set_typed(&mut master_bus, "Output Gain", "-1")?;
    master_bus.activate(sample_rate_hz, DEMO_BLOCK)?;
    let master = process_aligned(&mut master_bus, &sum)?;
    files.push(write(out_dir, "master.wav", &master)?);

    let mut meter = LoudnessMeter::new(sample_rate_hz, DEMO_BLOCK, 2);
    for start in (0..num_frames).step_by(DEMO_BLOCK) {
        let end = (start + DEMO_BLOCK).min(num_frames);
        meter.process_block(&[&master[0][start..end], &master[1][start..end]]);
    }
    let readings = meter.readings();

    let mut plain_sum = vec![vec![0.0f32; num_frames]; 2];
    let mut strip_sum = vec![vec![0.0f32; num_frames]; 2];
    let mut strip_outputs = Vec::new();
    for stem in &stems {
        add_into(&mut plain_sum, &stem.audio);
        let through = through_strip(&stem.audio, None, sample_rate_hz)?;
        add_into(&mut strip_sum, &through);
        strip_outputs.push(through);
    }
    let null_max_abs = crate::checks::max_abs_diff_from(&strip_sum, &plain_sum, 0);
    let reference: Vec<&[f32]> = plain_sum.iter().map(Vec::as_slice).collect();
    let stem_refs: Vec<Vec<&[f32]>> = strip_outputs
        .iter()
        .map(|s| s.iter().map(Vec::as_slice).collect())
        .collect();
    let stem_slices: Vec<&[&[f32]]> = stem_refs.iter().map(Vec::as_slice).collect();
    let null = analyze(
        &reference,
        &stem_slices,
        sample_rate_hz,
        &NullSettings::default(),
    );

    Ok(DemoReport {
        files,
        num_frames,
        integrated_lufs: readings.integrated_lufs,
        true_peak_dbtp: readings.max_true_peak_dbtp,
        lra_lu: readings.lra_lu,
        null_max_abs,
        null_residual_peak_dbfs: null.residual_peak_dbfs,
    })
}

/// Runs `audio` through a fresh Stem Strip, with `trim_db` set before activation when given
/// (defaults otherwise), latency-compensated as a host's delay compensation does.
fn through_strip(
    audio: &[Vec<f32>],
    trim_db: Option<f64>,
    sample_rate_hz: f64,
) -> Result<Channels> {
    let mut strip = PluginUnderTest::open_inactive(STEM_STRIP_ID, audio.len())?;
    if let Some(trim_db) = trim_db {
        set_typed(&mut strip, "Trim", &trim_db.to_string())?;
    }
    strip.activate(sample_rate_hz, DEMO_BLOCK)?;
    process_aligned(&mut strip, audio)
}

/// Sets the parameter called `name` to the value the plugin parses from `text`, as a host
/// does for a typed-in value.
fn set_typed(plugin: &mut PluginUnderTest, name: &str, text: &str) -> Result<()> {
    let id = param_named(plugin.params(), name)
        .with_context(|| format!("no \"{name}\" parameter"))?
        .id;
    let value = plugin.value_from_text(id, text)?;
    plugin.set_param(id, value)
}

/// Processes `audio` through an active plugin and removes its reported latency (the input
/// is extended by that many zeros), so the output lines up with the input sample for sample.
fn process_aligned(plugin: &mut PluginUnderTest, audio: &[Vec<f32>]) -> Result<Channels> {
    let latency = plugin.latency()? as usize;
    let mut out: Channels = audio
        .iter()
        .map(|c| {
            c.iter()
                .copied()
                .chain(std::iter::repeat_n(0.0, latency))
                .collect()
        })
        .collect();
    plugin.process(&mut out, &[DEMO_BLOCK], &[])?;
    for channel in &mut out {
        channel.drain(..latency);
    }
    Ok(out)
}

/// Writes one 24-bit WAV into `dir` and returns its path.
fn write(dir: &Path, name: &str, audio: &[Vec<f32>]) -> Result<PathBuf> {
    let path = dir.join(name);
    write_wav_24(&path, audio, DEMO_SAMPLE_RATE_HZ)?;
    Ok(path)
}

/// `acc += x`, channel by channel.
fn add_into(acc: &mut [Vec<f32>], x: &[Vec<f32>]) {
    for (a, b) in acc.iter_mut().zip(x) {
        for (a, b) in a.iter_mut().zip(b) {
            *a += b;
        }
    }
}

/// The four demo stems: drums (noise transient train), bass (55 Hz with its octave), keys
/// (C major chord, slightly detuned right channel) and a vocal-like band of noise with a
/// syllable-rate envelope. Peaks stay below −6 dBFS each.
fn synthesize_stems(sample_rate_hz: f64, n: usize) -> Vec<Stem> {
    let sr = sample_rate_hz;
    let drums = vec![
        transient_train(1, 0.45, sr, n, 0.5, 80.0),
        transient_train(2, 0.45, sr, n, 0.5, 80.0),
    ];
    let bass_mono = mix(&[sine(55.0, 0.25, sr, n, 0.0), sine(110.0, 0.08, sr, n, 0.3)]);
    let bass = vec![bass_mono.clone(), bass_mono];
    let chord = |detune: f64| {
        mix(&[
            sine(261.63 * detune, 0.07, sr, n, 0.0),
            sine(329.63 * detune, 0.07, sr, n, 1.0),
            sine(392.00 * detune, 0.07, sr, n, 2.0),
        ])
    };
    let keys = vec![chord(1.0), chord(1.002)];
    let vocal = (0..2u64)
        .map(|ch| band_noise(pink_noise(10 + ch, 0.5, n), sr))
        .collect();
    vec![
        Stem {
            name: "drums",
            audio: drums,
            trim_db: 0.0,
        },
        Stem {
            name: "bass",
            audio: bass,
            trim_db: 0.5,
        },
        Stem {
            name: "keys",
            audio: keys,
            trim_db: -1.0,
        },
        Stem {
            name: "vocal",
            audio: vocal,
            trim_db: 1.0,
        },
    ]
}

/// Sample-wise sum of equally long signals.
fn mix(parts: &[Vec<f32>]) -> Vec<f32> {
    (0..parts[0].len())
        .map(|i| parts.iter().map(|p| p[i]).sum())
        .collect()
}

/// Band-limits noise to roughly 300 Hz–3 kHz (one-pole high- and low-pass) and shapes it with
/// a 4 Hz syllable envelope, like a voice.
fn band_noise(noise: Vec<f32>, sample_rate_hz: f64) -> Vec<f32> {
    let coeff = |cutoff_hz: f64| (-TAU * cutoff_hz / sample_rate_hz).exp() as f32;
    let (a_hp, a_lp) = (coeff(300.0), coeff(3000.0));
    let (mut lp_for_hp, mut lp) = (0.0f32, 0.0f32);
    noise
        .into_iter()
        .enumerate()
        .map(|(i, x)| {
            lp_for_hp = a_hp * lp_for_hp + (1.0 - a_hp) * x;
            lp = a_lp * lp + (1.0 - a_lp) * (x - lp_for_hp);
            let envelope = 0.5 - 0.5 * (TAU * 4.0 * i as f64 / sample_rate_hz).cos();
            lp * envelope as f32
        })
        .collect()
}
