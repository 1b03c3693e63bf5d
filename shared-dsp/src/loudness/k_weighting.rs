//! The BS.1770 K-weighting filter (a high-shelf "pre-filter" followed by the RLB high-pass).
//!
//! Sources: ITU-R BS.1770-4 Annex 1 (48 kHz coefficients),
//! <https://www.itu.int/rec/R-REC-BS.1770-4-201510-I/en>; the analogue parameters below
//! (f0, G, Q of both stages) are libebur128's fit of those coefficients,
//! <https://github.com/jiixyj/libebur128/blob/master/ebur128/ebur128.c> (MIT).
//! BS.1770 gives only the 48 kHz coefficients and asks other rates for "the same frequency
//! response". Two designs serve that:
//!
//! - **44.1 kHz and above**: libebur128's, bit for bit (the `ebur128` crate is the house
//!   oracle): the bilinear transform of the analogue prototype with pre-warping, the high-pass
//!   numerator left at `1, −2, 1` as in BS.1770. Its response stays within 0.046 dB of the
//!   48 kHz one from 20 Hz to 3 kHz at every rate up to 384 kHz.
//! - **Below 44.1 kHz** (8–32 kHz material: speech, telephony, legacy): libebur128's design
//!   drifts off the 48 kHz curve, by 0.21 dB at 20 Hz and 0.42 dB at 2 kHz at 8 kHz (0.08 dB
//!   at 22.05 kHz), for two reasons. (1) The `1, −2, 1` numerator is not normalised: the
//!   high-pass pass-band gain is `a0 = 1 + K/Q + K²`, `K = tan(π·f0/fs)`, which is +0.043 dB at
//!   48 kHz (BS.1770's own coefficients, absorbed in its −0.691 dB offset) but +0.26 dB at
//!   8 kHz — a level offset at every frequency. (2) The bilinear transform cramps the 1.68 kHz
//!   shelf against a 4 kHz Nyquist. So there the high-pass keeps libebur128's poles with its
//!   numerator scaled to the 48 kHz pass-band gain, and the shelf is a matched biquad (Vicanek
//!   2016, [`crate::eq::design`]): impulse-invariant poles of the analogue prototype and a
//!   numerator that meets the 48 kHz shelf's magnitude at DC, at the design frequency and at
//!   the new Nyquist. That keeps every rate from 8 kHz up within 0.04 dB of the 48 kHz curve
//!   (20 Hz to 0.45·fs), which is what the rate-independence test asks; readings below
//!   44.1 kHz differ from libebur128's by the latter's drift.
//!
//! The stages run in f64 transposed direct form II: the high-pass poles sit within 0.001 of
//! z = 1 at high rates, where f32 state would add audible-in-the-numbers rounding noise.

use crate::eq::design;

/// Pre-filter (high shelf) centre frequency of the analogue prototype, Hz.
const SHELF_F0_HZ: f64 = 1681.974450955533;
/// Pre-filter shelf gain, dB.
const SHELF_GAIN_DB: f64 = 3.999843853973347;
/// Pre-filter Q.
const SHELF_Q: f64 = 0.7071752369554196;
/// Exponent giving the shelf's band gain `Vb = Vh^SHELF_VB_EXPONENT`.
const SHELF_VB_EXPONENT: f64 = 0.4996667741545416;
/// RLB high-pass corner frequency, Hz.
const HIGHPASS_F0_HZ: f64 = 38.13547087602444;
/// RLB high-pass Q.
const HIGHPASS_Q: f64 = 0.5003270373238773;
/// Rate of BS.1770's coefficients, Hz.
const REFERENCE_RATE_HZ: f64 = 48_000.0;
/// Lowest rate designed exactly as libebur128 does, Hz (see the module documentation).
const LIBEBUR128_MIN_RATE_HZ: f64 = 44_100.0;

/// `a0 = 1 + K/Q + K²` of the bilinear RLB high-pass at `sample_rate_hz`: the pass-band gain
/// of its un-normalised `1, −2, 1` numerator.
fn highpass_a0(sample_rate_hz: f64) -> f64 {
    let k = (std::f64::consts::PI * HIGHPASS_F0_HZ / sample_rate_hz).tan();
    1.0 + k / HIGHPASS_Q + k * k
}

/// One biquad's coefficients, normalised so `a0 = 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Biquad {
    /// Feed-forward coefficients `b0, b1, b2`.
    pub b: [f64; 3],
    /// Feedback coefficients `a1, a2`.
    pub a: [f64; 2],
}

impl Biquad {
    /// Complex gain `H(e^{jω})` magnitude squared at `freq_hz` for `sample_rate_hz`.
    fn power_gain(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        let w = std::f64::consts::TAU * freq_hz / sample_rate_hz;
        let (c1, s1, c2, s2) = (w.cos(), w.sin(), (2.0 * w).cos(), (2.0 * w).sin());
        let num_re = self.b[0] + self.b[1] * c1 + self.b[2] * c2;
        let num_im = -(self.b[1] * s1 + self.b[2] * s2);
        let den_re = 1.0 + self.a[0] * c1 + self.a[1] * c2;
        let den_im = -(self.a[0] * s1 + self.a[1] * s2);
        (num_re * num_re + num_im * num_im) / (den_re * den_re + den_im * den_im)
    }
}

/// K-weighting coefficients for one sample rate (computed by `new`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KWeighting {
    /// Stage 1: the high shelf (+4 dB above ~2 kHz, head diffraction).
    pub shelf: Biquad,
    /// Stage 2: the RLB high-pass (~38 Hz); its numerator is `1, -2, 1` as in BS.1770.
    pub highpass: Biquad,
}

impl KWeighting {
    /// Coefficients for `sample_rate_hz`: libebur128's design from
    /// 44.1 kHz up, the 48 kHz-matched design below (module documentation).
    pub fn new(sample_rate_hz: f64) -> Self {
        let sample_rate_hz = crate::rate::clamp_hz(sample_rate_hz);
        if sample_rate_hz >= LIBEBUR128_MIN_RATE_HZ {
            Self::bilinear(sample_rate_hz)
        } else {
            Self::matched_to_reference(sample_rate_hz)
        }
    }

    /// libebur128's design: both analogue stages by the pre-warped bilinear transform, the
    /// high-pass numerator `1, −2, 1` (equal to BS.1770's coefficients at 48 kHz).
    fn bilinear(sample_rate_hz: f64) -> Self {
        let k = (std::f64::consts::PI * SHELF_F0_HZ / sample_rate_hz).tan();
        let vh = 10f64.powf(SHELF_GAIN_DB / 20.0);
        let vb = vh.powf(SHELF_VB_EXPONENT);
        let a0 = 1.0 + k / SHELF_Q + k * k;
        let shelf = Biquad {
            b: [
                (vh + vb * k / SHELF_Q + k * k) / a0,
                2.0 * (k * k - vh) / a0,
                (vh - vb * k / SHELF_Q + k * k) / a0,
            ],
            a: [2.0 * (k * k - 1.0) / a0, (1.0 - k / SHELF_Q + k * k) / a0],
        };
        let k = (std::f64::consts::PI * HIGHPASS_F0_HZ / sample_rate_hz).tan();
        let a0 = highpass_a0(sample_rate_hz);
        let highpass = Biquad {
            b: [1.0, -2.0, 1.0],
            a: [
                2.0 * (k * k - 1.0) / a0,
                (1.0 - k / HIGHPASS_Q + k * k) / a0,
            ],
        };
        Self { shelf, highpass }
    }

    /// The design below [`LIBEBUR128_MIN_RATE_HZ`]: the 48 kHz response reproduced at a low
    /// rate (module documentation).
    fn matched_to_reference(sample_rate_hz: f64) -> Self {
        let reference = Self::bilinear(REFERENCE_RATE_HZ);
        let reference_shelf = |freq_hz: f64| reference.shelf.power_gain(freq_hz, REFERENCE_RATE_HZ);
        let omega0 = design::omega(SHELF_F0_HZ, sample_rate_hz);
        let c = design::fit_numerator(
            design::matched_poles(omega0, SHELF_Q),
            reference_shelf(0.0),
            reference_shelf(0.5 * sample_rate_hz),
            omega0,
            reference_shelf(SHELF_F0_HZ),
        );
        let shelf = Biquad {
            b: [c.b0, c.b1, c.b2],
            a: [c.a1, c.a2],
        };
        let mut highpass = Self::bilinear(sample_rate_hz).highpass;
        let gain = highpass_a0(REFERENCE_RATE_HZ) / highpass_a0(sample_rate_hz);
        highpass.b = [gain, -2.0 * gain, gain];
        Self { shelf, highpass }
    }

    /// Power gain of the whole K-weighting at `freq_hz` in dB (the curve the meter applies;
    /// about +0.69 dB at 1 kHz, which BS.1770's −0.691 offset cancels).
    pub fn response_db(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        10.0 * (self.shelf.power_gain(freq_hz, sample_rate_hz)
            * self.highpass.power_gain(freq_hz, sample_rate_hz))
        .log10()
    }
}

/// Filter state of one channel: `[shelf s1, shelf s2, high-pass s1, high-pass s2]`
/// (transposed direct form II delays); set by `run_k_weighting`, cleared by `reset`.
pub type KWeightingState = [f64; 4];

/// Runs `N` channels of `frames` through the K-weighting (all channels in one loop so
/// their independent recursions overlap in the CPU) and returns each channel's sum of
/// squared output. Non-finite input samples count as 0. Never allocates.
#[inline]
pub fn run_k_weighting<const N: usize>(
    kw: &KWeighting,
    states: &mut [KWeightingState; N],
    inputs: [&[f32]; N],
) -> [f64; N] {
    let (sb, sa, hb, ha) = (kw.shelf.b, kw.shelf.a, kw.highpass.b, kw.highpass.a);
    let mut st = *states;
    let mut energy = [0.0f64; N];
    let num_frames = inputs.iter().map(|c| c.len()).min().unwrap_or(0);
    for n in 0..num_frames {
        for c in 0..N {
            let raw = inputs[c][n];
            let x = if raw.is_finite() { raw as f64 } else { 0.0 };
            let s = &mut st[c];
            let y1 = sb[0] * x + s[0];
            s[0] = sb[1] * x - sa[0] * y1 + s[1];
            s[1] = sb[2] * x - sa[1] * y1;
            let y2 = hb[0] * y1 + s[2];
            s[2] = hb[1] * y1 - ha[0] * y2 + s[3];
            s[3] = hb[2] * y1 - ha[1] * y2;
            energy[c] += y2 * y2;
        }
    }
    *states = st;
    energy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_bs1770_48k_coefficients() {
        // ITU-R BS.1770-4 Annex 1, Tables 1 and 2.
        let kw = KWeighting::new(48_000.0);
        let expected_shelf = [
            1.53512485958697,
            -2.69169618940638,
            1.19839281085285,
            -1.69065929318241,
            0.73248077421585,
        ];
        let got_shelf = [
            kw.shelf.b[0],
            kw.shelf.b[1],
            kw.shelf.b[2],
            kw.shelf.a[0],
            kw.shelf.a[1],
        ];
        for (g, e) in got_shelf.iter().zip(expected_shelf) {
            assert!((g - e).abs() < 1e-9, "{g} vs {e}");
        }
        assert!((kw.highpass.a[0] - -1.99004745483398).abs() < 1e-9);
        assert!((kw.highpass.a[1] - 0.99007225036621).abs() < 1e-9);
    }

    #[test]
    fn response_is_rate_independent_in_the_audio_band() {
        let reference = KWeighting::new(48_000.0);
        let rates = [
            8_000.0, 11_025.0, 16_000.0, 22_050.0, 32_000.0, 44_100.0, 88_200.0, 96_000.0,
            192_000.0, 384_000.0,
        ];
        for rate in rates {
            let kw = KWeighting::new(rate);
            for f in [20.0, 100.0, 1000.0, 2000.0, 3000.0] {
                let d = kw.response_db(f, rate) - reference.response_db(f, 48_000.0);
                assert!(d.abs() < 0.05, "{rate} Hz rate, {f} Hz: {d} dB");
            }
        }
        assert!((reference.response_db(1000.0, 48_000.0) - 0.691).abs() < 0.01);
    }

    #[test]
    fn low_rates_follow_the_48k_curve_up_to_0_45_fs() {
        let reference = KWeighting::new(48_000.0);
        for rate in [8_000.0, 11_025.0, 16_000.0, 22_050.0, 32_000.0] {
            let kw = KWeighting::new(rate);
            let mut worst = 0.0f64;
            for i in 0..=400 {
                let f = 20.0 * (0.45 * rate / 20.0f64).powf(f64::from(i) / 400.0);
                let d = kw.response_db(f, rate) - reference.response_db(f, 48_000.0);
                worst = worst.max(d.abs());
            }
            println!("{rate} Hz: max |K(f) − K48(f)| = {worst:.4} dB, 20 Hz–0.45·fs");
            assert!(worst < 0.04, "{rate} Hz: {worst} dB");
        }
    }

    #[test]
    fn libebur128_design_from_44_1_khz_up() {
        // The `ebur128` crate's coefficients at 44.1 kHz (its filter.rs, the same formulas):
        // the high-pass numerator stays 1, −2, 1 — bit-compatible with the oracle.
        let kw = KWeighting::new(44_100.0);
        assert_eq!(kw.highpass.b, [1.0, -2.0, 1.0]);
        assert!(KWeighting::new(32_000.0).highpass.b[0] < 1.0);
    }
}
