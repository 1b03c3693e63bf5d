//! Linear-phase 2×/4× oversampling with half-band FIR filters (polyphase, integer latency).
//!
//! Each ×2 stage is a Kaiser-windowed half-band low-pass (every second tap is zero, the centre
//! tap is ½), run polyphase: upsampling computes one dot product per input sample and copies a
//! delayed input for the other phase; downsampling computes one dot product per output sample.
//! Each stage runs over a whole block at a time with its symmetric taps folded and vectorised
//! (AVX chosen at run time, portable path bit-identical): see `stages.rs`. Saturation at 4×
//! costs about 390 instructions per stereo frame (`benches/callgrind.sh saturation4x`).
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

mod stages;

use crate::kaiser::bessel_i0;
use crate::lanes::avx_available;
use stages::{DownStage, FoldedPhase, UpStage};
use std::f64::consts::PI;

/// Half-order `M` of the narrow half-band filter (odd): taps at `k = −M..=M`.
pub const NARROW_HALF_ORDER: usize = 71;
/// Half-order `M` of the wide half-band filter (odd), used only for 4×.
pub const WIDE_HALF_ORDER: usize = 15;
/// Folded tap pairs of the narrow stage's odd phase.
const NARROW_PAIRS: usize = NARROW_HALF_ORDER.div_ceil(2);
/// Folded tap pairs of the wide stage's odd phase.
const WIDE_PAIRS: usize = WIDE_HALF_ORDER.div_ceil(2);
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

/// Filter states of one channel.
#[derive(Debug, Clone)]
struct ChannelStages {
    /// Base → 2× interpolator.
    up_narrow: UpStage,
    /// 2× → 4× interpolator.
    up_wide: UpStage,
    /// 4× → 2× decimator.
    down_wide: DownStage,
    /// 2× → base decimator.
    down_narrow: DownStage,
}

/// Multichannel 1×/2×/4× oversampler: upsamples a block, lets a closure process it at the high
/// rate, and decimates it back in place.
#[derive(Debug, Clone)]
pub struct Oversampler {
    /// Current factor (set by `set_factor`).
    factor: OversamplingFactor,
    /// Narrow-stage odd taps, folded, ×2 for interpolation (set by `new`).
    narrow_up: FoldedPhase<NARROW_PAIRS>,
    /// Narrow-stage odd taps, folded, for decimation (set by `new`).
    narrow_down: FoldedPhase<NARROW_PAIRS>,
    /// Wide-stage odd taps, folded, ×2 for interpolation (set by `new`).
    wide_up: FoldedPhase<WIDE_PAIRS>,
    /// Wide-stage odd taps, folded, for decimation (set by `new`).
    wide_down: FoldedPhase<WIDE_PAIRS>,
    /// The CPU runs AVX: the stages use 8-lane registers (checked once by `new`).
    use_avx: bool,
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
        let narrow = design_halfband(NARROW_HALF_ORDER, DESIGN_ATTENUATION_DB);
        let wide = design_halfband(WIDE_HALF_ORDER, DESIGN_ATTENUATION_DB);
        let (narrow_up, narrow_down) = (
            FoldedPhase::new(&narrow, 2.0),
            FoldedPhase::new(&narrow, 1.0),
        );
        let (wide_up, wide_down) = (FoldedPhase::new(&wide, 2.0), FoldedPhase::new(&wide, 1.0));
        let max_block = max_block.max(1);
        let stages = ChannelStages {
            up_narrow: UpStage::new(&narrow_up, max_block),
            up_wide: UpStage::new(&wide_up, 2 * max_block),
            down_wide: DownStage::new(&wide_down, 2 * max_block),
            down_narrow: DownStage::new(&narrow_down, max_block),
        };
        Self {
            factor: OversamplingFactor::X1,
            narrow_up,
            narrow_down,
            wide_up,
            wide_down,
            use_avx: avx_available(),
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
            ch.up_narrow.reset();
            ch.up_wide.reset();
            ch.down_wide.reset();
            ch.down_narrow.reset();
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
        let avx = self.use_avx;
        for (index, (samples, stages)) in channels.iter_mut().zip(&mut self.channels).enumerate() {
            let n = samples.len();
            match self.factor {
                OversamplingFactor::X1 => process(index, samples),
                OversamplingFactor::X2 => {
                    let high = &mut self.buffer_2x[..2 * n];
                    stages
                        .up_narrow
                        .process(&self.narrow_up, avx, samples, high);
                    process(index, high);
                    stages
                        .down_narrow
                        .process(&self.narrow_down, avx, high, samples);
                }
                OversamplingFactor::X4 => {
                    let mid = &mut self.buffer_2x[..2 * n];
                    let high = &mut self.buffer_4x[..4 * n];
                    stages.up_narrow.process(&self.narrow_up, avx, samples, mid);
                    stages.up_wide.process(&self.wide_up, avx, mid, high);
                    process(index, high);
                    stages.down_wide.process(&self.wide_down, avx, high, mid);
                    // One extra 2× sample of delay keeps the latency whole: the even input of
                    // each pair is the previous pair's odd sample.
                    stages
                        .down_narrow
                        .process_shifted(&self.narrow_down, avx, mid, samples);
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

    /// Runs noise through `os` with a mild nonlinearity at the high rate, in blocks whose sizes
    /// cycle through `block_sizes`.
    fn run(os: &mut Oversampler, block_sizes: &[usize]) -> Vec<f32> {
        let mut x = crate::signals::white_noise(9, 0.9, 3000);
        let (mut start, mut i) = (0, 0);
        while start < x.len() {
            let end = (start + block_sizes[i % block_sizes.len()]).min(x.len());
            os.process_block(&mut [&mut x[start..end]], |_, high| {
                high.iter_mut().for_each(|s| *s -= 0.1 * *s * *s * *s);
            });
            start = end;
            i += 1;
        }
        x
    }

    /// The AVX and portable paths agree bit for bit, and any block partition gives the same
    /// output bit for bit.
    #[test]
    fn avx_portable_and_block_sizes_agree_bit_for_bit() {
        for factor in [OversamplingFactor::X2, OversamplingFactor::X4] {
            let mut os = Oversampler::new(512, 1);
            os.set_factor(factor);
            let reference = run(&mut os, &[512]);
            os.use_avx = false;
            os.reset();
            let portable = run(&mut os, &[512]);
            os.use_avx = avx_available();
            os.reset();
            let odd_blocks = run(&mut os, &[1, 7, 64, 300, 3]);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&reference), bits(&portable), "{factor:?}");
            assert_eq!(bits(&reference), bits(&odd_blocks), "{factor:?}");
            assert!(reference.iter().any(|&x| x.abs() > 0.1));
        }
    }
}
