//! The Small-Gain Nash certificate (Sharma, arXiv 2512.06791), as the official code computes it
//! (card `papers/small-gain-nash.md`, files `LQ_GAMES/compute_sgn_metrics.py` and
//! `experiments/quadratic_phase.py` at 451dfcd), for two-player games with a linear
//! pseudo-gradient `F(x) = H x`.
//!
//! Player `i` has curvature `μ_i` (its own Hessian block is ⪰ μ_i Id) and cross-coupling
//! `L_ij = ‖∇_{x_j} ∇_{x_i} f_i‖`. For metric weights `w`, the SGN matrix is
//!
//! ```text
//! C(w) = [[2 w1 μ1, −(w1 L12 + w2 L21)], [−(w1 L12 + w2 L21), 2 w2 μ2]],
//! α*(w) = ½ λ_min(D^(−1/2) C D^(−1/2)),  D = diag(w),
//! ```
//!
//! and `α* > 0` certifies that `F` is α*-strongly monotone in the norm `‖x‖²_M = Σ w_i ‖x_i‖²`.

use nalgebra::{DMatrix, DVector};

/// Block data of a two-player game: curvatures, couplings, block sizes and the Jacobian `H`.
#[derive(Clone, Debug)]
pub struct Game {
    pub mu: [f64; 2],
    /// `[L12, L21]`.
    pub coupling: [f64; 2],
    pub dims: [usize; 2],
    pub h: DMatrix<f64>,
}

/// `λ_min` of a symmetric 2 × 2 matrix `[[p, q], [q, s]]`.
fn sym2_min_eig(p: f64, q: f64, s: f64) -> f64 {
    0.5 * (p + s) - (0.25 * (p - s) * (p - s) + q * q).sqrt()
}

/// The SGN margin `α*` for weights `(1, r)`.
pub fn sgn_margin(g: &Game, r: f64) -> f64 {
    let (w1, w2) = (1.0, r);
    let off = -(w1 * g.coupling[0] + w2 * g.coupling[1]) / (w1 * w2).sqrt();
    0.5 * sym2_min_eig(2.0 * g.mu[0], off, 2.0 * g.mu[1])
}

/// The block metric `M = blockdiag(w1 Id, w2 Id)` as its diagonal, for weights `(1, r)`.
pub fn metric_diag(g: &Game, r: f64) -> DVector<f64> {
    DVector::from_fn(
        g.dims[0] + g.dims[1],
        |i, _| if i < g.dims[0] { 1.0 } else { r },
    )
}

/// `M^(1/2) H M^(−1/2)`: the Jacobian seen in the weighted norm.
pub fn weighted_jacobian(g: &Game, r: f64) -> DMatrix<f64> {
    let m = metric_diag(g, r);
    DMatrix::from_fn(g.h.nrows(), g.h.ncols(), |i, j| {
        g.h[(i, j)] * (m[i] / m[j]).sqrt()
    })
}

fn sym_min_eig(a: &DMatrix<f64>) -> f64 {
    let s = (a + a.transpose()) * 0.5;
    s.symmetric_eigen().eigenvalues.min()
}

/// Euclidean (Rosen) monotonicity constant `γ = λ_min(sym(H))`: monotone iff `γ > 0`.
pub fn euclidean_gamma(g: &Game) -> f64 {
    sym_min_eig(&g.h)
}

/// The true monotonicity constant of `F` in the `M` metric, `λ_min(sym(M^(1/2) H M^(−1/2)))`.
pub fn true_margin(g: &Game, r: f64) -> f64 {
    sym_min_eig(&weighted_jacobian(g, r))
}

/// `β`: the Lipschitz constant of `F` in the `M` norm, `‖M^(1/2) H M^(−1/2)‖₂`.
pub fn lipschitz_m(g: &Game, r: f64) -> f64 {
    let a = weighted_jacobian(g, r);
    (a.transpose() * &a)
        .symmetric_eigen()
        .eigenvalues
        .max()
        .sqrt()
}

/// The certified Euler step `h = 2 α*/β²` and its per-step contraction factor bound at `h`.
pub fn euler_step_bound(alpha: f64, beta: f64) -> f64 {
    2.0 * alpha / (beta * beta)
}

pub fn euler_factor(alpha: f64, beta: f64, h: f64) -> f64 {
    (1.0 - 2.0 * h * alpha + h * h * beta * beta).sqrt()
}

/// RK4's stability polynomial `1 + z + z²/2 + z³/6 + z⁴/24` applied to a matrix.
fn rk4_poly(z: &DMatrix<f64>) -> DMatrix<f64> {
    let n = z.nrows();
    let eye = DMatrix::<f64>::identity(n, n);
    let z2 = z * z;
    let z3 = &z2 * z;
    let z4 = &z3 * z;
    eye + z + z2 * 0.5 + z3 * (1.0 / 6.0) + z4 * (1.0 / 24.0)
}

/// Spectral radius of a general square matrix: eigenvalues from a real Schur form with a bounded
/// number of QR sweeps; if those do not converge (highly repeated eigenvalues can stall them),
/// Gelfand's formula `ρ(A) = lim ‖A^k‖^(1/k)` with `k = 2^40` by repeated squaring.
pub fn spectral_radius(a: &DMatrix<f64>) -> f64 {
    if let Some(schur) = nalgebra::linalg::Schur::try_new(a.clone(), 1e-14, 5_000) {
        return schur
            .complex_eigenvalues()
            .iter()
            .map(|c| c.norm())
            .fold(0.0, f64::max);
    }
    // A^(2^j) = s_j B_j with ‖B_j‖ = 1, so log ρ ≈ log(s_j) / 2^j.
    let mut b = a.clone();
    let mut log_scale = 0.0;
    for _ in 0..40 {
        b = &b * &b;
        let n = b.norm();
        if n == 0.0 {
            return 0.0;
        }
        b /= n;
        log_scale = 2.0 * log_scale + n.ln();
    }
    (log_scale / 2f64.powi(40)).exp()
}

/// Which explicit integrator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Integrator {
    Euler,
    Rk4,
}

/// The largest stable step `h` (spectral radius of the one-step map < 1), by bisection.
pub fn true_step_threshold(g: &Game, method: Integrator) -> f64 {
    let n = g.h.nrows();
    let step_map = |h: f64| -> DMatrix<f64> {
        let z = &g.h * (-h);
        match method {
            Integrator::Euler => DMatrix::<f64>::identity(n, n) + z,
            Integrator::Rk4 => rk4_poly(&z),
        }
    };
    let (mut lo, mut hi) = (0.0, 1.0);
    while spectral_radius(&step_map(hi)) < 1.0 {
        hi *= 2.0;
        if hi > 1e6 {
            return f64::INFINITY;
        }
    }
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if spectral_radius(&step_map(mid)) < 1.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The official code's weight search: maximise `α*/β²` (Euler) or `α*/β` (RK4) over `r` on a
/// log grid of 161 points in [0.1, 1e4]. Returns `(r, α*, β)`; `α* ≤ 0` means no certificate.
pub fn search_weights(g: &Game, method: Integrator) -> (f64, f64, f64) {
    let mut best = (f64::NAN, f64::NEG_INFINITY, f64::NAN, f64::NEG_INFINITY);
    for k in 0..161 {
        let r = 10f64.powf(-1.0 + 5.0 * k as f64 / 160.0);
        let alpha = sgn_margin(g, r);
        let beta = lipschitz_m(g, r);
        let score = match method {
            Integrator::Euler => alpha / (beta * beta),
            Integrator::Rk4 => alpha / beta,
        };
        if score > best.3 {
            best = (r, alpha, beta, score);
        }
    }
    (best.0, best.1, best.2)
}

/// The timescale band: the ratios `r = w2/w1` with `α*(r) > target`, in closed form
/// (the roots of `L21² r² + (2 L12 L21 − 4P) r + L12² = 0`, `P = (μ1 − α)(μ2 − α)`).
/// `None` when no ratio certifies the target.
pub fn timescale_band(g: &Game, target: f64) -> Option<(f64, f64)> {
    let p = (g.mu[0] - target) * (g.mu[1] - target);
    let (l12, l21) = (g.coupling[0], g.coupling[1]);
    if p <= 0.0 {
        return None;
    }
    let disc = p * (p - l12 * l21);
    if disc <= 0.0 {
        return None;
    }
    let c = 2.0 * p - l12 * l21;
    Some((
        (c - 2.0 * disc.sqrt()) / (l21 * l21),
        (c + 2.0 * disc.sqrt()) / (l21 * l21),
    ))
}

/// The 2-D mini-toy of the official code: `f1 = ½ μ x1² + λ a x1 x2`, `f2 = ½ μ x2² + λ b x1 x2`.
pub fn mini_toy(lambda: f64, a: f64, b: f64) -> Game {
    Game {
        mu: [1.0, 1.0],
        coupling: [lambda * a, lambda * b],
        dims: [1, 1],
        h: DMatrix::from_row_slice(2, 2, &[1.0, lambda * a, lambda * b, 1.0]),
    }
}

/// The LQ game: `Q_i = μ0 Id`, couplings `A12 = λ a R`, `A21 = λ b Rᵀ` for an orthogonal `R`
/// (so `L12 = λ a`, `L21 = λ b`).
pub fn lq_game(lambda: f64, a: f64, b: f64, r: &DMatrix<f64>) -> Game {
    let d = r.nrows();
    let mut h = DMatrix::<f64>::identity(2 * d, 2 * d);
    h.view_mut((0, d), (d, d)).copy_from(&(r * (lambda * a)));
    h.view_mut((d, 0), (d, d))
        .copy_from(&(r.transpose() * (lambda * b)));
    Game {
        mu: [1.0, 1.0],
        coupling: [lambda * a, lambda * b],
        dims: [d, d],
        h,
    }
}

/// A random orthogonal matrix: QR of a Gaussian matrix with the signs of `diag(R)` made positive
/// (so the factor is unique).
pub fn random_orthogonal(d: usize, rng: &mut harness::rng::Rng) -> DMatrix<f64> {
    let g = DMatrix::from_fn(d, d, |_, _| rng.normal());
    let qr = g.qr();
    let (mut q, r) = (qr.q(), qr.r());
    for j in 0..d {
        if r[(j, j)] < 0.0 {
            let mut col = q.column_mut(j);
            col *= -1.0;
        }
    }
    q
}

/// `‖x‖_M` for weights `(1, r)` on blocks of sizes `dims`.
pub fn m_norm(x: &DVector<f64>, dims: [usize; 2], r: f64) -> f64 {
    x.iter()
        .enumerate()
        .map(|(i, v)| if i < dims[0] { v * v } else { r * v * v })
        .sum::<f64>()
        .sqrt()
}
