//! The experiments: the digits MLP trained by AdamW, Muon and FISMO over a learning-rate grid
//! and seeds, with the condition number of every hidden-matrix update sampled along the way
//! (X3, X4); and one AdamW trajectory whose hidden gradients drive shadow optimizers on zero
//! parameters (lr 1), so that their exact updates can be compared: FISMO at γ = 1 against
//! EMA Muon (X1), FISMO's trust-region tightness and factor identities, and Algorithm 1's
//! damping against Theorem 1's (X2). Typed [`Plan`] in, typed [`Results`] out; decides nothing.

use crate::method::{
    Arm, ArmSettings, HIDDEN, Net, condition, ema_muon, loss_and_accuracy, optimizer,
};
use dfdx_bridge::dfdx::losses::cross_entropy_with_logits_loss;
use dfdx_bridge::dfdx::prelude::*;
use dfdx_bridge::{Bridge, read_params};
use harness::grid::{Grid, run_grid};
use harness::rng::Rng;
use harness::{Ctx, RunError};
use kernels::data::{Dataset, digits};
use kernels::optim::{Damping, Fismo, Layout, Muon, Optimizer};
use kernels::spd::{eigh, trace};

/// What is run, per scale (fixed before running).
#[derive(Clone, Debug)]
pub struct Plan {
    /// Hidden width H (64 or 128: the model's sizes are compile-time in dfdx).
    pub width: usize,
    pub steps: usize,
    pub batch: usize,
    pub test: usize,
    /// Learning-rate grid per arm, in [`Arm::ALL`] order.
    pub lrs: [Vec<f32>; 3],
    pub seeds: u64,
    pub settings: ArmSettings,
    /// Sample κ(ΔW) every this many steps.
    pub kappa_every: usize,
    pub identity: IdentityPlan,
}

/// X1 and X2: the shadow optimizers on one AdamW trajectory.
#[derive(Clone, Copy, Debug)]
pub struct IdentityPlan {
    pub steps: usize,
    pub adamw_lr: f32,
}

/// One training run.
#[derive(Clone, Debug)]
pub struct RunOut {
    pub initial_loss: f64,
    /// Loss on the whole training set after the last step (+∞ if the run diverged).
    pub final_loss: f64,
    pub test_accuracy: f64,
    /// log10 κ(ΔW) of every sampled hidden-matrix update.
    pub log_kappa: Vec<f64>,
    /// Mean wall time of one optimizer step through the bridge (ms; machine-dependent).
    pub step_ms: f64,
}

/// X1 and X2 measurements, worst over the steps and the hidden matrices.
#[derive(Clone, Copy, Debug)]
pub struct Identity {
    /// max |FISMO(γ = 1) − EMA Muon| / max |EMA Muon| over the updates.
    pub reduction_gap: f64,
    /// The same against Muon's defaults (Nesterov, NS5, shape scale): the control.
    pub official_gap: f64,
    /// max |tr P − m| / m and |tr Q − n| / n.
    pub trace_error: f64,
    /// The smallest eigenvalue of any P or Q.
    pub min_eigenvalue: f64,
    /// max |σ_max − 1| of P^{1/2} ΔW Q^{1/2} (the step on the trust-region boundary).
    pub sigma_error: f64,
    /// The same for the EMA-Muon update measured in FISMO's metric (the control).
    pub muon_sigma_error: f64,
    /// The fraction of FISMO updates with σ_min(P^{1/2} ΔW Q^{1/2}) < ½: a momentum of lower
    /// rank than the matrix, where the polar factor has zero singular values.
    pub rank_deficient: f64,
    /// max ‖G‖²_F / (m n): the mean eigenvalue of the gradient statistic (1/n) G Gᵀ, which
    /// Algorithm 1 mixes into factors whose mean eigenvalue is 1.
    pub statistic_scale: f64,
    /// ‖P_Alg1 − P_Thm1‖_F / ‖P_Alg1‖_F at the end, worst matrix.
    pub damping_gap: f64,
    /// Largest and smallest eigenvalue ratio κ(P) of the last factors, worst matrix.
    pub factor_condition: f64,
}

#[derive(Clone, Debug)]
pub struct Results {
    /// `runs[arm][lr]` holds one [`RunOut`] per seed.
    pub runs: Vec<Vec<Vec<RunOut>>>,
    pub identity: Identity,
}

/// Runs everything.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    match plan.width {
        64 => run_width::<64>(ctx, plan),
        128 => run_width::<128>(ctx, plan),
        w => Err(RunError(format!(
            "hidden width {w} is not compiled in (64 or 128)"
        ))),
    }
}

fn run_width<const H: usize>(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    let settings: Vec<(Arm, f32)> = Arm::ALL
        .iter()
        .zip(&plan.lrs)
        .flat_map(|(&a, lrs)| lrs.iter().map(move |&lr| (a, lr)))
        .collect();
    let grid = Grid {
        arms: vec![()],
        settings: settings.clone(),
        seeds: plan.seeds,
    };
    let out = run_grid(ctx, "X3/X4 training", &grid, |c| {
        let (arm, lr) = *c.setting;
        train::<H>(plan, arm, lr, ctx.seed("x3", c.seed_index))
    });
    let mut runs = Vec::new();
    let mut at = 0;
    for lrs in &plan.lrs {
        runs.push(
            (at..at + lrs.len())
                .map(|s| out.cell(0, s).to_vec())
                .collect(),
        );
        at += lrs.len();
    }
    let identity = identity::<H>(plan, ctx.seed("x1", 0));
    Ok(Results { runs, identity })
}

fn split(rng: &mut Rng, test: usize) -> (Dataset, Dataset) {
    let data = digits();
    let mut idx: Vec<usize> = (0..data.len()).collect();
    rng.shuffle(&mut idx);
    let (test_idx, train_idx) = idx.split_at(test);
    (data.rows(train_idx), data.rows(test_idx))
}

type X = Tensor<(usize, Const<64>), f32, Cpu>;

fn inputs(dev: &Cpu, d: &Dataset, idx: &[usize]) -> (X, Tensor<(usize, Const<10>), f32, Cpu>) {
    let b = d.rows(idx);
    let mut onehot = vec![0.0f32; idx.len() * 10];
    b.y.iter()
        .enumerate()
        .for_each(|(i, &y)| onehot[i * 10 + y] = 1.0);
    (
        dev.tensor_from_vec(b.x, (idx.len(), Const::<64>)),
        dev.tensor_from_vec(onehot, (idx.len(), Const::<10>)),
    )
}

fn evaluate<const H: usize>(
    dev: &Cpu,
    net: &<Net<H> as BuildOnDevice<Cpu, f32>>::Built,
    d: &Dataset,
) -> (f64, f64) {
    let all: Vec<usize> = (0..d.len()).collect();
    let (x, _) = inputs(dev, d, &all);
    loss_and_accuracy(&net.forward(x).as_vec(), &d.y)
}

/// The next minibatch: consecutive slices of a permutation redrawn every epoch.
struct Batches {
    order: Vec<usize>,
    at: usize,
    batch: usize,
}

impl Batches {
    fn next(&mut self, rng: &mut Rng) -> Vec<usize> {
        if self.at + self.batch > self.order.len() {
            rng.shuffle(&mut self.order);
            self.at = 0;
        }
        self.at += self.batch;
        self.order[self.at - self.batch..self.at].to_vec()
    }
}

/// The hidden matrices of a flat buffer, gathered in [`HIDDEN`] order, as f64.
fn hidden(layout: &Layout, flat: &[f32]) -> Vec<Vec<f64>> {
    HIDDEN
        .iter()
        .map(|n| {
            let s = layout
                .slots
                .iter()
                .find(|s| s.name == *n)
                .expect("hidden slot");
            flat[s.offset..s.offset + s.len]
                .iter()
                .map(|&v| f64::from(v))
                .collect()
        })
        .collect()
}

/// One X3 run: the same data split and initialisation for every arm of a seed.
fn train<const H: usize>(plan: &Plan, arm: Arm, lr: f32, seed: u64) -> RunOut {
    let mut rng = Rng::new(seed);
    let (tr, te) = split(&mut rng, plan.test);
    let dev = Cpu::seed_from_u64(seed);
    let mut net = dev.build_module::<Net<H>, f32>();
    let mut bridge = Bridge::new(&net);
    let layout = bridge.layout.clone();
    let mut opt = optimizer(arm, &layout, lr, &plan.settings);
    let initial_loss = evaluate::<H>(&dev, &net, &tr).0;
    let mut batches = Batches {
        order: (0..tr.len()).collect(),
        at: usize::MAX / 2,
        batch: plan.batch,
    };
    let mut log_kappa = Vec::new();
    let mut before = vec![0.0f32; layout.total];
    let mut after = vec![0.0f32; layout.total];
    let mut step_s = 0.0;
    for step in 0..plan.steps {
        let (x, y) = inputs(&dev, &tr, &batches.next(&mut rng));
        let loss = cross_entropy_with_logits_loss(net.forward(x.trace(net.alloc_grads())), y);
        let sample = step % plan.kappa_every == plan.kappa_every - 1;
        if sample {
            read_params(&net, &mut before).expect("layout");
        }
        let grads = loss.backward();
        let clock = std::time::Instant::now();
        let stepped = bridge.step(&mut net, &grads, opt.as_mut());
        step_s += clock.elapsed().as_secs_f64();
        if stepped.is_err() {
            // A non-finite gradient: the run diverged; what it measured so far is kept.
            return RunOut {
                initial_loss,
                final_loss: f64::INFINITY,
                test_accuracy: 0.0,
                log_kappa,
                step_ms: 1e3 * step_s / (step + 1) as f64,
            };
        }
        if sample {
            read_params(&net, &mut after).expect("layout");
            for (b, a) in hidden(&layout, &before).iter().zip(hidden(&layout, &after)) {
                let d: Vec<f64> = b.iter().zip(&a).map(|(p, q)| p - q).collect();
                log_kappa.push(condition(&d, H, H).log10());
            }
        }
    }
    let (final_loss, _) = evaluate::<H>(&dev, &net, &tr);
    let (_, test_accuracy) = evaluate::<H>(&dev, &net, &te);
    let final_loss = if final_loss.is_finite() {
        final_loss
    } else {
        f64::INFINITY
    };
    RunOut {
        initial_loss,
        final_loss,
        test_accuracy,
        log_kappa,
        step_ms: 1e3 * step_s / plan.steps as f64,
    }
}

/// `−p` of a shadow step on zero parameters at lr 1: the update ΔW itself, per hidden matrix.
fn shadow_step(opt: &mut dyn Optimizer, g: &[f32]) -> Vec<f64> {
    let mut p = vec![0.0f32; g.len()];
    opt.step(&mut p, g);
    p.iter().map(|&v| -f64::from(v)).collect()
}

fn max_abs(x: &[f64]) -> f64 {
    x.iter().fold(0.0, |a, v| a.max(v.abs()))
}

fn gap(a: &[f64], b: &[f64]) -> f64 {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    max_abs(&d) / max_abs(b).max(f64::MIN_POSITIVE)
}

/// The largest and smallest singular values of `P^{1/2} d Q^{1/2}` (n × n).
fn metric_singular_values(p: &[f64], q: &[f64], d: &[f64], n: usize) -> (f64, f64) {
    let (ps, qs) = (eigh(p, n).apply(f64::sqrt), eigh(q, n).apply(f64::sqrt));
    let t = kernels::spd::matmul(&kernels::spd::matmul(&ps, d, n), &qs, n);
    let tt = kernels::spd::matmul(&kernels::spd::transpose(&t, n), &t, n);
    let ev = eigh(&tt, n).values;
    (ev[n - 1].max(0.0).sqrt(), ev[0].max(0.0).sqrt())
}

/// X1 and X2 on the hidden gradients of one AdamW trajectory.
fn identity<const H: usize>(plan: &Plan, seed: u64) -> Identity {
    let ip = plan.identity;
    let s = plan.settings;
    let mut rng = Rng::new(seed);
    let (tr, _) = split(&mut rng, plan.test);
    let dev = Cpu::seed_from_u64(seed);
    let mut net = dev.build_module::<Net<H>, f32>();
    let mut bridge = Bridge::new(&net);
    let layout = bridge.layout.clone();
    let mut driver = optimizer(Arm::AdamW, &layout, ip.adamw_lr, &s);
    let one = Layout::new(&[("w", &[H, H])]);
    let per = |make: &dyn Fn() -> Box<dyn Optimizer>| (0..3).map(|_| make()).collect::<Vec<_>>();
    let mut fismo: Vec<Fismo> = (0..3)
        .map(|_| Fismo::new(one.clone(), 1.0).factors(s.beta, s.gamma, s.mu))
        .collect();
    let mut theorem: Vec<Fismo> = (0..3)
        .map(|_| {
            Fismo::new(one.clone(), 1.0)
                .factors(s.beta, s.gamma, s.mu)
                .damping(Damping::Theorem1)
        })
        .collect();
    let mut frozen = per(&|| Box::new(Fismo::new(one.clone(), 1.0).factors(s.beta, 1.0, s.mu)));
    let mut muon = per(&|| Box::new(ema_muon(one.clone(), 1.0, s.beta)));
    let mut official = per(&|| Box::new(Muon::new(one.clone(), 1.0)));
    let mut batches = Batches {
        order: (0..tr.len()).collect(),
        at: usize::MAX / 2,
        batch: plan.batch,
    };
    let mut m = Identity {
        reduction_gap: 0.0,
        official_gap: 0.0,
        trace_error: 0.0,
        min_eigenvalue: f64::INFINITY,
        sigma_error: 0.0,
        muon_sigma_error: 0.0,
        rank_deficient: 0.0,
        statistic_scale: 0.0,
        damping_gap: 0.0,
        factor_condition: 0.0,
    };
    for _ in 0..ip.steps {
        let (x, y) = inputs(&dev, &tr, &batches.next(&mut rng));
        let loss = cross_entropy_with_logits_loss(net.forward(x.trace(net.alloc_grads())), y);
        let grads = loss.backward();
        let g = hidden(&layout, bridge.gradients(&net, &grads).expect("gradients"));
        for i in 0..3 {
            let gi: Vec<f32> = g[i].iter().map(|&v| v as f32).collect();
            let d = shadow_step(&mut fismo[i], &gi);
            shadow_step(&mut theorem[i], &gi);
            let df = shadow_step(frozen[i].as_mut(), &gi);
            let dm = shadow_step(muon[i].as_mut(), &gi);
            let dof = shadow_step(official[i].as_mut(), &gi);
            m.reduction_gap = m.reduction_gap.max(gap(&df, &dm));
            m.official_gap = m.official_gap.max(gap(&dof, &dm));
            let (p, q) = fismo[i].kronecker_factors(0);
            let n = H as f64;
            m.trace_error = m
                .trace_error
                .max((trace(p, H) - n).abs() / n)
                .max((trace(q, H) - n).abs() / n);
            m.min_eigenvalue = m
                .min_eigenvalue
                .min(eigh(p, H).values[0])
                .min(eigh(q, H).values[0]);
            let (hi, lo) = metric_singular_values(p, q, &d, H);
            m.sigma_error = m.sigma_error.max((hi - 1.0).abs());
            m.rank_deficient += f64::from(u8::from(lo < 0.5));
            let (muon_hi, _) = metric_singular_values(p, q, &dm, H);
            m.muon_sigma_error = m.muon_sigma_error.max((muon_hi - 1.0).abs());
            let g2: f64 = g[i].iter().map(|v| v * v).sum();
            m.statistic_scale = m.statistic_scale.max(g2 / (n * n));
        }
        bridge
            .step(&mut net, &grads, driver.as_mut())
            .expect("AdamW step");
    }
    m.rank_deficient /= (3 * ip.steps) as f64;
    for i in 0..3 {
        let (pa, _) = fismo[i].kronecker_factors(0);
        let (pt, _) = theorem[i].kronecker_factors(0);
        let diff: f64 = pa
            .iter()
            .zip(pt)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt();
        let norm: f64 = pa.iter().map(|a| a * a).sum::<f64>().sqrt();
        m.damping_gap = m.damping_gap.max(diff / norm);
        let ev = eigh(pa, H).values;
        m.factor_condition = m.factor_condition.max(ev[H - 1] / ev[0]);
    }
    m
}
