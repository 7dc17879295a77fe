//! Tables and figures: every number cites a metric.

use crate::claims::net_key;
use crate::experiment::{HEADS, NetRun, Results};
use crate::method::Head;
use harness::{Cell, Figure, Report, Series, Table, stats};

pub fn tables(report: &mut Report) {
    let rows = HEADS
        .iter()
        .map(|&h| {
            vec![
                Cell::text(h.label()),
                Cell::metric(&net_key("acc", h)),
                Cell::metric(&net_key("r2", h)),
                Cell::metric(&net_key("probe", h)),
            ]
        })
        .collect();
    report.tables.push(Table {
        key: "heads".into(),
        title: "Digits: each head (mean ± sd over seeds)".into(),
        columns: [
            "head",
            "accuracy, digits 0–4",
            "class separation R²",
            "linear probe, digits 5–9",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    });
    report.tables.push(Table {
        key: "qr".into(),
        title: "GCR-8: the QR sign question (C5, reported)".into(),
        columns: ["QR", "sign flips per 100 steps", "linear probe, digits 5–9"]
            .map(String::from)
            .to_vec(),
        rows: vec![
            vec![
                Cell::text("Householder (as LAPACK)"),
                Cell::metric("c5.flips_householder"),
                Cell::metric(&net_key("probe", Head::Gcr { k: 8 })),
            ],
            vec![
                Cell::text("sign-normalised"),
                Cell::metric("c5.flips_positive"),
                Cell::metric("c5.probe_positive"),
            ],
        ],
    });
}

pub fn figures(report: &mut Report, results: &Results) {
    report.figures.push(Figure {
        key: "recovery".into(),
        title: "C1: largest principal angle to the optimal subspace".into(),
        x_label: "step".into(),
        y_label: "angle (rad)".into(),
        x_log: false,
        y_log: true,
        series: vec![Series::new("RSGD, lr 0.1, momentum 0.9", results.angles.iter().enumerate().map(|(i, &a)| ((i + 1) as f64, a.max(1e-12))))],
        guides: vec![harness::Guide { vertical: false, y: 1e-6, label: "1e-6".into() }],
        caption: "Linear convergence to the top singular subspace at a rate set by the eigengap, until float32 parameters set the floor near 2e-7; the registered check is at step 500.".into(),
    });
    // x: the subspace dimension k, 0 for the softmax head; runs with an undefined value left out.
    let pts = |f: fn(&NetRun) -> f64| -> Vec<(f64, f64, f64)> {
        HEADS
            .iter()
            .map(|&h| {
                let x = match h {
                    Head::Softmax => 0.0,
                    Head::Gcr { k } => k as f64,
                };
                let v: Vec<f64> = results
                    .per_seed(h, f)
                    .into_iter()
                    .filter(|x| x.is_finite())
                    .collect();
                (x, stats::mean(&v), stats::sd(&v))
            })
            .collect()
    };
    report.figures.push(Figure {
        key: "heads".into(),
        title: "Class separation and transfer against the subspace dimension".into(),
        x_label: "k (0: softmax head)".into(),
        y_label: "value".into(),
        x_log: false,
        y_log: false,
        series: vec![
            Series::with_err("class separation R² (digits 0–4)", pts(|r| r.separation)),
            Series::with_err("linear probe accuracy (digits 5–9)", pts(|r| r.probe)),
        ],
        guides: vec![],
        caption: "Mean ± sd over seeds.".into(),
    });
}
