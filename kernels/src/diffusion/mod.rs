//! Diffusion sampling with exact scores: a variance-preserving (VP) noise schedule, Gaussian
//! mixtures whose noised densities and noise predictions are known in closed form, the DDIM step,
//! and the two sample distances the diffusion chapters score with.
//!
//! **Schedule.** DDPM's linear βₜ from β₁ to β_T over T steps; ᾱₜ = ∏_{s ≤ t} (1 − β_s), indexed
//! from t = 0 as in diffusers (`alphas_cumprod[t]`).
//!
//! **Exact noise prediction.** For data p₀ = Σₖ πₖ N(μₖ, s² I), the noised marginal is
//! pₜ = Σₖ πₖ N(√ᾱₜ μₖ, vₜ I) with vₜ = ᾱₜ s² + 1 − ᾱₜ, whose score is
//! ∇ log pₜ(x) = Σₖ wₖ(x) (√ᾱₜ μₖ − x) / vₜ with responsibilities wₖ ∝ πₖ N(x; √ᾱₜ μₖ, vₜ I).
//! The ideal ε-prediction is ε*(x, t) = −√(1 − ᾱₜ) ∇ log pₜ(x): with it only the sampler's
//! discretisation error remains.
//!
//! **DDIM (η = 0).** x̂₀ = (x − √(1 − ᾱₜ) ε)/√ᾱₜ and x_prev = √ᾱ_prev x̂₀ + √(1 − ᾱ_prev) d, where
//! d = ε for DDIM itself (a modified sampler may pass another direction d).
//!
//! **Distances.** The energy distance 2E‖X − Y‖ − E‖X − X′‖ − E‖Y − Y′‖ (V-statistics, zero for
//! equal samples) and the sliced 2-Wasserstein distance over random unit directions.

pub mod gbm;

use crate::rng::Rng;
use rayon::prelude::*;

/// ᾱₜ for t = 0 … T − 1 of DDPM's linear schedule βₜ = β₁ + (β_T − β₁) t/(T − 1).
pub fn linear_alphas_cumprod(steps: usize, beta_start: f64, beta_end: f64) -> Vec<f64> {
    assert!(
        steps >= 2,
        "a schedule needs at least two steps, got {steps}"
    );
    let mut prod = 1.0;
    (0..steps)
        .map(|t| {
            let beta = beta_start + (beta_end - beta_start) * t as f64 / (steps - 1) as f64;
            prod *= 1.0 - beta;
            prod
        })
        .collect()
}

/// diffusers' "leading" DDIM timesteps for `nfe` steps of a `steps`-step schedule (offset 0):
/// `(0..nfe) · (steps / nfe)`, largest first.
pub fn leading_timesteps(nfe: usize, steps: usize) -> Vec<usize> {
    assert!(
        nfe >= 1 && nfe <= steps,
        "NFE must be between 1 and the {steps} schedule steps, got {nfe}"
    );
    let stride = steps / nfe;
    (0..nfe).rev().map(|i| i * stride).collect()
}

/// An isotropic Gaussian mixture with equal weights: `means` is K × d, row-major.
#[derive(Clone, Debug)]
pub struct GaussianMixture {
    pub dim: usize,
    pub means: Vec<f64>,
    pub std: f64,
}

impl GaussianMixture {
    /// `modes` means on a circle of `radius` in the first two coordinates (the rest zero).
    pub fn circle(dim: usize, modes: usize, radius: f64, std: f64) -> Self {
        assert!(
            dim >= 2 && modes >= 1,
            "a circle mixture needs d ≥ 2 and a mode"
        );
        let mut means = vec![0.0; modes * dim];
        for k in 0..modes {
            let a = std::f64::consts::TAU * k as f64 / modes as f64;
            means[k * dim] = radius * a.cos();
            means[k * dim + 1] = radius * a.sin();
        }
        Self { dim, means, std }
    }

    pub fn modes(&self) -> usize {
        self.means.len() / self.dim
    }

    /// `n` exact samples, row-major n × d.
    pub fn sample(&self, n: usize, rng: &mut Rng) -> Vec<f64> {
        let mut out = Vec::with_capacity(n * self.dim);
        for _ in 0..n {
            let k = rng.below(self.modes() as u64) as usize;
            let mu = &self.means[k * self.dim..(k + 1) * self.dim];
            out.extend(mu.iter().map(|m| m + self.std * rng.normal()));
        }
        out
    }

    /// ∇ log p(x) of this mixture for a batch `x` (n × d): Σₖ wₖ(x) (μₖ − x)/s² with
    /// responsibilities wₖ ∝ N(x; μₖ, s² I), stabilised by their largest logarithm.
    pub fn score(&self, x: &[f64]) -> Vec<f64> {
        let d = self.dim;
        let v = self.std * self.std;
        let mut out = vec![0.0; x.len()];
        out.par_chunks_mut(d)
            .zip(x.par_chunks(d))
            .for_each(|(e, xi)| {
                let logw: Vec<f64> = self
                    .means
                    .chunks(d)
                    .map(|mu| {
                        -xi.iter().zip(mu).map(|(a, m)| (a - m).powi(2)).sum::<f64>() / (2.0 * v)
                    })
                    .collect();
                let top = logw.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let w: Vec<f64> = logw.iter().map(|l| (l - top).exp()).collect();
                let total: f64 = w.iter().sum();
                for (j, ej) in e.iter_mut().enumerate() {
                    let s: f64 = (0..self.modes())
                        .map(|k| w[k] * (self.means[k * d + j] - xi[j]))
                        .sum::<f64>();
                    *ej = s / (total * v);
                }
            });
        out
    }

    /// log p(x) of one point.
    pub fn log_density(&self, x: &[f64]) -> f64 {
        let (d, v) = (self.dim, self.std * self.std);
        let norm = -0.5 * d as f64 * (std::f64::consts::TAU * v).ln() - (self.modes() as f64).ln();
        let logs: Vec<f64> = self
            .means
            .chunks(d)
            .map(|mu| -x.iter().zip(mu).map(|(a, m)| (a - m).powi(2)).sum::<f64>() / (2.0 * v))
            .collect();
        let top = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        norm + top + logs.iter().map(|l| (l - top).exp()).sum::<f64>().ln()
    }

    /// The same mixture with every mean multiplied by `scale` and shifted by `shift`, and the
    /// given std: the marginal of a linear Gaussian noising.
    pub fn transformed(&self, scale: f64, shift: f64, std: f64) -> Self {
        Self {
            dim: self.dim,
            means: self.means.iter().map(|m| scale * m + shift).collect(),
            std,
        }
    }

    /// The exact noise prediction ε*(x, t) at ᾱₜ = `abar` for a batch `x` (n × d).
    pub fn eps_star(&self, x: &[f64], abar: f64) -> Vec<f64> {
        let v = abar * self.std * self.std + 1.0 - abar;
        let noised = self.transformed(abar.sqrt(), 0.0, v.sqrt());
        let s1 = (1.0 - abar).sqrt();
        noised.score(x).into_iter().map(|s| -s1 * s).collect()
    }
}

/// One DDIM (η = 0) step for a batch: x̂₀ from the raw prediction `eps`, the direction term from
/// `direction` (DDIM itself passes `eps`). `abar_prev` is 1 after the last step.
pub fn ddim_step(x: &[f64], eps: &[f64], direction: &[f64], abar: f64, abar_prev: f64) -> Vec<f64> {
    let (sa, s1) = (abar.sqrt(), (1.0 - abar).sqrt());
    let (sp, s1p) = (abar_prev.sqrt(), (1.0 - abar_prev).max(0.0).sqrt());
    x.iter()
        .zip(eps)
        .zip(direction)
        .map(|((&xi, &ei), &di)| sp * (xi - s1 * ei) / sa + s1p * di)
        .collect()
}

/// Energy distance between samples `a` and `b` (row-major, `dim` columns), V-statistics.
pub fn energy_distance(a: &[f64], b: &[f64], dim: usize) -> f64 {
    2.0 * mean_distance(a, b, dim) - mean_distance(a, a, dim) - mean_distance(b, b, dim)
}

/// E‖X − Y‖ over all pairs of rows of `a` and `b`.
pub fn mean_distance(a: &[f64], b: &[f64], dim: usize) -> f64 {
    let (na, nb) = (a.len() / dim, b.len() / dim);
    assert!(na > 0 && nb > 0, "distances need samples on both sides");
    let total: f64 = a
        .par_chunks(dim)
        .map(|x| {
            b.chunks(dim)
                .map(|y| {
                    x.iter()
                        .zip(y)
                        .map(|(p, q)| (p - q) * (p - q))
                        .sum::<f64>()
                        .sqrt()
                })
                .sum::<f64>()
        })
        .sum();
    total / (na * nb) as f64
}

/// Sliced 2-Wasserstein distance between equal-size samples over `directions` random unit
/// directions drawn from `rng`: the root mean, over directions, of the mean squared difference of
/// the sorted projections.
pub fn sliced_w2(a: &[f64], b: &[f64], dim: usize, directions: usize, rng: &mut Rng) -> f64 {
    assert_eq!(a.len(), b.len(), "sliced W2 compares samples of equal size");
    let project = |s: &[f64], u: &[f64]| {
        let mut p: Vec<f64> = s
            .chunks(dim)
            .map(|x| x.iter().zip(u).map(|(a, b)| a * b).sum())
            .collect();
        p.sort_by(f64::total_cmp);
        p
    };
    let mut total = 0.0;
    for _ in 0..directions {
        let mut u: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
        let norm = u.iter().map(|v| v * v).sum::<f64>().sqrt();
        u.iter_mut().for_each(|v| *v /= norm);
        let (pa, pb) = (project(a, &u), project(b, &u));
        total += pa
            .iter()
            .zip(&pb)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f64>()
            / pa.len() as f64;
    }
    (total / directions as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exact_noise_prediction_is_the_score_of_the_noised_mixture() {
        // Against central differences of log pₜ, at a point between modes.
        let gm = GaussianMixture::circle(3, 4, 2.0, 0.3);
        let abar: f64 = 0.4;
        let v = abar * 0.09 + 0.6;
        let logp = |x: &[f64]| {
            (0..4)
                .map(|k| {
                    let mu = &gm.means[k * 3..k * 3 + 3];
                    (-x.iter()
                        .zip(mu)
                        .map(|(a, m)| (a - abar.sqrt() * m).powi(2))
                        .sum::<f64>()
                        / (2.0 * v))
                        .exp()
                })
                .sum::<f64>()
                .ln()
        };
        let x = [0.7, -0.2, 0.4];
        let eps = gm.eps_star(&x, abar);
        for j in 0..3 {
            let h = 1e-6;
            let (mut p, mut m) = (x, x);
            p[j] += h;
            m[j] -= h;
            let score = (logp(&p) - logp(&m)) / (2.0 * h);
            assert!(
                (eps[j] + (1.0 - abar).sqrt() * score).abs() < 1e-8,
                "coordinate {j}"
            );
        }
    }

    #[test]
    fn schedules_steps_and_distances() {
        let ab = linear_alphas_cumprod(1000, 1e-4, 0.02);
        assert!((ab[0] - (1.0 - 1e-4)).abs() < 1e-15 && ab[999] < 1e-4);
        assert_eq!(leading_timesteps(5, 1000), vec![800, 600, 400, 200, 0]);
        // DDIM with the exact ε of a point mass at 0 (std 0) lands on it in one step to ᾱ = 1.
        let gm = GaussianMixture {
            dim: 1,
            means: vec![0.0],
            std: 0.0,
        };
        let x = [1.3];
        let e = gm.eps_star(&x, 0.5);
        assert!(ddim_step(&x, &e, &e, 0.5, 1.0)[0].abs() < 1e-12);
        // Distances are zero for equal samples and positive for shifted ones.
        let mut rng = Rng::new(1);
        let a: Vec<f64> = (0..400).map(|_| rng.normal()).collect();
        let b: Vec<f64> = a.iter().map(|v| v + 1.0).collect();
        assert!(energy_distance(&a, &a, 2).abs() < 1e-12);
        assert!(energy_distance(&a, &b, 2) > 0.3);
        let w = sliced_w2(&a, &b, 1, 4, &mut rng);
        assert!(
            (w - 1.0).abs() < 1e-12,
            "a shift by 1 in 1-D is W2 = 1: {w}"
        );
    }
}
