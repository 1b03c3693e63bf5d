//! Per-sample linear parameter smoother (lane (a) in the conventions: gain, mix, polarity).
//!
//! Time-constant definition: a change of target reaches the new value **exactly** after
//! `ramp_ms` milliseconds (`round(ramp_ms · fs / 1000)` samples), moving linearly. Once the
//! ramp ends the value equals the target bit for bit, so settled smoothers never perturb audio.
//! The state advances one step per sample, so output does not depend on the block size.

/// A linear ramp toward a target value.
#[derive(Debug, Clone, Copy)]
pub struct LinearSmoother {
    /// Current output value (set by `next`, `reset`).
    current: f32,
    /// Value the ramp ends on (set by `set_target`).
    target: f32,
    /// Increment per sample while ramping.
    step: f32,
    /// Samples left in the current ramp; 0 when settled.
    steps_left: u32,
    /// Ramp length in samples, derived from `ramp_ms` and the sample rate.
    ramp_samples: u32,
    /// Ramp length in milliseconds (set by `new`).
    ramp_ms: f32,
}

impl LinearSmoother {
    /// A smoother that is settled at `initial`.
    pub fn new(ramp_ms: f32, sample_rate_hz: f32, initial: f32) -> Self {
        let sample_rate_hz = crate::rate::clamp_hz_f32(sample_rate_hz);
        let mut smoother = Self {
            current: initial,
            target: initial,
            step: 0.0,
            steps_left: 0,
            ramp_samples: 1,
            ramp_ms,
        };
        smoother.set_sample_rate(sample_rate_hz);
        smoother
    }

    /// Recomputes the ramp length for a new sample rate (does not move the value).
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        let sample_rate_hz = crate::rate::clamp_hz_f32(sample_rate_hz);
        self.ramp_samples = ((self.ramp_ms * sample_rate_hz / 1000.0).round() as u32).max(1);
    }

    /// Starts a ramp from the current value to `target` (no-op if it is already the target).
    #[inline]
    pub fn set_target(&mut self, target: f32) {
        if target == self.target || !target.is_finite() {
            return;
        }
        self.target = target;
        self.steps_left = self.ramp_samples;
        self.step = (target - self.current) / self.ramp_samples as f32;
    }

    /// Jumps to `value` with no ramp.
    pub fn reset(&mut self, value: f32) {
        self.current = value;
        self.target = value;
        self.steps_left = 0;
        self.step = 0.0;
    }

    /// Advances one sample and returns the value for it.
    #[inline]
    pub fn next_value(&mut self) -> f32 {
        if self.steps_left > 0 {
            self.steps_left -= 1;
            self.current = if self.steps_left == 0 {
                self.target
            } else {
                self.current + self.step
            };
        }
        self.current
    }

    /// True when the value equals the target and will not change until the next `set_target`.
    #[inline]
    pub fn is_settled(&self) -> bool {
        self.steps_left == 0
    }

    /// The value the smoother is moving to.
    #[inline]
    pub fn target(&self) -> f32 {
        self.target
    }

    /// The most recent output value.
    #[inline]
    pub fn current(&self) -> f32 {
        self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaches_target_exactly_after_ramp_ms() {
        let mut s = LinearSmoother::new(10.0, 48_000.0, 1.0);
        s.set_target(0.3);
        for i in 0..480 {
            let v = s.next_value();
            if i < 479 {
                assert!(v > 0.3 && v < 1.0, "sample {i}: {v}");
            } else {
                assert_eq!(v, 0.3);
            }
        }
        assert!(s.is_settled());
        assert_eq!(s.next_value(), 0.3);
    }

    #[test]
    fn settled_value_is_bit_exact() {
        let mut s = LinearSmoother::new(5.0, 44_100.0, 1.0);
        assert!(s.is_settled());
        for _ in 0..10 {
            assert_eq!(s.next_value(), 1.0);
        }
    }

    #[test]
    fn ignores_non_finite_targets() {
        let mut s = LinearSmoother::new(5.0, 44_100.0, 1.0);
        s.set_target(f32::NAN);
        s.set_target(f32::INFINITY);
        assert_eq!(s.next_value(), 1.0);
    }
}
