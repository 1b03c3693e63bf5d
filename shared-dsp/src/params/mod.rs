//! The one declaration of every plugin parameter: for each, its frozen id, display name,
//! group, unit, range, default, skew and step, its choices, the practice range the GUI shades
//! and warns on, and whether a session file sets it. The plugins build their host parameters
//! from these tables (`plugin_common::param_kit`), the `stemwise` CLI reads session keys
//! through them (`cli/src/session/keys.rs`), and [`strip::strip_settings`] /
//! [`master::master_settings`] turn a set of values into the settings both of them run.
//!
//! Values are plain values as the plugin holds them: dB, Hz, ms, ratios, 0…1 for
//! percentages ([`Unit::Percent`]; session files write 0–100), 0/1 for switches and the
//! choice index for choices.
//!
//! IDs are frozen forever: changing one breaks every saved project. The table order is the
//! order hosts show (and automation lanes keep): append, never reorder.

pub mod choice;
pub mod master;
pub mod spec;
pub mod strip;

pub use choice::{ChoiceList, Choices};
pub use spec::{FloatSpec, Kind, ParamSpec, SwitchSpec, Unit};

use std::marker::PhantomData;

/// Most parameters a table may hold (the size of [`Values`]).
pub const MAX_PARAMS: usize = 64;

/// A parameter table: one variant per parameter, in host order, each with its [`ParamSpec`].
/// Implemented by [`param_table!`].
pub trait ParamIndex: Copy + std::fmt::Debug + 'static {
    /// Every parameter's declaration, in host order.
    const TABLE: &'static [ParamSpec];
    /// Every parameter, in host order.
    const ALL: &'static [Self];

    /// Position in [`Self::TABLE`].
    fn index(self) -> usize;

    /// This parameter's declaration.
    fn spec(self) -> &'static ParamSpec {
        &Self::TABLE[self.index()]
    }
}

/// Declares a parameter table: an enum with one variant per parameter (in host order) and its
/// [`ParamIndex`] implementation holding each variant's [`ParamSpec`].
#[macro_export]
macro_rules! param_table {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $spec:expr, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(usize)]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant, )*
        }

        impl $crate::params::ParamIndex for $name {
            const TABLE: &'static [$crate::params::ParamSpec] = &[$($spec),*];
            const ALL: &'static [Self] = &[$(Self::$variant),*];

            fn index(self) -> usize {
                self as usize
            }
        }

        const _: () = assert!(
            <$name as $crate::params::ParamIndex>::TABLE.len() <= $crate::params::MAX_PARAMS
        );
    };
}

/// One value per parameter of table `P` (plain values, see the module doc). Copy, fixed size:
/// the plugins fill one per block without allocating.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Values<P> {
    /// Plain values by table index; the tail past the table is unused.
    plain: [f32; MAX_PARAMS],
    /// The table these values belong to.
    table: PhantomData<P>,
}

impl<P: ParamIndex> Default for Values<P> {
    fn default() -> Self {
        Self::defaults()
    }
}

impl<P: ParamIndex> Values<P> {
    /// Every parameter at its default.
    pub fn defaults() -> Self {
        let mut plain = [0.0; MAX_PARAMS];
        for (value, spec) in plain.iter_mut().zip(P::TABLE) {
            *value = spec.default_plain();
        }
        Self {
            plain,
            table: PhantomData,
        }
    }

    /// The plain value of `param`.
    pub fn get(&self, param: P) -> f32 {
        self.plain[param.index()]
    }

    /// Sets the plain value of `param`.
    pub fn set(&mut self, param: P, plain: f32) {
        self.plain[param.index()] = plain;
    }

    /// The values in table order (for filling them from host parameters).
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.plain[..P::TABLE.len()]
    }

    /// A switch's state.
    pub fn on(&self, param: P) -> bool {
        self.get(param) >= 0.5
    }

    /// A choice parameter's value from its list `L` (the first choice for an index out of
    /// range).
    pub fn choice<L: ChoiceList>(&self, param: P) -> L::Value {
        debug_assert!(
            matches!(param.spec().kind, Kind::Choice(c) if c.ids == L::CHOICES.ids),
            "{param:?} does not choose from this list"
        );
        let values = L::CHOICES.values;
        let index = self.get(param).round().max(0.0) as usize;
        values.get(index).copied().unwrap_or(values[0])
    }
}

#[cfg(test)]
mod tests {
    use super::master::MasterParam;
    use super::strip::StripParam;
    use super::*;

    /// Ids are unique, defaults and practice ranges lie in the range, variants match entries.
    fn check_table<P: ParamIndex>() {
        for (index, (&param, spec)) in P::ALL.iter().zip(P::TABLE).enumerate() {
            assert_eq!(param.index(), index, "{param:?}");
            let same_id = P::TABLE.iter().filter(|s| s.id == spec.id).count();
            assert_eq!(same_id, 1, "{} is not unique", spec.id);
            let (min, max) = spec.plain_range();
            assert!((min..=max).contains(&spec.default_plain()), "{}", spec.id);
            if let Some((lo, hi)) = spec.practice {
                assert!(min <= lo && lo < hi && hi <= max, "{}", spec.id);
            }
        }
        assert_eq!(
            Values::<P>::defaults().get(P::ALL[1]),
            P::TABLE[1].default_plain()
        );
    }

    #[test]
    fn tables_are_consistent() {
        check_table::<StripParam>();
        check_table::<MasterParam>();
    }
}
