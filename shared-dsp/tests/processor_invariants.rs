//! One set of invariants, written once, checked for every processor of `shared_dsp` behind a
//! small adapter ([`Dut`]): EQ (minimum and linear phase), compressor, saturation, limiter,
//! gain stage, loudness meter, true-peak detector, dither and the bypass mixer.
//!
//! (a) block-size invariance, (b) `reset()` determinism, (c) no allocation in `process_block`,
//! `reset` or `set_settings` (every call runs under `assert_no_alloc`), (d) non-finite input
//! never poisons the state, (e) silent tails produce no subnormals. The exact definitions are on
//! the tests. Run: `cargo test -p shared-dsp --profile harness --test processor_invariants`.

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
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
use shared_dsp::signals::{pink_noise, sine, transient_train, Rng};
use shared_dsp::true_peak::TruePeakDetector;

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

const FS: f32 = 48_000.0;
/// Frames per test signal (1 s); also the `max_block` every processor is built for.
const LEN: usize = 48_000;
/// Frame at which the runs of (a) apply the adapter's settings change.
const CHANGE_AT: usize = 20_011;

/// A processor under test. Meters leave the audio untouched and report `readings`.
trait Dut {
    fn process(&mut self, block: &mut [&mut [f32]]);
    fn reset(&mut self);
    /// A settings change that sets ramps, crossfades or redesigns in motion.
    fn change(&mut self);
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
    p: P,
    change: fn(&mut P),
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
    fn change(&mut self) {}
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
    fn change(&mut self) {}
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
    s.bands[1] = band(
        BandKind::Bell,
        250.0 * m,
        4.0 - 8.0 * (m - 1.0),
        1.2,
        Slope::Db12,
    );
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
        shaping: if moved {
            NoiseShaping::None
        } else {
            NoiseShaping::SecondOrder
        },
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

/// Every processor under test: name and factory (a fresh instance settled at its settings).
fn processors() -> Vec<(&'static str, fn() -> Box<dyn Dut>)> {
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

type Stereo = (Vec<f32>, Vec<f32>);

/// Loud, busy stereo material (pink noise, drum-like hits, a tone; peaks near 0 dBFS).
fn programme(seed: u64, len: usize) -> Stereo {
    let pink = pink_noise(seed, 0.45, len);
    let hits = transient_train(seed + 1, 0.6, f64::from(FS), len, 0.11, 30.0);
    let tone = sine(997.0, 0.2, f64::from(FS), len, 0.0);
    let l = (0..len).map(|i| pink[i] + hits[i] + tone[i]).collect();
    let r = (0..len)
        .map(|i| 0.7 * pink[i] - hits[i] + tone[i])
        .collect();
    (l, r)
}

/// Runs `dut` over `input` in blocks whose sizes cycle through `sizes`; a block that would
/// cross `change_at` is split there and `change()` is applied exactly at that frame.
fn run(dut: &mut dyn Dut, input: &Stereo, sizes: &[usize], change_at: Option<usize>) -> Stereo {
    let (mut l, mut r) = input.clone();
    let (mut start, mut k) = (0, 0);
    while start < l.len() {
        if change_at == Some(start) {
            assert_no_alloc(|| dut.change());
        }
        let mut end = (start + sizes[k % sizes.len()]).min(l.len());
        if let Some(at) = change_at.filter(|&at| start < at && at < end) {
            end = at;
        }
        assert_no_alloc(|| dut.process(&mut [&mut l[start..end], &mut r[start..end]]));
        (start, k) = (end, k + 1);
    }
    (l, r)
}

/// Bit-for-bit equality (distinguishes −0.0 from 0.0 and compares NaN payloads).
fn identical(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn same_output(a: &Stereo, b: &Stereo) -> bool {
    identical(&a.0, &b.0) && identical(&a.1, &b.1)
}

/// (a) Block sizes 1, 7, 64, 4096 and a seeded random sequence (1…700) give output and
/// readings bit-identical to one block per settings segment (the whole signal in one
/// `process_block`, split only at the settings change at [`CHANGE_AT`]). (c) holds throughout.
#[test]
fn block_size_invariance() {
    let input = programme(1, LEN);
    let mut rng = Rng::new(9);
    let random: Vec<usize> = (0..500)
        .map(|_| 1 + (rng.next_u64() % 700) as usize)
        .collect();
    for (name, make) in processors() {
        let mut reference_dut = make();
        let reference = run(&mut *reference_dut, &input, &[LEN], Some(CHANGE_AT));
        assert!(
            !same_output(&reference, &input) || !reference_dut.readings().is_empty(),
            "{name}: inert"
        );
        for sizes in [&[1][..], &[7], &[64], &[4096], &random] {
            let mut dut = make();
            let out = run(&mut *dut, &input, sizes, Some(CHANGE_AT));
            assert!(
                same_output(&out, &reference),
                "{name}: blocks of {}",
                sizes[0]
            );
            assert!(
                identical(&dut.readings(), &reference_dut.readings()),
                "{name}: readings"
            );
        }
        println!("{name}: identical for blocks of 1, 7, 64, 4096 and random sizes");
    }
}

/// (b) A used instance (one second with a settings change in it), after `reset()`, gives the
/// same output and readings as a fresh instance given the same final settings and reset.
#[test]
fn reset_restores_a_fresh_instance() {
    let first = programme(2, LEN);
    let (mut l, mut r) = programme(3, LEN / 2);
    l.reverse();
    r.reverse();
    let second = (l, r);
    for (name, make) in processors() {
        let mut used = make();
        run(&mut *used, &first, &[512], Some(CHANGE_AT));
        assert_no_alloc(|| used.reset());
        let mut fresh = make();
        assert_no_alloc(|| {
            fresh.change();
            fresh.reset();
        });
        let a = run(&mut *used, &second, &[333], None);
        let b = run(&mut *fresh, &second, &[333], None);
        assert!(same_output(&a, &b), "{name}");
        assert!(
            identical(&used.readings(), &fresh.readings()),
            "{name}: readings"
        );
    }
}

/// (d) NaN, +Inf and −Inf samples inside block `k` (blocks of 512; single samples, both
/// channels, a run of 16 and the block's last frame). Definition: every output frame from
/// the end of block `k` plus the processor's latency on (a delay may carry what it was given
/// that far, no further) is finite, and equals bit for bit the output of a run in which the
/// non-finite samples were zeros; the readings of meters equal those of that run. So nothing
/// non-finite survives in the state, and the burst costs exactly what silence would.
#[test]
fn non_finite_burst_never_poisons_the_state() {
    const BLOCK: usize = 512;
    let clean = programme(4, LEN);
    let burst_block = 41;
    let base = burst_block * BLOCK;
    let bad = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
    let (mut poisoned, mut zeroed) = (clean.clone(), clean);
    let mut hits: Vec<(usize, usize)> =
        vec![(0, 3), (1, 100), (0, 101), (1, 101), (0, 511), (1, 511)];
    hits.extend((200..216).flat_map(|i| [(0, i), (1, i)]));
    for (n, &(ch, i)) in hits.iter().enumerate() {
        let (p, z) = if ch == 0 {
            (&mut poisoned.0, &mut zeroed.0)
        } else {
            (&mut poisoned.1, &mut zeroed.1)
        };
        p[base + i] = bad[n % 3];
        z[base + i] = 0.0;
    }
    for (name, make) in processors() {
        let (mut a, mut b) = (make(), make());
        let from = base + BLOCK + a.latency();
        let out = run(&mut *a, &poisoned, &[BLOCK], None);
        let reference = run(&mut *b, &zeroed, &[BLOCK], None);
        let all_finite = out.0[from..]
            .iter()
            .chain(&out.1[from..])
            .all(|s| s.is_finite());
        assert!(all_finite, "{name}: non-finite output after the burst");
        let after = (out.0[from..].to_vec(), out.1[from..].to_vec());
        let want = (reference.0[from..].to_vec(), reference.1[from..].to_vec());
        assert!(
            same_output(&after, &want),
            "{name}: differs from the zeroed run"
        );
        assert!(identical(&a.readings(), &b.readings()), "{name}: readings");
    }
}

/// Numbers in a `Debug` dump with `0 < |v| < f32::MIN_POSITIVE`: f32 subnormals, and f64 state
/// that is on its way to f64 subnormals (an unflushed recursion decays geometrically and
/// reaches them a little later).
fn tiny_values(dump: &str) -> Vec<f64> {
    dump.split(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | '-' | '+')))
        .filter_map(|t| t.parse::<f64>().ok())
        .filter(|v| *v != 0.0 && v.abs() < f64::from(f32::MIN_POSITIVE))
        .collect()
}

/// (e) One second of loud programme, then 2 s of digital silence (blocks of 512): no output
/// sample is subnormal, and the state (where the processor exposes it through `Debug`) holds
/// no value below `f32::MIN_POSITIVE` in magnitude other than exact zeros.
#[test]
fn silent_tails_produce_no_subnormals() {
    let (mut l, mut r) = programme(5, LEN);
    l.resize(3 * LEN, 0.0);
    r.resize(3 * LEN, 0.0);
    let input = (l, r);
    for (name, make) in processors() {
        let mut dut = make();
        let out = run(&mut *dut, &input, &[512], None);
        let subnormal = out
            .0
            .iter()
            .chain(&out.1)
            .filter(|s| s.is_subnormal())
            .count();
        let tiny = tiny_values(&dut.state());
        println!(
            "{name}: {subnormal} subnormal outputs, {} tiny state values",
            tiny.len()
        );
        assert_eq!(subnormal, 0, "{name}");
        assert!(
            tiny.is_empty(),
            "{name}: state {:?}",
            &tiny[..tiny.len().min(8)]
        );
    }
}
