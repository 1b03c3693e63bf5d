//! Time-aligned access to the delivered stems.

use super::track::Track;

/// The delivered stems as the analysis sees them: each stem shifted so it lines up with the
/// reference, and flipped by the delivery's polarity.
pub(crate) struct Delivery<'a> {
    /// Stems (set by the caller of `analyze_tracks`).
    pub stems: &'a [&'a dyn Track],
    /// Per-stem read offset in samples: stem sample `n + shift` lines up with reference `n`.
    pub shifts_samples: Vec<isize>,
    /// +1.0, or -1.0 when the whole delivery is inverted.
    pub polarity: f64,
}

impl Delivery<'_> {
    /// Copies `out.len()` aligned samples of channel `ch` of stem `i` from reference time
    /// `start` into `out` (zeros outside the stem; a mono stem feeds every channel).
    pub fn copy_stem(&self, i: usize, ch: usize, start: isize, out: &mut [f64]) {
        let stem = self.stems[i];
        let ch = ch.min(stem.num_channels().saturating_sub(1));
        stem.read(ch, start + self.shifts_samples[i], out);
        if self.polarity != 1.0 {
            out.iter_mut().for_each(|v| *v *= self.polarity);
        }
    }

    /// The aligned sum of all stems, channel `ch`, from reference time `start` into `out`;
    /// `scratch` (as long as `out`) is overwritten.
    pub fn sum_into(&self, ch: usize, start: isize, out: &mut [f64], scratch: &mut [f64]) {
        out.fill(0.0);
        for i in 0..self.stems.len() {
            self.copy_stem(i, ch, start, scratch);
            out.iter_mut().zip(&*scratch).for_each(|(v, s)| *v += s);
        }
    }

    /// The aligned mono (channel) sum of stem `i`, or of every stem (`None`), over
    /// `num_channels` channels from reference time `start` into `out`; `scratch` (as long as
    /// `out`) is overwritten.
    pub fn mono_into(
        &self,
        stem: Option<usize>,
        num_channels: usize,
        start: isize,
        out: &mut [f64],
        scratch: &mut [f64],
    ) {
        out.fill(0.0);
        let stems = stem.map_or(0..self.stems.len(), |i| i..i + 1);
        for ch in 0..num_channels {
            for i in stems.clone() {
                self.copy_stem(i, ch, start, scratch);
                out.iter_mut().zip(&*scratch).for_each(|(v, s)| *v += s);
            }
        }
    }

    /// Length of the longest stem, samples.
    pub fn len(&self) -> usize {
        self.stems
            .iter()
            .map(|s| s.num_samples())
            .max()
            .unwrap_or(0)
    }

    /// True when stem `i` holds only zeros.
    pub fn is_silent(&self, i: usize) -> bool {
        self.stems[i].is_silent()
    }
}
