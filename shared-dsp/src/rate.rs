//! The sample rates Stemwise's processors serve, and the one check hosts' rates go through.
//!
//! Every processor is built and tested at rates from [`MIN_RATE_HZ`] to [`MAX_RATE_HZ`]
//! (`tests/sample_rates.rs`): from telephone-band oddities such as 1234.5678 Hz (Steinberg's
//! validator asks for it) to 768 kHz interfaces and the validator's 1.23 MHz. Filter frequencies
//! a setting asks for above what a rate can carry are designed just below Nyquist instead
//! ([`crate::eq::section::clamp_freq_hz`]), so output stays finite. The plugins refuse any other rate in `activate` (the host is told the
//! rate is not supported); constructors given one clamp it into this range with [`clamp_hz`]
//! rather than panic.

use std::fmt;

/// Lowest sample rate the processors serve, Hz.
pub const MIN_RATE_HZ: f64 = 1_000.0;
/// Highest sample rate the processors serve, Hz.
pub const MAX_RATE_HZ: f64 = 2_000_000.0;

/// A sample rate outside [`MIN_RATE_HZ`]..=[`MAX_RATE_HZ`] (or not a number).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnsupportedRate {
    /// The rate asked for, Hz.
    pub sample_rate_hz: f64,
}

impl fmt::Display for UnsupportedRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sample rate {} Hz is not supported (Stemwise serves {MIN_RATE_HZ} Hz to {MAX_RATE_HZ} Hz)",
            self.sample_rate_hz
        )
    }
}

impl std::error::Error for UnsupportedRate {}

/// `Ok(sample_rate_hz)` when the processors serve it, else the error to report.
pub fn check(sample_rate_hz: f64) -> Result<f64, UnsupportedRate> {
    if (MIN_RATE_HZ..=MAX_RATE_HZ).contains(&sample_rate_hz) {
        Ok(sample_rate_hz)
    } else {
        Err(UnsupportedRate { sample_rate_hz })
    }
}

/// `sample_rate_hz` clamped into the served range (NaN becomes [`MIN_RATE_HZ`]): what a
/// constructor uses so that no host value can make it panic.
pub fn clamp_hz(sample_rate_hz: f64) -> f64 {
    if sample_rate_hz.is_nan() {
        MIN_RATE_HZ
    } else {
        sample_rate_hz.clamp(MIN_RATE_HZ, MAX_RATE_HZ)
    }
}

/// [`clamp_hz`] for the processors that keep their rate as `f32`.
pub fn clamp_hz_f32(sample_rate_hz: f32) -> f32 {
    clamp_hz(f64::from(sample_rate_hz)) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_and_clamping() {
        for ok in [1_000.0, 1_234.567_8, 44_100.0, 768_000.0, 1_234_567.8, 2e6] {
            assert_eq!(check(ok), Ok(ok));
            assert_eq!(clamp_hz(ok), ok);
        }
        for bad in [0.0, 1.0, 999.9, 2_000_001.0, f64::NAN, f64::INFINITY, -48e3] {
            assert!(check(bad).is_err(), "{bad}");
            assert!(
                (MIN_RATE_HZ..=MAX_RATE_HZ).contains(&clamp_hz(bad)),
                "{bad}"
            );
        }
        let message = check(1.0).unwrap_err().to_string();
        assert!(message.contains("1 Hz is not supported"), "{message}");
        assert_eq!(clamp_hz_f32(f32::NAN), MIN_RATE_HZ as f32);
    }
}
