//! Multiple-input system identification of the stems against the reference, per channel and
//! frequency bin (cross-spectral least squares, the frequency-domain form of a multiple-input
//! least-squares FIR fit; Bendat & Piersol, *Random Data*, ch. 7 "Multiple-input/output
//! relationships", <https://en.wikipedia.org/wiki/System_identification>).
//!
//! Legend: `Xᵢ` = spectrum of stem `i` in one Hann-windowed segment (as aligned by the
//! current per-stem shifts), `R` = the reference's, `Aᵢⱼ = Σ conj(Xᵢ)·Xⱼ` and
//! `bᵢ = Σ conj(Xᵢ)·R` summed over the segments; the model `R = Σ Hⱼ·Xⱼ` gives the normal
//! equations `A·H = b` in every bin. They are solved for the deviation from the delivery being
//! right, `(A + Λ)·(H − 1) = b − A·1`, with a tiny diagonal `Λ`, so a bin where two stems cannot
//! be told apart (the same partial in both) stays at "no fault" instead of swinging. The
//! precision of `Hᵢ` is `1 / [(A + Λ)⁻¹]ᵢᵢ`: stem `i`'s power in the bin that the other stems
//! do not also explain (its partial power); it weights the bin when the transfer function is
//! read (`transfer.rs`).

use realfft::num_complex::Complex;
use realfft::RealFftPlanner;

use super::delivery::Delivery;
use super::track::Track;

/// Most segments analysed per channel: longer programmes are sampled evenly (about 40 s of
/// audio at 48 kHz), which bounds the cost of a long song.
const MAX_SEGMENTS_PER_CHANNEL: usize = 480;
/// Nominal segment duration in seconds (rounded up to a power of two in samples: 4096 at
/// 44.1 and 48 kHz, 11.7 Hz bins at 48 kHz).
const SEGMENT_S: f64 = 0.08;
/// Relative Tikhonov term on the diagonal of `A`.
const RIDGE: f64 = 1e-9;
/// Absolute Tikhonov floor relative to the largest diagonal element of `A` anywhere (keeps a
/// silent stem's bins solvable).
const RIDGE_FLOOR: f64 = 1e-14;

/// Where the segments of the analysis lie.
#[derive(Debug, Clone)]
pub(crate) struct Segments {
    /// Segment length in samples (a power of two).
    pub len: usize,
    /// First reference sample of each segment.
    pub starts: Vec<usize>,
}

impl Segments {
    /// Hann segments over `range` hopped by half a segment, at most
    /// `MAX_SEGMENTS_PER_CHANNEL`, evenly spread.
    pub fn new(range: std::ops::Range<usize>, sample_rate_hz: f64) -> Self {
        let nominal = ((SEGMENT_S * sample_rate_hz) as usize).next_power_of_two();
        let fits = if range.len() >= 256 {
            1usize << range.len().ilog2()
        } else {
            256
        };
        let len = nominal.min(fits);
        let span = range.len().saturating_sub(len);
        let count = (span / (len / 2) + 1).min(MAX_SEGMENTS_PER_CHANNEL);
        let starts = (0..count)
            .map(|j| {
                if count == 1 {
                    range.start
                } else {
                    range.start + (j * span + (count - 1) / 2) / (count - 1)
                }
            })
            .collect();
        Self { len, starts }
    }

    /// Number of frequency bins, DC to Nyquist.
    pub fn num_bins(&self) -> usize {
        self.len / 2 + 1
    }
}

/// The estimated transfer functions from each stem to the reference, and the spectra of
/// what they leave.
pub(crate) struct TransferModel {
    /// `H` per channel, stem and bin (`[ch][i][k]`).
    pub transfer: Vec<Vec<Vec<Complex<f64>>>>,
    /// Precision of each `H` (partial power), same layout.
    pub precision: Vec<Vec<Vec<f64>>>,
    /// Residual power per segment and degree of freedom, per channel and bin
    /// (`[ch][k]`): the variance of `Hᵢ` is this over its precision
    /// (<https://en.wikipedia.org/wiki/Ordinary_least_squares#Finite_sample_properties>).
    pub noise: Vec<Vec<f64>>,
    /// Σ over segments of the residual power `|R − Σ Hᵢ·Xᵢ|²` per channel and bin.
    pub residual_power: Vec<Vec<f64>>,
    /// Σ `|R|²` per channel and bin.
    pub reference_power: Vec<Vec<f64>>,
    /// Σ `|Xᵢ|²` per channel, stem and bin.
    pub stem_power: Vec<Vec<Vec<f64>>>,
}

/// Windowed FFTs of the reference and the stems, segment by segment.
struct SegmentTransformer<'a> {
    /// The reference.
    reference: &'a dyn Track,
    /// The aligned delivery.
    delivery: &'a Delivery<'a>,
    /// Forward FFT of the segment length.
    fft: std::sync::Arc<dyn realfft::RealToComplex<f64>>,
    /// Hann window.
    window: Vec<f64>,
    /// Time-domain buffer.
    time: Vec<f64>,
    /// FFT scratch.
    scratch: Vec<Complex<f64>>,
    /// Energies of the frames (see [`SegmentStats`]) of the last windowed input.
    last_frames: [f64; FRAMES_PER_SEGMENT],
}

/// Energies of the [`FRAMES_PER_SEGMENT`] frames of the middle half of a windowed segment.
fn frame_energies(time: &[f64]) -> [f64; FRAMES_PER_SEGMENT] {
    let len = time.len();
    let frame = len / (2 * FRAMES_PER_SEGMENT);
    std::array::from_fn(|j| {
        let first = len / 4 + j * frame;
        time[first..first + frame].iter().map(|v| v * v).sum()
    })
}

impl<'a> SegmentTransformer<'a> {
    fn new(reference: &'a dyn Track, delivery: &'a Delivery<'a>, len: usize) -> Self {
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(len);
        Self {
            reference,
            delivery,
            window: (0..len)
                .map(|n| 0.5 - 0.5 * (std::f64::consts::TAU * n as f64 / len as f64).cos())
                .collect(),
            time: fft.make_input_vec(),
            scratch: fft.make_scratch_vec(),
            last_frames: [0.0; FRAMES_PER_SEGMENT],
            fft,
        }
    }

    /// Spectrum of the reference (`stem = None`) or of stem `i` at channel `ch`, segment
    /// starting at `start`, into `out`.
    fn transform(
        &mut self,
        stem: Option<usize>,
        ch: usize,
        start: usize,
        out: &mut [Complex<f64>],
    ) {
        match stem {
            None => self.reference.read(ch, start as isize, &mut self.time),
            Some(i) => self
                .delivery
                .copy_stem(i, ch, start as isize, &mut self.time),
        }
        for (v, w) in self.time.iter_mut().zip(&self.window) {
            *v *= w;
        }
        self.last_frames = frame_energies(&self.time);
        self.fft
            .process_with_scratch(&mut self.time, out, &mut self.scratch)
            .expect("buffer lengths match the plan");
    }
}

/// Estimates every stem's transfer function to the reference, per channel (see the module
/// docs).
pub(crate) fn fit_transfer(
    reference: &dyn Track,
    delivery: &Delivery,
    segments: &Segments,
) -> TransferModel {
    let k_stems = delivery.stems.len();
    let bins = segments.num_bins();
    let mut transformer = SegmentTransformer::new(reference, delivery, segments.len);
    let mut model = TransferModel {
        transfer: Vec::with_capacity(reference.num_channels()),
        precision: Vec::with_capacity(reference.num_channels()),
        noise: Vec::with_capacity(reference.num_channels()),
        residual_power: Vec::with_capacity(reference.num_channels()),
        reference_power: Vec::with_capacity(reference.num_channels()),
        stem_power: Vec::with_capacity(reference.num_channels()),
    };
    let dof = (segments.starts.len() as f64 - k_stems as f64).max(1.0);
    let zero = Complex::new(0.0, 0.0);
    let mut spectra = vec![zero; bins * k_stems];
    let mut reference_spectrum = vec![zero; bins];
    for ch in 0..reference.num_channels() {
        let mut a = vec![zero; bins * k_stems * k_stems];
        let mut b = vec![zero; bins * k_stems];
        let mut reference_power = vec![0.0f64; bins];
        for &start in &segments.starts {
            transformer.transform(None, ch, start, &mut reference_spectrum);
            for (p, r) in reference_power.iter_mut().zip(&reference_spectrum) {
                *p += r.norm_sqr();
            }
            for i in 0..k_stems {
                transformer.transform(Some(i), ch, start, &mut spectra[i * bins..(i + 1) * bins]);
            }
            for k in 0..bins {
                let r = reference_spectrum[k];
                let (a_k, b_k) = (
                    &mut a[k * k_stems * k_stems..(k + 1) * k_stems * k_stems],
                    &mut b[k * k_stems..(k + 1) * k_stems],
                );
                for i in 0..k_stems {
                    let xi = spectra[i * bins + k].conj();
                    b_k[i] += xi * r;
                    for j in i..k_stems {
                        a_k[i * k_stems + j] += xi * spectra[j * bins + k];
                    }
                }
            }
        }
        let largest = (0..bins)
            .flat_map(|k| (0..k_stems).map(move |i| (k, i)))
            .map(|(k, i)| a[(k * k_stems + i) * k_stems + i].re)
            .fold(0.0f64, f64::max);
        let floor = RIDGE_FLOOR * largest.max(1e-300);
        let mut transfer = vec![vec![zero; bins]; k_stems];
        let mut precision = vec![vec![0.0; bins]; k_stems];
        let mut residual_power = vec![0.0f64; bins];
        let mut stem_power = vec![vec![0.0f64; bins]; k_stems];
        let mut m = vec![zero; k_stems * k_stems];
        let mut rhs = vec![zero; k_stems];
        for k in 0..bins {
            let a_k = &a[k * k_stems * k_stems..(k + 1) * k_stems * k_stems];
            for i in 0..k_stems {
                for j in 0..k_stems {
                    m[i * k_stems + j] = if j >= i {
                        a_k[i * k_stems + j]
                    } else {
                        a_k[j * k_stems + i].conj()
                    };
                }
            }
            for i in 0..k_stems {
                rhs[i] = b[k * k_stems + i]
                    - (0..k_stems)
                        .map(|j| m[i * k_stems + j])
                        .sum::<Complex<f64>>();
            }
            for (i, power) in stem_power.iter_mut().enumerate() {
                power[k] = m[i * k_stems + i].re;
            }
            let gram = m.clone();
            for i in 0..k_stems {
                let d = m[i * k_stems + i].re;
                m[i * k_stems + i] += RIDGE * d + floor;
            }
            let inverse = invert(&m, k_stems);
            for i in 0..k_stems {
                let delta: Complex<f64> = (0..k_stems)
                    .map(|j| inverse[i * k_stems + j] * rhs[j])
                    .sum();
                transfer[i][k] = Complex::new(1.0, 0.0) + delta;
                let diagonal = inverse[i * k_stems + i].re;
                precision[i][k] = if diagonal > 0.0 { 1.0 / diagonal } else { 0.0 };
            }
            // |R − Σ Hᵢ·Xᵢ|² summed = Σ|R|² − 2·Re Σ conj(Hᵢ)·bᵢ + Σ conj(Hᵢ)·Aᵢⱼ·Hⱼ.
            let mut energy = reference_power[k];
            for i in 0..k_stems {
                let hi = transfer[i][k].conj();
                energy -= 2.0 * (hi * b[k * k_stems + i]).re;
                for j in 0..k_stems {
                    energy += (hi * gram[i * k_stems + j] * transfer[j][k]).re;
                }
            }
            residual_power[k] = energy.max(0.0);
        }
        model
            .noise
            .push(residual_power.iter().map(|e| e / dof).collect());
        model.transfer.push(transfer);
        model.precision.push(precision);
        model.residual_power.push(residual_power);
        model.reference_power.push(reference_power);
        model.stem_power.push(stem_power);
    }
    model
}

/// Inverse of the `n × n` row-major matrix `m` by Gauss–Jordan elimination with partial
/// pivoting (a singular pivot column is left as zero).
fn invert(m: &[Complex<f64>], n: usize) -> Vec<Complex<f64>> {
    let zero = Complex::new(0.0, 0.0);
    let one = Complex::new(1.0, 0.0);
    let mut a = m.to_vec();
    let mut inv = vec![zero; n * n];
    for i in 0..n {
        inv[i * n + i] = one;
    }
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&p, &q| {
                a[p * n + col]
                    .norm_sqr()
                    .total_cmp(&a[q * n + col].norm_sqr())
            })
            .unwrap_or(col);
        if pivot != col {
            for c in 0..n {
                a.swap(col * n + c, pivot * n + c);
                inv.swap(col * n + c, pivot * n + c);
            }
        }
        let p = a[col * n + col];
        if p.norm_sqr() == 0.0 {
            continue;
        }
        let scale = one / p;
        for c in 0..n {
            a[col * n + c] *= scale;
            inv[col * n + c] *= scale;
        }
        for r in 0..n {
            if r != col {
                let f = a[r * n + col];
                if f != zero {
                    for c in 0..n {
                        let (ac, ic) = (a[col * n + c], inv[col * n + c]);
                        a[r * n + c] -= f * ac;
                        inv[r * n + c] -= f * ic;
                    }
                }
            }
        }
    }
    inv
}

/// Sub-frames per segment that the frame statistics use: the middle half of each segment
/// (where its Hann window is large; the hop is half a segment, so they tile the programme),
/// cut into this many frames of a segment's eighth (10.7 ms at 48 kHz).
const FRAMES_PER_SEGMENT: usize = 4;

/// Per-frame energies of the fitted model in the time domain, summed over channels: what the
/// linear per-stem model explains and what it leaves, frame by frame (frames of an eighth of
/// a segment, from the middle half of each segment, weighted by the segment's window²).
#[derive(Debug, Clone, Default)]
pub(crate) struct SegmentStats {
    /// `Σ e²` per frame, `e` = reference − Σ hᵢ∗stemᵢ (what no linear per-stem model
    /// explains).
    pub residual: Vec<f64>,
    /// `Σ y²` per frame, `y` = Σ hᵢ∗stemᵢ (the fitted reference).
    pub fitted: Vec<f64>,
    /// `Σ e·y` per frame: the part of the residual that is the fitted programme scaled, i.e.
    /// a gain that changes from frame to frame.
    pub cross: Vec<f64>,
    /// `Σ x²` per frame (the reference).
    pub reference: Vec<f64>,
    /// `Σ sᵢ²` per stem and frame (the aligned stems as delivered).
    pub stems: Vec<Vec<f64>>,
    /// `max |y| / window` per frame (the fitted reference's peak, window undone).
    pub fitted_peak: Vec<f64>,
}

/// Computes [`SegmentStats`] of `model` over the same segments (the fitted and residual
/// spectra of each segment back in the time domain).
pub(crate) fn segment_stats(
    reference: &dyn Track,
    delivery: &Delivery,
    segments: &Segments,
    model: &TransferModel,
) -> SegmentStats {
    let k_stems = delivery.stems.len();
    let bins = segments.num_bins();
    let len = segments.len;
    let mut transformer = SegmentTransformer::new(reference, delivery, len);
    let inverse = RealFftPlanner::<f64>::new().plan_fft_inverse(len);
    let mut inverse_scratch = inverse.make_scratch_vec();
    let zero = Complex::new(0.0, 0.0);
    let mut reference_spectrum = vec![zero; bins];
    let mut stem_spectrum = vec![zero; bins];
    let mut fitted = vec![zero; bins];
    let mut fitted_time = vec![0.0; len];
    let mut residual_time = vec![0.0; len];
    let count = segments.starts.len() * FRAMES_PER_SEGMENT;
    let mut stats = SegmentStats {
        residual: vec![0.0; count],
        fitted: vec![0.0; count],
        cross: vec![0.0; count],
        reference: vec![0.0; count],
        stems: vec![vec![0.0; count]; k_stems],
        fitted_peak: vec![0.0; count],
    };
    let frame = len / (2 * FRAMES_PER_SEGMENT);
    for ch in 0..reference.num_channels() {
        for (s, &start) in segments.starts.iter().enumerate() {
            transformer.transform(None, ch, start, &mut reference_spectrum);
            fitted.fill(zero);
            for i in 0..k_stems {
                transformer.transform(Some(i), ch, start, &mut stem_spectrum);
                for ((y, x), h) in fitted
                    .iter_mut()
                    .zip(&stem_spectrum)
                    .zip(&model.transfer[ch][i])
                {
                    *y += h * x;
                }
                for (j, e) in transformer.last_frames.iter().enumerate() {
                    stats.stems[i][s * FRAMES_PER_SEGMENT + j] += e;
                }
            }
            // Residual spectrum into `reference_spectrum`.
            for (r, y) in reference_spectrum.iter_mut().zip(&fitted) {
                *r -= y;
            }
            for (spectrum, time) in [
                (&mut fitted, &mut fitted_time),
                (&mut reference_spectrum, &mut residual_time),
            ] {
                spectrum[0].im = 0.0;
                spectrum[bins - 1].im = 0.0;
                inverse
                    .process_with_scratch(spectrum, time, &mut inverse_scratch)
                    .expect("buffer lengths match the plan");
            }
            for j in 0..FRAMES_PER_SEGMENT {
                let index = s * FRAMES_PER_SEGMENT + j;
                let first = len / 4 + j * frame;
                for n in first..first + frame {
                    let (y, e) = (fitted_time[n], residual_time[n]);
                    stats.residual[index] += e * e;
                    stats.fitted[index] += y * y;
                    stats.cross[index] += e * y;
                    stats.reference[index] += (e + y) * (e + y);
                    let w = transformer.window[n];
                    if w > 0.0 {
                        stats.fitted_peak[index] = stats.fitted_peak[index].max((y / w).abs());
                    }
                }
            }
        }
    }
    stats
}
