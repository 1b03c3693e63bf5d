//! Word-length reduction for deliverables: TPDF dither, optional noise shaping, and
//! quantisation to `bits` (full scale ±1.0, step `q = 2^-(bits-1)`).
//!
//! TPDF dither spans ±1 LSB (the sum of two independent uniform ±q/2 values, variance
//! `q²/6`); it makes the total error independent of the signal with variance
//! `q²/12 + q²/6 = q²/4` and a flat (white) spectrum. Source: Wannamaker, Lipshitz,
//! Vanderkooy, "A Theory of Nonsubtractive Dither", IEEE Trans. SP 48(2), 2000,
//! <https://doi.org/10.1109/78.823977>.
//!
//! Noise shaping uses error feedback: the quantiser input is `x − Σ hₖ·e[n−k]`, where `e` is
//! the total error of earlier samples, so the output error is `e` filtered by the noise
//! transfer function `NTF(z) = 1 − Σ hₖ·z^-k`. [`NoiseShaping::SecondOrder`] uses
//! `NTF = (1 − z⁻¹)²`, which removes the error power at low frequencies and moves it
//! towards Nyquist (`|NTF|² = (2·sin(ω/2))⁴`). Structure: Lipshitz, Vanderkooy,
//! Wannamaker, "Minimally Audible Noise Shaping", JAES 39(11), 1991,
//! <https://www.aes.org/e-lib/browse.cfm?elib=5973>; see also
//! <https://en.wikipedia.org/wiki/Noise_shaping>.

use crate::signals::Rng;

/// Noise transfer function of the error-feedback shaper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseShaping {
    /// Plain TPDF dither, white error spectrum.
    None,
    /// `NTF = (1 − z⁻¹)²`: feedback taps `[2, −1]`.
    SecondOrder,
}

impl NoiseShaping {
    /// Error-feedback taps `hₖ` (`NTF = 1 − Σ hₖ·z^-k`).
    pub fn feedback_taps(self) -> [f64; 2] {
        match self {
            Self::None => [0.0, 0.0],
            Self::SecondOrder => [2.0, -1.0],
        }
    }

    /// `|NTF(e^{jω})|²` at `freq_hz`: the shaped error power relative to plain TPDF.
    pub fn power_response(self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        let [h1, h2] = self.feedback_taps();
        let w = std::f64::consts::TAU * freq_hz / sample_rate_hz;
        let re = 1.0 - h1 * w.cos() - h2 * (2.0 * w).cos();
        let im = h1 * w.sin() + h2 * (2.0 * w).sin();
        re * re + im * im
    }
}

/// Dither settings (set by the caller: the export dialog or the CLI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DitherSettings {
    /// Target word length in bits (2..=24).
    pub bits: u32,
    /// Noise shaping.
    pub shaping: NoiseShaping,
    /// Seed of the dither generators (channel `c` uses `seed + c`).
    pub seed: u64,
}

impl Default for DitherSettings {
    fn default() -> Self {
        Self {
            bits: 24,
            shaping: NoiseShaping::None,
            seed: 1,
        }
    }
}

/// Per-channel state.
#[derive(Debug, Clone)]
struct ChannelState {
    /// Dither generator, re-seeded by `reset`.
    rng: Rng,
    /// Total error of the previous two samples, `e[n−1]`, `e[n−2]`, in full-scale units.
    error_history: [f64; 2],
}

/// TPDF ditherer and quantiser (no latency).
#[derive(Debug, Clone)]
pub struct Dither {
    /// Current settings (set by `set_settings`).
    settings: DitherSettings,
    /// Quantisation step in full-scale units, `2^-(bits-1)` (derived from `settings.bits`).
    step: f64,
    /// One state per channel (allocated in `new`).
    channels: Vec<ChannelState>,
}

impl Dither {
    /// Allocates state for `num_channels`. Dither is rate-independent, so `sample_rate_hz`
    /// and `max_block` only keep the common lifecycle shape.
    pub fn new(
        _sample_rate_hz: f64,
        _max_block: usize,
        num_channels: usize,
        settings: DitherSettings,
    ) -> Self {
        let mut dither = Self {
            settings,
            step: 1.0,
            channels: vec![
                ChannelState {
                    rng: Rng::new(0),
                    error_history: [0.0; 2],
                };
                num_channels
            ],
        };
        dither.set_settings(settings);
        dither
    }

    /// Changes the settings and resets the state.
    ///
    /// # Panics
    /// If `bits` is not in 2..=24.
    pub fn set_settings(&mut self, settings: DitherSettings) {
        assert!((2..=24).contains(&settings.bits), "bits must be 2..=24");
        self.settings = settings;
        self.step = (2.0f64).powi(1 - settings.bits as i32);
        self.reset();
    }

    /// The quantisation step (1 LSB) in full-scale units.
    pub fn step(&self) -> f64 {
        self.step
    }

    /// Re-seeds the generators and clears the error history (never allocates).
    pub fn reset(&mut self) {
        for (c, state) in self.channels.iter_mut().enumerate() {
            state.rng = Rng::new(self.settings.seed.wrapping_add(c as u64));
            state.error_history = [0.0; 2];
        }
    }

    /// Always 0.
    pub fn latency_samples(&self) -> usize {
        0
    }

    /// Dithers, shapes and quantises in place; outputs are multiples of `step()` clamped to
    /// `[-1, 1 − step]`. Non-finite input samples are treated as 0.
    pub fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        let q = self.step;
        // `q` is a power of two, so multiplying by its reciprocal is exactly the division.
        let steps_per_unit = 1.0 / q;
        let quantise = |v: f64, rng: &mut Rng| {
            let tpdf = 0.5 * q * (rng.next_bipolar() as f64 + rng.next_bipolar() as f64);
            round_half_away((v + tpdf) * steps_per_unit)
                .clamp(-steps_per_unit, steps_per_unit - 1.0)
                * q
        };
        let [h1, h2] = self.settings.shaping.feedback_taps();
        if self.settings.shaping == NoiseShaping::None {
            // Without shaping the quantiser input is the sample itself: `x − 0·e₁ − 0·e₂`
            // differs from `x` only in the sign of a zero, which `x + tpdf` does not see
            // (the TPDF value is never −0). So no sample waits for the previous one's error,
            // and the error history (read only through zero taps) is not kept.
            let sample = |s: f32| if s.is_finite() { s as f64 } else { 0.0 };
            let states = &mut self.channels[..];
            if let ([left, right], [l_state, r_state, ..]) = (&mut *channels, &mut *states) {
                if left.len() == right.len() {
                    // Two channels side by side: their generators' chains overlap.
                    for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                        *l = quantise(sample(*l), &mut l_state.rng) as f32;
                        *r = quantise(sample(*r), &mut r_state.rng) as f32;
                    }
                    return;
                }
            }
            for (samples, state) in channels.iter_mut().zip(&mut self.channels) {
                for s in samples.iter_mut() {
                    *s = quantise(sample(*s), &mut state.rng) as f32;
                }
            }
            return;
        }
        for (samples, state) in channels.iter_mut().zip(&mut self.channels) {
            for s in samples.iter_mut() {
                let [e1, e2] = state.error_history;
                // Non-finite input is quantised as silence: a NaN in the error feedback would
                // otherwise turn every later sample into NaN (`0·NaN` is NaN even unshaped).
                let x = if s.is_finite() { *s as f64 } else { 0.0 };
                let v = x - h1 * e1 - h2 * e2;
                let y = quantise(v, &mut state.rng);
                state.error_history = [y - v, e1];
                *s = y as f32;
            }
        }
    }
}

/// `x.round()` (halves away from zero) without the libm call `f64::round` compiles to on
/// baseline x86-64, and without branches (the dithered fractions are random, so a branch
/// would be mispredicted half the time): the truncating conversion of `|x|` is exact below
/// 2^63 and the fraction `|x| − t` is exact; beyond 2^63 the conversion saturates, which the
/// quantiser's clamp absorbs (its range is far inside). The result takes the sign of `x`, as
/// `round`'s does (zeros included).
#[inline]
fn round_half_away(x: f64) -> f64 {
    let magnitude = x.abs();
    let t = magnitude as i64 as f64;
    let up = f64::from(u8::from(magnitude - t >= 0.5));
    (t + up).copysign(x)
}

#[cfg(test)]
mod tests {
    use super::round_half_away;
    use crate::signals::Rng;

    #[test]
    fn fast_rounding_equals_f64_round() {
        let mut rng = Rng::new(3);
        let specials = [
            0.5,
            -0.5,
            1.5,
            -2.5,
            0.499_999_999_999_999_94,
            -0.499_999_999_999_999_94,
            0.0,
            -0.0,
            4_503_599_627_370_495.5,
        ];
        // Fractions near .5 at every magnitude of the 24-bit quantiser and beyond.
        let scaled = (0..100_000).map(|i| {
            let u = f64::from(rng.next_bipolar());
            u * 2f64.powi(i % 30) + if i % 2 == 0 { 0.5 } else { 0.0 }
        });
        for x in specials.into_iter().chain(scaled) {
            assert_eq!(round_half_away(x).to_bits(), x.round().to_bits(), "{x}");
        }
    }
}
