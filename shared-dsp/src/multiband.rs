//! Three-band compressor: a Linkwitz–Riley crossover, one [`Compressor`] per band, and the sum.
//!
//! ```text
//!        ┌─ low  ── Compressor[0] ─┐
//! x ── crossover ─ mid  ── Compressor[1] ─ + ── y
//!        └─ high ── Compressor[2] ─┘
//! ```
//!
//! With no band compressing (every band's reduction 0, makeup 0 dB) the output is the
//! crossover's allpass sum: flat magnitude (see [`crate::crossover`]), bit-identical to the
//! input in level but not in phase. Every band compressor has latency 0, so the bands stay
//! aligned and each band's dry/wet mix stays phase-coherent with the others.
//!
//! Lanes (conventions §5): the crossover frequencies are coefficient-lane parameters
//! (smoothed, [`Crossover`]); each band's settings follow the compressor's lanes
//! ([`crate::compressor`]: makeup and mix per-sample smoothed, the rest coefficients).
//! No structural lane: latency is always 0.
//!
//! Buffers: three stereo band buffers of `max_block` frames are allocated in [`new`]; longer
//! host blocks are processed in chunks of `max_block` frames (the crossover's smoothing grid
//! and the compressors run per sample, so the output does not depend on the chunking).
//!
//! [`new`]: MultibandCompressor::new

use crate::block::{for_each_chunk, MAX_PATH_CHANNELS};
use crate::compressor::{Compressor, CompressorSettings};
use crate::crossover::{Band, Crossover, CrossoverSettings, NUM_BANDS};

/// Multiband compressor settings (set by the plugin or CLI; clamped on use).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MultibandSettings {
    /// Low/mid crossover in Hz, in [`crate::crossover::LOW_HZ_RANGE`] (coefficient lane,
    /// smoothed).
    pub low_hz: f32,
    /// Mid/high crossover in Hz, in [`crate::crossover::HIGH_HZ_RANGE`] and at least
    /// [`crate::crossover::MIN_HIGH_TO_LOW_RATIO`] times `low_hz` (coefficient lane,
    /// smoothed).
    pub high_hz: f32,
    /// Compressor settings of the low, mid and high band (index = [`Band`] as usize); each
    /// field in its compressor lane. Shared controls (attack, release, knee, detector, link)
    /// are copied into all three by the caller.
    pub bands: [CompressorSettings; NUM_BANDS],
}

impl Default for MultibandSettings {
    fn default() -> Self {
        let crossover = CrossoverSettings::default();
        Self {
            low_hz: crossover.low_hz,
            high_hz: crossover.high_hz,
            bands: [CompressorSettings::default(); NUM_BANDS],
        }
    }
}

impl MultibandSettings {
    /// The crossover part of these settings.
    pub fn crossover(&self) -> CrossoverSettings {
        CrossoverSettings {
            low_hz: self.low_hz,
            high_hz: self.high_hz,
        }
    }

    /// Settings of one band.
    pub fn band(&self, band: Band) -> &CompressorSettings {
        &self.bands[band as usize]
    }
}

/// The multiband compressor processor (see the module documentation).
#[derive(Debug, Clone)]
pub struct MultibandCompressor {
    /// Settings last passed to `set_settings` (unsanitized; each part sanitizes its own).
    settings: MultibandSettings,
    /// Band splitter (its own smoothing and `f64` state).
    crossover: Crossover,
    /// One compressor per band, low to high.
    compressors: [Compressor; NUM_BANDS],
    /// Band signals of the current chunk, `[band][channel][frame]`, `max_block` frames each
    /// (allocated by `new`).
    band_buffers: [[Vec<f32>; MAX_PATH_CHANNELS]; NUM_BANDS],
    /// Frames per chunk (set by `new`, ≥ 1).
    max_block: usize,
    /// Channels processed, 1 or 2 (set by `new`).
    num_channels: usize,
    /// Sample rate in Hz (set by `new`, `set_sample_rate`).
    sample_rate_hz: f32,
    /// Largest reduction per band over the last `process_block` call in dB, for meters.
    block_reduction_db: [f32; NUM_BANDS],
}

impl MultibandCompressor {
    /// A multiband compressor with default settings for `num_channels` (1 or 2) channels,
    /// with band buffers of `max_block` frames (larger blocks are processed in chunks).
    ///
    /// # Panics
    /// If `num_channels` is 0 or greater than 2.
    pub fn new(sample_rate_hz: f32, max_block: usize, num_channels: usize) -> Self {
        let sample_rate_hz = crate::rate::clamp_hz_f32(sample_rate_hz);
        assert!(
            (1..=MAX_PATH_CHANNELS).contains(&num_channels),
            "the multiband compressor handles 1 or 2 channels, not {num_channels}"
        );
        let max_block = max_block.max(1);
        let settings = MultibandSettings::default();
        let mut multiband = Self {
            settings,
            crossover: Crossover::new(f64::from(sample_rate_hz), settings.crossover()),
            compressors: std::array::from_fn(|_| {
                Compressor::new(sample_rate_hz, max_block, num_channels)
            }),
            band_buffers: std::array::from_fn(|_| std::array::from_fn(|_| vec![0.0; max_block])),
            max_block,
            num_channels,
            sample_rate_hz,
            block_reduction_db: [0.0; NUM_BANDS],
        };
        multiband.set_sample_rate(sample_rate_hz);
        multiband.set_settings(settings);
        multiband.reset();
        multiband
    }

    /// Changes the sample rate: redesigns everything and clears all state (plugins call this
    /// from `initialize`). Never allocates.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        let sample_rate_hz = crate::rate::clamp_hz_f32(sample_rate_hz);
        self.sample_rate_hz = sample_rate_hz;
        self.crossover.set_sample_rate(f64::from(sample_rate_hz));
        for c in &mut self.compressors {
            c.set_sample_rate(sample_rate_hz);
        }
        self.reset();
    }

    /// New settings. Crossover frequencies glide (see [`Crossover::set_settings`]); band
    /// settings follow [`Compressor::set_settings`]. Never allocates.
    pub fn set_settings(&mut self, settings: MultibandSettings) {
        self.settings = settings;
        self.crossover.set_settings(settings.crossover());
        for (c, s) in self.compressors.iter_mut().zip(settings.bands) {
            c.set_settings(s);
        }
    }

    /// The settings last passed to [`Self::set_settings`].
    pub fn settings(&self) -> &MultibandSettings {
        &self.settings
    }

    /// Clears the crossover and detector state and jumps every smoother to its target
    /// (never allocates).
    pub fn reset(&mut self) {
        self.crossover.reset();
        self.compressors.iter_mut().for_each(Compressor::reset);
        self.block_reduction_db = [0.0; NUM_BANDS];
    }

    /// Latency in samples: always 0 (crossover and band compressors have none).
    pub fn latency_samples(&self) -> usize {
        0
    }

    /// Largest gain reduction per band (low, mid, high) over the last `process_block` call,
    /// in dB (≥ 0, makeup not included), for meters.
    pub fn gain_reduction_db(&self) -> [f32; NUM_BANDS] {
        self.block_reduction_db
    }

    /// The crossover (GUI curves: [`Crossover::band_response`]).
    pub fn crossover(&self) -> &Crossover {
        &self.crossover
    }

    /// The compressor of one band (static curve, state for diagnostics).
    pub fn compressor(&self, band: Band) -> &Compressor {
        &self.compressors[band as usize]
    }

    /// Linear magnitude of `band`'s crossover filter at `freq_hz` for the target settings
    /// (compression not included).
    pub fn band_response(&self, band: Band, freq_hz: f64) -> f64 {
        self.crossover.band_response(band, freq_hz)
    }

    /// Splits, compresses and sums `channels` (1 or 2, equal lengths, any length) in place.
    /// Channels beyond the count given to `new` are left untouched. Non-finite input samples
    /// are processed as 0. Never allocates.
    pub fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        let num_channels = channels.len().min(self.num_channels);
        let mut reduction_db = [0.0f32; NUM_BANDS];
        let Self {
            crossover,
            compressors,
            band_buffers,
            max_block,
            ..
        } = self;
        for_each_chunk(&mut channels[..num_channels], *max_block, |chunk| {
            let num_frames = chunk.first().map_or(0, |c| c.len());
            let [low, mid, high] = &mut *band_buffers;
            let mut low = band_slices(low, num_frames);
            let mut mid = band_slices(mid, num_frames);
            let mut high = band_slices(high, num_frames);
            crossover.split_block(
                chunk,
                &mut low[..num_channels],
                &mut mid[..num_channels],
                &mut high[..num_channels],
            );
            for ((compressor, band), reduction_db) in compressors
                .iter_mut()
                .zip([&mut low, &mut mid, &mut high])
                .zip(&mut reduction_db)
            {
                compressor.process_block(&mut band[..num_channels]);
                *reduction_db = reduction_db.max(compressor.gain_reduction_db());
            }
            for (ch, out) in chunk.iter_mut().enumerate() {
                for (((y, &l), &m), &h) in
                    out.iter_mut().zip(&*low[ch]).zip(&*mid[ch]).zip(&*high[ch])
                {
                    *y = l + m + h;
                }
            }
        });
        self.block_reduction_db = reduction_db;
    }
}

/// The first `num_frames` frames of each channel of one band buffer.
fn band_slices(
    buffer: &mut [Vec<f32>; MAX_PATH_CHANNELS],
    num_frames: usize,
) -> [&mut [f32]; MAX_PATH_CHANNELS] {
    let [left, right] = buffer;
    [&mut left[..num_frames], &mut right[..num_frames]]
}
