//! The network experiment: a batch-normalised MLP on the 8×8 digits, where every hidden weight
//! matrix is scale-invariant, trained by SGD/SGDP and AdamW/AdamP.

use harness::rng::Rng;
use kernels::data::digits;
use kernels::nn::{Mlp, train::fit};
use kernels::optim::{Adam, AdamP, Optimizer, Sgd, Sgdp};

/// The four optimizers, with the settings the official README recommends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arm {
    Sgd,
    Sgdp,
    AdamW,
    AdamP,
}

impl Arm {
    pub const ALL: [Arm; 4] = [Arm::Sgd, Arm::Sgdp, Arm::AdamW, Arm::AdamP];
    pub fn key(self) -> &'static str {
        match self {
            Arm::Sgd => "sgd",
            Arm::Sgdp => "sgdp",
            Arm::AdamW => "adamw",
            Arm::AdamP => "adamp",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Arm::Sgd => "SGD (Nesterov)",
            Arm::Sgdp => "SGDP (Nesterov)",
            Arm::AdamW => "AdamW",
            Arm::AdamP => "AdamP",
        }
    }
    pub fn lr(self) -> f32 {
        match self {
            Arm::Sgd | Arm::Sgdp => 0.1,
            Arm::AdamW | Arm::AdamP => 1e-3,
        }
    }
    /// README: SGDP(lr 0.1, weight decay 1e-5, momentum 0.9, Nesterov); AdamP(lr 1e-3, betas
    /// (0.9, 0.999), weight decay 1e-2). The baselines use the same settings.
    fn build(self, mlp: &Mlp) -> Box<dyn Optimizer> {
        let l = mlp.layout().clone();
        match self {
            Arm::Sgd => Box::new(Sgd::new(l, 0.1).momentum(0.9, 0.0, true).weight_decay(1e-5)),
            Arm::Sgdp => Box::new(
                Sgdp::new(l, 0.1)
                    .momentum(0.9, 0.0, true)
                    .weight_decay(1e-5),
            ),
            Arm::AdamW => Box::new(Adam::adamw(l, 1e-3).weight_decay(1e-2)),
            Arm::AdamP => Box::new(AdamP::new(l, 1e-3).weight_decay(1e-2)),
        }
    }
}

/// Hidden widths and training length, fixed before running.
#[derive(Clone, Copy, Debug)]
pub struct NetPlan {
    pub hidden: usize,
    pub epochs: usize,
    pub batch: usize,
    pub test: usize,
}

/// One training run: final accuracy; per hidden layer the initial and per-epoch weight norms.
#[derive(Clone, Debug)]
pub struct NetRun {
    pub accuracy: f64,
    pub init_norms: Vec<f64>,
    /// `norms[epoch][layer]`.
    pub norms: Vec<Vec<f64>>,
}

fn norms(mlp: &Mlp, p: &[f32]) -> Vec<f64> {
    mlp.hidden_weights()
        .iter()
        .map(|&i| {
            let s = &mlp.layout().slots[i];
            p[s.offset..s.offset + s.len]
                .iter()
                .map(|&v| (v as f64).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .collect()
}

pub fn net_run(arm: Arm, plan: &NetPlan, seed: u64) -> Result<NetRun, String> {
    let data = digits();
    let mut rng = Rng::new(seed);
    let mut idx: Vec<usize> = (0..data.len()).collect();
    rng.shuffle(&mut idx);
    let (test_idx, train_idx) = idx.split_at(plan.test);
    let (train, test) = (data.rows(train_idx), data.rows(test_idx));
    let mlp = Mlp::new(&[64, plan.hidden, plan.hidden, 10], true);
    let mut p = mlp.init(&mut || rng.uniform());
    let init_norms = norms(&mlp, &p);
    let mut stats = mlp.bn_stats();
    let mut opt = arm.build(&mlp);
    let mut per_epoch = Vec::new();
    let epochs = fit(
        &mlp,
        &mut p,
        &mut stats,
        opt.as_mut(),
        &train,
        &test,
        plan.epochs,
        plan.batch,
        &mut |order| rng.shuffle(order),
        &mut |_, params| per_epoch.push(norms(&mlp, params)),
    )
    .map_err(|e| format!("{} diverged in epoch {e}", arm.label()))?;
    Ok(NetRun {
        accuracy: epochs.last().unwrap().test_accuracy,
        init_norms,
        norms: per_epoch,
    })
}
