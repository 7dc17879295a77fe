//! The task and the optimizers: next-token prediction on an order-2 Markov chain with a tiny
//! decoder-only transformer (`kernels::nn::Transformer`), trained with SGD-SaI, momentum SGD or
//! AdamW from `kernels::optim`.

use harness::rng::Rng;
use kernels::nn::{Transformer, TransformerConfig};
use kernels::optim::{Adam, Layout, Optimizer, Sgd, SgdSai, SnrScale, gsnr};

/// An order-2 Markov chain: each pair of previous tokens has 3 possible successors with
/// random weights, so attention to the token two back is needed to predict well.
#[derive(Clone, Debug)]
pub struct Chain {
    pub vocab: usize,
    /// `next[a * vocab + b]` = (successor, cumulative probability) triples.
    next: Vec<[(usize, f64); 3]>,
}

impl Chain {
    pub fn new(vocab: usize, rng: &mut Rng) -> Self {
        let next = (0..vocab * vocab)
            .map(|_| {
                let w: Vec<f64> = (0..3).map(|_| rng.gamma(1.0)).collect();
                let s: f64 = w.iter().sum();
                let mut acc = 0.0;
                let mut out = [(0, 0.0); 3];
                for (o, wi) in out.iter_mut().zip(&w) {
                    acc += wi / s;
                    *o = (rng.below(vocab as u64) as usize, acc);
                }
                out
            })
            .collect();
        Self { vocab, next }
    }

    /// `batch` sequences of `len + 1` tokens, as (inputs, next-token targets).
    pub fn sample(&self, batch: usize, len: usize, rng: &mut Rng) -> (Vec<usize>, Vec<usize>) {
        let (mut x, mut y) = (
            Vec::with_capacity(batch * len),
            Vec::with_capacity(batch * len),
        );
        for _ in 0..batch {
            let mut s = vec![
                rng.below(self.vocab as u64) as usize,
                rng.below(self.vocab as u64) as usize,
            ];
            while s.len() < len + 1 {
                let (a, b) = (s[s.len() - 2], s[s.len() - 1]);
                let u = rng.uniform();
                let succ = self.next[a * self.vocab + b];
                s.push(succ.iter().find(|(_, c)| u < *c).unwrap_or(&succ[2]).0);
            }
            x.extend_from_slice(&s[..len]);
            y.extend_from_slice(&s[1..]);
        }
        (x, y)
    }

    /// The probabilities of the successors of the pair `(a, b)` (entries may repeat a token).
    fn successors(&self, a: usize, b: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let succ = &self.next[a * self.vocab + b];
        (0..succ.len()).map(move |k| {
            let prev = if k == 0 { 0.0 } else { succ[k - 1].1 };
            (succ[k].0, succ[k].1 - prev)
        })
    }

    /// The entropy rate (nats per token) of the chain under its stationary pair distribution,
    /// estimated from a long sample: the floor of the achievable loss (ignoring the first tokens).
    pub fn entropy_rate(&self, rng: &mut Rng) -> f64 {
        let (x, _) = self.sample(1, 200_000, rng);
        let mut h = 0.0;
        for w in x.windows(2) {
            // A token may appear twice among the successors: merge in a fixed (token) order.
            let mut probs = vec![0.0; self.vocab];
            for (t, p) in self.successors(w[0], w[1]) {
                probs[t] += p;
            }
            h -= probs
                .iter()
                .filter(|&&p| p > 0.0)
                .map(|p| p * p.ln())
                .sum::<f64>();
        }
        h / (x.len() - 1) as f64
    }

    /// The loss of the best *bigram* predictor, H(x_t | x_{t−1}), under the pair frequencies of
    /// a long sample: a model whose loss is not below it has not used the token two back, which
    /// is what this task is about.
    pub fn bigram_entropy(&self, rng: &mut Rng) -> f64 {
        let v = self.vocab;
        let (x, _) = self.sample(1, 200_000, rng);
        let mut joint = vec![0.0; v * v];
        let weight = 1.0 / (x.len() - 1) as f64;
        for w in x.windows(2) {
            for (c, p) in self.successors(w[0], w[1]) {
                joint[w[1] * v + c] += weight * p;
            }
        }
        let mut h = 0.0;
        for b in 0..v {
            let row = &joint[b * v..(b + 1) * v];
            let pb: f64 = row.iter().sum();
            h -= row
                .iter()
                .filter(|&&q| q > 0.0)
                .map(|q| q * (q / pb).ln())
                .sum::<f64>();
        }
        h
    }
}

/// The optimizers compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arm {
    SgdSai,
    /// SGD-SaI with √(N − 1) in place of the g-SNR.
    SqrtSize,
    Sgdm,
    AdamW,
}

impl Arm {
    pub fn key(self) -> &'static str {
        match self {
            Arm::SgdSai => "sai",
            Arm::SqrtSize => "sqrtn",
            Arm::Sgdm => "sgdm",
            Arm::AdamW => "adamw",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Arm::SgdSai => "SGD-SaI",
            Arm::SqrtSize => "SaI with √(N−1)",
            Arm::Sgdm => "SGD momentum",
            Arm::AdamW => "AdamW",
        }
    }
    /// Momentum 0.9 for all SGD variants; AdamW with β = (0.9, 0.999); decoupled decay `wd`
    /// (coupled L2 for SGD, as `torch.optim.SGD`).
    pub fn build(self, layout: Layout, lr: f32, wd: f32) -> Box<dyn Optimizer> {
        match self {
            Arm::SgdSai => Box::new(SgdSai::new(layout, lr).weight_decay(wd)),
            Arm::SqrtSize => Box::new(
                SgdSai::new(layout, lr)
                    .weight_decay(wd)
                    .scale(SnrScale::SqrtSize),
            ),
            Arm::Sgdm => Box::new(
                Sgd::new(layout, lr)
                    .momentum(0.9, 0.0, false)
                    .weight_decay(wd),
            ),
            Arm::AdamW => Box::new(Adam::adamw(layout, lr).weight_decay(wd)),
        }
    }
}

/// Sizes and length of a training run.
#[derive(Clone, Copy, Debug)]
pub struct TrainPlan {
    pub model: TransformerConfig,
    pub steps: usize,
    pub batch: usize,
    pub val_batch: usize,
    /// Record per-tensor g-SNR every this many steps.
    pub snr_every: usize,
}

/// One run's outcome.
#[derive(Clone, Debug)]
pub struct Run {
    /// Final validation loss (nats/token); `None` if the loss stopped being finite.
    pub val_loss: Option<f64>,
    /// Per-tensor g-SNR (eps = 0) of the minibatch gradient at steps 0, every, 2·every, …
    pub snr: Vec<Vec<f64>>,
    pub state_bytes: usize,
    pub params: usize,
    pub tensors: usize,
}

/// Trains from `seed` (initialisation and batches; the chain and validation set come from the
/// caller).
pub fn train(
    arm: Arm,
    lr: f32,
    wd: f32,
    plan: &TrainPlan,
    chain: &Chain,
    val: &(Vec<usize>, Vec<usize>),
    seed: u64,
) -> Run {
    let model = Transformer::new(plan.model);
    let mut rng = Rng::new(seed);
    let mut p = model.init(&mut || rng.uniform());
    let mut opt = arm.build(model.layout().clone(), lr, wd);
    let mut grad = vec![0.0; p.len()];
    let mut snr = Vec::new();
    let mut diverged = false;
    for step in 0..plan.steps {
        let (x, y) = chain.sample(plan.batch, plan.model.seq, &mut rng);
        let loss = model.loss_grad(&p, &x, &y, &mut grad);
        if !loss.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            diverged = true;
            break;
        }
        if step % plan.snr_every == 0 {
            // eps = 0: the quantity itself (the optimizer adds 1e-8 to the deviation).
            snr.push(
                model
                    .layout()
                    .slots
                    .iter()
                    .map(|s| gsnr(&grad[s.offset..s.offset + s.len], 0.0))
                    .collect(),
            );
        }
        opt.step(&mut p, &grad);
    }
    let val_loss = if diverged {
        None
    } else {
        Some(model.loss(&p, &val.0, &val.1)).filter(|l| l.is_finite())
    };
    Run {
        val_loss,
        snr,
        state_bytes: opt.state_bytes(),
        params: p.len(),
        tensors: model.layout().slots.len(),
    }
}
