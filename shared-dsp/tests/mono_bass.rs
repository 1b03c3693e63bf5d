//! Mono bass (side-only high-pass of the EQ stage): side attenuation measured on sines against
//! the analog Butterworth magnitude and the EQ's own `side_response()`, mono input bit for
//! bit, the mid kept (exactly in most frames, within a quarter ulp otherwise), off = bit-exact,
//! and no allocation. Run: `cargo test -p shared-dsp --test mono_bass -- --nocapture`.

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
use shared_dsp::eq::mono_bass::MonoBassSettings;
use shared_dsp::eq::settings::{EqSettings, PhaseMode, Slope};
use shared_dsp::eq::Eq;
use shared_dsp::signals::{pink_noise, sine};

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

const FS: f64 = 48_000.0;

/// An EQ with every band off and the mono bass at `corner_hz` / `slope`, at rest.
fn eq_with(corner_hz: f32, slope: Slope, phase: PhaseMode) -> Eq {
    let mut eq = Eq::new(FS, 4096, 2);
    eq.set_settings(EqSettings {
        phase,
        mono_bass: MonoBassSettings {
            enabled: true,
            freq_hz: corner_hz,
            slope,
        },
        ..EqSettings::default()
    });
    eq.reset();
    eq
}

/// Runs `left`/`right` through `eq` in 512-frame blocks, each under `assert_no_alloc`.
fn run(eq: &mut Eq, left: &mut [f32], right: &mut [f32]) {
    for (l, r) in left.chunks_mut(512).zip(right.chunks_mut(512)) {
        assert_no_alloc(|| eq.process_block(&mut [l, r]));
    }
}

/// Side gain in dB of a pure-side sine at `freq_hz` (L = −R), measured over the last second
/// of three.
fn measured_side_gain_db(eq: &mut Eq, freq_hz: f64) -> f64 {
    let len = 3 * FS as usize;
    let mut left = sine(freq_hz, 0.5, FS, len, 0.0);
    let mut right: Vec<f32> = left.iter().map(|x| -x).collect();
    let input = left.clone();
    run(eq, &mut left, &mut right);
    let tail = len - FS as usize..len;
    let power = |x: &mut dyn Iterator<Item = f64>| x.map(|v| v * v).sum::<f64>();
    let side_out = power(
        &mut tail
            .clone()
            .map(|i| 0.5 * (f64::from(left[i]) - f64::from(right[i]))),
    );
    let side_in = power(&mut tail.map(|i| f64::from(input[i])));
    10.0 * (side_out / side_in).log10()
}

/// `|H|` in dB of the analog Butterworth high-pass of order `2·sections` at `f / corner`
/// (the independent oracle: `1 / (1 + (corner/f)^(2n))`).
fn butterworth_db(ratio: f64, sections: usize) -> f64 {
    -10.0 * (1.0 + ratio.powi(-(4 * sections as i32))).log10()
}

#[test]
fn side_attenuation_follows_butterworth_and_side_response() {
    let corner_hz = 100.0;
    println!("slope   f/fc   measured  side_response  Butterworth (dB)");
    for slope in [Slope::Db12, Slope::Db24, Slope::Db48] {
        let n = slope.num_sections();
        // One octave below, the −40 dB point (6.644/order octaves below), the corner, above.
        let forty_db_ratio = 10f64.powf(-2.0 / (2 * n) as f64);
        for ratio in [0.5, forty_db_ratio, 1.0, 2.0] {
            let mut eq = eq_with(corner_hz as f32, slope, PhaseMode::Minimum);
            let f = corner_hz * ratio;
            let measured = measured_side_gain_db(&mut eq, f);
            let model = 20.0 * eq.side_response(f).log10();
            let analog = butterworth_db(ratio, n);
            println!("{slope:?}  {ratio:.3}  {measured:8.2}  {model:8.2}  {analog:8.2}");
            assert!((measured - model).abs() < 0.05, "{slope:?} at {f} Hz");
            assert!((model - analog).abs() < 0.05, "{slope:?} at {f} Hz");
            assert!(
                (20.0 * eq.response(f).log10()).abs() < 1e-12,
                "the mid curve is flat"
            );
        }
        // At and below the −40 dB point the side is at least 40 dB down (monotonic).
        let eq = eq_with(corner_hz as f32, slope, PhaseMode::Minimum);
        for k in 0..200 {
            let f = corner_hz * forty_db_ratio * (1.0 - k as f64 / 200.0).max(0.01);
            assert!(
                20.0 * eq.side_response(f).log10() <= -39.99,
                "{slope:?} at {f} Hz"
            );
        }
    }
    // The figure: one octave below the corner the side is ≥ 40 dB down at 48 dB/oct.
    let mut eq = eq_with(corner_hz as f32, Slope::Db48, PhaseMode::Minimum);
    assert!(measured_side_gain_db(&mut eq, 50.0) <= -48.0);
}

#[test]
fn mono_input_is_bit_identical_in_both_phase_modes() {
    let len = 48_000;
    for phase in [PhaseMode::Minimum, PhaseMode::Linear] {
        let mut reference = Eq::new(FS, 4096, 2);
        reference.set_settings(EqSettings {
            phase,
            ..EqSettings::default()
        });
        reference.reset();
        let mut eq = eq_with(150.0, Slope::Db24, phase);
        let x = pink_noise(5, 0.7, len);
        let (mut l, mut r) = (x.clone(), x.clone());
        let (mut l_ref, mut r_ref) = (x.clone(), x);
        run(&mut eq, &mut l, &mut r);
        run(&mut reference, &mut l_ref, &mut r_ref);
        let bits = |v: &[f32]| v.iter().map(|s| s.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&l), bits(&l_ref), "{phase:?}");
        assert_eq!(bits(&r), bits(&r_ref), "{phase:?}");
    }
}

#[test]
fn mid_is_preserved() {
    let len = 10 * FS as usize;
    let common = pink_noise(11, 0.4, len);
    let wide = pink_noise(12, 0.3, len);
    let anti = sine(45.0, 0.2, FS, len, 0.0);
    let left: Vec<f32> = (0..len).map(|i| common[i] + wide[i] + anti[i]).collect();
    let right: Vec<f32> = (0..len)
        .map(|i| common[i] - 0.5 * wide[i] - anti[i])
        .collect();
    for slope in [Slope::Db12, Slope::Db24, Slope::Db48] {
        let mut eq = eq_with(120.0, slope, PhaseMode::Minimum);
        let (mut l, mut r) = (left.clone(), right.clone());
        run(&mut eq, &mut l, &mut r);
        let mut num_exact = 0;
        let mut max_mid_error = 0.0f64;
        let mut num_changed = 0;
        for i in 0..len {
            let before = f64::from(left[i]) + f64::from(right[i]);
            let after = f64::from(l[i]) + f64::from(r[i]);
            let error = (after - before).abs();
            num_changed += usize::from(l[i] != left[i]);
            if error == 0.0 {
                num_exact += 1;
            }
            // Bound of the module legend: |L' + R' − T| ≤ ulp(smaller output)/2.
            let smaller = l[i].abs().min(r[i].abs());
            let half_ulp = f64::from(f32::EPSILON) * f64::from(smaller).max(f64::MIN_POSITIVE);
            assert!(error <= half_ulp, "frame {i}: {error:e}");
            max_mid_error = max_mid_error.max(0.5 * error);
        }
        let exact_share = num_exact as f64 / len as f64;
        let max_db = 20.0 * max_mid_error.max(1e-300).log10();
        println!(
            "{slope:?}: side changed in {:.1} % of frames; mid exact in {:.4} % of frames, \
             max mid deviation {max_db:.1} dBFS",
            100.0 * num_changed as f64 / len as f64,
            100.0 * exact_share
        );
        assert!(num_changed > len / 2, "the filter acts");
        assert!(exact_share > 0.95, "{exact_share}");
        assert!(max_db <= -156.0, "{max_db}");
    }
}

#[test]
fn off_is_bit_exact_again_after_the_fade() {
    let len = 48_000;
    let left = pink_noise(21, 0.5, len);
    let right = pink_noise(22, 0.5, len);
    let mut eq = eq_with(100.0, Slope::Db24, PhaseMode::Minimum);
    let (mut l, mut r) = (left.clone(), right.clone());
    let half = len / 2;
    run(&mut eq, &mut l[..half], &mut r[..half]);
    assert!(l[..half] != left[..half], "on: the side changes");
    assert_no_alloc(|| eq.set_settings(EqSettings::default()));
    run(&mut eq, &mut l[half..], &mut r[half..]);
    // The enable crossfade takes 30 ms (1440 frames); after it the input passes bit for bit.
    let settled = half + 1440 + 16;
    assert!(l[settled..]
        .iter()
        .zip(&left[settled..])
        .chain(r[settled..].iter().zip(&right[settled..]))
        .all(|(a, b)| a.to_bits() == b.to_bits()));
    assert!(
        (eq.side_response(30.0) - 1.0).abs() == 0.0,
        "off: flat side curve"
    );
}
