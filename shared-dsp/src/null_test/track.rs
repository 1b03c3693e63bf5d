//! The signals the offline analysis reads: a stretch at a time, so a caller can keep long
//! programmes on disk (the CLI's null test does) instead of in memory.

/// A multichannel signal (the reference mix, or one delivered stem) that the offline null
/// test reads a stretch at a time. Every stage of [`super::analyze_tracks`] reads bounded
/// stretches or streams through the signal block by block, so an implementation may keep the
/// samples anywhere.
pub trait Track {
    /// Number of channels.
    fn num_channels(&self) -> usize;
    /// Length of the longest channel, samples.
    fn num_samples(&self) -> usize;
    /// Copies samples `start..start + out.len()` of channel `ch` into `out`, with zeros
    /// outside the channel (before 0, past its end, or a channel that does not exist).
    fn read(&self, ch: usize, start: isize, out: &mut [f64]);
    /// True when every sample of every channel is exactly zero.
    fn is_silent(&self) -> bool;
}

/// A [`Track`] held in memory: one slice per channel.
#[derive(Debug, Clone, Copy)]
pub struct SliceTrack<'a>(pub &'a [&'a [f32]]);

impl Track for SliceTrack<'_> {
    fn num_channels(&self) -> usize {
        self.0.len()
    }

    fn num_samples(&self) -> usize {
        self.0.iter().map(|c| c.len()).max().unwrap_or(0)
    }

    fn read(&self, ch: usize, start: isize, out: &mut [f64]) {
        out.fill(0.0);
        let Some(samples) = self.0.get(ch) else {
            return;
        };
        let first = (-start).max(0) as usize;
        if first >= out.len() {
            return;
        }
        let from = (start + first as isize) as usize;
        if from >= samples.len() {
            return;
        }
        let count = (out.len() - first).min(samples.len() - from);
        for (v, &s) in out[first..first + count]
            .iter_mut()
            .zip(&samples[from..from + count])
        {
            *v = f64::from(s);
        }
    }

    fn is_silent(&self) -> bool {
        self.0.iter().all(|c| c.iter().all(|&s| s == 0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_zeros_outside_the_channel() {
        let left = [1.0f32, 2.0, 3.0];
        let right = [4.0f32];
        let channels: [&[f32]; 2] = [&left, &right];
        let track = SliceTrack(&channels);
        assert_eq!(track.num_samples(), 3);
        let mut out = [9.0; 6];
        track.read(0, -2, &mut out);
        assert_eq!(out, [0.0, 0.0, 1.0, 2.0, 3.0, 0.0]);
        track.read(1, 0, &mut out);
        assert_eq!(out, [4.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        track.read(2, 0, &mut out);
        assert_eq!(out, [0.0; 6]);
        track.read(0, 7, &mut out);
        assert_eq!(out, [0.0; 6]);
        track.read(0, -9, &mut out);
        assert_eq!(out, [0.0; 6]);
        assert!(!track.is_silent());
        let silent: [&[f32]; 1] = [&[0.0, 0.0]];
        assert!(SliceTrack(&silent).is_silent());
    }
}
