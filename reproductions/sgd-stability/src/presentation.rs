//! Tables and figures: every number cites a metric.

use crate::claims::eta_tr_key;
use crate::experiment::{Plan, Results, TrainResult};
use harness::{Cell, Figure, Report, Series, Table};

pub fn tables(report: &mut Report, plan: &Plan) {
    report.tables.push(batch_table());
    report.tables.push(sweep_table(plan));
}

pub fn figures(report: &mut Report, plan: &Plan, results: &Results) {
    let etas = &plan.train.etas;
    let first = results.seed_runs(plan, 0);
    let pts = |f: &dyn Fn((&TrainResult, &TrainResult)) -> Option<f64>| {
        etas.iter()
            .zip(&first)
            .filter_map(|(e, &p)| f(p).map(|v| (*e, v)))
            .collect::<Vec<_>>()
    };
    report.figures.push(Figure {
        key: "sharpness".into(),
        title: "Final sharpness against the learning rate (first seed, converged runs)".into(),
        x_label: "learning rate η".into(),
        y_label: "sharpness".into(),
        x_log: true,
        y_log: true,
        series: vec![
            Series::new("SGD tr(G)", pts(&|p| p.0.converged.then_some(p.0.trace_g))),
            Series::new("GD tr(G)", pts(&|p| p.1.converged.then_some(p.1.trace_g))),
            Series::new("GD λ_max(G)", pts(&|p| p.1.converged.then_some(p.1.lambda_max_g))),
            Series::new("2/η", etas.iter().map(|e| (*e, 2.0 / e))).dashed(),
        ],
        guides: vec![],
        caption: "SGD's trace follows the 2/η ceiling down as η grows; GD keeps only its top eigenvalue below it.".into(),
    });
    report.figures.push(Figure {
        key: "test-error".into(),
        title: "Test MSE against the learning rate (first seed, converged runs)".into(),
        x_label: "learning rate η".into(),
        y_label: "test MSE".into(),
        x_log: true,
        y_log: true,
        series: vec![
            Series::new(
                "SGD (B = 1)",
                pts(&|p| p.0.converged.then_some(p.0.test_mse)),
            ),
            Series::new("GD", pts(&|p| p.1.converged.then_some(p.1.test_mse))),
        ],
        guides: vec![],
        caption: "Lower is better; larger learning rates make SGD's implicit regulariser stronger."
            .into(),
    });
}

fn batch_table() -> Table {
    Table {
        key: "batch".into(),
        title: "η*·tr(H) of the exact operator: the 2/tr(H) bound is a B = 1 statement".into(),
        columns: ["instances", "B = 1", "B = 2", "B = 4"]
            .map(String::from)
            .to_vec(),
        rows: vec![
            vec![
                Cell::text("random (mean ± sd)"),
                Cell::metric(&eta_tr_key(1)),
                Cell::metric(&eta_tr_key(2)),
                Cell::metric(&eta_tr_key(4)),
            ],
            vec![
                Cell::text("orthogonal, n = 10"),
                Cell::value("w1.orth_n10", 0),
                Cell::value("w1.orth_n10", 1),
                Cell::value("w1.orth_n10", 2),
            ],
        ],
    }
}

fn sweep_table(plan: &Plan) -> Table {
    let etas = &plan.train.etas;
    Table {
        key: "sweep".into(),
        title:
            "First seed: final sharpness and test error per learning rate (NaN: the run diverged)"
                .into(),
        columns: [
            "η",
            "2/η",
            "SGD tr(G)",
            "GD λ_max(G)",
            "GD tr(G)",
            "SGD test MSE",
            "GD test MSE",
        ]
        .map(String::from)
        .to_vec(),
        rows: (0..etas.len())
            .map(|k| {
                vec![
                    Cell::value("seed0.eta", k),
                    Cell::text(harness::numbers::fmt(2.0 / etas[k])),
                    Cell::value("seed0.sgd_trace", k),
                    Cell::value("seed0.gd_lmax", k),
                    Cell::value("seed0.gd_trace", k),
                    Cell::value("seed0.sgd_test", k),
                    Cell::value("seed0.gd_test", k),
                ]
            })
            .collect(),
    }
}
