//! Small symmetric and SPD matrices, one at a time or in batches: eigendecomposition, matrix
//! functions with their Daleckii–Krein backward, the Lyapunov solve, and the Bures–Wasserstein
//! and affine-invariant (AIRM) geometries. One long file because the geometries share the
//! eigendecomposition and its divided differences; each function is short.
//!
//! Matrices are `f64`, row-major `n × n` slices; a batch is `batch · n · n` values. The
//! eigendecomposition (`eigh.rs`) is Householder tridiagonalisation + implicit QL, the LAPACK
//! family NumPy and pyRiemann use; cyclic Jacobi, the CUDA kernel's algorithm
//! (`kernels/cuda/spd.cu`), is kept beside it as [`eigh_jacobi`]. Batches run in parallel with
//! rayon. Formulas follow pyRiemann (checked against it by `kernels/tests/spd_pyriemann.rs`).

mod eigh;

pub use eigh::{eigh, eigh_jacobi, eigvalsh};
use rayon::prelude::*;

/// Eigenvalues in ascending order and the eigenvectors as the columns of a row-major matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Eigh {
    pub n: usize,
    pub values: Vec<f64>,
    pub vectors: Vec<f64>,
}

pub fn identity(n: usize) -> Vec<f64> {
    let mut m = vec![0.0; n * n];
    (0..n).for_each(|i| m[i * n + i] = 1.0);
    m
}

/// `a b` for n × n matrices.
pub fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let aik = a[i * n + k];
            for j in 0..n {
                c[i * n + j] += aik * b[k * n + j];
            }
        }
    }
    c
}

pub fn transpose(a: &[f64], n: usize) -> Vec<f64> {
    (0..n * n).map(|k| a[(k % n) * n + k / n]).collect()
}

/// `(a + aᵀ)/2`.
pub fn sym(a: &[f64], n: usize) -> Vec<f64> {
    (0..n * n)
        .map(|k| 0.5 * (a[k] + a[(k % n) * n + k / n]))
        .collect()
}

pub fn trace(a: &[f64], n: usize) -> f64 {
    (0..n).map(|i| a[i * n + i]).sum()
}

impl Eigh {
    /// `V diag(d) Vᵀ`.
    pub fn compose(&self, d: &[f64]) -> Vec<f64> {
        let n = self.n;
        let v = &self.vectors;
        let mut out = vec![0.0; n * n];
        for i in 0..n {
            for j in i..n {
                let s: f64 = (0..n).map(|k| v[i * n + k] * d[k] * v[j * n + k]).sum();
                out[i * n + j] = s;
                out[j * n + i] = s;
            }
        }
        out
    }

    /// `f(A) = V diag(f(λ)) Vᵀ`.
    pub fn apply(&self, f: impl Fn(f64) -> f64) -> Vec<f64> {
        let d: Vec<f64> = self.values.iter().map(|&l| f(l)).collect();
        self.compose(&d)
    }

    /// `Vᵀ x V`.
    pub fn rotate_in(&self, x: &[f64]) -> Vec<f64> {
        let n = self.n;
        matmul(
            &matmul(&transpose(&self.vectors, n), x, n),
            &self.vectors,
            n,
        )
    }

    /// `V x Vᵀ`.
    pub fn rotate_out(&self, x: &[f64]) -> Vec<f64> {
        let n = self.n;
        matmul(
            &matmul(&self.vectors, x, n),
            &transpose(&self.vectors, n),
            n,
        )
    }
}

/// A scalar function applied to symmetric matrices through their eigenvalues, with its
/// derivative for the backward pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MatFn {
    Sqrt,
    InvSqrt,
    Log,
    Exp,
    Pow(f64),
    /// SPDNet's ReEig then LogEig in one pass: `log(max(x, ε))`.
    ReEigLog(f64),
    /// `|x|`: `(H²)^{1/2}` computed from H itself, whose backward stays bounded where H is
    /// singular (the two-step form's `1/(2√λ)` does not); subgradient 0 at 0.
    Abs,
}

impl MatFn {
    pub fn f(self, x: f64) -> f64 {
        match self {
            MatFn::Sqrt => x.sqrt(),
            MatFn::InvSqrt => 1.0 / x.sqrt(),
            MatFn::Log => x.ln(),
            MatFn::Exp => x.exp(),
            MatFn::Pow(p) => x.powf(p),
            MatFn::ReEigLog(eps) => x.max(eps).ln(),
            MatFn::Abs => x.abs(),
        }
    }
    pub fn df(self, x: f64) -> f64 {
        match self {
            MatFn::Sqrt => 0.5 / x.sqrt(),
            MatFn::InvSqrt => -0.5 / (x * x.sqrt()),
            MatFn::Log => 1.0 / x,
            MatFn::Exp => x.exp(),
            MatFn::Pow(p) => p * x.powf(p - 1.0),
            MatFn::ReEigLog(eps) => {
                if x > eps {
                    1.0 / x
                } else {
                    0.0
                }
            }
            MatFn::Abs => {
                if x == 0.0 {
                    0.0
                } else {
                    x.signum()
                }
            }
        }
    }
}

/// `f(a)` for symmetric `a`.
pub fn matfn(a: &[f64], n: usize, f: MatFn) -> Vec<f64> {
    eigh(a, n).apply(|x| f.f(x))
}

pub fn sqrtm(a: &[f64], n: usize) -> Vec<f64> {
    matfn(a, n, MatFn::Sqrt)
}
pub fn invsqrtm(a: &[f64], n: usize) -> Vec<f64> {
    matfn(a, n, MatFn::InvSqrt)
}
pub fn logm(a: &[f64], n: usize) -> Vec<f64> {
    matfn(a, n, MatFn::Log)
}
pub fn expm(a: &[f64], n: usize) -> Vec<f64> {
    matfn(a, n, MatFn::Exp)
}
pub fn powm(a: &[f64], n: usize, p: f64) -> Vec<f64> {
    matfn(a, n, MatFn::Pow(p))
}

/// Eigenvalues closer than this (relative to their size) use the derivative in the Löwner matrix.
pub const DK_TIE: f64 = 1e-12;

/// The Löwner matrix of `f` at the eigenvalues: `(f(λi) − f(λj))/(λi − λj)`, and, when
/// `|λi − λj| ≤ DK_TIE · max(|λi|, |λj|)`, `f′((λi + λj)/2)` (its limit; the official GBW code
/// maps these ties to 0 instead).
pub fn loewner(values: &[f64], f: MatFn) -> Vec<f64> {
    let n = values.len();
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let (a, b) = (values[i], values[j]);
            l[i * n + j] = if (a - b).abs() <= DK_TIE * a.abs().max(b.abs()) {
                f.df(0.5 * (a + b))
            } else {
                (f.f(a) - f.f(b)) / (a - b)
            };
        }
    }
    l
}

/// Backward of `Y = f(A)` (Daleckii–Krein): given `dL/dY`, returns
/// `dL/dA = V (L ∘ (Vᵀ sym(dY) V)) Vᵀ`.
pub fn matfn_backward(e: &Eigh, f: MatFn, dy: &[f64]) -> Vec<f64> {
    let n = e.n;
    let l = loewner(&e.values, f);
    let inner = e.rotate_in(&sym(dy, n));
    let had: Vec<f64> = inner.iter().zip(&l).map(|(a, b)| a * b).collect();
    e.rotate_out(&had)
}

/// The solution `L` of `P L + L P = V` for SPD `P` (in P's eigenbasis, `L̂ij = V̂ij/(pi + pj)`).
pub fn lyapunov(p: &[f64], n: usize, v: &[f64]) -> Vec<f64> {
    pairwise(&eigh(p, n), Pairwise::Lyapunov, v)
}

/// `Y = Q [F(pᵢ, pⱼ) ∘ (QᵀVQ)] Qᵀ` for `P = Q diag(p) Qᵀ`: the Lyapunov solve and GBW-RBN's
/// transports between P and the identity are all of this form, with a symmetric weight `F`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pairwise {
    /// `1/(a + b)`: the solution of `P L + L P = V`.
    Lyapunov,
    /// `√(2/(a + b))`: `T_{P→I}`.
    ToIdentity,
    /// `√((a + b)/2)`: `T_{I→P}`.
    FromIdentity,
}

impl Pairwise {
    pub fn f(self, a: f64, b: f64) -> f64 {
        match self {
            Pairwise::Lyapunov => 1.0 / (a + b),
            Pairwise::ToIdentity => (2.0 / (a + b)).sqrt(),
            Pairwise::FromIdentity => ((a + b) / 2.0).sqrt(),
        }
    }

    /// The divided difference `(F(b, c) − F(a, c))/(b − a)` in closed form, so that it stays
    /// exact when `a = b` (equal eigenvalues need no tie rule here).
    pub fn divided(self, a: f64, b: f64, c: f64) -> f64 {
        match self {
            Pairwise::Lyapunov => -1.0 / ((a + c) * (b + c)),
            Pairwise::FromIdentity => 0.5 / (((a + c) / 2.0).sqrt() + ((b + c) / 2.0).sqrt()),
            Pairwise::ToIdentity => {
                let (fa, fb) = (((a + c) / 2.0).sqrt(), ((b + c) / 2.0).sqrt());
                -0.5 / ((fa + fb) * fa * fb)
            }
        }
    }
}

/// `Q [F(pᵢ, pⱼ) ∘ (QᵀVQ)] Qᵀ` with `e` the eigendecomposition of P.
pub fn pairwise(e: &Eigh, w: Pairwise, v: &[f64]) -> Vec<f64> {
    let n = e.n;
    let mut inner = e.rotate_in(v);
    for i in 0..n {
        for j in 0..n {
            inner[i * n + j] *= w.f(e.values[i], e.values[j]);
        }
    }
    e.rotate_out(&inner)
}

/// Backward of `Y = pairwise(eigh(P), w, V)` for symmetric P and V: given `dL/dY`, returns
/// `(dL/dV, dL/dP)`. The eigenvector derivative combines with the weight into divided
/// differences of `F`, `(P̄)^ab = Σ_c D(pa, pb; pc) (Ŷ̄ac V̂cb + V̂ac Ŷ̄cb)` in P's eigenbasis, plus
/// nothing else: the eigenvalue derivative is the confluent case `a = b` of the same sum.
pub fn pairwise_backward(e: &Eigh, w: Pairwise, v: &[f64], dy: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = e.n;
    let p = &e.values;
    let yb = e.rotate_in(&sym(dy, n));
    let vh = e.rotate_in(&sym(v, n));
    let mut dv = yb.clone();
    let mut dp = vec![0.0; n * n];
    for a in 0..n {
        for b in 0..n {
            dv[a * n + b] *= w.f(p[a], p[b]);
            dp[a * n + b] = (0..n)
                .map(|c| {
                    w.divided(p[a], p[b], p[c])
                        * (yb[a * n + c] * vh[c * n + b] + vh[a * n + c] * yb[c * n + b])
                })
                .sum();
        }
    }
    (e.rotate_out(&dv), e.rotate_out(&sym(&dp, n)))
}

/// Backward of the congruence `Y = A X A` for symmetric A and X: `(dL/dA, dL/dX)`.
pub fn congruence_backward(a: &[f64], x: &[f64], dy: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let dy = sym(dy, n);
    let ax = matmul(a, x, n);
    let left = matmul(&dy, &ax, n);
    let da: Vec<f64> = (0..n * n)
        .map(|k| left[k] + left[(k % n) * n + k / n])
        .collect();
    (da, matmul(&matmul(a, &dy, n), a, n))
}

/// Squared Bures–Wasserstein distance `tr A + tr B − 2 tr (B^{1/2} A B^{1/2})^{1/2}`.
pub fn bw_distance2(a: &[f64], b: &[f64], n: usize) -> f64 {
    let b12 = sqrtm(b, n);
    let inner = matmul(&matmul(&b12, a, n), &b12, n);
    let cross: f64 = eigh(&inner, n)
        .values
        .iter()
        .map(|&l| l.max(0.0).sqrt())
        .sum();
    (trace(a, n) + trace(b, n) - 2.0 * cross).max(0.0)
}

/// BW logarithm at `p`: `(X P)^{1/2} + (P X)^{1/2} − 2P`, with
/// `(X P)^{1/2} = P^{−1/2} (P^{1/2} X P^{1/2})^{1/2} P^{1/2}`.
pub fn bw_log(p: &[f64], x: &[f64], n: usize) -> Vec<f64> {
    let e = eigh(p, n);
    let (p12, p12i) = (e.apply(f64::sqrt), e.apply(|l| 1.0 / l.sqrt()));
    let bracket = sqrtm(&matmul(&matmul(&p12, x, n), &p12, n), n);
    let t = matmul(&matmul(&p12i, &bracket, n), &p12, n);
    let tt = transpose(&t, n);
    (0..n * n).map(|k| t[k] + tt[k] - 2.0 * p[k]).collect()
}

/// BW exponential at `p`: `P + V + L P L` with `P L + L P = V`.
pub fn bw_exp(p: &[f64], v: &[f64], n: usize) -> Vec<f64> {
    let e = eigh(p, n);
    let l = pairwise(&e, Pairwise::Lyapunov, v);
    let lpl = matmul(&matmul(&l, p, n), &l, n);
    (0..n * n).map(|k| p[k] + v[k] + lpl[k]).collect()
}

/// BW geodesic `(1 − t)² A + t² B + t(1 − t) [(A B)^{1/2} + (B A)^{1/2}]`.
pub fn bw_geodesic(a: &[f64], b: &[f64], n: usize, t: f64) -> Vec<f64> {
    // (A B)^{1/2} = A^{1/2} (A^{1/2} B A^{1/2})^{1/2} A^{−1/2}.
    let e = eigh(a, n);
    let (a12, a12i) = (e.apply(f64::sqrt), e.apply(|l| 1.0 / l.sqrt()));
    let mid = sqrtm(&matmul(&matmul(&a12, b, n), &a12, n), n);
    let ab = matmul(&matmul(&a12, &mid, n), &a12i, n);
    let ba = transpose(&ab, n);
    (0..n * n)
        .map(|k| (1.0 - t) * (1.0 - t) * a[k] + t * t * b[k] + t * (1.0 - t) * (ab[k] + ba[k]))
        .collect()
}

/// The BW metric at `p`: `g_P(U, V) = ½ tr(L_P[U] V)` with `P L + L P = U`.
pub fn bw_metric(p: &[f64], u: &[f64], v: &[f64], n: usize) -> f64 {
    let l = lyapunov(p, n, u);
    0.5 * l
        .iter()
        .zip(&transpose(v, n))
        .map(|(a, b)| a * b)
        .sum::<f64>()
}

/// The map `T_{P→I}(V) = Q [√(2/(pᵢ + pⱼ)) ∘ (QᵀVQ)] Qᵀ` (P = Q diag(p) Qᵀ) used by the GBW-RBN
/// code to carry tangent vectors from P to the identity; with `to_identity = false` its inverse
/// `T_{I→P}` (factor √((pᵢ + pⱼ)/2)). An isometry between (T_P, g_P) and (T_I, g_I), not the
/// Levi-Civita parallel transport.
pub fn bw_transport_identity(p: &[f64], v: &[f64], n: usize, to_identity: bool) -> Vec<f64> {
    let w = if to_identity {
        Pairwise::ToIdentity
    } else {
        Pairwise::FromIdentity
    };
    pairwise(&eigh(p, n), w, v)
}

/// AIRM exponential `P^{1/2} exp(P^{−1/2} V P^{−1/2}) P^{1/2}`.
pub fn airm_exp(p: &[f64], v: &[f64], n: usize) -> Vec<f64> {
    let e = eigh(p, n);
    let (p12, p12i) = (e.apply(f64::sqrt), e.apply(|l| 1.0 / l.sqrt()));
    let inner = expm(&sym(&matmul(&matmul(&p12i, v, n), &p12i, n), n), n);
    matmul(&matmul(&p12, &inner, n), &p12, n)
}

/// AIRM geodesic `A^{1/2} (A^{−1/2} B A^{−1/2})^t A^{1/2}`.
pub fn airm_geodesic(a: &[f64], b: &[f64], n: usize, t: f64) -> Vec<f64> {
    let e = eigh(a, n);
    let (a12, a12i) = (e.apply(f64::sqrt), e.apply(|l| 1.0 / l.sqrt()));
    let mid = powm(&matmul(&matmul(&a12i, b, n), &a12i, n), n, t);
    matmul(&matmul(&a12, &mid, n), &a12, n)
}

/// Arithmetic mean of a batch.
pub fn mean_euclid(xs: &[f64], n: usize) -> Vec<f64> {
    let m = xs.len() / (n * n);
    let mut out = vec![0.0; n * n];
    for x in xs.chunks(n * n) {
        out.iter_mut().zip(x).for_each(|(o, v)| *o += v / m as f64);
    }
    out
}

/// BW barycenter as pyRiemann's `mean_wasserstein`: from the arithmetic mean (or `init`),
/// `M ← Exp_M(mean_i Log_M X_i)` until ‖mean Log‖_F ≤ tol or `maxiter` steps; returns the mean
/// and the steps taken.
pub fn bw_barycenter(
    xs: &[f64],
    n: usize,
    init: Option<&[f64]>,
    maxiter: usize,
    tol: f64,
) -> (Vec<f64>, usize) {
    let mut m = init.map_or_else(|| mean_euclid(xs, n), <[f64]>::to_vec);
    for it in 1..=maxiter {
        let logs: Vec<Vec<f64>> = xs.par_chunks(n * n).map(|x| bw_log(&m, x, n)).collect();
        let j = mean_euclid(&logs.concat(), n);
        m = bw_exp(&m, &j, n);
        if frobenius(&j) <= tol {
            return (m, it);
        }
    }
    (m, maxiter)
}

pub fn frobenius(a: &[f64]) -> f64 {
    a.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// AIRM distance `‖log(A^{−1/2} B A^{−1/2})‖_F`.
pub fn airm_distance(a: &[f64], b: &[f64], n: usize) -> f64 {
    airm_distance_whitened(&invsqrtm(a, n), b, n)
}

/// [`airm_distance`] from `A^{−1/2}` (computed once where one `A` meets many `B`).
pub fn airm_distance_whitened(a_isqrt: &[f64], b: &[f64], n: usize) -> f64 {
    let c = matmul(&matmul(a_isqrt, b, n), a_isqrt, n);
    eigvalsh(&c, n)
        .iter()
        .map(|l| l.ln().powi(2))
        .sum::<f64>()
        .sqrt()
}

/// AIRM (Karcher) mean as pyRiemann's `mean_riemann`: from the arithmetic mean,
/// `M ← M^{1/2} exp(ν J) M^{1/2}` with `J = mean_i log(M^{−1/2} X_i M^{−1/2})` and pyRiemann's
/// step-size adaptation (ν ← 0.95ν while ν‖J‖ decreases, else ν ← ν/2); stops when ‖J‖_F ≤ tol,
/// ν ≤ tol or after `maxiter` steps.
pub fn airm_mean(xs: &[f64], n: usize, maxiter: usize, tol: f64) -> (Vec<f64>, usize) {
    let mut m = mean_euclid(xs, n);
    let (mut nu, mut tau) = (1.0f64, f64::MAX);
    for it in 1..=maxiter {
        let e = eigh(&m, n);
        let (m12, mm12) = (e.apply(f64::sqrt), e.apply(|l| 1.0 / l.sqrt()));
        let logs: Vec<Vec<f64>> = xs
            .par_chunks(n * n)
            .map(|x| logm(&matmul(&matmul(&mm12, x, n), &mm12, n), n))
            .collect();
        let j = mean_euclid(&logs.concat(), n);
        let step: Vec<f64> = j.iter().map(|v| nu * v).collect();
        m = matmul(&matmul(&m12, &expm(&step, n), n), &m12, n);
        let crit = frobenius(&j);
        let h = nu * crit;
        if h < tau {
            nu *= 0.95;
            tau = h;
        } else {
            nu *= 0.5;
        }
        if crit <= tol || nu <= tol {
            return (m, it);
        }
    }
    (m, maxiter)
}

/// A batch of `count` SPD matrices `G Gᵀ + I` (G uniform in ±0.5, drawn from `rng`): moderate
/// condition numbers, for benches and GPU parity tests.
pub fn gram_batch(n: usize, count: usize, rng: &mut crate::rng::Rng) -> Vec<f64> {
    let mut out = Vec::with_capacity(count * n * n);
    for _ in 0..count {
        let g: Vec<f64> = (0..n * n).map(|_| rng.uniform() - 0.5).collect();
        for i in 0..n {
            for j in 0..n {
                let v: f64 = (0..n).map(|l| g[i * n + l] * g[j * n + l]).sum();
                out.push(v + if i == j { 1.0 } else { 0.0 });
            }
        }
    }
    out
}

/// A function of every matrix of a batch, in parallel.
pub fn batch_matfn(xs: &[f64], n: usize, f: MatFn) -> Vec<f64> {
    let mut out = vec![0.0; xs.len()];
    out.par_chunks_mut(n * n)
        .zip(xs.par_chunks(n * n))
        .for_each(|(o, x)| o.copy_from_slice(&matfn(x, n, f)));
    out
}

/// Eigendecompositions of every matrix of a batch, in parallel.
pub fn batch_eigh(xs: &[f64], n: usize) -> Vec<Eigh> {
    xs.par_chunks(n * n).map(|x| eigh(x, n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A random SPD matrix with eigenvalues spread over `[1, cond]`.
    pub fn spd(n: usize, cond: f64, seed: u64) -> Vec<f64> {
        let mut rng = crate::rng::Rng::new(seed);
        let g: Vec<f64> = (0..n * n).map(|_| rng.uniform() - 0.5).collect();
        // Orthonormalise the columns of g (modified Gram–Schmidt).
        let mut q = g.clone();
        for j in 0..n {
            for k in 0..j {
                let d: f64 = (0..n).map(|i| q[i * n + j] * q[i * n + k]).sum();
                (0..n).for_each(|i| q[i * n + j] -= d * q[i * n + k]);
            }
            let norm = (0..n).map(|i| q[i * n + j].powi(2)).sum::<f64>().sqrt();
            (0..n).for_each(|i| q[i * n + j] /= norm);
        }
        let d: Vec<f64> = (0..n)
            .map(|i| cond.powf(i as f64 / (n - 1).max(1) as f64))
            .collect();
        Eigh {
            n,
            values: d,
            vectors: q,
        }
        .compose(
            &(0..n)
                .map(|i| cond.powf(i as f64 / (n - 1).max(1) as f64))
                .collect::<Vec<_>>(),
        )
    }

    fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn eigh_reconstructs_and_is_orthonormal() {
        for n in [1, 2, 5, 16, 33] {
            let a = spd(n, 1e4, n as u64);
            let e = eigh(&a, n);
            assert!(max_abs_diff(&e.apply(|l| l), &a) < 1e-10 * 1e4, "n = {n}");
            let vtv = matmul(&transpose(&e.vectors, n), &e.vectors, n);
            assert!(max_abs_diff(&vtv, &identity(n)) < 1e-13, "n = {n}");
            assert!(e.values.windows(2).all(|w| w[0] <= w[1]));
        }
    }

    #[test]
    fn repeated_eigenvalues_are_handled() {
        let n = 4;
        let mut a = identity(n);
        a[0] = 3.0;
        let e = eigh(&a, n);
        assert_eq!(e.values, vec![1.0, 1.0, 1.0, 3.0]);
        // The backward uses f′ on ties: d sqrt(I)[dY] = dY/2.
        let dy: Vec<f64> = (0..16).map(|k| k as f64).collect();
        let e = eigh(&identity(n), n);
        let dx = matfn_backward(&e, MatFn::Sqrt, &dy);
        assert!(
            max_abs_diff(
                &dx,
                &sym(&dy, n).iter().map(|v| v / 2.0).collect::<Vec<_>>()
            ) < 1e-14
        );
    }

    #[test]
    fn every_backward_matches_finite_differences() {
        let n = 5;
        let a = spd(n, 50.0, 7);
        let dy = sym(&spd(n, 3.0, 8), n);
        let dir = sym(
            &spd(n, 2.0, 9).iter().map(|v| v - 1.0).collect::<Vec<_>>(),
            n,
        );
        for f in [
            MatFn::Sqrt,
            MatFn::InvSqrt,
            MatFn::Log,
            MatFn::Exp,
            MatFn::Pow(0.5),
            MatFn::Pow(-1.3),
        ] {
            let a = if f == MatFn::Exp {
                a.iter().map(|v| v / 50.0).collect()
            } else {
                a.clone()
            };
            let dx = matfn_backward(&eigh(&a, n), f, &dy);
            let h = 1e-6;
            let at = |s: f64| -> f64 {
                let x: Vec<f64> = a.iter().zip(&dir).map(|(a, d)| a + s * d).collect();
                matfn(&x, n, f).iter().zip(&dy).map(|(y, g)| y * g).sum()
            };
            let fd = (at(h) - at(-h)) / (2.0 * h);
            let an: f64 = dx.iter().zip(&dir).map(|(a, b)| a * b).sum();
            assert!(
                (fd - an).abs() <= 1e-6 * an.abs().max(1.0),
                "{f:?}: {an} vs {fd}"
            );
        }
    }

    #[test]
    fn bw_exp_inverts_bw_log_and_geodesic_ends() {
        let n = 6;
        let (p, x) = (spd(n, 20.0, 1), spd(n, 100.0, 2));
        let back = bw_exp(&p, &bw_log(&p, &x, n), n);
        assert!(max_abs_diff(&back, &x) < 1e-9 * 100.0);
        assert!(max_abs_diff(&bw_geodesic(&p, &x, n, 0.0), &p) < 1e-12);
        assert!(max_abs_diff(&bw_geodesic(&p, &x, n, 1.0), &x) < 1e-9);
        // d(γ(0), γ(t)) = t d(A, B) along the geodesic.
        let d = bw_distance2(&p, &x, n).sqrt();
        let half = bw_geodesic(&p, &x, n, 0.3);
        assert!((bw_distance2(&p, &half, n).sqrt() - 0.3 * d).abs() < 1e-8 * d);
        // Lyapunov: P L + L P = V.
        let v = sym(&spd(n, 5.0, 3), n);
        let l = lyapunov(&p, n, &v);
        let lhs: Vec<f64> = matmul(&p, &l, n)
            .iter()
            .zip(matmul(&l, &p, n))
            .map(|(a, b)| a + b)
            .collect();
        assert!(max_abs_diff(&lhs, &v) < 1e-10);
    }

    #[test]
    fn identity_transport_is_an_isometry_and_airm_geodesic_ends() {
        let n = 5;
        let p = spd(n, 40.0, 11);
        let v = sym(
            &spd(n, 3.0, 12).iter().map(|x| x - 1.0).collect::<Vec<_>>(),
            n,
        );
        let tv = bw_transport_identity(&p, &v, n, true);
        let (gp, gi) = (
            bw_metric(&p, &v, &v, n),
            bw_metric(&identity(n), &tv, &tv, n),
        );
        assert!((gp - gi).abs() < 1e-12 * gp.abs(), "{gp} vs {gi}");
        let back = bw_transport_identity(&p, &tv, n, false);
        assert!(max_abs_diff(&back, &v) < 1e-12);
        let b = spd(n, 9.0, 13);
        assert!(max_abs_diff(&airm_geodesic(&p, &b, n, 1.0), &b) < 1e-9);
        assert!(max_abs_diff(&airm_geodesic(&p, &b, n, 0.0), &p) < 1e-9);
    }

    /// Central difference of `f` along `dir` at `x`.
    fn fd(f: impl Fn(&[f64]) -> f64, x: &[f64], dir: &[f64]) -> f64 {
        let h = 1e-6;
        let at = |s: f64| {
            f(&x.iter()
                .zip(dir)
                .map(|(a, d)| a + s * d)
                .collect::<Vec<_>>())
        };
        (at(h) - at(-h)) / (2.0 * h)
    }

    fn dot(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn pairwise_backward_matches_finite_differences_also_at_ties() {
        let n = 5;
        let v = sym(
            &spd(n, 4.0, 21).iter().map(|x| x - 1.0).collect::<Vec<_>>(),
            n,
        );
        let dy = sym(&spd(n, 3.0, 22), n);
        let dir_p = sym(
            &spd(n, 2.0, 23).iter().map(|x| x - 1.0).collect::<Vec<_>>(),
            n,
        );
        let dir_v = sym(
            &spd(n, 2.0, 24).iter().map(|x| x - 0.5).collect::<Vec<_>>(),
            n,
        );
        // A spread spectrum, the identity (all eigenvalues tied) and a double eigenvalue.
        let mut tied = identity(n);
        tied[(n - 1) * n + n - 1] = 3.0;
        for p in [spd(n, 30.0, 25), identity(n), tied] {
            for w in [
                Pairwise::Lyapunov,
                Pairwise::ToIdentity,
                Pairwise::FromIdentity,
            ] {
                let (gv, gp) = pairwise_backward(&eigh(&p, n), w, &v, &dy);
                let loss_p = |q: &[f64]| dot(&pairwise(&eigh(q, n), w, &v), &dy);
                let loss_v = |u: &[f64]| dot(&pairwise(&eigh(&p, n), w, u), &dy);
                let (an_p, an_v) = (dot(&gp, &dir_p), dot(&gv, &dir_v));
                let (fd_p, fd_v) = (fd(loss_p, &p, &dir_p), fd(loss_v, &v, &dir_v));
                assert!(
                    (an_p - fd_p).abs() < 1e-7 * an_p.abs().max(1.0),
                    "{w:?} P: {an_p} vs {fd_p}"
                );
                assert!(
                    (an_v - fd_v).abs() < 1e-7 * an_v.abs().max(1.0),
                    "{w:?} V: {an_v} vs {fd_v}"
                );
            }
        }
        // The weights are what they say: Lyapunov solves P L + L P = V.
        let p = spd(n, 30.0, 25);
        let l = pairwise(&eigh(&p, n), Pairwise::Lyapunov, &v);
        let r: Vec<f64> = matmul(&p, &l, n)
            .iter()
            .zip(matmul(&l, &p, n))
            .map(|(a, b)| a + b)
            .collect();
        assert!(max_abs_diff(&r, &v) < 1e-11);
    }

    #[test]
    fn congruence_and_reeig_log_backwards_match_finite_differences() {
        let n = 4;
        let (a, x) = (spd(n, 5.0, 31), spd(n, 50.0, 32));
        let dy = sym(&spd(n, 3.0, 33), n);
        let dir = sym(
            &spd(n, 2.0, 34).iter().map(|v| v - 1.0).collect::<Vec<_>>(),
            n,
        );
        let (ga, gx) = congruence_backward(&a, &x, &dy, n);
        let cong = |a: &[f64], x: &[f64]| dot(&matmul(&matmul(a, x, n), a, n), &dy);
        assert!((dot(&ga, &dir) - fd(|u| cong(u, &x), &a, &dir)).abs() < 1e-6);
        assert!((dot(&gx, &dir) - fd(|u| cong(&a, u), &x, &dir)).abs() < 1e-6);
        // |H| of an indefinite H (eigenvalues away from 0).
        let h: Vec<f64> = x
            .iter()
            .zip(&identity(n))
            .map(|(a, i)| a - 10.0 * i)
            .collect();
        let g = matfn_backward(&eigh(&h, n), MatFn::Abs, &dy);
        let num = fd(|u| dot(&matfn(u, n, MatFn::Abs), &dy), &h, &dir);
        assert!((dot(&g, &dir) - num).abs() < 1e-6 * num.abs().max(1.0));
        assert!(max_abs_diff(&matfn(&h, n, MatFn::Abs), &sqrtm(&matmul(&h, &h, n), n)) < 1e-10);
        // Eigenvalues 1 … 50; ε = 3 clamps the smallest ones (away from the kink).
        for eps in [1e-4, 3.0] {
            let f = MatFn::ReEigLog(eps);
            let g = matfn_backward(&eigh(&x, n), f, &dy);
            let an = dot(&g, &dir);
            let num = fd(|u| dot(&matfn(u, n, f), &dy), &x, &dir);
            assert!(
                (an - num).abs() < 1e-6 * an.abs().max(1.0),
                "ε = {eps}: {an} vs {num}"
            );
        }
    }

    #[test]
    fn airm_exp_moves_by_the_norm_of_the_whitened_vector() {
        let n = 4;
        let p = spd(n, 20.0, 41);
        let v = sym(
            &spd(n, 3.0, 42).iter().map(|x| x - 1.0).collect::<Vec<_>>(),
            n,
        );
        assert!(max_abs_diff(&airm_exp(&p, &vec![0.0; n * n], n), &p) < 1e-12);
        let pi = invsqrtm(&p, n);
        let w = frobenius(&matmul(&matmul(&pi, &v, n), &pi, n));
        let d = airm_distance(&p, &airm_exp(&p, &v, n), n);
        assert!((d - w).abs() < 1e-10 * w, "{d} vs {w}");
    }

    #[test]
    fn airm_distance_is_affine_invariant_and_means_are_fixed_points() {
        let n = 4;
        let (a, b, g) = (spd(n, 10.0, 4), spd(n, 30.0, 5), spd(n, 5.0, 6));
        let t = |x: &[f64]| matmul(&matmul(&g, x, n), &transpose(&g, n), n);
        assert!((airm_distance(&a, &b, n) - airm_distance(&t(&a), &t(&b), n)).abs() < 1e-10);
        let xs: Vec<f64> = (0..5)
            .flat_map(|k| spd(n, 10.0 + k as f64, 10 + k))
            .collect();
        let (m, _) = airm_mean(&xs, n, 200, 1e-13);
        let e = eigh(&m, n);
        let mm12 = e.apply(|l| 1.0 / l.sqrt());
        let grad: Vec<f64> = mean_euclid(
            &xs.chunks(n * n)
                .flat_map(|x| logm(&matmul(&matmul(&mm12, x, n), &mm12, n), n))
                .collect::<Vec<_>>(),
            n,
        );
        assert!(frobenius(&grad) < 1e-10);
        let (bw, _) = bw_barycenter(&xs, n, None, 500, 1e-12);
        let logs: Vec<f64> = xs.chunks(n * n).flat_map(|x| bw_log(&bw, x, n)).collect();
        assert!(frobenius(&mean_euclid(&logs, n)) < 1e-10);
    }
}
