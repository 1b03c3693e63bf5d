//! Host parameters built from the parameter tables of `shared_dsp::params`, so that a dB, Hz,
//! ms or % parameter reads, types and automates the same way on every Stemwise plugin, and
//! ids, names, ranges and defaults have one declaration.
//!
//! No parameter gets a nice-plug smoother: smoothing happens in shared-dsp (conventions §5).

use nice_plug::params::internals::ParamPtr;
use nice_plug::prelude::*;
use shared_dsp::params::{ChoiceList, FloatSpec, Kind, ParamSpec, Unit};
use std::marker::PhantomData;
use std::sync::Arc;

pub use shared_dsp::params::strip::EQ_RANGE_DB;

/// A host enum over the choice list `L` (nice-plug's [`Enum`] for a shared-dsp list).
pub struct Pick<L: ChoiceList>(pub L::Value, PhantomData<L>);

impl<L: ChoiceList> Pick<L> {
    /// The choice standing for `value`.
    pub fn of(value: L::Value) -> Self {
        Self(value, PhantomData)
    }
}

impl<L: ChoiceList> PartialEq for Pick<L> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<L: ChoiceList> Clone for Pick<L> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L: ChoiceList> Copy for Pick<L> {}

impl<L: ChoiceList> Enum for Pick<L> {
    fn variants() -> &'static [&'static str] {
        L::CHOICES.names
    }

    fn ids() -> Option<&'static [&'static str]> {
        Some(L::CHOICES.ids)
    }

    fn to_index(self) -> usize {
        L::index_of(self.0)
    }

    fn from_index(index: usize) -> Self {
        let values = L::CHOICES.values;
        Self::of(values.get(index).copied().unwrap_or(values[0]))
    }
}

/// A choice parameter over the list `L`.
pub type ChoiceParam<L> = EnumParam<Pick<L>>;

/// The shared-dsp value of a choice parameter.
pub trait ChoiceValue<L: ChoiceList> {
    /// The current choice.
    fn choice(&self) -> L::Value;
}

impl<L: ChoiceList> ChoiceValue<L> for ChoiceParam<L> {
    fn choice(&self) -> L::Value {
        self.value().0
    }
}

/// A field of a host parameter struct made of `LEN` consecutive table entries.
pub trait FromTable: Sized {
    /// Number of table entries (host parameters) it holds.
    const LEN: usize;

    /// Builds it from its `LEN` table entries.
    fn build(specs: &[ParamSpec]) -> Self;

    /// Appends its host parameters, in table order.
    fn ptrs(&self, out: &mut Vec<ParamPtr>);

    /// Writes its plain values (`LEN` of them, see `shared_dsp::params`) into `out`.
    fn read(&self, out: &mut [f32]);
}

impl FromTable for FloatParam {
    const LEN: usize = 1;

    fn build(specs: &[ParamSpec]) -> Self {
        let spec = &specs[0];
        let Kind::Float(float) = spec.kind else {
            panic!("{} is not a float parameter", spec.id)
        };
        float_param(spec.name, float)
    }

    fn ptrs(&self, out: &mut Vec<ParamPtr>) {
        out.push(self.as_ptr());
    }

    fn read(&self, out: &mut [f32]) {
        out[0] = self.value();
    }
}

impl FromTable for BoolParam {
    const LEN: usize = 1;

    fn build(specs: &[ParamSpec]) -> Self {
        let spec = &specs[0];
        let Kind::Switch(switch) = spec.kind else {
            panic!("{} is not a switch", spec.id)
        };
        let param = match switch.labels {
            Some((off, on)) => labelled_switch(spec.name, switch.default, off, on),
            None => BoolParam::new(spec.name, switch.default),
        };
        if switch.bypass {
            param.make_bypass()
        } else {
            param
        }
    }

    fn ptrs(&self, out: &mut Vec<ParamPtr>) {
        out.push(self.as_ptr());
    }

    fn read(&self, out: &mut [f32]) {
        out[0] = f32::from(u8::from(self.value()));
    }
}

impl<L: ChoiceList> FromTable for ChoiceParam<L> {
    const LEN: usize = 1;

    fn build(specs: &[ParamSpec]) -> Self {
        let spec = &specs[0];
        let Kind::Choice(choice) = spec.kind else {
            panic!("{} is not a choice parameter", spec.id)
        };
        assert!(
            choice.ids == L::CHOICES.ids,
            "{} chooses from another list",
            spec.id
        );
        EnumParam::new(spec.name, Pick::from_index(choice.default))
    }

    fn ptrs(&self, out: &mut Vec<ParamPtr>) {
        out.push(self.as_ptr());
    }

    fn read(&self, out: &mut [f32]) {
        out[0] = self.value().to_index() as f32;
    }
}

/// The nice-plug parameter for a float table entry: its range, skew, step, unit and text.
fn float_param(name: &str, spec: FloatSpec) -> FloatParam {
    let FloatSpec {
        min,
        max,
        default,
        unit,
        skew,
        step,
        off_at_min,
    } = spec;
    let range = if skew == 0.0 {
        FloatRange::Linear { min, max }
    } else {
        FloatRange::Skewed {
            min,
            max,
            factor: FloatRange::skew_factor(skew),
        }
    };
    let mut param = FloatParam::new(name, default, range).with_unit(unit.suffix());
    if let Some(step) = step {
        param = param.with_step_size(step);
    }
    param = match unit {
        Unit::Db | Unit::Dbtp | Unit::Lufs | Unit::Q => {
            param.with_value_to_string(formatters::v2s_f32_rounded(2))
        }
        Unit::Hz => param
            .with_value_to_string(formatters::v2s_f32_hz_then_khz(1))
            .with_string_to_value(formatters::s2v_f32_hz_then_khz()),
        Unit::Ms => param.with_value_to_string(formatters::v2s_f32_rounded(1)),
        Unit::Percent => param
            .with_value_to_string(formatters::v2s_f32_percentage(0))
            .with_string_to_value(formatters::s2v_f32_percentage()),
        Unit::Ratio => param
            .with_value_to_string(Arc::new(|ratio| format!("{ratio:.2}:1")))
            .with_string_to_value(Arc::new(parse_ratio)),
    };
    if off_at_min {
        param = with_off_at_min(param, min);
    }
    param
}

/// `param` (a frequency) shown as "Off" at or below `off_hz` once rounded to the whole hertz
/// it is shown in, and typed as "off" to get there.
fn with_off_at_min(param: FloatParam, off_hz: f32) -> FloatParam {
    let parse_hz = formatters::s2v_f32_hz_then_khz();
    param
        .with_value_to_string(Arc::new(move |hz: f32| {
            if hz.round() <= off_hz {
                "Off".to_owned()
            } else {
                format!("{hz:.0} Hz")
            }
        }))
        .with_string_to_value(Arc::new(move |text: &str| {
            if text.trim().eq_ignore_ascii_case("off") {
                Some(off_hz)
            } else {
                parse_hz(text)
            }
        }))
}

/// Parses a typed or displayed ratio: "1.50:1", "1.5 : 1", "1.5".
fn parse_ratio(text: &str) -> Option<f32> {
    let number = text.split(':').next()?.trim();
    number.parse().ok().filter(|ratio: &f32| ratio.is_finite())
}

/// An on/off switch shown as `off_label` / `on_label` (e.g. "Normal" / "Inverted"). Both labels
/// parse back to their state (any case), as do "On"/"Off", "true"/"false" and "1"/"0", so a host
/// that restores or types the displayed text gets the state it showed.
fn labelled_switch(
    name: &str,
    default: bool,
    off_label: &'static str,
    on_label: &'static str,
) -> BoolParam {
    BoolParam::new(name, default)
        .with_value_to_string(Arc::new(move |on| {
            if on { on_label } else { off_label }.to_owned()
        }))
        .with_string_to_value(Arc::new(move |text| {
            let text = text.trim();
            let is = |word: &str| text.eq_ignore_ascii_case(word);
            if is(on_label) || is("on") || is("true") || is("1") {
                Some(true)
            } else if is(off_label) || is("off") || is("false") || is("0") {
                Some(false)
            } else {
                None
            }
        }))
}

/// One EQ band's parameters (bell or shelf): three table entries, gain, frequency and Q.
pub struct EqBandParams {
    /// Gain, dB (±[`EQ_RANGE_DB`]). Lane (b).
    pub gain_db: FloatParam,
    /// Frequency, Hz (20 Hz–20 kHz, logarithmic). Lane (b).
    pub freq_hz: FloatParam,
    /// Quality factor (0.3–4; for shelves it sets the knee's resonance, 0.707 = none).
    /// Lane (b).
    pub q: FloatParam,
}

impl FromTable for EqBandParams {
    const LEN: usize = 3;

    fn build(specs: &[ParamSpec]) -> Self {
        Self {
            gain_db: FloatParam::build(&specs[0..]),
            freq_hz: FloatParam::build(&specs[1..]),
            q: FloatParam::build(&specs[2..]),
        }
    }

    fn ptrs(&self, out: &mut Vec<ParamPtr>) {
        out.extend([
            self.gain_db.as_ptr(),
            self.freq_hz.as_ptr(),
            self.q.as_ptr(),
        ]);
    }

    fn read(&self, out: &mut [f32]) {
        out[..3].copy_from_slice(&[self.gain_db.value(), self.freq_hz.value(), self.q.value()]);
    }
}

/// Declares a plugin's host parameter struct over a `shared_dsp::params` table: each field is
/// a [`FromTable`] type followed by the table entry it starts at, fields in table order. It
/// implements `Params` (ids, groups and order from the table) and `values()` (the current
/// values, allocation-free, for `strip_settings` / `master_settings`).
///
/// `from_table()` panics when a field does not start where the previous one ended or the
/// fields do not cover the table, so a misplaced field fails the first test that builds it.
#[macro_export]
macro_rules! host_params {
    (
        $(#[$meta:meta])*
        pub struct $name:ident: $table:ident {
            $( $(#[$field_meta:meta])* pub $field:ident: $ty:ty = $first:ident, )*
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl $name {
            /// Every parameter at its table default.
            ///
            /// # Panics
            /// When the fields do not follow the table (see `host_params!`).
            pub fn from_table() -> Self {
                use $crate::param_kit::FromTable;
                use ::shared_dsp::params::ParamIndex;
                let table = <$table as ParamIndex>::TABLE;
                let mut next = 0;
                let params = Self {
                    $( $field: {
                        let first = $table::$first as usize;
                        assert_eq!(next, first, concat!(stringify!($field), " is out of table order"));
                        next += <$ty as FromTable>::LEN;
                        <$ty as FromTable>::build(&table[first..next])
                    }, )*
                };
                assert_eq!(next, table.len(), "the fields do not cover the table");
                params
            }

            /// The current values (allocation-free).
            pub fn values(&self) -> ::shared_dsp::params::Values<$table> {
                use $crate::param_kit::FromTable;
                let mut values = ::shared_dsp::params::Values::defaults();
                let plain = values.as_mut_slice();
                $(
                    let first = $table::$first as usize;
                    <$ty as FromTable>::read(&self.$field, &mut plain[first..first + <$ty as FromTable>::LEN]);
                )*
                values
            }
        }

        // SAFETY: the pointers point into `self`, which the wrapper keeps alive (in an `Arc`)
        // as long as it uses them, as for derived `Params`.
        unsafe impl ::nice_plug::params::Params for $name {
            fn param_map(&self) -> Vec<(String, ::nice_plug::params::internals::ParamPtr, String)> {
                use $crate::param_kit::FromTable;
                let table = <$table as ::shared_dsp::params::ParamIndex>::TABLE;
                let mut ptrs = Vec::with_capacity(table.len());
                $( <$ty as FromTable>::ptrs(&self.$field, &mut ptrs); )*
                table
                    .iter()
                    .zip(ptrs)
                    .map(|(spec, ptr)| (spec.id.to_owned(), ptr, spec.group.to_owned()))
                    .collect()
            }
        }
    };
}

/// State migration for `Plugin::filter_state`: every parameter of table `P` that `state` lacks
/// (a state saved before the parameter was appended to the table) gets its table default, so
/// an old project loads with the newer features at their defaults (off) instead of keeping
/// whatever the instance had — nice-plug leaves parameters missing from a state untouched.
/// A state with no parameters (nothing to load, or a foreign state emptied by
/// `identity::drop_foreign_state`) stays empty.
pub fn default_missing_params<P: shared_dsp::params::ParamIndex>(state: &mut PluginState) {
    use nice_plug::plugin::ParamValue;
    if state.params.is_empty() {
        return;
    }
    for spec in P::TABLE {
        if state.params.contains_key(spec.id) {
            continue;
        }
        let value = match spec.kind {
            Kind::Float(_) => ParamValue::F32(spec.default_plain()),
            Kind::Switch(_) => ParamValue::Bool(spec.default_plain() >= 0.5),
            Kind::Choice(choice) => ParamValue::I32(choice.default as i32),
        };
        state.params.insert(spec.id.to_owned(), value);
    }
}
