//! Rules (fixed before running, with their rationale), the metrics recorded from the results,
//! and the claims with the role of every check.

use crate::experiment::{Method, Plan, PrunePlan, Results};
use crate::method::fit_two_terms;
use harness::{Check, Claim, PaperValue, Provenance, Report, Rule, Tol, stats};

/// M1: the card's bound on relative errors (f64).
pub const EXACT: f64 = 1e-10;
/// M1 falsifier: an error this large is an algebra slip, not rounding.
pub const BROKEN: f64 = 1e-6;
/// M1 control: the official pruner's one missing gradient must move the result by more than
/// this, or the M1 bound could not tell a wrong window from a right one.
pub const ONE_GRADIENT: f64 = 1e-6;
/// M2: the band of the log-log slope of product time against `d` (the card's correction
/// widens the card's [0.9, 1.1] for cache effects on 2 cores).
pub const SLOPE: (f64, f64) = (0.85, 1.3);
/// M2 falsifier: a slope this steep is superlinear, whatever the noise.
pub const SUPERLINEAR: f64 = 1.5;
/// M2: the largest relative residual of the fit `a·d·m + b·m³` to the update times.
pub const FIT_RESIDUAL: f64 = 0.3;
/// M2 control: the timer resolves the effect (the product at the largest `d` takes at least
/// this many times the smallest's, for a 4× range of `d`).
pub const TIME_SPAN: f64 = 2.0;
/// M3, M4: differences of mean test (or train) losses within this are ties (cross-entropy in
/// nats; 1e-3 is well below one test example's contribution on 400 examples at these losses).
pub const LOSS_TIE: f64 = 1e-3;
/// M3 controls: the dense net learned (test accuracy), did not reach zero loss (the card's
/// correction: then every method equals magnitude), and pruning hurts at 90 %.
pub const DENSE_ACCURACY: f64 = 0.8;
pub const MIN_TRAIN_LOSS: f64 = 0.01;
pub const MAGNITUDE_DAMAGE: f64 = 0.1;
/// M4 control: each optimizer's best run ends below this fraction of the initial loss.
pub const PROGRESS: f64 = 0.5;

/// Snapshot tolerance of rounding-level errors: a change matters only on the scale of the
/// bounds (the exact digits depend on the compiler's reassociation).
fn rounding_tol() -> Tol {
    Tol::Close {
        rel: 1.0,
        abs: 1e-11,
    }
}

/// Records every metric the claims, tables and figures cite.
pub fn record(report: &mut Report, plan: &Plan, results: &Results) {
    record_exact(report, results);
    record_cost(report, plan, results);
    record_prune(report, &plan.prune, results);
    record_optim(report, plan, results);
}

fn record_exact(report: &mut Report, results: &Results) {
    // The worst window for each kind of vector.
    let pairs = |f: &dyn Fn(&crate::experiment::Exact) -> [f64; 2]| -> Vec<f64> {
        (0..2)
            .map(|k| results.exact.iter().map(|e| f(e)[k]).fold(0.0, f64::max))
            .collect()
    };
    let rows: [(&str, &str, Vec<f64>); 6] = [
        (
            "m1.static",
            "static product vs oracle",
            pairs(&|e| e.static_rel),
        ),
        (
            "m1.dynamic",
            "sliding-window product vs oracle",
            pairs(&|e| e.dynamic_rel),
        ),
        (
            "m1.replaced_static",
            "sliding window vs a static rebuild, worst over the replacements",
            pairs(&|e| e.replaced_vs_static),
        ),
        (
            "m1.replaced_oracle",
            "sliding window vs oracle, worst over the replacements",
            pairs(&|e| e.replaced_vs_oracle),
        ),
        (
            "m1.dropped",
            "the official pruner's buffer (last gradient left zero) vs the full window's oracle",
            pairs(&|e| e.dropped_rel),
        ),
        (
            "m1.official_damp",
            "static product vs oracle at the official damping λ = 1e-5",
            pairs(&|e| e.official_damp_rel),
        ),
    ];
    let mut worst: f64 = 0.0;
    for (key, label, values) in rows {
        if !matches!(key, "m1.dropped" | "m1.official_damp") {
            worst = values.iter().fold(worst, |a, &b| a.max(b));
        }
        let tol = if key == "m1.dropped" {
            Tol::rel(1e-6)
        } else {
            rounding_tol()
        };
        report
            .metric(
                key,
                &format!("{label}: ‖·‖ relative error, worst window, random x then x in the span"),
                "",
                values,
                tol,
            )
            .over("x kinds");
    }
    let diag = results.exact.iter().map(|e| e.diag_rel).fold(0.0, f64::max);
    worst = worst.max(diag);
    report
        .metric(
            "m1.diag",
            "diagonal of F⁻¹ vs oracle, largest elementwise relative error, worst window",
            "",
            vec![diag],
            rounding_tol(),
        )
        .over("comparisons");
    report
        .metric(
            "m1.worst",
            "largest error of every M1 comparison",
            "",
            vec![worst],
            rounding_tol(),
        )
        .over("comparisons");
}

fn record_cost(report: &mut Report, plan: &Plan, results: &Results) {
    let c = &results.cost;
    let p = &plan.cost;
    let cost = p;

    report
        .metric(
            "m2.mul_seconds",
            &format!(
                "product time at m = {} (minimum of {} repeats)",
                p.m, p.reps
            ),
            "s",
            c.mul_seconds.clone(),
            Tol::Unchecked,
        )
        .over("d");
    report
        .metric(
            "m2.update_seconds",
            &format!(
                "time to replace one gradient at d = {} (mean over a full cycle, minimum of {} repeats)",
                cost.update_d, p.reps
            ),
            "s",
            c.update_seconds.clone(),
            Tol::Unchecked,
        )
        .over("m");
    let logd: Vec<f64> = p.dims.iter().map(|&d| (d as f64).ln()).collect();
    let logt: Vec<f64> = c.mul_seconds.iter().map(|t| t.ln()).collect();
    let (slope, _, _) = stats::linear_fit(&logd, &logt);
    report
        .metric(
            "m2.slope",
            "log-log slope of product time against d",
            "",
            vec![slope],
            Tol::Unchecked,
        )
        .over("fits");
    let span = c.mul_seconds.last().expect("a size") / c.mul_seconds[0];
    report
        .metric(
            "m2.span",
            "product time at the largest d over that at the smallest",
            "",
            vec![span],
            Tol::Unchecked,
        )
        .over("ratios");
    let dm: Vec<f64> = cost
        .update_ms
        .iter()
        .map(|&m| (cost.update_d * m) as f64)
        .collect();
    let m3: Vec<f64> = cost.update_ms.iter().map(|&m| (m as f64).powi(3)).collect();
    let (a, b, residual) = fit_two_terms(&dm, &m3, &c.update_seconds);
    report
        .metric(
            "m2.update_fit",
            "fit of the update time: a (s per d·m), b (s per m³)",
            "s",
            vec![a, b],
            Tol::Unchecked,
        )
        .over("coefficients");
    report
        .metric(
            "m2.update_residual",
            "largest relative residual of that fit",
            "",
            vec![residual],
            Tol::Unchecked,
        )
        .over("fits");
}

/// Seed means of a method's test losses, per sparsity.
fn mean_loss(plan: &PrunePlan, results: &Results, method: Method) -> Vec<f64> {
    per_sparsity(plan, results, method, |r, mi, s| r.loss[mi][s])
}

fn per_sparsity(
    plan: &PrunePlan,
    results: &Results,
    method: Method,
    f: impl Fn(&crate::experiment::PruneRun, usize, usize) -> f64,
) -> Vec<f64> {
    let mi = Method::all(plan)
        .iter()
        .position(|&m| m == method)
        .expect("a method of the plan");
    (0..plan.sparsities.len())
        .map(|s| {
            stats::mean(
                &results
                    .prune
                    .iter()
                    .map(|r| f(r, mi, s))
                    .collect::<Vec<_>>(),
            )
        })
        .collect()
}

fn diff(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

fn record_prune(report: &mut Report, plan: &PrunePlan, results: &Results) {
    let tol = Tol::rel(1e-6);
    for method in Method::all(plan) {
        let key = method.key(plan);
        let label = method.label(plan);
        report
            .metric(
                &format!("m3.loss.{key}"),
                &format!("{label}: test loss (seed mean)"),
                "nats",
                mean_loss(plan, results, method),
                tol,
            )
            .over("sparsity levels");
        report
            .metric(
                &format!("m3.accuracy.{key}"),
                &format!("{label}: test accuracy (seed mean)"),
                "",
                per_sparsity(plan, results, method, |r, mi, s| r.accuracy[mi][s]),
                tol,
            )
            .over("sparsity levels");
    }
    let top = plan.ms.len() - 1;
    let magnitude = mean_loss(plan, results, Method::Magnitude);
    let full = mean_loss(plan, results, Method::Full(top));
    let blocked = mean_loss(plan, results, Method::Blocked(top));
    let diagonal = mean_loss(plan, results, Method::Diagonal(top));
    let gap = diff(&magnitude, &full);
    let high: Vec<usize> = (0..plan.sparsities.len())
        .filter(|&s| plan.sparsities[s] >= 0.8)
        .collect();
    let best = |idx: &mut dyn Iterator<Item = usize>| idx.map(|s| gap[s]).fold(f64::MIN, f64::max);
    let gap_high = best(&mut high.iter().copied());
    let gap_low = best(&mut (0..plan.sparsities.len()).filter(|s| !high.contains(s)));
    report
        .metric(
            "m3.gap_full",
            "magnitude − M-FAC full test loss (seed means; largest window)",
            "nats",
            gap.clone(),
            tol,
        )
        .over("sparsity levels");
    report
        .metric(
            "m3.gap_full_high",
            "the same at the sparsities ≥ 80 %",
            "nats",
            high.iter().map(|&s| gap[s]).collect(),
            tol,
        )
        .over("sparsity levels ≥ 80 %");
    report
        .metric(
            "m3.gap_high_vs_low",
            "largest gap at ≥ 80 % minus largest gap below",
            "nats",
            vec![gap_high - gap_low],
            tol,
        )
        .over("differences");
    report
        .metric(
            "m3.blocked_minus_full",
            "M-FAC blocked − full test loss (seed means; largest window)",
            "nats",
            diff(&blocked, &full),
            tol,
        )
        .over("sparsity levels");
    report
        .metric(
            "m3.diagonal_minus_blocked",
            "diagonal Fisher − M-FAC blocked test loss (seed means; largest window)",
            "nats",
            diff(&diagonal, &blocked),
            tol,
        )
        .over("sparsity levels");
    let seeds = |f: &dyn Fn(&crate::experiment::PruneRun) -> f64| -> Vec<f64> {
        results.prune.iter().map(f).collect()
    };
    report.metric(
        "m3.dense_accuracy",
        "dense test accuracy",
        "",
        seeds(&|r| r.dense_accuracy),
        tol,
    );
    report.metric(
        "m3.train_loss",
        "dense training loss, last epoch",
        "nats",
        seeds(&|r| r.train_loss),
        tol,
    );
    report.metric(
        "m3.dense_loss",
        "dense test loss",
        "nats",
        seeds(&|r| r.dense_loss),
        tol,
    );
    for (j, m) in plan.ms.iter().enumerate() {
        report.metric(
            &format!("m3.damp_m{m}"),
            &format!(
                "λ at m = {m}: {} × the Fisher's mean diagonal",
                plan.damp_factor
            ),
            "",
            seeds(&|r| r.damp[j]),
            tol,
        );
    }
    let last = plan.sparsities.len() - 1;
    let dense = stats::mean(&seeds(&|r| r.dense_loss));
    report
        .metric(
            "m3.magnitude_damage",
            "magnitude pruning's test-loss increase at the largest sparsity (seed means)",
            "nats",
            vec![magnitude[last] - dense],
            tol,
        )
        .over("differences");
}

/// The best learning rate's index by the seed-mean final training loss.
fn best_lr(curves: &[Vec<Vec<f64>>]) -> usize {
    let final_loss =
        |c: &Vec<Vec<f64>>| stats::mean(&c.iter().map(|s| *s.last().unwrap()).collect::<Vec<_>>());
    (0..curves.len())
        .min_by(|&a, &b| final_loss(&curves[a]).total_cmp(&final_loss(&curves[b])))
        .expect("a learning rate")
}

/// Seed means of the final-epoch loss and of the mean loss over the epochs.
fn summary(curve: &[Vec<f64>]) -> [f64; 2] {
    let f = |g: &dyn Fn(&Vec<f64>) -> f64| stats::mean(&curve.iter().map(g).collect::<Vec<_>>());
    [f(&|s| *s.last().unwrap()), f(&|s| stats::mean(s))]
}

fn record_optim(report: &mut Report, plan: &Plan, results: &Results) {
    let o = &results.optim;
    let tol = Tol::rel(1e-6);
    let names = ["mfac", "sgd"];
    let lrs = [&plan.optim.mfac_lrs, &plan.optim.sgd_lrs];
    let mut best = Vec::new();
    for arm in 0..2 {
        report
            .metric(
                &format!("m4.final.{}", names[arm]),
                &format!("{}: final-epoch training loss (seed mean)", names[arm]),
                "nats",
                o.curves[arm].iter().map(|c| summary(c)[0]).collect(),
                tol,
            )
            .over("learning rates");
        let b = best_lr(&o.curves[arm]);
        report.metric(
            &format!("m4.best_lr.{}", names[arm]),
            &format!("{}: the best learning rate of the grid", names[arm]),
            "",
            vec![lrs[arm][b] as f64],
            Tol::Exact,
        );
        let c = &o.curves[arm][b];
        let epochs = c[0].len();
        report
            .metric(
                &format!("m4.curve.{}", names[arm]),
                &format!(
                    "{} at its best learning rate: training loss per epoch (seed mean)",
                    names[arm]
                ),
                "nats",
                (0..epochs)
                    .map(|e| stats::mean(&c.iter().map(|s| s[e]).collect::<Vec<_>>()))
                    .collect(),
                tol,
            )
            .over("epochs");
        best.push(summary(c));
    }
    report
        .metric(
            "m4.gap",
            "SGD − M-FAC training loss at their best learning rates: final epoch, mean over epochs",
            "nats",
            vec![best[1][0] - best[0][0], best[1][1] - best[0][1]],
            tol,
        )
        .over("statistics");
    let initial = stats::mean(&o.initial_loss);
    report
        .metric(
            "m4.progress",
            "best final training loss over the initial loss: M-FAC, SGD",
            "",
            vec![best[0][0] / initial, best[1][0] / initial],
            tol,
        )
        .over("arms");
}

/// The claims.
pub fn claims(report: &mut Report, plan: &Plan) {
    let e = &plan.exact;
    let (d, m, damp) = (e.d as f64, e.m as f64, e.damp);
    let replacements = e.replacements as f64;
    report.claim(
        Claim::new(
            "M1",
            &format!(
                "At d = {d}, m = {m}, λ = {damp}: the static and sliding-window products and the diagonal of F⁻¹ equal the exact inverse (an m × m spectral form) to ≤ {EXACT} relative, for random x and x in the window's span, and after each of {replacements} window replacements the sliding window equals a static rebuild to ≤ {EXACT}. Falsified by any error ≥ {BROKEN}. Control: leaving one gradient out (the official pruner's buffer) moves the result by ≥ {ONE_GRADIENT}."
            ),
            PaperValue::new(
                "exact algebra: F⁻¹ of λI + (1/m)Σ g gᵀ",
                "abstract; Algorithms 1 and 2; official HInvSlow",
                Provenance::Derived,
            ),
        )
        .check(Check::each("m1.static", Rule::AtMost(EXACT)))
        .check(Check::each("m1.dynamic", Rule::AtMost(EXACT)))
        .check(Check::each("m1.diag", Rule::AtMost(EXACT)))
        .check(Check::each("m1.replaced_static", Rule::AtMost(EXACT)))
        .check(Check::each("m1.replaced_oracle", Rule::AtMost(EXACT)))
        .check(Check::each("m1.dropped", Rule::AtLeast(ONE_GRADIENT)).control())
        .check(Check::each("m1.worst", Rule::AtLeast(BROKEN)).falsifier())
        .settings(&[d, m, damp, replacements]),
    );
    let c = &plan.cost;
    let (cm, ud) = (c.m as f64, c.update_d as f64);
    let (lo, hi) = SLOPE;
    report.claim(
        Claim::new(
            "M2",
            &format!(
                "Cost: the sliding window's product time grows linearly in d at m = {cm} (log-log slope in [{lo}, {hi}] over d out of cache), and the time to replace a gradient at d = {ud} fits a·d·m + b·m³ within {FIT_RESIDUAL} relative. Falsified by a slope ≥ {SUPERLINEAR}. Control: the product time at the largest d is ≥ {TIME_SPAN}× that at the smallest. Wall-clock: a noisy machine can move these numbers."
            ),
            PaperValue::new(
                "O(d·m + m²) per product, O(d·m + m³) per update",
                "abstract",
                Provenance::Abstract,
            ),
        )
        .check(Check::each("m2.slope", Rule::Between(lo, hi)))
        .check(Check::each("m2.update_residual", Rule::AtMost(FIT_RESIDUAL)))
        .check(Check::each("m2.span", Rule::AtLeast(TIME_SPAN)).control())
        .check(Check::each("m2.slope", Rule::AtLeast(SUPERLINEAR)).falsifier())
        .settings(&[cm, ud]),
    );
    claim_prune(report, &plan.prune);
    claim_optim(report, plan);
    report.claim(
        Claim::new(
            "M5",
            "The ImageNet pruning checkpoints (MobileNetV1, ResNet-50), the BERT results of the model cards and the CIFAR optimisation tables.",
            PaperValue::new(
                "e.g. ResNet-50 at 95 % sparsity: 72.6 % top-1",
                "README",
                Provenance::Readme,
            ),
        )
        .not_testable("ImageNet, BERT and CIFAR training are beyond a 2-core CPU in a minute; no dataset is downloaded"),
    );
}

fn claim_prune(report: &mut Report, p: &PrunePlan) {
    let m = *p.ms.last().expect("a window") as f64;
    let block = p.blocksize as f64;
    let factor = p.damp_factor;
    let seeds = p.seeds as f64;
    report.claim(
        Claim::new(
            "M3",
            &format!(
                "One-shot pruning of the MLP's hidden weights (no fine-tuning, {seeds} seeds, m = {m}, λ = {factor} × the Fisher's mean diagonal): M-FAC's OBS has a test loss no higher than magnitude pruning's at every sparsity, the gap is largest at ≥ 80 %, and full ≥ blocked ({block}) ≥ diagonal Fisher (ties within {LOSS_TIE} nats). Falsified if M-FAC is worse than magnitude by more than {LOSS_TIE} at 80 % or 90 %. Controls: dense accuracy ≥ {DENSE_ACCURACY}, final training loss ≥ {MIN_TRAIN_LOSS} (not trained to zero loss), magnitude pruning at 90 % raises the test loss by ≥ {MAGNITUDE_DAMAGE}."
            ),
            PaperValue::new(
                "M-FAC above magnitude and diagonal (WoodFisher-style) pruning, most at high sparsity",
                "abstract (the one-shot ResNet-50 curve is not transcribed)",
                Provenance::Abstract,
            ),
        )
        .check(Check::each("m3.gap_full", Rule::AtLeast(0.0)).tie_within(LOSS_TIE))
        .check(Check::each("m3.gap_high_vs_low", Rule::AtLeast(0.0)).tie_within(LOSS_TIE))
        .check(Check::each("m3.blocked_minus_full", Rule::AtLeast(0.0)).tie_within(LOSS_TIE))
        .check(Check::each("m3.diagonal_minus_blocked", Rule::AtLeast(0.0)).tie_within(LOSS_TIE))
        .check(Check::each("m3.dense_accuracy", Rule::AtLeast(DENSE_ACCURACY)).control())
        .check(Check::each("m3.train_loss", Rule::AtLeast(MIN_TRAIN_LOSS)).control())
        .check(Check::each("m3.magnitude_damage", Rule::AtLeast(MAGNITUDE_DAMAGE)).control())
        .check(Check::each("m3.gap_full_high", Rule::AtMost(-LOSS_TIE)).falsifier())
        .settings(&[seeds, m, factor, block, 80.0, 90.0]),
    );
}

fn claim_optim(report: &mut Report, plan: &Plan) {
    let o = &plan.optim;
    let m = o.m as f64;
    report.claim(
        Claim::new(
            "M4",
            &format!(
                "Exploratory (the card: secondary and lr-sensitive): training the MLP from scratch, M-FAC (m = {m}) reaches a training loss no higher than momentum SGD's, both at the best learning rate of a small grid, on the final epoch and on the mean over epochs (ties within {LOSS_TIE}). Control: both end below {PROGRESS} × the initial loss."
            ),
            PaperValue::new(
                "M-FAC competitive with or better than SGD / Adam on CIFAR ResNets and BERT fine-tuning",
                "abstract; README model cards [readme]",
                Provenance::Readme,
            ),
        )
        .check(Check::each("m4.gap", Rule::AtLeast(0.0)).tie_within(LOSS_TIE))
        .check(Check::each("m4.progress", Rule::AtMost(PROGRESS)).control())
        .settings(&[m, LOSS_TIE]),
    );
}
