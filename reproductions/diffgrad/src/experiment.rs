//! What the diffGrad reproduction runs: the notebook table, the learning-rate sweep, the basins
//! of attraction over starting points, and the digits network.

use crate::method::{Func, Opt, run, run_f32};
use harness::rng::Rng;
use kernels::data::{Dataset, digits};
use kernels::nn::{Mlp, train::fit};
use rayon::prelude::*;

/// Final x of each (function, optimizer) at the notebook's settings (lr = 0.1, x₀ = −1).
/// Entries are `(function, optimizer, final x in f64, final x in f32)`.
pub fn notebook_table(opts: &[Opt]) -> Vec<(Func, Opt, f64, f64)> {
    Func::ALL
        .iter()
        .flat_map(|&f| {
            opts.iter().map(move |&o| {
                let (x0, lr) = (crate::method::NOTEBOOK_X0, crate::method::NOTEBOOK_LR);
                (f, o, run(f, o, x0, lr), run_f32(f, o, x0, lr as f32))
            })
        })
        .collect()
}

/// The learning rates of the card's sweep.
pub const LRS: [f64; 6] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3];

/// Final x for every learning rate of [`LRS`].
pub fn sweep(f: Func, opt: Opt) -> Vec<f64> {
    LRS.iter().map(|&lr| run(f, opt, -1.0, lr)).collect()
}

/// Whether a final x is within 1e-2 of the global minimiser.
pub fn at_global(f: Func, x: f64) -> bool {
    (x - f.global_min()).abs() < 1e-2
}

/// Fraction of `n` equally spaced starts in [−1.5, 1.5] that end within 1e-2 of the global
/// minimiser (lr = 0.1).
pub fn basin_fraction(f: Func, opt: Opt, n: usize) -> f64 {
    let hits = (0..n)
        .into_par_iter()
        .filter(|&i| {
            let x0 = -1.5 + 3.0 * i as f64 / (n - 1) as f64;
            at_global(f, run(f, opt, x0, 0.1))
        })
        .count();
    hits as f64 / n as f64
}

/// Settings of the digits network, fixed before running.
#[derive(Clone, Copy, Debug)]
pub struct NetPlan {
    pub hidden: usize,
    pub epochs: usize,
    pub batch: usize,
    pub lr: f32,
    pub test: usize,
}

/// Final test accuracy (and the per-epoch curve) of a 64–hidden–10 ReLU MLP on the 8×8 digits,
/// with a split drawn from `seed` and parameters initialised from it.
pub fn digits_run(opt: Opt, lr: f32, plan: &NetPlan, seed: u64) -> Result<(f64, Vec<f64>), String> {
    let data = digits();
    let mut rng = Rng::new(seed);
    let mut idx: Vec<usize> = (0..data.len()).collect();
    rng.shuffle(&mut idx);
    let (test_idx, train_idx) = idx.split_at(plan.test);
    let (train, test): (Dataset, Dataset) = (data.rows(train_idx), data.rows(test_idx));
    let mlp = Mlp::new(&[64, plan.hidden, 10], false);
    let mut p = mlp.init(&mut || rng.uniform());
    let mut stats = mlp.bn_stats();
    let mut o = opt.build(p.len(), lr, 0.9);
    let mut curve = Vec::new();
    let epochs = fit(
        &mlp,
        &mut p,
        &mut stats,
        o.as_mut(),
        &train,
        &test,
        plan.epochs,
        plan.batch,
        &mut |order| rng.shuffle(order),
        &mut |e, _| curve.push(e.test_accuracy),
    )
    .map_err(|epoch| format!("{} diverged in epoch {epoch}", opt.label()))?;
    Ok((epochs.last().unwrap().test_accuracy, curve))
}
