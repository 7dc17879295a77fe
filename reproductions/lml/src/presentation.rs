//! Tables and figures: every number cites a metric.

use crate::claims::{ARMS, ed_key, sw_key};
use crate::experiment::{Plan, Results};
use harness::{Cell, Figure, Report, Series, Table, stats};

pub fn tables(report: &mut Report, plan: &Plan) {
    report.tables.push(scores_table(plan));
    report.tables.push(selection_table(plan));
    report.tables.push(units_table(plan));
}

/// DDIM and LML at each NFE on the scoring seeds.
fn scores_table(plan: &Plan) -> Table {
    Table {
        key: "scores".into(),
        title: "Distance to the data on fresh seeds (mean ± sd over the scoring seeds)".into(),
        columns: [
            "NFE",
            "DDIM, energy distance",
            "LML, energy distance",
            "DDIM, sliced W2",
            "LML, sliced W2",
        ]
        .map(String::from)
        .to_vec(),
        rows: plan
            .nfes
            .iter()
            .map(|&nfe| {
                let mut row = vec![Cell::text(nfe.to_string())];
                row.extend(ARMS.iter().map(|a| Cell::metric(&ed_key(a, nfe))));
                row.extend(ARMS.iter().map(|a| Cell::metric(&sw_key(a, nfe))));
                row
            })
            .collect(),
    }
}

/// The selection grid: mean energy distance of every (κ, λ) on the selection seeds.
fn selection_table(plan: &Plan) -> Table {
    let mut columns = vec!["κ".to_string()];
    columns.extend(
        plan.lambdas
            .iter()
            .map(|l| format!("λ = {}", harness::numbers::fmt(*l))),
    );
    let mut rows = vec![{
        let mut r = vec![
            Cell::text("DDIM (no LML)"),
            Cell::value("select.mean_ed", 0),
        ];
        r.extend((1..plan.lambdas.len()).map(|_| Cell::text("")));
        r
    }];
    for (ki, k) in plan.kappas.iter().enumerate() {
        let mut r = vec![Cell::text(harness::numbers::fmt(*k))];
        r.extend(
            (0..plan.lambdas.len())
                .map(|li| Cell::value("select.mean_ed", 1 + ki * plan.lambdas.len() + li)),
        );
        rows.push(r);
    }
    Table {
        key: "selection".into(),
        title: format!(
            "Selection at NFE = {}: mean energy distance over the selection seeds",
            plan.nfe
        ),
        columns,
        rows,
    }
}

/// M1 and M3 per λ.
fn units_table(plan: &Plan) -> Table {
    Table {
        key: "units".into(),
        title: "κ = 0 against DDIM (M1) and the Sherman–Morrison unit (M3), per λ".into(),
        columns: [
            "λ",
            "max |Δx|, κ = 0",
            "÷ (1 + ‖g‖²/λ)",
            "SM vs dense, scaled",
            "‖d‖ vs ‖g‖",
        ]
        .map(String::from)
        .to_vec(),
        rows: plan
            .lambdas
            .iter()
            .enumerate()
            .map(|(i, l)| {
                vec![
                    Cell::text(harness::numbers::fmt(*l)),
                    Cell::value("m1.max_abs_diff", i),
                    Cell::value("m1.scaled", i),
                    Cell::value("m3.solve", i),
                    Cell::value("m3.norm", i),
                ]
            })
            .collect(),
    }
}

/// Energy distance against NFE for DDIM and LML at the selected (κ, λ), with the floor.
pub fn figures(report: &mut Report, plan: &Plan, results: &Results) {
    let series = ARMS
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            let label = if *arm == "ddim" {
                "DDIM".to_string()
            } else {
                format!(
                    "DDIM-LML (κ = {}, λ = {})",
                    harness::numbers::fmt(results.best.kappa),
                    harness::numbers::fmt(results.best.lambda)
                )
            };
            Series::with_err(
                &label,
                plan.nfes.iter().enumerate().map(|(s, &nfe)| {
                    let e: Vec<f64> = results.score.cell(a, s).iter().map(|r| r.energy).collect();
                    (nfe as f64, stats::mean(&e), stats::sd(&e))
                }),
            )
            .from_metrics(plan.nfes.iter().map(|&nfe| ed_key(arm, nfe)))
        })
        .collect();
    report.figures.push(Figure {
        key: "nfe".into(),
        title: "Energy distance to the data against the number of steps".into(),
        x_label: "NFE (network evaluations = steps)".into(),
        y_label: "energy distance".into(),
        x_log: true,
        y_log: true,
        series,
        guides: vec![harness::Guide::at_y(
            stats::mean(&results.floor),
            "sampling floor (two exact sample sets)",
        )],
        caption: "Mean ± sd over the scoring seeds, which the (κ, λ) selection never saw.".into(),
    });
}
