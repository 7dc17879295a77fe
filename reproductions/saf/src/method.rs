//! The model, the data, the four arms and one training step of each. SAF's trajectory term,
//! SAM, MESA's EMA and the power iteration live in `kernels::sharpness` (equations in its
//! module docs); the model is a dfdx MLP stepped through `dfdx_bridge`, so no backward pass is
//! written here.
//!
//! A step takes the logits of a traced forward pass, computes the loss and its gradient in the
//! logits on the CPU (cross-entropy, plus SAF's or MESA's KL term), and lets dfdx carry that
//! gradient back through the network with the surrogate `Σ z ⊙ ∂L/∂z`, whose parameter gradient
//! is exactly `Jᵀ ∂L/∂z`. So the loss is computed by the same code for every arm and λ = 0
//! leaves the gradient bit for bit SGD's.

use dfdx_bridge::dfdx::prelude::*;
use dfdx_bridge::{Bridge, BridgeError, read_grads, read_params, write_params};
use harness::rng::Rng;
use kernels::data::Dataset;
use kernels::nn::softmax_xent;
use kernels::optim::{Optimizer, Sgd};
use kernels::sharpness::{Ema, Sam, TrajectoryLogits, trajectory_kl};

/// Input dimension and classes of the miniature (the card's 32-D, 10-class clusters).
pub const DIM: usize = 32;
pub const CLASSES: usize = 10;

/// The card's MLP, 32 → H → H → 10 with ReLU.
pub type Net<const H: usize> = (
    (Linear<DIM, H>, ReLU),
    (Linear<H, H>, ReLU),
    Linear<H, CLASSES>,
);

pub type Model<const H: usize> = <Net<H> as BuildOnDevice<Cpu, f32>>::Built;

/// The four arms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arm {
    Sgd,
    Saf,
    Sam,
    Mesa,
}

impl Arm {
    pub const ALL: [Arm; 4] = [Arm::Sgd, Arm::Saf, Arm::Sam, Arm::Mesa];
    pub fn key(self) -> &'static str {
        match self {
            Arm::Sgd => "sgd",
            Arm::Saf => "saf",
            Arm::Sam => "sam",
            Arm::Mesa => "mesa",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Arm::Sgd => "SGD",
            Arm::Saf => "SAF",
            Arm::Sam => "SAM",
            Arm::Mesa => "MESA",
        }
    }
}

/// The arms' settings (the card's miniature, fixed before running).
#[derive(Clone, Copy, Debug)]
pub struct ArmSettings {
    pub lr: f32,
    pub momentum: f32,
    /// SAF's λ (`--reinforce`; the README's 0.3, not the code's 0.16).
    pub saf_lambda: f64,
    /// τ (`--temperature`).
    pub tau: f64,
    /// The KL term is on for epochs `e > start_epoch` (the official strict inequality).
    pub start_epoch: usize,
    /// Ẽ (`--minus_epoch`).
    pub lag: usize,
    /// SAM's ρ.
    pub rho: f64,
    /// MESA's EMA decay (0.9998 in the official recipe, scaled down for 60 short epochs).
    pub mesa_decay: f64,
    /// MESA's λ (`run.sh`'s 0.8).
    pub mesa_lambda: f64,
}

/// Gaussian clusters: class means `spread · N(0, I)` in `DIM` dimensions, examples
/// `mean + N(0, I)`, classes balanced. A fraction `noise` of the training labels is replaced
/// by a different class drawn uniformly (symmetric noise); the test labels stay clean.
pub fn clusters(
    rng: &mut Rng,
    train: usize,
    test: usize,
    spread: f64,
    noise: f64,
) -> (Dataset, Dataset) {
    let means: Vec<f64> = (0..CLASSES * DIM).map(|_| spread * rng.normal()).collect();
    let draw = |n: usize, rng: &mut Rng| {
        let y: Vec<usize> = (0..n).map(|i| i % CLASSES).collect();
        let x: Vec<f32> = y
            .iter()
            .flat_map(|&c| {
                (0..DIM)
                    .map(|j| (means[c * DIM + j] + rng.normal()) as f32)
                    .collect::<Vec<_>>()
            })
            .collect();
        Dataset {
            x,
            y,
            features: DIM,
            classes: CLASSES,
        }
    };
    let mut tr = draw(train, rng);
    let te = draw(test, rng);
    for y in &mut tr.y {
        if rng.uniform() < noise {
            *y = (*y + 1 + rng.below(CLASSES as u64 - 1) as usize) % CLASSES;
        }
    }
    (tr, te)
}

/// Forward and backward passes per training step, counted where they happen (V1).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Passes {
    pub forward: u64,
    pub backward: u64,
}

type Input = Tensor<(usize, Const<DIM>), f32, Cpu>;

/// The rows `idx` of `d` as an input tensor.
pub fn input(dev: &Cpu, d: &Dataset, idx: &[usize]) -> Input {
    let b = d.rows(idx);
    dev.tensor_from_vec(b.x, (idx.len(), Const::<DIM>))
}

/// The logits of `x` without a tape (evaluation, MESA's teacher).
pub fn logits<const H: usize>(net: &Model<H>, x: Input, passes: &mut Passes) -> Vec<f32> {
    passes.forward += 1;
    net.forward(x).as_vec()
}

/// One traced forward pass, the loss computed from its logits by `loss` (which returns the
/// gradient in the logits), and the backward pass: the flat parameter gradient in `out`.
pub fn gradient<const H: usize>(
    net: &Model<H>,
    x: Input,
    passes: &mut Passes,
    out: &mut [f32],
    loss: &mut dyn FnMut(&[f32]) -> Vec<f32>,
) -> Result<(), BridgeError> {
    let rows = x.shape().0;
    let z = net.forward(x.trace(net.alloc_grads()));
    passes.forward += 1;
    let g = loss(&z.as_vec());
    let g = z.device().tensor_from_vec(g, (rows, Const::<CLASSES>));
    let grads = (z * g).sum().backward();
    passes.backward += 1;
    read_grads(net, &grads, out)
}

/// The per-run state of an arm.
pub struct Trainer<const H: usize> {
    pub arm: Arm,
    pub settings: ArmSettings,
    pub net: Model<H>,
    dev: Cpu,
    /// MESA's teacher network (its weights are the EMA's).
    teacher: Option<(Model<H>, Ema)>,
    /// SAF's stored logits.
    buffer: Option<TrajectoryLogits>,
    sgd: Option<Sgd>,
    sam: Option<Sam>,
    params: Vec<f32>,
    grads: Vec<f32>,
    pub passes: Passes,
    /// Sum of the KL terms (before λ) over the steps where it was on, and their count.
    pub kl_sum: f64,
    pub kl_steps: u64,
}

impl<const H: usize> Trainer<H> {
    /// A trainer for `arm` on a network initialised from `seed`, for `examples` training rows.
    pub fn new(arm: Arm, settings: ArmSettings, seed: u64, examples: usize) -> Self {
        let dev = Cpu::seed_from_u64(seed);
        let net = dev.build_module::<Net<H>, f32>();
        let layout = Bridge::new(&net).layout;
        let n = layout.total;
        let sgd = Sgd::new(layout, settings.lr).momentum(settings.momentum, 0.0, false);
        let mut params = vec![0.0; n];
        read_params(&net, &mut params).expect("layout");
        let teacher =
            (arm == Arm::Mesa).then(|| (net.clone(), Ema::new(&params, settings.mesa_decay)));
        let buffer =
            (arm == Arm::Saf).then(|| TrajectoryLogits::new(examples, settings.lag, CLASSES));
        let (sgd, sam) = if arm == Arm::Sam {
            (None, Some(Sam::new(Box::new(sgd), settings.rho)))
        } else {
            (Some(sgd), None)
        };
        Self {
            arm,
            settings,
            net,
            dev,
            teacher,
            buffer,
            sgd,
            sam,
            params,
            grads: vec![0.0; n],
            passes: Passes::default(),
            kl_sum: 0.0,
            kl_steps: 0,
        }
    }

    /// The bytes of state beyond the parameters: momentum, SAM's saved copy, MESA's EMA,
    /// SAF's logit buffer.
    pub fn state_bytes(&self) -> usize {
        let n = self.params.len();
        let opt = match (&self.sgd, &self.sam) {
            (Some(s), _) => s.state_bytes(),
            (_, Some(s)) => s.state_bytes().max(4 * n + 4 * n),
            _ => 0,
        };
        opt.max(4 * n)
            + self.teacher.as_ref().map_or(0, |_| 4 * n)
            + self.buffer.as_ref().map_or(0, TrajectoryLogits::bytes)
    }

    /// One training step on the batch `idx` of `train` in `epoch`. A non-finite gradient is
    /// an error and leaves the weights as they were.
    pub fn step(&mut self, train: &Dataset, idx: &[usize], epoch: usize) -> Result<(), String> {
        let dev = self.dev.clone();
        let labels: Vec<usize> = idx.iter().map(|&i| train.y[i]).collect();
        let s = self.settings;
        let on = epoch > s.start_epoch;
        let ce = |z: &[f32]| softmax_xent(z, &labels, CLASSES).1;
        let bad = |e: BridgeError| e.to_string();
        match self.arm {
            Arm::Sgd => {
                gradient(
                    &self.net,
                    input(&dev, train, idx),
                    &mut self.passes,
                    &mut self.grads,
                    &mut |z| ce(z),
                )
                .map_err(bad)?;
            }
            Arm::Saf => {
                let buffer = self.buffer.as_mut().expect("SAF's buffer");
                let (mut kl_sum, mut kl_steps) = (0.0, 0);
                gradient(
                    &self.net,
                    input(&dev, train, idx),
                    &mut self.passes,
                    &mut self.grads,
                    &mut |z| {
                        let mut g = ce(z);
                        let past = if on { buffer.past(epoch, idx) } else { None };
                        buffer.store(epoch, idx, z);
                        if let Some(past) = past {
                            let kl = trajectory_kl(&past, z, CLASSES, s.tau);
                            add(&mut g, &kl.grad, s.saf_lambda);
                            kl_sum += kl.value;
                            kl_steps += 1;
                        }
                        g
                    },
                )
                .map_err(bad)?;
                self.kl_sum += kl_sum;
                self.kl_steps += kl_steps;
            }
            Arm::Mesa => {
                let (teacher, _) = self.teacher.as_ref().expect("MESA's teacher");
                let past = on.then(|| logits(teacher, input(&dev, train, idx), &mut self.passes));
                let mut kl_value = None;
                gradient(
                    &self.net,
                    input(&dev, train, idx),
                    &mut self.passes,
                    &mut self.grads,
                    &mut |z| {
                        let mut g = ce(z);
                        if let Some(past) = &past {
                            let kl = trajectory_kl(past, z, CLASSES, s.tau);
                            add(&mut g, &kl.grad, s.mesa_lambda);
                            kl_value = Some(kl.value);
                        }
                        g
                    },
                )
                .map_err(bad)?;
                if let Some(v) = kl_value {
                    self.kl_sum += v;
                    self.kl_steps += 1;
                }
            }
            Arm::Sam => return self.sam_step(train, idx),
        }
        check_finite(&self.grads)?;
        read_params(&self.net, &mut self.params).map_err(bad)?;
        self.sgd
            .as_mut()
            .expect("SGD")
            .step(&mut self.params, &self.grads);
        write_params(&mut self.net, &self.params).map_err(bad)?;
        if let Some((teacher, ema)) = self.teacher.as_mut() {
            ema.update(&self.params);
            write_params(teacher, &ema.shadow).map_err(bad)?;
        }
        Ok(())
    }

    fn sam_step(&mut self, train: &Dataset, idx: &[usize]) -> Result<(), String> {
        let dev = self.dev.clone();
        let labels: Vec<usize> = idx.iter().map(|&i| train.y[i]).collect();
        let bad = |e: BridgeError| e.to_string();
        let mut ce = |z: &[f32]| softmax_xent(z, &labels, CLASSES).1;
        gradient(
            &self.net,
            input(&dev, train, idx),
            &mut self.passes,
            &mut self.grads,
            &mut ce,
        )
        .map_err(bad)?;
        read_params(&self.net, &mut self.params).map_err(bad)?;
        let sam = self.sam.as_mut().expect("SAM");
        sam.ascend(&mut self.params, &self.grads)?;
        write_params(&mut self.net, &self.params).map_err(bad)?;
        gradient(
            &self.net,
            input(&dev, train, idx),
            &mut self.passes,
            &mut self.grads,
            &mut ce,
        )
        .map_err(bad)?;
        if let Err(e) = check_finite(&self.grads) {
            // Put the unperturbed weights back before reporting.
            sam.step(&mut self.params, &vec![0.0; self.grads.len()]);
            write_params(&mut self.net, &self.params).map_err(bad)?;
            return Err(e);
        }
        sam.step(&mut self.params, &self.grads);
        write_params(&mut self.net, &self.params).map_err(bad)
    }

    /// The current weights, flat.
    pub fn weights(&self) -> Vec<f32> {
        let mut w = vec![0.0; self.params.len()];
        read_params(&self.net, &mut w).expect("layout");
        w
    }
}

fn add(g: &mut [f32], kl: &[f32], lambda: f64) {
    let l = lambda as f32;
    g.iter_mut().zip(kl).for_each(|(a, b)| *a += l * b);
}

fn check_finite(g: &[f32]) -> Result<(), String> {
    match g.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(format!(
            "the gradient is not finite at parameter {i}: the run diverged, step skipped"
        )),
        None => Ok(()),
    }
}

/// Mean cross-entropy and accuracy of `net` on `d` (one tape-free forward pass).
pub fn evaluate<const H: usize>(net: &Model<H>, d: &Dataset) -> (f64, f64) {
    let all: Vec<usize> = (0..d.len()).collect();
    let z = net.forward(input(&Cpu::default(), d, &all)).as_vec();
    let (loss, _, right) = softmax_xent(&z, &d.y, CLASSES);
    (loss, right as f64 / d.len() as f64)
}
