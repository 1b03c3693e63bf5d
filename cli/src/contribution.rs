//! `stemwise contribution`: how many LU each stem adds to the master (the master's integrated
//! loudness with the stem muted against with it), how much limiting it drives (the limiter's
//! mean reduction with against without it), and which single trim reaches the target with the
//! least limiting: the master input gain, or one stem's Stem Strip output gain.

use crate::mastering::{render_master, LoudnessTrace, MasterRender};
use crate::progress::Progress;
use crate::render::mix;
use crate::stems::Stereo;
use serde::Serialize;
use shared_dsp::master::MasterSettings;

/// Trims are searched within the Stem Strip's output range, dB.
pub const MAX_TRIM_DB: f32 = 12.0;
/// A trim counts as reaching the target within this, LU.
pub const TRIM_TOLERANCE_LU: f32 = 0.1;
/// Most master renders per trim search.
const MAX_TRIM_PASSES: usize = 5;

/// One stem's share of the master.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StemContribution {
    /// Stem name.
    pub stem: String,
    /// Integrated loudness of the master without this stem, LUFS.
    pub without_lufs: f32,
    /// Loudness the stem adds to the master, LU.
    pub contribution_lu: f32,
    /// Mean limiter reduction the stem adds, dB.
    pub limiting_driven_db: f32,
}

/// One way of reaching the target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrimOption {
    /// What is trimmed: `master input` or a stem name (its Stem Strip output gain).
    pub control: String,
    /// Trim, dB (`None`: the target is out of reach within ±[`MAX_TRIM_DB`]).
    pub trim_db: Option<f32>,
    /// Loudness reached, LUFS.
    pub reached_lufs: f32,
    /// Mean limiter reduction at that trim, dB.
    pub limiting_db: f32,
}

/// The whole contribution analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contributions {
    /// Integrated loudness of the full master, LUFS.
    pub master_lufs: f32,
    /// Mean limiter reduction of the full master, dB.
    pub master_limiting_db: f32,
    /// Target loudness, LUFS.
    pub target_lufs: f32,
    /// Per stem, in session order.
    pub stems: Vec<StemContribution>,
    /// Every trim tried, master input first.
    pub trims: Vec<TrimOption>,
    /// Index into `trims` of the one reaching the target with the least limiting.
    pub best_trim: Option<usize>,
}

/// Master loudness and mean limiting of `mix_audio`.
fn master_of(
    settings: &MasterSettings,
    rate: u32,
    mix_audio: &[Vec<f32>],
    label: &str,
    progress: Progress,
) -> (f32, f32) {
    let MasterRender {
        full, reduction, ..
    } = render_master(settings, rate, mix_audio, Vec::new(), label, progress);
    let lufs = LoudnessTrace::measure(&full, rate, false)
        .readings
        .integrated_lufs;
    (lufs, reduction.mean_limiter_db())
}

/// Analyses the processed `stems` (named by `names`) through a master with `settings`.
pub fn contributions(
    names: &[String],
    stems: &[Stereo],
    settings: &MasterSettings,
    rate: u32,
    target_lufs: f32,
    progress: Progress,
) -> Contributions {
    let unity = vec![1.0f32; stems.len()];
    let full = mix(stems, &unity);
    let (master_lufs, master_limiting_db) = master_of(settings, rate, &full, "master", progress);
    let stem_rows = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut gains = unity.clone();
            gains[i] = 0.0;
            let label = format!("without {name}");
            let (without_lufs, limiting) =
                master_of(settings, rate, &mix(stems, &gains), &label, progress);
            StemContribution {
                stem: name.clone(),
                without_lufs,
                contribution_lu: master_lufs - without_lufs,
                limiting_driven_db: master_limiting_db - limiting,
            }
        })
        .collect();

    let mut trims = vec![search_trim("master input", target_lufs, |trim_db| {
        let s = MasterSettings {
            input_db: settings.input_db + trim_db,
            ..*settings
        };
        master_of(&s, rate, &full, "trim master input", progress)
    })];
    for (i, name) in names.iter().enumerate() {
        trims.push(search_trim(name, target_lufs, |trim_db| {
            let mut gains = unity.clone();
            gains[i] = 10f32.powf(trim_db / 20.0);
            let label = format!("trim {name}");
            master_of(settings, rate, &mix(stems, &gains), &label, progress)
        }));
    }
    let best_trim = trims
        .iter()
        .enumerate()
        .filter(|(_, t)| t.trim_db.is_some())
        .min_by(|a, b| a.1.limiting_db.total_cmp(&b.1.limiting_db))
        .map(|(i, _)| i);
    Contributions {
        master_lufs,
        master_limiting_db,
        target_lufs,
        stems: stem_rows,
        trims,
        best_trim,
    }
}

/// Secant search for the trim (within ±[`MAX_TRIM_DB`]) at which `render(trim)` gives
/// `target_lufs`; `render` returns (loudness, mean limiting).
fn search_trim(control: &str, target_lufs: f32, render: impl Fn(f32) -> (f32, f32)) -> TrimOption {
    let mut points: Vec<(f32, f32, f32)> = Vec::new();
    let mut trim = 0.0f32;
    for _ in 0..MAX_TRIM_PASSES {
        let (lufs, limiting) = render(trim);
        points.push((trim, lufs, limiting));
        let error = target_lufs - lufs;
        if error.abs() <= TRIM_TOLERANCE_LU || !lufs.is_finite() {
            break;
        }
        let slope = match points.len() {
            1 => 1.0,
            n => {
                let (t0, l0, _) = points[n - 2];
                let s = (lufs - l0) / (trim - t0);
                if s.is_finite() && s > 0.01 {
                    s
                } else {
                    break;
                }
            }
        };
        let next = (trim + error / slope).clamp(-MAX_TRIM_DB, MAX_TRIM_DB);
        if next == trim {
            break;
        }
        trim = next;
    }
    let &(trim, lufs, limiting) = points
        .iter()
        .min_by(|a, b| {
            (a.1 - target_lufs)
                .abs()
                .total_cmp(&(b.1 - target_lufs).abs())
        })
        .unwrap_or(&(0.0, f32::NEG_INFINITY, 0.0));
    TrimOption {
        control: control.to_owned(),
        trim_db: ((lufs - target_lufs).abs() <= TRIM_TOLERANCE_LU).then_some(trim),
        reached_lufs: lufs,
        limiting_db: limiting,
    }
}

/// The human-readable table.
pub fn report(c: &Contributions) -> String {
    let mut out = format!(
        "master {:.2} LUFS, limiter mean {:.2} dB; target {:.1} LUFS\n  {:<16} {:>9} {:>12} {:>14}\n",
        c.master_lufs, c.master_limiting_db, c.target_lufs, "stem", "adds LU", "without LUFS", "limiting dB"
    );
    for s in &c.stems {
        out += &format!(
            "  {:<16} {:>9.2} {:>12.2} {:>14.2}\n",
            s.stem, s.contribution_lu, s.without_lufs, s.limiting_driven_db
        );
    }
    out += "  to reach the target:\n";
    for (i, t) in c.trims.iter().enumerate() {
        let best = if Some(i) == c.best_trim {
            "  <- least limiting"
        } else {
            ""
        };
        match t.trim_db {
            Some(db) => {
                out += &format!(
                    "    {:<16} {:>+6.2} dB -> {:.2} LUFS, limiter mean {:.2} dB{best}\n",
                    t.control, db, t.reached_lufs, t.limiting_db
                )
            }
            None => {
                out += &format!(
                    "    {:<16} out of reach within ±{MAX_TRIM_DB} dB (got {:.2} LUFS)\n",
                    t.control, t.reached_lufs
                )
            }
        }
    }
    out
}
