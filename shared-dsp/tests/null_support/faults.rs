//! Faults a delivery can have, how to apply them, and what the analyzer should say.

use super::bus::Bus;
use super::resamplers::{self, Kind};
use super::stems::Stem;

/// One fault of a broken delivery (stem indices are into the set, in order).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// The stem is `samples` late (negative: early).
    Offset { stem: usize, samples: isize },
    /// Every stem is `samples` late.
    WholeOffset { samples: isize },
    /// The stem is polarity-inverted.
    Polarity { stem: usize },
    /// One channel of the stem is polarity-inverted.
    ChannelPolarity { stem: usize, channel: usize },
    /// The stem is `db` louder than in the mix.
    Gain { stem: usize, db: f64 },
    /// Every stem is `db` louder.
    WholeGain { db: f64 },
    /// The stem went through `via_hz` and back with `kind`.
    Resampled {
        stem: usize,
        kind: Kind,
        via_hz: u32,
    },
    /// The reference has this processing on its mix bus.
    Bus(Bus),
    /// The stem is in the mix but not delivered.
    LeftOut { stem: usize },
    /// The stem is delivered but not in the mix.
    NotInMix { stem: usize },
}

/// What kind of finding, for the confusion matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    Offset,
    DeliveryOffset,
    Polarity,
    ChannelPolarity,
    Gain,
    DeliveryGain,
    Resampled,
    BusDynamics,
    BusEq,
    StemEq,
    MissingMaterial,
    NotInMix,
    Unexplained,
    /// Nothing (no fault, or no finding).
    Nothing,
}

impl Class {
    /// Every class, in table order.
    pub const ALL: [Class; 14] = [
        Class::Offset,
        Class::DeliveryOffset,
        Class::Polarity,
        Class::ChannelPolarity,
        Class::Gain,
        Class::DeliveryGain,
        Class::Resampled,
        Class::BusDynamics,
        Class::BusEq,
        Class::StemEq,
        Class::MissingMaterial,
        Class::NotInMix,
        Class::Unexplained,
        Class::Nothing,
    ];

    /// Short label.
    pub fn label(self) -> &'static str {
        match self {
            Class::Offset => "offset",
            Class::DeliveryOffset => "all-offset",
            Class::Polarity => "polarity",
            Class::ChannelPolarity => "ch-polarity",
            Class::Gain => "gain",
            Class::DeliveryGain => "all-gain",
            Class::Resampled => "resampled",
            Class::BusDynamics => "bus-dyn",
            Class::BusEq => "bus-eq",
            Class::StemEq => "stem-eq",
            Class::MissingMaterial => "missing",
            Class::NotInMix => "not-in-mix",
            Class::Unexplained => "unexplained",
            Class::Nothing => "nothing",
        }
    }
}

/// A finding with its amount, expected or reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finding {
    /// Delivered stem index, `None` for the delivery or the mix bus.
    pub stem: Option<usize>,
    /// Kind.
    pub class: Class,
    /// Offset in samples, gain in dB, channel, or the resampling's intermediate rate (Hz).
    pub amount: f64,
}

/// The set's stems and a list of faults → (reference, delivered stems, expected findings).
pub fn apply(stems: &[Stem], faults: &[Fault], fs: f64) -> (Stem, Vec<Stem>, Vec<Finding>) {
    let in_mix = |i: usize| !faults.contains(&Fault::NotInMix { stem: i });
    let delivered_index = |i: usize| {
        i - (0..i)
            .filter(|&j| faults.contains(&Fault::LeftOut { stem: j }))
            .count()
    };
    let len = stems[0][0].len();
    let mut reference: Stem = (0..2)
        .map(|ch| {
            (0..len)
                .map(|n| {
                    (0..stems.len())
                        .filter(|&i| in_mix(i))
                        .map(|i| stems[i][ch][n])
                        .sum()
                })
                .collect()
        })
        .collect();
    let mut delivery: Vec<Option<Stem>> = stems.iter().cloned().map(Some).collect();
    let mut expected = Vec::new();
    let mut expect = |stem: Option<usize>, class, amount| {
        expected.push(Finding {
            stem,
            class,
            amount,
        })
    };
    for fault in faults {
        match *fault {
            Fault::Offset { stem, samples } => {
                shift(delivery[stem].as_mut().unwrap(), samples);
                expect(Some(delivered_index(stem)), Class::Offset, samples as f64);
            }
            Fault::WholeOffset { samples } => {
                delivery
                    .iter_mut()
                    .flatten()
                    .for_each(|s| shift(s, samples));
                expect(None, Class::DeliveryOffset, samples as f64);
            }
            Fault::Polarity { stem } => {
                for c in delivery[stem].as_mut().unwrap() {
                    c.iter_mut().for_each(|s| *s = -*s);
                }
                expect(Some(delivered_index(stem)), Class::Polarity, 0.0);
            }
            Fault::ChannelPolarity { stem, channel } => {
                let c = &mut delivery[stem].as_mut().unwrap()[channel];
                c.iter_mut().for_each(|s| *s = -*s);
                expect(
                    Some(delivered_index(stem)),
                    Class::ChannelPolarity,
                    channel as f64,
                );
            }
            Fault::Gain { stem, db } => {
                scale(delivery[stem].as_mut().unwrap(), db);
                expect(Some(delivered_index(stem)), Class::Gain, db);
            }
            Fault::WholeGain { db } => {
                delivery.iter_mut().flatten().for_each(|s| scale(s, db));
                expect(None, Class::DeliveryGain, db);
            }
            Fault::Resampled { stem, kind, via_hz } => {
                for c in delivery[stem].as_mut().unwrap() {
                    *c = resamplers::round_trip(kind, c, fs as u32, via_hz);
                }
                expect(Some(delivered_index(stem)), Class::Resampled, via_hz as f64);
            }
            Fault::Bus(bus) => {
                bus.apply(&mut reference, fs);
                let class = if matches!(bus, Bus::Eq { .. }) {
                    Class::BusEq
                } else {
                    Class::BusDynamics
                };
                expect(None, class, 0.0);
            }
            Fault::LeftOut { stem } => {
                delivery[stem] = None;
                expect(None, Class::MissingMaterial, 0.0);
            }
            Fault::NotInMix { stem } => {
                expect(Some(delivered_index(stem)), Class::NotInMix, 0.0);
            }
        }
    }
    (
        reference,
        delivery.into_iter().flatten().collect(),
        expected,
    )
}

/// Moves the content `samples` later (negative: earlier), same length.
fn shift(stem: &mut Stem, samples: isize) {
    for c in stem.iter_mut() {
        let len = c.len();
        let old = c.clone();
        for (n, v) in c.iter_mut().enumerate() {
            let t = n as isize - samples;
            *v = if t >= 0 && (t as usize) < len {
                old[t as usize]
            } else {
                0.0
            };
        }
    }
}

fn scale(stem: &mut Stem, db: f64) {
    let g = 10f64.powf(db / 20.0);
    for c in stem.iter_mut() {
        c.iter_mut().for_each(|s| *s = (*s as f64 * g) as f32);
    }
}
