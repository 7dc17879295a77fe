//! Rules for the last-iterate reproduction: slope windows and bands from the card
//! (`papers/last-iterate.md`), fixed before any run; the metrics recorded from the results; the
//! claims.

use crate::experiment::{GapCurve, L3_NU, L3_P, Plan, Results};
use harness::{Check, Claim, PaperValue, Provenance, Report, Rule, Tol};

/// L1: the card's window around the predicted slope −1/2 (up to log T).
pub const L1_SLOPE: (f64, f64) = (-0.6, -0.4);
/// L1: the normalised gap `gap sqrt(T) / log T` may not grow faster than `T^0.05`.
pub const L1_MAX_GROWTH: f64 = 0.05;
/// L2: the card's window around the predicted slope −1.
pub const L2_SLOPE: (f64, f64) = (-1.15, -0.85);
/// L3: the card's window around the predicted slope −1/3.
pub const L3_SLOPE: (f64, f64) = (-0.45, -0.22);
/// L4: Monte Carlo within this many standard errors of the exact recursion.
pub const L4_MAX_Z: f64 = 3.0;
/// Control of L1–L3: a fitted slope must be resolved to a quarter of its window's width.
pub const MAX_SLOPE_SE: f64 = 0.05;

/// The key of metric `name` of the setting labelled `pre` (e.g. `l1.slope`).
pub fn key(pre: &str, name: &str) -> String {
    format!("{pre}.{name}")
}

/// The settings' descriptions in metric labels, in the order of `plan.settings`.
pub const SETTING_NAMES: [&str; 3] = ["Lipschitz convex", "strongly convex", "heavy-tailed"];

/// Records every metric the claims, tables and figures cite.
pub fn record(report: &mut Report, plan: &Plan, results: &Results) {
    let labelled = || plan.settings.iter().zip(SETTING_NAMES).zip(&results.curves);
    for ((s, name), c) in labelled() {
        record_curve(report, s.label, name, &c.curve);
    }
    // Slopes of Monte Carlo means: last-bit libm differences may move them slightly.
    let slope_tol = Tol::Close {
        rel: 0.0,
        abs: 1e-3,
    };
    for ((s, _), c) in labelled() {
        report.metric(
            &key(s.label, "slope"),
            "log-log slope of the mean gap",
            "",
            vec![c.slope],
            slope_tol,
        );
        report.metric(
            &key(s.label, "slope_se"),
            "standard error of the slope (regression)",
            "",
            vec![c.slope_se],
            slope_tol,
        );
    }
    report.metric(
        &key("l1", "normalised_growth"),
        "fitted exponent of gap·√T/log T",
        "",
        vec![results.curves[0].normalised_growth],
        slope_tol,
    );
    record_quadratic(report, results);
}

/// L4: the quadratic check.
fn record_quadratic(report: &mut Report, results: &Results) {
    let q = &results.quadratic;
    report.metric(
        "l4.mc",
        "Monte Carlo E‖x(T+1)‖², T = 8, 64, 512",
        "",
        q.iter().map(|v| v.mc).collect(),
        Tol::rel(1e-3),
    );
    report.metric(
        "l4.exact",
        "exact E‖x(T+1)‖² from the recursion",
        "",
        q.iter().map(|v| v.exact).collect(),
        Tol::rel(1e-12),
    );
    report.metric(
        "l4.z",
        "|Monte Carlo − exact| / SE",
        "",
        q.iter().map(|v| (v.mc - v.exact).abs() / v.se).collect(),
        Tol::Close {
            rel: 0.0,
            abs: 0.01,
        },
    );
}

fn unverified(value: &str) -> PaperValue {
    PaperValue {
        value: value.into(),
        source: "rate table of the card (orders as commonly stated; theorems not transcribed)"
            .into(),
        provenance: Provenance::Unverified,
    }
}

/// The claims.
pub fn claims(report: &mut Report) {
    report.claim(
        Claim::new(
            "L1",
            "Lipschitz convex (f = ‖x‖₁ on R¹⁰, Gaussian noise σ = 1, η_t = 1/√T, unconstrained): the log-log slope of E f(x(T+1)) against T lies in [−0.6, −0.4]; falsified if gap·√T/log T grows (fitted exponent above 0.05).",
            unverified("E[F(x(T+1)) − F*] = O((G + σ) D log T / √T)"),
        )
        .check(Check::each(&key("l1", "slope"), Rule::Between(L1_SLOPE.0, L1_SLOPE.1)))
        .check(Check::each(&key("l1", "slope_se"), Rule::AtMost(MAX_SLOPE_SE)).control())
        .check(Check::each(&key("l1", "normalised_growth"), Rule::AtLeast(L1_MAX_GROWTH)).falsifier())
        .settings(&[1.0]),
    );
    report.claim(
        Claim::new(
            "L2",
            "Strongly convex (f = ½‖x‖² + ‖x‖₁, η_t = 1/t): slope in [−1.15, −0.85].",
            unverified("O((G² + σ²) log T / (μ T))"),
        )
        .check(Check::each(
            &key("l2", "slope"),
            Rule::Between(L2_SLOPE.0, L2_SLOPE.1),
        ))
        .check(Check::each(&key("l2", "slope_se"), Rule::AtMost(MAX_SLOPE_SE)).control())
        .settings(&[1.0]),
    );
    report.claim(
        Claim::new(
            "L3",
            "Heavy-tailed noise (Student t, ν = 1.6, so p = 1.5 < ν; f = ‖x‖₁; η_t = T^(−2/3)): slope in [−0.45, −0.22] (predicted −1/3).",
            unverified("Õ(σ D T^((1−p)/p)) for finite p-th moment"),
        )
        .check(Check::each(&key("l3", "slope"), Rule::Between(L3_SLOPE.0, L3_SLOPE.1)))
        .check(Check::each(&key("l3", "slope_se"), Rule::AtMost(MAX_SLOPE_SE)).control())
        .settings(&[L3_NU, L3_P, 1.0, 2.0, 3.0]),
    );
    report.claim(
        Claim::new(
            "L4",
            "Simulator check: on a quadratic, the Monte Carlo E‖x(T+1)‖² of linear SGD matches the exact second-moment recursion within 3 standard errors.",
            PaperValue {
                value: "E x(t+1)² = (1 − η_t a)² E x_t² + η_t² σ²".into(),
                source: "card, derived".into(),
                provenance: Provenance::Derived,
            },
        )
        .self_check()
        .check(Check::each("l4.z", Rule::AtMost(L4_MAX_Z)))
        .settings(&[1.0]),
    );
}

/// Records a curve as metrics `<pre>.gap` (one value per horizon) and `<pre>.se`.
fn record_curve(report: &mut Report, pre: &str, label: &str, c: &GapCurve) {
    // Monte Carlo means move in late digits when a libm differs in a last bit (a sign flip of a
    // coordinate near 0 changes one trajectory): compare loosely.
    let mc = Tol::Close {
        rel: 1e-3,
        abs: 1e-9,
    };
    report.metric(
        &key(pre, "horizons"),
        "horizons T",
        "",
        c.horizons.iter().map(|&t| t as f64).collect(),
        Tol::Exact,
    );
    report.metric(
        &key(pre, "gap"),
        &format!("{label}: mean last-iterate gap per T"),
        "",
        c.mean.clone(),
        mc,
    );
    report.metric(
        &key(pre, "se"),
        &format!("{label}: standard error per T"),
        "",
        c.se.clone(),
        mc,
    );
}
