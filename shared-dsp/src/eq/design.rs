//! Matched second-order designs: digital biquads whose magnitude follows the analog prototype
//! all the way to Nyquist (no bilinear "cramping").
//!
//! Method: M. Vicanek, "Matched Second Order Digital Filters" (2016),
//! <https://vicanek.de/articles/BiquadFits.pdf>. The poles are the analog poles mapped by
//! impulse invariance (`z = e^{sT}`); the numerator is chosen so that the squared magnitude
//! equals the analog one at DC, at Nyquist and at one more frequency (the design frequency).
//! Squared magnitudes are written in Vicanek's basis
//! `|H|² = (B0·φ0 + B1·φ1 + B2·φ2) / (A0·φ0 + A1·φ1 + A2·φ2)` with `φ1 = sin²(ω/2)`,
//! `φ0 = 1 − φ1`, `φ2 = 4·φ0·φ1`, which is free of cancellation at low frequencies.

use super::section::Coefficients;
use std::f64::consts::PI;

/// Vicanek's basis functions `[φ0, φ1, φ2]` at normalized angular frequency `omega` (rad/sample).
#[inline]
pub fn phi(omega: f64) -> [f64; 3] {
    let s = (0.5 * omega).sin();
    let phi1 = s * s;
    let phi0 = 1.0 - phi1;
    [phi0, phi1, 4.0 * phi0 * phi1]
}

/// Impulse-invariant poles `[a1, a2]` of the analog pair `s² + s·ω0/Q + ω0²`
/// (`omega0` in rad/sample, `q` the pole quality factor).
pub fn matched_poles(omega0: f64, q: f64) -> [f64; 2] {
    let zeta = 0.5 / q;
    let decay = (-zeta * omega0).exp();
    let a1 = if zeta <= 1.0 {
        -2.0 * decay * ((1.0 - zeta * zeta).sqrt() * omega0).cos()
    } else {
        -2.0 * decay * ((zeta * zeta - 1.0).sqrt() * omega0).cosh()
    };
    [a1, decay * decay]
}

/// Vicanek's `[A0, A1, A2]` of a monic denominator `1 + a1·z⁻¹ + a2·z⁻²`.
#[inline]
pub fn denominator_basis(a1: f64, a2: f64) -> [f64; 3] {
    let dc = 1.0 + a1 + a2;
    let nyquist = 1.0 - a1 + a2;
    [dc * dc, nyquist * nyquist, -4.0 * a2]
}

/// Builds the biquad whose poles are `poles` and whose squared magnitude equals
/// `mag2_dc`, `mag2_nyquist` and `mag2_match` at DC, Nyquist and `omega_match` (rad/sample).
/// The numerator is the minimum-phase root pair (Vicanek 2016, section 2).
pub fn fit_numerator(
    poles: [f64; 2],
    mag2_dc: f64,
    mag2_nyquist: f64,
    omega_match: f64,
    mag2_match: f64,
) -> Coefficients {
    let [a1, a2] = poles;
    let big_a = denominator_basis(a1, a2);
    let p = phi(omega_match);
    let big_b0 = big_a[0] * mag2_dc;
    let big_b1 = big_a[1] * mag2_nyquist;
    let den2 = big_a[0] * p[0] + big_a[1] * p[1] + big_a[2] * p[2];
    let big_b2 = (mag2_match * den2 - big_b0 * p[0] - big_b1 * p[1]) / p[2];
    let sqrt_b0 = big_b0.sqrt();
    let sqrt_b1 = big_b1.sqrt();
    let w = 0.5 * (sqrt_b0 + sqrt_b1);
    // A negative discriminant means no real numerator meets all three points; the closest
    // realisable one keeps DC and Nyquist exact and lets the middle point give.
    let root = (w * w + big_b2).max(0.0).sqrt();
    let b0 = 0.5 * (w + root);
    let b1 = 0.5 * (sqrt_b0 - sqrt_b1);
    let b2 = if b0 == 0.0 { 0.0 } else { w - b0 };
    Coefficients { b0, b1, b2, a1, a2 }
}

/// Angular frequency in rad/sample of `freq_hz` at `sample_rate_hz`.
#[inline]
pub fn omega(freq_hz: f64, sample_rate_hz: f64) -> f64 {
    2.0 * PI * freq_hz / sample_rate_hz
}

/// Squared magnitude of the analog biquad `(n2·s² + n1·s + n0) / (d2·s² + d1·s + d0)`
/// at `s = j·x` (`x` = frequency over the design frequency).
#[inline]
pub fn analog_mag2(num: [f64; 3], den: [f64; 3], x: f64) -> f64 {
    let [n2, n1, n0] = num;
    let [d2, d1, d0] = den;
    let x2 = x * x;
    let nr = n0 - n2 * x2;
    let ni = n1 * x;
    let dr = d0 - d2 * x2;
    let di = d1 * x;
    (nr * nr + ni * ni) / (dr * dr + di * di)
}

/// Analog prototypes as `(numerator, denominator)` coefficient triples `[s², s, 1]`,
/// with `s` normalized to the design frequency (RBJ Audio EQ Cookbook analog forms,
/// <https://www.w3.org/TR/audio-eq-cookbook/>).
pub mod prototype {
    /// Bell: `|H| = gain` at the centre, 1 far away; `amp = sqrt(gain)`.
    pub fn bell(gain: f64, q: f64) -> ([f64; 3], [f64; 3]) {
        let amp = gain.sqrt();
        ([1.0, amp / q, 1.0], [1.0, 1.0 / (amp * q), 1.0])
    }

    /// Low shelf: `|H(0)| = gain`, `|H(∞)| = 1`, `|H(j)| = sqrt(gain)`.
    pub fn low_shelf(gain: f64, q: f64) -> ([f64; 3], [f64; 3]) {
        let amp = gain.sqrt();
        let k = amp.sqrt() / q;
        ([amp, amp * k, amp * amp], [amp, k, 1.0])
    }

    /// High shelf: `|H(0)| = 1`, `|H(∞)| = gain`, `|H(j)| = sqrt(gain)`.
    pub fn high_shelf(gain: f64, q: f64) -> ([f64; 3], [f64; 3]) {
        let amp = gain.sqrt();
        let k = amp.sqrt() / q;
        ([amp * amp, amp * k, amp], [1.0, k, amp])
    }

    /// Second-order high-pass `s² / (s² + s/Q + 1)`.
    pub fn highpass(q: f64) -> ([f64; 3], [f64; 3]) {
        ([1.0, 0.0, 0.0], [1.0, 1.0 / q, 1.0])
    }

    /// Second-order low-pass `1 / (s² + s/Q + 1)`.
    pub fn lowpass(q: f64) -> ([f64; 3], [f64; 3]) {
        ([0.0, 0.0, 1.0], [1.0, 1.0 / q, 1.0])
    }
}

/// Matched digital version of the analog prototype `(num, den)` designed at `freq_hz`:
/// poles by impulse invariance, magnitude exact at DC, Nyquist and `match_ratio · freq_hz`.
pub fn matched(
    num: [f64; 3],
    den: [f64; 3],
    freq_hz: f64,
    match_ratio: f64,
    sample_rate_hz: f64,
) -> Coefficients {
    let omega0 = omega(freq_hz, sample_rate_hz);
    // Denominator d2·s² + d1·s + d0 = d2·(s² + s·ωp/Qp + ωp²) with s normalized to ω0.
    let pole_ratio = (den[2] / den[0]).sqrt();
    let pole_q = den[0] * pole_ratio / den[1];
    let poles = matched_poles(omega0 * pole_ratio, pole_q);
    let nyquist_ratio = PI / omega0;
    fit_numerator(
        poles,
        analog_mag2(num, den, 0.0),
        analog_mag2(num, den, nyquist_ratio),
        omega0 * match_ratio,
        analog_mag2(num, den, match_ratio),
    )
}
