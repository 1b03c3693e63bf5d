//! Mono bass (the "elliptical EQ" of vinyl mastering): a Butterworth high-pass on the side
//! signal only, so that the low end a cutting lathe receives is mono (anti-phase bass cuts
//! vertical groove excursions that can throw the stylus out of the groove). The corner is the
//! −3 dB point, as for the EQ's other pass filters; the Master Bus offers 12, 24 and 48
//! dB/oct.
//!
//! ```text
//! S = (L − R)/2,   S' = HP(S),   e = S' − S,   L' = L + e,   R' = R − e
//! ```
//! The mid `M = (L + R)/2` is untouched in exact arithmetic; the high-pass is the EQ's own
//! high-pass band ([`Band`], [`BandKind::HighPass`], Butterworth of any of its slopes, matched
//! design), with its smoothing (frequency: lane (b)), its enable crossfade and its
//! `response()`. Minimum phase, zero latency, also in the EQ's linear-phase mode (where it
//! runs after the FIR).
//!
//! # Output rounding (legend)
//! `L'` and `R'` are `f32`. Rounding each on its own would move the mid by up to half an ulp
//! of each channel. Instead the channel whose new value is larger in magnitude (`X`) is
//! rounded, and the other (`Y`) is written as `Y' = round(T − X')`, where `T = L + R` is exact
//! in `f64`: `L' + R'` then equals `T` whenever `T − X'` is representable in `f32`, which is
//! the case unless `Y'` lies in a higher binade than one of the inputs or `X'` (the
//! `mid_is_preserved` test: 96 % of the frames of wide pink noise with anti-phase bass keep
//! the mid bit for bit, the worst frame is off by −162.6 dBFS). Otherwise
//! `|L' + R' − T| ≤ ulp(Y')/2`, so the output mid deviates by at most `ulp(Y')/4 ≤ 2^−26`
//! for signals below full scale (−156.5 dBFS). Exact conservation for every input is
//! impossible in `f32`: with `L = 1`, `R = 2^−30` the sum needs the bit `2^−30`, which only
//! an `f32` below `2^−6` can carry, so any side change larger than that must round the mid.
//! Frames where the change `e` is exactly 0 (mono input, or the filter at rest) are left
//! untouched bit for bit; frames with a non-finite sample enter the filter as silence and are
//! passed through unchanged.

use std::ops::RangeInclusive;

use super::band::{Band, GRID_SAMPLES};
use super::settings::{BandKind, BandSettings, Slope};

/// Corner frequency range, Hz (vinyl practice: 40–300 Hz).
pub const FREQ_RANGE_HZ: RangeInclusive<f32> = 40.0..=300.0;
/// Default corner frequency, Hz.
pub const DEFAULT_FREQ_HZ: f32 = 100.0;

/// Mono bass settings (set by the Master Bus from its parameters, by the CLI from a session).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonoBassSettings {
    /// The side high-pass acts (off = bit-exact pass-through; switching crossfades over the
    /// EQ's smoothing time).
    pub enabled: bool,
    /// Corner (−3 dB) frequency in Hz, clamped to [`FREQ_RANGE_HZ`]; coefficient lane.
    pub freq_hz: f32,
    /// Butterworth order as a slope, 12 to 48 dB/oct (structural: a change resets the filter).
    /// One octave below the corner the side is 12.3, 24.1, 36.1 or 48.2 dB down; it is 40 dB
    /// down 3.3, 1.66, 1.1 or 0.83 octaves below the corner.
    pub slope: Slope,
}

impl Default for MonoBassSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            freq_hz: DEFAULT_FREQ_HZ,
            slope: Slope::Db24,
        }
    }
}

impl MonoBassSettings {
    /// The high-pass band these settings run.
    fn band(&self) -> BandSettings {
        let freq_hz = if self.freq_hz.is_finite() {
            self.freq_hz
                .clamp(*FREQ_RANGE_HZ.start(), *FREQ_RANGE_HZ.end())
        } else {
            DEFAULT_FREQ_HZ
        };
        BandSettings {
            kind: BandKind::HighPass,
            enabled: self.enabled,
            freq_hz,
            gain_db: 0.0,
            q: std::f32::consts::FRAC_1_SQRT_2,
            slope: self.slope,
        }
    }
}

/// The side high-pass (stereo only; mono blocks pass untouched).
#[derive(Debug, Clone)]
pub struct MonoBass {
    /// The high-pass band filtering the side (lane 0; lane 1 stays silent).
    band: Band,
    /// Position inside the current smoothing grid interval, `0..GRID_SAMPLES`.
    grid_pos: usize,
}

impl MonoBass {
    /// Mono bass at rest with `settings` at `sample_rate_hz`.
    pub fn new(settings: MonoBassSettings, sample_rate_hz: f64) -> Self {
        Self {
            band: Band::new(&settings.band(), sample_rate_hz),
            grid_pos: 0,
        }
    }

    /// Changes the sample rate (redesigns, clears the state).
    pub fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.band.set_sample_rate(sample_rate_hz);
        self.grid_pos = 0;
    }

    /// Sets new targets (frequency smoothed, enable crossfaded, slope structural).
    pub fn set_settings(&mut self, settings: MonoBassSettings) {
        self.band.set_settings(&settings.band());
    }

    /// Jumps to `settings` and clears the state (never allocates).
    pub fn jump_to(&mut self, settings: MonoBassSettings) {
        self.band.jump_to(&settings.band());
        self.grid_pos = 0;
    }

    /// Linear magnitude of the side path at `freq_hz` (1 when off; the mid path is always 1).
    pub fn response(&self, freq_hz: f64) -> f64 {
        self.band.response(freq_hz)
    }

    /// Filters the side of a stereo block in place (see the module legend); any other channel
    /// count passes untouched. Never allocates.
    pub fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        let [left, right] = channels else {
            return;
        };
        let num_frames = left.len().min(right.len());
        if self.band.is_settled() && self.band.is_transparent() {
            // Off and at rest: every tick would only flush zero state.
            self.grid_pos = (self.grid_pos + num_frames) % GRID_SAMPLES;
            return;
        }
        let mut start = 0;
        while start < num_frames {
            if self.grid_pos == 0 {
                self.band.tick_grid();
            }
            let len = (GRID_SAMPLES - self.grid_pos).min(num_frames - start);
            if !self.band.is_transparent() {
                let left = &mut left[start..start + len];
                let right = &mut right[start..start + len];
                let mut frames = [[0.0f64; 2]; GRID_SAMPLES];
                let frames = &mut frames[..len];
                for (f, (&l, &r)) in frames.iter_mut().zip(left.iter().zip(right.iter())) {
                    f[0] = side(l, r);
                }
                let mut dry = [0.0f64; GRID_SAMPLES];
                for (d, f) in dry.iter_mut().zip(frames.iter()) {
                    *d = f[0];
                }
                self.band.process(frames, self.grid_pos);
                for ((f, d), (l, r)) in frames.iter().zip(dry).zip(left.iter_mut().zip(right)) {
                    apply_side_change(l, r, f[0] - d);
                }
            }
            self.grid_pos = (self.grid_pos + len) % GRID_SAMPLES;
            start += len;
        }
    }
}

/// The side `(L − R)/2` in `f64` (exact for any two finite `f32`), 0 when a sample is not
/// finite.
#[inline(always)]
fn side(left: f32, right: f32) -> f64 {
    if left.is_finite() && right.is_finite() {
        0.5 * (f64::from(left) - f64::from(right))
    } else {
        0.0
    }
}

/// Adds `change` to the left sample and subtracts it from the right one, keeping their sum
/// (see the module legend). A zero change or a non-finite sample leaves both untouched.
#[inline(always)]
fn apply_side_change(left: &mut f32, right: &mut f32, change: f64) {
    if change == 0.0 || !(left.is_finite() && right.is_finite()) {
        return;
    }
    let (l, r) = (f64::from(*left), f64::from(*right));
    let sum = l + r;
    let (new_l, new_r) = (l + change, r - change);
    if new_l.abs() >= new_r.abs() {
        let rounded = new_l as f32;
        *left = rounded;
        *right = (sum - f64::from(rounded)) as f32;
    } else {
        let rounded = new_r as f32;
        *right = rounded;
        *left = (sum - f64::from(rounded)) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rounding keeps `L + R` exact while the outputs stay in their inputs' binades, moves
    /// the side as asked, and otherwise (the legend's counterexample) misses the sum by at
    /// most half an ulp of the smaller output.
    #[test]
    fn side_change_keeps_the_sum() {
        let (mut l, mut r) = (0.3f32, 0.2f32);
        let sum = f64::from(l) + f64::from(r);
        apply_side_change(&mut l, &mut r, -0.02);
        assert_eq!(f64::from(l) + f64::from(r), sum);
        assert!((f64::from(l) - 0.28).abs() < 1e-7 && (f64::from(r) - 0.22).abs() < 1e-7);
        let (mut l, mut r) = (1.0f32, 2f32.powi(-30));
        let sum = f64::from(l) + f64::from(r);
        apply_side_change(&mut l, &mut r, -0.25);
        let error = (f64::from(l) + f64::from(r) - sum).abs();
        assert!(
            error > 0.0 && error <= 0.5 * f64::from(f32::EPSILON) * f64::from(r.abs().min(l.abs()))
        );
        let (mut l, mut r) = (-0.0f32, -0.0f32);
        apply_side_change(&mut l, &mut r, 0.0);
        assert_eq!(
            (l.to_bits(), r.to_bits()),
            ((-0.0f32).to_bits(), (-0.0f32).to_bits())
        );
        let (mut l, mut r) = (f32::NAN, 0.5f32);
        apply_side_change(&mut l, &mut r, 0.1);
        assert!(l.is_nan() && r == 0.5);
    }
}
