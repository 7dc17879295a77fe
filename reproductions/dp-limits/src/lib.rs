//! Reproduction of *Fundamental Limitations of Favorable Privacy-Utility Guarantees for DP-SGD*
//! (Ertan and van Dijk, arXiv 2601.10237): trade-off curves, the separation κ, the max-test
//! bound for shuffled one-epoch DP-SGD, and its consequence for the noise multiplier.
//!
//! - [`method`]: trade-off functions, κ, the max test, root finding for σ.
//! - [`experiment`]: Monte Carlo of the max test; one epoch of DP-SGD.
//! - [`claims`]: decision rules, tables and figures.

pub mod claims;
pub mod experiment;
pub mod method;

use claims::*;
use experiment::{DpSgdSetup, dp_sgd_accuracy, max_test_monte_carlo};
use harness::{CodeNote, Ctx, Deviation, Meta, Paper, Provenance, Report, RunError, Scale, Tol};
use method::*;

pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "dp-limits",
        short_name: "DP-SGD limits",
        title: "Fundamental Limitations of Favorable Privacy-Utility Guarantees for DP-SGD",
        authors: "M. B. Ertan, M. van Dijk",
        venue: "arXiv (CCS 2026 per the author page)",
        year: 2026,
        arxiv: "2601.10237",
        official_code: "none found",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// Sizes per scale: Monte Carlo draws and DP-SGD seeds.
fn sizes(scale: Scale) -> (usize, u64) {
    match scale {
        Scale::Ci => (100_000, 5),
        Scale::Full => (1_000_000, 20),
    }
}

/// Runs every experiment and records the report; the harness computes the verdicts.
fn run(ctx: &Ctx) -> Result<Report, RunError> {
    let (draws, seeds) = sizes(ctx.scale);
    let mut report = Report::default();
    let exact = Tol::rel(1e-9);

    // P1: the max test against the closed-form bound.
    let kappas: Vec<f64> = P1_MS
        .iter()
        .map(|&m| kappa_max_test(sigma_threshold(m), m).1)
        .collect();
    let bounds: Vec<f64> = P1_MS.iter().map(|&m| paper_bound(m)).collect();
    report.metric(
        "p1.kappa",
        "max-test κ at σ = 1/√(2 ln M), per M",
        "",
        kappas.clone(),
        exact,
    );
    report.metric(
        "p1.bound",
        "paper's bound, per M",
        "",
        bounds.clone(),
        exact,
    );
    report.metric(
        "p1.margin",
        "κ(max test) − bound, per M",
        "",
        kappas.iter().zip(&bounds).map(|(k, b)| k - b).collect(),
        exact,
    );
    report.metric(
        "p1.golden_diff",
        "|κ − card value|, per M",
        "",
        kappas
            .iter()
            .zip(P1_CARD_KAPPA)
            .map(|(k, c)| (k - c).abs())
            .collect(),
        Tol::Close {
            rel: 1e-6,
            abs: 1e-9,
        },
    );

    // P2: Monte Carlo of α(t) and β(t).
    let stage = ctx.progress.stage(
        &format!("Monte Carlo of the max test, {draws} draws per hypothesis"),
        1,
    );
    let m = claims::P2_M as usize;
    let u0 = (2.0 * (m as f64).ln()).sqrt();
    let mc = max_test_monte_carlo(
        ctx.seed("p2", 0),
        m,
        sigma_threshold(m as f64),
        &[u0 - 0.5, u0, u0 + 0.5],
        draws,
    );
    drop(stage);
    report.metric(
        "p2.z",
        "|Monte Carlo − closed form| / SE (α at 3 thresholds, then β)",
        "",
        mc.z_scores(),
        Tol::rel(1e-9),
    );
    report.metric(
        "p2.alpha_hat",
        "Monte Carlo α at the 3 thresholds",
        "",
        mc.alpha_hat.clone(),
        Tol::rel(1e-9),
    );
    report.metric(
        "p2.beta_hat",
        "Monte Carlo β at the 3 thresholds",
        "",
        mc.beta_hat.clone(),
        Tol::rel(1e-9),
    );
    report.metric(
        "p2.alpha",
        "closed-form α at the 3 thresholds",
        "",
        mc.alpha.clone(),
        exact,
    );
    report.metric(
        "p2.beta",
        "closed-form β at the 3 thresholds",
        "",
        mc.beta.clone(),
        exact,
    );

    // P3: necessary σ.
    let stage = ctx.progress.stage("necessary σ by bisection", 1);
    let mut needed = Vec::new();
    let mut diffs = Vec::new();
    for (r, &k0) in P3_KAPPAS.iter().enumerate() {
        for (c, &mm) in P3_MS.iter().enumerate() {
            let s = sigma_needed(k0, mm);
            needed.push(s);
            diffs.push((s - P3_CARD_SIGMA[r][c]).abs());
        }
    }
    drop(stage);
    report.metric(
        "p3.sigma_needed",
        "σ needed for κ ≤ κ₀ (rows κ₀ = 0.1, 0.05, 0.01; columns M)",
        "",
        needed.clone(),
        Tol::rel(1e-7),
    );
    report.metric(
        "p3.golden_diff",
        "|σ − card value|",
        "",
        diffs,
        Tol::Close {
            rel: 1e-4,
            abs: 1e-9,
        },
    );

    // P4: one epoch of DP-SGD.
    let setup = DpSgdSetup::default();
    let stage = ctx.progress.stage(
        &format!("DP-SGD, {} σ values x {seeds} seeds", P4_SIGMAS.len() + 1),
        (P4_SIGMAS.len() as u64 + 1) * seeds,
    );
    let mut accs: Vec<Vec<f64>> = Vec::new();
    for (k, &sigma) in [0.0].iter().chain(&P4_SIGMAS).enumerate() {
        let a: Vec<f64> = (0..seeds)
            .map(|r| {
                stage.inc(1);
                dp_sgd_accuracy(
                    &setup,
                    sigma,
                    ctx.seed("p4-data", r),
                    ctx.seed(&format!("p4-noise-{k}"), r),
                )
            })
            .collect();
        report.metric(
            &format!("p4.acc.sigma{sigma}"),
            &format!("test accuracy at σ = {sigma}"),
            "",
            a.clone(),
            Tol::Close {
                rel: 0.0,
                abs: 2e-4,
            },
        );
        accs.push(a);
    }
    drop(stage);
    // Paired z of a change in accuracy; the SE is floored at one test example per seed so
    // that identical differences on every seed do not read as infinitely significant.
    let floor = 1.0 / (setup.n_test as f64 * (seeds as f64).sqrt());
    let paired_z = |to: &[f64], from: &[f64]| {
        let d: Vec<f64> = to.iter().zip(from).map(|(b, a)| b - a).collect();
        harness::stats::mean(&d) / harness::stats::se(&d).max(floor)
    };
    let inc_z: Vec<f64> = accs[1..]
        .windows(2)
        .map(|w| paired_z(&w[1], &w[0]))
        .collect();
    report.metric(
        "p4.total_drop_z",
        "accuracy at the smallest σ minus at the largest, in standard errors (paired over seeds)",
        "",
        vec![paired_z(&accs[1], &accs[P4_SIGMAS.len()])],
        Tol::Close {
            rel: 1e-3,
            abs: 1e-3,
        },
    );
    report.metric(
        "p4.increase_z",
        "mean accuracy change to the next σ, in standard errors (paired over seeds)",
        "",
        inc_z,
        Tol::Close {
            rel: 1e-3,
            abs: 1e-3,
        },
    );

    // P5: GDP closed form against numerical maximisation.
    let mus = claims::P5_MUS;
    report.metric(
        "p5.kappa_diff",
        "|closed-form κ(G_μ) − numerical maximum|",
        "",
        mus.iter()
            .map(|&mu| (kappa_gdp(mu) - kappa_numeric(|a| gdp_tradeoff(mu, a))).abs())
            .collect(),
        Tol::Close {
            rel: 1.0,
            abs: 1e-13,
        },
    );

    claims(&mut report, &setup);
    report.tables.push(p1_table());
    report.tables.push(p3_table());
    let sigma_01 = needed[0];
    report.figures.push(tradeoff_figure(sigma_01));
    report.figures.push(kappa_figure());
    report.deviations = deviations(&setup);
    report.code_notes = vec![
        CodeNote {
            location: "no official repository".into(),
            kind: "note".into(),
            finding: "No code was published; the max-test reduction used here is the card's reconstruction of the paper's bound, which reproduces the abstract's constants.".into(),
            provenance: Provenance::Derived,
        },
        CodeNote {
            location: "hlzl/equivariant (Equivariant DP-SGD) @ 3dd7cd0".into(),
            kind: "discrepancy".into(),
            finding: "Accounts with a Poisson-subsampling RDP accountant while training with shuffled fixed-size batches: exactly the gap between sampling schemes that this paper examines.".into(),
            provenance: Provenance::Secondary,
        },
    ];
    Ok(report)
}

fn deviations(setup: &DpSgdSetup) -> Vec<Deviation> {
    let d = Deviation::new;
    vec![
        d(
            "upper-bound construction",
            "an explicit suboptimal upper bound on the trade-off curve (not transcribed)",
            "the max test of the card's reconstruction: reject when max_j y_j > t",
            "the paper's proof is not available here; the reconstruction reproduces the abstract's constants exactly",
        ),
        d(
            "golden numbers",
            "—",
            "the card's independently re-computed tables, checked to 1e-3; a SciPy re-implementation checked to 1e-9 in the tests; and Google's ShuffleAccountant (the card's accounting code), whose cube-set δ(ε) lower bounds ours match from above within its 0.01 cap grid",
            "no numbers were transcribed from the paper",
        ),
        d(
            "DP-SGD experiment",
            "real data sets, settings not transcribed",
            &format!(
                "synthetic two-class Gaussian data, d = {}, N = {} (train) + {} (test), B = {}, clipping C = {}, learning rate {}, class separation {} (Bayes accuracy Φ(1) ≈ 0.84), one shuffled epoch from zero weights",
                setup.d,
                setup.n_train,
                setup.n_test,
                setup.batch,
                setup.clip,
                setup.lr,
                setup.delta
            ),
            "the card's miniature; only the direction of the effect is claimed",
        ),
        d(
            "neighbouring relation",
            "open question (add/remove or replace)",
            "add/remove: the differing example contributes one clipped unit vector in one batch",
            "the card's reduction",
        ),
    ]
}
