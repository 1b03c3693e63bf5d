//! The live null test's analysis thread: the audio thread fills windows of the aligned
//! reference and stem sum and hands each full one over through a triple buffer (no lock, no
//! allocation); this thread runs [`analyze_sum`] on it and publishes the likely cause through
//! a [`DiagnosisCell`] (atomics) that the audio thread and the GUI read.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use triple_buffer::{Input, Output, TripleBuffer};

use super::{LiveDiagnosis, LiveSubject};
use crate::null_test::{analyze_sum, Cause, NullSettings, Processing, Verdict};

/// One window of the aligned reference and stem sum.
#[derive(Debug, Clone)]
pub(super) struct SumWindow {
    /// Reference channels (each `capacity` long).
    pub reference: Vec<Vec<f32>>,
    /// Stem-sum channels (each `capacity` long).
    pub sum: Vec<Vec<f32>>,
    /// The analyzer's generation when the window was filled (a reset starts a new one).
    pub generation: u32,
    /// Windows handed over so far, this one included.
    pub sequence: u32,
}

impl SumWindow {
    /// A silent window of `num_channels` × `capacity` frames.
    fn new(num_channels: usize, capacity: usize) -> Self {
        Self {
            reference: vec![vec![0.0; capacity]; num_channels],
            sum: vec![vec![0.0; capacity]; num_channels],
            generation: 0,
            sequence: 0,
        }
    }
}

/// A [`LiveDiagnosis`] as atomics, for one writer and any readers that must not block (the
/// analysis thread and the audio thread; the audio thread and a GUI): a sequence lock, odd
/// while being written, tagged with a generation (the analyzer's resets; 0 elsewhere).
#[derive(Debug, Default)]
pub struct DiagnosisCell {
    /// Sequence counter, odd while a write is in progress.
    sequence: AtomicU32,
    /// Generation of the window analysed.
    generation: AtomicU32,
    /// 0 = none, else 1 + the cause's index in [`CAUSES`].
    cause: AtomicU8,
    /// Index into [`SUBJECTS`].
    subject: AtomicU8,
    /// 0 = every channel, else 1 + the channel.
    channel: AtomicU8,
    /// 0 = none, 1 = dynamics, 2 = equalizer.
    processing: AtomicU8,
    /// dB of `Gained`, samples of `Offset` (f64 bits).
    value: AtomicU64,
    /// Confidence (f64 bits).
    confidence: AtomicU64,
    /// Corner in Hz, NaN = none (f64 bits).
    corner_hz: AtomicU64,
    /// Deviation in dB, NaN = none (f64 bits).
    deviation_db: AtomicU64,
    /// Sequence number of the last window analysed.
    analysed: AtomicU32,
}

/// Subjects in code order.
const SUBJECTS: [LiveSubject; 3] = [
    LiveSubject::OneStem,
    LiveSubject::WholeSum,
    LiveSubject::Reference,
];

/// Causes without a value, in code order after `Gained` (1) and `Offset` (2).
const CAUSES: [Cause; 5] = [
    Cause::Inverted,
    Cause::Missing,
    Cause::Resampled,
    Cause::MasterProcessing,
    Cause::Unexplained,
];

impl DiagnosisCell {
    /// Stores `diagnosis` (or none) for `generation` (one writer at a time).
    pub fn store(&self, generation: u32, diagnosis: Option<LiveDiagnosis>) {
        let start = self.sequence.load(Ordering::Relaxed).wrapping_add(1);
        self.sequence.store(start, Ordering::Relaxed);
        std::sync::atomic::fence(Ordering::Release);
        self.generation.store(generation, Ordering::Relaxed);
        let (code, value) = match diagnosis.map(|d| d.cause) {
            None => (0, 0.0),
            Some(Cause::Gained { db }) => (1, db),
            Some(Cause::Offset { samples }) => (2, samples as f64),
            Some(c) => (
                3 + CAUSES.iter().position(|k| *k == c).unwrap_or(4) as u8,
                0.0,
            ),
        };
        self.cause.store(code, Ordering::Relaxed);
        self.value.store(value.to_bits(), Ordering::Relaxed);
        if let Some(d) = diagnosis {
            let subject = SUBJECTS.iter().position(|s| *s == d.subject).unwrap_or(0);
            self.subject.store(subject as u8, Ordering::Relaxed);
            self.channel
                .store(d.channel.map_or(0, |c| c as u8 + 1), Ordering::Relaxed);
            let processing = match d.processing {
                None => 0,
                Some(Processing::Dynamics) => 1,
                Some(Processing::Equalizer) => 2,
            };
            self.processing.store(processing, Ordering::Relaxed);
            let bits = |v: Option<f64>| v.unwrap_or(f64::NAN).to_bits();
            self.confidence
                .store(d.confidence.to_bits(), Ordering::Relaxed);
            self.corner_hz.store(bits(d.corner_hz), Ordering::Relaxed);
            self.deviation_db
                .store(bits(d.deviation_db), Ordering::Relaxed);
        }
        self.sequence
            .store(start.wrapping_add(1), Ordering::Release);
    }

    /// The diagnosis stored for `generation` (`None` when none, or for another generation).
    /// Never blocks: a read that overlaps a write is retried a few times, then skipped.
    pub fn load(&self, generation: u32) -> Option<LiveDiagnosis> {
        for _ in 0..4 {
            let before = self.sequence.load(Ordering::Acquire);
            if before % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let read = self.read_fields(generation);
            std::sync::atomic::fence(Ordering::Acquire);
            if self.sequence.load(Ordering::Relaxed) == before {
                return read;
            }
        }
        None
    }

    /// Sequence number of the last window analysed.
    pub fn analysed(&self) -> u32 {
        self.analysed.load(Ordering::Acquire)
    }

    /// The fields as they are now.
    fn read_fields(&self, generation: u32) -> Option<LiveDiagnosis> {
        if self.generation.load(Ordering::Relaxed) != generation {
            return None;
        }
        let value = f64::from_bits(self.value.load(Ordering::Relaxed));
        let cause = match self.cause.load(Ordering::Relaxed) {
            0 => return None,
            1 => Cause::Gained { db: value },
            2 => Cause::Offset {
                samples: value as isize,
            },
            code => CAUSES[(code as usize - 3).min(CAUSES.len() - 1)],
        };
        let optional = |bits: &AtomicU64| {
            let v = f64::from_bits(bits.load(Ordering::Relaxed));
            v.is_finite().then_some(v)
        };
        let subject = SUBJECTS[(self.subject.load(Ordering::Relaxed) as usize).min(2)];
        Some(LiveDiagnosis {
            channel: match self.channel.load(Ordering::Relaxed) {
                0 => None,
                c => Some(c as usize - 1),
            },
            corner_hz: optional(&self.corner_hz),
            processing: match self.processing.load(Ordering::Relaxed) {
                1 => Some(Processing::Dynamics),
                2 => Some(Processing::Equalizer),
                _ => None,
            },
            deviation_db: optional(&self.deviation_db),
            ..LiveDiagnosis::plain(
                cause,
                subject,
                f64::from_bits(self.confidence.load(Ordering::Relaxed)),
            )
        })
    }
}

/// The audio thread's end: fills windows and hands them to the analysis thread.
pub(super) struct WindowFeeder {
    /// The window being filled.
    input: Input<SumWindow>,
    /// Frames filled.
    filled: usize,
    /// Frames per window.
    capacity: usize,
    /// The analysis thread (woken when a window is handed over).
    thread: std::thread::Thread,
    /// Windows handed over so far.
    handed: u32,
}

impl WindowFeeder {
    /// Clears the window being filled.
    pub fn restart(&mut self) {
        self.filled = 0;
    }

    /// Windows handed over so far.
    pub fn handed(&self) -> u32 {
        self.handed
    }

    /// Adds aligned frames (`reference[ch]`, `sum[ch]`, all as long) to the window; each
    /// window filled is handed over (tagged with `generation`) and the analysis thread woken.
    /// Never allocates or blocks.
    pub fn extend(&mut self, reference: &[&[f32]], sum: &[&[f32]], generation: u32) {
        let len = reference.first().map_or(0, |c| c.len());
        let mut done = 0;
        while done < len {
            let take = (self.capacity - self.filled).min(len - done);
            let window = self.input.input_buffer_mut();
            for (target, source) in window
                .reference
                .iter_mut()
                .zip(reference)
                .chain(window.sum.iter_mut().zip(sum))
            {
                target[self.filled..self.filled + take].copy_from_slice(&source[done..done + take]);
            }
            self.filled += take;
            done += take;
            if self.filled == self.capacity {
                self.handed = self.handed.wrapping_add(1);
                let window = self.input.input_buffer_mut();
                window.generation = generation;
                window.sequence = self.handed;
                self.input.publish();
                self.filled = 0;
                self.thread.unpark();
            }
        }
    }
}

/// The analysis thread and what it shares (stopped and joined on drop).
pub(super) struct AnalysisWorker {
    /// Asks the thread to end.
    stop: Arc<AtomicBool>,
    /// The thread (`None` once joined, or when it could not be started).
    handle: Option<JoinHandle<()>>,
    /// Where the thread publishes.
    pub cell: Arc<DiagnosisCell>,
}

impl AnalysisWorker {
    /// Starts the thread for windows of `capacity` frames of `num_channels`; returns it with the
    /// feeder for the audio thread (`None` when the system cannot start a thread: the live
    /// test then reads the verdict without a cause).
    pub fn start(
        num_channels: usize,
        capacity: usize,
        sample_rate_hz: f64,
        settings: NullSettings,
    ) -> (Self, Option<WindowFeeder>) {
        let (input, output) = TripleBuffer::new(&SumWindow::new(num_channels, capacity)).split();
        let stop = Arc::new(AtomicBool::new(false));
        let cell = Arc::new(DiagnosisCell::default());
        let spawned = {
            let (stop, cell) = (Arc::clone(&stop), Arc::clone(&cell));
            std::thread::Builder::new()
                .name("stemwise-null-analysis".to_owned())
                .spawn(move || run(output, &stop, &cell, sample_rate_hz, &settings))
        };
        let Ok(handle) = spawned else {
            return (
                Self {
                    stop,
                    handle: None,
                    cell,
                },
                None,
            );
        };
        let feeder = WindowFeeder {
            input,
            filled: 0,
            capacity,
            thread: handle.thread().clone(),
            handed: 0,
        };
        (
            Self {
                stop,
                handle: Some(handle),
                cell,
            },
            Some(feeder),
        )
    }
}

impl Drop for AnalysisWorker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(handle) = self.handle.take() {
            handle.thread().unpark();
            // A panic in the analysis must not take the host down with it.
            let _ = handle.join();
        }
    }
}

/// The thread's loop: wait for a window, analyse it, publish the cause of the failing window
/// with the most residual (relative to the reference) since the last reset or lock: the
/// strongest evidence names the fault; a quieter stretch of the song does not replace it.
fn run(
    mut output: Output<SumWindow>,
    stop: &AtomicBool,
    cell: &DiagnosisCell,
    sample_rate_hz: f64,
    settings: &NullSettings,
) {
    // The strongest evidence so far (residual re reference, dB) and its generation.
    let mut strongest = (u32::MAX, f64::NEG_INFINITY);
    while !stop.load(Ordering::Acquire) {
        if !output.update() {
            std::thread::park();
            continue;
        }
        let window = output.output_buffer();
        let reference: Vec<&[f32]> = window.reference.iter().map(Vec::as_slice).collect();
        let sum: Vec<&[f32]> = window.sum.iter().map(Vec::as_slice).collect();
        let report = analyze_sum(&reference, &sum, sample_rate_hz, settings);
        if strongest.0 != window.generation {
            strongest = (window.generation, f64::NEG_INFINITY);
        }
        if report.verdict != Verdict::Pass && report.residual_rms_rel_db >= strongest.1 {
            strongest.1 = report.residual_rms_rel_db;
            cell.store(window.generation, report.diagnosis);
        }
        cell.analysed.store(window.sequence, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_diagnosis_survives_the_cell() {
        let cell = DiagnosisCell::default();
        assert_eq!(cell.load(0), None);
        let causes = [
            Cause::Inverted,
            Cause::Gained { db: 0.5 },
            Cause::Offset { samples: -30 },
            Cause::Missing,
            Cause::Resampled,
            Cause::MasterProcessing,
            Cause::Unexplained,
        ];
        for (i, (cause, subject)) in causes
            .into_iter()
            .zip(SUBJECTS.into_iter().cycle())
            .enumerate()
        {
            let d = LiveDiagnosis {
                channel: (i % 2 == 1).then_some(1),
                corner_hz: (i % 3 == 0).then_some(20_000.0),
                processing: [
                    None,
                    Some(Processing::Dynamics),
                    Some(Processing::Equalizer),
                ][i % 3],
                deviation_db: (i % 2 == 0).then_some(-1.5),
                ..LiveDiagnosis::plain(cause, subject, 0.75)
            };
            cell.store(7, Some(d));
            assert_eq!(cell.load(7), Some(d));
            assert_eq!(cell.load(8), None, "another generation's");
        }
        cell.store(7, None);
        assert_eq!(cell.load(7), None);
    }
}
