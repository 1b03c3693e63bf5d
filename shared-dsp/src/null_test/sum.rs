//! The null test of a stem **sum** against the reference (the Master Bus receives only the sum):
//! the same model-based analysis as [`super::analyze`], read for what the sum allows.
//!
//! 1. **Dynamics on the mix bus** and the verdict: [`super::analyze`] with the sum as the one
//!    "stem" of the delivery (its frame statistics tell a gain riding the programme from a
//!    linear error, whatever the stems).
//! 2. **The part that differs**: with the residual `e = x − c` (reference minus the sum, no
//!    polarity or gain compensated), a linear fault of one stem `s` (or of the whole sum) is
//!    `c = x − s + T·s`, so `e = B·s` with `B = 1 − T`; with the stems mutually uncorrelated
//!    the Welch spectra give `See = |B|²·Pss` and `Sex = B·Pss`, hence per bin
//!    `T = 1 − See / conj(Sex)`: the broken part's transfer function as delivered, read by the
//!    same [`Reader`] as the offline analysis reads each stem's (offset as linear phase,
//!    polarity and level at low frequencies, a resampler's roll-off with its corner, any other
//!    shape an EQ; all of it confined to a top band high in the spectrum is a sample-rate
//!    round trip, whose passband leaves nothing to read).
//! 3. **The whole sum or one stem**: a fault of the whole sum (or an EQ on the reference's
//!    bus) is one linear filter from the sum to the reference, so the sum-as-one-stem model of
//!    step 1 leaves next to nothing of the residual; one stem's fault is a filter on a part
//!    whose share of the mix changes over time, and the model leaves much of it. The whole
//!    sum's `T` is then read by regressing `e` on `x` (`Sex / Sxx`, exact for it). The squared
//!    coherence of `e` and `x` weighted by the residual's power is ≈ 0 when the residual is not
//!    in the reference at all (a stem that is not in the mix).
//! 4. **One channel** of a stem inverted shows as a residual on one channel only.
//!
//! From the sum alone "this stem is late by `d`" and "the other stems are early by `d`" leave
//! the same residual; the lock follows the correlation's larger part, so `d` is relative to it.

use realfft::num_complex::Complex;
use realfft::RealFftPlanner;

use super::live::{LiveDiagnosis, LiveSubject};
use super::offset_fit::{TransferWindow, WindowFindings};
use super::spectral::Segments;
use super::transfer::{Reader, Reading, SIGNIFICANCE};
use super::{analyze, Cause, NullSettings, Processing, Verdict};
use crate::db::gain_to_db_f64;

/// What the sum-as-one-stem linear model leaves of the residual, at or below which the whole
/// sum is the broken part (a gain, polarity or EQ of the whole sum, or an EQ on the
/// reference's bus), dB re the residual.
const WHOLE_SUM_MAX_LEFT_DB: f64 = -30.0;
/// Coherence share, times the number of Welch segments, at or below which the residual is not in
/// the reference (material in the sum the mix lacks): independent signals show a share of about
/// 2 / segments (hop of half a segment), at most 2.9 / segments on the matrix; a quiet stem of
/// the mix (a noise bed 25 dB down) 7 / segments and more.
const NOT_IN_MIX_MAX_COHERENCE_SEGMENTS: f64 = 5.0;
/// A channel whose residual energy is below this share of the largest channel's is unaffected.
const UNAFFECTED_CHANNEL_SHARE: f64 = 0.01;
/// Share of the residual energy below the corner of a lost top band, at most.
const TOP_BAND_MAX_BELOW_SHARE: f64 = 0.01;
/// The corner of a lost top band lies above this fraction of the Nyquist frequency (a round
/// trip through 44.1 kHz at 48 kHz: 0.83; through 48 kHz at 96 kHz: 0.42).
const TOP_BAND_MIN_NYQUIST_SHARE: f64 = 0.3;
/// Magnitude of the part's low-frequency gain in the sum below which it is missing.
const MISSING_MAX_GAIN: f64 = 0.3;
/// A shape deviating from flat by more than this is a filter, in dB.
const FILTER_MIN_DB: f64 = 0.5;
/// Bins whose residual power is below this fraction of the reference's hold only the
/// rounding of 32-bit samples (−110 dB): nothing to read there.
const FLOAT_FLOOR_RELATIVE_POWER: f64 = 1e-11;
/// Largest squared coherence a bin's weight uses (keeps an exact bin's weight finite).
const MAX_COHERENCE: f64 = 0.9999;
/// Bins whose residual power is below this fraction of the largest carry no weight.
const MIN_RELATIVE_POWER: f64 = 1e-10;
/// A part's lag off the whole samples by more than this (and its error) is fractional.
const FRACTIONAL_LAG_MIN_SAMPLES: f64 = 0.05;
/// Share of the residual's coherence-weighted `Σ See²` the offset model must explain (and
/// more than the level model does) for one stem late or early.
const OFFSET_MIN_FIT: f64 = 0.5;
/// Samples either way of the Welch fit's lag that the time-domain refinement searches.
const REFINE_OFFSET_SAMPLES: isize = 16;
/// Lags from this size on are refined in the time domain (the fit is exact below: 1–8 samples
/// on the tests; 186 read as 172 before refinement).
const REFINE_MIN_LAG_SAMPLES: usize = 64;
/// Lags the offset fit examines either way, ms.
const MAX_STEM_OFFSET_MS: f64 = 50.0;
/// Offset search of the verdict's lock, either way, ms (the live window arrives aligned).
const MAX_OFFSET_MS: f64 = 20.0;

/// Shortest window analysed, frames.
pub const MIN_FRAMES: usize = 1024;

/// The result of [`analyze_sum`].
#[derive(Debug, Clone, PartialEq)]
pub struct SumReport {
    /// PASS / WARN / FAIL from the window's residual peak.
    pub verdict: Verdict,
    /// The window's residual RMS relative to the reference's, dB (how much evidence it holds).
    pub residual_rms_rel_db: f64,
    /// The likely cause (`None` when the window passes).
    pub diagnosis: Option<LiveDiagnosis>,
}

/// Analyses a stem sum against the reference mix (both lists of channels of the same length,
/// aligned to within [`MAX_OFFSET_MS`]). Allocates (runs off the audio thread). Fewer than
/// [`MIN_FRAMES`] frames (or no channels) pass unexamined.
pub fn analyze_sum(
    reference: &[&[f32]],
    sum: &[&[f32]],
    sample_rate_hz: f64,
    settings: &NullSettings,
) -> SumReport {
    if reference.is_empty() || sum.is_empty() || common_len(reference, sum) < MIN_FRAMES {
        return SumReport {
            verdict: Verdict::Pass,
            residual_rms_rel_db: f64::NEG_INFINITY,
            diagnosis: None,
        };
    }
    let (peak, residual_energy, reference_energy) = residual_figures(reference, sum);
    let verdict = Verdict::from_residual_peak_dbfs(
        gain_to_db_f64(peak),
        settings.pass_dbfs,
        settings.fail_dbfs,
    );
    let residual_rms_rel_db =
        10.0 * (residual_energy.max(1e-300) / reference_energy.max(1e-300)).log10();
    if verdict == Verdict::Pass {
        return SumReport {
            verdict,
            residual_rms_rel_db,
            diagnosis: None,
        };
    }
    // The sum as the one stem of a delivery: the offline analysis's frame statistics.
    let whole = analyze(
        reference,
        &[sum],
        sample_rate_hz,
        &NullSettings {
            max_offset_ms: MAX_OFFSET_MS,
            ..*settings
        },
    );
    let dynamics = whole
        .diagnoses
        .iter()
        .find(|d| d.cause == Cause::MasterProcessing && d.processing == Some(Processing::Dynamics));
    if let Some(d) = dynamics {
        return SumReport {
            verdict,
            residual_rms_rel_db,
            diagnosis: Some(LiveDiagnosis {
                processing: Some(Processing::Dynamics),
                ..LiveDiagnosis::plain(
                    Cause::MasterProcessing,
                    LiveSubject::Reference,
                    d.confidence,
                )
            }),
        };
    }
    // A fault of the whole sum (or of the reference's bus) is one linear filter from the sum
    // to the reference: the sum-as-one-stem model leaves (almost) nothing, or its lock and
    // polarity compensation alone already null it. One stem's fault is a filter on a part
    // whose share of the mix changes over time: the model leaves much of it.
    let whole_sum = whole.verdict == Verdict::Pass
        || whole
            .model_residual_rel_db
            .is_some_and(|m| m - whole.residual_rms_rel_db <= WHOLE_SUM_MAX_LEFT_DB);
    let spectra = ResidualSpectra::measure(reference, sum, sample_rate_hz);
    let fit = fit_offset(reference, sum, sample_rate_hz);
    let offset = WindowFindings {
        offset_samples: refine_offset(reference, sum, fit.offset_samples),
        ..fit
    };
    SumReport {
        verdict,
        residual_rms_rel_db,
        diagnosis: spectra.diagnose(whole_sum, offset, sample_rate_hz, settings),
    }
}

/// The offset fit over the longest power-of-two stretch at the end of the window (mono).
fn fit_offset(reference: &[&[f32]], sum: &[&[f32]], sample_rate_hz: f64) -> WindowFindings {
    let len = common_len(reference, sum);
    let window_len = 1usize << len.ilog2();
    let max_lag = (MAX_STEM_OFFSET_MS * sample_rate_hz / 1000.0) as usize;
    let mut fit = TransferWindow::new(window_len, max_lag);
    for n in len - window_len..len {
        let (mut x, mut e) = (0.0, 0.0);
        for (r, c) in reference.iter().zip(sum) {
            x += r[n] as f64;
            e += r[n] as f64 - c[n] as f64;
        }
        fit.push(x, e);
    }
    fit.analyze()
}

/// Frames every channel of both signals holds (0 without channels).
pub(super) fn common_len(reference: &[&[f32]], sum: &[&[f32]]) -> usize {
    reference
        .iter()
        .chain(sum)
        .map(|c| c.len())
        .min()
        .unwrap_or(0)
}

/// Largest |reference − sum|, Σ (reference − sum)² and Σ reference² over every channel.
fn residual_figures(reference: &[&[f32]], sum: &[&[f32]]) -> (f64, f64, f64) {
    let (mut peak, mut residual, mut energy) = (0.0f64, 0.0, 0.0);
    for (x, c) in reference.iter().zip(sum) {
        for (&x, &c) in x.iter().zip(*c) {
            let e = x as f64 - c as f64;
            peak = peak.max(e.abs());
            residual += e * e;
            energy += x as f64 * x as f64;
        }
    }
    (peak, residual, energy)
}

/// The stem offset `lag` refined to the sample: a stem `d` late leaves `e = s − s_d`, whose
/// cross-correlation with the reference `Σ e(t)·x(t − τ) = R(τ) − R(τ − d)` dips to `−R(0)` at
/// `τ = d` (first differences keep the dip sharp). The Welch fit can be a few samples off for
/// lags that are a large part of its frames; a dip within ±[`REFINE_OFFSET_SAMPLES`] moves it.
/// Short lags are left as fitted (there the two dips of `R(τ) − R(τ − d)` overlap).
fn refine_offset(reference: &[&[f32]], sum: &[&[f32]], lag: isize) -> isize {
    if lag.unsigned_abs() < REFINE_MIN_LAG_SAMPLES {
        return lag;
    }
    let len = common_len(reference, sum);
    let mono = |n: usize, residual: bool| -> f64 {
        reference
            .iter()
            .zip(sum)
            .map(|(x, c)| x[n] as f64 - if residual { c[n] as f64 } else { 0.0 })
            .sum()
    };
    let diff = |n: usize, residual: bool| mono(n, residual) - mono(n - 1, residual);
    let correlation = |tau: isize| -> f64 {
        let start = 1 + tau.max(0) as usize;
        let end = (len as isize + tau.min(0)) as usize;
        (start..end.max(start))
            .map(|n| diff(n, true) * diff((n as isize - tau) as usize, false))
            .sum()
    };
    (lag - REFINE_OFFSET_SAMPLES..=lag + REFINE_OFFSET_SAMPLES)
        .filter(|&tau| tau != 0)
        .min_by(|&a, &b| correlation(a).total_cmp(&correlation(b)))
        .unwrap_or(lag)
}

/// Welch spectra of the residual and the reference, per channel.
struct ResidualSpectra {
    /// FFT length of the segments.
    len: usize,
    /// Number of segments averaged.
    num_segments: usize,
    /// `See` per channel and bin.
    residual: Vec<Vec<f64>>,
    /// `Sex` per channel and bin.
    cross: Vec<Vec<Complex<f64>>>,
    /// `Sxx` per channel and bin.
    reference: Vec<Vec<f64>>,
}

impl ResidualSpectra {
    /// Measures `e = x − c` against `x` over the whole window.
    fn measure(reference: &[&[f32]], sum: &[&[f32]], sample_rate_hz: f64) -> Self {
        let len = common_len(reference, sum);
        let segments = Segments::new(0..len, sample_rate_hz);
        let n = segments.len;
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
        let window: Vec<f64> = (0..n)
            .map(|k| 0.5 - 0.5 * (std::f64::consts::TAU * k as f64 / n as f64).cos())
            .collect();
        let bins = n / 2 + 1;
        let mut time = vec![0.0; n];
        let mut x_spectrum = vec![Complex::default(); bins];
        let mut e_spectrum = vec![Complex::default(); bins];
        let mut scratch = fft.make_scratch_vec();
        let mut spectra = Self {
            len: n,
            num_segments: segments.starts.len(),
            residual: vec![vec![0.0; bins]; reference.len()],
            cross: vec![vec![Complex::default(); bins]; reference.len()],
            reference: vec![vec![0.0; bins]; reference.len()],
        };
        for (ch, (x, c)) in reference.iter().zip(sum).enumerate() {
            for &start in &segments.starts {
                for (pass, spectrum) in [&mut x_spectrum, &mut e_spectrum].into_iter().enumerate() {
                    for (k, t) in time.iter_mut().enumerate() {
                        let i = start + k;
                        let xi = x[i] as f64;
                        *t = window[k] * if pass == 0 { xi } else { xi - c[i] as f64 };
                    }
                    fft.process_with_scratch(&mut time, spectrum, &mut scratch)
                        .expect("buffer lengths match the plan");
                }
                for k in 0..bins {
                    let (xk, ek) = (x_spectrum[k], e_spectrum[k]);
                    spectra.residual[ch][k] += ek.norm_sqr();
                    spectra.cross[ch][k] += ek * xk.conj();
                    spectra.reference[ch][k] += xk.norm_sqr();
                }
            }
        }
        spectra
    }

    /// Residual energy per channel.
    fn channel_energy(&self) -> Vec<f64> {
        self.residual.iter().map(|r| r.iter().sum()).collect()
    }

    /// The broken part's transfer function `T` over `channels` (their spectra summed), with
    /// the bin weights and noise for the [`Reader`], and the coherence share `Γ` (squared
    /// coherence weighted by the residual's power: ≈ 0 when the residual is not in the mix).
    fn transfer(
        &self,
        channels: &[usize],
        whole_sum: bool,
    ) -> (Vec<Complex<f64>>, Vec<f64>, Vec<f64>, f64) {
        let bins = self.len / 2 + 1;
        let sum_over = |k: usize| {
            channels.iter().fold(
                (0.0, Complex::default(), 0.0),
                |(e, c, x): (f64, Complex<f64>, f64), &ch| {
                    (
                        e + self.residual[ch][k],
                        c + self.cross[ch][k],
                        x + self.reference[ch][k],
                    )
                },
            )
        };
        let largest = (0..bins).map(|k| sum_over(k).0).fold(0.0, f64::max);
        let (mut transfer, mut weights, mut noise) = (
            vec![Complex::new(1.0, 0.0); bins],
            vec![0.0; bins],
            vec![0.0; bins],
        );
        let (mut coherent, mut total) = (0.0, 0.0);
        for k in 0..bins {
            let (see, sex, sxx) = sum_over(k);
            if sxx <= 0.0 {
                continue;
            }
            let n = self.num_segments as f64;
            if whole_sum {
                // The whole sum: `e = (1 − T)·x` exactly, the regression of `e` on `x`
                // (`Sex / Sxx`) is unbiased, and a bin without residual reads `T = 1` firmly.
                let coherence = (sex.norm_sqr() / (see * sxx).max(1e-300)).min(1.0);
                transfer[k] = Complex::new(1.0, 0.0) - sex / sxx;
                weights[k] = sxx;
                noise[k] = see * (1.0 - coherence) / n + FLOAT_FLOOR_RELATIVE_POWER * sxx;
                if see > MIN_RELATIVE_POWER * largest {
                    coherent += see * coherence;
                    total += see;
                }
                continue;
            }
            if see <= MIN_RELATIVE_POWER * largest
                || see <= FLOAT_FLOOR_RELATIVE_POWER * sxx
                || sex.norm_sqr() <= 0.0
            {
                continue;
            }
            let coherence = (sex.norm_sqr() / (see * sxx)).min(MAX_COHERENCE);
            coherent += see * coherence;
            total += see;
            let b = see / sex.conj();
            transfer[k] = Complex::new(1.0, 0.0) - b;
            // var(T) ≈ |B|²·(1 − γ²) / (γ²·n): weight = precision without |B|², noise = |B|².
            weights[k] = n * coherence / (1.0 - coherence);
            noise[k] = b.norm_sqr();
        }
        let share = if total > 0.0 { coherent / total } else { 0.0 };
        (transfer, weights, noise, share)
    }

    /// The frequency below which the residual holds less than [`TOP_BAND_MAX_BELOW_SHARE`] of its
    /// energy, when that lies above [`TOP_BAND_MIN_NYQUIST_SHARE`] of the Nyquist frequency.
    fn top_band_corner(&self, channels: &[usize], sample_rate_hz: f64) -> Option<f64> {
        let bins = self.len / 2 + 1;
        let power = |k: usize| channels.iter().map(|&ch| self.residual[ch][k]).sum::<f64>();
        let total: f64 = (0..bins).map(power).sum();
        let mut below = 0.0;
        let corner = (0..bins).find(|&k| {
            below += power(k);
            below > TOP_BAND_MAX_BELOW_SHARE * total
        })?;
        let corner_hz = corner as f64 * sample_rate_hz / self.len as f64;
        (corner_hz >= TOP_BAND_MIN_NYQUIST_SHARE * 0.5 * sample_rate_hz).then_some(corner_hz)
    }

    /// The likely cause, read off the broken part's transfer function.
    fn diagnose(
        &self,
        whole_sum: bool,
        offset: WindowFindings,
        sample_rate_hz: f64,
        settings: &NullSettings,
    ) -> Option<LiveDiagnosis> {
        let energy = self.channel_energy();
        let largest = energy.iter().fold(0.0f64, |m, &e| m.max(e));
        if largest <= 0.0 {
            return None;
        }
        let affected: Vec<usize> = (0..energy.len())
            .filter(|&ch| energy[ch] >= UNAFFECTED_CHANNEL_SHARE * largest)
            .collect();
        let (transfer, weights, noise, share) = self.transfer(&affected, whole_sum);
        let subject = if whole_sum {
            LiveSubject::WholeSum
        } else {
            LiveSubject::OneStem
        };
        let not_in_mix = NOT_IN_MIX_MAX_COHERENCE_SEGMENTS / self.num_segments.max(1) as f64;
        if share <= not_in_mix {
            return Some(LiveDiagnosis::plain(
                Cause::Unexplained,
                LiveSubject::OneStem,
                1.0 - share / not_in_mix,
            ));
        }
        let f = offset;
        if f.offset_samples != 0 && f.offset_fit >= OFFSET_MIN_FIT && f.offset_fit > f.level_fit {
            return Some(LiveDiagnosis::plain(
                Cause::Offset {
                    samples: f.offset_samples,
                },
                LiveSubject::OneStem,
                f.offset_fit,
            ));
        }
        // No bracketing: `T` is read off the residual itself (no fitted model leaves a rest).
        let unbracketed = vec![0.0; transfer.len()];
        let reading =
            Reader::new(self.len, sample_rate_hz).read(&transfer, &weights, &noise, &unbracketed);
        // How much of the residual the reference explains linearly: the evidence the reading
        // of `T` rests on.
        let confidence = share;
        let plain = |cause| Some(LiveDiagnosis::plain(cause, subject, confidence));
        // Nothing below a corner high in the band and the top band missing: a sample-rate
        // round trip (a resampler is exact in its passband, so the rest of the stem leaves no
        // residual to read a level from).
        if let Some(corner_hz) = self.top_band_corner(&affected, sample_rate_hz) {
            return Some(LiveDiagnosis {
                corner_hz: Some(corner_hz),
                ..LiveDiagnosis::plain(Cause::Resampled, subject, confidence)
            });
        }
        if reading.gain.abs() < MISSING_MAX_GAIN {
            return plain(Cause::Missing);
        }
        // A resampler never inverts: the sign first.
        if reading.gain < 0.0 {
            let one_channel = affected.len() == 1 && energy.len() > 1;
            return Some(LiveDiagnosis {
                channel: one_channel.then_some(affected[0]),
                ..LiveDiagnosis::plain(Cause::Inverted, subject, confidence)
            });
        }
        if reading.resample_like {
            return Some(LiveDiagnosis {
                corner_hz: reading.corner_hz,
                ..LiveDiagnosis::plain(Cause::Resampled, subject, confidence)
            });
        }
        let db = gain_to_db_f64(reading.gain.abs());
        let error_db = 20.0 / std::f64::consts::LN_10 * reading.gain_error / reading.gain.abs();
        let gained = db.abs() > settings.gain_tolerance_db && db.abs() > SIGNIFICANCE * error_db;
        // Among other stems, the part's shape is read through their cross terms (stems that
        // share partials): its level is the firmer reading. The whole sum's shape is exact.
        let filtered_first = subject == LiveSubject::WholeSum || !gained;
        if filtered_first && reading.deviation_db.abs() > FILTER_MIN_DB {
            return Some(filtered(&reading, subject, confidence));
        }
        if gained {
            return plain(Cause::Gained { db });
        }
        let fraction = reading.lag_samples - reading.lag_samples.round();
        if fraction.abs() > FRACTIONAL_LAG_MIN_SAMPLES.max(SIGNIFICANCE * reading.lag_error) {
            return plain(Cause::Resampled);
        }
        plain(Cause::Unexplained)
    }
}

/// A filter on one stem, or (on the whole sum) an EQ on the reference's mix bus: the reference
/// holds the inverse of what the sum lacks.
fn filtered(reading: &Reading, subject: LiveSubject, confidence: f64) -> LiveDiagnosis {
    let (cause, subject, deviation_db) = match subject {
        LiveSubject::WholeSum => (
            Cause::MasterProcessing,
            LiveSubject::Reference,
            -reading.deviation_db,
        ),
        _ => (Cause::Unexplained, subject, reading.deviation_db),
    };
    LiveDiagnosis {
        processing: Some(Processing::Equalizer),
        deviation_db: Some(deviation_db),
        ..LiveDiagnosis::plain(cause, subject, confidence)
    }
}
