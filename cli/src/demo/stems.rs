//! The demo's four stems, synthesized in code (no audio assets), deterministic: a 120 BPM
//! groove in A minor over Am–F–C–G, one chord per bar.
//! - drums: pitch-swept kick on 1 and 3, noise snare with a body tone on 2 and 4, eighth-note
//!   hats panned slightly right;
//! - bass: eighth-note plucks on the chord roots, sine plus soft-clipped octave;
//! - keys: the triads as band-limited saws, right channel detuned for width;
//! - lead: a vocal-like line — a harmonic source with vibrato through two formant
//!   resonances, phrased in syllables, resting every fourth bar.

use crate::stems::Stereo;
use shared_dsp::signals::Rng;
use std::f64::consts::TAU;

/// Tempo, beats per second (120 BPM).
const BEATS_PER_S: f64 = 2.0;
/// Chord roots of the four-bar loop, Hz (A1, F1, C2, G1).
const ROOTS_HZ: [f64; 4] = [55.0, 43.65, 65.41, 49.0];
/// Triads of the loop as semitones above A3 (220 Hz): Am, F, C, G.
const TRIADS: [[i32; 3]; 4] = [[0, 3, 7], [-4, 0, 3], [3, 7, 10], [-2, 2, 5]];
/// Lead melody: one note per half bar, semitones above A4 (440 Hz); `None` rests.
const MELODY: [Option<i32>; 8] = [
    Some(0),
    Some(3),
    Some(-4),
    Some(-2),
    Some(3),
    Some(7),
    Some(5),
    None,
];

/// One named, stereo stem.
pub struct DemoStem {
    /// Stem name (also its role).
    pub name: &'static str,
    /// Stereo samples.
    pub audio: Stereo,
}

/// The four stems, `num_frames` long at `rate_hz`.
pub fn synthesize(rate_hz: f64, num_frames: usize) -> Vec<DemoStem> {
    vec![
        DemoStem {
            name: "drums",
            audio: drums(rate_hz, num_frames),
        },
        DemoStem {
            name: "bass",
            audio: bass(rate_hz, num_frames),
        },
        DemoStem {
            name: "keys",
            audio: keys(rate_hz, num_frames),
        },
        DemoStem {
            name: "vocals",
            audio: lead(rate_hz, num_frames),
        },
    ]
}

/// Seconds since the last grid point of `period_s`, and the grid index.
fn since(t: f64, period_s: f64) -> (f64, usize) {
    let index = (t / period_s).floor();
    (t - index * period_s, index as usize)
}

/// Bar (of four beats) at time `t`.
fn bar(t: f64) -> usize {
    (t * BEATS_PER_S / 4.0) as usize
}

fn semitones(hz: f64, steps: i32) -> f64 {
    hz * 2f64.powf(f64::from(steps) / 12.0)
}

fn drums(rate_hz: f64, n: usize) -> Stereo {
    let mut rng = Rng::new(11);
    let beat_s = 1.0 / BEATS_PER_S;
    let (mut l, mut r) = (vec![0.0f32; n], vec![0.0f32; n]);
    let mut kick_phase = 0.0f64;
    let mut hat_prev = 0.0f64;
    let mut hat_lp = 0.0f64;
    // One-pole low-pass at 9 kHz: a hat, not a hiss up to Nyquist.
    let hat_coef = 1.0 - (-TAU * 9000.0 / rate_hz).exp();
    for i in 0..n {
        let t = i as f64 / rate_hz;
        let (tb, beat) = since(t, beat_s);
        let noise = f64::from(rng.next_bipolar());
        let mut centre = 0.0;
        if beat % 2 == 0 {
            let freq = 50.0 + 90.0 * (-tb / 0.03).exp();
            kick_phase += TAU * freq / rate_hz;
            centre += 0.8 * (-tb / 0.15).exp() * kick_phase.sin();
        } else {
            kick_phase = 0.0;
            let body = (TAU * 185.0 * tb).sin();
            centre += (-tb / 0.12).exp() * (0.3 * noise + 0.2 * body);
        }
        let (te, _) = since(t, beat_s / 2.0);
        hat_lp += hat_coef * (noise - hat_prev - hat_lp);
        hat_prev = noise;
        let hat = 0.15 * (-te / 0.03).exp() * hat_lp;
        l[i] = (centre + 0.6 * hat) as f32;
        r[i] = (centre + hat) as f32;
    }
    vec![l, r]
}

fn bass(rate_hz: f64, n: usize) -> Stereo {
    let eighth_s = 0.25 / BEATS_PER_S * 2.0;
    let mut phase = 0.0f64;
    let mono: Vec<f32> = (0..n)
        .map(|i| {
            let t = i as f64 / rate_hz;
            let root = ROOTS_HZ[bar(t) % 4];
            let (te, _) = since(t, eighth_s);
            phase += TAU * root / rate_hz;
            let env = (-te / 0.18).exp() * (te / 0.004).min(1.0);
            let octave = (2.0 * (2.0 * phase).sin()).tanh() * 0.3;
            (0.45 * env * (phase.sin() + octave)) as f32
        })
        .collect();
    vec![mono.clone(), mono]
}

fn keys(rate_hz: f64, n: usize) -> Stereo {
    let render = |detune: f64| -> Vec<f32> {
        let mut phases = [0.0f64; 3];
        (0..n)
            .map(|i| {
                let t = i as f64 / rate_hz;
                let chord = TRIADS[bar(t) % 4];
                let (tb, _) = since(t, 4.0 / BEATS_PER_S);
                let env = 0.6 + 0.4 * (-tb / 0.8).exp();
                let mut y = 0.0;
                for (phase, &step) in phases.iter_mut().zip(&chord) {
                    *phase += TAU * semitones(220.0, step) * detune / rate_hz;
                    // Band-limited saw: the first six harmonics.
                    y += (1..=6)
                        .map(|k| (k as f64 * *phase).sin() / k as f64)
                        .sum::<f64>();
                }
                (0.05 * env * y) as f32
            })
            .collect()
    };
    vec![render(1.0), render(1.003)]
}

fn lead(rate_hz: f64, n: usize) -> Stereo {
    let half_bar_s = 2.0 / BEATS_PER_S;
    let mut phase = 0.0f64;
    let formant = |f: f64| {
        let peak = |centre: f64, width: f64| (-((f - centre) / width).powi(2)).exp();
        0.15 + peak(650.0, 250.0) + 0.6 * peak(1150.0, 300.0)
    };
    let mono: Vec<f32> = (0..n)
        .map(|i| {
            let t = i as f64 / rate_hz;
            let (tn, note) = since(t, half_bar_s);
            let Some(step) = MELODY[note % MELODY.len()].filter(|_| bar(t) % 4 != 3) else {
                return 0.0;
            };
            let vibrato = 1.0 + 0.006 * (TAU * 5.5 * t).sin() * (tn / 0.3).min(1.0);
            let f0 = semitones(440.0, step - 12) * vibrato;
            phase += TAU * f0 / rate_hz;
            // Syllables: four per note, each swelling and fading.
            let syllable = (TAU * 4.0 / half_bar_s * tn / 2.0).sin().abs();
            let env = syllable.powf(0.7) * (1.0 - (tn / half_bar_s).powi(8));
            let mut y = 0.0;
            let mut k = 1.0;
            while k * f0 < 5000.0 {
                y += formant(k * f0) * (k * phase).sin() / k.sqrt();
                k += 1.0;
            }
            (0.12 * env * y) as f32
        })
        .collect();
    vec![mono.clone(), mono]
}
