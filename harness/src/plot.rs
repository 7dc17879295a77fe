//! Figures: a report's [`Figure`] data rendered to SVG with plotters (SVG text elements, so no
//! system fonts are needed and the browser draws the labels).
//!
//! Log axes are drawn by plotting `log10` of the data on a linear axis and labelling integer
//! ticks as powers of ten; non-positive values cannot be shown on a log axis and are dropped.

use crate::report::Figure;
use plotters::prelude::*;

const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // green
    RGBColor(204, 121, 167), // purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
];

fn superscript(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            '9' => '⁹',
            other => other,
        })
        .collect()
}

fn tick_label(v: f64, log: bool) -> String {
    if !log {
        return crate::numbers::fmt(crate::numbers::round_sig(v, 6));
    }
    if (v - v.round()).abs() < 1e-9 {
        format!("10{}", superscript(&format!("{}", v.round() as i64)))
    } else {
        String::new()
    }
}

fn transform(v: f64, log: bool) -> Option<f64> {
    if log {
        (v > 0.0).then(|| v.log10())
    } else {
        v.is_finite().then_some(v)
    }
}

fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = 0.04 * (hi - lo);
    (lo - pad, hi + pad)
}

/// A series in plot coordinates (log10 applied where the axis is logarithmic).
struct Drawn {
    name: String,
    pts: Vec<(f64, f64)>,
    /// `(x, low, high)` of each error bar.
    bars: Vec<(f64, f64, f64)>,
    dashed: bool,
}

/// Renders a figure to an SVG document.
pub fn render_svg(fig: &Figure) -> Result<String, String> {
    let series: Vec<Drawn> = fig
        .series
        .iter()
        .map(|s| {
            let pts = s
                .points
                .iter()
                .filter_map(|p| Some((transform(p[0], fig.x_log)?, transform(p[1], fig.y_log)?)))
                .collect();
            let bars = s
                .points
                .iter()
                .zip(&s.err)
                .filter_map(|(p, e)| {
                    let x = transform(p[0], fig.x_log)?;
                    // On a log axis a bar reaching below zero is clipped at a tenth of the point.
                    let lo = if fig.y_log {
                        (p[1] - e).max(p[1] / 10.0)
                    } else {
                        p[1] - e
                    };
                    Some((
                        x,
                        transform(lo, fig.y_log)?,
                        transform(p[1] + e, fig.y_log)?,
                    ))
                })
                .collect();
            Drawn {
                name: s.name.clone(),
                pts,
                bars,
                dashed: s.dashed,
            }
        })
        .collect();
    let guides: Vec<(f64, &str)> = fig
        .guides
        .iter()
        .filter_map(|g| Some((transform(g.y, fig.y_log)?, g.label.as_str())))
        .collect();
    let xr = padded_range(series.iter().flat_map(|s| s.pts.iter().map(|q| q.0)));
    let yr = padded_range(
        series
            .iter()
            .flat_map(|s| s.pts.iter().map(|q| q.1))
            .chain(
                series
                    .iter()
                    .flat_map(|s| s.bars.iter().flat_map(|b| [b.1, b.2])),
            )
            .chain(guides.iter().map(|g| g.0)),
    );
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (760, 440)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&fig.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
            .map_err(|e| e.to_string())?;
        let (xl, yl) = (fig.x_log, fig.y_log);
        let xf = move |v: &f64| tick_label(*v, xl);
        let yf = move |v: &f64| tick_label(*v, yl);
        chart
            .configure_mesh()
            .x_desc(&fig.x_label)
            .y_desc(&fig.y_label)
            .x_labels(10)
            .y_labels(10)
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| e.to_string())?;
        for (
            k,
            Drawn {
                name,
                pts,
                bars,
                dashed,
            },
        ) in series.iter().enumerate()
        {
            let color = PALETTE[k % PALETTE.len()];
            let style = color.stroke_width(2);
            let drawn = if *dashed {
                chart.draw_series(DashedLineSeries::new(pts.iter().copied(), 6, 4, style))
            } else {
                chart.draw_series(LineSeries::new(pts.iter().copied(), style))
            };
            drawn
                .map_err(|e| e.to_string())?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
            if pts.len() <= 60 && !dashed {
                chart
                    .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                    .map_err(|e| e.to_string())?;
            }
            chart
                .draw_series(bars.iter().map(|&(x, lo, hi)| {
                    PathElement::new(vec![(x, lo), (x, hi)], color.stroke_width(1))
                }))
                .map_err(|e| e.to_string())?;
        }
        for (y, label) in &guides {
            let gray = RGBColor(110, 110, 110);
            chart
                .draw_series(LineSeries::new(
                    vec![(xr.0, *y), (xr.1, *y)],
                    ShapeStyle::from(&gray).stroke_width(1),
                ))
                .map_err(|e| e.to_string())?
                .label(*label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], gray));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Guide, Series};

    #[test]
    fn renders_log_axes_with_labels() {
        let fig = Figure {
            key: "conv".into(),
            title: "Marginal error".into(),
            x_label: "iteration".into(),
            y_label: "error".into(),
            x_log: false,
            y_log: true,
            series: vec![
                Series::new("A", (0..50).map(|k| (k as f64, 10f64.powi(-k / 4)))),
                Series::new("B", vec![(0.0, 1.0), (1.0, 0.0), (2.0, 1e-3)]).dashed(),
                Series::with_err("C", vec![(3.0, 0.5, 0.1), (4.0, 0.2, 0.5)]),
            ],
            guides: vec![Guide {
                y: 1e-10,
                label: "target".into(),
            }],
            caption: String::new(),
        };
        let svg = render_svg(&fig).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("Marginal error") && svg.contains("target"));
        assert!(svg.contains("10⁻¹⁰"), "power-of-ten tick labels");
        assert!(svg.contains("<polyline") || svg.contains("<path"));
    }
}
