//! Simulations of gradient play `x_{k+1} = x_k − h H x_k` (Euler) on the certified games.
//! Returns measurements; decides nothing.

use crate::method::{Game, m_norm};
use harness::rng::Rng;
use nalgebra::DVector;

/// Norm histories of one Euler trajectory, each divided by its initial value.
pub struct Trajectory {
    pub euclid: Vec<f64>,
    pub m: Vec<f64>,
}

/// Runs `steps` Euler steps from `x0`, recording the Euclidean and `M` norms (weights `(1, r)`).
pub fn euler(g: &Game, r: f64, h: f64, x0: &DVector<f64>, steps: usize) -> Trajectory {
    let (e0, m0) = (x0.norm(), m_norm(x0, g.dims, r));
    let mut x = x0.clone();
    let mut euclid = vec![1.0];
    let mut m = vec![1.0];
    for _ in 0..steps {
        x = &x - (&g.h * &x) * h;
        euclid.push(x.norm() / e0);
        m.push(m_norm(&x, g.dims, r) / m0);
    }
    Trajectory { euclid, m }
}

/// The largest one-step ratio `‖x_{k+1}‖_M / ‖x_k‖_M` over `inits` random starts.
pub fn worst_step_ratio(
    g: &Game,
    r: f64,
    h: f64,
    inits: usize,
    steps: usize,
    rng: &mut Rng,
) -> f64 {
    let n = g.h.nrows();
    let mut worst: f64 = 0.0;
    for _ in 0..inits {
        let x0 = DVector::from_fn(n, |_, _| rng.normal());
        let t = euler(g, r, h, &x0, steps);
        for w in t.m.windows(2) {
            if w[0] > 1e-250 {
                worst = worst.max(w[1] / w[0]);
            }
        }
    }
    worst
}
