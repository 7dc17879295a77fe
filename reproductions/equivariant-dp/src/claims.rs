//! Rules for the equivariant DP-SGD reproduction: thresholds are the card's
//! (`papers/equivariant-dp.md`, claims E1–E5 and its corrections block), fixed before any run;
//! the metrics recorded from the results; the claims with the role of every check.

use crate::experiment::{Plan, Results};
use harness::{Check, Claim, PaperValue, Provenance, Report, Rule, Tol, stats};

/// E1: B must beat A under DP by at least this many accuracy points (mean over seeds).
pub const E1_MIN_DP_GAP: f64 = 5.0;
/// E1: without DP the two models must be within this many points (mean over seeds).
pub const E1_MAX_NP_GAP: f64 = 2.0;
/// E1 falsifier: B below A under DP by more than this many paired standard errors.
pub const E1_FALSIFY_Z: f64 = -2.0;
/// E1 control: both models learn without DP (chance is 100/6 ≈ 17 points).
pub const E1_MIN_NP_ACC: f64 = 50.0;
/// E2: the slope of log(‖noise‖/‖clipped signal‖) against log d, the card's "≈ 0.5" as a band.
pub const E2_SLOPE: (f64, f64) = (0.4, 0.6);
/// E2 falsifier: a slope this small means the ratio barely grows with d.
pub const E2_FALSIFY_SLOPE: f64 = 0.25;
/// E2 control: the noise norm itself is σC√d (slope 0.5) within this.
pub const E2_NOISE_SLOPE_TOL: f64 = 0.01;
/// E3: relative agreement with Opacus and dp_accounting ε, and with Opacus' σ.
pub const E3_EPS_REL: f64 = 1e-6;
pub const E3_SIGMA_REL: f64 = 1e-9;
/// E4: invariance of the trained group CNN's logits (f32 rounding), and the control that the
/// plain CNN is measurably not invariant.
pub const E4_MAX_GAP: f64 = 1e-5;
pub const E4_MIN_PLAIN_GAP: f64 = 1e-2;
/// E5: the paper's budget.
pub const E5_EPSILON: f64 = 8.0;

fn pv(value: &str, source: &str, provenance: Provenance) -> PaperValue {
    PaperValue::new(value, source, provenance)
}

fn abs(tol: f64) -> Tol {
    Tol::Close { rel: 0.0, abs: tol }
}

fn exact() -> Tol {
    Tol::rel(1e-9)
}

/// Records every metric the claims, tables and figures cite.
pub fn record(report: &mut Report, plan: &Plan, results: &Results) {
    record_e1(report, plan, results);
    record_e2(report, results);
    record_e345(report, results);
}

fn points(v: Vec<f64>) -> Vec<f64> {
    v.into_iter().map(|a| 100.0 * a).collect()
}

fn record_e1(report: &mut Report, plan: &Plan, r: &Results) {
    let res = 100.0 * stats::accuracy_resolution(plan.n_test);
    let tol = abs(res);
    let gap = |s: usize| -> Vec<f64> {
        r.acc(1, s)
            .iter()
            .zip(r.acc(0, s))
            .map(|(b, a)| 100.0 * (b - a))
            .collect()
    };
    for (s, name) in [(0, "dp"), (1, "np")] {
        for (a, model) in [(0, "a"), (1, "b")] {
            report
                .metric(
                    &format!("e1.{name}.acc_{model}"),
                    &format!(
                        "final test accuracy, model {}, {}",
                        model.to_uppercase(),
                        if s == 0 { "DP-SGD" } else { "non-private" }
                    ),
                    "%",
                    points(r.acc(a, s)),
                    tol,
                )
                .over("seeds");
        }
        report
            .metric(
                &format!("e1.{name}.gap"),
                "accuracy of B − accuracy of A (paired by seed)",
                "points",
                gap(s),
                tol,
            )
            .over("seeds");
    }
    let dp = gap(0);
    let z = stats::mean(&dp) / stats::se(&dp).max(1e-12);
    report.metric(
        "e1.dp.gap_z",
        "mean DP gap over its paired standard error",
        "",
        vec![z],
        abs(0.5),
    );
    let np_both: Vec<f64> = points(r.acc(0, 1))
        .into_iter()
        .chain(points(r.acc(1, 1)))
        .collect();
    report
        .metric(
            "e1.np.acc",
            "non-private final accuracy, A then B",
            "%",
            np_both,
            tol,
        )
        .over("seeds × models");
    let diverged = r.runs.all().iter().filter(|x| x.diverged).count() as f64;
    report.metric(
        "e1.diverged",
        "runs whose parameters became non-finite",
        "",
        vec![diverged],
        exact(),
    );
    let clipped: Vec<f64> = r
        .runs
        .cell(0, 0)
        .iter()
        .chain(r.runs.cell(1, 0))
        .map(|x| x.clipped)
        .collect();
    report
        .metric(
            "e1.clipped",
            "mean fraction of per-sample gradients clipped, DP runs (A then B)",
            "",
            clipped,
            abs(0.05),
        )
        .over("seeds × models");
    report
        .metric(
            "e1.params",
            "parameters of A and B",
            "",
            r.params.iter().map(|&p| p as f64).collect(),
            exact(),
        )
        .over("models");
    report.metric(
        "e1.sigma",
        "noise multiplier σ from the accountant (Opacus search)",
        "",
        vec![r.sigma],
        Tol::rel(1e-6),
    );
    report
        .metric(
            "e1.eps",
            "ε of the run: Opacus RDP, dp_accounting RDP",
            "",
            vec![r.eps_opacus, r.eps_dp_accounting],
            Tol::rel(1e-6),
        )
        .over("accountants");
}

fn slope(x: &[f64], y: &[f64]) -> f64 {
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    stats::linear_fit(&lx, &ly).0
}

fn record_e2(report: &mut Report, r: &Results) {
    let d: Vec<f64> = r.e2.iter().map(|p| p.d as f64).collect();
    let noise: Vec<f64> = r.e2.iter().map(|p| p.noise).collect();
    let signal: Vec<f64> = r.e2.iter().map(|p| p.signal).collect();
    let ratio: Vec<f64> = noise.iter().zip(&signal).map(|(n, s)| n / s).collect();
    let t = Tol::rel(0.05);
    report
        .metric(
            "e2.d",
            "parameters of model A at each E2 width",
            "",
            d.clone(),
            exact(),
        )
        .over("widths");
    report
        .metric(
            "e2.noise",
            "‖σC z‖, mean over batches",
            "",
            noise.clone(),
            t,
        )
        .over("widths");
    report
        .metric(
            "e2.signal",
            "‖Σ clip(g_i)‖, mean over batches",
            "",
            signal.clone(),
            t,
        )
        .over("widths");
    report
        .metric(
            "e2.ratio",
            "‖noise‖ / ‖clipped signal‖",
            "",
            ratio.clone(),
            t,
        )
        .over("widths");
    report
        .metric(
            "e2.clipped",
            "fraction of per-sample gradients clipped",
            "",
            r.e2.iter().map(|p| p.clipped).collect(),
            abs(0.05),
        )
        .over("widths");
    report.metric(
        "e2.ratio_slope",
        "slope of log ratio on log d",
        "",
        vec![slope(&d, &ratio)],
        abs(0.05),
    );
    report.metric(
        "e2.noise_slope",
        "slope of log ‖noise‖ on log d",
        "",
        vec![slope(&d, &noise)],
        abs(0.005),
    );
    report.metric(
        "e2.signal_slope",
        "slope of log ‖clipped signal‖ on log d",
        "",
        vec![slope(&d, &signal)],
        abs(0.05),
    );
}

fn record_e345(report: &mut Report, r: &Results) {
    report.metric(
        "e3.opacus_rel",
        "worst relative ε error against Opacus over the fixture grid",
        "",
        vec![r.e3[0]],
        abs(1e-8),
    );
    report.metric(
        "e3.dpa_rel",
        "worst relative ε error against dp_accounting over the fixture grid",
        "",
        vec![r.e3[1]],
        abs(1e-8),
    );
    report.metric(
        "e3.sigma_rel",
        "worst relative σ error against Opacus' noise search",
        "",
        vec![r.e3[2]],
        abs(1e-10),
    );
    report.metric(
        "e3.points",
        "fixture grid points",
        "",
        vec![r.e3_points as f64],
        exact(),
    );
    report.metric(
        "e4.b",
        "max |f(gx) − f(x)| over D4 and test images, trained B",
        "",
        vec![r.invariance[1]],
        abs(1e-5),
    );
    report.metric(
        "e4.a",
        "max |f(gx) − f(x)| over D4 and test images, trained A",
        "",
        vec![r.invariance[0]],
        Tol::rel(0.5),
    );
    report.metric(
        "e5.sigma",
        "σ for ε = 8, δ = 1e-5 at the accountant's q and steps",
        "",
        vec![r.paper_sigma],
        exact(),
    );
    let [acc, run] = r.paper;
    report.metric(
        "e5.accounted_eps",
        "ε at q = 8192/50000, 2154 steps (Opacus RDP)",
        "",
        vec![acc.opacus],
        Tol::rel(1e-6),
    );
    report.metric(
        "e5.executed_eps",
        "ε at q = 1/6, 2118 steps (Opacus RDP)",
        "",
        vec![run.opacus],
        Tol::rel(1e-6),
    );
    report
        .metric(
            "e5.dpa",
            "dp_accounting RDP ε, accounted then executed",
            "",
            vec![acc.dp_accounting, run.dp_accounting],
            Tol::rel(1e-6),
        )
        .over("readings");
    report
        .metric(
            "e5.pld",
            "dp_accounting PLD ε (fixture), accounted then executed",
            "",
            vec![acc.pld, run.pld],
            Tol::rel(1e-6),
        )
        .over("readings");
}

pub fn claims(report: &mut Report, plan: &Plan) {
    claim_e1(report, plan);
    claim_e2(report, plan);
    claims_e345(report);
}

fn claim_e1(report: &mut Report, plan: &Plan) {
    let res = 100.0 * stats::accuracy_resolution(plan.n_test);
    report.claim(
        Claim::new(
            "E1",
            "Under DP-SGD at equal (ε, δ) the D4 group CNN (B) beats the plain CNN (A) by at least 5 accuracy points (mean over seeds), while without DP the two are within 2 points; falsified if B is below A under DP by more than 2 paired standard errors; control: both learn without DP (at least 50%).",
            pv("+9% accuracy over the prior state of the art on CIFAR-10", "abstract", Provenance::Abstract),
        )
        .check(Check::mean("e1.dp.gap", Rule::AtLeast(E1_MIN_DP_GAP)).tie_within(res))
        .check(Check::mean("e1.np.gap", Rule::Between(-E1_MAX_NP_GAP, E1_MAX_NP_GAP)))
        .check(Check::each("e1.dp.gap_z", Rule::AtMost(E1_FALSIFY_Z)).falsifier())
        .check(Check::each("e1.np.acc", Rule::AtLeast(E1_MIN_NP_ACC)).control())
        .settings(&[plan.epsilon, plan.delta, plan.q, plan.steps as f64, plan.seeds as f64, f64::from(plan.clip)]),
    );
}

fn claim_e2(report: &mut Report, plan: &Plan) {
    let widths: Vec<f64> = plan.e2_widths.iter().map(|&w| w as f64).collect();
    report.claim(
        Claim::new(
            "E2",
            "The noise grows against the clipped signal with the parameter count: the slope of log(‖noise‖/‖clipped signal‖) on log d lies in [0.4, 0.6] across widths of model A at initialisation; falsified below 0.25; control: ‖noise‖ itself has slope 0.5 within 0.01.",
            pv("DP-SGD noise grows with the parameter count", "abstract", Provenance::Abstract),
        )
        .check(Check::each("e2.ratio_slope", Rule::Between(E2_SLOPE.0, E2_SLOPE.1)))
        .check(Check::each("e2.ratio_slope", Rule::AtMost(E2_FALSIFY_SLOPE)).falsifier())
        .check(Check::each("e2.noise_slope", Rule::Between(0.5 - E2_NOISE_SLOPE_TOL, 0.5 + E2_NOISE_SLOPE_TOL)).control())
        .settings(&widths)
        .settings(&[0.5, E2_NOISE_SLOPE_TOL]),
    );
}

fn claims_e345(report: &mut Report) {
    report.claim(
        Claim::new(
            "E3",
            "The Rust RDP accountant gives Opacus' and dp_accounting's ε on every fixture point to 1e-6 relative, and Opacus' noise multiplier to 1e-9.",
            pv("σ from Opacus get_noise_multiplier(ε = 8, δ = 1e-5, q = 0.16384, 353 epochs), RDP", "train.py, conf", Provenance::Code),
        )
        .check(Check::each("e3.opacus_rel", Rule::AtMost(E3_EPS_REL)))
        .check(Check::each("e3.dpa_rel", Rule::AtMost(E3_EPS_REL)))
        .check(Check::each("e3.sigma_rel", Rule::AtMost(E3_SIGMA_REL)))
        .self_check(),
    );
    report.claim(
        Claim::new(
            "E4",
            "The trained group CNN is invariant under all 8 elements of D4: max |f(gx) − f(x)| ≤ 1e-5 over test images; control: the trained plain CNN moves by at least 1e-2.",
            pv("EquivariantResNet9 over D4 (flipRot2dOnR2(4))", "networks/equivariant_resnet9.py", Provenance::Code),
        )
        .check(Check::each("e4.b", Rule::AtMost(E4_MAX_GAP)))
        .check(Check::each("e4.a", Rule::AtLeast(E4_MIN_PLAIN_GAP)).control())
        .settings(&[8.0])
        .self_check(),
    );
    report.claim(
        Claim::new(
            "E5",
            "The paper's ε = 8 covers its run: the accountant's reading (q = 0.16384, 2154 steps, σ from the search) gives ε ≤ 8; falsified if the run as executed (Poisson q = 1/6, 2118 steps, same σ) spends ε ≥ 8.",
            pv("ε = 8 at δ = 1e-5", "conf (target_epsilon)", Provenance::Code),
        )
        .check(Check::each("e5.accounted_eps", Rule::AtMost(E5_EPSILON)))
        .check(Check::each("e5.executed_eps", Rule::AtLeast(E5_EPSILON)).falsifier())
        .settings(&[0.16384, 2154.0, 1.0, 6.0, 2118.0, 1e-5]),
    );
}
