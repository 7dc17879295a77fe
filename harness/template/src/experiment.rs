//! The experiment: every estimator at every sample size, `seeds` repeats of `draws_per_seed`
//! samples each. Returns measurements; decides nothing.

use crate::method::Estimator;
use harness::grid::{Grid, GridResults, run_grid};
use harness::rng::Rng;
use harness::{Ctx, RunError};
use serde::{Deserialize, Serialize};

/// What is run (typed, so that a statement's settings come from here).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Sample sizes n (the settings of the grid).
    pub sizes: Vec<usize>,
    /// Repeats of each (estimator, n).
    pub seeds: u64,
    /// Samples drawn per repeat; the repeat's value is their mean squared error.
    pub draws_per_seed: usize,
}

/// What was measured: the mean squared error of each estimator, per (size, seed).
#[derive(Clone, Debug)]
pub struct Results {
    pub mse: GridResults<f64>,
}

impl Results {
    /// The per-seed MSE of `estimator` at the `size_index`-th sample size.
    pub fn mse(&self, estimator: Estimator, size_index: usize) -> Vec<f64> {
        let arm = Estimator::ALL
            .iter()
            .position(|e| *e == estimator)
            .expect("an arm");
        self.mse.cell(arm, size_index).to_vec()
    }
}

/// Runs the grid. Every estimator sees the same samples at a given (n, repeat): paired.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    if plan.sizes.is_empty() || plan.seeds < 2 {
        return Err(RunError(
            "the plan needs sample sizes and at least two seeds".into(),
        ));
    }
    let grid = Grid {
        arms: Estimator::ALL.to_vec(),
        settings: plan.sizes.clone(),
        seeds: plan.seeds,
    };
    let mse = run_grid(ctx, "estimators", &grid, |cell| {
        let n = *cell.setting;
        let mut rng = Rng::new(ctx.seed(&format!("n{n}"), cell.seed_index));
        let errors: Vec<f64> = (0..plan.draws_per_seed)
            .map(|_| {
                let xs: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
                cell.arm.estimate(&xs).powi(2)
            })
            .collect();
        crate::method::mean(&errors)
    });
    Ok(Results { mse })
}
