//! Dialogue-gated integrated loudness for dialogue-gated delivery targets (Netflix, …):
//! the programme's loudness measured only over the 400 ms gating blocks in which the dialogue
//! stem is active.
//!
//! The gating blocks are the ITU-R BS.1770-4 ones (400 ms, 75 % overlap, so one every 100 ms:
//! the momentary loudness read every 100 ms from [`crate::loudness::LoudnessMeter`] once the
//! first 400 ms are in). A block counts as dialogue when the dialogue stem's own block passes
//! the BS.1770 gates of the dialogue stem (absolute −70 LUFS, relative −10 LU below the
//! stem's gated loudness): speech pauses and breaths fall out, as with a dialogue detector
//! that knows where the dialogue is. The programme's blocks selected that way are then gated
//! as BS.1770 does (absolute −70 LUFS, relative −10 LU). Source: ITU-R BS.1770-4 §2.8,
//! <https://www.itu.int/rec/R-REC-BS.1770>.

use crate::loudness::{energy_to_lufs, lufs_to_energy, ABSOLUTE_GATE_LUFS};

/// Relative gate below the absolute-gated loudness, LU (BS.1770-4).
pub const RELATIVE_GATE_LU: f64 = -10.0;

/// BS.1770 gated loudness (LUFS, −∞ if no block passes) of the blocks `momentary_lufs[i]`
/// for which `include(i)` is true.
pub fn gated_loudness_lufs(momentary_lufs: &[f32], include: impl Fn(usize) -> bool) -> f32 {
    let above_absolute: Vec<f64> = momentary_lufs
        .iter()
        .enumerate()
        .filter(|&(i, &l)| include(i) && f64::from(l) > ABSOLUTE_GATE_LUFS)
        .map(|(_, &l)| lufs_to_energy(f64::from(l)))
        .collect();
    if above_absolute.is_empty() {
        return f32::NEG_INFINITY;
    }
    let mean = above_absolute.iter().sum::<f64>() / above_absolute.len() as f64;
    let relative_gate = lufs_to_energy(energy_to_lufs(mean) + RELATIVE_GATE_LU);
    let (sum, count) = above_absolute
        .iter()
        .filter(|&&e| e > relative_gate)
        .fold((0.0, 0usize), |(s, n), &e| (s + e, n + 1));
    if count == 0 {
        return f32::NEG_INFINITY;
    }
    energy_to_lufs(sum / count as f64) as f32
}

/// Which blocks carry dialogue: the blocks of the dialogue stem that pass its own BS.1770
/// gates.
pub fn dialogue_blocks(dialogue_momentary_lufs: &[f32]) -> Vec<bool> {
    let gated = gated_loudness_lufs(dialogue_momentary_lufs, |_| true);
    let threshold = (f64::from(gated) + RELATIVE_GATE_LU).max(ABSOLUTE_GATE_LUFS);
    dialogue_momentary_lufs
        .iter()
        .map(|&l| f64::from(l) > threshold)
        .collect()
}

/// Dialogue-gated loudness of a programme, LUFS: [`gated_loudness_lufs`] over the blocks
/// where [`dialogue_blocks`] is true (both series on the same 100 ms grid).
pub fn dialogue_gated_lufs(
    programme_momentary_lufs: &[f32],
    dialogue_momentary_lufs: &[f32],
) -> f32 {
    let active = dialogue_blocks(dialogue_momentary_lufs);
    gated_loudness_lufs(programme_momentary_lufs, |i| {
        active.get(i).copied().unwrap_or(false)
    })
}
