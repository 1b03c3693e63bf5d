//! Generic checks on both plugins: sample rates, block-size invariance, transparency at
//! defaults, the stem null and latency by impulse. Parameters come from the params extension.

use stemwise_tests::bundles::{ALL_PLUGIN_IDS, STEM_STRIP_ID};
use stemwise_tests::checks::{
    all_finite, delayed, first_bit_difference, impulse, peak_index, pink, random_block_sizes,
    render, SAMPLE_RATES_HZ,
};
use stemwise_tests::params::{bypass_param, generic_settings, random_setting, NamedSetting};
use stemwise_tests::{ParamEvent, PluginUnderTest};

/// Seed of the random parameter settings.
const SETTINGS_SEED: u64 = 0x5EED;

/// The generic settings of one plugin (defaults, random, all-min, all-max).
fn settings_of(plugin_id: &str) -> Vec<NamedSetting> {
    let plugin = PluginUnderTest::open_inactive(plugin_id, 2).unwrap();
    generic_settings(plugin.params(), SETTINGS_SEED)
}

#[test]
fn every_sample_rate_activates_and_stays_finite() {
    let mut cases = 0;
    for id in ALL_PLUGIN_IDS {
        for setting in settings_of(id) {
            for rate in SAMPLE_RATES_HZ {
                let input = pink(3, -6.0, 2, 2048);
                let out = render(id, rate, 512, &setting.values, &input, &[512], &[]).unwrap();
                assert!(all_finite(&out), "{id} {} at {rate} Hz", setting.name);
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 2 * 4 * SAMPLE_RATES_HZ.len());
}

#[test]
fn output_is_identical_for_every_block_size() {
    const NUM_FRAMES: usize = 12_000;
    for id in ALL_PLUGIN_IDS {
        let params = PluginUnderTest::open_inactive(id, 2)
            .unwrap()
            .params()
            .to_vec();
        // Sample-accurate automation in the middle of the signal must not depend on blocks.
        let changes = random_setting(&params, 99);
        // Spread over the middle half of the signal, whatever the number of parameters.
        let spacing = NUM_FRAMES / 2 / changes.len().max(1);
        let automation: Vec<ParamEvent> = changes
            .into_iter()
            .enumerate()
            .map(|(i, (param, value))| ParamEvent {
                sample: NUM_FRAMES / 4 + 1 + spacing * i,
                id: param,
                value,
            })
            .collect();
        let input = pink(7, -6.0, 2, NUM_FRAMES);
        for setting in settings_of(id) {
            let reference = render(
                id,
                48_000.0,
                NUM_FRAMES,
                &setting.values,
                &input,
                &[NUM_FRAMES],
                &automation,
            )
            .unwrap();
            assert!(all_finite(&reference));
            let random = random_block_sizes(11, NUM_FRAMES, 8192);
            let patterns: [&[usize]; 7] = [&[1], &[7], &[64], &[512], &[4096], &[8192], &random];
            for blocks in patterns {
                let out = render(
                    id,
                    48_000.0,
                    NUM_FRAMES,
                    &setting.values,
                    &input,
                    blocks,
                    &automation,
                )
                .unwrap();
                assert_eq!(
                    first_bit_difference(&out, &reference),
                    None,
                    "{id} {} blocks {:?}",
                    setting.name,
                    &blocks[..blocks.len().min(4)]
                );
            }
        }
    }
}

/// Pink noise with full-scale, tiny and denormal samples mixed in.
fn awkward_input(num_channels: usize, num_frames: usize) -> Vec<Vec<f32>> {
    let mut x = pink(21, -1.0, num_channels, num_frames);
    for channel in &mut x {
        channel[10] = 1.0;
        channel[11] = -1.0;
        channel[12] = 1e-40;
        channel[13] = -f32::MIN_POSITIVE;
        channel[14] = 0.0;
        channel[15] = -0.0;
    }
    x
}

#[test]
fn defaults_are_bit_transparent_up_to_latency_but_for_subnormals() {
    for (id, channels) in [
        (ALL_PLUGIN_IDS[0], 2),
        (ALL_PLUGIN_IDS[0], 1),
        (ALL_PLUGIN_IDS[1], 2),
    ] {
        let mut plugin = PluginUnderTest::open(id, 48_000.0, 1024, channels).unwrap();
        let latency = plugin.latency().unwrap() as usize;
        let input = awkward_input(channels, 24_000);
        let mut out = input.clone();
        plugin.process(&mut out, &[1024], &[]).unwrap();
        // Subnormal input is read as silence (shared_dsp::sanitize); every other sample,
        // ±0 and the smallest normal one included, comes out bit for bit.
        let expected: Vec<Vec<f32>> = input
            .iter()
            .map(|c| {
                c.iter()
                    .map(|&s| if s.is_subnormal() { 0.0 } else { s })
                    .collect()
            })
            .collect();
        assert_eq!(
            first_bit_difference(&out, &delayed(&expected, latency)),
            None,
            "{id} ({channels} ch, latency {latency})"
        );
    }
}

#[test]
fn four_stems_through_default_strips_null_exactly() {
    const NUM_FRAMES: usize = 24_000;
    let mut plain_sum = vec![vec![0.0f32; NUM_FRAMES]; 2];
    let mut strip_sum = vec![vec![0.0f32; NUM_FRAMES]; 2];
    for seed in 1..=4u64 {
        let stem = pink(seed, -6.0 - seed as f64, 2, NUM_FRAMES);
        let out = render(STEM_STRIP_ID, 48_000.0, 512, &[], &stem, &[512], &[]).unwrap();
        for ch in 0..2 {
            for i in 0..NUM_FRAMES {
                plain_sum[ch][i] += stem[ch][i];
                strip_sum[ch][i] += out[ch][i];
            }
        }
    }
    let latency = PluginUnderTest::open(STEM_STRIP_ID, 48_000.0, 512, 2)
        .unwrap()
        .latency()
        .unwrap() as usize;
    assert_eq!(
        first_bit_difference(&strip_sum, &delayed(&plain_sum, latency)),
        None
    );
}

#[test]
fn reported_latency_matches_impulse_at_every_rate_and_under_bypass() {
    let mut cases = 0;
    for id in ALL_PLUGIN_IDS {
        let bypass = bypass_param(PluginUnderTest::open_inactive(id, 2).unwrap().params())
            .unwrap()
            .clone();
        for rate in SAMPLE_RATES_HZ {
            let mut latencies = Vec::new();
            for bypassed in [false, true] {
                let mut plugin = PluginUnderTest::open_inactive(id, 2).unwrap();
                if bypassed {
                    plugin.set_param(bypass.id, bypass.max).unwrap();
                }
                plugin.activate(rate, 1024).unwrap();
                let reported = plugin.latency().unwrap() as usize;
                // The impulse comes after the 10 ms bypass fade and the 20 ms gain ramps.
                let at = (0.05 * rate) as usize;
                let mut audio = impulse(2, at + (0.05 * rate) as usize, at);
                plugin.process(&mut audio, &[1024], &[]).unwrap();
                for channel in &audio {
                    assert_eq!(
                        peak_index(channel) - at,
                        reported,
                        "{id} at {rate} Hz, bypass {bypassed}"
                    );
                    assert_eq!(channel[at + reported], 1.0, "{id} at {rate} Hz");
                }
                latencies.push(reported);
                cases += 1;
            }
            assert_eq!(
                latencies[0], latencies[1],
                "{id} at {rate} Hz: bypass moved latency"
            );
        }
    }
    assert_eq!(cases, 2 * SAMPLE_RATES_HZ.len() * 2);
}
