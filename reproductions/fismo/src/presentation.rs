//! Tables and figures: every number cites a metric.

use crate::experiment::{Plan, Results};
use crate::method::Arm;
use harness::{Cell, Figure, Report, Series, Table, stats};

pub fn tables(report: &mut Report, plan: &Plan) {
    report.tables.push(Table {
        key: "grid".into(),
        title: "Final training loss per learning rate (seed means, nats)".into(),
        columns: std::iter::once("lr index".to_string())
            .chain(Arm::ALL.iter().map(|a| a.label().to_string()))
            .collect(),
        rows: (0..plan.lrs[0].len())
            .map(|i| {
                std::iter::once(Cell::text(format!(
                    "{} / {} / {}",
                    plan.lrs[0][i], plan.lrs[1][i], plan.lrs[2][i]
                )))
                .chain(
                    Arm::ALL
                        .iter()
                        .map(|a| Cell::value(&format!("x3.final.{}", a.key()), i)),
                )
                .collect()
            })
            .collect(),
    });
    report.tables.push(Table {
        key: "best".into(),
        title: "Each method at its best learning rate".into(),
        columns: vec![
            "method".into(),
            "lr".into(),
            "final train loss".into(),
            "median log10 κ(ΔW)".into(),
            "test accuracy".into(),
            "ms per optimizer step".into(),
        ],
        rows: Arm::ALL
            .iter()
            .enumerate()
            .map(|(a, arm)| {
                vec![
                    Cell::text(arm.label()),
                    Cell::value(&format!("x3.best_lr.{}", arm.key()), 0),
                    Cell::value("x3.best", a),
                    Cell::value("x4.log_kappa", a),
                    Cell::metric(&format!("x3.accuracy.{}", arm.key())),
                    Cell::metric(&format!("x3.step_ms.{}", arm.key())),
                ]
            })
            .collect(),
    });
}

pub fn figures(report: &mut Report, plan: &Plan, results: &Results) {
    let series = Arm::ALL
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            Series::with_err(
                arm.key(),
                results.runs[a].iter().enumerate().map(|(i, r)| {
                    let v: Vec<f64> = r.iter().map(|o| o.final_loss).collect();
                    (f64::from(plan.lrs[a][i]), stats::mean(&v), stats::se(&v))
                }),
            )
        })
        .collect();
    report.figures.push(Figure {
        key: "lr".into(),
        title: "Final training loss against learning rate".into(),
        x_label: "learning rate".into(),
        y_label: "training loss (nats)".into(),
        x_log: true,
        y_log: true,
        series,
        guides: vec![],
        caption: "Seed means with standard errors; Muon and FISMO share a grid, AdamW has its own."
            .into(),
    });
}
