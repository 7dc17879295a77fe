//! Tables and figures: every number cites a metric.

use crate::claims::{ARMS, ed_key, frac_key, z_key};
use crate::experiment::{Plan, Results};
use harness::{Cell, Figure, Guide, Report, Series, Table, stats};

pub fn tables(report: &mut Report, plan: &Plan) {
    report.tables.push(Table {
        key: "g1".into(),
        title: "Log-space energy distance to the data (mean ± sd over seeds) and its excess over the floor in paired standard errors".into(),
        columns: ["levels", "ADLS", "AUMS", "ADLS, z", "AUMS, z"]
            .map(String::from)
            .to_vec(),
        rows: plan
            .levels
            .iter()
            .map(|&l| {
                let mut row = vec![Cell::text(l.to_string())];
                row.extend(ARMS.iter().map(|a| Cell::metric(&ed_key(a, l))));
                row.extend(ARMS.iter().map(|a| Cell::metric(&z_key(a, l))));
                row
            })
            .chain(std::iter::once(vec![
                Cell::text("floor (exact samples)"),
                Cell::metric("g1.floor"),
                Cell::text(""),
                Cell::text(""),
                Cell::text(""),
            ]))
            .collect(),
    });
    report.tables.push(Table {
        key: "g2".into(),
        title: "Fraction of samples that left the positive orthant (mean ± sd over seeds)".into(),
        columns: ["δ", "ADLS", "AUMS"].map(String::from).to_vec(),
        rows: plan
            .g2_levels
            .iter()
            .map(|&l| {
                vec![
                    Cell::text(format!("1/{l}")),
                    Cell::metric(&frac_key("adls", l)),
                    Cell::metric(&frac_key("aums", l)),
                ]
            })
            .collect(),
    });
    let mut lower = 0.0;
    let rows = plan
        .g4_bins
        .iter()
        .enumerate()
        .map(|(i, &u)| {
            let label = format!(
                "({}, {}]",
                harness::numbers::fmt(lower),
                harness::numbers::fmt(u)
            );
            lower = u;
            vec![
                Cell::text(label),
                Cell::value("g4.correct", i),
                Cell::value("g4.bug", i),
            ]
        })
        .collect();
    report.tables.push(Table {
        key: "g4".into(),
        title: "sd over θ of L_DSM − L_ESM, relative to the loss, per τ bin".into(),
        columns: ["τ bin", "as derived", "with the off-by-one"]
            .map(String::from)
            .to_vec(),
        rows,
    });
}

pub fn figures(report: &mut Report, plan: &Plan, r: &Results) {
    let series = ARMS
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            Series::with_err(
                if *arm == "adls" {
                    "ADLS (Dale–Langevin)"
                } else {
                    "AUMS"
                },
                plan.levels.iter().enumerate().map(|(s, &l)| {
                    let e = r.g1.per_seed(a, s, |x| x.energy);
                    (l as f64, stats::mean(&e), stats::sd(&e))
                }),
            )
            .from_metrics(plan.levels.iter().map(|&l| ed_key(arm, l)))
        })
        .collect();
    report.figures.push(Figure {
        key: "levels".into(),
        title: "Energy distance to the data against the number of levels".into(),
        x_label: "levels N (δ = 1/N, one step each)".into(),
        y_label: "log-space energy distance".into(),
        x_log: true,
        y_log: true,
        series,
        guides: vec![Guide::at_y(
            stats::mean(&r.floor),
            "floor (fresh exact samples)",
        )],
        caption: "Mean ± sd over seeds; below the floor line a sampler cannot be told from exact samples of the same size.".into(),
    });
    let line = |name: &str, ys: &[f64]| {
        Series::new(name, r.hist_x.iter().copied().zip(ys.iter().copied()))
    };
    let (max, min) = (
        plan.levels.iter().max().copied().unwrap_or(0),
        plan.levels.iter().min().copied().unwrap_or(0),
    );
    report.figures.push(Figure {
        key: "density".into(),
        title: "The first log-coordinate: ADLS samples against the exact density".into(),
        x_label: "log x₁".into(),
        y_label: "density".into(),
        x_log: false,
        y_log: false,
        series: vec![
            line("exact", &r.hist_exact).dashed(),
            line(&format!("ADLS, {max} levels"), &r.hist_fine),
            line(&format!("ADLS, {min} levels"), &r.hist_coarse),
        ],
        guides: vec![],
        caption: "Histograms of one seed's samples; the coarse sampler blurs the three modes."
            .into(),
    });
    let per_tau: Vec<f64> = (0..plan.train.eval_taus.len())
        .map(|i| stats::mean(&r.g3_trained.iter().map(|e| e[i]).collect::<Vec<_>>()))
        .collect();
    report.figures.push(Figure {
        key: "g3".into(),
        title: "M-DSM network: relative error of s_H against τ".into(),
        x_label: "τ".into(),
        y_label: "relative L2 error".into(),
        x_log: false,
        y_log: true,
        series: vec![Series::new(
            "trained network (mean over training seeds)",
            plan.train.eval_taus.iter().copied().zip(per_tau),
        )],
        guides: vec![Guide::at_y(crate::claims::G3_MAX_ERR, "G3 threshold")],
        caption: "The v² = (σ²τ)² weighting of the loss leaves small τ least trained.".into(),
    });
}
