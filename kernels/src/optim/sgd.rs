//! SGD with momentum (PyTorch semantics) and sign-SGD.

use super::{CHUNK, Layout, Optimizer, check_len};
use rayon::prelude::*;

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
