//! SGD-SaI (Xu et al., 2024): SGD with EMA momentum whose learning rate is scaled once per tensor,
//! at the first step, by the gradient signal-to-noise ratio `‖g₀‖ / (std(g₀) + eps)`.

use super::{CHUNK, Layout, Optimizer, check_len};
use rayon::prelude::*;

/// What scales each tensor's learning rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnrScale {
    /// The g-SNR of the first gradient, as in the official `sgd-sai` 1.0.3 (no normalisation).
    GSnr,
    /// The g-SNR divided by its maximum over tensors (the paper's Algorithm 1, line 14).
    GSnrOverMax,
    /// √(N − 1) for a tensor of N entries: the g-SNR's floor, pure size scaling (ablation).
    SqrtSize,
    /// 1 for every tensor: EMA-momentum SGD with decoupled decay (ablation).
    One,
}

/// The g-SNR of one gradient tensor: `‖g‖₂ / (std(g) + eps)` with the unbiased (N − 1) standard
/// deviation, a NaN deviation (N = 1) replaced by 0 as in the official code, accumulated in f64.
pub fn gsnr(g: &[f32], eps: f64) -> f64 {
    let n = g.len() as f64;
    let mean = g.iter().map(|&x| x as f64).sum::<f64>() / n;
    let ss: f64 = g.iter().map(|&x| (x as f64 - mean).powi(2)).sum();
    let norm = g.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
    let sd = (ss / (n - 1.0)).sqrt();
    let sd = if sd.is_nan() { 0.0 } else { sd };
    norm / (sd + eps)
}

/// SGD-SaI as in `sgd_sai.SGD_sai`: at the first step each tensor's scale `s` is fixed (see
/// [`SnrScale`]) and the buffer is a copy of the gradient; afterwards `b ← μ b + (1 − μ) g`;
/// every step `p ← p (1 − lr λ) − lr s b`.
#[derive(Clone, Debug)]
pub struct SgdSai {
    pub lr: f32,
    pub momentum: f32,
    pub eps: f32,
    pub weight_decay: f32,
    pub scale: SnrScale,
    layout: Layout,
    buf: Vec<f32>,
    scales: Vec<f32>,
}

impl SgdSai {
    /// The package's defaults: momentum 0.9, eps = 1e-8, weight decay 1e-2, g-SNR scaling.
    pub fn new(layout: Layout, lr: f32) -> Self {
        Self {
            lr,
            momentum: 0.9,
            eps: 1e-8,
            weight_decay: 1e-2,
            scale: SnrScale::GSnr,
            buf: vec![0.0; layout.total],
            layout,
            scales: Vec::new(),
        }
    }
    /// Momentum in (0, 1): the official code fails with 0 (its buffer is never created).
    pub fn momentum(mut self, momentum: f32) -> Self {
        assert!(
            (0.0..1.0).contains(&momentum) && momentum > 0.0,
            "SGD-SaI needs momentum in (0, 1)"
        );
        self.momentum = momentum;
        self
    }
    pub fn weight_decay(mut self, wd: f32) -> Self {
        self.weight_decay = wd;
        self
    }
    pub fn scale(mut self, scale: SnrScale) -> Self {
        self.scale = scale;
        self
    }
    /// The per-tensor learning-rate scales fixed at the first step (empty before it).
    pub fn scales(&self) -> &[f32] {
        &self.scales
    }
}

impl Optimizer for SgdSai {
    fn name(&self) -> String {
        match self.scale {
            SnrScale::GSnr => "SGD-SaI".into(),
            SnrScale::GSnrOverMax => "SGD-SaI (max-normalised)".into(),
            SnrScale::SqrtSize => "SGD-SaI (√(N−1) scale)".into(),
            SnrScale::One => "SGD-SaI (scale 1)".into(),
        }
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        check_len(&self.layout, params, grads);
        let first = self.scales.is_empty();
        if first {
            let eps = self.eps as f64;
            let raw: Vec<f64> = self
                .layout
                .slots
                .iter()
                .map(|s| {
                    let g = &grads[s.offset..s.offset + s.len];
                    match self.scale {
                        SnrScale::GSnr | SnrScale::GSnrOverMax => gsnr(g, eps),
                        SnrScale::SqrtSize => ((s.len as f64) - 1.0).max(0.0).sqrt(),
                        SnrScale::One => 1.0,
                    }
                })
                .collect();
            let max = raw.iter().copied().fold(0.0, f64::max);
            self.scales = raw
                .iter()
                .map(|&x| match self.scale {
                    SnrScale::GSnrOverMax if max > 0.0 => (x / max) as f32,
                    _ => x as f32,
                })
                .collect();
        }
        let (mu, shrink) = (self.momentum, 1.0 - self.lr * self.weight_decay);
        for (slot, &s) in self.layout.slots.iter().zip(&self.scales) {
            let r = slot.offset..slot.offset + slot.len;
            let step = self.lr * s;
            params[r.clone()]
                .par_chunks_mut(CHUNK)
                .zip(grads[r.clone()].par_chunks(CHUNK))
                .zip(self.buf[r].par_chunks_mut(CHUNK))
                .for_each(|((p, g), b)| {
                    // Two loops rather than a branch per element, so that each vectorises.
                    if first {
                        for ((pi, &gi), bi) in p.iter_mut().zip(g).zip(b) {
                            *bi = gi;
                            *pi = *pi * shrink - step * gi;
                        }
                    } else {
                        for ((pi, &gi), bi) in p.iter_mut().zip(g).zip(b) {
                            *bi = mu * *bi + (1.0 - mu) * gi;
                            *pi = *pi * shrink - step * *bi;
                        }
                    }
                });
        }
    }

    fn state_bytes(&self) -> usize {
        // One momentum buffer and one f32 scale per tensor.
        4 * (self.layout.total + self.layout.slots.len())
    }

    fn bytes_per_step(&self) -> usize {
        // Reads p, g, b; writes p, b (the first step also reads g once more for the g-SNR).
        20 * self.layout.total
    }
}
