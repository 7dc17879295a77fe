//! Figures: a report's [`Figure`] data rendered to SVG with plotters (SVG text elements, so no
//! system fonts are needed and the browser draws the labels).
//!
//! Log axes are drawn by plotting `log10` of the data on a linear axis with explicit ticks: every
//! decade in range, labelled as a power of ten, and 2× and 5× each decade as well when the range
//! spans fewer than three decades, so no log axis is labelled at one or two points only.
//! Non-positive values cannot be shown on a log axis and are dropped.
//!
//! The legend sits below the plot, outside the data. Guides (thresholds, budgets, targets) are
//! dotted black lines, distinct from the solid data and the dashed reference curves.

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
    let decade = v.floor();
    let mantissa = 10f64.powf(v - decade);
    let power = format!("10{}", superscript(&format!("{}", decade as i64)));
    if (mantissa - mantissa.round()).abs() <= 1e-6 && (-3.0..=3.0).contains(&decade) {
        // Between 0.001 and 5000 a plain number reads faster than a power of ten.
        return crate::numbers::fmt(crate::numbers::round_sig(10f64.powf(v), 3));
    }
    match mantissa.round() as i64 {
        _ if (mantissa - mantissa.round()).abs() > 1e-6 => String::new(),
        1 => power,
        10 => format!("10{}", superscript(&format!("{}", decade as i64 + 1))),
        m => format!("{m}·{power}"),
    }
}

/// Tick positions in plot coordinates: for a log axis the decades in range (with 2× and 5× when
/// fewer than three decades are spanned, and the ends' values when not even one decade is);
/// for a linear axis about eight round steps.
fn ticks(lo: f64, hi: f64, log: bool) -> Vec<f64> {
    if log {
        let decades: Vec<f64> = (lo.ceil() as i64..=hi.floor() as i64)
            .map(|d| d as f64)
            .collect();
        if decades.len() >= 3 {
            return decades;
        }
        let mut out: Vec<f64> = (lo.floor() as i64..=hi.ceil() as i64)
            .flat_map(|d| [1.0f64, 2.0, 5.0].map(|m| d as f64 + m.log10()))
            .filter(|&t| t >= lo - 1e-9 && t <= hi + 1e-9)
            .collect();
        if out.len() < 2 {
            out = vec![lo, hi];
        }
        return out;
    }
    let raw = (hi - lo) / 8.0;
    if raw.is_nan() || raw <= 0.0 || !raw.is_finite() {
        return vec![lo];
    }
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// A log tick that is not a 1·, 2· or 5· multiple (an end value of a narrow range) is labelled
/// with its value.
fn log_tick_text(v: f64) -> String {
    let label = tick_label(v, true);
    if label.is_empty() {
        crate::numbers::fmt(crate::numbers::round_sig(10f64.powf(v), 3))
    } else {
        label
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

/// A guide in plot coordinates.
struct DrawnGuide {
    at: f64,
    vertical: bool,
    label: String,
}

/// The colour of guides: near-black, dotted.
const GUIDE: RGBColor = RGBColor(40, 40, 40);

#[derive(Clone, Copy)]
enum LegendStyle {
    Solid,
    Dashed,
    Dotted,
}

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Grid lines at the ticks, and the tick labels beside the axes (in the area around the plot).
fn draw_ticks(
    chart: &mut Chart<'_, '_>,
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    (xt, yt): (&[f64], &[f64]),
    (xr, yr): ((f64, f64), (f64, f64)),
    (x_log, y_log): (bool, bool),
) -> Result<(), String> {
    let grid = RGBColor(225, 225, 225);
    let text = |v: f64, log: bool| {
        if log {
            log_tick_text(v)
        } else {
            tick_label(v, false)
        }
    };
    let font = ("sans-serif", 13).into_font().color(&RGBColor(40, 40, 40));
    for &x in xt {
        chart
            .draw_series(LineSeries::new(vec![(x, yr.0), (x, yr.1)], grid))
            .map_err(|e| e.to_string())?;
        let (px, py) = chart.backend_coord(&(x, yr.0));
        let label = text(x, x_log);
        let w = 7 * label.chars().count() as i32 / 2;
        area.draw(&Text::new(label, (px - w, py + 6), font.clone()))
            .map_err(|e| e.to_string())?;
    }
    for &y in yt {
        chart
            .draw_series(LineSeries::new(vec![(xr.0, y), (xr.1, y)], grid))
            .map_err(|e| e.to_string())?;
        let (px, py) = chart.backend_coord(&(xr.0, y));
        let label = text(y, y_log);
        let w = 7 * label.chars().count() as i32;
        area.draw(&Text::new(label, (px - w - 6, py - 7), font.clone()))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Draws the legend entries in two columns into `area` (below the plot).
fn draw_legend(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    entries: &[(String, RGBColor, LegendStyle)],
    columns: usize,
) -> Result<(), String> {
    let font = ("sans-serif", 14).into_font().color(&RGBColor(30, 30, 30));
    for (i, (name, color, style)) in entries.iter().enumerate() {
        let x0 = 84 + (i % columns) as i32 * 340;
        let y = 14 + (i / columns) as i32 * 22;
        let stroke = color.stroke_width(2);
        let segments: Vec<(i32, i32)> = match style {
            LegendStyle::Solid => vec![(0, 26)],
            LegendStyle::Dashed => vec![(0, 8), (12, 20), (24, 26)],
            LegendStyle::Dotted => (0..7).map(|k| (4 * k, 4 * k + 2)).collect(),
        };
        for (a, b) in segments {
            area.draw(&PathElement::new(vec![(x0 + a, y), (x0 + b, y)], stroke))
                .map_err(|e| e.to_string())?;
        }
        area.draw(&Text::new(name.clone(), (x0 + 34, y - 8), font.clone()))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
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
    let guides: Vec<DrawnGuide> = fig
        .guides
        .iter()
        .filter_map(|g| {
            let log = if g.vertical { fig.x_log } else { fig.y_log };
            Some(DrawnGuide {
                at: transform(g.y, log)?,
                vertical: g.vertical,
                label: g.label.clone(),
            })
        })
        .collect();
    let xr = padded_range(
        series
            .iter()
            .flat_map(|s| s.pts.iter().map(|q| q.0))
            .chain(guides.iter().filter(|g| g.vertical).map(|g| g.at)),
    );
    let yr = padded_range(
        series
            .iter()
            .flat_map(|s| s.pts.iter().map(|q| q.1))
            .chain(
                series
                    .iter()
                    .flat_map(|s| s.bars.iter().flat_map(|b| [b.1, b.2])),
            )
            .chain(guides.iter().filter(|g| !g.vertical).map(|g| g.at)),
    );
    let mut out = String::new();
    // Legend entries: every series and every guide, laid out in two columns below the plot.
    let entries: Vec<(String, RGBColor, LegendStyle)> = series
        .iter()
        .enumerate()
        .map(|(k, d)| {
            let style = if d.dashed {
                LegendStyle::Dashed
            } else {
                LegendStyle::Solid
            };
            (d.name.clone(), PALETTE[k % PALETTE.len()], style)
        })
        .chain(
            guides
                .iter()
                .map(|g| (g.label.clone(), GUIDE, LegendStyle::Dotted)),
        )
        .collect();
    // Two columns unless a name would run into the second.
    let columns = if entries.iter().any(|e| e.0.chars().count() > 40) {
        1
    } else {
        2
    };
    let legend_rows = entries.len().div_ceil(columns);
    let legend_h = 14 + 22 * legend_rows as u32;
    {
        let root = SVGBackend::with_string(&mut out, (760, 440 + legend_h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (plot_area, legend_area) = root.split_vertically(440);
        let (xt, yt) = (ticks(xr.0, xr.1, fig.x_log), ticks(yr.0, yr.1, fig.y_log));
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(&fig.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
            .map_err(|e| e.to_string())?;
        // Axes and their descriptions from plotters; ticks, grid and tick labels at the
        // positions `ticks` chose, drawn here.
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .y_labels(0)
            .x_desc(&fig.x_label)
            .y_desc(&fig.y_label)
            .draw()
            .map_err(|e| e.to_string())?;
        draw_ticks(
            &mut chart,
            &plot_area,
            (&xt, &yt),
            (xr, yr),
            (fig.x_log, fig.y_log),
        )?;
        for (k, d) in series.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let style = color.stroke_width(2);
            if d.dashed {
                chart
                    .draw_series(DashedLineSeries::new(d.pts.iter().copied(), 6, 4, style))
                    .map_err(|e| e.to_string())?;
            } else {
                chart
                    .draw_series(LineSeries::new(d.pts.iter().copied(), style))
                    .map_err(|e| e.to_string())?;
            }
            if d.pts.len() <= 60 && !d.dashed {
                chart
                    .draw_series(d.pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                    .map_err(|e| e.to_string())?;
            }
            chart
                .draw_series(d.bars.iter().map(|&(x, lo, hi)| {
                    PathElement::new(vec![(x, lo), (x, hi)], color.stroke_width(1))
                }))
                .map_err(|e| e.to_string())?;
        }
        for g in &guides {
            let line = if g.vertical {
                vec![(g.at, yr.0), (g.at, yr.1)]
            } else {
                vec![(xr.0, g.at), (xr.1, g.at)]
            };
            chart
                .draw_series(DashedLineSeries::new(
                    line,
                    2,
                    4,
                    ShapeStyle::from(&GUIDE).stroke_width(2),
                ))
                .map_err(|e| e.to_string())?;
        }
        draw_legend(&legend_area, &entries, columns)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Guide, Series};

    #[test]
    fn narrow_log_ranges_get_two_and_five_ticks() {
        // 0.03 … 0.5: one decade boundary only (0.1), so 2× and 5× are labelled too.
        let t = ticks(0.03f64.log10(), 0.5f64.log10(), true);
        let labels: Vec<String> = t.iter().map(|&v| log_tick_text(v)).collect();
        assert_eq!(labels, ["0.05", "0.1", "0.2", "0.5"]);
        // Three decades or more: the decades alone.
        assert_eq!(ticks(-0.5, 3.2, true), vec![0.0, 1.0, 2.0, 3.0]);
        // Linear: round steps inside the range.
        assert_eq!(ticks(0.0, 1.0, false)[..3], [0.0, 0.2, 0.4]);
    }

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
                vertical: false,
                y: 1e-10,
                label: "target".into(),
            }],
            caption: String::new(),
        };
        let svg = render_svg(&fig).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("Marginal error") && svg.contains("target"));
        assert!(svg.contains("10⁻¹⁰"), "power-of-ten tick labels");
        // Every decade in range is labelled, not one or two.
        for d in ["10⁻¹²", "10⁻⁸", "10⁻⁴", "1"] {
            assert!(svg.contains(d), "decade {d} is labelled");
        }
        assert!(svg.contains("<polyline") || svg.contains("<path"));
    }
}
