//! The Master Bus's live null test on deliveries broken on purpose. The analyzer sees only
//! the reference mix and the **sum** of the stems, fed in blocks of varied sizes (1, odd,
//! large) with the reference placed at different offsets; every `process_block` and
//! `readings` call runs under `assert_no_alloc`. Run with `--profile harness`.

use shared_dsp::compressor::{Compressor, CompressorSettings};
use shared_dsp::limiter::{Limiter, LimiterSettings};
use shared_dsp::null_test::{
    Cause, LiveDiagnosis, LiveNullReadings, LiveNullSettings, LiveNullTest, LiveSubject, Verdict,
};
use shared_dsp::resample::SampleRateConverter;
use shared_dsp::signals::{pink_noise, sine, transient_train};

#[global_allocator]
static ALLOCATOR: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;

const FS: f64 = 48_000.0;
const LEN: usize = 24 * 48_000;
const DRUMS: usize = 0;
const BASS: usize = 1;
const KEYS: usize = 2;
const VOCAL: usize = 3;
/// Candidate late by this much relative to the reference (the reference track starts early).
const LATE: isize = 12_345;
/// Candidate early by this much.
const EARLY: isize = -700;
/// Block sizes cycled through while feeding.
const BLOCKS: [usize; 10] = [1, 7, 64, 4096, 333, 1, 511, 2048, 13, 977];

type Stem = Vec<Vec<f32>>;

/// Slow amplitude envelope `base + depth·sin(2π·rate·t)`.
fn envelope(n: usize, rate_hz: f64, base: f64, depth: f64) -> f64 {
    base + depth * (std::f64::consts::TAU * rate_hz * n as f64 / FS).sin()
}

fn pan(x: &[f32], left: f32, right: f32) -> Stem {
    vec![
        x.iter().map(|s| s * left).collect(),
        x.iter().map(|s| s * right).collect(),
    ]
}

/// Four distinct stereo stems: drum-like noise hits, enveloped low sines (bass), pink noise
/// band-passed to ≈200 Hz–4 kHz (keys pad), and a vibrato/tremolo harmonic tone (vocal).
fn stems() -> Vec<Stem> {
    let drums = transient_train(1, 0.45, FS, LEN, 0.5, 80.0);
    let (b1, b2) = (
        sine(55.0, 0.2, FS, LEN, 0.0),
        sine(110.0, 0.08, FS, LEN, 0.5),
    );
    let bass: Vec<f32> = (0..LEN)
        .map(|n| ((b1[n] + b2[n]) as f64 * envelope(n, 0.5, 0.6, 0.4)) as f32)
        .collect();
    let (lp, hp) = (
        1.0 - (-std::f64::consts::TAU * 4000.0 / FS).exp(),
        (-std::f64::consts::TAU * 200.0 / FS).exp(),
    );
    let (mut lp1, mut lp2, mut hp_in, mut hp_out) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let keys: Vec<f32> = pink_noise(5, 0.5, LEN)
        .iter()
        .enumerate()
        .map(|(n, &x)| {
            lp1 += lp * (x as f64 - lp1);
            lp2 += lp * (lp1 - lp2);
            hp_out = hp * (hp_out + lp2 - hp_in);
            hp_in = lp2;
            (hp_out * envelope(n, 0.25, 0.6, 0.4)) as f32
        })
        .collect();
    let mut phase = 0.0f64;
    let vocal: Vec<f32> = (0..LEN)
        .map(|n| {
            let f0 = 220.0 * (1.0 + 0.02 * (std::f64::consts::TAU * 5.0 * n as f64 / FS).sin());
            phase += std::f64::consts::TAU * f0 / FS;
            let tone: f64 = (1..=6).map(|h| (h as f64 * phase).sin() / h as f64).sum();
            (0.08 * tone * envelope(n, 3.0, 0.5, 0.5)) as f32
        })
        .collect();
    vec![
        pan(&drums, 1.0, 0.9),
        pan(&bass, 1.0, 1.0),
        pan(&keys, 0.7, 1.0),
        pan(&vocal, 0.9, 1.0),
    ]
}

/// The f32 sum of the stems in the given order (the DAW's bounce, or the Master Bus input).
fn mix_in(stems: &[Stem], order: &[usize]) -> Stem {
    (0..2)
        .map(|ch| {
            (0..LEN)
                .map(|n| order.iter().map(|&i| stems[i][ch][n]).sum())
                .collect()
        })
        .collect()
}

/// The reference mix (stems summed in order).
fn reference(stems: &[Stem]) -> Stem {
    mix_in(stems, &[0, 1, 2, 3])
}

/// The Master Bus input: the same stems summed in another order (a different rounding).
fn sum(stems: &[Stem]) -> Stem {
    mix_in(stems, &[3, 2, 1, 0])
}

fn map(stem: &Stem, f: impl Fn(f32) -> f32) -> Stem {
    stem.iter()
        .map(|c| c.iter().map(|&s| f(s)).collect())
        .collect()
}

/// `stem` late by `samples` (early when negative), same length.
fn shift(stem: &Stem, samples: isize) -> Stem {
    stem.iter()
        .map(|c| {
            (0..c.len() as isize)
                .map(|n| {
                    let t = n - samples;
                    if t < 0 {
                        0.0
                    } else {
                        c.get(t as usize).copied().unwrap_or(0.0)
                    }
                })
                .collect()
        })
        .collect()
}

fn gain_db(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

/// Feeds `candidate` placed `placement` samples late relative to `reference` in blocks of
/// cycling sizes, under `assert_no_alloc`, checks every reading is NaN-free, and returns the
/// last readings.
fn run(name: &str, reference: &Stem, candidate: &Stem, placement: isize) -> LiveNullReadings {
    run_at(FS, name, reference, candidate, placement)
}

/// [`run`] with the analyzer told the audio runs at `sample_rate_hz` (sizes, lag range and
/// filters follow the rate; the material is the same).
fn run_at(
    sample_rate_hz: f64,
    name: &str,
    reference: &Stem,
    candidate: &Stem,
    placement: isize,
) -> LiveNullReadings {
    let candidate = shift(candidate, placement);
    let mut live = LiveNullTest::new(sample_rate_hz, 2, LiveNullSettings::default());
    let mut readings = live.readings();
    let (mut start, mut b) = (0, 0);
    while start < LEN {
        let end = (start + BLOCKS[b % BLOCKS.len()]).min(LEN);
        b += 1;
        let r = [&reference[0][start..end], &reference[1][start..end]];
        let c = [&candidate[0][start..end], &candidate[1][start..end]];
        assert_no_alloc::assert_no_alloc(|| {
            live.process_block(&r, &c);
            readings = live.readings();
        });
        assert_finite(&readings);
        start = end;
    }
    assert!(live.wait_for_analysis(std::time::Duration::from_secs(120)));
    readings = live.readings();
    assert_finite(&readings);
    eprintln!(
        "{name}: verdict {:?}, offset {}, lock corr {:.3}, residual peak {:.1} dBFS, RMS {:.1} dBFS \
         ({:.1} dB re mix), live RMS {:.1} / peak {:.1} dBFS, sum {:+.3} dB (within: {}), {}",
        readings.verdict,
        readings.offset_samples,
        readings.lock_correlation,
        readings.residual_peak_dbfs,
        readings.residual_rms_dbfs,
        readings.residual_rms_rel_db,
        readings.live_residual_rms_dbfs,
        readings.live_residual_peak_dbfs,
        readings.sum_level_diff_db,
        readings.sum_within_tolerance,
        readings
            .diagnosis
            .map_or("no diagnosis".to_string(), |d| d.to_string()),
    );
    readings
}

fn assert_finite(r: &LiveNullReadings) {
    let values = [
        r.lock_correlation,
        r.residual_rms_dbfs,
        r.residual_peak_dbfs,
        r.residual_rms_rel_db,
        r.live_residual_rms_dbfs,
        r.live_residual_peak_dbfs,
        r.sum_level_diff_db,
    ];
    assert!(values.iter().all(|v| v.is_finite()), "{r:?}");
    if let Some(d) = r.diagnosis {
        assert!((0.0..=1.0).contains(&d.confidence), "{d:?}");
        if let Cause::Gained { db } = d.cause {
            assert!(db.is_finite());
        }
    }
}

/// The diagnosis, which must exist.
fn cause(r: &LiveNullReadings) -> LiveDiagnosis {
    r.diagnosis.unwrap_or_else(|| panic!("no diagnosis: {r:?}"))
}

fn broken(f: impl FnOnce(&mut Vec<Stem>)) -> (Stem, Stem) {
    let stems = stems();
    let mut delivery = stems.clone();
    f(&mut delivery);
    (reference(&stems), sum(&delivery))
}

#[test]
fn exact_delivery_passes_at_any_placement() {
    let stems = stems();
    let (reference, candidate) = (reference(&stems), sum(&stems));
    for placement in [LATE, EARLY, 0] {
        let r = run("exact", &reference, &candidate, placement);
        assert!(r.locked);
        assert_eq!(r.offset_samples, placement);
        assert_eq!(r.verdict, Some(Verdict::Pass));
        assert!(r.residual_peak_dbfs <= -100.0, "{}", r.residual_peak_dbfs);
        assert!(r.live_residual_peak_dbfs <= r.residual_peak_dbfs);
        assert!(r.sum_within_tolerance && r.sum_level_diff_db.abs() < 1e-4);
        assert_eq!(r.diagnosis, None);
        assert!(
            r.num_compared_frames > 8 * 48_000,
            "{}",
            r.num_compared_frames
        );
    }
}

#[test]
fn flipped_stem_fails_as_inverted() {
    for stem in [DRUMS, KEYS, VOCAL] {
        let (reference, candidate) = broken(|d| d[stem] = map(&d[stem], |s| -s));
        let r = run(
            &format!("flipped stem {stem}"),
            &reference,
            &candidate,
            LATE,
        );
        assert_eq!(r.offset_samples, LATE);
        assert_eq!(r.verdict, Some(Verdict::Fail));
        let d = cause(&r);
        assert_eq!(
            (d.cause, d.subject),
            (Cause::Inverted, LiveSubject::OneStem)
        );
    }
}

#[test]
fn offset_stem_is_named_with_its_lag() {
    for (stem, lag) in [(DRUMS, 1), (DRUMS, 7), (DRUMS, 30), (DRUMS, -7), (KEYS, 7)] {
        let (reference, candidate) = broken(|d| d[stem] = shift(&d[stem], lag));
        let r = run(
            &format!("stem {stem} late by {lag}"),
            &reference,
            &candidate,
            EARLY,
        );
        assert_ne!(r.verdict, Some(Verdict::Pass));
        let d = cause(&r);
        let Cause::Offset { samples } = d.cause else {
            panic!("{d}");
        };
        // From the sum alone, "this stem is late by d" and "every other stem is early by d"
        // leave the same residual; the lock follows whichever part dominates the
        // correlation, and the offset named is relative to that.
        let found = (r.offset_samples, samples);
        assert!(
            found == (EARLY, lag) || found == (EARLY + lag, -lag),
            "{found:?}"
        );
        assert!(d.confidence > 0.9, "{d}");
    }
}

/// A tonal stem's offset (the bass's few low partials; the vocal's harmonics, for which 30
/// samples are half a period at 800 Hz, so that a late copy there looks like a polarity flip)
/// is told from a level error by how the residual's phase turns with frequency, and named
/// with its lag. The lock follows the other stems, so the lag is the stem's own.
#[test]
fn tonal_stem_offset_is_named_with_its_lag() {
    for (stem, lag) in [(BASS, 7), (VOCAL, 30), (VOCAL, 7), (VOCAL, -30)] {
        let (reference, candidate) = broken(|d| d[stem] = shift(&d[stem], lag));
        let r = run(
            &format!("tonal stem {stem} late by {lag}"),
            &reference,
            &candidate,
            EARLY,
        );
        assert_eq!(r.offset_samples, EARLY);
        assert_ne!(r.verdict, Some(Verdict::Pass));
        let d = cause(&r);
        assert_eq!(
            (d.cause, d.subject),
            (Cause::Offset { samples: lag }, LiveSubject::OneStem),
            "{d}"
        );
        assert!(d.confidence > 0.9, "{d}");
    }
}

#[test]
fn gained_stem_is_measured() {
    for stem in [DRUMS, BASS, KEYS, VOCAL] {
        let (reference, candidate) = broken(|d| d[stem] = map(&d[stem], |s| s * gain_db(0.5)));
        let r = run(
            &format!("stem {stem} +0.5 dB"),
            &reference,
            &candidate,
            LATE,
        );
        assert_ne!(r.verdict, Some(Verdict::Pass));
        let d = cause(&r);
        let Cause::Gained { db } = d.cause else {
            panic!("{d}");
        };
        assert_eq!(d.subject, LiveSubject::OneStem);
        assert!((db - 0.5).abs() <= 0.1, "{db}");
    }
}

#[test]
fn missing_stem_is_named() {
    for stem in [DRUMS, VOCAL] {
        let (reference, candidate) = broken(|d| d[stem] = map(&d[stem], |_| 0.0));
        let r = run(
            &format!("missing stem {stem}"),
            &reference,
            &candidate,
            EARLY,
        );
        assert_eq!(r.verdict, Some(Verdict::Fail));
        let d = cause(&r);
        assert_eq!((d.cause, d.subject), (Cause::Missing, LiveSubject::OneStem));
    }
}

#[test]
fn whole_sum_gain_and_polarity_are_named() {
    let stems = stems();
    let reference = reference(&stems);
    let hot = map(&sum(&stems), |s| s * gain_db(0.5));
    let r = run("whole sum +0.5 dB", &reference, &hot, LATE);
    assert_eq!(r.offset_samples, LATE);
    assert_eq!(r.verdict, Some(Verdict::Fail));
    assert!(!r.sum_within_tolerance);
    assert!(
        (r.sum_level_diff_db - 0.5).abs() < 0.01,
        "{}",
        r.sum_level_diff_db
    );
    let d = cause(&r);
    assert_eq!(d.subject, LiveSubject::WholeSum);
    let Cause::Gained { db } = d.cause else {
        panic!("{d}");
    };
    assert!((db - 0.5).abs() < 0.01, "{db}");

    let inverted = map(&sum(&stems), |s| -s);
    let r = run("whole sum inverted", &reference, &inverted, EARLY);
    assert_eq!(r.offset_samples, EARLY);
    assert_eq!(r.verdict, Some(Verdict::Fail));
    let d = cause(&r);
    assert_eq!(
        (d.cause, d.subject),
        (Cause::Inverted, LiveSubject::WholeSum)
    );
    assert!(d.to_string().contains("the whole sum"), "{d}");
}

/// The reference mix run through a mix-bus processor in blocks of 512.
fn processed_reference(stems: &[Stem], mut process: impl FnMut(&mut [&mut [f32]])) -> Stem {
    let mut processed = reference(stems);
    for start in (0..LEN).step_by(512) {
        let end = (start + 512).min(LEN);
        let (l, r) = processed.split_at_mut(1);
        process(&mut [&mut l[0][start..end], &mut r[0][start..end]]);
    }
    processed
}

#[test]
fn processing_on_the_reference_mix_bus_is_named() {
    let stems = stems();
    let mut cases: Vec<(String, Stem)> = Vec::new();
    for ceiling_db in [-1.0, -3.0, -6.0] {
        let mut limiter = Limiter::new(FS as f32, 512, 2);
        limiter.set_settings(LimiterSettings {
            ceiling_db,
            ..LimiterSettings::default()
        });
        let limited = processed_reference(&stems, |c| limiter.process_block(c));
        cases.push((format!("limiter at {ceiling_db} dBTP"), limited));
    }
    for threshold_db in [-12.0, -20.0] {
        let mut compressor = Compressor::new(FS as f32, 512, 2);
        compressor.set_settings(CompressorSettings {
            threshold_db,
            ratio: 2.0,
            ..CompressorSettings::default()
        });
        let compressed = processed_reference(&stems, |c| compressor.process_block(c));
        cases.push((format!("compressor 2:1 at {threshold_db} dB"), compressed));
    }
    for level in [0.4f32, 0.6] {
        cases.push((
            format!("clipper at {level}"),
            map(&reference(&stems), |s| s.clamp(-level, level)),
        ));
    }
    for (name, processed) in &cases {
        let r = run(name, processed, &sum(&stems), LATE);
        assert_ne!(r.verdict, Some(Verdict::Pass), "{name}");
        let d = cause(&r);
        assert_eq!(
            (d.cause, d.subject),
            (Cause::MasterProcessing, LiveSubject::Reference),
            "{name}"
        );
    }
}

#[test]
fn resampled_stem_is_named() {
    let (reference, candidate) = broken(|d| {
        let channels: Vec<&[f32]> = d[DRUMS].iter().map(Vec::as_slice).collect();
        let down = SampleRateConverter::new(48_000, 44_100, 2)
            .unwrap()
            .process(&channels);
        let down: Vec<&[f32]> = down.iter().map(Vec::as_slice).collect();
        let mut up = SampleRateConverter::new(44_100, 48_000, 2)
            .unwrap()
            .process(&down);
        up.iter_mut().for_each(|c| c.resize(LEN, 0.0));
        d[DRUMS] = up;
    });
    let r = run("resampled stem", &reference, &candidate, LATE);
    assert_ne!(r.verdict, Some(Verdict::Pass));
    let d = cause(&r);
    assert_eq!(d.cause, Cause::Resampled, "{d}");
}

#[test]
fn other_sample_rates_lock_and_diagnose() {
    let stems = stems();
    let (reference, exact) = (reference(&stems), sum(&stems));
    let mut delivery = stems.clone();
    delivery[KEYS] = map(&delivery[KEYS], |s| -s);
    let flipped = sum(&delivery);
    for rate in [44_100.0, 96_000.0] {
        let r = run_at(
            rate,
            &format!("exact at {rate} Hz"),
            &reference,
            &exact,
            LATE,
        );
        assert_eq!(r.offset_samples, LATE);
        assert_eq!(r.verdict, Some(Verdict::Pass));
        let r = run_at(
            rate,
            &format!("flipped keys at {rate} Hz"),
            &reference,
            &flipped,
            EARLY,
        );
        assert_eq!(r.offset_samples, EARLY);
        assert_eq!(r.verdict, Some(Verdict::Fail));
        assert_eq!(cause(&r).cause, Cause::Inverted);
    }
}

#[test]
fn readings_do_not_depend_on_block_sizes_and_reset_repeats_them() {
    let (reference, candidate) = broken(|d| d[KEYS] = map(&d[KEYS], |s| -s));
    let candidate = shift(&candidate, EARLY);
    let feed = |live: &mut LiveNullTest, sizes: &[usize]| {
        let (mut start, mut b) = (0, 0);
        while start < LEN {
            let end = (start + sizes[b % sizes.len()]).min(LEN);
            b += 1;
            let r = [&reference[0][start..end], &reference[1][start..end]];
            let c = [&candidate[0][start..end], &candidate[1][start..end]];
            assert_no_alloc::assert_no_alloc(|| live.process_block(&r, &c));
            start = end;
        }
        assert!(live.wait_for_analysis(std::time::Duration::from_secs(120)));
        live.readings()
    };
    // Fed faster than real time, the analysis thread may skip a window (it analyses the newest
    // one handed over), so the shown cause's confidence may come from another window; the
    // readings and the cause itself may not change.
    let same = |a: &LiveNullReadings, b: &LiveNullReadings| {
        let cause = |r: &LiveNullReadings| r.diagnosis.map(|d| (d.cause, d.subject, d.channel));
        LiveNullReadings {
            diagnosis: None,
            ..*a
        } == LiveNullReadings {
            diagnosis: None,
            ..*b
        } && cause(a) == cause(b)
    };
    let mut live = LiveNullTest::new(FS, 2, LiveNullSettings::default());
    let varied = feed(&mut live, &BLOCKS);
    assert_eq!(cause(&varied).cause, Cause::Inverted);
    for sizes in [&[1][..], &[7], &[64], &[4096]] {
        let mut other = LiveNullTest::new(FS, 2, LiveNullSettings::default());
        let r = feed(&mut other, sizes);
        assert!(
            same(&r, &varied),
            "blocks of {sizes:?}: {r:?} vs {varied:?}"
        );
    }
    live.reset();
    let again = feed(&mut live, &[4096]);
    assert!(same(&again, &varied), "{again:?} vs {varied:?}");
}

#[test]
fn nan_and_silence_keep_readings_finite() {
    let mut live = LiveNullTest::new(FS, 2, LiveNullSettings::default());
    let silence = vec![0.0f32; 4096];
    let mut nan = vec![0.25f32; 4096];
    nan[100] = f32::NAN;
    nan[200] = f32::INFINITY;
    assert_no_alloc::assert_no_alloc(|| {
        for _ in 0..200 {
            live.process_block(&[&silence, &silence], &[&silence, &silence]);
            live.process_block(&[&nan, &nan], &[&nan, &nan]);
        }
    });
    let r = live.readings();
    assert_finite(&r);
    assert!(r.locked);
    assert_eq!(r.verdict, Some(Verdict::Pass));
    live.reset();
    assert!(!live.readings().locked);
    assert_eq!(live.readings().verdict, None);
}
