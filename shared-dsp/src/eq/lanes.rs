//! Small SIMD helpers of the hot loops: [`F64x2`], the two channels of a stereo frame as one
//! 128-bit vector (the EQ's fused section cascade), and the block test [`all_finite`].
//!
//! Left to itself, LLVM's SLP vectorizer packs the stereo lanes of a long cascade
//! inconsistently (some sections as `f64x2`, some scalar, some shuffled into 256-bit
//! registers), which costs a third more instructions. This type pins the layout: SSE2
//! intrinsics on x86-64 (the baseline, so always available; encoded with VEX when the caller
//! is compiled for AVX), plain arrays elsewhere. Every operation is the IEEE-754 operation of
//! each lane, so results are bit-identical to scalar `f64` code on every target (no fused
//! multiply-add is ever formed).

use std::ops::{Add, Mul, Sub};

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{
    __m128d, _mm_add_pd, _mm_and_pd, _mm_andnot_pd, _mm_cmpge_pd, _mm_cmplt_pd, _mm_cvtpd_ps,
    _mm_cvtps_pd, _mm_cvtsd_f64, _mm_cvtss_f32, _mm_mul_pd, _mm_set1_pd, _mm_set_pd, _mm_set_ps,
    _mm_shuffle_pd, _mm_shuffle_ps, _mm_sub_pd, _mm_unpackhi_pd,
};

/// Two `f64` lanes: `[left, right]` (mono leaves lane 1 at zero).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
pub struct F64x2(__m128d);

/// Two `f64` lanes: `[left, right]` (mono leaves lane 1 at zero).
#[cfg(not(target_arch = "x86_64"))]
#[derive(Clone, Copy, Debug)]
pub struct F64x2([f64; 2]);

#[cfg(target_arch = "x86_64")]
impl F64x2 {
    /// Both lanes `value`.
    #[inline(always)]
    pub fn splat(value: f64) -> Self {
        // SAFETY: SSE2 is part of the x86-64 baseline, so the intrinsic is always available.
        Self(unsafe { _mm_set1_pd(value) })
    }

    /// Lanes `[lanes[0], lanes[1]]`.
    #[inline(always)]
    pub fn from_array(lanes: [f64; 2]) -> Self {
        // SAFETY: SSE2 is part of the x86-64 baseline, so the intrinsic is always available.
        Self(unsafe { _mm_set_pd(lanes[1], lanes[0]) })
    }

    /// The lanes as an array.
    #[inline(always)]
    pub fn to_array(self) -> [f64; 2] {
        // SAFETY: SSE2 is part of the x86-64 baseline, so the intrinsic is always available.
        unsafe {
            [
                _mm_cvtsd_f64(self.0),
                _mm_cvtsd_f64(_mm_unpackhi_pd(self.0, self.0)),
            ]
        }
    }

    /// The lanes exchanged, `[lane 1, lane 0]` (`x * x.swapped()` holds the cross product
    /// `L·R` in both lanes).
    #[inline(always)]
    pub fn swapped(self) -> Self {
        // SAFETY: SSE2 is part of the x86-64 baseline, so the intrinsic is always available.
        Self(unsafe { _mm_shuffle_pd::<0b01>(self.0, self.0) })
    }

    /// Lanes with `|x| < threshold` or non-finite replaced by 0 (the rule of
    /// [`super::section::Section::flush`]; NaN fails both comparisons).
    #[inline(always)]
    pub fn flush_below(self, threshold: f64) -> Self {
        // SAFETY: SSE2 is part of the x86-64 baseline, so the intrinsic is always available.
        unsafe {
            let magnitude = _mm_andnot_pd(_mm_set1_pd(-0.0), self.0);
            let keep = _mm_and_pd(
                _mm_cmpge_pd(magnitude, _mm_set1_pd(threshold)),
                _mm_cmplt_pd(magnitude, _mm_set1_pd(f64::INFINITY)),
            );
            Self(_mm_and_pd(self.0, keep))
        }
    }

    /// Lanes `[left, right]` widened from `f32`.
    #[inline(always)]
    pub fn from_f32(left: f32, right: f32) -> Self {
        // SAFETY: SSE2 is part of the x86-64 baseline, so the intrinsics are always available.
        Self(unsafe { _mm_cvtps_pd(_mm_set_ps(0.0, 0.0, right, left)) })
    }

    /// The lanes rounded to `f32` (as `x as f32`: to nearest, ties to even).
    #[inline(always)]
    pub fn to_f32(self) -> [f32; 2] {
        // SAFETY: SSE2 is part of the x86-64 baseline, so the intrinsics are always available.
        unsafe {
            let narrow = _mm_cvtpd_ps(self.0);
            [
                _mm_cvtss_f32(narrow),
                _mm_cvtss_f32(_mm_shuffle_ps::<0b01>(narrow, narrow)),
            ]
        }
    }
}

#[cfg(target_arch = "x86_64")]
macro_rules! lane_op {
    ($trait:ident, $method:ident, $intrinsic:ident) => {
        impl $trait for F64x2 {
            type Output = Self;
            #[inline(always)]
            fn $method(self, rhs: Self) -> Self {
                // SAFETY: SSE2 is part of the x86-64 baseline, so the intrinsic is always
                // available.
                Self(unsafe { $intrinsic(self.0, rhs.0) })
            }
        }
    };
}
#[cfg(target_arch = "x86_64")]
lane_op!(Add, add, _mm_add_pd);
#[cfg(target_arch = "x86_64")]
lane_op!(Sub, sub, _mm_sub_pd);
#[cfg(target_arch = "x86_64")]
lane_op!(Mul, mul, _mm_mul_pd);

#[cfg(not(target_arch = "x86_64"))]
impl F64x2 {
    /// Both lanes `value`.
    #[inline(always)]
    pub fn splat(value: f64) -> Self {
        Self([value; 2])
    }

    /// Lanes `[lanes[0], lanes[1]]`.
    #[inline(always)]
    pub fn from_array(lanes: [f64; 2]) -> Self {
        Self(lanes)
    }

    /// The lanes as an array.
    #[inline(always)]
    pub fn to_array(self) -> [f64; 2] {
        self.0
    }

    /// The lanes exchanged, `[lane 1, lane 0]`.
    #[inline(always)]
    pub fn swapped(self) -> Self {
        Self([self.0[1], self.0[0]])
    }

    /// Lanes with `|x| < threshold` or non-finite replaced by 0 (the rule of
    /// [`super::section::Section::flush`]; NaN fails both comparisons).
    #[inline(always)]
    pub fn flush_below(self, threshold: f64) -> Self {
        Self(self.0.map(|x| {
            if x.abs() >= threshold && x.abs() < f64::INFINITY {
                x
            } else {
                0.0
            }
        }))
    }

    /// Lanes `[left, right]` widened from `f32`.
    #[inline(always)]
    pub fn from_f32(left: f32, right: f32) -> Self {
        Self([f64::from(left), f64::from(right)])
    }

    /// The lanes rounded to `f32` (as `x as f32`: to nearest, ties to even).
    #[inline(always)]
    pub fn to_f32(self) -> [f32; 2] {
        [self.0[0] as f32, self.0[1] as f32]
    }
}

#[cfg(not(target_arch = "x86_64"))]
macro_rules! lane_op {
    ($trait:ident, $method:ident, $op:tt) => {
        impl $trait for F64x2 {
            type Output = Self;
            #[inline(always)]
            fn $method(self, rhs: Self) -> Self {
                Self([self.0[0] $op rhs.0[0], self.0[1] $op rhs.0[1]])
            }
        }
    };
}
#[cfg(not(target_arch = "x86_64"))]
lane_op!(Add, add, +);
#[cfg(not(target_arch = "x86_64"))]
lane_op!(Sub, sub, -);
#[cfg(not(target_arch = "x86_64"))]
lane_op!(Mul, mul, *);

/// True when no sample of `samples` is NaN or infinite: the block test that lets the EQ and
/// the compressor skip the per-sample one. Branch-free (`x − x` is 0 for finite `x` and NaN
/// otherwise, and NaN sticks in the sums), so it vectorises: under one instruction per
/// sample.
#[inline(always)]
pub fn all_finite(samples: &[f32]) -> bool {
    const LANES: usize = 8;
    let mut sums = [0.0f32; LANES];
    let (chunks, rest) = samples.as_chunks::<LANES>();
    for chunk in chunks {
        for j in 0..LANES {
            // `x − x` is not 0 but NaN for a NaN or infinite `x`. (Indexed, not zipped: the
            // zipped loop vectorises into uneven 2 + 4 + 2 lanes.)
            #[allow(clippy::eq_op)]
            let probe = chunk[j] - chunk[j];
            sums[j] += probe;
        }
    }
    sums.iter().all(|&s| s == 0.0) && rest.iter().all(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_round_trip_and_flush() {
        let v = F64x2::from_array([1.5, -2.0]);
        assert_eq!(v.to_array(), [1.5, -2.0]);
        assert_eq!((v * v - v + F64x2::splat(1.0)).to_array(), [1.75, 7.0]);
        let tiny = F64x2::from_array([1e-31, -1e-29]).flush_below(1e-30);
        assert_eq!(tiny.to_array(), [0.0, -1e-29]);
        let bad = F64x2::from_array([f64::NAN, f64::NEG_INFINITY]).flush_below(1e-30);
        assert_eq!(bad.to_array(), [0.0, 0.0]);
        let wide = F64x2::from_f32(0.1, -3.5);
        assert_eq!(wide.to_array(), [f64::from(0.1f32), -3.5]);
        let x = F64x2::from_array([0.1, 1e300]);
        assert_eq!(x.to_f32(), [0.1f64 as f32, f32::INFINITY]);
    }

    #[test]
    fn all_finite_finds_every_kind_anywhere() {
        let clean: Vec<f32> = (0..37).map(|i| i as f32 - 18.5).collect();
        assert!(all_finite(&clean));
        assert!(all_finite(&[]));
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for at in [0, 7, 8, 31, 32, 36] {
                let mut x = clean.clone();
                x[at] = bad;
                assert!(!all_finite(&x), "{bad} at {at}");
            }
        }
    }
}
