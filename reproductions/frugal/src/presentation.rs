//! Tables and figures: every number cites a metric.

use crate::claims::best;
use crate::experiment::{Plan, Results};
use crate::method::Arm;
use harness::{Cell, Figure, Report, Series, Table, stats};

pub fn tables(report: &mut Report, plan: &Plan) {
    report.tables.push(Table {
        key: "grid".into(),
        title: "Final validation loss per learning rate (seed means, nats per character)".into(),
        columns: std::iter::once("lr".to_string())
            .chain(Arm::ALL.iter().map(|a| a.label().to_string()))
            .collect(),
        rows: plan
            .lrs
            .iter()
            .enumerate()
            .map(|(i, lr)| {
                std::iter::once(Cell::text(format!("{lr}")))
                    .chain(
                        Arm::ALL
                            .iter()
                            .map(|a| Cell::value(&format!("f1.val.{}", a.key()), i)),
                    )
                    .collect()
            })
            .collect(),
    });
    report.tables.push(Table {
        key: "best".into(),
        title: "Each method at its best learning rate: loss, state and step time".into(),
        columns: vec![
            "method".into(),
            "lr".into(),
            "validation loss".into(),
            "Adam moment floats".into(),
            "projector entries".into(),
            "ms per optimizer step".into(),
        ],
        rows: Arm::ALL
            .iter()
            .map(|arm| {
                let k = arm.key();
                vec![
                    Cell::text(arm.label()),
                    Cell::value(&format!("f1.best_lr.{k}"), 0),
                    Cell::metric(&format!("f1.best.{k}")),
                    Cell::value(&format!("f3.moments.{k}"), 0),
                    Cell::value(&format!("f3.projector.{k}"), 0),
                    Cell::metric(&format!("f1.step_ms.{k}")),
                ]
            })
            .collect(),
    });
    report.tables.push(Table {
        key: "state".into(),
        title: "The model's parameters and the state formulas (floats)".into(),
        columns: vec!["quantity".into(), "value".into()],
        rows: vec![
            vec![
                Cell::text("P_linear (projectable)"),
                Cell::value("f3.params", 0),
            ],
            vec![Cell::text("P_regular"), Cell::value("f3.params", 1)],
            vec![Cell::text("AdamW: 2P"), Cell::value("f3.adamw_formula", 0)],
            vec![
                Cell::text("2(P_regular + ρ P_linear)"),
                Cell::value("f3.formula", 0),
            ],
            vec![
                Cell::text("FRUGAL(blocks) above the formula"),
                Cell::value("f3.block_excess", 0),
            ],
        ],
    });
}

pub fn figures(report: &mut Report, plan: &Plan, results: &Results) {
    let curves = Arm::ALL
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            let cell = &results.runs[a][best(&results.runs[a])];
            let points = cell.iter().map(|o| o.curve.len()).min().unwrap_or(0);
            Series::with_err(
                arm.key(),
                (0..points).map(|i| {
                    let v: Vec<f64> = cell.iter().map(|o| o.curve[i]).collect();
                    let step = (i * plan.curve_every).min(plan.steps);
                    (step as f64, stats::mean(&v), stats::se(&v))
                }),
            )
        })
        .collect();
    report.figures.push(Figure {
        key: "curves".into(),
        title: "Validation loss during training, each method at its best learning rate".into(),
        x_label: "step".into(),
        y_label: "validation loss (nats/char)".into(),
        x_log: false,
        y_log: false,
        series: curves,
        guides: vec![],
        caption: "Seed means with standard errors on the held-out tenth of Tiny Shakespeare."
            .into(),
    });
    let lr = Arm::ALL
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            Series::with_err(
                arm.key(),
                results.runs[a].iter().zip(&plan.lrs).map(|(r, &lr)| {
                    let v: Vec<f64> = r.iter().map(|o| o.val_loss).collect();
                    (f64::from(lr), stats::mean(&v), stats::se(&v))
                }),
            )
        })
        .collect();
    report.figures.push(Figure {
        key: "lr".into(),
        title: "Final validation loss against learning rate".into(),
        x_label: "learning rate".into(),
        y_label: "validation loss (nats/char)".into(),
        x_log: true,
        y_log: false,
        series: lr,
        guides: vec![],
        caption: "Seed means with standard errors; one grid for every method.".into(),
    });
}
