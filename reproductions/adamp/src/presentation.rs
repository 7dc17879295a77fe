//! Tables and figures: every table cell cites a metric; the figures plot the measured curves.

use crate::claims::{acc_key, eff_key, growth_key, toy_key, toy_steps_key};
use crate::experiment::{Arm, MUS, Results};
use harness::{Cell, Figure, Report, Series, Table};

pub fn tables(report: &mut Report) {
    toy_table(report);
    net_table(report);
}

fn toy_table(report: &mut Report) {
    let rows = MUS
        .iter()
        .enumerate()
        .map(|(i, mu)| {
            vec![
                Cell::text(format!("{mu}")),
                Cell::value(&toy_key("norm", "sgd"), i),
                Cell::value(&toy_steps_key("99", "sgd"), i),
                Cell::value(&toy_steps_key("9999", "sgd"), i),
                Cell::value(&toy_key("norm", "sgdp"), i),
                Cell::value(&toy_steps_key("99", "sgdp"), i),
                Cell::value(&toy_steps_key("9999", "sgdp"), i),
            ]
        })
        .collect();
    report.tables.push(Table {
        key: "toy".into(),
        title: "2-D toy: final norm and steps to a cosine target (501: not reached in 500 steps)"
            .into(),
        columns: [
            "μ",
            "SGDM ‖w₅₀₀‖",
            "SGDM → 0.99",
            "SGDM → 0.9999",
            "SGDP ‖w₅₀₀‖",
            "SGDP → 0.99",
            "SGDP → 0.9999",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    });
}

fn net_table(report: &mut Report) {
    let rows = Arm::ALL
        .iter()
        .map(|a| {
            let k = a.key();
            vec![
                Cell::text(a.label()),
                Cell::metric(&acc_key(k)),
                Cell::metric(&growth_key(1, k)),
                Cell::metric(&growth_key(2, k)),
                Cell::metric(&eff_key(1, k)),
            ]
        })
        .collect();
    report.tables.push(Table {
        key: "net".into(),
        title: "Batch-normalised MLP on the digits (mean ± sd over seeds)".into(),
        columns: [
            "optimizer",
            "test accuracy",
            "‖W1‖ growth",
            "‖W2‖ growth",
            "final η/‖W1‖²",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    });
}

pub fn figures(report: &mut Report, results: &Results) {
    let (runs, curves) = (&results.toy, &results.net.growth_curves);
    let mut series = Vec::new();
    for (i, mu) in MUS.iter().enumerate().skip(1) {
        let pts = |r: &crate::method::ToyRun| {
            r.norms
                .iter()
                .enumerate()
                .map(|(t, &n)| ((t + 1) as f64, n))
                .collect::<Vec<_>>()
        };
        series.push(Series::new(&format!("SGDM μ = {mu}"), pts(&runs[i].sgd)));
        series.push(Series::new(&format!("SGDP μ = {mu}"), pts(&runs[i].sgdp)).dashed());
    }
    report.figures.push(Figure {
        key: "toy".into(),
        title: "2-D toy: ‖w‖ over steps".into(),
        x_label: "step".into(),
        y_label: "‖w‖".into(),
        x_log: false,
        y_log: true,
        series,
        guides: vec![],
        caption: "Solid: momentum SGD, whose norm grows with μ; dashed: SGDP, whose norm stays near 1 (it grows only to second order, ‖w − ηd‖² = ‖w‖² + η²‖d‖² for d ⟂ w).".into(),
    });
    report.figures.push(Figure {
        key: "net".into(),
        title: "BN-MLP: growth of ‖W1‖ over epochs (mean over seeds)".into(),
        x_label: "epoch".into(),
        y_label: "‖W1‖ / ‖W1‖ at init".into(),
        x_log: false,
        y_log: false,
        series: Arm::ALL
            .iter()
            .zip(curves)
            .map(|(a, c)| {
                let s = Series::new(
                    a.label(),
                    c.iter().enumerate().map(|(e, &v)| ((e + 1) as f64, v)),
                );
                if matches!(a, Arm::Sgdp | Arm::AdamP) {
                    s.dashed()
                } else {
                    s
                }
            })
            .collect(),
        guides: vec![],
        caption: "Dashed: the projected optimizers.".into(),
    });
}
