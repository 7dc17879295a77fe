//! diffGrad (Dubey et al., 2020): Adam whose first moment is scaled per element by a friction
//! coefficient ξ = sigmoid(|g_prev − g|) ∈ [0.5, 1).

use super::{CHUNK, Layout, Optimizer, check_len};
use rayon::prelude::*;

/// Where the friction coefficient comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Friction {
    /// `ξ = sigmoid(|g_prev − g|)` with a copy of the previous gradient (`diffGrad_v2.py`,
    /// `torch_optimizer.DiffGrad`).
    Difference,
    /// The aliasing bug of the official `diffGrad.py`: the stored "previous" gradient is the
    /// current gradient tensor itself, so `ξ₁ = sigmoid(|g₁|)` (state starts at zero) and `ξ = 0.5`
    /// from the second step on: Adam at half the step size after step one.
    Aliased,
    /// A constant ξ on every step (the control that separates friction from step size).
    Constant(f32),
}

/// diffGrad as in `torch_optimizer.DiffGrad`: coupled L2 decay written into the gradient,
/// `m`, `v` as in Adam, `p ← p − lr √(1 − β2^t)/(1 − β1^t) · ξ m / (√v + eps)` (eps is not
/// bias-corrected, unlike `torch.optim.Adam`).
#[derive(Clone, Debug)]
pub struct DiffGrad {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    pub friction: Friction,
    layout: Layout,
    m: Vec<f32>,
    v: Vec<f32>,
    prev: Vec<f32>,
    t: i32,
}

impl DiffGrad {
    /// The reference defaults: β = (0.9, 0.999), eps = 1e-8, no weight decay, true friction.
    pub fn new(layout: Layout, lr: f32) -> Self {
        let n = layout.total;
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            friction: Friction::Difference,
            layout,
            m: vec![0.0; n],
            v: vec![0.0; n],
            prev: vec![0.0; n],
            t: 0,
        }
    }
    pub fn betas(mut self, beta1: f32, beta2: f32) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }
    pub fn eps(mut self, eps: f32) -> Self {
        self.eps = eps;
        self
    }
    pub fn weight_decay(mut self, wd: f32) -> Self {
        self.weight_decay = wd;
        self
    }
    pub fn friction(mut self, friction: Friction) -> Self {
        if let Friction::Constant(_) = friction {
            self.prev = Vec::new();
        }
        self.friction = friction;
        self
    }
}

/// `1/(1 + e^{−x})` for `x ≥ 0`, with an inlined exponential that the compiler can vectorise
/// (libm's `expf` is an opaque call, which made diffGrad compute-bound).
#[inline(always)]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp_neg(x))
}

/// `e^{−x}` for `x ≥ 0` (NaN propagates), within 2 ulp of `f32::exp`: Cody–Waite reduction
/// `−x = n ln 2 + r`, |r| ≤ ln 2 / 2, a degree-6 Taylor polynomial for `e^r`, and `2^n` built
/// from its exponent bits. Inputs beyond 87 are clamped (the sigmoid is then 1 in `f32`).
#[inline(always)]
fn exp_neg(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // Round to nearest by adding and subtracting 1.5·2²³ (no `round()`, which is a libm call on
    // x86-64 without SSE4.1 and would block vectorisation).
    const SHIFT: f32 = 12_582_912.0;
    let y = -x.min(87.0);
    let n = (y * std::f32::consts::LOG2_E + SHIFT) - SHIFT;
    let r = (y - n * LN2_HI) - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    p * f32::from_bits(((n as i32 + 127) << 23) as u32)
}

impl Optimizer for DiffGrad {
    fn name(&self) -> String {
        match self.friction {
            Friction::Difference => "diffGrad".into(),
            Friction::Aliased => "diffGrad (aliased g_prev)".into(),
            Friction::Constant(c) => format!("diffGrad (ξ ≡ {c})"),
        }
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        check_len(&self.layout, params, grads);
        self.t += 1;
        let (b1, b2, eps, wd) = (self.beta1, self.beta2, self.eps, self.weight_decay);
        let step_size = self.lr * (1.0 - b2.powi(self.t)).sqrt() / (1.0 - b1.powi(self.t));
        // The aliased variant differs from the true one only in what it remembers.
        let (remember, constant) = match self.friction {
            Friction::Difference => (true, None),
            Friction::Aliased if self.t == 1 => (false, None),
            Friction::Aliased => (false, Some(0.5)),
            Friction::Constant(c) => (false, Some(c)),
        };
        let moments = move |d: f32, m: &mut f32, v: &mut f32| {
            *m = b1 * *m + (1.0 - b1) * d;
            *v = b2 * *v + (1.0 - b2) * d * d;
            step_size * *m / (v.sqrt() + eps)
        };
        let pm = params
            .par_chunks_mut(CHUNK)
            .zip(grads.par_chunks(CHUNK))
            .zip(
                self.m
                    .par_chunks_mut(CHUNK)
                    .zip(self.v.par_chunks_mut(CHUNK)),
            );
        match constant {
            Some(xi) => pm.for_each(|((p, g), (m, v))| {
                for (((pi, &gi), mi), vi) in p.iter_mut().zip(g).zip(m).zip(v) {
                    let d = gi + wd * *pi;
                    *pi -= xi * moments(d, mi, vi);
                }
            }),
            None => pm
                .zip(self.prev.par_chunks_mut(CHUNK))
                .for_each(|(((p, g), (m, v)), prev)| {
                    for ((((pi, &gi), mi), vi), qi) in p.iter_mut().zip(g).zip(m).zip(v).zip(prev) {
                        let d = gi + wd * *pi;
                        let xi = sigmoid((*qi - d).abs());
                        if remember {
                            *qi = d;
                        }
                        *pi -= xi * moments(d, mi, vi);
                    }
                }),
        }
    }

    fn state_bytes(&self) -> usize {
        4 * (self.m.len() + self.v.len() + self.prev.len())
    }

    fn bytes_per_step(&self) -> usize {
        // Reads p, g, m, v (and g_prev); writes p, m, v (and g_prev).
        let n = self.layout.total;
        if self.prev.is_empty() { 28 * n } else { 36 * n }
    }
}

#[cfg(test)]
mod tests {
    use super::exp_neg;

    #[test]
    fn inlined_exponential_matches_libm() {
        let mut worst: f32 = 0.0;
        for i in 0..200_000 {
            let x = i as f32 * 4.0e-4; // 0 .. 80
            let (a, b) = (exp_neg(x), (-x).exp());
            worst = worst.max((a - b).abs() / b);
        }
        assert!(worst < 3e-7, "{worst:e}");
        assert_eq!(exp_neg(0.0), 1.0);
        assert!(exp_neg(1e4) > 0.0 && exp_neg(1e4) < 1e-37);
    }
}
