//! Matched second-order designs: digital biquads whose magnitude follows the analog prototype
//! all the way up the audio band (no bilinear "cramping").
//!
//! Method: M. Vicanek, "Matched Second Order Digital Filters" (2016),
//! <https://vicanek.de/articles/BiquadFits.pdf>. Squared magnitudes are written in Vicanek's
//! basis `|H|² = (B0·φ0 + B1·φ1 + B2·φ2) / (A0·φ0 + A1·φ1 + A2·φ2)` with `φ1 = sin²(ω/2)`,
//! `φ0 = 1 − φ1`, `φ2 = 4·φ0·φ1`, which is free of cancellation at low frequencies. In the
//! variable `u = φ1` both the numerator and the denominator are quadratics,
//! `c0 + c1·u + c2·u²` ↔ `C0 = c0`, `C1 = c0 + c1 + c2`, `C2 = −c2/4`.
//!
//! - Shelves, tilt and low-pass ([`matched`]): poles by impulse invariance (`z = e^{sT}`), the
//!   numerator chosen so that the squared magnitude equals the analog one at DC, at Nyquist
//!   and at the design frequency.
//! - High-pass ([`matched_highpass`]): impulse-invariant poles and the double zero at DC the
//!   prototype demands (so the stop band falls at the full 12 dB/octave per section), gain
//!   matched at the design frequency (Vicanek 2016, matched high-pass).
//! - Bell ([`bell`]): free poles and zeros, fitted to the analog magnitude (see there). With
//!   impulse-invariant poles a +3 dB, Q 1 bell at 10 kHz at 44.1 kHz misses its prototype by
//!   0.16–0.23 dB below 18 kHz whichever three numerator conditions are chosen; fitting the
//!   poles too brings that to 0.04 dB.

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

/// Matched second-order high-pass `s² / (s² + s/Q + 1)` at `freq_hz` (Vicanek 2016, its
/// high-pass): impulse-invariant poles, the double zero at DC of the prototype
/// (`b = b0·(1, −2, 1)`, so the stop band falls at 40·log10(2) ≈ 12.04 dB per octave like the
/// analog one), and `b0` such that the magnitude equals the analog `Q` at `freq_hz`.
/// (A three-point numerator fit that also matches Nyquist puts one of the two zeros
/// off z = 1 and the slope far below the corner degrades towards 6 dB/octave.)
pub fn matched_highpass(q: f64, freq_hz: f64, sample_rate_hz: f64) -> Coefficients {
    let omega0 = omega(freq_hz, sample_rate_hz);
    let [a1, a2] = matched_poles(omega0, q);
    let big_a = denominator_basis(a1, a2);
    let p = phi(omega0);
    let den2 = big_a[0] * p[0] + big_a[1] * p[1] + big_a[2] * p[2];
    // With b = b0·(1, −2, 1): B0 = 0, B1 = 16·b0², B2 = −4·b0², so B·φ = 16·b0²·φ1².
    let (num, den) = prototype::highpass(q);
    let b0 = (analog_mag2(num, den, 1.0) * den2).sqrt() / (4.0 * p[1]);
    Coefficients {
        b0,
        b1: -2.0 * b0,
        b2: b0,
        a1,
        a2,
    }
}

/// Where the bell's two free interpolation nodes sit: `BELL_LOW_NODE_RATIO · f0` (an octave
/// below the centre) and `f0 + BELL_HIGH_NODE_FRACTION · (fs/2 − f0)` (between the centre and
/// Nyquist, where cramping acts).
pub const BELL_LOW_NODE_RATIO: f64 = 0.5;
/// See [`BELL_LOW_NODE_RATIO`].
pub const BELL_HIGH_NODE_FRACTION: f64 = 0.6;

/// Decramped peaking filter: the RBJ analog bell ([`prototype::bell`]) of linear centre gain
/// `gain` and quality factor `q` at `freq_hz`, with poles and zeros fitted to the analog
/// magnitude.
///
/// Conditions (all exact, all linear in Vicanek's basis): DC gain 1; centre gain `gain` with
/// zero slope at `ω0` (the peak stays at the design frequency); analog magnitude at two more
/// nodes, an octave below the centre and 60 % of the way from the centre to Nyquist. The first
/// three give the numerator in closed form from any denominator (as in Vicanek's 2016 matched
/// peaking EQ):
/// `B(u) = G²·A(u) + (1 − G²)·A(0)·(1 − u/u0)²` (`G` = `gain`, `u0 = sin²(ω0/2)`), and the analog
/// prototype obeys the same identity, `N(x²) − G²·D(x²) = (1 − G²)·(1 − x²)²`, so the node
/// conditions `B = T·A` reduce to the denominator alone:
/// `A(u_i)/A(0) = D(x_i²)·(1 − u_i/u0)² / (1 − x_i²)²` — two linear equations for the
/// denominator's `u` and `u²` coefficients, free of cancellation at any gain. The denominator
/// is then split into its minimum-phase factor (stable poles), and so is the numerator.
/// There is deliberately no node at Nyquist: as a function of `u` the analog magnitude has a
/// square-root singularity at `u = 1` (`x ∝ asin(√u)`), which a quadratic ratio cannot follow,
/// and pinning it there bends the fit below (the 0.23 dB error of a Nyquist-matched design).
///
/// If the fitted denominator is not positive on the whole unit circle (no setting of the
/// stability test's grid, 22.05–384 kHz, gets there, but it is checked), the impulse-invariant
/// poles are used instead, which is exactly Vicanek's matched peaking EQ.
pub fn bell(gain: f64, q: f64, freq_hz: f64, sample_rate_hz: f64) -> Coefficients {
    let nyquist_hz = 0.5 * sample_rate_hz;
    let omega0 = omega(freq_hz, sample_rate_hz);
    let u0 = phi(omega0)[1];
    // Analog denominator s² + s/(amp·Q) + 1 (prototype::bell), normalized to 1 at DC.
    let pole_q = gain.sqrt() * q;
    let node = |f_hz: f64| {
        let x2 = (f_hz / freq_hz).powi(2);
        let u = phi(omega(f_hz, sample_rate_hz))[1];
        let d = (1.0 - x2).powi(2) + x2 / (pole_q * pole_q);
        let t = 1.0 - u / u0;
        (u, d * t * t / ((1.0 - x2) * (1.0 - x2)) - 1.0)
    };
    let (ua, ra) = node(BELL_LOW_NODE_RATIO * freq_hz);
    let (ub, rb) = node(freq_hz + BELL_HIGH_NODE_FRACTION * (nyquist_hz - freq_hz));
    // A(u) = 1 + c1·u + c2·u² through both nodes.
    let det = ua * ub * (ub - ua);
    let c1 = (ra * ub * ub - rb * ua * ua) / det;
    let c2 = (rb * ua - ra * ub) / det;
    let fitted = [1.0, 1.0 + c1 + c2, -0.25 * c2];
    let big_a =
        if c1.is_finite() && c2.is_finite() && quadratic_min_on_unit_interval(1.0, c1, c2) > 0.0 {
            fitted
        } else {
            let [a1, a2] = matched_poles(omega0, pole_q);
            denominator_basis(a1, a2)
        };
    let g2 = gain * gain;
    let k = (1.0 - g2) * big_a[0];
    let inv_u0 = 1.0 / u0;
    let big_b = [
        big_a[0],
        g2 * big_a[1] + k * (1.0 - inv_u0) * (1.0 - inv_u0),
        g2 * big_a[2] - 0.25 * k * inv_u0 * inv_u0,
    ];
    let [d0, d1, d2] = min_phase_factor(big_a);
    let [n0, n1, n2] = min_phase_factor(big_b);
    Coefficients {
        b0: n0 / d0,
        b1: n1 / d0,
        b2: n2 / d0,
        a1: d1 / d0,
        a2: d2 / d0,
    }
}

/// Smallest value of `c0 + c1·u + c2·u²` over `0 ≤ u ≤ 1`.
fn quadratic_min_on_unit_interval(c0: f64, c1: f64, c2: f64) -> f64 {
    let mut min = c0.min(c0 + c1 + c2);
    if c2 > 0.0 {
        let u = -0.5 * c1 / c2;
        if (0.0..=1.0).contains(&u) {
            min = min.min(c0 + u * (c1 + c2 * u));
        }
    }
    min
}

/// The minimum-phase polynomial `c0 + c1·z⁻¹ + c2·z⁻²` (`c0 > 0`) whose squared magnitude
/// on the unit circle has Vicanek basis coefficients `big_c` (`C0 = (c0+c1+c2)²`,
/// `C1 = (c0−c1+c2)²`, `C2 = −4·c0·c2`). Rounding-level negative radicands are clamped.
fn min_phase_factor(big_c: [f64; 3]) -> [f64; 3] {
    let sqrt_c0 = big_c[0].max(0.0).sqrt();
    let sqrt_c1 = big_c[1].max(0.0).sqrt();
    let w = 0.5 * (sqrt_c0 + sqrt_c1);
    let c0 = 0.5 * (w + (w * w + big_c[2]).max(0.0).sqrt());
    [c0, 0.5 * (sqrt_c0 - sqrt_c1), w - c0]
}
