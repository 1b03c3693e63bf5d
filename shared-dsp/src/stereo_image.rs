//! Stereo image meter for vinyl pre-masters: phase correlation (full band and below
//! [`LF_SPLIT_HZ`]), the side/mid energy ratio below [`LF_SPLIT_HZ`], the level above
//! [`HF_SPLIT_HZ`], the two warnings a cutting engineer needs, and whole-programme statistics.
//!
//! # What a lathe cannot take
//! A stereo cutter moves the stylus laterally with the mid (`L + R`) and vertically with the
//! side (`L − R`). **Low-frequency anti-phase energy** (side above mid below 150 Hz, i.e. a
//! negative LF correlation) cuts vertical excursions larger than the lateral ones: the groove
//! gets too shallow to track or the cutter lifts out of the lacquer. **Sustained high-level
//! HF** (sibilance, cymbals) is cut with the RIAA pre-emphasis, +11.9 dB at 8 kHz and
//! +13.7 / +17.2 / +19.6 dB at 10 / 15 / 20 kHz against 1 kHz: energy above 8 kHz at
//! −20 dBFS drives the cutting head like −8 to −0.4 dBFS of mid-band tone, and held for a
//! few hundred milliseconds it heats the head's drive coils until the cutting amplifier's
//! protection trips (and the playback stylus mistracks the sharp curvature).
//!
//! # Measurement (legend)
//! Per stereo frame `x = [L, R]` (non-finite samples count as 0):
//! - full band: `ΣL²`, `ΣR²`, `ΣL·R`;
//! - HF: `h = HP(x)`, one matched 2nd-order Butterworth high-pass at [`HF_SPLIT_HZ`]
//!   ([`Coefficients::butterworth_highpass`]), `Σh_L² + Σh_R²`;
//! - LF: `x` decimated by `D` (the largest power of two ≤ `fs / 5 kHz`, 8 at 44.1 and
//!   48 kHz) through a second-order CIC (triangular window of `2D − 1` taps: −0.02 dB at
//!   150 Hz, images that fold onto 0–150 Hz at least −63 dB down), then the crossover's LR4
//!   low-pass at [`LF_SPLIT_HZ`] ([`crate::crossover::lr4_lowpass_section`], twice) at
//!   `fs / D`, and the same three sums on the decimated samples.
//!
//! Sums run over a fixed grid of [`GRID_FRAMES`] frames counted from `reset`, each interval
//! buffered and measured whole in one pass (so nothing depends on block sizes). **Ballistics** (the one time constant, [`BALLISTICS_MS`]): at the
//! end of each grid interval every mean `m` (of `L²`, `R²`, `L·R`, per band) moves as
//! `m ← m + c·(interval mean − m)`, `c = 1 − exp(−GRID_FRAMES / (τ·fs))`: an exponential
//! average with time constant τ = 300 ms (a step in correlation reaches 63 % of its new value
//! after 300 ms). The readings are taken from these means:
//! - correlation `r = m_LR / √(m_LL·m_RR)` (Pearson; 0 while either channel is silent);
//! - LF side/mid `10·log10(S² / M²)` with `M² = (m_LL + m_RR + 2·m_LR)/4`,
//!   `S² = (m_LL + m_RR − 2·m_LR)/4` (`r_LF < 0` exactly when `S² > M²`);
//! - HF level `10·log10((m_hL + m_hR)/2)`, dB re full-scale DC (a full-scale sine reads
//!   −3.0 dB).
//!
//! **Warnings**: LF anti-phase while the LF side/mid ratio is above
//! [`LF_SIDE_TO_MID_WARN_DB`] (vertical above lateral) and the LF level is above
//! [`LF_GATE_DBFS`] (quieter bass cannot cut a significant excursion); HF stress while the HF
//! level is above [`HF_WARN_DBFS`] (the ballistics make it a ≈300 ms average: sustained, not a
//! single transient). The statistics count the grid intervals at the end of which a warning
//! holds; correlation statistics only count intervals whose level is above
//! [`ACTIVE_GATE_DBFS`] (LF ones above [`LF_GATE_DBFS`]).
//!
//! Cost: 43 instructions per stereo frame under callgrind at 48 kHz (`callgrind.sh master_bus`:
//! the whole Master Bus 1483.9 with it), one fused pass per interval, the LF filters at `fs / D`.

use crate::crossover::lr4_lowpass_section;
use crate::eq::lanes::{all_finite, F64x2};
use crate::eq::section::{Coefficients, Section};

/// Split frequency of the low-frequency readings, Hz (LR4, −6 dB there).
pub const LF_SPLIT_HZ: f64 = 150.0;
/// Corner of the HF level's high-pass, Hz (12 dB/oct, −3 dB there).
pub const HF_SPLIT_HZ: f64 = 8_000.0;
/// Meter ballistics: time constant of every reading's exponential average, ms.
pub const BALLISTICS_MS: f64 = 300.0;
/// Frames per grid interval (sums, ballistics and statistics advance once per interval:
/// every 5.3 ms at 48 kHz, 1/56 of the ballistics' time constant).
pub const GRID_FRAMES: usize = 256;
/// Correlation readings below this level (mean square of L and R, dBFS) are not counted in
/// the statistics (silence has no correlation).
pub const ACTIVE_GATE_DBFS: f64 = -60.0;
/// LF readings below this level (mean square of the LF L and R, dBFS) neither warn nor count:
/// bass 40 dB below full scale cuts excursions of 1 % of full modulation.
pub const LF_GATE_DBFS: f64 = -40.0;
/// LF anti-phase warning above this side/mid energy ratio below [`LF_SPLIT_HZ`], dB (0 dB:
/// the vertical groove modulation exceeds the lateral one; the same as `r_LF < 0`).
pub const LF_SIDE_TO_MID_WARN_DB: f64 = 0.0;
/// HF stress warning above this level above [`HF_SPLIT_HZ`], dB re full scale (see the
/// module documentation for the RIAA rationale).
pub const HF_WARN_DBFS: f64 = -20.0;
/// Range the LF side/mid reading is clamped to, ± dB.
pub const SIDE_TO_MID_RANGE_DB: f64 = 60.0;
/// Lowest rate of the decimated LF path, Hz.
const MIN_DECIMATED_RATE_HZ: f64 = 5_000.0;
/// Largest decimation factor (a divisor of [`GRID_FRAMES`]).
const MAX_DECIMATION: usize = 64;

/// Sums (or means) of `L²`, `R²` and `L·R`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Moments {
    /// Of `L²`.
    ll: f64,
    /// Of `R²`.
    rr: f64,
    /// Of `L·R`.
    lr: f64,
}

impl Moments {
    /// Moves `self` (a mean) by `coef` towards `sums / count`.
    fn follow(&mut self, sums: &Moments, count: f64, coef: f64) {
        self.ll += coef * (sums.ll / count - self.ll);
        self.rr += coef * (sums.rr / count - self.rr);
        self.lr += coef * (sums.lr / count - self.lr);
    }

    /// Adds every field of `other`.
    fn accumulate(&mut self, other: &Moments) {
        self.ll += other.ll;
        self.rr += other.rr;
        self.lr += other.lr;
    }

    /// Mean square of L and R (the level the gates compare).
    fn power(&self) -> f64 {
        0.5 * (self.ll + self.rr)
    }

    /// Pearson correlation, 0 while a channel is silent.
    fn correlation(&self) -> f64 {
        let norm = self.ll * self.rr;
        if norm > 0.0 {
            (self.lr / norm.sqrt()).clamp(-1.0, 1.0)
        } else {
            0.0
        }
    }

    /// `4·M²` and `4·S²` (the common factor cancels in their ratio).
    fn mid_side(&self) -> (f64, f64) {
        let mid = (self.ll + self.rr + 2.0 * self.lr).max(0.0);
        let side = (self.ll + self.rr - 2.0 * self.lr).max(0.0);
        (mid, side)
    }

    /// Side over mid energy, dB, within ±[`SIDE_TO_MID_RANGE_DB`].
    fn side_to_mid_db(&self) -> f64 {
        let (mid, side) = self.mid_side();
        ratio_db(side / mid)
    }
}

/// Power ratio → dB (−∞ for 0).
fn power_db(power: f64) -> f64 {
    10.0 * power.log10()
}

/// dB → power ratio.
fn db_power(db: f64) -> f64 {
    10f64.powf(db / 10.0)
}

/// A side/mid power ratio in dB within ±[`SIDE_TO_MID_RANGE_DB`] (0/0, no signal, reads as
/// the bottom of the range).
fn ratio_db(ratio: f64) -> f64 {
    let db = power_db(ratio);
    if db.is_nan() {
        -SIDE_TO_MID_RANGE_DB
    } else {
        db.clamp(-SIDE_TO_MID_RANGE_DB, SIDE_TO_MID_RANGE_DB)
    }
}

/// Live readings (ballistics of [`BALLISTICS_MS`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StereoImageReadings {
    /// Phase correlation, full band, −1…1.
    pub correlation: f32,
    /// Phase correlation below [`LF_SPLIT_HZ`], −1…1.
    pub lf_correlation: f32,
    /// Side over mid energy below [`LF_SPLIT_HZ`], dB (±[`SIDE_TO_MID_RANGE_DB`]).
    pub lf_side_to_mid_db: f32,
    /// Level above [`HF_SPLIT_HZ`], dB re full scale (−∞ in silence or when the rate has no
    /// band above it).
    pub hf_level_dbfs: f32,
    /// The LF anti-phase warning holds now.
    pub lf_antiphase: bool,
    /// The HF stress warning holds now.
    pub hf_stress: bool,
}

/// Whole-programme statistics since the last `reset` (`None` where nothing was counted).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct StereoImageStatistics {
    /// Time measured, s.
    pub duration_s: f64,
    /// Correlation of the whole programme (from its total sums), full band.
    pub correlation: Option<f64>,
    /// Mean of the correlation reading over the active time.
    pub mean_correlation: Option<f64>,
    /// Lowest correlation reading over the active time.
    pub min_correlation: Option<f64>,
    /// Correlation of the whole programme below [`LF_SPLIT_HZ`].
    pub lf_correlation: Option<f64>,
    /// Lowest LF correlation reading over the LF-active time.
    pub min_lf_correlation: Option<f64>,
    /// Side over mid energy of the whole programme below [`LF_SPLIT_HZ`], dB.
    pub lf_side_to_mid_db: Option<f64>,
    /// Highest LF side/mid reading over the LF-active time, dB.
    pub max_lf_side_to_mid_db: Option<f64>,
    /// Share (0…1) of the LF-active time with a negative LF correlation (side above mid).
    pub lf_negative_share: Option<f64>,
    /// Time the LF anti-phase warning held, s.
    pub lf_antiphase_s: f64,
    /// When it first held, s from the start.
    pub first_lf_antiphase_s: Option<f64>,
    /// Highest HF level reading, dB re full scale.
    pub max_hf_level_dbfs: Option<f64>,
    /// Time the HF stress warning held, s.
    pub hf_stress_s: f64,
    /// When it first held, s from the start.
    pub first_hf_stress_s: Option<f64>,
}

/// Counters behind [`StereoImageStatistics`].
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    /// Grid intervals completed.
    num_intervals: u64,
    /// Total sums, full band.
    full: Moments,
    /// Total sums, LF (decimated samples).
    lf: Moments,
    /// Intervals above [`ACTIVE_GATE_DBFS`], the sum, minimum of their correlation readings.
    active: (u64, f64, f64),
    /// Intervals above [`LF_GATE_DBFS`], their lowest LF correlation and highest side/mid
    /// power ratio.
    lf_active: (u64, f64, f64),
    /// LF-active intervals with a negative LF correlation.
    lf_negative: u64,
    /// Intervals with the LF warning, and the first one.
    lf_warned: (u64, Option<u64>),
    /// Intervals with the HF warning, and the first one.
    hf_warned: (u64, Option<u64>),
    /// Highest HF power reading (mean square).
    max_hf_power: f64,
}

/// The second-order CIC decimator of the LF path (see the module legend): a triangular
/// window of `2D − 1` taps, normalised to unity gain at DC. Output `k` (after the frames
/// `kD … kD + D − 1`) weighs frame `kD + p` by `(D − p)/D²` and frame `(k−1)D + p` by `p/D²`.
/// Within a decimation frame two running sums suffice, `b = Σx` and `c = Σ` (running `b`),
/// because `Σ(D − p)·x_p = c` and `Σp·x_p = D·b − c`: the frame adds `c/D²` to its own output
/// and carries `(D·b − c)/D²` into the next. Both sums restart every frame (no drift).
#[derive(Debug, Clone)]
struct Cic {
    /// Decimation factor `D` (a power of two dividing [`GRID_FRAMES`]).
    factor: usize,
    /// The previous decimation frame's share of the current output.
    carry: F64x2,
}

impl Cic {
    /// Clears the carried share.
    fn reset(&mut self) {
        self.carry = F64x2::splat(0.0);
    }
}

/// The LF path after the CIC: the LR4 low-pass and the LF sums of the current interval.
#[derive(Debug, Clone)]
struct LowBand {
    /// The LR4 low-pass at [`LF_SPLIT_HZ`] (two identical sections) at `fs / D`.
    lowpass: [Section; 2],
    /// Sums of the current interval.
    sums: Moments,
}

/// The gates and warning thresholds as powers (computed once).
#[derive(Debug, Clone, Copy)]
struct Thresholds {
    /// [`ACTIVE_GATE_DBFS`] as a mean square.
    active_power: f64,
    /// [`LF_GATE_DBFS`] as a mean square.
    lf_power: f64,
    /// [`LF_SIDE_TO_MID_WARN_DB`] as a power ratio.
    lf_warn_ratio: f64,
    /// [`HF_WARN_DBFS`] as a mean square.
    hf_warn_power: f64,
}

impl Thresholds {
    /// The module's thresholds.
    fn new() -> Self {
        Self {
            active_power: db_power(ACTIVE_GATE_DBFS),
            lf_power: db_power(LF_GATE_DBFS),
            lf_warn_ratio: db_power(LF_SIDE_TO_MID_WARN_DB),
            hf_warn_power: db_power(HF_WARN_DBFS),
        }
    }
}

/// The stereo image meter (stereo only; it has no latency and no output).
#[derive(Debug, Clone)]
pub struct StereoImageMeter {
    /// Sample rate, Hz (set by `new`, `set_sample_rate`).
    sample_rate_hz: f64,
    /// The HF high-pass (1 section).
    highpass: Section,
    /// The rate has a band above [`HF_SPLIT_HZ`] (at least 2.2 × [`HF_SPLIT_HZ`]; below, the
    /// HF level reads −∞).
    has_hf: bool,
    /// The LF decimator.
    cic: Cic,
    /// The LF low-pass and sums.
    low: LowBand,
    /// Frames of the current grid interval so far (the interval is measured whole, so the
    /// result does not depend on block sizes).
    grid_pos: usize,
    /// Left samples of the current interval.
    buffer_left: [f32; GRID_FRAMES],
    /// Right samples of the current interval.
    buffer_right: [f32; GRID_FRAMES],
    /// Ballistic means: full band.
    mean_full: Moments,
    /// Ballistic means: LF.
    mean_lf: Moments,
    /// Ballistic mean of the HF power (L and R averaged).
    mean_hf: f64,
    /// Ballistics coefficient per grid interval.
    coef: f64,
    /// Statistics counters.
    tally: Tally,
    /// Gates and warning thresholds.
    thresholds: Thresholds,
}

impl StereoImageMeter {
    /// A meter at rest for `sample_rate_hz` (any block length; it owns no buffers).
    pub fn new(sample_rate_hz: f64) -> Self {
        let mut meter = Self {
            sample_rate_hz: 0.0,
            highpass: Section::default(),
            has_hf: false,
            cic: Cic {
                factor: 1,
                carry: F64x2::splat(0.0),
            },
            low: LowBand {
                lowpass: [Section::default(); 2],
                sums: Moments::default(),
            },
            grid_pos: 0,
            buffer_left: [0.0; GRID_FRAMES],
            buffer_right: [0.0; GRID_FRAMES],
            mean_full: Moments::default(),
            mean_lf: Moments::default(),
            mean_hf: 0.0,
            coef: 1.0,
            tally: Tally::default(),
            thresholds: Thresholds::new(),
        };
        meter.set_sample_rate(sample_rate_hz);
        meter
    }

    /// Redesigns the filters for `sample_rate_hz` and clears everything.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        let fs = crate::rate::clamp_hz(sample_rate_hz);
        self.sample_rate_hz = fs;
        self.has_hf = fs >= 2.2 * HF_SPLIT_HZ;
        let hp =
            Coefficients::butterworth_highpass(HF_SPLIT_HZ, std::f64::consts::FRAC_1_SQRT_2, fs);
        self.highpass = Section::new(hp);
        self.cic.factor = decimation(fs);
        let lp = lr4_lowpass_section(LF_SPLIT_HZ, fs / self.cic.factor as f64);
        self.low.lowpass = [Section::new(lp), Section::new(lp)];
        let tau_frames = BALLISTICS_MS * 1e-3 * fs;
        self.coef = 1.0 - (-(GRID_FRAMES as f64) / tau_frames).exp();
        self.reset();
    }

    /// Clears the readings, the statistics and the filter state (never allocates).
    pub fn reset(&mut self) {
        self.highpass.reset();
        self.cic.reset();
        self.low.lowpass.iter_mut().for_each(Section::reset);
        self.low.sums = Moments::default();
        self.grid_pos = 0;
        self.mean_full = Moments::default();
        self.mean_lf = Moments::default();
        self.mean_hf = 0.0;
        self.tally = Tally {
            active: (0, 0.0, f64::INFINITY),
            lf_active: (0, f64::INFINITY, 0.0),
            ..Tally::default()
        };
    }

    /// The meter's latency (none: it only reads).
    pub fn latency_samples(&self) -> usize {
        0
    }

    /// The LF decimation factor in use.
    pub fn decimation(&self) -> usize {
        self.cic.factor
    }

    /// Measures one stereo block (`left` and `right` of equal length; the longer one's tail
    /// is ignored). Never allocates.
    pub fn process_block(&mut self, left: &[f32], right: &[f32]) {
        let num_frames = left.len().min(right.len());
        let mut start = 0;
        while start < num_frames {
            let len = (GRID_FRAMES - self.grid_pos).min(num_frames - start);
            let slot = self.grid_pos..self.grid_pos + len;
            self.buffer_left[slot.clone()].copy_from_slice(&left[start..start + len]);
            self.buffer_right[slot].copy_from_slice(&right[start..start + len]);
            self.grid_pos += len;
            start += len;
            if self.grid_pos == GRID_FRAMES {
                self.grid_pos = 0;
                self.measure_interval();
            }
        }
    }

    /// Measures the buffered grid interval and ends it.
    fn measure_interval(&mut self) {
        let (left, right) = (&mut self.buffer_left, &mut self.buffer_right);
        if !(all_finite(left) && all_finite(right)) {
            for x in left.iter_mut().chain(right.iter_mut()) {
                if !x.is_finite() {
                    *x = 0.0;
                }
            }
        }
        // One pass: the full-band sums, the HF high-pass and its energy, and the CIC's two
        // running sums.
        self.highpass.flush();
        let mut highpass = self.highpass.registers();
        let mut squares = F64x2::splat(0.0);
        let mut cross = F64x2::splat(0.0);
        let mut hf_squares = F64x2::splat(0.0);
        let d = self.cic.factor;
        let norm = F64x2::splat(1.0 / (d * d) as f64);
        let factor = F64x2::splat(d as f64);
        let mut lowpass = self.low.lowpass.each_ref().map(Section::registers);
        let mut lf_squares = F64x2::splat(0.0);
        let mut lf_cross = 0.0;
        for (frame_l, frame_r) in left.chunks_exact(d).zip(right.chunks_exact(d)) {
            let mut sum = F64x2::splat(0.0);
            let mut sum_of_sums = F64x2::splat(0.0);
            for (&l, &r) in frame_l.iter().zip(frame_r) {
                let x = F64x2::from_f32(l, r);
                squares = squares + x * x;
                cross = cross + x * x.swapped();
                let high = highpass.step(x);
                hf_squares = hf_squares + high * high;
                sum = sum + x;
                sum_of_sums = sum_of_sums + sum;
            }
            let decimated = self.cic.carry + sum_of_sums * norm;
            self.cic.carry = (factor * sum - sum_of_sums) * norm;
            let half = lowpass[0].step(decimated);
            let low = lowpass[1].step(half);
            lf_squares = lf_squares + low * low;
            let [low_l, low_r] = low.to_array();
            lf_cross += low_l * low_r;
        }
        self.highpass.store(&highpass);
        for (section, registers) in self.low.lowpass.iter_mut().zip(&lowpass) {
            section.store(registers);
        }
        let [lf_ll, lf_rr] = lf_squares.to_array();
        self.low.sums = Moments {
            ll: lf_ll,
            rr: lf_rr,
            lr: lf_cross,
        };
        let [ll, rr] = squares.to_array();
        let [lr, _] = cross.to_array();
        let full = Moments { ll, rr, lr };
        let [hl, hr] = hf_squares.to_array();
        self.end_interval(full, 0.5 * (hl + hr) / GRID_FRAMES as f64);
    }

    /// End of a grid interval with its full-band sums and HF power: ballistics, statistics,
    /// sums cleared, LF state flushed.
    fn end_interval(&mut self, full: Moments, hf_power: f64) {
        let lf_count = (GRID_FRAMES / self.cic.factor) as f64;
        self.mean_full.follow(&full, GRID_FRAMES as f64, self.coef);
        self.mean_lf.follow(&self.low.sums, lf_count, self.coef);
        self.mean_hf += self.coef * (hf_power - self.mean_hf);
        let t = &mut self.tally;
        t.full.accumulate(&full);
        t.lf.accumulate(&self.low.sums);
        self.low.sums = Moments::default();
        self.low.lowpass.iter_mut().for_each(Section::flush);
        for m in [&mut self.mean_full, &mut self.mean_lf] {
            for v in [&mut m.ll, &mut m.rr, &mut m.lr] {
                if v.abs() < 1e-30 {
                    *v = 0.0; // no subnormals on long silences
                }
            }
        }
        if self.mean_hf < 1e-30 {
            self.mean_hf = 0.0;
        }

        // Statistics in the power domain (no logarithms per interval).
        let interval = self.tally.num_intervals;
        let (lf_antiphase, hf_stress) = self.warnings();
        let t = &mut self.tally;
        t.num_intervals += 1;
        if self.mean_full.power() >= self.thresholds.active_power {
            let c = self.mean_full.correlation();
            t.active = (t.active.0 + 1, t.active.1 + c, t.active.2.min(c));
        }
        if self.mean_lf.power() >= self.thresholds.lf_power {
            let c = self.mean_lf.correlation();
            let (mid, side) = self.mean_lf.mid_side();
            t.lf_active = (
                t.lf_active.0 + 1,
                t.lf_active.1.min(c),
                t.lf_active.2.max(side / mid),
            );
            t.lf_negative += u64::from(c < 0.0);
        }
        for (warned, holds) in [
            (&mut t.lf_warned, lf_antiphase),
            (&mut t.hf_warned, hf_stress),
        ] {
            if holds {
                warned.0 += 1;
                warned.1.get_or_insert(interval);
            }
        }
        t.max_hf_power = t.max_hf_power.max(self.mean_hf);
    }

    /// Whether the LF anti-phase and the HF stress warnings hold now (power domain).
    fn warnings(&self) -> (bool, bool) {
        let (mid, side) = self.mean_lf.mid_side();
        let t = &self.thresholds;
        let lf_antiphase = self.mean_lf.power() >= t.lf_power && side > mid * t.lf_warn_ratio;
        let hf_stress = self.has_hf && self.mean_hf > t.hf_warn_power;
        (lf_antiphase, hf_stress)
    }

    /// The live readings.
    pub fn readings(&self) -> StereoImageReadings {
        let hf_level_dbfs = if self.has_hf {
            power_db(self.mean_hf)
        } else {
            f64::NEG_INFINITY
        };
        let (lf_antiphase, hf_stress) = self.warnings();
        StereoImageReadings {
            correlation: self.mean_full.correlation() as f32,
            lf_correlation: self.mean_lf.correlation() as f32,
            lf_side_to_mid_db: self.mean_lf.side_to_mid_db() as f32,
            hf_level_dbfs: hf_level_dbfs as f32,
            lf_antiphase,
            hf_stress,
        }
    }

    /// The whole-programme statistics since the last `reset` (complete grid intervals).
    pub fn statistics(&self) -> StereoImageStatistics {
        let t = &self.tally;
        let interval_s = GRID_FRAMES as f64 / self.sample_rate_hz;
        let seconds = |n: u64| n as f64 * interval_s;
        let counted = |n: u64, v: f64| (n > 0).then_some(v);
        let lf_defined = t.lf.power() > 0.0;
        StereoImageStatistics {
            duration_s: seconds(t.num_intervals),
            correlation: (t.full.ll * t.full.rr > 0.0).then(|| t.full.correlation()),
            mean_correlation: counted(t.active.0, t.active.1 / t.active.0.max(1) as f64),
            min_correlation: counted(t.active.0, t.active.2),
            lf_correlation: (t.lf.ll * t.lf.rr > 0.0).then(|| t.lf.correlation()),
            min_lf_correlation: counted(t.lf_active.0, t.lf_active.1),
            lf_side_to_mid_db: lf_defined.then(|| t.lf.side_to_mid_db()),
            max_lf_side_to_mid_db: counted(t.lf_active.0, ratio_db(t.lf_active.2)),
            lf_negative_share: counted(
                t.lf_active.0,
                t.lf_negative as f64 / t.lf_active.0.max(1) as f64,
            ),
            lf_antiphase_s: seconds(t.lf_warned.0),
            first_lf_antiphase_s: t.lf_warned.1.map(seconds),
            max_hf_level_dbfs: (self.has_hf && t.max_hf_power > 0.0)
                .then(|| power_db(t.max_hf_power)),
            hf_stress_s: seconds(t.hf_warned.0),
            first_hf_stress_s: t.hf_warned.1.map(seconds),
        }
    }
}

/// The LF decimation factor at `sample_rate_hz`: the largest power of two keeping the
/// decimated rate at or above 5 kHz (at most [`MAX_DECIMATION`]).
fn decimation(sample_rate_hz: f64) -> usize {
    let mut factor = 1;
    while factor < MAX_DECIMATION && sample_rate_hz / (2 * factor) as f64 >= MIN_DECIMATED_RATE_HZ {
        factor *= 2;
    }
    factor
}
