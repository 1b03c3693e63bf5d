//! The Stem Strip chain at the DSP level: default settings are bit-exact after the latency
//! (signed zeros and subnormals included), and the latency is the stages' sum.

use shared_dsp::eq::settings::PhaseMode;
use shared_dsp::signals::pink_noise;
use shared_dsp::strip::{StripChain, StripSettings};

/// Pink noise with the awkward values a bit-exact path must keep: ±0, ±1, subnormals.
fn awkward(seed: u64, num_frames: usize) -> Vec<f32> {
    let mut x = pink_noise(seed, 0.5, num_frames);
    for (i, v) in [1.0, -1.0, 1e-40, -1e-40, 0.0, -0.0, f32::MIN_POSITIVE]
        .into_iter()
        .enumerate()
    {
        x[10 + i] = v;
        x[5000 + 3 * i] = v;
    }
    x
}

#[test]
fn defaults_are_bit_exact_after_the_latency() {
    for rate_hz in [44_100.0, 48_000.0, 96_000.0] {
        let mut chain = StripChain::new(rate_hz, 512, 2);
        let latency = chain.latency_samples();
        let input = [awkward(1, 20_000), awkward(2, 20_000)];
        let mut out = input.clone();
        for start in (0..20_000).step_by(512) {
            let end = (start + 512).min(20_000);
            let [l, r] = &mut out;
            chain.process_block(&mut [&mut l[start..end], &mut r[start..end]]);
        }
        for ch in 0..2 {
            for i in latency..20_000 {
                assert_eq!(
                    out[ch][i].to_bits(),
                    input[ch][i - latency].to_bits(),
                    "{rate_hz} Hz, channel {ch}, frame {i} (latency {latency})"
                );
            }
        }
    }
}

#[test]
fn latency_is_the_sum_of_the_eq_and_saturation() {
    let mut chain = StripChain::new(48_000.0, 512, 2);
    let minimum = chain.latency_samples();
    let mut settings = StripSettings::default();
    settings.eq.phase = PhaseMode::Linear;
    chain.set_settings(settings);
    let linear = chain.latency_samples();
    assert_eq!(linear - minimum, chain.eq().latency_samples());
    assert!(linear <= StripChain::max_latency_samples(48_000.0));
}
