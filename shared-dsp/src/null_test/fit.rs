//! Building blocks of the offline null test: time-aligned access to the delivered stems,
//! the per-stem least-squares fit, level-dependence and band-energy statistics.

use realfft::RealFftPlanner;

/// The delivered stems as the analysis sees them: each stem shifted so it lines up with the
/// reference, and flipped by the delivery's polarity.
pub(crate) struct Delivery<'a> {
    /// Stems, each a list of channels (set by the caller of `analyze`).
    pub stems: &'a [&'a [&'a [f32]]],
    /// Per-stem read offset in samples: stem sample `n + shift` lines up with reference `n`.
    pub shifts_samples: Vec<isize>,
    /// +1.0, or -1.0 when the whole delivery is inverted.
    pub polarity: f64,
}

impl Delivery<'_> {
    /// Aligned sample `n` (reference time, may be negative) of channel `ch` of stem `i`
    /// (0 outside the stem; a mono stem feeds every channel).
    #[inline]
    pub fn stem(&self, i: usize, ch: usize, n: isize) -> f64 {
        let channels = self.stems[i];
        let Some(samples) = channels.get(ch.min(channels.len().saturating_sub(1))) else {
            return 0.0;
        };
        let t = n + self.shifts_samples[i];
        if t < 0 {
            return 0.0;
        }
        samples
            .get(t as usize)
            .map_or(0.0, |&s| self.polarity * s as f64)
    }

    /// Aligned sum of all stems, each weighted by `weights[i]` (or 1 with `None`).
    #[inline]
    pub fn sum(&self, ch: usize, n: isize, weights: Option<&[f64]>) -> f64 {
        (0..self.stems.len())
            .map(|i| weights.map_or(1.0, |w| w[i]) * self.stem(i, ch, n))
            .sum()
    }
}

/// Least-squares weights `c` minimising `Σ (reference − Σ cᵢ·stemᵢ)²` over `range`
/// (normal equations `G·c = b`, `G_ij = ⟨stemᵢ, stemⱼ⟩`, `b_i = ⟨stemᵢ, reference⟩`,
/// solved by Gaussian elimination with partial pivoting,
/// <https://en.wikipedia.org/wiki/Linear_least_squares#Main_formulations>). A silent stem
/// gets weight 0.
pub(crate) fn fit_stem_weights(
    reference: &[&[f32]],
    delivery: &Delivery,
    range: std::ops::Range<usize>,
) -> Vec<f64> {
    let k = delivery.stems.len();
    let mut gram = vec![vec![0.0f64; k + 1]; k];
    let mut row = vec![0.0f64; k];
    for (ch, reference_ch) in reference.iter().enumerate() {
        for n in range.clone() {
            for (i, v) in row.iter_mut().enumerate() {
                *v = delivery.stem(i, ch, n as isize);
            }
            for i in 0..k {
                for j in i..k {
                    gram[i][j] += row[i] * row[j];
                }
                gram[i][k] += row[i] * reference_ch[n] as f64;
            }
        }
    }
    for i in 0..k {
        for j in 0..i {
            gram[i][j] = gram[j][i];
        }
    }
    let scale = (0..k).map(|i| gram[i][i]).fold(0.0, f64::max);
    for (i, r) in gram.iter_mut().enumerate() {
        if r[i] <= scale * 1e-12 {
            r.iter_mut().for_each(|v| *v = 0.0);
            r[i] = 1.0;
        }
    }
    solve(gram)
}

/// Solves an augmented `k × (k+1)` system in place.
fn solve(mut m: Vec<Vec<f64>>) -> Vec<f64> {
    let k = m.len();
    for col in 0..k {
        let pivot = (col..k)
            .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
            .unwrap_or(col);
        m.swap(col, pivot);
        if m[col][col] == 0.0 {
            continue;
        }
        for r in 0..k {
            if r != col {
                let f = m[r][col] / m[col][col];
                for c in col..=k {
                    m[r][c] -= f * m[col][c];
                }
            }
        }
    }
    (0..k)
        .map(|i| {
            if m[i][i] == 0.0 {
                0.0
            } else {
                m[i][k] / m[i][i]
            }
        })
        .collect()
}

/// How strongly residual energy concentrates in the loudest frames of the delivery.
/// Returns `(frac_residual, frac_signal)`: the share of residual energy and of delivery
/// energy that fall in the loudest 10 % of `frame_samples`-long frames. A linear error
/// scales with the signal, so both shares match; level-dependent processing (limiting,
/// compression, clipping) puts its residual in the loud frames, so `frac_residual` is larger.
pub(crate) fn level_dependence(signal_energy: &[f64], residual_energy: &[f64]) -> (f64, f64) {
    let mut order: Vec<usize> = (0..signal_energy.len()).collect();
    order.sort_by(|&a, &b| signal_energy[b].total_cmp(&signal_energy[a]));
    let top = order.len().div_ceil(10);
    let share = |e: &[f64]| {
        let total: f64 = e.iter().sum();
        if total > 0.0 {
            order[..top].iter().map(|&f| e[f]).sum::<f64>() / total
        } else {
            0.0
        }
    };
    (share(residual_energy), share(signal_energy))
}

/// Segment length of [`power_spectrum`] in samples (bin width = sample rate / this).
pub(crate) const SPECTRUM_SEGMENT_SAMPLES: usize = 4096;

/// Averaged power spectrum (Welch's method with Hann windows, no overlap,
/// <https://en.wikipedia.org/wiki/Welch%27s_method>) of `signal(ch, n)` over `range` and
/// `num_channels`, `SPECTRUM_SEGMENT_SAMPLES / 2 + 1` bins, in unnormalised energy units
/// (only ratios between bins and between calls are used).
pub(crate) fn power_spectrum(
    num_channels: usize,
    range: std::ops::Range<usize>,
    signal: impl Fn(usize, usize) -> f64,
) -> Vec<f64> {
    let len = SPECTRUM_SEGMENT_SAMPLES;
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(len);
    let mut input = fft.make_input_vec();
    let mut output = fft.make_output_vec();
    let mut power = vec![0.0f64; output.len()];
    let window: Vec<f64> = (0..len)
        .map(|n| 0.5 - 0.5 * (std::f64::consts::TAU * n as f64 / len as f64).cos())
        .collect();
    for ch in 0..num_channels {
        let mut start = range.start;
        while start + len <= range.end {
            for (m, v) in input.iter_mut().enumerate() {
                *v = window[m] * signal(ch, start + m);
            }
            fft.process(&mut input, &mut output)
                .expect("buffer lengths match the plan");
            for (p, x) in power.iter_mut().zip(&output) {
                *p += x.norm_sqr();
            }
            start += len;
        }
    }
    power
}

/// Sum of `power` over `bins`.
pub(crate) fn band(power: &[f64], bins: std::ops::Range<usize>) -> f64 {
    power[bins].iter().sum()
}
