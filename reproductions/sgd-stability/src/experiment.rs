//! The operator experiment (exact stability thresholds) and the diagonal-network training runs.
//! Typed [`Plan`] in, typed [`Results`] out; decides nothing.

use crate::method::{DiagNet, StabilityProblem};
use harness::grid::{Grid, GridResults, run_grid};
use harness::rng::Rng;
use harness::{Ctx, RunError};
use nalgebra::DMatrix;

/// What is run (typed, so that a statement's settings come from here).
#[derive(Clone, Debug)]
pub struct Plan {
    /// Random operator instances, each `op_n` per-sample gradients of dimension `op_p`.
    pub op_instances: u64,
    pub op_n: usize,
    pub op_p: usize,
    /// Data seeds of the training grid (each seed also fixes SGD's sample order).
    pub train_seeds: u64,
    pub train: TrainSetup,
}

/// The two arms of the training grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Optimizer {
    /// One sample per step, drawn with replacement.
    Sgd,
    /// Full batch.
    Gd,
}

impl Optimizer {
    pub const ALL: [Optimizer; 2] = [Optimizer::Sgd, Optimizer::Gd];
}

/// What was measured.
#[derive(Clone, Debug)]
pub struct Results {
    /// One per random operator instance.
    pub ops: Vec<OperatorResult>,
    /// `η*·tr(H)` per batch size on the orthogonal example with n = 10 and n = 2.
    pub orth10: [f64; 3],
    pub orth2: [f64; 3],
    /// The training grid: arms [`Optimizer::ALL`], settings `plan.train.etas`, seeds.
    pub train: GridResults<TrainResult>,
}

impl Results {
    /// The (SGD, GD) runs of data seed `seed`, one pair per learning rate.
    pub fn seed_runs(&self, plan: &Plan, seed: usize) -> Vec<(&TrainResult, &TrainResult)> {
        (0..plan.train.etas.len())
            .map(|k| (&self.train.cell(0, k)[seed], &self.train.cell(1, k)[seed]))
            .collect()
    }
}

/// Runs the operator instances, the orthogonal examples and the training grid.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    let stage = ctx.progress.stage(
        "stability operator: thresholds by bisection",
        plan.op_instances + 1,
    );
    let ops: Vec<_> = (0..plan.op_instances)
        .map(|r| {
            stage.inc(1);
            operator_instance(ctx.seed("operator", r), plan.op_n, plan.op_p)
        })
        .collect();
    let orth10 = orthogonal_example(10);
    let orth2 = orthogonal_example(2);
    drop(stage);
    let grid = Grid {
        arms: Optimizer::ALL.to_vec(),
        settings: plan.train.etas.clone(),
        seeds: plan.train_seeds,
    };
    let what = format!(
        "diagonal network: {} learning rates x SGD/GD x {} seeds",
        plan.train.etas.len(),
        plan.train_seeds
    );
    let train = run_grid(ctx, &what, &grid, |cell| {
        let r = cell.seed_index;
        let sgd = *cell.arm == Optimizer::Sgd;
        let (data_seed, order_seed) = (ctx.seed("data", r), ctx.seed("order", r));
        self::train(&plan.train, data_seed, *cell.setting, sgd, order_seed)
    });
    Ok(Results {
        ops,
        orth10,
        orth2,
        train,
    })
}

/// `η*·tr(H)` for batch sizes 1, 2, 4 and the GD threshold's relative error, per instance.
#[derive(Clone, Debug)]
pub struct OperatorResult {
    pub eta_tr: [f64; 3],
    pub gd_rel_err: f64,
}

pub const BATCHES: [usize; 3] = [1, 2, 4];

/// Random Gaussian per-sample gradients, `n` of dimension `p`.
pub fn operator_instance(seed: u64, n: usize, p: usize) -> OperatorResult {
    let mut rng = Rng::new(seed);
    let pb = StabilityProblem::new(DMatrix::from_fn(n, p, |_, _| rng.normal()));
    let tr = pb.trace();
    let eta_tr = BATCHES.map(|b| pb.sgd_threshold(b) * tr);
    let exact = 2.0 / pb.lambda_max();
    OperatorResult {
        eta_tr,
        gd_rel_err: (pb.gd_threshold_bisection() - exact).abs() / exact,
    }
}

/// The orthogonal, equal-norm example `g_i = e_i` with `n` samples: `η*·tr(H)` per batch size.
pub fn orthogonal_example(n: usize) -> [f64; 3] {
    let pb = StabilityProblem::new(DMatrix::identity(n, n));
    BATCHES.map(|b| pb.sgd_threshold(b) * pb.trace())
}

/// Settings of the training runs, fixed before any run (the card's miniature).
#[derive(Clone, Debug)]
pub struct TrainSetup {
    pub d: usize,
    pub n: usize,
    pub n_test: usize,
    pub sparsity: usize,
    pub max_steps: usize,
    pub tol: f64,
    pub etas: Vec<f64>,
}

impl Default for TrainSetup {
    fn default() -> Self {
        Self {
            d: 200,
            n: 40,
            n_test: 1000,
            sparsity: 3,
            max_steps: 20_000,
            tol: 1e-8,
            // logspace(−2.4, −0.9, 6), the grid of the third-party reproduction in the card.
            etas: (0..6).map(|k| 10f64.powf(-2.4 + 0.3 * k as f64)).collect(),
        }
    }
}

/// The end of one training run.
#[derive(Clone, Debug)]
pub struct TrainResult {
    pub converged: bool,
    pub steps: usize,
    pub trace_g: f64,
    pub lambda_max_g: f64,
    pub test_mse: f64,
    /// min over checkpoints of `tr(G) − 2 Σ w_j |β_j|` and the largest `|difference|`.
    pub identity_min: f64,
    pub identity_max_abs: f64,
}

/// Inputs and targets of one split.
pub type Split = (Vec<Vec<f64>>, Vec<f64>);

/// Data: `x ~ U[−1, 1]^d`, `y = <β*, x>` with `β* = (1, …, 1, 0, …)` (`sparsity` ones).
pub fn data(seed: u64, setup: &TrainSetup) -> (Split, Split) {
    let mut rng = Rng::new(seed);
    let mut draw = |m: usize| -> Split {
        let xs: Vec<Vec<f64>> = (0..m)
            .map(|_| (0..setup.d).map(|_| 2.0 * rng.uniform() - 1.0).collect())
            .collect();
        let ys = xs
            .iter()
            .map(|x| x[..setup.sparsity].iter().sum())
            .collect();
        (xs, ys)
    };
    let train = draw(setup.n);
    (train, draw(setup.n_test))
}

/// Trains from `u = v = 1` with GD (`batch = None`) or SGD with one sample per step drawn with
/// replacement from `order_seed`'s stream. Stops when the training loss is below `tol`, or
/// diverges (non-finite or above 1e12), or after `max_steps`.
pub fn train(setup: &TrainSetup, seed: u64, eta: f64, sgd: bool, order_seed: u64) -> TrainResult {
    let ((xtr, ytr), (xte, yte)) = data(seed, setup);
    let mut net = DiagNet {
        u: vec![1.0; setup.d],
        v: vec![1.0; setup.d],
    };
    let mut rng = Rng::new(order_seed);
    let all: Vec<usize> = (0..setup.n).collect();
    let (mut id_min, mut id_max) = (f64::INFINITY, 0.0f64);
    let mut steps = 0;
    let mut converged = false;
    while steps < setup.max_steps {
        if sgd {
            let i = rng.below(setup.n as u64) as usize;
            net.step(&xtr, &ytr, &[i], eta);
        } else {
            net.step(&xtr, &ytr, &all, eta);
        }
        steps += 1;
        if steps % 200 == 0 || steps == setup.max_steps {
            let loss = net.loss(&xtr, &ytr);
            if !loss.is_finite() || loss > 1e12 {
                break;
            }
            let diff = net.trace_g(&xtr) - net.weighted_l1(&xtr);
            id_min = id_min.min(diff / net.trace_g(&xtr).max(1e-300));
            id_max = id_max.max(diff.abs() / net.trace_g(&xtr).max(1e-300));
            if loss < setup.tol {
                converged = true;
                break;
            }
        }
    }
    let test_mse = xte
        .iter()
        .zip(&yte)
        .map(|(x, y)| (net.predict(x) - y).powi(2))
        .sum::<f64>()
        / xte.len() as f64;
    TrainResult {
        converged,
        steps,
        trace_g: net.trace_g(&xtr),
        lambda_max_g: net.lambda_max_g(&xtr),
        test_mse,
        identity_min: id_min,
        identity_max_abs: id_max,
    }
}
