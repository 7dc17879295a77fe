//! Tables and figures: every number cites a metric.

use crate::experiment::{Plan, Results};
use crate::method::Arm;
use harness::{Cell, Figure, Report, Series, Table, stats};

pub fn tables(report: &mut Report, _plan: &Plan) {
    report.tables.push(Table {
        key: "arms".into(),
        title: "The four arms at the end of training (seed means ± sd)".into(),
        columns: vec![
            "method".into(),
            "λ_max".into(),
            "test accuracy".into(),
            "best-epoch test accuracy".into(),
            "noisy-train accuracy".into(),
            "forward passes per step".into(),
            "backward passes per step".into(),
            "state (MB)".into(),
            "ms per step".into(),
        ],
        rows: Arm::ALL
            .iter()
            .map(|arm| {
                let k = arm.key();
                vec![
                    Cell::text(arm.label()),
                    Cell::metric(&format!("v2.lambda.{k}")),
                    Cell::metric(&format!("v3.accuracy.{k}")),
                    Cell::metric(&format!("v3.peak.{k}")),
                    Cell::metric(&format!("v3.train_accuracy.{k}")),
                    Cell::value(&format!("v1.passes.{k}"), 0),
                    Cell::value(&format!("v1.passes.{k}"), 1),
                    Cell::value(&format!("v1.state_mb.{k}"), 0),
                    Cell::metric(&format!("v1.step_ms.{k}")),
                ]
            })
            .collect(),
    });
    report.tables.push(Table {
        key: "hvp".into(),
        title: "How λ_max is measured: central-difference Hessian-vector products against a dense Hessian".into(),
        columns: vec!["check".into(), "value".into()],
        rows: vec![
            vec![Cell::text("softmax regression: dense top eigenvalue"), Cell::value("v2.dense_lambda", 0)],
            vec![Cell::text("softmax regression: power iteration on the products"), Cell::value("v2.dense_lambda", 1)],
            vec![Cell::text("relative error of one product"), Cell::value("v2.hvp_check", 0)],
            vec![Cell::text("relative error of λ_max"), Cell::value("v2.hvp_check", 1)],
            vec![Cell::text("MLP: |λ(ε) − λ(ε/2)| / λ(ε)"), Cell::value("v2.eps_gap", 0)],
        ],
    });
}

pub fn figures(report: &mut Report, plan: &Plan, results: &Results) {
    let series = Arm::ALL
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            let runs = &results.runs[a];
            Series::with_err(
                arm.key(),
                (0..plan.epochs).map(|e| {
                    let v: Vec<f64> = runs
                        .iter()
                        .filter_map(|r| r.test_curve.get(e).copied())
                        .collect();
                    ((e + 1) as f64, stats::mean(&v), stats::se(&v))
                }),
            )
        })
        .collect();
    report.figures.push(Figure {
        key: "test".into(),
        title: "Test accuracy over the epochs".into(),
        x_label: "epoch".into(),
        y_label: "test accuracy".into(),
        x_log: false,
        y_log: false,
        series,
        guides: vec![],
        caption: "Seed means with standard errors; the KL terms of SAF and MESA switch on after the start epoch.".into(),
    });
}
