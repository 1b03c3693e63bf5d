//! Stem roles and the stem-mastering practice table behind their defaults: the gentle ranges
//! a stem of each role should need, and the starting point a role selector loads.
//!
//! | row        | trim shown | ratio     | EQ max | attack ms | release ms |
//! |------------|------------|-----------|--------|-----------|------------|
//! | general    | ±1–3 dB    | 1.5–2:1   | ±2 dB  | 10–30     | 80–200     |
//! | drums      | ±2–3 dB    | 1.5–2:1   | ±3 dB  | 5–15      | 60–120     |
//! | vocals     | ±1–2 dB    | 1.2–1.5:1 | ±2 dB  | 20–40     | 100–250    |
//! | bass/keys  | ±1–3 dB    | 1.5–2:1   | ±2 dB  | 15–30     | 80–180     |

use crate::params::choice::Roles;
use crate::params::ChoiceList;
use std::ops::RangeInclusive;

/// What a stem carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// Drum kit and percussion.
    Drums,
    /// Bass (electric, synth).
    Bass,
    /// Keys, guitars and other instruments.
    Keys,
    /// Lead and backing vocals.
    Vocals,
    /// Sub-bass (electronic music).
    Sub,
    /// Effects and ambience returns (electronic music).
    Fx,
    /// Film/TV dialogue.
    Dialogue,
    /// Film/TV music.
    Music,
    /// Film/TV effects.
    Effects,
    /// Anything else.
    #[default]
    Other,
}

/// Every role, in selector order (the role choice list's order).
pub const ROLES: &[Role] = Roles::CHOICES.values;

/// One row of the practice table: the gentle ranges of a role.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleRanges {
    /// Row name (`general`, `drums`, `vocals`, `bass/keys`).
    pub row: &'static str,
    /// Normal trim, dB either side of 0 (the shaded zone; beyond it the strip warns anyway
    /// past ±3 dB).
    pub trim_db: RangeInclusive<f32>,
    /// Normal compression ratio.
    pub ratio: RangeInclusive<f32>,
    /// Largest normal EQ gain either way, dB.
    pub eq_max_db: f32,
    /// Normal attack, ms.
    pub attack_ms: RangeInclusive<f32>,
    /// Normal release, ms.
    pub release_ms: RangeInclusive<f32>,
}

/// The starting point a role loads: only a gentle suggestion, never a stage switched on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoleDefaults {
    /// Compressor ratio (middle of the row).
    pub ratio: f32,
    /// Compressor attack, ms (middle of the row).
    pub attack_ms: f32,
    /// Compressor release, ms (middle of the row).
    pub release_ms: f32,
    /// High-pass frequency offered for the role (vocals and dialogue: 80 Hz), Hz.
    pub high_pass_hz: Option<f32>,
    /// Parallel saturation mix offered for the role (bass: a light 20 %), 0…1.
    pub saturation_mix_t: Option<f32>,
}

/// Middle of a range.
fn middle(range: &RangeInclusive<f32>) -> f32 {
    0.5 * (range.start() + range.end())
}

impl Role {
    /// Display name (from the role selector's choice list, [`Roles`]).
    pub fn name(self) -> &'static str {
        Roles::CHOICES.names[Roles::index_of(self)]
    }

    /// The practice-table row of this role.
    pub fn ranges(self) -> RoleRanges {
        match self {
            Role::Drums => RoleRanges {
                row: "drums",
                trim_db: 2.0..=3.0,
                ratio: 1.5..=2.0,
                eq_max_db: 3.0,
                attack_ms: 5.0..=15.0,
                release_ms: 60.0..=120.0,
            },
            Role::Vocals | Role::Dialogue => RoleRanges {
                row: "vocals",
                trim_db: 1.0..=2.0,
                ratio: 1.2..=1.5,
                eq_max_db: 2.0,
                attack_ms: 20.0..=40.0,
                release_ms: 100.0..=250.0,
            },
            Role::Bass | Role::Keys | Role::Sub => RoleRanges {
                row: "bass/keys",
                trim_db: 1.0..=3.0,
                ratio: 1.5..=2.0,
                eq_max_db: 2.0,
                attack_ms: 15.0..=30.0,
                release_ms: 80.0..=180.0,
            },
            Role::Fx | Role::Music | Role::Effects | Role::Other => RoleRanges {
                row: "general",
                trim_db: 1.0..=3.0,
                ratio: 1.5..=2.0,
                eq_max_db: 2.0,
                attack_ms: 10.0..=30.0,
                release_ms: 80.0..=200.0,
            },
        }
    }

    /// What selecting this role loads.
    pub fn defaults(self) -> RoleDefaults {
        let r = self.ranges();
        RoleDefaults {
            ratio: middle(&r.ratio),
            attack_ms: middle(&r.attack_ms),
            release_ms: middle(&r.release_ms),
            high_pass_hz: matches!(self, Role::Vocals | Role::Dialogue).then_some(80.0),
            saturation_mix_t: matches!(self, Role::Bass).then_some(0.2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_sit_in_the_middle_of_their_row() {
        let drums = Role::Drums.defaults();
        assert_eq!(
            (drums.ratio, drums.attack_ms, drums.release_ms),
            (1.75, 10.0, 90.0)
        );
        let vocals = Role::Vocals.defaults();
        assert_eq!(
            (vocals.ratio, vocals.attack_ms, vocals.release_ms),
            (1.35, 30.0, 175.0)
        );
        assert_eq!(vocals.high_pass_hz, Some(80.0));
        assert_eq!(Role::Bass.defaults().saturation_mix_t, Some(0.2));
        assert_eq!(Role::Keys.defaults().release_ms, 130.0);
        assert_eq!(Role::Other.defaults().attack_ms, 20.0);
        for role in ROLES {
            let (d, r) = (role.defaults(), role.ranges());
            assert!(r.ratio.contains(&d.ratio) && d.ratio <= 3.0, "{role:?}");
            assert!(r.attack_ms.contains(&d.attack_ms) && r.release_ms.contains(&d.release_ms));
        }
    }
}
