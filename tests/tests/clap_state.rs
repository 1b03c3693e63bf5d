//! State save/load through the CLAP state extension, on both plugins.

use shared_dsp::signals::Rng;
use stemwise_tests::bundles::{ALL_PLUGIN_IDS, MASTER_BUS_ID, STEM_STRIP_ID};
use stemwise_tests::checks::{all_finite, first_bit_difference, pink};
use stemwise_tests::params::{generic_settings, param_named, random_setting};
use stemwise_tests::PluginUnderTest;

/// Processes seeded pink noise through an already active plugin.
fn run(plugin: &mut PluginUnderTest) -> Vec<Vec<f32>> {
    let mut audio = pink(4, -6.0, 2, 9600);
    plugin.process(&mut audio, &[480], &[]).unwrap();
    audio
}

#[test]
fn saved_state_restores_identical_output_in_a_fresh_instance() {
    let mut cases = 0;
    for id in ALL_PLUGIN_IDS {
        let params = PluginUnderTest::open_inactive(id, 2)
            .unwrap()
            .params()
            .to_vec();
        for setting in generic_settings(&params, 0xA11CE) {
            let mut original = PluginUnderTest::open_inactive(id, 2).unwrap();
            original.set_params(&setting.values).unwrap();
            let state = original.save_state().unwrap();
            original.activate(48_000.0, 480).unwrap();
            let expected = run(&mut original);

            let mut restored = PluginUnderTest::open_inactive(id, 2).unwrap();
            restored.load_state(&state).unwrap();
            for p in &params {
                assert_eq!(
                    restored.param_value(p.id),
                    original.param_value(p.id),
                    "{id} {}: {}",
                    setting.name,
                    p.name
                );
            }
            restored.activate(48_000.0, 480).unwrap();
            assert_eq!(
                first_bit_difference(&run(&mut restored), &expected),
                None,
                "{id} {}",
                setting.name
            );
            cases += 1;
        }
    }
    assert_eq!(cases, 8);
}

#[test]
fn bad_state_blobs_are_rejected_or_ignored_and_leave_the_plugin_valid() {
    let mut cases = 0;
    for id in ALL_PLUGIN_IDS {
        let other = if id == STEM_STRIP_ID {
            MASTER_BUS_ID
        } else {
            STEM_STRIP_ID
        };
        let mut other_plugin = PluginUnderTest::open_inactive(other, 2).unwrap();
        let other_params = other_plugin.params().to_vec();
        other_plugin
            .set_params(&random_setting(&other_params, 3))
            .unwrap();
        let wrong_plugin = other_plugin.save_state().unwrap();

        let mut plugin = PluginUnderTest::open(id, 48_000.0, 480, 2).unwrap();
        let params = plugin.params().to_vec();
        plugin.set_params(&random_setting(&params, 4)).unwrap();
        run(&mut plugin);
        let good = plugin.save_state().unwrap();
        let values: Vec<Option<f64>> = params.iter().map(|p| plugin.param_value(p.id)).collect();
        let mut rng = Rng::new(17);
        let random: Vec<u8> = (0..good.len()).map(|_| rng.next_u64() as u8).collect();
        let blobs = [
            ("truncated", good[..good.len() / 2].to_vec()),
            ("random", random),
            ("empty", Vec::new()),
            ("wrong-plugin", wrong_plugin),
        ];
        for (name, blob) in blobs {
            let result = plugin.load_state(&blob);
            // nice-plug accepts every well-formed state blob; a state of the other plugin is
            // emptied by `filter_state` instead, so it must at least change nothing (below).
            if name != "wrong-plugin" {
                assert!(result.is_err(), "{id}: {name} state was accepted");
            }
            let now: Vec<Option<f64>> = params.iter().map(|p| plugin.param_value(p.id)).collect();
            assert_eq!(now, values, "{id}: {name} state changed parameters");
            let out = run(&mut plugin);
            assert!(all_finite(&out), "{id}: {name}");
            assert!(
                out[0].iter().any(|&s| s != 0.0),
                "{id}: {name} silenced the plugin"
            );
            cases += 1;
        }
    }
    assert_eq!(cases, 8);
}

/// One plugin's state fixture: the file (under `tests/fixtures/`) saved by version 0.1.0 with
/// the settings `(parameter, typed value)`, which every later version must load.
struct Fixture {
    plugin_id: &'static str,
    file: &'static str,
    setting: &'static [(&'static str, &'static str)],
}

/// The fixtures of version 0.1.0. Regenerate (only when a new version adds one) with
/// `STEMWISE_WRITE_FIXTURES=1 cargo test --test clap_state`.
const FIXTURES: [Fixture; 2] = [
    Fixture {
        plugin_id: STEM_STRIP_ID,
        file: "stem-strip-0.1.0.state",
        setting: &[
            ("Trim", "1.5"),
            ("Bell 1 Gain", "2"),
            ("Bell 1 Frequency", "250"),
            ("Ratio", "1.8"),
            ("Attack", "12"),
        ],
    },
    Fixture {
        plugin_id: MASTER_BUS_ID,
        file: "master-bus-0.1.0.state",
        setting: &[("Input Gain", "-2.5"), ("Output Gain", "1")],
    },
];

#[test]
fn states_saved_by_version_0_1_0_still_load() {
    for fixture in FIXTURES {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(fixture.file);
        let mut plugin = PluginUnderTest::open_inactive(fixture.plugin_id, 2).unwrap();
        let params = plugin.params().to_vec();
        let expected: Vec<(u32, f64)> = fixture
            .setting
            .iter()
            .map(|(name, text)| {
                let spec = param_named(&params, name)
                    .unwrap_or_else(|| panic!("{}: no {name}", fixture.file));
                (spec.id, plugin.value_from_text(spec.id, text).unwrap())
            })
            .collect();
        if std::env::var_os("STEMWISE_WRITE_FIXTURES").is_some() {
            plugin.set_params(&expected).unwrap();
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, plugin.save_state().unwrap()).unwrap();
        }
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut fresh = PluginUnderTest::open_inactive(fixture.plugin_id, 2).unwrap();
        fresh.load_state(&bytes).unwrap();
        for (id, value) in expected {
            let loaded = fresh.param_value(id).unwrap();
            assert!(
                (loaded - value).abs() < 1e-6,
                "{}: param {id} {loaded} != {value}",
                fixture.file
            );
        }
    }
}

/// A Master Bus state saved before the mono bass parameters were appended (the 0.1.0 fixture)
/// loads with the mono bass at its defaults (off, 100 Hz, 24 dB/oct) even into an instance
/// where it was on (the `filter_state` migration: nice-plug alone would keep the instance's
/// values), and the loaded instance sounds exactly like a fresh one that loaded the state.
#[test]
fn a_master_bus_state_saved_before_the_mono_bass_loads_it_off() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("master-bus-0.1.0.state");
    let bytes = std::fs::read(&path).unwrap();
    let saved = stemwise_tests::plugin::state_json(&bytes).unwrap();
    let mono_bass_ids = ["ms_hp_on", "ms_hp_freq", "ms_hp_slope"];
    for key in mono_bass_ids {
        assert!(
            saved["params"].get(key).is_none(),
            "the fixture predates {key}"
        );
    }
    let mut plugin = PluginUnderTest::open_inactive(MASTER_BUS_ID, 2).unwrap();
    let params = plugin.params().to_vec();
    let named = |name: &str| param_named(&params, name).unwrap().clone();
    let (on, freq, slope) = (
        named("Mono Bass"),
        named("Mono Bass Frequency"),
        named("Mono Bass Slope"),
    );
    let changed = [
        (on.id, 1.0),
        (freq.id, plugin.value_from_text(freq.id, "250").unwrap()),
        (
            slope.id,
            plugin.value_from_text(slope.id, "12 dB/oct").unwrap(),
        ),
    ];
    plugin.set_params(&changed).unwrap();
    for (id, value) in changed {
        assert_eq!(plugin.param_value(id), Some(value));
    }
    plugin.load_state(&bytes).unwrap();
    for p in [&on, &freq, &slope] {
        assert_eq!(plugin.param_value(p.id), Some(p.default), "{}", p.name);
    }
    assert_eq!(plugin.value_to_text(on.id, on.default).unwrap(), "Off");
    let input_gain = named("Input Gain");
    let kept = plugin.param_value(input_gain.id).unwrap();
    assert!((kept - plugin.value_from_text(input_gain.id, "-2.5").unwrap()).abs() < 1e-6);

    let mut fresh = PluginUnderTest::open_inactive(MASTER_BUS_ID, 2).unwrap();
    fresh.load_state(&bytes).unwrap();
    plugin.activate(48_000.0, 480).unwrap();
    fresh.activate(48_000.0, 480).unwrap();
    assert_eq!(
        first_bit_difference(&run(&mut plugin), &run(&mut fresh)),
        None
    );
}

#[test]
fn user_presets_travel_with_the_host_state() {
    let mut plugin = PluginUnderTest::open_inactive(STEM_STRIP_ID, 2).unwrap();
    let mut json = plugin.saved_json().unwrap();
    let presets = r#"[{"name":"Snare body","values":{"trim":0.55,"ratio":0.3}}]"#;
    json["fields"]["presets"] = serde_json::Value::String(presets.to_owned());
    let text = serde_json::to_vec(&json).unwrap();
    let mut blob = (text.len() as u64).to_le_bytes().to_vec();
    blob.extend_from_slice(&text);
    let mut fresh = PluginUnderTest::open_inactive(STEM_STRIP_ID, 2).unwrap();
    fresh.load_state(&blob).unwrap();
    let saved = fresh.saved_json().unwrap();
    let kept: serde_json::Value =
        serde_json::from_str(saved["fields"]["presets"].as_str().unwrap()).unwrap();
    assert_eq!(
        kept,
        serde_json::from_str::<serde_json::Value>(presets).unwrap()
    );
}

/// A nice-plug CLAP state blob (little-endian u64 length, then JSON) holding `json`.
fn blob_of(json: &serde_json::Value) -> Vec<u8> {
    let body = serde_json::to_vec(json).unwrap();
    let mut blob = (body.len() as u64).to_le_bytes().to_vec();
    blob.extend(body);
    blob
}

/// What a corrupt project or a buggy host may hand back: well-formed blobs with wrong contents
/// (parameter values out of range or of the wrong type, persisted fields that are not their
/// JSON, unknown keys, a length header past the end). Each is rejected or loaded; afterwards
/// every parameter is finite and within its range and the plugin processes finite audio.
#[test]
fn malformed_state_contents_never_crash_and_leave_valid_parameters() {
    let mut cases = 0;
    for id in ALL_PLUGIN_IDS {
        let mut plugin = PluginUnderTest::open(id, 48_000.0, 480, 2).unwrap();
        let params = plugin.params().to_vec();
        let good = plugin.saved_json().unwrap();
        let mut variants: Vec<(String, Vec<u8>)> = Vec::new();
        for (name, replacement) in [
            ("huge", serde_json::json!({ "f32": 1e30 })),
            ("negative huge", serde_json::json!({ "f32": -1e30 })),
            ("huge index", serde_json::json!({ "i32": 1_000_000 })),
            ("wrong type", serde_json::json!({ "bool": "yes" })),
            ("not an object", serde_json::json!("x")),
        ] {
            let mut json = good.clone();
            for value in json["params"].as_object_mut().unwrap().values_mut() {
                *value = replacement.clone();
            }
            variants.push((format!("params {name}"), blob_of(&json)));
        }
        let field_names: Vec<String> = good["fields"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        for field in &field_names {
            for (name, text) in [
                ("not json", "{{not json"),
                ("empty object", "{}"),
                ("wrong shape", "[1, 2, 3]"),
                ("null", "null"),
            ] {
                let mut json = good.clone();
                json["fields"][field.as_str()] = serde_json::Value::String(text.to_owned());
                variants.push((format!("field {field} {name}"), blob_of(&json)));
            }
        }
        let mut json = good.clone();
        json["unknown"] = serde_json::json!({ "deep": [1, 2, 3] });
        variants.push(("unknown key".to_owned(), blob_of(&json)));
        let mut long_header = blob_of(&good);
        long_header[..8].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
        variants.push(("length past the end".to_owned(), long_header));

        for (name, blob) in variants {
            let _accepted = plugin.load_state(&blob).is_ok();
            for p in &params {
                let value = plugin.param_value(p.id).unwrap();
                assert!(
                    value.is_finite() && (p.min..=p.max).contains(&value),
                    "{id} {name}: {} = {value}",
                    p.name
                );
            }
            let out = run(&mut plugin);
            assert!(all_finite(&out), "{id}: {name}");
            cases += 1;
        }
    }
    assert!(cases >= 2 * 7, "{cases}");
}
