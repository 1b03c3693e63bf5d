//! Decibel conversions used everywhere (one definition).

/// Converts a level in decibels to a linear amplitude gain: `10^(db/20)`.
/// `0.0` dB maps to exactly `1.0`, which keeps default settings bit-exact.
#[inline]
pub fn db_to_gain(db: f32) -> f32 {
    if db == 0.0 {
        1.0
    } else {
        10f32.powf(db / 20.0)
    }
}

/// Converts a linear amplitude gain to decibels: `20·log10(gain)`. Gains at or below
/// `MIN_GAIN` read as `MIN_DB` so meters never show `-inf` or NaN.
#[inline]
pub fn gain_to_db(gain: f32) -> f32 {
    if gain <= MIN_GAIN {
        MIN_DB
    } else {
        20.0 * gain.log10()
    }
}

/// `f64` version of [`db_to_gain`] for analysis code.
#[inline]
pub fn db_to_gain_f64(db: f64) -> f64 {
    if db == 0.0 {
        1.0
    } else {
        10f64.powf(db / 20.0)
    }
}

/// `f64` version of [`gain_to_db`] for analysis code.
#[inline]
pub fn gain_to_db_f64(gain: f64) -> f64 {
    if gain <= MIN_GAIN as f64 {
        MIN_DB as f64
    } else {
        20.0 * gain.log10()
    }
}

/// Floor of every level readout, in dB (-200 dBFS is far below 32-bit float noise).
pub const MIN_DB: f32 = -200.0;
/// Linear gain that corresponds to [`MIN_DB`].
pub const MIN_GAIN: f32 = 1e-10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_db_is_exactly_unity() {
        assert_eq!(db_to_gain(0.0), 1.0);
        assert_eq!(db_to_gain_f64(0.0), 1.0);
    }

    #[test]
    fn round_trips() {
        for db in [-60.0f32, -6.0, -0.5, 0.01, 3.0, 12.0] {
            assert!((gain_to_db(db_to_gain(db)) - db).abs() < 1e-4, "{db}");
        }
        assert!((db_to_gain(-6.0206) - 0.5).abs() < 1e-5);
        assert_eq!(gain_to_db(0.0), MIN_DB);
    }
}
