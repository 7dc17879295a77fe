//! Rules (fixed before running, with their rationale), the metrics recorded from the results,
//! and the claims with the role of every check.

use crate::experiment::{Plan, Results};
use crate::method::Estimator;
use harness::{Check, Claim, PaperValue, Provenance, Report, Rule, Tol, stats};

/// T1 falsifier: the median's MSE below the mean's by more than this many standard errors.
pub const FALSIFY_Z: f64 = 2.0;
/// T1 control: the estimators converge, the MSE at the largest n at most this fraction of that at
/// the smallest (1/n predicts the ratio of the sizes; half of it is a loose floor).
pub const MAX_MSE_RATIO: f64 = 0.5;

/// Records every metric the claims, tables and figures cite.
pub fn record(report: &mut Report, plan: &Plan, results: &Results) {
    let last = plan.sizes.len() - 1;
    let tol = Tol::rel(1e-9);
    for e in Estimator::ALL {
        report.metric(
            &format!("mse.{}", e.key()),
            &format!("{} MSE per sample size (seed means)", e.key()),
            "",
            (0..plan.sizes.len())
                .map(|s| stats::mean(&results.mse(e, s)))
                .collect(),
            tol,
        );
    }
    let (mean, median) = (
        results.mse(Estimator::Mean, last),
        results.mse(Estimator::Median, last),
    );
    let diff: Vec<f64> = median.iter().zip(&mean).map(|(m, a)| m - a).collect();
    report.metric(
        "t1.gap",
        "median − mean MSE at the largest n, per seed",
        "",
        diff.clone(),
        tol,
    );
    report.metric(
        "t1.gap_z",
        "that gap's mean in standard errors (paired over seeds)",
        "",
        vec![stats::mean(&diff) / stats::se(&diff)],
        tol,
    );
    let shrink =
        |e: Estimator| stats::mean(&results.mse(e, last)) / stats::mean(&results.mse(e, 0));
    report.metric(
        "t1.mse_ratio",
        "MSE at the largest n over MSE at the smallest: mean, median",
        "",
        vec![shrink(Estimator::Mean), shrink(Estimator::Median)],
        tol,
    );
}

/// The claims.
pub fn claims(report: &mut Report, plan: &Plan) {
    let n = *plan.sizes.last().expect("a size") as f64;
    report.claim(
        Claim::new(
            "T1",
            &format!(
                "At n = {n}, the mean has a lower squared error than the median on Gaussian data (on the mean over seeds); falsified if the median is lower by more than {FALSIFY_Z} standard errors. Control: both errors shrink with n."
            ),
            PaperValue::new(
                "relative efficiency of the median 2/π ≈ 0.64",
                "textbook",
                Provenance::Derived,
            ),
        )
        .check(Check::mean("t1.gap", Rule::AtLeast(0.0)))
        .check(Check::each("t1.mse_ratio", Rule::AtMost(MAX_MSE_RATIO)).control())
        .check(Check::each("t1.gap_z", Rule::AtMost(-FALSIFY_Z)).falsifier())
        .settings(&[n]),
    );
}
