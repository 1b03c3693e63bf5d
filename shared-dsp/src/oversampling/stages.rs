//! Block half-band stages: one ×2 interpolator or decimator run over a whole block at a time.
//!
//! A stage's only correlation is the odd-tap phase `t[i] = h[2i − M]`, `i = 0..=M` (the other
//! phase of a half-band is a pure delay). It is symmetric (`t[i] = t[M − i]`), so it is folded:
//! `Σ t[i]·x[n−i] = Σ_{i < (M+1)/2} t[i]·(x[n−i] + x[n−M+i])`, half the multiplies; the zero
//! taps of the half-band never appear. The folded correlation runs over `N` consecutive
//! outputs at a time (outputs in the lanes, one pre-broadcast coefficient per tap pair, two
//! accumulators for the even and odd pairs), plain Rust that LLVM vectorises; on x86-64 CPUs
//! with AVX the same function is compiled a second time with AVX enabled and chosen at run
//! time. Every lane performs the same operations in the same order at any `N`, so the AVX and
//! portable paths give bit-identical results (tested).

use crate::lanes::{Coefficient, Lanes, LANES};

/// Frames per lane group on the portable path (one SSE/NEON register).
const PORTABLE_LANES: usize = 4;

/// The folded odd-tap phase of one half-band stage with `P = (M+1)/2` tap pairs (fixed; built
/// by `new`). `P` is a constant so the correlation unrolls completely.
#[derive(Debug, Clone)]
pub(super) struct FoldedPhase<const P: usize> {
    /// `scale · t[i]` for tap pairs `(i, M − i)`, `i = 0..P`, pre-broadcast.
    pairs: [Coefficient; P],
    /// Half-order `M = 2P − 1` of the half-band.
    half_order: usize,
}

impl<const P: usize> FoldedPhase<P> {
    /// Folds the odd taps `h[2i − M]` of `taps` (the full half-band, `2M + 1` long), each
    /// multiplied by `scale` (a power of two, so the scaling is exact). Allocates.
    ///
    /// # Panics
    /// If `taps` is not `4P − 1` long or `P` is odd.
    pub(super) fn new(taps: &[f64], scale: f64) -> Self {
        let half_order = 2 * P - 1;
        assert!(
            P.is_multiple_of(2),
            "tap pairs alternate between two accumulators"
        );
        assert_eq!(taps.len(), 2 * half_order + 1, "half-band length");
        let pairs = std::array::from_fn(|i| Coefficient([(scale * taps[2 * i]) as f32; LANES]));
        Self { pairs, half_order }
    }

    /// `out[n] = Σ_i pairs[i]·(input[n + M − i] + input[n + i])` for `n` in `0..len`, `N`
    /// outputs at a time; `input` holds `M + len + N` readable samples and `out` `len + N`
    /// (the last group's extra lanes are computed and ignored).
    #[inline(always)]
    fn correlate_lanes<const N: usize>(&self, input: &[f32], out: &mut [f32], len: usize) {
        let m = 2 * P - 1;
        let mut n = 0;
        while n < len {
            let window = &input[n..n + m + N];
            let lanes = |start: usize| {
                debug_assert!(start <= m);
                // SAFETY: `start ≤ m` (tap pair indices), so `start + N ≤ m + N = window.len()`:
                // the `N` floats read lie inside `window`; `[f32; N]` has no invalid values and
                // the read is unaligned.
                Lanes::<N>(unsafe {
                    window
                        .as_ptr()
                        .add(start)
                        .cast::<[f32; N]>()
                        .read_unaligned()
                })
            };
            let mut acc = [Lanes::<N>::splat(0.0); 2];
            for i in 0..P / 2 {
                for (j, a) in acc.iter_mut().enumerate() {
                    let k = 2 * i + j;
                    *a = a.add(self.pairs[k].lanes().mul(lanes(m - k).add(lanes(k))));
                }
            }
            out[n..n + N].copy_from_slice(&acc[0].add(acc[1]).0);
            n += N;
        }
    }

    /// [`Self::correlate_lanes`] compiled for AVX, 8 outputs at a time.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn correlate_avx(&self, input: &[f32], out: &mut [f32], len: usize) {
        self.correlate_lanes::<LANES>(input, out, len);
    }

    /// [`Self::correlate_lanes`] on the fastest path the CPU supports (`use_avx`: checked by
    /// the caller with [`crate::lanes::avx_available`]).
    #[inline]
    fn correlate(&self, use_avx: bool, input: &[f32], out: &mut [f32], len: usize) {
        #[cfg(target_arch = "x86_64")]
        if use_avx {
            // SAFETY: `use_avx` is true only if the CPU reported AVX support.
            unsafe { self.correlate_avx(input, out, len) };
            return;
        }
        let _ = use_avx;
        self.correlate_lanes::<PORTABLE_LANES>(input, out, len);
    }
}

/// One ×2 interpolator over whole blocks. Legend: `M` half-order; `x` the input.
#[derive(Debug, Clone)]
pub(super) struct UpStage {
    /// `M` past inputs (oldest first), then the current block, then `LANES` of padding.
    input: Vec<f32>,
    /// Interpolated phase of the current block (`max_len + LANES`).
    filtered: Vec<f32>,
}

impl UpStage {
    /// Room for blocks of up to `max_len` input samples. Allocates.
    pub(super) fn new<const P: usize>(phase: &FoldedPhase<P>, max_len: usize) -> Self {
        Self {
            input: vec![0.0; phase.half_order + max_len + LANES],
            filtered: vec![0.0; max_len + LANES],
        }
    }

    /// Clears the history. Never allocates.
    pub(super) fn reset(&mut self) {
        self.input.fill(0.0);
    }

    /// `input` in, `2·len` samples out: pairs `[2·Σ t[i]·x[n−i], x[n − (M−1)/2]]` (`phase`
    /// carries the factor 2).
    pub(super) fn process<const P: usize>(
        &mut self,
        phase: &FoldedPhase<P>,
        use_avx: bool,
        input: &[f32],
        output: &mut [f32],
    ) {
        let (m, len) = (phase.half_order, input.len());
        self.input[m..m + len].copy_from_slice(input);
        phase.correlate(use_avx, &self.input, &mut self.filtered, len);
        let delayed = &self.input[m - (m - 1) / 2..];
        for ((pair, &a), &b) in output
            .chunks_exact_mut(2)
            .zip(&self.filtered[..len])
            .zip(delayed)
        {
            pair[0] = a;
            pair[1] = b;
        }
        self.input.copy_within(len..len + m, 0);
    }
}

/// One ×2 decimator over whole blocks. Legend: `e`, `o` the even and odd input phases.
#[derive(Debug, Clone)]
pub(super) struct DownStage {
    /// `M` past even inputs (oldest first), then the current block's, then `LANES` padding.
    even: Vec<f32>,
    /// `(M+1)/2` past odd inputs, then the current block's.
    odd: Vec<f32>,
    /// Correlation of the current block (`max_len + LANES`).
    filtered: Vec<f32>,
    /// Last input of the previous block (the shifted pairing of [`Self::process_shifted`]).
    carry: f32,
}

impl DownStage {
    /// Room for blocks of up to `max_len` output samples. Allocates.
    pub(super) fn new<const P: usize>(phase: &FoldedPhase<P>, max_len: usize) -> Self {
        Self {
            even: vec![0.0; phase.half_order + max_len + LANES],
            odd: vec![0.0; phase.half_order.div_ceil(2) + max_len],
            filtered: vec![0.0; max_len + LANES],
            carry: 0.0,
        }
    }

    /// Clears the history. Never allocates.
    pub(super) fn reset(&mut self) {
        self.even.fill(0.0);
        self.odd.fill(0.0);
        self.carry = 0.0;
    }

    /// `2·len` samples in (pairs `[e, o]`), `len` out: `Σ t[i]·e[n−i] + ½·o[n − (M+1)/2]`.
    pub(super) fn process<const P: usize>(
        &mut self,
        phase: &FoldedPhase<P>,
        use_avx: bool,
        input: &[f32],
        output: &mut [f32],
    ) {
        let (m, d) = (phase.half_order, phase.half_order.div_ceil(2));
        let len = output.len();
        for ((pair, e), o) in input
            .chunks_exact(2)
            .zip(&mut self.even[m..m + len])
            .zip(&mut self.odd[d..d + len])
        {
            *e = pair[0];
            *o = pair[1];
        }
        self.finish(phase, use_avx, output);
    }

    /// As [`Self::process`], with the pairs taken one input later: `[previous last, first]`,
    /// `[second, third]`, … (one extra sample of delay at the input rate).
    pub(super) fn process_shifted<const P: usize>(
        &mut self,
        phase: &FoldedPhase<P>,
        use_avx: bool,
        input: &[f32],
        output: &mut [f32],
    ) {
        let (m, d) = (phase.half_order, phase.half_order.div_ceil(2));
        let len = output.len();
        let mut previous = self.carry;
        for ((pair, e), o) in input
            .chunks_exact(2)
            .zip(&mut self.even[m..m + len])
            .zip(&mut self.odd[d..d + len])
        {
            *e = previous;
            *o = pair[0];
            previous = pair[1];
        }
        self.carry = previous;
        self.finish(phase, use_avx, output);
    }

    /// Correlates the loaded even phase, adds the odd phase's centre tap, shifts the
    /// histories.
    fn finish<const P: usize>(
        &mut self,
        phase: &FoldedPhase<P>,
        use_avx: bool,
        output: &mut [f32],
    ) {
        let (m, d) = (phase.half_order, phase.half_order.div_ceil(2));
        let len = output.len();
        phase.correlate(use_avx, &self.even, &mut self.filtered, len);
        for ((y, &f), &o) in output.iter_mut().zip(&self.filtered).zip(&self.odd) {
            *y = f + 0.5 * o;
        }
        self.even.copy_within(len..len + m, 0);
        self.odd.copy_within(len..len + d, 0);
    }
}
