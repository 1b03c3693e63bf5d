//! Cheap `log2`/`exp2` for the compressor's per-sample dB conversions.
//!
//! `std`'s `log10`/`powf` cost tens of instructions each and the compressor needs one of each
//! per sample. These polynomial versions cost about ten. Coefficients are least-squares fits on
//! Chebyshev nodes (near-minimax), range reduction by the IEEE-754 exponent field
//! (<https://en.wikipedia.org/wiki/Single-precision_floating-point_format>):
//! - [`log2_approx`]: `log2(1 + t) ≈ t·q(t)`, `q` of degree 5 on `t ∈ [0, 1)`; max error
//!   1.0e-5 including `f32` rounding (0.00006 dB after scaling by `20·log10(2)`), exact 0 at 1.0.
//! - [`exp2_approx`]: `2^f ≈ 1 + f·r(f)`, `r` of degree 4 on `f ∈ [0, 1)`; max relative error
//!   2.1e-7 (0.0000018 dB), exact 1.0 at 0.0.
//!
//! Both are monotonic over the fitted ranges and tested against `std` below.

/// `20·log10(2)`: decibels per octave of amplitude (dB per unit of `log2`).
pub const DB_PER_LOG2: f32 = 6.020_6;

/// Coefficients of `q(t)`, lowest order first.
const LOG2_Q: [f32; 6] = [
    1.442_683_3,
    -0.720_442_4,
    0.469_301_7,
    -0.303_389_66,
    0.146_433_6,
    -0.034_595_21,
];

/// Coefficients of `r(f)`, lowest order first.
const EXP2_R: [f32; 5] = [
    0.693_147_6,
    0.240_206_87,
    0.055_658_664,
    0.009_196_802,
    0.001_789_665,
];

/// Approximate `log2(x)` for positive, normal, finite `x` (callers floor the input first).
#[inline(always)]
pub fn log2_approx(x: f32) -> f32 {
    let bits = x.to_bits();
    let exponent = ((bits >> 23) & 0xff) as i32 - 127;
    let t = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000) - 1.0;
    let q = LOG2_Q[0]
        + t * (LOG2_Q[1] + t * (LOG2_Q[2] + t * (LOG2_Q[3] + t * (LOG2_Q[4] + t * LOG2_Q[5]))));
    exponent as f32 + t * q
}

/// Approximate `2^x` for `x` in `[-126, 126]` (clamped to that range; NaN reads as −126).
#[inline(always)]
pub fn exp2_approx(x: f32) -> f32 {
    // Plain comparisons (one `max`/`min` instruction each) instead of `f32::clamp`, whose NaN
    // rules cost a compare-and-blend per bound; the compressor never passes NaN.
    let x = if x > -126.0 { x } else { -126.0 };
    let x = if x < 126.0 { x } else { 126.0 };
    // Truncation of a positive number is floor; the offset keeps it positive.
    // SAFETY: `x + 128` lies in [2, 254] (NaN was replaced by the first comparison), finite
    // and representable as `i32`, so the unchecked conversion is defined (a single
    // `cvttss2si`, without the saturation checks of `as`).
    let floor = unsafe { (x + 128.0).to_int_unchecked::<i32>() } - 128;
    let f = x - floor as f32;
    let scale = f32::from_bits(((floor + 127) as u32) << 23);
    let r = EXP2_R[0] + f * (EXP2_R[1] + f * (EXP2_R[2] + f * (EXP2_R[3] + f * EXP2_R[4])));
    scale * (1.0 + f * r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2_within_stated_error() {
        let mut worst = 0.0f64;
        let mut x = 1e-10f32;
        while x < 4.0 {
            let err = (log2_approx(x) as f64 - (x as f64).log2()).abs();
            worst = worst.max(err);
            x *= 1.000_37;
        }
        assert!(worst < 1.2e-5, "worst log2 error {worst}");
        assert_eq!(log2_approx(1.0), 0.0);
        assert_eq!(log2_approx(0.5), -1.0);
    }

    #[test]
    fn exp2_within_stated_error() {
        let mut worst = 0.0f64;
        let mut x = -40.0f32;
        while x < 10.0 {
            let exact = 2f64.powf(x as f64);
            worst = worst.max((exp2_approx(x) as f64 / exact - 1.0).abs());
            x += 0.000_71;
        }
        assert!(worst < 4.0e-7, "worst exp2 relative error {worst}");
        assert_eq!(exp2_approx(0.0), 1.0);
        assert_eq!(exp2_approx(-3.0), 0.125);
        assert_eq!(exp2_approx(-1e9), exp2_approx(-126.0));
        assert_eq!(exp2_approx(1e9), exp2_approx(126.0));
        assert_eq!(exp2_approx(f32::NAN), exp2_approx(-126.0));
    }
}
