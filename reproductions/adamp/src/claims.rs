//! Runs, metrics and decision rules of the AdamP reproduction (card `papers/adamp.md`;
//! thresholds are the card's, fixed before running).

use crate::experiment::{Arm, NetRun, net_run};
use crate::method::{ANGLE_DEG, LR, STEPS, toy, toy_sgdp_copy};
use crate::plan;
use harness::rng::Rng;
use harness::{
    Cell, Check, Claim, CodeNote, Ctx, Deviation, Figure, PaperValue, Provenance, Report, Rule,
    RunError, Series, Table, Tol, stats,
};
use kernels::optim::{Projection, View, project, projection_view};
use rayon::prelude::*;

const MUS: [f32; 4] = [0.0, 0.9, 0.95, 0.99];
/// The card's robustness grid (learning rates, steps) and the alignment target.
const ROBUST_LRS: [f32; 3] = [0.01, 0.1, 0.3];
const ROBUST_STEPS: usize = 1000;
const COS_TARGET: f64 = 0.9999;
/// The project page's norms at μ = 0.9 and 0.99, and the card's grid fit of the toy's setting
/// to them (the values that fit produces; A3 is a calibration against them).
const PAGE_NORMS: (f64, f64) = (2.93, 27.87);
const FIT_NORMS: (f64, f64) = (2.923, 27.84);
/// A4-acc: a projected optimizer below its baseline by more than this many standard errors
/// falsifies the claim.
const A4_FALSIFY_Z: f64 = 2.0;
/// Reported for "not reached within the run".
const NEVER: f64 = (STEPS + 1) as f64;

fn pv(value: &str, source: &str, p: Provenance) -> PaperValue {
    PaperValue::new(value, source, p)
}

fn toy_tol() -> Tol {
    Tol::Close {
        rel: 1e-4,
        abs: 1e-6,
    }
}

pub fn record(report: &mut Report, ctx: &Ctx) -> Result<(), RunError> {
    let (seeds, net) = plan(ctx.scale);
    let stage = ctx.progress.stage("2-D toy", 1);
    let runs: Vec<_> = MUS
        .iter()
        .map(|&mu| {
            (
                toy(mu, false, LR, STEPS, ANGLE_DEG),
                toy(mu, true, LR, STEPS, ANGLE_DEG),
            )
        })
        .collect();
    let steps =
        |r: &crate::method::ToyRun, level: f64| r.steps_to(level).map_or(NEVER, |s| s as f64);
    for (k, pick) in [("sgd", 0usize), ("sgdp", 1)] {
        let get = |i: usize| if pick == 0 { &runs[i].0 } else { &runs[i].1 };
        report.metric(
            &format!("toy.norm.{k}"),
            &format!("‖w₅₀₀‖, {k}, μ = 0, 0.9, 0.95, 0.99"),
            "",
            (0..4).map(|i| get(i).final_norm()).collect(),
            toy_tol(),
        );
        report.metric(
            &format!("toy.steps99.{k}"),
            &format!("steps to cos > 0.99, {k} (501: not within 500)"),
            "steps",
            (0..4).map(|i| steps(get(i), 0.99)).collect(),
            Tol::Exact,
        );
        report.metric(
            &format!("toy.steps9999.{k}"),
            &format!("steps to cos > 0.9999, {k} (501: not within 500)"),
            "steps",
            (0..4).map(|i| steps(get(i), COS_TARGET)).collect(),
            Tol::Exact,
        );
    }
    report.metric(
        "toy.norm.sgdp_copy",
        "‖w₅₀₀‖ of SGDP without the in-place projection of the momentum buffer, μ = 0.9, 0.95, 0.99",
        "",
        [0.9, 0.95, 0.99].iter().map(|&mu| toy_sgdp_copy(mu, LR as f64, STEPS, ANGLE_DEG)).collect(),
        toy_tol(),
    );
    let n = |k: &str| report.get(&format!("toy.norm.{k}")).unwrap().values.clone();
    let (ns, np) = (n("sgd"), n("sgdp"));
    report.metric(
        "a1.norm_ratio",
        "‖w‖(SGDM)/‖w‖(SGDP) at μ = 0.9, 0.95, 0.99",
        "",
        (1..4).map(|i| ns[i] / np[i]).collect(),
        toy_tol(),
    );
    report.metric(
        "a1.norm_increase",
        "SGDM ‖w‖ increments from μ = 0.9 to 0.95 and 0.95 to 0.99",
        "",
        vec![ns[2] - ns[1], ns[3] - ns[2]],
        toy_tol(),
    );
    report.metric(
        "a3.err_09",
        "|‖w₅₀₀‖(SGDM, μ = 0.9) − 2.923|",
        "",
        vec![(ns[1] - FIT_NORMS.0).abs()],
        toy_tol(),
    );
    report.metric(
        "a3.err_099",
        "|‖w₅₀₀‖(SGDM, μ = 0.99) − 27.84|",
        "",
        vec![(ns[3] - FIT_NORMS.1).abs()],
        toy_tol(),
    );
    let s4 = |k: &str| {
        report
            .get(&format!("toy.steps9999.{k}"))
            .unwrap()
            .values
            .clone()
    };
    let (ss, sp) = (s4("sgd"), s4("sgdp"));
    report.metric(
        "a2.step_gap",
        "steps to cos > 0.9999: SGDM − SGDP at μ = 0.9, 0.95, 0.99",
        "steps",
        (1..4).map(|i| ss[i] - sp[i]).collect(),
        Tol::Exact,
    );
    // Robustness over learning rates, 1000 steps (the card's check).
    let mut ratio = Vec::new();
    let mut gap = Vec::new();
    for lr in ROBUST_LRS {
        for mu in [0.9f32, 0.95, 0.99] {
            let (a, b) = (
                toy(mu, false, lr, ROBUST_STEPS, ANGLE_DEG),
                toy(mu, true, lr, ROBUST_STEPS, ANGLE_DEG),
            );
            ratio.push(a.final_norm() / b.final_norm());
            let never = (ROBUST_STEPS + 1) as f64;
            let st = |r: &crate::method::ToyRun| r.steps_to(COS_TARGET).map_or(never, |s| s as f64);
            gap.push(st(&a) - st(&b));
        }
    }
    report.metric(
        "a1.lr_ratio",
        "‖w‖ ratio SGDM/SGDP, lr = 0.01, 0.1, 0.3 × μ = 0.9, 0.95, 0.99, 1000 steps",
        "",
        ratio,
        toy_tol(),
    );
    report.metric(
        "a2.lr_gap",
        "steps to 0.9999, SGDM − SGDP (1001: never), same grid",
        "steps",
        gap,
        Tol::Exact,
    );
    drop(stage);

    // The projection's defining properties, on random tensors.
    let (radial, mismatches) = projection_checks(ctx.seed("a5", 0));
    report.metric(
        "a5.radial",
        "largest |⟨ŵ_i, u_i⟩|/(‖u_i‖) after projection, 200 random tensors",
        "",
        vec![radial],
        Tol::Close {
            rel: 0.0,
            abs: 1e-6,
        },
    );
    report.metric("a5.mismatch", "decisions of projection_view that differ from an independent f64 test, 2000 random tensors", "", vec![mismatches as f64], Tol::Exact);

    // The network.
    let stage = ctx.progress.stage(
        &format!("BN-MLP on digits: 4 optimizers x {seeds} seeds"),
        4 * seeds,
    );
    let jobs: Vec<(Arm, u64)> = Arm::ALL
        .iter()
        .flat_map(|&a| (0..seeds).map(move |s| (a, s)))
        .collect();
    let results: Vec<Result<NetRun, String>> = jobs
        .par_iter()
        .map(|&(a, s)| {
            let r = net_run(a, &net, ctx.seed("net", s));
            stage.inc(1);
            r
        })
        .collect();
    drop(stage);
    let mut mean_curves = Vec::new();
    for arm in Arm::ALL {
        let runs: Vec<&NetRun> = jobs
            .iter()
            .zip(&results)
            .filter(|(j, _)| j.0 == arm)
            .map(|(_, r)| r.as_ref().map_err(|e| RunError(e.clone())))
            .collect::<Result<_, _>>()?;
        let k = arm.key();
        report.metric(
            &format!("net.acc.{k}"),
            &format!("final test accuracy, {}", arm.label()),
            "",
            runs.iter().map(|r| r.accuracy).collect(),
            Tol::Close {
                rel: 0.0,
                abs: 0.02,
            },
        );
        for layer in 0..2 {
            let growth: Vec<f64> = runs
                .iter()
                .map(|r| r.norms.last().unwrap()[layer] / r.init_norms[layer])
                .collect();
            report.metric(
                &format!("net.growth{}.{k}", layer + 1),
                &format!("‖W{}‖ final / initial, {}", layer + 1, arm.label()),
                "",
                growth,
                Tol::Close {
                    rel: 0.02,
                    abs: 0.0,
                },
            );
            let eff: Vec<f64> = runs
                .iter()
                .map(|r| arm.lr() as f64 / r.norms.last().unwrap()[layer].powi(2))
                .collect();
            report.metric(
                &format!("net.eff{}.{k}", layer + 1),
                &format!("final η/‖W{}‖², {}", layer + 1, arm.label()),
                "",
                eff,
                Tol::Close {
                    rel: 0.04,
                    abs: 0.0,
                },
            );
        }
        let epochs = runs[0].norms.len();
        mean_curves.push(
            (0..epochs)
                .map(|e| {
                    stats::mean(
                        &runs
                            .iter()
                            .map(|r| r.norms[e][0] / r.init_norms[0])
                            .collect::<Vec<_>>(),
                    )
                })
                .collect::<Vec<f64>>(),
        );
    }
    let mean = |key: &str| stats::mean(&report.get(key).unwrap().values);
    let mut growth_ratio = Vec::new();
    for (p, b) in [("sgdp", "sgd"), ("adamp", "adamw")] {
        for layer in 1..=2 {
            growth_ratio.push(
                mean(&format!("net.growth{layer}.{p}")) / mean(&format!("net.growth{layer}.{b}")),
            );
        }
    }
    let acc_gap = vec![
        mean("net.acc.sgdp") - mean("net.acc.sgd"),
        mean("net.acc.adamp") - mean("net.acc.adamw"),
    ];
    let sd = |k: &str| stats::sd(&report.get(k).unwrap().values);
    let noise = vec![
        ((sd("net.acc.sgdp").powi(2) + sd("net.acc.sgd").powi(2)) / seeds as f64).sqrt(),
        ((sd("net.acc.adamp").powi(2) + sd("net.acc.adamw").powi(2)) / seeds as f64).sqrt(),
    ];
    report.metric(
        "a4.growth_ratio",
        "mean norm growth, projected / baseline: SGDP/SGD layers 1, 2; AdamP/AdamW layers 1, 2",
        "",
        growth_ratio,
        Tol::Close {
            rel: 0.02,
            abs: 0.0,
        },
    );
    report.metric(
        "a4.acc_gap",
        "mean accuracy, projected − baseline: SGDP − SGD, AdamP − AdamW",
        "",
        acc_gap.clone(),
        Tol::Close {
            rel: 0.0,
            abs: 0.01,
        },
    );
    let z: Vec<f64> = acc_gap
        .iter()
        .zip(&noise)
        .map(|(g, se)| g / se.max(1e-12))
        .collect();
    report.metric(
        "a4.acc_gap_se",
        "standard error of those differences",
        "",
        noise,
        Tol::Close {
            rel: 0.0,
            abs: 0.01,
        },
    );
    report.metric(
        "a4.acc_gap_z",
        "those differences in standard errors: SGDP − SGD, AdamP − AdamW",
        "",
        z,
        Tol::Close { rel: 0.0, abs: 0.5 },
    );

    claims(report, net.test);
    tables(report);
    figures(report, &runs, &mean_curves);
    report.deviations = deviations(&net);
    report.code_notes = code_notes();
    Ok(())
}

/// Random tensors for the A5 checks: the radial residue after projection, and the number of
/// projection decisions that disagree with a direct f64 evaluation of the rule.
fn projection_checks(seed: u64) -> (f64, usize) {
    let mut rng = Rng::new(seed);
    let pj = Projection::default();
    let mut worst: f64 = 0.0;
    let mut mismatches = 0;
    for case in 0..2000 {
        let rows = 1 + rng.below(6) as usize;
        let cols = 2 + rng.below(30) as usize;
        let w: Vec<f32> = (0..rows * cols).map(|_| rng.normal() as f32).collect();
        // Gradients near orthogonal to w, with a random radial part around the threshold.
        let mut g: Vec<f32> = (0..rows * cols).map(|_| rng.normal() as f32).collect();
        let radial = 0.2 * rng.uniform() / (cols as f64).sqrt();
        for (wr, gr) in w.chunks(cols).zip(g.chunks_mut(cols)) {
            let (wn, gn) = (norm(wr), norm(gr));
            let c = dot(wr, gr) / (wn * gn);
            gr.iter_mut()
                .zip(wr)
                .for_each(|(gi, &wi)| *gi -= ((c - radial) * gn / wn) as f32 * wi);
        }
        let decided = projection_view(&[rows, cols], &w, &g, &pj);
        let cos_max = w
            .chunks(cols)
            .zip(g.chunks(cols))
            .map(|(a, b)| (dot(a, b) / (norm(a) * norm(b))).abs())
            .fold(0.0, f64::max);
        let layer = (dot(&w, &g) / (norm(&w) * norm(&g))).abs();
        let expect = if cos_max < 0.1 / (cols as f64).sqrt() {
            Some(View::Channel)
        } else if layer < 0.1 / ((rows * cols) as f64).sqrt() {
            Some(View::Layer)
        } else {
            None
        };
        // Decisions within 1e-6 of the threshold may differ by rounding; none are expected.
        mismatches += usize::from(decided != expect);
        if case < 200 {
            let mut u: Vec<f32> = (0..rows * cols).map(|_| rng.normal() as f32).collect();
            project(&[rows, cols], &w, &mut u, View::Channel, 1e-8);
            for (wr, ur) in w.chunks(cols).zip(u.chunks(cols)) {
                worst = worst.max(dot(wr, ur).abs() / (norm(wr) * norm(ur)));
            }
        }
    }
    (worst, mismatches)
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum()
}

fn norm(a: &[f32]) -> f64 {
    dot(a, a).sqrt()
}

fn claims(report: &mut Report, n_test: usize) {
    let tie = stats::accuracy_resolution(n_test);
    let mus = [f64::from(MUS[1]), f64::from(MUS[2]), f64::from(MUS[3])];
    let lrs = ROBUST_LRS.map(f64::from);
    let toy_setting = [ANGLE_DEG, f64::from(LR), STEPS as f64];
    // A2's reference is what the official rule computes here (kernels::optim::Sgdp matches the
    // adamp 0.3.0 package step by step, kernels/tests/optim_torch.rs), not the card's column.
    let steps = |k: &str| {
        report.get(&format!("toy.steps9999.{k}")).unwrap().values[1..]
            .iter()
            .map(|&v| {
                if v >= NEVER {
                    "never".to_string()
                } else {
                    harness::numbers::fmt(v)
                }
            })
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let a2_reference = format!(
        "official SGDP rule (adamp 0.3.0, run here): {} steps vs SGDM {}; the card's SGDP 49 / 45 / 51 is an SGDP without the in-place buffer projection",
        steps("sgdp"),
        steps("sgd")
    );
    report.claim(
        Claim::new(
            "A1",
            "2-D toy (w₀ = (1, 0), target at 170°, lr 0.02, 500 steps): for μ ∈ {0.9, 0.95, 0.99} the final ‖w‖ of momentum SGD exceeds SGDP's and grows with μ; the ordering also holds at lr ∈ {0.01, 0.1, 0.3} over 1000 steps.",
            pv("momentum makes the norm of scale-invariant weights grow fast, shrinking the effective step size", "abstract", Provenance::Abstract),
        )
        .check(Check::each("a1.norm_ratio", Rule::AtLeast(1.0 + 1e-9)))
        .check(Check::each("a1.norm_increase", Rule::AtLeast(0.0)))
        .check(Check::each("a1.lr_ratio", Rule::AtLeast(1.0 + 1e-9)))
        .settings(&[1.0, 0.0, ROBUST_STEPS as f64])
        .settings(&toy_setting)
        .settings(&mus)
        .settings(&lrs),
    );
    report.claim(
        Claim::new(
            "A2",
            "Same toy: SGDP reaches cos > 0.9999 in fewer steps than momentum SGD for every μ ∈ {0.9, 0.95, 0.99}, also at lr ∈ {0.01, 0.1, 0.3} over 1000 steps.",
            pv(&a2_reference, "official package's rule; card's table", Provenance::Code),
        )
        .check(Check::each("a2.step_gap", Rule::AtLeast(1.0)))
        .check(Check::each("a2.lr_gap", Rule::AtLeast(1.0)))
        .settings(&[COS_TARGET, ROBUST_STEPS as f64])
        .settings(&mus)
        .settings(&lrs),
    );
    report.claim(
        Claim::new(
            "A3-calibration",
            "Calibration, not evidence: the toy's setting (170°, lr 0.02, 500 steps) was chosen by the card's grid fit to the project page's 2.93 and 27.87; the port reproduces the fit's momentum-SGD norms 2.923 ± 0.01 (μ = 0.9) and 27.84 ± 0.1 (μ = 0.99).",
            pv("‖w‖ grows 1 → 2.93 (μ = 0.9) and 1 → 27.87 (μ = 0.99); the setting is not published", "project page (clovaai.github.io/AdamP); the card's fit", Provenance::Derived),
        )
        .check(Check::each("a3.err_09", Rule::AtMost(0.01)))
        .check(Check::each("a3.err_099", Rule::AtMost(0.1)))
        .settings(&toy_setting)
        .settings(&[PAGE_NORMS.0, PAGE_NORMS.1, FIT_NORMS.0, FIT_NORMS.1, mus[0], mus[2]]),
    );
    report.claim(
        Claim::new(
            "A4-norm",
            "Batch-normalised MLP on the digits (5 seeds at ci): the mean growth of ‖W‖ of both hidden (scale-invariant) layers is smaller under SGDP than SGD and under AdamP than AdamW.",
            pv("projection prevents the premature decay of effective step sizes", "abstract", Provenance::Abstract),
        )
        .check(Check::each("a4.growth_ratio", Rule::AtMost(1.0)))
        // The premise: the baselines' scale-invariant weights do grow.
        .check(Check::mean("net.growth1.sgd", Rule::AtLeast(1.0)).control())
        .check(Check::mean("net.growth2.sgd", Rule::AtLeast(1.0)).control())
        .check(Check::mean("net.growth1.adamw", Rule::AtLeast(1.0)).control())
        .check(Check::mean("net.growth2.adamw", Rule::AtLeast(1.0)).control())
        .settings(&[seeds_ci()]),
    );
    report.claim(
        Claim::new(
            "A4-acc",
            "Same runs: mean final test accuracy of SGDP ≥ SGD and of AdamP ≥ AdamW (the card expects a small effect; a difference under one test example per seed is a tie); falsified if a projected optimizer is below its baseline by more than 2 standard errors.",
            pv("uniform gains on 13 benchmarks (ImageNet +0.1 to +1.2 points [unverified])", "abstract; paper Table 2 [unverified]", Provenance::Abstract),
        )
        .check(Check::each("a4.acc_gap", Rule::AtLeast(0.0)).tie_within(tie))
        .check(Check::each("a4.acc_gap_z", Rule::AtMost(-A4_FALSIFY_Z)).falsifier()),
    );
    report.claim(
        Claim::new(
            "A5",
            "The projection (kernels::optim, the adamp package's rule): fires iff max_i |cos(g_i, w_i)| < δ/√d in the channel view, else in the layer view; after projection ⟨ŵ_i, u_i⟩ ≈ 0 (relative 1e-5 in f32).",
            pv("channel view, then layer view; |cos| < δ/√d; radial part removed", "official code adamp 0.3.0", Provenance::Code),
        )
        .check(Check::each("a5.radial", Rule::AtMost(1e-5)))
        .check(Check::each("a5.mismatch", Rule::AtMost(0.0))),
    );
    report.claim(
        Claim::new(
            "A6",
            "ImageNet (Table 2): SGDP and AdamP above SGD and AdamW for ResNet-18/50 and MobileNetV2 by 0.1 to 1.2 points.",
            pv("e.g. ResNet-18 SGD 70.47 → SGDP 70.70, AdamW 70.39 → AdamP 70.82", "paper Table 2 [unverified]", Provenance::Unverified),
        )
        .not_testable("ImageNet training does not fit a 2-core CI run"),
    );
}

/// The seeds of the ci plan, which A4's statement names.
fn seeds_ci() -> f64 {
    crate::plan(harness::Scale::Ci).0 as f64
}

fn tables(report: &mut Report) {
    let rows = MUS
        .iter()
        .enumerate()
        .map(|(i, mu)| {
            vec![
                Cell::text(format!("{mu}")),
                Cell::value("toy.norm.sgd", i),
                Cell::value("toy.steps99.sgd", i),
                Cell::value("toy.steps9999.sgd", i),
                Cell::value("toy.norm.sgdp", i),
                Cell::value("toy.steps99.sgdp", i),
                Cell::value("toy.steps9999.sgdp", i),
            ]
        })
        .collect();
    report.tables.push(Table {
        key: "toy".into(),
        title: "2-D toy: final norm and steps to a cosine target (501: not reached in 500 steps)"
            .into(),
        columns: [
            "μ",
            "SGDM ‖w₅₀₀‖",
            "SGDM → 0.99",
            "SGDM → 0.9999",
            "SGDP ‖w₅₀₀‖",
            "SGDP → 0.99",
            "SGDP → 0.9999",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    });
    let rows = Arm::ALL
        .iter()
        .map(|a| {
            let k = a.key();
            vec![
                Cell::text(a.label()),
                Cell::metric(&format!("net.acc.{k}")),
                Cell::metric(&format!("net.growth1.{k}")),
                Cell::metric(&format!("net.growth2.{k}")),
                Cell::metric(&format!("net.eff1.{k}")),
            ]
        })
        .collect();
    report.tables.push(Table {
        key: "net".into(),
        title: "Batch-normalised MLP on the digits (mean ± sd over seeds)".into(),
        columns: [
            "optimizer",
            "test accuracy",
            "‖W1‖ growth",
            "‖W2‖ growth",
            "final η/‖W1‖²",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    });
}

fn figures(
    report: &mut Report,
    runs: &[(crate::method::ToyRun, crate::method::ToyRun)],
    curves: &[Vec<f64>],
) {
    let mut series = Vec::new();
    for (i, mu) in MUS.iter().enumerate().skip(1) {
        let pts = |r: &crate::method::ToyRun| {
            r.norms
                .iter()
                .enumerate()
                .map(|(t, &n)| ((t + 1) as f64, n))
                .collect::<Vec<_>>()
        };
        series.push(Series::new(&format!("SGDM μ = {mu}"), pts(&runs[i].0)));
        series.push(Series::new(&format!("SGDP μ = {mu}"), pts(&runs[i].1)).dashed());
    }
    report.figures.push(Figure {
        key: "toy".into(),
        title: "2-D toy: ‖w‖ over steps".into(),
        x_label: "step".into(),
        y_label: "‖w‖".into(),
        x_log: false,
        y_log: true,
        series,
        guides: vec![],
        caption: "Solid: momentum SGD, whose norm grows with μ; dashed: SGDP, whose norm stays near 1 (it grows only to second order, ‖w − ηd‖² = ‖w‖² + η²‖d‖² for d ⟂ w).".into(),
    });
    report.figures.push(Figure {
        key: "net".into(),
        title: "BN-MLP: growth of ‖W1‖ over epochs (mean over seeds)".into(),
        x_label: "epoch".into(),
        y_label: "‖W1‖ / ‖W1‖ at init".into(),
        x_log: false,
        y_log: false,
        series: Arm::ALL
            .iter()
            .zip(curves)
            .map(|(a, c)| {
                let s = Series::new(
                    a.label(),
                    c.iter().enumerate().map(|(e, &v)| ((e + 1) as f64, v)),
                );
                if matches!(a, Arm::Sgdp | Arm::AdamP) {
                    s.dashed()
                } else {
                    s
                }
            })
            .collect(),
        guides: vec![],
        caption: "Dashed: the projected optimizers.".into(),
    });
}

fn deviations(net: &crate::experiment::NetPlan) -> Vec<Deviation> {
    let d = Deviation::new;
    vec![
        d(
            "2-D toy setting",
            "not published (project page shows norms 2.93 and 27.87)",
            "w₀ = (1, 0), target at 170°, lr 0.02, 500 steps, PyTorch momentum without dampening, w as a 1×2 matrix: the card's grid fit",
            "the only setting known to reproduce the published norms; the page's own setting is an open question",
        ),
        d(
            "precision",
            "PyTorch float32",
            "float32 parameters and updates (kernels::optim), f64 for the toy's gradient and the reported norms",
            "same arithmetic as the reference for the update",
        ),
        d(
            "benchmarks",
            "ImageNet, COCO, retrieval, audio, WikiText (13 benchmarks)",
            &format!(
                "a 64–{h}–{h}–10 MLP with batch norm after each hidden linear layer (no bias there, so those weights are exactly scale-invariant) on the vendored 8×8 digits, batch {b}, {e} epochs",
                h = net.hidden,
                b = net.batch,
                e = net.epochs
            ),
            "a network in which scale invariance holds by construction, small enough for CI",
        ),
        d(
            "hyper-parameters",
            "per benchmark (not transcribed)",
            "the README's recommendations: SGDP(lr 0.1, momentum 0.9, Nesterov, wd 1e-5), AdamP(lr 1e-3, wd 1e-2), and the same for the baselines; no tuning",
            "fixed before running; the comparison is projection on/off at equal settings",
        ),
    ]
}

fn code_notes() -> Vec<CodeNote> {
    let c = CodeNote::new;
    vec![
        c(
            "clovaai/AdamP adamp/sgdp.py (0.3.0)",
            "note",
            "Without Nesterov, d_p is the momentum buffer itself and the projection subtracts in place (perturb -= …), so SGDP projects its momentum buffer, not only the step. kernels::optim::Sgdp does the same (matched step by step on orthogonal-gradient fixtures); a port that copies d_p first would be a different optimizer.",
            Provenance::Code,
        ),
        c(
            "card papers/adamp.md, toy table",
            "discrepancy",
            "The card's SGDP column (‖w₅₀₀‖ = 1.126 / 1.141 / 1.145) is not what the official package computes: adamp.SGDP gives 1.174 / 1.300 / 1.836 (checked with the package itself and with kernels::optim::Sgdp). The card's values are those of an SGDP that leaves its momentum buffer unprojected (metric toy.norm.sgdp_copy). A1–A3 do not depend on this; the steps-to-target of SGDP differ accordingly.",
            Provenance::Derived,
        ),
        c(
            "clovaai/AdamP issue #6",
            "discrepancy",
            "The paper's projection condition lacks the absolute value |cos(g, w)| that the code uses; the author confirmed the paper is wrong.",
            Provenance::Readme,
        ),
        c(
            "clovaai/AdamP issue #10",
            "note",
            "Weight-decay convention: the paper writes w ← (1 − λ)w, PyTorch w ← (1 − lr·λ)w, so paper λ = 1e-4 at lr 1e-3 is PyTorch weight_decay = 0.1. SGDP also divides its decay by (1 − μ).",
            Provenance::Readme,
        ),
        c(
            "torch.nn.functional.cosine_similarity",
            "note",
            "Its eps clamps each norm separately in recent PyTorch (max(‖x‖, eps)·max(‖y‖, eps)); older versions clamped the product. Only rows of norm ≈ 0 are affected; kernels::optim clamps each norm.",
            Provenance::Code,
        ),
        c(
            "kozistr/pytorch_optimizer AdamP (7a076d2)",
            "bug",
            "The Nesterov branch computes β1·m + (1 − β1)·g/denom (m not divided by denom), unlike the official code; eps is not rescaled by √bc2. Not used for golden values.",
            Provenance::Code,
        ),
    ]
}
