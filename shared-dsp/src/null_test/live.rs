//! Streaming null test for the Master Bus: the approved stereo mix arrives on the reference
//! (sidechain) input, the **sum** of the stems on the main input. Only the sum is available,
//! so everything below works from `reference` and `candidate` alone.
//!
//! 1. **Lock.** From the first non-silent frame, a fixed window of both inputs (mono, first
//!    difference) is captured and the offset within `±max_offset_ms` is searched once by
//!    cross-correlation (largest |r|, ties to the smallest lag, as the offline
//!    [`super::CrossCorrelator`]), computed as a uniformly partitioned correlation in small
//!    work units spread over the following blocks (`lock.rs`). The offset is compensated
//!    with [`DelayLine`]s (a DAW's reference track may sit anywhere); the polarity is
//!    **not**: a whole-sum polarity flip fails and is diagnosed as inverted. A window
//!    without a usable correlation (silence, unrelated inputs) is captured again.
//! 2. **Accumulation** (every sample after lock): residual `e = reference − aligned
//!    candidate`; whole-song residual energy and peak, reference and candidate energies,
//!    `Σ e·x`, the residual through a 4th-order high-pass at fs/4; per 10 ms frame a live
//!    ring (last [`LIVE_WINDOW_MS`]: RMS and held peak) and level bins of the reference frame
//!    level ([`diagnosis::LevelBins`]).
//! 3. **Diagnosis window.** Once the residual peak exceeds `pass_dbfs`, one window of mono
//!    reference and residual is captured and reduced once to Welch-averaged spectra (the
//!    residual's power `See` and its cross-spectrum with the reference `Sex`), then fitted
//!    with a stem offset and with a level error, in work units spread over the following
//!    blocks, see [`diagnosis::TransferWindow`].
//! 4. **Likely cause** (at read time, from the accumulators), first match wins:
//!    - **Resampled**: more than 90 % of the residual energy above fs/4.
//!    - **Offset** (one stem late/early by `d`): per frequency the residual is the stem times
//!      `B = 1 − e^{−jωd}` (phase `π/2 − ωd/2`), where a level or polarity error gives a
//!      real constant `B = 1 − g`; the offset model `See = B(d)·conj(Sex)` explains at least
//!      [`OFFSET_MIN_FIT`] of the coherence-weighted `Σ See²` and more than the level model
//!      does. This works per frequency bin, so tonal stems (bass, a vocal) are named with
//!      their lag as broadband ones are, as long as their partials do not all sit where `ωd`
//!      is a multiple of `2π`. A periodic residual's offset is known only up to its period
//!      (on the tests: a 220 Hz vocal 480 samples late is named 262, one period less; drums
//!      480 late, where the lock follows the drums and the residual is the tonal rest early by
//!      480, are named 393, one 55 Hz bass period off). From the sum alone "this
//!      stem is late by `d`" and "the other stems are early by `d`" are the same residual:
//!      the lock follows the part that dominates the correlation and `d` is relative to it.
//!    - **Whole sum** gained or inverted: the residual is the reference scaled
//!      (|normalised `Σ e·x`| > [`WHOLE_SUM_MIN_CORRELATION`]); the sum's gain is
//!      `a = 1 − Σe·x / Σx²`.
//!    - **MasterProcessing**: the reference is quieter than the sum in its loudest 10 % of
//!      frames (`Σ e·x < 0` there) and either the residual's energy share in those frames is
//!      more than [`LEVEL_DEPENDENCE_RATIO`]× the reference's share (clipper, fast limiter),
//!      or a per-frame gain of the reference explains more than [`FRAME_GAIN_MIN_SHARE`] of
//!      the residual energy (limiter/compressor riding the whole mix; one stem's level error
//!      explains only that stem's share of its frames: 0.67 for the drums here).
//!    - **One stem's level** (stems assumed mutually uncorrelated): with
//!      `ρ = Σ e·x / Σ e²` the stem's gain in the sum is `g = 1 − 1/ρ` (`e = (1 − g)·s`):
//!      `|g| <` [`MISSING_MAX_GAIN`] Missing, `g < 0` Inverted, otherwise Gained by
//!      `20·log10 g` dB; `|ρ| <` [`UNEXPLAINED_MAX_RHO`] (residual unrelated to the mix)
//!      Unexplained. The confidence is the level model's fit.
//!
//! Lifecycle note: the analyzer reads two inputs and changes no audio, so `process_block`
//! takes `reference` and `candidate` as read-only channel lists, `latency_samples()` is 0,
//! and no per-block scratch depends on the block size (no `max_block`). Buffer sizes
//! depend on the sample rate, so a rate change means constructing a new analyzer in the
//! plugin's `initialize()`.
//!
//! Memory and the one-time costs (48 kHz, ±1 s, 2 s minimum window): the lock capture and
//! its partition spectra take about 7 MB of `f64` (24 reference blocks and 48 candidate
//! block pairs of 4096 samples, 8192-point FFTs), the diagnosis window (2^17 points, 2.7 s)
//! about 2 MB; both scale with the sample rate. No block does more than a bounded share of
//! the one-time work: a lock unit (one 8192-point FFT or 8 spectrum products) every
//! [`SEARCH_WORK_INTERVAL_SAMPLES`] frames, 168 units at 48 kHz (0.45 s after the capture);
//! a diagnosis unit every [`DIAGNOSIS_WORK_INTERVAL_SAMPLES`] frames, 33 units (0.7 s). Totals are
//! measured by `benches/null_test.rs` (`lock_stage_total`, `diagnosis_stage_total`).

mod diagnosis;
mod lock;

use std::fmt;

use super::{Cause, LagPeak, Verdict};
use crate::db::gain_to_db_f64;
use crate::delay::DelayLine;
use diagnosis::{LevelBins, TopBandFilter, TransferWindow, WindowFindings};
use lock::LockSearch;

/// Length of the statistics frames (live ring and level bins), in milliseconds.
pub const FRAME_MS: f64 = 10.0;
/// Span of the live residual RMS and of its peak hold, in milliseconds.
pub const LIVE_WINDOW_MS: f64 = 1000.0;
/// Number of frames in the live ring (`LIVE_WINDOW_MS / FRAME_MS`).
const NUM_LIVE_FRAMES: usize = (LIVE_WINDOW_MS / FRAME_MS) as usize;
/// Minimum length of the diagnosis window, in milliseconds (rounded up to a power of two):
/// 31 Welch frames of 1/16 of it, enough averaging to fit a tonal stem's offset to the sample.
pub const DIAGNOSIS_WINDOW_MS: f64 = 2000.0;
/// Lags the diagnosis window examines either way, in milliseconds (largest stem offset named;
/// at most half a Welch frame, 85 ms at the window's 2^17 points at 48 kHz).
pub const DIAGNOSIS_MAX_LAG_MS: f64 = 50.0;
/// Frames between two work units of the lock search after its capture (a unit is one
/// 8192-point FFT or 8 spectrum products of 4097 bins, about 30–60 µs).
pub const SEARCH_WORK_INTERVAL_SAMPLES: usize = 128;
/// Frames between two work units of the diagnosis window's analysis (a unit is one Welch
/// frame, two 8192-point FFTs at 48 kHz; the fit, one inverse FFT; or the lag search with its
/// phase refinement: each well under 0.5 ms, so at most one per block up to 1024-frame blocks).
pub const DIAGNOSIS_WORK_INTERVAL_SAMPLES: usize = 256;
/// Normalised correlation below which a lock search is discarded and captured again.
pub const MIN_LOCK_CORRELATION: f64 = 0.01;
/// Share of residual energy above fs/4 that marks a resampled stem.
pub const RESAMPLED_HF_SHARE: f64 = 0.9;
/// Share of the residual's coherence-weighted `Σ See²` the offset model must explain (an
/// offset stem reaches 0.92–1.0 on the tests; a flipped tonal stem's best lag, half its period,
/// can come close, but the level model explains more of it; a missing stem's about 0.01).
pub const OFFSET_MIN_FIT: f64 = 0.5;
/// Ratio of the residual's to the reference's energy share in the loudest frames that marks
/// a clipper on the reference's mix bus (a louder stem in the loud frames, e.g. drums
/// +0.5 dB, reaches about 2).
pub const LEVEL_DEPENDENCE_RATIO: f64 = 3.0;
/// Share of the residual energy that a per-frame scaled copy of the reference explains,
/// above which the residual is a time-varying gain of the whole mix (limiter, compressor);
/// one stem's level error reaches only that stem's share of its frames.
pub const FRAME_GAIN_MIN_SHARE: f64 = 0.9;
/// Fraction of frames (the loudest) the level-dependence statistic looks at.
const LOUDEST_FRAMES_FRACTION: f64 = 0.1;
/// |Normalised correlation| of residual and reference above which the whole sum is scaled.
pub const WHOLE_SUM_MIN_CORRELATION: f64 = 0.99;
/// One stem's (or the sum's) gain below this magnitude means it is missing.
pub const MISSING_MAX_GAIN: f64 = 0.2;
/// |ρ| below this: the residual is not a stem of the mix (Unexplained).
pub const UNEXPLAINED_MAX_RHO: f64 = 0.2;

/// Settings of the live analyzer (set by the plugin at construction).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveNullSettings {
    /// Offset search range either way, in milliseconds (product spec: 1000).
    pub max_offset_ms: f64,
    /// Minimum analysis window of the offset search, in milliseconds (grows to fill the
    /// power-of-two FFT).
    pub min_window_ms: f64,
    /// Residual peak at or below this passes, in dBFS (spec: −60).
    pub pass_dbfs: f64,
    /// Residual peak above this fails, in dBFS (spec: −40).
    pub fail_dbfs: f64,
    /// The sum's RMS must be within this of the reference's, in dB (spec: 0.1).
    pub sum_tolerance_db: f64,
}

impl Default for LiveNullSettings {
    fn default() -> Self {
        Self {
            max_offset_ms: 1000.0,
            min_window_ms: 2000.0,
            pass_dbfs: -60.0,
            fail_dbfs: -40.0,
            sum_tolerance_db: 0.1,
        }
    }
}

/// What a live diagnosis is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveSubject {
    /// One stem inside the sum (which one cannot be known from the sum alone).
    OneStem,
    /// The whole sum.
    WholeSum,
    /// The reference mix itself (processing on its mix bus).
    Reference,
}

/// The likely cause of a failing null, with how sure the analyzer is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveDiagnosis {
    /// What is wrong (for [`LiveSubject::WholeSum`], `Gained` is the sum's gain).
    pub cause: Cause,
    /// What it is about.
    pub subject: LiveSubject,
    /// How sure, 0..=1: Resampled the top-band share; Offset the share of the residual's
    /// spectra the offset model explains; MasterProcessing `(share_e − share_x)/(1 − share_x)`
    /// in the loudest frames, or the share a per-frame gain explains if larger
    /// (limiter/compressor); whole sum the |normalised correlation|; one stem's level the share
    /// the level model explains.
    pub confidence: f64,
}

impl fmt::Display for LiveDiagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subject = match self.subject {
            LiveSubject::OneStem => "one stem",
            LiveSubject::WholeSum => "the whole sum",
            LiveSubject::Reference => "the reference",
        };
        write!(
            f,
            "{subject}: {} (confidence {:.2})",
            self.cause, self.confidence
        )
    }
}

/// What the GUI shows (a `Copy` snapshot, ready for the meter transport). Levels are dBFS
/// with full-scale DC/square = 0 dBFS, floored at −200; "since lock" figures cover every
/// compared sample of every channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveNullReadings {
    /// True once the offset search has locked.
    pub locked: bool,
    /// How late the candidate is relative to the reference, in samples (0 until locked).
    pub offset_samples: isize,
    /// Normalised correlation of the lock search (pre-emphasised mono), 0..=1, 0 until
    /// locked. The candidate's energy covers the ±`max_offset_ms` margins too, so an exact
    /// copy reads about 0.8 at the defaults; a low value (< 0.1) means a weak lock.
    pub lock_correlation: f64,
    /// Compared sample frames since lock.
    pub num_compared_frames: u64,
    /// Whole-song residual RMS since lock, in dBFS.
    pub residual_rms_dbfs: f64,
    /// Whole-song residual peak since lock, in dBFS.
    pub residual_peak_dbfs: f64,
    /// Whole-song residual RMS relative to the reference RMS since lock, in dB.
    pub residual_rms_rel_db: f64,
    /// Residual RMS over the last `LIVE_WINDOW_MS` (whole frames), in dBFS.
    pub live_residual_rms_dbfs: f64,
    /// Residual peak over the last `LIVE_WINDOW_MS` (a 1 s hold), in dBFS.
    pub live_residual_peak_dbfs: f64,
    /// RMS of the aligned sum minus RMS of the reference since lock, in dB.
    pub sum_level_diff_db: f64,
    /// `|sum_level_diff_db| ≤ sum_tolerance_db` (false until samples were compared).
    pub sum_within_tolerance: bool,
    /// Verdict from the whole-song residual peak, `None` until samples have been compared.
    pub verdict: Option<Verdict>,
    /// Likely cause when the verdict is not PASS and the diagnosis window has been analysed.
    pub diagnosis: Option<LiveDiagnosis>,
}

/// Whole-song accumulators since lock (legend in [`diagnosis`]).
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    /// Σ e².
    residual_energy: f64,
    /// Σ e² through the fs/4 high-pass.
    residual_top_energy: f64,
    /// Σ x².
    reference_energy: f64,
    /// Σ c² (aligned candidate).
    candidate_energy: f64,
    /// Σ e·x.
    cross_energy: f64,
    /// Σ over frames of (Σ e·x)² / Σ x²: residual energy a per-frame gain of the reference
    /// explains.
    frame_gain_energy: f64,
    /// max |e|.
    residual_peak: f64,
    /// Compared sample frames.
    num_frames: u64,
}

/// The current 10 ms frame's partial sums.
#[derive(Debug, Clone, Copy, Default)]
struct Frame {
    /// Σ e² so far.
    residual_energy: f64,
    /// Σ x² so far.
    reference_energy: f64,
    /// Σ e·x so far.
    cross_energy: f64,
    /// max |e| so far.
    residual_peak: f64,
    /// Sample frames so far.
    num_frames: usize,
}

/// Streaming null-test analyzer (allocates only in `new`).
pub struct LiveNullTest {
    /// Settings given to `new`.
    settings: LiveNullSettings,
    /// Channel count given to `new`.
    num_channels: usize,
    /// Length of a statistics frame in samples.
    frame_samples: usize,
    /// The offset search; its buffers hold the capture.
    lock_search: LockSearch,
    /// Frames since the capture completed (one search work unit every
    /// `SEARCH_WORK_INTERVAL_SAMPLES`).
    search_frames: usize,
    /// Last mono (reference, candidate) sample captured, for the first difference.
    capture_last: (f64, f64),
    /// Delays the reference when the candidate is late.
    reference_delay: DelayLine,
    /// Delays the candidate when it is early.
    candidate_delay: DelayLine,
    /// Offset in samples and the search's normalised correlation, once locked.
    lock: Option<(isize, f64)>,
    /// Samples to skip after locking while the delay lines fill.
    settle_samples: usize,
    /// Whole-song accumulators.
    totals: Totals,
    /// The frame being accumulated.
    frame: Frame,
    /// Residual energy of the last `NUM_LIVE_FRAMES` frames (ring).
    live_energy: [f64; NUM_LIVE_FRAMES],
    /// Residual peak of the last `NUM_LIVE_FRAMES` frames (ring).
    live_peak: [f64; NUM_LIVE_FRAMES],
    /// Next ring slot.
    live_pos: usize,
    /// Frames in the ring (up to `NUM_LIVE_FRAMES`).
    live_filled: usize,
    /// Frame energies by reference level.
    level_bins: LevelBins,
    /// fs/4 high-pass of the residual, one per channel pair.
    top_band: Vec<TopBandFilter>,
    /// The diagnosis window.
    transfer: TransferWindow,
    /// True while the diagnosis window is being filled and analysed.
    capturing_transfer: bool,
    /// Frames since the diagnosis window filled (one analysis work unit every
    /// `DIAGNOSIS_WORK_INTERVAL_SAMPLES`).
    transfer_frames: usize,
    /// The diagnosis window's result, once analysed.
    findings: Option<WindowFindings>,
}

impl LiveNullTest {
    /// Allocates every buffer for `num_channels` at `sample_rate_hz`.
    pub fn new(sample_rate_hz: f64, num_channels: usize, settings: LiveNullSettings) -> Self {
        let ms = |v: f64| (v * sample_rate_hz / 1000.0).round() as usize;
        let max_lag = ms(settings.max_offset_ms);
        let lock_search = LockSearch::new(max_lag, ms(settings.min_window_ms));
        let transfer_len = ms(DIAGNOSIS_WINDOW_MS).max(64).next_power_of_two();
        Self {
            settings,
            num_channels,
            frame_samples: ms(FRAME_MS).max(1),
            lock_search,
            search_frames: 0,
            capture_last: (0.0, 0.0),
            reference_delay: DelayLine::new(num_channels, max_lag),
            candidate_delay: DelayLine::new(num_channels, max_lag),
            lock: None,
            settle_samples: 0,
            totals: Totals::default(),
            frame: Frame::default(),
            live_energy: [0.0; NUM_LIVE_FRAMES],
            live_peak: [0.0; NUM_LIVE_FRAMES],
            live_pos: 0,
            live_filled: 0,
            level_bins: LevelBins::default(),
            top_band: vec![TopBandFilter::new(sample_rate_hz); num_channels.div_ceil(2)],
            transfer: TransferWindow::new(transfer_len, ms(DIAGNOSIS_MAX_LAG_MS)),
            capturing_transfer: false,
            transfer_frames: 0,
            findings: None,
        }
    }

    /// Starts over: capture, search and accumulate again (never allocates).
    pub fn reset(&mut self) {
        self.lock_search.reset();
        self.search_frames = 0;
        self.capture_last = (0.0, 0.0);
        self.lock = None;
        self.settle_samples = 0;
        self.reference_delay.set_delay_samples(0);
        self.candidate_delay.set_delay_samples(0);
        self.clear_statistics();
    }

    /// Clears everything accumulated since lock.
    fn clear_statistics(&mut self) {
        self.totals = Totals::default();
        self.frame = Frame::default();
        self.live_energy = [0.0; NUM_LIVE_FRAMES];
        self.live_peak = [0.0; NUM_LIVE_FRAMES];
        self.live_pos = 0;
        self.live_filled = 0;
        self.level_bins.reset();
        self.top_band.iter_mut().for_each(TopBandFilter::reset);
        self.transfer.reset();
        self.capturing_transfer = false;
        self.transfer_frames = 0;
        self.findings = None;
    }

    /// The analyzer adds no latency (it changes no audio).
    pub fn latency_samples(&self) -> usize {
        0
    }

    /// Feeds one block of both signals (the channel count given to `new`; extra channels
    /// are ignored; the shortest channel sets the frame count). Never allocates; the lock search and the
    /// diagnosis window each run once, inside the block that completes their capture.
    pub fn process_block(&mut self, reference: &[&[f32]], candidate: &[&[f32]]) {
        let num_frames = reference
            .iter()
            .chain(candidate)
            .map(|c| c.len())
            .min()
            .unwrap_or(0);
        let mut start = 0;
        if self.lock.is_none() {
            start = self.capture(reference, candidate, num_frames);
        }
        if self.lock.is_some() {
            self.accumulate(reference, candidate, start..num_frames);
        }
    }

    /// Captures frames for the lock search, then runs its work units one every
    /// `SEARCH_WORK_INTERVAL_SAMPLES` frames; returns the first frame not consumed.
    fn capture(&mut self, reference: &[&[f32]], candidate: &[&[f32]], num_frames: usize) -> usize {
        let num_channels = self.num_channels;
        let mono = |channels: &[&[f32]], n: usize| -> f64 {
            channels
                .iter()
                .take(num_channels)
                .map(|c| finite(c[n]) as f64)
                .sum()
        };
        // First difference of the mono signals (pre-emphasis, +6 dB/octave): music's broad
        // low-frequency autocorrelation would otherwise let a flipped or 1-sample-late
        // broadband stem pull the peak one sample off; the tilt brings the spectrum closer to
        // white so the peak is sharp. Both inputs get the same filter, so lags are unchanged.
        for n in 0..num_frames {
            if !self.lock_search.is_captured() {
                if self.lock_search.is_empty()
                    && reference.iter().chain(candidate).all(|c| c[n] == 0.0)
                {
                    continue;
                }
                let (x, c) = (mono(reference, n), mono(candidate, n));
                let (x_last, c_last) = self.capture_last;
                self.capture_last = (x, c);
                self.lock_search.push(x - x_last, c - c_last);
                continue;
            }
            self.search_frames += 1;
            if !self
                .search_frames
                .is_multiple_of(SEARCH_WORK_INTERVAL_SAMPLES)
            {
                continue;
            }
            if let Some(peak) = self.lock_search.step() {
                self.finish_search(peak);
                if self.lock.is_some() {
                    return n + 1;
                }
            }
        }
        num_frames
    }

    /// Locks on the search's peak, or starts a new capture when the window holds no usable
    /// correlation.
    fn finish_search(&mut self, peak: LagPeak) {
        self.lock_search.reset();
        self.search_frames = 0;
        self.capture_last = (0.0, 0.0);
        if peak.normalized.is_nan() || peak.normalized < MIN_LOCK_CORRELATION {
            return;
        }
        let offset = peak.lag_samples;
        self.reference_delay
            .set_delay_samples(offset.max(0) as usize);
        self.candidate_delay
            .set_delay_samples((-offset).max(0) as usize);
        self.settle_samples = offset.unsigned_abs();
        self.lock = Some((offset, peak.normalized));
        self.clear_statistics();
    }

    /// Compares frames `range` of the block (after lock).
    fn accumulate(
        &mut self,
        reference: &[&[f32]],
        candidate: &[&[f32]],
        range: std::ops::Range<usize>,
    ) {
        let pass_gain = crate::db::db_to_gain_f64(self.settings.pass_dbfs);
        // The running sums live in locals (registers) and go back at frame ends and at the
        // end of the block: same order of additions, so the same bits as summing in place.
        let (mut t, mut f) = (self.totals, self.frame);
        for n in range {
            let (mut reference_mono, mut residual_mono) = (0.0f64, 0.0f64);
            let settled = self.settle_samples == 0;
            let channels = reference.iter().zip(candidate).take(self.num_channels);
            for (ch, (r, c)) in channels.enumerate() {
                let x = self.reference_delay.tick(ch, finite(r[n])) as f64;
                let c = self.candidate_delay.tick(ch, finite(c[n])) as f64;
                if settled {
                    let e = x - c;
                    let top = self.top_band[ch / 2].process(ch % 2, e);
                    t.residual_energy += e * e;
                    t.residual_top_energy += top * top;
                    t.reference_energy += x * x;
                    t.candidate_energy += c * c;
                    t.cross_energy += e * x;
                    f.residual_energy += e * e;
                    f.reference_energy += x * x;
                    f.cross_energy += e * x;
                    f.residual_peak = f.residual_peak.max(e.abs());
                    reference_mono += x;
                    residual_mono += e;
                }
            }
            self.reference_delay.advance();
            self.candidate_delay.advance();
            if !settled {
                self.settle_samples -= 1;
                continue;
            }
            t.num_frames += 1;
            f.num_frames += 1;
            if f.num_frames == self.frame_samples {
                (self.totals, self.frame) = (t, f);
                self.end_frame();
                (t, f) = (self.totals, self.frame);
            }
            if self.findings.is_none() {
                if !self.capturing_transfer && t.residual_peak.max(f.residual_peak) > pass_gain {
                    self.capturing_transfer = true;
                }
                if self.capturing_transfer {
                    if !self.transfer.is_full() {
                        self.transfer.push(reference_mono, residual_mono);
                    } else {
                        self.transfer_frames += 1;
                        if self
                            .transfer_frames
                            .is_multiple_of(DIAGNOSIS_WORK_INTERVAL_SAMPLES)
                        {
                            self.findings = self.transfer.step();
                        }
                    }
                }
            }
        }
        (self.totals, self.frame) = (t, f);
    }

    /// Closes a statistics frame: live ring, level bins, peak, filter flush.
    fn end_frame(&mut self) {
        let f = self.frame;
        self.totals.residual_peak = self.totals.residual_peak.max(f.residual_peak);
        if f.reference_energy > 0.0 {
            self.totals.frame_gain_energy += f.cross_energy * f.cross_energy / f.reference_energy;
        }
        self.live_energy[self.live_pos] = f.residual_energy;
        self.live_peak[self.live_pos] = f.residual_peak;
        self.live_pos = (self.live_pos + 1) % NUM_LIVE_FRAMES;
        self.live_filled = (self.live_filled + 1).min(NUM_LIVE_FRAMES);
        let mean_square = f.reference_energy / (f.num_frames * self.num_channels.max(1)) as f64;
        self.level_bins.add(
            10.0 * mean_square.log10(),
            f.residual_energy,
            f.reference_energy,
            f.cross_energy,
        );
        self.top_band.iter_mut().for_each(TopBandFilter::flush);
        self.frame = Frame::default();
    }

    /// The current readings (cheap, never allocates; call once per block and publish).
    pub fn readings(&self) -> LiveNullReadings {
        let t = &self.totals;
        let values = (t.num_frames * self.num_channels.max(1) as u64).max(1) as f64;
        let residual_peak = t.residual_peak.max(self.frame.residual_peak);
        let residual_peak_dbfs = gain_to_db_f64(residual_peak);
        let verdict = (t.num_frames > 0).then(|| {
            Verdict::from_residual_peak_dbfs(
                residual_peak_dbfs,
                self.settings.pass_dbfs,
                self.settings.fail_dbfs,
            )
        });
        let live_values =
            (self.live_filled * self.frame_samples * self.num_channels.max(1)).max(1) as f64;
        let live_energy: f64 = self.live_energy.iter().sum();
        let live_peak = self
            .live_peak
            .iter()
            .fold(self.frame.residual_peak, |m, &p| m.max(p));
        let sum_level_diff_db = if t.reference_energy > 0.0 || t.candidate_energy > 0.0 {
            10.0 * (t.candidate_energy.max(1e-30) / t.reference_energy.max(1e-30)).log10()
        } else {
            0.0
        };
        LiveNullReadings {
            locked: self.lock.is_some(),
            offset_samples: self.lock.map_or(0, |(o, _)| o),
            lock_correlation: self.lock.map_or(0.0, |(_, c)| c),
            num_compared_frames: t.num_frames,
            residual_rms_dbfs: gain_to_db_f64((t.residual_energy / values).sqrt()),
            residual_peak_dbfs,
            residual_rms_rel_db: gain_to_db_f64(
                (t.residual_energy / t.reference_energy.max(1e-30)).sqrt(),
            ),
            live_residual_rms_dbfs: gain_to_db_f64((live_energy / live_values).sqrt()),
            live_residual_peak_dbfs: gain_to_db_f64(live_peak),
            sum_level_diff_db,
            sum_within_tolerance: t.num_frames > 0
                && sum_level_diff_db.abs() <= self.settings.sum_tolerance_db,
            verdict,
            diagnosis: match verdict {
                Some(Verdict::Warn | Verdict::Fail) => self.diagnosis(),
                _ => None,
            },
        }
    }

    /// The likely cause from the accumulators and the diagnosis window (`None` until the
    /// window has been analysed). See the module docs for the rules and their order.
    fn diagnosis(&self) -> Option<LiveDiagnosis> {
        let findings = self.findings?;
        let t = &self.totals;
        if t.residual_energy <= 0.0 {
            return None;
        }
        let diagnosis = |cause, subject, confidence: f64| LiveDiagnosis {
            cause,
            subject,
            confidence: confidence.clamp(0.0, 1.0),
        };
        let top_share = t.residual_top_energy / t.residual_energy;
        if top_share > RESAMPLED_HF_SHARE {
            return Some(diagnosis(Cause::Resampled, LiveSubject::OneStem, top_share));
        }
        if findings.offset_samples != 0
            && findings.offset_fit >= OFFSET_MIN_FIT
            && findings.offset_fit > findings.level_fit
        {
            return Some(diagnosis(
                Cause::Offset {
                    samples: findings.offset_samples,
                },
                LiveSubject::OneStem,
                findings.offset_fit,
            ));
        }
        let correlation =
            t.cross_energy / (t.residual_energy * t.reference_energy).sqrt().max(1e-300);
        if correlation.abs() > WHOLE_SUM_MIN_CORRELATION {
            // candidate = a·reference, e = (1 − a)·reference.
            let gain = 1.0 - t.cross_energy / t.reference_energy.max(1e-300);
            return Some(diagnosis(
                level_cause(gain),
                LiveSubject::WholeSum,
                correlation.abs(),
            ));
        }
        let frame_gain_share = t.frame_gain_energy / t.residual_energy;
        if let Some(loud) = self.level_bins.loudest(LOUDEST_FRAMES_FRACTION) {
            let level_dependent =
                loud.residual_share > LEVEL_DEPENDENCE_RATIO * loud.reference_share;
            let gain_riding = frame_gain_share > FRAME_GAIN_MIN_SHARE;
            if (level_dependent || gain_riding) && loud.cross_energy < 0.0 {
                let level_confidence = (loud.residual_share - loud.reference_share)
                    / (1.0 - loud.reference_share).max(1e-12);
                let confidence = if gain_riding {
                    level_confidence.max(frame_gain_share)
                } else {
                    level_confidence
                };
                return Some(diagnosis(
                    Cause::MasterProcessing,
                    LiveSubject::Reference,
                    confidence,
                ));
            }
        }
        let rho = t.cross_energy / t.residual_energy;
        if rho.abs() < UNEXPLAINED_MAX_RHO {
            return Some(diagnosis(
                Cause::Unexplained,
                LiveSubject::OneStem,
                1.0 - rho.abs() / UNEXPLAINED_MAX_RHO,
            ));
        }
        // e = (1 − g)·s  ⇒  Σ e·x = (1 − g)·Σ s², Σ e² = (1 − g)²·Σ s²  ⇒  g = 1 − 1/ρ.
        let gain = 1.0 - 1.0 / rho;
        Some(diagnosis(
            level_cause(gain),
            LiveSubject::OneStem,
            findings.level_fit,
        ))
    }
}

/// Missing, Inverted or Gained for a linear gain `gain` of a stem (or of the sum) in the
/// candidate relative to the reference.
fn level_cause(gain: f64) -> Cause {
    if gain.abs() < MISSING_MAX_GAIN {
        Cause::Missing
    } else if gain < 0.0 {
        Cause::Inverted
    } else {
        Cause::Gained {
            db: gain_to_db_f64(gain),
        }
    }
}

/// The sample, or 0 when it is NaN or infinite (one bad sample must not poison the song).
#[inline(always)]
fn finite(x: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}
