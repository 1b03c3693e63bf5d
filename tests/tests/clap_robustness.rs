//! Generic robustness checks on both plugins through the CLAP host: non-finite and denormal
//! input bursts, every parameter swept at audio rate, and two instances on two threads.

use stemwise_tests::audio::sweep_events;
use stemwise_tests::bundles::ALL_PLUGIN_IDS;
use stemwise_tests::checks::{
    all_finite, dbfs_to_amplitude, first_bit_difference, max_abs_diff_from, peak_abs, pink, render,
};
use stemwise_tests::params::{generic_settings, NamedSetting};
use stemwise_tests::plugin::process_in_parallel;
use stemwise_tests::PluginUnderTest;

/// Sample rate of these checks, Hz.
const RATE_HZ: f64 = 48_000.0;
/// Seed of the random parameter settings.
const SETTINGS_SEED: u64 = 0xB0057;
/// After a burst the output must be back to normal within this long, seconds.
const RECOVERY_S: f64 = 0.1;

/// The generic settings of one plugin (defaults, random, all-min, all-max).
fn settings_of(plugin_id: &str) -> Vec<NamedSetting> {
    let plugin = PluginUnderTest::open_inactive(plugin_id, 2).unwrap();
    generic_settings(plugin.params(), SETTINGS_SEED)
}

/// One kind of bad input written over a burst of samples.
#[derive(Debug, Clone, Copy)]
enum Burst {
    Nan,
    PositiveInfinity,
    NegativeInfinity,
    /// Alternating NaN and ±Inf, as a broken upstream plugin emits.
    Mixed,
    /// Subnormal floats (which make unflushed recursive filters crawl).
    Denormal,
}

impl Burst {
    /// The sample written at position `i` of the burst.
    fn sample(self, i: usize) -> f32 {
        match self {
            Burst::Nan => f32::NAN,
            Burst::PositiveInfinity => f32::INFINITY,
            Burst::NegativeInfinity => f32::NEG_INFINITY,
            Burst::Mixed => [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][i % 3],
            Burst::Denormal => {
                let tiny = f32::from_bits(1 + (i as u32 % 0x7f_ffff));
                if i.is_multiple_of(2) {
                    tiny
                } else {
                    -tiny
                }
            }
        }
    }
}

#[test]
fn non_finite_and_denormal_bursts_never_escape_and_the_plugin_recovers() {
    const NUM_FRAMES: usize = 48_000;
    const BURST_AT: usize = 12_000;
    const BURST_LEN: usize = 700;
    let bursts = [
        Burst::Nan,
        Burst::PositiveInfinity,
        Burst::NegativeInfinity,
        Burst::Mixed,
        Burst::Denormal,
    ];
    let mut cases = 0;
    for id in ALL_PLUGIN_IDS {
        for setting in settings_of(id) {
            // The reference hears the burst as the silence it must be treated as.
            let mut silenced = pink(5, -6.0, 2, NUM_FRAMES);
            for channel in &mut silenced {
                channel[BURST_AT..BURST_AT + BURST_LEN].fill(0.0);
            }
            let mut plugin = PluginUnderTest::open_inactive(id, 2).unwrap();
            plugin.set_params(&setting.values).unwrap();
            plugin.activate(RATE_HZ, 512).unwrap();
            let latency = plugin.latency().unwrap() as usize;
            let recovered_at = BURST_AT + BURST_LEN + latency + (RECOVERY_S * RATE_HZ) as usize;
            let reference =
                render(id, RATE_HZ, 512, &setting.values, &silenced, &[512], &[]).unwrap();
            for burst in bursts {
                let mut input = silenced.clone();
                for channel in &mut input {
                    for (i, sample) in channel[BURST_AT..BURST_AT + BURST_LEN]
                        .iter_mut()
                        .enumerate()
                    {
                        *sample = burst.sample(i);
                    }
                }
                let out = render(id, RATE_HZ, 512, &setting.values, &input, &[512], &[]).unwrap();
                assert!(all_finite(&out), "{id} {} {burst:?}", setting.name);
                // From 100 ms after the burst has come through the latency, the output is what
                // it would have been had the burst been silence.
                let deviation = max_abs_diff_from(&out, &reference, recovered_at);
                assert!(
                    deviation <= dbfs_to_amplitude(-60.0),
                    "{id} {} {burst:?}: still {deviation} off 100 ms after the burst",
                    setting.name
                );
                cases += 1;
            }
        }
    }
    assert_eq!(cases, ALL_PLUGIN_IDS.len() * 4 * bursts.len());
}

#[test]
fn every_parameter_swept_at_audio_rate_stays_finite_and_bounded() {
    const NUM_FRAMES: usize = 24_000;
    let ceiling = dbfs_to_amplitude(24.0);
    let (mut swept, mut settable) = (0, 0);
    for id in ALL_PLUGIN_IDS {
        let params = PluginUnderTest::open_inactive(id, 2)
            .unwrap()
            .params()
            .to_vec();
        let input = pink(9, -1.0, 2, NUM_FRAMES);
        settable += params.iter().filter(|p| p.is_setting()).count();
        for param in params.iter().filter(|p| p.is_setting()) {
            // Up and down again, one event per sample.
            let mut events = sweep_events(param.id, param.min, param.max, NUM_FRAMES / 2, 1);
            events.extend(
                sweep_events(param.id, param.max, param.min, NUM_FRAMES / 2, 1)
                    .into_iter()
                    .map(|mut e| {
                        e.sample += NUM_FRAMES / 2;
                        e
                    }),
            );
            let out = render(id, RATE_HZ, 512, &[], &input, &[512], &events).unwrap();
            let peak = peak_abs(&out);
            assert!(peak.is_finite(), "{id} {}: non-finite output", param.name);
            assert!(
                peak <= ceiling,
                "{id} {}: peak {:.2} dBFS above +24 dBFS",
                param.name,
                20.0 * peak.log10()
            );
            swept += 1;
        }
    }
    assert!(
        swept > 0 && swept == settable,
        "{swept} of {settable} parameters swept"
    );
}

#[test]
fn two_instances_on_two_threads_match_their_single_thread_renders() {
    const NUM_FRAMES: usize = 48_000;
    for id in ALL_PLUGIN_IDS {
        let settings = settings_of(id);
        let (a_setting, b_setting) = (&settings[1].values, &settings[3].values);
        let inputs = [pink(13, -3.0, 2, NUM_FRAMES), pink(17, -3.0, 2, NUM_FRAMES)];
        let alone = [
            render(id, RATE_HZ, 256, a_setting, &inputs[0], &[256], &[]).unwrap(),
            render(id, RATE_HZ, 256, b_setting, &inputs[1], &[256], &[]).unwrap(),
        ];
        let mut a = PluginUnderTest::open_inactive(id, 2).unwrap();
        let mut b = PluginUnderTest::open_inactive(id, 2).unwrap();
        a.set_params(a_setting).unwrap();
        b.set_params(b_setting).unwrap();
        a.activate(RATE_HZ, 256).unwrap();
        b.activate(RATE_HZ, 256).unwrap();
        let [mut a_audio, mut b_audio] = inputs;
        process_in_parallel(
            &mut [&mut a, &mut b],
            &mut [&mut a_audio, &mut b_audio],
            &[256],
            &[],
        )
        .unwrap();
        assert_eq!(
            first_bit_difference(&a_audio, &alone[0]),
            None,
            "{id} thread A"
        );
        assert_eq!(
            first_bit_difference(&b_audio, &alone[1]),
            None,
            "{id} thread B"
        );
    }
}
