//! Song-like programme for the limiter tests: kick, snare, hi-hats (full band up to Nyquist,
//! as cymbals are on real masters), a band-limited bass line and a sustained chord, mixed
//! differently per channel and normalised to a 0 dBFS sample peak (a finished mix before the
//! limiter's drive).

use shared_dsp::signals::Rng;
use std::f64::consts::TAU;

/// Harmonics of a band-limited saw at `freq_hz`, summed at time `t_s` (only those below
/// `0.45·fs`).
fn saw(freq_hz: f64, t_s: f64, fs: f64) -> f64 {
    let num_harmonics = ((0.45 * fs / freq_hz) as usize).clamp(1, 24);
    (1..=num_harmonics)
        .map(|k| (TAU * freq_hz * k as f64 * t_s).sin() / k as f64)
        .sum::<f64>()
}

/// `seconds` of stereo programme at `fs`; `seed` picks tempo, key, chord and noise.
pub fn song(seed: u64, fs: f64, seconds: f64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = Rng::new(seed);
    let mut uniform =
        |lo: f64, hi: f64| lo + (hi - lo) * 0.5 * (f64::from(rng.next_bipolar()) + 1.0);
    let beat_s = 60.0 / uniform(90.0, 140.0);
    let root_hz = uniform(41.0, 62.0);
    let chord_hz = [4.0, 5.04, 5.99].map(|r| root_hz * r * uniform(0.99, 1.01));
    let hat_level = uniform(0.2, 0.45);
    let mut noise = Rng::new(seed.wrapping_mul(31) + 7);
    let n = (seconds * fs) as usize;
    let (mut left, mut right) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut last_white = 0.0f64;
    for i in 0..n {
        let t = i as f64 / fs;
        let beat = t / beat_s;
        let since_beat_s = beat.fract() * beat_s;
        let since_eighth_s = (2.0 * beat).fract() * beat_s / 2.0;
        let bar_beat = beat as usize % 4;
        let white = f64::from(noise.next_bipolar());
        // Kick: a pitch drop 110 → 45 Hz with a 150 ms decay.
        let kick_hz = 45.0 + 65.0 * (-since_beat_s / 0.03).exp();
        let kick = (TAU * kick_hz * since_beat_s).sin() * (-since_beat_s / 0.15).exp();
        // Snare on beats 2 and 4: noise and a 190 Hz body.
        let snare = if bar_beat % 2 == 1 {
            (0.7 * white + 0.5 * (TAU * 190.0 * since_beat_s).sin()) * (-since_beat_s / 0.08).exp()
        } else {
            0.0
        };
        // Hi-hat on every eighth: differentiated noise (rising to Nyquist), 30 ms decay.
        let hat = hat_level * (white - last_white) * (-since_eighth_s / 0.03).exp();
        last_white = white;
        // Bass on the root, octave jump on beat 3.
        let bass_hz = if bar_beat == 2 {
            2.0 * root_hz
        } else {
            root_hz
        };
        let bass = 0.25 * saw(bass_hz, t, fs) * (1.0 - 0.5 * since_beat_s / beat_s);
        let chord: [f64; 3] = std::array::from_fn(|k| 0.12 * saw(chord_hz[k], t, fs));
        let drums = 0.9 * kick + 0.5 * snare;
        left.push(drums + bass + chord[0] + 0.7 * chord[1] + 0.8 * hat);
        right.push(drums + bass + 0.7 * chord[1] + chord[2] + 0.6 * hat);
    }
    let peak = left
        .iter()
        .chain(&right)
        .fold(0.0f64, |m, x| m.max(x.abs()));
    let normalise = |v: Vec<f64>| v.into_iter().map(|x| (x / peak) as f32).collect();
    (normalise(left), normalise(right))
}
