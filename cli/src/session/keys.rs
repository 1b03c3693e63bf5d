//! `[stem.strip]` and `[master]`: the plugins' parameter ids as keys, read through the
//! parameter tables of `shared_dsp::params` (range, unit, choices and default of every key
//! come from there). Percentages are written 0–100 (the plugins store 0…1). An unknown key,
//! a value of the wrong type or out of range is refused with its line and column and, from the
//! table, what the key accepts.

use super::line_col;
use anyhow::{anyhow, Result};
use serde::Serialize;
use shared_dsp::params::{Kind, ParamIndex, ParamSpec, Unit, Values};
use std::collections::BTreeMap;
use toml::Spanned;

/// A parameter section as written, with the place of every key and value.
pub type Section = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

/// The parameter of table `P` that session key `key` sets.
pub fn param_of<P: ParamIndex>(key: &str) -> Option<P> {
    P::ALL
        .iter()
        .copied()
        .find(|p| p.spec().in_session && p.spec().id == key)
}

/// Every session key of table `P`, in table order.
pub fn session_keys<P: ParamIndex>() -> impl Iterator<Item = &'static str> {
    P::TABLE.iter().filter(|s| s.in_session).map(|s| s.id)
}

/// The values a section sets (every other parameter at its default); errors name the line and
/// column in `text` (the session file).
pub fn read_section<P: ParamIndex>(section: &Section, text: &str) -> Result<Values<P>> {
    let at = |span: std::ops::Range<usize>, message: String| {
        let (line, col) = line_col(text, span.start);
        anyhow!("line {line}, column {col}: {message}")
    };
    let mut values = Values::defaults();
    for (key, value) in section {
        let param = param_of::<P>(key.get_ref()).ok_or_else(|| {
            let keys: Vec<_> = session_keys::<P>().collect();
            at(
                key.span(),
                format!(
                    "unknown field `{}`, expected one of {}",
                    key.get_ref(),
                    keys.join(", ")
                ),
            )
        })?;
        let plain = plain_value(param.spec(), value.get_ref()).map_err(|e| at(value.span(), e))?;
        values.set(param, plain);
    }
    Ok(values)
}

/// The values a table of session keys sets, without places (for tools that build one).
pub fn read_table<P: ParamIndex>(table: &toml::Table) -> Result<Values<P>> {
    let mut values = Values::defaults();
    for (key, value) in table {
        let param = param_of::<P>(key).ok_or_else(|| anyhow!("unknown field `{key}`"))?;
        values.set(
            param,
            plain_value(param.spec(), value).map_err(|e| anyhow!(e))?,
        );
    }
    Ok(values)
}

/// The plain value (see `shared_dsp::params`) of session value `value` for `spec`, or why it
/// is refused.
pub fn plain_value(spec: &ParamSpec, value: &toml::Value) -> Result<f32, String> {
    let key = spec.id;
    let invalid = |expected: &str| {
        format!(
            "invalid type: {} {value}, expected {expected} ({key}: {})",
            value.type_str(),
            describe(spec)
        )
    };
    match spec.kind {
        Kind::Float(float) => {
            let written = match value {
                toml::Value::Float(x) => *x as f32,
                toml::Value::Integer(n) => *n as f32,
                _ => return Err(invalid("a number")),
            };
            let scale = float.unit.session_scale();
            let (lo, hi) = (float.min * scale, float.max * scale);
            if !(lo..=hi).contains(&written) {
                return Err(format!("{key} = {written} is outside {lo}…{hi}"));
            }
            Ok(if scale == 1.0 {
                written
            } else {
                written / scale
            })
        }
        Kind::Switch(_) => match value {
            toml::Value::Boolean(on) => Ok(f32::from(u8::from(*on))),
            _ => Err(invalid("true or false")),
        },
        Kind::Choice(choice) => {
            let toml::Value::String(id) = value else {
                return Err(invalid("a string"));
            };
            let index =
                choice.ids.iter().position(|i| i == id).ok_or_else(|| {
                    format!("{key} = \"{id}\" is not one of {}", quoted(choice.ids))
                })?;
            Ok(index as f32)
        }
    }
}

/// The value a session writes for plain value `plain` of `spec` (percentages 0–100, choices
/// by id).
pub fn session_value(spec: &ParamSpec, plain: f32) -> toml::Value {
    match spec.kind {
        Kind::Float(float) => {
            let scale = float.unit.session_scale();
            let written = if scale == 1.0 { plain } else { plain * scale };
            toml::Value::Float(f64::from(written))
        }
        Kind::Switch(_) => toml::Value::Boolean(plain >= 0.5),
        Kind::Choice(choice) => {
            toml::Value::String(choice.ids[plain.round().max(0.0) as usize].to_owned())
        }
    }
}

/// What a key accepts, in session units: `dB, -12…12`, `Hz, 20…300 (20 = off)`,
/// `true or false`, `"12" (12 dB/oct) or "24" (24 dB/oct)`. Error messages and the comments of
/// `examples/session.toml` use it.
pub fn describe(spec: &ParamSpec) -> String {
    match spec.kind {
        Kind::Float(float) => {
            let scale = float.unit.session_scale();
            let (lo, hi) = (float.min * scale, float.max * scale);
            let unit = match float.unit {
                Unit::Ratio | Unit::Q => String::new(),
                unit => format!("{}, ", unit.label()),
            };
            let off = if float.off_at_min {
                format!(" ({lo} = off)")
            } else {
                String::new()
            };
            format!("{unit}{lo}…{hi}{off}")
        }
        Kind::Switch(switch) => match switch.labels {
            Some((off, on)) => format!("false ({off}) or true ({on})"),
            None => "true or false".to_owned(),
        },
        Kind::Choice(choice) => {
            let options: Vec<_> = choice
                .ids
                .iter()
                .zip(choice.names)
                .map(|(id, name)| format!("\"{id}\" ({name})"))
                .collect();
            options.join(", ")
        }
    }
}

/// `"a", "b", "c"`.
fn quoted(ids: &[&str]) -> String {
    let ids: Vec<_> = ids.iter().map(|id| format!("\"{id}\"")).collect();
    ids.join(", ")
}

/// One session key as `stemwise params --json` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    /// The key (the plugin's parameter id).
    pub key: &'static str,
    /// The plugin's display name.
    pub name: &'static str,
    /// Host group (empty at the top level).
    pub group: &'static str,
    /// `float`, `switch` or `choice`.
    pub kind: &'static str,
    /// Unit label (floats).
    pub unit: Option<&'static str>,
    /// Lowest plain value (the plugin's units; choices: 0).
    pub min: f32,
    /// Highest plain value (choices: the last index).
    pub max: f32,
    /// Default plain value.
    pub default: f32,
    /// Choice ids (choices).
    pub choices: Vec<&'static str>,
    /// Choice display names (choices).
    pub choice_names: Vec<&'static str>,
    /// The practice range the GUI shades, plain values.
    pub practice: Option<(f32, f32)>,
    /// A session file sets it.
    pub in_session: bool,
    /// What the key accepts, in session units.
    pub accepts: String,
    /// The default as a session writes it.
    pub session_default: String,
}

/// Every parameter of table `P` for `stemwise params`.
pub fn key_infos<P: ParamIndex>() -> Vec<KeyInfo> {
    P::TABLE
        .iter()
        .map(|spec| {
            let (min, max) = spec.plain_range();
            let (kind, unit, choices, choice_names) = match spec.kind {
                Kind::Float(f) => ("float", Some(f.unit.label()), vec![], vec![]),
                Kind::Switch(_) => ("switch", None, vec![], vec![]),
                Kind::Choice(c) => ("choice", None, c.ids.to_vec(), c.names.to_vec()),
            };
            KeyInfo {
                key: spec.id,
                name: spec.name,
                group: spec.group,
                kind,
                unit,
                min,
                max,
                default: spec.default_plain(),
                choices,
                choice_names,
                practice: spec.practice,
                in_session: spec.in_session,
                accepts: describe(spec),
                session_default: session_value(spec, spec.default_plain()).to_string(),
            }
        })
        .collect()
}
