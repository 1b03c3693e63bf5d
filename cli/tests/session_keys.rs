//! Session keys come from the parameter tables: `examples/session.toml` documents every
//! `[master]` and `[stem.strip]` key, in table order, with what the table says it accepts;
//! and every key's range, type and choices are enforced as the table declares them.

use shared_dsp::params::master::MasterParam;
use shared_dsp::params::strip::StripParam;
use shared_dsp::params::{Kind, ParamIndex, Values};
use stemwise_cli::session::keys::{describe, param_of, read_table, session_keys, session_value};

/// The example session's text.
fn example() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/session.toml");
    std::fs::read_to_string(path).unwrap()
}

/// `(key, value, comment)` of the `key = value  # comment` lines after the first line equal to
/// `header`, up to the next blank line.
fn documented_block(text: &str, header: &str) -> Vec<(String, String, String)> {
    text.lines()
        .skip_while(|line| line.trim() != header)
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter(|line| !line.trim_start().starts_with('#'))
        .map(|line| {
            let (assignment, comment) = line.split_once('#').unwrap_or((line, ""));
            let (key, value) = assignment.split_once('=').unwrap_or((assignment, ""));
            (
                key.trim().to_owned(),
                value.trim().to_owned(),
                comment.trim().to_owned(),
            )
        })
        .collect()
}

/// The comment a key's line starts with: the plugin's name and what the key accepts.
fn expected_comment<P: ParamIndex>(param: P) -> String {
    let spec = param.spec();
    format!("{}: {}", spec.name, describe(spec))
}

/// Checks one fully documented section against table `P`; on failure prints the section as
/// the table documents it.
fn check_block<P: ParamIndex>(text: &str, header: &str) {
    let block = documented_block(text, header);
    let keys: Vec<&str> = block.iter().map(|(key, _, _)| key.as_str()).collect();
    let wanted: Vec<&str> = session_keys::<P>().collect();
    let as_documented: String = wanted
        .iter()
        .map(|&key| {
            let param = param_of::<P>(key).unwrap();
            let value = block
                .iter()
                .find(|(k, _, _)| k == key)
                .map(|(_, v, _)| v.clone())
                .unwrap_or_else(|| {
                    session_value(param.spec(), param.spec().default_plain()).to_string()
                });
            format!("{key} = {value}  # {}\n", expected_comment(param))
        })
        .collect();
    assert_eq!(
        keys, wanted,
        "{header} of examples/session.toml must list every key in table order:\n{as_documented}"
    );
    for (key, _, comment) in &block {
        let expected = expected_comment(param_of::<P>(key).unwrap());
        assert!(
            comment.starts_with(&expected),
            "{header} {key}: the comment must start with \"{expected}\", not \"{comment}\"\n\
             the section as the table documents it:\n{as_documented}"
        );
    }
}

#[test]
fn the_example_session_documents_every_key_as_the_tables_declare_it() {
    let text = example();
    check_block::<MasterParam>(&text, "[master]");
    check_block::<StripParam>(&text, "[stem.strip]");
}

/// A session value `written` for `key` of table `P` as the session reader takes it.
fn read<P: ParamIndex>(key: &str, written: toml::Value) -> anyhow::Result<Values<P>> {
    let mut table = toml::Table::new();
    table.insert(key.to_owned(), written);
    read_table::<P>(&table)
}

/// Every key of table `P` accepts its range ends and default and refuses values just outside,
/// other types and unknown choices, naming the range the table declares.
fn check_ranges<P: ParamIndex>() {
    for &param in P::ALL.iter().filter(|p| p.spec().in_session) {
        let spec = param.spec();
        let key = spec.id;
        let (lo, hi) = spec.plain_range();
        for plain in [lo, hi, spec.default_plain()] {
            let values = read::<P>(key, session_value(spec, plain)).unwrap();
            assert_eq!(values.get(param), plain, "{key} = {plain}");
        }
        match spec.kind {
            Kind::Float(float) => {
                let scale = float.unit.session_scale();
                for outside in [lo * scale - 1.0, hi * scale + 1.0] {
                    let error = read::<P>(key, toml::Value::Float(f64::from(outside)))
                        .unwrap_err()
                        .to_string();
                    let range = format!("is outside {}…{}", lo * scale, hi * scale);
                    assert!(error.contains(&range), "{key} = {outside}: {error}");
                }
                let error = read::<P>(key, toml::Value::Boolean(true)).unwrap_err();
                assert!(error.to_string().contains("invalid type"), "{key}: {error}");
            }
            Kind::Switch(_) => {
                let error = read::<P>(key, toml::Value::Float(1.0)).unwrap_err();
                assert!(error.to_string().contains("invalid type"), "{key}: {error}");
            }
            Kind::Choice(choice) => {
                let error = read::<P>(key, toml::Value::String("nonsense".into()))
                    .unwrap_err()
                    .to_string();
                for id in choice.ids {
                    assert!(error.contains(&format!("\"{id}\"")), "{key}: {error}");
                }
            }
        }
    }
}

#[test]
fn every_key_takes_the_range_and_choices_of_its_table_entry() {
    check_ranges::<StripParam>();
    check_ranges::<MasterParam>();
}
