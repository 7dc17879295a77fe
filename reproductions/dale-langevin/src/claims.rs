//! Rules (fixed before running, with their rationale), the metrics recorded from the results,
//! and the claims with the role of every check.

use crate::experiment::{Plan, Results};
use harness::{Check, Claim, PaperValue, Provenance, Report, Rule, Tol, stats};

/// G1: the card's correction, the sampler's energy distance at most the target-vs-target floor
/// plus 3 standard errors (paired by seed over the shared reference).
pub const G1_Z: f64 = 3.0;
/// G3: the card's 0.1 relative L2 error, averaged over τ ∈ [0.2, 1] (the correction's first
/// option, chosen before running).
pub const G3_MAX_ERR: f64 = 0.1;
/// G3 falsifier: twice the threshold (the correction's other option, 0.2, as the clear miss).
pub const G3_FALSIFY_ERR: f64 = 0.2;
/// G3 control: an untrained network must be at least this far off, or the metric cannot tell.
pub const G3_CONTROL_ERR: f64 = 0.5;
/// G4: the card's 1% of the loss, per τ bin.
pub const G4_MAX_SD: f64 = 0.01;
/// G4 falsifier: a θ-dependence of 5% of the loss in some bin, far beyond Monte Carlo noise.
pub const G4_FALSIFY_SD: f64 = 0.05;
/// G5: the card's 1e-12 in f64, for the loss identity and the scipy densities.
pub const G5_TOL: f64 = 1e-12;

pub fn ed_key(arm: &str, levels: usize) -> String {
    format!("g1.ed.{arm}.n{levels}")
}

pub fn z_key(arm: &str, levels: usize) -> String {
    format!("g1.z.{arm}.n{levels}")
}

pub fn frac_key(arm: &str, levels: usize) -> String {
    format!("g2.frac.{arm}.n{levels}")
}

/// The sampler arms, in the grids' order.
pub const ARMS: [&str; 2] = ["adls", "aums"];

pub fn record(report: &mut Report, plan: &Plan, r: &Results) {
    let tol = Tol::rel(1e-9);
    report.metric(
        "g1.floor",
        "energy distance of fresh exact samples to the reference (the floor)",
        "",
        r.floor.clone(),
        tol,
    );
    for (a, arm) in ARMS.iter().enumerate() {
        for (s, &levels) in plan.levels.iter().enumerate() {
            let ed: Vec<f64> = r.g1.per_seed(a, s, |x| x.energy);
            let excess: Vec<f64> = ed.iter().zip(&r.floor).map(|(e, f)| e - f).collect();
            report.metric(
                &ed_key(arm, levels),
                &format!("log-space energy distance to the data, {arm}, {levels} levels"),
                "",
                ed,
                tol,
            );
            report.metric(
                &z_key(arm, levels),
                &format!("excess over the floor in paired standard errors, {arm}, {levels} levels"),
                "",
                vec![stats::mean(&excess) / stats::se(&excess)],
                tol,
            );
        }
    }
    let adls_nonpos: usize = (0..plan.levels.len())
        .flat_map(|s| r.g1.per_seed(0, s, |x| x.non_positive))
        .sum();
    report.metric(
        "g1.nonpos.adls",
        "non-positive ADLS samples over every G1 run",
        "",
        vec![adls_nonpos as f64],
        Tol::Exact,
    );
    for (a, arm) in ARMS.iter().enumerate() {
        for (s, &levels) in plan.g2_levels.iter().enumerate() {
            report.metric(
                &frac_key(arm, levels),
                &format!("fraction of non-positive samples, {arm}, δ = 1/{levels}"),
                "",
                r.g2.per_seed(a, s, |f| *f),
                tol,
            );
        }
    }
    record_g3(report, r);
    record_g4_g5(report, r);
}

fn record_g3(report: &mut Report, r: &Results) {
    let tol = Tol::rel(1e-3);
    let mean_over_tau = |v: &Vec<Vec<f64>>| v.iter().map(|e| stats::mean(e)).collect::<Vec<_>>();
    report.metric(
        "g3.err",
        "relative L2 error of the trained network's s_H, mean over the evaluation τ",
        "",
        mean_over_tau(&r.g3_trained),
        tol,
    );
    report.metric(
        "g3.err_untrained",
        "the same error at initialisation",
        "",
        mean_over_tau(&r.g3_untrained),
        tol,
    );
    let per_tau: Vec<f64> = (0..r.g3_trained[0].len())
        .map(|i| stats::mean(&r.g3_trained.iter().map(|e| e[i]).collect::<Vec<_>>()))
        .collect();
    report
        .metric(
            "g3.err_tau",
            "trained error per evaluation τ, mean over training seeds",
            "",
            per_tau,
            tol,
        )
        .over("τ values");
}

fn record_g4_g5(report: &mut Report, r: &Results) {
    let tol = Tol::rel(1e-6);
    report
        .metric(
            "g4.correct",
            "sd over θ of L_DSM − L_ESM over mean L_DSM, per τ bin",
            "",
            r.g4.iter().map(|b| b.correct).collect(),
            tol,
        )
        .over("τ bins");
    report
        .metric(
            "g4.bug",
            "the same with the official off-by-one (loss at τ + 1/N, noise at τ), per τ bin",
            "",
            r.g4.iter().map(|b| b.off_by_one).collect(),
            tol,
        )
        .over("τ bins");
    report.metric(
        "g4.bug_low",
        "the off-by-one ratio in the lowest τ bin",
        "",
        vec![r.g4[0].off_by_one],
        tol,
    );
    let unit = |report: &mut Report, key: &str, label: &str, v: f64| {
        report.metric(key, label, "", vec![v], Tol::Unchecked);
    };
    unit(
        report,
        "g5.identity",
        "worst |M-DSM − v²‖s − s_H(x|x₀)‖²| / max(1, ·) over random points",
        r.g5_identity,
    );
    unit(
        report,
        "g5.logpdf",
        "worst |log-pdf − scipy lognorm| of the GBM transition law",
        r.g5_logpdf,
    );
    unit(
        report,
        "g5.mixture",
        "worst |log p_X − scipy| of the noised log-normal mixture",
        r.g5_mixture,
    );
    unit(
        report,
        "g5.cdf_dkw",
        "largest empirical-CDF distance of the noising to lognorm, over the DKW bound at 1e-3",
        r.g5_cdf_over_dkw,
    );
    unit(
        report,
        "g5.official_step",
        "worst relative error of ADLS/AUMS steps against the official samplers",
        r.g5_official_step,
    );
    unit(
        report,
        "g5.official_loss",
        "relative error of the M-DSM loss against the official new_loss (τ = (t + 1)/N)",
        r.g5_official_loss,
    );
}

pub fn claims(report: &mut Report, plan: &Plan) {
    let fine = *plan.g1_levels.iter().max().expect("G1 levels");
    let coarse = *plan.g1_levels.iter().min().expect("G1 levels");
    let ctrl = plan.control_levels;
    let pv = |v: &str, s: &str, p: Provenance| PaperValue::new(v, s, p);
    let mut g1 = Claim::new(
        "G1",
        &format!(
            "ADLS with the exact score keeps every sample positive and, at {coarse} and {fine} levels, its log-space energy distance to the data is within {G1_Z} paired standard errors of the floor of exact samples; falsified if it is {G1_Z} or more above at {fine} levels. Control: {ctrl} levels exceed the floor by {G1_Z} standard errors."
        ),
        pv(
            "the Dale–Langevin sampler is sign-preserving and samples the data (FID/KID on MNIST-type data; numbers not transcribed)",
            "abstract",
            Provenance::Abstract,
        ),
    )
    .check(Check::each("g1.nonpos.adls", Rule::AtMost(0.0)));
    for &l in &plan.g1_levels {
        g1 = g1.check(Check::each(&z_key("adls", l), Rule::AtMost(G1_Z)));
    }
    report.claim(
        g1.check(Check::each(&z_key("adls", ctrl), Rule::AtLeast(G1_Z)).control())
            .check(Check::each(&z_key("adls", fine), Rule::AtLeast(G1_Z)).falsifier())
            .settings(&[coarse as f64, fine as f64, ctrl as f64]),
    );
    let g2_levels: Vec<usize> = plan
        .g2_levels
        .iter()
        .copied()
        .filter(|&l| l <= 10)
        .collect();
    let biggest = *g2_levels.iter().min().expect("a G2 level with δ ≥ 0.1");
    let mut g2 = Claim::new(
        "G2",
        &format!(
            "At δ ∈ {{{}}} AUMS (the ambient Euler–Maruyama step) produces non-positive samples on every seed, while ADLS produces none at any δ; falsified if AUMS produces none on average at δ = 1/{biggest}.",
            g2_levels
                .iter()
                .map(|l| format!("1/{l}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        pv(
            "AUMS is sign-agnostic; the multiplicative Dale–Langevin update preserves positivity",
            "card, method",
            Provenance::Derived,
        ),
    );
    for &l in &g2_levels {
        g2 = g2.check(Check::each(
            &frac_key("aums", l),
            Rule::AtLeast(1.0 / plan.g2_n as f64),
        ));
    }
    for &l in &plan.g2_levels {
        g2 = g2.check(Check::each(&frac_key("adls", l), Rule::AtMost(0.0)));
    }
    let mut settings: Vec<f64> = g2_levels.iter().map(|&l| l as f64).collect();
    settings.push(1.0);
    report.claim(
        g2.check(Check::mean(&frac_key("aums", biggest), Rule::AtMost(0.0)).falsifier())
            .settings(&settings),
    );
    let t = &plan.train;
    report.claim(
        Claim::new(
            "G3",
            &format!(
                "A ReLU MLP ({} × {}) trained with the M-DSM loss ({} Adam steps of {} samples) recovers s_H with relative L2 error below {G3_MAX_ERR}, averaged over τ ∈ [0.2, 1] and the training seeds; falsified at {G3_FALSIFY_ERR} or more. Control: the untrained network is off by at least {G3_CONTROL_ERR}.",
                t.depth, t.width, t.steps, t.batch
            ),
            pv(
                "M-DSM trains score-based models of non-negative data",
                "abstract",
                Provenance::Abstract,
            ),
        )
        .check(Check::mean("g3.err", Rule::AtMost(G3_MAX_ERR)))
        .check(Check::each("g3.err_untrained", Rule::AtLeast(G3_CONTROL_ERR)).control())
        .check(Check::mean("g3.err", Rule::AtLeast(G3_FALSIFY_ERR)).falsifier())
        .settings(&[t.depth as f64, t.width as f64, t.steps as f64, t.batch as f64, 0.2, 1.0]),
    );
    report.claim(
        Claim::new(
            "G4",
            &format!(
                "L_DSM(θ) − L_ESM(θ) is constant in θ over the family s_θ = (1 + a) s_H + b: its standard deviation over θ is below {G4_MAX_SD} of the loss in every τ bin ({} Monte Carlo samples); falsified at {G4_FALSIFY_SD} in some bin. Control: the official off-by-one (loss at τ + 1/N) moves it by at least {G4_MAX_SD} in the lowest bin.",
                plan.g4_samples
            ),
            pv(
                "M-DSM is equivalent to explicit multiplicative score matching (M-ESM)",
                "abstract",
                Provenance::Abstract,
            ),
        )
        .check(Check::each("g4.correct", Rule::AtMost(G4_MAX_SD)))
        .check(Check::each("g4.bug_low", Rule::AtLeast(G4_MAX_SD)).control())
        .check(Check::each("g4.correct", Rule::AtLeast(G4_FALSIFY_SD)).falsifier())
        .settings(&[1.0, plan.g4_samples as f64]),
    );
    let tol = harness::numbers::fmt(G5_TOL);
    report.claim(
        Claim::new(
            "G5",
            &format!(
                "The M-DSM loss equals v²‖s_H,θ − s_H(x_τ | x₀)‖² pointwise to {tol} (f64), the GBM transition law and the noised mixture match scipy.stats.lognorm to {tol}, the noising's empirical CDF stays within the DKW bound, and the ADLS/AUMS steps and the loss match the official sampling.py and losses.py on fixed inputs to {tol} (relative)."
            ),
            pv(
                "L = E‖v (x ⊙ s_θ) + log x_τ − log x₀ − μτ + 1.5σ²τ‖² (losses.new_loss); log-normal marginals",
                "official code and card",
                Provenance::Code,
            ),
        )
        .self_check()
        .check(Check::each("g5.identity", Rule::AtMost(G5_TOL)))
        .check(Check::each("g5.logpdf", Rule::AtMost(G5_TOL)))
        .check(Check::each("g5.mixture", Rule::AtMost(G5_TOL)))
        .check(Check::each("g5.cdf_dkw", Rule::AtMost(1.0)))
        .check(Check::each("g5.official_step", Rule::AtMost(G5_TOL)))
        .check(Check::each("g5.official_loss", Rule::AtMost(G5_TOL))),
    );
}
