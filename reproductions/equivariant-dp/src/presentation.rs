//! Tables and figures: every number cites a metric.

use crate::experiment::{Plan, Results};
use harness::{Cell, Figure, Guide, Report, Series, Table, stats};

pub fn tables(report: &mut Report, plan: &Plan) {
    let row = |what: &str, a: &str, b: &str, gap: &str| {
        vec![
            Cell::text(what),
            Cell::metric(a),
            Cell::metric(b),
            Cell::metric(gap),
        ]
    };
    report.tables.push(Table {
        key: "e1".into(),
        title: format!(
            "Final test accuracy (%), mean ± sd over {} seeds",
            plan.seeds
        ),
        columns: vec![
            "training".into(),
            "A: plain CNN".into(),
            "B: D4 group CNN".into(),
            "B − A (points)".into(),
        ],
        rows: vec![
            row("DP-SGD", "e1.dp.acc_a", "e1.dp.acc_b", "e1.dp.gap"),
            row("non-private", "e1.np.acc_a", "e1.np.acc_b", "e1.np.gap"),
        ],
    });
    report.tables.push(Table {
        key: "e2".into(),
        title: "Noise against clipped signal at initialisation, model A of widths (w, 2w, 2w)"
            .into(),
        columns: vec![
            "w".into(),
            "d".into(),
            "‖noise‖".into(),
            "‖clipped signal‖".into(),
            "ratio".into(),
            "clipped".into(),
        ],
        rows: plan
            .e2_widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                vec![
                    Cell::text(w.to_string()),
                    Cell::value("e2.d", i),
                    Cell::value("e2.noise", i),
                    Cell::value("e2.signal", i),
                    Cell::value("e2.ratio", i),
                    Cell::value("e2.clipped", i),
                ]
            })
            .collect(),
    });
    report.tables.push(Table {
        key: "e5".into(),
        title: "The paper's privacy, accounted against executed (σ from the search for ε = 8)"
            .into(),
        columns: vec![
            "reading".into(),
            "Opacus RDP".into(),
            "dp_accounting RDP".into(),
            "dp_accounting PLD".into(),
        ],
        rows: vec![
            vec![
                Cell::text("accounted: q = 0.16384, 2154 steps"),
                Cell::metric("e5.accounted_eps"),
                Cell::value("e5.dpa", 0),
                Cell::value("e5.pld", 0),
            ],
            vec![
                Cell::text("executed: q = 1/6, 2118 steps"),
                Cell::metric("e5.executed_eps"),
                Cell::value("e5.dpa", 1),
                Cell::value("e5.pld", 1),
            ],
        ],
    });
}

pub fn figures(report: &mut Report, plan: &Plan, results: &Results) {
    let every = plan.steps.div_ceil(plan.checkpoints);
    let mut series = Vec::new();
    for (s, setting) in [(0, "DP"), (1, "non-private")] {
        for (a, model) in [(0, "A"), (1, "B")] {
            let runs = results.runs.cell(a, s);
            let k = runs[0].curve.len();
            let pts = (0..k).map(|c| {
                let v: Vec<f64> = runs.iter().map(|r| 100.0 * r.curve[c]).collect();
                (
                    ((c + 1) * every).min(plan.steps) as f64,
                    stats::mean(&v),
                    stats::se(&v),
                )
            });
            let line = Series::with_err(&format!("{model}, {setting}"), pts);
            series.push(if s == 1 { line.dashed() } else { line });
        }
    }
    report.figures.push(Figure {
        key: "training".into(),
        title: "Test accuracy along training".into(),
        x_label: "step".into(),
        y_label: "test accuracy (%)".into(),
        x_log: false,
        y_log: false,
        series,
        guides: vec![Guide::at_y(100.0 / 6.0, "chance")],
        caption: "Mean ± standard error over seeds; solid DP-SGD, dashed non-private.".into(),
    });
    let pts = |f: &dyn Fn(&crate::experiment::NormPoint) -> f64| -> Vec<(f64, f64)> {
        results.e2.iter().map(|p| (p.d as f64, f(p))).collect()
    };
    report.figures.push(Figure {
        key: "e2".into(),
        title: "Noise and clipped signal against the parameter count".into(),
        x_label: "parameters d".into(),
        y_label: "norm".into(),
        x_log: true,
        y_log: true,
        series: vec![
            Series::new("‖noise‖", pts(&|p| p.noise))
                .from_metrics((0..results.e2.len()).map(|i| format!("e2.noise[{i}]"))),
            Series::new("‖clipped signal‖", pts(&|p| p.signal)),
            Series::new("ratio", pts(&|p| p.noise / p.signal)).dashed(),
        ],
        guides: vec![],
        caption: "Model A at initialisation, one privatised batch averaged over Poisson draws."
            .into(),
    });
}
