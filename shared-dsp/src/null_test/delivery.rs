//! Time-aligned access to the delivered stems.

/// The delivered stems as the analysis sees them: each stem shifted so it lines up with the
/// reference, and flipped by the delivery's polarity.
pub(crate) struct Delivery<'a> {
    /// Stems, each a list of channels (set by the caller of `analyze`).
    pub stems: &'a [&'a [&'a [f32]]],
    /// Per-stem read offset in samples: stem sample `n + shift` lines up with reference `n`.
    pub shifts_samples: Vec<isize>,
    /// +1.0, or -1.0 when the whole delivery is inverted.
    pub polarity: f64,
}

impl Delivery<'_> {
    /// Aligned sample `n` (reference time, may be negative) of channel `ch` of stem `i`
    /// (0 outside the stem; a mono stem feeds every channel).
    #[inline]
    pub fn stem(&self, i: usize, ch: usize, n: isize) -> f64 {
        let channels = self.stems[i];
        let Some(samples) = channels.get(ch.min(channels.len().saturating_sub(1))) else {
            return 0.0;
        };
        let t = n + self.shifts_samples[i];
        if t < 0 {
            return 0.0;
        }
        samples
            .get(t as usize)
            .map_or(0.0, |&s| self.polarity * s as f64)
    }

    /// Aligned sum of all stems.
    #[inline]
    pub fn sum(&self, ch: usize, n: isize) -> f64 {
        (0..self.stems.len()).map(|i| self.stem(i, ch, n)).sum()
    }

    /// Copies `out.len()` aligned samples of channel `ch` of stem `i` from reference time
    /// `start` into `out` (zeros outside the stem), faster than per-sample [`Self::stem`].
    pub fn copy_stem(&self, i: usize, ch: usize, start: isize, out: &mut [f64]) {
        out.fill(0.0);
        let channels = self.stems[i];
        let Some(samples) = channels.get(ch.min(channels.len().saturating_sub(1))) else {
            return;
        };
        let t0 = start + self.shifts_samples[i];
        let first = (-t0).max(0) as usize;
        for (m, v) in out.iter_mut().enumerate().skip(first) {
            match samples.get((t0 + m as isize) as usize) {
                Some(&s) => *v = self.polarity * s as f64,
                None => break,
            }
        }
    }

    /// True when stem `i` holds only zeros.
    pub fn is_silent(&self, i: usize) -> bool {
        self.stems[i].iter().all(|c| c.iter().all(|&s| s == 0.0))
    }
}
