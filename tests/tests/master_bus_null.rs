//! The Master Bus's live null test through the built CLAP bundle: the approved mix on the
//! reference (aux) input, the stems' sum on the main input, placed 0.3 s apart as a DAW
//! might. Each single-fault class (one stem offset, the loudest by one sample; inverted, or
//! one channel of it; gained; resampled; missing; not in the mix; the whole sum gained;
//! dynamics or an EQ left on the reference's mix bus) gets the right verdict and likely
//! cause, read from the saved state as a host would. The cause comes from the plugin's
//! analysis thread: the host keeps calling `process` (silence) until it is shown.

use shared_dsp::compressor::{Compressor, CompressorSettings};
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

/// `x` followed by `LATE` frames of silence (so the late sum's tail plays out before the
/// transport runs on silence).
fn padded(x: &Channels) -> Channels {
    x.iter()
        .map(|c| {
            let mut c = c.clone();
            c.resize(LEN + LATE, 0.0);
            c
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
    let (reference, main) = (padded(reference), late(&padded(&sum(delivery)), LATE));
    paced(&mut plugin, &main, &reference, &[1024, 333, 64]);
    settled_record(&mut plugin)
}

/// Runs `main` against `reference` through `plugin` a second at a time with a pause between,
/// as a real-time transport gives the plugin's analysis thread time to take every 4 s window
/// (fed as fast as possible it takes the newest window and may skip one).
fn paced(plugin: &mut PluginUnderTest, main: &Channels, reference: &Channels, blocks: &[usize]) {
    let piece = RATE_HZ as usize;
    for start in (0..main[0].len()).step_by(piece) {
        let end = (start + piece).min(main[0].len());
        let cut = |x: &Channels| -> Channels { x.iter().map(|c| c[start..end].to_vec()).collect() };
        let mut part = cut(main);
        plugin
            .process_with_aux(&mut part, &cut(reference), blocks, &[])
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(150));
    }
}

/// The saved null-test record once the analysis thread has named a cause (the transport keeps
/// running on silence meanwhile), or as it stands when no cause comes (a passing delivery).
fn settled_record(plugin: &mut PluginUnderTest) -> serde_json::Value {
    let silence = vec![vec![0.0f32; 1024]; 2];
    for _ in 0..400 {
        let record = plugin.saved_field("readings").unwrap()["null"].clone();
        if record.is_null() || record["verdict"] == "pass" || !record["cause"].is_null() {
            return record;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        let mut main = silence.clone();
        plugin
            .process_with_aux(&mut main, &silence, &[1024], &[])
            .unwrap();
    }
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
    let (reference, main) = (padded(&reference), late(&padded(&sum(&stems)), LATE));
    paced(&mut plugin, &main, &reference, &[1024]);
    let record = settled_record(&mut plugin);
    println!("limited reference: {record}");
    assert_ne!(record["verdict"], "pass");
    assert_eq!(record["offset_samples"], LATE as i64 - lookahead as i64);
    let cause = record["cause"].as_str().unwrap();
    assert!(
        cause.contains("the reference: processing left on the mix bus, dynamics"),
        "{cause}"
    );
}

/// `x` through an RBJ peaking filter (Audio EQ Cookbook), written here independently of the
/// project's EQ: `gain_db` at `freq_hz` with quality `q`.
fn peaking(x: &[f32], freq_hz: f64, q: f64, gain_db: f64) -> Vec<f32> {
    let a = 10f64.powf(gain_db / 40.0);
    let w0 = std::f64::consts::TAU * freq_hz / RATE_HZ;
    let alpha = w0.sin() / (2.0 * q);
    let (b0, b1, b2) = (1.0 + alpha * a, -2.0 * w0.cos(), 1.0 - alpha * a);
    let (a0, a1, a2) = (1.0 + alpha / a, -2.0 * w0.cos(), 1.0 - alpha / a);
    let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
    x.iter()
        .map(|&v| {
            let v = f64::from(v);
            let y = (b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2) / a0;
            (x2, x1, y2, y1) = (x1, v, y1, y);
            y as f32
        })
        .collect()
}

/// The index of the loudest stem.
fn loudest(stems: &[Channels]) -> usize {
    let energy = |s: &Channels| s.iter().flatten().map(|&x| (x as f64).powi(2)).sum::<f64>();
    (0..stems.len())
        .max_by(|&a, &b| energy(&stems[a]).total_cmp(&energy(&stems[b])))
        .unwrap()
}

#[test]
fn every_single_fault_class_is_named_through_the_bundle() {
    let stems = stems();
    let reference = sum(&stems);
    let with = |index: usize, stem: Channels| {
        let mut delivery = stems.clone();
        delivery[index] = stem;
        delivery
    };
    let loud = loudest(&stems);
    let one_sample = null_record(&reference, &with(loud, late(&stems[loud], 1)));
    expect(
        "loudest stem 1 sample late",
        &one_sample,
        "fail",
        &["one stem: offset by 1 samples"],
    );
    let mut right_flipped = stems[KEYS].clone();
    right_flipped[1].iter_mut().for_each(|s| *s = -*s);
    let channel = null_record(&reference, &with(KEYS, right_flipped));
    expect(
        "keys right channel inverted",
        &channel,
        "fail",
        &["one stem: polarity inverted, channel 2"],
    );
    let missing = null_record(&reference, &with(VOCAL, map(&stems[VOCAL], |_| 0.0)));
    expect(
        "vocal missing",
        &missing,
        "fail",
        &["one stem: missing from the mix"],
    );
    // A stem the mix does not hold: noise, unrelated to every stem.
    let mut seed = 0x2545_f491u32;
    let mut noise = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed as f32 / u32::MAX as f32 - 0.5) * 0.05
    };
    let mut extra = stems.clone();
    extra.push(
        (0..2)
            .map(|_| (0..LEN).map(|_| noise()).collect())
            .collect(),
    );
    let not_in_mix = null_record(&reference, &extra);
    expect(
        "keys not in the mix, delivered",
        &not_in_mix,
        "fail",
        &["one stem: unexplained residual"],
    );
    let quieter: Vec<Channels> = stems
        .iter()
        .map(|s| map(s, |x| x * 10f32.powf(-1.5 / 20.0)))
        .collect();
    let whole = null_record(&reference, &quieter);
    expect(
        "whole sum -1.5 dB",
        &whole,
        "fail",
        &["the whole sum: gained by -1.50 dB"],
    );
    let mut compressed = reference.clone();
    let mut compressor = Compressor::new(RATE_HZ as f32, 512, 2);
    compressor.set_settings(CompressorSettings {
        threshold_db: -20.0,
        ratio: 3.0,
        ..CompressorSettings::default()
    });
    for start in (0..LEN).step_by(512) {
        let (l, r) = compressed.split_at_mut(1);
        compressor
            .process_block(&mut [&mut l[0][start..start + 512], &mut r[0][start..start + 512]]);
    }
    let dynamics = null_record(&compressed, &stems);
    assert!(
        dynamics["cause"]
            .as_str()
            .unwrap_or("")
            .contains("the reference: processing left on the mix bus, dynamics"),
        "compressor on the reference: {dynamics}"
    );
    let equalised: Channels = reference
        .iter()
        .map(|c| peaking(c, 1000.0, 1.0, 3.0))
        .collect();
    let bus_eq = null_record(&equalised, &stems);
    expect(
        "EQ on the reference's bus",
        &bus_eq,
        "fail",
        &["the reference: processing left on the mix bus, EQ"],
    );
}
