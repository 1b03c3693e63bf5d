//! Processing left on the reference's mix bus, written here independently of shared-dsp's
//! processors: a feed-forward soft-knee compressor, a sample-peak limiter with drive, a
//! tanh clipper, a "glue + limiter + makeup" chain, and a two-band EQ (RBJ peaking and high
//! shelf, <https://www.w3.org/TR/audio-eq-cookbook/>). All stereo-linked.

use super::stems::Stem;

/// One kind of bus processing with its settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bus {
    /// Compressor: ratio, threshold (dB re the mix peak), makeup dB.
    Compressor {
        ratio: f64,
        threshold_db: f64,
        makeup_db: f64,
    },
    /// Limiter with `drive_db` into a −1 dBFS sample-peak ceiling (re the mix peak).
    Limiter { drive_db: f64 },
    /// tanh clipper driven by `drive_db`.
    Clipper { drive_db: f64 },
    /// 2:1 soft-knee glue compressor, +1 dB makeup, then +2 dB into the limiter.
    GlueLimiter,
    /// Bell at `freq_hz` with `gain_db`, and a high shelf at 8 kHz with `shelf_db`.
    Eq {
        freq_hz: f64,
        gain_db: f64,
        shelf_db: f64,
    },
}

impl Bus {
    /// Short label.
    pub fn label(&self) -> String {
        match self {
            Self::Compressor { ratio, .. } => format!("compressor {ratio:.1}:1"),
            Self::Limiter { drive_db } => format!("limiter +{drive_db:.1} dB"),
            Self::Clipper { drive_db } => format!("clipper +{drive_db:.1} dB"),
            Self::GlueLimiter => "glue+limiter+makeup".into(),
            Self::Eq { .. } => "bus EQ".into(),
        }
    }

    /// Processes the mix in place.
    pub fn apply(&self, mix: &mut Stem, fs: f64) {
        match *self {
            Self::Compressor {
                ratio,
                threshold_db,
                makeup_db,
            } => compress(mix, fs, ratio, threshold_db, 6.0, makeup_db),
            Self::Limiter { drive_db } => limit(mix, fs, drive_db),
            Self::Clipper { drive_db } => {
                let peak = peak(mix);
                let drive = 10f64.powf(drive_db / 20.0) / peak;
                for ch in mix.iter_mut() {
                    for s in ch.iter_mut() {
                        *s = (peak * (drive * *s as f64).tanh()) as f32;
                    }
                }
            }
            Self::GlueLimiter => {
                compress(mix, fs, 2.0, -12.0, 6.0, 1.0);
                limit(mix, fs, 2.0);
            }
            Self::Eq {
                freq_hz,
                gain_db,
                shelf_db,
            } => {
                for ch in mix.iter_mut() {
                    let mut bell = Biquad::peaking(freq_hz, 1.0, gain_db, fs);
                    let mut shelf = Biquad::high_shelf(8000.0, shelf_db, fs);
                    for s in ch.iter_mut() {
                        *s = shelf.process(bell.process(*s as f64)) as f32;
                    }
                }
            }
        }
    }
}

fn peak(mix: &Stem) -> f64 {
    mix.iter()
        .flatten()
        .fold(1e-9f64, |m, &s| m.max(s.abs() as f64))
}

/// Peak-detecting (10 ms attack, 150 ms release) soft-knee compressor, threshold re the peak
/// (Giannoulis, Massberg & Reiss, JAES 2012, gain computer eq. 4).
fn compress(mix: &mut Stem, fs: f64, ratio: f64, threshold_db: f64, knee_db: f64, makeup_db: f64) {
    let threshold = 20.0 * peak(mix).log10() + threshold_db;
    let attack = (-1.0 / (0.010 * fs)).exp();
    let release = (-1.0 / (0.150 * fs)).exp();
    let mut env_db = -120.0f64;
    for n in 0..mix[0].len() {
        let level = mix.iter().map(|c| c[n].abs() as f64).fold(1e-9, f64::max);
        let x_db = 20.0 * level.log10();
        let over = x_db - threshold;
        let target = if 2.0 * over < -knee_db {
            0.0
        } else if 2.0 * over.abs() <= knee_db {
            (1.0 / ratio - 1.0) * (over + knee_db / 2.0).powi(2) / (2.0 * knee_db)
        } else {
            (1.0 / ratio - 1.0) * over
        };
        let reduction = -target;
        let coeff = if reduction > env_db { attack } else { release };
        env_db = coeff * env_db + (1.0 - coeff) * reduction;
        let gain = 10f64.powf((makeup_db - env_db.max(0.0)) / 20.0);
        for c in mix.iter_mut() {
            c[n] = (c[n] as f64 * gain) as f32;
        }
    }
}

/// Drive, then instant-attack, 80 ms release gain to keep the sample peak at −1 dB re the
/// mix's original peak.
fn limit(mix: &mut Stem, fs: f64, drive_db: f64) {
    let ceiling = peak(mix) * 10f64.powf(-1.0 / 20.0);
    let drive = 10f64.powf(drive_db / 20.0);
    let release = (-1.0 / (0.080 * fs)).exp();
    let mut gain = 1.0f64;
    for n in 0..mix[0].len() {
        let level = drive * mix.iter().map(|c| c[n].abs() as f64).fold(1e-9, f64::max);
        let needed = (ceiling / level).min(1.0);
        gain = if needed < gain {
            needed
        } else {
            release * gain + (1.0 - release) * needed
        };
        for c in mix.iter_mut() {
            c[n] = (c[n] as f64 * drive * gain) as f32;
        }
    }
}

/// A biquad in transposed direct form II.
struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
    z: [f64; 2],
}

impl Biquad {
    fn peaking(f: f64, q: f64, gain_db: f64, fs: f64) -> Self {
        let a = 10f64.powf(gain_db / 40.0);
        let w = std::f64::consts::TAU * f / fs;
        let alpha = w.sin() / (2.0 * q);
        let a0 = 1.0 + alpha / a;
        Self {
            b: [
                (1.0 + alpha * a) / a0,
                -2.0 * w.cos() / a0,
                (1.0 - alpha * a) / a0,
            ],
            a: [-2.0 * w.cos() / a0, (1.0 - alpha / a) / a0],
            z: [0.0; 2],
        }
    }
    fn high_shelf(f: f64, gain_db: f64, fs: f64) -> Self {
        let a = 10f64.powf(gain_db / 40.0);
        let w = std::f64::consts::TAU * f / fs;
        let (c, s) = (w.cos(), w.sin());
        let alpha = s / 2.0 * 2f64.sqrt();
        let sq = 2.0 * a.sqrt() * alpha;
        let a0 = (a + 1.0) - (a - 1.0) * c + sq;
        Self {
            b: [
                a * ((a + 1.0) + (a - 1.0) * c + sq) / a0,
                -2.0 * a * ((a - 1.0) + (a + 1.0) * c) / a0,
                a * ((a + 1.0) + (a - 1.0) * c - sq) / a0,
            ],
            a: [
                2.0 * ((a - 1.0) - (a + 1.0) * c) / a0,
                ((a + 1.0) - (a - 1.0) * c - sq) / a0,
            ],
            z: [0.0; 2],
        }
    }
    fn process(&mut self, x: f64) -> f64 {
        let y = self.b[0] * x + self.z[0];
        self.z[0] = self.b[1] * x - self.a[0] * y + self.z[1];
        self.z[1] = self.b[2] * x - self.a[1] * y;
        y
    }
}
