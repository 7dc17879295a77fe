//! Linear stability of SGD at an interpolating minimum (Wu and Su, ICML 2023, arXiv 2305.17490;
//! card `papers/sgd-stability.md`), and the diagonal linear network of the paper's examples.
//!
//! At a minimum of the square loss, `H = G = (1/n) Σ g_i g_iᵀ`. Linearised SGD with a batch of
//! `B` indices drawn *with replacement* is `δ_{t+1} = (Id − η H_ξ) δ_t`; it is stable in mean
//! square iff the spectral radius of the second-moment map
//!
//! ```text
//! T(S) = E[(Id − η H_ξ) S (Id − η H_ξ)] = S − η (H S + S H) + η² [A(S)/B + (1 − 1/B) H S H],
//! A(S) = (1/n) Σ_i G_i S G_i,   G_i = g_i g_iᵀ,
//! ```
//!
//! is at most 1. `T` is self-adjoint for the Frobenius inner product and maps PSD matrices to PSD
//! matrices, so its spectral radius is its largest eigenvalue, reached by power iteration from
//! the identity. GD is stable iff `η ≤ 2/λ_max(H)`.

use nalgebra::{DMatrix, DVector};

/// Per-sample gradients `g_i` (rows of `grads`) at an interpolating minimum.
pub struct StabilityProblem {
    pub grads: DMatrix<f64>,
    pub h: DMatrix<f64>,
}

impl StabilityProblem {
    /// Builds the problem on the span of the gradients: directions orthogonal to every `g_i` are
    /// flat (`H` and every `H_ξ` vanish there), so they are marginal (factor exactly 1) for every
    /// step size and carry no information; keeping them would pin `ρ(T)` at 1 and make the
    /// stability test a coin toss on rounding. With `n < p` the span has dimension `n`.
    pub fn new(grads: DMatrix<f64>) -> Self {
        let q = grads.transpose().qr().q(); // p × min(p, n), orthonormal columns spanning the g_i
        let grads = &grads * q;
        let n = grads.nrows() as f64;
        let h = grads.transpose() * &grads / n;
        Self { grads, h }
    }

    pub fn trace(&self) -> f64 {
        self.h.trace()
    }

    pub fn lambda_max(&self) -> f64 {
        self.h.clone().symmetric_eigen().eigenvalues.max()
    }

    /// `T(S)` for step `eta` and batch size `batch`.
    pub fn second_moment_map(&self, s: &DMatrix<f64>, eta: f64, batch: usize) -> DMatrix<f64> {
        let n = self.grads.nrows();
        let hs = &self.h * s;
        let mut a = DMatrix::<f64>::zeros(s.nrows(), s.ncols());
        for i in 0..n {
            let g: DVector<f64> = self.grads.row(i).transpose();
            let q = (g.transpose() * s * &g)[(0, 0)];
            a += &g * g.transpose() * q;
        }
        a /= n as f64;
        let b = batch as f64;
        let hsh = &hs * &self.h;
        let sh = s * &self.h;
        s - (&hs + sh) * eta + (a / b + hsh * (1.0 - 1.0 / b)) * (eta * eta)
    }

    /// Spectral radius of `T` by power iteration with the Rayleigh quotient (exact for this
    /// self-adjoint, positive map), starting from `start` (warm starts speed up bisection).
    pub fn radius(&self, eta: f64, batch: usize, start: &mut DMatrix<f64>, iters: usize) -> f64 {
        let mut rho = 0.0;
        for _ in 0..iters {
            let t = self.second_moment_map(start, eta, batch);
            let norm = t.norm();
            if norm == 0.0 || !norm.is_finite() {
                return norm;
            }
            rho = start.dot(&t) / start.dot(start);
            // T preserves symmetry; re-symmetrising removes the rounding drift into
            // antisymmetric directions, which are no part of the second-moment dynamics.
            *start = (&t + t.transpose()) / (2.0 * norm);
        }
        rho
    }

    /// The largest stable step of SGD with batch `batch`, by bisection on `ρ(T_η) ≤ 1`.
    pub fn sgd_threshold(&self, batch: usize) -> f64 {
        let p = self.h.nrows();
        let mut s = DMatrix::<f64>::identity(p, p);
        let (mut lo, mut hi) = (0.0, 4.0 / self.lambda_max());
        for _ in 0..50 {
            let mid = 0.5 * (lo + hi);
            if self.radius(mid, batch, &mut s, 400) <= 1.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The largest stable GD step, by bisection on the spectral radius of `Id − η H`.
    pub fn gd_threshold_bisection(&self) -> f64 {
        let eig = self.h.clone().symmetric_eigen().eigenvalues;
        let radius = |eta: f64| {
            eig.iter()
                .map(|l| (1.0 - eta * l).abs())
                .fold(0.0, f64::max)
        };
        let (mut lo, mut hi) = (0.0, 10.0 / eig.max());
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if radius(mid) <= 1.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

/// The diagonal linear network `f(x) = <u ⊙ v, x>`.
#[derive(Clone, Debug)]
pub struct DiagNet {
    pub u: Vec<f64>,
    pub v: Vec<f64>,
}

impl DiagNet {
    pub fn beta(&self) -> Vec<f64> {
        self.u.iter().zip(&self.v).map(|(a, b)| a * b).collect()
    }

    pub fn predict(&self, x: &[f64]) -> f64 {
        x.iter()
            .zip(self.u.iter().zip(&self.v))
            .map(|(xi, (a, b))| xi * a * b)
            .sum()
    }

    /// One step on the square loss `(1/2|batch|) Σ (f(x_i) − y_i)²`.
    pub fn step(&mut self, xs: &[Vec<f64>], ys: &[f64], batch: &[usize], eta: f64) {
        let d = self.u.len();
        let (mut gu, mut gv) = (vec![0.0; d], vec![0.0; d]);
        for &i in batch {
            let r = self.predict(&xs[i]) - ys[i];
            for j in 0..d {
                gu[j] += r * xs[i][j] * self.v[j];
                gv[j] += r * xs[i][j] * self.u[j];
            }
        }
        let scale = eta / batch.len() as f64;
        for j in 0..d {
            self.u[j] -= scale * gu[j];
            self.v[j] -= scale * gv[j];
        }
    }

    pub fn loss(&self, xs: &[Vec<f64>], ys: &[f64]) -> f64 {
        let s: f64 = xs
            .iter()
            .zip(ys)
            .map(|(x, y)| (self.predict(x) - y).powi(2))
            .sum();
        s / (2.0 * xs.len() as f64)
    }

    /// The per-sample gradients `g_i = ∇_θ f(x_i) = (v ⊙ x_i, u ⊙ x_i)` as rows.
    pub fn gradients(&self, xs: &[Vec<f64>]) -> DMatrix<f64> {
        let d = self.u.len();
        DMatrix::from_fn(xs.len(), 2 * d, |i, k| {
            if k < d {
                self.v[k] * xs[i][k]
            } else {
                self.u[k - d] * xs[i][k - d]
            }
        })
    }

    /// `tr(G) = (1/n) Σ_i Σ_j x_ij² (u_j² + v_j²)`.
    pub fn trace_g(&self, xs: &[Vec<f64>]) -> f64 {
        let n = xs.len() as f64;
        xs.iter()
            .map(|x| {
                x.iter()
                    .zip(self.u.iter().zip(&self.v))
                    .map(|(xi, (a, b))| xi * xi * (a * a + b * b))
                    .sum::<f64>()
            })
            .sum::<f64>()
            / n
    }

    /// `λ_max(G)`, through the n × n Gram matrix `(1/n) J Jᵀ`.
    pub fn lambda_max_g(&self, xs: &[Vec<f64>]) -> f64 {
        let j = self.gradients(xs);
        let gram = &j * j.transpose() / xs.len() as f64;
        gram.symmetric_eigen().eigenvalues.max()
    }

    /// The weighted l1 norm `2 Σ_j w_j |β_j|`, `w_j = (1/n) Σ_i x_ij²`: a lower bound on `tr(G)`
    /// (AM-GM on `u_j² + v_j² ≥ 2|u_j v_j|`), with equality when `|u_j| = |v_j|`.
    pub fn weighted_l1(&self, xs: &[Vec<f64>]) -> f64 {
        let n = xs.len() as f64;
        let d = self.u.len();
        (0..d)
            .map(|j| {
                let w: f64 = xs.iter().map(|x| x[j] * x[j]).sum::<f64>() / n;
                2.0 * w * (self.u[j] * self.v[j]).abs()
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_equal_norm_gradients_are_the_tight_case() {
        // g_i = c e_i: T acts diagonally; B = 1 is stable exactly up to η = 2/tr(H).
        let n = 4;
        let pb = StabilityProblem::new(DMatrix::identity(n, n) * 1.5);
        let eta = pb.sgd_threshold(1);
        assert!(
            (eta * pb.trace() - 2.0).abs() < 1e-6,
            "η tr(H) = {}",
            eta * pb.trace()
        );
        assert!((pb.gd_threshold_bisection() - 2.0 / pb.lambda_max()).abs() < 1e-12);
    }

    #[test]
    fn trace_identity_and_bound_on_the_diagonal_net() {
        let xs = vec![vec![0.5, -1.0, 0.2], vec![1.0, 0.3, -0.7]];
        let net = DiagNet {
            u: vec![1.0, -2.0, 0.5],
            v: vec![1.0, -2.0, 0.5],
        };
        let j = net.gradients(&xs);
        let g = j.transpose() * &j / 2.0;
        assert!((g.trace() - net.trace_g(&xs)).abs() < 1e-12);
        assert!(
            (net.trace_g(&xs) - net.weighted_l1(&xs)).abs() < 1e-12,
            "balanced: equality"
        );
        let unbalanced = DiagNet {
            u: vec![2.0, -1.0, 0.25],
            v: vec![0.5, 4.0, 1.0],
        };
        assert!(unbalanced.trace_g(&xs) > unbalanced.weighted_l1(&xs));
    }
}
