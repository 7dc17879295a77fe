//! The experiment: DDIM and DDIM-LML with the exact noise prediction of a Gaussian mixture, scored
//! by the energy distance to fresh exact samples. (κ, λ) is selected on one set of seeds and scored
//! on another (the card's correction: a grid with κ = 0 cannot lose to the baseline, and selecting
//! and scoring on the same seeds flatters the best configuration). Returns measurements; decides
//! nothing.

use crate::method::{Lm, lm_cosine_f32, sample, sample_with, sherman_morrison};
use harness::grid::{Grid, GridResults, run_grid};
use harness::rng::Rng;
use harness::{Ctx, RunError};
use kernels::diffusion::{
    GaussianMixture, energy_distance, leading_timesteps, linear_alphas_cumprod, sliced_w2,
};

/// What is run, fixed before running.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Data dimension, modes on a circle of `radius` in the first two coordinates, their std.
    pub dim: usize,
    pub modes: usize,
    pub radius: f64,
    pub std: f64,
    /// VP schedule: linear β from `beta.0` to `beta.1` over `steps`.
    pub steps: usize,
    pub beta: (f64, f64),
    /// Generated samples per run, and exact reference samples they are scored against.
    pub n: usize,
    pub n_ref: usize,
    /// The NFE at which (κ, λ) is selected and M2 is decided.
    pub nfe: usize,
    /// NFEs of the scoring figure (each at the selected (κ, λ)).
    pub nfes: Vec<usize>,
    /// The (κ, λ) grid, without κ = 0.
    pub kappas: Vec<f64>,
    pub lambdas: Vec<f64>,
    /// Seeds that select, and fresh seeds that score.
    pub select_seeds: u64,
    pub score_seeds: u64,
    /// Random directions of the sliced W2 distance.
    pub directions: usize,
    /// Random (g, ḡ) pairs of the Sherman–Morrison unit (M3), and the dimension of the f32
    /// cancellation check (a 3 × 32 × 32 image, the CIFAR-10 shape).
    pub m3_pairs: usize,
    pub f32_dim: usize,
    /// λ of the f32 check: the README's values for CIFAR-10 and CelebA-HQ.
    pub f32_lambdas: Vec<f64>,
}

impl Plan {
    pub fn mixture(&self) -> GaussianMixture {
        GaussianMixture::circle(self.dim, self.modes, self.radius, self.std)
    }

    pub fn alphas_cumprod(&self) -> Vec<f64> {
        linear_alphas_cumprod(self.steps, self.beta.0, self.beta.1)
    }

    /// Every LML configuration of the grid, κ outermost.
    pub fn configs(&self) -> Vec<Lm> {
        self.kappas
            .iter()
            .flat_map(|&kappa| self.lambdas.iter().map(move |&lambda| Lm { kappa, lambda }))
            .collect()
    }
}

/// One sampler run against its reference: energy distance and sliced W2.
#[derive(Clone, Copy, Debug)]
pub struct Score {
    pub energy: f64,
    pub sliced_w2: f64,
}

/// The M1 comparison at one λ: κ = 0 LML against DDIM from the same noise.
#[derive(Clone, Copy, Debug)]
pub struct Identity {
    pub lambda: f64,
    pub max_abs_diff: f64,
    pub max_g2: f64,
}

/// The M3 unit at one λ over random pairs: the largest relative error against a dense solve,
/// divided by (1 + ‖ḡ‖²/λ), and the largest relative error of the rescaled norm.
#[derive(Clone, Copy, Debug)]
pub struct Unit {
    pub lambda: f64,
    pub scaled_solve_err: f64,
    pub norm_err: f64,
}

#[derive(Clone, Debug)]
pub struct Results {
    /// Selection: arm 0 is DDIM, arm i ≥ 1 is `plan.configs()[i − 1]`; one setting (`plan.nfe`).
    pub select: GridResults<f64>,
    /// The configuration with the lowest mean selection energy distance.
    pub best: Lm,
    /// Scoring on fresh seeds: arms DDIM and LML(best), settings `plan.nfes`.
    pub score: GridResults<Score>,
    /// Energy distance between two independent exact sample sets of the run sizes, per seed: the
    /// floor below which no sampler can be told apart from the data.
    pub floor: Vec<f64>,
    pub identity: Vec<Identity>,
    pub unit: Vec<Unit>,
    /// cos(d, g) of the κ = 0 direction computed in f32, per `plan.f32_lambdas`, on a unit
    /// Gaussian g of `f32_dim` entries.
    pub f32_cosine: Vec<f64>,
    pub schedulers: SchedulerCheck,
}

/// The noise x_T ~ N(0, I) of one run: shared by every sampler at a given seed (paired).
fn noise(rng: &mut Rng, n: usize, dim: usize) -> Vec<f64> {
    (0..n * dim).map(|_| rng.normal()).collect()
}

fn score_run(plan: &Plan, lm: Option<Lm>, nfe: usize, seed: u64) -> Score {
    let gm = plan.mixture();
    let abar = plan.alphas_cumprod();
    let mut rng = Rng::new(seed);
    let x_t = noise(&mut rng, plan.n, plan.dim);
    let reference = gm.sample(plan.n_ref, &mut rng);
    let (x, _) = sample(&gm, &abar, nfe, lm, x_t);
    let same_size = &reference[..plan.n * plan.dim];
    Score {
        energy: energy_distance(&x, &reference, plan.dim),
        sliced_w2: sliced_w2(&x, same_size, plan.dim, plan.directions, &mut rng),
    }
}

pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    if plan.kappas.contains(&0.0) || plan.lambdas.iter().any(|&l| l <= 0.0) {
        return Err(RunError(
            "the grid must exclude κ = 0 (it cannot lose to DDIM) and have λ > 0".into(),
        ));
    }
    if plan.n > plan.n_ref || plan.select_seeds < 2 || plan.score_seeds < 2 {
        return Err(RunError(
            "the plan needs n ≤ n_ref and at least two seeds to select and to score".into(),
        ));
    }
    let configs = plan.configs();
    let arms: Vec<Option<Lm>> = std::iter::once(None)
        .chain(configs.iter().copied().map(Some))
        .collect();
    let select_grid = Grid {
        arms: arms.clone(),
        settings: vec![plan.nfe],
        seeds: plan.select_seeds,
    };
    let select = run_grid(ctx, "select (κ, λ)", &select_grid, |cell| {
        score_run(
            plan,
            *cell.arm,
            *cell.setting,
            ctx.seed("select", cell.seed_index),
        )
        .energy
    });
    let best = (1..arms.len())
        .min_by(|&a, &b| {
            harness::stats::mean(select.cell(a, 0))
                .total_cmp(&harness::stats::mean(select.cell(b, 0)))
        })
        .map(|i| configs[i - 1])
        .expect("a non-empty grid");
    let score_grid = Grid {
        arms: vec![None, Some(best)],
        settings: plan.nfes.clone(),
        seeds: plan.score_seeds,
    };
    let score = run_grid(ctx, "score on fresh seeds", &score_grid, |cell| {
        let seed = ctx.seed(&format!("score-nfe{}", cell.setting), cell.seed_index);
        score_run(plan, *cell.arm, *cell.setting, seed)
    });
    let floor = (0..plan.score_seeds)
        .map(|s| {
            let gm = plan.mixture();
            let mut rng = Rng::new(ctx.seed("floor", s));
            let a = gm.sample(plan.n, &mut rng);
            let b = gm.sample(plan.n_ref, &mut rng);
            energy_distance(&a, &b, plan.dim)
        })
        .collect();
    Ok(Results {
        select,
        best,
        score,
        floor,
        identity: identity_runs(ctx, plan),
        unit: unit_checks(ctx, plan),
        f32_cosine: f32_cosines(ctx, plan),
        schedulers: scheduler_check(plan)?,
    })
}

/// M1: κ = 0 LML against DDIM from the same noise, at every λ of the grid.
fn identity_runs(ctx: &Ctx, plan: &Plan) -> Vec<Identity> {
    let (gm, abar) = (plan.mixture(), plan.alphas_cumprod());
    plan.lambdas
        .iter()
        .map(|&lambda| {
            let mut rng = Rng::new(ctx.seed("identity", 0));
            let x_t = noise(&mut rng, plan.n, plan.dim);
            let (base, _) = sample(&gm, &abar, plan.nfe, None, x_t.clone());
            let lm = Lm { kappa: 0.0, lambda };
            let (x, max_g2) = sample(&gm, &abar, plan.nfe, Some(lm), x_t);
            let max_abs_diff = base
                .iter()
                .zip(&x)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            Identity {
                lambda,
                max_abs_diff,
                max_g2,
            }
        })
        .collect()
}

/// M3: Sherman–Morrison against nalgebra's dense Cholesky solve of (λ·I + ḡḡᵀ) d = g.
fn unit_checks(ctx: &Ctx, plan: &Plan) -> Vec<Unit> {
    let dim = plan.dim;
    plan.lambdas
        .iter()
        .map(|&lambda| {
            let mut rng = Rng::new(ctx.seed("unit", 0));
            let (mut worst_solve, mut worst_norm) = (0.0f64, 0.0f64);
            for _ in 0..plan.m3_pairs {
                let g: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
                let gbar: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
                let a = nalgebra::DMatrix::from_fn(dim, dim, |i, j| {
                    gbar[i] * gbar[j] + if i == j { lambda } else { 0.0 }
                });
                let dense = a
                    .cholesky()
                    .expect("λI + ḡḡᵀ is positive definite")
                    .solve(&nalgebra::DVector::from_column_slice(&g));
                // The code's form omits the factor 1/λ (the rescaling removes it).
                let sm: Vec<f64> = sherman_morrison(&g, &gbar, lambda)
                    .iter()
                    .map(|v| v / lambda)
                    .collect();
                let diff: f64 = sm
                    .iter()
                    .zip(dense.iter())
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    .sqrt();
                let nb2: f64 = gbar.iter().map(|b| b * b).sum();
                worst_solve = worst_solve.max(diff / dense.norm() / (1.0 + nb2 / lambda));
                let d = crate::method::lm_direction(&g, &gbar, lambda);
                let (nd, ng) = (crate::method::norm(&d), crate::method::norm(&g));
                worst_norm = worst_norm.max((nd - ng).abs() / ng);
            }
            Unit {
                lambda,
                scaled_solve_err: worst_solve,
                norm_err: worst_norm,
            }
        })
        .collect()
}

/// The official code's κ = 0 direction in f32 on a unit Gaussian g of `f32_dim` entries.
fn f32_cosines(ctx: &Ctx, plan: &Plan) -> Vec<f64> {
    let mut rng = Rng::new(ctx.seed("f32", 0));
    let g: Vec<f64> = (0..plan.f32_dim).map(|_| rng.normal()).collect();
    plan.f32_lambdas
        .iter()
        .map(|&l| lm_cosine_f32(&g, l))
        .collect()
}

/// M4 against diffusers 0.42.1 `DDIMScheduler` and the official `DDIMLMScheduler`
/// (`fixtures/schedulers.json`, written by `fixtures/generate_schedulers.py` from the repository at
/// e19cbdc), in their float64 mode (schedule recomputed in f64).
#[derive(Clone, Debug)]
pub struct SchedulerCheck {
    /// Largest relative error of ᾱ over the 1000 steps.
    pub abar_rel: f64,
    /// Timesteps that differ from diffusers' "leading" spacing at NFE 5 and 10.
    pub timestep_mismatches: usize,
    /// Largest error of one DDIM step (single steps from the same x and chained runs), relative
    /// to the largest |x| of the step.
    pub ddim_rel: f64,
    /// Per LM run (κ, λ) with freeze 0: the largest relative error over its chained steps,
    /// divided by (1 + max ‖g‖²/λ) as in M1 and M3.
    pub lm: Vec<(f64, f64, f64)>,
    /// Largest |Δx| between two passes of the same official scheduler object over the same
    /// inputs (its previous ε is never reset).
    pub second_pass: f64,
}

const SCHEDULERS_JSON: &str = include_str!("../fixtures/schedulers.json");

/// Flattens nested JSON arrays of numbers.
fn flat(v: &serde_json::Value) -> Vec<f64> {
    match v {
        serde_json::Value::Array(a) => a.iter().flat_map(flat).collect(),
        other => vec![other.as_f64().expect("a number in the scheduler fixture")],
    }
}

fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "fixture and port disagree in size");
    let worst = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    worst / b.iter().map(|v| v.abs()).fold(0.0, f64::max).max(1e-300)
}

pub fn scheduler_check(plan: &Plan) -> Result<SchedulerCheck, RunError> {
    let fx: serde_json::Value = serde_json::from_str(SCHEDULERS_JSON)
        .map_err(|e| RunError(format!("the scheduler fixture does not parse: {e}")))?;
    let cfg = &fx["config"];
    let steps = cfg["num_train_timesteps"].as_u64().unwrap_or(0) as usize;
    let beta = (flat(&cfg["beta_start"])[0], flat(&cfg["beta_end"])[0]);
    if steps != plan.steps || beta != plan.beta {
        return Err(RunError(
            "the scheduler fixture was made for another schedule than the plan's".into(),
        ));
    }
    let abar = plan.alphas_cumprod();
    let abar_rel = abar
        .iter()
        .zip(flat(&fx["alphas_cumprod"]["f64"]))
        .map(|(a, b)| ((a - b) / b).abs())
        .fold(0.0, f64::max);
    let x0 = flat(&fx["inputs"]["x"]);
    let eps_seq = flat(&fx["inputs"]["eps_seq"]);
    let n = x0.len();
    let eps = |i: usize| eps_seq[i * n..(i + 1) * n].to_vec();
    let dim = plan.dim;
    let (mut timestep_mismatches, mut ddim_rel) = (0, 0.0f64);
    for (nfe, runs) in fx["ddim"]["f64"].as_object().expect("ddim runs") {
        let nfe: usize = nfe.parse().map_err(|_| RunError("bad NFE key".into()))?;
        let ts = leading_timesteps(nfe, steps);
        let want: Vec<usize> = flat(&runs["timesteps"])
            .iter()
            .map(|t| *t as usize)
            .collect();
        timestep_mismatches +=
            ts.iter().zip(&want).filter(|(a, b)| a != b).count() + ts.len().abs_diff(want.len());
        for (i, step) in runs["single_step_from_x"]
            .as_array()
            .expect("steps")
            .iter()
            .enumerate()
        {
            let t = ts[i];
            let a_prev = ts.get(i + 1).map_or(1.0, |&s| abar[s]);
            let e = eps(i);
            let got = kernels::diffusion::ddim_step(&x0, &e, &e, abar[t], a_prev);
            ddim_rel = ddim_rel.max(rel_err(&got, &flat(&step["prev_sample"])));
        }
        let run = sample_with(&abar, nfe, None, x0.clone(), dim, |i, _, _| eps(i));
        for (got, step) in run
            .steps
            .iter()
            .zip(runs["chained"].as_array().expect("steps"))
        {
            ddim_rel = ddim_rel.max(rel_err(got, &flat(&step["prev_sample"])));
        }
    }
    let nfe = fx["lm"]["nfe"].as_u64().unwrap_or(0) as usize;
    let mut lm = Vec::new();
    let mut second_pass = 0.0f64;
    for r in fx["lm"]["runs"].as_array().expect("LM runs") {
        let (kappa, lambda) = (flat(&r["kappa"])[0], flat(&r["lambda"])[0]);
        let on = r["lm"].as_bool().unwrap_or(false);
        if !on || flat(&r["freeze"])[0] != 0.0 {
            continue; // freeze and lm = False have no counterpart in the port
        }
        let run = sample_with(
            &abar,
            nfe,
            Some(Lm { kappa, lambda }),
            x0.clone(),
            dim,
            |i, _, _| eps(i),
        );
        let worst = run
            .steps
            .iter()
            .zip(r["f64"].as_array().expect("steps"))
            .map(|(got, step)| rel_err(got, &flat(&step["prev_sample"])))
            .fold(0.0, f64::max);
        lm.push((kappa, lambda, worst / (1.0 + run.max_g2 / lambda)));
        if let Some(second) = r["f64_second_pass_same_scheduler"].as_array() {
            for (a, b) in second.iter().zip(r["f64"].as_array().expect("steps")) {
                let (a, b) = (flat(&a["prev_sample"]), flat(&b["prev_sample"]));
                let d = a
                    .iter()
                    .zip(&b)
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0, f64::max);
                second_pass = second_pass.max(d);
            }
        }
    }
    Ok(SchedulerCheck {
        abar_rel,
        timestep_mismatches,
        ddim_rel,
        lm,
        second_pass,
    })
}
