//! The experiment: both datasets (temporal and spatial class effect) over seeds, each with CM +
//! MDM and ACM + MDM by nested cross-validation over (order, lag), the AMI lag, the
//! autocorrelation contrast, and the reference checks against MOABB and pyRiemann. Returns
//! measurements; decides nothing.
//!
//! This file holds the plan, the results, the grid and the cross-validation; the simulation and
//! the AMI are in `experiment/simulation.rs`, the reference checks in `experiment/reference.rs`.

mod reference;
mod simulation;

pub use reference::reference_checks;
pub use simulation::{
    CLASS_FREQS, Effect, Epochs, SPEC, Spec, acms, ami, ami_first_minimum, ar2_gain, simulate,
};

use crate::method::Mdm;
use harness::grid::{Grid, GridResults, run_grid};
use harness::rng::Rng;
use harness::{Ctx, RunError, stats};
use rayon::prelude::*;

/// Folds of the outer cross-validation (accuracy) and of the inner one (selection).
pub const OUTER: usize = 5;
pub const INNER: usize = 3;
/// The largest lag of the autocorrelation contrast and of the AMI's search.
pub const MAX_TAU: usize = 12;

/// What is run, fixed before running (order 1 is the plain covariance).
#[derive(Clone, Debug)]
pub struct Plan {
    pub orders: Vec<usize>,
    pub lags: Vec<usize>,
    /// Repeats of each dataset.
    pub seeds: u64,
}

impl Plan {
    /// Every (order, lag) of the search, orders outermost.
    pub fn configs(&self) -> Vec<Config> {
        self.orders
            .iter()
            .flat_map(|&order| self.lags.iter().map(move |&lag| Config { order, lag }))
            .collect()
    }
}

/// One (order, lag) of the delay embedding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub order: usize,
    pub lag: usize,
}

/// What one (dataset, seed) produced.
#[derive(Clone, Debug)]
pub struct SeedResult {
    /// CM + MDM, outer-CV accuracy.
    pub cm: f64,
    /// ACM + MDM with (order, lag) chosen by inner CV in each outer fold.
    pub acm_nested: f64,
    /// The (order, lag) chosen in each outer fold.
    pub selected: Vec<Config>,
    /// Outer-CV accuracy of every (order, lag), in [`Plan::configs`] order.
    pub grid: Vec<f64>,
    /// The first minimum of the AMI of the raw channels.
    pub ami_lag: usize,
}

/// A3: our embedding, covariances and MDM against MOABB and pyRiemann.
#[derive(Clone, Copy, Debug)]
pub struct ReferenceChecks {
    /// The largest embedding difference from MOABB's.
    pub aug_err: f64,
    /// The largest relative difference of the class means (and covariances) from pyRiemann's.
    pub mean_err: f64,
    /// Held-out predictions that differ from pyRiemann's.
    pub mismatches: usize,
}

/// Everything measured.
#[derive(Clone, Debug)]
pub struct Results {
    /// One [`SeedResult`] per (effect in [`Effect::ALL`] order, seed).
    pub seeds: GridResults<SeedResult>,
    /// The number of (order, lag) configurations.
    pub configs: usize,
    /// [`autocorrelation_contrast`] for τ = 1 … [`MAX_TAU`].
    pub contrast: Vec<f64>,
    pub reference: ReferenceChecks,
}

impl Results {
    /// The per-seed results of one dataset.
    pub fn seeds(&self, effect: Effect) -> &[SeedResult] {
        let arm = Effect::ALL
            .iter()
            .position(|e| *e == effect)
            .expect("an arm");
        self.seeds.cell(arm, 0)
    }

    /// `f` of every seed's result of one dataset.
    pub fn per_seed(&self, effect: Effect, f: impl Fn(&SeedResult) -> f64) -> Vec<f64> {
        self.seeds(effect).iter().map(f).collect()
    }

    /// The mean over seeds of the accuracy of every (order, lag).
    pub fn grid_mean(&self, effect: Effect) -> Vec<f64> {
        (0..self.configs)
            .map(|g| stats::mean(&self.per_seed(effect, |r| r.grid[g])))
            .collect()
    }
}

/// Runs both datasets over seeds, and the reference checks.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    let configs = plan.configs();
    let grid = Grid {
        arms: Effect::ALL.to_vec(),
        settings: vec![()],
        seeds: plan.seeds,
    };
    let what = format!(
        "2 datasets x {} seeds, nested CV over {} (order, lag)",
        plan.seeds,
        configs.len()
    );
    let seeds = run_grid(ctx, &what, &grid, |cell| {
        one_seed(
            *cell.arm,
            &configs,
            ctx.seed(cell.arm.key(), cell.seed_index),
        )
    });
    Ok(Results {
        seeds,
        configs: configs.len(),
        contrast: autocorrelation_contrast(&SPEC),
        reference: reference_checks(),
    })
}

/// The lagged-autocorrelation contrast of 10 vs 13 Hz, |cos(2π·10τ/fs) − cos(2π·13τ/fs)| for
/// τ = 1 … [`MAX_TAU`]: the card's derived optimum of the lag.
pub fn autocorrelation_contrast(spec: &Spec) -> Vec<f64> {
    (1..=MAX_TAU)
        .map(|t| {
            ((std::f64::consts::TAU * CLASS_FREQS.0 * t as f64 / spec.fs).cos()
                - (std::f64::consts::TAU * CLASS_FREQS.1 * t as f64 / spec.fs).cos())
            .abs()
        })
        .collect()
}

/// One dataset on one seed: CM and every (order, lag) by outer CV, ACM by nested CV, the AMI lag.
fn one_seed(effect: Effect, configs: &[Config], seed: u64) -> SeedResult {
    let data = simulate(effect, &SPEC, seed);
    let cm = acms(&data, &SPEC, 1, 1);
    let mats: Vec<(Vec<f64>, usize)> = configs
        .par_iter()
        .map(|c| acms(&data, &SPEC, c.order, c.lag))
        .collect();
    let mut rng = Rng::new(seed ^ 0x5eed);
    let outer = folds(&data.y, OUTER, &mut rng);
    let all: Vec<usize> = (0..data.y.len()).collect();
    let cm_acc = cv_accuracy(&cm.0, cm.1, &data.y, &all, &outer, OUTER);
    let grid: Vec<f64> = mats
        .par_iter()
        .map(|(m, n)| cv_accuracy(m, *n, &data.y, &all, &outer, OUTER))
        .collect();
    // Nested: in each outer fold pick (order, lag) by inner CV on the training part.
    let per_fold: Vec<(f64, Config)> = (0..OUTER)
        .into_par_iter()
        .map(|f| nested_fold(&data.y, &mats, configs, &outer, f, seed))
        .collect();
    SeedResult {
        cm: cm_acc,
        acm_nested: per_fold.iter().map(|p| p.0).sum::<f64>() / OUTER as f64,
        selected: per_fold.iter().map(|p| p.1).collect(),
        grid,
        ami_lag: ami_first_minimum(&data, &SPEC, MAX_TAU),
    }
}

/// Outer fold `f` of the nested CV: the test accuracy of the (order, lag) that inner CV on the
/// training part chose, and that choice.
fn nested_fold(
    labels: &[usize],
    mats: &[(Vec<f64>, usize)],
    configs: &[Config],
    outer: &[usize],
    f: usize,
    seed: u64,
) -> (f64, Config) {
    let all = 0..labels.len();
    let train: Vec<usize> = all.clone().filter(|&i| outer[i] != f).collect();
    let test: Vec<usize> = all.filter(|&i| outer[i] == f).collect();
    let mut inner_rng = Rng::new(seed ^ (f as u64 + 1).wrapping_mul(0x9e37_79b9));
    let train_labels: Vec<usize> = train.iter().map(|&i| labels[i]).collect();
    let sub = folds(&train_labels, INNER, &mut inner_rng);
    let mut inner = vec![0; labels.len()];
    train.iter().zip(&sub).for_each(|(&i, &s)| inner[i] = s);
    let scores: Vec<f64> = mats
        .iter()
        .map(|(m, n)| cv_accuracy(m, *n, labels, &train, &inner, INNER))
        .collect();
    // Ties go to the first configuration (smallest order, then smallest lag).
    let best = scores
        .iter()
        .enumerate()
        .fold(0, |b, (i, &s)| if s > scores[b] { i } else { b });
    let (m, n) = &mats[best];
    (mdm_accuracy(m, *n, labels, &train, &test), configs[best])
}

/// Stratified fold index of each trial: each class shuffled and dealt round-robin.
pub fn folds(labels: &[usize], k: usize, rng: &mut Rng) -> Vec<usize> {
    let mut fold = vec![0; labels.len()];
    let classes = labels.iter().max().map_or(0, |m| m + 1);
    for c in 0..classes {
        let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
        rng.shuffle(&mut idx);
        for (j, &i) in idx.iter().enumerate() {
            fold[i] = j % k;
        }
    }
    fold
}

/// Matrices and labels of the trials at `idx`.
fn take(mats: &[f64], n: usize, labels: &[usize], idx: &[usize]) -> (Vec<f64>, Vec<usize>) {
    let n2 = n * n;
    (
        idx.iter()
            .flat_map(|&i| mats[i * n2..(i + 1) * n2].iter().copied())
            .collect(),
        idx.iter().map(|&i| labels[i]).collect(),
    )
}

/// Accuracy of MDM trained on `train` and tested on `test` (trial indices).
pub fn mdm_accuracy(
    mats: &[f64],
    n: usize,
    labels: &[usize],
    train: &[usize],
    test: &[usize],
) -> f64 {
    let (xtr, ytr) = take(mats, n, labels, train);
    let (xte, yte) = take(mats, n, labels, test);
    Mdm::fit(&xtr, &ytr, n, 2).accuracy(&xte, &yte)
}

/// Mean accuracy over the folds of `fold` restricted to `subset`.
pub fn cv_accuracy(
    mats: &[f64],
    n: usize,
    labels: &[usize],
    subset: &[usize],
    fold: &[usize],
    k: usize,
) -> f64 {
    let mut total = 0.0;
    for f in 0..k {
        let train: Vec<usize> = subset.iter().copied().filter(|&i| fold[i] != f).collect();
        let test: Vec<usize> = subset.iter().copied().filter(|&i| fold[i] == f).collect();
        total += mdm_accuracy(mats, n, labels, &train, &test);
    }
    total / k as f64
}
