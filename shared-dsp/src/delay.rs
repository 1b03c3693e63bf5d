//! Latency-compensating delay line: delays each channel by a whole number of samples.
//!
//! Used for dry paths (bypass, parallel mix, delta) so they line up with a processed path
//! that has latency. A delay of 0 samples is an exact passthrough.

/// Ring room beyond the longest delay, samples: `process_block` copies runs of at least this
/// many samples (a ring only one longer than the delay would copy sample by sample).
const RUN_SAMPLES: usize = 256;

/// Fixed-capacity multichannel delay.
#[derive(Debug, Clone)]
pub struct DelayLine {
    /// One ring buffer per channel, each `max_delay_samples + RUN_SAMPLES` long (allocated in
    /// `new`).
    rings: Vec<Vec<f32>>,
    /// Longest delay (set by `new`).
    max_delay_samples: usize,
    /// Next write position in every ring.
    write_pos: usize,
    /// Current delay in samples (set by `set_delay_samples`).
    delay_samples: usize,
}

impl DelayLine {
    /// Allocates room for delays up to `max_delay_samples` on `num_channels` channels.
    pub fn new(num_channels: usize, max_delay_samples: usize) -> Self {
        Self {
            rings: vec![vec![0.0; max_delay_samples + RUN_SAMPLES]; num_channels],
            max_delay_samples,
            write_pos: 0,
            delay_samples: 0,
        }
    }

    /// Sets the delay, clamped to the capacity given to `new`. Clears the state.
    pub fn set_delay_samples(&mut self, delay_samples: usize) {
        self.delay_samples = delay_samples.min(self.max_delay_samples);
        self.reset();
    }

    /// The delay in samples.
    pub fn latency_samples(&self) -> usize {
        self.delay_samples
    }

    /// Clears the stored samples (never allocates).
    pub fn reset(&mut self) {
        for ring in &mut self.rings {
            ring.fill(0.0);
        }
        self.write_pos = 0;
    }

    /// Delays one sample of one channel; call for every channel, then [`Self::advance`].
    #[inline]
    pub fn tick(&mut self, channel: usize, input: f32) -> f32 {
        if self.delay_samples == 0 {
            return input;
        }
        let ring = &mut self.rings[channel];
        ring[self.write_pos] = input;
        let read = if self.write_pos >= self.delay_samples {
            self.write_pos - self.delay_samples
        } else {
            self.write_pos + ring.len() - self.delay_samples
        };
        ring[read]
    }

    /// Moves to the next sample frame after every channel has been ticked.
    #[inline]
    pub fn advance(&mut self) {
        if self.delay_samples != 0 {
            self.write_pos += 1;
            if self.write_pos == self.rings[0].len() {
                self.write_pos = 0;
            }
        }
    }

    /// Delays a block in place (same result as [`Self::tick`] per sample, done as copies).
    ///
    /// Within a run of `n ≤ len − delay` frames that does not wrap the write position, the
    /// whole run can be written into the ring before it is read: a read at frame `j` of the
    /// run touches position `w + j − delay`, which this run wrote only at frame `j − delay`
    /// (earlier, as the sequential order would), and never wraps onto a later write.
    pub fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        if self.delay_samples == 0 {
            return;
        }
        let num_frames = channels.first().map_or(0, |c| c.len());
        let len = self.rings.first().map_or(1, Vec::len);
        let max_run = len - self.delay_samples;
        let mut done = 0;
        while done < num_frames {
            let write = self.write_pos;
            let run = (num_frames - done).min(len - write).min(max_run);
            let read = (write + len - self.delay_samples) % len;
            let first = run.min(len - read);
            for (ring, samples) in self.rings.iter_mut().zip(channels.iter_mut()) {
                let samples = &mut samples[done..done + run];
                ring[write..write + run].copy_from_slice(samples);
                samples[..first].copy_from_slice(&ring[read..read + first]);
                samples[first..].copy_from_slice(&ring[..run - first]);
            }
            self.write_pos = (write + run) % len;
            done += run;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impulse_comes_out_after_delay() {
        let mut d = DelayLine::new(2, 100);
        d.set_delay_samples(37);
        let mut l = vec![0.0f32; 200];
        let mut r = vec![0.0f32; 200];
        l[0] = 1.0;
        r[5] = -1.0;
        for (lc, rc) in l.chunks_mut(13).zip(r.chunks_mut(13)) {
            d.process_block(&mut [lc, rc]);
        }
        assert_eq!(l.iter().position(|&x| x == 1.0), Some(37));
        assert_eq!(r.iter().position(|&x| x == -1.0), Some(42));
    }

    #[test]
    fn zero_delay_is_passthrough() {
        let mut d = DelayLine::new(1, 10);
        let mut x = vec![0.25f32, -0.5, 0.75];
        d.process_block(&mut [&mut x]);
        assert_eq!(x, vec![0.25, -0.5, 0.75]);
    }

    #[test]
    fn block_copies_equal_sample_ticks_for_any_split() {
        let input: Vec<f32> = (0..1000).map(|n| (n as f32 * 0.37).sin()).collect();
        for (capacity, delay) in [(10, 10), (10, 1), (64, 37), (300, 299), (5, 3)] {
            let mut ticked = DelayLine::new(1, capacity);
            ticked.set_delay_samples(delay);
            let expected: Vec<f32> = input
                .iter()
                .map(|&x| {
                    let y = ticked.tick(0, x);
                    ticked.advance();
                    y
                })
                .collect();
            for block in [1, 3, 7, 64, 333, 1000] {
                let mut blocked = DelayLine::new(1, capacity);
                blocked.set_delay_samples(delay);
                let mut out = input.clone();
                for chunk in out.chunks_mut(block) {
                    blocked.process_block(&mut [chunk]);
                }
                assert_eq!(
                    out, expected,
                    "capacity {capacity}, delay {delay}, block {block}"
                );
            }
        }
    }
}
