//! Stemwise's processors: one processor per module, no plugin-framework types.
//!
//! Every processor follows one lifecycle: `new(sample_rate, max_block, num_channels)`
//! allocates and calls the updaters; `set_sample_rate()`, `set_*()` change settings;
//! `reset()` clears state without allocating; `process_block(..)` works in place on
//! `&mut [&mut [f32]]`; `latency_samples()` is a pure function of the settings.
//! The Stem Strip and Master Bus plugins and the `stemwise` CLI all call this code.

// Filter kernels, Gram matrices and per-channel state are indexed by tap, row and channel as
// in the formulas they implement; iterator chains would hide that correspondence.
#![allow(clippy::needless_range_loop)]

pub mod block;
pub mod bypass;
pub mod compressor;
pub mod crossover;
pub mod db;
pub mod delay;
pub mod dialogue_gate;
pub mod dither;
pub mod eq;
pub mod gain;
pub mod kaiser;
mod lanes;
pub mod limiter;
pub mod loudness;
pub mod master;
pub mod meter_transport;
pub mod multiband;
pub mod null_test;
pub mod oversampling;
pub mod params;
pub mod rate;
pub mod resample;
pub mod roles;
pub mod sanitize;
pub mod saturation;
pub mod signals;
pub mod smoother;
pub mod spectrum;
pub mod stereo_image;
pub mod strip;
pub mod targets;
pub mod true_peak;
