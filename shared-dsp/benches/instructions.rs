//! Deterministic instruction counts per stereo frame, read under callgrind by `callgrind.sh`
//! (criterion's timing loop is unsuitable under valgrind).
//!
//! `instructions <processor> [frames]` sets the processor up with the settings of the
//! criterion benches (`common`), warms it up on 0.5 s so smoothers and designs settle, then
//! runs `frames` (default 5 s) stereo frames of pink noise at 48 kHz in 512-frame blocks through
//! [`measured_region`], the only function callgrind collects
//! (`--toggle-collect='*measured_region*'`). Meters take their final readings inside it.
//! Without a processor name (as `cargo bench` runs it) every processor runs once on a short
//! signal, as a smoke test.

mod common;

use common::{for_each_block, stereo_pink, BLOCK_FRAMES, FS};
use ebur128::{EbuR128, Mode};
use shared_dsp::compressor::{Compressor, Detector};
use shared_dsp::dither::{Dither, DitherSettings, NoiseShaping};
use shared_dsp::eq::settings::PhaseMode;
use shared_dsp::eq::Eq;
use shared_dsp::limiter::{Limiter, LimiterSettings};
use shared_dsp::loudness::LoudnessMeter;
use shared_dsp::master::MasterChain;
use shared_dsp::null_test::{LiveNullSettings, LiveNullTest};
use shared_dsp::oversampling::OversamplingFactor;
use shared_dsp::saturation::Saturation;
use shared_dsp::stereo_image::StereoImageMeter;
use shared_dsp::strip::StripChain;
use shared_dsp::true_peak::{bs1770_oversampling, TruePeakDetector, ORACLE_OVERSAMPLING};
use std::hint::black_box;

/// Processor names accepted on the command line.
const PROCESSORS: [&str; 16] = [
    "master",
    "master_bus",
    "limiter",
    "limiter_half_link",
    "compressor",
    "compressor_rms",
    "eq4",
    "eq_linear",
    "saturation2x",
    "saturation4x",
    "loudness",
    "ebur128",
    "true_peak",
    "true_peak_16x",
    "dither24",
    "dither16_shaped",
];
/// Frames run before the measured region.
const WARM_UP_FRAMES: usize = 24_000;
/// Frames run before the measured region of `master_bus`: its live null test locks about
/// 4.5 s into playback; the steady state after the lock is what a session runs in.
const MASTER_BUS_WARM_UP_FRAMES: usize = 6 * 48_000;
/// Default measured frames (5 s, so the loudness range sees short-term blocks from 3 s on).
const DEFAULT_FRAMES: usize = 240_000;

/// What the measured region calls: one block, and the readings a caller takes at the end.
trait Processor {
    fn process(&mut self, block: &mut [&mut [f32]]);
    fn finish(&mut self) -> f64 {
        0.0
    }
}

impl Processor for Limiter {
    fn process(&mut self, block: &mut [&mut [f32]]) {
        self.process_block(block);
    }
}

impl Processor for Compressor {
    fn process(&mut self, block: &mut [&mut [f32]]) {
        self.process_block(block);
    }
}

impl Processor for Eq {
    fn process(&mut self, block: &mut [&mut [f32]]) {
        self.process_block(block);
    }
}

impl Processor for StripChain {
    fn process(&mut self, block: &mut [&mut [f32]]) {
        self.process_block(block);
    }
}

impl Processor for Saturation {
    fn process(&mut self, block: &mut [&mut [f32]]) {
        self.process_block(block);
    }
}

impl Processor for Dither {
    fn process(&mut self, block: &mut [&mut [f32]]) {
        self.process_block(block);
    }
}

impl Processor for LoudnessMeter {
    fn process(&mut self, block: &mut [&mut [f32]]) {
        self.process_block(&[&*block[0], &*block[1]]);
    }
    fn finish(&mut self) -> f64 {
        let r = self.readings();
        f64::from(r.integrated_lufs + r.lra_lu + r.max_true_peak_dbtp)
    }
}

impl Processor for EbuR128 {
    fn process(&mut self, block: &mut [&mut [f32]]) {
        self.add_frames_planar_f32(&[&*block[0], &*block[1]])
            .unwrap();
    }
    fn finish(&mut self) -> f64 {
        let tp = self.true_peak(0).unwrap().max(self.true_peak(1).unwrap());
        self.loudness_global().unwrap() + self.loudness_range().unwrap() + tp
    }
}

impl Processor for MasterChain {
    fn process(&mut self, block: &mut [&mut [f32]]) {
        self.process_block(block);
    }
}

/// Everything the Master Bus plugin runs per frame (plugins/master-bus/src/chain.rs): the
/// input loudness meter (no true peak), the live null test against a reference (steady state after the
/// lock), the master chain, the master's loudness meter and its stereo image meter.
struct MasterBusWork {
    chain: MasterChain,
    input_meter: LoudnessMeter,
    master_meter: LoudnessMeter,
    stereo_meter: StereoImageMeter,
    null: LiveNullTest,
}

impl MasterBusWork {
    fn new() -> Self {
        let mut chain = MasterChain::new(FS, BLOCK_FRAMES, 2);
        chain.set_settings(common::master_settings());
        chain.reset();
        Self {
            chain,
            input_meter: LoudnessMeter::loudness_only(FS, BLOCK_FRAMES, 2),
            master_meter: LoudnessMeter::new(FS, BLOCK_FRAMES, 2),
            stereo_meter: StereoImageMeter::new(FS),
            null: LiveNullTest::new(FS, 2, LiveNullSettings::default()),
        }
    }
}

impl Processor for MasterBusWork {
    fn process(&mut self, block: &mut [&mut [f32]]) {
        // The reference is the input itself (an exact null), as the stems' sum would be.
        let input = [&*block[0], &*block[1]];
        self.null.process_block(&input, &input);
        self.input_meter.process_block(&input);
        self.chain.process_block(block);
        self.master_meter.process_block(&[&*block[0], &*block[1]]);
        self.stereo_meter.process_block(block[0], block[1]);
    }
    fn finish(&mut self) -> f64 {
        let r = self.master_meter.readings();
        let null = self.null.readings();
        let stereo = self.stereo_meter.readings();
        f64::from(r.integrated_lufs + self.input_meter.readings().integrated_lufs)
            + null.residual_rms_dbfs
            + f64::from(stereo.correlation + stereo.lf_correlation + stereo.hf_level_dbfs)
    }
}

/// Streaming true-peak detector keeping the running maximum, as a meter does.
struct TruePeak(TruePeakDetector, f32);

impl Processor for TruePeak {
    fn process(&mut self, block: &mut [&mut [f32]]) {
        self.1 = self.1.max(self.0.process_block(&[&*block[0], &*block[1]]));
    }
    fn finish(&mut self) -> f64 {
        f64::from(self.1)
    }
}

/// The processor called `name` with its bench settings, and the input peak it is fed.
fn make(name: &str) -> Option<(Box<dyn Processor>, f32)> {
    let saturation = |os| {
        let mut s = Saturation::new(FS as f32, BLOCK_FRAMES, 2);
        s.set_settings(common::saturation_settings(os));
        Box::new(s) as Box<dyn Processor>
    };
    let compressor = |detector| {
        let mut c = Compressor::new(FS as f32, BLOCK_FRAMES, 2);
        c.set_settings(common::compressor_settings(detector));
        Box::new(c) as Box<dyn Processor>
    };
    let eq = |phase| {
        let mut eq = Eq::new(FS, BLOCK_FRAMES, 2);
        eq.set_settings(common::eq_settings(phase));
        Box::new(eq) as Box<dyn Processor>
    };
    let strip = |multiband, saturation| {
        let mut chain = StripChain::new(FS, BLOCK_FRAMES, 2);
        chain.set_settings(common::strip_settings(multiband, saturation));
        chain.reset();
        Box::new(chain) as Box<dyn Processor>
    };
    let dither = |bits, shaping| {
        let settings = DitherSettings {
            bits,
            shaping,
            seed: 7,
        };
        Box::new(Dither::new(FS, BLOCK_FRAMES, 2, settings)) as Box<dyn Processor>
    };
    Some(match name {
        "master" => {
            let mut chain = MasterChain::new(FS, BLOCK_FRAMES, 2);
            chain.set_settings(common::master_settings());
            chain.reset();
            (Box::new(chain), 0.5)
        }
        "master_bus" => (Box::new(MasterBusWork::new()), 0.5),
        "strip" => (strip(false, true), 0.5),
        "strip_no_saturation" => (strip(false, false), 0.5),
        "strip_multiband" => (strip(true, true), 0.5),
        "limiter" => {
            let mut limiter = Limiter::new(FS as f32, BLOCK_FRAMES, 2);
            limiter.set_settings(common::limiter_settings());
            (Box::new(limiter), 1.0)
        }
        "limiter_half_link" => {
            // Partial link: every channel runs its own gain path.
            let mut limiter = Limiter::new(FS as f32, BLOCK_FRAMES, 2);
            limiter.set_settings(LimiterSettings {
                stereo_link_t: 0.5,
                ..common::limiter_settings()
            });
            (Box::new(limiter), 1.0)
        }
        "compressor" => (compressor(Detector::Peak), 0.7),
        "compressor_rms" => (compressor(Detector::Rms), 0.7),
        "eq4" => (eq(PhaseMode::Minimum), 0.5),
        "eq_linear" => (eq(PhaseMode::Linear), 0.5),
        "saturation2x" => (saturation(OversamplingFactor::X2), 0.5),
        "saturation4x" => (saturation(OversamplingFactor::X4), 0.5),
        "loudness" => (Box::new(LoudnessMeter::new(FS, BLOCK_FRAMES, 2)), 0.5),
        "ebur128" => {
            let mode = Mode::I | Mode::LRA | Mode::TRUE_PEAK;
            (Box::new(EbuR128::new(2, FS as u32, mode).unwrap()), 0.5)
        }
        "true_peak" => {
            let detector = TruePeakDetector::new(FS, 2, bs1770_oversampling(FS));
            (Box::new(TruePeak(detector, 0.0)), 0.9)
        }
        "true_peak_16x" => {
            let detector = TruePeakDetector::new(FS, 2, ORACLE_OVERSAMPLING);
            (Box::new(TruePeak(detector, 0.0)), 0.9)
        }
        "dither24" => (dither(24, NoiseShaping::None), 0.5),
        "dither16_shaped" => (dither(16, NoiseShaping::SecondOrder), 0.5),
        _ => return None,
    })
}

/// The only code callgrind counts: `left`/`right` in 512-frame blocks, then the readings.
#[inline(never)]
fn measured_region(processor: &mut dyn Processor, left: &mut [f32], right: &mut [f32]) -> f64 {
    for_each_block(left, right, |block| processor.process(block));
    processor.finish()
}

/// Sets up `name`, warms it up and runs `num_frames` through [`measured_region`].
fn run(name: &str, num_frames: usize) {
    let Some((mut processor, peak)) = make(name) else {
        eprintln!("unknown processor {name:?}; one of {PROCESSORS:?}");
        std::process::exit(2);
    };
    let warm_up = if name == "master_bus" {
        MASTER_BUS_WARM_UP_FRAMES
    } else {
        WARM_UP_FRAMES
    };
    let [mut left, mut right] = stereo_pink(warm_up + num_frames, peak);
    let (warm_l, left) = left.split_at_mut(warm_up);
    let (warm_r, right) = right.split_at_mut(warm_up);
    for_each_block(warm_l, warm_r, |block| processor.process(block));
    black_box(measured_region(processor.as_mut(), left, right));
    black_box((left, right));
}

fn main() {
    // `cargo bench` passes flags such as `--bench`; positional arguments are ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args.as_slice() {
        [] => {
            for name in PROCESSORS {
                run(name, BLOCK_FRAMES * 10);
            }
            println!("instructions: all processors ran; run benches/callgrind.sh for counts");
        }
        [name] => run(name, DEFAULT_FRAMES),
        [name, frames] => run(name, frames.parse().expect("frames must be a number")),
        _ => {
            eprintln!("usage: instructions <processor> [frames]; processors: {PROCESSORS:?}");
            std::process::exit(2);
        }
    }
}
