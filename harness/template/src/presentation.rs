//! Tables and figures: every number cites a metric.

use crate::experiment::{Plan, Results};
use crate::method::Estimator;
use harness::{Cell, Figure, Report, Series, Table, stats};

pub fn tables(report: &mut Report, plan: &Plan) {
    report.tables.push(Table {
        key: "mse".into(),
        title: "Mean squared error per sample size (seed means)".into(),
        columns: vec!["n".into(), "mean".into(), "median".into()],
        rows: plan
            .sizes
            .iter()
            .enumerate()
            .map(|(s, n)| {
                vec![
                    Cell::text(n.to_string()),
                    Cell::value("mse.mean", s),
                    Cell::value("mse.median", s),
                ]
            })
            .collect(),
    });
}

pub fn figures(report: &mut Report, plan: &Plan, results: &Results) {
    let series = Estimator::ALL
        .iter()
        .map(|&e| {
            Series::with_err(
                e.key(),
                plan.sizes.iter().enumerate().map(|(s, &n)| {
                    let v = results.mse(e, s);
                    (n as f64, stats::mean(&v), stats::se(&v))
                }),
            )
        })
        .collect();
    report.figures.push(Figure {
        key: "mse".into(),
        title: "Squared error against n".into(),
        x_label: "n".into(),
        y_label: "MSE".into(),
        x_log: true,
        y_log: true,
        series,
        guides: vec![],
        caption: "Both fall like 1/n; the median sits a constant factor above.".into(),
    });
}
