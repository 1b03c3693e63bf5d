//! One source per parameter: walks the parameter tables of `shared_dsp::params` and checks,
//! for every entry, that the built CLAP bundle's host-visible parameter (order, string id,
//! name, group, range, default, steps, choices, bypass flag), the session key the CLI reads
//! and the range the GUI shades all agree with it. The VST3 side is
//! `tests/vst3/test_param_table_vst3.py` (same table, through `stemwise params --json`).

use plugin_common::widgets::shaded_range;
use shared_dsp::params::master::MasterParam;
use shared_dsp::params::strip::StripParam;
use shared_dsp::params::{Kind, ParamIndex, ParamSpec};
use stemwise_cli::session::keys::{param_of, read_table, session_value};
use stemwise_tests::bundles::{MASTER_BUS_ID, STEM_STRIP_ID};
use stemwise_tests::PluginUnderTest;

/// Normalised values that differ by less than this are equal (f32 precision of nice-plug's
/// normalisation).
const NORMALIZED_TOLERANCE: f64 = 1e-5;

/// `plain` as a host types it: in the unit the parameter shows (percentages 0–100).
fn typed(spec: &ParamSpec, plain: f32) -> String {
    match spec.kind {
        Kind::Float(float) => format!("{}", plain * float.unit.session_scale()),
        _ => format!("{plain}"),
    }
}

/// The CLAP value the plugin parses for the plain value `plain` of parameter `id`.
fn clap_value(plugin: &mut PluginUnderTest, id: u32, spec: &ParamSpec, plain: f32) -> f64 {
    plugin
        .value_from_text(id, &typed(spec, plain))
        .unwrap_or_else(|e| panic!("{}: {e:#}", spec.id))
}

/// The session reader's plain value for `plain` written the way a session writes it.
fn session_reads<P: ParamIndex>(param: P, plain: f32) -> anyhow::Result<f32> {
    let spec = param.spec();
    let mut table = toml::Table::new();
    table.insert(spec.id.to_owned(), session_value(spec, plain));
    Ok(read_table::<P>(&table)?.get(param))
}

/// Walks table `P` against the plugin `plugin_id`.
fn walk<P: ParamIndex>(plugin_id: &str) {
    let mut plugin = PluginUnderTest::open_inactive(plugin_id, 2).unwrap();
    let host = plugin.params().to_vec();
    let saved = plugin.saved_json().unwrap();
    let state_ids = saved["params"].as_object().unwrap();
    assert_eq!(host.len(), P::TABLE.len(), "{plugin_id}: parameter count");
    assert_eq!(state_ids.len(), P::TABLE.len(), "{plugin_id}: saved ids");
    for (&param, visible) in P::ALL.iter().zip(&host) {
        let spec = param.spec();
        let what = format!("{plugin_id} {}", spec.id);
        // Identity: the string id hosts save, the name and group they show, in table order.
        assert!(
            state_ids.contains_key(spec.id),
            "{what}: not in the saved state"
        );
        assert_eq!(visible.name, spec.name, "{what}: name");
        assert_eq!(visible.module, spec.group, "{what}: group");
        let (min, max) = spec.plain_range();
        match spec.kind {
            Kind::Float(_) => {
                assert!(!visible.is_stepped, "{what}: continuous");
                let [at_min, at_max, at_default] = [min, max, spec.default_plain()]
                    .map(|plain| clap_value(&mut plugin, visible.id, spec, plain));
                assert!(at_min.abs() < NORMALIZED_TOLERANCE, "{what}: min {at_min}");
                assert!(
                    (at_max - 1.0).abs() < NORMALIZED_TOLERANCE,
                    "{what}: max {at_max}"
                );
                assert!(
                    (at_default - visible.default).abs() < NORMALIZED_TOLERANCE,
                    "{what}: default {at_default} vs {}",
                    visible.default
                );
            }
            Kind::Switch(switch) => {
                assert!(visible.is_stepped, "{what}: stepped");
                assert_eq!((visible.min, visible.max), (0.0, 1.0), "{what}: range");
                assert_eq!(visible.is_bypass, switch.bypass, "{what}: bypass flag");
                assert_eq!(visible.default, f64::from(spec.default_plain()), "{what}");
                if let Some((off, on)) = switch.labels {
                    assert_eq!(plugin.value_to_text(visible.id, 0.0).unwrap(), off);
                    assert_eq!(plugin.value_to_text(visible.id, 1.0).unwrap(), on);
                }
            }
            Kind::Choice(choice) => {
                assert!(visible.is_stepped, "{what}: stepped");
                assert_eq!((visible.min, visible.max), (0.0, f64::from(max)), "{what}");
                assert_eq!(visible.default, choice.default as f64, "{what}: default");
                for (index, name) in choice.names.iter().enumerate() {
                    let text = plugin.value_to_text(visible.id, index as f64).unwrap();
                    assert_eq!(&text, name, "{what}: choice {index}");
                }
            }
        }
        // The session key: the same id, range and default, or none for host-only entries.
        assert_eq!(
            param_of::<P>(spec.id).is_some(),
            spec.in_session,
            "{what}: session key"
        );
        if spec.in_session {
            for plain in [min, max, spec.default_plain()] {
                let read = session_reads(param, plain).unwrap();
                assert_eq!(read, plain, "{what}: session value {plain}");
            }
            if let Kind::Float(_) = spec.kind {
                for outside in [min - (max - min) * 0.01, max + (max - min) * 0.01] {
                    assert!(
                        session_reads(param, outside).is_err(),
                        "{what}: {outside} accepted"
                    );
                }
            }
        }
        // The GUI's shaded range: inside the host's range, where sessions accept it.
        if let Some(shaded) = shaded_range(spec) {
            let (lo, hi) = (*shaded.start(), *shaded.end());
            assert!(
                min <= lo && lo < hi && hi <= max,
                "{what}: shaded {lo}…{hi}"
            );
            for plain in [lo, hi] {
                let normalized = clap_value(&mut plugin, visible.id, spec, plain);
                assert!((0.0..=1.0).contains(&normalized), "{what}: shaded {plain}");
                if spec.in_session {
                    assert_eq!(session_reads(param, plain).unwrap(), plain, "{what}");
                }
            }
        }
    }
}

#[test]
fn stem_strip_host_session_and_gui_follow_the_table() {
    walk::<StripParam>(STEM_STRIP_ID);
}

#[test]
fn master_bus_host_session_and_gui_follow_the_table() {
    walk::<MasterParam>(MASTER_BUS_ID);
}
