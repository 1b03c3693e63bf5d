//! Helpers shared by the limiter test binaries (each binary declares the `AllocDisabler`
//! global allocator, so every `process_block` here runs under `assert_no_alloc`).

#![allow(dead_code)] // each test binary uses a different subset of these helpers

pub mod programme;
pub mod stress;

use assert_no_alloc::assert_no_alloc;
use shared_dsp::limiter::{Limiter, LimiterSettings};

/// Runs `limiter` over stereo `left`/`right` copies, in blocks whose sizes cycle through
/// `block_sizes`, and returns the processed channels.
pub fn run_stereo(
    limiter: &mut Limiter,
    left: &[f32],
    right: &[f32],
    block_sizes: &[usize],
) -> (Vec<f32>, Vec<f32>) {
    let mut l = left.to_vec();
    let mut r = right.to_vec();
    let mut start = 0;
    let mut i = 0;
    while start < l.len() {
        let end = (start + block_sizes[i % block_sizes.len()]).min(l.len());
        let (lc, rc) = (&mut l[start..end], &mut r[start..end]);
        assert_no_alloc(|| limiter.process_block(&mut [lc, rc]));
        start = end;
        i += 1;
    }
    (l, r)
}

/// A stereo limiter at `sample_rate_hz` with `settings`, processing blocks up to 512 frames.
pub fn limiter(sample_rate_hz: f32, settings: LimiterSettings) -> Limiter {
    let mut limiter = Limiter::new(sample_rate_hz, 512, 2);
    limiter.set_settings(settings);
    limiter
}

/// `signal` followed by `num_zeros` zeros (flushes the limiter's latency).
pub fn with_tail(signal: &[f32], num_zeros: usize) -> Vec<f32> {
    let mut v = signal.to_vec();
    v.resize(signal.len() + num_zeros, 0.0);
    v
}
