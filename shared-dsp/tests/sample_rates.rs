//! Every chain the plugins run, at every sample rate a host may ask for within
//! [`shared_dsp::rate`]'s range (the odd rates Steinberg's VST3 validator uses, 8 kHz telephone
//! rates, 768 kHz interfaces, the validator's 1.23 MHz): finite, bounded output and the
//! reported latency proven by an impulse. Run:
//! `cargo test -p shared-dsp --profile harness --test sample_rates`.

#[path = "../benches/common/mod.rs"]
mod common;

use common::{master_settings, strip_settings};
use shared_dsp::bypass::BypassMixer;
use shared_dsp::eq::settings::PhaseMode;
use shared_dsp::loudness::LoudnessMeter;
use shared_dsp::master::{MasterChain, MasterSettings};
use shared_dsp::rate::{MAX_RATE_HZ, MIN_RATE_HZ};
use shared_dsp::signals::pink_noise;
use shared_dsp::strip::{StripChain, StripSettings};

/// The rates checked, Hz: the range's ends, Steinberg's validator's odd rates, and the usual.
const RATES_HZ: [f64; 13] = [
    MIN_RATE_HZ,
    1_234.567_8,
    8_000.0,
    11_025.0,
    12_345.678,
    22_050.0,
    44_100.0,
    123_456.78,
    384_000.0,
    768_000.0,
    1_000_000.0,
    1_234_567.8,
    MAX_RATE_HZ,
];

/// Host block sizes, cycled (odd, tiny and larger than the chains' `max_block`).
const BLOCKS: [usize; 5] = [1, 333, 64, 4096, 17];
/// `max_block` the chains are built with.
const MAX_BLOCK: usize = 1024;

/// Runs `process` over `channels` in blocks cycling through [`BLOCKS`], splitting at
/// [`MAX_BLOCK`] as the plugins do.
fn run(channels: &mut [Vec<f32>; 2], mut process: impl FnMut(&mut [&mut [f32]])) {
    let (left, right) = channels.split_at_mut(1);
    let (left, right) = (&mut left[0], &mut right[0]);
    let (mut start, mut k) = (0, 0);
    while start < left.len() {
        let end = (start + BLOCKS[k % BLOCKS.len()].min(MAX_BLOCK)).min(left.len());
        process(&mut [&mut left[start..end], &mut right[start..end]]);
        (start, k) = (end, k + 1);
    }
}

/// Loud stereo pink noise, a quarter of a second at `rate_hz` (at least 4096 frames).
fn programme(rate_hz: f64) -> [Vec<f32>; 2] {
    let len = ((rate_hz * 0.25) as usize).max(4096);
    [pink_noise(3, 0.9, len), pink_noise(4, 0.9, len)]
}

/// Asserts every sample is finite and below +12 dBFS.
fn assert_sane(what: &str, rate_hz: f64, channels: &[Vec<f32>; 2]) {
    for channel in channels {
        assert!(
            channel.iter().all(|s| s.is_finite()),
            "{what} at {rate_hz} Hz: non-finite output"
        );
        let peak = channel.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!(peak < 4.0, "{what} at {rate_hz} Hz: peak {peak}");
    }
}

/// The index of the first sample of `channel` that is not (almost) zero.
fn first_sound(channel: &[f32]) -> Option<usize> {
    channel.iter().position(|s| s.abs() > 0.05)
}

/// An impulse through `process` comes out `latency` samples later (transparent settings).
fn assert_latency(
    what: &str,
    rate_hz: f64,
    latency: usize,
    process: impl FnMut(&mut [&mut [f32]]),
) {
    let len = latency + 4096;
    let mut channels = [vec![0.0; len], vec![0.0; len]];
    channels[0][10] = 1.0;
    channels[1][10] = -1.0;
    run(&mut channels, process);
    assert_eq!(
        first_sound(&channels[0]),
        Some(10 + latency),
        "{what} at {rate_hz} Hz"
    );
}

fn strip(rate_hz: f64, settings: StripSettings) -> StripChain {
    let mut chain = StripChain::new(rate_hz, MAX_BLOCK, 2);
    chain.set_settings(settings);
    chain.reset();
    chain
}

fn master(rate_hz: f64, settings: MasterSettings) -> MasterChain {
    let mut chain = MasterChain::new(rate_hz, MAX_BLOCK, 2);
    chain.set_settings(settings);
    chain.reset();
    chain
}

#[test]
fn stem_strip_at_every_rate() {
    for rate_hz in RATES_HZ {
        for (multiband, phase) in [(false, PhaseMode::Minimum), (true, PhaseMode::Linear)] {
            let mut settings = strip_settings(multiband, true);
            settings.eq.phase = phase;
            let mut chain = strip(rate_hz, settings);
            let mut audio = programme(rate_hz);
            run(&mut audio, |c| chain.process_block(c));
            assert_sane(&format!("strip {phase:?}"), rate_hz, &audio);
        }
        for phase in [PhaseMode::Minimum, PhaseMode::Linear] {
            let mut settings = StripSettings::default();
            settings.eq.phase = phase;
            let mut chain = strip(rate_hz, settings);
            let latency = chain.latency_samples();
            assert!(latency <= StripChain::max_latency_samples(rate_hz));
            assert_latency(&format!("strip {phase:?}"), rate_hz, latency, |c| {
                chain.process_block(c)
            });
        }
    }
}

#[test]
fn master_bus_at_every_rate() {
    for rate_hz in RATES_HZ {
        for phase in [PhaseMode::Minimum, PhaseMode::Linear] {
            let mut settings = master_settings();
            settings.eq.phase = phase;
            let mut chain = master(rate_hz, settings);
            let mut audio = programme(rate_hz);
            run(&mut audio, |c| chain.process_block(c));
            assert_sane(&format!("master {phase:?}"), rate_hz, &audio);

            let mut settings = MasterSettings::default();
            settings.eq.phase = phase;
            let mut chain = master(rate_hz, settings);
            let latency = chain.latency_samples();
            assert!(latency <= MasterChain::max_latency_samples(rate_hz));
            assert_latency(&format!("master {phase:?}"), rate_hz, latency, |c| {
                chain.process_block(c)
            });
        }
    }
}

#[test]
fn meters_and_bypass_at_every_rate() {
    for rate_hz in RATES_HZ {
        let mut meter = LoudnessMeter::new(rate_hz, MAX_BLOCK, 2);
        let mut audio = programme(rate_hz);
        run(&mut audio, |c| {
            let shared: [&[f32]; 2] = [&*c[0], &*c[1]];
            meter.process_block(&shared);
        });
        let readings = meter.readings();
        for value in [readings.momentary_lufs, readings.true_peak_dbtp] {
            assert!(value.is_finite(), "meter at {rate_hz} Hz: {readings:?}");
        }
        let mut bypass = BypassMixer::new(rate_hz as f32, MAX_BLOCK, 2, 100);
        bypass.set_latency_samples(37);
        bypass.set_bypassed(true);
        bypass.reset();
        assert_latency("bypass", rate_hz, 37, |c| {
            bypass.capture_dry(c);
            bypass.mix(c);
        });
    }
}

#[test]
fn constructors_clamp_rates_outside_the_range_instead_of_panicking() {
    for rate_hz in [0.0, 1.0, -44_100.0, f64::NAN, f64::INFINITY, 1e9] {
        let mut audio = [vec![0.25; 600], vec![-0.25; 600]];
        let mut strip = StripChain::new(rate_hz, MAX_BLOCK, 2);
        let mut master = MasterChain::new(rate_hz, MAX_BLOCK, 2);
        let mut meter = LoudnessMeter::new(rate_hz, MAX_BLOCK, 2);
        run(&mut audio, |c| {
            strip.process_block(c);
            master.process_block(c);
            let shared: [&[f32]; 2] = [&*c[0], &*c[1]];
            meter.process_block(&shared);
        });
        assert_sane("clamped chains", rate_hz, &audio);
    }
}
