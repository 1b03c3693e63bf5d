//! The limiter stress set: sines up to 0.49·fs, naive square and saw waves, clipped material,
//! impulses, noise and drum-like transients, one second each, stereo.

use shared_dsp::signals::{pink_noise, sine, transient_train, white_noise, Rng};
use std::f64::consts::FRAC_PI_4;

/// Seconds of audio per stress case.
pub const CASE_SECONDS: f64 = 1.0;
/// A naive (aliased) square wave at `freq_hz`.
fn square(freq_hz: f64, fs: f64, n: usize) -> Vec<f32> {
    sine(freq_hz, 1.0, fs, n, 0.3)
        .iter()
        .map(|s| if *s >= 0.0 { 1.0 } else { -1.0 })
        .collect()
}

/// A naive (aliased) rising saw wave at `freq_hz`, full scale.
fn saw(freq_hz: f64, fs: f64, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (2.0 * (i as f64 * freq_hz / fs).fract() - 1.0) as f32)
        .collect()
}

/// Pink noise boosted by 12 dB and hard-clipped at full scale (brickwalled master).
fn clipped(seed: u64, n: usize) -> Vec<f32> {
    pink_noise(seed, 4.0, n)
        .iter()
        .map(|s| s.clamp(-1.0, 1.0))
        .collect()
}

/// Full-scale single-sample impulses of random sign at random spacing (1…200 frames).
fn impulses(seed: u64, n: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut v = vec![0.0; n];
    let mut i = 0;
    while i < n {
        v[i] = if rng.next_bipolar() > 0.0 { 1.0 } else { -1.0 };
        i += 1 + (rng.next_u64() % 200) as usize;
    }
    v
}

/// The stress set at `fs`: (name, left, right).
pub fn stress_set(fs: f64) -> Vec<(String, Vec<f32>, Vec<f32>)> {
    let n = (CASE_SECONDS * fs) as usize;
    let mut set = Vec::new();
    for f in [20.0, 997.0, 5_000.0, 0.33 * fs, 0.45 * fs, 0.49 * fs] {
        set.push((
            format!("sine {f:.0} Hz"),
            sine(f, 1.0, fs, n, 0.0),
            sine(f, 1.0, fs, n, 1.0),
        ));
    }
    let quarter = sine(0.25 * fs, 1.0, fs, n, FRAC_PI_4);
    set.push(("sine fs/4 45°".into(), quarter.clone(), quarter));
    set.push((
        "square 1 kHz".into(),
        square(1_000.0, fs, n),
        square(3_100.0, fs, n),
    ));
    set.push(("saw 2.2 kHz".into(), saw(2_200.0, fs, n), saw(440.0, fs, n)));
    set.push(("clipped pink".into(), clipped(1, n), clipped(2, n)));
    set.push(("impulses".into(), impulses(3, n), impulses(4, n)));
    set.push((
        "white noise".into(),
        white_noise(5, 1.0, n),
        white_noise(6, 1.0, n),
    ));
    set.push((
        "pink noise".into(),
        pink_noise(7, 1.0, n),
        pink_noise(8, 1.0, n),
    ));
    let drums = |seed| transient_train(seed, 1.0, fs, n, 0.125, 40.0);
    set.push(("transients".into(), drums(9), drums(10)));
    set
}
