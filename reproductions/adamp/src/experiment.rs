//! The experiments: the 2-D toy at the card's setting and over the robustness grid, the
//! projection's defining properties on random tensors, and a batch-normalised MLP on the 8×8
//! digits, where every hidden weight matrix is scale-invariant, trained by SGD/SGDP and
//! AdamW/AdamP. Typed [`Plan`] in, typed [`Results`] out; decides nothing.

use crate::method::{ANGLE_DEG, LR, STEPS, ToyRun, toy, toy_sgdp_copy};
use harness::grid::{Grid, run_grid};
use harness::rng::Rng;
use harness::{Ctx, RunError, stats};
use kernels::data::digits;
use kernels::nn::{Mlp, train::fit};
use kernels::optim::{
    Adam, AdamP, Optimizer, Projection, Sgd, Sgdp, View, project, projection_view,
};

/// What is run, per scale (fixed before running).
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Seeds of the network.
    pub seeds: u64,
    pub net: NetPlan,
}

/// The momenta of the toy at the card's setting.
pub const MUS: [f32; 4] = [0.0, 0.9, 0.95, 0.99];
/// The momenta of the robustness grid and of the unprojected-buffer SGDP.
pub const ROBUST_MUS: [f32; 3] = [0.9, 0.95, 0.99];
/// The card's robustness grid (learning rates, steps) and the alignment target.
pub const ROBUST_LRS: [f32; 3] = [0.01, 0.1, 0.3];
pub const ROBUST_STEPS: usize = 1000;
pub const COS_TARGET: f64 = 0.9999;

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

/// Momentum SGD and SGDP on the toy at one setting.
#[derive(Clone, Debug)]
pub struct ToyPair {
    pub sgd: ToyRun,
    pub sgdp: ToyRun,
}

fn toy_pair(mu: f32, lr: f32, steps: usize) -> ToyPair {
    ToyPair {
        sgd: toy(mu, false, lr, steps, ANGLE_DEG),
        sgdp: toy(mu, true, lr, steps, ANGLE_DEG),
    }
}

/// The A5 checks on random tensors.
#[derive(Clone, Copy, Debug)]
pub struct ProjectionChecks {
    /// Largest |cos(ŵ_i, u_i)| after projection.
    pub radial: f64,
    /// Projection decisions that disagree with a direct f64 evaluation of the rule.
    pub mismatches: usize,
}

/// Everything measured.
#[derive(Clone, Debug)]
pub struct Results {
    /// The toy at the card's setting, per μ of [`MUS`].
    pub toy: Vec<ToyPair>,
    /// Final ‖w‖ of SGDP without the in-place buffer projection, per μ of [`ROBUST_MUS`].
    pub sgdp_copy: Vec<f64>,
    /// The toy over [`ROBUST_LRS`] × [`ROBUST_MUS`] for [`ROBUST_STEPS`] (lr outermost).
    pub robust: Vec<ToyPair>,
    pub projection: ProjectionChecks,
    pub net: Network,
}

/// What the network measured, per arm of [`Arm::ALL`].
#[derive(Clone, Debug)]
pub struct Network {
    /// The runs, per seed.
    pub runs: Vec<Vec<NetRun>>,
    /// ‖W1‖ / ‖W1‖ at init per epoch, mean over seeds.
    pub growth_curves: Vec<Vec<f64>>,
}

impl Network {
    /// The runs of `arm`.
    pub fn of(&self, arm: Arm) -> &[NetRun] {
        let a = Arm::ALL.iter().position(|&b| b == arm).expect("an arm");
        &self.runs[a]
    }
}

/// Runs everything.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    let stage = ctx.progress.stage("2-D toy", 1);
    let toy = MUS.iter().map(|&mu| toy_pair(mu, LR, STEPS)).collect();
    let sgdp_copy = [0.9, 0.95, 0.99]
        .iter()
        .map(|&mu| toy_sgdp_copy(mu, LR as f64, STEPS, ANGLE_DEG))
        .collect();
    // Robustness over learning rates, 1000 steps (the card's check).
    let robust = ROBUST_LRS
        .iter()
        .flat_map(|&lr| ROBUST_MUS.map(|mu| toy_pair(mu, lr, ROBUST_STEPS)))
        .collect();
    drop(stage);
    let projection = projection_checks(ctx.seed("a5", 0));
    let net = network(ctx, plan)?;
    Ok(Results {
        toy,
        sgdp_copy,
        robust,
        projection,
        net,
    })
}

/// Random tensors for the A5 checks: the radial residue after projection, and the number of
/// projection decisions that disagree with a direct f64 evaluation of the rule.
fn projection_checks(seed: u64) -> ProjectionChecks {
    let mut rng = Rng::new(seed);
    let pj = Projection::default();
    let mut worst: f64 = 0.0;
    let mut mismatches = 0;
    for case in 0..2000 {
        let rows = 1 + rng.below(6) as usize;
        let cols = 2 + rng.below(30) as usize;
        let w: Vec<f32> = (0..rows * cols).map(|_| rng.normal() as f32).collect();
        // Gradients near orthogonal to w, with a random radial part around the threshold.
        let mut g: Vec<f32> = (0..rows * cols).map(|_| rng.normal() as f32).collect();
        let radial = 0.2 * rng.uniform() / (cols as f64).sqrt();
        for (wr, gr) in w.chunks(cols).zip(g.chunks_mut(cols)) {
            let (wn, gn) = (norm(wr), norm(gr));
            let c = dot(wr, gr) / (wn * gn);
            gr.iter_mut()
                .zip(wr)
                .for_each(|(gi, &wi)| *gi -= ((c - radial) * gn / wn) as f32 * wi);
        }
        let decided = projection_view(&[rows, cols], &w, &g, &pj);
        // Decisions within 1e-6 of the threshold may differ by rounding; none are expected.
        mismatches += usize::from(decided != expected_view(rows, cols, &w, &g));
        if case < 200 {
            let mut u: Vec<f32> = (0..rows * cols).map(|_| rng.normal() as f32).collect();
            project(&[rows, cols], &w, &mut u, View::Channel, 1e-8);
            for (wr, ur) in w.chunks(cols).zip(u.chunks(cols)) {
                worst = worst.max(dot(wr, ur).abs() / (norm(wr) * norm(ur)));
            }
        }
    }
    ProjectionChecks {
        radial: worst,
        mismatches,
    }
}

/// The adamp package's rule evaluated directly in f64: the channel view if every row's
/// |cos(g_i, w_i)| is below 0.1/√cols, else the layer view if |cos(g, w)| < 0.1/√(rows·cols).
fn expected_view(rows: usize, cols: usize, w: &[f32], g: &[f32]) -> Option<View> {
    let cos_max = w
        .chunks(cols)
        .zip(g.chunks(cols))
        .map(|(a, b)| (dot(a, b) / (norm(a) * norm(b))).abs())
        .fold(0.0, f64::max);
    let layer = (dot(w, g) / (norm(w) * norm(g))).abs();
    if cos_max < 0.1 / (cols as f64).sqrt() {
        Some(View::Channel)
    } else if layer < 0.1 / ((rows * cols) as f64).sqrt() {
        Some(View::Layer)
    } else {
        None
    }
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum()
}

fn norm(a: &[f32]) -> f64 {
    dot(a, a).sqrt()
}

/// The network: every arm for every seed. The first divergence (arms, then seeds, in order)
/// is an error.
fn network(ctx: &Ctx, plan: &Plan) -> Result<Network, RunError> {
    let grid = Grid {
        arms: Arm::ALL.to_vec(),
        settings: vec![plan.net],
        seeds: plan.seeds,
    };
    let all = run_grid(ctx, "BN-MLP on digits", &grid, |c| {
        net_run(*c.arm, c.setting, ctx.seed("net", c.seed_index))
    });
    let mut runs = Vec::new();
    let mut growth_curves = Vec::new();
    for a in 0..Arm::ALL.len() {
        let arm: Vec<NetRun> = all
            .cell(a, 0)
            .iter()
            .map(|r| r.clone().map_err(RunError))
            .collect::<Result<_, _>>()?;
        let epochs = arm[0].norms.len();
        growth_curves.push(
            (0..epochs)
                .map(|e| {
                    stats::mean(
                        &arm.iter()
                            .map(|r| r.norms[e][0] / r.init_norms[0])
                            .collect::<Vec<_>>(),
                    )
                })
                .collect::<Vec<f64>>(),
        );
        runs.push(arm);
    }
    Ok(Network {
        runs,
        growth_curves,
    })
}
