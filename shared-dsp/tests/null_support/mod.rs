//! Support of the null-test breakage matrix: stem sets, resamplers, bus processing, faults,
//! random cases, and scoring against what the analyzer reports.

pub mod bus;
pub mod faults;
pub mod resamplers;
pub mod stems;

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::Rng;
use shared_dsp::null_test::{analyze, Cause, NullReport, NullSettings, Processing, Verdict};

use bus::Bus;
use faults::{Class, Fault, Finding};
use resamplers::Kind;
use stems::Stem;

/// The sum of `stems` (stereo, as long as the first).
pub fn sum(stems: &[Stem]) -> Stem {
    (0..2)
        .map(|ch| {
            (0..stems[0][ch].len())
                .map(|n| stems.iter().map(|s| s[ch][n]).sum())
                .collect()
        })
        .collect()
}

/// Runs `run` on the three stem sets (with their seeds), one thread each.
pub fn run_sets<T: Send>(
    sets: &[(stems::SetKind, u64)],
    run: fn(stems::SetKind, u64) -> T,
) -> Vec<T> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = sets
            .iter()
            .map(|&(kind, seed)| scope.spawn(move || run(kind, seed)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Runs the analyzer on a reference and delivered stems.
pub fn run(reference: &Stem, delivery: &[Stem], fs: f64) -> NullReport {
    let reference: Vec<&[f32]> = reference.iter().map(Vec::as_slice).collect();
    let channels: Vec<Vec<&[f32]>> = delivery
        .iter()
        .map(|s| s.iter().map(Vec::as_slice).collect())
        .collect();
    let stems: Vec<&[&[f32]]> = channels.iter().map(Vec::as_slice).collect();
    analyze(&reference, &stems, fs, &NullSettings::default())
}

/// The analyzer's findings in the matrix's terms.
pub fn reported(report: &NullReport) -> Vec<Finding> {
    report
        .diagnoses
        .iter()
        .map(|d| {
            let (class, amount) = match (d.cause, d.stem_index) {
                (Cause::Offset { samples }, Some(_)) => (Class::Offset, samples as f64),
                (Cause::Offset { samples }, None) => (Class::DeliveryOffset, samples as f64),
                (Cause::Inverted, Some(_)) => match d.channel {
                    Some(c) => (Class::ChannelPolarity, c as f64),
                    None => (Class::Polarity, 0.0),
                },
                (Cause::Inverted, None) => (Class::Polarity, 0.0),
                (Cause::Gained { db }, Some(_)) => (Class::Gain, db),
                (Cause::Gained { db }, None) => (Class::DeliveryGain, db),
                (Cause::Resampled, _) => (Class::Resampled, d.corner_hz.unwrap_or(0.0)),
                (Cause::MasterProcessing, _) => match d.processing {
                    Some(Processing::Equalizer) => (Class::BusEq, 0.0),
                    _ => (Class::BusDynamics, 0.0),
                },
                (Cause::Missing, None) => (Class::MissingMaterial, 0.0),
                (Cause::Missing, Some(_)) => (Class::NotInMix, 0.0),
                (Cause::Unexplained, Some(_)) if d.processing == Some(Processing::Equalizer) => {
                    (Class::StemEq, 0.0)
                }
                (Cause::Unexplained, _) => (Class::Unexplained, 0.0),
            };
            Finding {
                stem: d.stem_index,
                class,
                amount,
            }
        })
        .collect()
}

/// True when a reported finding is the expected one, amount included: offsets exact, gains
/// within 0.05 dB, a resampling's corner reported below the intermediate rate's Nyquist.
fn matches(expected: &Finding, reported: &Finding) -> bool {
    if expected.stem != reported.stem || expected.class != reported.class {
        return false;
    }
    match expected.class {
        Class::Offset | Class::DeliveryOffset | Class::ChannelPolarity => {
            expected.amount == reported.amount
        }
        Class::Gain | Class::DeliveryGain => (expected.amount - reported.amount).abs() <= 0.05,
        // A stem with no top band to lose shows its resampling only as a fractional
        // delay: the corner is then unknown (reported as 0).
        Class::Resampled => {
            let nyquist = 0.5 * expected.amount.min(48_000.0);
            reported.amount <= 1.1 * nyquist
        }
        _ => true,
    }
}

/// The outcome of one case.
pub struct Outcome {
    /// Every fault named with its amount and nothing invented.
    pub right: bool,
    /// (true class, reported class) pairs for the confusion matrix.
    pub pairs: Vec<(Class, Class)>,
}

/// Scores a report against the expected findings.
pub fn score(expected: &[Finding], report: &NullReport) -> Outcome {
    let reported = reported(report);
    let mut used = vec![false; reported.len()];
    let mut pairs = Vec::new();
    // A delivery that only sits at another offset is compensated and passes.
    let compensated = expected.iter().all(|e| e.class == Class::DeliveryOffset);
    let mut right = report.verdict != Verdict::Pass || compensated;
    for e in expected {
        if let Some(j) = (0..reported.len()).find(|&j| !used[j] && matches(e, &reported[j])) {
            used[j] = true;
            pairs.push((e.class, e.class));
            continue;
        }
        right = false;
        // What was said about the same subject instead (or nothing).
        let instead = (0..reported.len()).find(|&j| !used[j] && reported[j].stem == e.stem);
        match instead {
            Some(j) => {
                used[j] = true;
                pairs.push((e.class, reported[j].class));
            }
            None => pairs.push((e.class, Class::Nothing)),
        }
    }
    for (j, r) in reported.iter().enumerate() {
        if !used[j] {
            right = false;
            pairs.push((Class::Nothing, r.class));
        }
    }
    Outcome { right, pairs }
}

/// Confusion matrix: counts per (true, reported) class.
#[derive(Default)]
pub struct Confusion {
    counts: BTreeMap<(Class, Class), usize>,
}

impl Confusion {
    /// Adds the pairs of one case.
    pub fn add(&mut self, pairs: &[(Class, Class)]) {
        for &p in pairs {
            *self.counts.entry(p).or_default() += 1;
        }
    }

    /// Adds another matrix.
    pub fn merge(&mut self, other: &Confusion) {
        for (&p, &c) in &other.counts {
            *self.counts.entry(p).or_default() += c;
        }
    }

    /// The matrix as a text table (rows: true cause; columns: reported cause), only the
    /// classes that occur.
    pub fn table(&self) -> String {
        let used: Vec<Class> = Class::ALL
            .iter()
            .copied()
            .filter(|c| self.counts.keys().any(|(t, r)| t == c || r == c))
            .collect();
        let mut out = format!("{:>12} |", "true \\ said");
        for c in &used {
            out += &format!("{:>12}", c.label());
        }
        out += "\n";
        for t in &used {
            out += &format!("{:>12} |", t.label());
            for r in &used {
                let n = self.counts.get(&(*t, *r)).copied().unwrap_or(0);
                out += &if n == 0 {
                    format!("{:>12}", ".")
                } else {
                    format!("{n:>12}")
                };
            }
            out += "\n";
        }
        out
    }
}

/// A random delivery fault of a set of `num_stems` (`loudest` = index of the loudest stem,
/// `hf_stems` = stems with enough top-band content to show a resampling).
pub fn random_faults(
    rng: &mut StdRng,
    num_stems: usize,
    loudest: usize,
    double: bool,
) -> Vec<Fault> {
    if double {
        let a = rng.random_range(0..num_stems);
        let b = (a + rng.random_range(1..num_stems)) % num_stems;
        return vec![random_stem_fault(rng, a), random_stem_fault(rng, b)];
    }
    match rng.random_range(0..13) {
        0 => vec![Fault::Offset {
            stem: loudest,
            samples: 1,
        }],
        1 | 2 => {
            let stem = rng.random_range(0..num_stems);
            vec![random_stem_fault(rng, stem)]
        }
        3 => {
            let stem = rng.random_range(0..num_stems);
            vec![Fault::Offset {
                stem,
                samples: random_offset(rng),
            }]
        }
        4 => vec![Fault::WholeOffset {
            samples: random_offset(rng),
        }],
        5 => vec![Fault::WholeGain {
            db: random_gain_db(rng),
        }],
        6 => {
            let stem = rng.random_range(0..num_stems);
            vec![Fault::Polarity { stem }]
        }
        7 => {
            let stem = rng.random_range(0..num_stems);
            vec![Fault::ChannelPolarity {
                stem,
                channel: rng.random_range(0..2),
            }]
        }
        8 | 9 => vec![Fault::Bus(random_bus(rng))],
        10 => vec![Fault::LeftOut {
            stem: rng.random_range(0..num_stems),
        }],
        11 => vec![Fault::NotInMix {
            stem: rng.random_range(0..num_stems),
        }],
        _ => vec![Fault::Resampled {
            stem: rng.random_range(0..num_stems),
            kind: random_resampler(rng),
            via_hz: 44_100,
        }],
    }
}

/// One fault of one stem: offset, polarity (stem or channel), gain or resampling.
fn random_stem_fault(rng: &mut StdRng, stem: usize) -> Fault {
    match rng.random_range(0..5) {
        0 => Fault::Offset {
            stem,
            samples: random_offset(rng),
        },
        1 => Fault::Polarity { stem },
        2 => Fault::ChannelPolarity {
            stem,
            channel: rng.random_range(0..2),
        },
        3 => Fault::Gain {
            stem,
            db: random_gain_db(rng),
        },
        _ => Fault::Resampled {
            stem,
            kind: random_resampler(rng),
            via_hz: 44_100,
        },
    }
}

/// 1…2000 samples either way (small offsets drawn more often).
fn random_offset(rng: &mut StdRng) -> isize {
    let magnitude = if rng.random_bool(0.4) {
        rng.random_range(1..=8i64) as isize
    } else {
        rng.random_range(1..=2000i64) as isize
    };
    if rng.random_bool(0.7) {
        magnitude
    } else {
        -magnitude
    }
}

/// ±0.1…±6 dB.
fn random_gain_db(rng: &mut StdRng) -> f64 {
    let magnitude: f64 = rng.random_range(0.1..6.0);
    let db = (magnitude * 100.0).round() / 100.0;
    if rng.random_bool(0.5) {
        db
    } else {
        -db
    }
}

/// One of the five resamplers.
pub fn random_resampler(rng: &mut StdRng) -> Kind {
    match rng.random_range(0..5) {
        0 => Kind::KaiserFir { beta: 5.0 },
        1 => Kind::KaiserFir { beta: 10.0 },
        2 => Kind::Linear,
        3 => Kind::RubatoHigh,
        _ => Kind::RubatoLow,
    }
}

/// Compressor, limiter, clipper, glue chain or EQ with random settings.
fn random_bus(rng: &mut StdRng) -> Bus {
    match rng.random_range(0..5) {
        0 => Bus::Compressor {
            ratio: rng.random_range(1.5..4.0),
            threshold_db: rng.random_range(-18.0..-6.0),
            makeup_db: rng.random_range(-2.0..4.0),
        },
        1 => Bus::Limiter {
            drive_db: rng.random_range(1.0..6.0),
        },
        2 => Bus::Clipper {
            drive_db: rng.random_range(2.0..8.0),
        },
        3 => Bus::GlueLimiter,
        _ => Bus::Eq {
            freq_hz: rng.random_range(150.0..5000.0),
            gain_db: if rng.random_bool(0.5) { 1.0 } else { -1.0 } * rng.random_range(1.0..4.0),
            shelf_db: rng.random_range(-3.0..3.0),
        },
    }
}

/// Peak of `reference − Σ delivery` in dBFS (how visible a fault is to the null).
pub fn naive_residual_peak_dbfs(reference: &Stem, delivery: &[Stem]) -> f64 {
    let mut peak = 0.0f64;
    for (ch, r) in reference.iter().enumerate() {
        for (n, &x) in r.iter().enumerate() {
            let s: f64 = delivery.iter().map(|d| d[ch][n] as f64).sum();
            peak = peak.max((x as f64 - s).abs());
        }
    }
    20.0 * peak.max(1e-12).log10()
}

/// Describes faults for the log.
pub fn describe(faults: &[Fault], names: &[&str]) -> String {
    faults
        .iter()
        .map(|f| match *f {
            Fault::Offset { stem, samples } => format!("{} offset {samples}", names[stem]),
            Fault::WholeOffset { samples } => format!("all offset {samples}"),
            Fault::Polarity { stem } => format!("{} inverted", names[stem]),
            Fault::ChannelPolarity { stem, channel } => {
                format!("{} channel {channel} inverted", names[stem])
            }
            Fault::Gain { stem, db } => format!("{} {db:+.2} dB", names[stem]),
            Fault::WholeGain { db } => format!("all {db:+.2} dB"),
            Fault::Resampled { stem, kind, via_hz } => {
                format!("{} via {via_hz} ({})", names[stem], kind.label())
            }
            Fault::Bus(b) => format!("bus {}", b.label()),
            Fault::LeftOut { stem } => format!("{} left out", names[stem]),
            Fault::NotInMix { stem } => format!("{} not in mix", names[stem]),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}
