//! Stochastic (sub)gradient descent on the card's test problems, and the exact second-moment
//! recursion of linear SGD on quadratics (Liu and Zhou, arXiv 2312.08531; card
//! `papers/last-iterate.md`).
//!
//! With Euclidean mirror map, no composite term and `X = R^d`, the paper's composite stochastic
//! mirror descent is plain SGD: `x_{t+1} = x_t − η_t (g(x_t) + ξ_t)` with `g` a subgradient and
//! `ξ_t` zero-mean noise, here unbounded (Gaussian) or heavy-tailed (Student t). The domain is
//! unconstrained and the noise unbounded: the setting the paper is the first to cover.

use harness::rng::Rng;

/// The objective.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// `f(x) = ||x||_1`: Lipschitz and convex, minimum 0 at 0.
    L1,
    /// `f(x) = ||x||^2 / 2 + ||x||_1`: 1-strongly convex, minimum 0 at 0.
    StronglyConvex,
    /// `f(x) = sum_i a_i x_i^2 / 2` (for the exact second-moment check).
    Quadratic(Vec<f64>),
}

/// Additive gradient noise, independent across coordinates and steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Noise {
    Gaussian {
        sigma: f64,
    },
    /// Student t with `nu` degrees of freedom: finite p-th moments only for `p < nu`.
    StudentT {
        nu: f64,
    },
}

impl Noise {
    fn draw(&self, rng: &mut Rng) -> f64 {
        match *self {
            Noise::Gaussian { sigma } => sigma * rng.normal(),
            Noise::StudentT { nu } => rng.student_t(nu),
        }
    }
}

/// Sign with `sign(0) = 0`, a valid subgradient of `|x|`.
fn sign(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

impl Problem {
    pub fn value(&self, x: &[f64]) -> f64 {
        match self {
            Problem::L1 => x.iter().map(|v| v.abs()).sum(),
            Problem::StronglyConvex => x.iter().map(|v| 0.5 * v * v + v.abs()).sum(),
            Problem::Quadratic(a) => x.iter().zip(a).map(|(v, ai)| 0.5 * ai * v * v).sum(),
        }
    }

    /// The `i`-th coordinate of a subgradient at `x`.
    fn subgradient(&self, x: &[f64], i: usize) -> f64 {
        match self {
            Problem::L1 => sign(x[i]),
            Problem::StronglyConvex => x[i] + sign(x[i]),
            Problem::Quadratic(a) => a[i] * x[i],
        }
    }
}

/// Runs `steps` SGD steps from `x1` with step sizes `eta(t)`, `t = 1..=steps`; returns
/// `x_{steps+1}`, the last iterate.
pub fn sgd(
    problem: &Problem,
    noise: Noise,
    x1: &[f64],
    steps: usize,
    eta: impl Fn(usize) -> f64,
    rng: &mut Rng,
) -> Vec<f64> {
    let mut x = x1.to_vec();
    for t in 1..=steps {
        let h = eta(t);
        for i in 0..x.len() {
            let g = problem.subgradient(&x, i) + noise.draw(rng);
            x[i] -= h * g;
        }
    }
    x
}

/// Exact `E ||x_{steps+1}||^2` of SGD on the quadratic `a` with Gaussian noise `sigma`:
/// coordinate-wise `E x_{t+1}^2 = (1 − η_t a_i)^2 E x_t^2 + η_t^2 σ^2`.
pub fn quadratic_second_moment(
    a: &[f64],
    sigma: f64,
    x1: &[f64],
    steps: usize,
    eta: impl Fn(usize) -> f64,
) -> f64 {
    let mut m: Vec<f64> = x1.iter().map(|v| v * v).collect();
    for t in 1..=steps {
        let h = eta(t);
        for (mi, ai) in m.iter_mut().zip(a) {
            *mi = (1.0 - h * ai).powi(2) * *mi + h * h * sigma * sigma;
        }
    }
    m.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noiseless_subgradient_steps_reach_the_minimum() {
        let mut rng = Rng::new(1);
        let x = sgd(
            &Problem::StronglyConvex,
            Noise::Gaussian { sigma: 0.0 },
            &[1.0, -2.0],
            200,
            |t| 1.0 / t as f64,
            &mut rng,
        );
        assert!(Problem::StronglyConvex.value(&x) < 1e-12, "{x:?}");
    }

    #[test]
    fn second_moment_recursion_without_noise_is_deterministic_decay() {
        let m = quadratic_second_moment(&[0.5], 0.0, &[2.0], 3, |_| 1.0);
        assert!((m - 4.0 * 0.5f64.powi(6)).abs() < 1e-15);
    }
}
