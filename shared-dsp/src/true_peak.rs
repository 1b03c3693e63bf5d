//! True-peak detection by polyphase FIR interpolation (ITU-R BS.1770-4 Annex 2).
//!
//! The signal is upsampled by `oversampling` with a windowed sinc whose cutoff is the input
//! Nyquist frequency; the true peak is the largest `|y|` of the upsampled signal.
//! Source: ITU-R BS.1770-4 Annex 2, <https://www.itu.int/rec/R-REC-BS.1770-4-201510-I/en>.
//!
//! Two filter grades, chosen by the factor:
//! - meter grade (factors 2 and 4): libebur128's interpolator, the one the `ebur128` crate,
//!   ffmpeg's `ebur128` filter and the distributors' QC tools read with
//!   (<https://github.com/jiixyj/libebur128/blob/master/ebur128/ebur128.c>, `interp_create`):
//!   a 48-tap Hann-windowed sinc, not normalised, 12 taps per phase at 4×, 24 at 2×, with the
//!   coefficients rounded to f32 exactly as the crate rounds them ([`meter_filter`]), so this
//!   meter reads what they read (`tests/loudness_oracle.rs` compares it with the crate).
//!   [`bs1770_oversampling`] picks the factor as libebur128 does: 4× below 96 kHz, 2× from
//!   96 kHz to 192 kHz, 1× (sample peak) above.
//! - oracle grade (factor 16): 64 taps per phase, Kaiser β = 9
//!   (<https://en.wikipedia.org/wiki/Kaiser_window>), every phase normalised to unity gain at
//!   DC and flat within 0.001 dB up to 0.45·fs (images are rejected from 0.55·fs). Tests use it
//!   as the reference.
//!
//! Phase 0 of a sinc cut off at Nyquist is the delayed input itself (the sinc is zero at every
//! other integer), so only `oversampling - 1` phases are computed.
//!
//! # Meter grade, block-wise
//! Phases `p` and `F - p` of the meter filter use the same taps in reverse order, so with the
//! pair sums `S[k]` and differences `D[k]` of the `T` samples a frame reads (as in
//! [`crate::limiter::peak`]) `max(|y_p|, |y_(F-p)|) = |E_p| + |O_p|` with half-length
//! correlations `E_p = Σ even_p[k]·S[k]`, `O_p = Σ odd_p[k]·D[k]` (the half-sample phase has
//! no odd part): 18 multiply-adds per frame at 4× instead of 36. The correlations run over
//! 4 (portable) or 8 (AVX, chosen at run time) consecutive frames at a time, frames in the
//! lanes; both paths do the same operations in the same order per frame, so they read
//! bit-identical peaks.

use crate::db::gain_to_db;
use crate::kaiser::bessel_i0;
use crate::lanes::{avx_available, larger, Coefficient, Lanes, LANES};
use std::f64::consts::PI;

/// Frames processed per inner pass (the history buffer holds this plus the filter length).
/// A signal handed over in blocks whose lengths are multiples of this is read exactly as in
/// one block (the passes fall on the same frames).
pub const CHUNK_FRAMES: usize = 256;
/// Outputs computed together in registers by the oracle-grade inner loop.
const ORACLE_LANES: usize = 8;
/// Frames per lane group on the portable path of the meter grade (one SSE/NEON register).
const PORTABLE_LANES: usize = 4;
/// Length of the meter-grade filter over all its phases (libebur128's 49 taps, the last of
/// which is zero).
pub const METER_FILTER_TAPS: usize = 48;
/// Tap pairs per phase of the meter grade at 4× (12 taps per phase).
const PAIRS_4X: usize = METER_FILTER_TAPS / 4 / 2;
/// Tap pairs per phase of the meter grade at 2× (24 taps per phase).
const PAIRS_2X: usize = METER_FILTER_TAPS / 2 / 2;
/// Taps per phase of the oracle-grade (16×) filter.
const ORACLE_TAPS_PER_PHASE: usize = 64;
/// Kaiser β of the oracle-grade (16×) filter.
const ORACLE_KAISER_BETA: f64 = 9.0;
/// The factor that selects the oracle-grade filter.
pub const ORACLE_OVERSAMPLING: usize = 16;
/// Input magnitudes below this are read as 0 by the meter grade, so denormal input never
/// reaches its multipliers (a peak below −600 dBFS reads as silence).
const DENORMAL_FLOOR: f32 = 1e-30;

/// The oversampling factor a BS.1770 meter uses at `sample_rate_hz`, as libebur128 chooses
/// it: 4 below 96 kHz, 2 below 192 kHz, 1 (plain sample peak) from 192 kHz up.
pub fn bs1770_oversampling(sample_rate_hz: f64) -> usize {
    if sample_rate_hz < 96_000.0 {
        4
    } else if sample_rate_hz < 192_000.0 {
        2
    } else {
        1
    }
}

/// libebur128's interpolation filter for `oversampling` (2 or 4), exactly as the `ebur128`
/// crate computes it: `c[j] = hann(j) · sinc((j - 24) / oversampling)`, `j = 0..48`, in f64,
/// rounded to f32. Output phase `p` of the frame whose newest input is `x[n]` is
/// `Σ_t c[oversampling·t + p] · x[n - t]`.
pub fn meter_filter(oversampling: usize) -> [f32; METER_FILTER_TAPS] {
    let window = METER_FILTER_TAPS as f64;
    std::array::from_fn(|j| {
        let j = j as f64;
        let hann = 0.5 * (1.0 - (2.0 * PI * j / window).cos());
        let m = j - window / 2.0;
        let x = m * PI / oversampling as f64;
        (if m.abs() > 1e-6 {
            hann * x.sin() / x
        } else {
            hann
        }) as f32
    })
}

/// The meter-grade interpolator folded for block processing (fixed design data; never
/// allocates). The limiter's side chain evaluates it too, so it holds what this meter reads.
#[derive(Clone)]
pub(crate) struct MeterInterpolator {
    /// Oversampling factor (1, 2 or 4; 1 computes no phase).
    oversampling: usize,
    /// `even[k][i]`: even part `(a[k] + a[T-1-k]) / 2` of phase `i + 1` at tap pair `k`, where
    /// `a[t]` is the phase's tap on the sample `t` frames before the newest (phases 1 and 2 at
    /// 4×; the half-sample phase 1 at 2×).
    even: [[Coefficient; 2]; PAIRS_2X],
    /// `odd[k]`: odd part `(a[k] - a[T-1-k]) / 2` of phase 1 at 4× (zero at 2×).
    odd: [Coefficient; PAIRS_2X],
    /// The CPU runs AVX: 8 frames per lane group (checked once by `new`).
    use_avx: bool,
    /// The CPU runs AVX-512F: the meter's blocks go 16 frames per lane group (checked once
    /// by `new`).
    use_avx512: bool,
}

impl std::fmt::Debug for MeterInterpolator {
    /// The factor only (the tables are fixed design data, not state).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeterInterpolator")
            .field("oversampling", &self.oversampling)
            .field("use_avx", &self.use_avx)
            .field("use_avx512", &self.use_avx512)
            .finish()
    }
}

impl MeterInterpolator {
    /// Folds [`meter_filter`] at `oversampling` (1, 2 or 4). Never allocates.
    pub(crate) fn new(oversampling: usize) -> Self {
        let mut interpolator = Self {
            oversampling: 1,
            even: [[Coefficient::default(); 2]; PAIRS_2X],
            odd: [Coefficient::default(); PAIRS_2X],
            use_avx: avx_available(),
            use_avx512: avx512_available(),
        };
        if matches!(oversampling, 2 | 4) {
            let c = meter_filter(oversampling);
            let taps = METER_FILTER_TAPS / oversampling;
            let tap = |p: usize, t: usize| f64::from(c[oversampling * t + p]);
            let part = |p: usize, k: usize, sign: f64| {
                let value = 0.5 * (tap(p, k) + sign * tap(p, taps - 1 - k));
                Coefficient([value as f32; LANES])
            };
            for k in 0..taps / 2 {
                for p in 1..=oversampling / 2 {
                    interpolator.even[k][p - 1] = part(p, k, 1.0);
                }
                if oversampling == 4 {
                    interpolator.odd[k] = part(1, k, -1.0);
                }
            }
            interpolator.oversampling = oversampling;
        }
        interpolator
    }

    /// Oversampling factor (1, 2 or 4).
    pub(crate) fn oversampling(&self) -> usize {
        self.oversampling
    }

    /// Taps per phase `T` (1 at 1×: the sample itself).
    pub(crate) fn taps_per_phase(&self) -> usize {
        if self.oversampling == 1 {
            1
        } else {
            METER_FILTER_TAPS / self.oversampling
        }
    }

    /// Largest sum of absolute taps over the interpolated phases (1.0 at 1×):
    /// `|y_p| ≤ bound · max |x|`.
    pub(crate) fn abs_sum_bound(&self) -> f64 {
        if self.oversampling == 1 {
            return 1.0;
        }
        let c = meter_filter(self.oversampling);
        (1..self.oversampling)
            .map(|p| {
                c.iter()
                    .skip(p)
                    .step_by(self.oversampling)
                    .map(|&v| f64::from(v).abs())
                    .sum::<f64>()
            })
            .fold(0.0, f64::max)
    }

    /// Largest `|y|` over the interpolated phases (not phase 0) of `N` consecutive frames:
    /// lane `l` reads the `T` samples `window[l..l + T]` (oldest first), i.e. the interval
    /// between `window[l + T/2 - 1]` and `window[l + T/2]`. Zero at 1×.
    #[inline(always)]
    pub(crate) fn interpolated_lanes<const N: usize>(&self, window: &[f32]) -> Lanes<N> {
        match self.oversampling {
            4 => self.interpolated_4x(window),
            2 => self.interpolated_2x(window),
            _ => Lanes::splat(0.0),
        }
    }

    /// [`Self::interpolated_lanes`] at 4×: phases 1 and 3 as `|E_1| + |O_1|`, phase 2 as `|E_2|`.
    #[inline(always)]
    fn interpolated_4x<const N: usize>(&self, window: &[f32]) -> Lanes<N> {
        let lanes = |start: usize| Lanes::<N>::load(&window[start..]);
        let zero = Lanes::<N>::splat(0.0);
        let (mut e1, mut e2, mut o1) = (zero, zero, zero);
        for k in 0..PAIRS_4X {
            let (near, far) = (lanes(2 * PAIRS_4X - 1 - k), lanes(k));
            let (sum, diff) = (near.add(far), near.sub(far));
            e1 = e1.add(coefficient::<N>(&self.even[k][0]).mul(sum));
            e2 = e2.add(coefficient::<N>(&self.even[k][1]).mul(sum));
            o1 = o1.add(coefficient::<N>(&self.odd[k]).mul(diff));
        }
        e1.abs().add(o1.abs()).max(e2.abs())
    }

    /// [`Self::interpolated_lanes`] at 2×: the half-sample phase.
    #[inline(always)]
    fn interpolated_2x<const N: usize>(&self, window: &[f32]) -> Lanes<N> {
        let lanes = |start: usize| Lanes::<N>::load(&window[start..]);
        let mut half = Lanes::<N>::splat(0.0);
        for (k, row) in self.even.iter().enumerate() {
            let sum = lanes(2 * PAIRS_2X - 1 - k).add(lanes(k));
            half = half.add(coefficient::<N>(&row[0]).mul(sum));
        }
        half.abs()
    }

    /// Largest `|y|` over all phases (phase 0 included) of `len` consecutive frames, frame `i`
    /// reading `window[i..i + T]`; `window` holds `N - 1` readable samples beyond the last
    /// frame's (their lanes are computed and discarded).
    #[inline(always)]
    fn block_peak_lanes<const N: usize>(&self, window: &[f32], len: usize) -> f32 {
        // Phase 0 (the sample itself, `T/2` frames before the newest) of each frame.
        let phase_0 = self.taps_per_phase() - 1 - self.taps_per_phase() / 2;
        let full = len - len % N;
        let mut peaks = Lanes::<N>::splat(0.0);
        for i in (0..full).step_by(N) {
            peaks = peaks.max(self.group_peak::<N>(&window[i..], phase_0));
        }
        let mut peak = peaks.0.iter().fold(0.0f32, |m, &v| larger(m, v));
        if full < len {
            let last = self.group_peak::<N>(&window[full..], phase_0);
            peak = last.0[..len - full].iter().fold(peak, |m, &v| larger(m, v));
        }
        peak
    }

    /// Largest `|y|` over all phases of `N` consecutive frames (lane `l` reads
    /// `window[l..l + T]`), phase 0 being `window[l + phase_0]`. A method, not a closure, so
    /// it inherits the AVX code generation of its caller.
    #[inline(always)]
    fn group_peak<const N: usize>(&self, window: &[f32], phase_0: usize) -> Lanes<N> {
        self.interpolated_lanes::<N>(window)
            .max(Lanes::<N>::load(&window[phase_0..]).abs())
    }

    /// [`Self::block_peak_lanes`] compiled for AVX, 8 frames at a time (the same operations in
    /// the same order per frame as the portable path, so the same peak).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn block_peak_avx(&self, window: &[f32], len: usize) -> f32 {
        self.block_peak_lanes::<LANES>(window, len)
    }

    /// [`Self::block_peak_lanes`] compiled for AVX-512, 16 frames at a time (the same
    /// operations in the same order per frame, so the same peak).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn block_peak_avx512(&self, window: &[f32], len: usize) -> f32 {
        self.block_peak_lanes::<AVX512_LANES>(window, len)
    }

    /// [`Self::block_peak_lanes`] on the fastest code path the CPU supports; `window` holds
    /// [`AVX512_LANES`]` - 1` readable samples beyond the last frame's.
    fn block_peak(&self, window: &[f32], len: usize) -> f32 {
        #[cfg(target_arch = "x86_64")]
        if self.use_avx512 {
            // SAFETY: `use_avx512` is true only if the CPU reported AVX-512F support in `new`.
            return unsafe { self.block_peak_avx512(window, len) };
        }
        #[cfg(target_arch = "x86_64")]
        if self.use_avx {
            // SAFETY: `use_avx` is true only if the CPU reported AVX support in `new`.
            return unsafe { self.block_peak_avx(window, len) };
        }
        self.block_peak_lanes::<PORTABLE_LANES>(window, len)
    }
}

/// Frames per lane group of the meter's AVX-512 path.
const AVX512_LANES: usize = 16;

/// Whether the CPU supports AVX-512F (always false off x86-64).
fn avx512_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `coefficient` in `N` lanes: its pre-broadcast copy up to [`LANES`], broadcast beyond (the
/// same value in every lane either way).
#[inline(always)]
fn coefficient<const N: usize>(coefficient: &Coefficient) -> Lanes<N> {
    if N <= LANES {
        coefficient.lanes::<N>()
    } else {
        Lanes::splat(coefficient.0[0])
    }
}

/// Fixed settings of a detector (set by `new`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruePeakSettings {
    /// Input sample rate in Hz (informational: the filter is designed in normalised frequency).
    pub sample_rate_hz: f64,
    /// Number of input channels; set by `new`.
    pub num_channels: usize,
    /// Upsampling factor (1, 2, 4, 8 or 16); set by `new`.
    pub oversampling: usize,
}

/// Polyphase interpolation coefficients, computed once in `new`.
#[derive(Debug, Clone)]
struct InterpolatorCoefficients {
    /// Taps of each phase.
    taps_per_phase: usize,
    /// Phases 1..oversampling, each `taps_per_phase` long, ordered for correlation with the
    /// history (index `k` multiplies the sample `taps_per_phase - 1 - k` frames ago).
    phases: Vec<f32>,
}

impl InterpolatorCoefficients {
    /// The filter of `oversampling` (factor 1 has no computed phases): [`meter_filter`] at 2×
    /// and 4×, the oracle-grade Kaiser design at 16×.
    fn new(oversampling: usize) -> Self {
        if oversampling != ORACLE_OVERSAMPLING {
            let taps_per_phase = METER_FILTER_TAPS / oversampling.max(2);
            let c = meter_filter(oversampling.max(2));
            let phases = (1..oversampling)
                .flat_map(|p| (0..taps_per_phase).map(move |k| (p, k)))
                .map(|(p, k)| c[oversampling * (taps_per_phase - 1 - k) + p])
                .collect();
            return Self {
                taps_per_phase: if oversampling == 1 { 1 } else { taps_per_phase },
                phases,
            };
        }
        let taps_per_phase = ORACLE_TAPS_PER_PHASE;
        let half_span = taps_per_phase as f64 / 2.0;
        let delay = taps_per_phase / 2;
        let mut phases = Vec::with_capacity((oversampling - 1) * taps_per_phase);
        for p in 1..oversampling {
            let start = phases.len();
            for k in 0..taps_per_phase {
                // Tap k sees the sample j frames ago; the output sits at (delay - p/L) frames
                // ago, so the sinc argument is the distance between the two.
                let j = (taps_per_phase - 1 - k) as f64;
                let t = j - delay as f64 + p as f64 / oversampling as f64;
                let x = PI * t;
                let sinc = if t.abs() < 1e-12 { 1.0 } else { x.sin() / x };
                let r = (t / half_span).clamp(-1.0, 1.0);
                let window = bessel_i0(ORACLE_KAISER_BETA * (1.0 - r * r).sqrt())
                    / bessel_i0(ORACLE_KAISER_BETA);
                phases.push(sinc * window);
            }
            let dc_gain: f64 = phases[start..].iter().sum();
            for c in &mut phases[start..] {
                *c /= dc_gain;
            }
        }
        Self {
            taps_per_phase,
            phases: phases.into_iter().map(|c| c as f32).collect(),
        }
    }
}

/// Streaming true-peak detector for up to `num_channels` channels.
#[derive(Debug, Clone)]
pub struct TruePeakDetector {
    /// Fixed settings; set by `new`.
    settings: TruePeakSettings,
    /// Filter, unfolded (the oracle grade runs it; every grade's response reads it); computed
    /// by `new`.
    coefs: InterpolatorCoefficients,
    /// The meter grade folded for block processing (1×, 2× and 4×); `None` at 16×.
    meter: Option<MeterInterpolator>,
    /// Per channel: `taps_per_phase - 1` frames of history, room for one chunk, then
    /// [`AVX512_LANES`] frames the meter grade's last lane group may read (their lanes are
    /// discarded).
    history: Vec<Vec<f32>>,
}

impl TruePeakDetector {
    /// A detector for `num_channels` channels upsampling by `oversampling` (see the module
    /// doc for the two filter grades). Allocates the history; nothing else allocates.
    ///
    /// # Panics
    /// If `oversampling` is not 1, 2, 4 or 16.
    pub fn new(sample_rate_hz: f64, num_channels: usize, oversampling: usize) -> Self {
        let sample_rate_hz = crate::rate::clamp_hz(sample_rate_hz);
        assert!(
            matches!(oversampling, 1 | 2 | 4 | 16),
            "oversampling must be 1, 2, 4 or 16, got {oversampling}"
        );
        let coefs = InterpolatorCoefficients::new(oversampling);
        let history =
            vec![vec![0.0; coefs.taps_per_phase - 1 + CHUNK_FRAMES + AVX512_LANES]; num_channels];
        let meter =
            (oversampling != ORACLE_OVERSAMPLING).then(|| MeterInterpolator::new(oversampling));
        Self {
            settings: TruePeakSettings {
                sample_rate_hz,
                num_channels,
                oversampling,
            },
            coefs,
            meter,
            history,
        }
    }

    /// The fixed settings.
    pub fn settings(&self) -> TruePeakSettings {
        self.settings
    }

    /// Clears the interpolator history. Never allocates.
    pub fn reset(&mut self) {
        for h in &mut self.history {
            h.fill(0.0);
        }
    }

    /// Delay of the interpolated signal behind the input, in input samples (half the
    /// per-phase filter length; 0 at 1×). A peak is reported in the block where the
    /// interpolated signal reaches it, up to this many samples after the input did.
    pub fn latency_samples(&self) -> usize {
        if self.settings.oversampling == 1 {
            0
        } else {
            self.coefs.taps_per_phase / 2
        }
    }

    /// Magnitude response of the interpolator at `freq_hz`: the smallest and largest gain in
    /// dB over all phases (phase 0 is exactly 0 dB). A sine at `freq_hz` reads within this
    /// range of its true amplitude (the worst-case inter-sample under-read, up to the sampling
    /// of the phases). The tests prove the flatness claims of the module doc with it.
    pub fn response_range_db(&self, freq_hz: f64) -> (f64, f64) {
        let omega = std::f64::consts::TAU * freq_hz / self.settings.sample_rate_hz;
        let taps = self.coefs.taps_per_phase;
        let (mut lo, mut hi) = (0.0f64, 0.0f64);
        for phase in self.coefs.phases.chunks_exact(taps) {
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for (k, &c) in phase.iter().enumerate() {
                let j = (taps - 1 - k) as f64;
                re += c as f64 * (omega * j).cos();
                im -= c as f64 * (omega * j).sin();
            }
            let db = 10.0 * (re * re + im * im).log10();
            lo = lo.min(db);
            hi = hi.max(db);
        }
        (lo, hi)
    }

    /// Largest `|y|` (linear) of the upsampled signal produced during this block, over all
    /// channels; 0 for an empty block. `channels` must hold at most `num_channels` slices of
    /// equal length (extra slices are ignored). Non-finite samples count as silence, so they
    /// never reach the interpolator history. Never allocates.
    pub fn process_block(&mut self, channels: &[&[f32]]) -> f32 {
        let taps = self.coefs.taps_per_phase;
        let delay = self.latency_samples();
        let mut peak = 0.0f32;
        for (input, hist) in channels.iter().zip(self.history.iter_mut()) {
            for chunk in input.chunks(CHUNK_FRAMES) {
                let len = chunk.len();
                let input = &mut hist[taps - 1..taps - 1 + len];
                let chunk_peak = if let Some(meter) = &self.meter {
                    for (h, &x) in input.iter_mut().zip(chunk) {
                        let audible = x.abs() >= DENORMAL_FLOOR && x.is_finite();
                        *h = if audible { x } else { 0.0 };
                    }
                    meter.block_peak(hist, len)
                } else {
                    for (h, &x) in input.iter_mut().zip(chunk) {
                        *h = if x.is_finite() { x } else { 0.0 };
                    }
                    oracle_chunk_peak(&self.coefs, hist, len, delay)
                };
                peak = larger(peak, chunk_peak);
                hist.copy_within(len..len + taps - 1, 0);
            }
        }
        peak
    }

    /// Runs the interpolator over one filter length of silence on the first `num_channels`
    /// channels, so the interpolated values around the last input frames are read too (after
    /// a signal's last block); returns their peak (linear). Allocates (offline use).
    pub fn flush(&mut self, num_channels: usize) -> f32 {
        let tail = vec![0.0f32; self.coefs.taps_per_phase];
        let tails: Vec<&[f32]> = (0..num_channels).map(|_| tail.as_slice()).collect();
        self.process_block(&tails)
    }
}

/// Largest `|y|` of the oracle grade over one chunk of `len` frames in `hist` (`taps - 1`
/// frames of history first), phase 0 (the input `delay` frames ago) included.
fn oracle_chunk_peak(
    coefs: &InterpolatorCoefficients,
    hist: &[f32],
    len: usize,
    delay: usize,
) -> f32 {
    let taps = coefs.taps_per_phase;
    let delayed = &hist[taps - 1 - delay..taps - 1 - delay + len];
    let mut peak = delayed.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    for phase in coefs.phases.chunks_exact(taps) {
        peak = peak.max(phase_peak(phase, &hist[..taps - 1 + len], len));
    }
    peak
}

/// Largest `|y|` of one phase over `len` outputs, where output `n` correlates `phase` with
/// `window[n..n + phase.len()]`.
#[inline]
fn phase_peak(phase: &[f32], window: &[f32], len: usize) -> f32 {
    let taps = phase.len();
    let mut max_abs = [0.0f32; ORACLE_LANES];
    let mut n = 0;
    while n + ORACLE_LANES <= len {
        let mut acc = [0.0f32; ORACLE_LANES];
        for (k, &c) in phase.iter().enumerate() {
            let x: &[f32; ORACLE_LANES] = window[n + k..n + k + ORACLE_LANES].try_into().unwrap();
            for i in 0..ORACLE_LANES {
                acc[i] += c * x[i];
            }
        }
        for i in 0..ORACLE_LANES {
            max_abs[i] = max_abs[i].max(acc[i].abs());
        }
        n += ORACLE_LANES;
    }
    let mut peak = max_abs.iter().fold(0.0f32, |m, &v| m.max(v));
    for m in n..len {
        let y: f32 = phase
            .iter()
            .zip(&window[m..m + taps])
            .map(|(c, x)| c * x)
            .sum();
        peak = peak.max(y.abs());
    }
    peak
}

/// True peak of a whole signal in dBTP (floored at [`crate::db::MIN_DB`]): runs a
/// [`TruePeakDetector`] over `channels` and flushes its latency with silence, so the last
/// samples' inter-sample peaks count too. Allocates (offline analysis only).
///
/// # Panics
/// If `oversampling` is not 1, 2, 4 or 16.
pub fn measure_true_peak_db(channels: &[&[f32]], sample_rate_hz: f64, oversampling: usize) -> f32 {
    let mut detector = TruePeakDetector::new(sample_rate_hz, channels.len(), oversampling);
    let peak = detector.process_block(channels);
    gain_to_db(peak.max(detector.flush(channels.len())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::white_noise;

    #[test]
    fn oracle_grade_is_flat_to_045_fs() {
        let det = TruePeakDetector::new(48_000.0, 1, ORACLE_OVERSAMPLING);
        for i in 0..=450 {
            let (lo, hi) = det.response_range_db(i as f64 * 48.0);
            assert!(lo > -0.001 && hi < 0.001, "{} Hz: {lo} {hi}", i * 48);
        }
    }

    #[test]
    fn meter_grade_response_is_libebur128s() {
        // libebur128's short Hann-windowed filter is not flat: its phases to 0.35·fs read
        // −0.033…+0.110 dB at 4× and −0.007…+0.014 dB at 2× (this is the `ebur128` crate's
        // filter bit for bit, so these are its figures too).
        let cases = [(4, -0.05, 0.15), (2, -0.01, 0.02)];
        for (factor, lo_db, hi_db) in cases {
            let max_hz = 0.35 * 48_000.0;
            let det = TruePeakDetector::new(48_000.0, 1, factor);
            let (mut lo, mut hi) = (0.0f64, 0.0f64);
            for i in 0..=(max_hz / 48.0) as usize {
                let (l, h) = det.response_range_db(i as f64 * 48.0);
                lo = lo.min(l);
                hi = hi.max(h);
            }
            println!("{factor}x to 0.35·fs: {lo:.4} … {hi:+.4} dB");
            assert!(lo > lo_db && hi < hi_db, "{factor}x: {lo} {hi}");
        }
    }

    /// The meter grade's interpolated phases straight from the unfolded filter, as
    /// libebur128 computes them: the largest `|y|` between `window[T/2 - 1]` and
    /// `window[T/2]`.
    fn direct_interpolated(factor: usize, window: &[f32]) -> f32 {
        let c = meter_filter(factor);
        let taps = METER_FILTER_TAPS / factor;
        (1..factor)
            .map(|p| {
                let y: f32 = (0..taps)
                    .map(|t| c[factor * t + p] * window[taps - 1 - t])
                    .sum();
                y.abs()
            })
            .fold(0.0, f32::max)
    }

    #[test]
    fn folded_meter_grade_is_the_direct_form() {
        let input = white_noise(3, 1.0, 24 + 8 + 300);
        for factor in [2, 4] {
            let meter = MeterInterpolator::new(factor);
            for start in 0..300 {
                let folded = meter.interpolated_lanes::<4>(&input[start..]).0[0];
                let exact = direct_interpolated(factor, &input[start..]);
                assert!(
                    (folded - exact).abs() <= 1e-5 * exact.max(1.0),
                    "{folded} {exact}"
                );
            }
        }
        assert_eq!(
            MeterInterpolator::new(1).interpolated_lanes::<4>(&input).0,
            [0.0; 4]
        );
    }

    #[test]
    fn avx_and_portable_meter_paths_agree_bit_for_bit() {
        let input = white_noise(5, 1.5, 1_000 + 24 + AVX512_LANES);
        for factor in [1, 2, 4] {
            let mut meter = MeterInterpolator::new(factor);
            for len in [1, 7, 8, 15, 16, 17, 255, 1_000] {
                let fastest = meter.block_peak(&input, len);
                meter.use_avx512 = false;
                let avx = meter.block_peak(&input, len);
                meter.use_avx = false;
                let portable = meter.block_peak(&input, len);
                meter.use_avx = avx_available();
                meter.use_avx512 = avx512_available();
                assert_eq!(
                    fastest.to_bits(),
                    portable.to_bits(),
                    "{factor}x, {len} frames"
                );
                assert_eq!(avx.to_bits(), portable.to_bits(), "{factor}x, {len} frames");
            }
            for start in 0..100 {
                let sixteen = meter.interpolated_lanes::<16>(&input[start..]).0;
                let eight = meter.interpolated_lanes::<8>(&input[start..]).0;
                let four = meter.interpolated_lanes::<4>(&input[start..]).0;
                assert_eq!(eight[..4], four, "{factor}x at {start}");
                assert_eq!(sixteen[..8], eight, "{factor}x at {start}");
            }
        }
    }

    #[test]
    fn readings_do_not_depend_on_the_block_size() {
        let left = white_noise(7, 1.0, 9_000);
        let right = white_noise(8, 0.8, 9_000);
        for factor in [1, 2, 4, ORACLE_OVERSAMPLING] {
            let read = |block: usize| {
                let mut det = TruePeakDetector::new(48_000.0, 2, factor);
                left.chunks(block)
                    .zip(right.chunks(block))
                    .fold(0.0f32, |m, (l, r)| m.max(det.process_block(&[l, r])))
            };
            let whole = read(9_000);
            for block in [1, 7, 64, 4_096] {
                assert_eq!(read(block).to_bits(), whole.to_bits(), "{factor}x, {block}");
            }
        }
    }

    #[test]
    fn phase_zero_is_the_delayed_input_and_dc_is_exact() {
        let mut det = TruePeakDetector::new(48_000.0, 1, 4);
        let mut x = vec![0.0f32; 100];
        x[10] = 0.7;
        assert!((det.process_block(&[&x]) - 0.7).abs() < 1e-7);
        let mut dc = TruePeakDetector::new(48_000.0, 2, 16);
        let ones = vec![0.5f32; 1000];
        dc.process_block(&[&ones, &ones]);
        assert!((dc.process_block(&[&ones, &ones]) - 0.5).abs() < 1e-6);
    }
}
