//! The experiments: exactness of the static and sliding-window products against the spectral
//! oracle (M1), their cost against `d` and `m` (M2), one-shot pruning of an MLP on the 8×8
//! digits (M3), and the optimizer against momentum SGD on the same MLP (M4). Typed [`Plan`] in,
//! typed [`Results`] out; decides nothing.
//!
//! The timings (M2) run one after another, outside `run_grid`, so that no other run shares the
//! cores while a product is timed.

use crate::method::{
    Oracle, fisher_diagonal, max_elementwise_rel, prune_diagonal, prune_magnitude, prune_obs,
    rel_err,
};
use harness::grid::{Grid, run_grid};
use harness::rng::Rng;
use harness::{Ctx, RunError};
use kernels::data::{Dataset, digits};
use kernels::nn::{Mlp, train::fit};
use kernels::optim::{BlockedIhvp, DynamicIhvp, Mfac, Optimizer, Sgd, StaticIhvp};
use std::time::Instant;

/// What is run, per scale (fixed before running).
#[derive(Clone, Debug)]
pub struct Plan {
    pub exact: ExactPlan,
    pub cost: CostPlan,
    pub prune: PrunePlan,
    pub optim: OptimPlan,
}

/// M1: the card's miniature (d = 1000, m = 32, f64).
#[derive(Clone, Copy, Debug)]
pub struct ExactPlan {
    pub d: usize,
    pub m: usize,
    /// The damping of the checks (the card's correction: λ ≥ 1e-3).
    pub damp: f64,
    /// The official default, reported beside it.
    pub official_damp: f64,
    /// Random windows; each is tested on `vectors` random and `vectors` in-span `x`.
    pub windows: u64,
    pub vectors: usize,
    /// Window replacements of the sliding window, each compared with a rebuild.
    pub replacements: usize,
}

/// M2: product time against `d` at fixed `m`, update time against `m` at fixed `d`.
#[derive(Clone, Debug)]
pub struct CostPlan {
    pub m: usize,
    pub dims: Vec<usize>,
    pub update_d: usize,
    pub update_ms: Vec<usize>,
    /// Repeats; the minimum is kept.
    pub reps: usize,
}

/// M3: the MLP, its training, and the pruning grid.
#[derive(Clone, Debug)]
pub struct PrunePlan {
    pub sizes: Vec<usize>,
    pub epochs: usize,
    pub batch: usize,
    pub lr: f32,
    pub test: usize,
    /// Rows per gradient of the Fisher.
    pub grad_batch: usize,
    /// Window sizes (the smaller windows take the first gradients of the largest).
    pub ms: Vec<usize>,
    pub blocksize: usize,
    pub sparsities: Vec<f64>,
    /// λ = this × the mean of the empirical Fisher's diagonal (the card's correction).
    pub damp_factor: f64,
    pub seeds: u64,
}

/// M4: the optimizer against momentum SGD, each at its best learning rate of a grid.
#[derive(Clone, Debug)]
pub struct OptimPlan {
    pub m: usize,
    pub damp: f64,
    pub mfac_lrs: Vec<f32>,
    pub sgd_lrs: Vec<f32>,
    pub momentum: f32,
    pub epochs: usize,
    pub seeds: u64,
}

/// Everything measured.
#[derive(Clone, Debug)]
pub struct Results {
    pub exact: Vec<Exact>,
    pub cost: Cost,
    pub prune: Vec<PruneRun>,
    pub optim: Optim,
}

/// M1 for one window. Every error is relative, `[random x, x in the window's span]`, the
/// largest over the vectors.
#[derive(Clone, Copy, Debug)]
pub struct Exact {
    pub static_rel: [f64; 2],
    pub dynamic_rel: [f64; 2],
    /// Largest elementwise relative error of the diagonal.
    pub diag_rel: f64,
    /// Largest over the replacements: the window against a static rebuild, and against the
    /// oracle.
    pub replaced_vs_static: [f64; 2],
    pub replaced_vs_oracle: [f64; 2],
    /// The official pruner's buffer (the last of the m gradients left at zero) against the
    /// oracle of the full window: how large a one-gradient error is.
    pub dropped_rel: [f64; 2],
    /// The static product at the official default damping.
    pub official_damp_rel: [f64; 2],
}

/// M2, in seconds (minimum over the repeats).
#[derive(Clone, Debug)]
pub struct Cost {
    pub mul_seconds: Vec<f64>,
    /// Mean over one full cycle of the window (each position replaced once).
    pub update_seconds: Vec<f64>,
}

/// Pruning methods; the `m` is an index into [`PrunePlan::ms`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Magnitude,
    Diagonal(usize),
    Blocked(usize),
    Full(usize),
}

impl Method {
    /// Every method of the plan, magnitude first.
    pub fn all(plan: &PrunePlan) -> Vec<Method> {
        let mut out = vec![Method::Magnitude];
        for i in 0..plan.ms.len() {
            out.extend([Method::Diagonal(i), Method::Blocked(i), Method::Full(i)]);
        }
        out
    }
    pub fn key(self, plan: &PrunePlan) -> String {
        match self {
            Method::Magnitude => "magnitude".into(),
            Method::Diagonal(i) => format!("diagonal_m{}", plan.ms[i]),
            Method::Blocked(i) => format!("blocked_m{}", plan.ms[i]),
            Method::Full(i) => format!("full_m{}", plan.ms[i]),
        }
    }
    pub fn label(self, plan: &PrunePlan) -> String {
        match self {
            Method::Magnitude => "magnitude".into(),
            Method::Diagonal(i) => format!("diagonal Fisher, m = {}", plan.ms[i]),
            Method::Blocked(i) => {
                format!("M-FAC blocked ({}), m = {}", plan.blocksize, plan.ms[i])
            }
            Method::Full(i) => format!("M-FAC full, m = {}", plan.ms[i]),
        }
    }
}

/// One seed of M3.
#[derive(Clone, Debug)]
pub struct PruneRun {
    /// Mean training loss of the last epoch.
    pub train_loss: f64,
    pub dense_loss: f64,
    pub dense_accuracy: f64,
    /// λ per window size.
    pub damp: Vec<f64>,
    /// `[method][sparsity]` test loss and accuracy, methods as [`Method::all`].
    pub loss: Vec<Vec<f64>>,
    pub accuracy: Vec<Vec<f64>>,
}

/// M4: per arm (M-FAC, SGD) and learning rate, the per-seed per-epoch training losses.
#[derive(Clone, Debug)]
pub struct Optim {
    /// `[arm][lr][seed][epoch]`; arm 0 is M-FAC.
    pub curves: Vec<Vec<Vec<Vec<f64>>>>,
    /// The mean loss before training, per seed.
    pub initial_loss: Vec<f64>,
}

/// Runs everything.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    let windows = Grid {
        arms: vec![()],
        settings: vec![plan.exact],
        seeds: plan.exact.windows,
    };
    let exact = run_grid(ctx, "M1 exactness", &windows, |c| {
        exact(c.setting, ctx.seed("m1", c.seed_index))
    })
    .all()
    .to_vec();
    let cost = cost(ctx, &plan.cost);
    let pruning = Grid {
        arms: vec![()],
        settings: vec![plan.prune.clone()],
        seeds: plan.prune.seeds,
    };
    let prune = run_grid(ctx, "M3 one-shot pruning", &pruning, |c| {
        prune_run(c.setting, ctx.seed("m3", c.seed_index))
    })
    .transpose()
    .map_err(RunError)?
    .all()
    .to_vec();
    let optim = optim(ctx, plan);
    Ok(Results {
        exact,
        cost,
        prune,
        optim,
    })
}

fn normals(rng: &mut Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.normal()).collect()
}

/// `[random, in-span]` test vectors of a window.
fn vectors(rng: &mut Rng, grads: &[f64], m: usize, count: usize) -> [Vec<Vec<f64>>; 2] {
    let d = grads.len() / m;
    let random = (0..count).map(|_| normals(rng, d)).collect();
    let span = (0..count)
        .map(|_| {
            let c = normals(rng, m);
            let mut x = vec![0.0; d];
            for (g, ci) in grads.chunks(d).zip(&c) {
                x.iter_mut().zip(g).for_each(|(xi, gi)| *xi += ci * gi);
            }
            x
        })
        .collect();
    [random, span]
}

/// The largest relative error of `mul` against `oracle` over each kind of vector.
fn worst(xs: &[Vec<Vec<f64>>; 2], oracle: &Oracle, mul: impl Fn(&[f64]) -> Vec<f64>) -> [f64; 2] {
    xs.each_ref().map(|kind| {
        kind.iter()
            .map(|x| rel_err(&mul(x), &oracle.mul(x)))
            .fold(0.0, f64::max)
    })
}

fn max2(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [a[0].max(b[0]), a[1].max(b[1])]
}

/// M1 on one random window.
pub fn exact(plan: &ExactPlan, seed: u64) -> Exact {
    let (d, m, damp) = (plan.d, plan.m, plan.damp);
    let mut rng = Rng::new(seed);
    let grads = normals(&mut rng, m * d);
    let oracle = Oracle::new(&grads, m, damp);
    let xs = vectors(&mut rng, &grads, m, plan.vectors);
    let stat = StaticIhvp::new(&grads, m, damp);
    let mut dynamic = DynamicIhvp::new(&grads, m, damp);
    let static_rel = worst(&xs, &oracle, |x| stat.mul(x));
    let dynamic_rel = worst(&xs, &oracle, |x| dynamic.mul(x));
    let diag_rel = max_elementwise_rel(&stat.diag(), &oracle.diag());
    let mut dropped = grads.clone();
    dropped[(m - 1) * d..].iter_mut().for_each(|g| *g = 0.0);
    let pruner = StaticIhvp::new(&dropped, m, damp);
    let dropped_rel = worst(&xs, &oracle, |x| pruner.mul(x));
    let official = StaticIhvp::new(&grads, m, plan.official_damp);
    let official_oracle = Oracle::new(&grads, m, plan.official_damp);
    let official_damp_rel = worst(&xs, &official_oracle, |x| official.mul(x));
    let (mut vs_static, mut vs_oracle) = ([0.0; 2], [0.0; 2]);
    for _ in 0..plan.replacements {
        dynamic.update(&normals(&mut rng, d));
        let window = dynamic.window();
        let rebuilt = StaticIhvp::new(window, m, damp);
        let oracle = Oracle::new(window, m, damp);
        let xs = vectors(&mut rng, window, m, 1);
        let against_static = xs.each_ref().map(|kind| {
            kind.iter()
                .map(|x| rel_err(&dynamic.mul(x), &rebuilt.mul(x)))
                .fold(0.0, f64::max)
        });
        vs_static = max2(vs_static, against_static);
        vs_oracle = max2(vs_oracle, worst(&xs, &oracle, |x| dynamic.mul(x)));
    }
    Exact {
        static_rel,
        dynamic_rel,
        diag_rel,
        replaced_vs_static: vs_static,
        replaced_vs_oracle: vs_oracle,
        dropped_rel,
        official_damp_rel,
    }
}

/// The minimum over `reps` of the seconds `f` takes.
fn min_seconds(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Uniform values on [−½, ½): timings need no Gaussian data, and 10⁸ normals would take seconds.
fn uniforms(rng: &mut Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.uniform() - 0.5).collect()
}

/// M2: one window per size, built once; the product and a full cycle of updates are timed.
pub fn cost(ctx: &Ctx, plan: &CostPlan) -> Cost {
    let stage = ctx.progress.stage(
        "M2 timings (one at a time)",
        (plan.dims.len() + plan.update_ms.len()) as u64,
    );
    let mut rng = Rng::new(ctx.seed("m2", 0));
    let mul_seconds = plan
        .dims
        .iter()
        .map(|&d| {
            let w = DynamicIhvp::new(&uniforms(&mut rng, plan.m * d), plan.m, 1e-3);
            let x = uniforms(&mut rng, d);
            let t = min_seconds(plan.reps, || {
                std::hint::black_box(w.mul(std::hint::black_box(&x)));
            });
            stage.inc(1);
            t
        })
        .collect();
    let d = plan.update_d;
    let update_seconds = plan
        .update_ms
        .iter()
        .map(|&m| {
            let mut w = DynamicIhvp::new(&uniforms(&mut rng, m * d), m, 1e-3);
            let fresh: Vec<Vec<f64>> = (0..m).map(|_| uniforms(&mut rng, d)).collect();
            let t = min_seconds(plan.reps, || {
                fresh.iter().for_each(|g| w.update(std::hint::black_box(g)));
            }) / m as f64;
            stage.inc(1);
            t
        })
        .collect();
    Cost {
        mul_seconds,
        update_seconds,
    }
}

/// The digits split into (train, test) by a seeded shuffle.
fn split(rng: &mut Rng, test: usize) -> (Dataset, Dataset) {
    let data = digits();
    let mut idx: Vec<usize> = (0..data.len()).collect();
    rng.shuffle(&mut idx);
    let (test_idx, train_idx) = idx.split_at(test);
    (data.rows(train_idx), data.rows(test_idx))
}

/// The hidden weights (every layer's weight but the output layer's), flattened, as f64.
fn hidden(mlp: &Mlp, v: &[f32]) -> Vec<f64> {
    mlp.hidden_weights()
        .iter()
        .flat_map(|&i| {
            let s = &mlp.layout().slots[i];
            v[s.offset..s.offset + s.len].iter().map(|&x| x as f64)
        })
        .collect()
}

fn with_hidden(mlp: &Mlp, p: &[f32], w: &[f64]) -> Vec<f32> {
    let mut out = p.to_vec();
    let mut at = 0;
    for &i in &mlp.hidden_weights() {
        let s = &mlp.layout().slots[i];
        out[s.offset..s.offset + s.len]
            .iter_mut()
            .zip(&w[at..at + s.len])
            .for_each(|(o, &x)| *o = x as f32);
        at += s.len;
    }
    out
}

/// `count` minibatch gradients of the hidden weights (`count × d`), batches drawn without
/// replacement, reshuffled after each pass over `train`.
fn gradients(mlp: &Mlp, p: &[f32], train: &Dataset, plan: &PrunePlan, rng: &mut Rng) -> Vec<f64> {
    let count = *plan.ms.iter().max().expect("a window size");
    let mut stats = mlp.bn_stats();
    let mut grad = vec![0.0; p.len()];
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut out = Vec::new();
    let mut at = order.len();
    for _ in 0..count {
        if at + plan.grad_batch > order.len() {
            rng.shuffle(&mut order);
            at = 0;
        }
        let b = train.rows(&order[at..at + plan.grad_batch]);
        at += plan.grad_batch;
        mlp.loss_grad(p, &mut stats, &b.x, &b.y, &mut grad);
        out.extend(hidden(mlp, &grad));
    }
    out
}

/// `fit` on (train, test) with a fresh shuffle from `rng` before each epoch.
fn fit_shuffled(
    mlp: &Mlp,
    p: &mut [f32],
    opt: &mut dyn Optimizer,
    data: &(Dataset, Dataset),
    epochs: usize,
    batch: usize,
    rng: &mut Rng,
) -> Result<Vec<kernels::nn::train::Epoch>, usize> {
    let mut stats = mlp.bn_stats();
    fit(
        mlp,
        p,
        &mut stats,
        opt,
        &data.0,
        &data.1,
        epochs,
        batch,
        &mut |order| rng.shuffle(order),
        &mut |_, _| {},
    )
}

/// Trains the MLP with Adam; returns the parameters and the last epoch's training loss.
fn train(
    mlp: &Mlp,
    data: &(Dataset, Dataset),
    plan: &PrunePlan,
    rng: &mut Rng,
) -> Result<(Vec<f32>, f64), String> {
    let mut p = mlp.init(&mut || rng.uniform());
    let mut opt = kernels::optim::Adam::new(mlp.layout().clone(), plan.lr);
    let epochs = fit_shuffled(mlp, &mut p, &mut opt, data, plan.epochs, plan.batch, rng)
        .map_err(|e| format!("M3: Adam diverged in epoch {e}"))?;
    Ok((p, epochs.last().expect("an epoch").train_loss))
}

/// M3 for one seed: train, collect gradients, prune by every method at every sparsity.
pub fn prune_run(plan: &PrunePlan, seed: u64) -> Result<PruneRun, String> {
    let mut rng = Rng::new(seed);
    let data = split(&mut rng, plan.test);
    let mlp = Mlp::new(&plan.sizes, false);
    let (p, train_loss) = train(&mlp, &data, plan, &mut rng)?;
    let stats = mlp.bn_stats();
    let test = &data.1;
    let evaluate = |w: &[f64]| mlp.evaluate(&with_hidden(&mlp, &p, w), &stats, &test.x, &test.y);
    let (dense_loss, dense_accuracy) = mlp.evaluate(&p, &stats, &test.x, &test.y);
    let w = hidden(&mlp, &p);
    let d = w.len();
    let all = gradients(&mlp, &p, &data.0, plan, &mut rng);
    let damp: Vec<f64> = plan
        .ms
        .iter()
        .map(|&m| {
            let f = fisher_diagonal(&all[..m * d], m);
            plan.damp_factor * f.iter().sum::<f64>() / d as f64
        })
        .collect();
    let methods = Method::all(plan);
    let mut loss = vec![Vec::new(); methods.len()];
    let mut accuracy = vec![Vec::new(); methods.len()];
    let mut record = |i: usize, pruned: &[f64]| {
        let (l, a) = evaluate(pruned);
        loss[i].push(l);
        accuracy[i].push(a);
    };
    let ks: Vec<usize> = plan
        .sparsities
        .iter()
        .map(|s| (s * d as f64).round() as usize)
        .collect();
    for (i, method) in methods.iter().enumerate() {
        match *method {
            Method::Magnitude => ks.iter().for_each(|&k| record(i, &prune_magnitude(&w, k))),
            Method::Diagonal(j) => {
                let m = plan.ms[j];
                let f: Vec<f64> = fisher_diagonal(&all[..m * d], m)
                    .iter()
                    .map(|x| x + damp[j])
                    .collect();
                ks.iter()
                    .for_each(|&k| record(i, &prune_diagonal(&w, &f, k)));
            }
            Method::Blocked(j) => {
                let m = plan.ms[j];
                let h = BlockedIhvp::new(&all[..m * d], m, damp[j], plan.blocksize);
                let diag = h.diag();
                ks.iter()
                    .for_each(|&k| record(i, &prune_obs(&w, &diag, |u| h.mul(u), k)));
            }
            Method::Full(j) => {
                let m = plan.ms[j];
                let h = StaticIhvp::new(&all[..m * d], m, damp[j]);
                let diag = h.diag();
                ks.iter()
                    .for_each(|&k| record(i, &prune_obs(&w, &diag, |u| h.mul(u), k)));
            }
        }
    }
    Ok(PruneRun {
        train_loss,
        dense_loss,
        dense_accuracy,
        damp,
        loss,
        accuracy,
    })
}

/// The two arms of M4.
#[derive(Clone, Copy, Debug)]
enum Arm {
    Mfac,
    Sgd,
}

/// M4: every arm at every learning rate for every seed, from the same initialisation per seed.
fn optim(ctx: &Ctx, plan: &Plan) -> Optim {
    let o = &plan.optim;
    let settings: Vec<(Arm, f32)> = o
        .mfac_lrs
        .iter()
        .map(|&lr| (Arm::Mfac, lr))
        .chain(o.sgd_lrs.iter().map(|&lr| (Arm::Sgd, lr)))
        .collect();
    let grid = Grid {
        arms: vec![()],
        settings,
        seeds: o.seeds,
    };
    let runs = run_grid(ctx, "M4 optimizer", &grid, |c| {
        let (arm, lr) = *c.setting;
        optim_run(plan, arm, lr, ctx.seed("m4", c.seed_index))
    });
    let per = |s: usize| runs.per_seed(0, s, |r| r.1.clone());
    let nm = o.mfac_lrs.len();
    Optim {
        curves: vec![
            (0..nm).map(per).collect(),
            (nm..nm + o.sgd_lrs.len()).map(per).collect(),
        ],
        initial_loss: runs.per_seed(0, 0, |r| r.0),
    }
}

/// One M4 run: the loss before training and the per-epoch training losses; a run whose loss
/// stops being finite reads +∞ in every epoch (a learning rate of the grid may diverge).
fn optim_run(plan: &Plan, arm: Arm, lr: f32, seed: u64) -> (f64, Vec<f64>) {
    let (o, net) = (&plan.optim, &plan.prune);
    let mut rng = Rng::new(seed);
    let data = split(&mut rng, net.test);
    let mlp = Mlp::new(&net.sizes, false);
    let mut p = mlp.init(&mut || rng.uniform());
    let initial = mlp.evaluate(&p, &mlp.bn_stats(), &data.0.x, &data.0.y).0;
    let layout = mlp.layout().clone();
    let mut opt: Box<dyn Optimizer> = match arm {
        Arm::Mfac => Box::new(Mfac::new(layout, lr, o.m, o.damp)),
        Arm::Sgd => Box::new(Sgd::new(layout, lr).momentum(o.momentum, 0.0, false)),
    };
    let curve = match fit_shuffled(
        &mlp,
        &mut p,
        opt.as_mut(),
        &data,
        o.epochs,
        net.batch,
        &mut rng,
    ) {
        Ok(epochs) => epochs.iter().map(|e| e.train_loss).collect(),
        Err(_) => vec![f64::INFINITY; o.epochs],
    };
    (initial, curve)
}
