//! LML as the official code computes it (`scheduler/scheduling_ddim_lm.py`, zituitui/LML-diffusion-sampler
//! @ e19cbdc), on DDIM with η = 0 and the exact noise prediction of a Gaussian mixture.
//!
//! At each step the sampler's direction g (DDIM's ε-prediction) is replaced by a damped
//! Newton-like direction with a rank-one "diffusion Hessian" ḡḡᵀ:
//!
//! - ḡ = κ·g_prev + (1 − κ)·g, with g_prev the *raw* previous ε (ḡ = g at the first step);
//! - d ∝ (λ·I + ḡḡᵀ)⁻¹ g = (1/λ)·[g − ḡ (ḡ·g)/(λ + ‖ḡ‖²)] (Sherman–Morrison);
//! - d is rescaled to ‖g‖ per sample, and replaces ε in DDIM's direction term only:
//!   x_prev = √ᾱ_prev·x̂₀(ε) + √(1 − ᾱ_prev)·d.
//!
//! With κ = 0, ḡ = g and d = g·λ/(λ + ‖g‖²) ∥ g, so after rescaling LML is DDIM itself, up to the
//! rounding of g − g·‖g‖²/(λ + ‖g‖²), whose relative error is about u·‖g‖²/λ (u the unit
//! roundoff): negligible in f64 at these sizes, total in f32 when ‖g‖²/λ ≳ 1/u.

use kernels::diffusion::{GaussianMixture, ddim_step, leading_timesteps};

/// The two knobs of LML.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lm {
    /// Weight of the previous raw direction in ḡ.
    pub kappa: f64,
    /// Levenberg–Marquardt damping.
    pub lambda: f64,
}

/// (λ·I + ḡḡᵀ)⁻¹ g by Sherman–Morrison, in the official code's order of operations (without the
/// 1/λ factor, which the rescaling removes): g − ḡ (ḡ·g)/(λ + ‖ḡ‖²).
pub fn sherman_morrison(g: &[f64], gbar: &[f64], lambda: f64) -> Vec<f64> {
    let inner: f64 = g.iter().zip(gbar).map(|(a, b)| a * b).sum();
    let nb: f64 = gbar.iter().map(|b| b * b).sum();
    g.iter()
        .zip(gbar)
        .map(|(gi, bi)| gi - bi * inner / (lambda + nb))
        .collect()
}

/// The LM direction of one sample: Sherman–Morrison, then rescaled to ‖g‖.
pub fn lm_direction(g: &[f64], gbar: &[f64], lambda: f64) -> Vec<f64> {
    let d = sherman_morrison(g, gbar, lambda);
    let scale = norm(g) / norm(&d);
    d.iter().map(|v| v * scale).collect()
}

/// The same computation in f32, as the official code runs it on a GPU: the cosine of the
/// rescaled direction with g (1 in exact arithmetic when ḡ = g).
pub fn lm_cosine_f32(g: &[f64], lambda: f64) -> f64 {
    let g32: Vec<f32> = g.iter().map(|&v| v as f32).collect();
    let l = lambda as f32;
    let inner: f32 = g32.iter().map(|a| a * a).sum();
    let d: Vec<f32> = g32.iter().map(|gi| gi - gi * inner / (l + inner)).collect();
    let dd: f32 = d.iter().map(|v| v * v).sum();
    let dot: f32 = d.iter().zip(&g32).map(|(a, b)| a * b).sum();
    if dd == 0.0 {
        return 0.0;
    }
    f64::from(dot) / (f64::from(dd).sqrt() * f64::from(inner).sqrt())
}

pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// DDIM (η = 0) from `x_t` (n × d, drawn from N(0, I) by the caller) with `nfe` steps and the
/// exact ε of `gm`; with `lm`, LML's direction replaces ε in the direction term. Also returns the
/// largest ‖g‖² seen (for the rounding bound of M1).
pub fn sample(
    gm: &GaussianMixture,
    abar: &[f64],
    nfe: usize,
    lm: Option<Lm>,
    x_t: Vec<f64>,
) -> (Vec<f64>, f64) {
    let run = sample_with(abar, nfe, lm, x_t, gm.dim, |_, x, a| gm.eps_star(x, a));
    (run.x, run.max_g2)
}

/// One sampler run: the result, the largest ‖g‖², and x after every step.
#[derive(Clone, Debug)]
pub struct Run {
    pub x: Vec<f64>,
    pub max_g2: f64,
    pub steps: Vec<Vec<f64>>,
}

/// [`sample`] with any ε: `eps(step index, x, ᾱₜ)` (the fixtures feed fixed ε inputs).
pub fn sample_with(
    abar: &[f64],
    nfe: usize,
    lm: Option<Lm>,
    x_t: Vec<f64>,
    dim: usize,
    mut eps_at: impl FnMut(usize, &[f64], f64) -> Vec<f64>,
) -> Run {
    let ts = leading_timesteps(nfe, abar.len());
    let mut x = x_t;
    let mut prev: Option<Vec<f64>> = None;
    let mut max_g2: f64 = 0.0;
    let mut steps = Vec::with_capacity(ts.len());
    for (i, &t) in ts.iter().enumerate() {
        let a = abar[t];
        let a_prev = ts.get(i + 1).map_or(1.0, |&s| abar[s]);
        let eps = eps_at(i, &x, a);
        let direction = match lm {
            None => eps.clone(),
            Some(c) => {
                let mut dir = Vec::with_capacity(eps.len());
                for (j, g) in eps.chunks(dim).enumerate() {
                    max_g2 = max_g2.max(g.iter().map(|v| v * v).sum());
                    let gbar: Vec<f64> = match &prev {
                        Some(p) => {
                            let p = &p[j * dim..(j + 1) * dim];
                            p.iter()
                                .zip(g)
                                .map(|(pi, gi)| c.kappa * pi + (1.0 - c.kappa) * gi)
                                .collect()
                        }
                        None => g.to_vec(),
                    };
                    dir.extend(lm_direction(g, &gbar, c.lambda));
                }
                dir
            }
        };
        x = ddim_step(&x, &eps, &direction, a, a_prev);
        steps.push(x.clone());
        prev = Some(eps);
    }
    Run { x, max_g2, steps }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_zero_rescales_back_to_g_and_f32_loses_it_at_large_norms() {
        let g: Vec<f64> = (0..16).map(|i| (i as f64 - 7.5) / 4.0).collect();
        let d = lm_direction(&g, &g, 1e-3);
        let err = g
            .iter()
            .zip(&d)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        // The rounding bound of M1: 1e-12 × (1 + ‖g‖²/λ).
        let g2: f64 = g.iter().map(|v| v * v).sum();
        assert!(err < 1e-12 * (1.0 + g2 / 1e-3), "{err}");
        // Unit noise of a 3 × 32 × 32 image, ‖g‖² ≈ 3072, at λ = 1e-4: u·‖g‖²/λ ≈ 2 in f32, so
        // the direction is rounding noise; at λ = 1 it is g.
        let mut rng = harness::rng::Rng::new(7);
        let big: Vec<f64> = (0..3072).map(|_| rng.normal()).collect();
        assert!(lm_cosine_f32(&big, 1e-4).abs() < 0.5);
        assert!(lm_cosine_f32(&g, 1.0) > 0.999_999);
    }
}
