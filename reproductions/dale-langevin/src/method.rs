//! The paper's method as pure functions: the two multiplicative reverse-time samplers and the
//! multiplicative denoising score-matching (M-DSM) loss, on top of the GBM forward process of
//! `kernels::diffusion::gbm`.
//!
//! **Reverse SDE.** In log space Y = log X the GBM is an additive diffusion with drift
//! μ − σ²/2, whose reverse-time drift is μ − σ²/2 − σ²∇_y log p_Y = μ − 1.5σ² − σ² s_H
//! (s_H the Hyvärinen score, ∇_y log p_Y = s_H + 1). A backward step of length δ is then
//!
//! ```text
//!   ADLS (Dale–Langevin, Euler–Maruyama in log space):
//!     x ← x ⊙ exp(δσ² s_H − δ(μ − 1.5σ²) + √δ σ z)
//!   AUMS (Euler–Maruyama in the ambient space):
//!     x ← x ⊙ [(1 + 2δσ² − δμ) + δσ² s_H + √δ σ z]
//! ```
//!
//! ADLS keeps every sample positive by construction; AUMS does not.
//!
//! **M-DSM.** With v = σ²τ, the loss of one sample is
//! `‖v s_{H,θ}(x_τ) + (log x_τ − log x₀) − μτ + 1.5σ²τ‖²`, which equals
//! `v² ‖s_{H,θ} − s_H(x_τ | x₀)‖²` (G5's unit check).
//!
//! **Time grid.** Here each of the N levels covers δ = 1/N of reverse time, from τ = 1 down to 0,
//! with the score evaluated at the level's τ = k/N (k = N … 1) and one step per level: a
//! time-consistent discretisation (the official code is not; see the notes).

use kernels::diffusion::GaussianMixture;
use kernels::diffusion::gbm::{Gbm, GbmError};
use kernels::rng::Rng;

/// The two samplers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampler {
    Adls,
    Aums,
}

impl Sampler {
    pub fn name(self) -> &'static str {
        match self {
            Self::Adls => "ADLS",
            Self::Aums => "AUMS",
        }
    }
}

/// One backward step of length `delta` of entry `x` with Hyvärinen score `s` and noise `z`.
pub fn step(g: &Gbm, sampler: Sampler, x: f64, s: f64, delta: f64, z: f64) -> f64 {
    let s2 = g.sigma * g.sigma;
    let noise = delta.sqrt() * g.sigma * z;
    match sampler {
        Sampler::Adls => x * (delta * s2 * s - delta * (g.mu - 1.5 * s2) + noise).exp(),
        Sampler::Aums => x * ((1.0 + 2.0 * delta * s2 - delta * g.mu) + delta * s2 * s + noise),
    }
}

/// The outcome of one sampling run.
#[derive(Clone, Debug)]
pub struct Samples {
    /// n × d samples at τ = 0. A sample that left the positive orthant is frozen at its first
    /// non-positive value (the exact score needs log x), so it stays counted.
    pub x: Vec<f64>,
    /// How many samples left the positive orthant.
    pub non_positive: usize,
}

/// Runs `sampler` with the exact score over `levels` levels from `x_init` (n × d, positive, drawn
/// from the τ = 1 marginal), noise from `rng`.
pub fn sample(
    g: &Gbm,
    log_data: &GaussianMixture,
    sampler: Sampler,
    levels: usize,
    mut x: Vec<f64>,
    rng: &mut Rng,
) -> Result<Samples, GbmError> {
    if levels == 0 {
        return Err(GbmError::OutOfRange {
            name: "levels (NFE)",
            value: 0.0,
            domain: "the integers ≥ 1",
        });
    }
    kernels::diffusion::gbm::check_positive(&x)?;
    let d = log_data.dim;
    let delta = 1.0 / levels as f64;
    let mut alive: Vec<bool> = vec![true; x.len() / d];
    for k in (1..=levels).rev() {
        let tau = k as f64 * delta;
        let idx: Vec<usize> = (0..alive.len()).filter(|&i| alive[i]).collect();
        let live: Vec<f64> = idx
            .iter()
            .flat_map(|&i| x[i * d..(i + 1) * d].to_vec())
            .collect();
        let s = g.hyvarinen_score(log_data, &live, tau)?;
        for (r, &i) in idx.iter().enumerate() {
            for j in 0..d {
                let v = step(g, sampler, x[i * d + j], s[r * d + j], delta, rng.normal());
                x[i * d + j] = v;
                if v <= 0.0 || !v.is_finite() {
                    alive[i] = false;
                }
            }
        }
    }
    let non_positive = alive.iter().filter(|a| !**a).count();
    Ok(Samples { x, non_positive })
}

/// The M-DSM loss of one entry as the official code writes it: network output `s` (Hyvärinen
/// score), noised `x`, clean `x0`, time `tau`.
pub fn mdsm_entry(g: &Gbm, s: f64, x: f64, x0: f64, tau: f64) -> f64 {
    let s2 = g.sigma * g.sigma;
    let r = s2 * tau * s + (x.ln() - x0.ln()) - g.mu * tau + 1.5 * s2 * tau;
    r * r
}

/// The same loss written as a weighted score regression, v² (s − s_H(x | x₀))².
pub fn mdsm_entry_as_regression(g: &Gbm, s: f64, x: f64, x0: f64, tau: f64) -> f64 {
    let v = g.sigma * g.sigma * tau;
    let target = g.conditional_score(&[x], &[x0], tau)[0];
    v * v * (s - target) * (s - target)
}

/// `n` exact samples of x_τ: log x_τ from the τ-marginal of the log-space mixture.
pub fn exact_samples(
    g: &Gbm,
    log_data: &GaussianMixture,
    tau: f64,
    n: usize,
    rng: &mut Rng,
) -> Vec<f64> {
    g.log_marginal(log_data, tau)
        .sample(n, rng)
        .into_iter()
        .map(f64::exp)
        .collect()
}
