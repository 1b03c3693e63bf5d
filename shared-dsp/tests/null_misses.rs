//! The breakage matrix's former typical misses (issue #13), reproduced deterministically on
//! the matrix's own stem sets, resamplers and faults. Run with `--profile harness`.

#[allow(dead_code)]
mod null_support;

use null_support::faults::{self, Fault};
use null_support::resamplers::Kind;
use null_support::stems::{self, SetKind, Stem};
use null_support::{run, score};
use shared_dsp::null_test::NullReport;

/// Length of every stem, s (as in the matrix).
const SECONDS: f64 = 3.0;
/// Stems of the speech/FX set.
const DIALOGUE: usize = 0;
const FX: usize = 2;
const FX_RETURN: usize = 4;

fn speech_fx(fs: f64) -> Vec<Stem> {
    stems::build(SetKind::SpeechFx, fs, SECONDS)
        .into_iter()
        .map(|s| s.audio)
        .collect()
}

/// Runs one case and asserts every fault is named with its amount and nothing is invented.
fn assert_right(stems: &[Stem], faults: &[Fault], fs: f64) -> NullReport {
    let (reference, delivery, expected) = faults::apply(stems, faults, fs);
    let report = run(&reference, &delivery, fs);
    eprintln!("{faults:?}\n{}", report.summary());
    assert!(
        score(&expected, &report).right,
        "expected {expected:?}, got {}",
        report.summary()
    );
    report
}

#[test]
fn linear_round_trip_of_the_wide_band_fx_stem_is_only_resampled() {
    let fault = Fault::Resampled {
        stem: FX,
        kind: Kind::Linear,
        via_hz: 48_000,
    };
    assert_right(&speech_fx(96_000.0), &[fault], 96_000.0);
}

#[test]
fn linear_round_trip_of_the_reverb_return_is_resampled() {
    let fault = Fault::Resampled {
        stem: FX_RETURN,
        kind: Kind::Linear,
        via_hz: 48_000,
    };
    assert_right(&speech_fx(96_000.0), &[fault], 96_000.0);
}

#[test]
fn dialogue_left_out_does_not_move_its_reverb_return() {
    let fault = Fault::LeftOut { stem: DIALOGUE };
    assert_right(&speech_fx(48_000.0), &[fault], 48_000.0);
}
