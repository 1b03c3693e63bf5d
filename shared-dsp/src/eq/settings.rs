//! Plain `Copy` settings of the EQ and the mapping from one band's parameters to its sections.

use super::design::{self, prototype};
use super::mono_bass::MonoBassSettings;
use super::section::{clamp_freq_hz, Coefficients};
use crate::db::db_to_gain_f64;

/// Number of bands an [`EqSettings`] holds (the Master Bus uses 7, the Stem Strip 5).
pub const MAX_BANDS: usize = 8;
/// Most second-order sections one band runs (48 dB/oct = 4 sections).
pub const MAX_SECTIONS: usize = 4;
/// Fixed Q of the tilt band's shelf: critically damped, so the tilt is monotonic.
pub const TILT_Q: f64 = 0.5;

/// What a band does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BandKind {
    /// Peaking filter: `gain_db` at `freq_hz`, width from `q`.
    #[default]
    Bell,
    /// Low shelf: `gain_db` below `freq_hz` (half of it at `freq_hz`).
    LowShelf,
    /// High shelf: `gain_db` above `freq_hz` (half of it at `freq_hz`).
    HighShelf,
    /// Butterworth high-pass of `slope` (−3 dB at `freq_hz`); `gain_db` and `q` unused.
    HighPass,
    /// Butterworth low-pass of `slope` (−3 dB at `freq_hz`); `gain_db` and `q` unused.
    LowPass,
    /// Tilt around `freq_hz`: `−gain_db/2` at DC rising to `+gain_db/2` at high
    /// frequencies, 0 dB at `freq_hz`; `q` unused ([`TILT_Q`]).
    Tilt,
}

impl BandKind {
    /// True for the kinds whose enable switch is crossfaded (they are not transparent at 0 dB).
    pub fn is_pass(self) -> bool {
        matches!(self, Self::HighPass | Self::LowPass)
    }
}

/// High-/low-pass steepness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Slope {
    /// 12 dB/octave (2nd-order Butterworth, one section).
    #[default]
    Db12,
    /// 24 dB/octave (4th order, two sections).
    Db24,
    /// 36 dB/octave (6th order, three sections).
    Db36,
    /// 48 dB/octave (8th order, four sections).
    Db48,
}

impl Slope {
    /// Number of second-order sections.
    pub fn num_sections(self) -> usize {
        match self {
            Self::Db12 => 1,
            Self::Db24 => 2,
            Self::Db36 => 3,
            Self::Db48 => 4,
        }
    }

    /// Butterworth pole Q of section `k` of an order-`2n` filter:
    /// `Q_k = 1 / (2·cos((2k+1)·π / (4n)))`
    /// (<https://en.wikipedia.org/wiki/Butterworth_filter#Normalized_Butterworth_polynomials>).
    pub fn butterworth_q(self, k: usize) -> f64 {
        let order = 2 * self.num_sections();
        let theta = (2 * k + 1) as f64 * std::f64::consts::PI / (2 * order) as f64;
        0.5 / theta.cos()
    }
}

/// One band's parameters, as set by the plugin's parameters (or the CLI / tests).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandSettings {
    /// Filter type (structural: switching it resets the band's state).
    pub kind: BandKind,
    /// Whether the band acts. Bells, shelves and tilt fade their gain to 0 dB when
    /// disabled; high-/low-pass bands crossfade to the unfiltered signal.
    pub enabled: bool,
    /// Design frequency in Hz (20 Hz–20 kHz; clamped to `0.49·fs`), smoothed in log2 domain.
    pub freq_hz: f32,
    /// Gain in dB (±18) for bell, shelves and tilt, smoothed linearly in dB.
    pub gain_db: f32,
    /// Quality factor (0.3–4) for bell and shelves, smoothed in log2 domain.
    pub q: f32,
    /// High-/low-pass steepness (structural: switching it resets the band's state).
    pub slope: Slope,
}

impl Default for BandSettings {
    fn default() -> Self {
        Self {
            kind: BandKind::Bell,
            enabled: false,
            freq_hz: 1000.0,
            gain_db: 0.0,
            q: std::f32::consts::FRAC_1_SQRT_2,
            slope: Slope::Db12,
        }
    }
}

/// How the EQ realises the band curve (structural: changing it changes the latency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PhaseMode {
    /// Cascaded matched biquads, zero latency.
    #[default]
    Minimum,
    /// Symmetric FIR with the same magnitude; latency `LinearPhase::latency_samples`.
    Linear,
}

/// The whole EQ's settings (set by the plugin once per block).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EqSettings {
    /// The bands, applied in order.
    pub bands: [BandSettings; MAX_BANDS],
    /// Minimum or linear phase.
    pub phase: PhaseMode,
    /// Side-only high-pass after the bands (off by default; the Master Bus's mono bass).
    pub mono_bass: MonoBassSettings,
}

/// The continuous parameters a band is designed from, after smoothing. Built only by
/// [`DesignParams::new`] so the audio path and the linear-phase target round the same way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DesignParams {
    /// `log2` of the design frequency (log2 Hz).
    pub log2_freq: f32,
    /// Effective gain in dB (0 when a bell/shelf/tilt is disabled).
    pub gain_db: f32,
    /// `log2` of the quality factor.
    pub log2_q: f32,
}

impl DesignParams {
    /// Target parameters of `band` (gain forced to 0 dB when disabled).
    pub fn new(band: &BandSettings) -> Self {
        let finite_or = |x: f32, fallback: f32| if x.is_finite() { x } else { fallback };
        Self {
            log2_freq: finite_or(band.freq_hz, 1000.0).max(1.0).log2(),
            gain_db: if band.enabled && !band.kind.is_pass() {
                finite_or(band.gain_db, 0.0)
            } else {
                0.0
            },
            log2_q: finite_or(band.q, 0.707).clamp(0.05, 40.0).log2(),
        }
    }

    /// Design frequency in Hz, clamped below Nyquist.
    pub fn freq_hz(&self, sample_rate_hz: f64) -> f64 {
        clamp_freq_hz(f64::from(self.log2_freq).exp2(), sample_rate_hz)
    }

    /// Quality factor.
    pub fn q(&self) -> f64 {
        f64::from(self.log2_q).exp2()
    }
}

/// Section coefficients of one band; returns how many of `out` are used.
/// Bells, shelves and tilt at exactly 0 dB get `b = a` (an exact pass-through at rest).
pub fn design_band(
    kind: BandKind,
    slope: Slope,
    params: &DesignParams,
    sample_rate_hz: f64,
    out: &mut [Coefficients; MAX_SECTIONS],
) -> usize {
    let freq_hz = params.freq_hz(sample_rate_hz);
    match kind {
        BandKind::HighPass | BandKind::LowPass => {
            let n = slope.num_sections();
            for (k, c) in out.iter_mut().enumerate().take(n) {
                let q = slope.butterworth_q(k);
                *c = if kind == BandKind::HighPass {
                    Coefficients::butterworth_highpass(freq_hz, q, sample_rate_hz)
                } else {
                    Coefficients::butterworth_lowpass(freq_hz, q, sample_rate_hz)
                };
            }
            n
        }
        _ => {
            let mut c = if kind == BandKind::Bell {
                let gain = db_to_gain_f64(f64::from(params.gain_db));
                design::bell(gain, params.q(), freq_hz, sample_rate_hz)
            } else {
                let (num, den) = analog_prototype(kind, params);
                design::matched(num, den, freq_hz, 1.0, sample_rate_hz)
            };
            if params.gain_db == 0.0 {
                c.b0 = 1.0;
                c.b1 = c.a1;
                c.b2 = c.a2;
            }
            out[0] = c;
            1
        }
    }
}

/// Analog prototype `(numerator, denominator)` of a gain-type band (`s` normalized to the
/// design frequency). High-/low-pass bands are products of [`prototype::highpass`] /
/// [`prototype::lowpass`] sections with the Butterworth Qs.
fn analog_prototype(kind: BandKind, params: &DesignParams) -> ([f64; 3], [f64; 3]) {
    let gain = db_to_gain_f64(f64::from(params.gain_db));
    let q = params.q();
    match kind {
        BandKind::LowShelf => prototype::low_shelf(gain, q),
        BandKind::HighShelf => prototype::high_shelf(gain, q),
        BandKind::Tilt => {
            let (mut num, den) = prototype::high_shelf(gain, TILT_Q);
            let scale = 1.0 / gain.sqrt();
            num.iter_mut().for_each(|n| *n *= scale);
            (num, den)
        }
        _ => prototype::bell(gain, q),
    }
}

/// Linear magnitude of the analog prototype of a band at `freq_hz` (for the cramping test
/// and the GUI's "analog" overlay).
pub fn analog_response(
    kind: BandKind,
    slope: Slope,
    params: &DesignParams,
    freq_hz: f64,
    sample_rate_hz: f64,
) -> f64 {
    let x = freq_hz / params.freq_hz(sample_rate_hz);
    match kind {
        BandKind::HighPass | BandKind::LowPass => (0..slope.num_sections())
            .map(|k| {
                let q = slope.butterworth_q(k);
                let (num, den) = if kind == BandKind::HighPass {
                    prototype::highpass(q)
                } else {
                    prototype::lowpass(q)
                };
                design::analog_mag2(num, den, x).sqrt()
            })
            .product(),
        _ => {
            let (num, den) = analog_prototype(kind, params);
            design::analog_mag2(num, den, x).sqrt()
        }
    }
}
