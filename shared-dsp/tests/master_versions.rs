//! Versions through one master (`MasterChain::process_block_with_followers`): the lead comes out bit
//! for bit as from `process_block`, followers that partition the lead sum back to the lead's
//! output within float rounding, a follower equal to the lead matches it, and nothing
//! allocates. Run: `cargo test -p shared-dsp --profile harness --test master_versions`.

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
use shared_dsp::eq::settings::PhaseMode;
use shared_dsp::master::{band_index, LeadGains, MasterChain, MasterSettings};
use shared_dsp::signals::{pink_noise, sine, transient_train};

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

const FS: f64 = 48_000.0;
const LEN: usize = 48_000;

/// Two "stems" (drums-like, tonal) and their sum, stereo, loud enough to limit.
fn stems() -> [[Vec<f32>; 2]; 2] {
    let hits = |seed| transient_train(seed, 0.7, FS, LEN, 0.13, 25.0);
    let pink = |seed| pink_noise(seed, 0.2, LEN);
    let tone = |f| sine(f, 0.35, FS, LEN, 0.4);
    let add = |a: Vec<f32>, b: Vec<f32>| a.iter().zip(&b).map(|(x, y)| x + y).collect();
    [
        [add(hits(1), pink(2)), add(hits(3), pink(4))],
        [tone(110.0), add(tone(220.0), pink(5))],
    ]
}

/// Everything on and pushed: EQ moves, glue with parallel mix and auto makeup, limiting.
fn busy(phase: PhaseMode) -> MasterSettings {
    let mut s = MasterSettings {
        input_db: 3.0,
        compressor_on: true,
        limiter_on: true,
        output_db: -0.3,
        ..MasterSettings::default()
    };
    s.eq.phase = phase;
    s.eq.bands[band_index::HIGH_PASS].enabled = true;
    s.eq.bands[band_index::LOW_SHELF].gain_db = 2.0;
    s.eq.bands[band_index::BELL_2].gain_db = -3.0;
    s.glue.threshold_db = -26.0;
    s.glue.ratio = 3.0;
    s.glue.mix_t = 0.7;
    s.glue.stereo_link_t = 0.5;
    s.glue.auto_release = true;
    s.glue.auto_makeup = true;
    s.limiter.drive_db = 6.0;
    s.limiter.stereo_link_t = 0.6;
    s
}

fn chain(settings: MasterSettings) -> MasterChain {
    let mut chain = MasterChain::new(FS, 1024, 2);
    chain.set_settings(settings);
    chain.reset();
    chain
}

fn max_abs(x: &[f32]) -> f32 {
    x.iter().fold(0.0, |m, v| m.max(v.abs()))
}

#[test]
fn lead_is_bit_exact_and_versions_sum_to_the_master() {
    for settings in [
        busy(PhaseMode::Minimum),
        busy(PhaseMode::Linear),
        MasterSettings::default(),
    ] {
        let [a, b] = stems();
        let full: [Vec<f32>; 2] =
            std::array::from_fn(|c| a[c].iter().zip(&b[c]).map(|(x, y)| x + y).collect());

        let mut reference = full.clone();
        let mut plain = chain(settings);
        let [l, r] = &mut reference;
        assert_no_alloc(|| plain.process_block(&mut [l, r]));

        let mut linked = chain(settings);
        let mut link = linked.followers(3);
        let (mut lead, mut fa, mut fb, mut same) = (full.clone(), a, b, full.clone());
        for start in (0..LEN).step_by(700) {
            let end = (start + 700).min(LEN);
            let [l, r] = &mut lead;
            let [al, ar] = &mut fa;
            let [bl, br] = &mut fb;
            let [sl, sr] = &mut same;
            let mut fol: [&mut [&mut [f32]]; 3] = [
                &mut [&mut al[start..end], &mut ar[start..end]],
                &mut [&mut bl[start..end], &mut br[start..end]],
                &mut [&mut sl[start..end], &mut sr[start..end]],
            ];
            assert_no_alloc(|| {
                linked.process_block_with_followers(
                    &mut [&mut l[start..end], &mut r[start..end]],
                    &mut link,
                    &mut fol,
                )
            });
        }
        for c in 0..2 {
            assert!(
                lead[c]
                    .iter()
                    .zip(&reference[c])
                    .all(|(x, y)| x.to_bits() == y.to_bits()),
                "lead differs from process_block"
            );
            let peak = max_abs(&lead[c]);
            let sum_error = (0..LEN)
                .map(|i| (fa[c][i] + fb[c][i] - lead[c][i]).abs())
                .fold(0.0f32, f32::max);
            let same_error = (0..LEN)
                .map(|i| (same[c][i] - lead[c][i]).abs())
                .fold(0.0f32, f32::max);
            // Float rounding: a few ulps of the loudest sample (2^-24 relative ≈ −144 dB).
            assert!(
                sum_error <= 1e-5 * peak,
                "sum error {sum_error} at peak {peak}"
            );
            assert!(same_error <= 1e-6 * peak, "self error {same_error}");
        }
    }
}

/// The lead and a follower through the front halves on one chain and the back halves on
/// another (as a two-thread pipeline runs them) come out bit for bit as through
/// `process_block_capturing` and `VersionFollower::process_block` on one chain.
#[test]
fn front_and_back_halves_are_bit_exact() {
    for settings in [busy(PhaseMode::Minimum), busy(PhaseMode::Linear)] {
        let [a, b] = stems();
        let full: [Vec<f32>; 2] =
            std::array::from_fn(|c| a[c].iter().zip(&b[c]).map(|(x, y)| x + y).collect());
        let run = |split: bool| -> [[Vec<f32>; 2]; 2] {
            let (mut front, mut back) = (chain(settings), chain(settings));
            let (mut front_capture, mut back_capture) = (front.gain_capture(), back.gain_capture());
            let (mut front_gains, mut back_gains) =
                (LeadGains::new(2, 4800), LeadGains::new(2, 4800));
            let (mut front_follower, mut back_follower) =
                (front.version_follower(), back.version_follower());
            let (mut lead, mut follower) = (full.clone(), a.clone());
            for hop in (0..LEN).step_by(4800) {
                front_gains.clear();
                back_gains.clear();
                for start in (hop..(hop + 4800).min(LEN)).step_by(1024) {
                    let end = (start + 1024).min(hop + 4800).min(LEN);
                    let offset = start - hop;
                    let [l, r] = &mut lead;
                    let [fl, fr] = &mut follower;
                    let lead = &mut [&mut l[start..end], &mut r[start..end]];
                    let follower = &mut [&mut fl[start..end], &mut fr[start..end]];
                    assert_no_alloc(|| {
                        if split {
                            front.process_block_front(lead, &mut front_capture, &mut front_gains);
                            back.process_block_back(lead, &mut back_capture, &mut back_gains);
                            front_follower.process_block_front(follower, &front_gains, offset);
                            back_follower.process_block_back(follower, &back_gains, offset);
                        } else {
                            front.process_block_capturing(
                                lead,
                                &mut front_capture,
                                &mut front_gains,
                            );
                            front_follower.process_block(follower, &front_gains, offset);
                        }
                    });
                }
            }
            [lead, follower]
        };
        let (whole, split) = (run(false), run(true));
        for (w, s) in whole.iter().flatten().zip(split.iter().flatten()) {
            assert!(
                w.iter().zip(s).all(|(x, y)| x.to_bits() == y.to_bits()),
                "the halves differ from the whole chain"
            );
        }
    }
}
