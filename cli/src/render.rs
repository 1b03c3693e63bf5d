//! `stemwise render`: stems through their Stem Strips, the full mix through the Master Bus,
//! every version with the full mix's master gains, optional two-pass loudness targeting, and
//! the deliverables, each re-measured and held under the ceiling.

use crate::audio_file::{write_file, write_wav, Audio};
use crate::deliver::{deliver, DeliveryCheck, Format, Trim};
use crate::mastering::{
    render_master, target_loudness, target_loudness_lufs, LoudnessTrace, ReductionTrace, TargetPass,
};
use crate::parallel::parallel_map;
use crate::progress::Progress;
use crate::session::Session;
use crate::staging::Staging;
use crate::stems::{load_stems, process_strips, LoadOptions, Stereo};
use anyhow::{bail, Context, Result};
use serde::Serialize;
use shared_dsp::roles::Role;
use std::path::{Path, PathBuf};

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
    /// The stems after their strips.
    pub processed_stems: Vec<Stereo>,
    /// The full mix before the master.
    pub full_mix: Stereo,
    /// Masters of every version (full first), session rate, float.
    pub masters: Vec<Stereo>,
    /// Loudness of the full master.
    pub loudness: LoudnessTrace,
    /// Gain reduction of the master.
    pub reduction: ReductionTrace,
}

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
pub fn render(session: &Session, options: &RenderOptions) -> Result<RenderOutcome> {
    let planned = planned_outputs(session, &options.out_dir);
    if options.write_files && !options.force {
        let existing: Vec<String> = planned
            .iter()
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            bail!(
                "{} already exist(s) (use --force to overwrite): {}",
                existing.len(),
                existing.join(", ")
            );
        }
    }
    let staging = options
        .write_files
        .then(|| Staging::new(&options.out_dir))
        .transpose()?;
    let progress = options.progress;
    let stems = load_stems(session, options.load, progress)?;
    let rate = stems.sample_rate_hz;
    let mut processed = stems.audio;
    let strip_settings: Vec<_> = session.stems.iter().map(|s| s.strip).collect();
    process_strips(
        &mut processed,
        &strip_settings,
        rate,
        options.num_threads,
        progress,
    );
    let full_mix = mix(&processed, &session.versions[0].stem_gains);
    let version_mixes: Vec<Stereo> = session.versions[1..]
        .iter()
        .map(|v| mix(&processed, &v.stem_gains))
        .collect();

    let mut warnings = Vec::new();
    let dialogue = dialogue_trace(session, &processed, rate, &mut warnings);
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
            rate,
            &full_mix,
            &session.target,
            dialogue.as_ref(),
            progress,
        )
    } else {
        (session.master, Vec::new())
    };
    let rendered = render_master(
        &settings,
        rate,
        &full_mix,
        version_mixes,
        "master + versions",
        progress,
    );
    let mut masters = vec![rendered.full];
    masters.extend(rendered.versions);
    let loudness = LoudnessTrace::measure(&masters[0], rate, true);
    let achieved = target_loudness_lufs(&session.target, &loudness, dialogue.as_ref());

    let ceiling_dbtp = if settings.limiter_on {
        settings
            .limiter
            .ceiling_db
            .min(session.target.true_peak_dbtp)
    } else {
        session.target.true_peak_dbtp
    };
    let version_sums = version_sums(session, &masters);
    // With loudness targeting, per format: the trim that gives the full master's deliverable
    // the master's loudness back after conversion; every version of the format gets it.
    let full_first = session.normalize
        && session.delivered_versions.contains(&0)
        && loudness.readings.integrated_lufs.is_finite();
    let write = |v: usize, format: Format, audio: &Audio| -> Result<PathBuf> {
        let path = deliverable_path(&options.out_dir, &session.versions[v].name, format);
        if let Some(staging) = &staging {
            let staged = staging.path(&deliverable_name(&session.versions[v].name, format));
            write_wav(&staged, audio, format.wav_format(), false)?;
        }
        Ok(path)
    };
    let bar = progress.bar(
        (session.delivered_versions.len() * session.formats.len()) as u64,
        "deliverables",
    );
    let full_audio = Audio {
        sample_rate_hz: rate,
        channels: masters[0].clone(),
    };
    let trimmed: Vec<Result<(f32, Option<DeliverableSummary>)>> =
        parallel_map(&session.formats, options.num_threads, |&format| {
            if !full_first {
                return Ok((0.0, None));
            }
            let master_lufs = loudness.readings.integrated_lufs;
            let (audio, check) = deliver(
                &full_audio,
                format,
                ceiling_dbtp,
                Trim::MatchLufs(master_lufs),
            )?;
            let trim_db = check.trim_db;
            let path = write(0, format, &audio)?;
            bar.inc(1);
            Ok((
                trim_db,
                Some(DeliverableSummary {
                    path: path.display().to_string(),
                    check,
                }),
            ))
        });
    let mut trims_db = Vec::new();
    let mut delivered_by_version: Vec<Vec<DeliverableSummary>> = vec![Vec::new(); masters.len()];
    for result in trimmed {
        let (trim_db, full) = result?;
        trims_db.push(trim_db);
        delivered_by_version[0].extend(full);
    }
    let jobs: Vec<(usize, usize)> = session
        .delivered_versions
        .iter()
        .filter(|&&v| !(full_first && v == 0))
        .flat_map(|&v| (0..session.formats.len()).map(move |f| (v, f)))
        .collect();
    let delivered = parallel_map(&jobs, options.num_threads, |&(v, f)| {
        let format = session.formats[f];
        let audio = Audio {
            sample_rate_hz: rate,
            channels: masters[v].clone(),
        };
        let (delivered, check) = deliver(&audio, format, ceiling_dbtp, Trim::Fixed(trims_db[f]))?;
        let path = write(v, format, &delivered)?;
        bar.inc(1);
        Ok::<_, anyhow::Error>((
            v,
            DeliverableSummary {
                path: path.display().to_string(),
                check,
            },
        ))
    });
    bar.finish_and_clear();
    for result in delivered {
        let (v, summary) = result?;
        delivered_by_version[v].push(summary);
    }
    let traces = parallel_map(&masters[1..], options.num_threads, |m| {
        LoudnessTrace::measure(m, rate, true)
    });
    let versions: Vec<VersionSummary> = session
        .versions
        .iter()
        .zip(std::iter::once(&loudness).chain(&traces))
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
        duration_s: stems.num_frames as f64 / f64::from(rate),
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
        limiter_mean_db: rendered.reduction.mean_limiter_db(),
        limiter_max_db: rendered.reduction.max_limiter_db(),
        versions,
        version_sums,
        warnings,
    };
    if let Some(staging) = staging {
        let json = serde_json::to_string_pretty(&report).context("report to JSON")?;
        write_file(&staging.path(REPORT_FILE), json.as_bytes(), false)?;
        staging.publish(options.force)?;
    }
    Ok(RenderOutcome {
        report,
        processed_stems: processed,
        full_mix,
        masters,
        loudness,
        reduction: rendered.reduction,
    })
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
    let len = stems.first().map_or(0, |s| s[0].len());
    let mut out = vec![vec![0.0f32; len]; 2];
    for (stem, &gain) in stems.iter().zip(gains) {
        if gain == 0.0 {
            continue;
        }
        for (o, s) in out.iter_mut().zip(stem) {
            for (o, &s) in o.iter_mut().zip(s) {
                *o += gain * s;
            }
        }
    }
    out
}

/// Loudness trace of the dialogue stems (summed) when the target is dialogue-gated.
fn dialogue_trace(
    session: &Session,
    processed: &[Stereo],
    rate: u32,
    warnings: &mut Vec<String>,
) -> Option<LoudnessTrace> {
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
    Some(LoudnessTrace::measure(&mix(processed, &gains), rate, false))
}

/// For every pair of versions whose stems partition the session (each stem at unity in
/// exactly one of them), the largest error of their sum against the full master.
fn version_sums(session: &Session, masters: &[Stereo]) -> Vec<VersionSum> {
    let mut sums = Vec::new();
    let versions = &session.versions;
    for i in 1..versions.len() {
        for j in i + 1..versions.len() {
            let complementary = versions[i]
                .stem_gains
                .iter()
                .zip(&versions[j].stem_gains)
                .all(|(&a, &b)| (a == 1.0 && b == 0.0) || (a == 0.0 && b == 1.0));
            if !complementary {
                continue;
            }
            let max_error = masters[0]
                .iter()
                .zip(masters[i].iter().zip(&masters[j]))
                .flat_map(|(f, (a, b))| f.iter().zip(a.iter().zip(b)))
                .map(|(&f, (&a, &b))| (a + b - f).abs())
                .fold(0.0f32, f32::max);
            sums.push(VersionSum {
                parts: vec![versions[i].name.clone(), versions[j].name.clone()],
                max_error,
                max_error_dbfs: 20.0 * max_error.max(1e-12).log10(),
            });
        }
    }
    sums
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
