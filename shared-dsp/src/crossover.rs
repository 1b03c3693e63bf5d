//! Three-band Linkwitz–Riley crossover (24 dB/octave) whose bands sum to an allpass.
//!
//! Topology (Linkwitz–Riley, "Active Crossover Networks for Noncoincident Drivers", JAES 1976;
//! the compensated tree as in D'Appolito's and Bohn's papers, summary at
//! <https://www.rane.com/note160.html>):
//!
//! ```text
//!        ┌─ LP(f_L)² ─────────────── AP(f_H) ── low
//! x ─────┤
//!        └─ HP(f_L)² ─┬─ LP(f_H)² ───────────── mid
//!                     └─ HP(f_H)² ───────────── high
//! ```
//!
//! `LP(f)²`/`HP(f)²` are two cascaded 2nd-order Butterworth sections (`Q = 1/√2`), i.e. one
//! LR4 low-/high-pass. An LR4 pair sums to the 2nd-order allpass
//! `AP(s) = (s² − √2·s + 1)/(s² + √2·s + 1)`, because `1 + s⁴ = (s² + √2·s + 1)(s² − √2·s + 1)`.
//! The low band goes through `AP(f_H)` so that it carries the same phase as `mid + high`:
//! `low + mid + high = AP(f_H)·(LP(f_L)² + HP(f_L)²) = AP(f_H)·AP(f_L)`, a flat-magnitude
//! allpass (exact up to rounding).
//!
//! Design: the sections are the house [`Section`] (TDF-II, `f64` state, stereo) with
//! **bilinear** (RBJ cookbook, <https://www.w3.org/TR/audio-eq-cookbook/>) coefficients, not
//! the matched Vicanek designs of [`Coefficients::butterworth_lowpass`]: the bilinear
//! transform maps the analog identity `LP² + HP² = AP` onto an identical digital identity
//! (all three share one frequency warping), whereas independently matched low- and high-pass
//! magnitudes no longer sum flat near Nyquist. The crossover points sit at −6.02 dB on each
//! side (`|H|² = 1/2` per Butterworth section at the prewarped frequency).
//!
//! Lanes (conventions §5): both crossover frequencies are coefficient-lane parameters,
//! smoothed in log-frequency over [`SMOOTHING_MS`] on an absolute grid of [`GRID_SAMPLES`]
//! frames (the EQ's constants), with every section redesigned at each grid tick while they
//! move. The crossover has no structural lane and its latency is 0.
//!
//! Denormals and non-finite input: input samples that are not finite enter as 0; every section
//! is flushed ([`Section::flush`]) at each grid tick, and band outputs below
//! [`FLUSH_THRESHOLD`] are written as exact zeros, so silent tails never produce subnormals.

use std::f64::consts::{FRAC_1_SQRT_2, PI};
use std::ops::RangeInclusive;

use realfft::num_complex::Complex64;

use crate::block::MAX_PATH_CHANNELS;
use crate::eq::band::{GRID_SAMPLES, SMOOTHING_MS};
use crate::eq::section::{Coefficients, Section, FLUSH_THRESHOLD, MAX_FREQ_RATIO};
use crate::smoother::LinearSmoother;

/// Accepted low/mid crossover frequency, Hz.
pub const LOW_HZ_RANGE: RangeInclusive<f32> = 40.0..=1000.0;
/// Accepted mid/high crossover frequency, Hz (also kept below
/// [`MAX_FREQ_RATIO`]` · sample rate`).
pub const HIGH_HZ_RANGE: RangeInclusive<f32> = 500.0..=16_000.0;
/// Smallest ratio `high_hz / low_hz` (one octave). Closer crossovers leave the mid band with
/// no passband (at one octave it peaks at −3.9 dB); the high frequency gives way.
pub const MIN_HIGH_TO_LOW_RATIO: f32 = 2.0;
/// Number of bands.
pub const NUM_BANDS: usize = 3;
/// Butterworth pole quality factor of every section (two in cascade make one LR4 filter).
const BUTTERWORTH_Q: f64 = FRAC_1_SQRT_2;

/// One of the three bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Band {
    /// Below the low crossover.
    Low = 0,
    /// Between the crossovers.
    Mid = 1,
    /// Above the high crossover.
    High = 2,
}

impl Band {
    /// All bands, low to high (index = `band as usize`).
    pub const ALL: [Band; NUM_BANDS] = [Band::Low, Band::Mid, Band::High];
}

/// Crossover settings (set by the plugin or CLI; clamped on use by [`Self::sanitized`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrossoverSettings {
    /// Low/mid crossover frequency in Hz, in [`LOW_HZ_RANGE`] (coefficient lane).
    pub low_hz: f32,
    /// Mid/high crossover frequency in Hz, in [`HIGH_HZ_RANGE`], at least
    /// [`MIN_HIGH_TO_LOW_RATIO`]` · low_hz` (coefficient lane).
    pub high_hz: f32,
}

impl Default for CrossoverSettings {
    fn default() -> Self {
        Self {
            low_hz: 150.0,
            high_hz: 2500.0,
        }
    }
}

impl CrossoverSettings {
    /// These settings made valid at `sample_rate_hz`: non-finite values take the default, each
    /// frequency is clamped to its range, `high_hz` is raised to
    /// [`MIN_HIGH_TO_LOW_RATIO`]` · low_hz` (the low crossover wins a conflict), then both are
    /// kept below [`MAX_FREQ_RATIO`]` · sample_rate_hz` with the ratio preserved.
    pub fn sanitized(self, sample_rate_hz: f64) -> Self {
        let d = Self::default();
        let finite = |v: f32, fallback: f32| if v.is_finite() { v } else { fallback };
        let low_hz =
            finite(self.low_hz, d.low_hz).clamp(*LOW_HZ_RANGE.start(), *LOW_HZ_RANGE.end());
        let high_hz = finite(self.high_hz, d.high_hz)
            .clamp(*HIGH_HZ_RANGE.start(), *HIGH_HZ_RANGE.end())
            .max(low_hz * MIN_HIGH_TO_LOW_RATIO);
        let max_hz = (MAX_FREQ_RATIO * sample_rate_hz) as f32;
        let high_hz = high_hz.min(max_hz);
        let low_hz = low_hz.min(high_hz / MIN_HIGH_TO_LOW_RATIO);
        Self { low_hz, high_hz }
    }
}

/// The section of this crossover's LR4 low-pass at `freq_hz` (run it twice: two identical
/// bilinear Butterworth sections, −6.02 dB at `freq_hz`, 24 dB/oct), the filter the low band
/// starts with; for meters that need the band below a split ([`crate::stereo_image`]).
pub fn lr4_lowpass_section(freq_hz: f64, sample_rate_hz: f64) -> Coefficients {
    let [lowpass, _, _] = bilinear_sections(freq_hz, sample_rate_hz);
    lowpass
}

/// RBJ-cookbook (bilinear) Butterworth low-pass, high-pass and allpass sharing one design
/// frequency. `1 − cos ω0` is computed as `2·sin²(ω0/2)` to keep low frequencies at high
/// rates accurate.
fn bilinear_sections(freq_hz: f64, sample_rate_hz: f64) -> [Coefficients; 3] {
    let omega0 = 2.0 * PI * freq_hz / sample_rate_hz;
    let (sin_w, cos_w) = omega0.sin_cos();
    let half_sin = (0.5 * omega0).sin();
    let one_minus_cos = 2.0 * half_sin * half_sin;
    let one_plus_cos = 2.0 - one_minus_cos;
    let alpha = sin_w / (2.0 * BUTTERWORTH_Q);
    let inv_a0 = 1.0 / (1.0 + alpha);
    let a1 = -2.0 * cos_w * inv_a0;
    let a2 = (1.0 - alpha) * inv_a0;
    let lp = 0.5 * one_minus_cos * inv_a0;
    let hp = 0.5 * one_plus_cos * inv_a0;
    [
        Coefficients {
            b0: lp,
            b1: 2.0 * lp,
            b2: lp,
            a1,
            a2,
        },
        Coefficients {
            b0: hp,
            b1: -2.0 * hp,
            b2: hp,
            a1,
            a2,
        },
        // Mirror-image numerator: |H| = 1 structurally.
        Coefficients {
            b0: a2,
            b1: a1,
            b2: 1.0,
            a1,
            a2,
        },
    ]
}

/// Complex frequency response `H(e^{jω})` of one section at `omega` rad/sample.
fn section_transfer(c: &Coefficients, omega: f64) -> Complex64 {
    let z1 = Complex64::from_polar(1.0, -omega);
    let z2 = z1 * z1;
    (c.b0 + c.b1 * z1 + c.b2 * z2) / (1.0 + c.a1 * z1 + c.a2 * z2)
}

/// The five distinct sections of the crossover, designed from two frequencies and the sample
/// rate (set by [`Crossover`] at each grid tick while smoothing, or by the GUI for curves).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrossoverCoefficients {
    /// Butterworth low-pass at the low crossover (applied twice: LR4).
    pub low_lp: Coefficients,
    /// Butterworth high-pass at the low crossover (applied twice).
    pub low_hp: Coefficients,
    /// Butterworth low-pass at the high crossover (applied twice).
    pub high_lp: Coefficients,
    /// Butterworth high-pass at the high crossover (applied twice).
    pub high_hp: Coefficients,
    /// 2nd-order allpass at the high crossover (phase compensation of the low band, once).
    pub high_ap: Coefficients,
    /// Sample rate in Hz these were designed for.
    pub sample_rate_hz: f64,
}

impl CrossoverCoefficients {
    /// Designs the crossover at `low_hz`/`high_hz` (used as given: sanitize settings first).
    pub fn design(low_hz: f64, high_hz: f64, sample_rate_hz: f64) -> Self {
        let [low_lp, low_hp, _] = bilinear_sections(low_hz, sample_rate_hz);
        let [high_lp, high_hp, high_ap] = bilinear_sections(high_hz, sample_rate_hz);
        Self {
            low_lp,
            low_hp,
            high_lp,
            high_hp,
            high_ap,
            sample_rate_hz,
        }
    }

    /// Designs the crossover for `settings` (sanitized here).
    pub fn from_settings(settings: CrossoverSettings, sample_rate_hz: f64) -> Self {
        let s = settings.sanitized(sample_rate_hz);
        Self::design(f64::from(s.low_hz), f64::from(s.high_hz), sample_rate_hz)
    }

    /// Linear magnitude of `band` at `freq_hz` (the exact digital response; the allpass of
    /// the low band has unit magnitude and is left out). Computed with
    /// [`Coefficients::response`], accurate at low frequencies.
    pub fn band_response(&self, band: Band, freq_hz: f64) -> f64 {
        let fs = self.sample_rate_hz;
        let sq = |c: &Coefficients| c.response_squared(freq_hz, fs);
        match band {
            Band::Low => sq(&self.low_lp),
            Band::Mid => sq(&self.low_hp) * sq(&self.high_lp),
            Band::High => sq(&self.low_hp) * sq(&self.high_hp),
        }
    }

    /// Complex response of `band` at `freq_hz` (phase included, allpass included). The three
    /// bands sum to an allpass: `|Σ band_transfer| = 1`.
    pub fn band_transfer(&self, band: Band, freq_hz: f64) -> Complex64 {
        let omega = 2.0 * PI * freq_hz / self.sample_rate_hz;
        let h = |c: &Coefficients| section_transfer(c, omega);
        let sq = |c: &Coefficients| {
            let v = h(c);
            v * v
        };
        match band {
            Band::Low => sq(&self.low_lp) * h(&self.high_ap),
            Band::Mid => sq(&self.low_hp) * sq(&self.high_lp),
            Band::High => sq(&self.low_hp) * sq(&self.high_hp),
        }
    }

    /// True when every section has its poles strictly inside the unit circle.
    pub fn is_stable(&self) -> bool {
        [
            self.low_lp,
            self.low_hp,
            self.high_lp,
            self.high_hp,
            self.high_ap,
        ]
        .iter()
        .all(Coefficients::is_stable)
    }
}

/// Converts a band sample to `f32`, writing values below [`FLUSH_THRESHOLD`] as exact zeros
/// (a filtered tail must not reach `f32` subnormals downstream).
#[inline(always)]
fn to_output(y: f64) -> f32 {
    if y.abs() < FLUSH_THRESHOLD {
        0.0
    } else {
        y as f32
    }
}

/// Writes the `f64` frames of one band into `out[..num_channels][start..]`.
#[inline]
fn write_band(frames: &[[f64; 2]], out: &mut [&mut [f32]], num_channels: usize, start: usize) {
    for (ch, samples) in out.iter_mut().enumerate().take(num_channels) {
        for (f, y) in frames.iter().zip(&mut samples[start..start + frames.len()]) {
            *y = to_output(f[ch]);
        }
    }
}

/// The crossover processor: splits 1 or 2 channels into low, mid and high bands.
///
/// Legend of the sections (each holds its own coefficients and stereo `f64` state):
/// `low_lp[0..2]` → `high_ap` make the low band; `low_hp[0..2]` feed both `high_lp[0..2]`
/// (mid band) and `high_hp[0..2]` (high band).
#[derive(Debug, Clone)]
pub struct Crossover {
    /// Sample rate in Hz (set by `new`, `set_sample_rate`).
    sample_rate_hz: f64,
    /// Settings as last requested by `set_settings` (re-sanitized on a rate change).
    requested: CrossoverSettings,
    /// Target settings, sanitized for the current rate (set by `set_settings`).
    settings: CrossoverSettings,
    /// Coefficients of the target settings (what the smoothing ends on; GUI curves).
    target: CrossoverCoefficients,
    /// Coefficients in use (set at grid ticks).
    current: CrossoverCoefficients,
    /// log2 of the low crossover in Hz, one step per grid tick.
    log2_low_hz: LinearSmoother,
    /// log2 of the high crossover in Hz, one step per grid tick.
    log2_high_hz: LinearSmoother,
    /// Position inside the current grid interval, `0..GRID_SAMPLES` (absolute across blocks).
    grid_pos: usize,
    /// LR4 low-pass at the low crossover.
    low_lp: [Section; 2],
    /// LR4 high-pass at the low crossover.
    low_hp: [Section; 2],
    /// LR4 low-pass at the high crossover (mid band).
    high_lp: [Section; 2],
    /// LR4 high-pass at the high crossover (high band).
    high_hp: [Section; 2],
    /// Allpass at the high crossover on the low band.
    high_ap: Section,
}

impl Crossover {
    /// A crossover at rest, running `settings` at `sample_rate_hz` (no smoothing ramp).
    pub fn new(sample_rate_hz: f64, settings: CrossoverSettings) -> Self {
        let sample_rate_hz = crate::rate::clamp_hz(sample_rate_hz);
        let grid_rate_hz = (sample_rate_hz / GRID_SAMPLES as f64) as f32;
        let target = CrossoverCoefficients::from_settings(settings, sample_rate_hz);
        let mut crossover = Self {
            sample_rate_hz,
            requested: settings,
            settings: settings.sanitized(sample_rate_hz),
            target,
            current: target,
            log2_low_hz: LinearSmoother::new(SMOOTHING_MS, grid_rate_hz, 0.0),
            log2_high_hz: LinearSmoother::new(SMOOTHING_MS, grid_rate_hz, 0.0),
            grid_pos: 0,
            low_lp: [Section::default(); 2],
            low_hp: [Section::default(); 2],
            high_lp: [Section::default(); 2],
            high_hp: [Section::default(); 2],
            high_ap: Section::default(),
        };
        crossover.set_sample_rate(sample_rate_hz);
        crossover
    }

    /// Changes the sample rate: re-sanitizes the settings, jumps to them and clears the state.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        let sample_rate_hz = crate::rate::clamp_hz(sample_rate_hz);
        self.sample_rate_hz = sample_rate_hz;
        let grid_rate_hz = (sample_rate_hz / GRID_SAMPLES as f64) as f32;
        self.log2_low_hz.set_sample_rate(grid_rate_hz);
        self.log2_high_hz.set_sample_rate(grid_rate_hz);
        self.set_settings(self.requested);
        self.reset();
    }

    /// New target frequencies (sanitized). They glide in log-frequency over [`SMOOTHING_MS`];
    /// never allocates.
    pub fn set_settings(&mut self, settings: CrossoverSettings) {
        let s = settings.sanitized(self.sample_rate_hz);
        self.requested = settings;
        self.settings = s;
        let (log2_low, log2_high) = (s.low_hz.log2(), s.high_hz.log2());
        self.log2_low_hz.set_target(log2_low);
        self.log2_high_hz.set_target(log2_high);
        self.target = CrossoverCoefficients::from_settings(s, self.sample_rate_hz);
    }

    /// The target settings (sanitized).
    pub fn settings(&self) -> &CrossoverSettings {
        &self.settings
    }

    /// Clears the filter state and jumps the frequencies to their targets (never allocates).
    pub fn reset(&mut self) {
        self.log2_low_hz.reset(self.settings.low_hz.log2());
        self.log2_high_hz.reset(self.settings.high_hz.log2());
        self.redesign();
        self.grid_pos = 0;
        self.sections_mut().for_each(Section::reset);
    }

    /// Latency in samples: always 0.
    pub fn latency_samples(&self) -> usize {
        0
    }

    /// Coefficients of the target settings (GUI curves; what the smoothing settles on).
    pub fn target_coefficients(&self) -> &CrossoverCoefficients {
        &self.target
    }

    /// Coefficients running now (differ from the target only while smoothing).
    pub fn current_coefficients(&self) -> &CrossoverCoefficients {
        &self.current
    }

    /// Linear magnitude of `band` at `freq_hz` for the target settings (for the GUI; see
    /// [`CrossoverCoefficients::band_response`]).
    pub fn band_response(&self, band: Band, freq_hz: f64) -> f64 {
        self.target.band_response(band, freq_hz)
    }

    /// Complex response of `band` at `freq_hz` for the target settings.
    pub fn band_transfer(&self, band: Band, freq_hz: f64) -> Complex64 {
        self.target.band_transfer(band, freq_hz)
    }

    /// True when every state value is exactly zero.
    pub fn is_at_rest(&self) -> bool {
        self.sections().all(Section::is_at_rest)
    }

    /// Splits `input` (1 or 2 channels, equal lengths) into `low`, `mid` and `high`, each with
    /// at least as many channels as `input` (at most [`MAX_PATH_CHANNELS`] are used) of at
    /// least the input length. Non-finite input samples enter as 0. Never allocates.
    ///
    /// # Panics
    /// If a band has fewer channels or shorter channels than `input`.
    pub fn split_block<S: AsRef<[f32]>>(
        &mut self,
        input: &[S],
        low: &mut [&mut [f32]],
        mid: &mut [&mut [f32]],
        high: &mut [&mut [f32]],
    ) {
        let num_channels = input.len().min(MAX_PATH_CHANNELS);
        let num_frames = input.first().map_or(0, |c| c.as_ref().len());
        let mut start = 0;
        while start < num_frames {
            if self.grid_pos == 0 {
                self.tick_grid();
            }
            let len = (GRID_SAMPLES - self.grid_pos).min(num_frames - start);
            let mut lo = [[0.0f64; 2]; GRID_SAMPLES];
            for (ch, samples) in input.iter().enumerate().take(num_channels) {
                let samples = &samples.as_ref()[start..start + len];
                for (f, &s) in lo.iter_mut().zip(samples) {
                    f[ch] = if s.is_finite() { f64::from(s) } else { 0.0 };
                }
            }
            let lo = &mut lo[..len];
            let mut hi_buf = [[0.0f64; 2]; GRID_SAMPLES];
            let hi = &mut hi_buf[..len];
            hi.copy_from_slice(lo);
            for s in &mut self.low_lp {
                s.process_frames(lo);
            }
            self.high_ap.process_frames(lo);
            for s in &mut self.low_hp {
                s.process_frames(hi);
            }
            let mut mid_buf = [[0.0f64; 2]; GRID_SAMPLES];
            let md = &mut mid_buf[..len];
            md.copy_from_slice(hi);
            for s in &mut self.high_lp {
                s.process_frames(md);
            }
            for s in &mut self.high_hp {
                s.process_frames(hi);
            }
            write_band(lo, low, num_channels, start);
            write_band(md, mid, num_channels, start);
            write_band(hi, high, num_channels, start);
            self.grid_pos = (self.grid_pos + len) % GRID_SAMPLES;
            start += len;
        }
    }

    /// Grid tick: advances the frequency smoothers, redesigns while they move, flushes tiny
    /// and non-finite state.
    fn tick_grid(&mut self) {
        if !(self.log2_low_hz.is_settled() && self.log2_high_hz.is_settled()) {
            self.log2_low_hz.next_value();
            self.log2_high_hz.next_value();
            self.redesign();
        }
        self.sections_mut().for_each(Section::flush);
    }

    /// Sets every section from the current smoothed frequencies; once both have settled, the
    /// sections run exactly the target design (what the GUI curves show).
    fn redesign(&mut self) {
        let c = if self.log2_low_hz.is_settled() && self.log2_high_hz.is_settled() {
            self.target
        } else {
            CrossoverCoefficients::design(
                f64::from(self.log2_low_hz.current()).exp2(),
                f64::from(self.log2_high_hz.current()).exp2(),
                self.sample_rate_hz,
            )
        };
        self.current = c;
        for (sections, coefficients) in [
            (&mut self.low_lp, c.low_lp),
            (&mut self.low_hp, c.low_hp),
            (&mut self.high_lp, c.high_lp),
            (&mut self.high_hp, c.high_hp),
        ] {
            sections
                .iter_mut()
                .for_each(|s| s.set_coefficients(coefficients));
        }
        self.high_ap.set_coefficients(c.high_ap);
    }

    /// Every section (shared access).
    fn sections(&self) -> impl Iterator<Item = &Section> {
        self.low_lp
            .iter()
            .chain(&self.low_hp)
            .chain(&self.high_lp)
            .chain(&self.high_hp)
            .chain(std::iter::once(&self.high_ap))
    }

    /// Every section (mutable access).
    fn sections_mut(&mut self) -> impl Iterator<Item = &mut Section> {
        self.low_lp
            .iter_mut()
            .chain(&mut self.low_hp)
            .chain(&mut self.high_lp)
            .chain(&mut self.high_hp)
            .chain(std::iter::once(&mut self.high_ap))
    }
}
