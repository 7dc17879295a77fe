//! Adam and AdamW (PyTorch semantics).

use super::{CHUNK, Layout, Optimizer, check_len};
use rayon::prelude::*;

/// How Adam applies weight decay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decay {
    /// `g ← g + wd p` before the moments (`torch.optim.Adam`).
    L2,
    /// `p ← p (1 − lr wd)` before the update (`torch.optim.AdamW`, Loshchilov and Hutter).
    Decoupled,
}

/// Adam and AdamW as in `torch.optim`: `m ← β1 m + (1 − β1) g`, `v ← β2 v + (1 − β2) g²`,
/// `p ← p − (lr / (1 − β1^t)) m / (sqrt(v) / sqrt(1 − β2^t) + eps)`.
#[derive(Clone, Debug)]
pub struct Adam {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    pub decay: Decay,
    layout: Layout,
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
}

impl Adam {
    /// Adam with PyTorch's defaults (β = (0.9, 0.999), eps = 1e-8, no weight decay).
    pub fn new(layout: Layout, lr: f32) -> Self {
        let n = layout.total;
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decay: Decay::L2,
            layout,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }
    /// AdamW with PyTorch's defaults (weight decay 0.01).
    pub fn adamw(layout: Layout, lr: f32) -> Self {
        Self {
            weight_decay: 0.01,
            decay: Decay::Decoupled,
            ..Self::new(layout, lr)
        }
    }
    pub fn betas(mut self, beta1: f32, beta2: f32) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }
    pub fn weight_decay(mut self, wd: f32) -> Self {
        self.weight_decay = wd;
        self
    }
}

impl Optimizer for Adam {
    fn name(&self) -> String {
        match self.decay {
            Decay::L2 => "Adam".into(),
            Decay::Decoupled => "AdamW".into(),
        }
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        check_len(&self.layout, params, grads);
        self.t += 1;
        let (b1, b2, eps, wd, lr) = (self.beta1, self.beta2, self.eps, self.weight_decay, self.lr);
        let bc1 = 1.0 - b1.powi(self.t);
        let bc2_sqrt = (1.0 - b2.powi(self.t)).sqrt();
        let step_size = lr / bc1;
        let (l2, shrink) = match self.decay {
            Decay::L2 => (wd, 1.0),
            Decay::Decoupled => (0.0, 1.0 - lr * wd),
        };
        params
            .par_chunks_mut(CHUNK)
            .zip(grads.par_chunks(CHUNK))
            .zip(
                self.m
                    .par_chunks_mut(CHUNK)
                    .zip(self.v.par_chunks_mut(CHUNK)),
            )
            .for_each(|((p, g), (m, v))| {
                for (((pi, &gi), mi), vi) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut())
                {
                    *pi *= shrink;
                    let d = gi + l2 * *pi;
                    *mi = b1 * *mi + (1.0 - b1) * d;
                    *vi = b2 * *vi + (1.0 - b2) * d * d;
                    let denom = vi.sqrt() / bc2_sqrt + eps;
                    *pi -= step_size * *mi / denom;
                }
            });
    }

    fn state_bytes(&self) -> usize {
        8 * self.layout.total
    }

    fn bytes_per_step(&self) -> usize {
        // Reads p, g, m, v; writes p, m, v.
        28 * self.layout.total
    }
}
