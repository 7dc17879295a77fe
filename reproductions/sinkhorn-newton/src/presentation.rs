//! Tables and figures: every number cites a metric.

use crate::claims::{S2_MIN_MASS, eta_key};
use crate::experiment::{InstanceRun, MASS_BUDGETS, Plan, Results};
use harness::{Cell, Figure, Guide, Provenance, Report, Series, Stat, Table};

pub fn tables(report: &mut Report, plan: &Plan) {
    report.tables.push(paper_table(plan));
}

pub fn figures(report: &mut Report, plan: &Plan, results: &Results) {
    report.figures.push(convergence_figure(
        &results.main,
        &results.low,
        plan.cfg.target,
    ));
    report.figures.push(mass_figure(
        &results.main,
        &results.low,
        plan.cfg.lambda_times_n,
    ));
    let main = |name: &str| eta_key(plan.eta_main, name);
    let (total, newton, sinkhorn) = (
        main("sns_iters"),
        main("sns_newton_iters"),
        main("sinkhorn_iters"),
    );
    let iterations = report.paper_vs_here(
        "paper-vs-here",
        "Iterations at η = 1200: the paper (n = 500) against this run",
        true,
        &[
            ("SNS, total", 29.0, Provenance::Secondary, &total),
            ("SNS, Newton steps", 9.0, Provenance::Secondary, &newton),
            (
                "Sinkhorn (capped here)",
                56_199.0,
                Provenance::Secondary,
                &sinkhorn,
            ),
        ],
    );
    report.figures.push(iterations);
}

/// Paper-versus-here table.
fn paper_table(plan: &Plan) -> Table {
    let (main, low, n) = (plan.eta_main, plan.eta_low, plan.n);
    let m = |eta: f64, name: &str| Cell::Metric {
        key: eta_key(eta, name),
        stat: Stat::MeanSd,
    };
    let row = |quantity: &str, paper: &str, name: &str| {
        vec![
            Cell::text(quantity),
            Cell::text(paper),
            m(main, name),
            m(low, name),
        ]
    };
    Table {
        key: "paper-vs-here".into(),
        title: format!(
            "Random assignment problem: paper (n = 500) against this run (n = {n}); mean ± sd over seeds"
        ),
        columns: vec![
            "quantity".into(),
            "paper, η = 1200 [secondary]".into(),
            "here, η = 1200".into(),
            "here, η = 300".into(),
        ],
        rows: vec![
            row("SNS iterations (total)", "29", "sns_iters"),
            row("of which Newton", "9", "sns_newton_iters"),
            row("Sinkhorn iterations", "56,199", "sinkhorn_iters"),
            row(
                "Sinkhorn converged within the cap",
                "yes",
                "sinkhorn_converged",
            ),
            row("SNS wall time", "0.34 s (M1 Pro)", "sns_seconds"),
            row(
                "Sinkhorn wall time",
                "233.36 s (M1 Pro)",
                "sinkhorn_seconds",
            ),
            row(
                "CG iterations per Newton step",
                "not reported",
                "cg_iters_mean",
            ),
            row(
                "top-8n Hessian mass after warm-up",
                "not reported",
                "top_mass",
            ),
        ],
    }
}

/// Picks about `max` points of a long error history, denser at the start (log-spaced).
fn thin(errors: &[f64], max: usize) -> Vec<(f64, f64)> {
    let len = errors.len();
    let mut ks: Vec<usize> = (0..max)
        .map(|t| ((len as f64).powf(t as f64 / (max - 1) as f64)).round() as usize)
        .filter(|&k| k >= 1 && k < len)
        .collect();
    ks.push(len - 1);
    ks.dedup();
    ks.into_iter().map(|k| (k as f64, errors[k])).collect()
}

/// Marginal error against iteration for both methods and both `eta` (first seed).
fn convergence_figure(main: &[InstanceRun], low: &[InstanceRun], target: f64) -> Figure {
    let (a, b) = (&main[0], &low[0]);
    Figure {
        key: "convergence".into(),
        title: format!("Marginal error ‖P1 − r‖₁ + ‖Pᵀ1 − c‖₁, n = {}", a.n),
        x_label: "iteration".into(),
        y_label: "marginal error".into(),
        x_log: true,
        y_log: true,
        series: vec![
            Series::new("Sinkhorn, η = 1200", thin(&a.sinkhorn.errors, 300)),
            Series::new("SNS, η = 1200", thin(&a.sns.errors, 300)),
            Series::new("Sinkhorn, η = 300", thin(&b.sinkhorn.errors, 300)),
            Series::new("SNS, η = 300", thin(&b.sns.errors, 300)),
        ],
        guides: vec![Guide { vertical: false, y: target, label: "target 1e-10".into() }],
        caption: "First seed of each setting. SNS leaves Sinkhorn after 20 iterations; on the log axis the Newton stage is the near-vertical drop.".into(),
    }
}

/// Top-k mass fraction of M against the budget k / n (first seed).
fn mass_figure(main: &[InstanceRun], low: &[InstanceRun], budget: f64) -> Figure {
    let curve = |r: &InstanceRun| {
        r.mass_curve
            .iter()
            .map(|&(b, f)| (b, 1.0 - f))
            .collect::<Vec<_>>()
    };
    Figure {
        key: "sparsity".into(),
        title: "Hessian mass outside the kept entries after 20 Sinkhorn steps".into(),
        x_label: "kept entries / n (λn)".into(),
        y_label: "1 − kept mass fraction".into(),
        x_log: true,
        y_log: true,
        series: vec![
            Series::new("η = 1200", curve(&main[0])),
            Series::new("η = 300", curve(&low[0])),
        ],
        guides: vec![
            Guide::at_y(1.0 - S2_MIN_MASS, "S2 threshold (1%)"),
            Guide::at_x(budget, "SNS's budget λn"),
        ],
        caption: format!(
            "The card's budget is λn = 2 (8n entries of (2n)²); the curves are evaluated at λn = {}.",
            MASS_BUDGETS
                .iter()
                .map(|b| harness::numbers::fmt(*b))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
