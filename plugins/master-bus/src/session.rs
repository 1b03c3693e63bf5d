//! The Session panel's model: every Stem Strip of the session as the session link shows it,
//! with the checks a mastering engineer makes across stems — stem count, loudness
//! contribution (an estimate from the strips' published 100 ms energies), latency agreement
//! and which stems drive the limiting.
//!
//! Nothing here runs on the audio thread: the GUI and the state save read the shared-memory
//! segment themselves ([`SessionLink::snapshot`]).

use nice_plug::params::persist::PersistentField;
use serde::{Deserialize, Serialize};
use session_link::{LinkedStrip, Reader, Warnings, DEFAULT_SESSION};
use shared_dsp::roles::ROLES;
use std::sync::{Arc, Mutex};

/// Stem counts mastering engineers work with comfortably.
pub const STEM_COUNT_PRACTICE: std::ops::RangeInclusive<usize> = 4..=8;
/// The short-term window of the contribution estimate, in 100 ms energy blocks.
pub const CONTRIBUTION_BLOCKS: usize = 30;
/// Loud blocks (this top share of the window by summed energy) count as "driving the limiter".
pub const LOUD_SHARE: f64 = 0.2;

/// The link to the session's shared-memory segment, and the session's name.
#[derive(Default)]
pub struct SessionLink {
    /// Session name (persisted) and the reader opened for it (`Err` text when unavailable).
    inner: Mutex<LinkInner>,
}

/// The mutable part of [`SessionLink`].
#[derive(Default)]
struct LinkInner {
    /// Session name as the user set it (empty = [`DEFAULT_SESSION`]).
    name: String,
    /// The reader for `name`, opened on first use; the error's text when it failed.
    reader: Option<Result<Reader, String>>,
}

/// One linked strip as the panel lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StripRow {
    /// Display name.
    pub name: String,
    /// Role, as its display name.
    pub role: String,
    /// Trim, dB.
    pub trim_db: f32,
    /// Polarity inverted (left or mono, right).
    pub invert: [bool; 2],
    /// Host bypass engaged.
    pub bypassed: bool,
    /// Compressor gain reduction, dB.
    pub reduction_db: f32,
    /// Short-term loudness of the strip's output, LUFS (`None` when undefined).
    pub short_term_lufs: Option<f32>,
    /// Guardrail warnings in words.
    pub warnings: Vec<String>,
    /// Reported latency, samples.
    pub latency_samples: u32,
    /// Latency the host must add to this stem to line up with the slowest one, samples.
    pub latency_offset_samples: u32,
    /// Share of the session's short-term energy, 0..1 (estimate).
    pub loudness_share: f64,
    /// How much quieter the master would be without this stem, LU (estimate).
    pub contribution_lu: f64,
    /// Share of the energy in the session's loudest blocks (what drives the limiter), 0..1.
    pub limiting_share: f64,
    /// The host is calling the strip's `process`.
    pub processing: bool,
}

/// What the panel shows (also saved with the state as the session's record).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Session name.
    pub name: String,
    /// Why the link is unavailable (`None` when it works).
    #[serde(default)]
    pub unavailable: Option<String>,
    /// The linked strips, sorted by role then name.
    #[serde(default)]
    pub strips: Vec<StripRow>,
}

impl SessionLink {
    /// The session name (never empty).
    pub fn name(&self) -> String {
        let inner = self.lock();
        if inner.name.is_empty() {
            DEFAULT_SESSION.to_owned()
        } else {
            inner.name.clone()
        }
    }

    /// Joins another session (the reader reopens on the next snapshot).
    pub fn set_name(&self, name: &str) {
        let mut inner = self.lock();
        if inner.name != name {
            inner.name = name.trim().to_owned();
            inner.reader = None;
        }
    }

    /// Reads every live strip of the session now.
    pub fn snapshot(&self) -> SessionRecord {
        let name = self.name();
        let mut inner = self.lock();
        let reader = inner
            .reader
            .get_or_insert_with(|| Reader::open(&name).map_err(|e| e.to_string()));
        match reader {
            Ok(reader) => SessionRecord {
                strips: rows(&reader.snapshot()),
                name,
                unavailable: None,
            },
            Err(why) => SessionRecord {
                name,
                unavailable: Some(why.clone()),
                strips: Vec::new(),
            },
        }
    }

    /// The inner state (a poisoned lock only means a panic elsewhere; the data is plain).
    fn lock(&self) -> std::sync::MutexGuard<'_, LinkInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<'a> PersistentField<'a, SessionRecord> for Arc<SessionLink> {
    /// Restores the session name (the strips are a record of the save, read live again).
    fn set(&self, record: SessionRecord) {
        self.set_name(&record.name);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&SessionRecord) -> R,
    {
        f(&self.snapshot())
    }
}

/// Advice on the number of stems.
pub fn stem_count_advice(count: usize) -> Option<&'static str> {
    if count == 0 {
        Some("No Stem Strip linked: insert Stemwise Stem Strip on each stem track, same session")
    } else if count < *STEM_COUNT_PRACTICE.start() {
        Some("Fewer than 4 stems: little room for stem-level moves")
    } else if count > *STEM_COUNT_PRACTICE.end() {
        Some("More than 8 stems: this approaches remixing; group stems where you can")
    } else {
        None
    }
}

/// The stem whose trim would reach the target with the least limiting, and the trim in dB:
/// the one driving the limiter most beyond its share of the loudness, turned down by that
/// excess share of the limiting needed (at most 3 dB, the stem-mastering range). `None` when
/// no limiting is needed or no stem stands out.
pub fn trim_suggestion(rows: &[StripRow], limiting_needed_db: f32) -> Option<(&StripRow, f32)> {
    if limiting_needed_db <= 0.0 {
        return None;
    }
    let (row, excess) = rows
        .iter()
        .map(|r| (r, r.limiting_share - r.loudness_share))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let trim_db = (f64::from(limiting_needed_db) * excess).min(3.0) as f32;
    (trim_db >= 0.25).then_some((row, -trim_db))
}

/// The panel's rows for `strips`: sorted by role then name, with the session-wide estimates.
pub fn rows(strips: &[LinkedStrip]) -> Vec<StripRow> {
    let max_latency = strips
        .iter()
        .map(|s| s.state.latency_samples)
        .max()
        .unwrap_or(0);
    let energies = window_energies(strips);
    let total: f64 = energies.iter().map(|e| e.0).sum();
    let loud_total: f64 = energies.iter().map(|e| e.1).sum();
    let mut rows: Vec<StripRow> = strips
        .iter()
        .zip(&energies)
        .map(|(strip, &(energy, loud_energy))| {
            let s = &strip.state;
            let share = |part: f64, whole: f64| if whole > 0.0 { part / whole } else { 0.0 };
            let without = (total - energy).max(total * 1e-12);
            StripRow {
                name: s.name.as_str().to_owned(),
                role: s.role.name().to_owned(),
                trim_db: s.trim_db,
                invert: s.invert,
                bypassed: s.bypassed,
                reduction_db: s.reduction_db,
                short_term_lufs: s.short_term_lufs.is_finite().then_some(s.short_term_lufs),
                warnings: warning_words(s.warnings),
                latency_samples: s.latency_samples,
                latency_offset_samples: max_latency - s.latency_samples,
                loudness_share: share(energy, total),
                contribution_lu: if total > 0.0 {
                    10.0 * (total / without).log10()
                } else {
                    0.0
                },
                limiting_share: share(loud_energy, loud_total),
                processing: strip.is_processing,
            }
        })
        .collect();
    let role_rank = |role: &str| ROLES.iter().position(|r| r.name() == role);
    rows.sort_by(|a, b| {
        role_rank(&a.role)
            .cmp(&role_rank(&b.role))
            .then_with(|| a.name.cmp(&b.name))
    });
    rows
}

/// Each strip's energy over the last [`CONTRIBUTION_BLOCKS`] blocks of the session, and over
/// the session's loudest blocks in that window. Blocks are matched across strips by their
/// transport position (strips in other processes run on their own clocks), so only blocks
/// at the newest common positions count.
fn window_energies(strips: &[LinkedStrip]) -> Vec<(f64, f64)> {
    let newest = strips
        .iter()
        .filter_map(|s| s.energy_blocks().last().map(|b| b.start_samples))
        .min();
    let Some(newest) = newest else {
        return vec![(0.0, 0.0); strips.len()];
    };
    // Positions of the window: the newest block every strip has, and the ones before it.
    let mut positions: Vec<i64> = strips
        .iter()
        .flat_map(|s| s.energy_blocks().iter().map(|b| b.start_samples))
        .filter(|&p| p <= newest)
        .collect();
    positions.sort_unstable();
    positions.dedup();
    let start = positions.len().saturating_sub(CONTRIBUTION_BLOCKS);
    let positions = &positions[start..];
    let energy_at = |strip: &LinkedStrip, position: i64| {
        strip
            .energy_blocks()
            .iter()
            .find(|b| b.start_samples == position)
            .map_or(0.0, |b| b.energy)
    };
    let mut block_totals: Vec<(i64, f64)> = positions
        .iter()
        .map(|&p| (p, strips.iter().map(|s| energy_at(s, p)).sum()))
        .collect();
    block_totals.sort_by(|a, b| b.1.total_cmp(&a.1));
    let num_loud = ((positions.len() as f64 * LOUD_SHARE).ceil() as usize).max(1);
    let loud: Vec<i64> = block_totals.iter().take(num_loud).map(|b| b.0).collect();
    strips
        .iter()
        .map(|s| {
            let all = positions.iter().map(|&p| energy_at(s, p)).sum();
            let loudest = loud.iter().map(|&p| energy_at(s, p)).sum();
            (all, loudest)
        })
        .collect()
}

/// The warnings in words.
fn warning_words(warnings: Warnings) -> Vec<String> {
    [
        (Warnings::TRIM, "trim beyond ±3 dB"),
        (Warnings::RATIO, "ratio above 3:1"),
        (Warnings::EQ, "EQ beyond the gentle range"),
        (Warnings::POLARITY, "polarity inverted"),
    ]
    .into_iter()
    .filter(|(flag, _)| warnings.contains(*flag))
    .map(|(_, words)| words.to_owned())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_link::{EnergyBlock, StripName, StripState, ENERGY_RING_LEN};
    use shared_dsp::roles::Role;

    /// A strip with `energies` on the transport grid (100 ms at 48 kHz) ending at block 40.
    fn strip(name: &str, role: Role, latency: u32, energies: &[f64]) -> LinkedStrip {
        let mut blocks = [EnergyBlock::default(); ENERGY_RING_LEN];
        let first = 40 - energies.len() as i64;
        for (i, (block, &energy)) in blocks.iter_mut().zip(energies).enumerate() {
            *block = EnergyBlock {
                sequence: i as u64,
                start_samples: (first + i as i64) * 4800,
                num_frames: 4800,
                flags: EnergyBlock::TRANSPORT | EnergyBlock::PLAYING,
                peak_dbfs: -6.0,
                energy,
            };
        }
        LinkedStrip {
            slot_index: 0,
            owner_id: 1,
            published_age_ms: 0,
            is_processing: true,
            state: StripState {
                name: StripName::new(name),
                role,
                latency_samples: latency,
                ..StripState::default()
            },
            energy_blocks: blocks,
            num_energy_blocks: energies.len(),
        }
    }

    #[test]
    fn rows_sort_by_role_and_estimate_contribution_and_limiting() {
        // A steady pad and a drum that is loud in 6 of 30 blocks.
        let drums: Vec<f64> = (0..30)
            .map(|i| if i % 5 == 0 { 0.09 } else { 0.001 })
            .collect();
        let strips = [
            strip("Pad", Role::Keys, 79, &[0.01; 30]),
            strip("Drums", Role::Drums, 4175, &drums),
        ];
        let rows = rows(&strips);
        assert_eq!(rows[0].name, "Drums", "drums sort first");
        let (drum_energy, pad_energy) = (drums.iter().sum::<f64>(), 0.3);
        let share = drum_energy / (drum_energy + pad_energy);
        assert!((rows[0].loudness_share - share).abs() < 1e-9);
        let without_drums = 10.0 * ((drum_energy + pad_energy) / pad_energy).log10();
        assert!((rows[0].contribution_lu - without_drums).abs() < 1e-9);
        // The loudest 20 % (6 blocks) are exactly the drum hits.
        let loud_share = 6.0 * 0.09 / (6.0 * 0.09 + 6.0 * 0.01);
        assert!((rows[0].limiting_share - loud_share).abs() < 1e-9);
        assert_eq!(rows[1].latency_offset_samples, 4175 - 79);
        let (row, trim_db) = trim_suggestion(&rows, 4.0).unwrap();
        assert_eq!(row.name, "Drums");
        assert!((-3.0..-0.25).contains(&trim_db), "{trim_db}");
        assert!(trim_suggestion(&rows, 0.0).is_none());
    }

    #[test]
    fn stem_count_guidance_follows_practice() {
        assert!(stem_count_advice(0).is_some());
        assert!(stem_count_advice(3).is_some());
        assert!(stem_count_advice(6).is_none());
        assert!(stem_count_advice(9).is_some());
    }
}
