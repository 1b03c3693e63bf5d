//! Equalizer: matched (cramping-free) minimum-phase bands and a linear-phase FIR mode.
//!
//! - [`section`]: the one biquad of the project ([`section::Section`], [`section::Coefficients`]).
//! - [`design`]: Vicanek's matched second-order designs, the decramped bell and the analog
//!   prototypes.
//! - [`settings`]: plain settings structs and the band → sections mapping.
//! - [`band`]: per-band smoothing on a fixed grid.
//! - [`linear_phase`]: the FIR mode (same magnitude, constant latency).
//! - [`mono_bass`]: the side-only high-pass after the bands (vinyl "elliptical EQ").
//!
//! Parameter lanes: band frequency, gain and Q are lane (b) (smoothed, coefficients
//! recomputed every [`band::GRID_SAMPLES`]); band kind, slope and the phase mode are lane (c)
//! (structural: they switch at once; the phase mode changes [`Eq::latency_samples`]).
//!
//! Cost (minimum phase): while any band moves, the EQ works grid interval by grid interval,
//! band by band. Once every band has settled it runs one fused cascade of the active sections,
//! frame by frame with both channels in one `f64` vector ([`lanes::F64x2`]) and the state in
//! registers, converting `f32` ↔ `f64` once per sample: about 56 instructions per stereo frame
//! for four bands under callgrind with AVX (80 with the SSE2 baseline), against 207 for the
//! interval path. Both paths compute the same values bit for bit.

pub mod band;
pub mod design;
pub mod lanes;
pub mod linear_phase;
pub mod mono_bass;
pub mod section;
pub mod settings;

use band::{Band, GRID_SAMPLES};
use lanes::{all_finite, F64x2};
use linear_phase::LinearPhase;
use mono_bass::MonoBass;
use section::{CascadeIo, Coefficients, Section};
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
    /// Working copy of the active bands' sections for the settled path (filled and read
    /// back by `process_settled` in every block; holds no state between blocks).
    cascade: [Section; MAX_BANDS * MAX_SECTIONS],
    /// Whether the settled path runs its AVX build (set by `new` from the CPU's features).
    avx: bool,
    /// Side-only high-pass after the bands (both phase modes; minimum phase, no latency).
    mono_bass: MonoBass,
}

impl Eq {
    /// An EQ with every band disabled. `max_block` is accepted for the common lifecycle; the
    /// EQ processes any block length without further allocation.
    ///
    /// # Panics
    /// If `num_channels` is 0 or more than 2.
    pub fn new(sample_rate_hz: f64, max_block: usize, num_channels: usize) -> Self {
        let sample_rate_hz = crate::rate::clamp_hz(sample_rate_hz);
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
            cascade: [Section::default(); MAX_BANDS * MAX_SECTIONS],
            avx: detect_avx(),
            mono_bass: MonoBass::new(settings.mono_bass, sample_rate_hz),
        };
        eq.update_targets();
        eq
    }

    /// Changes the sample rate, redesigns and clears all state. Never allocates unless the
    /// linear-phase FIR length class changes (see [`linear_phase::fir_scale`]), which
    /// rebuilds the FIR engine; plugins call this from `initialize`.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        let sample_rate_hz = crate::rate::clamp_hz(sample_rate_hz);
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
        self.mono_bass.set_sample_rate(sample_rate_hz);
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
        self.mono_bass.set_settings(settings.mono_bass);
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
        self.mono_bass.jump_to(self.settings.mono_bass);
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

    /// Linear magnitude of the whole EQ at `freq_hz` on the left, right and mid signals: in
    /// minimum phase the exact digital response of the sections currently running; in linear
    /// phase the target magnitude the FIR is designed from. The side gets
    /// [`Self::side_response`].
    pub fn response(&self, freq_hz: f64) -> f64 {
        match self.settings.phase {
            PhaseMode::Minimum => self.bands.iter().map(|b| b.response(freq_hz)).product(),
            PhaseMode::Linear => self.target_response(freq_hz),
        }
    }

    /// Linear magnitude of the whole EQ at `freq_hz` on the side signal: [`Self::response`]
    /// times the mono bass high-pass ([`MonoBass::response`], 1 when it is off).
    pub fn side_response(&self, freq_hz: f64) -> f64 {
        self.response(freq_hz) * self.mono_bass.response(freq_hz)
    }

    /// The mono bass stage (its side curve for the GUI).
    pub fn mono_bass(&self) -> &MonoBass {
        &self.mono_bass
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

    /// Filters `channels` (1 or 2, equal lengths, any length) in place: the bands, then the
    /// mono bass (stereo only). Non-finite input samples enter the filters as 0 (a fully
    /// transparent EQ passes its input untouched). Never allocates.
    pub fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        match self.settings.phase {
            PhaseMode::Minimum => self.process_minimum_phase(channels),
            PhaseMode::Linear => self.linear.process_block(channels),
        }
        let num_channels = channels.len().min(self.num_channels);
        self.mono_bass.process_block(&mut channels[..num_channels]);
    }

    /// Minimum-phase path. When every band is settled ([`Band::is_settled`]) the grid ticks
    /// only flush state, and the block runs through one fused cascade of the active sections
    /// ([`Self::process_settled`]); otherwise it goes interval by interval
    /// ([`Self::process_moving`]). Both do the same arithmetic in the same order and flush at
    /// the same absolute frames, so the output does not depend on where blocks start.
    fn process_minimum_phase(&mut self, channels: &mut [&mut [f32]]) {
        let num_channels = channels.len().min(self.num_channels);
        let num_frames = channels.first().map_or(0, |c| c.len());
        if num_frames == 0 {
            return;
        }
        if self.bands.iter().all(Band::is_settled) {
            self.process_settled(&mut channels[..num_channels], num_frames);
        } else {
            self.process_moving(&mut channels[..num_channels], num_frames);
        }
    }

    /// Settled path: copies the sections of the bands that are not transparent into
    /// `self.cascade`, runs the block through them (state in registers, flushed at the grid
    /// ticks) and writes their state back. A clean stereo block with at most
    /// [`MAX_FUSED_SECTIONS`] active sections is filtered straight from and to `f32`; anything
    /// else (mono, non-finite samples, more sections) goes through an `f64` buffer.
    ///
    /// Skipping the ticks is exact: with every band settled, `Band::tick_grid` only flushes
    /// (a band at mix 0 was reset on the tick that settled it, and stays at zero state), and a
    /// band that is transparent now stays so (its zero state stays zero through `b = a`
    /// coefficients). The bands that are not transparent run unmixed (mix 1).
    fn process_settled(&mut self, channels: &mut [&mut [f32]], num_frames: usize) {
        let mut active = [false; MAX_BANDS];
        let mut num_sections = 0;
        for (band, active) in self.bands.iter().zip(&mut active) {
            *active = !band.is_transparent();
            if *active {
                for s in band.sections() {
                    self.cascade[num_sections] = *s;
                    num_sections += 1;
                }
            }
        }
        let phase = self.grid_pos;
        self.grid_pos = (self.grid_pos + num_frames) % GRID_SAMPLES;
        if num_sections == 0 {
            return;
        }
        let cascade = &mut self.cascade[..num_sections];
        #[cfg(target_arch = "x86_64")]
        if self.avx {
            // SAFETY: `avx` is true only when the CPU has AVX (`detect_avx`).
            unsafe { filter_settled_avx(cascade, channels, num_frames, phase) };
        } else {
            filter_settled(cascade, channels, num_frames, phase);
        }
        #[cfg(not(target_arch = "x86_64"))]
        filter_settled(cascade, channels, num_frames, phase);
        let mut copied = self.cascade.iter();
        for (band, _) in self.bands.iter_mut().zip(active).filter(|(_, a)| *a) {
            for (s, c) in band.sections_mut().iter_mut().zip(&mut copied) {
                *s = *c;
            }
        }
    }

    /// Moving path: grid intervals of at most [`GRID_SAMPLES`] frames through every band that
    /// is not transparent, each band mixing its own crossfade.
    fn process_moving(&mut self, channels: &mut [&mut [f32]], num_frames: usize) {
        let mut start = 0;
        while start < num_frames {
            if self.grid_pos == 0 {
                self.bands.iter_mut().for_each(Band::tick_grid);
            }
            let len = (GRID_SAMPLES - self.grid_pos).min(num_frames - start);
            if self.bands.iter().any(|b| !b.is_transparent()) {
                let mut frames = [[0.0f64; 2]; GRID_SAMPLES];
                let frames = &mut frames[..len];
                read_frames(channels, start, frames);
                for band in &mut self.bands {
                    if !band.is_transparent() {
                        band.process(frames, self.grid_pos);
                    }
                }
                write_frames(frames, channels, start);
            }
            self.grid_pos = (self.grid_pos + len) % GRID_SAMPLES;
            start += len;
        }
    }
}

/// Most sections [`Section::process_cascade`] runs in one pass, straight from and to `f32`.
/// Up to four keep their state in registers; five to eight spill some of it to the stack,
/// which still costs less than passes over a buffer (measured: five sections 67 instead of 83
/// instructions per stereo frame). Longer cascades run in passes of at most this many.
const MAX_FUSED_SECTIONS: usize = 8;
/// Frames per pass of the buffered settled path.
const BUFFER_FRAMES: usize = 64;

/// Runs `sections` (1 to [`MAX_FUSED_SECTIONS`]) as one fused cascade over `io`, flushing at
/// the grid ticks; `phase` is the grid position of the first frame.
#[inline(always)]
fn run_fused<F: CascadeIo + ?Sized>(sections: &mut [Section], io: &mut F, phase: usize) {
    fn fixed<const K: usize>(sections: &mut [Section]) -> &mut [Section; K] {
        sections.try_into().expect("group size")
    }
    match sections.len() {
        1 => Section::process_cascade(fixed::<1>(sections), io, phase, GRID_SAMPLES),
        2 => Section::process_cascade(fixed::<2>(sections), io, phase, GRID_SAMPLES),
        3 => Section::process_cascade(fixed::<3>(sections), io, phase, GRID_SAMPLES),
        4 => Section::process_cascade(fixed::<4>(sections), io, phase, GRID_SAMPLES),
        5 => Section::process_cascade(fixed::<5>(sections), io, phase, GRID_SAMPLES),
        6 => Section::process_cascade(fixed::<6>(sections), io, phase, GRID_SAMPLES),
        7 => Section::process_cascade(fixed::<7>(sections), io, phase, GRID_SAMPLES),
        8 => Section::process_cascade(fixed::<8>(sections), io, phase, GRID_SAMPLES),
        n => unreachable!("{n} sections in one fused pass"),
    }
}

/// Filters `channels` through the settled `cascade`: a stereo block of finite samples with
/// at most [`MAX_FUSED_SECTIONS`] sections straight from and to `f32` in one pass, anything
/// else through [`process_buffered`].
#[inline(always)]
fn filter_settled(
    cascade: &mut [Section],
    channels: &mut [&mut [f32]],
    num_frames: usize,
    phase: usize,
) {
    match channels {
        [left, right]
            if cascade.len() <= MAX_FUSED_SECTIONS && all_finite(left) && all_finite(right) =>
        {
            run_fused(cascade, &mut StereoF32::new(left, right), phase);
        }
        _ => process_buffered(cascade, channels, num_frames, phase),
    }
}

/// [`filter_settled`] compiled for AVX: the same IEEE operations (bit-identical output; no
/// FMA), but three-operand encodings save the register copies two-operand SSE2 needs, about
/// a quarter of the cascade's instructions. Runtime dispatch is needed because the baseline
/// x86-64 target has only SSE2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn filter_settled_avx(
    cascade: &mut [Section],
    channels: &mut [&mut [f32]],
    num_frames: usize,
    phase: usize,
) {
    filter_settled(cascade, channels, num_frames, phase);
}

/// Whether the fused cascade may use AVX encodings (x86-64 CPUs with AVX).
fn detect_avx() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The settled path for mono blocks, blocks with non-finite samples and cascades longer than
/// [`MAX_FUSED_SECTIONS`]: spans of [`BUFFER_FRAMES`] converted to `f64` (non-finite samples
/// as 0), run through the cascade in groups, converted back.
#[inline(always)]
fn process_buffered(
    cascade: &mut [Section],
    channels: &mut [&mut [f32]],
    num_frames: usize,
    phase: usize,
) {
    let mut buffer = [[0.0f64; 2]; BUFFER_FRAMES];
    let mut start = 0;
    while start < num_frames {
        let len = (num_frames - start).min(BUFFER_FRAMES);
        let frames = &mut buffer[..len];
        read_frames(channels, start, frames);
        let span_phase = (phase + start) % GRID_SAMPLES;
        for group in cascade.chunks_mut(MAX_FUSED_SECTIONS) {
            run_fused(group, frames, span_phase);
        }
        write_frames(frames, channels, start);
        start += len;
    }
}

/// Copies `frames.len()` frames from `start` into the `f64` lanes (non-finite samples enter as
/// 0, as in the linear-phase path, so they never reach the section state; a mono block leaves
/// lane 1 at 0).
#[inline(always)]
fn read_frames(channels: &[&mut [f32]], start: usize, frames: &mut [[f64; 2]]) {
    let end = start + frames.len();
    for (ch, samples) in channels.iter().enumerate() {
        for (f, &s) in frames.iter_mut().zip(&samples[start..end]) {
            f[ch] = if s.is_finite() { f64::from(s) } else { 0.0 };
        }
    }
}

/// Writes `frames` back to `channels` from `start`.
#[inline(always)]
fn write_frames(frames: &[[f64; 2]], channels: &mut [&mut [f32]], start: usize) {
    for (ch, samples) in channels.iter_mut().enumerate() {
        for (f, s) in frames.iter().zip(&mut samples[start..start + frames.len()]) {
            *s = f[ch] as f32;
        }
    }
}

/// A clean stereo block as the `f64` frames of [`Section::process_cascade`].
struct StereoF32<'a> {
    /// Left samples, read and overwritten.
    left: &'a mut [f32],
    /// Right samples, exactly as long as `left` (made so by `new`).
    right: &'a mut [f32],
}

impl<'a> StereoF32<'a> {
    /// The first `left.len()` frames of `left` and `right`.
    ///
    /// # Panics
    /// If `right` is shorter than `left`.
    fn new(left: &'a mut [f32], right: &'a mut [f32]) -> Self {
        let right = &mut right[..left.len()];
        Self { left, right }
    }
}

impl CascadeIo for StereoF32<'_> {
    #[inline(always)]
    fn num_frames(&self) -> usize {
        // Always true; stated so the optimizer drops the bounds checks on `right`.
        assert_eq!(self.left.len(), self.right.len());
        self.left.len()
    }
    #[inline(always)]
    fn read(&self, i: usize) -> F64x2 {
        F64x2::from_f32(self.left[i], self.right[i])
    }
    #[inline(always)]
    fn write(&mut self, i: usize, frame: F64x2) {
        [self.left[i], self.right[i]] = frame.to_f32();
    }
}

#[cfg(test)]
mod tests {
    use super::settings::{BandKind, BandSettings, Slope};
    use super::*;
    use crate::signals::pink_noise;

    /// Settings with `num_bands` active bands (1 to 8 sections in all, high-pass slopes up to
    /// 48 dB/oct for the long cascades).
    fn settings(num_bands: usize, hp_slope: Slope) -> EqSettings {
        let band = |kind, freq_hz, gain_db, slope| BandSettings {
            kind,
            enabled: true,
            freq_hz,
            gain_db,
            q: 0.9,
            slope,
        };
        let all = [
            band(BandKind::HighPass, 40.0, 0.0, hp_slope),
            band(BandKind::LowShelf, 120.0, 3.0, Slope::Db12),
            band(BandKind::Bell, 700.0, -4.0, Slope::Db12),
            band(BandKind::HighShelf, 9_000.0, 2.0, Slope::Db12),
            band(BandKind::LowPass, 19_000.0, 0.0, Slope::Db24),
        ];
        let mut s = EqSettings::default();
        s.bands[..num_bands].copy_from_slice(&all[..num_bands]);
        s
    }

    fn settled_eq(settings: EqSettings, num_channels: usize, avx: bool) -> Eq {
        let mut eq = Eq::new(48_000.0, 512, num_channels);
        eq.set_settings(settings);
        eq.reset();
        eq.avx = avx && eq.avx;
        eq
    }

    fn bits(x: &[f32]) -> Vec<u32> {
        x.iter().map(|s| s.to_bits()).collect()
    }

    /// The fused settled path (straight, buffered, with and without AVX) gives the output of
    /// the interval-by-interval path bit for bit, for mono and stereo, cascades of 1 to 8
    /// sections and blocks with non-finite samples.
    #[test]
    fn settled_path_matches_moving_path_bit_for_bit() {
        let len = 5_000;
        let mut left = pink_noise(3, 0.5, len);
        let right = pink_noise(4, 0.5, len);
        left[1_234] = f32::NAN;
        left[3_000] = f32::INFINITY;
        let cases = [
            (1, Slope::Db12),
            (2, Slope::Db12),
            (4, Slope::Db12),
            (4, Slope::Db24),
            (5, Slope::Db48),
        ];
        for (num_bands, slope) in cases {
            for num_channels in [1, 2] {
                let s = settings(num_bands, slope);
                let mut reference = settled_eq(s, num_channels, false);
                let mut expected = [left.clone(), right.clone()];
                for (start, size) in (0..len).step_by(97).map(|i| (i, 97.min(len - i))) {
                    let [l, r] = &mut expected;
                    let mut block = [&mut l[start..start + size], &mut r[start..start + size]];
                    reference.process_moving(&mut block[..num_channels], size);
                }
                for avx in [false, true] {
                    let mut eq = settled_eq(s, num_channels, avx);
                    let mut out = [left.clone(), right.clone()];
                    for (start, size) in (0..len).step_by(300).map(|i| (i, 300.min(len - i))) {
                        let [l, r] = &mut out;
                        let mut block = [&mut l[start..start + size], &mut r[start..start + size]];
                        assert!(eq.bands.iter().all(Band::is_settled));
                        eq.process_settled(&mut block[..num_channels], size);
                    }
                    for ch in 0..num_channels {
                        assert_eq!(
                            bits(&out[ch]),
                            bits(&expected[ch]),
                            "{num_bands} bands, {slope:?}, {num_channels} channels, avx {avx}"
                        );
                    }
                }
            }
        }
    }
}
