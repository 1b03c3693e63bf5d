//! The Master Bus chain at the DSP level: default settings are bit-exact after the latency
//! (signed zeros, subnormals and overs included), the latency is the stages' sum and does not
//! move when stages switch, the output is block-size invariant across settings changes, the
//! limiter holds its true-peak ceiling on the oracle's 16× grid, the glue compressor's auto
//! makeup restores the loudness, and nothing allocates in `process_block`, `set_settings` or
//! `reset`. Run: `cargo test -p shared-dsp --profile harness --test master_chain -- --nocapture`.

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
use shared_dsp::eq::settings::{PhaseMode, Slope};
use shared_dsp::limiter::peak::TAPS;
use shared_dsp::limiter::{lookahead_samples, MAX_LOOKAHEAD_MS};
use shared_dsp::loudness::LoudnessMeter;
use shared_dsp::master::{
    band_index, MasterChain, MasterSettings, CEILING_BROADCAST_DBTP, CEILING_STREAMING_DBTP,
    CEILING_VINYL_DBTP,
};
use shared_dsp::signals::{pink_noise, sine, transient_train, Rng};
use shared_dsp::true_peak::measure_true_peak_db;

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

type Stereo = (Vec<f32>, Vec<f32>);

const FS: f64 = 48_000.0;
const MAX_BLOCK: usize = 4096;

/// Pink noise with the awkward values a bit-exact path must keep: ±0, ±1, subnormals, overs.
fn awkward(seed: u64, num_frames: usize) -> Vec<f32> {
    let mut x = pink_noise(seed, 0.5, num_frames);
    for (i, v) in [
        1.0,
        -1.0,
        1e-40,
        -1e-40,
        0.0,
        -0.0,
        f32::MIN_POSITIVE,
        1.5,
        -4.0,
    ]
    .into_iter()
    .enumerate()
    {
        x[10 + i] = v;
        x[5000 + 3 * i] = v;
    }
    x
}

/// Loud, busy stereo material (pink noise, drum-like hits, a tone; peaks near 0 dBFS).
fn programme(seed: u64, len: usize) -> Stereo {
    let pink = pink_noise(seed, 0.45, len);
    let hits = transient_train(seed + 1, 0.6, FS, len, 0.11, 30.0);
    let tone = sine(997.0, 0.2, FS, len, 0.0);
    let l = (0..len).map(|i| pink[i] + hits[i] + tone[i]).collect();
    let r = (0..len)
        .map(|i| 0.7 * pink[i] - hits[i] + tone[i])
        .collect();
    (l, r)
}

/// Runs `chain` over `input` in blocks whose sizes cycle through `sizes`; a block that would
/// cross a change frame is split there and that change is applied exactly at that frame.
/// Every `process_block` and `set_settings` runs under `assert_no_alloc`.
fn run(
    chain: &mut MasterChain,
    input: &Stereo,
    sizes: &[usize],
    changes: &[(usize, MasterSettings)],
) -> Stereo {
    let (mut l, mut r) = input.clone();
    let (mut start, mut k) = (0, 0);
    while start < l.len() {
        for (at, settings) in changes {
            if *at == start {
                assert_no_alloc(|| chain.set_settings(*settings));
            }
        }
        let mut end = (start + sizes[k % sizes.len()]).min(l.len());
        for (at, _) in changes {
            if start < *at && *at < end {
                end = *at;
            }
        }
        assert_no_alloc(|| chain.process_block(&mut [&mut l[start..end], &mut r[start..end]]));
        (start, k) = (end, k + 1);
    }
    (l, r)
}

/// A chain settled at `settings` (no ramps from the defaults).
fn chain_at(settings: MasterSettings, max_block: usize) -> MasterChain {
    let mut chain = MasterChain::new(FS, max_block, 2);
    chain.set_settings(settings);
    chain.reset();
    chain
}

/// Bit-for-bit equality (distinguishes −0.0 from 0.0).
fn identical(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Integrated loudness (LUFS) of a stereo signal.
fn integrated_lufs(signal: &Stereo) -> f32 {
    let mut meter = LoudnessMeter::new(FS, signal.0.len(), 2);
    meter.process_block(&[&signal.0, &signal.1]);
    meter.readings().integrated_lufs
}

/// Everything on: EQ moves, glue compressor with auto release and auto makeup, limiter.
fn busy_settings() -> MasterSettings {
    let mut s = MasterSettings {
        input_db: 2.0,
        compressor_on: true,
        limiter_on: true,
        output_db: -0.5,
        ..MasterSettings::default()
    };
    s.eq.bands[band_index::HIGH_PASS].enabled = true;
    s.eq.bands[band_index::LOW_SHELF].gain_db = 2.0;
    s.eq.bands[band_index::BELL_2].gain_db = -3.0;
    s.eq.bands[band_index::HIGH_SHELF].gain_db = 1.5;
    s.glue.threshold_db = -24.0;
    s.glue.ratio = 3.0;
    s.glue.auto_release = true;
    s.glue.auto_makeup = true;
    s.glue.sidechain_hpf_hz = Some(90.0);
    s.limiter.drive_db = 4.0;
    s
}

#[test]
fn defaults_are_bit_exact_after_the_latency() {
    for rate_hz in [44_100.0, 48_000.0, 96_000.0] {
        let mut chain = MasterChain::new(rate_hz, 512, 2);
        let latency = chain.latency_samples();
        let n = 20_000;
        let input = (awkward(1, n), awkward(2, n));
        let out = run(&mut chain, &input, &[512], &[]);
        for (ch, (o, x)) in [(&out.0, &input.0), (&out.1, &input.1)]
            .into_iter()
            .enumerate()
        {
            assert!(o[..latency].iter().all(|v| v.to_bits() == 0), "{rate_hz}");
            for i in latency..n {
                assert_eq!(
                    o[i].to_bits(),
                    x[i - latency].to_bits(),
                    "{rate_hz} Hz, channel {ch}, frame {i} (latency {latency})"
                );
            }
        }
        // Mono too.
        let mut mono_chain = MasterChain::new(rate_hz, 512, 1);
        let mut mono = input.0.clone();
        for block in mono.chunks_mut(300) {
            assert_no_alloc(|| mono_chain.process_block(&mut [block]));
        }
        assert!(identical(&mono[latency..], &input.0[..n - latency]));
    }
}

#[test]
fn latency_is_the_sum_of_the_stages_and_constant_when_switching() {
    let mut chain = MasterChain::new(FS, 512, 2);
    let limiter_latency = lookahead_samples(5.0, FS as f32) + TAPS - 2;
    assert_eq!(chain.latency_samples(), limiter_latency);
    assert_eq!(chain.eq().latency_samples(), 0);
    println!("default latency at 48 kHz: {limiter_latency} samples");

    // Switching stages on and off never moves the latency.
    let mut s = MasterSettings::default();
    for step in 0..6 {
        match step {
            0 => s.compressor_on = true,
            1 => s.limiter_on = true,
            2 => s.glue.auto_release = true,
            3 => s.glue.auto_makeup = true,
            4 => s.compressor_on = false,
            _ => s.limiter_on = false,
        }
        chain.set_settings(s);
        assert_eq!(chain.latency_samples(), limiter_latency, "step {step}");
    }

    // Linear phase adds exactly the EQ's latency; the longest lookahead the limiter's.
    s.eq.phase = PhaseMode::Linear;
    chain.set_settings(s);
    let linear = chain.latency_samples();
    assert_eq!(linear, chain.eq().latency_samples() + limiter_latency);
    s.limiter.lookahead_ms = MAX_LOOKAHEAD_MS;
    chain.set_settings(s);
    let longest = chain.latency_samples();
    assert_eq!(
        longest,
        chain.eq().latency_samples() + lookahead_samples(MAX_LOOKAHEAD_MS, FS as f32) + TAPS - 2
    );
    assert_eq!(longest, MasterChain::max_latency_samples(FS));
    s.limiter_on = true;
    s.compressor_on = true;
    chain.set_settings(s);
    assert_eq!(chain.latency_samples(), longest);
    println!("linear-phase latency {linear}, longest {longest}");
}

/// An impulse below every threshold and ceiling comes out at exactly the reported latency,
/// with the stages off and on, in minimum and linear phase.
#[test]
fn latency_by_impulse() {
    let mut configs = Vec::new();
    let mut s = MasterSettings::default();
    configs.push(s);
    s.compressor_on = true;
    s.limiter_on = true;
    configs.push(s);
    s.limiter.lookahead_ms = 1.3;
    configs.push(s);
    s.eq.phase = PhaseMode::Linear;
    configs.push(s);
    s.limiter_on = false;
    configs.push(s);
    for (k, settings) in configs.into_iter().enumerate() {
        let mut chain = chain_at(settings, 512);
        let latency = chain.latency_samples();
        let n = latency + 2000;
        let mut x = (vec![0.0f32; n], vec![0.0f32; n]);
        x.0[100] = 0.25;
        x.1[100] = -0.25;
        let out = run(&mut chain, &x, &[173], &[]);
        let argmax = |v: &[f32]| {
            (0..v.len())
                .max_by(|&a, &b| v[a].abs().total_cmp(&v[b].abs()))
                .unwrap()
        };
        assert_eq!(argmax(&out.0), 100 + latency, "config {k}");
        assert_eq!(argmax(&out.1), 100 + latency, "config {k}");
    }
}

#[test]
fn block_size_invariance_across_settings_changes() {
    let len = 96_000;
    let input = programme(3, len);
    let first = busy_settings();
    let mut second = first;
    second.glue.ratio = 1.8;
    second.glue.mix_t = 0.6;
    second.glue.release_ms = 120.0;
    second.limiter_on = false;
    second.eq.bands[band_index::BELL_1].gain_db = 4.0;
    second.eq.mono_bass.enabled = true; // crossfaded in
    second.eq.mono_bass.freq_hz = 150.0;
    let mut third = second;
    third.eq.mono_bass.freq_hz = 80.0; // smoothed
    third.eq.mono_bass.slope = Slope::Db12; // structural
    third.limiter_on = true;
    third.limiter.lookahead_ms = 2.0; // structural
    third.limiter.auto_release = true;
    third.glue.auto_release = false;
    third.compressor_on = false;
    let changes = [(0, first), (30_011, second), (61_003, third)];

    // The reference starts from the default settings, so the first change ramps too.
    let mut reference_chain = MasterChain::new(FS, MAX_BLOCK, 2);
    let reference = run(&mut reference_chain, &input, &[len], &changes);
    assert!(!identical(&reference.0, &input.0), "inert");

    let mut rng = Rng::new(9);
    let random: Vec<usize> = (0..2000)
        .map(|_| 1 + (rng.next_u64() % 700) as usize)
        .collect();
    for sizes in [&[1][..], &[7], &[64], &[4096], &random] {
        let mut chain = MasterChain::new(FS, MAX_BLOCK, 2);
        let out = run(&mut chain, &input, sizes, &changes);
        assert!(
            identical(&out.0, &reference.0) && identical(&out.1, &reference.1),
            "block sizes {:?}",
            &sizes[..sizes.len().min(4)]
        );
    }

    // reset() determinism: a chain reset to the first settings repeats what a fresh chain
    // started at them does (both after `set_settings(first)` + `reset()`, so no ramps).
    let mut fresh = chain_at(first, MAX_BLOCK);
    let expected = run(&mut fresh, &input, &[4096], &changes);
    assert_no_alloc(|| reference_chain.set_settings(first));
    assert_no_alloc(|| reference_chain.reset());
    let again = run(&mut reference_chain, &input, &[777], &changes);
    assert!(identical(&again.0, &expected.0) && identical(&again.1, &expected.1));
}

#[test]
fn limiter_holds_the_true_peak_ceiling() {
    // Each signal is followed by silence longer than the latency, so the limiter's output is
    // measured to its end: cutting a limited 0.45·fs sine off mid-wave (the limiter never saw
    // that cut) would itself ring up to +0.2 dBTP on the 16× grid.
    let n = 10 * FS as usize;
    let flushed = |mut x: Vec<f32>| {
        x.resize(n + 8192, 0.0);
        x
    };
    let pink = (
        flushed(pink_noise(11, 1.0, n)),
        flushed(pink_noise(12, 1.0, n)),
    );
    let tone = flushed(sine(0.45 * FS, 1.0, FS, n, 0.3));
    let signals = [("pink noise", pink), ("0.45 fs sine", (tone.clone(), tone))];
    for ceiling_db in [
        CEILING_STREAMING_DBTP,
        CEILING_VINYL_DBTP,
        CEILING_BROADCAST_DBTP,
    ] {
        for (name, input) in &signals {
            let mut s = MasterSettings {
                limiter_on: true,
                ..MasterSettings::default()
            };
            s.limiter.ceiling_db = ceiling_db;
            s.limiter.drive_db = 12.0;
            let mut chain = chain_at(s, 512);
            let out = run(&mut chain, input, &[512], &[]);
            let tp_db = measure_true_peak_db(&[&out.0, &out.1], FS, 16);
            println!(
                "{name}: ceiling {ceiling_db:+.1} dBTP, drive +12 dB → true peak {tp_db:+.4} dBTP \
                 (16×)"
            );
            assert!(tp_db <= ceiling_db, "{name}: {tp_db} > {ceiling_db}");
            assert!(tp_db > ceiling_db - 1.0, "{name}: over-limited ({tp_db})");
        }
    }
}

#[test]
fn limiter_off_is_bit_exact_again_after_the_fade() {
    let n = 60_000;
    let input = (awkward(5, n), awkward(6, n));
    let loud = (
        input.0.iter().map(|x| 3.0 * x).collect::<Vec<f32>>(),
        input.1.iter().map(|x| 3.0 * x).collect::<Vec<f32>>(),
    );
    let on = MasterSettings {
        limiter_on: true,
        ..MasterSettings::default()
    };
    let mut chain = chain_at(on, 512);
    let switch_at = 20_000;
    let out = run(
        &mut chain,
        &loud,
        &[333],
        &[(switch_at, MasterSettings::default())],
    );
    let latency = chain.latency_samples();
    // Limited while on; after the 10 ms fade the delayed input again, bit for bit.
    assert!(out.0[latency..switch_at].iter().all(|v| v.abs() <= 0.9));
    let settled = switch_at + 480;
    for (o, x) in [(&out.0, &loud.0), (&out.1, &loud.1)] {
        assert!(identical(&o[settled..], &x[settled - latency..n - latency]));
    }
}

#[test]
fn glue_compressor_reduces_and_auto_makeup_restores_loudness() {
    let n = 30 * FS as usize;
    let materials = [
        (
            "pink noise",
            (pink_noise(21, 0.9, n), pink_noise(22, 0.9, n)),
        ),
        ("programme", programme(23, n)),
    ];
    for (name, input) in &materials {
        let input_lufs = integrated_lufs(input);
        // Heavy (−30 dB, 4:1) and gentle glue (−20 dB, 1.5:1), plain and auto release.
        for (threshold_db, ratio, auto_release) in [
            (-30.0, 4.0, false),
            (-30.0, 4.0, true),
            (-20.0, 1.5, false),
            (-20.0, 1.5, true),
        ] {
            let mut s = MasterSettings {
                compressor_on: true,
                ..MasterSettings::default()
            };
            s.glue.threshold_db = threshold_db;
            s.glue.ratio = ratio;
            s.glue.attack_ms = 10.0;
            s.glue.release_ms = 300.0;
            s.glue.auto_release = auto_release;
            let render = |s: MasterSettings| {
                let mut chain = chain_at(s, 512);
                let out = run(&mut chain, input, &[512], &[]);
                (integrated_lufs(&out), chain.reduction())
            };
            let (compressed_lufs, reduction) = render(s);
            s.glue.auto_makeup = true;
            let (auto_lufs, auto_reduction) = render(s);
            println!(
                "{name}, {threshold_db} dB {ratio}:1, auto release {auto_release}: input {input_lufs:.2} LUFS, compressed \
                 {compressed_lufs:.2} LUFS (GR {:.2} dB last block), with auto makeup \
                 {auto_lufs:.2} LUFS (auto makeup {:.2} dB): error {:+.2} LU",
                reduction.compressor_db,
                auto_reduction.auto_makeup_db,
                auto_lufs - input_lufs
            );
            assert!(reduction.compressor_db > 0.0 && reduction.auto_makeup_db == 0.0);
            assert!(
                compressed_lufs < input_lufs - 1.0,
                "{name}: {compressed_lufs} vs {input_lufs}"
            );
            assert!(
                (auto_lufs - input_lufs).abs() <= 1.0,
                "{name}: {auto_lufs} vs {input_lufs}"
            );
        }
    }
}

/// Auto release: after a loud burst over sustained material the reduction falls back to its
/// sustained level faster than with the plain release (transient reduction releases at
/// 0.25×), and sustained reduction releases slower (2×) so the meter ripples less.
#[test]
fn auto_release_recovers_transients_faster() {
    let n = 9 * FS as usize;
    let burst_at = 8 * FS as usize; // the 2.4 s average of the reduction has settled
    let mut l = pink_noise(31, 0.5, n);
    let mut r = pink_noise(32, 0.5, n);
    for i in burst_at..burst_at + 2400 {
        l[i] *= 4.0;
        r[i] *= 4.0;
    }
    let input = (l, r);
    let recovery_ms = |auto_release: bool| {
        let mut s = MasterSettings {
            compressor_on: true,
            ..MasterSettings::default()
        };
        s.glue.threshold_db = -24.0;
        s.glue.ratio = 2.0;
        s.glue.release_ms = 300.0;
        s.glue.auto_release = auto_release;
        let mut chain = chain_at(s, 64);
        let (mut l, mut r) = input.clone();
        let mut meter = Vec::new();
        for (a, b) in l.chunks_mut(64).zip(r.chunks_mut(64)) {
            chain.process_block(&mut [a, b]);
            meter.push(chain.reduction().compressor_db);
        }
        let blocks = |frame: usize| frame / 64;
        let before = &meter[blocks(burst_at) - 300..blocks(burst_at)];
        let sustained = before.iter().sum::<f32>() / before.len() as f32;
        let (lo, hi) = before
            .iter()
            .fold((f32::MAX, 0.0f32), |(lo, hi), &g| (lo.min(g), hi.max(g)));
        let peak_block = blocks(burst_at + 2400);
        let back = meter[peak_block..]
            .iter()
            .position(|&g| g < sustained + 1.0)
            .unwrap();
        let ms = back as f64 * 64.0 / FS * 1000.0;
        println!(
            "auto release {auto_release}: sustained GR {sustained:.2} dB (ripple {:.2} dB), \
             peak {:.2} dB, back within 1 dB after {ms:.0} ms",
            hi - lo,
            meter[peak_block]
        );
        (ms, hi - lo)
    };
    let (plain_ms, plain_ripple) = recovery_ms(false);
    let (auto_ms, auto_ripple) = recovery_ms(true);
    assert!(auto_ms < 0.6 * plain_ms, "{auto_ms} vs {plain_ms}");
    assert!(
        auto_ripple < plain_ripple,
        "{auto_ripple} vs {plain_ripple}"
    );
}

#[test]
fn meters_and_eq_response() {
    let mut s = MasterSettings::default();
    s.eq.bands[band_index::BELL_2].gain_db = 6.0;
    s.eq.bands[band_index::HIGH_PASS].enabled = true;
    s.eq.bands[band_index::LOW_PASS].enabled = true;
    let mut chain = chain_at(s, 512);
    let bell = chain.eq().response(1000.0);
    let hp = chain.eq().response(30.0);
    assert!((bell - 2.0).abs() < 0.01, "{bell}");
    assert!(hp < 0.75, "{hp}");
    // Off stages read no reduction even on loud material.
    let input = programme(4, 20_000);
    run(&mut chain, &input, &[512], &[]);
    assert_eq!(chain.reduction().compressor_db, 0.0);
    assert_eq!(chain.reduction().limiter_db, 0.0);
    s.compressor_on = true;
    s.limiter_on = true;
    s.limiter.drive_db = 12.0;
    chain.set_settings(s);
    run(&mut chain, &input, &[512], &[]);
    let r = chain.reduction();
    assert!(r.compressor_db > 0.0 && r.limiter_db > 0.0, "{r:?}");
}

/// Structural changes (EQ phase mode, lookahead), `reset` and processing all run without
/// allocating.
#[test]
fn no_allocation_anywhere_on_the_audio_thread() {
    let mut chain = MasterChain::new(FS, 512, 2);
    let input = programme(7, 48_000);
    let mut s = busy_settings();
    let mut out = input.clone();
    for (k, (l, r)) in out.0.chunks_mut(480).zip(out.1.chunks_mut(480)).enumerate() {
        match k {
            20 => s.eq.phase = PhaseMode::Linear,
            40 => s.limiter.lookahead_ms = 8.0,
            60 => s.eq.phase = PhaseMode::Minimum,
            80 => assert_no_alloc(|| chain.reset()),
            _ => {}
        }
        assert_no_alloc(|| chain.set_settings(s));
        assert_no_alloc(|| chain.process_block(&mut [l, r]));
    }
    assert!(out.0.iter().chain(&out.1).all(|v| v.is_finite()));
}
