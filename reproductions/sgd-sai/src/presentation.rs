//! Tables and figures: every table cell cites a metric; the figures plot recorded metrics and
//! the tracked run's g-SNR.

use crate::claims::{best_key, best_lr_key, best_settings, grid_key, snr_run};
use crate::experiment::{ADAMW_LRS, ARMS, Plan, Results, SGD_LRS, WDS, lrs};
use crate::method::{Arm, Run};
use harness::{Cell, Figure, Provenance, Report, Series, Table};

pub fn tables(report: &mut Report) {
    grid_table(report);
    best_table(report);
}

fn grid_table(report: &mut Report) {
    let mut rows = Vec::new();
    for l in 0..5 {
        let mut r = vec![Cell::text(format!("{}", SGD_LRS[l]))];
        for a in [Arm::SgdSai, Arm::SqrtSize, Arm::Sgdm] {
            for w in 0..WDS.len() {
                r.push(Cell::value(&grid_key(a, w), l));
            }
        }
        r.push(Cell::text(format!("{}", ADAMW_LRS[l])));
        for w in 0..WDS.len() {
            r.push(Cell::value(&grid_key(Arm::AdamW, w), l));
        }
        rows.push(r);
    }
    report.tables.push(Table {
        key: "grid".into(),
        title: "Mean final validation loss (nats/token) over the grids; wd 0 | wd 1e-2".into(),
        columns: [
            "lr (SGD variants)",
            "SaI wd 0",
            "SaI wd 1e-2",
            "√(N−1) wd 0",
            "√(N−1) wd 1e-2",
            "SGDM wd 0",
            "SGDM wd 1e-2",
            "lr (AdamW)",
            "AdamW wd 0",
            "AdamW wd 1e-2",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    });
}

fn best_table(report: &mut Report) {
    report.tables.push(Table {
        key: "best".into(),
        title: "Best of each grid (validation loss: mean ± sd over seeds)".into(),
        columns: [
            "optimizer",
            "validation loss",
            "best lr",
            "best weight decay",
        ]
        .map(String::from)
        .to_vec(),
        rows: ARMS
            .iter()
            .map(|a| {
                vec![
                    Cell::text(a.label()),
                    Cell::metric(&best_key(*a)),
                    Cell::value(&best_lr_key(*a), 0),
                    Cell::value(&best_lr_key(*a), 1),
                ]
            })
            .collect(),
    });
}

pub fn figures(report: &mut Report, plan: &Plan, results: &Results) {
    let best = best_settings(results);
    grid_figure(report, &best);
    snr_figure(
        report,
        results,
        snr_run(results, &best),
        plan.train.snr_every,
    );
    let stated = report.paper_vs_here(
        "paper-vs-here",
        "Optimizer state saved over AdamW: stated against recomputed (GiB)",
        true,
        &[
            ("GPT-2 XL", 5.93, Provenance::Abstract, "s5.saving_gib[0]"),
            (
                "Llama-2-7B",
                25.15,
                Provenance::Abstract,
                "s5.saving_gib[1]",
            ),
        ],
    );
    report.figures.push(stated);
}

fn grid_figure(report: &mut Report, best: &[crate::claims::Best]) {
    let mut series = Vec::new();
    for a in ARMS {
        let w = best.iter().find(|x| x.arm == a).unwrap().wd;
        let v = report.get(&grid_key(a, w)).unwrap().values.clone();
        let s = Series::new(
            &format!("{} (wd {})", a.label(), WDS[w]),
            lrs(a).iter().zip(v).map(|(&l, m)| (l as f64, m)),
        );
        series.push(if a == Arm::SqrtSize { s.dashed() } else { s });
    }
    let floor = report.get("task.floor").unwrap().values[0];
    let chance = report.get("task.chance").unwrap().values[0];
    report.figures.push(Figure {
        key: "grid".into(),
        title: "Validation loss against the learning rate".into(),
        x_label: "learning rate".into(),
        y_label: "final validation loss (nats/token)".into(),
        x_log: true,
        y_log: false,
        series,
        guides: vec![
            harness::Guide { vertical: false, y: floor, label: "entropy rate (floor)".into() },
            harness::Guide { vertical: false, y: chance, label: "uniform prediction".into() },
        ],
        caption: "Each arm at its best weight decay. SGD-SaI and SGDM share the x grid (the code's convention); AdamW has its own.".into(),
    });
}

fn snr_figure(report: &mut Report, results: &Results, snr_run: &Run, every: usize) {
    let names = &results.tensor_names;
    let shown = [
        "tok_emb",
        "h0.attn.qkv.weight",
        "h0.attn.qkv.bias",
        "h0.mlp.fc.weight",
        "h1.ln2.weight",
        "head.weight",
    ];
    let step = |i: usize| (i * every) as f64;
    report.figures.push(Figure {
        key: "snr".into(),
        title: "Per-tensor g-SNR of the minibatch gradient over training (best SGD-SaI run)".into(),
        x_label: "step".into(),
        y_label: "g-SNR".into(),
        x_log: false,
        y_log: true,
        series: shown
            .iter()
            .filter_map(|n| names.iter().position(|x| x == n).map(|t| Series::new(n, snr_run.snr.iter().enumerate().map(|(i, s)| (step(i), s[t])))))
            .collect(),
        guides: vec![],
        caption: "Lines are nearly flat in time and far apart across tensors: the premise of fixing the scale at initialisation.".into(),
    });
}
