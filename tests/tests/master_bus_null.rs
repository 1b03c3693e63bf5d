//! The Master Bus's live null test through the built CLAP bundle: the approved mix on the
//! reference (aux) input, the stems' sum on the main input, placed 0.3 s apart as a DAW
//! might. Each broken delivery gets the right verdict and likely cause, read from the saved
//! state as a host would.

use shared_dsp::limiter::{Limiter, LimiterSettings};
use shared_dsp::resample::SampleRateConverter;
use stemwise_cli::demo::stems::synthesize;
use stemwise_tests::bundles::MASTER_BUS_ID;
use stemwise_tests::checks::Channels;
use stemwise_tests::PluginUnderTest;

/// Sample rate, Hz.
const RATE_HZ: f64 = 48_000.0;
/// Length of the session, frames (12 s).
const LEN: usize = 12 * 48_000;
/// How much later the stems' sum arrives than the reference track, frames.
const LATE: usize = 14_400;
/// Index of the drums, bass, keys and vocal stems.
const DRUMS: usize = 0;
const BASS: usize = 1;
const KEYS: usize = 2;
const VOCAL: usize = 3;

/// The four demo stems.
fn stems() -> Vec<Channels> {
    synthesize(RATE_HZ, LEN)
        .into_iter()
        .map(|s| s.audio)
        .collect()
}

/// The sum of `stems`.
fn sum(stems: &[Channels]) -> Channels {
    (0..2)
        .map(|ch| {
            (0..LEN)
                .map(|n| stems.iter().map(|s| s[ch][n]).sum())
                .collect()
        })
        .collect()
}

/// `x` delayed by `frames` (same length).
fn late(x: &Channels, frames: usize) -> Channels {
    x.iter()
        .map(|c| {
            let mut d = vec![0.0; frames];
            d.extend_from_slice(&c[..c.len() - frames]);
            d
        })
        .collect()
}

/// `stem` with `f` applied to every sample.
fn map(stem: &Channels, f: impl Fn(f32) -> f32) -> Channels {
    stem.iter()
        .map(|c| c.iter().map(|&s| f(s)).collect())
        .collect()
}

/// The saved null-test record after running `delivery` (main input) against `reference`
/// (aux input) through a default Master Bus.
fn null_record(reference: &Channels, delivery: &[Channels]) -> serde_json::Value {
    let mut plugin = PluginUnderTest::open(MASTER_BUS_ID, RATE_HZ, 1024, 2).unwrap();
    assert_eq!(
        plugin.aux_input_channels(),
        [2],
        "one stereo reference input"
    );
    let mut main = late(&sum(delivery), LATE);
    plugin
        .process_with_aux(&mut main, reference, &[1024, 333, 64], &[])
        .unwrap();
    plugin.saved_field("readings").unwrap()["null"].clone()
}

/// Asserts the verdict and that the cause text contains every one of `words`.
fn expect(name: &str, record: &serde_json::Value, verdict: &str, words: &[&str]) {
    println!("{name}: {record}");
    assert_eq!(record["verdict"], verdict, "{name}");
    assert_eq!(record["offset_samples"], LATE as i64, "{name}: offset");
    let cause = record["cause"].as_str().unwrap_or("");
    for word in words {
        assert!(cause.contains(word), "{name}: {cause:?} lacks {word:?}");
    }
}

#[test]
fn an_exact_delivery_passes_and_an_unconnected_reference_reads_nothing() {
    let stems = stems();
    let record = null_record(&sum(&stems), &stems);
    expect("exact", &record, "pass", &[]);
    assert!(record["cause"].is_null());
    let silence = vec![vec![0.0; LEN]; 2];
    assert!(
        null_record(&silence, &stems).is_null(),
        "no reference, no verdict"
    );
}

#[test]
fn broken_stems_are_named_by_cause() {
    let stems = stems();
    let reference = sum(&stems);
    let broken = |index: usize, stem: Channels| {
        let mut delivery = stems.clone();
        delivery[index] = stem;
        null_record(&reference, &delivery)
    };
    let flipped = broken(KEYS, map(&stems[KEYS], |s| -s));
    expect(
        "flipped keys",
        &flipped,
        "fail",
        &["one stem", "polarity inverted"],
    );
    let hot = broken(BASS, map(&stems[BASS], |s| s * 10f32.powf(0.5 / 20.0)));
    expect("bass +0.5 dB", &hot, "fail", &["one stem", "gained by +"]);
    let cause = hot["cause"].as_str().unwrap();
    let db: f64 = cause["one stem: gained by ".len()..]
        .split(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!((db - 0.5).abs() < 0.1, "{db}");
    // The hats reach above 20 kHz: a round trip through 44.1 kHz loses them.
    let channels: Vec<&[f32]> = stems[DRUMS].iter().map(Vec::as_slice).collect();
    let down = SampleRateConverter::new(48_000, 44_100, 2)
        .unwrap()
        .process(&channels);
    let down: Vec<&[f32]> = down.iter().map(Vec::as_slice).collect();
    let mut up = SampleRateConverter::new(44_100, 48_000, 2)
        .unwrap()
        .process(&down);
    up.iter_mut().for_each(|c| c.resize(LEN, 0.0));
    let resampled = broken(DRUMS, up);
    expect("drums through 44.1 kHz", &resampled, "fail", &["resampled"]);
    let offset = broken(VOCAL, late(&stems[VOCAL], 30));
    expect(
        "vocal 30 samples late",
        &offset,
        "fail",
        &["offset by 30 samples"],
    );
}

#[test]
fn a_limiter_left_on_the_reference_mix_bus_is_named() {
    let stems = stems();
    let mut reference = sum(&stems);
    let mut limiter = Limiter::new(RATE_HZ as f32, 512, 2);
    limiter.set_settings(LimiterSettings {
        ceiling_db: -3.0,
        ..LimiterSettings::default()
    });
    for start in (0..LEN).step_by(512) {
        let (l, r) = reference.split_at_mut(1);
        limiter.process_block(&mut [&mut l[0][start..start + 512], &mut r[0][start..start + 512]]);
    }
    // The limiter delays the reference by its lookahead; the live test aligns that too.
    let lookahead = limiter.latency_samples();
    let mut plugin = PluginUnderTest::open(MASTER_BUS_ID, RATE_HZ, 1024, 2).unwrap();
    let mut main = late(&sum(&stems), LATE);
    plugin
        .process_with_aux(&mut main, &reference, &[1024], &[])
        .unwrap();
    let record = plugin.saved_field("readings").unwrap()["null"].clone();
    println!("limited reference: {record}");
    assert_ne!(record["verdict"], "pass");
    assert_eq!(record["offset_samples"], LATE as i64 - lookahead as i64);
    let cause = record["cause"].as_str().unwrap();
    assert!(cause.contains("processing left on the mix bus"), "{cause}");
}
