//! The compressor's two detector stages: the static gain computer and the ballistics.
//!
//! Both follow Giannoulis, Massberg, Reiss, "Digital Dynamic Range Compressor Design — A
//! Tutorial and Analysis", JAES 60(6), pp. 399–408, 2012,
//! <https://www.eecs.qmul.ac.uk/~josh/documents/2012/GiannoulisMassbergReiss-dynamicrangecompression-JAES2012.pdf>:
//! the gain computer is the soft-knee curve of eq. (4) evaluated in the dB domain, and the
//! ballistics are their smooth branching peak detector applied to the gain reduction in dB
//! (the log-domain detector placed after the gain computer, which the paper recommends).

/// Static curve of eq. (4), expressed as gain reduction: `level_db` in, dB of reduction out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GainComputer {
    /// Threshold `T` in dBFS (set from the settings by `new`).
    threshold_db: f32,
    /// Half the knee width `W/2` in dB (set by `new`; 0 is a hard knee).
    half_knee_db: f32,
    /// `1 / (2W)` in 1/dB, used inside the knee (set by `new`; unused for a hard knee).
    inv_two_knee_per_db: f32,
    /// Reduction slope `1 − 1/R` (unitless, 0 at ratio 1; set by `new`).
    slope: f32,
}

impl GainComputer {
    /// Curve with threshold `threshold_db` (dBFS), ratio `ratio` (≥ 1) and knee width
    /// `knee_db` (≥ 0, the full width `W` of the paper).
    pub fn new(threshold_db: f32, ratio: f32, knee_db: f32) -> Self {
        Self {
            threshold_db,
            half_knee_db: 0.5 * knee_db,
            inv_two_knee_per_db: if knee_db > 0.0 { 0.5 / knee_db } else { 0.0 },
            slope: 1.0 - 1.0 / ratio,
        }
    }

    /// Gain reduction in dB (≥ 0) for a detector level of `level_db` (dBFS):
    /// `0` below the knee, `(1 − 1/R)·(x − T + W/2)² / (2W)` inside it and `(1 − 1/R)·(x − T)`
    /// above it. The output level of eq. (4) is `level_db − reduction_db(level_db)`.
    /// At ratio 1 the slope is exactly 0, so the reduction is exactly 0 everywhere.
    #[inline(always)]
    pub fn reduction_db(&self, level_db: f32) -> f32 {
        let over_db = level_db - self.threshold_db;
        if over_db <= -self.half_knee_db {
            0.0
        } else if over_db >= self.half_knee_db {
            self.slope * over_db
        } else {
            let into_knee_db = over_db + self.half_knee_db;
            self.slope * into_knee_db * into_knee_db * self.inv_two_knee_per_db
        }
    }
}

/// Smoothing factor `β = 1 − e^{−1/(τ·fs)}` of a one-pole follower `y ← y + β·(x − y)`.
///
/// Time-constant definition used for attack, release and the RMS window: after a step of the
/// input, the follower covers `1 − 1/e` (63.2 %) of the step in exactly `time_ms` milliseconds,
/// i.e. after `n` samples it has covered `1 − (1 − β)^n`, which is `1 − 1/e` at
/// `n = time_ms · fs / 1000`. `time_ms = 0` gives `β = 1` (the follower jumps). Computed in
/// `f64` and applied in the `β` form, so long time constants at high rates stay exact
/// (`1 − β` in `f32` would round to a 1 % error in `τ` at 1 s and 192 kHz).
pub fn smoothing_factor(time_ms: f32, sample_rate_hz: f32) -> f64 {
    let time_samples = f64::from(time_ms) * 1e-3 * f64::from(sample_rate_hz);
    if time_samples <= 0.0 {
        1.0
    } else {
        1.0 - (-1.0 / time_samples).exp()
    }
}

/// Attack/release ballistics: Giannoulis et al.'s smooth branching peak detector, run on the gain reduction in dB: `β_A` while the target reduction is above the state
/// (attack), `β_R` otherwise (release). Times follow [`smoothing_factor`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ballistics {
    /// Attack smoothing factor `β_A` (unitless, from `attack_ms` by `new`).
    attack_beta: f64,
    /// Release smoothing factor `β_R` (unitless, from `release_ms` by `new`).
    release_beta: f64,
}

/// Reduction below which the ballistics state is flushed to exactly 0 dB (inaudible, and it
/// keeps long silent tails out of denormal range).
pub const FLUSH_REDUCTION_DB: f64 = 1e-6;

impl Ballistics {
    /// Ballistics with the given attack and release times (ms) at `sample_rate_hz`.
    pub fn new(attack_ms: f32, release_ms: f32, sample_rate_hz: f32) -> Self {
        Self {
            attack_beta: smoothing_factor(attack_ms, sample_rate_hz),
            release_beta: smoothing_factor(release_ms, sample_rate_hz),
        }
    }

    /// Advances the smoothed reduction `state_db` one sample toward `target_db` and returns it.
    #[inline(always)]
    pub fn step(&self, state_db: f64, target_db: f32) -> f64 {
        let target_db = f64::from(target_db);
        let beta = if target_db > state_db {
            self.attack_beta
        } else {
            self.release_beta
        };
        let next_db = state_db + beta * (target_db - state_db);
        if next_db < FLUSH_REDUCTION_DB {
            0.0
        } else {
            next_db
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_regions() {
        let gc = GainComputer::new(-20.0, 4.0, 10.0);
        assert_eq!(gc.reduction_db(-30.0), 0.0);
        assert!((gc.reduction_db(0.0) - 15.0).abs() < 1e-5);
        // Knee centre: (1 − 1/4)·(W/2)²/(2W) = 0.75·25/20.
        assert!((gc.reduction_db(-20.0) - 0.9375).abs() < 1e-6);
        assert_eq!(GainComputer::new(-20.0, 1.0, 6.0).reduction_db(0.0), 0.0);
    }

    #[test]
    fn one_time_constant_covers_63_percent() {
        let ballistics = Ballistics::new(2.0, 2.0, 48_000.0);
        let mut y = 0.0;
        for _ in 0..96 {
            y = ballistics.step(y, 10.0);
        }
        assert!((y - 10.0 * (1.0 - (-1.0f64).exp())).abs() < 1e-9, "{y}");
    }
}
