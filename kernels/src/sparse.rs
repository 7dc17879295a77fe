//! Sparse symmetric matrices in CSR form and the conjugate-gradient solver.

use rayon::prelude::*;

/// A square matrix in compressed sparse row form.
#[derive(Clone, Debug, PartialEq)]
pub struct Csr {
    pub n: usize,
    /// `row_ptr[i]..row_ptr[i + 1]` indexes row `i`'s entries.
    pub row_ptr: Vec<usize>,
    pub col: Vec<usize>,
    pub val: Vec<f64>,
}

impl Csr {
    /// Builds from per-row `(column, value)` lists; columns are sorted within each row.
    pub fn from_rows(rows: Vec<Vec<(usize, f64)>>) -> Self {
        let n = rows.len();
        let mut row_ptr = Vec::with_capacity(n + 1);
        let nnz = rows.iter().map(Vec::len).sum();
        let mut col = Vec::with_capacity(nnz);
        let mut val = Vec::with_capacity(nnz);
        row_ptr.push(0);
        for mut row in rows {
            row.sort_by_key(|&(j, _)| j);
            for (j, v) in row {
                assert!(j < n, "column {j} out of range for a {n} x {n} matrix");
                col.push(j);
                val.push(v);
            }
            row_ptr.push(col.len());
        }
        Self {
            n,
            row_ptr,
            col,
            val,
        }
    }

    pub fn nnz(&self) -> usize {
        self.val.len()
    }

    /// `y = A x`.
    pub fn mul_vec(&self, x: &[f64], y: &mut [f64]) {
        y.par_iter_mut()
            .with_min_len(256)
            .enumerate()
            .for_each(|(i, yi)| {
                let (a, b) = (self.row_ptr[i], self.row_ptr[i + 1]);
                *yi = self.col[a..b]
                    .iter()
                    .zip(&self.val[a..b])
                    .map(|(&j, &v)| v * x[j])
                    .sum();
            });
    }
}

/// Outcome of [`conjugate_gradient`].
#[derive(Clone, Debug, PartialEq)]
pub struct CgResult {
    pub x: Vec<f64>,
    pub iterations: usize,
    /// Final `||b - A x|| / ||b||` (the recurrence residual).
    pub relative_residual: f64,
    pub converged: bool,
}

/// Conjugate gradients for a symmetric positive semi-definite `a` from `x = 0`, stopping at
/// `||r|| <= rel_tol ||b||` or after `max_iter` iterations. A consistent singular system
/// (b orthogonal to the null space) converges to the minimum-norm solution in exact arithmetic.
pub fn conjugate_gradient(a: &Csr, b: &[f64], rel_tol: f64, max_iter: usize) -> CgResult {
    let n = a.n;
    assert_eq!(b.len(), n, "right-hand side has the wrong length");
    let mut x = vec![0.0; n];
    let mut r = b.to_vec();
    let mut p = r.clone();
    let mut ap = vec![0.0; n];
    let b_norm = norm(b);
    if b_norm == 0.0 {
        return CgResult {
            x,
            iterations: 0,
            relative_residual: 0.0,
            converged: true,
        };
    }
    let mut rr = dot(&r, &r);
    let mut iterations = 0;
    while iterations < max_iter && rr.sqrt() > rel_tol * b_norm {
        a.mul_vec(&p, &mut ap);
        let pap = dot(&p, &ap);
        if pap <= 0.0 || !pap.is_finite() {
            break; // p lies in the null space (or the matrix is not PSD): no further progress.
        }
        let alpha = rr / pap;
        for i in 0..n {
            x[i] += alpha * p[i];
            r[i] -= alpha * ap[i];
        }
        let rr_new = dot(&r, &r);
        let beta = rr_new / rr;
        for i in 0..n {
            p[i] = r[i] + beta * p[i];
        }
        rr = rr_new;
        iterations += 1;
    }
    let relative_residual = rr.sqrt() / b_norm;
    CgResult {
        x,
        iterations,
        relative_residual,
        converged: relative_residual <= rel_tol,
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(u, v)| u * v).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1-D Laplacian plus a diagonal shift: SPD, tridiagonal.
    fn laplacian(n: usize, shift: f64) -> Csr {
        Csr::from_rows(
            (0..n)
                .map(|i| {
                    let mut row = vec![(i, 2.0 + shift)];
                    if i > 0 {
                        row.push((i - 1, -1.0));
                    }
                    if i + 1 < n {
                        row.push((i + 1, -1.0));
                    }
                    row
                })
                .collect(),
        )
    }

    #[test]
    fn cg_solves_an_spd_system() {
        let a = laplacian(50, 0.1);
        let x_true: Vec<f64> = (0..50).map(|i| (i as f64 * 0.3).cos()).collect();
        let mut b = vec![0.0; 50];
        a.mul_vec(&x_true, &mut b);
        let res = conjugate_gradient(&a, &b, 1e-13, 500);
        assert!(res.converged);
        let err: f64 = res
            .x
            .iter()
            .zip(&x_true)
            .map(|(u, v)| (u - v).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-10, "max error {err}");
    }

    #[test]
    fn cg_handles_a_consistent_singular_system() {
        // Pure Laplacian with Neumann ends: null space = constants.
        let n = 20;
        let a = Csr::from_rows(
            (0..n)
                .map(|i| {
                    let mut row = vec![];
                    let mut d = 0.0;
                    if i > 0 {
                        row.push((i - 1, -1.0));
                        d += 1.0;
                    }
                    if i + 1 < n {
                        row.push((i + 1, -1.0));
                        d += 1.0;
                    }
                    row.push((i, d));
                    row
                })
                .collect(),
        );
        let mut b: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
        let mean = b.iter().sum::<f64>() / n as f64;
        b.iter_mut().for_each(|v| *v -= mean);
        let res = conjugate_gradient(&a, &b, 1e-12, 200);
        assert!(res.converged, "residual {}", res.relative_residual);
        let mut ax = vec![0.0; n];
        a.mul_vec(&res.x, &mut ax);
        let resid: f64 = ax.iter().zip(&b).map(|(u, v)| (u - v).abs()).sum();
        assert!(resid < 1e-10);
    }
}
