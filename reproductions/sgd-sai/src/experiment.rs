//! The experiment: the order-2 Markov-chain task (loss floor and bigram baseline), and the grid
//! of optimizers × (learning rate, weight decay) × seeds on the tiny transformer. Typed [`Plan`]
//! in, typed [`Results`] out; decides nothing.

use crate::method::{Arm, Chain, Run, TrainPlan, train};
use harness::grid::{Grid, GridResults, run_grid};
use harness::rng::Rng;
use harness::{Ctx, RunError};
use kernels::nn::Transformer;

/// What is run, per scale (fixed before running).
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// The model and the length of every training run.
    pub train: TrainPlan,
    /// Seeds per (optimizer, learning rate, weight decay).
    pub seeds: u64,
}

/// Learning rates shared by the SGD variants (the official code's convention: no division by
/// the largest g-SNR), and AdamW's own grid; fixed before running.
pub const SGD_LRS: [f32; 5] = [3e-4, 3e-3, 3e-2, 3e-1, 3.0];
pub const ADAMW_LRS: [f32; 5] = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2];
pub const WDS: [f32; 2] = [0.0, 1e-2];
/// The optimizers (the arms of the grid).
pub const ARMS: [Arm; 4] = [Arm::SgdSai, Arm::SqrtSize, Arm::Sgdm, Arm::AdamW];

/// The learning-rate grid of `arm`.
pub fn lrs(arm: Arm) -> &'static [f32; 5] {
    if arm == Arm::AdamW {
        &ADAMW_LRS
    } else {
        &SGD_LRS
    }
}

/// One setting of the grid: indices into the arm's learning rates and into [`WDS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting {
    pub lr: usize,
    pub wd: usize,
}

/// The settings in the grid's order: learning rates outermost, then weight decays.
fn settings() -> Vec<Setting> {
    (0..5)
        .flat_map(|lr| (0..WDS.len()).map(move |wd| Setting { lr, wd }))
        .collect()
}

/// What the task itself measures.
#[derive(Clone, Copy, Debug)]
pub struct Task {
    /// Entropy rate of the chain: the loss floor (nats/token).
    pub floor: f64,
    /// Loss of the best bigram predictor.
    pub bigram: f64,
    /// Loss of the uniform prediction, ln V.
    pub chance: f64,
}

/// Everything measured.
#[derive(Clone, Debug)]
pub struct Results {
    pub task: Task,
    /// Every run, by (arm of [`ARMS`], setting, seed).
    pub grid: GridResults<Run>,
    /// Names and sizes of the transformer's parameter tensors, in layout order.
    pub tensor_names: Vec<String>,
    pub tensor_sizes: Vec<usize>,
}

impl Results {
    /// The per-seed runs of `arm` at learning-rate index `lr` and weight-decay index `wd`.
    pub fn runs(&self, arm: Arm, lr: usize, wd: usize) -> &[Run] {
        let a = ARMS.iter().position(|&b| b == arm).expect("an arm");
        let s = settings()
            .iter()
            .position(|&s| s == Setting { lr, wd })
            .expect("a setting");
        self.grid.cell(a, s)
    }
}

/// Draws the task, then runs the grid. Every arm sees the same initialisation and batches at a
/// given seed: comparisons are paired.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    let tp = &plan.train;
    let mut rng = Rng::new(ctx.seed("task", 0));
    let chain = Chain::new(tp.model.vocab, &mut rng);
    let val = chain.sample(tp.val_batch, tp.model.seq, &mut rng);
    let floor = chain.entropy_rate(&mut rng);
    let bigram = chain.bigram_entropy(&mut Rng::new(ctx.seed("bigram", 0)));
    let chance = (tp.model.vocab as f64).ln();
    let grid = Grid {
        arms: ARMS.to_vec(),
        settings: settings(),
        seeds: plan.seeds,
    };
    let what = format!("transformer grid ({} steps each)", tp.steps);
    let runs = run_grid(ctx, &what, &grid, |c| {
        let (a, s) = (*c.arm, c.setting);
        train(
            a,
            lrs(a)[s.lr],
            WDS[s.wd],
            tp,
            &chain,
            &val,
            ctx.seed("run", c.seed_index),
        )
    });
    let model = Transformer::new(tp.model);
    let slots = &model.layout().slots;
    Ok(Results {
        task: Task {
            floor,
            bigram,
            chance,
        },
        grid: runs,
        tensor_names: slots.iter().map(|s| s.name.clone()).collect(),
        tensor_sizes: slots.iter().map(|s| s.len).collect(),
    })
}
