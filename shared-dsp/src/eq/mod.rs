//! Equalizer: matched (cramping-free) minimum-phase bands and a linear-phase FIR mode.
//!
//! - [`section`]: the one biquad of the project ([`section::Section`], [`section::Coefficients`]).
//! - [`design`]: Vicanek's matched second-order designs and the analog prototypes.
//! - [`settings`]: plain settings structs and the band → sections mapping.
//! - [`band`]: per-band smoothing on a fixed grid.
//! - [`linear_phase`]: the FIR mode (same magnitude, constant latency).
//!
//! Parameter lanes: band frequency, gain and Q are lane (b) (smoothed, coefficients
//! recomputed every [`band::GRID_SAMPLES`]); band kind, slope and the phase mode are lane (c)
//! (structural: they switch at once; the phase mode changes [`Eq::latency_samples`]).

pub mod band;
pub mod design;
pub mod linear_phase;
pub mod section;
pub mod settings;

use band::{Band, GRID_SAMPLES};
use linear_phase::LinearPhase;
use section::Coefficients;
use settings::{design_band, DesignParams, EqSettings, PhaseMode, MAX_BANDS, MAX_SECTIONS};

use crate::block::MAX_PATH_CHANNELS;

/// The EQ processor (mono or stereo).
pub struct Eq {
    /// Sample rate in Hz (set by `new`, `set_sample_rate`).
    sample_rate_hz: f64,
    /// Channels processed, 1 or 2 (set by `new`).
    num_channels: usize,
    /// Settings last passed to `set_settings`.
    settings: EqSettings,
    /// Minimum-phase bands (smoothing + sections).
    bands: [Band; MAX_BANDS],
    /// Position inside the current smoothing grid interval, `0..GRID_SAMPLES`.
    grid_pos: usize,
    /// Target sections of every band (what the bands settle on; the linear-phase target).
    targets: [[Coefficients; MAX_SECTIONS]; MAX_BANDS],
    /// Number of target sections per band; 0 for a band that is transparent at its target.
    target_sections: [usize; MAX_BANDS],
    /// Linear-phase engine (allocated in `new`, used when `settings.phase` is `Linear`).
    linear: LinearPhase,
}

impl Eq {
    /// An EQ with every band disabled. `max_block` is accepted for the common lifecycle; the
    /// EQ processes any block length without further allocation.
    ///
    /// # Panics
    /// If `num_channels` is 0 or more than 2.
    pub fn new(sample_rate_hz: f64, max_block: usize, num_channels: usize) -> Self {
        assert!((1..=MAX_PATH_CHANNELS).contains(&num_channels));
        let _ = max_block;
        let settings = EqSettings::default();
        let mut eq = Self {
            sample_rate_hz,
            num_channels,
            settings,
            bands: std::array::from_fn(|i| Band::new(&settings.bands[i], sample_rate_hz)),
            grid_pos: 0,
            targets: [[Coefficients::identity(); MAX_SECTIONS]; MAX_BANDS],
            target_sections: [0; MAX_BANDS],
            linear: LinearPhase::new(sample_rate_hz, num_channels),
        };
        eq.update_targets();
        eq
    }

    /// Changes the sample rate, redesigns and clears all state. Never allocates unless the
    /// linear-phase FIR length class changes (see [`linear_phase::fir_scale`]), which
    /// rebuilds the FIR engine; plugins call this from `initialize`.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        let rebuild =
            linear_phase::fir_scale(sample_rate_hz) != linear_phase::fir_scale(self.sample_rate_hz);
        self.sample_rate_hz = sample_rate_hz;
        if rebuild {
            self.linear = LinearPhase::new(sample_rate_hz, self.num_channels);
        } else {
            self.linear.set_sample_rate(sample_rate_hz);
        }
        for (band, s) in self.bands.iter_mut().zip(&self.settings.bands) {
            band.set_sample_rate(sample_rate_hz);
            band.jump_to(s);
        }
        self.update_targets();
        self.reset();
    }

    /// Sets new targets (cheap when nothing changed; never allocates). Continuous band
    /// parameters are smoothed; a phase-mode change clears the state and changes the latency.
    pub fn set_settings(&mut self, settings: EqSettings) {
        if settings == self.settings {
            return;
        }
        let phase_changed = settings.phase != self.settings.phase;
        self.settings = settings;
        for (band, s) in self.bands.iter_mut().zip(&settings.bands) {
            band.set_settings(s);
        }
        self.update_targets();
        if phase_changed {
            self.reset();
        }
    }

    /// Recomputes the target sections and hands them to the linear-phase designer.
    fn update_targets(&mut self) {
        for (i, s) in self.settings.bands.iter().enumerate() {
            let params = DesignParams::new(s);
            let transparent = if s.kind.is_pass() {
                !s.enabled
            } else {
                params.gain_db == 0.0
            };
            self.target_sections[i] = if transparent {
                0
            } else {
                design_band(
                    s.kind,
                    s.slope,
                    &params,
                    self.sample_rate_hz,
                    &mut self.targets[i],
                )
            };
        }
        self.linear.set_target(&self.targets, &self.target_sections);
    }

    /// Clears all filter state and jumps every smoother to its target (never allocates).
    pub fn reset(&mut self) {
        for (band, s) in self.bands.iter_mut().zip(&self.settings.bands) {
            band.jump_to(s);
        }
        self.grid_pos = 0;
        self.linear.reset();
    }

    /// Latency in samples: 0 in minimum phase, [`LinearPhase::latency_samples`] in linear
    /// phase (a function of the sample rate only, whatever the band settings).
    pub fn latency_samples(&self) -> usize {
        match self.settings.phase {
            PhaseMode::Minimum => 0,
            PhaseMode::Linear => self.linear.latency_samples(),
        }
    }

    /// Linear magnitude of the whole EQ at `freq_hz`: in minimum phase the exact digital
    /// response of the sections currently running; in linear phase the target magnitude the
    /// FIR is designed from.
    pub fn response(&self, freq_hz: f64) -> f64 {
        match self.settings.phase {
            PhaseMode::Minimum => self.bands.iter().map(|b| b.response(freq_hz)).product(),
            PhaseMode::Linear => self.target_response(freq_hz),
        }
    }

    /// Linear magnitude at `freq_hz` of the target settings (where the smoothing ends).
    pub fn target_response(&self, freq_hz: f64) -> f64 {
        self.targets
            .iter()
            .zip(&self.target_sections)
            .flat_map(|(t, &n)| &t[..n])
            .map(|c| c.response(freq_hz, self.sample_rate_hz))
            .product()
    }

    /// Linear magnitude at `freq_hz` of the analog prototypes of the current band parameters.
    pub fn analog_response(&self, freq_hz: f64) -> f64 {
        self.bands
            .iter()
            .map(|b| b.analog_response(freq_hz))
            .product()
    }

    /// The minimum-phase bands (for per-band curves in the GUI).
    pub fn bands(&self) -> &[Band; MAX_BANDS] {
        &self.bands
    }

    /// Filters `channels` (1 or 2, equal lengths, any length) in place. Non-finite input
    /// samples enter the filters as 0 (a fully transparent EQ passes its input untouched).
    /// Never allocates.
    pub fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        match self.settings.phase {
            PhaseMode::Minimum => self.process_minimum_phase(channels),
            PhaseMode::Linear => self.linear.process_block(channels),
        }
    }

    /// Minimum-phase path: grid intervals of at most [`GRID_SAMPLES`] frames through every
    /// band that is not transparent.
    fn process_minimum_phase(&mut self, channels: &mut [&mut [f32]]) {
        let num_channels = channels.len().min(self.num_channels);
        let num_frames = channels.first().map_or(0, |c| c.len());
        let mut start = 0;
        while start < num_frames {
            if self.grid_pos == 0 {
                self.bands.iter_mut().for_each(Band::tick_grid);
            }
            let len = (GRID_SAMPLES - self.grid_pos).min(num_frames - start);
            if self.bands.iter().any(|b| !b.is_transparent()) {
                let mut frames = [[0.0f64; 2]; GRID_SAMPLES];
                let frames = &mut frames[..len];
                for (ch, samples) in channels.iter().enumerate().take(num_channels) {
                    for (f, &s) in frames.iter_mut().zip(&samples[start..start + len]) {
                        // Non-finite input enters as 0, as in the linear-phase path, so it
                        // never reaches the section state.
                        f[ch] = if s.is_finite() { f64::from(s) } else { 0.0 };
                    }
                }
                for band in &mut self.bands {
                    if !band.is_transparent() {
                        band.process(frames, self.grid_pos);
                    }
                }
                for (ch, samples) in channels.iter_mut().enumerate().take(num_channels) {
                    for (f, s) in frames.iter().zip(&mut samples[start..start + len]) {
                        *s = f[ch] as f32;
                    }
                }
            }
            self.grid_pos = (self.grid_pos + len) % GRID_SAMPLES;
            start += len;
        }
    }
}
