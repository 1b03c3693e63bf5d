//! Fixed-width lane groups of the block correlations (limiter side chain, oversampling stages): plain arrays whose
//! lane-wise operations LLVM compiles to one vector instruction each (SSE/NEON for 4 lanes, AVX
//! for 8 when the calling function is compiled with AVX enabled).

/// Frames estimated together on the AVX path (one 8-lane register per operation), and the
/// width of the pre-broadcast coefficients.
pub const LANES: usize = 8;

/// One coefficient broadcast to [`LANES`] lanes (a table entry); 32-byte aligned so it feeds
/// a vector multiply straight from memory.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(32))]
pub(crate) struct Coefficient(pub(crate) [f32; LANES]);

impl Coefficient {
    /// The coefficient in `N ≤ LANES` lanes.
    #[inline(always)]
    pub(crate) fn lanes<const N: usize>(&self) -> Lanes<N> {
        Lanes::load(&self.0)
    }
}

/// One value per frame of a group of `N` consecutive frames. The lane-wise operations compile
/// to one vector instruction each (for `N` = 4: SSE/NEON; for `N` = 8: AVX).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lanes<const N: usize>(pub(crate) [f32; N]);

impl<const N: usize> Lanes<N> {
    /// The first `N` values of `samples`.
    #[inline(always)]
    pub(crate) fn load(samples: &[f32]) -> Self {
        Self(samples[..N].try_into().expect("N samples"))
    }

    /// `value` in every lane.
    #[inline(always)]
    pub(crate) fn splat(value: f32) -> Self {
        Self([value; N])
    }

    #[inline(always)]
    pub(crate) fn add(self, other: Self) -> Self {
        Self(std::array::from_fn(|l| self.0[l] + other.0[l]))
    }

    #[inline(always)]
    pub(crate) fn sub(self, other: Self) -> Self {
        Self(std::array::from_fn(|l| self.0[l] - other.0[l]))
    }

    #[inline(always)]
    pub(crate) fn mul(self, other: Self) -> Self {
        Self(std::array::from_fn(|l| self.0[l] * other.0[l]))
    }

    #[inline(always)]
    pub(crate) fn abs(self) -> Self {
        Self(self.0.map(f32::abs))
    }

    /// Lane-wise [`larger`].
    #[inline(always)]
    pub(crate) fn max(self, other: Self) -> Self {
        Self(std::array::from_fn(|l| larger(self.0[l], other.0[l])))
    }
}

/// The larger of `a` and `b` for values that are never NaN (one `maxps`, where `f32::max`
/// adds NaN handling).
#[inline(always)]
pub(crate) fn larger(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

/// Whether the CPU supports AVX (always false off x86-64); checked once by the processors'
/// constructors, which then call their `#[target_feature(enable = "avx")]` copies.
pub(crate) fn avx_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
