//! PNG charts of the demo report, drawn with `plotters` (text in the Ubuntu Light font that
//! egui embeds, so no system fonts are needed). Each chart is drawn to a temporary file that is
//! renamed into place.

use crate::png::{self, FONT};
use anyhow::{anyhow, Result};
use plotters::prelude::*;
use std::path::Path;

/// Chart size in pixels.
const SIZE: (u32, u32) = (960, 360);

/// One named line of a time or frequency chart.
pub struct Line<'a> {
    /// Legend label.
    pub label: &'a str,
    /// Points (x, y).
    pub points: Vec<(f64, f64)>,
    /// Colour.
    pub color: RGBColor,
}

/// A line chart of `lines` with the given axis ranges and labels; `log_x` for frequency axes.
#[allow(clippy::too_many_arguments)]
pub fn line_chart(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    x_range: (f64, f64),
    y_range: (f64, f64),
    log_x: bool,
    lines: &[Line],
) -> Result<()> {
    png::draw_png(path, SIZE, |root| {
        let mut builder = ChartBuilder::on(root);
        builder
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56);
        let e = |e: DrawingAreaErrorKind<_>| anyhow!("{e}");
        macro_rules! finish {
            ($chart:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .x_desc(x_label)
                    .y_desc(y_label)
                    .label_style((FONT, 13))
                    .draw()
                    .map_err(e)?;
                for line in lines {
                    let color = line.color;
                    chart
                        .draw_series(LineSeries::new(
                            line.points.iter().copied(),
                            color.stroke_width(2),
                        ))
                        .map_err(e)?
                        .label(line.label)
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                        });
                }
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .label_font((FONT, 13))
                    .position(SeriesLabelPosition::UpperRight)
                    .draw()
                    .map_err(e)?;
            }};
        }
        let y = y_range.0..y_range.1;
        if log_x {
            finish!(builder
                .build_cartesian_2d((x_range.0..x_range.1).log_scale(), y)
                .map_err(e)?);
        } else {
            finish!(builder
                .build_cartesian_2d(x_range.0..x_range.1, y)
                .map_err(e)?);
        }
        Ok(())
    })
}

/// A bar chart: one bar per `(label, value)`, value axis `y_range`.
pub fn bar_chart(
    path: &Path,
    title: &str,
    y_label: &str,
    y_range: (f64, f64),
    bars: &[(String, f64)],
) -> Result<()> {
    png::draw_png(path, SIZE, |root| {
        let e = |e: DrawingAreaErrorKind<_>| anyhow!("{e}");
        let labels: Vec<String> = bars.iter().map(|(l, _)| l.clone()).collect();
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(
                (0..bars.len().max(2) - 1).into_segmented(),
                y_range.0..y_range.1,
            )
            .map_err(e)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(y_label)
            .label_style((FONT, 13))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .map_err(e)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0.0),
                        (SegmentValue::Exact(i + 1), *v),
                    ],
                    RGBColor(60, 110, 190).filled(),
                );
                bar.set_margin(0, 0, 18, 18);
                bar
            }))
            .map_err(e)?;
        Ok(())
    })
}
