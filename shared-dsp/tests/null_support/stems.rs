//! Three differently built, deterministic stem sets (seeded), synthesized at any rate:
//! a band (drums, bass, keys, a sung vowel line), speech with wide-band noise and FX stems
//! (and a reverb return fed by the speech), and a sparse acoustic set with silences.
//! Speech and singing are formant-synthesized (a glottal pulse train through vowel formant
//! band-passes, fricative noise between syllables), so no TTS engine is needed.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::f64::consts::{PI, TAU};

/// A stereo stem: `[left, right]`.
pub type Stem = Vec<Vec<f32>>;

/// One named stem of a set.
pub struct NamedStem {
    /// Short name (as a file would be called).
    pub name: &'static str,
    /// The audio.
    pub audio: Stem,
}

/// Which set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// Drums, bass, keys, lead vocal.
    Band,
    /// Speech, noise bed, FX sweeps, music bed, reverb return of the speech.
    SpeechFx,
    /// Guitar plucks, piano, soft voice, ambience, shaker (with gaps).
    SparseAcoustic,
}

/// Builds a set of `seconds` at `fs` (Hz).
pub fn build(kind: SetKind, fs: f64, seconds: f64) -> Vec<NamedStem> {
    let len = (fs * seconds) as usize;
    let mut rng = StdRng::seed_from_u64(match kind {
        SetKind::Band => 11,
        SetKind::SpeechFx => 22,
        SetKind::SparseAcoustic => 33,
    });
    match kind {
        SetKind::Band => vec![
            named("01_drums", pan(&drums(&mut rng, fs, len), 0.95, 0.85)),
            named("02_bass", pan(&bass(fs, len), 1.0, 1.0)),
            named("03_keys", pan(&keys(&mut rng, fs, len, 0.06), 0.6, 0.9)),
            named("04_vocals", pan(&singing(&mut rng, fs, len), 0.9, 0.8)),
        ],
        SetKind::SpeechFx => {
            let speech = speech(&mut rng, fs, len);
            let reverb = schroeder_reverb(&speech, fs, 0.35);
            vec![
                named("01_dialogue", pan(&speech, 1.0, 0.95)),
                named("02_noise_bed", stereo_noise_bed(&mut rng, fs, len)),
                named("03_fx", pan(&fx_sweeps(&mut rng, fs, len), 0.7, 1.0)),
                named("04_music", pan(&keys(&mut rng, fs, len, 0.035), 0.9, 0.75)),
                named(
                    "05_fx_return",
                    vec![scale(&reverb, 1.0), scale(&reverb, -0.8)],
                ),
            ]
        }
        SetKind::SparseAcoustic => vec![
            named("01_guitar", pan(&plucks(&mut rng, fs, len), 0.8, 0.5)),
            named("02_piano", pan(&piano(&mut rng, fs, len), 0.6, 0.85)),
            named("03_voice", pan(&soft_voice(&mut rng, fs, len), 0.85, 0.85)),
            named("04_ambience", stereo_ambience(&mut rng, fs, len)),
            named("05_shaker", pan(&shaker(&mut rng, fs, len), 0.4, 0.9)),
        ],
    }
}

fn named(name: &'static str, audio: Stem) -> NamedStem {
    NamedStem { name, audio }
}

fn pan(x: &[f64], left: f64, right: f64) -> Stem {
    vec![
        x.iter().map(|s| (s * left) as f32).collect(),
        x.iter().map(|s| (s * right) as f32).collect(),
    ]
}

fn scale(x: &[f64], g: f64) -> Vec<f32> {
    x.iter().map(|s| (s * g) as f32).collect()
}

fn noise(rng: &mut StdRng) -> f64 {
    rng.random_range(-1.0..1.0)
}

/// RBJ band-pass (constant 0 dB peak gain), <https://www.w3.org/TR/audio-eq-cookbook/>.
struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
    z: [f64; 2],
}

impl Biquad {
    fn bandpass(f: f64, q: f64, fs: f64) -> Self {
        let w = TAU * f.min(0.45 * fs) / fs;
        let alpha = w.sin() / (2.0 * q);
        let a0 = 1.0 + alpha;
        Self {
            b: [alpha / a0, 0.0, -alpha / a0],
            a: [-2.0 * w.cos() / a0, (1.0 - alpha) / a0],
            z: [0.0; 2],
        }
    }
    fn highpass(f: f64, q: f64, fs: f64) -> Self {
        let w = TAU * f.min(0.45 * fs) / fs;
        let alpha = w.sin() / (2.0 * q);
        let a0 = 1.0 + alpha;
        let c = w.cos();
        Self {
            b: [(1.0 + c) / 2.0 / a0, -(1.0 + c) / a0, (1.0 + c) / 2.0 / a0],
            a: [-2.0 * c / a0, (1.0 - alpha) / a0],
            z: [0.0; 2],
        }
    }
    fn lowpass(f: f64, q: f64, fs: f64) -> Self {
        let w = TAU * f.min(0.45 * fs) / fs;
        let alpha = w.sin() / (2.0 * q);
        let a0 = 1.0 + alpha;
        let c = w.cos();
        Self {
            b: [(1.0 - c) / 2.0 / a0, (1.0 - c) / a0, (1.0 - c) / 2.0 / a0],
            a: [-2.0 * c / a0, (1.0 - alpha) / a0],
            z: [0.0; 2],
        }
    }
    /// Moves the centre frequency of a band-pass (keeps the state).
    fn retune_bandpass(&mut self, f: f64, q: f64, fs: f64) {
        let z = self.z;
        *self = Self::bandpass(f, q, fs);
        self.z = z;
    }
    fn process(&mut self, x: f64) -> f64 {
        let y = self.b[0] * x + self.z[0];
        self.z[0] = self.b[1] * x - self.a[0] * y + self.z[1];
        self.z[1] = self.b[2] * x - self.a[1] * y;
        y
    }
}

/// Kick, snare, hats on a 120 bpm grid.
fn drums(rng: &mut StdRng, fs: f64, len: usize) -> Vec<f64> {
    let mut out = vec![0.0; len];
    let beat = (0.5 * fs) as usize;
    let mut hp = Biquad::highpass(7000.0, 0.7, fs);
    let mut snare_bp = Biquad::bandpass(1800.0, 0.6, fs);
    for start in (0..len).step_by(beat / 4) {
        let step = start / (beat / 4);
        let accent = if step.is_multiple_of(2) { 0.25 } else { 0.12 };
        for n in 0..((0.06 * fs) as usize).min(len - start) {
            let t = n as f64 / fs;
            out[start + n] += accent * hp.process(noise(rng)) * (-t / 0.015).exp();
        }
        if step.is_multiple_of(4) {
            let mut phase = 0.0;
            for n in 0..((0.3 * fs) as usize).min(len - start) {
                let t = n as f64 / fs;
                phase += TAU * (45.0 + 80.0 * (-t / 0.03).exp()) / fs;
                out[start + n] += 0.7 * phase.sin() * (-t / 0.12).exp();
            }
        }
        if step % 8 == 4 {
            for n in 0..((0.2 * fs) as usize).min(len - start) {
                let t = n as f64 / fs;
                let body = (TAU * 185.0 * t).sin() * (-t / 0.05).exp();
                out[start + n] +=
                    0.35 * (body + snare_bp.process(noise(rng)) * 1.5 * (-t / 0.07).exp());
            }
        }
    }
    out
}

/// A bass line: 10 harmonics with falling amplitudes, a note per half second.
fn bass(fs: f64, len: usize) -> Vec<f64> {
    let notes = [41.2, 55.0, 61.7, 49.0, 73.4];
    let note_len = (0.5 * fs) as usize;
    let mut lp = Biquad::lowpass(900.0, 0.7, fs);
    let mut phase = 0.0;
    (0..len)
        .map(|n| {
            let f = notes[(n / note_len) % notes.len()];
            phase += TAU * f / fs;
            let t = (n % note_len) as f64 / fs;
            let env = (1.0 - (-t / 0.005).exp()) * (0.4 + 0.6 * (-t / 0.3).exp());
            let x: f64 = (1..=10).map(|h| (h as f64 * phase).sin() / h as f64).sum();
            0.3 * lp.process(x) * env
        })
        .collect()
}

/// Chords of three notes with six harmonics each, slow attack, plus a little bow noise.
fn keys(rng: &mut StdRng, fs: f64, len: usize, level: f64) -> Vec<f64> {
    let chords = [
        [261.6, 329.6, 392.0],
        [220.0, 277.2, 329.6],
        [246.9, 311.1, 370.0],
    ];
    let chord_len = (1.0 * fs) as usize;
    let mut bp = Biquad::bandpass(6000.0, 0.5, fs);
    (0..len)
        .map(|n| {
            let chord = chords[(n / chord_len) % chords.len()];
            let t = (n % chord_len) as f64 / fs;
            let time = n as f64 / fs;
            let env = (1.0 - (-t / 0.08).exp()) * (0.6 + 0.4 * (TAU * 0.5 * time).cos());
            let tone: f64 = chord
                .iter()
                .map(|&f| {
                    (1..=6)
                        .map(|h| (TAU * f * h as f64 * time).sin() * 0.7f64.powi(h))
                        .sum::<f64>()
                })
                .sum();
            level * env * (tone + 0.3 * bp.process(noise(rng)))
        })
        .collect()
}

/// Vowel formants (F1, F2, F3) in Hz: a, e, i, o, u.
const VOWELS: [[f64; 3]; 5] = [
    [730.0, 1090.0, 2440.0],
    [530.0, 1840.0, 2480.0],
    [270.0, 2290.0, 3010.0],
    [570.0, 840.0, 2410.0],
    [300.0, 870.0, 2240.0],
];

/// A formant voice: glottal pulses (band-limited saw) at `pitch(t)` through three
/// formant band-passes of the vowel `vowel(t)`, gated by `gate(t)`, plus breath noise.
fn formant_voice(
    rng: &mut StdRng,
    fs: f64,
    len: usize,
    pitch: impl Fn(f64) -> f64,
    vowel: impl Fn(f64) -> usize,
    gate: impl Fn(f64) -> f64,
    breath: f64,
) -> Vec<f64> {
    let mut formants: Vec<Biquad> = VOWELS[0]
        .iter()
        .map(|&f| Biquad::bandpass(f, 6.0, fs))
        .collect();
    let mut air = Biquad::highpass(5000.0, 0.7, fs);
    let mut phase = 0.0;
    let mut current = usize::MAX;
    (0..len)
        .map(|n| {
            let t = n as f64 / fs;
            let v = vowel(t);
            if v != current {
                current = v;
                for (b, &f) in formants.iter_mut().zip(&VOWELS[v]) {
                    b.retune_bandpass(f, 6.0, fs);
                }
            }
            let f0 = pitch(t);
            phase += TAU * f0 / fs;
            let harmonics = ((0.45 * fs / f0) as usize).min(60);
            let source: f64 = (1..=harmonics)
                .map(|h| (h as f64 * phase).sin() / h as f64)
                .sum();
            let voiced: f64 = formants
                .iter_mut()
                .zip([1.0, 0.6, 0.3])
                .map(|(b, g)| g * b.process(source))
                .sum();
            gate(t) * (voiced + breath * air.process(noise(rng)))
        })
        .collect()
}

/// A sung line: phrases with vibrato, vowels changing every 0.3 s.
fn singing(rng: &mut StdRng, fs: f64, len: usize) -> Vec<f64> {
    let x = formant_voice(
        rng,
        fs,
        len,
        |t| {
            [220.0, 247.0, 262.0, 196.0][(t / 0.6) as usize % 4]
                * (1.0 + 0.01 * (TAU * 5.5 * t).sin())
        },
        |t| (t / 0.3) as usize % 5,
        |t| {
            let p = t % 1.5;
            if p < 1.3 {
                (p / 0.05).min(1.0) * ((1.3 - p) / 0.05).min(1.0)
            } else {
                0.0
            }
        },
        0.15,
    );
    x.iter().map(|s| 0.5 * s).collect()
}

/// Speech-like: 150 ms voiced syllables with pitch glides, fricatives, pauses.
fn speech(rng: &mut StdRng, fs: f64, len: usize) -> Vec<f64> {
    let syllable = 0.22;
    let voiced = formant_voice(
        rng,
        fs,
        len,
        |t| 120.0 + 40.0 * (PI * (t % syllable) / syllable).sin() + 15.0 * (TAU * 0.7 * t).sin(),
        |t| ((t / syllable) as usize * 3) % 5,
        |t| {
            let p = t % syllable;
            let word = (t / (6.0 * syllable)) as usize;
            let pause = (t / syllable) as usize % 6 == 5 && word % 2 == 1;
            if pause || p > 0.15 {
                0.0
            } else {
                (p / 0.02).min(1.0) * ((0.15 - p) / 0.02).min(1.0)
            }
        },
        0.0,
    );
    let mut fric = Biquad::highpass(3500.0, 0.7, fs);
    voiced
        .iter()
        .enumerate()
        .map(|(n, v)| {
            let t = n as f64 / fs;
            let p = t % syllable;
            let f = if (0.16..0.21).contains(&p) { 0.25 } else { 0.0 };
            0.6 * v + f * fric.process(noise(rng))
        })
        .collect()
}

/// A dense, slowly swelling wide-band noise bed, decorrelated left/right.
fn stereo_noise_bed(rng: &mut StdRng, fs: f64, len: usize) -> Stem {
    let mut lp = [
        Biquad::lowpass(9000.0, 0.5, fs),
        Biquad::lowpass(9000.0, 0.5, fs),
    ];
    let mut out = vec![vec![0.0f32; len]; 2];
    for n in 0..len {
        let t = n as f64 / fs;
        let env = 0.05 * (1.2 + (TAU * 0.4 * t).sin());
        for (filter, channel) in lp.iter_mut().zip(out.iter_mut()) {
            let x = noise(rng);
            channel[n] = (env * (0.5 * filter.process(x) + 0.15 * x)) as f32;
        }
    }
    out
}

/// Band-pass noise sweeps (500 Hz → 14 kHz) and impacts.
fn fx_sweeps(rng: &mut StdRng, fs: f64, len: usize) -> Vec<f64> {
    let mut bp = Biquad::bandpass(500.0, 2.0, fs);
    let sweep = (0.8 * fs) as usize;
    (0..len)
        .map(|n| {
            let p = (n % (2 * sweep)) as f64 / sweep as f64;
            let x = noise(rng);
            if p < 1.0 {
                let f = 500.0 * 28f64.powf(p);
                if n % 64 == 0 {
                    bp.retune_bandpass(f, 2.0, fs);
                }
                0.5 * bp.process(x) * (PI * p).sin()
            } else {
                let t = (p - 1.0) * 0.8;
                0.4 * x * (-t / 0.04).exp()
            }
        })
        .collect()
}

/// Schroeder reverb (four combs, two all-passes) of `x`, `level` of the output.
fn schroeder_reverb(x: &[f64], fs: f64, level: f64) -> Vec<f64> {
    let combs_s = [0.0297, 0.0371, 0.0411, 0.0437];
    let predelay = (0.015 * fs) as usize;
    let mut wet = vec![0.0; x.len()];
    for &d in &combs_s {
        let d = (d * fs) as usize;
        let mut buf = vec![0.0; x.len()];
        for n in 0..x.len() {
            let input = if n >= predelay { x[n - predelay] } else { 0.0 };
            buf[n] = input + if n >= d { 0.8 * buf[n - d] } else { 0.0 };
            wet[n] += 0.25 * buf[n];
        }
    }
    for &(d, g) in &[(0.005, 0.7), (0.0017, 0.7)] {
        let d = (d * fs) as usize;
        let input = wet.clone();
        for n in 0..x.len() {
            let delayed_in = if n >= d { input[n - d] } else { 0.0 };
            let delayed_out = if n >= d { wet[n - d] } else { 0.0 };
            wet[n] = -g * input[n] + delayed_in + g * delayed_out;
        }
    }
    wet.iter().map(|w| level * w).collect()
}

/// Karplus–Strong plucks, a few notes with silence between phrases.
fn plucks(rng: &mut StdRng, fs: f64, len: usize) -> Vec<f64> {
    let mut out = vec![0.0; len];
    let notes = [196.0, 246.9, 293.7, 392.0, 329.6];
    let spacing = (0.45 * fs) as usize;
    for (j, start) in (0..len).step_by(spacing).enumerate() {
        if j % 4 == 3 {
            continue;
        }
        let period = (fs / notes[j % notes.len()]) as usize;
        let mut line: Vec<f64> = (0..period).map(|_| noise(rng)).collect();
        for n in 0..((1.2 * fs) as usize).min(len - start) {
            let i = n % period;
            let next = line[(i + 1) % period];
            let y = line[i];
            line[i] = 0.996 * 0.5 * (y + next);
            out[start + n] += 0.3 * y;
        }
    }
    out
}

/// Piano-like notes: slightly inharmonic partials with frequency-dependent decay.
fn piano(rng: &mut StdRng, fs: f64, len: usize) -> Vec<f64> {
    let mut out = vec![0.0; len];
    let notes = [130.8, 164.8, 196.0, 261.6];
    let spacing = (0.9 * fs) as usize;
    for (j, start) in (0..len).step_by(spacing).enumerate() {
        let f = notes[j % notes.len()] * (1.0 + 0.001 * noise(rng));
        for n in 0..((1.5 * fs) as usize).min(len - start) {
            let t = n as f64 / fs;
            let x: f64 = (1..=12)
                .map(|h| {
                    let h = h as f64;
                    let fh = f * h * (1.0 + 0.0004 * h * h).sqrt();
                    (TAU * fh * t).sin() * (-t * (1.0 + 0.6 * h)).exp() / h
                })
                .sum();
            out[start + n] += 0.15 * x * (1.0 - (-t / 0.002).exp());
        }
    }
    out
}

/// A soft, breathy voice singing one phrase in the middle.
fn soft_voice(rng: &mut StdRng, fs: f64, len: usize) -> Vec<f64> {
    let x = formant_voice(
        rng,
        fs,
        len,
        |t| 180.0 * (1.0 + 0.008 * (TAU * 5.0 * t).sin()),
        |t| (t / 0.4) as usize % 5,
        |t| if (0.6..2.4).contains(&t) { 1.0 } else { 0.0 },
        0.4,
    );
    x.iter().map(|s| 0.35 * s).collect()
}

/// Quiet room tone: low rumble and air, decorrelated left/right.
fn stereo_ambience(rng: &mut StdRng, fs: f64, len: usize) -> Stem {
    let mut lp = [
        Biquad::lowpass(300.0, 0.7, fs),
        Biquad::lowpass(300.0, 0.7, fs),
    ];
    let mut out = vec![vec![0.0f32; len]; 2];
    for n in 0..len {
        for (filter, channel) in lp.iter_mut().zip(out.iter_mut()) {
            let x = noise(rng);
            channel[n] = (0.04 * filter.process(x) + 0.006 * x) as f32;
        }
    }
    out
}

/// Shaker: high-passed noise bursts on sixteenths, for half of the song.
fn shaker(rng: &mut StdRng, fs: f64, len: usize) -> Vec<f64> {
    let mut hp = Biquad::highpass(6000.0, 0.7, fs);
    let step = (0.125 * fs) as usize;
    (0..len)
        .map(|n| {
            let x = hp.process(noise(rng));
            if n > len / 2 {
                let t = (n % step) as f64 / fs;
                0.2 * x * (1.0 - (-t / 0.004).exp()) * (-t / 0.03).exp()
            } else {
                0.0
            }
        })
        .collect()
}
