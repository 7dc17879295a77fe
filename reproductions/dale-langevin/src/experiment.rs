//! The experiment: the card's analytic miniature. Data whose logarithm is a three-mode Gaussian
//! mixture, noised by a GBM, so that every marginal score is known exactly; the samplers run with
//! that score (G1, G2), a small network is trained with the M-DSM loss and scored against it (G3),
//! the DSM − ESM gap is measured over a parametric family (G4), and the loss identity and the
//! log-normal law are unit-checked (G5). Returns measurements; decides nothing.

use crate::method::{self, Sampler};
use harness::grid::{Grid, GridResults, run_grid};
use harness::rng::Rng;
use harness::{Ctx, RunError};
use kernels::diffusion::gbm::{Gbm, GbmError};
use kernels::diffusion::{GaussianMixture, mean_distance};
use kernels::nn::Mlp;
use kernels::optim::{Adam, Optimizer};

/// What is run, fixed before running.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// GBM volatility and drift (the official σ = 0.8, μ = σ²/2).
    pub sigma: f64,
    pub mu: f64,
    /// Log-space data: equal-weight modes with a common std.
    pub means: Vec<[f64; 2]>,
    pub std: f64,
    /// G1: generated samples per run, exact reference samples, levels of the figure (G1 decided
    /// at `g1_levels`, its control at `control_levels`), seeds.
    pub n: usize,
    pub n_ref: usize,
    pub levels: Vec<usize>,
    pub g1_levels: Vec<usize>,
    pub control_levels: usize,
    pub seeds: u64,
    /// G2: samples per run and levels (δ = 1/levels).
    pub g2_n: usize,
    pub g2_levels: Vec<usize>,
    /// The training and G4 time grid τ = k/N, k = 1 … N.
    pub schedule: usize,
    /// G4: Monte Carlo samples, the family's parameters (a, b) of s_θ = (1 + a) s_H + b, and the
    /// upper edges of the τ bins.
    pub g4_samples: usize,
    pub g4_thetas: Vec<(f64, f64)>,
    pub g4_bins: Vec<f64>,
    /// G3: the network, its training and its evaluation.
    pub train: Train,
    /// G5: random points of the loss identity.
    pub g5_points: usize,
}

/// G3's training run.
#[derive(Clone, Debug, PartialEq)]
pub struct Train {
    /// Hidden layers (ReLU) and their width.
    pub depth: usize,
    pub width: usize,
    pub steps: usize,
    pub batch: usize,
    pub lr: f64,
    pub seeds: u64,
    /// τ values the error is averaged over, and samples per τ.
    pub eval_taus: Vec<f64>,
    pub eval_n: usize,
}

impl Plan {
    pub fn gbm(&self) -> Result<Gbm, GbmError> {
        Gbm::new(self.mu, self.sigma)
    }

    pub fn log_data(&self) -> GaussianMixture {
        GaussianMixture {
            dim: 2,
            means: self.means.iter().flatten().copied().collect(),
            std: self.std,
        }
    }
}

/// One G1 run: energy distance (log space) to the reference and non-positive count.
#[derive(Clone, Copy, Debug)]
pub struct Score {
    pub energy: f64,
    pub non_positive: usize,
}

/// G4 in one τ bin: the standard deviation over θ of L_DSM(θ) − L_ESM(θ), over the mean L_DSM.
#[derive(Clone, Copy, Debug)]
pub struct GapBin {
    pub upper: f64,
    pub correct: f64,
    pub off_by_one: f64,
}

#[derive(Clone, Debug)]
pub struct Results {
    /// G1 grid: arms ADLS, AUMS; settings `plan.levels`.
    pub g1: GridResults<Score>,
    /// Energy distance of n fresh exact samples to the same reference, per seed.
    pub floor: Vec<f64>,
    /// Log-space histograms of the first coordinate for the figure: bin centres, the exact
    /// density, and ADLS at the most and fewest levels (seed 0).
    pub hist_x: Vec<f64>,
    pub hist_exact: Vec<f64>,
    pub hist_fine: Vec<f64>,
    pub hist_coarse: Vec<f64>,
    /// G2 grid: arms ADLS, AUMS; settings `plan.g2_levels`; non-positive fraction.
    pub g2: GridResults<f64>,
    /// G3 per training seed: the relative L2 error per `eval_taus`, trained and untrained.
    pub g3_trained: Vec<Vec<f64>>,
    pub g3_untrained: Vec<Vec<f64>>,
    pub g4: Vec<GapBin>,
    /// G5: worst |M-DSM − v²‖s − s_H(x|x₀)‖²| / max(1, value) over random points, and the fixture
    /// errors (log-pdf, mixture log-density, CDF distance of the noising over its DKW bound).
    pub g5_identity: f64,
    pub g5_logpdf: f64,
    pub g5_mixture: f64,
    pub g5_cdf_over_dkw: f64,
    /// G5 against the official code: sampler steps and the loss (relative errors).
    pub g5_official_step: f64,
    pub g5_official_loss: f64,
}

fn bad(e: GbmError) -> RunError {
    RunError(e.to_string())
}

pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    validate(plan)?;
    let g = plan.gbm().map_err(bad)?;
    let gm = plan.log_data();
    let (g1, floor) = g1_runs(ctx, plan, &g, &gm)?;
    let (hist_x, hist_exact, hist_fine, hist_coarse) = histograms(ctx, plan, &g, &gm)?;
    let g2 = g2_runs(ctx, plan, &g, &gm)?;
    let (g3_trained, g3_untrained) = g3_runs(ctx, plan, &g, &gm)?;
    let g4 = g4_gaps(ctx, plan, &g, &gm)?;
    let (g5_logpdf, g5_mixture, g5_cdf_over_dkw) = fixture_errors(ctx, &g)?;
    let (g5_official_step, g5_official_loss) = official_errors()?;
    Ok(Results {
        g1,
        floor,
        hist_x,
        hist_exact,
        hist_fine,
        hist_coarse,
        g2,
        g3_trained,
        g3_untrained,
        g4,
        g5_identity: identity_error(ctx, plan, &g),
        g5_logpdf,
        g5_mixture,
        g5_cdf_over_dkw,
        g5_official_step,
        g5_official_loss,
    })
}

fn validate(plan: &Plan) -> Result<(), RunError> {
    let all_levels = plan
        .levels
        .iter()
        .chain(&plan.g2_levels)
        .chain(&plan.g1_levels);
    if all_levels.clone().any(|&l| l == 0) || plan.control_levels == 0 {
        return Err(RunError(
            "levels (NFE) must be at least 1 for every sampler run".into(),
        ));
    }
    if plan.g1_levels.iter().any(|l| !plan.levels.contains(l))
        || !plan.levels.contains(&plan.control_levels)
    {
        return Err(RunError(
            "G1's levels and its control must be among the plan's levels".into(),
        ));
    }
    if plan.seeds < 2 || plan.train.seeds < 1 || plan.n > plan.n_ref {
        return Err(RunError(
            "the plan needs at least two seeds, one training seed and n ≤ n_ref".into(),
        ));
    }
    if plan.std <= 0.0 || plan.schedule < 2 || plan.g4_bins.is_empty() {
        return Err(RunError(
            "the data std must be positive, the schedule at least 2 steps, and G4 needs a τ bin"
                .into(),
        ));
    }
    Ok(())
}

/// Exact samples of the τ = 1 marginal: the samplers' common start at a seed.
fn start(g: &Gbm, gm: &GaussianMixture, n: usize, seed: u64) -> Vec<f64> {
    method::exact_samples(g, gm, 1.0, n, &mut Rng::new(seed))
}

fn logs(x: &[f64]) -> Vec<f64> {
    x.iter().map(|v| v.ln()).collect()
}

/// Energy distance in log space with the reference's self-distance precomputed.
fn energy(y: &[f64], reference: &[f64], ref_self: f64) -> f64 {
    2.0 * mean_distance(y, reference, 2) - mean_distance(y, y, 2) - ref_self
}

type G1 = (GridResults<Score>, Vec<f64>);

fn g1_runs(ctx: &Ctx, plan: &Plan, g: &Gbm, gm: &GaussianMixture) -> Result<G1, RunError> {
    // The reference of each seed, shared by every arm and level (paired), and its self-distance.
    let refs: Vec<(Vec<f64>, f64)> = (0..plan.seeds)
        .map(|s| {
            let r = gm.sample(plan.n_ref, &mut Rng::new(ctx.seed("reference", s)));
            let own = mean_distance(&r, &r, 2);
            (r, own)
        })
        .collect();
    let grid = Grid {
        arms: vec![Sampler::Adls, Sampler::Aums],
        settings: plan.levels.clone(),
        seeds: plan.seeds,
    };
    let runs = run_grid(ctx, "G1: samplers against the data", &grid, |cell| {
        let s = cell.seed_index;
        let x0 = start(g, gm, plan.n, ctx.seed("start", s));
        let mut rng = Rng::new(ctx.seed("noise", s));
        let out = method::sample(g, gm, *cell.arm, *cell.setting, x0, &mut rng)?;
        // Frozen non-positive samples have no logarithm: they are scored as missing.
        let kept: Vec<f64> = out
            .x
            .chunks(2)
            .filter(|p| p.iter().all(|v| *v > 0.0))
            .flatten()
            .copied()
            .collect();
        let (r, own) = &refs[s as usize];
        Ok(Score {
            energy: energy(&logs(&kept), r, *own),
            non_positive: out.non_positive,
        })
    });
    let g1 = collect(runs)?;
    let floor = (0..plan.seeds)
        .map(|s| {
            let fresh = gm.sample(plan.n, &mut Rng::new(ctx.seed("floor", s)));
            let (r, own) = &refs[s as usize];
            energy(&fresh, r, *own)
        })
        .collect();
    Ok((g1, floor))
}

/// A grid of `Result`s as results, or the first error.
fn collect<R>(runs: GridResults<Result<R, GbmError>>) -> Result<GridResults<R>, RunError> {
    runs.transpose().map_err(bad)
}

type Hist = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

/// Histograms of log x₁ (ADLS at the most and the fewest levels) and the exact marginal density.
fn histograms(ctx: &Ctx, plan: &Plan, g: &Gbm, gm: &GaussianMixture) -> Result<Hist, RunError> {
    let (lo, hi, bins) = (-1.2, 1.6, 56);
    let width = (hi - lo) / bins as f64;
    let centres: Vec<f64> = (0..bins).map(|b| lo + (b as f64 + 0.5) * width).collect();
    let hist = |levels: usize| -> Result<Vec<f64>, RunError> {
        let x0 = start(g, gm, plan.n, ctx.seed("start", 0));
        let mut rng = Rng::new(ctx.seed("noise", 0));
        let out = method::sample(g, gm, Sampler::Adls, levels, x0, &mut rng).map_err(bad)?;
        let mut h = vec![0.0; bins];
        for p in out.x.chunks(2) {
            let b = ((p[0].ln() - lo) / width).floor();
            if b >= 0.0 && (b as usize) < bins {
                h[b as usize] += 1.0;
            }
        }
        let total = (out.x.len() / 2) as f64 * width;
        Ok(h.into_iter().map(|c| c / total).collect())
    };
    let (max, min) = (
        *plan.levels.iter().max().expect("levels"),
        *plan.levels.iter().min().expect("levels"),
    );
    // The first coordinate's marginal: a 1-D mixture of the first coordinates of the means.
    let marginal = GaussianMixture {
        dim: 1,
        means: plan.means.iter().map(|m| m[0]).collect(),
        std: plan.std,
    };
    let exact = centres
        .iter()
        .map(|&c| marginal.log_density(&[c]).exp())
        .collect();
    Ok((centres, exact, hist(max)?, hist(min)?))
}

fn g2_runs(
    ctx: &Ctx,
    plan: &Plan,
    g: &Gbm,
    gm: &GaussianMixture,
) -> Result<GridResults<f64>, RunError> {
    let grid = Grid {
        arms: vec![Sampler::Adls, Sampler::Aums],
        settings: plan.g2_levels.clone(),
        seeds: plan.seeds,
    };
    let runs = run_grid(ctx, "G2: positivity at large steps", &grid, |cell| {
        let s = cell.seed_index;
        let x0 = start(g, gm, plan.g2_n, ctx.seed("g2-start", s));
        let mut rng = Rng::new(ctx.seed("g2-noise", s));
        let out = method::sample(g, gm, *cell.arm, *cell.setting, x0, &mut rng)?;
        Ok(out.non_positive as f64 / plan.g2_n as f64)
    });
    collect(runs)
}

/// The network's input for log-space point y at time τ.
fn features(y: &[f64], tau: f64) -> [f32; 3] {
    [y[0] as f32, y[1] as f32, tau as f32]
}

type G3 = (Vec<Vec<f64>>, Vec<Vec<f64>>);

fn g3_runs(ctx: &Ctx, plan: &Plan, g: &Gbm, gm: &GaussianMixture) -> Result<G3, RunError> {
    let t = &plan.train;
    let grid = Grid {
        arms: vec![()],
        settings: vec![()],
        seeds: t.seeds,
    };
    let runs = run_grid(ctx, "G3: M-DSM training", &grid, |cell| {
        train_one(ctx, plan, g, gm, cell.seed_index)
    });
    let (trained, untrained) = runs.all().iter().cloned().unzip();
    Ok((trained, untrained))
}

/// Trains one network with the M-DSM loss; returns the error per evaluation τ after and before.
fn train_one(
    ctx: &Ctx,
    plan: &Plan,
    g: &Gbm,
    gm: &GaussianMixture,
    seed: u64,
) -> (Vec<f64>, Vec<f64>) {
    let t = &plan.train;
    let mut sizes = vec![3];
    sizes.extend(std::iter::repeat_n(t.width, t.depth));
    sizes.push(2);
    let net = Mlp::new(&sizes, false);
    let mut rng = Rng::new(ctx.seed("g3-train", seed));
    let mut p = net.init(&mut || rng.uniform());
    let untrained = evaluate(ctx, plan, g, gm, &net, &p, seed);
    let mut opt = Adam::new(net.layout().clone(), t.lr as f32);
    let mut grad = vec![0.0f32; p.len()];
    let mut stats = net.bn_stats();
    let s2 = g.sigma * g.sigma;
    for _ in 0..t.steps {
        // τ = k/N, log x₀ from the data, log x_τ by the GBM (log space: no exp/log round trip).
        let mut x = Vec::with_capacity(3 * t.batch);
        let mut resid = Vec::with_capacity(2 * t.batch);
        let mut v = Vec::with_capacity(t.batch);
        let y0 = gm.sample(t.batch, &mut rng);
        for y0 in y0.chunks(2) {
            let tau = (1 + rng.below(plan.schedule as u64)) as f64 / plan.schedule as f64;
            let yt: Vec<f64> = y0
                .iter()
                .map(|y| y + g.log_drift() * tau + g.sigma * tau.sqrt() * rng.normal())
                .collect();
            x.extend(features(&yt, tau));
            // The residual of M-DSM less v·s: (log x_τ − log x₀) − μτ + 1.5σ²τ.
            resid.extend((0..2).map(|j| yt[j] - y0[j] - g.mu * tau + 1.5 * s2 * tau));
            v.push(s2 * tau);
        }
        net.loss_grad_with(&p, &mut stats, &x, t.batch, &mut grad, |out| {
            let mut loss = 0.0;
            let mut d = vec![0.0f32; out.len()];
            for r in 0..t.batch {
                for j in 0..2 {
                    let e = v[r] * out[2 * r + j] as f64 + resid[2 * r + j];
                    loss += e * e;
                    d[2 * r + j] = (2.0 * e * v[r] / t.batch as f64) as f32;
                }
            }
            (loss / t.batch as f64, d)
        });
        opt.step(&mut p, &grad);
    }
    (evaluate(ctx, plan, g, gm, &net, &p, seed), untrained)
}

/// Relative L2 error ‖s_θ − s_H‖/‖s_H‖ over exact samples of each evaluation τ.
fn evaluate(
    ctx: &Ctx,
    plan: &Plan,
    g: &Gbm,
    gm: &GaussianMixture,
    net: &Mlp,
    p: &[f32],
    seed: u64,
) -> Vec<f64> {
    let stats = net.bn_stats();
    plan.train
        .eval_taus
        .iter()
        .map(|&tau| {
            let mut rng = Rng::new(ctx.seed("g3-eval", seed));
            let y = g.log_marginal(gm, tau).sample(plan.train.eval_n, &mut rng);
            let exact: Vec<f64> = g
                .log_marginal(gm, tau)
                .score(&y)
                .into_iter()
                .map(|s| s - 1.0)
                .collect();
            let x: Vec<f32> = y.chunks(2).flat_map(|yi| features(yi, tau)).collect();
            let out = net.outputs(p, &stats, &x, plan.train.eval_n);
            let err: f64 = out
                .iter()
                .zip(&exact)
                .map(|(a, b)| (*a as f64 - b).powi(2))
                .sum();
            let norm: f64 = exact.iter().map(|b| b * b).sum();
            (err / norm).sqrt()
        })
        .collect()
}

/// G4: L_DSM(θ) − L_ESM(θ) over the family s_θ = (1 + a) s_H + b on common samples, per τ bin;
/// and the same with the official off-by-one (the loss believes τ + 1/N while the noise used τ).
fn g4_gaps(ctx: &Ctx, plan: &Plan, g: &Gbm, gm: &GaussianMixture) -> Result<Vec<GapBin>, RunError> {
    let mut rng = Rng::new(ctx.seed("g4", 0));
    let nb = plan.g4_bins.len();
    let nt = plan.g4_thetas.len();
    // Per bin and θ: Σ DSM and Σ (DSM − ESM), correct [0] and off-by-one [1].
    let mut dsm = vec![vec![[0.0f64; 2]; nt]; nb];
    let mut gap = vec![vec![[0.0f64; 2]; nt]; nb];
    let n_step = 1.0 / plan.schedule as f64;
    // Samples grouped by their level k, so that each exact score is one batched call.
    let mut by_k: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); plan.schedule + 1];
    let y0s = gm.sample(plan.g4_samples, &mut rng);
    for y0 in y0s.chunks(2) {
        let k = 1 + rng.below(plan.schedule as u64) as usize;
        let x0: Vec<f64> = y0.iter().map(|y| y.exp()).collect();
        let z = [rng.normal(), rng.normal()];
        let x = g.noise(&x0, k as f64 * n_step, &z).map_err(bad)?;
        by_k[k].0.extend(x0);
        by_k[k].1.extend(x);
    }
    for (k, (x0, x)) in by_k.iter().enumerate().skip(1) {
        let tau = k as f64 * n_step;
        let Some(bin) = plan.g4_bins.iter().position(|&u| tau <= u + 1e-12) else {
            continue;
        };
        for (variant, t_loss) in [tau, tau + n_step].into_iter().enumerate() {
            let v = g.sigma * g.sigma * t_loss;
            let target = g.conditional_score(x, x0, t_loss);
            let exact = g.hyvarinen_score(gm, x, t_loss).map_err(bad)?;
            for (ti, &(a, b)) in plan.g4_thetas.iter().enumerate() {
                let (mut l_dsm, mut l_esm) = (0.0, 0.0);
                for (e, t) in exact.iter().zip(&target) {
                    let s = (1.0 + a) * e + b;
                    l_dsm += v * v * (s - t).powi(2);
                    l_esm += v * v * (s - e).powi(2);
                }
                dsm[bin][ti][variant] += l_dsm;
                gap[bin][ti][variant] += l_dsm - l_esm;
            }
        }
    }
    Ok((0..nb)
        .map(|b| {
            let ratio = |variant: usize| {
                let gaps: Vec<f64> = gap[b].iter().map(|g| g[variant]).collect();
                let losses: Vec<f64> = dsm[b].iter().map(|g| g[variant]).collect();
                harness::stats::sd(&gaps) / harness::stats::mean(&losses)
            };
            GapBin {
                upper: plan.g4_bins[b],
                correct: ratio(0),
                off_by_one: ratio(1),
            }
        })
        .collect())
}

/// G5: the M-DSM loss as the code writes it against its regression form, at random points.
fn identity_error(ctx: &Ctx, plan: &Plan, g: &Gbm) -> f64 {
    let mut rng = Rng::new(ctx.seed("g5", 0));
    (0..plan.g5_points)
        .map(|_| {
            let tau = (1 + rng.below(plan.schedule as u64)) as f64 / plan.schedule as f64;
            let x0 = (0.5 * rng.normal()).exp();
            let x = g
                .noise(&[x0], tau, &[rng.normal()])
                .expect("positive x₀ and τ")[0];
            let s = 3.0 * rng.normal();
            let a = method::mdsm_entry(g, s, x, x0, tau);
            let b = method::mdsm_entry_as_regression(g, s, x, x0, tau);
            (a - b).abs() / b.abs().max(1.0)
        })
        .fold(0.0, f64::max)
}

/// G5 against scipy.stats.lognorm (`kernels/fixtures/generate_gbm.py`): the worst log-pdf error
/// of the transition law, the worst log-density error of the noised mixture, and the largest
/// distance between the empirical CDF of `Gbm::noise` draws and lognorm's CDF, over the
/// Dvoretzky–Kiefer–Wolfowitz bound at level 1e-3.
fn fixture_errors(ctx: &Ctx, g: &Gbm) -> Result<(f64, f64, f64), RunError> {
    let fx: serde_json::Value = serde_json::from_str(kernels::golden::GBM_LOGNORM_JSON)
        .map_err(|e| RunError(format!("the GBM fixture does not parse: {e}")))?;
    let num = |v: &serde_json::Value| v.as_f64().expect("fixture number");
    let nums = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .expect("fixture array")
            .iter()
            .map(num)
            .collect()
    };
    let fg = Gbm::new(num(&fx["mu"]), num(&fx["sigma"])).map_err(bad)?;
    if (fg.mu - g.mu).abs() > 1e-12 || (fg.sigma - g.sigma).abs() > 1e-12 {
        return Err(RunError(
            "the GBM fixture was made for another (μ, σ) than the plan's".into(),
        ));
    }
    let x0 = nums(&fx["point"]["x0"]);
    let (mut logpdf, mut cdf) = (0.0f64, 0.0f64);
    let draws = 20_000;
    let dkw = ((2.0f64 / 1e-3).ln() / (2.0 * draws as f64)).sqrt();
    let mut rng = Rng::new(ctx.seed("g5-cdf", 0));
    for law in fx["point"]["laws"].as_array().expect("laws") {
        let tau = num(&law["tau"]);
        for (c, coord) in law["coords"].as_array().expect("coords").iter().enumerate() {
            let point = GaussianMixture {
                dim: 1,
                means: vec![x0[c].ln()],
                std: 0.0,
            };
            let xs = nums(&coord["x"]);
            for (x, want) in xs.iter().zip(nums(&coord["logpdf"])) {
                logpdf = logpdf.max((fg.log_density(&point, &[*x], tau) - want).abs());
            }
            let z: Vec<f64> = (0..draws).map(|_| rng.normal()).collect();
            let drawn = fg.noise(&vec![x0[c]; draws], tau, &z).map_err(bad)?;
            for (x, want) in xs.iter().zip(nums(&coord["cdf"])) {
                let emp = drawn.iter().filter(|v| *v <= x).count() as f64 / draws as f64;
                cdf = cdf.max((emp - want).abs() / dkw);
            }
        }
    }
    let means: Vec<f64> = fx["means"]
        .as_array()
        .expect("means")
        .iter()
        .flat_map(nums)
        .collect();
    let data = GaussianMixture {
        dim: 2,
        means,
        std: num(&fx["std"]),
    };
    let points: Vec<Vec<f64>> = fx["mixture"]["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(nums)
        .collect();
    let mut mixture = 0.0f64;
    for at in fx["mixture"]["taus"].as_array().expect("taus") {
        let tau = num(&at["tau"]);
        for (p, want) in points.iter().zip(nums(&at["log_density"])) {
            mixture = mixture.max((fg.log_density(&data, p, tau) - want).abs());
        }
    }
    Ok((logpdf, mixture, cdf))
}

const OFFICIAL_JSON: &str = include_str!("../fixtures/official.json");

/// G5 against the official code (`fixtures/official.json`, written by
/// `fixtures/generate_official.py` from the repository's `adls_sampler`, `aums_sampler` and
/// `losses.new_loss` with the score model s(x) = −(x − 1.5) and recorded noise): the worst error
/// of [`method::step`] over L inner steps (noise scaled by the official `anneal`), relative to the
/// output's size, and the relative error of the M-DSM loss at τ = (t + 1)/N, the code's loss time.
pub fn official_errors() -> Result<(f64, f64), RunError> {
    let fx: serde_json::Value = serde_json::from_str(OFFICIAL_JSON)
        .map_err(|e| RunError(format!("the official fixture does not parse: {e}")))?;
    let data = |v: &serde_json::Value| -> Vec<f64> {
        v["data"]
            .as_array()
            .expect("tensor data")
            .iter()
            .map(|x| x.as_f64().expect("a number"))
            .collect()
    };
    let num = |v: &serde_json::Value| v.as_f64().expect("a number");
    let mut sampler = 0.0f64;
    for case in fx["samplers"].as_array().expect("sampler cases") {
        let g = Gbm::new(num(&case["mu"]), num(&case["sigma"])).map_err(bad)?;
        let kind = match case["sampler"].as_str() {
            Some("adls") => Sampler::Adls,
            Some("aums") => Sampler::Aums,
            other => return Err(RunError(format!("unknown official sampler {other:?}"))),
        };
        let (delta, anneal) = (num(&case["delta"]), num(&case["anneal"]));
        let mut x = data(&case["x_in"]);
        for noise in case["noise"].as_array().expect("noise per inner step") {
            let z = data(noise);
            x = x
                .iter()
                .zip(&z)
                .map(|(&xi, &zi)| {
                    let s_h = xi * -(xi - 1.5);
                    method::step(&g, kind, xi, s_h, delta, anneal * zi)
                })
                .collect();
        }
        let want = data(&case["x_out"]);
        let worst = x
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        sampler = sampler.max(worst / want.iter().map(|v| v.abs()).fold(0.0, f64::max));
    }
    let l = &fx["new_loss_direct"];
    let g = Gbm::new(num(&l["mu"]), num(&l["sigma"])).map_err(bad)?;
    let n = num(&l["N"]);
    let (x0, xt, score) = (data(&l["x0"]), data(&l["x_t"]), data(&l["score"]));
    let ts = data(&l["t"]);
    let per = x0.len() / ts.len();
    let total: f64 = (0..x0.len())
        .map(|i| {
            let tau = (ts[i / per] + 1.0) / n;
            method::mdsm_entry(&g, xt[i] * score[i], xt[i], x0[i], tau)
        })
        .sum();
    let ours = total / ts.len() as f64;
    let want = num(&l["loss_k_t_plus_1_mean"]);
    Ok((sampler, (ours - want).abs() / want.abs()))
}
