//! Rules (fixed before running, with their rationale), the metrics recorded from the results,
//! and the claims with the role of every check.

use crate::experiment::{Plan, Results, RunOut};
use crate::method::Arm;
use harness::{Check, Claim, PaperValue, Provenance, Report, Rule, Tol, stats};

/// X1: the card's bound on the relative difference of FISMO(γ = 1) and EMA Muon.
pub const SAME: f64 = 1e-12;
/// X1 falsifier: a difference this large is a different algorithm, not rounding.
pub const DIFFERENT: f64 = 1e-6;
/// X1 control: Muon's defaults (Nesterov, NS5, shape scale) differ from EMA Muon by at least
/// this, so the comparison can see a difference.
pub const VISIBLE: f64 = 1e-3;
/// X2: traces of the normalised factors (f64).
pub const TRACE: f64 = 1e-10;
/// X2: the largest singular value of `P^{1/2} ΔW Q^{1/2}` within this of one. The card's 1e-10
/// assumes f64 updates; here ΔW is read back from f32 parameters (rounding 6e-8 per element,
/// amplified by the factors' conditioning), so the bound is 1e-3, set before running.
///
/// Changed after the first ci run, before any verdict was kept: the card's "all singular
/// values equal one" needs a full-rank momentum. On this network the early hidden gradients
/// have about ten dominant directions (ten classes), the polar factor then has zero singular
/// values, and the smallest σ measured the momentum's rank, not the trust region. The boundary
/// claim is about the spectral norm, so σ_max is checked and the rank-deficient updates are
/// counted (`x2.rank_deficient`).
pub const SIGMA: f64 = 1e-3;
/// X2: the smallest eigenvalue of P and Q at least this: positive definite beyond the
/// rounding of an m × m eigensolve of a factor with trace m (about m² ε ≈ 1e-12).
pub const POSITIVE: f64 = 1e-9;
/// X2 falsifier: a deviation this large means the step is not on the trust-region boundary.
pub const OFF_BOUNDARY: f64 = 0.05;
/// X2 control: the EMA-Muon step measured in FISMO's metric deviates by at least this (the
/// metric can tell a whitened step from an unwhitened one).
pub const UNWHITENED: f64 = 0.01;
/// X3: final training losses within this (nats) are ties.
pub const LOSS_TIE: f64 = 1e-3;
/// X3 control: every arm's best run ends below this fraction of the initial loss.
pub const PROGRESS: f64 = 0.5;
/// X4: median log10 κ within this (decades) are ties.
pub const KAPPA_TIE: f64 = 0.1;

/// The best learning rate's index by the seed-mean final loss.
fn best(runs: &[Vec<RunOut>]) -> usize {
    let m = |r: &Vec<RunOut>| stats::mean(&r.iter().map(|o| o.final_loss).collect::<Vec<_>>());
    (0..runs.len())
        .min_by(|&a, &b| m(&runs[a]).total_cmp(&m(&runs[b])))
        .expect("a learning rate")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let k = v.len() / 2;
    if v.len() % 2 == 1 {
        v[k]
    } else {
        0.5 * (v[k - 1] + v[k])
    }
}

/// Records every metric the claims, tables and figures cite.
pub fn record(report: &mut Report, plan: &Plan, results: &Results) {
    let id = &results.identity;
    let rounding = Tol::Close {
        rel: 1.0,
        abs: 1e-11,
    };
    let rows: [(&str, &str, f64, Tol); 10] = [
        (
            "x1.reduction",
            "max |FISMO(γ = 1) − EMA Muon| / max |EMA Muon| over the updates",
            id.reduction_gap,
            rounding,
        ),
        (
            "x1.official",
            "max |Muon defaults − EMA Muon| / max |EMA Muon| (control)",
            id.official_gap,
            Tol::rel(1e-6),
        ),
        (
            "x2.trace",
            "max relative error of tr P = m and tr Q = n",
            id.trace_error,
            rounding,
        ),
        (
            "x2.min_eigenvalue",
            "smallest eigenvalue of any P or Q",
            id.min_eigenvalue,
            Tol::rel(1e-6),
        ),
        (
            "x2.sigma",
            "max |σ_max − 1| of P^{1/2} ΔW Q^{1/2} (FISMO's step)",
            id.sigma_error,
            Tol::Close {
                rel: 1.0,
                abs: 1e-6,
            },
        ),
        (
            "x2.muon_sigma",
            "max |σ_max − 1| of the EMA-Muon step in FISMO's metric (control)",
            id.muon_sigma_error,
            Tol::rel(1e-6),
        ),
        (
            "x2.rank_deficient",
            "fraction of FISMO updates with σ_min(P^{1/2} ΔW Q^{1/2}) < ½",
            id.rank_deficient,
            Tol::rel(1e-6),
        ),
        (
            "x2.statistic_scale",
            "max ‖G‖²_F / (m n): the gradient statistic's mean eigenvalue (the factors' is 1)",
            id.statistic_scale,
            Tol::rel(1e-6),
        ),
        (
            "x2.damping_gap",
            "‖P(Algorithm 1) − P(Theorem 1)‖_F / ‖P‖_F after the trajectory, worst matrix",
            id.damping_gap,
            Tol::rel(1e-6),
        ),
        (
            "x2.factor_condition",
            "κ(P) of the last factors, worst matrix",
            id.factor_condition,
            Tol::rel(1e-6),
        ),
    ];
    for (key, label, value, tol) in rows {
        report
            .metric(key, label, "", vec![value], tol)
            .over("measurements");
    }
    let tol = Tol::rel(1e-6);
    let mut best_loss = Vec::new();
    let mut kappa = Vec::new();
    let mut progress = Vec::new();
    for (a, arm) in Arm::ALL.iter().enumerate() {
        let runs = &results.runs[a];
        report
            .metric(
                &format!("x3.final.{}", arm.key()),
                &format!("{}: final training loss (seed mean)", arm.label()),
                "nats",
                runs.iter()
                    .map(|r| stats::mean(&r.iter().map(|o| o.final_loss).collect::<Vec<_>>()))
                    .collect(),
                tol,
            )
            .over("learning rates");
        let b = best(runs);
        report.metric(
            &format!("x3.best_lr.{}", arm.key()),
            &format!("{}: the best learning rate of the grid", arm.label()),
            "",
            vec![plan.lrs[a][b] as f64],
            Tol::Exact,
        );
        let cell = &runs[b];
        report.metric(
            &format!("x3.accuracy.{}", arm.key()),
            &format!("{} at its best learning rate: test accuracy", arm.label()),
            "",
            cell.iter().map(|o| o.test_accuracy).collect(),
            tol,
        );
        report.metric(
            &format!("x3.step_ms.{}", arm.key()),
            &format!(
                "{} at its best learning rate: wall time of one optimizer step",
                arm.label()
            ),
            "ms",
            cell.iter().map(|o| o.step_ms).collect(),
            Tol::Unchecked,
        );
        let loss = stats::mean(&cell.iter().map(|o| o.final_loss).collect::<Vec<_>>());
        let initial = stats::mean(&cell.iter().map(|o| o.initial_loss).collect::<Vec<_>>());
        best_loss.push(loss);
        progress.push(loss / initial);
        kappa.push(median(
            cell.iter()
                .flat_map(|o| o.log_kappa.iter().copied())
                .collect(),
        ));
    }
    let (adam, muon, fismo) = (0, 1, 2);
    report
        .metric(
            "x3.best",
            "best final training loss: AdamW, Muon, FISMO",
            "nats",
            best_loss.clone(),
            tol,
        )
        .over("arms");
    report
        .metric(
            "x3.gaps",
            "Muon − FISMO and AdamW − Muon, best final training losses",
            "nats",
            vec![
                best_loss[muon] - best_loss[fismo],
                best_loss[adam] - best_loss[muon],
            ],
            tol,
        )
        .over("differences");
    report
        .metric(
            "x3.muon_minus_fismo",
            "Muon − FISMO, best final training losses",
            "nats",
            vec![best_loss[muon] - best_loss[fismo]],
            tol,
        )
        .over("differences");
    report
        .metric(
            "x3.progress",
            "best final over initial training loss: AdamW, Muon, FISMO",
            "",
            progress,
            tol,
        )
        .over("arms");
    report
        .metric("x4.log_kappa", "median log10 κ(ΔW) of the hidden matrices at the best learning rate: AdamW, Muon, FISMO", "", kappa.clone(), tol)
        .over("arms");
    report
        .metric(
            "x4.gaps",
            "log10 κ: FISMO − Muon and AdamW − FISMO",
            "",
            vec![kappa[fismo] - kappa[muon], kappa[adam] - kappa[fismo]],
            tol,
        )
        .over("differences");
    report
        .metric(
            "x4.fismo_minus_muon",
            "log10 κ: FISMO − Muon",
            "",
            vec![kappa[fismo] - kappa[muon]],
            tol,
        )
        .over("differences");
}

/// The claims.
pub fn claims(report: &mut Report, plan: &Plan) {
    let s = plan.settings;
    let steps = plan.identity.steps as f64;
    report.claim(
        Claim::new(
            "X1",
            &format!(
                "With γ = 1 (factors frozen at the identity), FISMO's update equals Muon's with EMA momentum, no Nesterov, no shape scale and the exact polar factor to ≤ {SAME} relative, on the hidden gradients of {steps} steps of a real training run. Falsified by a difference ≥ {DIFFERENT}. Control: Muon's defaults differ from EMA Muon by ≥ {VISIBLE}."
            ),
            PaperValue::new("FISMO generalises Muon (isotropic updates are the special case)", "abstract; derived from Algorithm 1", Provenance::Derived),
        )
        .check(Check::each("x1.reduction", Rule::AtMost(SAME)))
        .check(Check::each("x1.official", Rule::AtLeast(VISIBLE)).control())
        .check(Check::each("x1.reduction", Rule::AtLeast(DIFFERENT)).falsifier())
        .settings(&[steps, 1.0]),
    );
    // β is an f32 setting: print it as written (0.95), not as its f32 value.
    let beta = (f64::from(s.beta) * 1e6).round() / 1e6;
    let (gamma, mu) = (s.gamma, s.mu);
    report.claim(
        Claim::new(
            "X2",
            &format!(
                "On the same trajectory (β = {beta}, γ = {gamma}, μ = {mu}): tr P = m and tr Q = n to ≤ {TRACE} relative, P and Q stay positive definite (smallest eigenvalue ≥ {POSITIVE}), and the largest singular value of P^{{1/2}} ΔW Q^{{1/2}} is within {SIGMA} of one (the step lies on the trust-region boundary; f32 parameters bound the resolution). Falsified by a deviation ≥ {OFF_BOUNDARY}. Control: the unwhitened EMA-Muon step deviates by ≥ {UNWHITENED} in the same metric, so the metric differs from Muon's. The card's correction: these hold by construction."
            ),
            PaperValue::new("ΔW = P^{-1/2} Polar(M) Q^{-1/2} solves the trust region ‖P^{1/2} ΔW Q^{1/2}‖₂ ≤ η", "trust-region view as transcribed on the card", Provenance::Secondary),
        )
        .check(Check::each("x2.trace", Rule::AtMost(TRACE)))
        .check(Check::each("x2.min_eigenvalue", Rule::AtLeast(POSITIVE)))
        .check(Check::each("x2.sigma", Rule::AtMost(SIGMA)))
        .check(Check::each("x2.muon_sigma", Rule::AtLeast(UNWHITENED)).control())
        .check(Check::each("x2.sigma", Rule::AtLeast(OFF_BOUNDARY)).falsifier())
        .settings(&[beta, gamma, mu, 1.0, 2.0]),
    );
    let (w, st, seeds) = (plan.width as f64, plan.steps as f64, plan.seeds as f64);
    let grid = plan.lrs[0].len() as f64;
    report.claim(
        Claim::new(
            "X3",
            &format!(
                "On the digits MLP (three hidden {w} × {w} matrices, {st} steps, {seeds} seeds, the best of a {grid}-point learning-rate grid per method): final training loss FISMO < Muon < AdamW (ties within {LOSS_TIE} nats). Falsified if FISMO's loss exceeds Muon's by more than {LOSS_TIE}. Control: every method's best run ends below {PROGRESS} × its initial loss."
            ),
            PaperValue::new("lowest train/validation loss against Muon, Shampoo, AdamW, SGD (GPT-2 124M; SimpleDLA on CIFAR-10)", "abstract; result summaries", Provenance::Secondary),
        )
        .check(Check::each("x3.gaps", Rule::AtLeast(0.0)).tie_within(LOSS_TIE))
        .check(Check::each("x3.progress", Rule::AtMost(PROGRESS)).control())
        .check(Check::each("x3.muon_minus_fismo", Rule::AtMost(-LOSS_TIE)).falsifier())
        .settings(&[w, st, seeds, grid]),
    );
    report.claim(
        Claim::new(
            "X4",
            &format!(
                "On the same runs (each at its best learning rate), the median log10 condition number of the hidden-matrix updates of FISMO lies strictly between Muon's (five quintic Newton–Schulz steps) and AdamW's (ties within {KAPPA_TIE} decades). Falsified if FISMO's updates are better conditioned than Muon's by more than {KAPPA_TIE} decades. The f32 parameters cap measurable κ near 1e5."
            ),
            PaperValue::new("κ_Adam > 1e8, κ_FISMO ≈ 1e2–1e3, κ_Muon(NS5) ≈ 1–10", "result summaries", Provenance::Secondary),
        )
        .check(Check::each("x4.gaps", Rule::AtLeast(0.0)).tie_within(KAPPA_TIE))
        .check(Check::each("x4.fismo_minus_muon", Rule::AtMost(-KAPPA_TIE)).falsifier())
        .settings(&[1e5]),
    );
}
