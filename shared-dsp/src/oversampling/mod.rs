//! Linear-phase 2×/4× oversampling with half-band FIR filters (polyphase, integer latency).
//!
//! Each ×2 stage is a Kaiser-windowed half-band low-pass (every second tap is zero, the centre
//! tap is ½), run polyphase: upsampling computes one dot product per input sample and copies a
//! delayed input for the other phase; downsampling computes one dot product per output sample.
//! Design: windowed ideal half-band `h[k] = sin(πk/2)/(πk)`, Kaiser window with
//! `β = 0.1102·(A − 8.7)` for a stop-band attenuation of `A` dB (Kaiser's formula,
//! <https://en.wikipedia.org/wiki/Kaiser_window>; half-band structure:
//! <https://en.wikipedia.org/wiki/Half-band_filter>).
//!
//! - Narrow stage (base rate ↔ 2×): [`NARROW_HALF_ORDER`] = 71, 72 taps per phase; pass band
//!   to 0.45·fs (ripple < 0.0001 dB), stop band from 0.55·fs (fs = base rate) below −99 dB.
//! - Wide stage (2× ↔ 4×, 4× only): [`WIDE_HALF_ORDER`] = 15, 16 taps per phase; the signal
//!   there already stops at 0.55·fs, so its transition band is wide (pass to 0.57·fs, stop
//!   from 1.43·fs).
//!
//! Latency, a pure function of the factor (whole base-rate samples): 1× → 0; 2× →
//! `NARROW_HALF_ORDER` = 71; 4× → `NARROW_HALF_ORDER + (WIDE_HALF_ORDER + 1)/2` = 79. In the
//! 4× chain the wide stages delay by an odd number of 2× samples, so one extra 2× sample of delay
//! is inserted before the final decimation to keep the total latency an integer.
//! The round trip up → down (with nothing in between) has unity gain at DC; its pass-band
//! deviation is at most the sum of the stages' ripples (see the tests).
//!
//! Inputs must be finite (callers sanitize first): the dot products multiply zero-padded
//! history by zero coefficients.

use crate::kaiser::bessel_i0;
use std::f64::consts::PI;

/// Half-order `M` of the narrow half-band filter (odd): taps at `k = −M..=M`.
pub const NARROW_HALF_ORDER: usize = 71;
/// Half-order `M` of the wide half-band filter (odd), used only for 4×.
pub const WIDE_HALF_ORDER: usize = 15;
/// Stop-band attenuation both stages are designed for, dB.
pub const DESIGN_ATTENUATION_DB: f64 = 100.0;

/// Oversampling factor (structural parameter: changing it resets state and latency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OversamplingFactor {
    /// No oversampling.
    X1,
    /// 2× (one half-band stage).
    #[default]
    X2,
    /// 4× (two half-band stages).
    X4,
}

impl OversamplingFactor {
    /// Oversampled samples per base-rate sample (1, 2 or 4).
    pub const fn ratio(self) -> usize {
        match self {
            Self::X1 => 1,
            Self::X2 => 2,
            Self::X4 => 4,
        }
    }

    /// Latency of the up/down round trip in base-rate samples.
    pub const fn latency_samples(self) -> usize {
        match self {
            Self::X1 => 0,
            Self::X2 => NARROW_HALF_ORDER,
            Self::X4 => NARROW_HALF_ORDER + WIDE_HALF_ORDER.div_ceil(2),
        }
    }
}

/// Taps `h[k]`, `k = −M..=M` (index `k + M`), of a Kaiser-windowed half-band low-pass with
/// half-order `half_order` (odd) and stop-band attenuation `attenuation_db`. The odd taps are
/// normalized to sum to exactly ½, so the DC gain is 1.
///
/// # Panics
/// If `half_order` is even.
pub fn design_halfband(half_order: usize, attenuation_db: f64) -> Vec<f64> {
    assert!(half_order % 2 == 1, "half-band half-order must be odd");
    let m = half_order as f64;
    let beta = 0.1102 * (attenuation_db - 8.7);
    let mut taps: Vec<f64> = (0..=2 * half_order)
        .map(|i| {
            let k = i as f64 - m;
            let ideal = if i == half_order {
                0.5
            } else if (i + half_order).is_multiple_of(2) {
                0.0
            } else {
                (0.5 * PI * k).sin() / (PI * k)
            };
            let window =
                bessel_i0(beta * (1.0 - (k / m).powi(2)).max(0.0).sqrt()) / bessel_i0(beta);
            ideal * window
        })
        .collect();
    let odd_sum: f64 = taps.iter().skip(1).step_by(2).sum();
    for tap in taps.iter_mut().skip(1).step_by(2) {
        *tap *= 0.5 / odd_sum;
    }
    taps
}

/// Polyphase coefficients of one half-band stage: the nonzero odd taps `h[2i − M]`,
/// `i = 0..=M`, zero-padded to a multiple of 8 for the vectorized dot product.
#[derive(Debug, Clone)]
struct HalfbandPhase {
    /// Odd taps `h[2i − M]` (unitless), padded with zeros (set by `new`).
    taps: Vec<f32>,
    /// `(M − 1)/2`: delay of the pure-delay phase in input samples (set by `new`).
    half_delay: usize,
}

impl HalfbandPhase {
    fn new(half_order: usize) -> Self {
        let full = design_halfband(half_order, DESIGN_ATTENUATION_DB);
        let mut taps: Vec<f32> = full.iter().step_by(2).map(|&h| h as f32).collect();
        taps.resize(taps.len().div_ceil(8) * 8, 0.0);
        Self {
            taps,
            half_delay: (half_order - 1) / 2,
        }
    }
}

/// Sample history whose newest `len` samples are always contiguous (double-written ring).
#[derive(Debug, Clone)]
struct History {
    /// Ring written twice, `2·len` long (allocated in `new`).
    samples: Vec<f32>,
    /// Start of the current window; the newest sample is at `samples[pos]`.
    pos: usize,
    /// Window length.
    len: usize,
}

impl History {
    fn new(len: usize) -> Self {
        Self {
            samples: vec![0.0; 2 * len],
            pos: 0,
            len,
        }
    }

    fn reset(&mut self) {
        self.samples.fill(0.0);
        self.pos = 0;
    }

    /// Adds the newest sample.
    #[inline(always)]
    fn push(&mut self, x: f32) {
        self.pos = if self.pos == 0 {
            self.len - 1
        } else {
            self.pos - 1
        };
        self.samples[self.pos] = x;
        self.samples[self.pos + self.len] = x;
    }

    /// The last `len` samples, newest first.
    #[inline(always)]
    fn window(&self) -> &[f32] {
        &self.samples[self.pos..self.pos + self.len]
    }
}

/// Dot product with eight independent accumulators (vectorizes; the summation order is fixed,
/// so results do not depend on anything but the inputs). `a.len()` is a multiple of 8.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    for (ca, cb) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += ca[k] * cb[k];
        }
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// State of one ×2 interpolator.
#[derive(Debug, Clone)]
struct Upsampler {
    /// Input history (newest first), as long as the padded phase.
    history: History,
}

impl Upsampler {
    fn new(phase: &HalfbandPhase) -> Self {
        Self {
            history: History::new(phase.taps.len()),
        }
    }

    /// One input sample in, two output samples out: `[Σ 2·h[2i−M]·x[n−i], x[n − (M−1)/2]]`.
    #[inline(always)]
    fn process(&mut self, phase: &HalfbandPhase, x: f32) -> [f32; 2] {
        self.history.push(x);
        let window = self.history.window();
        [2.0 * dot(&phase.taps, window), window[phase.half_delay]]
    }
}

/// State of one ×2 decimator.
#[derive(Debug, Clone)]
struct Downsampler {
    /// History of the even-phase inputs (newest first).
    even: History,
    /// History of the odd-phase inputs, read `(M + 1)/2` pairs back by the centre tap.
    odd: History,
}

impl Downsampler {
    fn new(phase: &HalfbandPhase) -> Self {
        Self {
            even: History::new(phase.taps.len()),
            odd: History::new(phase.half_delay + 2),
        }
    }

    /// Two input samples in, one out: `Σ h[2i−M]·e[n−i] + ½·o[n − (M+1)/2]`.
    #[inline(always)]
    fn process(&mut self, phase: &HalfbandPhase, even: f32, odd: f32) -> f32 {
        self.even.push(even);
        self.odd.push(odd);
        dot(&phase.taps, self.even.window()) + 0.5 * self.odd.window()[phase.half_delay + 1]
    }
}

/// Filter states of one channel.
#[derive(Debug, Clone)]
struct ChannelStages {
    /// Base → 2× interpolator.
    up_narrow: Upsampler,
    /// 2× → 4× interpolator.
    up_wide: Upsampler,
    /// 4× → 2× decimator.
    down_wide: Downsampler,
    /// 2× → base decimator.
    down_narrow: Downsampler,
    /// Last 2× sample of the previous block (the extra 2× delay of the 4× chain).
    carry_2x: f32,
}

/// Multichannel 1×/2×/4× oversampler: upsamples a block, lets a closure process it at the high
/// rate, and decimates it back in place.
#[derive(Debug, Clone)]
pub struct Oversampler {
    /// Current factor (set by `set_factor`).
    factor: OversamplingFactor,
    /// Narrow-stage coefficients (set by `new`).
    narrow: HalfbandPhase,
    /// Wide-stage coefficients (set by `new`).
    wide: HalfbandPhase,
    /// Per-channel filter states (allocated in `new`).
    channels: Vec<ChannelStages>,
    /// Scratch for one channel at 2× (`2·max_block`, allocated in `new`).
    buffer_2x: Vec<f32>,
    /// Scratch for one channel at 4× (`4·max_block`, allocated in `new`).
    buffer_4x: Vec<f32>,
}

impl Oversampler {
    /// Allocates for blocks of up to `max_block` frames on `num_channels` channels, at any
    /// factor. Starts at 1×.
    pub fn new(max_block: usize, num_channels: usize) -> Self {
        let narrow = HalfbandPhase::new(NARROW_HALF_ORDER);
        let wide = HalfbandPhase::new(WIDE_HALF_ORDER);
        let stages = ChannelStages {
            up_narrow: Upsampler::new(&narrow),
            up_wide: Upsampler::new(&wide),
            down_wide: Downsampler::new(&wide),
            down_narrow: Downsampler::new(&narrow),
            carry_2x: 0.0,
        };
        Self {
            factor: OversamplingFactor::X1,
            narrow,
            wide,
            channels: vec![stages; num_channels],
            buffer_2x: vec![0.0; 2 * max_block],
            buffer_4x: vec![0.0; 4 * max_block],
        }
    }

    /// Changes the factor (structural: clears the state; the latency changes with it).
    pub fn set_factor(&mut self, factor: OversamplingFactor) {
        self.factor = factor;
        self.reset();
    }

    /// The current factor.
    pub fn factor(&self) -> OversamplingFactor {
        self.factor
    }

    /// Latency in base-rate samples ([`OversamplingFactor::latency_samples`]).
    pub fn latency_samples(&self) -> usize {
        self.factor.latency_samples()
    }

    /// Clears every filter state (never allocates).
    pub fn reset(&mut self) {
        for ch in &mut self.channels {
            ch.up_narrow.history.reset();
            ch.up_wide.history.reset();
            ch.down_wide.even.reset();
            ch.down_wide.odd.reset();
            ch.down_narrow.even.reset();
            ch.down_narrow.odd.reset();
            ch.carry_2x = 0.0;
        }
    }

    /// For each channel: upsamples the block, calls `process(channel, oversampled)` with
    /// `ratio · len` samples, and writes the decimated result back in place. At 1× `process`
    /// gets the channel itself. Channels beyond those given to `new` are left untouched.
    ///
    /// # Panics
    /// If a block is longer than the `max_block` given to `new`.
    pub fn process_block(
        &mut self,
        channels: &mut [&mut [f32]],
        mut process: impl FnMut(usize, &mut [f32]),
    ) {
        for (index, (samples, stages)) in channels.iter_mut().zip(&mut self.channels).enumerate() {
            let n = samples.len();
            match self.factor {
                OversamplingFactor::X1 => process(index, samples),
                OversamplingFactor::X2 => {
                    let high = &mut self.buffer_2x[..2 * n];
                    for (x, pair) in samples.iter().zip(high.chunks_exact_mut(2)) {
                        pair.copy_from_slice(&stages.up_narrow.process(&self.narrow, *x));
                    }
                    process(index, high);
                    for (x, pair) in samples.iter_mut().zip(high.chunks_exact(2)) {
                        *x = stages.down_narrow.process(&self.narrow, pair[0], pair[1]);
                    }
                }
                OversamplingFactor::X4 => {
                    let mid = &mut self.buffer_2x[..2 * n];
                    let high = &mut self.buffer_4x[..4 * n];
                    for (x, pair) in samples.iter().zip(mid.chunks_exact_mut(2)) {
                        pair.copy_from_slice(&stages.up_narrow.process(&self.narrow, *x));
                    }
                    for (m, pair) in mid.iter().zip(high.chunks_exact_mut(2)) {
                        pair.copy_from_slice(&stages.up_wide.process(&self.wide, *m));
                    }
                    process(index, high);
                    for (m, pair) in mid.iter_mut().zip(high.chunks_exact(2)) {
                        *m = stages.down_wide.process(&self.wide, pair[0], pair[1]);
                    }
                    // One extra 2× sample of delay: the even input of each pair is the previous
                    // pair's odd sample.
                    for (x, pair) in samples.iter_mut().zip(mid.chunks_exact(2)) {
                        let even = stages.carry_2x;
                        stages.carry_2x = pair[1];
                        *x = stages.down_narrow.process(&self.narrow, even, pair[0]);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Magnitude in dB of the full half-band filter at `f` (cycles per sample of its own rate).
    fn response_db(taps: &[f64], f: f64) -> f64 {
        let m = (taps.len() / 2) as f64;
        let re: f64 = taps
            .iter()
            .enumerate()
            .map(|(i, h)| h * (2.0 * PI * f * (i as f64 - m)).cos())
            .sum();
        20.0 * re.abs().max(1e-20).log10()
    }

    #[test]
    fn narrow_stage_meets_its_band_edges() {
        let taps = design_halfband(NARROW_HALF_ORDER, DESIGN_ATTENUATION_DB);
        assert!(taps
            .iter()
            .enumerate()
            .all(|(i, &h)| i == NARROW_HALF_ORDER || i % 2 == 0 || h == 0.0));
        let grid =
            |from: f64, to: f64| (0..=2000).map(move |k| from + (to - from) * k as f64 / 2000.0);
        // At 2× a base-rate frequency f·fs is 0.5·f of the filter's rate.
        let ripple_db = grid(0.0, 0.225)
            .map(|f| response_db(&taps, f).abs())
            .fold(0.0, f64::max);
        let stop_db = grid(0.275, 0.5)
            .map(|f| response_db(&taps, f))
            .fold(-400.0, f64::max);
        println!("narrow stage: pass-band ripple {ripple_db:.6} dB, stop band {stop_db:.1} dB");
        assert!(ripple_db < 1e-4, "pass-band ripple {ripple_db} dB");
        assert!(stop_db < -99.0, "stop band {stop_db} dB");
    }

    #[test]
    fn wide_stage_meets_its_band_edges() {
        let taps = design_halfband(WIDE_HALF_ORDER, DESIGN_ATTENUATION_DB);
        let pass_db = (0..=100)
            .map(|k| response_db(&taps, 0.1425 * k as f64 / 100.0).abs())
            .fold(0.0, f64::max);
        let stop_db = (0..=100)
            .map(|k| response_db(&taps, 0.3575 + 0.1425 * k as f64 / 100.0))
            .fold(-400.0, f64::max);
        println!("wide stage: pass-band ripple {pass_db:.6} dB, stop band {stop_db:.1} dB");
        assert!(pass_db < 1e-4, "{pass_db}");
        assert!(stop_db < -99.0, "{stop_db}");
    }

    #[test]
    fn impulse_round_trip_peaks_at_the_latency() {
        for factor in [
            OversamplingFactor::X1,
            OversamplingFactor::X2,
            OversamplingFactor::X4,
        ] {
            let mut os = Oversampler::new(64, 1);
            os.set_factor(factor);
            let mut x = vec![0.0f32; 256];
            x[10] = 1.0;
            for chunk in x.chunks_mut(64) {
                os.process_block(&mut [chunk], |_, _| {});
            }
            let peak = x.iter().enumerate().fold((0, 0.0f32), |b, (i, &v)| {
                if v.abs() > b.1.abs() {
                    (i, v)
                } else {
                    b
                }
            });
            assert_eq!(peak.0, 10 + factor.latency_samples(), "{factor:?}");
            // Symmetric around the peak: linear phase.
            for k in 1..10 {
                assert!(
                    (x[peak.0 - k] - x[peak.0 + k]).abs() < 1e-6,
                    "{factor:?} {k}"
                );
            }
        }
    }

    /// A pass-band signal survives the round trip as a pure delay by the latency.
    #[test]
    fn round_trip_of_a_passband_sine_is_a_pure_delay() {
        for factor in [OversamplingFactor::X2, OversamplingFactor::X4] {
            let mut os = Oversampler::new(100, 2);
            os.set_factor(factor);
            let sine = |n: usize| (2.0 * PI * 0.2 * n as f64).sin() as f32 * 0.9;
            let mut left: Vec<f32> = (0..4000).map(sine).collect();
            let mut right: Vec<f32> = left.iter().map(|s| -s).collect();
            for (l, r) in left.chunks_mut(100).zip(right.chunks_mut(100)) {
                os.process_block(&mut [l, r], |_, _| {});
            }
            let latency = factor.latency_samples();
            let worst = (1000..4000)
                .map(|n| (left[n] - sine(n - latency)).abs())
                .fold(0.0, f32::max);
            println!(
                "{factor:?}: round-trip error {:.1} dB",
                20.0 * worst.log10()
            );
            assert!(worst < 1e-4, "{factor:?}: {worst}");
            assert!(left.iter().zip(&right).all(|(l, r)| *l == -*r));
        }
    }
}
