//! Tables and figures: every number cites a metric.

use crate::experiment::{Method, Plan, PrunePlan, Results};
use harness::{Cell, Figure, Report, Series, Table, stats};

pub fn tables(report: &mut Report, plan: &Plan) {
    exactness(report);
    cost(report, plan);
    pruning(report, &plan.prune);
    optimizer(report, plan);
}

fn exactness(report: &mut Report) {
    let rows = [
        ("static product (Algorithm 1)", "m1.static"),
        ("sliding-window product (Algorithm 2)", "m1.dynamic"),
        (
            "sliding window vs static rebuild, after each replacement",
            "m1.replaced_static",
        ),
        (
            "sliding window vs oracle, after each replacement",
            "m1.replaced_oracle",
        ),
        (
            "static product at the official λ = 1e-5 (not checked)",
            "m1.official_damp",
        ),
        (
            "control: pruner's buffer, one gradient left out",
            "m1.dropped",
        ),
    ];
    let mut body: Vec<Vec<Cell>> = rows
        .iter()
        .map(|(label, key)| vec![Cell::text(*label), Cell::value(key, 0), Cell::value(key, 1)])
        .collect();
    body.insert(
        2,
        vec![
            Cell::text("diagonal of F⁻¹ (elementwise)"),
            Cell::value("m1.diag", 0),
            Cell::text("—"),
        ],
    );
    report.tables.push(Table {
        key: "exactness".into(),
        title: "M1: relative error against the m × m spectral oracle (worst window)".into(),
        columns: vec![
            "comparison".into(),
            "random x".into(),
            "x in the span".into(),
        ],
        rows: body,
    });
}

fn cost(report: &mut Report, plan: &Plan) {
    let c = &plan.cost;
    report.tables.push(Table {
        key: "product_time".into(),
        title: format!("M2: product time at m = {} (seconds)", c.m),
        columns: vec!["d".into(), "seconds".into()],
        rows: c
            .dims
            .iter()
            .enumerate()
            .map(|(i, d)| vec![Cell::text(format!("{d}")), Cell::value("m2.mul_seconds", i)])
            .chain([vec![
                Cell::text("log-log slope"),
                Cell::value("m2.slope", 0),
            ]])
            .collect(),
    });
    report.tables.push(Table {
        key: "update_time".into(),
        title: format!(
            "M2: time to replace one gradient at d = {} (seconds) and the fit a·d·m + b·m³",
            c.update_d
        ),
        columns: vec!["m".into(), "seconds".into()],
        rows: c
            .update_ms
            .iter()
            .enumerate()
            .map(|(i, m)| {
                vec![
                    Cell::text(format!("{m}")),
                    Cell::value("m2.update_seconds", i),
                ]
            })
            .chain([
                vec![Cell::text("a (s per d·m)"), Cell::value("m2.update_fit", 0)],
                vec![Cell::text("b (s per m³)"), Cell::value("m2.update_fit", 1)],
                vec![
                    Cell::text("largest relative residual"),
                    Cell::value("m2.update_residual", 0),
                ],
            ])
            .collect(),
    });
}

fn pruning(report: &mut Report, p: &PrunePlan) {
    let columns: Vec<String> = std::iter::once("method".to_string())
        .chain(p.sparsities.iter().map(|s| format!("{:.0} %", 100.0 * s)))
        .collect();
    for (what, title) in [
        (
            "loss",
            "M3: test loss after one-shot pruning (seed means; nats)",
        ),
        (
            "accuracy",
            "M3: test accuracy after one-shot pruning (seed means)",
        ),
    ] {
        report.tables.push(Table {
            key: format!("pruning_{what}"),
            title: title.into(),
            columns: columns.clone(),
            rows: Method::all(p)
                .iter()
                .map(|m| {
                    let key = format!("m3.{what}.{}", m.key(p));
                    std::iter::once(Cell::text(m.label(p)))
                        .chain((0..p.sparsities.len()).map(|s| Cell::value(&key, s)))
                        .collect()
                })
                .collect(),
        });
    }
    report.tables.push(Table {
        key: "dense".into(),
        title: "M3: the dense network (mean ± sd over seeds)".into(),
        columns: vec!["quantity".into(), "value".into()],
        rows: [
            ("test accuracy".to_string(), "m3.dense_accuracy".to_string()),
            ("test loss".into(), "m3.dense_loss".into()),
            ("training loss, last epoch".into(), "m3.train_loss".into()),
        ]
        .into_iter()
        .chain(
            p.ms.iter()
                .map(|m| (format!("λ at m = {m}"), format!("m3.damp_m{m}"))),
        )
        .map(|(label, key)| vec![Cell::text(label), Cell::metric(&key)])
        .collect(),
    });
}

fn optimizer(report: &mut Report, plan: &Plan) {
    let o = &plan.optim;
    let rows = o
        .mfac_lrs
        .iter()
        .enumerate()
        .map(|(i, lr)| ("M-FAC", "m4.final.mfac", i, *lr))
        .chain(
            o.sgd_lrs
                .iter()
                .enumerate()
                .map(|(i, lr)| ("SGD, momentum", "m4.final.sgd", i, *lr)),
        )
        .map(|(arm, key, i, lr)| {
            vec![
                Cell::text(arm),
                Cell::text(format!("{lr}")),
                Cell::value(key, i),
            ]
        })
        .collect();
    report.tables.push(Table {
        key: "optimizer".into(),
        title: "M4: final-epoch training loss per learning rate (seed means; ∞ = diverged)".into(),
        columns: vec!["optimizer".into(), "learning rate".into(), "loss".into()],
        rows,
    });
}

pub fn figures(report: &mut Report, plan: &Plan, results: &Results) {
    let c = &plan.cost;
    report.figures.push(Figure {
        key: "product_time".into(),
        title: format!("M2: product time against d (m = {})", c.m),
        x_label: "d".into(),
        y_label: "seconds".into(),
        x_log: true,
        y_log: true,
        series: vec![Series::new(
            "sliding-window product",
            c.dims
                .iter()
                .zip(&results.cost.mul_seconds)
                .map(|(&d, &t)| (d as f64, t)),
        )],
        guides: vec![],
        caption: "A straight line of slope one is linear time; the slope is in the table.".into(),
    });
    let p = &plan.prune;
    let top = p.ms.len() - 1;
    let methods = [
        Method::Magnitude,
        Method::Diagonal(top),
        Method::Blocked(top),
        Method::Full(top),
    ];
    let mi = |m: Method| Method::all(p).iter().position(|&x| x == m).unwrap();
    report.figures.push(Figure {
        key: "pruning".into(),
        title: "M3: test loss after one-shot pruning".into(),
        x_label: "sparsity".into(),
        y_label: "test loss (nats)".into(),
        x_log: false,
        y_log: true,
        series: methods
            .iter()
            .map(|&m| {
                Series::with_err(
                    &m.label(p),
                    p.sparsities.iter().enumerate().map(|(s, &x)| {
                        let v: Vec<f64> = results.prune.iter().map(|r| r.loss[mi(m)][s]).collect();
                        (x, stats::mean(&v), stats::se(&v))
                    }),
                )
            })
            .collect(),
        guides: vec![],
        caption: "Lower is better; error bars are standard errors over seeds.".into(),
    });
}
