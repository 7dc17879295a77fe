//! Optimizer steps on flat `f32` buffers, one fused pass over memory per step.
//!
//! Parameters of a model live in one flat buffer; a [`Layout`] says which ranges are which
//! tensor (name and shape), so optimizers that work per tensor (norm ratios, projections,
//! per-tensor scalings) see tensors, and element-wise ones see one long slice. An optimizer owns
//! its state and exposes its exact state size and the bytes a step must move, so benches can
//! divide throughput by the machine's bandwidth and reproductions can compare memory exactly.
//!
//! Semantics follow PyTorch's `torch.optim` (checked against it by golden fixtures in
//! `kernels/fixtures/`): `SGD` with momentum, dampening, Nesterov and L2 weight decay; `Adam`
//! with L2 weight decay; `AdamW` with decoupled weight decay. Later optimizers (diffGrad,
//! AdamP, SGD-SaI, low-rank or Kronecker-factored methods) implement the same trait.

use rayon::prelude::*;

/// Elements per rayon task: large enough to amortise scheduling, small enough to balance.
const CHUNK: usize = 1 << 14;

/// One tensor of a parameter buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub name: String,
    pub shape: Vec<usize>,
    pub offset: usize,
    pub len: usize,
}

/// The tensors of a flat parameter buffer, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub slots: Vec<Slot>,
    pub total: usize,
}

impl Layout {
    /// Tensors laid out one after another in the given order.
    pub fn new(tensors: &[(&str, &[usize])]) -> Self {
        let mut offset = 0;
        let slots = tensors
            .iter()
            .map(|(name, shape)| {
                let len = shape.iter().product();
                let slot = Slot {
                    name: (*name).to_string(),
                    shape: shape.to_vec(),
                    offset,
                    len,
                };
                offset += len;
                slot
            })
            .collect();
        Self {
            slots,
            total: offset,
        }
    }

    /// One flat tensor of `n` elements.
    pub fn flat(n: usize) -> Self {
        Self::new(&[("params", &[n])])
    }
}

/// An optimizer: updates `params` in place from `grads` (both laid out by the optimizer's
/// [`Layout`]).
pub trait Optimizer: Send {
    fn name(&self) -> String;
    /// One step.
    ///
    /// # Panics
    /// If `params` or `grads` do not have the layout's length.
    fn step(&mut self, params: &mut [f32], grads: &[f32]);
    /// Exact bytes of optimizer state.
    fn state_bytes(&self) -> usize;
    /// Bytes a step reads and writes, parameters and gradients included.
    fn bytes_per_step(&self) -> usize;
}

fn check_len(layout: &Layout, params: &[f32], grads: &[f32]) {
    assert_eq!(
        params.len(),
        layout.total,
        "parameter buffer does not match the layout"
    );
    assert_eq!(
        grads.len(),
        layout.total,
        "gradient buffer does not match the layout"
    );
}

/// Stochastic gradient descent as in `torch.optim.SGD`:
/// `g ← g + wd p`; with momentum `b ← μ b + (1 − dampening) g` (`b ← g` on the first step) and
/// `g ← g + μ b` (Nesterov) or `g ← b`; then `p ← p − lr g`.
#[derive(Clone, Debug)]
pub struct Sgd {
    pub lr: f32,
    pub momentum: f32,
    pub dampening: f32,
    pub nesterov: bool,
    pub weight_decay: f32,
    layout: Layout,
    buf: Vec<f32>,
    steps: u64,
}

impl Sgd {
    pub fn new(layout: Layout, lr: f32) -> Self {
        Self {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
            layout,
            buf: Vec::new(),
            steps: 0,
        }
    }
    pub fn momentum(mut self, momentum: f32, dampening: f32, nesterov: bool) -> Self {
        assert!(
            !nesterov || (momentum > 0.0 && dampening == 0.0),
            "Nesterov needs momentum and no dampening"
        );
        self.momentum = momentum;
        self.dampening = dampening;
        self.nesterov = nesterov;
        self
    }
    pub fn weight_decay(mut self, wd: f32) -> Self {
        self.weight_decay = wd;
        self
    }
}

impl Optimizer for Sgd {
    fn name(&self) -> String {
        format!(
            "SGD(momentum {}{})",
            self.momentum,
            if self.nesterov { ", Nesterov" } else { "" }
        )
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        check_len(&self.layout, params, grads);
        let (lr, mu, damp, wd, nesterov) = (
            self.lr,
            self.momentum,
            self.dampening,
            self.weight_decay,
            self.nesterov,
        );
        if mu == 0.0 {
            params
                .par_chunks_mut(CHUNK)
                .zip(grads.par_chunks(CHUNK))
                .for_each(|(p, g)| {
                    for (pi, &gi) in p.iter_mut().zip(g) {
                        let d = gi + wd * *pi;
                        *pi -= lr * d;
                    }
                });
        } else {
            let first = self.steps == 0;
            if first {
                self.buf = vec![0.0; params.len()];
            }
            // The branches are resolved outside the element loop so that it vectorises.
            let kernel = match (first, nesterov) {
                (true, false) => momentum_chunk::<true, false>,
                (true, true) => momentum_chunk::<true, true>,
                (false, false) => momentum_chunk::<false, false>,
                (false, true) => momentum_chunk::<false, true>,
            };
            let hyper = MomentumHyper { lr, mu, damp, wd };
            params
                .par_chunks_mut(CHUNK)
                .zip(grads.par_chunks(CHUNK))
                .zip(self.buf.par_chunks_mut(CHUNK))
                .for_each(|((p, g), b)| kernel(p, g, b, &hyper));
        }
        self.steps += 1;
    }

    fn state_bytes(&self) -> usize {
        if self.momentum == 0.0 {
            0
        } else {
            4 * self.layout.total
        }
    }

    fn bytes_per_step(&self) -> usize {
        // Reads p, g (and b); writes p (and b).
        let n = self.layout.total;
        if self.momentum == 0.0 { 12 * n } else { 20 * n }
    }
}

struct MomentumHyper {
    lr: f32,
    mu: f32,
    damp: f32,
    wd: f32,
}

/// One chunk of SGD with momentum; `FIRST` (buffer ← gradient) and `NESTEROV` are compile-time.
fn momentum_chunk<const FIRST: bool, const NESTEROV: bool>(
    p: &mut [f32],
    g: &[f32],
    b: &mut [f32],
    h: &MomentumHyper,
) {
    for ((pi, &gi), bi) in p.iter_mut().zip(g).zip(b.iter_mut()) {
        let d = gi + h.wd * *pi;
        *bi = if FIRST {
            d
        } else {
            h.mu * *bi + (1.0 - h.damp) * d
        };
        let step = if NESTEROV { d + h.mu * *bi } else { *bi };
        *pi -= h.lr * step;
    }
}

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

/// sign-SGD: `p ← p − lr sign(g)` (sign(0) = 0).
#[derive(Clone, Debug)]
pub struct SignSgd {
    pub lr: f32,
    layout: Layout,
}

impl SignSgd {
    pub fn new(layout: Layout, lr: f32) -> Self {
        Self { lr, layout }
    }
}

impl Optimizer for SignSgd {
    fn name(&self) -> String {
        "sign-SGD".into()
    }

    fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        check_len(&self.layout, params, grads);
        let lr = self.lr;
        params
            .par_chunks_mut(CHUNK)
            .zip(grads.par_chunks(CHUNK))
            .for_each(|(p, g)| {
                for (pi, &gi) in p.iter_mut().zip(g) {
                    let s = if gi > 0.0 {
                        1.0
                    } else if gi < 0.0 {
                        -1.0
                    } else {
                        0.0
                    };
                    *pi -= lr * s;
                }
            });
    }

    fn state_bytes(&self) -> usize {
        0
    }

    fn bytes_per_step(&self) -> usize {
        12 * self.layout.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_offsets() {
        let l = Layout::new(&[("w", &[4, 3]), ("b", &[5]), ("k", &[2, 2, 2])]);
        assert_eq!(l.total, 25);
        assert_eq!(l.slots[1].offset, 12);
        assert_eq!(l.slots[2].len, 8);
    }

    #[test]
    fn plain_sgd_and_sign_sgd_steps() {
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6);
        let mut p = vec![1.0f32, -2.0, 0.5];
        Sgd::new(Layout::flat(3), 0.1).step(&mut p, &[1.0, 1.0, -2.0]);
        assert!(close(&p, &[0.9, -2.1, 0.7]), "{p:?}");
        SignSgd::new(Layout::flat(3), 0.5).step(&mut p, &[3.0, 0.0, -1e-9]);
        assert!(close(&p, &[0.4, -2.1, 1.2]), "{p:?}");
    }

    #[test]
    fn adam_first_step_moves_by_lr_times_sign() {
        // With bias correction, the first Adam step is lr * g / (|g| + eps') ≈ lr sign(g).
        let mut p = vec![0.0f32; 3];
        let mut opt = Adam::new(Layout::flat(3), 0.01);
        opt.step(&mut p, &[2.0, -0.5, 1e-3]);
        for (pi, s) in p.iter().zip([-1.0f32, 1.0, -1.0]) {
            assert!((pi - 0.01 * s).abs() < 1e-6, "{p:?}");
        }
        assert_eq!(opt.state_bytes(), 24);
        assert_eq!(opt.bytes_per_step(), 84);
    }

    #[test]
    #[should_panic(expected = "does not match the layout")]
    fn wrong_buffer_length_is_refused() {
        let mut p = vec![0.0f32; 2];
        Sgd::new(Layout::flat(3), 0.1).step(&mut p, &[0.0; 3]);
    }
}
