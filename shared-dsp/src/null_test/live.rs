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
//!    candidate`; whole-song residual energy and peak, reference and candidate energies; per
//!    10 ms frame a live ring (last [`LIVE_WINDOW_MS`]: RMS and held peak).
//! 3. **Diagnosis** on a rolling window: the aligned reference and candidate fill windows of
//!    [`ANALYSIS_WINDOW_MS`] that are handed, without a lock or an allocation, to an analysis
//!    thread (`worker.rs`, started with the analyzer) running [`super::analyze_sum`]: the same
//!    model-based analysis as the offline null test, read for a sum (one stem offset, inverted
//!    (or one channel of it), gained, resampled, filtered, missing, not in the mix; the whole
//!    sum gained or inverted; dynamics or an EQ on the reference's mix bus). The cause shown
//!    is that of the failing window with the most residual since the lock (or reset).
//!
//! Lifecycle note: the analyzer reads two inputs and changes no audio, so `process_block`
//! takes `reference` and `candidate` as read-only channel lists, `latency_samples()` is 0,
//! and no per-block scratch depends on the block size (no `max_block`). Buffer sizes
//! depend on the sample rate, so a rate change means constructing a new analyzer in the
//! plugin's `initialize()` (which also starts its analysis thread; dropping it joins it).
//!
//! Memory and the one-time costs (48 kHz, ±1 s, 2 s minimum window): the lock capture and
//! its partition spectra take about 7 MB of `f64` (24 reference blocks and 48 candidate
//! block pairs of 4096 samples, 8192-point FFTs); the analysis windows (three, triple
//! buffered) 3 × 2 × 2 × 192 000 `f32` = 9.2 MB; both scale with the sample rate (windows
//! capped at [`MAX_ANALYSIS_FRAMES`]). No block does more than a bounded share of the
//! lock search: a unit (one 8192-point FFT or 8 spectrum products) every
//! [`SEARCH_WORK_INTERVAL_SAMPLES`] frames, 168 units at 48 kHz (0.45 s after the capture),
//! measured by `benches/null_test.rs` (`lock_stage_total`).

mod lock;
mod worker;

use std::fmt;

use super::{Cause, LagPeak, NullSettings, Processing, Verdict};
use crate::db::gain_to_db_f64;
use crate::delay::DelayLine;
use lock::LockSearch;
pub use worker::DiagnosisCell;
use worker::{AnalysisWorker, WindowFeeder};

/// Length of the statistics frames (live ring and level bins), in milliseconds.
pub const FRAME_MS: f64 = 10.0;
/// Span of the live residual RMS and of its peak hold, in milliseconds.
pub const LIVE_WINDOW_MS: f64 = 1000.0;
/// Number of frames in the live ring (`LIVE_WINDOW_MS / FRAME_MS`).
const NUM_LIVE_FRAMES: usize = (LIVE_WINDOW_MS / FRAME_MS) as usize;
/// Length of the rolling analysis window, in milliseconds.
pub const ANALYSIS_WINDOW_MS: f64 = 4000.0;
/// Most frames in an analysis window (bounds the memory at very high sample rates).
pub const MAX_ANALYSIS_FRAMES: usize = 1 << 19;
/// Frames between two work units of the lock search after its capture (a unit is one
/// 8192-point FFT or 8 spectrum products of 4097 bins, about 30–60 µs).
pub const SEARCH_WORK_INTERVAL_SAMPLES: usize = 128;
/// Normalised correlation below which a lock search is discarded and captured again.
pub const MIN_LOCK_CORRELATION: f64 = 0.01;

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
    /// How sure, 0..=1: an offset the share of the residual's spectra the offset model
    /// explains; mix-bus dynamics the offline analysis's confidence; material not in the mix
    /// how far the residual's coherence with the reference stays under the threshold;
    /// otherwise that coherence (the share of the residual the reference explains linearly).
    pub confidence: f64,
    /// The one channel concerned (0 = left) when only one channel is affected.
    pub channel: Option<usize>,
    /// For [`Cause::Resampled`]: where the part's response falls 3 dB, Hz.
    pub corner_hz: Option<f64>,
    /// For [`Cause::MasterProcessing`] and a stem's filtering: which kind of processing.
    pub processing: Option<Processing>,
    /// For filtering: the largest deviation from flat, dB (positive = boost).
    pub deviation_db: Option<f64>,
}

impl LiveDiagnosis {
    /// A diagnosis without details (confidence clamped to 0..=1).
    pub fn plain(cause: Cause, subject: LiveSubject, confidence: f64) -> Self {
        Self {
            cause,
            subject,
            confidence: confidence.clamp(0.0, 1.0),
            channel: None,
            corner_hz: None,
            processing: None,
            deviation_db: None,
        }
    }
}

impl fmt::Display for LiveDiagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subject = match self.subject {
            LiveSubject::OneStem => "one stem",
            LiveSubject::WholeSum => "the whole sum",
            LiveSubject::Reference => "the reference",
        };
        write!(f, "{subject}: {}", self.cause)?;
        if let Some(channel) = self.channel {
            write!(f, ", channel {}", channel + 1)?;
        }
        if let Some(corner_hz) = self.corner_hz {
            write!(f, ", corner {corner_hz:.0} Hz")?;
        }
        match self.processing {
            Some(Processing::Dynamics) => write!(f, ", dynamics")?,
            Some(Processing::Equalizer) => write!(f, ", EQ")?,
            None => {}
        }
        if let Some(db) = self.deviation_db {
            write!(f, " up to {db:+.1} dB")?;
        }
        write!(f, " (confidence {:.2})", self.confidence)
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
    /// Likely cause when the verdict is not PASS and a failing analysis window has been
    /// analysed (by the analysis thread, shortly after the window fills).
    pub diagnosis: Option<LiveDiagnosis>,
}

/// Most channels compared (the sums are kept per channel, see [`Totals`]).
pub const MAX_CHANNELS: usize = 8;
/// Frames compared per chunk (the aligned chunk is held in scratch allocated in `new`).
const CHUNK_FRAMES: usize = 256;

/// Whole-song accumulators since lock, per channel: each channel's sums are added sample by
/// sample in order, however the host cuts its blocks, so the readings do not depend on them.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    /// Σ e² per channel.
    residual: [f64; MAX_CHANNELS],
    /// Σ x² per channel.
    reference: [f64; MAX_CHANNELS],
    /// Σ c² (aligned candidate) per channel.
    candidate: [f64; MAX_CHANNELS],
    /// max |e|.
    residual_peak: f64,
    /// Compared sample frames.
    num_frames: u64,
}

impl Totals {
    /// Σ e² over every channel.
    fn residual_energy(&self) -> f64 {
        self.residual.iter().sum()
    }

    /// Σ x² over every channel.
    fn reference_energy(&self) -> f64 {
        self.reference.iter().sum()
    }

    /// Σ c² over every channel.
    fn candidate_energy(&self) -> f64 {
        self.candidate.iter().sum()
    }
}

/// The current 10 ms frame's partial sums.
#[derive(Debug, Clone, Copy, Default)]
struct Frame {
    /// Σ e² so far, per channel.
    residual: [f64; MAX_CHANNELS],
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
    /// The aligned reference of the chunk being compared, `CHUNK_FRAMES` per channel.
    aligned_reference: Vec<f32>,
    /// The aligned candidate of the chunk being compared, `CHUNK_FRAMES` per channel.
    aligned_candidate: Vec<f32>,
    /// Fills the analysis windows (`None` when no analysis thread could be started).
    feeder: Option<WindowFeeder>,
    /// Counts resets and new locks: an analysis of an older window is not shown.
    generation: u32,
    /// The analysis thread (declared last: dropped, so joined, after the feeder).
    worker: AnalysisWorker,
}

impl LiveNullTest {
    /// Allocates every buffer for `num_channels` (at most [`MAX_CHANNELS`] are compared) at
    /// `sample_rate_hz` and starts the analysis thread (not for the audio thread: call from
    /// initialisation).
    pub fn new(sample_rate_hz: f64, num_channels: usize, settings: LiveNullSettings) -> Self {
        let ms = |v: f64| (v * sample_rate_hz / 1000.0).round() as usize;
        let max_lag = ms(settings.max_offset_ms);
        let lock_search = LockSearch::new(max_lag, ms(settings.min_window_ms));
        let window_frames = ms(ANALYSIS_WINDOW_MS).clamp(1024, MAX_ANALYSIS_FRAMES);
        let num_channels = num_channels.min(MAX_CHANNELS);
        let (worker, feeder) = AnalysisWorker::start(
            num_channels,
            window_frames,
            sample_rate_hz,
            NullSettings {
                pass_dbfs: settings.pass_dbfs,
                fail_dbfs: settings.fail_dbfs,
                sum_tolerance_db: settings.sum_tolerance_db,
                ..NullSettings::default()
            },
        );
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
            aligned_reference: vec![0.0; num_channels.min(MAX_CHANNELS) * CHUNK_FRAMES],
            aligned_candidate: vec![0.0; num_channels.min(MAX_CHANNELS) * CHUNK_FRAMES],
            feeder,
            generation: 0,
            worker,
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

    /// Clears everything accumulated since lock (and the shown cause).
    fn clear_statistics(&mut self) {
        self.totals = Totals::default();
        self.frame = Frame::default();
        self.live_energy = [0.0; NUM_LIVE_FRAMES];
        self.live_peak = [0.0; NUM_LIVE_FRAMES];
        self.live_pos = 0;
        self.live_filled = 0;
        self.generation = self.generation.wrapping_add(1);
        if let Some(feeder) = &mut self.feeder {
            feeder.restart();
        }
    }

    /// Waits (up to `timeout`) until the analysis thread has analysed the last window handed
    /// over; true when it has. For offline use and tests, never on the audio thread. (Fed
    /// faster than real time without waiting, the thread takes the newest window handed over
    /// and may skip one; in real time a window lasts 4 s and its analysis about 33 ms.)
    pub fn wait_for_analysis(&self, timeout: std::time::Duration) -> bool {
        let Some(feeder) = &self.feeder else {
            return true;
        };
        let deadline = std::time::Instant::now() + timeout;
        while self.worker.cell.analysed() != feeder.handed() {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        true
    }

    /// The analyzer adds no latency (it changes no audio).
    pub fn latency_samples(&self) -> usize {
        0
    }

    /// Feeds one block of both signals (the channel count given to `new`; extra channels
    /// are ignored; the shortest channel sets the frame count). Never allocates or blocks; the
    /// lock search runs in work units spread over the blocks after its capture.
    pub fn process_block(&mut self, reference: &[&[f32]], candidate: &[&[f32]]) {
        let num_frames = super::sum::common_len(reference, candidate);
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

    /// Compares frames `range` of the block (after lock), chunk by chunk: the delay lines align
    /// a chunk as block copies, then each channel's sums run over it.
    fn accumulate(
        &mut self,
        reference: &[&[f32]],
        candidate: &[&[f32]],
        range: std::ops::Range<usize>,
    ) {
        let num_channels = self.num_channels.min(reference.len()).min(candidate.len());
        let mut start = range.start;
        while start < range.end {
            let len = (range.end - start).min(CHUNK_FRAMES);
            self.align_chunk(reference, candidate, num_channels, start..start + len);
            let settling = self.settle_samples.min(len);
            self.settle_samples -= settling;
            let mut k = settling;
            while k < len {
                let m = (len - k).min(self.frame_samples - self.frame.num_frames);
                self.compare(num_channels, k..k + m);
                self.totals.num_frames += m as u64;
                self.frame.num_frames += m;
                if self.frame.num_frames == self.frame_samples {
                    self.end_frame();
                }
                k += m;
            }
            start += len;
        }
    }

    /// Copies frames `range` of both inputs (non-finite samples as 0) into the chunk scratch
    /// and delays them into alignment.
    fn align_chunk(
        &mut self,
        reference: &[&[f32]],
        candidate: &[&[f32]],
        num_channels: usize,
        range: std::ops::Range<usize>,
    ) {
        let len = range.len();
        for (delay, inputs, scratch) in [
            (
                &mut self.reference_delay,
                reference,
                &mut self.aligned_reference,
            ),
            (
                &mut self.candidate_delay,
                candidate,
                &mut self.aligned_candidate,
            ),
        ] {
            let mut parts: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for ((part, chunk), input) in parts
                .iter_mut()
                .zip(scratch.chunks_mut(CHUNK_FRAMES))
                .zip(inputs)
                .take(num_channels)
            {
                for (y, &x) in chunk.iter_mut().zip(&input[range.clone()]) {
                    *y = finite(x);
                }
                *part = &mut chunk[..len];
            }
            delay.process_block(&mut parts[..num_channels]);
        }
    }

    /// Adds frames `range` of the aligned chunk to the sums and to the analysis window.
    fn compare(&mut self, num_channels: usize, range: std::ops::Range<usize>) {
        let (mut xs, mut cs): ([&[f32]; MAX_CHANNELS], [&[f32]; MAX_CHANNELS]) = Default::default();
        for ch in 0..num_channels {
            let offset = ch * CHUNK_FRAMES;
            let (x, c) = (
                &self.aligned_reference[offset + range.start..offset + range.end],
                &self.aligned_candidate[offset + range.start..offset + range.end],
            );
            let (t, f) = (&mut self.totals, &mut self.frame);
            let (mut residual, mut reference, mut candidate) =
                (t.residual[ch], t.reference[ch], t.candidate[ch]);
            let (mut frame_residual, mut peak) = (f.residual[ch], f.residual_peak);
            for (&x, &c) in x.iter().zip(c) {
                let (x, c) = (x as f64, c as f64);
                let e = x - c;
                residual += e * e;
                reference += x * x;
                candidate += c * c;
                frame_residual += e * e;
                peak = peak.max(e.abs());
            }
            (t.residual[ch], t.reference[ch], t.candidate[ch]) = (residual, reference, candidate);
            (f.residual[ch], f.residual_peak) = (frame_residual, peak);
            (xs[ch], cs[ch]) = (x, c);
        }
        if let Some(feeder) = &mut self.feeder {
            feeder.extend(&xs[..num_channels], &cs[..num_channels], self.generation);
        }
    }

    /// Closes a statistics frame: live ring and peak.
    fn end_frame(&mut self) {
        let f = self.frame;
        self.totals.residual_peak = self.totals.residual_peak.max(f.residual_peak);
        self.live_energy[self.live_pos] = f.residual.iter().sum();
        self.live_peak[self.live_pos] = f.residual_peak;
        self.live_pos = (self.live_pos + 1) % NUM_LIVE_FRAMES;
        self.live_filled = (self.live_filled + 1).min(NUM_LIVE_FRAMES);
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
        let (residual_energy, reference_energy, candidate_energy) = (
            t.residual_energy(),
            t.reference_energy(),
            t.candidate_energy(),
        );
        let sum_level_diff_db = if reference_energy > 0.0 || candidate_energy > 0.0 {
            10.0 * (candidate_energy.max(1e-30) / reference_energy.max(1e-30)).log10()
        } else {
            0.0
        };
        LiveNullReadings {
            locked: self.lock.is_some(),
            offset_samples: self.lock.map_or(0, |(o, _)| o),
            lock_correlation: self.lock.map_or(0.0, |(_, c)| c),
            num_compared_frames: t.num_frames,
            residual_rms_dbfs: gain_to_db_f64((residual_energy / values).sqrt()),
            residual_peak_dbfs,
            residual_rms_rel_db: gain_to_db_f64(
                (residual_energy / reference_energy.max(1e-30)).sqrt(),
            ),
            live_residual_rms_dbfs: gain_to_db_f64((live_energy / live_values).sqrt()),
            live_residual_peak_dbfs: gain_to_db_f64(live_peak),
            sum_level_diff_db,
            sum_within_tolerance: t.num_frames > 0
                && sum_level_diff_db.abs() <= self.settings.sum_tolerance_db,
            verdict,
            diagnosis: match verdict {
                Some(Verdict::Warn | Verdict::Fail) => self.worker.cell.load(self.generation),
                _ => None,
            },
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
