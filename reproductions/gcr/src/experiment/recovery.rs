//! C1: subspace recovery by the Grassmann optimizer on a problem with a known answer, and the
//! deterministic checks of its QR and of one step against pymanopt.

use super::GrassmannChecks;
use harness::rng::Rng;
use kernels::optim::{GrassmannSgd, Layout, Optimizer, QrSign, geodesic_step, reorthonormalise};
use kernels::spd::eigh;
use serde::Deserialize;

/// C1: minimise f(Y) = −‖AᵀY‖²_F over Gr(k, d) from a random start; returns the largest principal
/// angle (radians, via its sine) to the top-k left singular subspace of A after each of `steps`.
pub fn subspace_recovery(
    d: usize,
    n: usize,
    k: usize,
    steps: usize,
    lr: f32,
    seed: u64,
) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let a: Vec<f64> = (0..d * n).map(|_| rng.normal()).collect();
    // A Aᵀ (d × d) and its top-k eigenvectors.
    let aat: Vec<f64> = (0..d * d)
        .map(|ij| {
            (0..n)
                .map(|l| a[(ij / d) * n + l] * a[(ij % d) * n + l])
                .sum()
        })
        .collect();
    let e = eigh(&aat, d);
    let top: Vec<Vec<f64>> = (d - k..d)
        .map(|c| (0..d).map(|r| e.vectors[r * d + c]).collect())
        .collect();
    let scale = e.values[d - 1];
    let layout = Layout::new(&[("y", &[k, d])]);
    let mut opt = GrassmannSgd::new(layout, lr, k).qr(QrSign::Positive);
    let mut yt: Vec<f64> = (0..k * d).map(|_| rng.normal()).collect();
    reorthonormalise(&mut yt, k, d, QrSign::Positive);
    let mut p: Vec<f32> = yt.iter().map(|&v| v as f32).collect();
    let mut angles = Vec::with_capacity(steps);
    for _ in 0..steps {
        // Euclidean gradient in row form: G_t = −2 Y_t A Aᵀ, scaled by the top eigenvalue.
        let g: Vec<f32> = (0..k * d)
            .map(|ij| {
                let (row, col) = (ij / d, ij % d);
                (-2.0
                    * (0..d)
                        .map(|l| p[row * d + l] as f64 * aat[l * d + col])
                        .sum::<f64>()
                    / scale) as f32
            })
            .collect();
        opt.step(&mut p, &g);
        angles.push(largest_angle(&p, &top, k, d));
    }
    angles
}

/// The largest principal angle between the rows of `p` (k × d, orthonormal) and the subspace
/// spanned by `top`: sin θ_max = largest singular value of (I − ŪŪᵀ) Y, from the k × k Gram matrix.
fn largest_angle(p: &[f32], top: &[Vec<f64>], k: usize, d: usize) -> f64 {
    let resid: Vec<Vec<f64>> = (0..k)
        .map(|row| {
            let y: Vec<f64> = (0..d).map(|c| p[row * d + c] as f64).collect();
            let mut r = y.clone();
            for u in top {
                let dot: f64 = u.iter().zip(&y).map(|(a, b)| a * b).sum();
                r.iter_mut().zip(u).for_each(|(x, ui)| *x -= dot * ui);
            }
            r
        })
        .collect();
    let gram: Vec<f64> = (0..k * k)
        .map(|ab| {
            resid[ab / k]
                .iter()
                .zip(&resid[ab % k])
                .map(|(a, b)| a * b)
                .sum()
        })
        .collect();
    let s = eigh(&gram, k).values[k - 1].max(0.0).sqrt();
    s.min(1.0).asin()
}

/// The pymanopt fixture (`fixtures/pymanopt_step.json`, written by `fixtures/generate.py`).
#[derive(Deserialize)]
struct PymanoptFixture {
    lr: f64,
    cases: Vec<PymanoptCase>,
}

/// One point Y and Euclidean gradient G (rows of length d), and the projector of pymanopt's step.
#[derive(Deserialize)]
struct PymanoptCase {
    d: usize,
    k: usize,
    y: Vec<f64>,
    g: Vec<f64>,
    projector: Vec<f64>,
}

/// C1's deterministic parts: the largest ‖YᵀY − I‖ after re-orthonormalisation of random
/// matrices, and the largest projector difference between one geodesic step and pymanopt's.
pub fn geometry_checks(seed: u64) -> GrassmannChecks {
    let mut rng = Rng::new(seed);
    let mut orth: f64 = 0.0;
    for (d, k) in [(5, 1), (32, 8), (64, 16)] {
        let mut y: Vec<f64> = (0..k * d).map(|_| rng.normal()).collect();
        reorthonormalise(&mut y, k, d, QrSign::Householder);
        for a in 0..k {
            for b in 0..k {
                let dot: f64 = (0..d).map(|i| y[a * d + i] * y[b * d + i]).sum();
                orth = orth.max((dot - if a == b { 1.0 } else { 0.0 }).abs());
            }
        }
    }
    let fx: PymanoptFixture =
        serde_json::from_str(include_str!("../../fixtures/pymanopt_step.json")).expect("fixture");
    let mut proj: f64 = 0.0;
    for c in &fx.cases {
        let (d, k) = (c.d, c.k);
        let mut yt = c.y.clone();
        geodesic_step(&mut yt, &c.g, k, d, fx.lr);
        for i in 0..d {
            for j in 0..d {
                let p: f64 = (0..k).map(|a| yt[a * d + i] * yt[a * d + j]).sum();
                proj = proj.max((p - c.projector[i * d + j]).abs());
            }
        }
    }
    GrassmannChecks {
        orth,
        pymanopt: proj,
    }
}
