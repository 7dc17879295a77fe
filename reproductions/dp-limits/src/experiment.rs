//! Monte Carlo of the max test (claim P2) and one epoch of DP-SGD on a synthetic logistic
//! regression (claim P4). Returns measurements; decides nothing.

use crate::method::{max_test_alpha, max_test_beta};
use harness::rng::Rng;

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
