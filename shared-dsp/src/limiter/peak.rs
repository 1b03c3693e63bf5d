//! Inter-sample peak estimate of the limiter's side chain: the 16× polyphase interpolator of the
//! oracle meter in [`crate::true_peak`], evaluated on its grid, so the limiter reads exactly
//! what the meter that judges its output reads.
//!
//! # Design
//! The kernel is the oracle-grade filter of [`crate::true_peak`] (same formula, same
//! constants): a Kaiser-windowed sinc cut off at the input Nyquist frequency, [`TAPS`] taps per
//! phase, Kaiser β = [`KAISER_BETA`], every phase normalised to unity gain at DC
//! (ITU-R BS.1770-4 Annex 2, <https://www.itu.int/rec/R-REC-BS.1770-4-201510-I/en>; Kaiser
//! window: <https://en.wikipedia.org/wiki/Kaiser_window>). `true_peak.rs` does not export its
//! coefficients, so they are recomputed here; the `limiter_overs` test checks that both
//! designs have the same response at every phase. A shorter kernel reads lower than the meter
//! at some phase near Nyquist (the former 12-tap Lanczos kernel read 17 dB low at 0.49·fs),
//! and the limiter then lets the meter see an over there.
//!
//! Phase 0 is the sample itself (a sinc cut off at Nyquist is zero at the other integers).
//! Phases `p` and `16 - p` use the same taps in reverse order, so with the pair sums and
//! differences of the window `w` (oldest first, `TAPS` long)
//!
//! ```text
//! S[k] = w[k] + w[TAPS-1-k]      D[k] = w[k] - w[TAPS-1-k]          k = 0..TAPS/2
//! E[p] = Σ even[k][p] · S[k]     O[p] = Σ odd[k][p] · D[k]          p = 1..=8
//! y(p/16) = E[p] + O[p]          y((16-p)/16) = E[p] - O[p]         (O[8] = 0)
//! ```
//!
//! and `max(|y(p/16)|, |y((16-p)/16)|) = |E[p]| + |O[p]|`: the 15 interpolated phases cost
//! 15 half-length correlations (480 multiply-adds per frame) instead of 15 full ones. The
//! correlations run over 4 or 8 consecutive frames at a time (frames in the lanes, one
//! pre-broadcast, aligned coefficient per tap and phase), plain Rust that LLVM auto-vectorises
//! with every accumulator in a register, `UNROLL` tap pairs per loop iteration over a window
//! sliced to its exact length (no bounds checks or loop counters between the multiplies). On x86-64 CPUs with AVX the same function is compiled
//! a second time with AVX enabled and chosen at run time (identical operations in identical
//! order, so bit-identical results; half the instructions of SSE2).
//!
//! The interpolated phases of the BS.1770-4 meter ([`crate::true_peak`]'s meter grade, which is
//! libebur128's interpolator: what the `ebur128` crate, ffmpeg, the distributors' QC tools, the
//! plugins' meters and `stemwise measure` read) over the same interval join the 15 above: the
//! estimate is the larger of both readings. That meter's short filter reads up to a few tenths
//! of a dB above the band-limited 16× reading near Nyquist (its pass band is not flat and its
//! images are not suppressed), so a limiter holding only the 16× reading would let it see an
//! over. The meter's `T` taps (12 at 4× below 96 kHz, 24 at 2× below 192 kHz, none above) are
//! centred on the same interval: they are `w[32 - T/2..32 + T/2]`.
//!
//! The estimate of one frame is the largest `|y|` between `TAPS/2` and `TAPS/2 - 1` frames
//! ago (16 points, phase 0 included). The interpolated phases are scaled up by
//! [`INTERPOLATION_MARGIN_DB`]; phase 0 (the sample) is not, and needs no margin: the meter
//! reads the output sample itself there.
//!
//! A segment of frames whose window holds no sample above `ceiling / bound_gain` cannot read
//! above the ceiling at any phase (`bound_gain` is the largest sum of absolute taps over the
//! phases, margin included); it skips the correlations and reports "no reduction", which is
//! what the correlations would have reported. Quiet material costs almost nothing.

use crate::kaiser::bessel_i0;
use crate::lanes::{avx_available, larger, Coefficient, Lanes, LANES};
use crate::true_peak::{bs1770_oversampling, MeterInterpolator};

/// Oversampling factor of the estimate (the grid of the 16× oracle meter).
pub const OVERSAMPLING: usize = 16;
/// Taps per phase of the interpolation kernel (input samples one estimate looks at); the
/// oracle meter's `ORACLE_TAPS_PER_PHASE`.
pub const TAPS: usize = 64;
/// Kaiser β of the kernel; the oracle meter's `ORACLE_KAISER_BETA`.
pub const KAISER_BETA: f64 = 9.0;
/// Headroom added to every interpolated phase (not to phase 0), in dB. The estimate reads the
/// input exactly as the meter does; what it cannot see is the gain changing inside a peak's
/// 64-sample support (a louder peak within it pulls the later part of the support down further,
/// and the meter's interpolation of that gain step can read up to a few thousandths of a dB
/// above the limited peak). Without margin the `limiter_overs` stress set reads at most
/// +0.008 dB over at 0.5 ms lookahead (+0.001 dB at 1 ms, +0.000 from 2 ms); 0.02 dB covers
/// that 2.5 times over. The cost: interpolated peaks are held 0.02 dB below the ceiling, and
/// input whose true peak is within 0.02 dB below the ceiling is already limited by that much.
pub const INTERPOLATION_MARGIN_DB: f64 = 0.02;
/// Frames estimated together on the portable path (one SSE/NEON register per operation, so
/// the 8 accumulators of a pass stay in the 16 SSE registers).
const PORTABLE_LANES: usize = 4;
/// Frames per early-out decision of the first kind (see the module doc).
const SEGMENT_FRAMES: usize = 32;
/// Tap pairs nearest to the interval that the bound (second early-out) correlates exactly;
/// the other [`TAIL_PAIRS`] are bounded by their absolute sum.
const CENTRAL_PAIRS: usize = 4;
/// Tap pairs `k = 0..TAIL_PAIRS` (the farthest from the interval) that the bound takes as
/// absolute values; a multiple of [`UNROLL`].
const TAIL_PAIRS: usize = PAIRS - CENTRAL_PAIRS;
/// Slack added to the bound, as a fraction of the segment's largest `|x|`: covers the f32
/// rounding of the bound and of the estimate (below `1e-4 · max |x|`, see the module doc).
const BOUND_SLACK: f32 = 1.0 / 1024.0;
/// Longest back-off of the bound after failures in a row, as a power of 2 of lane groups
/// (see [`BoundSchedule`]).
const MAX_BOUND_BACKOFF: u32 = 8;
/// Tap pairs `(k, TAPS-1-k)` of the folded correlations.
const PAIRS: usize = TAPS / 2;
/// Tap pairs per iteration of the correlation loops (divides [`PAIRS`]): fewer loop-counter
/// and pointer instructions per multiply, the order of the sums unchanged.
const UNROLL: usize = 4;
/// Phase pairs `(p, 16-p)`, `p = 1..=8` (pair 8 is the half-sample phase alone).
const PHASE_PAIRS: usize = OVERSAMPLING / 2;
/// Phase pairs with an odd part (`p = 1..=7`; the half-sample phase is symmetric).
const ODD_PHASES: usize = PHASE_PAIRS - 1;
/// Input magnitudes below this are read as 0 by the estimate, so denormal input never reaches
/// the multipliers (the audio path itself is untouched).
const DENORMAL_FLOOR: f32 = 1e-30;

/// Taps of phase `p` (output `p/16` of a frame after the sample `TAPS/2` frames ago), in f64,
/// normalised to unity gain at DC; index `k` multiplies the sample `TAPS - 1 - k` frames ago.
fn design_phase(p: usize) -> [f64; TAPS] {
    let half_span = TAPS as f64 / 2.0;
    let delay = (TAPS / 2) as f64;
    let mut taps = [0.0f64; TAPS];
    for (k, c) in taps.iter_mut().enumerate() {
        let t = (TAPS - 1 - k) as f64 - delay + p as f64 / OVERSAMPLING as f64;
        let x = std::f64::consts::PI * t;
        let sinc = if t.abs() < 1e-12 { 1.0 } else { x.sin() / x };
        let r = (t / half_span).clamp(-1.0, 1.0);
        *c = sinc * bessel_i0(KAISER_BETA * (1.0 - r * r).sqrt()) / bessel_i0(KAISER_BETA);
    }
    let dc_gain: f64 = taps.iter().sum();
    taps.map(|c| c / dc_gain)
}

/// The folded, pre-broadcast kernel (fixed; designed once by `new`).
#[derive(Clone)]
pub struct PeakKernel {
    /// `even[k][p-1]`: even part of phase `p` at tap pair `k` (multiplies `S[k]`).
    even: Box<[[Coefficient; PHASE_PAIRS]; PAIRS]>,
    /// `odd[k][p-1]`: odd part of phase `p` (1..=7) at tap pair `k` (multiplies `D[k]`).
    odd: Box<[[Coefficient; ODD_PHASES]; PAIRS]>,
    /// `tail[k]`: `max_p (|even[k][p-1]| + |odd[k][p-1]|)` rounded up, for the tail pairs of
    /// the bound (multiplies `|w[k]| + |w[TAPS-1-k]|`).
    tail: Box<[Coefficient; TAIL_PAIRS]>,
    /// Linear gain of [`INTERPOLATION_MARGIN_DB`].
    margin_gain: f32,
    /// Upper bound of `estimate / max |window|` (largest absolute tap sum, margin included).
    bound_gain: f32,
    /// The CPU runs AVX: the correlations use 8-lane registers (checked once by `new`).
    use_avx: bool,
    /// The BS.1770-4 meter's interpolator at the current rate (set by `set_sample_rate`).
    meter: MeterInterpolator,
    /// Tests only: no early-out, every frame through the estimate (the reference).
    #[cfg(test)]
    pub(super) estimate_only: bool,
    /// Window index of the first of the meter's taps, `TAPS/2 - T/2` (set with `meter`).
    meter_offset: usize,
}

impl std::fmt::Debug for PeakKernel {
    /// The constants only (the table is fixed design data, not state).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeakKernel")
            .field("taps", &TAPS)
            .field("oversampling", &OVERSAMPLING)
            .field("margin_gain", &self.margin_gain)
            .field("bound_gain", &self.bound_gain)
            .field("use_avx", &self.use_avx)
            .field("meter", &self.meter)
            .finish()
    }
}

impl PeakKernel {
    /// Designs and folds the kernel, with the BS.1770-4 meter's interpolator of
    /// `sample_rate_hz`. Allocates (two small tables).
    pub fn new(sample_rate_hz: f32) -> Self {
        let mut even = Box::new([[Coefficient::default(); PHASE_PAIRS]; PAIRS]);
        let mut odd = Box::new([[Coefficient::default(); ODD_PHASES]; PAIRS]);
        for p in 1..=PHASE_PAIRS {
            let c = design_phase(p);
            for k in 0..PAIRS {
                let (near, far) = (c[k], c[TAPS - 1 - k]);
                even[k][p - 1] = Coefficient([(0.5 * (near + far)) as f32; LANES]);
                if p <= ODD_PHASES {
                    odd[k][p - 1] = Coefficient([(0.5 * (near - far)) as f32; LANES]);
                }
            }
        }
        let mut tail = Box::new([Coefficient::default(); TAIL_PAIRS]);
        for (t, (e, o)) in tail.iter_mut().zip(even.iter().zip(odd.iter())) {
            let largest = (0..PHASE_PAIRS)
                .map(|p| {
                    let odd_part = o.get(p).map_or(0.0, |c| f64::from(c.0[0]).abs());
                    f64::from(e[p].0[0]).abs() + odd_part
                })
                .fold(0.0, f64::max);
            // Rounded up: the bound must not fall below the exact sum of absolute taps.
            *t = Coefficient([(largest as f32).next_up(); LANES]);
        }
        let margin_gain = 10f64.powf(INTERPOLATION_MARGIN_DB / 20.0);
        let mut kernel = Self {
            even,
            odd,
            tail,
            margin_gain: margin_gain as f32,
            bound_gain: 1.0,
            use_avx: avx_available(),
            meter: MeterInterpolator::new(1),
            meter_offset: TAPS / 2,
            #[cfg(test)]
            estimate_only: false,
        };
        kernel.set_sample_rate(sample_rate_hz);
        kernel
    }

    /// Follows the meter interpolator's choice at `sample_rate_hz` and updates the early-out
    /// bound. Never allocates.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        self.meter = MeterInterpolator::new(bs1770_oversampling(f64::from(sample_rate_hz)));
        self.meter_offset = TAPS / 2 - self.meter.taps_per_phase() / 2;
        let largest_abs_sum = (1..OVERSAMPLING)
            .map(|p| self.phase_taps(p).iter().map(|c| c.abs()).sum::<f64>())
            .fold(self.meter.abs_sum_bound(), f64::max);
        // 0.1 % above the exact bound: covers the f32 rounding of the correlations.
        self.bound_gain = (largest_abs_sum * f64::from(self.margin_gain) * 1.001) as f32;
    }

    /// Oversampling factor of the BS.1770-4 meter interpolator the estimate also reads.
    pub fn meter_factor(&self) -> usize {
        self.meter.oversampling()
    }

    /// The f32 taps of phase `p` (1..16) as the folded tables apply them, unfolded; index `k`
    /// multiplies the sample `TAPS - 1 - k` frames ago. Without the margin.
    fn phase_taps(&self, p: usize) -> [f64; TAPS] {
        let (pair, sign) = if p <= PHASE_PAIRS {
            (p, 1.0)
        } else {
            (OVERSAMPLING - p, -1.0)
        };
        let mut taps = [0.0f64; TAPS];
        for k in 0..PAIRS {
            let e = f64::from(self.even[k][pair - 1].0[0]);
            let o = if pair <= ODD_PHASES {
                sign * f64::from(self.odd[k][pair - 1].0[0])
            } else {
                0.0
            };
            taps[k] = e + o;
            taps[TAPS - 1 - k] = e - o;
        }
        taps
    }

    /// Magnitude response of the interpolator at `freq_norm` cycles per sample: the smallest
    /// and largest gain in dB over phases 1..16 (phase 0 is exactly 0 dB), without the margin.
    /// Same definition as [`crate::true_peak::TruePeakDetector::response_range_db`], so the two
    /// can be compared directly.
    pub fn response_range_db(&self, freq_norm: f64) -> (f64, f64) {
        let omega = std::f64::consts::TAU * freq_norm;
        let (mut lo, mut hi) = (0.0f64, 0.0f64);
        for p in 1..OVERSAMPLING {
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for (k, c) in self.phase_taps(p).iter().enumerate() {
                let ago = (TAPS - 1 - k) as f64;
                re += c * (omega * ago).cos();
                im -= c * (omega * ago).sin();
            }
            let db = 10.0 * (re * re + im * im).log10();
            lo = lo.min(db);
            hi = hi.max(db);
        }
        (lo, hi)
    }

    /// Estimates of `N` consecutive frames: lane `l` reads the window `window[l..l + TAPS]`
    /// (oldest first) and returns its largest `|y|` over the 16 phases (interpolated ones with
    /// the margin). `window` holds at least `TAPS - 1 + N` samples.
    #[inline(always)]
    fn estimate_lanes<const N: usize>(&self, window: &[f32]) -> Lanes<N> {
        // Exactly the samples the lanes read, so the loads below need no bounds checks.
        let window = &window[..TAPS - 1 + N];
        let lanes = |start: usize| Lanes::<N>::load(&window[start..]);
        // Even parts: E[p] += even[k][p] · S[k], `UNROLL` tap pairs per loop iteration.
        let mut even_acc = [Lanes::<N>::splat(0.0); PHASE_PAIRS];
        let (even_rows, _) = self.even.as_chunks::<UNROLL>();
        for (i, rows) in even_rows.iter().enumerate() {
            for (j, row) in rows.iter().enumerate() {
                let k = i * UNROLL + j;
                let sum = lanes(k).add(lanes(TAPS - 1 - k));
                for (acc, c) in even_acc.iter_mut().zip(row) {
                    *acc = acc.add(c.lanes().mul(sum));
                }
            }
        }
        // Odd parts: O[p] += odd[k][p] · D[k].
        let mut odd_acc = [Lanes::<N>::splat(0.0); ODD_PHASES];
        let (odd_rows, _) = self.odd.as_chunks::<UNROLL>();
        for (i, rows) in odd_rows.iter().enumerate() {
            for (j, row) in rows.iter().enumerate() {
                let k = i * UNROLL + j;
                let diff = lanes(k).sub(lanes(TAPS - 1 - k));
                for (acc, c) in odd_acc.iter_mut().zip(row) {
                    *acc = acc.add(c.lanes().mul(diff));
                }
            }
        }
        // max over the pair (p, 16-p) is |E| + |O|; the half-sample phase is |E[8]|.
        let mut interpolated = even_acc[PHASE_PAIRS - 1].abs();
        for (e, o) in even_acc.iter().zip(&odd_acc) {
            interpolated = interpolated.max(e.abs().add(o.abs()));
        }
        interpolated = interpolated.max(
            self.meter
                .interpolated_lanes::<N>(&window[self.meter_offset..]),
        );
        let margin = Lanes::splat(self.margin_gain);
        interpolated.mul(margin).max(lanes(TAPS / 2 - 1).abs())
    }

    /// An upper bound of [`Self::estimate_lanes`] over the same windows (the second early-out
    /// of the module doc), for windows whose samples are at most `slack / BOUND_SLACK` in
    /// magnitude: the central tap pairs correlated exactly, the tails as absolute sums, plus
    /// `slack`; the meter's phases and phase 0 exactly.
    #[inline(always)]
    fn estimate_bound_lanes<const N: usize>(&self, window: &[f32], slack: f32) -> Lanes<N> {
        let window = &window[..TAPS - 1 + N];
        let lanes = |start: usize| Lanes::<N>::load(&window[start..]);
        // Tails: Σ T[k] · (|w[k]| + |w[TAPS-1-k]|), one accumulator (frames in the lanes:
        // partial sums over the taps made LLVM vectorise across the taps instead, with
        // shuffles to gather the mirrored ones).
        let mut tail = Lanes::<N>::splat(slack);
        for (k, c) in self.tail.iter().enumerate() {
            let abs_sum = lanes(k).abs().add(lanes(TAPS - 1 - k).abs());
            tail = tail.add(c.lanes().mul(abs_sum));
        }
        // Central pairs: the folded correlations of `estimate_lanes` over the last pairs.
        let mut even_acc = [Lanes::<N>::splat(0.0); PHASE_PAIRS];
        let mut odd_acc = [Lanes::<N>::splat(0.0); ODD_PHASES];
        let even_rows = self
            .even
            .last_chunk::<CENTRAL_PAIRS>()
            .expect("central pairs");
        let odd_rows = self
            .odd
            .last_chunk::<CENTRAL_PAIRS>()
            .expect("central pairs");
        for (j, (even_row, odd_row)) in even_rows.iter().zip(odd_rows).enumerate() {
            let k = TAIL_PAIRS + j;
            let (near, far) = (lanes(k), lanes(TAPS - 1 - k));
            let (sum, diff) = (near.add(far), near.sub(far));
            for (acc, c) in even_acc.iter_mut().zip(even_row) {
                *acc = acc.add(c.lanes().mul(sum));
            }
            for (acc, c) in odd_acc.iter_mut().zip(odd_row) {
                *acc = acc.add(c.lanes().mul(diff));
            }
        }
        let mut central = even_acc[PHASE_PAIRS - 1].abs();
        for (e, o) in even_acc.iter().zip(&odd_acc) {
            central = central.max(e.abs().add(o.abs()));
        }
        let interpolated = central.add(tail).max(
            self.meter
                .interpolated_lanes::<N>(&window[self.meter_offset..]),
        );
        let margin = Lanes::splat(self.margin_gain);
        interpolated.mul(margin).max(lanes(TAPS / 2 - 1).abs())
    }

    /// Writes the required gain of `required.len()` consecutive frames (see
    /// [`PeakHistory::push_block`]), `N` frames at a time; frame `i` reads the window
    /// `samples[i..i + TAPS]`, and `samples` holds `N - 1` readable frames beyond the last
    /// window (lanes past the end are computed and discarded). No window of the frames holds
    /// a sample above `peak` in magnitude. A lane group whose bound
    /// ([`Self::estimate_bound_lanes`]) is at or below the ceiling gets 1.0 without the
    /// estimate. The bound is tried when `schedule` says so (see [`BoundSchedule`]).
    /// `bound` is [`Self::estimate_bound_lanes`] compiled apart (see [`Self::bound_avx`]).
    #[inline(always)]
    fn segment_gains_lanes<const N: usize>(
        &self,
        samples: &[f32],
        peak: f32,
        ceiling_gain: f32,
        required: &mut [f32],
        schedule: &mut BoundSchedule,
        bound: impl Fn(&[f32], f32) -> Lanes<N>,
    ) {
        let slack = peak * BOUND_SLACK;
        for (i, chunk) in required.chunks_mut(N).enumerate() {
            let window = &samples[i * N..i * N + TAPS - 1 + N];
            if schedule.should_try() {
                let bounds = bound(window, slack);
                // All lanes, also those past the end (a stricter test, branch-free); `<=` is
                // false for NaN: such a group takes the estimate.
                if bounds
                    .0
                    .iter()
                    .fold(true, |all, &b| all & (b <= ceiling_gain))
                {
                    schedule.passed();
                    chunk.fill(1.0);
                    continue;
                }
                schedule.failed();
            }
            let estimates = self.estimate_lanes::<N>(window);
            for (r, &estimate) in chunk.iter_mut().zip(&estimates.0) {
                *r = if estimate > ceiling_gain {
                    ceiling_gain / estimate
                } else {
                    1.0
                };
            }
        }
    }

    /// [`Self::segment_gains_lanes`] compiled for AVX, 8 frames at a time (the same
    /// operations in the same order per frame, so the same results as the portable path, with
    /// 8-lane three-operand instructions: about half the instructions of SSE2).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn segment_gains_avx(
        &self,
        samples: &[f32],
        peak: f32,
        ceiling_gain: f32,
        required: &mut [f32],
        schedule: &mut BoundSchedule,
    ) {
        let bound = |window: &[f32], slack: f32| self.bound_avx(window, slack);
        self.segment_gains_lanes::<LANES>(samples, peak, ceiling_gain, required, schedule, bound);
    }

    /// [`Self::estimate_bound_lanes`] compiled for AVX as a function of its own: inlined into
    /// [`Self::segment_gains_avx`], it costs the estimate's loops registers (about 10 %
    /// more instructions where the bound is not even tried).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    #[inline(never)]
    fn bound_avx(&self, window: &[f32], slack: f32) -> Lanes<LANES> {
        self.estimate_bound_lanes::<LANES>(window, slack)
    }

    /// [`Self::estimate_bound_lanes`] on the portable path, a function of its own (see
    /// [`Self::bound_avx`]).
    #[inline(never)]
    fn bound_portable(&self, window: &[f32], slack: f32) -> Lanes<PORTABLE_LANES> {
        self.estimate_bound_lanes::<PORTABLE_LANES>(window, slack)
    }

    /// [`Self::segment_gains_lanes`] on the fastest code path the CPU supports. `samples`
    /// holds `LANES - 1` readable frames beyond the last window.
    fn segment_gains(
        &self,
        samples: &[f32],
        peak: f32,
        ceiling_gain: f32,
        required: &mut [f32],
        schedule: &mut BoundSchedule,
    ) {
        #[cfg(target_arch = "x86_64")]
        if self.use_avx {
            // SAFETY: `use_avx` is true only if the CPU reported AVX support in `new`.
            unsafe { self.segment_gains_avx(samples, peak, ceiling_gain, required, schedule) };
            return;
        }
        let bound = |window: &[f32], slack: f32| self.bound_portable(window, slack);
        let portable = Self::segment_gains_lanes::<PORTABLE_LANES>;
        portable(self, samples, peak, ceiling_gain, required, schedule, bound);
    }
}

/// One channel's estimator state: the input history plus room for one chunk.
#[derive(Debug, Clone)]
pub struct PeakHistory {
    /// `TAPS - 1` past inputs (oldest first), then the current chunk, then `LANES` frames of
    /// padding that the last lane group may read (their estimates are discarded). Inputs are
    /// stored with denormals flushed. Allocated by `new` for `max_block` frames.
    samples: Vec<f32>,
    /// When the lane groups try the bound before the estimate.
    schedule: BoundSchedule,
}

impl PeakHistory {
    /// Silent history for chunks of up to `max_block` frames.
    pub fn new(max_block: usize) -> Self {
        Self {
            samples: vec![0.0; TAPS - 1 + max_block.max(1) + LANES],
            schedule: BoundSchedule::default(),
        }
    }

    /// Clears the history. Never allocates.
    pub fn reset(&mut self) {
        self.samples.fill(0.0);
        self.schedule = BoundSchedule::default();
    }

    /// Appends `input` (at most `max_block` frames) and writes, per frame, the gain that
    /// brings its estimate down to `ceiling_gain`: exactly 1.0 when the estimate is at or
    /// below the ceiling, else `ceiling_gain / estimate`. The estimate of a frame covers the
    /// interpolated signal between `TAPS/2` and `TAPS/2 - 1` frames before it.
    ///
    /// # Panics
    /// If `input` is longer than `max_block` or `required_gains` is shorter than `input`.
    pub fn push_block(
        &mut self,
        kernel: &PeakKernel,
        input: &[f32],
        ceiling_gain: f32,
        required_gains: &mut [f32],
    ) {
        let len = input.len();
        let required_gains = &mut required_gains[..len];
        for (h, &x) in self.samples[TAPS - 1..TAPS - 1 + len].iter_mut().zip(input) {
            *h = if x.abs() < DENORMAL_FLOOR { 0.0 } else { x };
        }
        let quiet_level = ceiling_gain / kernel.bound_gain;
        let mut start = 0;
        while start < len {
            let end = (start + SEGMENT_FRAMES).min(len);
            let required = &mut required_gains[start..end];
            let peak = window_peak(&self.samples[start..end + TAPS - 1]);
            // An infinite peak fails both early-outs.
            #[cfg(test)]
            let peak = if kernel.estimate_only {
                f32::INFINITY
            } else {
                peak
            };
            if peak <= quiet_level {
                required.fill(1.0);
            } else {
                let samples = &self.samples[start..];
                let schedule = &mut self.schedule;
                kernel.segment_gains(samples, peak, ceiling_gain, required, schedule);
            }
            start = end;
        }
        self.samples.copy_within(len..len + TAPS - 1, 0);
    }
}

/// When the lane groups of one channel try the bound before the estimate (a speed choice;
/// the gains do not depend on it): after a failure of the bound, with `n` failures counted
/// (each pass takes one off the count), the next `2^n - 1` groups (at most
/// `2^MAX_BOUND_BACKOFF - 1`) go straight to the estimate, so material that is being limited
/// (where the bound fails) rarely pays for it.
#[derive(Debug, Clone, Copy, Default)]
struct BoundSchedule {
    /// Groups still to skip the bound.
    skip: u32,
    /// Failures of the bound counted (at most [`MAX_BOUND_BACKOFF`]).
    failures: u32,
}

impl BoundSchedule {
    /// Whether this group tries the bound (counts a skipped group).
    #[inline(always)]
    fn should_try(&mut self) -> bool {
        if self.skip == 0 {
            return true;
        }
        self.skip -= 1;
        false
    }

    /// The bound proved the group below the ceiling: one failure fewer counts.
    #[inline(always)]
    fn passed(&mut self) {
        self.failures = self.failures.saturating_sub(1);
    }

    /// The bound did not prove it.
    #[inline(always)]
    fn failed(&mut self) {
        self.failures = (self.failures + 1).min(MAX_BOUND_BACKOFF);
        self.skip = (1 << self.failures) - 1;
    }
}

/// Largest `|x|` of `samples` (never NaN), eight lanes at a time.
fn window_peak(samples: &[f32]) -> f32 {
    let mut peaks = [0.0f32; LANES];
    let mut chunks = samples.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (p, x) in peaks.iter_mut().zip(chunk) {
            *p = larger(*p, x.abs());
        }
    }
    let rest = chunks
        .remainder()
        .iter()
        .fold(0.0f32, |m, x| larger(m, x.abs()));
    peaks.iter().fold(rest, |m, &p| larger(m, p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::white_noise;

    /// Gains of `input` frame by frame through `push_block` in chunks of `chunk` frames.
    fn gains(kernel: &PeakKernel, input: &[f32], ceiling_gain: f32, chunk: usize) -> Vec<f32> {
        let mut history = PeakHistory::new(chunk);
        let mut out = vec![0.0; input.len()];
        for (x, r) in input.chunks(chunk).zip(out.chunks_mut(chunk)) {
            history.push_block(kernel, x, ceiling_gain, r);
        }
        out
    }

    #[test]
    fn folded_kernel_is_the_design() {
        let kernel = PeakKernel::new(48_000.0);
        for p in 1..OVERSAMPLING {
            let design = design_phase(p);
            for (a, b) in kernel.phase_taps(p).iter().zip(design) {
                assert!((a - b).abs() < 1e-7, "phase {p}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn avx_and_portable_paths_agree_bit_for_bit() {
        for rate_hz in [48_000.0, 96_000.0, 192_000.0] {
            let mut kernel = PeakKernel::new(rate_hz);
            let input = white_noise(1, 2.0, 4_000);
            let a = gains(&kernel, &input, 0.9, 512);
            kernel.use_avx = false;
            let b = gains(&kernel, &input, 0.9, 512);
            assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
            assert!(a.iter().any(|&g| g < 1.0));
        }
    }

    /// Gains of `input` with every frame through the correlations (no early-out).
    fn exact_gains(kernel: &PeakKernel, input: &[f32], ceiling_gain: f32) -> Vec<f32> {
        let mut padded = vec![0.0f32; TAPS - 1];
        padded.extend(
            input
                .iter()
                .map(|&x| if x.abs() < DENORMAL_FLOOR { 0.0 } else { x }),
        );
        padded.resize(padded.len() + PORTABLE_LANES, 0.0);
        let mut out = Vec::with_capacity(input.len());
        for start in (0..input.len()).step_by(PORTABLE_LANES) {
            let estimates = kernel.estimate_lanes::<PORTABLE_LANES>(&padded[start..]);
            for &e in estimates.0.iter().take(input.len() - start) {
                out.push(if e > ceiling_gain {
                    ceiling_gain / e
                } else {
                    1.0
                });
            }
        }
        out
    }

    /// A sum of sines at `freqs` (cycles per sample), scaled to peak at `level`.
    fn tones(freqs: &[f64], level: f32, len: usize) -> Vec<f32> {
        let raw: Vec<f64> = (0..len)
            .map(|n| {
                let t = n as f64;
                freqs
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (std::f64::consts::TAU * f * t + i as f64).sin())
                    .sum()
            })
            .collect();
        let peak = raw.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        raw.iter().map(|x| (x / peak) as f32 * level).collect()
    }

    #[test]
    fn early_outs_skip_exactly_what_reads_below_the_ceiling() {
        for rate_hz in [44_100.0, 96_000.0, 192_000.0] {
            let mut kernel = PeakKernel::new(rate_hz);
            // Stretches above the ceiling, just above and just below the quiet level, and
            // programme-like tones just below, at and just above the ceiling (the bound).
            let quiet = 0.9 / kernel.bound_gain;
            let levels = [1.0, 1.5 * quiet, 0.9 * quiet];
            let mut input = white_noise(2, 1.0, 6_300);
            for (i, x) in input.iter_mut().enumerate() {
                *x *= levels[(i / 700) % 3];
            }
            for (i, level) in [0.85, 0.89, 0.9, 0.91, 0.95].into_iter().enumerate() {
                let freqs = [0.01 + 0.003 * i as f64, 0.037, 0.13, 0.31, 0.47];
                input.extend(tones(&freqs, level, 1_500));
            }
            let exact = exact_gains(&kernel, &input, 0.9);
            assert!(exact.iter().any(|&g| g < 1.0) && exact.contains(&1.0));
            for use_avx in [true, false] {
                kernel.use_avx &= use_avx;
                for chunk in [1, 7, 300, 4_096] {
                    let skipping = gains(&kernel, &input, 0.9, chunk);
                    let same = skipping
                        .iter()
                        .zip(&exact)
                        .all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(
                        same,
                        "{rate_hz} Hz, chunks of {chunk}, AVX {}",
                        kernel.use_avx
                    );
                }
            }
        }
    }

    #[test]
    fn bound_is_never_below_the_estimate() {
        const N: usize = PORTABLE_LANES;
        let kernel = PeakKernel::new(48_000.0);
        let mut windows: Vec<Vec<f32>> = Vec::new();
        // Worst cases: every tap of one phase adds up (the bound is then nearly exact).
        for p in 1..OVERSAMPLING {
            for scale in [1e-3f32, 0.3, 1.0, 7.0] {
                let taps = kernel.phase_taps(p);
                let mut w: Vec<f32> = taps.iter().map(|&c| scale * c.signum() as f32).collect();
                w.extend(std::iter::repeat_n(scale, N - 1));
                windows.push(w);
            }
        }
        for seed in 0..200 {
            let level = [1e-6, 0.01, 0.5, 1.0, 3.0][seed as usize % 5];
            windows.push(white_noise(seed, level, TAPS - 1 + N));
            let f = 0.002 * seed as f64 + 0.001;
            windows.push(tones(&[f, 0.49 - f / 2.0], level, TAPS - 1 + N));
        }
        for w in &windows {
            let peak = w.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            let estimate = kernel.estimate_lanes::<N>(w);
            let bound = kernel.estimate_bound_lanes::<N>(w, peak * BOUND_SLACK);
            for (e, b) in estimate.0.iter().zip(&bound.0) {
                assert!(b >= e, "bound {b} below the estimate {e}");
            }
        }
    }

    #[test]
    fn bound_passes_programme_below_the_ceiling() {
        // Tones peaking 0.3 dB below the ceiling: most groups pass the bound.
        let kernel = PeakKernel::new(48_000.0);
        let input = tones(&[0.002, 0.011, 0.043, 0.12], 0.9 * 0.966, 4_000);
        let mut passed = 0;
        let groups = (input.len() - TAPS) / PORTABLE_LANES;
        for g in 0..groups {
            let w = &input[g * PORTABLE_LANES..];
            let peak = w[..TAPS - 1 + PORTABLE_LANES]
                .iter()
                .fold(0.0f32, |m, x| m.max(x.abs()));
            let bound = kernel.estimate_bound_lanes::<PORTABLE_LANES>(w, peak * BOUND_SLACK);
            passed += usize::from(bound.0.iter().all(|&b| b <= 0.9));
        }
        assert!(
            passed * 10 >= groups * 9,
            "{passed} of {groups} groups passed"
        );
    }
}
