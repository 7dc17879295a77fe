//! Muon (K. Jordan et al., 2024, github.com/KellerJordan/Muon, MIT): momentum SGD whose update
//! of every matrix is replaced by an approximation of its polar factor, computed by a
//! Newton–Schulz iteration.
//!
//! ```text
//! M ← β M + (1 − β) G                   (torch's lerp)
//! U = Nesterov ? (1 − β) G + β M : M
//! W ← W (1 − lr·wd) − lr · √max(1, rows/cols) · NS_k(U)
//! NS: X₀ = U / (‖U‖_F + 1e-7) (as the wide matrix: Uᵀ if rows > cols),
//!     X ← a X + (b A + c A²) X,  A = X Xᵀ.
//! ```
//!
//! With the quintic coefficients [`QUINTIC`] the singular values of `X` do not converge to one
//! but land in about [0.7, 1.2] after five steps (the official docstring's design); the classical
//! cubic iteration [`CUBIC`] converges to the polar factor `U Vᵀ` itself when `‖X₀‖₂ < √3`, as
//! the unit tests check against [`polar`] (an exact reference through the eigendecomposition of
//! `Gᵀ G`). A tensor with more than two dimensions is viewed as `shape[0] × rest`, as the
//! official code does for convolutions. The iteration runs in f64 (the official one in bfloat16);
//! `kernels/tests/muon_official.rs` matches it to the official code with the cast patched out.

use super::{Layout, Optimizer, check_len};
use crate::spd::eigh;

/// Muon's quintic coefficients (a, b, c), chosen by its author for slope at zero.
pub const QUINTIC: [f64; 3] = [3.4445, -4.7750, 2.0315];
/// The classical Newton–Schulz iteration `X ← 1.5 X − 0.5 X Xᵀ X`: converges to `U Vᵀ`.
pub const CUBIC: [f64; 3] = [1.5, -0.5, 0.0];

/// `a (m × k) · b (k × n)` with arbitrary strides, into a new row-major `m × n` matrix.
#[allow(clippy::too_many_arguments)]
pub(super) fn gemm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f64],
    (rsa, csa): (usize, usize),
    b: &[f64],
    (rsb, csb): (usize, usize),
) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    if m == 0 || n == 0 || k == 0 {
        return c;
    }
    assert!((m - 1) * rsa + (k - 1) * csa < a.len() && (k - 1) * rsb + (n - 1) * csb < b.len());
    // SAFETY: the asserted bounds keep every index of a and b in range; c is m × n row-major.
    unsafe {
        matrixmultiply::dgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa as isize,
            csa as isize,
            b.as_ptr(),
            rsb as isize,
            csb as isize,
            0.0,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
    c
}

pub(super) fn transpose(x: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut t = vec![0.0; x.len()];
    for i in 0..rows {
        for j in 0..cols {
            t[j * rows + i] = x[i * cols + j];
        }
    }
    t
}

/// `steps` Newton–Schulz iterations with coefficients `(a, b, c)` on the `rows × cols` matrix
/// `g` (row-major), as the official `zeropower_via_newtonschulz5` computes them, in f64.
pub fn newton_schulz(
    g: &[f64],
    rows: usize,
    cols: usize,
    steps: usize,
    coeffs: [f64; 3],
) -> Vec<f64> {
    assert_eq!(g.len(), rows * cols, "g is not rows × cols");
    let tall = rows > cols;
    let (r, c) = if tall { (cols, rows) } else { (rows, cols) };
    let mut x = if tall {
        transpose(g, rows, cols)
    } else {
        g.to_vec()
    };
    let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt() + 1e-7;
    x.iter_mut().for_each(|v| *v /= norm);
    let [a, b, cc] = coeffs;
    for _ in 0..steps {
        let xxt = gemm(r, c, r, &x, (c, 1), &x, (1, c));
        let sq = gemm(r, r, r, &xxt, (r, 1), &xxt, (r, 1));
        let poly: Vec<f64> = xxt.iter().zip(&sq).map(|(p, q)| b * p + cc * q).collect();
        let px = gemm(r, r, c, &poly, (r, 1), &x, (c, 1));
        x.iter_mut()
            .zip(&px)
            .for_each(|(xi, pi)| *xi = a * *xi + pi);
    }
    if tall { transpose(&x, r, c) } else { x }
}

/// The exact polar factor `U Vᵀ` of `g = U Σ Vᵀ`: `g (gᵀg)^{-1/2}` when `rows ≥ cols`,
/// `(g gᵀ)^{-1/2} g` otherwise. Where `g` is rank-deficient (a dead unit's zero row) the polar
/// factor is not unique; this one is the partial isometry `U₊ V₊ᵀ` over the singular values
/// above the Gram matrix's rounding level (λ ≤ λ_max · k · ε counts as zero), so a zero row
/// of `g` stays a zero row instead of becoming NaN.
///
/// Two Gram passes: one pass is accurate to about ε · κ(g)² in the weak directions (the Gram
/// matrix squares the condition number), so for an ill-conditioned `g`, such as a momentum of
/// a few dominant directions, its singular values can miss one by 1e-3. The second pass runs
/// on a matrix whose singular values are near 0 or 1 and is orthogonal to rounding.
pub fn polar(g: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    assert_eq!(g.len(), rows * cols, "g is not rows × cols");
    let once = gram_polar(g, rows, cols);
    gram_polar(&once, rows, cols)
}

fn gram_polar(g: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let inv_sqrt = |gram: &[f64], k: usize| {
        let e = eigh(gram, k);
        let tol = e.values.last().copied().unwrap_or(0.0) * k as f64 * f64::EPSILON;
        e.apply(|l| if l > tol { 1.0 / l.sqrt() } else { 0.0 })
    };
    if rows >= cols {
        let gtg = gemm(cols, rows, cols, g, (1, cols), g, (cols, 1));
        let s = inv_sqrt(&gtg, cols);
        gemm(rows, cols, cols, g, (cols, 1), &s, (cols, 1))
    } else {
        let ggt = gemm(rows, cols, rows, g, (cols, 1), g, (1, cols));
        let s = inv_sqrt(&ggt, rows);
        gemm(rows, rows, cols, &s, (rows, 1), g, (cols, 1))
    }
}

/// torch's `lerp`: `s + w (e − s)` for `w < ½`, else `e − (e − s)(1 − w)` (same rounding).
pub(super) fn lerp(s: f32, e: f32, w: f32) -> f32 {
    if w < 0.5 {
        s + w * (e - s)
    } else {
        e - (e - s) * (1.0 - w)
    }
}

/// How Muon orthogonalises its update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Orthogonalize {
    NewtonSchulz {
        steps: usize,
        coeffs: [f64; 3],
    },
    /// The exact polar factor (an eigendecomposition per matrix per step).
    Exact,
}

/// The official `SingleDeviceMuon` on every tensor of its layout (defaults: momentum 0.95,
/// Nesterov, five quintic Newton–Schulz steps, the √max(1, rows/cols) scale, no weight decay).
/// Vectors and scalars (biases, gains) belong in another group, e.g. AdamW through
/// [`Grouped`](super::Grouped), as the official README prescribes.
pub struct Muon {
    layout: Layout,
    pub lr: f32,
    pub momentum: f32,
    pub nesterov: bool,
    pub weight_decay: f32,
    pub orthogonalize: Orthogonalize,
    /// Multiply by √max(1, rows/cols) (the official code does).
    pub shape_scale: bool,
    buf: Vec<f32>,
}

impl Muon {
    /// # Panics
    /// If a tensor of `layout` has fewer than two dimensions.
    pub fn new(layout: Layout, lr: f32) -> Self {
        for s in &layout.slots {
            assert!(
                s.shape.len() >= 2,
                "Muon updates matrices; {} has shape {:?}: give it another optimizer (Grouped)",
                s.name,
                s.shape
            );
        }
        let n = layout.total;
        Self {
            layout,
            lr,
            momentum: 0.95,
            nesterov: true,
            weight_decay: 0.0,
            orthogonalize: Orthogonalize::NewtonSchulz {
                steps: 5,
                coeffs: QUINTIC,
            },
            shape_scale: true,
            buf: vec![0.0; n],
        }
    }
    pub fn momentum(mut self, momentum: f32, nesterov: bool) -> Self {
        self.momentum = momentum;
        self.nesterov = nesterov;
        self
    }
    pub fn weight_decay(mut self, wd: f32) -> Self {
        self.weight_decay = wd;
        self
    }
    pub fn orthogonalize(mut self, how: Orthogonalize) -> Self {
        self.orthogonalize = how;
        self
    }
    pub fn shape_scale(mut self, on: bool) -> Self {
        self.shape_scale = on;
        self
    }
}

impl Optimizer for Muon {
    fn name(&self) -> String {
        match self.orthogonalize {
            Orthogonalize::NewtonSchulz { steps, .. } => format!("Muon (NS{steps})"),
            Orthogonalize::Exact => "Muon (exact polar)".into(),
        }
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        check_len(&self.layout, params, grads);
        let beta = self.momentum;
        let decay = 1.0 - self.lr * self.weight_decay;
        for s in &self.layout.slots {
            let range = s.offset..s.offset + s.len;
            let (rows, cols) = (s.shape[0], s.len / s.shape[0]);
            let m = &mut self.buf[range.clone()];
            let g = &grads[range.clone()];
            // torch: m.lerp_(g, 1 − β); update = g.lerp(m, β) (Nesterov) or m.
            m.iter_mut()
                .zip(g)
                .for_each(|(mi, &gi)| *mi = lerp(*mi, gi, 1.0 - beta));
            let u: Vec<f64> = if self.nesterov {
                g.iter()
                    .zip(m.iter())
                    .map(|(&gi, &mi)| f64::from(lerp(gi, mi, beta)))
                    .collect()
            } else {
                m.iter().map(|&mi| f64::from(mi)).collect()
            };
            let o = match self.orthogonalize {
                Orthogonalize::NewtonSchulz { steps, coeffs } => {
                    newton_schulz(&u, rows, cols, steps, coeffs)
                }
                Orthogonalize::Exact => polar(&u, rows, cols),
            };
            let scale = if self.shape_scale {
                (rows as f64 / cols as f64).max(1.0).sqrt()
            } else {
                1.0
            };
            for (p, oi) in params[range].iter_mut().zip(&o) {
                *p = *p * decay - self.lr * (scale * oi) as f32;
            }
        }
    }

    fn state_bytes(&self) -> usize {
        4 * self.buf.len()
    }

    /// Parameters, gradients and momentum read, parameters and momentum written; the
    /// Newton–Schulz products run on a per-matrix f64 copy that stays in cache for small
    /// matrices and are not counted.
    fn bytes_per_step(&self) -> usize {
        20 * self.layout.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn randn(n: usize, rng: &mut Rng) -> Vec<f64> {
        (0..n).map(|_| rng.normal()).collect()
    }

    /// `xᵀx` for a `rows × cols` matrix.
    fn gram(x: &[f64], rows: usize, cols: usize) -> Vec<f64> {
        gemm(cols, rows, cols, x, (1, cols), x, (cols, 1))
    }

    fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn exact_polar_is_orthogonal_and_recovers_the_matrix() {
        let mut rng = Rng::new(3);
        for (rows, cols) in [(7, 4), (4, 7), (6, 6)] {
            let g = randn(rows * cols, &mut rng);
            let q = polar(&g, rows, cols);
            // The thin side of Q has orthonormal columns (tall) or rows (wide).
            let (qq, n) = if rows >= cols {
                (gram(&q, rows, cols), cols)
            } else {
                (gram(&transpose(&q, rows, cols), cols, rows), rows)
            };
            assert!(
                max_abs_diff(&qq, &crate::spd::identity(n)) < 1e-12,
                "{rows}×{cols}"
            );
            // Qᵀ G (tall) or G Qᵀ (wide) is symmetric positive definite: the other polar factor.
            let h = if rows >= cols {
                gemm(cols, rows, cols, &q, (1, cols), &g, (cols, 1))
            } else {
                gemm(rows, cols, rows, &g, (cols, 1), &q, (1, cols))
            };
            let k = rows.min(cols);
            assert!(max_abs_diff(&h, &transpose(&h, k, k)) < 1e-12);
            assert!(crate::spd::eigh(&h, k).values[0] > 0.0);
        }
    }

    #[test]
    fn a_zero_row_stays_zero_in_the_polar_factor() {
        // A dead unit: row 2 of g is zero, so g has rank 3 of 4 and (g gᵀ)^{-1/2} does not exist.
        let mut rng = Rng::new(4);
        let (rows, cols) = (4, 6);
        let mut g = randn(rows * cols, &mut rng);
        g[2 * cols..3 * cols].iter_mut().for_each(|v| *v = 0.0);
        let q = polar(&g, rows, cols);
        assert!(q.iter().all(|v| v.is_finite()));
        assert!(q[2 * cols..3 * cols].iter().all(|v| v.abs() < 1e-12));
        // The other rows are orthonormal: Q Qᵀ = diag(1, 1, 0, 1).
        let qqt = gemm(rows, cols, rows, &q, (cols, 1), &q, (1, cols));
        let mut want = crate::spd::identity(rows);
        want[2 * rows + 2] = 0.0;
        assert!(max_abs_diff(&qqt, &want) < 1e-12);
    }

    #[test]
    fn the_polar_factor_of_an_ill_conditioned_matrix_is_orthogonal() {
        // g = U diag(1, 1e-1, …, 1e-6) Vᵀ: κ = 1e6, so one Gram pass (κ² = 1e12) loses about
        // ε κ² ≈ 1e-4 of orthogonality; the polar factor is U Vᵀ exactly.
        let mut rng = Rng::new(6);
        let n = 7;
        let u = polar(&randn(n * n, &mut rng), n, n);
        let v = polar(&randn(n * n, &mut rng), n, n);
        let s: Vec<f64> = (0..n).map(|i| 10f64.powi(-(i as i32))).collect();
        let us: Vec<f64> = (0..n * n).map(|k| u[k] * s[k % n]).collect();
        let g = gemm(n, n, n, &us, (n, 1), &v, (1, n));
        let want = gemm(n, n, n, &u, (n, 1), &v, (1, n));
        let q = polar(&g, n, n);
        let qtq = gram(&q, n, n);
        assert!(max_abs_diff(&qtq, &crate::spd::identity(n)) < 1e-12);
        assert!(
            max_abs_diff(&q, &want) < 1e-6,
            "{}",
            max_abs_diff(&q, &want)
        );
        let once = gram_polar(&g, n, n);
        assert!(max_abs_diff(&gram(&once, n, n), &crate::spd::identity(n)) > 1e-12);
    }

    #[test]
    fn cubic_newton_schulz_converges_to_the_polar_factor() {
        let mut rng = Rng::new(5);
        for (rows, cols) in [(12, 5), (5, 12), (8, 8)] {
            let g = randn(rows * cols, &mut rng);
            let exact = polar(&g, rows, cols);
            let err = |k| max_abs_diff(&newton_schulz(&g, rows, cols, k, CUBIC), &exact);
            // Errors shrink with the steps (slowly while the smallest singular value is small
            // after the Frobenius normalisation, then quadratically).
            assert!(err(5) < err(1) && err(20) < err(5), "{rows}×{cols}");
            assert!(err(60) < 1e-12, "{rows}×{cols}: {}", err(60));
        }
    }

    #[test]
    fn quintic_newton_schulz_lands_singular_values_near_one() {
        let mut rng = Rng::new(7);
        let (rows, cols) = (16, 10);
        let g = randn(rows * cols, &mut rng);
        let x = newton_schulz(&g, rows, cols, 5, QUINTIC);
        let s = crate::spd::eigvalsh(&gram(&x, rows, cols), cols);
        let (lo, hi) = (s[0].sqrt(), s[cols - 1].sqrt());
        assert!(lo > 0.5 && hi < 1.5, "singular values in [{lo}, {hi}]");
        // Not the polar factor itself: the quintic trades convergence for speed.
        assert!(hi - lo > 0.05, "singular values in [{lo}, {hi}]");
    }

    #[test]
    fn first_step_without_nesterov_is_lr_times_the_polar_factor_of_the_gradient() {
        // M₁ = (1 − β) G, and the polar factor is scale-free.
        let layout = Layout::new(&[("w", &[3, 5])]);
        let mut rng = Rng::new(9);
        let g: Vec<f32> = (0..15).map(|_| rng.normal() as f32).collect();
        let mut p = vec![0.0f32; 15];
        let mut opt = Muon::new(layout, 0.1)
            .momentum(0.9, false)
            .orthogonalize(Orthogonalize::Exact);
        opt.step(&mut p, &g);
        let g64: Vec<f64> = g.iter().map(|&v| f64::from(v)).collect();
        let q = polar(&g64, 3, 5);
        assert!(
            p.iter()
                .zip(&q)
                .all(|(pi, qi)| (f64::from(*pi) + 0.1 * qi).abs() < 1e-6)
        );
        assert_eq!(opt.state_bytes(), 60);
    }

    #[test]
    #[should_panic(expected = "Muon updates matrices")]
    fn vectors_are_refused() {
        let _ = Muon::new(Layout::new(&[("b", &[4])]), 0.1);
    }
}
