//! The host API itself against both bundles: descriptors, parameters, channel layouts, GUI
//! and host callbacks.

use stemwise_tests::bundles::{all_plugins, ALL_PLUGIN_IDS, MASTER_BUS_ID, STEM_STRIP_ID};
use stemwise_tests::checks::{delayed, first_bit_difference, pink};
use stemwise_tests::PluginUnderTest;

#[test]
fn bundles_describe_both_plugins() {
    let plugins = all_plugins().unwrap();
    for (id, name) in [
        (STEM_STRIP_ID, "Stemwise Stem Strip"),
        (MASTER_BUS_ID, "Stemwise Master Bus"),
    ] {
        let p = plugins.iter().find(|p| p.id == id).expect(id);
        assert_eq!(p.name, name);
        assert_eq!(p.vendor, "Stemwise");
        assert_eq!(p.version, env!("CARGO_PKG_VERSION"));
        assert!(p.features.iter().any(|f| f == "audio-effect"), "{p:?}");
        assert!(p.features.iter().any(|f| f == "stereo"), "{p:?}");
    }
    let strip = plugins.iter().find(|p| p.id == STEM_STRIP_ID).unwrap();
    assert!(strip.features.iter().any(|f| f == "mono"), "{strip:?}");
}

#[test]
fn parameters_are_discovered_with_sane_ranges() {
    for id in ALL_PLUGIN_IDS {
        let mut plugin = PluginUnderTest::open_inactive(id, 2).unwrap();
        let params = plugin.params().to_vec();
        assert!(params.len() >= 2, "{id}: {params:?}");
        assert_eq!(params.iter().filter(|p| p.is_bypass).count(), 1, "{id}");
        let mut ids: Vec<u32> = params.iter().map(|p| p.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), params.len(), "{id}: duplicate parameter ids");
        for p in &params {
            assert!(p.min < p.max, "{id}: {p:?}");
            assert!(p.min <= p.default && p.default <= p.max, "{id}: {p:?}");
            assert!(!p.name.is_empty() && p.is_automatable, "{id}: {p:?}");
            assert_eq!(
                plugin.param_value(p.id),
                Some(p.default),
                "{id}: {}",
                p.name
            );
        }
        let p = params.iter().find(|p| p.is_setting()).unwrap();
        let value = p.value_at(0.75);
        plugin.set_param(p.id, value).unwrap();
        let read = plugin.param_value(p.id).unwrap();
        assert!(
            (read - value).abs() <= 1e-6 * (p.max - p.min),
            "{id}: {read} vs {value}"
        );
    }
}

#[test]
fn stem_strip_runs_mono_through_audio_ports_config() {
    let mut strip = PluginUnderTest::open(STEM_STRIP_ID, 48_000.0, 256, 1).unwrap();
    assert_eq!(strip.main_port_channels().unwrap(), (1, 1));
    let input = pink(5, -6.0, 1, 4000);
    let mut audio = input.clone();
    strip.process(&mut audio, &[256], &[]).unwrap();
    let latency = strip.latency().unwrap() as usize;
    assert_eq!(
        first_bit_difference(&audio, &delayed(&input, latency)),
        None
    );
    let stereo = PluginUnderTest::open_inactive(STEM_STRIP_ID, 2).unwrap();
    assert_eq!(stereo.num_channels(), 2);
}

#[test]
fn gui_extension_answers_and_creates_where_possible() {
    let has_display = std::env::var_os("DISPLAY").is_some();
    for id in ALL_PLUGIN_IDS {
        let mut plugin = PluginUnderTest::open_inactive(id, 2).unwrap();
        let report = plugin.gui_check(has_display).unwrap();
        assert!(report.x11_embedded_supported, "{id}: {report:?}");
        assert!(!report.x11_floating_supported, "{id}: {report:?}");
        assert_eq!(report.preferred_api.as_deref(), Some("x11"), "{id}");
        let (w, h) = report.size_before_create.expect("editor size");
        assert!(w >= 200 && h >= 100, "{id}: {w}x{h}");
        if has_display {
            assert_eq!(report.size_after_create, Some((w, h)), "{id}");
        }
    }
}

#[test]
fn host_callbacks_are_recorded_without_errors() {
    for id in ALL_PLUGIN_IDS {
        let mut plugin = PluginUnderTest::open(id, 48_000.0, 512, 2).unwrap();
        // nice-plug announces a non-zero latency from the main thread after the first
        // activation, which costs one restart; after that nothing may restart the plugin.
        plugin
            .process(&mut pink(2, -6.0, 2, 1024), &[512], &[])
            .unwrap();
        let restarts_before = plugin.restarts();
        assert!(
            restarts_before <= 1,
            "{id}: {restarts_before} restarts at start-up"
        );
        let state = plugin.save_state().unwrap();
        let rescans_before =
            plugin.callbacks(|c| c.params_rescans.load(std::sync::atomic::Ordering::Relaxed));
        plugin.load_state(&state).unwrap();
        let mut audio = pink(1, -6.0, 2, 2048);
        plugin.process(&mut audio, &[512], &[]).unwrap();
        let rescans =
            plugin.callbacks(|c| c.params_rescans.load(std::sync::atomic::Ordering::Relaxed));
        assert_eq!(
            rescans,
            rescans_before + 1,
            "{id}: a state load rescans values once"
        );
        let errors = plugin.callbacks(|c| c.log_errors.load(std::sync::atomic::Ordering::Relaxed));
        assert_eq!(errors, 0, "{id}: plugin logged errors");
        assert_eq!(
            plugin.restarts(),
            restarts_before,
            "{id}: a state load restarted it"
        );
    }
}
