//! Rules (fixed before running, with their rationale), the metrics recorded from the results,
//! and the claims with the role of every check.

use crate::experiment::{Plan, Results};
use harness::{Check, Claim, PaperValue, Provenance, Report, Rule, Tol, stats};

/// M1 and M3: the card's 1e-12, scaled by (1 + ‖g‖²/λ) as its corrections block says (the
/// cancellation in g − ḡ(ḡ·g)/(λ + ‖ḡ‖²) loses a factor ‖g‖²/λ of precision even in f64).
pub const UNIT_TOL: f64 = 1e-12;
/// M2: the card's threshold, a 10% lower energy distance than DDIM.
pub const M2_MIN_REDUCTION: f64 = 0.10;
/// M2 control, chosen here before running: DDIM's energy distance at least this many times the
/// floor (two exact sample sets of the run sizes), so that a 10% change is not sampling noise.
pub const M2_FLOOR_FACTOR: f64 = 3.0;
/// M2 falsifier: LML's energy distance above DDIM's by more than this many standard errors
/// (paired over the scoring seeds).
pub const M2_FALSIFY_Z: f64 = 2.0;

pub fn ed_key(arm: &str, nfe: usize) -> String {
    format!("ed.{arm}.nfe{nfe}")
}

pub fn sw_key(arm: &str, nfe: usize) -> String {
    format!("sw.{arm}.nfe{nfe}")
}

/// The scoring arms, in the grid's order.
pub const ARMS: [&str; 2] = ["ddim", "lml"];

/// Records every metric the claims, tables and figures cite.
pub fn record(report: &mut Report, plan: &Plan, results: &Results) {
    let tol = Tol::rel(1e-9);
    record_selection(report, plan, results);
    for (a, arm) in ARMS.iter().enumerate() {
        for (s, &nfe) in plan.nfes.iter().enumerate() {
            let cell = results.score.cell(a, s);
            report.metric(
                &ed_key(arm, nfe),
                &format!("energy distance to the data, {arm}, NFE {nfe}"),
                "",
                cell.iter().map(|r| r.energy).collect(),
                tol,
            );
            report.metric(
                &sw_key(arm, nfe),
                &format!("sliced W2 to the data, {arm}, NFE {nfe}"),
                "",
                cell.iter().map(|r| r.sliced_w2).collect(),
                tol,
            );
        }
    }
    record_m2(report, plan, results);
    record_units(report, results);
    record_m4(report, results);
}

fn record_m4(report: &mut Report, results: &Results) {
    let m4 = &results.schedulers;
    let unit = |report: &mut Report, key: &str, label: &str, v: f64| {
        report.metric(key, label, "", vec![v], Tol::Unchecked);
    };
    unit(
        report,
        "m4.abar",
        "largest relative error of ᾱ against diffusers (f64)",
        m4.abar_rel,
    );
    report.metric(
        "m4.timesteps",
        "timesteps differing from diffusers' leading spacing (NFE 5 and 10)",
        "",
        vec![m4.timestep_mismatches as f64],
        Tol::Exact,
    );
    unit(
        report,
        "m4.ddim",
        "largest error of a DDIM step against diffusers, relative to the step's largest |x|",
        m4.ddim_rel,
    );
    report
        .metric(
            "m4.lm",
            "chained DDIM-LM steps against the official scheduler: relative error / (1 + max ‖g‖²/λ), per (κ, λ) run",
            "",
            m4.lm.iter().map(|r| r.2).collect(),
            Tol::Unchecked,
        )
        .over("(κ, λ) runs");
    report.metric(
        "m4.second_pass",
        "largest |Δx| between two passes of one official scheduler object over the same inputs",
        "",
        vec![m4.second_pass],
        Tol::rel(1e-6),
    );
}

fn record_selection(report: &mut Report, plan: &Plan, results: &Results) {
    let configs = plan.configs();
    let means: Vec<f64> = (0..=configs.len())
        .map(|a| stats::mean(results.select.cell(a, 0)))
        .collect();
    report
        .metric(
            "select.mean_ed",
            "mean selection energy distance: DDIM, then each (κ, λ), κ outermost",
            "",
            means,
            Tol::rel(1e-9),
        )
        .over("configurations");
    report
        .metric(
            "best",
            "selected κ and λ",
            "",
            vec![results.best.kappa, results.best.lambda],
            Tol::Exact,
        )
        .over("parameters");
}

fn record_m2(report: &mut Report, plan: &Plan, results: &Results) {
    let s = plan
        .nfes
        .iter()
        .position(|&n| n == plan.nfe)
        .expect("the deciding NFE is scored");
    let ddim: Vec<f64> = results.score.cell(0, s).iter().map(|r| r.energy).collect();
    let lml: Vec<f64> = results.score.cell(1, s).iter().map(|r| r.energy).collect();
    let tol = Tol::rel(1e-9);
    report.metric(
        "m2.reduction",
        "relative energy-distance reduction of LML over DDIM, (DDIM − LML)/DDIM, per scoring seed",
        "",
        ddim.iter().zip(&lml).map(|(d, l)| (d - l) / d).collect(),
        tol,
    );
    let diff: Vec<f64> = lml.iter().zip(&ddim).map(|(l, d)| l - d).collect();
    report.metric(
        "m2.worse_z",
        "LML − DDIM energy distance in standard errors (paired over scoring seeds)",
        "",
        vec![stats::mean(&diff) / stats::se(&diff)],
        tol,
    );
    report.metric(
        "m2.floor",
        "energy distance between two exact sample sets of the run sizes (the floor)",
        "",
        results.floor.clone(),
        tol,
    );
    report.metric(
        "m2.ddim_over_floor",
        "DDIM's mean energy distance over the floor's",
        "",
        vec![stats::mean(&ddim) / stats::mean(&results.floor)],
        tol,
    );
}

fn record_units(report: &mut Report, results: &Results) {
    let over = "λ values";
    let m1 = &results.identity;
    report
        .metric(
            "m1.max_abs_diff",
            "max |x(κ = 0 LML) − x(DDIM)| over samples and coordinates, per λ",
            "",
            m1.iter().map(|r| r.max_abs_diff).collect(),
            Tol::Unchecked,
        )
        .over(over);
    report
        .metric(
            "m1.scaled",
            "that difference divided by (1 + max ‖g‖²/λ), per λ",
            "",
            m1.iter()
                .map(|r| r.max_abs_diff / (1.0 + r.max_g2 / r.lambda))
                .collect(),
            Tol::Unchecked,
        )
        .over(over);
    report
        .metric(
            "m1.max_g2",
            "largest ‖g‖² seen (g the exact ε-prediction of one sample)",
            "",
            m1.iter().map(|r| r.max_g2).collect(),
            Tol::rel(1e-9),
        )
        .over(over);
    report
        .metric(
            "m3.solve",
            "Sherman–Morrison vs dense solve: worst relative error / (1 + ‖ḡ‖²/λ), per λ",
            "",
            results.unit.iter().map(|u| u.scaled_solve_err).collect(),
            Tol::Unchecked,
        )
        .over(over);
    report
        .metric(
            "m3.norm",
            "worst relative error of the rescaled norm ‖d‖ against ‖g‖, per λ",
            "",
            results.unit.iter().map(|u| u.norm_err).collect(),
            Tol::Unchecked,
        )
        .over(over);
    report
        .metric(
            "f32.cosine",
            "cos(d, g) of the κ = 0 direction in f32 (3 × 32 × 32 unit noise), per README λ",
            "",
            results.f32_cosine.clone(),
            Tol::rel(1e-3),
        )
        .over(over);
}

/// The claims.
pub fn claims(report: &mut Report, plan: &Plan) {
    let (d, nfe) = (plan.dim as f64, plan.nfe as f64);
    let tol = harness::numbers::fmt(UNIT_TOL);
    let pv = |v: &str, s: &str, p: Provenance| PaperValue::new(v, s, p);
    report.claim(
        Claim::new(
            "M1",
            &format!(
                "κ = 0 makes LML the baseline: DDIM-LML with κ = 0 gives the same samples as DDIM from the same noise (d = {d}, NFE = {nfe}, every λ of the grid), to {tol} × (1 + ‖g‖²/λ) in f64."
            ),
            pv(
                "κ = 0 ⇒ ḡ = g ⇒ d ∥ g, rescaled to g: the identity (and every script's default is κ = 0)",
                "card, from the official code",
                Provenance::Derived,
            ),
        )
        .check(Check::each("m1.scaled", Rule::AtMost(UNIT_TOL)))
        .settings(&[d, nfe, 0.0, 1.0]),
    );
    report.claim(
        Claim::new(
            "M2",
            &format!(
                "With exact scores (Gaussian mixture, d = {d}) at NFE = {nfe}, DDIM-LML at the (κ, λ) selected on separate seeds has an energy distance at least {M2_MIN_REDUCTION} (relative) below DDIM's on every fresh seed; falsified if it is above DDIM's by more than {M2_FALSIFY_Z} standard errors. Control: DDIM's distance is at least {M2_FLOOR_FACTOR} times the sampling floor."
            ),
            pv(
                "significantly improves image quality (FID) with negligible overhead",
                "abstract",
                Provenance::Abstract,
            ),
        )
        .check(Check::each("m2.reduction", Rule::AtLeast(M2_MIN_REDUCTION)))
        .check(Check::each("m2.ddim_over_floor", Rule::AtLeast(M2_FLOOR_FACTOR)).control())
        .check(Check::each("m2.worse_z", Rule::AtLeast(M2_FALSIFY_Z)).falsifier())
        .settings(&[d, nfe]),
    );
    report.claim(
        Claim::new(
            "M3",
            &format!(
                "The Sherman–Morrison form equals a dense Cholesky solve of (λI + ḡḡᵀ)d = g (nalgebra) to {tol} × (1 + ‖ḡ‖²/λ), and the rescaled ‖d‖ equals ‖g‖ to {tol} (f64, d = {d}, every λ of the grid)."
            ),
            pv(
                "(λI + ḡḡᵀ)⁻¹ g = (1/λ)[g − ḡ(ḡᵀg)/(λ + ‖ḡ‖²)], rescaled to ‖g‖",
                "official code, scheduling_ddim_lm.py",
                Provenance::Code,
            ),
        )
        .self_check()
        .check(Check::each("m3.solve", Rule::AtMost(UNIT_TOL)))
        .check(Check::each("m3.norm", Rule::AtMost(UNIT_TOL)))
        .settings(&[d, 1.0]),
    );
    report.claim(
        Claim::new(
            "M4",
            &format!(
                "This DDIM matches diffusers' DDIMScheduler (ᾱ to {tol} relative, the leading timesteps exactly, each step to {tol} of its magnitude) and this DDIM-LM matches the official DDIMLMScheduler step by step over a chained run at every (κ, λ) of the fixture, to {tol} × (1 + ‖g‖²/λ), on fixed ε inputs in f64."
            ),
            pv(
                "scheduling_ddim_lm.py and diffusers DDIMScheduler",
                "card, reference implementations",
                Provenance::Code,
            ),
        )
        .self_check()
        .check(Check::each("m4.abar", Rule::AtMost(UNIT_TOL)))
        .check(Check::each("m4.timesteps", Rule::AtMost(0.0)))
        .check(Check::each("m4.ddim", Rule::AtMost(UNIT_TOL)))
        .check(Check::each("m4.lm", Rule::AtMost(UNIT_TOL)))
        .settings(&[1.0]),
    );
}
