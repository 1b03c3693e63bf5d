//! Audio-thread → GUI meter values: scalars as atomics, written once per block.

use atomic_float::AtomicF32;
use shared_dsp::db::{gain_to_db, MIN_DB};
use std::sync::atomic::Ordering;

/// Peak level of a stereo path, published by the audio thread once per block.
#[derive(Debug)]
pub struct PeakMeter {
    /// Highest absolute sample since the GUI last took it, per channel (linear).
    peak_gain: [AtomicF32; 2],
}

impl Default for PeakMeter {
    fn default() -> Self {
        Self {
            peak_gain: [AtomicF32::new(0.0), AtomicF32::new(0.0)],
        }
    }
}

impl PeakMeter {
    /// Audio thread: folds the block's peak into the held value (lock- and allocation-free).
    pub fn publish(&self, channels: &[&mut [f32]]) {
        for (slot, samples) in self.peak_gain.iter().zip(channels.iter()) {
            let block_peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
            slot.fetch_max(block_peak, Ordering::Relaxed);
        }
    }

    /// GUI thread: takes the peaks held since the last call, in dBFS, and clears them.
    pub fn take_db(&self) -> [f32; 2] {
        [0, 1].map(|ch| gain_to_db(self.peak_gain[ch].swap(0.0, Ordering::Relaxed)))
    }
}

/// Peak-hold ballistics for the GUI: instant attack, fall of [`PEAK_FALL_DB_PER_S`].
#[derive(Debug, Clone, Copy)]
pub struct PeakDisplay {
    /// Displayed level per channel, dBFS.
    pub level_db: [f32; 2],
}

/// How fast a displayed peak falls, in dB per second (IEC 60268-18 style PPM fall-back).
pub const PEAK_FALL_DB_PER_S: f32 = 20.0;

impl Default for PeakDisplay {
    fn default() -> Self {
        Self {
            level_db: [MIN_DB; 2],
        }
    }
}

impl PeakDisplay {
    /// Updates the display with newly taken peaks after `dt_s` seconds.
    pub fn update(&mut self, new_peaks_db: [f32; 2], dt_s: f32) {
        for (shown, new) in self.level_db.iter_mut().zip(new_peaks_db) {
            *shown = new.max(*shown - PEAK_FALL_DB_PER_S * dt_s).max(MIN_DB);
        }
    }
}
