//! Other people's resamplers, for sample-rate round trips of one stem: a Kaiser-windowed
//! polyphase FIR (any β), linear interpolation, and `rubato`'s asynchronous sinc resampler at
//! two qualities. Each conversion is time-aligned (the FIR and the interpolator evaluate the
//! input at output time `m·fs_in/fs_out`; rubato's filter lengths are chosen so that its own
//! delay is a whole number of samples at both rates, and `process_all` trims it).

use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{
    Async, FixedAsync, Resampler, SincInterpolationParameters, SincInterpolationType,
    WindowFunction,
};

/// A resampler under test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Kaiser-windowed sinc polyphase FIR, window parameter β, 16 zero crossings each side
    /// at the lower rate, cutoff at 0.45 of the lower rate.
    KaiserFir { beta: f64 },
    /// Linear interpolation (no anti-aliasing filter).
    Linear,
    /// rubato sinc, Blackman–Harris² window, automatic cutoff (high quality).
    RubatoHigh,
    /// rubato sinc, Hann window, cutoff 0.85 (low quality).
    RubatoLow,
}

impl Kind {
    /// Short label for the tables.
    pub fn label(self) -> String {
        match self {
            Self::KaiserFir { beta } => format!("kaiser-fir-b{beta}"),
            Self::Linear => "linear".into(),
            Self::RubatoHigh => "rubato-sinc-hq".into(),
            Self::RubatoLow => "rubato-sinc-lq".into(),
        }
    }
}

/// `x` at `fs_in` → `via_hz` → back to `fs_in`, same length, time-aligned: the round trip's
/// whole-sample delay (measured on an impulse) is removed, as a DAW's delay compensation
/// would.
pub fn round_trip(kind: Kind, x: &[f32], fs_in: u32, via_hz: u32) -> Vec<f32> {
    let trip = |x: &[f32]| convert(kind, &convert(kind, x, fs_in, via_hz), via_hz, fs_in);
    let mut impulse = vec![0.0f32; 8192];
    impulse[4096] = 1.0;
    let response = trip(&impulse);
    let peak = (0..response.len())
        .max_by(|&a, &b| response[a].abs().total_cmp(&response[b].abs()))
        .unwrap_or(4096);
    let delay = peak as isize - 4096;
    let back = trip(x);
    (0..x.len() as isize)
        .map(|n| {
            back.get((n + delay).max(0) as usize)
                .copied()
                .filter(|_| n + delay >= 0)
                .unwrap_or(0.0)
        })
        .collect()
}

fn convert(kind: Kind, x: &[f32], fs_in: u32, fs_out: u32) -> Vec<f32> {
    match kind {
        Kind::KaiserFir { beta } => kaiser_fir(x, fs_in, fs_out, beta),
        Kind::Linear => linear(x, fs_in, fs_out),
        Kind::RubatoHigh | Kind::RubatoLow => rubato_sinc(kind, x, fs_in, fs_out),
    }
}

fn out_len(len: usize, fs_in: u32, fs_out: u32) -> usize {
    (len as u64 * fs_out as u64).div_ceil(fs_in as u64) as usize
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Zeroth-order modified Bessel function (series), for the Kaiser window.
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term) = (1.0, 1.0);
    for k in 1..50 {
        term *= (x / (2.0 * k as f64)).powi(2);
        sum += term;
    }
    sum
}

/// Polyphase FIR: the kernel `h(τ) = 2fc·sinc(2fc·τ)·kaiser(τ/half)` (τ in input samples)
/// tabulated for each of the `L = fs_out/gcd` output phases, output `m` at input time
/// `m·fs_in/fs_out` (<https://ccrma.stanford.edu/~jos/resample/>).
fn kaiser_fir(x: &[f32], fs_in: u32, fs_out: u32, beta: f64) -> Vec<f32> {
    let g = gcd(fs_in, fs_out);
    let (l, m_step) = ((fs_out / g) as usize, (fs_in / g) as usize);
    let ratio = (fs_out as f64 / fs_in as f64).min(1.0);
    let fc = 0.45 * ratio; // cycles per input sample
    let half = (16.0 / ratio).ceil() as isize;
    let taps = (2 * half + 1) as usize;
    let norm = bessel_i0(beta);
    // table[p][j]: tap j (input index ⌊t⌋ − half + j) of phase p (t = ⌊t⌋ + p/l).
    let table: Vec<Vec<f64>> = (0..l)
        .map(|p| {
            let frac = p as f64 / l as f64;
            (0..taps)
                .map(|j| {
                    let tau = frac + half as f64 - j as f64;
                    let u = tau / (half as f64 + 1.0);
                    if u.abs() >= 1.0 {
                        return 0.0;
                    }
                    let arg = 2.0 * fc * tau;
                    let sinc = if arg == 0.0 {
                        1.0
                    } else {
                        (std::f64::consts::PI * arg).sin() / (std::f64::consts::PI * arg)
                    };
                    2.0 * fc * sinc * bessel_i0(beta * (1.0 - u * u).sqrt()) / norm
                })
                .collect()
        })
        .collect();
    (0..out_len(x.len(), fs_in, fs_out))
        .map(|m| {
            let pos = m * m_step; // input time × l
            let (base, p) = ((pos / l) as isize, pos % l);
            table[p]
                .iter()
                .enumerate()
                .map(|(j, h)| {
                    let n = base - half + j as isize;
                    if n >= 0 && (n as usize) < x.len() {
                        h * x[n as usize] as f64
                    } else {
                        0.0
                    }
                })
                .sum::<f64>() as f32
        })
        .collect()
}

/// Linear interpolation between the two input samples around `m·fs_in/fs_out`.
fn linear(x: &[f32], fs_in: u32, fs_out: u32) -> Vec<f32> {
    let g = gcd(fs_in, fs_out);
    let (l, m_step) = ((fs_out / g) as usize, (fs_in / g) as usize);
    (0..out_len(x.len(), fs_in, fs_out))
        .map(|m| {
            let pos = m * m_step;
            let (n, frac) = (pos / l, (pos % l) as f64 / l as f64);
            let a = x.get(n).copied().unwrap_or(0.0) as f64;
            let b = x.get(n + 1).copied().unwrap_or(0.0) as f64;
            (a + frac * (b - a)) as f32
        })
        .collect()
}

/// rubato's `Async` sinc resampler. Its delay, `sinc_len·ratio/2` output samples, is trimmed
/// as an integer, so the lengths make it one: 320 taps going down by 147/160 (delay 147),
/// 1176 going up by 160/147 (delay 640), 256 for the 2:1 steps.
fn rubato_sinc(kind: Kind, x: &[f32], fs_in: u32, fs_out: u32) -> Vec<f32> {
    let ratio = fs_out as f64 / fs_in as f64;
    let sinc_len = match (fs_in, fs_out) {
        (48_000, 44_100) => 320,
        (44_100, 48_000) => 1176,
        _ => 256,
    };
    let parameters = match kind {
        Kind::RubatoLow => {
            SincInterpolationParameters::new(sinc_len, WindowFunction::Hann).f_cutoff(0.85)
        }
        _ => SincInterpolationParameters::new(sinc_len, WindowFunction::BlackmanHarris2),
    };
    let parameters = SincInterpolationParameters {
        interpolation: SincInterpolationType::Cubic,
        ..parameters
    };
    let mut resampler = Async::<f64>::new_sinc(ratio, 1.0, &parameters, 1024, 1, FixedAsync::Input)
        .expect("valid resampler settings");
    let input = vec![x.iter().map(|&s| s as f64).collect::<Vec<f64>>()];
    let adapter =
        SequentialSliceOfVecs::new(&input, 1, x.len()).expect("adapter sized from the input");
    let output = resampler
        .process_all(&adapter, x.len(), None)
        .expect("one channel");
    output.take_data().iter().map(|&s| s as f32).collect()
}
