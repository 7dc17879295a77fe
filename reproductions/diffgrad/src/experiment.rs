//! What the diffGrad reproduction runs: the notebook table, the learning-rate sweep, the basins
//! of attraction over starting points, and the digits network. Typed [`Plan`] in, typed
//! [`Results`] out; decides nothing.

use crate::method::{Func, NOTEBOOK_LR, NOTEBOOK_X0, Opt, run as run_f64, run_f32};
use harness::grid::{Grid, run_grid};
use harness::rng::Rng;
use harness::{Ctx, RunError};
use kernels::data::{Dataset, digits};
use kernels::nn::{Mlp, train::fit};
use rayon::prelude::*;

/// What is run, per scale (fixed before running).
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Equally spaced starting points in [−1.5, 1.5] for the basin fractions.
    pub starts: usize,
    /// Seeds of the digits network.
    pub seeds: u64,
    pub net: NetPlan,
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

/// The optimizers of the notebook table (the columns of `table.x`).
pub const TABLE_OPTS: [Opt; 4] = [Opt::Adam, Opt::DiffGrad, Opt::Half, Opt::Aliased];
/// The functions of the sweep and the basins.
pub const SWEEP_FNS: [Func; 3] = [Func::F1, Func::F2True, Func::F3];
/// The optimizers of the sweep and the basins.
pub const SWEEP_OPTS: [Opt; 3] = [Opt::Adam, Opt::DiffGrad, Opt::Half];
/// The learning rates of the card's sweep.
pub const LRS: [f64; 6] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3];

/// One arm of the digits network: an optimizer at a multiple of the plan's learning rate.
#[derive(Clone, Copy, Debug)]
pub struct NetArm {
    pub opt: Opt,
    pub lr_scale: f32,
    /// The arm's name in metric keys.
    pub key: &'static str,
}

/// The arms of the digits network.
pub const NET_ARMS: [NetArm; 3] = [
    NetArm {
        opt: Opt::Adam,
        lr_scale: 1.0,
        key: "adam",
    },
    NetArm {
        opt: Opt::DiffGrad,
        lr_scale: 1.0,
        key: "diffgrad",
    },
    NetArm {
        opt: Opt::Adam,
        lr_scale: 0.5,
        key: "adam_half_lr",
    },
];

/// One entry of the notebook table.
#[derive(Clone, Copy, Debug)]
pub struct NotebookEntry {
    pub func: Func,
    pub opt: Opt,
    /// Final x in double precision (the notebook's formulas).
    pub x: f64,
    /// Final x in single precision (`kernels::optim`).
    pub x_f32: f64,
}

/// Everything measured.
#[derive(Clone, Debug)]
pub struct Results {
    /// [`Func::ALL`] × [`TABLE_OPTS`], functions outermost.
    pub table: Vec<NotebookEntry>,
    /// Final x per learning rate of [`LRS`], for [`SWEEP_FNS`] × [`SWEEP_OPTS`] (functions
    /// outermost).
    pub sweep: Vec<Vec<f64>>,
    /// Basin fractions per function of [`SWEEP_FNS`], one per optimizer of [`SWEEP_OPTS`].
    pub basins: Vec<Vec<f64>>,
    pub net: Network,
}

/// What the digits network measured, per arm of [`NET_ARMS`].
#[derive(Clone, Debug)]
pub struct Network {
    /// Final test accuracy per seed.
    pub acc: Vec<Vec<f64>>,
    /// Mean test accuracy per epoch (over seeds).
    pub curves: Vec<Vec<f64>>,
}

impl Results {
    fn entry(&self, f: Func, o: Opt) -> &NotebookEntry {
        self.table
            .iter()
            .find(|e| e.func == f && e.opt == o)
            .expect("a table entry")
    }

    /// Final x of `o` on `f` at the notebook settings (f64).
    pub fn x(&self, f: Func, o: Opt) -> f64 {
        self.entry(f, o).x
    }

    /// The same in single precision.
    pub fn x_f32(&self, f: Func, o: Opt) -> f64 {
        self.entry(f, o).x_f32
    }

    /// Final x of `o` on `f` per learning rate of [`LRS`].
    pub fn sweep(&self, f: Func, o: Opt) -> &[f64] {
        let fi = SWEEP_FNS.iter().position(|&g| g == f).expect("a function");
        let oi = SWEEP_OPTS
            .iter()
            .position(|&p| p == o)
            .expect("an optimizer");
        &self.sweep[fi * SWEEP_OPTS.len() + oi]
    }
}

/// Runs everything.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    let stage = ctx.progress.stage("synthetic functions", 1);
    let table = notebook_table(&TABLE_OPTS);
    let sweep = SWEEP_FNS
        .iter()
        .flat_map(|&f| SWEEP_OPTS.iter().map(move |&o| sweep(f, o)))
        .collect();
    drop(stage);
    let basins = basins(ctx, plan.starts);
    let net = network(ctx, plan)?;
    Ok(Results {
        table,
        sweep,
        basins,
        net,
    })
}

/// Final x of each (function, optimizer) at the notebook's settings (lr = 0.1, x₀ = −1).
pub fn notebook_table(opts: &[Opt]) -> Vec<NotebookEntry> {
    Func::ALL
        .iter()
        .flat_map(|&func| {
            opts.iter().map(move |&opt| {
                let (x0, lr) = (NOTEBOOK_X0, NOTEBOOK_LR);
                NotebookEntry {
                    func,
                    opt,
                    x: run_f64(func, opt, x0, lr),
                    x_f32: run_f32(func, opt, x0, lr as f32),
                }
            })
        })
        .collect()
}

/// Final x for every learning rate of [`LRS`].
pub fn sweep(f: Func, opt: Opt) -> Vec<f64> {
    LRS.iter().map(|&lr| run_f64(f, opt, -1.0, lr)).collect()
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
            at_global(f, run_f64(f, opt, x0, 0.1))
        })
        .count();
    hits as f64 / n as f64
}

/// Basin fractions of [`SWEEP_OPTS`] (arms) on [`SWEEP_FNS`] (settings), per function.
fn basins(ctx: &Ctx, starts: usize) -> Vec<Vec<f64>> {
    let grid = Grid {
        arms: SWEEP_OPTS.to_vec(),
        settings: SWEEP_FNS.to_vec(),
        seeds: 1,
    };
    let fractions = run_grid(ctx, &format!("basins ({starts} starts each)"), &grid, |c| {
        basin_fraction(*c.setting, *c.arm, starts)
    });
    (0..SWEEP_FNS.len())
        .map(|s| {
            (0..SWEEP_OPTS.len())
                .map(|a| fractions.cell(a, s)[0])
                .collect()
        })
        .collect()
}

/// The digits network: every arm of [`NET_ARMS`] for every seed. The first divergence (arms,
/// then seeds, in order) is an error.
fn network(ctx: &Ctx, plan: &Plan) -> Result<Network, RunError> {
    let grid = Grid {
        arms: NET_ARMS.to_vec(),
        settings: vec![plan.net],
        seeds: plan.seeds,
    };
    let runs = run_grid(ctx, "digits MLP", &grid, |c| {
        let net = c.setting;
        digits_run(
            c.arm.opt,
            net.lr * c.arm.lr_scale,
            net,
            ctx.seed("net", c.seed_index),
        )
    });
    let (mut acc_per_arm, mut curves) = (Vec::new(), Vec::new());
    for a in 0..NET_ARMS.len() {
        let mut acc = Vec::new();
        let mut curve = vec![0.0; plan.net.epochs];
        for r in runs.cell(a, 0) {
            let (x, c) = r.as_ref().map_err(|e| RunError(e.clone()))?;
            acc.push(*x);
            curve
                .iter_mut()
                .zip(c)
                .for_each(|(m, v)| *m += v / plan.seeds as f64);
        }
        acc_per_arm.push(acc);
        curves.push(curve);
    }
    Ok(Network {
        acc: acc_per_arm,
        curves,
    })
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
