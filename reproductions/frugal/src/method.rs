//! The task and the arms: character-level next-token prediction on Tiny Shakespeare with the
//! tiny decoder of `kernels::nn::Transformer`, trained by AdamW or by one of FRUGAL's variants
//! and baselines from `kernels::subspace` (equations in its module docs). No backward pass is
//! written here: the transformer's is the hand-written, finite-difference-checked one in
//! `kernels::nn`.

use harness::rng::Rng;
use kernels::nn::{Transformer, TransformerConfig};
use kernels::optim::{Adam, Layout, Optimizer};
use kernels::subspace::{Config, Frugal, Subspace, projectable};

/// The six methods of the card's miniature, at equal state memory (ρ = 0.25) where they
/// project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arm {
    AdamW,
    /// FRUGAL as pre-trained officially: whole tensors (descending), sign-SGD on the rest.
    FrugalBlocks,
    /// The same subspace with nothing on the rest (the card's correction: the official BAdam
    /// baseline degenerates on a two-layer model).
    BadamLike,
    /// FRUGAL with the SVD subspace, state reset every refresh.
    FrugalSvd,
    /// GaLore as the README runs it in FRUGAL's code: SVD, no residual, moments kept, the
    /// subspace's learning rate scaled by 0.25.
    GaloreLike,
    /// ρ = 0: sign-SGD on every projectable matrix, AdamW on the rest.
    FrugalZero,
}

impl Arm {
    pub const ALL: [Arm; 6] = [
        Arm::AdamW,
        Arm::FrugalBlocks,
        Arm::BadamLike,
        Arm::FrugalSvd,
        Arm::GaloreLike,
        Arm::FrugalZero,
    ];
    pub fn key(self) -> &'static str {
        match self {
            Arm::AdamW => "adamw",
            Arm::FrugalBlocks => "frugal_blocks",
            Arm::BadamLike => "badam_like",
            Arm::FrugalSvd => "frugal_svd",
            Arm::GaloreLike => "galore_like",
            Arm::FrugalZero => "frugal_zero",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Arm::AdamW => "AdamW",
            Arm::FrugalBlocks => "FRUGAL (blocks)",
            Arm::BadamLike => "BAdam-like (blocks, no residual)",
            Arm::FrugalSvd => "FRUGAL (SVD)",
            Arm::GaloreLike => "GaLore-like (SVD, no residual)",
            Arm::FrugalZero => "FRUGAL ρ = 0",
        }
    }
    /// The arm's `kernels::subspace` settings, or `None` for AdamW.
    pub fn config(self, lr: f32, s: &ArmSettings) -> Option<Config> {
        let (rho, t) = (s.density, s.update_gap);
        Some(match self {
            Arm::AdamW => return None,
            Arm::FrugalBlocks => Config::frugal(Subspace::Blocks, lr, rho, t),
            Arm::BadamLike => Config::badam_like(lr, rho, t),
            Arm::FrugalSvd => Config::frugal(Subspace::Svd, lr, rho, t),
            Arm::GaloreLike => Config {
                proj_lr_scale: s.galore_lr_scale,
                ..Config::galore_like(lr, rho, t)
            },
            Arm::FrugalZero => Config::frugal(Subspace::Blocks, lr, 0.0, t),
        })
    }
}

/// Settings shared by the arms (the official pre-training recipe scaled down; chosen before
/// running).
#[derive(Clone, Copy, Debug)]
pub struct ArmSettings {
    /// ρ.
    pub density: f64,
    /// T, the refresh period.
    pub update_gap: usize,
    /// The GaLore baseline's `proj_params_lr_scale` (README: 0.25).
    pub galore_lr_scale: f32,
}

/// AdamW (no weight decay, as the official recipe) or the arm's FRUGAL configuration.
pub enum Stepper {
    AdamW(Adam),
    Frugal(Box<Frugal>),
}

impl Stepper {
    pub fn new(arm: Arm, layout: &Layout, lr: f32, s: &ArmSettings, seed: u64) -> Self {
        match arm.config(lr, s) {
            None => Stepper::AdamW(Adam::adamw(layout.clone(), lr).weight_decay(0.0)),
            Some(cfg) => Stepper::Frugal(Box::new(Frugal::new(
                layout.clone(),
                &projectable(layout),
                cfg.seed(seed),
            ))),
        }
    }
    pub fn optimizer(&mut self) -> &mut dyn Optimizer {
        match self {
            Stepper::AdamW(a) => a,
            Stepper::Frugal(f) => f.as_mut(),
        }
    }
    /// Floats of Adam moments held (AdamW: two per parameter).
    pub fn moment_floats(&self, layout: &Layout) -> usize {
        match self {
            Stepper::AdamW(_) => 2 * layout.total,
            Stepper::Frugal(f) => f.moment_floats(),
        }
    }
}

/// Random training windows and fixed validation windows of `seq + 1` tokens.
pub struct Windows<'a> {
    pub tokens: &'a [usize],
    pub seq: usize,
}

impl Windows<'_> {
    /// `batch` windows at uniform random offsets, as (inputs, next-token targets).
    pub fn sample(&self, batch: usize, rng: &mut Rng) -> (Vec<usize>, Vec<usize>) {
        let starts: Vec<usize> = (0..batch)
            .map(|_| rng.below((self.tokens.len() - self.seq - 1) as u64) as usize)
            .collect();
        self.at(&starts)
    }
    /// `n` windows evenly spaced over the tokens.
    pub fn evenly(&self, n: usize) -> (Vec<usize>, Vec<usize>) {
        let span = (self.tokens.len() - self.seq - 1) / n.max(1);
        let starts: Vec<usize> = (0..n).map(|i| i * span).collect();
        self.at(&starts)
    }
    fn at(&self, starts: &[usize]) -> (Vec<usize>, Vec<usize>) {
        let mut x = Vec::with_capacity(starts.len() * self.seq);
        let mut y = Vec::with_capacity(starts.len() * self.seq);
        for &s in starts {
            x.extend_from_slice(&self.tokens[s..s + self.seq]);
            y.extend_from_slice(&self.tokens[s + 1..s + self.seq + 1]);
        }
        (x, y)
    }
}

/// The entropy of the character frequencies of `tokens` (nats): what a model that ignores the
/// context can reach at best.
pub fn unigram_entropy(tokens: &[usize], vocab: usize) -> f64 {
    let mut counts = vec![0usize; vocab];
    tokens.iter().for_each(|&t| counts[t] += 1);
    let n = tokens.len() as f64;
    -counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| (c as f64 / n) * (c as f64 / n).ln())
        .sum::<f64>()
}

/// The model for `cfg`.
pub fn model(cfg: TransformerConfig) -> Transformer {
    Transformer::new(cfg)
}

/// The parameters in projectable (linear-map) tensors and in the rest.
pub fn split_sizes(layout: &Layout) -> (usize, usize) {
    let mask = projectable(layout);
    let linear: usize = layout
        .slots
        .iter()
        .zip(&mask)
        .filter(|(_, p)| **p)
        .map(|(s, _)| s.len)
        .sum();
    (linear, layout.total - linear)
}
