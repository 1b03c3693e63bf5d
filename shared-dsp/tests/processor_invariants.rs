//! One set of invariants, written once, checked for every processor of `shared_dsp` behind a
//! small adapter (`invariants_support::Dut`): EQ (minimum and linear phase), compressor,
//! saturation, limiter, gain stage, loudness meter, true-peak detector, dither, bypass mixer.
//!
//! (a) block-size invariance, (b) `reset()` determinism, (c) no allocation in `process_block`,
//! `reset` or `set_settings` (every call runs under `assert_no_alloc`), (d) non-finite input
//! never poisons the state, (e) silent tails produce no subnormals. The exact definitions are on
//! the tests. Run: `cargo test -p shared-dsp --profile harness --test processor_invariants`.

mod invariants_support;

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
use invariants_support::{processors, Dut, CHANGE_AT, FS, LEN};
use shared_dsp::signals::{pink_noise, sine, transient_train, Rng};

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

type Stereo = (Vec<f32>, Vec<f32>);

/// Loud, busy stereo material (left, right) (pink noise, drum-like hits, a tone; peaks near 0 dBFS).
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

/// Subnormal numbers in a `Debug` dump: any number below `f64::MIN_POSITIVE` in magnitude,
/// and f32 subnormals (a token that reads as a subnormal `f32` and is exactly how `Debug`
/// prints that `f32`; `f64` values print with more digits).
fn subnormal_values(dump: &str) -> Vec<String> {
    dump.split(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | '-' | '+')))
        .filter(|t| {
            let f64_subnormal = t.parse::<f64>().is_ok_and(|v| v.is_subnormal());
            let f32_subnormal = t
                .parse::<f32>()
                .is_ok_and(|v| v.is_subnormal() && format!("{v:?}") == *t);
            f64_subnormal || f32_subnormal
        })
        .map(str::to_owned)
        .collect()
}

/// (e) One second of loud programme, then 2 s of digital silence (blocks of 512): no output
/// sample is subnormal, and the state (where the processor exposes it through `Debug`) holds
/// no subnormal value.
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
        let state = subnormal_values(&dut.state());
        println!(
            "{name}: {subnormal} subnormal outputs, {} subnormal state values",
            state.len()
        );
        assert_eq!(subnormal, 0, "{name}");
        assert!(
            state.is_empty(),
            "{name}: state {:?}",
            &state[..state.len().min(8)]
        );
    }
}
