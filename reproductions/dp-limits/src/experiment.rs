//! The measurements: κ of the max test and the paper's bound over M (P1), the Monte Carlo of
//! the max test (P2), the necessary σ (P3), one epoch of DP-SGD on a synthetic logistic
//! regression over σ × seeds (P4), and Gaussian DP's κ in closed form and numerically (P5).
//! Typed [`Plan`] in, typed [`Results`] out; decides nothing.

use crate::method::{
    gdp_tradeoff, kappa_gdp, kappa_max_test, kappa_numeric, max_test_alpha, max_test_beta,
    paper_bound, sigma_needed, sigma_threshold,
};
use harness::grid::{Grid, GridResults, run_grid};
use harness::rng::Rng;
use harness::{Ctx, RunError};

/// What is run (typed, so that a statement's settings come from here).
#[derive(Clone, Debug)]
pub struct Plan {
    /// P1: the M at which κ of the max test is computed at σ = 1/√(2 ln M).
    pub p1_ms: [f64; 5],
    /// P2: the M of the Monte Carlo check and its draws per hypothesis.
    pub p2_m: f64,
    pub draws: usize,
    /// P3: the targets κ₀ (rows) and the M (columns) of the necessary σ.
    pub p3_kappas: [f64; 3],
    pub p3_ms: [f64; 4],
    /// P4: the card's σ grid (the non-private σ = 0 runs first, as the reference), the seeds,
    /// and the logistic regression.
    pub p4_sigmas: [f64; 4],
    pub seeds: u64,
    pub dp_sgd: DpSgdSetup,
    /// P5: the μ of Gaussian DP.
    pub p5_mus: [f64; 4],
}

impl Plan {
    /// P4's σ values in run order: 0 (non-private), then `p4_sigmas`.
    pub fn p4_all_sigmas(&self) -> Vec<f64> {
        [0.0].iter().chain(&self.p4_sigmas).copied().collect()
    }
}

/// What was measured.
pub struct Results {
    /// P1: κ of the max test at σ = 1/√(2 ln M) and the paper's bound, per `plan.p1_ms`.
    pub p1_kappa: Vec<f64>,
    pub p1_bound: Vec<f64>,
    pub p2: MaxTestMc,
    /// P3: necessary σ, rows `plan.p3_kappas`, columns `plan.p3_ms`, row-major.
    pub p3_sigma_needed: Vec<f64>,
    /// P4: test accuracy; one arm, settings [`Plan::p4_all_sigmas`], per seed.
    pub p4_acc: GridResults<f64>,
    /// P5: κ(G_μ) in closed form and by numerical maximisation, per `plan.p5_mus`.
    pub p5_closed: Vec<f64>,
    pub p5_numeric: Vec<f64>,
    /// The κ-against-M figure: `(M, κ of the max test, paper's bound)` on a log grid.
    pub kappa_curve: Vec<(f64, f64, f64)>,
}

/// Runs every measurement of the plan.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    let p1_kappa = plan
        .p1_ms
        .iter()
        .map(|&m| kappa_max_test(sigma_threshold(m), m).1)
        .collect();
    let p1_bound = plan.p1_ms.iter().map(|&m| paper_bound(m)).collect();
    let stage = ctx.progress.stage(
        &format!(
            "Monte Carlo of the max test, {} draws per hypothesis",
            plan.draws
        ),
        1,
    );
    let m = plan.p2_m as usize;
    let u0 = (2.0 * (m as f64).ln()).sqrt();
    let us = [u0 - 0.5, u0, u0 + 0.5];
    let p2 = max_test_monte_carlo(
        ctx.seed("p2", 0),
        m,
        sigma_threshold(m as f64),
        &us,
        plan.draws,
    );
    drop(stage);
    let stage = ctx.progress.stage("necessary σ by bisection", 1);
    let mut p3_sigma_needed = Vec::new();
    for &k0 in &plan.p3_kappas {
        for &mm in &plan.p3_ms {
            p3_sigma_needed.push(sigma_needed(k0, mm));
        }
    }
    drop(stage);
    let p4_acc = run_dp_sgd(ctx, plan);
    Ok(Results {
        p1_kappa,
        p1_bound,
        p2,
        p3_sigma_needed,
        p4_acc,
        p5_closed: plan.p5_mus.iter().map(|&mu| kappa_gdp(mu)).collect(),
        p5_numeric: plan
            .p5_mus
            .iter()
            .map(|&mu| kappa_numeric(|a| gdp_tradeoff(mu, a)))
            .collect(),
        kappa_curve: kappa_curve(),
    })
}

/// P4's grid: σ × seeds. Seed `r` fixes the data and the shuffle (`p4-data`, shared by every σ:
/// paired) and, per σ index `k`, the privacy noise (`p4-noise-{k}`).
fn run_dp_sgd(ctx: &Ctx, plan: &Plan) -> GridResults<f64> {
    let grid = Grid {
        arms: vec!["DP-SGD"],
        settings: plan.p4_all_sigmas(),
        seeds: plan.seeds,
    };
    let what = format!(
        "DP-SGD, {} σ values x {} seeds",
        grid.settings.len(),
        plan.seeds
    );
    run_grid(ctx, &what, &grid, |cell| {
        let (k, r) = (cell.setting_index, cell.seed_index);
        dp_sgd_accuracy(
            &plan.dp_sgd,
            *cell.setting,
            ctx.seed("p4-data", r),
            ctx.seed(&format!("p4-noise-{k}"), r),
        )
    })
}

/// κ of the max test at σ = 1/√(2 ln M) and the paper's bound, for 26 M from 10 to 1e6.
fn kappa_curve() -> Vec<(f64, f64, f64)> {
    (0..=25)
        .map(|k| 10f64.powf(1.0 + 5.0 * k as f64 / 25.0))
        .map(|m| (m, kappa_max_test(sigma_threshold(m), m).1, paper_bound(m)))
        .collect()
}

/// Empirical level and type-II error of the max test at thresholds `us` (`u = t/σ`), from
/// `draws` samples of each hypothesis with `m` coordinates.
pub struct MaxTestMc {
    pub us: Vec<f64>,
    pub alpha_hat: Vec<f64>,
    pub beta_hat: Vec<f64>,
    pub alpha: Vec<f64>,
    pub beta: Vec<f64>,
    pub draws: usize,
}

impl MaxTestMc {
    /// |estimate − closed form| in standard errors of the estimate, α entries then β entries.
    pub fn z_scores(&self) -> Vec<f64> {
        let n = self.draws as f64;
        let z = |hat: f64, p: f64| (hat - p).abs() / (p * (1.0 - p) / n).sqrt();
        let za = self
            .alpha_hat
            .iter()
            .zip(&self.alpha)
            .map(|(&h, &p)| z(h, p));
        let zb = self.beta_hat.iter().zip(&self.beta).map(|(&h, &p)| z(h, p));
        za.chain(zb).collect()
    }
}

/// Simulates H₀ (`y ~ N(0, σ² Id_m)`) and H₁ (one coordinate shifted by 1; by symmetry the first).
pub fn max_test_monte_carlo(
    seed: u64,
    m: usize,
    sigma: f64,
    us: &[f64],
    draws: usize,
) -> MaxTestMc {
    let mut rng = Rng::new(seed);
    let mut reject_h0 = vec![0usize; us.len()];
    let mut accept_h1 = vec![0usize; us.len()];
    for _ in 0..draws {
        let max0 = (0..m)
            .map(|_| rng.normal())
            .fold(f64::NEG_INFINITY, f64::max);
        let shifted = 1.0 / sigma + rng.normal();
        let max1 = (1..m).map(|_| rng.normal()).fold(shifted, f64::max);
        for (k, &u) in us.iter().enumerate() {
            reject_h0[k] += usize::from(max0 > u);
            accept_h1[k] += usize::from(max1 <= u);
        }
    }
    let mf = m as f64;
    MaxTestMc {
        us: us.to_vec(),
        alpha_hat: reject_h0.iter().map(|&c| c as f64 / draws as f64).collect(),
        beta_hat: accept_h1.iter().map(|&c| c as f64 / draws as f64).collect(),
        alpha: us.iter().map(|&u| max_test_alpha(u, mf)).collect(),
        beta: us.iter().map(|&u| max_test_beta(u, sigma, mf)).collect(),
        draws,
    }
}

/// Settings of the DP-SGD logistic regression, fixed before any run.
#[derive(Clone, Debug)]
pub struct DpSgdSetup {
    pub d: usize,
    pub n_train: usize,
    pub n_test: usize,
    pub batch: usize,
    /// Class separation: `x = ±delta u + N(0, Id)` for a random unit vector `u`.
    pub delta: f64,
    pub clip: f64,
    pub lr: f64,
}

impl Default for DpSgdSetup {
    fn default() -> Self {
        Self {
            d: 20,
            n_train: 10_000,
            n_test: 10_000,
            batch: 10,
            delta: 1.0,
            clip: 1.0,
            lr: 0.5,
        }
    }
}

fn dataset(rng: &mut Rng, n: usize, u: &[f64], delta: f64) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut xs = Vec::with_capacity(n);
    let mut ys = Vec::with_capacity(n);
    for _ in 0..n {
        let y = if rng.uniform() < 0.5 { 0.0 } else { 1.0 };
        let sign = 2.0 * y - 1.0;
        xs.push(
            u.iter()
                .map(|&ui| sign * delta * ui + rng.normal())
                .collect(),
        );
        ys.push(y);
    }
    (xs, ys)
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// One epoch of shuffled DP-SGD (per-example clipping to `clip`, Gaussian noise of standard
/// deviation `sigma * clip` on the summed batch gradient) from zero weights; returns the test
/// accuracy. `data_seed` fixes the data and the shuffle, `noise_seed` the privacy noise.
pub fn dp_sgd_accuracy(setup: &DpSgdSetup, sigma: f64, data_seed: u64, noise_seed: u64) -> f64 {
    let mut rng = Rng::new(data_seed);
    let d = setup.d;
    let mut u: Vec<f64> = (0..d).map(|_| rng.normal()).collect();
    let norm = u.iter().map(|v| v * v).sum::<f64>().sqrt();
    u.iter_mut().for_each(|v| *v /= norm);
    let (xtr, ytr) = dataset(&mut rng, setup.n_train, &u, setup.delta);
    let (xte, yte) = dataset(&mut rng, setup.n_test, &u, setup.delta);
    // Shuffled sampling: one random permutation, consecutive batches.
    let mut order: Vec<usize> = (0..setup.n_train).collect();
    for i in (1..order.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    let mut noise = Rng::new(noise_seed);
    let mut w = vec![0.0; d + 1]; // last entry: bias
    let mut sum = vec![0.0; d + 1];
    for batch in order.chunks(setup.batch) {
        sum.iter_mut().for_each(|s| *s = 0.0);
        for &i in batch {
            let x = &xtr[i];
            let z = w[d] + x.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>();
            let r = sigmoid(z) - ytr[i];
            let gnorm = r.abs() * (x.iter().map(|v| v * v).sum::<f64>() + 1.0).sqrt();
            let scale = r * (setup.clip / gnorm.max(setup.clip));
            for (s, &xj) in sum.iter_mut().zip(x) {
                *s += scale * xj;
            }
            sum[d] += scale;
        }
        for (wj, s) in w.iter_mut().zip(&sum) {
            let noisy = s + sigma * setup.clip * noise.normal();
            *wj -= setup.lr * noisy / batch.len() as f64;
        }
    }
    let correct = xte
        .iter()
        .zip(&yte)
        .filter(|(x, y)| {
            let z = w[d] + x.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>();
            (z > 0.0) == (**y > 0.5)
        })
        .count();
    correct as f64 / setup.n_test as f64
}
