//! The experiment: both models trained with DP-SGD and without over seeds (E1), the clipped
//! signal against the noise across widths of model A (E2), the accountant against the Opacus and
//! dp_accounting fixture (E3), invariance of the trained models (E4), and the paper's accounted
//! against executed privacy (E5). Returns measurements; decides nothing.

use crate::method::{Glyphs, Kind, Net, SIDE, accuracy, step};
use harness::grid::{Grid, GridResults, run_grid};
use harness::rng::Rng;
use harness::{Ctx, RunError};
use kernels::nn::d4::act_planes;
use kernels::privacy::rdp::{Accountant, epsilon, noise_multiplier};
use kernels::privacy::{DpSgd, poisson_batch};
use serde::{Deserialize, Serialize};

/// What is run (typed, so that a statement's settings come from here).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub n_train: usize,
    pub n_test: usize,
    /// Poisson sampling rate q (expected batch qN).
    pub q: f64,
    pub steps: usize,
    /// SGD learning rate (no momentum), private and non-private alike.
    pub lr: f32,
    /// Clipping norm C.
    pub clip: f32,
    /// Target (ε, δ); σ comes from the accountant.
    pub epsilon: f64,
    pub delta: f64,
    pub seeds: u64,
    /// Model A's channels and model B's regular fields per layer.
    pub widths_a: [usize; 3],
    pub widths_b: [usize; 3],
    /// E2: model A with channels (w, 2w, 2w) for each w, at initialisation.
    pub e2_widths: Vec<usize>,
    /// E2: Poisson batches averaged per width.
    pub e2_batches: usize,
    /// Test accuracy is measured this many times along training (for the figure).
    pub checkpoints: usize,
}

/// One training run.
#[derive(Clone, Debug)]
pub struct Run {
    /// Test accuracy at each checkpoint; the last is the final accuracy.
    pub curve: Vec<f64>,
    pub params: Vec<f32>,
    /// Whether a parameter became non-finite.
    pub diverged: bool,
    /// Mean fraction of per-sample gradients clipped (DP runs).
    pub clipped: f64,
}

/// E2 at one width.
#[derive(Clone, Copy, Debug)]
pub struct NormPoint {
    pub d: usize,
    pub noise: f64,
    pub signal: f64,
    pub clipped: f64,
}

/// E5: one reading of the paper's run through the three accountants.
#[derive(Clone, Copy, Debug)]
pub struct Reading {
    pub q: f64,
    pub steps: u64,
    pub opacus: f64,
    pub dp_accounting: f64,
    pub pld: f64,
}

#[derive(Clone, Debug)]
pub struct Results {
    pub sigma: f64,
    /// ε of the miniature's σ as Opacus and dp_accounting account it.
    pub eps_opacus: f64,
    pub eps_dp_accounting: f64,
    pub params: [usize; 2],
    /// arms (A, B) × settings (DP, non-private) × seeds.
    pub runs: GridResults<Run>,
    pub e2: Vec<NormPoint>,
    /// Max |f(gx) − f(x)| over g ∈ D4 and test images, trained A and B (seed 0, DP).
    pub invariance: [f64; 2],
    /// Worst relative ε errors against Opacus and dp_accounting over the fixture grid, and
    /// the worst relative σ error of the noise search.
    pub e3: [f64; 3],
    pub e3_points: usize,
    /// E5: σ of the paper's setting from our search, and the accounted and executed readings.
    pub paper_sigma: f64,
    pub paper: [Reading; 2],
}

impl Results {
    /// Final accuracies of arm (0 = A, 1 = B) in setting (0 = DP, 1 = non-private), per seed.
    pub fn acc(&self, arm: usize, setting: usize) -> Vec<f64> {
        self.runs
            .cell(arm, setting)
            .iter()
            .map(|r| *r.curve.last().expect("a checkpoint"))
            .collect()
    }
}

/// Checks the plan's ranges before anything runs.
fn validate(plan: &Plan) -> Result<(), RunError> {
    let bad = |what: &str| Err(RunError(format!("equivariant-dp plan: {what}")));
    if plan.n_train == 0 || plan.n_test == 0 || plan.steps == 0 || plan.checkpoints == 0 {
        return bad("n_train, n_test, steps and checkpoints must be positive");
    }
    if plan.seeds < 2 {
        return bad("at least two seeds are needed for a standard error");
    }
    if plan.lr.is_nan() || plan.lr <= 0.0 || plan.e2_widths.len() < 2 || plan.e2_batches == 0 {
        return bad("lr must be positive and E2 needs two widths and one batch");
    }
    DpSgd::new(plan.clip, 1.0).map_err(|e| RunError(format!("equivariant-dp plan: {e}")))?;
    Ok(())
}

/// Runs everything.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    validate(plan)?;
    let rerr =
        |e: kernels::privacy::PrivacyError| RunError(format!("equivariant-dp accountant: {e}"));
    let sigma = noise_multiplier(plan.epsilon, plan.delta, plan.q, plan.steps as u64, 0.01)
        .map_err(rerr)?;
    let eps = |acc| epsilon(plan.q, sigma, plan.steps as u64, plan.delta, acc).map(|e| e.0);
    let (eps_opacus, eps_dp_accounting) = (
        eps(Accountant::Opacus).map_err(rerr)?,
        eps(Accountant::DpAccounting).map_err(rerr)?,
    );
    let nets = [
        Net::new(Kind::Plain, plan.widths_a),
        Net::new(Kind::Equivariant, plan.widths_b),
    ];
    let grid = Grid {
        arms: vec![0usize, 1],
        settings: vec![true, false],
        seeds: plan.seeds,
    };
    let runs = run_grid(ctx, "training", &grid, |cell| {
        let dp = (*cell.setting).then_some(sigma as f32);
        train(ctx, plan, &nets[*cell.arm], dp, cell.seed_index)
    });
    let e2 = norms(ctx, plan, sigma as f32);
    let test = Glyphs::generate(plan.n_test.min(200), &mut Rng::new(ctx.seed("e4", 0)));
    let invariance =
        [0, 1].map(|a| max_invariance_gap(&nets[a], &runs.cell(a, 0)[0].params, &test));
    let (e3, e3_points) = fixture_errors()?;
    let (paper_sigma, paper) = paper_readings().map_err(rerr)?;
    Ok(Results {
        sigma,
        eps_opacus,
        eps_dp_accounting,
        params: [nets[0].params, nets[1].params],
        runs,
        e2,
        invariance,
        e3,
        e3_points,
        paper_sigma,
        paper,
    })
}

/// The data of seed `seed`: the same for both models (paired).
fn data(ctx: &Ctx, plan: &Plan, seed: u64) -> (Glyphs, Glyphs) {
    let mut rng = Rng::new(ctx.seed("data", seed));
    (
        Glyphs::generate(plan.n_train, &mut rng),
        Glyphs::generate(plan.n_test, &mut rng),
    )
}

/// One run: Poisson batches of rate q for `steps` steps (the same batches for both models at a
/// seed), DP-SGD with noise σ when `dp` is given.
fn train(ctx: &Ctx, plan: &Plan, net: &Net, dp: Option<f32>, seed: u64) -> Run {
    let (train, test) = data(ctx, plan, seed);
    let mut p = net.init(&mut Rng::new(
        ctx.seed(&format!("init{:?}", net.kind), seed),
    ));
    let mut batches = Rng::new(ctx.seed("batches", seed));
    let mut noise = Rng::new(ctx.seed("noise", seed));
    let cfg = dp.map(|s| DpSgd::new(plan.clip, s).expect("validated"));
    let denom = (plan.q * plan.n_train as f64) as f32;
    let every = plan.steps.div_ceil(plan.checkpoints);
    let (mut curve, mut clipped, mut counted) = (Vec::new(), 0.0, 0usize);
    for t in 0..plan.steps {
        let idx = poisson_batch(&mut batches, plan.n_train, plan.q).expect("validated rate");
        let stats = step(
            net,
            &mut p,
            &train,
            &idx,
            plan.lr,
            cfg.as_ref().map(|c| (c, denom)),
            &mut noise,
        );
        if let Some(s) = stats.filter(|s| s.batch > 0) {
            clipped += s.clipped as f64 / s.batch as f64;
            counted += 1;
        }
        if (t + 1) % every == 0 || t + 1 == plan.steps {
            curve.push(accuracy(net, &p, &test));
        }
    }
    Run {
        curve,
        diverged: p.iter().any(|v| !v.is_finite()),
        params: p,
        clipped: clipped / counted.max(1) as f64,
    }
}

/// E2: per-sample gradients of model A at initialisation for each width, privatised with σ:
/// the norms of the clipped sum and of the noise, averaged over Poisson batches.
fn norms(ctx: &Ctx, plan: &Plan, sigma: f32) -> Vec<NormPoint> {
    let (train, _) = data(ctx, plan, 0);
    let cfg = DpSgd::new(plan.clip, sigma).expect("validated");
    plan.e2_widths
        .iter()
        .map(|&w| {
            let net = Net::new(Kind::Plain, [w, 2 * w, 2 * w]);
            let p = net.init(&mut Rng::new(ctx.seed("e2.init", w as u64)));
            let mut rng = Rng::new(ctx.seed("e2.batches", w as u64));
            let mut acc = NormPoint {
                d: net.params,
                noise: 0.0,
                signal: 0.0,
                clipped: 0.0,
            };
            for _ in 0..plan.e2_batches {
                let idx = poisson_batch(&mut rng, plan.n_train, plan.q).expect("validated rate");
                let (x, y) = train.batch(&idx);
                let (_, _, g) = net.gradients(&p, &x, &y, true);
                let z: Vec<f32> = (0..net.params).map(|_| rng.normal() as f32).collect();
                let mut out = vec![0.0; net.params];
                let s = kernels::privacy::privatize(&cfg, &g, net.params, &z, 1.0, &mut out);
                acc.noise += s.noise_norm;
                acc.signal += s.signal_norm;
                acc.clipped += s.clipped as f64 / s.batch.max(1) as f64;
            }
            let k = plan.e2_batches as f64;
            NormPoint {
                noise: acc.noise / k,
                signal: acc.signal / k,
                clipped: acc.clipped / k,
                ..acc
            }
        })
        .collect()
}

/// E4: the largest logit change under the 8 elements of D4 over the test images.
fn max_invariance_gap(net: &Net, p: &[f32], test: &Glyphs) -> f64 {
    let idx: Vec<usize> = (0..test.len()).collect();
    let (x, _) = test.batch(&idx);
    let base = net.logits(p, &x, test.len());
    let px = SIDE * SIDE;
    (1..8)
        .map(|g| {
            let moved: Vec<f32> = x
                .chunks(px)
                .flat_map(|im| act_planes(g, im, SIDE))
                .collect();
            let l = net.logits(p, &moved, test.len());
            l.iter()
                .zip(&base)
                .map(|(a, b)| f64::from((a - b).abs()))
                .fold(0.0, f64::max)
        })
        .fold(0.0, f64::max)
}

fn field(v: &serde_json::Value, k: &str) -> Result<f64, RunError> {
    v[k].as_f64()
        .ok_or_else(|| RunError(format!("privacy fixture: missing number {k}")))
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

/// E3: the accountant against every fixture point (kernels/fixtures/privacy_reference.json).
fn fixture_errors() -> Result<([f64; 3], usize), RunError> {
    let fx: serde_json::Value = serde_json::from_str(kernels::golden::PRIVACY_REFERENCE_JSON)
        .map_err(|e| RunError(format!("privacy fixture: {e}")))?;
    let grid = fx["grid"]
        .as_array()
        .ok_or_else(|| RunError("privacy fixture: no grid".into()))?;
    let mut worst = [0.0f64; 3];
    for p in grid {
        let (q, s, d) = (field(p, "q")?, field(p, "sigma")?, field(p, "delta")?);
        let steps = field(p, "steps")? as u64;
        let e = |a| {
            epsilon(q, s, steps, d, a)
                .map(|v| v.0)
                .map_err(|e| RunError(e.to_string()))
        };
        worst[0] = worst[0].max(rel(e(Accountant::Opacus)?, field(p, "opacus")?));
        worst[1] = worst[1].max(rel(
            e(Accountant::DpAccounting)?,
            field(p, "dp_accounting")?,
        ));
    }
    for s in fx["searches"].as_array().into_iter().flatten() {
        let sigma = noise_multiplier(
            field(s, "epsilon")?,
            field(s, "delta")?,
            field(s, "q")?,
            field(s, "steps")? as u64,
            0.01,
        )
        .map_err(|e| RunError(e.to_string()))?;
        worst[2] = worst[2].max(rel(sigma, field(s, "sigma")?));
    }
    Ok((worst, grid.len()))
}

/// E5: σ for ε = 8 at the accountant's q = 8192/50000 and int(353/q) = 2154 steps, then ε as
/// accounted and as executed (q = 1/6, 353 × 6 = 2118 steps); PLD values from the fixture.
fn paper_readings() -> Result<(f64, [Reading; 2]), kernels::privacy::PrivacyError> {
    let q = 8192.0 / 50000.0;
    let steps = kernels::privacy::steps_for_epochs(353.0, q);
    let sigma = noise_multiplier(8.0, 1e-5, q, steps, 0.01)?;
    let fx: serde_json::Value =
        serde_json::from_str(kernels::golden::PRIVACY_REFERENCE_JSON).expect("fixture parses");
    let read = |q: f64, steps: u64, i: usize| -> Result<Reading, kernels::privacy::PrivacyError> {
        Ok(Reading {
            q,
            steps,
            opacus: epsilon(q, sigma, steps, 1e-5, Accountant::Opacus)?.0,
            dp_accounting: epsilon(q, sigma, steps, 1e-5, Accountant::DpAccounting)?.0,
            pld: fx["paper"][i]["pld"].as_f64().unwrap_or(f64::NAN),
        })
    };
    Ok((sigma, [read(q, steps, 0)?, read(1.0 / 6.0, 353 * 6, 1)?]))
}
