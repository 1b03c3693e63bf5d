//! Deterministic test and demo signals (seeded; no global randomness), shared by tests,
//! benches, the harness and the CLI's built-in demo.

use std::f64::consts::TAU;

/// Small fast PRNG (xorshift64*), seeded, for noise and dither. Not cryptographic.
#[derive(Debug, Clone)]
pub struct Rng {
    /// Generator state; never zero.
    state: u64,
}

impl Rng {
    /// A generator from `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Self {
        Self {
            state: seed ^ 0x9E37_79B9_7F4A_7C15 | 1,
        }
    }

    /// Next raw 64-bit value.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = xorshift(self.state);
        self.state.wrapping_mul(RNG_MULTIPLIER)
    }

    /// The generator's state: the next value is `xorshift(state) · RNG_MULTIPLIER`.
    pub(crate) fn state(&self) -> u64 {
        self.state
    }

    /// Uniform value in [-1, 1).
    #[inline]
    pub fn next_bipolar(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// The output multiplier of [`Rng`] (the `*` of xorshift64*).
pub(crate) const RNG_MULTIPLIER: u64 = 0x2545_F491_4F6C_DD1D;

/// One step of [`Rng`]'s state (xorshift64, a linear map over GF(2)⁶⁴).
#[inline(always)]
pub(crate) const fn xorshift(mut state: u64) -> u64 {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    state
}

/// `num_samples` of a sine at `freq_hz` with peak `amplitude`, starting at `phase_rad`.
pub fn sine(
    freq_hz: f64,
    amplitude: f32,
    sample_rate_hz: f64,
    num_samples: usize,
    phase_rad: f64,
) -> Vec<f32> {
    (0..num_samples)
        .map(|n| {
            (amplitude as f64 * (TAU * freq_hz * n as f64 / sample_rate_hz + phase_rad).sin())
                as f32
        })
        .collect()
}

/// Uniform white noise with peak `amplitude`.
pub fn white_noise(seed: u64, amplitude: f32, num_samples: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..num_samples)
        .map(|_| amplitude * rng.next_bipolar())
        .collect()
}

/// Pink (−3 dB/octave) noise, Paul Kellet's refined filter on white noise, scaled so its
/// peak is about `amplitude`. Source: <https://www.firstpr.com.au/dsp/pink-noise/>
pub fn pink_noise(seed: u64, amplitude: f32, num_samples: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut b = [0.0f32; 7];
    let raw: Vec<f32> = (0..num_samples)
        .map(|_| {
            let white = rng.next_bipolar();
            b[0] = 0.99886 * b[0] + white * 0.0555179;
            b[1] = 0.99332 * b[1] + white * 0.0750759;
            b[2] = 0.96900 * b[2] + white * 0.153_852;
            b[3] = 0.86650 * b[3] + white * 0.3104856;
            b[4] = 0.55000 * b[4] + white * 0.5329522;
            b[5] = -0.7616 * b[5] - white * 0.0168980;
            let pink = b.iter().sum::<f32>() + white * 0.5362;
            b[6] = white * 0.115926;
            pink
        })
        .collect();
    let peak = raw.iter().fold(0.0f32, |m, s| m.max(s.abs())).max(1e-12);
    raw.into_iter().map(|s| s * amplitude / peak).collect()
}

/// Exponentially decaying noise bursts every `period_s` seconds (a drum-like transient
/// train): each hit jumps to `amplitude` and decays with `decay_ms`.
pub fn transient_train(
    seed: u64,
    amplitude: f32,
    sample_rate_hz: f64,
    num_samples: usize,
    period_s: f64,
    decay_ms: f64,
) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let period = (period_s * sample_rate_hz).max(1.0) as usize;
    let decay = (-1000.0 / (decay_ms * sample_rate_hz)).exp();
    let mut env = 0.0f64;
    (0..num_samples)
        .map(|n| {
            if n % period == 0 {
                env = 1.0;
            }
            env *= decay;
            amplitude * env as f32 * rng.next_bipolar()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_deterministic_and_bounded() {
        assert_eq!(white_noise(7, 0.5, 1000), white_noise(7, 0.5, 1000));
        assert_ne!(white_noise(7, 0.5, 1000), white_noise(8, 0.5, 1000));
        assert!(white_noise(1, 0.5, 10_000).iter().all(|s| s.abs() <= 0.5));
        let pink = pink_noise(3, 0.8, 48_000);
        let peak = pink.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!((peak - 0.8).abs() < 1e-6);
        let s = sine(1000.0, 0.5, 48_000.0, 48, 0.0);
        assert!((s[12] - 0.5).abs() < 1e-6);
        assert!(transient_train(1, 1.0, 48_000.0, 48_000, 0.25, 30.0)
            .iter()
            .all(|s| s.abs() <= 1.0));
    }
}
