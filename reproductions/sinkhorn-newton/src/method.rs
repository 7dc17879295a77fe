//! Sinkhorn-Newton-Sparse (Tang et al., ICLR 2024, Algorithm 1), written from the paper's
//! description and the card `papers/sinkhorn-newton.md`.
//!
//! The dual potential `f(x, y)` (see [`kernels::ot`]) is concave with gradient
//! `g = (r - P 1, c - P^T 1)` and Hessian `-M`, where
//!
//! ```text
//! M = eta * [[diag(P 1), P], [P^T, diag(P^T 1)]]
//! ```
//!
//! is symmetric, diagonally dominant (each diagonal entry equals its row's off-diagonal sum)
//! and hence positive semi-definite, with null vector `(1_n, -1_m)`. SNS runs `N1` Sinkhorn
//! iterations, then Newton steps `z <- z + a d` with `M_s d = g`, where `M_s` keeps the diagonal
//! of `M` and its off-diagonal entries at or above a threshold `rho` chosen so that at most
//! `ceil(lambda (n + m)^2)` entries survive. Dropping off-diagonal entries keeps `M_s`
//! diagonally dominant, so conjugate gradients are well defined; `d` is an *ascent* direction
//! of the concave `f` (the sign that a third-party version gets wrong, see the chapter).

use kernels::ot::{LogSinkhorn, Marginals, l1_diff};
use kernels::sparse::{Csr, conjugate_gradient};

/// Settings of one SNS run (defaults: the paper's random-assignment row and the card).
#[derive(Clone, Debug)]
pub struct SnsConfig {
    /// Sinkhorn warm-up iterations `N1`.
    pub warmup: usize,
    /// Target sparsity `lambda = lambda_times_n / n`.
    pub lambda_times_n: f64,
    pub cg_rel_tol: f64,
    /// CG iteration cap; `None` means `10 (n + m)`, enough for CG to reach `cg_rel_tol`
    /// (the card's miniature proposed 200, which truncates the solve: see the chapter).
    pub cg_max_iter: Option<usize>,
    /// Armijo constant: accept `a` when `f(z + a d) - f(z) >= c a <g, d>`.
    pub armijo_c: f64,
    pub max_halvings: usize,
    pub max_newton: usize,
    /// Stop when `||P 1 - r||_1 + ||P^T 1 - c||_1 <= target`.
    pub target: f64,
}

impl Default for SnsConfig {
    fn default() -> Self {
        Self {
            warmup: 20,
            lambda_times_n: 2.0,
            cg_rel_tol: 1e-12,
            cg_max_iter: None,
            armijo_c: 1e-4,
            max_halvings: 60,
            max_newton: 200,
            target: 1e-10,
        }
    }
}

/// The history of one solve. `errors[k]` is the marginal error after `k` iterations.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub errors: Vec<f64>,
    pub sinkhorn_iters: usize,
    pub newton_iters: usize,
    pub converged: bool,
    /// CG iterations, accepted step length and kept entries of `M_s`, per Newton step.
    pub cg_iters: Vec<usize>,
    pub steps: Vec<f64>,
    pub kept: Vec<usize>,
    /// Why the run stopped early, if it did (line search failure, non-finite values).
    pub stalled: Option<String>,
}

impl Trace {
    pub fn total_iters(&self) -> usize {
        self.sinkhorn_iters + self.newton_iters
    }
    pub fn final_error(&self) -> f64 {
        self.errors.last().copied().unwrap_or(f64::NAN)
    }
}

/// Dense `M = -Hessian of f` at `(x, y)` (the matrix of the module docs, unsparsified).
pub fn dense_newton_matrix(pb: &LogSinkhorn, x: &[f64], y: &[f64]) -> Vec<Vec<f64>> {
    let (n, m, eta) = (pb.n(), pb.m(), pb.eta());
    let p = pb.plan(x, y);
    let marg = pb.marginals_of(&p);
    let mut a = vec![vec![0.0; n + m]; n + m];
    for i in 0..n {
        a[i][i] = eta * marg.rows[i];
        for j in 0..m {
            a[i][n + j] = eta * p[i * m + j];
            a[n + j][i] = eta * p[i * m + j];
        }
    }
    for j in 0..m {
        a[n + j][n + j] = eta * marg.cols[j];
    }
    a
}

/// The full marginal error at `(x, y)` (forms the plan: `n m` exponentials).
pub fn marginal_error(pb: &LogSinkhorn, x: &[f64], y: &[f64]) -> f64 {
    pb.marginal_error(&pb.marginals_of(&pb.plan(x, y)))
}

/// Plain log-domain Sinkhorn from `(x, y)` until the marginal error is at most `target` or
/// `max_iter` iterations have run. `on_iter` is called after every iteration (progress).
///
/// The stopping test is free: the row half-step returns the row sums of the current iterate,
/// whose columns are exact after the previous column half-step. `errors[0]` and the last entry
/// are full errors (rows and columns) computed from the plan.
pub fn sinkhorn(
    pb: &LogSinkhorn,
    x: &mut [f64],
    y: &mut [f64],
    target: f64,
    max_iter: usize,
    mut on_iter: impl FnMut(usize),
) -> Trace {
    let mut trace = Trace {
        errors: vec![marginal_error(pb, x, y)],
        ..Trace::default()
    };
    let mut k = 0;
    let mut pending = false; // is errors[k] a placeholder?
    while trace.errors[0] > target && k < max_iter {
        let x_prev = x.to_vec();
        let rows = pb.update_x(x, y);
        if k > 0 {
            let e = l1_diff(&rows, pb.r());
            trace.errors[k] = e;
            pending = false;
            if !e.is_finite() {
                trace.stalled = Some(format!("marginal error became {e} at iteration {k}"));
                break;
            }
            if e <= target {
                x.copy_from_slice(&x_prev);
                break;
            }
        }
        pb.update_y(x, y);
        k += 1;
        trace.errors.push(f64::NAN);
        pending = true;
        on_iter(k);
    }
    trace.sinkhorn_iters = k;
    if pending || k == 0 {
        trace.errors[k] = marginal_error(pb, x, y);
    }
    trace.converged = trace.errors[k] <= target;
    trace
}

/// Plain Sinkhorn on the GPU ([`kernels::cuda::CudaSinkhorn`]) from zero potentials, with the
/// stopping rule of [`sinkhorn`]: the error of iterate `k` is the l1 row residual read back after
/// the next row step (columns are exact after a column step). Only the trace is returned; the
/// baseline's potentials are not needed.
pub fn sinkhorn_cuda(
    pb: &LogSinkhorn,
    target: f64,
    max_iter: usize,
    mut on_iter: impl FnMut(usize),
) -> Result<Trace, kernels::cuda::CudaError> {
    let (x, y) = (vec![0.0; pb.n()], vec![0.0; pb.m()]);
    let mut trace = Trace {
        errors: vec![marginal_error(pb, &x, &y)],
        ..Trace::default()
    };
    let mut gpu = kernels::cuda::CudaSinkhorn::new(pb, &x, &y)?;
    let mut k = 0;
    while trace.errors[k] > target && k < max_iter {
        gpu.iterate(1)?;
        if k > 0 {
            let e = l1_diff(&gpu.last_row_sums()?, pb.r());
            trace.errors[k] = e;
            if !e.is_finite() {
                trace.stalled = Some(format!("marginal error became {e} at iteration {k}"));
                break;
            }
            if e <= target {
                break;
            }
        }
        k += 1;
        trace.errors.push(f64::NAN);
        on_iter(k);
    }
    if trace.errors[k].is_nan() {
        // The last iterate's error needs one more row step: read it from a plan instead.
        let (gx, gy) = gpu.potentials()?;
        trace.errors[k] = marginal_error(pb, &gx, &gy);
    }
    trace.sinkhorn_iters = k;
    trace.converged = trace.errors[k] <= target;
    Ok(trace)
}

/// The Newton matrix `M` thresholded to at most `ceil(lambda (n + m)^2)` entries (diagonal
/// always kept), as CSR on `n + m` unknowns.
pub struct SparseNewton {
    pub matrix: Csr,
    /// The threshold `rho`: off-diagonal entries below it were dropped.
    pub threshold: f64,
    /// Entries allowed: `ceil(lambda (n + m)^2)`.
    pub budget: usize,
}

/// Entries of `M` with their magnitudes: diagonal `eta * rows_i`, `eta * cols_j`, and every
/// off-diagonal `eta * P_ij` twice (symmetric pair).
fn all_entries(pb: &LogSinkhorn, p: &[f64], marg: &Marginals) -> Vec<f64> {
    let eta = pb.eta();
    let mut v = Vec::with_capacity(pb.n() + pb.m() + 2 * p.len());
    v.extend(marg.rows.iter().chain(&marg.cols).map(|s| eta * s));
    for &pij in p {
        v.push(eta * pij);
        v.push(eta * pij);
    }
    v
}

/// The `k`-th largest value of `v` (1-based), by selection in linear time.
fn kth_largest(v: &mut [f64], k: usize) -> f64 {
    let k = k.clamp(1, v.len());
    let idx = v.len() - k;
    *v.select_nth_unstable_by(idx, f64::total_cmp).1
}

/// Sparsifies `M` at `(x, y)` with budget `ceil(lambda (n + m)^2)`.
pub fn sparsify(pb: &LogSinkhorn, p: &[f64], marg: &Marginals, lambda: f64) -> SparseNewton {
    let (n, m, eta) = (pb.n(), pb.m(), pb.eta());
    let size = n + m;
    let budget = (lambda * (size * size) as f64).ceil() as usize;
    let mut entries = all_entries(pb, p, marg);
    let threshold = kth_largest(&mut entries, budget);
    let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new(); size];
    for (k, (row, s)) in rows
        .iter_mut()
        .zip(marg.rows.iter().chain(&marg.cols))
        .enumerate()
    {
        row.push((k, eta * s));
    }
    for i in 0..n {
        for j in 0..m {
            let v = eta * p[i * m + j];
            if v >= threshold && v > 0.0 {
                rows[i].push((n + j, v));
                rows[n + j].push((i, v));
            }
        }
    }
    SparseNewton {
        matrix: Csr::from_rows(rows),
        threshold,
        budget,
    }
}

/// Fraction of the l1 mass of `M` carried by its `ceil(lambda (n + m)^2)` largest entries
/// (claim S2: the Hessian is approximately sparse).
pub fn top_mass_fraction(pb: &LogSinkhorn, p: &[f64], marg: &Marginals, lambda: f64) -> f64 {
    let size = pb.n() + pb.m();
    let budget = (lambda * (size * size) as f64).ceil() as usize;
    let mut entries = all_entries(pb, p, marg);
    let total: f64 = entries.iter().sum();
    let idx = entries.len().saturating_sub(budget);
    entries.select_nth_unstable_by(idx, f64::total_cmp);
    let top: f64 = entries[idx..].iter().sum();
    top / total
}

/// SNS from `(x, y)`: warm-up Sinkhorn, then sparse Newton steps with Armijo backtracking.
/// `errors` counts both stages, so `errors.len() - 1 == total_iters()`.
pub fn sns(
    pb: &LogSinkhorn,
    x: &mut [f64],
    y: &mut [f64],
    cfg: &SnsConfig,
    mut on_iter: impl FnMut(usize),
) -> Trace {
    let mut trace = sinkhorn(pb, x, y, cfg.target, cfg.warmup, &mut on_iter);
    if trace.converged || trace.stalled.is_some() {
        return trace;
    }
    let n = pb.n();
    let lambda = cfg.lambda_times_n / n as f64;
    for t in 0..cfg.max_newton {
        let p = pb.plan(x, y);
        let marg = pb.marginals_of(&p);
        let err = pb.marginal_error(&marg);
        *trace.errors.last_mut().expect("non-empty") = err;
        if !err.is_finite() {
            trace.stalled = Some(format!("marginal error became {err} at Newton step {t}"));
            break;
        }
        if err <= cfg.target {
            trace.converged = true;
            break;
        }
        let grad = pb.gradient(&marg);
        let sparse = sparsify(pb, &p, &marg, lambda);
        let cg_cap = cfg.cg_max_iter.unwrap_or(10 * (n + pb.m()));
        let cg = conjugate_gradient(&sparse.matrix, &grad, cfg.cg_rel_tol, cg_cap);
        let (dx, dy) = cg.x.split_at(n);
        let slope: f64 = grad.iter().zip(&cg.x).map(|(g, d)| g * d).sum();
        if slope <= 0.0 || !slope.is_finite() {
            trace.stalled = Some(format!(
                "no ascent direction at Newton step {t} (slope {slope:e})"
            ));
            break;
        }
        let mut a = 1.0;
        let mut accepted = false;
        for _ in 0..=cfg.max_halvings {
            let gain = pb.potential_gain(&p, &marg, dx, dy, a);
            if gain >= cfg.armijo_c * a * slope {
                accepted = true;
                break;
            }
            a *= 0.5;
        }
        if !accepted {
            trace.stalled = Some(format!("line search failed at Newton step {t}"));
            break;
        }
        for (xi, d) in x.iter_mut().zip(dx) {
            *xi += a * d;
        }
        for (yj, d) in y.iter_mut().zip(dy) {
            *yj += a * d;
        }
        trace.newton_iters += 1;
        trace.cg_iters.push(cg.iterations);
        trace.steps.push(a);
        trace.kept.push(sparse.matrix.nnz());
        trace.errors.push(f64::NAN); // filled at the top of the next step
        on_iter(trace.total_iters());
    }
    if trace.errors.last().is_some_and(|e| e.is_nan()) {
        let e = marginal_error(pb, x, y);
        *trace.errors.last_mut().expect("non-empty") = e;
        trace.converged = e <= cfg.target;
    }
    trace
}
