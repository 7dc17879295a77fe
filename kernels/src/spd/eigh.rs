//! Symmetric eigendecomposition, two ways.
//!
//! * [`eigh`] — Householder tridiagonalisation `A = Q T Qᵀ`, then the implicit QL iteration with
//!   Wilkinson-type shifts on `T`, accumulating the rotations into `Q` (the EISPACK `tred2` /
//!   `tql2` pair, written here for row-major slices). About `(4/3 + 6) n³` flops against
//!   Jacobi's ≈ `6 n³` per sweep times 6–10 sweeps: the path every reproduction uses. LAPACK's
//!   `dsyev`, which NumPy and therefore pyRiemann call, is the same family.
//! * [`eigh_jacobi`] — cyclic Jacobi, the algorithm of the CUDA kernel (`kernels/cuda/spd.cu`),
//!   kept as its line-by-line CPU twin and as an independent check of [`eigh`].
//!
//! Both return eigenvalues in ascending order and eigenvectors as columns; on a non-finite input
//! every value is NaN (no iteration can converge on it, and callers test the output).

use super::{Eigh, identity};

/// Jacobi sweeps stop when the off-diagonal mass is below this fraction of the matrix norm.
const JACOBI_TOL: f64 = 1e-15;
const MAX_SWEEPS: usize = 60;
/// QL iterations allowed per eigenvalue (LAPACK allows 30; convergence is cubic).
const MAX_QL: usize = 60;

/// The symmetrised copy `(A + Aᵀ)/2`, or `None` if an entry is not finite.
fn symmetrised(a: &[f64], n: usize) -> Option<Vec<f64>> {
    assert_eq!(a.len(), n * n, "matrix is not n × n");
    a.iter().all(|x| x.is_finite()).then(|| {
        (0..n * n)
            .map(|k| {
                let (i, j) = (k / n, k % n);
                0.5 * (a[i * n + j] + a[j * n + i])
            })
            .collect()
    })
}

fn all_nan(n: usize) -> Eigh {
    Eigh {
        n,
        values: vec![f64::NAN; n],
        vectors: vec![f64::NAN; n * n],
    }
}

/// Eigendecomposition of the symmetric `a` by tridiagonalisation and implicit QL (the upper and
/// lower triangles are averaged first).
pub fn eigh(a: &[f64], n: usize) -> Eigh {
    let Some(mut v) = symmetrised(a, n) else {
        return all_nan(n);
    };
    if n == 0 {
        return Eigh {
            n,
            values: vec![],
            vectors: vec![],
        };
    }
    let (mut d, mut e) = (vec![0.0; n], vec![0.0; n]);
    tridiagonalise(&mut v, &mut d, &mut e, n, true);
    // Rows of `w` are the columns of `v`, so the QL rotations touch contiguous memory.
    let mut w = super::transpose(&v, n);
    if !implicit_ql(&mut d, &mut e, Some(&mut w), n) {
        return all_nan(n);
    }
    sorted(n, &d, |new_row, old| w[old * n + new_row])
}

/// The eigenvalues of the symmetric `a`, ascending, without the eigenvectors (a quarter of the
/// work of [`eigh`]; what distances need).
pub fn eigvalsh(a: &[f64], n: usize) -> Vec<f64> {
    let Some(mut v) = symmetrised(a, n) else {
        return vec![f64::NAN; n];
    };
    if n == 0 {
        return vec![];
    }
    let (mut d, mut e) = (vec![0.0; n], vec![0.0; n]);
    tridiagonalise(&mut v, &mut d, &mut e, n, false);
    if !implicit_ql(&mut d, &mut e, None, n) {
        return vec![f64::NAN; n];
    }
    d.sort_by(f64::total_cmp);
    d
}

/// Householder reduction of the symmetric `v` (overwritten by the orthogonal `Q`) to the
/// tridiagonal `T` with diagonal `d` and sub-diagonal `e[1..]`; `Q` is formed only if `vectors`.
fn tridiagonalise(v: &mut [f64], d: &mut [f64], e: &mut [f64], n: usize, vectors: bool) {
    let at = |i: usize, j: usize| i * n + j;
    d.copy_from_slice(&v[at(n - 1, 0)..at(n - 1, 0) + n]);
    for i in (1..n).rev() {
        let scale: f64 = d[..i].iter().map(|x| x.abs()).sum();
        let mut h = 0.0;
        if scale == 0.0 {
            e[i] = d[i - 1];
            for j in 0..i {
                d[j] = v[at(i - 1, j)];
                v[at(i, j)] = 0.0;
                v[at(j, i)] = 0.0;
            }
        } else {
            for x in &mut d[..i] {
                *x /= scale;
                h += *x * *x;
            }
            let f = d[i - 1];
            let g = if f > 0.0 { -h.sqrt() } else { h.sqrt() };
            e[i] = scale * g;
            h -= f * g;
            d[i - 1] = f - g;
            e[..i].fill(0.0);
            for j in 0..i {
                let f = d[j];
                v[at(j, i)] = f;
                let mut g = e[j] + v[at(j, j)] * f;
                for k in j + 1..i {
                    g += v[at(k, j)] * d[k];
                    e[k] += v[at(k, j)] * f;
                }
                e[j] = g;
            }
            let mut f = 0.0;
            for j in 0..i {
                e[j] /= h;
                f += e[j] * d[j];
            }
            let hh = f / (h + h);
            for j in 0..i {
                e[j] -= hh * d[j];
            }
            for j in 0..i {
                let (f, g) = (d[j], e[j]);
                for k in j..i {
                    v[at(k, j)] -= f * e[k] + g * d[k];
                }
                d[j] = v[at(i - 1, j)];
                v[at(i, j)] = 0.0;
            }
        }
        d[i] = h;
    }
    if vectors {
        accumulate(v, d, n);
    } else {
        (0..n).for_each(|j| d[j] = v[at(j, j)]);
    }
    e[0] = 0.0;
}

/// Forms `Q` from the stored Householder vectors; leaves the diagonal of `T` in `d`.
fn accumulate(v: &mut [f64], d: &mut [f64], n: usize) {
    let at = |i: usize, j: usize| i * n + j;
    for i in 0..n - 1 {
        v[at(n - 1, i)] = v[at(i, i)];
        v[at(i, i)] = 1.0;
        let h = d[i + 1];
        if h != 0.0 {
            for k in 0..=i {
                d[k] = v[at(k, i + 1)] / h;
            }
            for j in 0..=i {
                let g: f64 = (0..=i).map(|k| v[at(k, i + 1)] * v[at(k, j)]).sum();
                for k in 0..=i {
                    v[at(k, j)] -= g * d[k];
                }
            }
        }
        for k in 0..=i {
            v[at(k, i + 1)] = 0.0;
        }
    }
    for j in 0..n {
        d[j] = v[at(n - 1, j)];
        v[at(n - 1, j)] = 0.0;
    }
    v[at(n - 1, n - 1)] = 1.0;
}

/// Implicit QL on the tridiagonal (`d`, `e[1..]`), rotating the rows of `w` (= `Qᵀ`) if given.
/// Leaves the eigenvalues in `d` (unsorted); false if an eigenvalue did not converge.
fn implicit_ql(d: &mut [f64], e: &mut [f64], mut w: Option<&mut [f64]>, n: usize) -> bool {
    e.copy_within(1..n, 0);
    e[n - 1] = 0.0;
    let (mut f, mut tst1) = (0.0f64, 0.0f64);
    for l in 0..n {
        tst1 = tst1.max(d[l].abs() + e[l].abs());
        let m = (l..n)
            .find(|&m| e[m].abs() <= f64::EPSILON * tst1)
            .unwrap_or(n - 1);
        let mut iterations = 0;
        while m > l && e[l].abs() > f64::EPSILON * tst1 {
            iterations += 1;
            if iterations > MAX_QL {
                return false;
            }
            let g = d[l];
            let p = (d[l + 1] - g) / (2.0 * e[l]);
            let r = hypot(p, 1.0).copysign(p);
            d[l] = e[l] / (p + r);
            d[l + 1] = e[l] * (p + r);
            let dl1 = d[l + 1];
            let h = g - d[l];
            d[l + 2..].iter_mut().for_each(|x| *x -= h);
            f += h;
            let mut p = d[m];
            let (mut c, mut c2, mut c3) = (1.0, 1.0, 1.0);
            let el1 = e[l + 1];
            let (mut s, mut s2) = (0.0, 0.0);
            for i in (l..m).rev() {
                c3 = c2;
                c2 = c;
                s2 = s;
                let g = c * e[i];
                let h = c * p;
                let r = hypot(p, e[i]);
                e[i + 1] = s * r;
                s = e[i] / r;
                c = p / r;
                p = c * d[i] - s * g;
                d[i + 1] = h + s * (c * g + s * d[i]);
                if let Some(w) = w.as_deref_mut() {
                    let (lo, hi) = w.split_at_mut((i + 1) * n);
                    let (wi, wi1) = (&mut lo[i * n..], &mut hi[..n]);
                    for (a, b) in wi.iter_mut().zip(wi1.iter_mut()) {
                        let h = *b;
                        *b = s * *a + c * h;
                        *a = c * *a - s * h;
                    }
                }
            }
            p = -s * s2 * c3 * el1 * e[l] / dl1;
            e[l] = s * p;
            d[l] = c * p;
        }
        d[l] += f;
        e[l] = 0.0;
    }
    true
}

/// `√(x² + y²)`, directly where that neither overflows nor underflows (libm's `hypot` took a
/// fifth of the run time of a whole reproduction), else by libm.
fn hypot(x: f64, y: f64) -> f64 {
    let r = (x * x + y * y).sqrt();
    if r.is_finite() && r > 1e-150 {
        r
    } else {
        x.hypot(y)
    }
}

/// Values in ascending order, with `vector(row, old)` the `row` entry of the eigenvector that
/// belongs to `values[old]`.
fn sorted(n: usize, values: &[f64], vector: impl Fn(usize, usize) -> f64) -> Eigh {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut vectors = vec![0.0; n * n];
    for (new, &old) in order.iter().enumerate() {
        for r in 0..n {
            vectors[r * n + new] = vector(r, old);
        }
    }
    Eigh {
        n,
        values: order.iter().map(|&i| values[i]).collect(),
        vectors,
    }
}

/// Eigendecomposition of the symmetric `a` by cyclic Jacobi, the CUDA kernel's algorithm.
pub fn eigh_jacobi(a: &[f64], n: usize) -> Eigh {
    let Some(mut m) = symmetrised(a, n) else {
        return all_nan(n);
    };
    let mut v = identity(n);
    let norm2: f64 = m.iter().map(|x| x * x).sum();
    for _ in 0..MAX_SWEEPS {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum();
        if off <= JACOBI_TOL * JACOBI_TOL * norm2 || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                rotate(&mut m, &mut v, n, p, q, c, s);
            }
        }
    }
    let diagonal: Vec<f64> = (0..n).map(|i| m[i * n + i]).collect();
    sorted(n, &diagonal, |r, old| v[r * n + old])
}

/// `m ← Jᵀ m J` and `v ← v J` for the rotation in the (p, q) plane that zeroes `m[p][q]`.
fn rotate(m: &mut [f64], v: &mut [f64], n: usize, p: usize, q: usize, c: f64, s: f64) {
    for k in 0..n {
        let (kp, kq) = (m[k * n + p], m[k * n + q]);
        m[k * n + p] = c * kp - s * kq;
        m[k * n + q] = s * kp + c * kq;
    }
    for k in 0..n {
        let (pk, qk) = (m[p * n + k], m[q * n + k]);
        m[p * n + k] = c * pk - s * qk;
        m[q * n + k] = s * pk + c * qk;
    }
    for k in 0..n {
        let (kp, kq) = (v[k * n + p], v[k * n + q]);
        v[k * n + p] = c * kp - s * kq;
        v[k * n + q] = s * kp + c * kq;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spd::{matmul, transpose};

    fn random_symmetric(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = crate::rng::Rng::new(seed);
        let g: Vec<f64> = (0..n * n).map(|_| rng.uniform() - 0.5).collect();
        crate::spd::sym(&g, n)
    }

    fn check(a: &[f64], n: usize, e: &Eigh, tol: f64) {
        let scale = a.iter().fold(1.0f64, |m, x| m.max(x.abs()));
        let back = e.apply(|l| l);
        let err = back
            .iter()
            .zip(a)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(err <= tol * scale, "n = {n}: reconstruction error {err}");
        let vtv = matmul(&transpose(&e.vectors, n), &e.vectors, n);
        let orth = vtv
            .iter()
            .zip(identity(n))
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(orth <= tol, "n = {n}: orthogonality error {orth}");
        assert!(
            e.values.windows(2).all(|w| w[0] <= w[1]),
            "n = {n}: unsorted"
        );
    }

    #[test]
    fn ql_and_jacobi_agree_on_indefinite_matrices() {
        for n in [1, 2, 3, 7, 18, 40, 64] {
            let a = random_symmetric(n, 11 + n as u64);
            let (ql, jac) = (eigh(&a, n), eigh_jacobi(&a, n));
            check(&a, n, &ql, 1e-13);
            check(&a, n, &jac, 1e-13);
            let gap = ql
                .values
                .iter()
                .zip(&jac.values)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f64::max);
            assert!(gap < 1e-13, "n = {n}: eigenvalues differ by {gap}");
            let only = eigvalsh(&a, n);
            let gap = only
                .iter()
                .zip(&ql.values)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f64::max);
            assert!(gap < 1e-13, "n = {n}: eigvalsh differs by {gap}");
        }
    }

    #[test]
    fn structured_inputs_decompose() {
        // Already tridiagonal, already diagonal with ties, rank one, and a graded matrix.
        let n = 9;
        let mut tri = vec![0.0; n * n];
        for i in 0..n {
            tri[i * n + i] = 2.0;
            if i + 1 < n {
                tri[i * n + i + 1] = -1.0;
                tri[(i + 1) * n + i] = -1.0;
            }
        }
        let e = eigh(&tri, n);
        check(&tri, n, &e, 1e-14);
        // The path Laplacian's spectrum is 2 − 2cos(kπ/(n+1)).
        for (k, l) in e.values.iter().enumerate() {
            let exact = 2.0 - 2.0 * (std::f64::consts::PI * (k + 1) as f64 / (n + 1) as f64).cos();
            assert!((l - exact).abs() < 1e-14, "k = {k}: {l} vs {exact}");
        }
        let mut diag = identity(n);
        diag[0] = 5.0;
        diag[4 * n + 4] = 5.0;
        let e = eigh(&diag, n);
        assert_eq!(e.values[..7], [1.0; 7]);
        assert_eq!(e.values[7..], [5.0; 2]);
        let u: Vec<f64> = (0..n).map(|i| i as f64 - 3.0).collect();
        let rank1: Vec<f64> = (0..n * n).map(|k| u[k / n] * u[k % n]).collect();
        check(&rank1, n, &eigh(&rank1, n), 1e-13);
        let graded: Vec<f64> = (0..n * n)
            .map(|k| 10f64.powi(-((k / n + k % n) as i32)))
            .collect();
        check(&graded, n, &eigh(&graded, n), 1e-13);
    }

    #[test]
    fn non_finite_input_gives_nan_not_a_hang() {
        let mut a = identity(4);
        a[5] = f64::NAN;
        assert!(eigh(&a, 4).values.iter().all(|v| v.is_nan()));
        a[5] = f64::INFINITY;
        assert!(eigh_jacobi(&a, 4).values.iter().all(|v| v.is_nan()));
        assert!(eigh(&[], 0).values.is_empty());
    }
}
