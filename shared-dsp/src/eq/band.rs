//! One EQ band at run time: parameter smoothing (lane (b): coefficients recomputed every
//! [`GRID_SAMPLES`] while moving) and its cascade of sections.
//!
//! All smoothing happens on an absolute grid of [`GRID_SAMPLES`] samples, so the output does
//! not depend on how the host splits blocks. A band whose coefficients equal their pass-through
//! form and whose state is exactly zero is skipped: skipping it is bit-identical to running it.

use super::section::{Coefficients, Section};
use super::settings::{
    analog_response, design_band, BandKind, BandSettings, DesignParams, Slope, MAX_SECTIONS,
};
use crate::smoother::LinearSmoother;

/// Samples between coefficient updates while a band's parameters move.
pub const GRID_SAMPLES: usize = 16;
/// Time a parameter change takes to reach its target, in ms (the one EQ smoothing constant).
pub const SMOOTHING_MS: f32 = 30.0;

/// Smoothing state and sections of one band.
#[derive(Debug, Clone)]
pub struct Band {
    /// Filter type in use (set by `set_settings`; a change resets the sections).
    kind: BandKind,
    /// High-/low-pass steepness in use (set by `set_settings`).
    slope: Slope,
    /// log2 of the design frequency, one step per grid tick.
    log2_freq: LinearSmoother,
    /// Effective gain in dB, one step per grid tick.
    gain_db: LinearSmoother,
    /// log2 of Q, one step per grid tick.
    log2_q: LinearSmoother,
    /// Wet amount 0–1 of high-/low-pass bands (1 for the other kinds), one step per grid tick.
    mix: LinearSmoother,
    /// Wet amount at the start of the current grid interval (interpolated per sample).
    mix_start: f32,
    /// Sections in use (coefficients set at grid ticks).
    sections: [Section; MAX_SECTIONS],
    /// Number of sections in use (1–4).
    num_sections: usize,
    /// Sample rate in Hz (set by `set_sample_rate`).
    sample_rate_hz: f64,
}

impl Band {
    /// A band at rest with `settings`, designed for `sample_rate_hz`.
    pub fn new(settings: &BandSettings, sample_rate_hz: f64) -> Self {
        let sample_rate_hz = crate::rate::clamp_hz(sample_rate_hz);
        let grid_rate_hz = sample_rate_hz as f32 / GRID_SAMPLES as f32;
        let mut band = Self {
            kind: settings.kind,
            slope: settings.slope,
            log2_freq: LinearSmoother::new(SMOOTHING_MS, grid_rate_hz, 0.0),
            gain_db: LinearSmoother::new(SMOOTHING_MS, grid_rate_hz, 0.0),
            log2_q: LinearSmoother::new(SMOOTHING_MS, grid_rate_hz, 0.0),
            mix: LinearSmoother::new(SMOOTHING_MS, grid_rate_hz, 0.0),
            mix_start: 0.0,
            sections: [Section::default(); MAX_SECTIONS],
            num_sections: 1,
            sample_rate_hz,
        };
        band.jump_to(settings);
        band
    }

    /// Target wet amount of `settings`.
    fn target_mix(settings: &BandSettings) -> f32 {
        if settings.kind.is_pass() && !settings.enabled {
            0.0
        } else {
            1.0
        }
    }

    /// Jumps to `settings` with no ramp, clears the state and designs the sections.
    pub fn jump_to(&mut self, settings: &BandSettings) {
        let p = DesignParams::new(settings);
        self.kind = settings.kind;
        self.slope = settings.slope;
        self.log2_freq.reset(p.log2_freq);
        self.gain_db.reset(p.gain_db);
        self.log2_q.reset(p.log2_q);
        let mix = Self::target_mix(settings);
        self.mix.reset(mix);
        self.mix_start = mix;
        self.reset();
        self.redesign();
    }

    /// Changes the sample rate: redesigns at the current parameters and clears the state.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        let sample_rate_hz = crate::rate::clamp_hz(sample_rate_hz);
        self.sample_rate_hz = sample_rate_hz;
        let grid_rate_hz = sample_rate_hz as f32 / GRID_SAMPLES as f32;
        for s in [
            &mut self.log2_freq,
            &mut self.gain_db,
            &mut self.log2_q,
            &mut self.mix,
        ] {
            s.set_sample_rate(grid_rate_hz);
        }
        self.reset();
        self.redesign();
    }

    /// Sets new targets. Continuous parameters ramp over [`SMOOTHING_MS`]; a new kind or
    /// slope switches at once and clears the band's state.
    pub fn set_settings(&mut self, settings: &BandSettings) {
        if settings.kind != self.kind || settings.slope != self.slope {
            self.kind = settings.kind;
            self.slope = settings.slope;
            self.reset();
            self.redesign();
        }
        let p = DesignParams::new(settings);
        self.log2_freq.set_target(p.log2_freq);
        self.gain_db.set_target(p.gain_db);
        self.log2_q.set_target(p.log2_q);
        self.mix.set_target(Self::target_mix(settings));
    }

    /// Clears the section state (never allocates).
    pub fn reset(&mut self) {
        self.sections.iter_mut().for_each(Section::reset);
    }

    /// Parameters the sections are currently designed from.
    pub fn current_params(&self) -> DesignParams {
        DesignParams {
            log2_freq: self.log2_freq.current(),
            gain_db: self.gain_db.current(),
            log2_q: self.log2_q.current(),
        }
    }

    /// Recomputes the section coefficients from the current smoothed parameters.
    fn redesign(&mut self) {
        let mut coefs = [Coefficients::identity(); MAX_SECTIONS];
        let params = self.current_params();
        self.num_sections = design_band(
            self.kind,
            self.slope,
            &params,
            self.sample_rate_hz,
            &mut coefs,
        );
        for (section, c) in self.sections.iter_mut().zip(coefs) {
            section.set_coefficients(c);
        }
    }

    /// Grid tick: advances the smoothers one step, redesigns if they moved, and flushes tiny
    /// or non-finite state to zero.
    pub fn tick_grid(&mut self) {
        self.mix_start = self.mix.current();
        let moving =
            !(self.log2_freq.is_settled() && self.gain_db.is_settled() && self.log2_q.is_settled());
        if moving {
            self.log2_freq.next_value();
            self.gain_db.next_value();
            self.log2_q.next_value();
            self.redesign();
        }
        self.mix.next_value();
        if self.mix_start == 0.0 && self.mix.current() == 0.0 {
            self.reset();
        }
        for s in &mut self.sections[..self.num_sections] {
            s.flush();
        }
    }

    /// True when running the band would return its input bit for bit.
    #[inline]
    pub fn is_transparent(&self) -> bool {
        if self.mix_start == 0.0 && self.mix.current() == 0.0 {
            return true;
        }
        self.log2_freq.is_settled()
            && self.gain_db.is_settled()
            && self.log2_q.is_settled()
            && self.mix.is_settled()
            && self.sections[..self.num_sections].iter().all(|s| {
                let c = s.coefficients();
                c.b0 == 1.0 && c.b1 == c.a1 && c.b2 == c.a2 && s.is_at_rest()
            })
    }

    /// True when no parameter moves and the wet amount is constant at 0 or 1: every grid tick
    /// is then a no-op apart from [`Section::flush`], and the band either is transparent or
    /// runs its sections unmixed.
    #[inline]
    pub fn is_settled(&self) -> bool {
        let mix = self.mix.current();
        self.log2_freq.is_settled()
            && self.gain_db.is_settled()
            && self.log2_q.is_settled()
            && self.mix.is_settled()
            && self.mix_start == mix
            && (mix == 0.0 || mix == 1.0)
    }

    /// The sections in use, in processing order.
    pub fn sections(&self) -> &[Section] {
        &self.sections[..self.num_sections]
    }

    /// The sections in use, for the EQ's fused cascade (which writes their state back).
    pub(super) fn sections_mut(&mut self) -> &mut [Section] {
        &mut self.sections[..self.num_sections]
    }

    /// Filters the frames of one grid interval in place (`frames.len() <= GRID_SAMPLES`).
    /// `offset` is the position of `frames[0]` inside the interval.
    pub fn process(&mut self, frames: &mut [[f64; 2]], offset: usize) {
        let mix_end = self.mix.current();
        if self.mix_start == 1.0 && mix_end == 1.0 {
            for s in &mut self.sections[..self.num_sections] {
                s.process_frames(frames);
            }
            return;
        }
        let mut dry = [[0.0f64; 2]; GRID_SAMPLES];
        dry[..frames.len()].copy_from_slice(frames);
        for s in &mut self.sections[..self.num_sections] {
            s.process_frames(frames);
        }
        let step = f64::from(mix_end - self.mix_start) / GRID_SAMPLES as f64;
        for (i, (wet, dry)) in frames.iter_mut().zip(&dry).enumerate() {
            let t = f64::from(self.mix_start) + step * (offset + i + 1) as f64;
            for (w, d) in wet.iter_mut().zip(dry) {
                *w = d + t * (*w - d);
            }
        }
    }

    /// Linear magnitude at `freq_hz` of what the band currently runs (during an enable
    /// crossfade of a high-/low-pass band: of the state it is fading to).
    pub fn response(&self, freq_hz: f64) -> f64 {
        if self.mix.target() == 0.0 {
            return 1.0;
        }
        self.sections[..self.num_sections]
            .iter()
            .map(|s| s.response(freq_hz, self.sample_rate_hz))
            .product()
    }

    /// Linear magnitude at `freq_hz` of the analog prototype of the current parameters.
    pub fn analog_response(&self, freq_hz: f64) -> f64 {
        if self.mix.target() == 0.0 {
            return 1.0;
        }
        analog_response(
            self.kind,
            self.slope,
            &self.current_params(),
            freq_hz,
            self.sample_rate_hz,
        )
    }
}
