//! A generated delivery for the null-test streaming tests: a mix of 8 stereo stems and the
//! stems as delivered, each with its fault, written a second at a time.

use shared_dsp::signals::{pink_noise, sine, transient_train};
use std::path::{Path, PathBuf};

/// Sample rate of the generated deliveries, Hz.
pub const RATE_HZ: u32 = 48_000;
/// Stems of the generated deliveries.
pub const NUM_STEMS: usize = 8;
/// Length of the material each stem cycles through, s (so the programme is not a 1 s loop).
const PATTERN_S: usize = 4;

/// How one delivered stem differs from its copy in the mix.
#[derive(Clone, Copy)]
pub struct Fault {
    /// Level of the delivered stem re its copy in the mix (1 = right).
    pub gain: f32,
    /// How late the delivered stem is, samples.
    pub late_samples: usize,
    /// Left out of the delivery.
    pub missing: bool,
}

/// A stem delivered as it is in the mix.
pub const RIGHT: Fault = Fault {
    gain: 1.0,
    late_samples: 0,
    missing: false,
};

/// Stem `i`'s material: transients, pink noise and a tone per channel.
fn pattern(i: usize) -> [Vec<f32>; 2] {
    let sr = f64::from(RATE_HZ);
    let n = PATTERN_S * RATE_HZ as usize;
    std::array::from_fn(|ch| {
        let seed = (i * 10 + ch) as u64;
        let hits = transient_train(seed, 0.3, sr, n, 0.3 + 0.05 * i as f64, 40.0);
        let pink = pink_noise(seed + 5, 0.08 * (1 + i % 3) as f32, n);
        let tone = sine(55.0 * (i + 1) as f64, 0.1, sr, n, ch as f64);
        (0..n).map(|j| hits[j] + pink[j] + tone[j]).collect()
    })
}

/// Writes the mix (the plain f32 sum of the patterns) and the delivered stems (each with its
/// fault) of `seconds` into `dir`, one second at a time (never a whole file in memory);
/// returns the mix's path and the delivered stems' paths.
pub fn write_delivery(dir: &Path, seconds: usize, faults: &[Fault]) -> (PathBuf, Vec<PathBuf>) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: RATE_HZ,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let patterns: Vec<[Vec<f32>; 2]> = (0..NUM_STEMS).map(pattern).collect();
    let period = PATTERN_S * RATE_HZ as usize;
    let at = |i: usize, ch: usize, n: usize| patterns[i][ch][n % period];
    let mix_path = dir.join("mix.wav");
    let mut mix = hound::WavWriter::create(&mix_path, spec).unwrap();
    let mut stem_paths = Vec::new();
    let mut stems = Vec::new();
    for (i, fault) in faults.iter().enumerate() {
        if !fault.missing {
            let path = dir.join(format!("stem{i}.wav"));
            stems.push((i, hound::WavWriter::create(&path, spec).unwrap()));
            stem_paths.push(path);
        }
    }
    for n in 0..seconds * RATE_HZ as usize {
        for ch in 0..2 {
            mix.write_sample((0..NUM_STEMS).map(|i| at(i, ch, n)).sum::<f32>())
                .unwrap();
            for (i, writer) in &mut stems {
                let fault = faults[*i];
                let sample = n
                    .checked_sub(fault.late_samples)
                    .map_or(0.0, |m| fault.gain * at(*i, ch, m));
                writer.write_sample(sample).unwrap();
            }
        }
    }
    mix.finalize().unwrap();
    for (_, writer) in stems {
        writer.finalize().unwrap();
    }
    (mix_path, stem_paths)
}

/// Stem 2 delivered 1 dB low, stem 5 delivered 48 samples late.
pub fn gained_and_late() -> Vec<Fault> {
    let mut faults = vec![RIGHT; NUM_STEMS];
    faults[2].gain = 10f32.powf(-1.0 / 20.0);
    faults[5].late_samples = 48;
    faults
}
