//! Dialogue-gated loudness: over every block it is the BS.1770 integrated loudness the meter
//! reads, and gated on a dialogue stem it measures the programme only where the dialogue is.
//! Run: `cargo test -p shared-dsp --profile harness --test dialogue_gate`.

use shared_dsp::dialogue_gate::{dialogue_blocks, dialogue_gated_lufs, gated_loudness_lufs};
use shared_dsp::loudness::LoudnessMeter;
use shared_dsp::signals::pink_noise;

const FS: f64 = 48_000.0;
const HOP: usize = 4_800;

/// Momentary loudness every 100 ms from the fourth hop on (full 400 ms blocks), and the
/// meter's integrated loudness.
fn blocks(x: &[f32]) -> (Vec<f32>, f32) {
    let mut meter = LoudnessMeter::new(FS, HOP, 2);
    let mut momentary = Vec::new();
    for start in (0..x.len()).step_by(HOP) {
        let end = (start + HOP).min(x.len());
        meter.process_block(&[&x[start..end], &x[start..end]]);
        momentary.push(meter.readings().momentary_lufs);
    }
    (momentary[3..].to_vec(), meter.readings().integrated_lufs)
}

#[test]
fn all_blocks_give_the_integrated_loudness() {
    // Loud, quiet (below the relative gate) and medium sections.
    let mut x = pink_noise(1, 0.5, 10 * 48_000);
    for (i, s) in x.iter_mut().enumerate() {
        *s *= match i / 96_000 {
            1 => 0.02,
            3 => 0.3,
            _ => 1.0,
        };
    }
    let (momentary, integrated) = blocks(&x);
    let gated = gated_loudness_lufs(&momentary, |_| true);
    assert!((gated - integrated).abs() < 0.05, "{gated} vs {integrated}");
}

#[test]
fn dialogue_gating_measures_where_the_dialogue_is() {
    let n = 12 * 48_000;
    // Dialogue speaks in the first half only; the music is 20 dB louder in the second half.
    let dialogue: Vec<f32> = pink_noise(2, 0.3, n)
        .into_iter()
        .enumerate()
        .map(|(i, s)| if i < n / 2 { s } else { 0.0 })
        .collect();
    let music: Vec<f32> = pink_noise(3, 0.1, n)
        .into_iter()
        .enumerate()
        .map(|(i, s)| if i < n / 2 { s } else { s * 10.0 })
        .collect();
    let programme: Vec<f32> = dialogue.iter().zip(&music).map(|(d, m)| d + m).collect();
    let (dialogue_m, _) = blocks(&dialogue);
    let (programme_m, programme_integrated) = blocks(&programme);
    let first_half: Vec<f32> = programme[..n / 2].to_vec();
    let (_, first_half_integrated) = blocks(&first_half);

    let active = dialogue_blocks(&dialogue_m);
    let num_active = active.iter().filter(|&&a| a).count();
    // 6 s of dialogue: 60 hops, minus the blocks that straddle the end.
    assert!((54..=60).contains(&num_active), "{num_active}");
    let gated = dialogue_gated_lufs(&programme_m, &dialogue_m);
    // The few blocks at the end of the dialogue that reach into the louder music pull the
    // reading up a little; it stays near the dialogue section, far below the whole programme.
    assert!(
        (gated - first_half_integrated).abs() < 2.0,
        "{gated} vs {first_half_integrated}"
    );
    assert!(
        gated < programme_integrated - 4.0,
        "{gated} vs {programme_integrated}"
    );
}
