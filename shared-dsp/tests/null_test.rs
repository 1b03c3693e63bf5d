//! Null-test analyzer on deliveries broken on purpose: each test breaks one thing and checks
//! the verdict and that the right stem and cause are named. Run with `--profile harness`.

use shared_dsp::null_test::{
    analyze, Cause, LiveNullSettings, LiveNullTest, LiveSubject, NullReport, NullSettings, Verdict,
};
use shared_dsp::resample::SampleRateConverter;
use shared_dsp::signals::{sine, transient_train, white_noise};

#[global_allocator]
static ALLOCATOR: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;

const FS: f64 = 48_000.0;
const LEN: usize = 12 * 48_000;
const DRUMS: usize = 0;
const BASS: usize = 1;
const KEYS: usize = 2;
const VOCAL: usize = 3;

type Stem = Vec<Vec<f32>>;

/// Slow amplitude envelope `base + depth·sin(2π·rate·t)`.
fn envelope(rate_hz: f64, base: f64, depth: f64) -> impl Fn(usize) -> f32 {
    move |n| (base + depth * (std::f64::consts::TAU * rate_hz * n as f64 / FS).sin()) as f32
}

/// Four distinct stereo stems: drum-like transients, enveloped low sine, a chord of sines,
/// and enveloped band-limited (≈200 Hz–4 kHz) noise.
fn stems() -> Vec<Stem> {
    let drums = transient_train(1, 0.5, FS, LEN, 0.5, 80.0);
    let bass_env = envelope(0.5, 0.6, 0.4);
    let bass: Vec<f32> = sine(55.0, 0.3, FS, LEN, 0.0)
        .iter()
        .enumerate()
        .map(|(n, s)| s * bass_env(n))
        .collect();
    let keys_env = envelope(0.25, 0.5, 0.5);
    let chord: Vec<Vec<f32>> = [261.63, 329.63, 392.0]
        .iter()
        .map(|&f| sine(f, 0.08, FS, LEN, 0.3))
        .collect();
    let keys: Vec<f32> = (0..LEN)
        .map(|n| keys_env(n) * chord.iter().map(|c| c[n]).sum::<f32>())
        .collect();
    let vocal_env = envelope(3.0, 0.5, 0.5);
    let (lp, hp) = (
        1.0 - (-std::f64::consts::TAU * 4000.0 / FS).exp(),
        (-std::f64::consts::TAU * 200.0 / FS).exp(),
    );
    let (mut lp1, mut lp2, mut hp_in, mut hp_out) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let vocal: Vec<f32> = white_noise(9, 1.0, LEN)
        .iter()
        .enumerate()
        .map(|(n, &x)| {
            lp1 += lp * (x as f64 - lp1);
            lp2 += lp * (lp1 - lp2);
            hp_out = hp * (hp_out + lp2 - hp_in);
            hp_in = lp2;
            (0.8 * hp_out) as f32 * vocal_env(n)
        })
        .collect();
    let pan = |x: Vec<f32>, left: f32, right: f32| -> Stem {
        vec![
            x.iter().map(|s| s * left).collect(),
            x.iter().map(|s| s * right).collect(),
        ]
    };
    vec![
        pan(drums, 1.0, 0.9),
        pan(bass, 1.0, 1.0),
        pan(keys, 0.7, 1.0),
        pan(vocal, 1.0, 1.0),
    ]
}

/// The reference mix: the f32 sum of the stems (in order), as the DAW bounced it.
fn mix(stems: &[Stem]) -> Stem {
    (0..2)
        .map(|ch| {
            (0..stems[0][ch].len())
                .map(|n| stems.iter().map(|s| s[ch][n]).sum())
                .collect()
        })
        .collect()
}

fn run(reference: &Stem, delivery: &[Stem]) -> NullReport {
    let reference: Vec<&[f32]> = reference.iter().map(Vec::as_slice).collect();
    let channels: Vec<Vec<&[f32]>> = delivery
        .iter()
        .map(|s| s.iter().map(Vec::as_slice).collect())
        .collect();
    let stems: Vec<&[&[f32]]> = channels.iter().map(Vec::as_slice).collect();
    let report = analyze(&reference, &stems, FS, &NullSettings::default());
    eprintln!("{}", report.summary());
    report
}

fn has(report: &NullReport, stem: Option<usize>, cause: impl Fn(&Cause) -> bool) -> bool {
    report.diagnoses_for(stem).any(|d| cause(&d.cause))
}

fn map(stem: &Stem, f: impl Fn(&[f32]) -> Vec<f32>) -> Stem {
    stem.iter().map(|c| f(c)).collect()
}

#[test]
fn exact_sum_passes_far_below_minus_120_dbfs() {
    let stems = stems();
    let report = run(&mix(&stems), &stems);
    assert_eq!(report.verdict, Verdict::Pass);
    assert!(
        report.residual_peak_dbfs <= -120.0,
        "{}",
        report.residual_peak_dbfs
    );
    assert_eq!(report.offset_samples, 0);
    assert!(!report.polarity_inverted);
    assert!(report.sum_within_tolerance && report.sum_level_diff_db.abs() < 1e-6);
    assert!(report.diagnoses.is_empty());
    assert_eq!(report.compared_samples, LEN);
}

#[test]
fn inverted_stem_is_named() {
    let stems = stems();
    let reference = mix(&stems);
    let mut delivery = stems.clone();
    delivery[KEYS] = map(&stems[KEYS], |c| c.iter().map(|s| -s).collect());
    let report = run(&reference, &delivery);
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(has(&report, Some(KEYS), |c| *c == Cause::Inverted));
    assert!((report.stem_weights[KEYS] + 1.0).abs() < 1e-3);
    assert_eq!(
        report.diagnoses.len(),
        1,
        "only the inverted stem is reported"
    );
}

#[test]
fn gained_stem_is_named_with_its_level() {
    let stems = stems();
    let reference = mix(&stems);
    let mut delivery = stems.clone();
    let gain = 10f32.powf(0.5 / 20.0);
    delivery[BASS] = map(&stems[BASS], |c| c.iter().map(|s| s * gain).collect());
    let report = run(&reference, &delivery);
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(has(
        &report,
        Some(BASS),
        |c| matches!(c, Cause::Gained { db } if (db - 0.5).abs() < 0.01)
    ));
    assert_eq!(report.diagnoses.len(), 1);
    assert!(!report.sum_within_tolerance || report.sum_level_diff_db.abs() <= 0.1);
}

#[test]
fn offset_stem_is_named_with_its_lag() {
    let stems = stems();
    let reference = mix(&stems);
    let mut delivery = stems.clone();
    delivery[VOCAL] = map(&stems[VOCAL], |c| {
        let mut late = vec![0.0; 37];
        late.extend_from_slice(&c[..c.len() - 37]);
        late
    });
    let report = run(&reference, &delivery);
    assert_ne!(report.verdict, Verdict::Pass);
    assert_eq!(report.offset_samples, 0);
    assert!(has(&report, Some(VOCAL), |c| *c
        == Cause::Offset { samples: 37 }));
    assert!(report.diagnoses.iter().all(|d| d.stem_index == Some(VOCAL)));
}

#[test]
fn stem_not_in_the_mix_is_missing() {
    let stems = stems();
    let reference = mix(&stems[..3]);
    let report = run(&reference, &stems);
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(has(&report, Some(VOCAL), |c| *c == Cause::Missing));
    assert_eq!(report.diagnoses.len(), 1);
    assert!(!report.sum_within_tolerance);
}

#[test]
fn silent_delivered_stem_is_missing() {
    let stems = stems();
    let reference = mix(&stems);
    let mut delivery = stems.clone();
    delivery[BASS] = map(&stems[BASS], |c| vec![0.0; c.len()]);
    let report = run(&reference, &delivery);
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(has(&report, Some(BASS), |c| *c == Cause::Missing));
}

#[test]
fn resampled_stem_is_named() {
    let stems = stems();
    let reference = mix(&stems);
    let mut delivery = stems.clone();
    let channels: Vec<&[f32]> = stems[DRUMS].iter().map(Vec::as_slice).collect();
    let down = SampleRateConverter::new(48_000, 44_100, 2)
        .unwrap()
        .process(&channels);
    let down: Vec<&[f32]> = down.iter().map(Vec::as_slice).collect();
    delivery[DRUMS] = SampleRateConverter::new(44_100, 48_000, 2)
        .unwrap()
        .process(&down);
    assert_eq!(delivery[DRUMS][0].len(), LEN);
    let report = run(&reference, &delivery);
    assert_ne!(report.verdict, Verdict::Pass);
    assert_eq!(report.offset_samples, 0);
    assert!(has(&report, Some(DRUMS), |c| *c == Cause::Resampled));
    assert_eq!(report.diagnoses.len(), 1);
}

#[test]
fn limited_mix_is_processing_on_the_mix_bus() {
    let stems = stems();
    let sum = mix(&stems);
    let peak = sum.iter().flatten().fold(0.0f32, |m, s| m.max(s.abs()));
    let ceiling = 0.6 * peak;
    let limited = map(&sum, |c| {
        c.iter().map(|s| s.clamp(-ceiling, ceiling)).collect()
    });
    let report = run(&limited, &stems);
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(has(&report, None, |c| *c == Cause::MasterProcessing));
    assert!(report
        .diagnoses
        .iter()
        .all(|d| d.cause == Cause::MasterProcessing));
}

#[test]
fn soft_clipped_mix_is_processing_on_the_mix_bus() {
    let stems = stems();
    let clipped = map(&mix(&stems), |c| {
        c.iter().map(|s| (1.5 * s).tanh() / 1.5).collect()
    });
    let report = run(&clipped, &stems);
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(has(&report, None, |c| *c == Cause::MasterProcessing));
}

#[test]
fn whole_mix_offsets_are_found_exactly() {
    let stems = stems();
    let reference = mix(&stems);
    let late: Vec<Stem> = stems
        .iter()
        .map(|s| map(s, |c| [vec![0.0; 12_345], c.to_vec()].concat()))
        .collect();
    let report = run(&reference, &late);
    assert_eq!(report.offset_samples, 12_345);
    assert_eq!(report.verdict, Verdict::Pass);
    assert_eq!(report.compared_samples, LEN);
    assert!(has(&report, None, |c| *c == Cause::Offset { samples: 12_345 }));

    let early: Vec<Stem> = stems
        .iter()
        .map(|s| map(s, |c| c[12_345..].to_vec()))
        .collect();
    let report = run(&reference, &early);
    assert_eq!(report.offset_samples, -12_345);
    assert_eq!(report.verdict, Verdict::Pass);
    assert_eq!(report.compared_samples, LEN - 12_345);
}

/// Feeds the live analyzer in blocks of `block` frames under `assert_no_alloc`.
fn run_live(reference: &Stem, candidate: &Stem, block: usize) -> LiveNullTest {
    let mut live = LiveNullTest::new(FS, 2, LiveNullSettings::default());
    let len = reference[0].len().min(candidate[0].len());
    for start in (0..len).step_by(block) {
        let end = (start + block).min(len);
        let r = [&reference[0][start..end], &reference[1][start..end]];
        let c = [&candidate[0][start..end], &candidate[1][start..end]];
        assert_no_alloc::assert_no_alloc(|| live.process_block(&r, &c));
        assert!(live.wait_for_analysis(std::time::Duration::from_secs(120)));
    }
    live
}

#[test]
fn live_analyzer_locks_on_offset_and_fails_a_flipped_sum_without_allocating() {
    let stems = stems();
    let reference = mix(&stems);
    let candidate = map(&reference, |c| {
        [vec![0.0; 4321], c.iter().map(|s| -s).collect::<Vec<f32>>()].concat()
    });
    let live = run_live(&reference, &candidate, 512);
    let readings = live.readings();
    assert!(readings.locked);
    assert_eq!(readings.offset_samples, 4321);
    // The live test compensates the offset but not the polarity: a flipped sum fails.
    assert_eq!(readings.verdict, Some(Verdict::Fail));
    let diagnosis = readings.diagnosis.expect("diagnosed");
    assert_eq!(diagnosis.cause, Cause::Inverted);
    assert_eq!(diagnosis.subject, LiveSubject::WholeSum);
}

#[test]
fn live_residual_matches_the_offline_analysis() {
    let stems = stems();
    let reference = mix(&stems);
    let mut delivery = stems.clone();
    let gain = 10f32.powf(0.5 / 20.0);
    delivery[BASS] = map(&stems[BASS], |c| c.iter().map(|s| s * gain).collect());
    let offline = run(&reference, &delivery);
    let live = run_live(&reference, &mix(&delivery), 333).readings();
    assert_eq!(live.offset_samples, 0);
    assert_eq!(live.verdict, Some(Verdict::Fail));
    // The live figure covers the audio after the capture window, so it differs slightly.
    assert!(
        (live.residual_rms_rel_db - offline.residual_rms_rel_db).abs() < 1.0,
        "live {} vs offline {}",
        live.residual_rms_rel_db,
        offline.residual_rms_rel_db
    );
}
