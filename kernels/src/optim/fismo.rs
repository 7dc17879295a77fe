//! FISMO (Xu, Yan and Zhang, arXiv 2601.21750, 2026): Muon's orthogonalised momentum in the
//! basis whitened by a Kronecker-factored Fisher `F ≈ Q ⊗ P`. No official code was found; this
//! follows Algorithm 1 as transcribed on the paper card (`shared/papers/fismo.md`), per matrix
//! `W ∈ R^{m×n}` (rows = outputs, as torch and dfdx store a linear layer):
//!
//! ```text
//! L = (1/n) G Q⁻¹ Gᵀ + μ d_P I,      P ← sym( m P̃ / tr P̃ ),  P̃ = γ P + (1 − γ) L
//! R = (1/m) Gᵀ P⁻¹ G + μ d_Q I,      Q ← sym( n Q̃ / tr Q̃ ),  Q̃ = γ Q + (1 − γ) R   (new P)
//! M ← β M + (1 − β) P^{-1/2} G Q^{-1/2}                        (torch's lerp, f32 as Muon's)
//! W ← W (1 − η wd) − η P^{-1/2} Polar(M) Q^{-1/2}
//! ```
//!
//! The damping scale is Algorithm 1's `d_P = tr(P)/m = 1`, `d_Q = tr(Q)/n = 1` by default
//! ([`Damping::Algorithm1`]); the fixed point of the log-det Kronecker fit (the card's
//! Theorem 1) has `d_P = tr(Q⁻¹)/n`, `d_Q = tr(P⁻¹)/m` instead ([`Damping::Theorem1`]). The
//! card's correction says the two differ and that Algorithm 1 is the method. The update solves
//! `min ⟨G, ΔW⟩ s.t. ‖P^{1/2} ΔW Q^{1/2}‖₂ ≤ 1` for the momentum: with the exact polar factor
//! every singular value of `P^{1/2} ΔW Q^{1/2}` is one. With γ = 1 the factors stay the
//! identity and FISMO is Muon with EMA momentum, no Nesterov and no shape scale, bit for bit.
//! Factors are kept in f64; P⁻¹, P^{-1/2} (and Q's) come from one eigendecomposition each.

use super::muon::{gemm, lerp};
use super::{Layout, Optimizer, Orthogonalize, check_len, newton_schulz, polar};
use crate::spd::{eigh, identity, sym, trace};

/// The damping scale of the factor updates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Damping {
    /// `μ · tr(P)/m` and `μ · tr(Q)/n`, i.e. `μ` after trace normalisation (Algorithm 1).
    Algorithm1,
    /// `μ · tr(Q⁻¹)/n` and `μ · tr(P⁻¹)/m`, the log-det fixed point (Theorem 1 as transcribed).
    Theorem1,
}

/// Kronecker factors and momentum of one matrix.
struct Factors {
    rows: usize,
    cols: usize,
    p: Vec<f64>,
    q: Vec<f64>,
    /// `Q⁻¹` of the last step (the next `L` uses `Q_{t−1}⁻¹`).
    q_inv: Vec<f64>,
    momentum: Vec<f32>,
}

/// `P⁻¹` and `P^{-1/2}` of an SPD matrix from one eigendecomposition.
fn inverse_and_root(p: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let e = eigh(p, n);
    (e.apply(|l| 1.0 / l), e.apply(|l| 1.0 / l.sqrt()))
}

/// `γ a + (1 − γ) b`, then `sym(k · x / tr x)`.
fn blend_normalise(a: &[f64], b: &[f64], gamma: f64, k: usize) -> Vec<f64> {
    let x: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(ai, bi)| gamma * ai + (1.0 - gamma) * bi)
        .collect();
    let s = k as f64 / trace(&x, k);
    sym(&x.iter().map(|v| v * s).collect::<Vec<_>>(), k)
}

/// FISMO on every matrix of its layout (hyper-parameters chosen here before running, since the
/// paper's are not known: β = 0.95, γ = 0.95, μ = 1e-3, the exact polar factor, no weight decay).
pub struct Fismo {
    layout: Layout,
    pub lr: f32,
    pub beta: f32,
    pub gamma: f64,
    pub mu: f64,
    pub weight_decay: f32,
    pub orthogonalize: Orthogonalize,
    pub damping: Damping,
    mats: Vec<Factors>,
}

impl Fismo {
    /// # Panics
    /// If a tensor of `layout` has fewer than two dimensions or no elements.
    pub fn new(layout: Layout, lr: f32) -> Self {
        let mats = layout
            .slots
            .iter()
            .map(|s| {
                assert!(
                    s.shape.len() >= 2 && s.len > 0,
                    "FISMO updates non-empty matrices; {} has shape {:?}: give it another optimizer (Grouped)",
                    s.name,
                    s.shape
                );
                let (rows, cols) = (s.shape[0], s.len / s.shape[0]);
                Factors {
                    rows,
                    cols,
                    p: identity(rows),
                    q: identity(cols),
                    q_inv: identity(cols),
                    momentum: vec![0.0; s.len],
                }
            })
            .collect();
        Self {
            layout,
            lr,
            beta: 0.95,
            gamma: 0.95,
            mu: 1e-3,
            weight_decay: 0.0,
            orthogonalize: Orthogonalize::Exact,
            damping: Damping::Algorithm1,
            mats,
        }
    }

    /// # Panics
    /// If β or γ lies outside [0, 1] or μ is negative or not finite.
    pub fn factors(mut self, beta: f32, gamma: f64, mu: f64) -> Self {
        assert!(
            (0.0..=1.0).contains(&beta),
            "FISMO momentum β = {beta} is outside [0, 1]"
        );
        assert!(
            (0.0..=1.0).contains(&gamma),
            "FISMO factor decay γ = {gamma} is outside [0, 1]"
        );
        assert!(
            mu.is_finite() && mu >= 0.0,
            "FISMO damping μ = {mu} must be finite and ≥ 0"
        );
        (self.beta, self.gamma, self.mu) = (beta, gamma, mu);
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
    pub fn damping(mut self, d: Damping) -> Self {
        self.damping = d;
        self
    }

    /// The current `(P, Q)` of the `i`-th matrix of the layout (row-major f64).
    pub fn kronecker_factors(&self, i: usize) -> (&[f64], &[f64]) {
        (&self.mats[i].p, &self.mats[i].q)
    }
}

impl Factors {
    /// Updates P and Q from `g` and returns `(P^{-1/2}, Q^{-1/2})`.
    fn update(&mut self, g: &[f64], gamma: f64, mu: f64, damping: Damping) -> [Vec<f64>; 2] {
        let (m, n) = (self.rows, self.cols);
        // L = (1/n) G Q⁻¹ Gᵀ + μ d_P I.
        let g_qinv = gemm(m, n, n, g, (n, 1), &self.q_inv, (n, 1));
        let mut l = gemm(m, n, m, &g_qinv, (n, 1), g, (1, n));
        let d_p = match damping {
            Damping::Algorithm1 => trace(&self.p, m) / m as f64,
            Damping::Theorem1 => trace(&self.q_inv, n) / n as f64,
        };
        l.iter_mut().for_each(|v| *v /= n as f64);
        (0..m).for_each(|i| l[i * m + i] += mu * d_p);
        self.p = blend_normalise(&self.p, &l, gamma, m);
        let (p_inv, p_root) = inverse_and_root(&self.p, m);
        // R = (1/m) Gᵀ P⁻¹ G + μ d_Q I, with the new P.
        let pinv_g = gemm(m, m, n, &p_inv, (m, 1), g, (n, 1));
        let mut r = gemm(n, m, n, g, (1, n), &pinv_g, (n, 1));
        let d_q = match damping {
            Damping::Algorithm1 => trace(&self.q, n) / n as f64,
            Damping::Theorem1 => trace(&p_inv, m) / m as f64,
        };
        r.iter_mut().for_each(|v| *v /= m as f64);
        (0..n).for_each(|i| r[i * n + i] += mu * d_q);
        self.q = blend_normalise(&self.q, &r, gamma, n);
        let (q_inv, q_root) = inverse_and_root(&self.q, n);
        self.q_inv = q_inv;
        [p_root, q_root]
    }
}

/// `a (m × m) · x (m × n) · b (n × n)`.
fn sandwich(a: &[f64], x: &[f64], b: &[f64], m: usize, n: usize) -> Vec<f64> {
    let ax = gemm(m, m, n, a, (m, 1), x, (n, 1));
    gemm(m, n, n, &ax, (n, 1), b, (n, 1))
}

impl Optimizer for Fismo {
    fn name(&self) -> String {
        match self.orthogonalize {
            Orthogonalize::NewtonSchulz { steps, .. } => format!("FISMO (NS{steps})"),
            Orthogonalize::Exact => "FISMO (exact polar)".into(),
        }
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        check_len(&self.layout, params, grads);
        let decay = 1.0 - self.lr * self.weight_decay;
        for (s, f) in self.layout.slots.iter().zip(&mut self.mats) {
            let range = s.offset..s.offset + s.len;
            let (m, n) = (f.rows, f.cols);
            let g: Vec<f64> = grads[range.clone()].iter().map(|&v| f64::from(v)).collect();
            let [p_root, q_root] = f.update(&g, self.gamma, self.mu, self.damping);
            let white = sandwich(&p_root, &g, &q_root, m, n);
            f.momentum
                .iter_mut()
                .zip(&white)
                .for_each(|(mi, &wi)| *mi = lerp(*mi, wi as f32, 1.0 - self.beta));
            let mom: Vec<f64> = f.momentum.iter().map(|&v| f64::from(v)).collect();
            let o = match self.orthogonalize {
                Orthogonalize::NewtonSchulz { steps, coeffs } => {
                    newton_schulz(&mom, m, n, steps, coeffs)
                }
                Orthogonalize::Exact => polar(&mom, m, n),
            };
            let delta = sandwich(&p_root, &o, &q_root, m, n);
            for (p, d) in params[range].iter_mut().zip(&delta) {
                *p = *p * decay - self.lr * *d as f32;
            }
        }
    }

    /// Momentum (f32) and the factors P, Q and the cached Q⁻¹ (f64).
    fn state_bytes(&self) -> usize {
        self.mats
            .iter()
            .map(|f| 4 * f.momentum.len() + 8 * (f.rows * f.rows + 2 * f.cols * f.cols))
            .sum()
    }

    /// Parameters, gradients and momentum read, parameters and momentum written, and the
    /// factors read and written once; the per-matrix f64 temporaries are not counted.
    fn bytes_per_step(&self) -> usize {
        self.mats
            .iter()
            .map(|f| 20 * f.momentum.len() + 16 * (f.rows * f.rows + 2 * f.cols * f.cols))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Muon;
    use crate::rng::Rng;

    fn layout() -> Layout {
        Layout::new(&[("a", &[6, 4]), ("b", &[3, 5])])
    }

    fn randn(n: usize, rng: &mut Rng) -> Vec<f32> {
        (0..n).map(|_| rng.normal() as f32).collect()
    }

    #[test]
    fn with_gamma_one_fismo_is_muon_with_ema_momentum_bit_for_bit() {
        let mut rng = Rng::new(11);
        let l = layout();
        let mut fismo = Fismo::new(l.clone(), 0.02).factors(0.9, 1.0, 1e-3);
        let mut muon = Muon::new(l.clone(), 0.02)
            .momentum(0.9, false)
            .shape_scale(false)
            .orthogonalize(Orthogonalize::Exact);
        let mut a = randn(l.total, &mut rng);
        let mut b = a.clone();
        for _ in 0..5 {
            let g = randn(l.total, &mut rng);
            fismo.step(&mut a, &g);
            muon.step(&mut b, &g);
        }
        assert_eq!(a, b);
    }

    /// The trust region is tight: every singular value of `P^{1/2} ΔW Q^{1/2}` is one, and the
    /// factors keep their traces and stay SPD.
    #[test]
    fn the_step_is_on_the_trust_region_boundary_and_factors_keep_their_traces() {
        let mut rng = Rng::new(12);
        let l = Layout::new(&[("w", &[5, 3])]);
        for damping in [Damping::Algorithm1, Damping::Theorem1] {
            let mut opt = Fismo::new(l.clone(), 1.0)
                .factors(0.0, 0.5, 1e-3)
                .damping(damping);
            for _ in 0..4 {
                let mut w = vec![0.0f32; 15];
                let g = randn(15, &mut rng);
                opt.step(&mut w, &g);
                let (p, q) = opt.kronecker_factors(0);
                assert!((trace(p, 5) - 5.0).abs() < 1e-12 && (trace(q, 3) - 3.0).abs() < 1e-12);
                assert!(eigh(p, 5).values[0] > 0.0 && eigh(q, 3).values[0] > 0.0);
                // ΔW = −w (lr 1, β 0): the momentum is this step's whitened gradient.
                let dw: Vec<f64> = w.iter().map(|&v| -f64::from(v)).collect();
                let ps = eigh(p, 5).apply(f64::sqrt);
                let qs = eigh(q, 3).apply(f64::sqrt);
                let t = sandwich(&ps, &dw, &qs, 5, 3);
                let tt = gemm(3, 5, 3, &t, (1, 3), &t, (3, 1));
                for s in eigh(&tt, 3).values {
                    assert!(
                        (s.sqrt() - 1.0).abs() < 1e-5,
                        "{damping:?}: σ = {}",
                        s.sqrt()
                    );
                }
            }
        }
    }

    #[test]
    fn the_two_dampings_differ_and_state_is_counted_exactly() {
        let mut rng = Rng::new(13);
        let l = layout();
        let g = randn(l.total, &mut rng);
        let mut a = Fismo::new(l.clone(), 0.1);
        let mut b = Fismo::new(l.clone(), 0.1).damping(Damping::Theorem1);
        let (mut wa, mut wb) = (vec![0.0; l.total], vec![0.0; l.total]);
        for _ in 0..3 {
            a.step(&mut wa, &g);
            b.step(&mut wb, &g);
        }
        assert!(a.kronecker_factors(0).0 != b.kronecker_factors(0).0);
        assert_eq!(a.state_bytes(), 4 * (24 + 15) + 8 * (36 + 32 + 9 + 50));
    }

    #[test]
    #[should_panic(expected = "outside [0, 1]")]
    fn gamma_outside_the_unit_interval_is_refused() {
        let _ = Fismo::new(layout(), 0.1).factors(0.9, 1.5, 1e-3);
    }
}
