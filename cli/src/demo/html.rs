//! The demo's charts and its `report.html` (one self-contained page; the charts are PNG files
//! in `charts/` next to it).

use super::charts::{bar_chart, line_chart, Line};
use super::{DemoResults, DemoSignals};
use crate::album::file::LoudnessMode;
use crate::album::report::AlbumReport;
use crate::contribution::Contributions;
use crate::mastering::hop_frames;
use crate::render::RenderOutcome;
use anyhow::Result;
use plotters::style::RGBColor;
use shared_dsp::spectrum::average_spectrum;
use std::fmt::Write;
use std::path::Path;

/// FFT length of the spectra.
const SPECTRUM_FFT: usize = 8192;
/// Lowest level the charts show, dB.
const FLOOR_DB: f64 = -160.0;

const BLUE: RGBColor = RGBColor(40, 90, 180);
const ORANGE: RGBColor = RGBColor(230, 120, 20);
const GREY: RGBColor = RGBColor(120, 120, 120);
const RED: RGBColor = RGBColor(200, 40, 40);

/// Draws every chart into `out_dir/charts`; returns (relative path, caption) pairs.
pub fn draw_charts(
    out_dir: &Path,
    outcome: &RenderOutcome,
    signals: &DemoSignals,
    contributions: &Contributions,
    target_lufs: f32,
) -> Result<Vec<(String, String)>> {
    let dir = out_dir.join("charts");
    std::fs::create_dir_all(&dir)?;
    let rate = outcome.report.sample_rate_hz;
    let hop_s = hop_frames(rate) as f64 / f64::from(rate);
    let duration_s = outcome.report.duration_s;
    let timeline = |values: &[f32]| -> Vec<(f64, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| ((i + 1) as f64 * hop_s, f64::from(v).max(FLOOR_DB)))
            .collect()
    };
    let mut charts = Vec::new();

    let trace = &outcome.loudness;
    line_chart(
        &dir.join("loudness.png"),
        "Loudness of the full master",
        "time, s",
        "LUFS",
        (0.0, duration_s),
        (-40.0, 0.0),
        false,
        &[
            Line {
                label: "momentary",
                points: timeline(&trace.momentary_lufs),
                color: GREY,
            },
            Line {
                label: "short-term",
                points: timeline(&trace.short_term_lufs),
                color: BLUE,
            },
            Line {
                label: "target",
                points: vec![
                    (0.0, f64::from(target_lufs)),
                    (duration_s, f64::from(target_lufs)),
                ],
                color: RED,
            },
        ],
    )?;
    charts.push((
        "charts/loudness.png".to_owned(),
        format!("Momentary and short-term loudness of the full master, target {target_lufs} LUFS"),
    ));

    let red = &outcome.reduction;
    let max_gr = red
        .compressor_db
        .iter()
        .chain(&red.limiter_db)
        .fold(1.0f32, |m, &v| m.max(v));
    line_chart(
        &dir.join("reduction.png"),
        "Master gain reduction",
        "time, s",
        "dB",
        (0.0, duration_s),
        (0.0, f64::from(max_gr) * 1.6),
        false,
        &[
            Line {
                label: "glue compressor",
                points: timeline(&red.compressor_db),
                color: BLUE,
            },
            Line {
                label: "limiter",
                points: timeline(&red.limiter_db),
                color: ORANGE,
            },
        ],
    )?;
    charts.push((
        "charts/reduction.png".to_owned(),
        "Gain reduction of the glue compressor and the limiter (largest per 100 ms); every \
         version gets exactly these gains"
            .to_owned(),
    ));

    let spectrum = |audio: &[Vec<f32>]| -> Vec<(f64, f64)> {
        let slices: Vec<&[f32]> = audio.iter().map(Vec::as_slice).collect();
        average_spectrum(&slices, f64::from(rate), SPECTRUM_FFT)
            .into_iter()
            .filter(|p| p.freq_hz >= 20.0)
            .map(|p| (p.freq_hz, p.level_db.max(FLOOR_DB)))
            .collect()
    };
    line_chart(
        &dir.join("spectrum.png"),
        "Average spectrum before and after the master",
        "frequency, Hz",
        "dB",
        (20.0, f64::from(rate) / 2.0),
        (-110.0, -10.0),
        true,
        &[
            Line {
                label: "mix (before)",
                points: spectrum(&signals.full_mix),
                color: GREY,
            },
            Line {
                label: "master (after)",
                points: spectrum(&signals.masters[0]),
                color: BLUE,
            },
        ],
    )?;
    charts.push((
        "charts/spectrum.png".to_owned(),
        "Long-term average spectrum of the stem mix and of the full master".to_owned(),
    ));

    let bars: Vec<(String, f64)> = contributions
        .stems
        .iter()
        .map(|s| (s.stem.clone(), f64::from(s.contribution_lu)))
        .collect();
    let top = bars.iter().fold(1.0f64, |m, b| m.max(b.1)) * 1.15;
    bar_chart(
        &dir.join("contribution.png"),
        "Loudness each stem contributes to the master",
        "LU",
        (0.0, top),
        &bars,
    )?;
    charts.push((
        "charts/contribution.png".to_owned(),
        "Integrated loudness of the master minus that of the master with the stem muted".to_owned(),
    ));

    if let Some(residual) = residual_trace(outcome, signals, hop_frames(rate)) {
        line_chart(
            &dir.join("residual.png"),
            "Null test: full master − (instrumental + a cappella)",
            "time, s",
            "peak, dBFS",
            (0.0, duration_s),
            (FLOOR_DB, 0.0),
            false,
            &[Line {
                label: "residual peak per 100 ms",
                points: timeline(&residual),
                color: RED,
            }],
        )?;
        charts.push((
            "charts/residual.png".to_owned(),
            "Residual of the versions' sum against the full master (float rounding only)"
                .to_owned(),
        ));
    }
    Ok(charts)
}

/// Peak |full − instrumental − acappella| per hop, dBFS, when both versions exist.
fn residual_trace(outcome: &RenderOutcome, signals: &DemoSignals, hop: usize) -> Option<Vec<f32>> {
    let sum = outcome.report.version_sums.first()?;
    let index = |name: &str| outcome.report.versions.iter().position(|v| v.name == name);
    let (a, b) = (index(&sum.parts[0])?, index(&sum.parts[1])?);
    let m = &signals.masters;
    let len = m[0][0].len();
    Some(
        (0..len)
            .step_by(hop)
            .map(|start| {
                let end = (start + hop).min(len);
                let peak = (0..m[0].len())
                    .flat_map(|c| (start..end).map(move |i| (c, i)))
                    .map(|(c, i)| (m[0][c][i] - m[a][c][i] - m[b][c][i]).abs())
                    .fold(0.0f32, f32::max);
                20.0 * peak.max(1e-12).log10()
            })
            .collect(),
    )
}

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The demo album: tracks with their CD indices and loudness, the album figures, the files,
/// and the PQ sheet (linked, and its PNG shown).
fn album_section(a: &AlbumReport) -> String {
    let dir = super::ALBUM_DIR;
    let mut h = format!(
        "<h2>Album</h2><p>Three versions of the session as an album (<code>album.toml</code>): \
         the first two gapless, the third after a 2 s gap; {} mode, album gain {:+.2} dB. \
         CD master <code>{dir}/album.wav</code> ({}), DDP 2.00 image <code>{dir}/ddp/</code> \
         (read back: {} audio bytes identical), cue sheet <code>{dir}/album.cue</code>, \
         vinyl sides {}. <a href=\"{dir}/pq-sheet.html\">PQ sheet</a>.</p>\
         <table><tr><th>track</th><th>index 0</th><th>index 1</th><th>length</th>\
         <th>as mastered, LUFS</th><th>CD, LUFS</th><th>LRA, LU</th><th>TP, dBTP</th>\
         <th>PLR, LU</th></tr>",
        match a.mode {
            LoudnessMode::Album => "album loudness",
            LoudnessMode::Track => "track loudness",
        },
        a.album_gain_db.unwrap_or(0.0),
        a.cd.length,
        a.cd.ddp_verification["audio_bytes_compared"],
        a.vinyl
            .iter()
            .map(|s| format!("<code>{dir}/{}</code>", esc(&s.file)))
            .collect::<Vec<_>>()
            .join(", "),
    );
    for t in &a.tracks {
        let _ = write!(
            h,
            "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td>\
             <td>{:.1}</td><td>{:.2}</td><td>{:.1}</td></tr>",
            t.number,
            esc(t.title.as_deref().unwrap_or(&t.version)),
            t.index0,
            t.index1,
            t.length,
            t.as_mastered.version_lufs,
            t.cd.integrated_lufs,
            t.cd.lra_lu,
            t.cd.true_peak_dbtp,
            t.cd.plr_lu
        );
    }
    let m = &a.cd.album;
    let level = |v: Option<f32>| v.map_or("−∞".to_owned(), |v| format!("{v:.2}"));
    let _ = write!(
        h,
        "</table><p>Album: {} LUFS, LRA {:.1} LU, true peak {} dBTP, PLR {} LU; the songs' \
         loudness differences kept within {:.3} LU.</p>\
         <figure><a href=\"{dir}/pq-sheet.html\"><img src=\"{dir}/pq-sheet.png\" \
         alt=\"PQ sheet\"></a><figcaption>PQ sheet</figcaption></figure>",
        level(m.integrated_lufs),
        m.lra_lu,
        level(m.true_peak_dbtp),
        level(m.plr_lu),
        a.loudness_differences.max_pair_error_lu
    );
    h
}

/// The report page.
pub fn page(r: &DemoResults) -> String {
    let rep = &r.render.report;
    let t = &rep.target;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Stemwise demo report</title>\
         <style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}}\
         table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #bbb;padding:3px 8px;\
         text-align:right}}th{{background:#eee}}td:first-child{{text-align:left}}\
         img{{max-width:100%;border:1px solid #ddd}}.ok{{color:#070}}.bad{{color:#b00}}</style>\
         </head><body><h1>Stemwise demo</h1>\
         <p>{:.1} s at {} Hz: four synthesized stems (drums, bass, keys, vocal-like lead) through \
         their Stem Strips, summed, through the Master Bus; versions get the full mix's master \
         gains. Session: <code>session.toml</code>, stems in <code>stems/</code>.</p>",
        rep.duration_s, rep.sample_rate_hz
    );
    let _ = write!(
        h,
        "<h2>Loudness targeting</h2><p>Target <b>{}</b>: {:.1} LUFS, ≤ {:.1} dBTP. \
         Reached <b>{:.2} LUFS</b> ({:+.3} LU) with master input {:+.2} dB after {} passes; \
         limiter mean {:.2} dB, max {:.2} dB.</p><table><tr><th>pass</th><th>input dB</th>\
         <th>LUFS</th></tr>",
        t.id,
        t.lufs,
        t.true_peak_dbtp,
        t.achieved_lufs,
        t.error_lu,
        rep.master_input_db,
        t.passes.len(),
        rep.limiter_mean_db,
        rep.limiter_max_db
    );
    for (i, p) in t.passes.iter().enumerate() {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{:+.2}</td><td>{:.2}</td></tr>",
            i + 1,
            p.input_db,
            p.loudness_lufs
        );
    }
    h += "</table><h2>Versions and deliverables</h2><table><tr><th>file</th><th>LUFS</th>\
          <th>TP after conversion, dBTP</th><th>loudness trim, dB</th><th>safety limiter, dB</th><th>gain, dB</th><th>delivered TP, dBTP</th></tr>";
    for v in &rep.versions {
        let _ = write!(
            h,
            "<tr><th colspan=7 style=\"text-align:left\">{} — master {:.2} LUFS, \
             LRA {:.1} LU, TP {:.2} dBTP</th></tr>",
            esc(&v.name),
            v.integrated_lufs,
            v.lra_lu,
            v.true_peak_dbtp
        );
        for d in &v.deliverables {
            let ok = d.check.true_peak_dbtp <= rep.ceiling_dbtp;
            let name = Path::new(&d.path)
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{:.2}</td><td>{:.2}</td><td>{:+.2}</td><td>{:.2}</td>\
                 <td>{:+.2}</td><td class=\"{}\">{:.2}</td></tr>",
                esc(&name),
                d.check.integrated_lufs,
                d.check.converted_true_peak_dbtp,
                d.check.trim_db,
                d.check.limiter_db,
                d.check.correction_db,
                if ok { "ok" } else { "bad" },
                d.check.true_peak_dbtp
            );
        }
    }
    h += "</table>";
    for s in &rep.version_sums {
        let _ = write!(
            h,
            "<p>{} sum to the full master within <b>{:.1} dBFS</b> ({:.2e} full scale).</p>",
            esc(&s.parts.join(" + ")),
            s.max_error_dbfs,
            s.max_error
        );
    }
    h += "<h2>Null tests</h2>";
    for run in &r.null_runs {
        let res = &run.result;
        let _ = write!(
            h,
            "<h3>{}</h3><p>Verdict <b>{}</b>, residual peak {} dBFS, RMS {} dBFS.</p><ul>",
            esc(&run.title),
            res.verdict.label(),
            res.residual_peak_dbfs
                .map_or("−∞".to_owned(), |v| format!("{v:.1}")),
            res.residual_rms_dbfs
                .map_or("−∞".to_owned(), |v| format!("{v:.1}")),
        );
        for d in &res.diagnoses {
            let _ = write!(h, "<li>{}</li>", esc(&d.message));
        }
        h += "</ul>";
    }
    let c = &r.contributions;
    let _ = write!(
        h,
        "<h2>Stem contributions</h2><p>Master {:.2} LUFS, limiter mean {:.2} dB.</p><table>\
         <tr><th>stem</th><th>adds, LU</th><th>master without it, LUFS</th>\
         <th>limiting it drives, dB</th></tr>",
        c.master_lufs, c.master_limiting_db
    );
    for s in &c.stems {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td></tr>",
            esc(&s.stem),
            s.contribution_lu,
            s.without_lufs,
            s.limiting_driven_db
        );
    }
    let _ = write!(
        h,
        "</table><p>Trims that reach {:.1} LUFS from the rendered master:</p><table><tr>\
         <th>control</th><th>trim, dB</th><th>LUFS</th><th>limiter mean, dB</th></tr>",
        c.target_lufs
    );
    for (i, tr) in c.trims.iter().enumerate() {
        let best = if Some(i) == c.best_trim {
            " (least limiting)"
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr><td>{}{best}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td></tr>",
            esc(&tr.control),
            tr.trim_db
                .map_or("out of reach".to_owned(), |v| format!("{v:+.2}")),
            tr.reached_lufs,
            tr.limiting_db
        );
    }
    h += "</table>";
    h += &album_section(&r.album);
    h += "<h2>Charts</h2>";
    for (file, caption) in &r.charts {
        let _ = write!(
            h,
            "<figure><img src=\"{file}\" alt=\"{0}\"><figcaption>{0}</figcaption></figure>",
            esc(caption)
        );
    }
    let _ = writeln!(
        h,
        "<p>Stems: {}.</p></body></html>",
        esc(&r.stem_names.join(", "))
    );
    h
}
