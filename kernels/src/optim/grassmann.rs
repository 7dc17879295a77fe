//! Riemannian SGD with momentum on Grassmann manifolds, as the GCR paper's `gcr/rsgd.py`
//! (Wang, Li and Zhang, ICCV 2023): each class is a k-dimensional subspace of R^d stored as k
//! orthonormal rows of a `[classes · k, d]` tensor.
//!
//! Per class block Y (d × k) with Euclidean gradient G: the momentum buffer lives in ambient
//! coordinates (`B ← G` first, then `B ← μ B + G`, no transport); the Riemannian gradient is the
//! projection `Ĝ = B − Y (Yᵀ B)`; with the thin SVD `Ĝ = U Σ Vᵀ` the step follows the exact
//! geodesic `Y ← (Y V cos(−lr Σ) + U sin(−lr Σ)) Vᵀ`; every `reorth_every` steps Y is replaced by
//! the Q factor of its QR decomposition. The SVD comes from the k × k eigenproblem of ĜᵀĜ, and
//! `sin(−lr σ) U` is evaluated as `(sin(−lr σ)/σ) Ĝ v`, which stays finite for σ → 0. Arithmetic
//! is in f64; parameters stay f32.

use super::{Layout, Optimizer, check_len};
use crate::spd::eigh;

/// How the periodic QR chooses the signs of Q's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QrSign {
    /// Householder QR as LAPACK computes it (diag(R) of either sign): an orthonormal Y can come
    /// back with some columns negated, which leaves the subspace but not the ambient momentum.
    Householder,
    /// Q · diag(sign(diag R)): columns keep their orientation.
    Positive,
}

pub struct GrassmannSgd {
    pub lr: f32,
    pub momentum: f32,
    pub reorth_every: usize,
    pub qr: QrSign,
    k: usize,
    layout: Layout,
    buf: Vec<f64>,
    steps: usize,
    flips: usize,
}

impl GrassmannSgd {
    /// The official defaults: momentum 0.9, QR every 5 steps (Householder signs).
    ///
    /// # Panics
    /// If a tensor of the layout is not `[classes · k, d]`.
    pub fn new(layout: Layout, lr: f32, k: usize) -> Self {
        for s in &layout.slots {
            assert!(
                s.shape.len() == 2 && s.shape[0] % k == 0 && s.shape[1] >= k,
                "{} is not a [classes · k, d] tensor with d ≥ k = {k}",
                s.name
            );
        }
        Self {
            lr,
            momentum: 0.9,
            reorth_every: 5,
            qr: QrSign::Householder,
            k,
            buf: vec![0.0; layout.total],
            layout,
            steps: 0,
            flips: 0,
        }
    }
    pub fn qr(mut self, qr: QrSign) -> Self {
        self.qr = qr;
        self
    }
    pub fn reorth_every(mut self, n: usize) -> Self {
        self.reorth_every = n.max(1);
        self
    }
    /// Columns whose sign the periodic QR flipped, in total.
    pub fn flips(&self) -> usize {
        self.flips
    }
}

/// Orthonormalises the k rows of `yt` (k × d) by Householder QR of Y = ytᵀ; returns the number of
/// columns of Q that point against the corresponding column of Y.
pub fn reorthonormalise(yt: &mut [f64], k: usize, d: usize, sign: QrSign) -> usize {
    // a = Y (d × k), column-major in `a[j * d + i]` = yt[j][i].
    let mut a = yt.to_vec();
    let mut vs: Vec<Vec<f64>> = Vec::with_capacity(k);
    let mut rdiag = vec![0.0; k];
    for j in 0..k {
        let col = &a[j * d..(j + 1) * d];
        let alpha = col[j];
        let norm = col[j..].iter().map(|x| x * x).sum::<f64>().sqrt();
        let beta = if alpha >= 0.0 { -norm } else { norm };
        let mut v = vec![0.0; d];
        v[j] = alpha - beta;
        v[j + 1..].copy_from_slice(&col[j + 1..]);
        let vv: f64 = v.iter().map(|x| x * x).sum();
        rdiag[j] = beta;
        // Apply H = I − 2 v vᵀ / (vᵀv) to the remaining columns.
        if vv > 0.0 {
            for c in j..k {
                let cc = &mut a[c * d..(c + 1) * d];
                let dot: f64 = v.iter().zip(cc.iter()).map(|(p, q)| p * q).sum();
                let f = 2.0 * dot / vv;
                cc.iter_mut().zip(&v).for_each(|(x, vi)| *x -= f * vi);
            }
        }
        vs.push(v);
    }
    // Q = H1 … Hk [I_k; 0]: apply the reflectors in reverse to the unit columns.
    let mut q = vec![0.0; k * d];
    for j in 0..k {
        let col = &mut q[j * d..(j + 1) * d];
        col[j] = 1.0;
        for v in vs.iter().rev() {
            let vv: f64 = v.iter().map(|x| x * x).sum();
            if vv > 0.0 {
                let dot: f64 = v.iter().zip(col.iter()).map(|(p, q)| p * q).sum();
                let f = 2.0 * dot / vv;
                col.iter_mut().zip(v).for_each(|(x, vi)| *x -= f * vi);
            }
        }
        if sign == QrSign::Positive && rdiag[j] < 0.0 {
            col.iter_mut().for_each(|x| *x = -*x);
        }
    }
    let flips = (0..k)
        .filter(|&j| {
            let dot: f64 = (0..d).map(|i| yt[j * d + i] * q[j * d + i]).sum();
            dot < 0.0
        })
        .count();
    yt.copy_from_slice(&q);
    flips
}

/// One geodesic step of one class block in f64: `yt`, `bt` are k × d (rows = basis vectors and
/// their ambient momentum); `lr` is the step length along −(projected momentum).
pub fn geodesic_step(yt: &mut [f64], bt: &[f64], k: usize, d: usize, lr: f64) {
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    // Ĝt = Bt − (Bt Ytᵀ) Yt.
    let mut g = bt.to_vec();
    for a in 0..k {
        for b in 0..k {
            let m = dot(&bt[a * d..(a + 1) * d], &yt[b * d..(b + 1) * d]);
            for r in 0..d {
                g[a * d + r] -= m * yt[b * d + r];
            }
        }
    }
    // ĜᵀĜ = Ĝt Ĝtᵀ = V Σ² Vᵀ.
    let gram: Vec<f64> = (0..k * k)
        .map(|ab| {
            dot(
                &g[(ab / k) * d..(ab / k + 1) * d],
                &g[(ab % k) * d..(ab % k + 1) * d],
            )
        })
        .collect();
    let e = eigh(&gram, k);
    let alpha = -lr;
    let mut out = vec![0.0; k * d];
    for j in 0..k {
        let sigma = e.values[j].max(0.0).sqrt();
        let (c, s_over) = if sigma > 1e-300 {
            ((alpha * sigma).cos(), (alpha * sigma).sin() / sigma)
        } else {
            (1.0, alpha)
        };
        // Row j of (C Vᵀ Yt + S Σ⁻¹ Vᵀ Ĝt), then Yt_new = V · that.
        let mut row = vec![0.0; d];
        for a in 0..k {
            let v = e.vectors[a * k + j];
            for r in 0..d {
                row[r] += v * (c * yt[a * d + r] + s_over * g[a * d + r]);
            }
        }
        for a in 0..k {
            let v = e.vectors[a * k + j];
            for r in 0..d {
                out[a * d + r] += v * row[r];
            }
        }
    }
    yt.copy_from_slice(&out);
}

impl Optimizer for GrassmannSgd {
    fn name(&self) -> String {
        format!("Grassmann RSGD (k = {})", self.k)
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        check_len(&self.layout, params, grads);
        self.steps += 1;
        let (k, mu, first) = (self.k, self.momentum as f64, self.steps == 1);
        let reorth = self.steps.is_multiple_of(self.reorth_every);
        for slot in &self.layout.slots {
            let d = slot.shape[1];
            for block in 0..slot.shape[0] / k {
                let r = slot.offset + block * k * d..slot.offset + (block + 1) * k * d;
                let b = &mut self.buf[r.clone()];
                for (bi, &gi) in b.iter_mut().zip(&grads[r.clone()]) {
                    *bi = if first {
                        gi as f64
                    } else {
                        mu * *bi + gi as f64
                    };
                }
                let mut yt: Vec<f64> = params[r.clone()].iter().map(|&x| x as f64).collect();
                geodesic_step(&mut yt, b, k, d, self.lr as f64);
                if reorth {
                    self.flips += reorthonormalise(&mut yt, k, d, self.qr);
                }
                params[r]
                    .iter_mut()
                    .zip(&yt)
                    .for_each(|(p, &y)| *p = y as f32);
            }
        }
    }

    fn state_bytes(&self) -> usize {
        8 * self.buf.len()
    }

    fn bytes_per_step(&self) -> usize {
        // Reads p, g (f32) and the f64 buffer; writes p and the buffer.
        28 * self.layout.total
    }
}
