//! What the standard validators check, guarded in our own CLAP host so CI catches it without
//! them: any sample rate and block size a host may ask for is refused cleanly or processed to
//! finite audio with the reported latency (Steinberg's validator and JUCE hosts ask for
//! 1234.5678 Hz, 768 kHz, 1.23 MHz); latency changes reach the host only within `activate`
//! (clap-validator's param tests); every parameter's text survives a value → text → value →
//! text round trip (clap-validator's `param-conversions`). The harness host itself fails any
//! test on a callback the CLAP specification forbids in the plugin's state
//! (`stemwise_tests::host::Violation`).

use stemwise_tests::bundles::ALL_PLUGIN_IDS;
use stemwise_tests::checks::{all_finite, impulse, peak_index, pink};
use stemwise_tests::params::{generic_settings, param_named};
use stemwise_tests::{ParamEvent, PluginUnderTest};

/// Rates a host may ask for, Hz: nonsense, validator oddities, telephone, 768 kHz, 1 MHz.
const RATES_HZ: [f64; 8] = [
    1.0,
    1_234.567_7,
    8_000.0,
    11_025.0,
    22_050.0,
    768_000.0,
    1_000_000.0,
    1_234_567.8,
];
/// Largest blocks an activation may announce: one frame, odd, huge.
const MAX_BLOCKS: [usize; 3] = [1, 333, 1 << 16];
/// Seed of the random parameter settings and values.
const SEED: u64 = 0x7E57;

/// Whether shared-dsp serves `rate_hz` (the plugins must refuse exactly the others).
fn served(rate_hz: f64) -> bool {
    // The CLAP host passes f64 but nice-plug hands the plugin the f32 rate.
    shared_dsp::rate::check(f64::from(rate_hz as f32)).is_ok()
}

/// Block sizes up to `max_block` that exercise it: 1, an odd size, the maximum.
fn block_pattern(max_block: usize) -> Vec<usize> {
    vec![max_block, 1, (max_block / 3).max(1), 7.min(max_block)]
}

#[test]
fn any_rate_and_block_size_is_refused_cleanly_or_processed_with_the_reported_latency() {
    let mut outcomes = Vec::new();
    for id in ALL_PLUGIN_IDS {
        let setting = {
            let plugin = PluginUnderTest::open_inactive(id, 2).unwrap();
            generic_settings(plugin.params(), SEED)
                .into_iter()
                .find(|s| s.name == "random")
                .unwrap()
                .values
        };
        for rate_hz in RATES_HZ {
            for max_block in MAX_BLOCKS {
                let mut plugin = PluginUnderTest::open_inactive(id, 2).unwrap();
                let activated = plugin.activate(rate_hz, max_block);
                assert_eq!(
                    activated.is_ok(),
                    served(rate_hz),
                    "{id} at {rate_hz} Hz / {max_block}: {activated:?}"
                );
                if activated.is_err() {
                    outcomes.push(format!("{id} {rate_hz} Hz: refused"));
                    continue;
                }
                // Defaults: an impulse comes out exactly the reported latency later.
                let latency = plugin.latency().unwrap() as usize;
                let mut audio = impulse(2, latency + 2048, 100);
                plugin
                    .process(&mut audio, &block_pattern(max_block), &[])
                    .unwrap();
                assert_eq!(
                    peak_index(&audio[0]),
                    100 + latency,
                    "{id} at {rate_hz} Hz / {max_block}: latency"
                );
                // Every stage on at random settings: finite output.
                plugin.deactivate().unwrap();
                plugin.set_params(&setting).unwrap();
                plugin.activate(rate_hz, max_block).unwrap();
                let num_frames = ((rate_hz * 0.1) as usize).clamp(4096, 48_000);
                let mut audio = pink(3, -3.0, 2, num_frames);
                plugin
                    .process(&mut audio, &block_pattern(max_block), &[])
                    .unwrap();
                assert!(all_finite(&audio), "{id} at {rate_hz} Hz / {max_block}");
                outcomes.push(format!(
                    "{id} {rate_hz} Hz / {max_block}: latency {latency}"
                ));
            }
        }
    }
    println!("{}", outcomes.join("\n"));
}

/// Processes one block in which `name` switches to `value` (a latency change in `process`),
/// deactivates before the main thread runs the plugin's tasks, runs them while inactive,
/// reactivates, and returns (latency before, after, `latency.changed` calls).
fn change_latency_then_deactivate(id: &str, name: &str, value: f64) -> (u32, u32, u32) {
    let mut plugin = PluginUnderTest::open_inactive(id, 2).unwrap();
    plugin.activate(48_000.0, 512).unwrap();
    let before = plugin.latency().unwrap();
    let (param, clap_value) = plugin.typed(name, value).unwrap();
    let events = [ParamEvent {
        sample: 10,
        id: param,
        value: clap_value,
    }];
    let mut audio = pink(1, -12.0, 2, 2048);
    plugin
        .process_unserviced(&mut audio, &[512], &events)
        .unwrap();
    // Within the activation the host still sees the latency it was told.
    assert_eq!(
        plugin.latency().unwrap(),
        before,
        "{id}: latency.get mid-activation"
    );
    plugin.deactivate().unwrap();
    let changes = |p: &PluginUnderTest| {
        p.callbacks(|c| c.latency_changes.load(std::sync::atomic::Ordering::SeqCst))
    };
    let changes_before = changes(&plugin);
    // The plugin's main-thread task runs now, while inactive: it must not call `changed`.
    plugin.poll_main_thread().unwrap();
    assert_eq!(
        changes(&plugin),
        changes_before,
        "{id}: changed() while inactive"
    );
    plugin.activate(48_000.0, 512).unwrap();
    let after = plugin.latency().unwrap();
    (before, after, changes(&plugin) - changes_before)
}

#[test]
fn latency_changes_reach_the_host_only_within_activate() {
    // Stem Strip: linear-phase EQ; Master Bus: linear-phase EQ and a longer lookahead.
    let cases = [
        ("com.stemwise.stem-strip", "EQ Phase", 1.0),
        ("com.stemwise.master-bus", "EQ Phase", 1.0),
        ("com.stemwise.master-bus", "Lookahead", 10.0),
    ];
    for (id, name, value) in cases {
        let (before, after, reported) = change_latency_then_deactivate(id, name, value);
        assert!(after > before, "{id} {name}: latency {before} -> {after}");
        assert_eq!(
            reported, 1,
            "{id} {name}: changed() calls in the next activate"
        );
        println!("{id} {name}: {before} -> {after} samples, reported once within activate");
    }
    // While active, the change asks for a restart; the restart reports it.
    let mut plugin = PluginUnderTest::open_inactive("com.stemwise.stem-strip", 2).unwrap();
    plugin.activate(48_000.0, 512).unwrap();
    let (param, value) = plugin.typed("EQ Phase", 1.0).unwrap();
    let events = [ParamEvent {
        sample: 0,
        id: param,
        value,
    }];
    let mut audio = pink(2, -12.0, 2, 4096);
    plugin.process(&mut audio.clone(), &[512], &[]).unwrap();
    assert_eq!(plugin.restarts(), 0, "no restart at start-up");
    plugin.process(&mut audio, &[512], &events).unwrap();
    assert_eq!(plugin.restarts(), 1, "one restart for the latency change");
    assert!(plugin.latency().unwrap() > 79);
}

/// Deterministic values in 0…1 (a small LCG: no dependency needed for 100 draws).
fn unit_values(seed: u64, count: usize) -> Vec<f64> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

#[test]
fn every_parameter_text_round_trip_is_stable() {
    let mut checked = 0;
    for id in ALL_PLUGIN_IDS {
        let mut plugin = PluginUnderTest::open_inactive(id, 2).unwrap();
        let params = plugin.params().to_vec();
        for spec in &params {
            let mut values: Vec<f64> = unit_values(SEED ^ u64::from(spec.id), 100)
                .into_iter()
                .map(|t| spec.value_at(t))
                .collect();
            if spec.is_stepped {
                // Every label of a switch or choice, by index.
                values.extend((spec.min as i64..=spec.max as i64).map(|v| v as f64));
            }
            for value in values {
                let text = plugin.value_to_text(spec.id, value).unwrap();
                let parsed = plugin.value_from_text(spec.id, &text).unwrap_or_else(|e| {
                    panic!(
                        "{id} {:?}: {value} shows {text:?}, which does not parse: {e}",
                        spec.name
                    )
                });
                let again = plugin.value_to_text(spec.id, parsed).unwrap();
                assert_eq!(
                    again, text,
                    "{id} {:?}: {value} -> {text:?} -> {parsed} -> {again:?}",
                    spec.name
                );
                if spec.is_stepped {
                    let index = value.round();
                    assert!(
                        (parsed - index).abs() < 1e-3,
                        "{id} {:?}: {text:?}",
                        spec.name
                    );
                }
                checked += 1;
            }
        }
        assert!(param_named(&params, "Bypass").is_some());
    }
    println!("{checked} value -> text -> value -> text round trips stable");
    assert!(checked > 100 * 80);
}
