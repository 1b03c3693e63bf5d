//! Stemwise's processors: one processor per module, no plugin-framework types.
//!
//! Every processor follows one lifecycle: `new(sample_rate, max_block, num_channels)`
//! allocates and calls the updaters; `set_sample_rate()`, `set_*()` change settings;
//! `reset()` clears state without allocating; `process_block(..)` works in place on
//! `&mut [&mut [f32]]`; `latency_samples()` is a pure function of the settings.
//! The Stem Strip and Master Bus plugins and the `stemwise` CLI all call this code.

pub mod block;
pub mod bypass;
pub mod db;
pub mod delay;
pub mod gain;
pub mod sanitize;
pub mod signals;
pub mod smoother;
pub mod true_peak;
pub mod eq;
pub mod limiter;
pub mod null_test;
pub mod dither;
pub mod resample;
pub mod meter_transport;
pub mod compressor;
pub mod oversampling;
pub mod loudness;
pub mod saturation;
