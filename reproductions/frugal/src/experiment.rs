//! The experiments: the six arms over a learning-rate grid and seeds on Tiny Shakespeare (F1,
//! F2, and the state counts of F3), AdamW against FRUGAL at ρ = 1 on shared batches (F3's
//! identity until the first refresh, and the divergence after), and the projectors on the
//! model's own gradients (F4). Typed [`Plan`] in, typed [`Results`] out; decides nothing.

use crate::method::{Arm, ArmSettings, Stepper, Windows, model, split_sizes, unigram_entropy};
use harness::grid::{Grid, run_grid};
use harness::rng::Rng;
use harness::{Ctx, RunError};
use kernels::nn::TransformerConfig;
use kernels::optim::Layout;
use kernels::subspace::{
    Config, Frugal, Subspace, SvdBasis, gather_columns, projectable, scatter_columns,
};
use kernels::text::shakespeare;

/// What is run, per scale (fixed before running).
#[derive(Clone, Debug)]
pub struct Plan {
    /// The model; its vocabulary is the corpus's (65 characters).
    pub model: TransformerConfig,
    pub steps: usize,
    pub batch: usize,
    /// Validation windows (of `seq` tokens) from the held-out last tenth of the text.
    pub val_windows: usize,
    /// One learning-rate grid for every arm.
    pub lrs: Vec<f32>,
    pub seeds: u64,
    pub settings: ArmSettings,
    /// Record the validation loss every this many steps (the curves).
    pub curve_every: usize,
    pub identity: IdentityPlan,
}

/// F3's identity run: AdamW and FRUGAL(ρ = 1) on the same batches.
#[derive(Clone, Copy, Debug)]
pub struct IdentityPlan {
    pub update_gap: usize,
    pub steps: usize,
    pub lr: f32,
}

/// One training run.
#[derive(Clone, Debug)]
pub struct RunOut {
    /// Validation loss after the last step (nats/character; +∞ if the run diverged).
    pub val_loss: f64,
    /// Validation loss at steps 0, every, 2·every, …, and at the end.
    pub curve: Vec<f64>,
    pub moment_floats: usize,
    pub projector_entries: usize,
    /// Elements of the tensors active at the end (blocks only).
    pub active_elements: usize,
    /// Mean wall time of one optimizer step (ms; machine-dependent).
    pub step_ms: f64,
}

/// F3's identity measurements, for blocks and for columns.
#[derive(Clone, Debug)]
pub struct Identity {
    /// max |θ_FRUGAL − θ_AdamW| over the first T steps: [blocks, columns].
    pub before: [f64; 2],
    /// max |θ_FRUGAL − θ_AdamW| after the last step (past the first refreshes).
    pub after: [f64; 2],
}

/// F4 on the model's gradient at initialisation, worst over the projectable tensors.
#[derive(Clone, Copy, Debug)]
pub struct Units {
    /// max ‖P_down(R)‖_F / ‖G‖_F: the residual's component in the SVD subspace.
    pub svd_leak: f64,
    /// min ‖R‖_F / ‖G‖_F: the residual is not trivially zero (control).
    pub svd_residual: f64,
    /// max |up(down(G)) − G·1[selected]| over the entries (columns).
    pub column_error: f64,
    /// The fraction of entries that up∘down zeroes (control: 1 − ρ up to rounding of columns).
    pub column_zeroed: f64,
}

/// Everything measured.
#[derive(Clone, Debug)]
pub struct Results {
    /// `runs[arm][lr]` holds one [`RunOut`] per seed.
    pub runs: Vec<Vec<Vec<RunOut>>>,
    pub identity: Identity,
    pub units: Units,
    /// Parameters in projectable tensors and in the rest.
    pub linear: usize,
    pub regular: usize,
    /// Moment floats the card's formula gives: 2 (P_regular + ρ P_linear).
    pub formula: f64,
    /// Entropy of the training text's character frequencies (nats).
    pub unigram: f64,
    /// ln of the vocabulary size.
    pub chance: f64,
}

/// Runs everything.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    let corpus = shakespeare();
    if corpus.vocab.len() != plan.model.vocab {
        return Err(RunError(format!(
            "the plan's vocabulary ({}) is not the corpus's ({})",
            plan.model.vocab,
            corpus.vocab.len()
        )));
    }
    let (train_tokens, val_tokens) = corpus.split(0.1);
    let train_w = Windows {
        tokens: train_tokens,
        seq: plan.model.seq,
    };
    let val = Windows {
        tokens: val_tokens,
        seq: plan.model.seq,
    }
    .evenly(plan.val_windows);
    let grid = Grid {
        arms: Arm::ALL.to_vec(),
        settings: plan.lrs.clone(),
        seeds: plan.seeds,
    };
    let what = format!("F1/F2 training ({} steps each)", plan.steps);
    let out = run_grid(ctx, &what, &grid, |c| {
        train(
            plan,
            *c.arm,
            *c.setting,
            &train_w,
            &val,
            ctx.seed("run", c.seed_index),
        )
    });
    let runs = (0..Arm::ALL.len())
        .map(|a| {
            (0..plan.lrs.len())
                .map(|s| out.cell(a, s).to_vec())
                .collect()
        })
        .collect();
    let layout = model(plan.model).layout().clone();
    let (linear, regular) = split_sizes(&layout);
    Ok(Results {
        runs,
        identity: identity(plan, &train_w, ctx.seed("identity", 0)),
        units: units(plan, &train_w, ctx.seed("units", 0)),
        linear,
        regular,
        formula: 2.0 * (regular as f64 + plan.settings.density * linear as f64),
        unigram: unigram_entropy(train_tokens, corpus.vocab.len()),
        chance: (corpus.vocab.len() as f64).ln(),
    })
}

/// One run from `seed` (initialisation and batches; every arm and learning rate sees the same
/// ones at a given seed).
pub fn train(
    plan: &Plan,
    arm: Arm,
    lr: f32,
    data: &Windows,
    val: &(Vec<usize>, Vec<usize>),
    seed: u64,
) -> RunOut {
    let net = model(plan.model);
    let layout = net.layout().clone();
    let mut rng = Rng::new(seed);
    let mut p = net.init(&mut || rng.uniform());
    let mut stepper = Stepper::new(arm, &layout, lr, &plan.settings, seed);
    let mut grad = vec![0.0f32; p.len()];
    let mut curve = Vec::new();
    let mut step_s = 0.0;
    let mut diverged = false;
    for step in 0..plan.steps {
        if step % plan.curve_every == 0 {
            curve.push(net.loss(&p, &val.0, &val.1));
        }
        let (x, y) = data.sample(plan.batch, &mut rng);
        let loss = net.loss_grad(&p, &x, &y, &mut grad);
        if !loss.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            diverged = true;
            break;
        }
        let clock = std::time::Instant::now();
        stepper.optimizer().step(&mut p, &grad);
        step_s += clock.elapsed().as_secs_f64();
    }
    let val_loss = if diverged {
        f64::INFINITY
    } else {
        let l = net.loss(&p, &val.0, &val.1);
        if l.is_finite() { l } else { f64::INFINITY }
    };
    curve.push(val_loss);
    let (projector_entries, active_elements) = match &stepper {
        Stepper::AdamW(_) => (0, 0),
        Stepper::Frugal(f) => (
            f.projector_entries(),
            f.active_tensors()
                .iter()
                .map(|n| {
                    layout
                        .slots
                        .iter()
                        .find(|s| s.name == *n)
                        .map_or(0, |s| s.len)
                })
                .sum(),
        ),
    };
    RunOut {
        val_loss,
        curve,
        moment_floats: stepper.moment_floats(&layout),
        projector_entries,
        active_elements,
        step_ms: 1e3 * step_s / plan.steps as f64,
    }
}

fn max_gap(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from((x - y).abs()))
        .fold(0.0, f64::max)
}

/// AdamW and FRUGAL(ρ = 1, reset_statistics = False) for blocks and columns, each pair on the
/// same initialisation and batches; each FRUGAL run computes its own gradients.
fn identity(plan: &Plan, data: &Windows, seed: u64) -> Identity {
    let ip = plan.identity;
    let net = model(plan.model);
    let layout = net.layout().clone();
    let mask = projectable(&layout);
    let mut before = [0.0; 2];
    let mut after = [0.0; 2];
    for (k, sub) in [Subspace::Blocks, Subspace::Columns]
        .into_iter()
        .enumerate()
    {
        let mut rng = Rng::new(seed);
        let p0 = net.init(&mut || rng.uniform());
        let mut cfg = Config::frugal(sub, ip.lr, 1.0, ip.update_gap).seed(seed);
        cfg.reset_statistics = false;
        let mut frugal = Frugal::new(layout.clone(), &mask, cfg);
        let mut adamw = Stepper::new(Arm::AdamW, &layout, ip.lr, &plan.settings, seed);
        let (mut pa, mut pf) = (p0.clone(), p0);
        let (mut ga, mut gf) = (vec![0.0f32; pa.len()], vec![0.0f32; pa.len()]);
        for step in 0..ip.steps {
            let (x, y) = data.sample(plan.batch, &mut rng);
            net.loss_grad(&pa, &x, &y, &mut ga);
            net.loss_grad(&pf, &x, &y, &mut gf);
            adamw.optimizer().step(&mut pa, &ga);
            kernels::optim::Optimizer::step(&mut frugal, &mut pf, &gf);
            if step < ip.update_gap {
                before[k] = f64::max(before[k], max_gap(&pa, &pf));
            }
        }
        after[k] = max_gap(&pa, &pf);
    }
    Identity { before, after }
}

fn norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// The projectors of `kernels::subspace` on the gradient of one batch at initialisation.
fn units(plan: &Plan, data: &Windows, seed: u64) -> Units {
    let net = model(plan.model);
    let layout: Layout = net.layout().clone();
    let mut rng = Rng::new(seed);
    let p = net.init(&mut || rng.uniform());
    let (x, y) = data.sample(plan.batch, &mut rng);
    let mut g = vec![0.0f32; p.len()];
    net.loss_grad(&p, &x, &y, &mut g);
    let rho = plan.settings.density;
    let mut u = Units {
        svd_leak: 0.0,
        svd_residual: f64::INFINITY,
        column_error: 0.0,
        column_zeroed: 0.0,
    };
    let (mut zeroed, mut total) = (0usize, 0usize);
    for (s, _) in layout
        .slots
        .iter()
        .zip(projectable(&layout))
        .filter(|(_, m)| *m)
    {
        let (rows, cols) = (s.shape[0], s.shape[1]);
        let gs: Vec<f64> = g[s.offset..s.offset + s.len]
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        let b = SvdBasis::top(&gs, rows, cols, rho);
        let r: Vec<f64> = gs
            .iter()
            .zip(b.up(&b.down(&gs)))
            .map(|(a, c)| a - c)
            .collect();
        u.svd_leak = u.svd_leak.max(norm(&b.down(&r)) / norm(&gs));
        u.svd_residual = u.svd_residual.min(norm(&r) / norm(&gs));
        let mut perm: Vec<usize> = (0..cols).collect();
        rng.shuffle(&mut perm);
        perm.truncate((rho * cols as f64) as usize);
        let back = scatter_columns(&gather_columns(&gs, cols, &perm), rows, cols, &perm);
        for (i, (a, c)) in gs.iter().zip(&back).enumerate() {
            let want = if perm.contains(&(i % cols)) { *a } else { 0.0 };
            u.column_error = u.column_error.max((c - want).abs());
            zeroed += usize::from(*c == 0.0 && !perm.contains(&(i % cols)));
        }
        total += s.len;
    }
    u.column_zeroed = zeroed as f64 / total as f64;
    u
}
