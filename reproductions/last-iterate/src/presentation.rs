//! Tables and figures: every number cites a metric.

use crate::claims::{L1_SLOPE, L2_SLOPE, L3_SLOPE, SETTING_NAMES, key};
use crate::experiment::{GapCurve, Results};
use harness::{Cell, Figure, Provenance, Report, Series, Table};

pub fn tables(report: &mut Report) {
    report.tables.push(Table {
        key: "slopes".into(),
        title: "Fitted log-log slopes against the rates' orders".into(),
        columns: [
            "setting",
            "step size",
            "predicted slope [unverified]",
            "window (card)",
            "fitted slope",
            "± SE",
        ]
        .map(String::from)
        .to_vec(),
        rows: vec![
            row(
                "Lipschitz convex, Gaussian noise",
                "1/√T",
                "−1/2 (up to log T)",
                L1_SLOPE,
                "l1",
            ),
            row(
                "strongly convex, Gaussian noise",
                "1/t",
                "−1 (up to log T)",
                L2_SLOPE,
                "l2",
            ),
            row(
                "Lipschitz convex, Student t (ν = 1.6)",
                "T^(−2/3)",
                "−1/3",
                L3_SLOPE,
                "l3",
            ),
        ],
    });
}

fn row(setting: &str, step: &str, predicted: &str, window: (f64, f64), pre: &str) -> Vec<Cell> {
    vec![
        Cell::text(setting),
        Cell::text(step),
        Cell::text(predicted),
        Cell::text(format!("[{}, {}]", window.0, window.1)),
        Cell::value(&key(pre, "slope"), 0),
        Cell::value(&key(pre, "slope_se"), 0),
    ]
}

pub fn figures(report: &mut Report, results: &Results) {
    let c = &results.curves;
    report.figures.push(figure(&[
        (SETTING_NAMES[0], &c[0].curve, -0.5),
        (SETTING_NAMES[1], &c[1].curve, -1.0),
        (SETTING_NAMES[2], &c[2].curve, -1.0 / 3.0),
    ]));
    let slopes = report.paper_vs_here(
        "paper-vs-here",
        "Exponent of T: the rate table's order against the fitted slope",
        false,
        &[
            (
                "L1, Lipschitz convex",
                -0.5,
                Provenance::Unverified,
                "l1.slope",
            ),
            (
                "L2, strongly convex",
                -1.0,
                Provenance::Unverified,
                "l2.slope",
            ),
            (
                "L3, heavy-tailed",
                -1.0 / 3.0,
                Provenance::Unverified,
                "l3.slope",
            ),
        ],
    );
    report.figures.push(slopes);
}

/// Mean gap against T on log-log axes with ±3 SE bands and the predicted slope.
fn figure(curves: &[(&str, &GapCurve, f64)]) -> Figure {
    let mut series = Vec::new();
    for (label, c, slope) in curves {
        let ts: Vec<f64> = c.horizons.iter().map(|&t| t as f64).collect();
        series.push(Series::with_err(
            &format!("{label} (± 3 SE)"),
            ts.iter()
                .zip(c.mean.iter().zip(&c.se))
                .map(|(&t, (&m, &s))| (t, m, 3.0 * s)),
        ));
        // The predicted rate, anchored at the last horizon.
        let (t_last, m_last) = (ts[ts.len() - 1], c.mean[c.mean.len() - 1]);
        series.push(
            Series::new(
                &format!("{label}: slope {slope:.2}"),
                ts.iter().map(|&t| (t, m_last * (t / t_last).powf(*slope))),
            )
            .dashed(),
        );
    }
    Figure {
        key: "rates".into(),
        title: "Last-iterate gap E f(x(T+1)) − f* against the horizon T".into(),
        x_label: "T".into(),
        y_label: "mean gap".into(),
        x_log: true,
        y_log: true,
        series,
        guides: vec![],
        caption: "Monte Carlo means with ±3 standard-error bars; dashed: the predicted slopes, anchored at the largest T.".into(),
    }
}
