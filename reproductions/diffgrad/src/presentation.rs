//! Tables and figures: every number cites a metric (the figures plot the measured sweep and
//! network curves).

use crate::claims::{CARD_X, acc_key, basin_key, sweep_key};
use crate::experiment::{LRS, Results, SWEEP_FNS, SWEEP_OPTS, TABLE_OPTS};
use crate::method::{Func, Opt};
use harness::{Cell, Figure, Report, Series, Table};

pub fn tables(report: &mut Report) {
    notebook_table(report);
    sweep_table(report);
    basins_table(report);
    net_table(report);
}

fn notebook_table(report: &mut Report) {
    let mut rows = Vec::new();
    for (fi, f) in Func::ALL.iter().enumerate() {
        let at = |oi: usize| Cell::value("table.x", fi * TABLE_OPTS.len() + oi);
        rows.push(vec![
            Cell::text(f.label()),
            at(0),
            Cell::text(format!("{:+.4}", CARD_X[fi][0])),
            at(1),
            Cell::text(format!("{:+.4}", CARD_X[fi][1])),
            at(2),
            Cell::text(format!("{:+.4}", CARD_X[fi][2])),
            at(3),
            Cell::value("table.x_f32", fi * TABLE_OPTS.len()),
            Cell::value("table.x_f32", fi * TABLE_OPTS.len() + 1),
        ]);
    }
    report.tables.push(Table {
        key: "notebook".into(),
        title: "Final x from x₀ = −1 at the notebook's settings (lr 0.1, β1 0.95, 299 updates)"
            .into(),
        columns: [
            "function",
            "Adam",
            "card",
            "diffGrad",
            "card",
            "ξ ≡ 0.5",
            "card",
            "aliased g_prev",
            "Adam, f32",
            "diffGrad, f32",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    });
}

fn sweep_table(report: &mut Report) {
    let mut rows = Vec::new();
    for (li, lr) in LRS.iter().enumerate() {
        let mut r = vec![Cell::text(format!("{lr}"))];
        for f in SWEEP_FNS {
            for o in SWEEP_OPTS {
                r.push(Cell::value(&sweep_key(f, o), li));
            }
        }
        rows.push(r);
    }
    report.tables.push(Table {
        key: "sweep".into(),
        title:
            "Final x against the learning rate (x₀ = −1). Global minima: F1 −0.3, F2 −0.643, F3 0"
                .into(),
        columns: [
            "lr",
            "F1 Adam",
            "F1 diffGrad",
            "F1 ξ≡0.5",
            "F2 Adam",
            "F2 diffGrad",
            "F2 ξ≡0.5",
            "F3 Adam",
            "F3 diffGrad",
            "F3 ξ≡0.5",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    });
}

fn basins_table(report: &mut Report) {
    let rows = SWEEP_FNS
        .iter()
        .map(|&f| {
            let k = basin_key(f);
            vec![
                Cell::text(f.label()),
                Cell::value(&k, 0),
                Cell::value(&k, 1),
                Cell::value(&k, 2),
            ]
        })
        .collect();
    report.tables.push(Table {
        key: "basins".into(),
        title: "Fraction of starting points x₀ ∈ [−1.5, 1.5] that end within 1e-2 of the global minimum (lr 0.1)".into(),
        columns: ["function", "Adam", "diffGrad", "ξ ≡ 0.5"].map(String::from).to_vec(),
        rows,
    });
}

fn net_table(report: &mut Report) {
    report.tables.push(Table {
        key: "net".into(),
        title: "Digits MLP: final test accuracy over seeds".into(),
        columns: ["optimizer", "learning rate", "test accuracy (mean ± sd)"]
            .map(String::from)
            .to_vec(),
        rows: vec![
            vec![
                Cell::text("Adam"),
                Cell::text("1e-3"),
                Cell::metric(&acc_key("adam")),
            ],
            vec![
                Cell::text("diffGrad"),
                Cell::text("1e-3"),
                Cell::metric(&acc_key("diffgrad")),
            ],
            vec![
                Cell::text("Adam"),
                Cell::text("5e-4"),
                Cell::metric(&acc_key("adam_half_lr")),
            ],
        ],
    });
}

pub fn figures(report: &mut Report, results: &Results) {
    sweep_figure(report, results);
    net_figure(report, results);
}

fn sweep_figure(report: &mut Report, results: &Results) {
    let mut series = Vec::new();
    for f in [Func::F1, Func::F2True] {
        for o in [Opt::Adam, Opt::DiffGrad, Opt::Half] {
            let xs = results.sweep(f, o);
            let s = Series::new(
                &format!("{} {}", f.label(), o.label()),
                LRS.iter()
                    .zip(xs)
                    .map(|(&lr, &x)| (lr, f.value(x) - f.value(f.global_min()) + 1e-6)),
            );
            series.push(if f == Func::F2True { s.dashed() } else { s });
        }
    }
    report.figures.push(Figure {
        key: "sweep".into(),
        title: "Final suboptimality against the learning rate".into(),
        x_label: "learning rate".into(),
        y_label: "F(x_final) − F* + 1e-6".into(),
        x_log: true,
        y_log: true,
        series,
        guides: vec![],
        caption: "Solid: F1, dashed: F2 (true derivative). Points near 1e-6 reached the global minimum; a plateau at 0.05 (F1) or 0.85 (F2) is the local minimum. The ranking of Adam and diffGrad flips with the learning rate.".into(),
    });
}

fn net_figure(report: &mut Report, results: &Results) {
    let names = ["Adam, lr 1e-3", "diffGrad, lr 1e-3", "Adam, lr 5e-4"];
    report.figures.push(Figure {
        key: "net".into(),
        title: "Digits MLP: mean test accuracy over seeds".into(),
        x_label: "epoch".into(),
        y_label: "test accuracy".into(),
        x_log: false,
        y_log: false,
        series: results
            .net
            .curves
            .iter()
            .zip(names)
            .map(|(c, n)| Series::new(n, c.iter().enumerate().map(|(e, &a)| ((e + 1) as f64, a))))
            .collect(),
        guides: vec![],
        caption: "diffGrad's curve lies between Adam's at the full and at half the learning rate early on: its friction ξ ∈ [0.5, 1) shortens steps.".into(),
    });
}
