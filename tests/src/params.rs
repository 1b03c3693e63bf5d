//! Parameters as the host sees them through the CLAP params extension, and the parameter
//! settings the generic checks run with. Nothing here knows a Stemwise parameter by name:
//! later issues add parameters and every check picks them up.

use shared_dsp::signals::Rng;

/// One parameter as reported by `clap_plugin_params.get_info`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// CLAP parameter id (a hash of nice-plug's string id).
    pub id: u32,
    /// Display name.
    pub name: String,
    /// Module path (may be empty).
    pub module: String,
    /// Minimum plain value.
    pub min: f64,
    /// Maximum plain value.
    pub max: f64,
    /// Default plain value.
    pub default: f64,
    /// Only whole values between `min` and `max` are valid (bools, enums, integers).
    pub is_stepped: bool,
    /// This is the host bypass parameter.
    pub is_bypass: bool,
    /// The host must not change it.
    pub is_read_only: bool,
    /// Hidden from the user.
    pub is_hidden: bool,
    /// The host may automate it.
    pub is_automatable: bool,
}

impl ParamSpec {
    /// A user-settable parameter that is not the bypass (what "every parameter" means in the
    /// generic checks).
    pub fn is_setting(&self) -> bool {
        !self.is_bypass && !self.is_read_only
    }

    /// The valid value at normalised position `t` in 0…1 (rounded for stepped parameters).
    pub fn value_at(&self, t: f64) -> f64 {
        let value = self.min + t.clamp(0.0, 1.0) * (self.max - self.min);
        if self.is_stepped {
            value.round()
        } else {
            value
        }
    }
}

/// A set of parameter values to apply, as `(param id, plain value)`.
pub type ParamSetting = Vec<(u32, f64)>;

/// A named parameter setting for the generic checks.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedSetting {
    /// `defaults`, `random`, `all-min` or `all-max`.
    pub name: &'static str,
    /// The values; empty means "leave every parameter at its default".
    pub values: ParamSetting,
}

/// Every non-bypass parameter at a seeded-random valid value.
pub fn random_setting(params: &[ParamSpec], seed: u64) -> ParamSetting {
    let mut rng = Rng::new(seed);
    params
        .iter()
        .filter(|p| p.is_setting())
        .map(|p| (p.id, p.value_at(f64::from(rng.next_bipolar()) * 0.5 + 0.5)))
        .collect()
}

/// Every non-bypass parameter at its minimum (`t = 0`) or maximum (`t = 1`).
pub fn extreme_setting(params: &[ParamSpec], t: f64) -> ParamSetting {
    params
        .iter()
        .filter(|p| p.is_setting())
        .map(|p| (p.id, p.value_at(t)))
        .collect()
}

/// The settings every generic check runs with: defaults, one seeded-random setting, all
/// parameters at their minimum and all at their maximum.
pub fn generic_settings(params: &[ParamSpec], seed: u64) -> Vec<NamedSetting> {
    vec![
        NamedSetting {
            name: "defaults",
            values: Vec::new(),
        },
        NamedSetting {
            name: "random",
            values: random_setting(params, seed),
        },
        NamedSetting {
            name: "all-min",
            values: extreme_setting(params, 0.0),
        },
        NamedSetting {
            name: "all-max",
            values: extreme_setting(params, 1.0),
        },
    ]
}

/// The bypass parameter, if the plugin has one.
pub fn bypass_param(params: &[ParamSpec]) -> Option<&ParamSpec> {
    params.iter().find(|p| p.is_bypass)
}

/// The parameter with display name `name` (for the few named expectations).
pub fn param_named<'a>(params: &'a [ParamSpec], name: &str) -> Option<&'a ParamSpec> {
    params.iter().find(|p| p.name == name)
}
