//! `stemwise render`: stems through their Stem Strips, the full mix through the Master Bus,
//! every version with the full mix's master gains, optional two-pass loudness targeting, and
//! the deliverables, each re-measured and held under the ceiling.

use crate::audio_file::write_file;
use crate::deliver::{deliver, DeliveryCheck, Format, MasterSpill, Trim};
use crate::mastering::{
    stream_master, stream_master_split, target_loudness, target_loudness_lufs, LoudnessTrace,
    LoudnessTracer, MasterStream, ReductionTrace, TargetPass,
};
use crate::parallel::parallel_map;
use crate::progress::Progress;
use crate::session::Session;
use crate::spill::{SpillDir, SpillReader, SpillWriter};
use crate::staging::{refuse_existing, Staging};
use crate::stems::{
    open_stems, LoadOptions, OpenStems, StemInput, Stereo, StripStream, RENDER_BLOCK,
};
use anyhow::{bail, Context, Result};
use serde::Serialize;
use shared_dsp::master::MasterSettings;
use shared_dsp::roles::Role;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

/// Name of the JSON report written next to the deliverables.
pub const REPORT_FILE: &str = "render.json";

/// How to render.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Output folder (created if missing).
    pub out_dir: PathBuf,
    /// Replace existing outputs.
    pub force: bool,
    /// Stem mismatch handling.
    pub load: LoadOptions,
    /// Threads for the stem strips and the deliverables (1 = single-threaded).
    pub num_threads: usize,
    /// Progress bars.
    pub progress: Progress,
    /// Write the deliverables (off: render and measure only, for benchmarks).
    pub write_files: bool,
}

/// The delivery target as rendered.
#[derive(Debug, Clone, Serialize)]
pub struct TargetSummary {
    /// Target id.
    pub id: String,
    /// Target loudness, LUFS.
    pub lufs: f32,
    /// Target true-peak maximum, dBTP.
    pub true_peak_dbtp: f32,
    /// Loudness measured on dialogue only.
    pub dialogue_gated: bool,
    /// Two-pass targeting was on.
    pub normalize: bool,
    /// Each targeting pass (empty without targeting).
    pub passes: Vec<TargetPass>,
    /// Final loudness as the target measures it, LUFS.
    pub achieved_lufs: f32,
    /// `achieved_lufs − lufs`, LU.
    pub error_lu: f32,
}

/// One version's master and its deliverables.
#[derive(Debug, Clone, Serialize)]
pub struct VersionSummary {
    /// Version name.
    pub name: String,
    /// Integrated loudness of the master (session rate, float), LUFS.
    pub integrated_lufs: f32,
    /// Loudness range, LU.
    pub lra_lu: f32,
    /// True peak of the master (session rate, float), dBTP (BS.1770-4 meter).
    pub true_peak_dbtp: f32,
    /// The deliverables written.
    pub deliverables: Vec<DeliverableSummary>,
}

/// One written deliverable.
#[derive(Debug, Clone, Serialize)]
pub struct DeliverableSummary {
    /// File written.
    pub path: String,
    /// Conversion and re-measurement.
    #[serde(flatten)]
    pub check: DeliveryCheck,
}

/// Versions that partition the stems, summed against the full master.
#[derive(Debug, Clone, Serialize)]
pub struct VersionSum {
    /// The versions summed.
    pub parts: Vec<String>,
    /// Largest |Σ parts − full| over all samples (linear full scale).
    pub max_error: f32,
    /// The same in dBFS.
    pub max_error_dbfs: f32,
}

/// Everything `render` reports (also written as `render.json`).
#[derive(Debug, Clone, Serialize)]
pub struct RenderReport {
    /// The session file.
    pub session: String,
    /// Render sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Duration, s.
    pub duration_s: f64,
    /// Target and targeting.
    pub target: TargetSummary,
    /// Ceiling every deliverable is held under, dBTP.
    pub ceiling_dbtp: f32,
    /// Master input gain rendered with, dB (targeting changes it).
    pub master_input_db: f32,
    /// Mean limiter reduction of the full master, dB.
    pub limiter_mean_db: f32,
    /// Deepest limiter reduction, dB.
    pub limiter_max_db: f32,
    /// The full master first, then the versions.
    pub versions: Vec<VersionSummary>,
    /// Sum checks of complementary versions.
    pub version_sums: Vec<VersionSum>,
    /// Things the user should know (e.g. a dialogue-gated target without a dialogue stem).
    pub warnings: Vec<String>,
}

/// What a render produced, for reports and charts.
#[derive(Debug, Clone)]
pub struct RenderOutcome {
    /// The report.
    pub report: RenderReport,
    /// Loudness of the full master.
    pub loudness: LoudnessTrace,
    /// Gain reduction of the master.
    pub reduction: ReductionTrace,
}

/// Receives the signals of a render as they stream past (for the demo's charts and null
/// tests); every method gets the next block of its signal, all blocks in order.
pub trait RenderTap {
    /// The stems after their strips (one stereo block per stem).
    fn processed_stems(&mut self, _stems: &[Stereo]) {}
    /// The masters of every version, full first (two channels per version), session rate,
    /// float, as they leave the Master Bus.
    fn masters(&mut self, _masters: &[&[f32]]) {}
    /// Whether [`RenderTap::masters`] keeps anything (else a render need not read the masters
    /// back for it).
    fn wants_masters(&self) -> bool {
        true
    }
}

/// A tap that keeps nothing.
struct NoTap;

impl RenderTap for NoTap {
    fn wants_masters(&self) -> bool {
        false
    }
}

/// Frames per block of the strip stage (≈ 1 s at 48 kHz, a whole number of strip blocks).
const STRIP_STAGE_FRAMES: usize = 48 * RENDER_BLOCK;

/// The file name of the deliverable of `version` in `format`.
fn deliverable_name(version: &str, format: Format) -> String {
    format!("{version}-{}.wav", format.id())
}

/// The output file of `version` in `format`.
pub fn deliverable_path(out_dir: &Path, version: &str, format: Format) -> PathBuf {
    out_dir.join(deliverable_name(version, format))
}

/// Renders `session` into `options.out_dir`. Refuses to start if any output exists (unless
/// `force`), so nothing is overwritten by surprise. Every file is written into a staging
/// folder and all are moved into place at the end ([`Staging`]): an error or an interruption
/// leaves no output at all.
///
/// Streams in bounded memory: the stems through their strips into the version buses, block
/// by block; the buses spilled to files ([`crate::spill`]) that the loudness targeting passes
/// and the master pass re-read; the masters spilled in turn and converted deliverable by
/// deliverable.
pub fn render(session: &Session, options: &RenderOptions) -> Result<RenderOutcome> {
    render_with_tap(session, options, &mut NoTap)
}

/// [`render`], handing the intermediate signals to `tap` as they stream past.
pub fn render_with_tap(
    session: &Session,
    options: &RenderOptions,
    tap: &mut dyn RenderTap,
) -> Result<RenderOutcome> {
    let planned = planned_outputs(session, &options.out_dir);
    if options.write_files && !options.force {
        refuse_existing(&planned)?;
    }
    let staging = options
        .write_files
        .then(|| Staging::new(&options.out_dir))
        .transpose()?;
    let progress = options.progress;
    let stems = open_stems(session, options.load)?;
    let rate = stems.sample_rate_hz;
    let num_frames = stems.num_frames;
    let temp_dir = std::env::temp_dir();
    let spills = SpillDir::new(staging.as_ref().map_or(temp_dir.as_path(), |s| s.dir()))?;
    let bus_paths: Vec<PathBuf> = (0..session.versions.len())
        .map(|v| spills.path(&format!("bus-{v}")))
        .collect();

    let mut warnings = Vec::new();
    let StripStageTraces {
        dialogue,
        mut first_pass,
    } = strip_stage(session, options, stems, &bus_paths, &mut warnings, tap)?;
    let master_paths: Vec<PathBuf> = (0..session.versions.len())
        .map(|v| spills.path(&format!("master-{v}")))
        .collect();
    let run_master_stage = |settings: &MasterSettings,
                            label: &str,
                            tap: Option<&mut dyn RenderTap>|
     -> Result<MasterPass> {
        master_stage(
            session,
            settings,
            (rate, num_frames),
            (&bus_paths, &master_paths),
            (progress, options.num_threads, label),
            tap,
        )
    };
    // The first pass (at the session's settings) ran alongside the strips; every later one
    // is a whole master stage, so the one the targeting settles on is the render's.
    let mut latest: Option<MasterPass> = None;
    let full_trace = |settings: &MasterSettings, label: &str| -> Result<LoudnessTrace> {
        if let Some(trace) = first_pass.take() {
            return Ok(trace);
        }
        let pass = run_master_stage(settings, label, None)?;
        let trace = pass.loudness.clone();
        latest = Some(pass);
        Ok(trace)
    };
    let (settings, passes) = if session.normalize {
        if !session.master.limiter_on {
            warnings.push(
                "loudness targeting with the limiter off: the true peak is only held by \
                 turning the deliverables down"
                    .to_owned(),
            );
        }
        target_loudness(
            &session.master,
            &session.target,
            dialogue.as_ref(),
            full_trace,
        )?
    } else {
        (session.master, Vec::new())
    };
    let MasterPass {
        loudness,
        reduction,
        version_sums,
        ..
    } = match latest.filter(|pass| pass.input_db == settings.input_db) {
        Some(pass) => {
            if tap.wants_masters() {
                replay_masters(&master_paths, num_frames, tap)?;
            }
            pass
        }
        None => run_master_stage(&settings, "master + versions", Some(tap))?,
    };
    let achieved = target_loudness_lufs(&session.target, &loudness, dialogue.as_ref());

    let ceiling_dbtp = if settings.limiter_on {
        settings
            .limiter
            .ceiling_db
            .min(session.target.true_peak_dbtp)
    } else {
        session.target.true_peak_dbtp
    };
    // With loudness targeting, per format: the trim that gives the full master's deliverable
    // the master's loudness back after conversion; every version of the format gets it.
    let full_first = session.normalize
        && session.delivered_versions.contains(&0)
        && loudness.readings.integrated_lufs.is_finite();
    let bar = progress.bar(
        (session.delivered_versions.len() * session.formats.len()) as u64,
        "deliverables",
    );
    let deliver_one = |v: usize, format: Format, trim: Trim| -> Result<DeliverableSummary> {
        let name = deliverable_name(&session.versions[v].name, format);
        let staged = staging.as_ref().map(|s| s.path(&name));
        let master = MasterSpill {
            path: &master_paths[v],
            num_frames,
            sample_rate_hz: rate,
        };
        let check = deliver(
            master,
            format,
            ceiling_dbtp,
            trim,
            &spills,
            &format!("{v}-{}", format.id()),
            staged.as_deref(),
        )?;
        bar.inc(1);
        let path = deliverable_path(&options.out_dir, &session.versions[v].name, format);
        Ok(DeliverableSummary {
            path: path.display().to_string(),
            check,
        })
    };
    // One queue for every deliverable and the meters of the masters (true peak and loudness
    // of the one master pass the targeting settled on, for the report): the full master's
    // deliverables first, the longest first, then the meters while they run, then the
    // other versions' deliverables, the longest first; a version's deliverable waits only for
    // its own format's trim, so the threads stay busy across the formats.
    let trims: Vec<TrimSlot> = session
        .formats
        .iter()
        .map(|_| TrimSlot::new((!full_first).then_some(Some(0.0))))
        .collect();
    type Jobs = Vec<(usize, usize)>;
    let (mut full_jobs, mut other_jobs): (Jobs, Jobs) = session
        .delivered_versions
        .iter()
        .flat_map(|&v| (0..session.formats.len()).map(move |f| (v, f)))
        .partition(|&(v, _)| full_first && v == 0);
    // Resampled formats cost most, then the higher rates.
    let cost = |&(_, f): &(usize, usize)| {
        let format_rate = session.formats[f].sample_rate_hz(rate);
        std::cmp::Reverse((format_rate != rate, format_rate))
    };
    full_jobs.sort_by_key(cost);
    other_jobs.sort_by_key(cost);
    let deliver_jobs =
        |jobs: Vec<(usize, usize)>| jobs.into_iter().map(|(v, f)| FinalJob::Deliver(v, f));
    let jobs: Vec<FinalJob> = deliver_jobs(full_jobs)
        .chain((0..session.versions.len()).map(FinalJob::Meter))
        .chain(deliver_jobs(other_jobs))
        .collect();
    let done = parallel_map(&jobs, options.num_threads, |job| -> Result<FinalDone> {
        let (v, f) = match *job {
            FinalJob::Meter(v) => {
                let trace = measure_master(&master_paths[v], num_frames, rate)?;
                return Ok(FinalDone::Trace(v, trace));
            }
            FinalJob::Deliver(v, f) => (v, f),
        };
        let format = session.formats[f];
        if full_first && v == 0 {
            let master_lufs = loudness.readings.integrated_lufs;
            let result = deliver_one(0, format, Trim::MatchLufs(master_lufs));
            trims[f].set(result.as_ref().ok().map(|s| s.check.trim_db));
            return result.map(|summary| FinalDone::Deliverable(v, f, summary));
        }
        let Some(trim_db) = trims[f].wait() else {
            bail!("{}: the full master's deliverable failed", format.id());
        };
        let summary = deliver_one(v, format, Trim::Fixed(trim_db))?;
        Ok(FinalDone::Deliverable(v, f, summary))
    });
    bar.finish_and_clear();
    let mut traces: Vec<Option<LoudnessTrace>> = vec![None; session.versions.len()];
    let mut delivered_by_version: Vec<Vec<(usize, DeliverableSummary)>> =
        vec![Vec::new(); session.versions.len()];
    for result in done {
        match result? {
            FinalDone::Trace(v, trace) => traces[v] = Some(trace),
            FinalDone::Deliverable(v, f, summary) => delivered_by_version[v].push((f, summary)),
        }
    }
    let mut traces: Vec<LoudnessTrace> = traces
        .into_iter()
        .map(|t| t.expect("every master metered"))
        .collect();
    let delivered_by_version = delivered_by_version.into_iter().map(|mut delivered| {
        delivered.sort_by_key(|&(f, _)| f);
        delivered.into_iter().map(|(_, summary)| summary).collect()
    });
    let versions: Vec<VersionSummary> = session
        .versions
        .iter()
        .zip(&traces)
        .zip(delivered_by_version)
        .map(|((version, trace), deliverables)| VersionSummary {
            name: version.name.clone(),
            integrated_lufs: trace.readings.integrated_lufs,
            lra_lu: trace.readings.lra_lu,
            true_peak_dbtp: trace.readings.max_true_peak_dbtp,
            deliverables,
        })
        .collect();

    let report = RenderReport {
        session: session.path.display().to_string(),
        sample_rate_hz: rate,
        duration_s: num_frames as f64 / f64::from(rate),
        target: TargetSummary {
            id: session.target.id.to_owned(),
            lufs: session.target.integrated_lufs,
            true_peak_dbtp: session.target.true_peak_dbtp,
            dialogue_gated: session.target.dialogue_gated,
            normalize: session.normalize,
            passes,
            achieved_lufs: achieved,
            error_lu: achieved - session.target.integrated_lufs,
        },
        ceiling_dbtp,
        master_input_db: settings.input_db,
        limiter_mean_db: reduction.mean_limiter_db(),
        limiter_max_db: reduction.max_limiter_db(),
        versions,
        version_sums,
        warnings,
    };
    drop(spills);
    if let Some(staging) = staging {
        let json = serde_json::to_string_pretty(&report).context("report to JSON")?;
        write_file(&staging.path(REPORT_FILE), json.as_bytes(), false)?;
        staging.publish(options.force)?;
    }
    Ok(RenderOutcome {
        report,
        loudness: traces.swap_remove(0),
        reduction,
    })
}

/// A job of the last stage of a render.
enum FinalJob {
    /// The true peak and loudness of version `.0`'s master.
    Meter(usize),
    /// Version `.0`'s deliverable in format `.1` (an index into the session's formats).
    Deliver(usize, usize),
}

/// What a [`FinalJob`] produced.
enum FinalDone {
    /// Version `.0`'s master measured.
    Trace(usize, LoudnessTrace),
    /// Version `.0`'s deliverable in format `.1`.
    Deliverable(usize, usize, DeliverableSummary),
}

/// The loudness trace (true peak included) of the spilled master at `path` (`num_frames`
/// stereo frames at `rate`).
fn measure_master(path: &Path, num_frames: usize, rate: u32) -> Result<LoudnessTrace> {
    let mut reader = SpillReader::open(path, 2)?;
    let mut tracer = LoudnessTracer::new(rate, 2, true);
    let mut block = vec![Vec::new(); 2];
    for start in (0..num_frames).step_by(STRIP_STAGE_FRAMES) {
        let n = STRIP_STAGE_FRAMES.min(num_frames - start);
        reader.read(&mut block, n)?;
        tracer.push(&[&block[0], &block[1]]);
    }
    Ok(tracer.finish())
}

/// What the strip stage measured besides the buses.
struct StripStageTraces {
    /// Loudness of the dialogue stems, when the target is dialogue-gated.
    dialogue: Option<LoudnessTrace>,
    /// Loudness of the full mix through the Master Bus as set (the first targeting pass),
    /// with loudness targeting.
    first_pass: Option<LoudnessTrace>,
}

/// The stems through their strips, block by block on up to `num_threads` threads, mixed
/// into every version's bus (spilled to `bus_paths`, one per version) in session order, as
/// [`mix`] sums them. The mixing, the spill writes and, with loudness targeting, the first
/// targeting pass (the full mix through the Master Bus as set) of each block are one more
/// job in the queue of the next block's strips ([`parallel_map`]).
fn strip_stage(
    session: &Session,
    options: &RenderOptions,
    stems: OpenStems,
    bus_paths: &[PathBuf],
    warnings: &mut Vec<String>,
    tap: &mut dyn RenderTap,
) -> Result<StripStageTraces> {
    let rate = stems.sample_rate_hz;
    let num_frames = stems.num_frames;
    let dialogue_gains = dialogue_gains(session, warnings);
    let mut dialogue = dialogue_gains
        .as_ref()
        .map(|_| LoudnessTracer::new(rate, 2, false));
    let strips: Vec<Mutex<StripStream<StemInput>>> = stems
        .inputs
        .into_iter()
        .zip(&session.stems)
        .map(|(input, stem)| Mutex::new(StripStream::new(input, stem.strip, rate, num_frames)))
        .collect();
    let mut first_pass = session.normalize.then(|| {
        (
            MasterStream::new(&session.master, rate, 0),
            LoudnessTracer::new(rate, 2, false),
        )
    });
    let mut buses = bus_paths
        .iter()
        .map(|p| SpillWriter::create(p, 2))
        .collect::<Result<Vec<_>>>()?;
    let bar = options.progress.bar(
        (strips.len() * num_frames.div_ceil(RENDER_BLOCK)) as u64,
        "stem strips",
    );
    let tick = || bar.inc(1);
    // Each block of processed stems (two channels per stem) into the buses and the meters.
    let consume = |channels: &[&[f32]]| -> Result<()> {
        let processed: Vec<[&[f32]; 2]> = channels.chunks_exact(2).map(|c| [c[0], c[1]]).collect();
        for (v, (bus, version)) in buses.iter_mut().zip(&session.versions).enumerate() {
            let mixed = mix_slices(&processed, &version.stem_gains);
            bus.write(&[&mixed[0], &mixed[1]])?;
            if let (0, Some((master, tracer))) = (v, &mut first_pass) {
                master.push(&[&mixed[0], &mixed[1]], &mut |out| {
                    tracer.push(out);
                    Ok(())
                })?;
            }
        }
        if let (Some(tracer), Some(gains)) = (&mut dialogue, &dialogue_gains) {
            let mixed = mix_slices(&processed, gains);
            tracer.push(&[&mixed[0], &mixed[1]]);
        }
        Ok(())
    };
    // Block k's consumption is one more job (the first, the longest) beside block k + 1's
    // strips, so the threads share it without a third thread.
    let consume = Mutex::new(consume);
    let consume_block = |stems: &[Stereo]| -> Result<()> {
        let channels: Vec<&[f32]> = stems.iter().flatten().map(Vec::as_slice).collect();
        (consume.lock().unwrap_or_else(|e| e.into_inner()))(&channels)
    };
    let mut pending: Option<Vec<Stereo>> = None;
    for start in (0..num_frames).step_by(STRIP_STAGE_FRAMES) {
        let n = STRIP_STAGE_FRAMES.min(num_frames - start);
        let jobs: Vec<Option<&Mutex<StripStream<StemInput>>>> = pending
            .iter()
            .map(|_| None)
            .chain(strips.iter().map(Some))
            .collect();
        let results = parallel_map(&jobs, options.num_threads, |job| match job {
            None => consume_block(pending.as_deref().unwrap_or_default()).map(|()| None),
            Some(strip) => {
                let mut strip = strip.lock().unwrap_or_else(|e| e.into_inner());
                let mut out = vec![Vec::new(); 2];
                strip.next(&mut out, n, &tick)?;
                Ok(Some(out))
            }
        });
        let processed: Vec<Stereo> = results
            .into_iter()
            .filter_map(Result::transpose)
            .collect::<Result<_>>()?;
        tap.processed_stems(&processed);
        pending = Some(processed);
    }
    if let Some(stems) = &pending {
        consume_block(stems)?;
    }
    bar.finish_and_clear();
    for strip in strips {
        strip
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .input_mut()
            .finish()?;
    }
    for bus in buses {
        bus.finish()?;
    }
    let first_pass = match first_pass {
        Some((master, mut tracer)) => {
            master.finish(&mut |out| {
                tracer.push(out);
                Ok(())
            })?;
            Some(tracer.finish())
        }
        None => None,
    };
    Ok(StripStageTraces {
        dialogue: dialogue.map(LoudnessTracer::finish),
        first_pass,
    })
}

/// What a master stage measured.
struct MasterPass {
    /// Master input gain of the stage, dB.
    input_db: f32,
    /// Loudness of the full master (no true peak).
    loudness: LoudnessTrace,
    /// Gain reduction of the master.
    reduction: ReductionTrace,
    /// The version sums.
    version_sums: Vec<VersionSum>,
}

/// The master stage: the full mix's bus through the Master Bus with `settings` and every
/// version's bus with its gains, the masters spilled (`paths.1`, one per version) and handed
/// to `tap` (when given) as they stream past, the full master's loudness measured (the true
/// peaks and the versions are measured once the targeting has settled, from the spills).
fn master_stage(
    session: &Session,
    settings: &MasterSettings,
    (rate, num_frames): (u32, usize),
    (bus_paths, master_paths): (&[PathBuf], &[PathBuf]),
    (progress, num_threads, label): (Progress, usize, &str),
    tap: Option<&mut dyn RenderTap>,
) -> Result<MasterPass> {
    let mut readers = bus_paths
        .iter()
        .map(|p| SpillReader::open(p, 2))
        .collect::<Result<Vec<_>>>()?;
    let mut writers = master_paths
        .iter()
        .map(|p| SpillWriter::create(p, 2))
        .collect::<Result<Vec<_>>>()?;
    let mut tracer = LoudnessTracer::new(rate, 2, false);
    let mut sums = VersionSums::new(session);
    let mut tap = tap;
    // The tap on this thread; the sums, the full master's loudness and the spill writes on
    // either (see `stream_master_split`).
    let mut near = |masters: &[&[f32]]| -> Result<()> {
        if let Some(tap) = &mut tap {
            tap.masters(masters);
        }
        Ok(())
    };
    let mut consume = |masters: &[&[f32]]| -> Result<()> {
        sums.push(masters);
        tracer.push(&masters[..2]);
        for (writer, pair) in writers.iter_mut().zip(masters.chunks_exact(2)) {
            writer.write(pair)?;
        }
        Ok(())
    };
    let mut read = |block: &mut [Vec<f32>], n: usize| -> Result<()> {
        for (reader, pair) in readers.iter_mut().zip(block.chunks_exact_mut(2)) {
            reader.read(pair, n)?;
        }
        Ok(())
    };
    let num_followers = bus_paths.len() - 1;
    let reduction = if num_threads > 1 {
        stream_master_split(
            settings,
            rate,
            num_frames,
            num_followers,
            &mut read,
            &mut near,
            &mut consume,
            label,
            progress,
        )?
    } else {
        stream_master(
            settings,
            rate,
            num_frames,
            num_followers,
            &mut read,
            &mut |masters| {
                near(masters)?;
                consume(masters)
            },
            label,
            progress,
        )?
    };
    for writer in writers {
        writer.finish()?;
    }
    Ok(MasterPass {
        input_db: settings.input_db,
        loudness: tracer.finish(),
        reduction,
        version_sums: sums.finish(session),
    })
}

/// Hands the spilled masters (`master_paths`, one per version, `num_frames` each) to `tap`,
/// hop by hop, as they left the Master Bus.
fn replay_masters(
    master_paths: &[PathBuf],
    num_frames: usize,
    tap: &mut dyn RenderTap,
) -> Result<()> {
    let mut readers = master_paths
        .iter()
        .map(|p| SpillReader::open(p, 2))
        .collect::<Result<Vec<_>>>()?;
    let mut block = vec![Vec::new(); 2 * master_paths.len()];
    for start in (0..num_frames).step_by(STRIP_STAGE_FRAMES) {
        let n = STRIP_STAGE_FRAMES.min(num_frames - start);
        for (reader, pair) in readers.iter_mut().zip(block.chunks_exact_mut(2)) {
            reader.read(pair, n)?;
        }
        let slices: Vec<&[f32]> = block.iter().map(Vec::as_slice).collect();
        tap.masters(&slices);
    }
    Ok(())
}

/// Every file a render of `session` writes.
pub fn planned_outputs(session: &Session, out_dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = session
        .delivered_versions
        .iter()
        .flat_map(|&v| {
            session
                .formats
                .iter()
                .map(move |&f| deliverable_path(out_dir, &session.versions[v].name, f))
        })
        .collect();
    out.push(out_dir.join(REPORT_FILE));
    out
}

/// `Σ gains[i] · stems[i]`.
pub fn mix(stems: &[Stereo], gains: &[f32]) -> Stereo {
    let stems: Vec<[&[f32]; 2]> = stems.iter().map(|s| [&s[0][..], &s[1][..]]).collect();
    mix_slices(&stems, gains)
}

/// [`mix`] of stems given as slices.
fn mix_slices(stems: &[[&[f32]; 2]], gains: &[f32]) -> Stereo {
    let len = stems.first().map_or(0, |s| s[0].len());
    let mut out = vec![vec![0.0f32; len]; 2];
    for (stem, &gain) in stems.iter().zip(gains) {
        if gain == 0.0 {
            continue;
        }
        for (o, s) in out.iter_mut().zip(stem) {
            for (o, &s) in o.iter_mut().zip(s.iter()) {
                *o += gain * s;
            }
        }
    }
    out
}

/// A format's trim, set once by the full master's deliverable and awaited by the others:
/// `Some(trim_db)`, or `None` when that deliverable failed.
struct TrimSlot {
    /// The trim once known.
    value: Mutex<Option<Option<f32>>>,
    /// Signalled when `value` is set.
    ready: Condvar,
}

impl TrimSlot {
    fn new(value: Option<Option<f32>>) -> Self {
        Self {
            value: Mutex::new(value),
            ready: Condvar::new(),
        }
    }

    fn set(&self, trim_db: Option<f32>) {
        *self.value.lock().unwrap_or_else(|e| e.into_inner()) = Some(trim_db);
        self.ready.notify_all();
    }

    fn wait(&self) -> Option<f32> {
        let mut value = self.value.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(trim_db) = *value {
                return trim_db;
            }
            value = self.ready.wait(value).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// The gains that sum the dialogue stems when the target is dialogue-gated (`None` without
/// such a target, or with a warning when no stem has the dialogue role).
fn dialogue_gains(session: &Session, warnings: &mut Vec<String>) -> Option<Vec<f32>> {
    if !session.target.dialogue_gated {
        return None;
    }
    let gains: Vec<f32> = session
        .stems
        .iter()
        .map(|s| if s.role == Role::Dialogue { 1.0 } else { 0.0 })
        .collect();
    if gains.iter().all(|&g| g == 0.0) {
        warnings.push(format!(
            "target {} is dialogue-gated but no stem has role = \"dialogue\": \
             measured on the whole programme",
            session.target.id
        ));
        return None;
    }
    Some(gains)
}

/// The sum checks of the pairs of versions whose stems partition the session (each stem at
/// unity in exactly one of them): the largest error of their sum against the full master,
/// accumulated as the masters stream past.
struct VersionSums {
    /// (version i, version j, largest |master i + master j − full| so far).
    pairs: Vec<(usize, usize, f32)>,
}

impl VersionSums {
    fn new(session: &Session) -> Self {
        let versions = &session.versions;
        let mut pairs = Vec::new();
        for i in 1..versions.len() {
            for j in i + 1..versions.len() {
                let complementary = versions[i]
                    .stem_gains
                    .iter()
                    .zip(&versions[j].stem_gains)
                    .all(|(&a, &b)| (a == 1.0 && b == 0.0) || (a == 0.0 && b == 1.0));
                if complementary {
                    pairs.push((i, j, 0.0f32));
                }
            }
        }
        Self { pairs }
    }

    /// The next block of every master (two channels per version, full first).
    fn push(&mut self, masters: &[&[f32]]) {
        for (i, j, max_error) in &mut self.pairs {
            for ch in 0..2 {
                let (f, a, b) = (masters[ch], masters[2 * *i + ch], masters[2 * *j + ch]);
                *max_error = f
                    .iter()
                    .zip(a.iter().zip(b))
                    .map(|(&f, (&a, &b))| (a + b - f).abs())
                    .fold(*max_error, f32::max);
            }
        }
    }

    fn finish(self, session: &Session) -> Vec<VersionSum> {
        self.pairs
            .into_iter()
            .map(|(i, j, max_error)| VersionSum {
                parts: vec![
                    session.versions[i].name.clone(),
                    session.versions[j].name.clone(),
                ],
                max_error,
                max_error_dbfs: 20.0 * max_error.max(1e-12).log10(),
            })
            .collect()
    }
}

/// The human-readable summary of a render.
pub fn summary(r: &RenderReport) -> String {
    let t = &r.target;
    let mut out = format!(
        "{}: {:.1} s at {} Hz\n  target {} ({:.1} LUFS{}, ≤ {:.1} dBTP): {:.2} LUFS ({:+.2} LU){}\n  \
         master input {:+.2} dB, limiter mean {:.2} dB / max {:.2} dB, ceiling {:.1} dBTP\n",
        r.session,
        r.duration_s,
        r.sample_rate_hz,
        t.id,
        t.lufs,
        if t.dialogue_gated { ", dialogue-gated" } else { "" },
        t.true_peak_dbtp,
        t.achieved_lufs,
        t.error_lu,
        if t.normalize {
            format!(", {} targeting passes", t.passes.len())
        } else {
            String::new()
        },
        r.master_input_db,
        r.limiter_mean_db,
        r.limiter_max_db,
        r.ceiling_dbtp,
    );
    for v in &r.versions {
        out += &format!(
            "  {:<16} {:>7.2} LUFS  LRA {:>4.1} LU  TP {:>6.2} dBTP\n",
            v.name, v.integrated_lufs, v.lra_lu, v.true_peak_dbtp
        );
        for d in &v.deliverables {
            out += &format!(
                "    {:<44} TP {:>6.2} dBTP (converted {:>6.2}, trim {:+.2} dB, limited {:.2} dB, gain {:+.2} dB)  {:>7.2} LUFS\n",
                d.path,
                d.check.true_peak_dbtp,
                d.check.converted_true_peak_dbtp,
                d.check.trim_db,
                d.check.limiter_db,
                d.check.correction_db,
                d.check.integrated_lufs
            );
        }
    }
    for s in &r.version_sums {
        out += &format!(
            "  {} sum to the full master within {:.1} dBFS ({:.2e})\n",
            s.parts.join(" + "),
            s.max_error_dbfs,
            s.max_error
        );
    }
    for w in &r.warnings {
        out += &format!("  warning: {w}\n");
    }
    out
}
