//! M-FAC (Frantar, Kurtic & Alistarh, NeurIPS 2021): matrix-free products with the inverse of
//! the damped empirical Fisher
//!
//! ```text
//! F = λ I + (1/m) Σᵢ gᵢ gᵢᵀ,   F⁻¹ built by Sherman–Morrison from F₀⁻¹ = I/λ:
//! vᵢ = F_{i−1}⁻¹ gᵢ = gᵢ/λ − Σ_{j<i} (vⱼᵀ gᵢ / sⱼ) vⱼ,   sᵢ = m + gᵢᵀ vᵢ,
//! F⁻¹ x = x/λ − Σⱼ (vⱼᵀ x / sⱼ) vⱼ,   [F⁻¹]_qq = 1/λ − Σⱼ v_{j,q}² / sⱼ.
//! ```
//!
//! * [`StaticIhvp`] — Algorithm 1 (compression): O(d m²) to build, O(d m) per product, O(m) per
//!   diagonal element; [`BlockedIhvp`] is one of them per contiguous block of coordinates, as
//!   the official pruner's `blocksize`.
//! * [`DynamicIhvp`] — Algorithm 2 (the optimizer's sliding window) as the official
//!   `HInvFastUpMulti` computes it: `G` (m × d) and `G Gᵀ`; the un-pivoted LU of
//!   `G Gᵀ/λ + m I` gives `D_ij = gᵢᵀ F_{i−1}⁻¹ gⱼ` (its upper part less `m I`, diagonal kept) and
//!   the lower-triangular `B` with `vᵢ = Σⱼ B_ij gⱼ`; a product costs O(d m + m²), replacing the
//!   oldest gradient O(d m + m³).
//! * [`Mfac`] — the official optimizer on the shared [`Optimizer`] trait: the gradient enters the
//!   window, then `θ ← θ − lr · F⁻¹ g` (with optional momentum and L2 weight decay).
//!
//! Everything is f64 (the window too: the official optimizer keeps it in f32); checked against
//! a dense inverse in this file and against the official code by `kernels/tests/mfac_official.rs`.

use super::{Layout, Optimizer, check_len};
use rayon::prelude::*;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `y += a · x`.
fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    y.iter_mut().zip(x).for_each(|(yi, xi)| *yi += a * xi);
}

/// `Σ_j c_j · rows_j` for the `d`-long rows of `rows`, split over the cores by coordinates.
fn combine(rows: &[f64], d: usize, c: &[f64], out: &mut [f64]) {
    const BLOCK: usize = 4096;
    out.par_chunks_mut(BLOCK).enumerate().for_each(|(b, o)| {
        let lo = b * BLOCK;
        for (j, &cj) in c.iter().enumerate() {
            if cj != 0.0 {
                axpy(o, cj, &rows[j * d + lo..j * d + lo + o.len()]);
            }
        }
    });
}

/// `rows · x` for the `d`-long rows of `rows`.
fn products(rows: &[f64], d: usize, x: &[f64]) -> Vec<f64> {
    rows.par_chunks(d).map(|r| dot(r, x)).collect()
}

/// Algorithm 1: the vectors `vᵢ` and scalars `sᵢ` of a fixed set of `m` gradients.
#[derive(Clone, Debug)]
pub struct StaticIhvp {
    pub m: usize,
    pub d: usize,
    /// `1/λ`.
    inv_damp: f64,
    v: Vec<f64>,
    s: Vec<f64>,
}

impl StaticIhvp {
    /// From `grads` (`m × d`, row-major) and the damping `λ > 0`.
    ///
    /// # Panics
    /// If `grads` is not `m · d` long, `m = 0` or `λ` is not positive and finite.
    pub fn new(grads: &[f64], m: usize, damp: f64) -> Self {
        assert!(m > 0 && grads.len().is_multiple_of(m), "grads is not m × d");
        assert!(
            damp > 0.0 && damp.is_finite(),
            "damping λ = {damp} must be > 0"
        );
        let d = grads.len() / m;
        let inv_damp = 1.0 / damp;
        let mut v = vec![0.0; m * d];
        let mut s = vec![0.0; m];
        for i in 0..m {
            let g = &grads[i * d..(i + 1) * d];
            let c: Vec<f64> = products(&v[..i * d], d, g)
                .iter()
                .zip(&s)
                .map(|(p, sj)| -p / sj)
                .collect();
            let mut vi: Vec<f64> = g.iter().map(|x| inv_damp * x).collect();
            combine(&v[..i * d], d, &c, &mut vi);
            s[i] = m as f64 + dot(g, &vi);
            v[i * d..(i + 1) * d].copy_from_slice(&vi);
        }
        Self {
            m,
            d,
            inv_damp,
            v,
            s,
        }
    }

    /// `F⁻¹ x`, O(d m).
    pub fn mul(&self, x: &[f64]) -> Vec<f64> {
        assert_eq!(x.len(), self.d, "x is not d long");
        let c: Vec<f64> = products(&self.v, self.d, x)
            .iter()
            .zip(&self.s)
            .map(|(p, s)| -p / s)
            .collect();
        let mut out: Vec<f64> = x.iter().map(|xi| self.inv_damp * xi).collect();
        combine(&self.v, self.d, &c, &mut out);
        out
    }

    /// The diagonal of `F⁻¹`, O(m) per element.
    pub fn diag(&self) -> Vec<f64> {
        (0..self.d)
            .map(|q| {
                self.inv_damp
                    - (0..self.m)
                        .map(|j| self.v[j * self.d + q].powi(2) / self.s[j])
                        .sum::<f64>()
            })
            .collect()
    }
}

/// An independent [`StaticIhvp`] per contiguous block of `blocksize` coordinates (the last
/// block takes the remainder), as the official `HInvFastBlock`.
#[derive(Clone, Debug)]
pub struct BlockedIhvp {
    pub blocksize: usize,
    blocks: Vec<StaticIhvp>,
}

impl BlockedIhvp {
    pub fn new(grads: &[f64], m: usize, damp: f64, blocksize: usize) -> Self {
        assert!(blocksize > 0, "blocksize must be positive");
        assert!(m > 0 && grads.len().is_multiple_of(m), "grads is not m × d");
        let d = grads.len() / m;
        let blocks = (0..d)
            .step_by(blocksize)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|lo| {
                let hi = (lo + blocksize).min(d);
                let part: Vec<f64> = (0..m)
                    .flat_map(|i| grads[i * d + lo..i * d + hi].iter().copied())
                    .collect();
                StaticIhvp::new(&part, m, damp)
            })
            .collect();
        Self { blocksize, blocks }
    }

    pub fn mul(&self, x: &[f64]) -> Vec<f64> {
        let mut lo = 0;
        let mut out = Vec::with_capacity(x.len());
        for b in &self.blocks {
            out.extend(b.mul(&x[lo..lo + b.d]));
            lo += b.d;
        }
        assert_eq!(lo, x.len(), "x does not match the blocks");
        out
    }

    pub fn diag(&self) -> Vec<f64> {
        self.blocks.iter().flat_map(|b| b.diag()).collect()
    }
}

/// Algorithm 2: a sliding window of `m` gradients (a ring buffer) with O(d m + m²) products.
#[derive(Clone, Debug)]
pub struct DynamicIhvp {
    pub m: usize,
    pub d: usize,
    inv_damp: f64,
    /// `G`, one gradient per row; `last` is the oldest.
    grads: Vec<f64>,
    /// `G Gᵀ`.
    dots: Vec<f64>,
    /// `D`: the upper part of the un-pivoted LU of `G Gᵀ/λ + m I`, less `m I`.
    upper: Vec<f64>,
    /// `m + diag(D)`: the `sᵢ`.
    denom: Vec<f64>,
    /// `B`, lower triangular with `B_ii = 1/λ`: `vᵢ = Σⱼ B_ij gⱼ`.
    coef: Vec<f64>,
    last: usize,
}

impl DynamicIhvp {
    /// The window `grads` (`m × d`).
    pub fn new(grads: &[f64], m: usize, damp: f64) -> Self {
        assert!(m > 0 && grads.len().is_multiple_of(m), "grads is not m × d");
        assert!(
            damp > 0.0 && damp.is_finite(),
            "damping λ = {damp} must be > 0"
        );
        let d = grads.len() / m;
        let mut dots = vec![0.0; m * m];
        for i in 0..m {
            let pi = products(grads, d, &grads[i * d..(i + 1) * d]);
            dots[i * m..(i + 1) * m].copy_from_slice(&pi);
        }
        let inv_damp = 1.0 / damp;
        let mut coef = vec![0.0; m * m];
        (0..m).for_each(|i| coef[i * m + i] = inv_damp);
        let mut w = Self {
            m,
            d,
            inv_damp,
            grads: grads.to_vec(),
            dots,
            upper: vec![0.0; m * m],
            denom: vec![0.0; m],
            coef,
            last: 0,
        };
        w.setup();
        w
    }

    /// An all-zero window (the official optimizer's start).
    pub fn zeros(m: usize, d: usize, damp: f64) -> Self {
        Self::new(&vec![0.0; m * d], m, damp)
    }

    /// `D`, the `sᵢ` and the rows of `B` from `last` on (rows before it do not depend on the
    /// replaced gradient: the un-pivoted LU's leading block is unchanged), O(m³).
    fn setup(&mut self) {
        let m = self.m;
        let mut a: Vec<f64> = self.dots.iter().map(|x| self.inv_damp * x).collect();
        (0..m).for_each(|i| a[i * m + i] += m as f64);
        for k in 0..m {
            let pivot = a[k * m + k];
            for i in k + 1..m {
                let f = a[i * m + k] / pivot;
                if f != 0.0 {
                    for j in k..m {
                        a[i * m + j] -= f * a[k * m + j];
                    }
                }
            }
        }
        for i in 0..m {
            for j in 0..m {
                self.upper[i * m + j] = if j < i {
                    0.0
                } else {
                    a[i * m + j] - if i == j { m as f64 } else { 0.0 }
                };
            }
            self.denom[i] = m as f64 + self.upper[i * m + i];
        }
        for i in self.last.max(1)..m {
            // B[i, :i] = t[:i] · B[:i, :i] with t_j = −D_ji / s_j.
            let t: Vec<f64> = (0..i)
                .map(|j| -self.upper[j * m + i] / self.denom[j])
                .collect();
            for c in 0..i {
                self.coef[i * m + c] = (c..i).map(|j| t[j] * self.coef[j * m + c]).sum();
            }
        }
    }

    /// The O(m²) middle of a product: from `G x`, the `cᵢ` with `F⁻¹ x = x/λ + Σᵢ cᵢ gᵢ` (the
    /// host's share when the O(d m) products run on a GPU, `crate::cuda::CudaWindow`).
    pub fn coefficients(&self, gx: &[f64]) -> Vec<f64> {
        let m = self.m;
        assert_eq!(gx.len(), m, "G x is not m long");
        let mut a: Vec<f64> = gx.iter().map(|v| self.inv_damp * v).collect();
        for i in 1..m {
            let f = a[i - 1] / self.denom[i - 1];
            let row = &self.upper[(i - 1) * m + i..i * m];
            a[i..].iter_mut().zip(row).for_each(|(aj, u)| *aj -= u * f);
        }
        // c = −(a/s)ᵀ B.
        (0..m)
            .map(|j| {
                -(j..m)
                    .map(|i| a[i] / self.denom[i] * self.coef[i * m + j])
                    .sum::<f64>()
            })
            .collect()
    }

    /// `1/λ`.
    pub fn inv_damp(&self) -> f64 {
        self.inv_damp
    }

    /// `F⁻¹ x` given `G x`, O(d m + m²).
    fn mul_with(&self, x: &[f64], gx: &[f64]) -> Vec<f64> {
        let r = self.coefficients(gx);
        let mut out: Vec<f64> = x.iter().map(|v| self.inv_damp * v).collect();
        combine(&self.grads, self.d, &r, &mut out);
        out
    }

    /// `F⁻¹ x`.
    pub fn mul(&self, x: &[f64]) -> Vec<f64> {
        assert_eq!(x.len(), self.d, "x is not d long");
        self.mul_with(x, &products(&self.grads, self.d, x))
    }

    /// Replaces the oldest gradient by `g`; returns `G g` (with `g` in the window).
    fn insert(&mut self, g: &[f64]) -> Vec<f64> {
        assert_eq!(g.len(), self.d, "g is not d long");
        let (m, d, l) = (self.m, self.d, self.last);
        self.grads[l * d..(l + 1) * d].copy_from_slice(g);
        let gg = products(&self.grads, d, g);
        for (j, &v) in gg.iter().enumerate() {
            self.dots[l * m + j] = v;
            self.dots[j * m + l] = v;
        }
        self.setup();
        gg
    }

    /// Replaces the oldest gradient by `g`.
    pub fn update(&mut self, g: &[f64]) {
        self.insert(g);
        self.last = (self.last + 1) % self.m;
    }

    /// Replaces the oldest gradient by `g`, then returns `F⁻¹ g` (the optimizer's step).
    pub fn update_mul(&mut self, g: &[f64]) -> Vec<f64> {
        let gg = self.insert(g);
        let out = self.mul_with(g, &gg);
        self.last = (self.last + 1) % self.m;
        out
    }

    /// The window in the order of its rows (row `i` is the gradient Sherman–Morrison adds
    /// `i`-th), for rebuilding it statically.
    pub fn window(&self) -> &[f64] {
        &self.grads
    }

    /// Bytes of state: `G`, `G Gᵀ`, `D`, `B` and the `sᵢ`.
    pub fn state_bytes(&self) -> usize {
        8 * (self.m * self.d + 3 * self.m * self.m + self.m)
    }
}

/// The official M-FAC optimizer (defaults lr 1e-3, m = 1024, λ = 1e-5, no momentum or decay).
pub struct Mfac {
    layout: Layout,
    pub lr: f32,
    pub momentum: f32,
    pub weight_decay: f32,
    window: DynamicIhvp,
    velocity: Vec<f64>,
}

impl Mfac {
    /// A window of `m` zero gradients with damping `λ`.
    pub fn new(layout: Layout, lr: f32, m: usize, damp: f64) -> Self {
        let d = layout.total;
        Self {
            layout,
            lr,
            momentum: 0.0,
            weight_decay: 0.0,
            window: DynamicIhvp::zeros(m, d, damp),
            velocity: Vec::new(),
        }
    }

    pub fn with_momentum(mut self, momentum: f32) -> Self {
        self.momentum = momentum;
        self.velocity = vec![0.0; self.layout.total];
        self
    }

    pub fn with_weight_decay(mut self, weight_decay: f32) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl Optimizer for Mfac {
    fn name(&self) -> String {
        format!("M-FAC (m = {})", self.window.m)
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        check_len(&self.layout, params, grads);
        let wd = f64::from(self.weight_decay);
        let g: Vec<f64> = grads
            .iter()
            .zip(params.iter())
            .map(|(&g, &p)| f64::from(g) + wd * f64::from(p))
            .collect();
        let mut u = self.window.update_mul(&g);
        if self.momentum > 0.0 {
            let mu = f64::from(self.momentum);
            self.velocity
                .iter_mut()
                .zip(&u)
                .for_each(|(v, ui)| *v = mu * *v + (1.0 - mu) * ui);
            u.copy_from_slice(&self.velocity);
        }
        let lr = f64::from(self.lr);
        params
            .iter_mut()
            .zip(&u)
            .for_each(|(p, ui)| *p = (f64::from(*p) - lr * ui) as f32);
    }

    fn state_bytes(&self) -> usize {
        self.window.state_bytes() + 8 * self.velocity.len()
    }

    /// `G` is read twice (`G g`, `Gᵀ r`) and one row written; parameters read and written,
    /// gradients read, the velocity read and written when there is momentum.
    fn bytes_per_step(&self) -> usize {
        let (m, d) = (self.window.m, self.window.d);
        16 * m * d + 8 * d + 12 * d + 16 * self.velocity.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn randn(n: usize, rng: &mut Rng) -> Vec<f64> {
        (0..n).map(|_| rng.normal()).collect()
    }

    /// The dense `F⁻¹` by Gauss–Jordan elimination on `F = λI + GᵀG/m` (d small).
    fn dense_inverse(grads: &[f64], m: usize, damp: f64) -> Vec<f64> {
        let d = grads.len() / m;
        let mut a = vec![0.0; d * d];
        for i in 0..d {
            a[i * d + i] = damp;
            for j in 0..d {
                a[i * d + j] += (0..m)
                    .map(|k| grads[k * d + i] * grads[k * d + j])
                    .sum::<f64>()
                    / m as f64;
            }
        }
        let mut inv = crate::spd::identity(d);
        for c in 0..d {
            let p = a[c * d + c];
            for j in 0..d {
                a[c * d + j] /= p;
                inv[c * d + j] /= p;
            }
            for r in (0..d).filter(|&r| r != c) {
                let f = a[r * d + c];
                for j in 0..d {
                    a[r * d + j] -= f * a[c * d + j];
                    inv[r * d + j] -= f * inv[c * d + j];
                }
            }
        }
        inv
    }

    fn rel(a: &[f64], b: &[f64]) -> f64 {
        let num = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>();
        (num / b.iter().map(|y| y * y).sum::<f64>()).sqrt()
    }

    #[test]
    fn static_dynamic_and_blocked_products_equal_the_dense_inverse() {
        let (m, d, damp) = (8, 30, 0.1);
        let mut rng = Rng::new(3);
        let g = randn(m * d, &mut rng);
        let x = randn(d, &mut rng);
        let inv = dense_inverse(&g, m, damp);
        let want: Vec<f64> = (0..d).map(|i| dot(&inv[i * d..(i + 1) * d], &x)).collect();
        let st = StaticIhvp::new(&g, m, damp);
        assert!(rel(&st.mul(&x), &want) < 1e-12);
        let diag: Vec<f64> = (0..d).map(|i| inv[i * d + i]).collect();
        assert!(rel(&st.diag(), &diag) < 1e-12);
        let dy = DynamicIhvp::new(&g, m, damp);
        assert!(rel(&dy.mul(&x), &want) < 1e-12);
        // Blocks of the whole d are the whole.
        assert!(rel(&BlockedIhvp::new(&g, m, damp, d).mul(&x), &want) < 1e-12);
        // A block-diagonal F: each block's own inverse.
        let b = BlockedIhvp::new(&g, m, damp, 7);
        let mut lo = 0;
        let got = b.mul(&x);
        while lo < d {
            let hi = (lo + 7).min(d);
            let part: Vec<f64> = (0..m)
                .flat_map(|i| g[i * d + lo..i * d + hi].to_vec())
                .collect();
            let inv = dense_inverse(&part, m, damp);
            let w = hi - lo;
            for i in 0..w {
                let want = dot(&inv[i * w..(i + 1) * w], &x[lo..hi]);
                assert!((got[lo + i] - want).abs() < 1e-12 * want.abs().max(1.0));
            }
            lo = hi;
        }
    }

    #[test]
    fn sliding_window_equals_a_static_rebuild_after_replacements() {
        let (m, d, damp) = (6, 40, 1e-2);
        let mut rng = Rng::new(5);
        let mut dy = DynamicIhvp::zeros(m, d, damp);
        for step in 0..25 {
            let g = randn(d, &mut rng);
            let u = dy.update_mul(&g);
            let st = StaticIhvp::new(dy.window(), m, damp);
            assert!(rel(&u, &st.mul(&g)) < 1e-11, "step {step}");
        }
    }

    #[test]
    fn optimizer_state_and_first_step() {
        // First step: the window holds g and m − 1 zeros, so F⁻¹g = g/(λ + ‖g‖²/m) ≈ m g/‖g‖².
        let mut p = vec![0.0f32; 3];
        let mut opt = Mfac::new(Layout::flat(3), 0.1, 4, 1e-5);
        opt.step(&mut p, &[1.0, 2.0, 2.0]);
        let scale = 0.1 / (1e-5 + 9.0 / 4.0);
        for (pi, g) in p.iter().zip([1.0, 2.0, 2.0]) {
            assert!((f64::from(*pi) + scale * g).abs() < 1e-6, "{p:?}");
        }
        assert_eq!(opt.state_bytes(), 8 * (4 * 3 + 3 * 16 + 4));
    }
}
