//! Tables and figures: every number cites a metric.

use crate::claims::{P1_CARD_KAPPA, P3_CARD_SIGMA};
use crate::experiment::{Plan, Results};
use crate::method::{gdp_tradeoff, max_test_alpha, max_test_beta, sigma_threshold};
use harness::{Cell, Figure, Report, Series, Table};

pub fn tables(report: &mut Report, plan: &Plan) {
    report.tables.push(p1_table(plan));
    report.tables.push(p3_table(plan));
}

pub fn figures(report: &mut Report, results: &Results) {
    let sigma_01 = results.p3_sigma_needed[0];
    report.figures.push(tradeoff_figure(sigma_01));
    report.figures.push(kappa_figure(&results.kappa_curve));
}

/// κ of the max test and the bound, per M of claim P1.
fn p1_table(plan: &Plan) -> Table {
    Table {
        key: "p1".into(),
        title: "Max-test separation at σ = 1/√(2 ln M) against the paper's bound".into(),
        columns: [
            "M",
            "σ = 1/√(2 ln M)",
            "κ, max test (here)",
            "κ (card) [derived]",
            "bound (paper) [abstract]",
        ]
        .map(String::from)
        .to_vec(),
        rows: plan
            .p1_ms
            .iter()
            .enumerate()
            .map(|(k, &m)| {
                vec![
                    Cell::text(harness::numbers::fmt(m)),
                    Cell::text(format!("{:.4}", sigma_threshold(m))),
                    Cell::value("p1.kappa", k),
                    Cell::text(format!("{:.3}", P1_CARD_KAPPA[k])),
                    Cell::value("p1.bound", k),
                ]
            })
            .collect(),
    }
}

/// Necessary σ per (κ₀, M).
fn p3_table(plan: &Plan) -> Table {
    let mut columns = vec!["κ₀".to_string()];
    for m in plan.p3_ms {
        columns.push(format!("M = {}", harness::numbers::fmt(m)));
        columns.push("card [derived]".into());
    }
    Table {
        key: "p3".into(),
        title: "Smallest σ with max-test κ ≤ κ₀ (necessary, not sufficient, for separation κ₀)"
            .into(),
        columns,
        rows: plan
            .p3_kappas
            .iter()
            .enumerate()
            .map(|(r, k0)| {
                let mut row = vec![Cell::text(format!("{k0}"))];
                for (c, card) in P3_CARD_SIGMA[r].iter().enumerate() {
                    row.push(Cell::value("p3.sigma_needed", r * plan.p3_ms.len() + c));
                    row.push(Cell::text(format!("({card})")));
                }
                row
            })
            .collect(),
    }
}

/// Trade-off curves: G_μ, the max test's (α(t), β(t)), and random guessing.
fn tradeoff_figure(sigma_for_01: f64) -> Figure {
    let alphas: Vec<f64> = (0..=200).map(|k| k as f64 / 200.0).collect();
    let gdp = |mu: f64| {
        Series::new(
            &format!("Gaussian DP, μ = {mu}"),
            alphas.iter().map(|&a| (a, gdp_tradeoff(mu, a))),
        )
    };
    let max_curve = |sigma: f64, label: &str| {
        let m = 100.0;
        Series::new(
            label,
            (0..=400).map(|k| {
                let u = -3.0 + 12.0 * k as f64 / 400.0;
                (max_test_alpha(u, m), max_test_beta(u, sigma, m))
            }),
        )
    };
    Figure {
        key: "tradeoff".into(),
        title: "Trade-off curves β(α): higher is more private".into(),
        x_label: "type-I error α".into(),
        y_label: "type-II error β".into(),
        x_log: false,
        y_log: false,
        series: vec![
            Series::new("random guessing (β = 1 − α)", [(0.0, 1.0), (1.0, 0.0)]).dashed(),
            gdp(0.5),
            gdp(1.0),
            gdp(2.0),
            max_curve(sigma_threshold(100.0), "max test, M = 100, σ = 1/√(2 ln M)"),
            max_curve(sigma_for_01, "max test, M = 100, σ for κ = 0.1"),
        ],
        guides: vec![],
        caption: "The max test bounds the best achievable curve from below: shuffled DP-SGD can be no more private than these curves. Its distance to the diagonal is κ.".into(),
    }
}

/// κ of the max test at σ = 1/√(2 ln M) and the paper's bound, against M (from the results).
fn kappa_figure(curve: &[(f64, f64, f64)]) -> Figure {
    Figure {
        key: "kappa-vs-m".into(),
        title: "Separation at the threshold noise σ = 1/√(2 ln M)".into(),
        x_label: "M (updates in one epoch)".into(),
        y_label: "κ".into(),
        x_log: true,
        y_log: false,
        series: vec![
            Series::new("max test (here)", curve.iter().map(|&(m, kappa, _)| (m, kappa))),
            Series::new("paper's bound", curve.iter().map(|&(m, _, bound)| (m, bound))).dashed(),
        ],
        guides: vec![harness::Guide { vertical: false,
            y: 1.0 / 8f64.sqrt(),
            label: "1/√8, the bound's limit".into(),
        }],
        caption: "The bound approaches 1/√8 ≈ 0.354 as M grows, but only like 1/√(ln M): the limitation vanishes extremely slowly.".into(),
    }
}
