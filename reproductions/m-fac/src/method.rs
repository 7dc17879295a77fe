//! The method's pieces that are not in `kernels::optim::mfac` (which holds M-FAC itself): the
//! oracle the exactness claim is measured against, and one-shot OBS pruning with any
//! inverse-Fisher product.
//!
//! **Oracle.** With `G` the `m × d` window and `G Gᵀ = U Σ² Uᵀ` (an `m × m` eigenproblem), the
//! rows `w_k = Gᵀ u_k / σ_k` are an orthonormal basis of the window's span and
//!
//! ```text
//! F = λ I + (1/m) Gᵀ G,   F⁻¹ x = (x − Σ_k w_k w_kᵀ x)/λ + Σ_k w_k (w_kᵀ x) / (λ + σ_k²/m).
//! ```
//!
//! It costs O(m² d) instead of a dense O(d³) solve. Its error, like that of every f64 method (a
//! dense solve and M-FAC included), is set by the conditioning κ(F) = 1 + σ²_max/(m λ): for `x`
//! inside the span the result is ~κ times smaller than `x/λ`, so rounding of size ε‖x‖ in `x`
//! (or in `x − Σ w_k w_kᵀ x`) is amplified to a relative error of ~κ ε. That is why the card's
//! correction moves M1's damping from 1e-5 (κ ≈ 4e6) to 1e-3 (κ ≈ 4e4).
//!
//! **OBS pruning** (the official `MFACPruner.prune`): score `ρ_q = w_q² / (2 [F⁻¹]_qq)`, drop
//! the `k` lowest, update `w ← w + F⁻¹ u` with `u_q = −w_q / [F⁻¹]_qq` on the dropped `q` (zero
//! elsewhere: interactions between dropped weights are ignored, as in the official code), then
//! set the dropped weights to zero.

use kernels::spd::eigh;

/// `F⁻¹` of a window through the `m × m` eigenproblem of `G Gᵀ` (see the module docs).
#[derive(Clone, Debug)]
pub struct Oracle {
    d: usize,
    damp: f64,
    /// The orthonormal rows `w_k`, `m × d`.
    basis: Vec<f64>,
    /// `1 / (λ + σ_k² / m)`.
    inverse: Vec<f64>,
}

impl Oracle {
    /// From the window `grads` (`m × d`, full row rank) and `λ > 0`.
    pub fn new(grads: &[f64], m: usize, damp: f64) -> Self {
        let d = grads.len() / m;
        let row = |i: usize| &grads[i * d..(i + 1) * d];
        let mut gram = vec![0.0; m * m];
        for i in 0..m {
            for j in 0..=i {
                let v = dot(row(i), row(j));
                gram[i * m + j] = v;
                gram[j * m + i] = v;
            }
        }
        let e = eigh(&gram, m);
        let mut basis = vec![0.0; m * d];
        let mut inverse = vec![0.0; m];
        for k in 0..m {
            let sigma2 = e.values[k];
            assert!(sigma2 > 0.0, "the oracle needs a window of full row rank");
            let out = &mut basis[k * d..(k + 1) * d];
            for i in 0..m {
                let c = e.vectors[i * m + k] / sigma2.sqrt();
                out.iter_mut().zip(row(i)).for_each(|(o, g)| *o += c * g);
            }
            inverse[k] = 1.0 / (damp + sigma2 / m as f64);
        }
        Self {
            d,
            damp,
            basis,
            inverse,
        }
    }

    fn rows(&self) -> impl Iterator<Item = &[f64]> {
        self.basis.chunks(self.d)
    }

    /// `F⁻¹ x`.
    pub fn mul(&self, x: &[f64]) -> Vec<f64> {
        let p: Vec<f64> = self.rows().map(|w| dot(w, x)).collect();
        let mut orth = x.to_vec();
        let mut inside = vec![0.0; self.d];
        for ((w, &pk), &ik) in self.rows().zip(&p).zip(&self.inverse) {
            for ((o, s), &wq) in orth.iter_mut().zip(inside.iter_mut()).zip(w) {
                *o -= pk * wq;
                *s += pk * ik * wq;
            }
        }
        orth.iter()
            .zip(&inside)
            .map(|(o, s)| o / self.damp + s)
            .collect()
    }

    /// The diagonal of `F⁻¹`: `(1 − Σ_k w_kq²)/λ + Σ_k w_kq² / (λ + σ_k²/m)`.
    pub fn diag(&self) -> Vec<f64> {
        let mut mass = vec![0.0; self.d];
        let mut inside = vec![0.0; self.d];
        for (w, &ik) in self.rows().zip(&self.inverse) {
            for ((a, s), &wq) in mass.iter_mut().zip(inside.iter_mut()).zip(w) {
                *a += wq * wq;
                *s += ik * wq * wq;
            }
        }
        mass.iter()
            .zip(&inside)
            .map(|(a, s)| (1.0 - a) / self.damp + s)
            .collect()
    }
}

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `‖a − b‖ / ‖b‖`.
pub fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let diff: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
    (diff / dot(b, b)).sqrt()
}

/// Largest `|a_q − b_q| / |b_q|`.
pub fn max_elementwise_rel(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs())
        .fold(0.0, f64::max)
}

/// The indices of the `k` smallest scores (ties broken by index, so the choice is reproducible).
pub fn lowest(scores: &[f64], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)));
    idx.truncate(k);
    idx
}

/// Magnitude pruning: zero the `k` weights of smallest `|w|`.
pub fn prune_magnitude(w: &[f64], k: usize) -> Vec<f64> {
    let scores: Vec<f64> = w.iter().map(|x| x * x).collect();
    zero(w, &lowest(&scores, k))
}

/// OBS with a diagonal Fisher `F_qq`: `[F⁻¹]_qq = 1/F_qq`, so the score is `w_q² F_qq / 2` and
/// the update `F⁻¹ u` only touches the dropped weights, which are then zeroed anyway.
pub fn prune_diagonal(w: &[f64], fisher_diag: &[f64], k: usize) -> Vec<f64> {
    let scores: Vec<f64> = w.iter().zip(fisher_diag).map(|(x, f)| x * x * f).collect();
    zero(w, &lowest(&scores, k))
}

/// OBS with the inverse Fisher given by its diagonal and its product (the module docs).
pub fn prune_obs(
    w: &[f64],
    inv_diag: &[f64],
    inv_mul: impl Fn(&[f64]) -> Vec<f64>,
    k: usize,
) -> Vec<f64> {
    let scores: Vec<f64> = w
        .iter()
        .zip(inv_diag)
        .map(|(x, h)| x * x / (2.0 * h))
        .collect();
    let drop = lowest(&scores, k);
    let mut u = vec![0.0; w.len()];
    drop.iter().for_each(|&q| u[q] = -w[q] / inv_diag[q]);
    let step = inv_mul(&u);
    let updated: Vec<f64> = w.iter().zip(&step).map(|(a, b)| a + b).collect();
    zero(&updated, &drop)
}

fn zero(w: &[f64], drop: &[usize]) -> Vec<f64> {
    let mut out = w.to_vec();
    drop.iter().for_each(|&q| out[q] = 0.0);
    out
}

/// The diagonal of the empirical Fisher `(1/m) Σ_i g_iq²` of `m` gradients (`m × d`).
pub fn fisher_diagonal(grads: &[f64], m: usize) -> Vec<f64> {
    let d = grads.len() / m;
    let mut out = vec![0.0; d];
    for g in grads.chunks(d) {
        out.iter_mut()
            .zip(g)
            .for_each(|(o, x)| *o += x * x / m as f64);
    }
    out
}

/// The least-squares fit `t ≈ a·x + b·y` in relative terms (each point weighted by `1/t`, so
/// that the small times count as much as the large): `(a, b, largest |fit/t − 1|)`.
pub fn fit_two_terms(x: &[f64], y: &[f64], t: &[f64]) -> (f64, f64, f64) {
    let (mut suu, mut suv, mut svv, mut su, mut sv) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for ((xi, yi), ti) in x.iter().zip(y).zip(t) {
        let (u, v) = (xi / ti, yi / ti);
        suu += u * u;
        suv += u * v;
        svv += v * v;
        su += u;
        sv += v;
    }
    let det = suu * svv - suv * suv;
    let (a, b) = ((su * svv - sv * suv) / det, (sv * suu - su * suv) / det);
    let worst = x
        .iter()
        .zip(y)
        .zip(t)
        .map(|((xi, yi), ti)| ((a * xi + b * yi) / ti - 1.0).abs())
        .fold(0.0, f64::max);
    (a, b, worst)
}
