//! Signals, renders and measurements shared by the host-level tests.

use crate::audio::ParamEvent;
use crate::PluginUnderTest;
use anyhow::Result;
use shared_dsp::signals::{pink_noise, Rng};

/// Multichannel audio, one `Vec` per channel.
pub type Channels = Vec<Vec<f32>>;

/// The sample rates every rate-dependent check runs at, in Hz.
pub const SAMPLE_RATES_HZ: [f64; 7] = [
    22_050.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0, 384_000.0,
];

/// Linear amplitude of a level in dBFS.
pub fn dbfs_to_amplitude(level_dbfs: f64) -> f32 {
    10f64.powf(level_dbfs / 20.0) as f32
}

/// Seeded pink noise with peak `peak_dbfs`, a different seed per channel.
pub fn pink(seed: u64, peak_dbfs: f64, num_channels: usize, num_frames: usize) -> Channels {
    (0..num_channels as u64)
        .map(|ch| pink_noise(seed * 31 + ch, dbfs_to_amplitude(peak_dbfs), num_frames))
        .collect()
}

/// A unit impulse at `at` on every channel.
pub fn impulse(num_channels: usize, num_frames: usize, at: usize) -> Channels {
    let mut x = vec![vec![0.0; num_frames]; num_channels];
    for channel in &mut x {
        channel[at] = 1.0;
    }
    x
}

/// `signal` delayed by `delay` samples (zeros in front), same length.
pub fn delayed(signal: &[Vec<f32>], delay: usize) -> Channels {
    signal
        .iter()
        .map(|c| {
            let mut out = vec![0.0; c.len()];
            if delay < c.len() {
                out[delay..].copy_from_slice(&c[..c.len() - delay]);
            }
            out
        })
        .collect()
}

/// Index of the largest absolute sample of a channel (first one on ties).
pub fn peak_index(channel: &[f32]) -> usize {
    channel
        .iter()
        .enumerate()
        .fold((0, -1.0f32), |(best, peak), (i, s)| {
            if s.abs() > peak {
                (i, s.abs())
            } else {
                (best, peak)
            }
        })
        .0
}

/// Largest absolute sample over all channels.
pub fn peak_abs(signal: &[Vec<f32>]) -> f32 {
    signal.iter().flatten().fold(
        0.0f32,
        |m, s| if s.is_nan() { f32::NAN } else { m.max(s.abs()) },
    )
}

/// True when every sample is finite.
pub fn all_finite(signal: &[Vec<f32>]) -> bool {
    signal.iter().flatten().all(|s| s.is_finite())
}

/// Largest absolute difference between two signals from frame `from` on (NaN if any sample
/// is NaN, infinite if the shapes differ).
pub fn max_abs_diff_from(a: &[Vec<f32>], b: &[Vec<f32>], from: usize) -> f32 {
    if a.len() != b.len() || a.iter().zip(b).any(|(x, y)| x.len() != y.len()) {
        return f32::INFINITY;
    }
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| x.iter().zip(y).skip(from))
        .fold(0.0f32, |m, (x, y)| {
            let d = (x - y).abs();
            if d.is_nan() {
                f32::NAN
            } else {
                m.max(d)
            }
        })
}

/// The first `(channel, frame)` where two signals differ bit for bit, or `None` when they
/// are identical (shapes included; a shape mismatch reports `(usize::MAX, 0)`).
pub fn first_bit_difference(a: &[Vec<f32>], b: &[Vec<f32>]) -> Option<(usize, usize)> {
    if a.len() != b.len() || a.iter().zip(b).any(|(x, y)| x.len() != y.len()) {
        return Some((usize::MAX, 0));
    }
    a.iter().zip(b).enumerate().find_map(|(ch, (x, y))| {
        x.iter()
            .zip(y)
            .position(|(p, q)| p.to_bits() != q.to_bits())
            .map(|i| (ch, i))
    })
}

/// A seeded sequence of block sizes in 1..=`max_block` that covers `num_frames`.
pub fn random_block_sizes(seed: u64, num_frames: usize, max_block: usize) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    let mut sizes = Vec::new();
    let mut total = 0;
    while total < num_frames {
        let n = 1 + (rng.next_u64() % max_block as u64) as usize;
        sizes.push(n);
        total += n;
    }
    sizes
}

/// One full render: instantiate `plugin_id` with `input.len()` channels, apply `setting`
/// before activation, activate at `sample_rate_hz` with `max_block`, process `input` in
/// `block_sizes` with `events`, return the output.
pub fn render(
    plugin_id: &str,
    sample_rate_hz: f64,
    max_block: usize,
    setting: &[(u32, f64)],
    input: &[Vec<f32>],
    block_sizes: &[usize],
    events: &[ParamEvent],
) -> Result<Channels> {
    let mut plugin = PluginUnderTest::open_inactive(plugin_id, input.len())?;
    plugin.set_params(setting)?;
    plugin.activate(sample_rate_hz, max_block)?;
    let mut audio = input.to_vec();
    plugin.process(&mut audio, block_sizes, events)?;
    Ok(audio)
}
