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

mod tpdf;

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
    /// State of the dither generator (an [`Rng`]'s), re-seeded by `reset`.
    rng: u64,
    /// Total error of the previous two samples, `e[n−1]`, `e[n−2]`, in full-scale units.
    error_history: [f64; 2],
}

/// The instruction set the block loops run with, detected by `new` (ordered: each has the
/// features of those before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Isa {
    /// Whatever the target guarantees (SSE2 on x86-64).
    Baseline,
    /// AVX2: 4 lanes of 64-bit integers and doubles.
    Avx2,
    /// AVX-512 (F, DQ, VL): 8 lanes, with 64-bit multiplies.
    Avx512,
}

impl Isa {
    fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512dq")
                && std::arch::is_x86_feature_detected!("avx512vl")
            {
                return Self::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Self::Avx2;
            }
        }
        Self::Baseline
    }
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
    /// Instruction set of the block loops (detected in `new`).
    isa: Isa,
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
                    rng: 0,
                    error_history: [0.0; 2],
                };
                num_channels
            ],
            isa: Isa::detect(),
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
            state.rng = Rng::new(self.settings.seed.wrapping_add(c as u64)).state();
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
        let taps = match self.settings.shaping {
            NoiseShaping::None => None,
            shaping => Some(shaping.feedback_taps()),
        };
        for (samples, state) in channels.iter_mut().zip(&mut self.channels) {
            match self.isa {
                // SAFETY: `new` detected the features these copies are compiled with.
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512 => unsafe { process_channel_avx512(samples, state, q, taps) },
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 => unsafe { process_channel_avx2(samples, state, q, taps) },
                _ => process_channel(samples, state, q, taps),
            }
        }
    }
}

/// [`process_channel`] compiled with AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl")]
fn process_channel_avx512(
    samples: &mut [f32],
    state: &mut ChannelState,
    q: f64,
    taps: Option<[f64; 2]>,
) {
    process_channel(samples, state, q, taps);
}

/// [`process_channel`] compiled with AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn process_channel_avx2(
    samples: &mut [f32],
    state: &mut ChannelState,
    q: f64,
    taps: Option<[f64; 2]>,
) {
    process_channel(samples, state, q, taps);
}

/// Dithers and quantises one channel to the step `q`, with error feedback through `taps`
/// when given, chunk by chunk: the chunk's dither values first (see [`tpdf`]), then the
/// quantiser.
#[inline(always)]
fn process_channel(samples: &mut [f32], state: &mut ChannelState, q: f64, taps: Option<[f64; 2]>) {
    let mut dither = [0.0; tpdf::CHUNK_FRAMES];
    for chunk in samples.chunks_mut(tpdf::CHUNK_FRAMES) {
        let dither = &mut dither[..chunk.len()];
        tpdf::fill(&mut state.rng, q, dither);
        match taps {
            None => quantise_unshaped(chunk, dither, q),
            Some(taps) => quantise_shaped(chunk, dither, q, taps, &mut state.error_history),
        }
    }
}

/// Quantises `samples` + `dither` to the step `q` without shaping: no sample waits for
/// another, so the loop vectorises. The quantiser input is the sample itself: `x − 0·e₁ −
/// 0·e₂` of the shaped quantiser differs from `x` only in the sign of a zero, which `x + d`
/// does not see (the dither value is never −0), so the error history (read only through zero
/// taps) is not kept.
///
/// The scaled value `y = (x + d)/q` is finite (a finite `f32` plus a dither value) and is
/// clamped to `[−1/q − 1, 1/q]` before the rounding: rounding is monotonic and the bounds are
/// integers outside the output range `[−1/q, 1/q − 1]`, so the result is the one rounding
/// the unclamped value gives, and the truncation to `i32` stays in range.
#[inline(always)]
fn quantise_unshaped(samples: &mut [f32], dither: &[f64], q: f64) {
    // `q` is a power of two, so multiplying by its reciprocal is exactly the division.
    let steps_per_unit = 1.0 / q;
    let (low, high) = (-steps_per_unit - 1.0, steps_per_unit);
    for (s, &d) in samples.iter_mut().zip(dither) {
        let x = if s.is_finite() { f64::from(*s) } else { 0.0 };
        let y = (x + d) * steps_per_unit;
        let y = if y > high {
            high
        } else if y < low {
            low
        } else {
            y
        };
        let magnitude = y.abs();
        // SAFETY: `|y| ≤ 2^23 + 1` (at most 24 bits), inside `i32`'s range.
        let t = f64::from(unsafe { magnitude.to_int_unchecked::<i32>() });
        let up = if magnitude - t >= 0.5 { 1.0 } else { 0.0 };
        let rounded = (t + up).copysign(y);
        *s = (rounded.clamp(-steps_per_unit, steps_per_unit - 1.0) * q) as f32;
    }
}

/// Quantises `samples` + `dither` to the step `q` with error feedback through `taps`;
/// `error_history` holds `e[n−1]`, `e[n−2]`.
#[inline(always)]
fn quantise_shaped(
    samples: &mut [f32],
    dither: &[f64],
    q: f64,
    [h1, h2]: [f64; 2],
    error_history: &mut [f64; 2],
) {
    let steps_per_unit = 1.0 / q;
    for (s, &d) in samples.iter_mut().zip(dither) {
        let [e1, e2] = *error_history;
        // Non-finite input is quantised as silence: a NaN in the error feedback would
        // otherwise turn every later sample into NaN (`0·NaN` is NaN even unshaped).
        let x = if s.is_finite() { f64::from(*s) } else { 0.0 };
        let v = x - h1 * e1 - h2 * e2;
        let y = round_half_away((v + d) * steps_per_unit)
            .clamp(-steps_per_unit, steps_per_unit - 1.0)
            * q;
        *error_history = [y - v, e1];
        *s = y as f32;
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
    use super::*;

    /// The quantiser sample by sample, as written from the definition: error feedback
    /// through the taps (zero without shaping), one dither value drawn per sample.
    fn reference(settings: DitherSettings, channels: &mut [Vec<f32>]) {
        let q = 2f64.powi(1 - settings.bits as i32);
        let [h1, h2] = settings.shaping.feedback_taps();
        for (c, samples) in channels.iter_mut().enumerate() {
            let mut rng = Rng::new(settings.seed.wrapping_add(c as u64));
            let (mut e1, mut e2) = (0.0, 0.0);
            for s in samples.iter_mut() {
                let x = if s.is_finite() { f64::from(*s) } else { 0.0 };
                let v = x - h1 * e1 - h2 * e2;
                let tpdf = 0.5 * q * (rng.next_bipolar() as f64 + rng.next_bipolar() as f64);
                let y = ((v + tpdf) / q).round().clamp(-1.0 / q, 1.0 / q - 1.0) * q;
                (e1, e2) = (y - v, e1);
                *s = y as f32;
            }
        }
    }

    /// Random samples around full scale with values on the rounding boundaries, huge,
    /// infinite, NaN and signed zeros mixed in.
    fn test_signal(seed: u64, len: usize, q: f64) -> Vec<f32> {
        let mut rng = Rng::new(seed);
        (0..len)
            .map(|n| match n % 13 {
                0 => [
                    f32::NAN,
                    f32::INFINITY,
                    f32::NEG_INFINITY,
                    -0.0,
                    0.0,
                    f32::MAX,
                ][n / 13 % 6],
                1 => ((rng.next_u64() % 64) as f64 * q + 0.5 * q - 0.5) as f32,
                2 => rng.next_bipolar() * 1e6,
                _ => rng.next_bipolar() * 1.2,
            })
            .collect()
    }

    #[test]
    fn block_processing_equals_the_sample_by_sample_reference() {
        // Blocks of 1, 7, 4096, a chunk, a chunk and one, 1000 frames.
        let blocks = [1, 7, 4096, tpdf::CHUNK_FRAMES, tpdf::CHUNK_FRAMES + 1, 1000];
        let len: usize = blocks.iter().sum::<usize>() * 2;
        let isas = [Isa::Baseline, Isa::Avx2, Isa::Avx512];
        for (bits, shaping) in [
            (24, NoiseShaping::None),
            (16, NoiseShaping::None),
            (16, NoiseShaping::SecondOrder),
            (2, NoiseShaping::SecondOrder),
        ] {
            let settings = DitherSettings {
                bits,
                shaping,
                seed: 7,
            };
            let q = 2f64.powi(1 - bits as i32);
            for num_channels in [1, 2, 6] {
                let input: Vec<Vec<f32>> = (0..num_channels)
                    .map(|c| test_signal(c as u64 + 10, len, q))
                    .collect();
                let mut expected = input.clone();
                reference(settings, &mut expected);
                // Every instruction set this machine has.
                for isa in isas.into_iter().filter(|&isa| isa <= Isa::detect()) {
                    let mut dither = Dither::new(48_000.0, 4096, num_channels, settings);
                    dither.isa = isa;
                    let mut output = input.clone();
                    let (mut pos, mut i) = (0, 0);
                    while pos < len {
                        let end = (pos + blocks[i % blocks.len()]).min(len);
                        let mut block: Vec<&mut [f32]> =
                            output.iter_mut().map(|c| &mut c[pos..end]).collect();
                        dither.process_block(&mut block);
                        (pos, i) = (end, i + 1);
                    }
                    for (c, (out, exp)) in output.iter().zip(&expected).enumerate() {
                        for (n, (o, e)) in out.iter().zip(exp).enumerate() {
                            assert_eq!(
                                o.to_bits(),
                                e.to_bits(),
                                "{bits} bits {shaping:?} {isa:?} {num_channels} ch: \
                                 channel {c}, sample {n} ({})",
                                input[c][n]
                            );
                        }
                    }
                }
            }
        }
    }

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
