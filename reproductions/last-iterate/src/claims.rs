//! Decision rules for the last-iterate reproduction: slope windows and bands from the card
//! (`papers/last-iterate.md`), fixed before any run.

use crate::experiment::GapCurve;
use harness::{Check, Claim, Figure, PaperValue, Provenance, Report, Rule, Series};

pub const L1_SLOPE: (f64, f64) = (-0.6, -0.4);
/// L1: the normalised gap `gap sqrt(T) / log T` may not grow faster than `T^0.05`.
pub const L1_MAX_GROWTH: f64 = 0.05;
pub const L2_SLOPE: (f64, f64) = (-1.15, -0.85);
pub const L3_SLOPE: (f64, f64) = (-0.45, -0.22);
pub const L4_MAX_Z: f64 = 3.0;
/// Control of L1–L3: a fitted slope must be resolved to a quarter of its window's width.
pub const MAX_SLOPE_SE: f64 = 0.05;
/// L3's tail index of the Student-t noise and the moment order p < ν the rate uses.
pub const L3_NU: f64 = 1.6;
pub const L3_P: f64 = 1.5;

fn unverified(value: &str) -> PaperValue {
    PaperValue {
        value: value.into(),
        source: "rate table of the card (orders as commonly stated; theorems not transcribed)"
            .into(),
        provenance: Provenance::Unverified,
    }
}

pub fn claims(report: &mut Report) {
    report.claim(
        Claim::new(
            "L1",
            "Lipschitz convex (f = ‖x‖₁ on R¹⁰, Gaussian noise σ = 1, η_t = 1/√T, unconstrained): the log-log slope of E f(x_{T+1}) against T lies in [−0.6, −0.4]; falsified if gap·√T/log T grows (fitted exponent above 0.05).",
            unverified("E[F(x_{T+1}) − F*] = O((G + σ) D log T / √T)"),
        )
        .check(Check::each("l1.slope", Rule::Between(L1_SLOPE.0, L1_SLOPE.1)))
        .check(Check::each("l1.slope_se", Rule::AtMost(MAX_SLOPE_SE)).control())
        .check(Check::each("l1.normalised_growth", Rule::AtLeast(L1_MAX_GROWTH)).falsifier())
        .settings(&[1.0]),
    );
    report.claim(
        Claim::new(
            "L2",
            "Strongly convex (f = ½‖x‖² + ‖x‖₁, η_t = 1/t): slope in [−1.15, −0.85].",
            unverified("O((G² + σ²) log T / (μ T))"),
        )
        .check(Check::each(
            "l2.slope",
            Rule::Between(L2_SLOPE.0, L2_SLOPE.1),
        ))
        .check(Check::each("l2.slope_se", Rule::AtMost(MAX_SLOPE_SE)).control())
        .settings(&[1.0]),
    );
    report.claim(
        Claim::new(
            "L3",
            "Heavy-tailed noise (Student t, ν = 1.6, so p = 1.5 < ν; f = ‖x‖₁; η_t = T^(−2/3)): slope in [−0.45, −0.22] (predicted −1/3).",
            unverified("Õ(σ D T^((1−p)/p)) for finite p-th moment"),
        )
        .check(Check::each("l3.slope", Rule::Between(L3_SLOPE.0, L3_SLOPE.1)))
        .check(Check::each("l3.slope_se", Rule::AtMost(MAX_SLOPE_SE)).control())
        .settings(&[L3_NU, L3_P, 1.0, 2.0, 3.0]),
    );
    report.claim(
        Claim::new(
            "L4",
            "Simulator check: on a quadratic, the Monte Carlo E‖x_{T+1}‖² of linear SGD matches the exact second-moment recursion within 3 standard errors.",
            PaperValue {
                value: "E x_{t+1}² = (1 − η_t a)² E x_t² + η_t² σ²".into(),
                source: "card, derived".into(),
                provenance: Provenance::Derived,
            },
        )
        .check(Check::each("l4.z", Rule::AtMost(L4_MAX_Z)))
        .settings(&[1.0]),
    );
}

/// Records a curve as metrics `<pre>.gap` (one value per horizon) and `<pre>.se`.
pub fn record_curve(report: &mut Report, pre: &str, label: &str, c: &GapCurve) {
    // Monte Carlo means move in late digits when a libm differs in a last bit (a sign flip of a
    // coordinate near 0 changes one trajectory): compare loosely.
    let mc = harness::Tol::Close {
        rel: 1e-3,
        abs: 1e-9,
    };
    report.metric(
        &format!("{pre}.horizons"),
        "horizons T",
        "",
        c.horizons.iter().map(|&t| t as f64).collect(),
        harness::Tol::Exact,
    );
    report.metric(
        &format!("{pre}.gap"),
        &format!("{label}: mean last-iterate gap per T"),
        "",
        c.mean.clone(),
        mc,
    );
    report.metric(
        &format!("{pre}.se"),
        &format!("{label}: standard error per T"),
        "",
        c.se.clone(),
        mc,
    );
}

/// Mean gap against T on log-log axes with ±3 SE bands and the predicted slope.
pub fn figure(curves: &[(&str, &GapCurve, f64)]) -> Figure {
    let mut series = Vec::new();
    for (label, c, slope) in curves {
        let ts: Vec<f64> = c.horizons.iter().map(|&t| t as f64).collect();
        series.push(Series::with_err(
            &format!("{label} (± 3 SE)"),
            ts.iter()
                .zip(c.mean.iter().zip(&c.se))
                .map(|(&t, (&m, &s))| (t, m, 3.0 * s)),
        ));
        // The predicted rate, anchored at the last horizon.
        let (t_last, m_last) = (ts[ts.len() - 1], c.mean[c.mean.len() - 1]);
        series.push(
            Series::new(
                &format!("{label}: slope {slope:.2}"),
                ts.iter().map(|&t| (t, m_last * (t / t_last).powf(*slope))),
            )
            .dashed(),
        );
    }
    Figure {
        key: "rates".into(),
        title: "Last-iterate gap E f(x_{T+1}) − f* against the horizon T".into(),
        x_label: "T".into(),
        y_label: "mean gap".into(),
        x_log: true,
        y_log: true,
        series,
        guides: vec![],
        caption: "Monte Carlo means with ±3 standard-error bars; dashed: the predicted slopes, anchored at the largest T.".into(),
    }
}
