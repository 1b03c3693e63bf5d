//! Compressor invariants: bit-exact passthrough, block-size invariance, reset determinism, no
//! allocation, NaN/Inf safety, flushed silent tails and the stereo-link definition.

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
use shared_dsp::compressor::{Compressor, CompressorSettings, Detector};
use shared_dsp::signals::{pink_noise, transient_train, Rng};

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

const FS: f32 = 44_100.0;
const MAX_BLOCK: usize = 4096;

fn stereo_test_signal(num_samples: usize) -> (Vec<f32>, Vec<f32>) {
    let pink = pink_noise(11, 0.6, num_samples);
    let hits = transient_train(12, 0.9, FS.into(), num_samples, 0.13, 25.0);
    let left = pink.iter().zip(&hits).map(|(p, h)| p + h).collect();
    let right = pink.iter().zip(&hits).map(|(p, h)| 0.5 * p - h).collect();
    (left, right)
}

fn busy_settings(detector: Detector, link_t: f32, hpf: Option<f32>) -> CompressorSettings {
    CompressorSettings {
        threshold_db: -24.0,
        ratio: 4.0,
        knee_db: 6.0,
        attack_ms: 3.0,
        release_ms: 80.0,
        detector,
        stereo_link_t: link_t,
        sidechain_hpf_hz: hpf,
        makeup_db: 4.0,
        mix_t: 0.8,
    }
}

fn new_compressor(settings: CompressorSettings) -> Compressor {
    let mut compressor = Compressor::new(FS, MAX_BLOCK, 2);
    assert_no_alloc(|| {
        compressor.set_settings(settings);
        compressor.reset();
    });
    compressor
}

/// Processes `[start, end)` of both channels in consecutive blocks of `sizes` (cycled).
fn process_range(
    compressor: &mut Compressor,
    left: &mut [f32],
    right: &mut [f32],
    sizes: &[usize],
) {
    let mut start = 0;
    for &size in sizes.iter().cycle() {
        if start >= left.len() {
            break;
        }
        let end = (start + size).min(left.len());
        assert_no_alloc(|| {
            compressor.process_block(&mut [&mut left[start..end], &mut right[start..end]])
        });
        start = end;
    }
}

#[test]
fn ratio_one_or_mix_zero_is_bit_exact_passthrough() {
    let (left, right) = stereo_test_signal(44_100);
    for detector in [Detector::Peak, Detector::Rms] {
        for hpf in [None, Some(120.0)] {
            for link_t in [0.0, 0.5, 1.0] {
                let base = busy_settings(detector, link_t, hpf);
                let cases = [
                    CompressorSettings {
                        ratio: 1.0,
                        makeup_db: 0.0,
                        mix_t: 1.0,
                        ..base
                    },
                    CompressorSettings { mix_t: 0.0, ..base },
                ];
                for settings in cases {
                    let mut compressor = new_compressor(settings);
                    let (mut l, mut r) = (left.clone(), right.clone());
                    process_range(&mut compressor, &mut l, &mut r, &[512]);
                    assert_eq!(l, left, "{settings:?}");
                    assert_eq!(r, right, "{settings:?}");
                }
            }
        }
    }
}

/// Runs 1.5 s with a settings change at a fixed sample (ramps of makeup and mix in flight, the
/// link crossing 100 %, the sidechain filter switching on) in blocks of `sizes`.
fn run_with_changes(detector: Detector, sizes: &[usize]) -> (Vec<f32>, Vec<f32>) {
    let (mut left, mut right) = stereo_test_signal(66_150);
    let mut compressor = new_compressor(busy_settings(detector, 1.0, None));
    let split = 20_011;
    let (l0, l1) = left.split_at_mut(split);
    let (r0, r1) = right.split_at_mut(split);
    process_range(&mut compressor, l0, r0, sizes);
    assert_no_alloc(|| {
        compressor.set_settings(CompressorSettings {
            makeup_db: -3.0,
            mix_t: 0.4,
            ..busy_settings(detector, 0.3, Some(150.0))
        })
    });
    process_range(&mut compressor, l1, r1, sizes);
    (left, right)
}

#[test]
fn output_is_identical_for_every_block_size() {
    let mut rng = Rng::new(5);
    let random: Vec<usize> = (0..200)
        .map(|_| 1 + (rng.next_u64() % 700) as usize)
        .collect();
    for detector in [Detector::Peak, Detector::Rms] {
        let reference = run_with_changes(detector, &[MAX_BLOCK]);
        for sizes in [&[1][..], &[7], &[64], &random] {
            assert!(
                run_with_changes(detector, sizes) == reference,
                "{detector:?} {:?}",
                &sizes[..1]
            );
        }
    }
}

#[test]
fn reset_restores_a_fresh_compressor() {
    let settings = busy_settings(Detector::Rms, 0.6, Some(80.0));
    let (first_l, first_r) = stereo_test_signal(30_000);
    let (mut second_l, mut second_r) = stereo_test_signal(20_000);
    second_l.reverse();
    second_r.reverse();
    let mut used = new_compressor(settings);
    process_range(
        &mut used,
        &mut first_l.clone(),
        &mut first_r.clone(),
        &[256],
    );
    assert!(!used.is_at_rest());
    assert_no_alloc(|| used.reset());
    assert!(used.is_at_rest());
    let mut fresh = new_compressor(settings);
    let (mut a_l, mut a_r) = (second_l.clone(), second_r.clone());
    let (mut b_l, mut b_r) = (second_l, second_r);
    process_range(&mut used, &mut a_l, &mut a_r, &[256]);
    process_range(&mut fresh, &mut b_l, &mut b_r, &[256]);
    assert!(a_l == b_l && a_r == b_r);
}

/// NaN and ±Inf input samples act exactly like zeros: the outputs match a run with zeros in
/// their place bit for bit, so the state is never poisoned, not even within the block.
#[test]
fn non_finite_input_acts_as_silence() {
    for detector in [Detector::Peak, Detector::Rms] {
        let settings = busy_settings(detector, 0.5, Some(60.0));
        let (clean_l, clean_r) = stereo_test_signal(20_000);
        let (mut poisoned_l, mut poisoned_r) = (clean_l.clone(), clean_r.clone());
        let (mut zeroed_l, mut zeroed_r) = (clean_l, clean_r);
        for (i, bad) in [
            (5_000, f32::NAN),
            (5_001, f32::INFINITY),
            (9_999, f32::NEG_INFINITY),
        ] {
            poisoned_l[i] = bad;
            poisoned_r[i + 3] = bad;
            zeroed_l[i] = 0.0;
            zeroed_r[i + 3] = 0.0;
        }
        let mut a = new_compressor(settings);
        let mut b = new_compressor(settings);
        process_range(&mut a, &mut poisoned_l, &mut poisoned_r, &[512]);
        process_range(&mut b, &mut zeroed_l, &mut zeroed_r, &[512]);
        assert!(poisoned_l.iter().chain(&poisoned_r).all(|s| s.is_finite()));
        assert!(poisoned_l == zeroed_l && poisoned_r == zeroed_r);
        assert_eq!(a.state(), b.state());
    }
}

/// After loud input, silence drives every state value to exact zero (never through denormals)
/// and the output to exact zeros.
#[test]
fn silent_tail_flushes_state_to_zero() {
    let settings = busy_settings(Detector::Rms, 0.5, Some(20.0));
    let mut compressor = new_compressor(settings);
    let (mut l, mut r) = stereo_test_signal(22_050);
    process_range(&mut compressor, &mut l, &mut r, &[512]);
    assert!(compressor.state().reduction_db.iter().all(|&v| v > 1.0));
    let mut silence = vec![0.0f32; 512];
    let mut silence_r = vec![0.0f32; 512];
    let mut blocks_to_rest = None;
    for block in 0..(10 * 44_100 / 512) {
        silence.fill(0.0);
        silence_r.fill(0.0);
        assert_no_alloc(|| compressor.process_block(&mut [&mut silence, &mut silence_r]));
        let state = *compressor.state();
        for v in state.reduction_db.iter().chain(&state.mean_square) {
            assert!(
                *v == 0.0 || v.is_normal(),
                "denormal state {v} in block {block}"
            );
        }
        if blocks_to_rest.is_none() && compressor.is_at_rest() {
            blocks_to_rest = Some(block);
        }
    }
    let blocks = blocks_to_rest.expect("state never reached zero");
    println!(
        "state exactly zero after {:.2} s of silence",
        (blocks * 512) as f64 / 44_100.0
    );
    assert!(compressor.is_at_rest());
    assert_eq!(compressor.state().reduction_db, [0.0, 0.0]);
    assert_eq!(compressor.state().mean_square, [0.0, 0.0]);
    assert_eq!(compressor.gain_reduction_db(), 0.0);
    assert!(silence.iter().chain(&silence_r).all(|&s| s == 0.0));
}

/// Link semantics on DC levels (hard knee, ratio 4, threshold −30 dBFS): left at 0 dBFS,
/// right at −50 dBFS. Left always gets 22.5 dB; right gets 22.5 dB at 100 % link (the louder
/// channel drives both), 0 dB at 0 % and the curve at the interpolated level in between.
#[test]
fn stereo_link_interpolates_levels_toward_the_louder_channel() {
    let quiet = 10f32.powf(-50.0 / 20.0);
    for (link_t, expected_right_db) in [
        (1.0f32, 22.5),
        (0.0, 0.0),
        (0.5, 0.75 * 5.0),
        (0.8, 0.75 * 20.0),
    ] {
        let settings = CompressorSettings {
            threshold_db: -30.0,
            ratio: 4.0,
            knee_db: 0.0,
            attack_ms: 0.5,
            release_ms: 0.5,
            stereo_link_t: link_t,
            ..CompressorSettings::default()
        };
        let mut compressor = new_compressor(settings);
        let mut l = vec![1.0f32; 4096];
        let mut r = vec![quiet; 4096];
        process_range(&mut compressor, &mut l, &mut r, &[4096]);
        let left_db = -20.0 * f64::from(l[4095]).log10();
        let right_db = -20.0 * f64::from(r[4095] / quiet).log10();
        println!("link {link_t}: left GR {left_db:.5} dB, right GR {right_db:.5} dB");
        assert!((left_db - 22.5).abs() < 0.001);
        assert!(
            (right_db - expected_right_db).abs() < 0.001,
            "link {link_t}: {right_db}"
        );
        assert!((f64::from(compressor.gain_reduction_db()) - 22.5).abs() < 0.001);
    }
}

#[test]
fn mono_matches_linked_stereo_with_identical_channels() {
    let settings = busy_settings(Detector::Peak, 1.0, Some(100.0));
    let (signal, _) = stereo_test_signal(10_000);
    let mut mono = Compressor::new(FS, MAX_BLOCK, 1);
    mono.set_settings(settings);
    mono.reset();
    let mut m = signal.clone();
    assert_no_alloc(|| mono.process_block(&mut [&mut m]));
    let mut stereo = new_compressor(settings);
    let (mut l, mut r) = (signal.clone(), signal);
    process_range(&mut stereo, &mut l, &mut r, &[MAX_BLOCK]);
    assert!(m == l && l == r);
}
