//! The master stage of a render: the full mix through the Master Bus chain, versions linked
//! to it ([`MasterChain::process_block_with_followers`]), meters on a 100 ms grid, and two-pass
//! loudness targeting.

use crate::progress::Progress;
use crate::stems::{Stereo, RENDER_BLOCK};
use serde::Serialize;
use shared_dsp::dialogue_gate::dialogue_gated_lufs;
use shared_dsp::loudness::{LoudnessMeter, LoudnessReadings};
use shared_dsp::master::{MasterChain, MasterSettings};
use shared_dsp::targets::DeliveryTarget;

/// Momentary values before this many 100 ms hops cover less than the 400 ms gating block.
const PARTIAL_HOPS: usize = 3;
/// Targeting stops this close to the target, LU (half the promised ±0.1 LU).
pub const TARGET_TOLERANCE_LU: f32 = 0.05;
/// Most master passes the targeting runs.
pub const MAX_TARGET_PASSES: usize = 8;

/// Loudness of a signal on a 100 ms grid.
#[derive(Debug, Clone, PartialEq)]
pub struct LoudnessTrace {
    /// Every reading at the end.
    pub readings: LoudnessReadings,
    /// Momentary loudness at the end of each 100 ms hop, LUFS.
    pub momentary_lufs: Vec<f32>,
    /// Short-term loudness at the end of each 100 ms hop, LUFS.
    pub short_term_lufs: Vec<f32>,
}

impl LoudnessTrace {
    /// Measures `audio` (stereo) at `sample_rate_hz`; the true-peak readings only with
    /// `true_peak` (the detector is most of the meter's cost; loudness passes skip it).
    pub fn measure(audio: &[Vec<f32>], sample_rate_hz: u32, true_peak: bool) -> Self {
        let hop = hop_frames(sample_rate_hz);
        let rate = f64::from(sample_rate_hz);
        let mut meter = if true_peak {
            LoudnessMeter::new(rate, hop, audio.len())
        } else {
            LoudnessMeter::loudness_only(rate, hop, audio.len())
        };
        let len = audio.first().map_or(0, Vec::len);
        let mut momentary_lufs = Vec::with_capacity(len / hop + 1);
        let mut short_term_lufs = Vec::with_capacity(len / hop + 1);
        let mut block: Vec<&[f32]> = Vec::with_capacity(audio.len());
        for start in (0..len).step_by(hop) {
            let end = (start + hop).min(len);
            block.clear();
            block.extend(audio.iter().map(|c| &c[start..end]));
            meter.process_block(&block);
            let r = meter.readings();
            momentary_lufs.push(r.momentary_lufs);
            short_term_lufs.push(r.short_term_lufs);
        }
        Self {
            readings: meter.readings(),
            momentary_lufs,
            short_term_lufs,
        }
    }

    /// The momentary values that are full BS.1770 gating blocks.
    pub fn gating_blocks(&self) -> &[f32] {
        &self.momentary_lufs[PARTIAL_HOPS.min(self.momentary_lufs.len())..]
    }
}

/// Frames per 100 ms.
pub fn hop_frames(sample_rate_hz: u32) -> usize {
    (sample_rate_hz as usize / 10).max(1)
}

/// Gain reduction on the 100 ms grid, dB (positive = reduction).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReductionTrace {
    /// Glue compressor, largest per hop.
    pub compressor_db: Vec<f32>,
    /// Limiter, deepest per hop.
    pub limiter_db: Vec<f32>,
}

impl ReductionTrace {
    /// Mean limiter reduction over the programme, dB.
    pub fn mean_limiter_db(&self) -> f32 {
        mean(&self.limiter_db)
    }

    /// Deepest limiter reduction, dB.
    pub fn max_limiter_db(&self) -> f32 {
        self.limiter_db.iter().fold(0.0, |m, &v| m.max(v))
    }
}

fn mean(values: &[f32]) -> f32 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f32>() / values.len() as f32
    }
}

/// The master of the full mix and of every version.
#[derive(Debug, Clone)]
pub struct MasterRender {
    /// The full master, latency-compensated.
    pub full: Stereo,
    /// One master per follower, in the order given.
    pub versions: Vec<Stereo>,
    /// Gain reduction of the master (from the full mix).
    pub reduction: ReductionTrace,
}

/// Runs `full` through a Master Bus with `settings`, and every signal in `versions` with the
/// full mix's dynamic gains. Outputs line up with the inputs (latency removed).
pub fn render_master(
    settings: &MasterSettings,
    sample_rate_hz: u32,
    full: &[Vec<f32>],
    versions: Vec<Stereo>,
    bar_label: &str,
    progress: Progress,
) -> MasterRender {
    let mut chain = MasterChain::new(f64::from(sample_rate_hz), RENDER_BLOCK, 2);
    chain.set_settings(*settings);
    chain.reset();
    let mut version_state = chain.followers(versions.len());
    let latency = chain.latency_samples();
    let len = full.first().map_or(0, Vec::len);
    let padded = |audio: &[Vec<f32>]| -> Stereo {
        audio
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c.resize(len + latency, 0.0);
                c
            })
            .collect()
    };
    let mut lead = padded(full);
    let mut followers: Vec<Stereo> = versions.iter().map(|v| padded(v)).collect();
    drop(versions);
    let hop = hop_frames(sample_rate_hz);
    let bar = progress.bar((len + latency).div_ceil(hop) as u64, bar_label);
    let mut reduction = ReductionTrace::default();
    for start in (0..len + latency).step_by(hop) {
        let end = (start + hop).min(len + latency);
        let (mut hop_comp_db, mut hop_lim_db) = (0.0f32, 0.0f32);
        for s in (start..end).step_by(RENDER_BLOCK) {
            let e = (s + RENDER_BLOCK).min(end);
            let (ll, lr) = lead.split_at_mut(1);
            let mut lead_block = [&mut ll[0][s..e], &mut lr[0][s..e]];
            let mut blocks: Vec<[&mut [f32]; 2]> = followers
                .iter_mut()
                .map(|f| {
                    let (fl, fr) = f.split_at_mut(1);
                    [&mut fl[0][s..e], &mut fr[0][s..e]]
                })
                .collect();
            let mut refs: Vec<&mut [&mut [f32]]> = blocks.iter_mut().map(|b| &mut b[..]).collect();
            chain.process_block_with_followers(&mut lead_block, &mut version_state, &mut refs);
            let r = chain.reduction();
            hop_comp_db = hop_comp_db.max(r.compressor_db);
            hop_lim_db = hop_lim_db.max(r.limiter_db);
        }
        reduction.compressor_db.push(hop_comp_db);
        reduction.limiter_db.push(hop_lim_db);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let trim = |mut audio: Stereo| {
        for c in &mut audio {
            c.drain(..latency);
        }
        audio
    };
    MasterRender {
        full: trim(lead),
        versions: followers.into_iter().map(trim).collect(),
        reduction,
    }
}

/// The loudness a target measures: programme loudness, or dialogue-gated loudness when the
/// target is dialogue-gated and a dialogue trace is given.
pub fn target_loudness_lufs(
    target: &DeliveryTarget,
    master: &LoudnessTrace,
    dialogue: Option<&LoudnessTrace>,
) -> f32 {
    match dialogue {
        Some(d) if target.dialogue_gated => {
            dialogue_gated_lufs(master.gating_blocks(), d.gating_blocks())
        }
        _ => master.readings.integrated_lufs,
    }
}

/// One pass of the loudness targeting.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TargetPass {
    /// Master input gain of the pass, dB.
    pub input_db: f32,
    /// Loudness the target measures, LUFS.
    pub loudness_lufs: f32,
}

/// Finds the master input gain that puts the full master within [`TARGET_TOLERANCE_LU`] of
/// the target (secant steps on the measured loudness; the limiter keeps the ceiling). Returns
/// the settings to render with and every pass.
pub fn target_loudness(
    settings: &MasterSettings,
    sample_rate_hz: u32,
    full: &[Vec<f32>],
    target: &DeliveryTarget,
    dialogue: Option<&LoudnessTrace>,
    progress: Progress,
) -> (MasterSettings, Vec<TargetPass>) {
    let goal = target.integrated_lufs;
    let measure = |input_db: f32| {
        let s = MasterSettings {
            input_db,
            ..*settings
        };
        let label = format!("loudness pass (in {input_db:+.2} dB)");
        let render = render_master(&s, sample_rate_hz, full, Vec::new(), &label, progress);
        let trace = LoudnessTrace::measure(&render.full, sample_rate_hz, false);
        TargetPass {
            input_db,
            loudness_lufs: target_loudness_lufs(target, &trace, dialogue),
        }
    };
    let mut passes = vec![measure(settings.input_db)];
    while passes.len() < MAX_TARGET_PASSES {
        let last = passes[passes.len() - 1];
        let error = goal - last.loudness_lufs;
        if !last.loudness_lufs.is_finite() || error.abs() <= TARGET_TOLERANCE_LU {
            break;
        }
        // Loudness per dB of input gain: 1 without dynamics, less into a limiter.
        let slope = match passes.len() {
            1 => 1.0,
            n => {
                let prev = passes[n - 2];
                let s = (last.loudness_lufs - prev.loudness_lufs) / (last.input_db - prev.input_db);
                if s.is_finite() && s > 0.05 {
                    s
                } else {
                    1.0
                }
            }
        };
        let next = (last.input_db + error / slope).clamp(-24.0, 24.0);
        if next == last.input_db {
            break;
        }
        passes.push(measure(next));
    }
    let best = passes
        .iter()
        .min_by(|a, b| {
            let d = |p: &TargetPass| (p.loudness_lufs - goal).abs();
            d(a).total_cmp(&d(b))
        })
        .copied()
        .unwrap_or(passes[0]);
    (
        MasterSettings {
            input_db: best.input_db,
            ..*settings
        },
        passes,
    )
}
