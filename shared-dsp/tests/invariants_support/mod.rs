//! Adapters that put every `shared_dsp` processor behind one interface ([`Dut`]), their
//! settings (each with one mid-run change), for `processor_invariants.rs`.

use shared_dsp::bypass::BypassMixer;
use shared_dsp::compressor::{Compressor, CompressorSettings, Detector};
use shared_dsp::delay::DelayLine;
use shared_dsp::dither::{Dither, DitherSettings, NoiseShaping};
use shared_dsp::eq::settings::{BandKind, BandSettings, EqSettings, PhaseMode, Slope};
use shared_dsp::eq::Eq;
use shared_dsp::gain::{GainSettings, GainStage};
use shared_dsp::limiter::{Limiter, LimiterSettings};
use shared_dsp::loudness::LoudnessMeter;
use shared_dsp::oversampling::OversamplingFactor;
use shared_dsp::saturation::{Saturation, SaturationSettings};
use shared_dsp::true_peak::TruePeakDetector;

pub const FS: f32 = 48_000.0;
/// Frames per test signal (1 s); also the `max_block` every processor is built for.
pub const LEN: usize = 48_000;
/// Frame at which the runs of (a) apply the adapter's settings change.
pub const CHANGE_AT: usize = 20_011;

/// A processor under test. Meters leave the audio untouched and report `readings`.
pub trait Dut {
    fn process(&mut self, block: &mut [&mut [f32]]);
    fn reset(&mut self);
    /// A settings change that sets ramps, crossfades or redesigns in motion (none for meters).
    fn change(&mut self) {}
    fn latency(&self) -> usize;
    /// Accumulated readings, compared like the output (empty for processors).
    fn readings(&self) -> Vec<f32> {
        Vec::new()
    }
    /// `Debug` dump of the state, where the processor exposes one.
    fn state(&self) -> String;
}

/// Adapter of the processors with the common lifecycle.
struct Std<P> {
    /// The processor.
    p: P,
    /// Applies the mid-run settings change.
    change: fn(&mut P),
    /// Dumps the observable state.
    state: fn(&P) -> String,
}

macro_rules! standard {
    ($($t:ty),*) => {$(
        impl Dut for Std<$t> {
            fn process(&mut self, block: &mut [&mut [f32]]) { self.p.process_block(block) }
            fn reset(&mut self) { self.p.reset() }
            fn change(&mut self) { (self.change)(&mut self.p) }
            fn latency(&self) -> usize { self.p.latency_samples() }
            fn state(&self) -> String { (self.state)(&self.p) }
        }
    )*};
}
standard!(Eq, Compressor, Saturation, Limiter, GainStage, Dither);

impl Dut for LoudnessMeter {
    fn process(&mut self, block: &mut [&mut [f32]]) {
        self.process_block(&[&*block[0], &*block[1]]);
    }
    fn reset(&mut self) {
        LoudnessMeter::reset(self)
    }
    fn latency(&self) -> usize {
        self.latency_samples()
    }
    fn readings(&self) -> Vec<f32> {
        let r = self.readings();
        let history = self
            .history()
            .flat_map(|h| [h.momentary_lufs, h.short_term_lufs]);
        let maxima = [
            r.max_momentary_lufs,
            r.max_short_term_lufs,
            r.max_sample_peak_dbfs,
        ];
        [r.integrated_lufs, r.lra_lu, r.max_true_peak_dbtp]
            .into_iter()
            .chain(maxima)
            .chain(history)
            .collect()
    }
    fn state(&self) -> String {
        format!("{self:?}")
    }
}

/// True-peak detector plus the largest peak it has returned.
struct Tp(TruePeakDetector, f32);

impl Dut for Tp {
    fn process(&mut self, block: &mut [&mut [f32]]) {
        self.1 = self.1.max(self.0.process_block(&[&*block[0], &*block[1]]));
    }
    fn reset(&mut self) {
        self.0.reset();
        self.1 = 0.0;
    }
    fn latency(&self) -> usize {
        self.0.latency_samples()
    }
    fn readings(&self) -> Vec<f32> {
        vec![self.1]
    }
    fn state(&self) -> String {
        format!("{:?}", self.0)
    }
}

/// Bypass mixer around a stand-in processed path (a 100-frame delay and a gain of 0.5);
/// the change engages bypass (a 10 ms crossfade).
struct Bypass(BypassMixer, DelayLine);

impl Dut for Bypass {
    fn process(&mut self, block: &mut [&mut [f32]]) {
        self.0.capture_dry(block);
        self.1.process_block(block);
        block
            .iter_mut()
            .for_each(|c| c.iter_mut().for_each(|s| *s *= 0.5));
        self.0.mix(block);
    }
    fn reset(&mut self) {
        self.0.reset();
        self.1.reset();
    }
    fn change(&mut self) {
        self.0.set_bypassed(true)
    }
    fn latency(&self) -> usize {
        self.1.latency_samples()
    }
    fn state(&self) -> String {
        format!("{:?}", self.0)
    }
}

fn eq_settings(phase: PhaseMode, moved: bool) -> EqSettings {
    let band = |kind, freq_hz, gain_db, q, slope| BandSettings {
        kind,
        enabled: true,
        freq_hz,
        gain_db,
        q,
        slope,
    };
    let mut s = EqSettings {
        phase,
        ..EqSettings::default()
    };
    let m = if moved { 2.0 } else { 1.0 };
    s.bands[0] = band(BandKind::HighPass, 30.0 * m, 0.0, 0.7, Slope::Db24);
    s.bands[1] = band(BandKind::Bell, 250.0 * m, 12.0 - 8.0 * m, 1.2, Slope::Db12);
    s.bands[2] = band(BandKind::HighShelf, 8_000.0, -3.0 * m, 0.7, Slope::Db12);
    s.bands[3] = band(BandKind::LowPass, 18_000.0, 0.0, 0.7, Slope::Db12);
    s.bands[3].enabled = moved;
    s
}

fn eq(phase: PhaseMode) -> Box<dyn Dut> {
    let mut p = Eq::new(f64::from(FS), LEN, 2);
    p.set_settings(eq_settings(phase, false));
    p.reset();
    let change = match phase {
        PhaseMode::Minimum => |p: &mut Eq| p.set_settings(eq_settings(PhaseMode::Minimum, true)),
        PhaseMode::Linear => |p: &mut Eq| p.set_settings(eq_settings(PhaseMode::Linear, true)),
    };
    Box::new(Std {
        p,
        change,
        state: |p: &Eq| format!("{:?}", p.bands()),
    })
}

fn compressor_settings(moved: bool) -> CompressorSettings {
    CompressorSettings {
        threshold_db: if moved { -30.0 } else { -24.0 },
        ratio: 4.0,
        attack_ms: 3.0,
        release_ms: 80.0,
        detector: Detector::Rms,
        stereo_link_t: if moved { 1.0 } else { 0.5 },
        sidechain_hpf_hz: Some(100.0),
        makeup_db: if moved { -3.0 } else { 4.0 },
        mix_t: if moved { 0.4 } else { 0.8 },
        ..CompressorSettings::default()
    }
}

fn saturation_settings(moved: bool) -> SaturationSettings {
    SaturationSettings {
        drive_db: if moved { 18.0 } else { 12.0 },
        bias: if moved { -0.1 } else { 0.2 },
        tone_hz: Some(if moved { 5_000.0 } else { 8_000.0 }),
        mix_t: if moved { 1.0 } else { 0.7 },
        oversampling: OversamplingFactor::X4,
    }
}

fn limiter_settings(moved: bool) -> LimiterSettings {
    LimiterSettings {
        ceiling_db: -1.0,
        drive_db: if moved { 9.0 } else { 6.0 },
        lookahead_ms: 2.0,
        release_ms: if moved { 200.0 } else { 50.0 },
        auto_release: !moved,
        stereo_link_t: if moved { 1.0 } else { 0.5 },
    }
}

fn dither_settings(moved: bool) -> DitherSettings {
    DitherSettings {
        bits: if moved { 12 } else { 16 },
        shaping: [NoiseShaping::SecondOrder, NoiseShaping::None][usize::from(moved)],
        seed: 7,
    }
}

/// Boxes a processor with the common lifecycle; its state is its `Debug` dump.
fn boxed<P: std::fmt::Debug + 'static>(p: P, change: fn(&mut P)) -> Box<dyn Dut>
where
    Std<P>: Dut,
{
    let state = |p: &P| format!("{p:?}");
    Box::new(Std { p, change, state })
}

fn gain_settings(moved: bool) -> GainSettings {
    GainSettings {
        gain_db: if moved { 6.0 } else { -3.0 },
        invert: [moved, true],
    }
}

/// Builds a fresh instance, settled at its first settings.
pub type Factory = fn() -> Box<dyn Dut>;

/// Every processor under test: name and factory.
pub fn processors() -> Vec<(&'static str, Factory)> {
    vec![
        ("eq minimum phase", || eq(PhaseMode::Minimum)),
        ("eq linear phase", || eq(PhaseMode::Linear)),
        ("compressor", || {
            let mut p = Compressor::new(FS, LEN, 2);
            p.set_settings(compressor_settings(false));
            p.reset();
            boxed(p, |p| p.set_settings(compressor_settings(true)))
        }),
        ("saturation", || {
            let mut p = Saturation::new(FS, LEN, 2);
            p.set_settings(saturation_settings(false));
            p.reset();
            boxed(p, |p| p.set_settings(saturation_settings(true)))
        }),
        ("limiter", || {
            let mut p = Limiter::new(FS, LEN, 2);
            p.set_settings(limiter_settings(false));
            p.reset();
            boxed(p, |p| p.set_settings(limiter_settings(true)))
        }),
        ("gain stage", || {
            let p = GainStage::new(FS, gain_settings(false));
            boxed(p, |p| p.set_settings(gain_settings(true)))
        }),
        ("loudness meter", || {
            Box::new(LoudnessMeter::new(f64::from(FS), LEN, 2))
        }),
        ("true-peak detector", || {
            Box::new(Tp(TruePeakDetector::new(f64::from(FS), 2, 4), 0.0))
        }),
        ("dither", || {
            let p = Dither::new(f64::from(FS), LEN, 2, dither_settings(false));
            boxed(p, |p| p.set_settings(dither_settings(true)))
        }),
        ("bypass mixer", || {
            let mut mixer = BypassMixer::new(FS, LEN, 2, 100);
            mixer.set_latency_samples(100);
            let mut wet = DelayLine::new(2, 100);
            wet.set_delay_samples(100);
            Box::new(Bypass(mixer, wet))
        }),
    ]
}
