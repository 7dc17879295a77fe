//! The experiments: SGD, SAF, SAM and MESA train the MLP on the label-noise clusters over
//! seeds, then the top eigenvalue of the training-loss Hessian at the final weights is found
//! by power iteration (V1–V3); the Hessian-vector products are checked against a dense
//! Hessian (V2's measurement); λ = 0 and identical logits pin SAF's term down (V4). Typed
//! [`Plan`] in, typed [`Results`] out; decides nothing.

use crate::method::{
    Arm, ArmSettings, CLASSES, DIM, Model, Passes, Trainer, clusters, evaluate, input,
};
use dfdx_bridge::dfdx::losses::cross_entropy_with_logits_loss;
use dfdx_bridge::dfdx::prelude::*;
use dfdx_bridge::{read_grads, read_params, write_params};
use harness::grid::{Grid, run_grid};
use harness::rng::Rng;
use harness::{Ctx, RunError};
use kernels::data::Dataset;
use kernels::sharpness::{TORCH_JSON, central_difference_hvp, power_iteration, trajectory_kl};
use kernels::spd::eigvalsh;

/// What is run, per scale (fixed before running).
#[derive(Clone, Debug)]
pub struct Plan {
    /// Hidden width H (the model's sizes are compile-time in dfdx).
    pub width: usize,
    pub train: usize,
    pub test: usize,
    /// Class-mean scale of the clusters (per dimension, in units of the within-class sd).
    pub spread: f64,
    /// Fraction of training labels flipped.
    pub noise: f64,
    pub epochs: usize,
    pub batch: usize,
    pub seeds: u64,
    pub settings: ArmSettings,
    pub hessian: HessianPlan,
    pub identity: IdentityPlan,
}

/// λ_max by power iteration on central-difference Hessian-vector products.
#[derive(Clone, Copy, Debug)]
pub struct HessianPlan {
    pub iters: usize,
    /// The finite-difference step ε (on a unit direction).
    pub eps: f64,
}

/// V4's short runs: SGD and SAF with λ = 0 and with the arm's λ.
#[derive(Clone, Copy, Debug)]
pub struct IdentityPlan {
    pub epochs: usize,
    pub start_epoch: usize,
}

/// One training run.
#[derive(Clone, Debug)]
pub struct RunOut {
    /// Test accuracy after every epoch.
    pub test_curve: Vec<f64>,
    pub test_accuracy: f64,
    /// Loss and accuracy on the (noisy) training labels at the end.
    pub train_loss: f64,
    pub train_accuracy: f64,
    /// λ_max of the training-loss Hessian at the final weights, and the power iteration's
    /// relative residual ‖Hv − λv‖ / λ.
    pub lambda_max: f64,
    pub lambda_residual: f64,
    pub passes: Passes,
    pub steps: u64,
    /// Wall time of one training step (ms; machine-dependent, runs share the cores).
    pub step_ms: f64,
    pub state_bytes: usize,
    /// The mean KL term (before λ) over the steps it was on (SAF, MESA; 0 otherwise).
    pub kl_mean: f64,
    /// `Some(message)` if the run diverged; what it measured until then is kept.
    pub diverged: Option<String>,
}

/// The Hessian-vector products against a dense Hessian (softmax regression on the same data,
/// whose Hessian is known in closed form).
#[derive(Clone, Copy, Debug)]
pub struct HvpCheck {
    pub dense_lambda: f64,
    pub power_lambda: f64,
    /// ‖H v (central differences) − H v (dense)‖ / ‖H v (dense)‖ for a random unit v.
    pub hvp_error: f64,
    /// |λ(ε) − λ(ε/2)| / λ(ε) on the MLP (the first SGD seed's final weights).
    pub eps_gap: f64,
}

/// V4's measurements.
#[derive(Clone, Copy, Debug)]
pub struct Identity {
    /// Parameters whose bits differ between SAF with λ = 0 and SGD.
    pub lambda_zero_differing: usize,
    /// max |w(SAF, λ) − w(SGD)| (the control: the term changes the weights).
    pub lambda_on_gap: f64,
    /// SAF's term on identical logits (the final training logits).
    pub kl_self: f64,
    /// Worst relative error of the term's value and gradient against torch (f32 cases).
    pub fixture_value_error: f64,
    pub fixture_grad_error: f64,
}

#[derive(Clone, Debug)]
pub struct Results {
    /// `runs[arm][seed]`, arms in [`Arm::ALL`] order.
    pub runs: Vec<Vec<RunOut>>,
    pub hvp: HvpCheck,
    pub identity: Identity,
}

/// Runs everything.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    match plan.width {
        128 => run_width::<128>(ctx, plan),
        256 => run_width::<256>(ctx, plan),
        w => Err(RunError(format!(
            "hidden width {w} is not compiled in (128 or 256)"
        ))),
    }
}

fn data(ctx: &Ctx, plan: &Plan, seed_index: u64) -> (Dataset, Dataset) {
    let mut rng = Rng::new(ctx.seed("data", seed_index));
    clusters(&mut rng, plan.train, plan.test, plan.spread, plan.noise)
}

fn run_width<const H: usize>(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    let grid = Grid {
        arms: Arm::ALL.to_vec(),
        settings: vec![()],
        seeds: plan.seeds,
    };
    let out = run_grid(ctx, "V1–V3 training", &grid, |c| {
        let (tr, te) = data(ctx, plan, c.seed_index);
        train::<H>(
            plan,
            *c.arm,
            plan.settings,
            &tr,
            &te,
            ctx.seed("init", c.seed_index),
            plan.epochs,
        )
    });
    let runs: Vec<Vec<RunOut>> = (0..Arm::ALL.len())
        .map(|a| out.cell(a, 0).iter().map(|(r, _)| r.clone()).collect())
        .collect();
    let (tr, _) = data(ctx, plan, 0);
    let sgd_weights = &out.cell(0, 0)[0].1;
    let hvp = hvp_check::<H>(plan, &tr, sgd_weights, ctx.seed("hvp", 0));
    let identity = identity::<H>(ctx, plan);
    Ok(Results {
        runs,
        hvp,
        identity,
    })
}

/// Batches: consecutive slices of a permutation redrawn every epoch (the last partial batch
/// is dropped).
fn epoch_batches(rng: &mut Rng, n: usize, batch: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    order.chunks_exact(batch).map(<[usize]>::to_vec).collect()
}

/// One run of `arm`; also returns the final weights. Every arm of a seed sees the same data,
/// initialisation and batch order.
fn train<const H: usize>(
    plan: &Plan,
    arm: Arm,
    settings: ArmSettings,
    tr: &Dataset,
    te: &Dataset,
    seed: u64,
    epochs: usize,
) -> (RunOut, Vec<f32>) {
    let mut t = Trainer::<H>::new(arm, settings, seed, tr.len());
    let mut order = Rng::new(seed ^ 0x5AF);
    let mut test_curve = Vec::new();
    let mut diverged = None;
    let (mut steps, mut seconds) = (0u64, 0.0);
    'epochs: for epoch in 0..epochs {
        for idx in epoch_batches(&mut order, tr.len(), plan.batch) {
            let clock = std::time::Instant::now();
            let r = t.step(tr, &idx, epoch);
            seconds += clock.elapsed().as_secs_f64();
            steps += 1;
            if let Err(e) = r {
                diverged = Some(format!("{} at epoch {epoch}: {e}", arm.label()));
                break 'epochs;
            }
        }
        test_curve.push(evaluate::<H>(&t.net, te).1);
    }
    let (train_loss, train_accuracy) = evaluate::<H>(&t.net, tr);
    let weights = t.weights();
    let (lambda_max, lambda_residual) = if diverged.is_none() {
        let top = power_iteration(weights.len(), plan.hessian.iters, seed ^ 0x4E55, &mut |v| {
            central_difference_hvp(&weights, v, plan.hessian.eps, &mut |w| {
                full_gradient::<H>(tr, w)
            })
        });
        (top.value, top.residual)
    } else {
        (f64::NAN, f64::NAN)
    };
    let out = RunOut {
        test_accuracy: test_curve.last().copied().unwrap_or(0.0),
        test_curve,
        train_loss,
        train_accuracy,
        lambda_max,
        lambda_residual,
        passes: t.passes,
        steps,
        step_ms: 1e3 * seconds / steps.max(1) as f64,
        state_bytes: t.state_bytes(),
        kl_mean: if t.kl_steps > 0 {
            t.kl_sum / t.kl_steps as f64
        } else {
            0.0
        },
        diverged,
    };
    (out, weights)
}

/// The full-batch gradient of the mean training cross-entropy at the flat weights `w`.
fn full_gradient<const H: usize>(tr: &Dataset, w: &[f32]) -> Vec<f32> {
    let dev = Cpu::default();
    let mut net: Model<H> = dev.build_module::<crate::method::Net<H>, f32>();
    write_params(&mut net, w).expect("layout");
    let all: Vec<usize> = (0..tr.len()).collect();
    let x = input(&dev, tr, &all);
    let mut onehot = vec![0.0f32; tr.len() * CLASSES];
    tr.y.iter()
        .enumerate()
        .for_each(|(i, &y)| onehot[i * CLASSES + y] = 1.0);
    let y = dev.tensor_from_vec(onehot, (tr.len(), Const::<CLASSES>));
    let grads =
        cross_entropy_with_logits_loss(net.forward(x.trace(net.alloc_grads())), y).backward();
    let mut g = vec![0.0; w.len()];
    read_grads(&net, &grads, &mut g).expect("layout");
    g
}

type Softmax = Linear<DIM, CLASSES>;

/// The gradient of softmax regression's mean cross-entropy, by dfdx.
fn softmax_gradient(tr: &Dataset, w: &[f32]) -> Vec<f32> {
    let dev = Cpu::default();
    let mut net = dev.build_module::<Softmax, f32>();
    write_params(&mut net, w).expect("layout");
    let all: Vec<usize> = (0..tr.len()).collect();
    let mut onehot = vec![0.0f32; tr.len() * CLASSES];
    tr.y.iter()
        .enumerate()
        .for_each(|(i, &y)| onehot[i * CLASSES + y] = 1.0);
    let y = dev.tensor_from_vec(onehot, (tr.len(), Const::<CLASSES>));
    let grads = cross_entropy_with_logits_loss(
        net.forward(input(&dev, tr, &all).trace(net.alloc_grads())),
        y,
    )
    .backward();
    let mut g = vec![0.0; w.len()];
    read_grads(&net, &grads, &mut g).expect("layout");
    g
}

/// The exact Hessian of softmax regression (weight C × D row-major, then the bias), f64:
/// `(1/N) Σ_n (diag p − p pᵀ) ⊗ x̃ x̃ᵀ` with `x̃ = (x, 1)`.
pub fn softmax_hessian(tr: &Dataset, w: &[f32]) -> Vec<f64> {
    let n = CLASSES * DIM + CLASSES;
    let at = |c: usize, j: usize| {
        if j < DIM {
            c * DIM + j
        } else {
            CLASSES * DIM + c
        }
    };
    let mut h = vec![0.0; n * n];
    for r in 0..tr.len() {
        let x: Vec<f64> = tr.x[r * DIM..(r + 1) * DIM]
            .iter()
            .map(|&v| f64::from(v))
            .chain(std::iter::once(1.0))
            .collect();
        let z: Vec<f64> = (0..CLASSES)
            .map(|c| {
                (0..DIM)
                    .map(|j| f64::from(w[c * DIM + j]) * x[j])
                    .sum::<f64>()
                    + f64::from(w[CLASSES * DIM + c])
            })
            .collect();
        let max = z.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        let e: Vec<f64> = z.iter().map(|v| (v - max).exp()).collect();
        let s: f64 = e.iter().sum();
        let p: Vec<f64> = e.iter().map(|v| v / s).collect();
        for c in 0..CLASSES {
            for d in 0..CLASSES {
                let a = if c == d { p[c] } else { 0.0 } - p[c] * p[d];
                for j in 0..=DIM {
                    for k in 0..=DIM {
                        h[at(c, j) * n + at(d, k)] += a * x[j] * x[k];
                    }
                }
            }
        }
    }
    let m = tr.len() as f64;
    h.iter_mut().for_each(|v| *v /= m);
    h
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn hvp_check<const H: usize>(plan: &Plan, tr: &Dataset, mlp: &[f32], seed: u64) -> HvpCheck {
    let hp = plan.hessian;
    let dev = Cpu::seed_from_u64(seed);
    let net = dev.build_module::<Softmax, f32>();
    let n = CLASSES * DIM + CLASSES;
    let mut w = vec![0.0; n];
    read_params(&net, &mut w).expect("layout");
    let dense = softmax_hessian(tr, &w);
    let dense_lambda = eigvalsh(&dense, n)[n - 1];
    let mut fd =
        |v: &[f64]| central_difference_hvp(&w, v, hp.eps, &mut |p| softmax_gradient(tr, p));
    let power_lambda = power_iteration(n, hp.iters, seed, &mut fd).value;
    let mut rng = Rng::new(seed);
    let mut v: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let s = norm(&v);
    v.iter_mut().for_each(|x| *x /= s);
    let exact: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|j| dense[i * n + j] * v[j]).sum())
        .collect();
    let approx = fd(&v);
    let diff: Vec<f64> = exact.iter().zip(&approx).map(|(a, b)| a - b).collect();
    let hvp_error = norm(&diff) / norm(&exact);
    let lambda = |eps: f64| {
        power_iteration(mlp.len(), hp.iters, seed, &mut |v| {
            central_difference_hvp(mlp, v, eps, &mut |p| full_gradient::<H>(tr, p))
        })
        .value
    };
    let (a, b) = (lambda(hp.eps), lambda(hp.eps / 2.0));
    HvpCheck {
        dense_lambda,
        power_lambda,
        hvp_error,
        eps_gap: (a - b).abs() / a.abs(),
    }
}

/// V4: short runs of SGD and SAF (λ = 0 and the plan's λ) with the term on from
/// `identity.start_epoch`, the term on identical logits, and the torch fixture.
fn identity<const H: usize>(ctx: &Ctx, plan: &Plan) -> Identity {
    let ip = plan.identity;
    let (tr, te) = data(ctx, plan, 0);
    let seed = ctx.seed("identity", 0);
    let mut s = plan.settings;
    s.start_epoch = ip.start_epoch;
    let run = |arm: Arm, lambda: f64| {
        let mut s = s;
        s.saf_lambda = lambda;
        train_short::<H>(plan, arm, s, &tr, &te, seed, ip.epochs)
    };
    let sgd = run(Arm::Sgd, 0.0);
    let zero = run(Arm::Saf, 0.0);
    let on = run(Arm::Saf, plan.settings.saf_lambda);
    let lambda_zero_differing = sgd
        .iter()
        .zip(&zero)
        .filter(|(a, b)| a.to_bits() != b.to_bits())
        .count();
    let lambda_on_gap = sgd
        .iter()
        .zip(&on)
        .map(|(a, b)| f64::from((a - b).abs()))
        .fold(0.0, f64::max);
    let mut net: Model<H> = Cpu::default().build_module::<crate::method::Net<H>, f32>();
    write_params(&mut net, &sgd).expect("layout");
    let all: Vec<usize> = (0..tr.len()).collect();
    let z = net.forward(input(&Cpu::default(), &tr, &all)).as_vec();
    let kl_self = trajectory_kl(&z, &z, CLASSES, plan.settings.tau).value;
    let (fixture_value_error, fixture_grad_error) = fixture_errors();
    Identity {
        lambda_zero_differing,
        lambda_on_gap,
        kl_self,
        fixture_value_error,
        fixture_grad_error,
    }
}

/// A run without the Hessian: the final weights only.
fn train_short<const H: usize>(
    plan: &Plan,
    arm: Arm,
    settings: ArmSettings,
    tr: &Dataset,
    _te: &Dataset,
    seed: u64,
    epochs: usize,
) -> Vec<f32> {
    let mut t = Trainer::<H>::new(arm, settings, seed, tr.len());
    let mut order = Rng::new(seed ^ 0x5AF);
    for epoch in 0..epochs {
        for idx in epoch_batches(&mut order, tr.len(), plan.batch) {
            t.step(tr, &idx, epoch)
                .expect("V4's short runs stay finite");
        }
    }
    t.weights()
}

/// The worst relative errors of [`trajectory_kl`] against torch's float32 values on the
/// fixture's finite cases (value; gradient relative to its largest entry).
fn fixture_errors() -> (f64, f64) {
    let f: serde_json::Value = serde_json::from_str(TORCH_JSON).expect("the torch fixture parses");
    let scale = f["scale"].as_f64().expect("scale");
    let nums = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_f64().expect("number"))
            .collect()
    };
    let (mut ev, mut eg) = (0.0f64, 0.0f64);
    for case in f["kl"].as_array().expect("kl cases") {
        let r = &case["f32"];
        if r["nonfinite"].as_bool() == Some(true) {
            continue;
        }
        let logits =
            |k: &str| -> Vec<f32> { nums(&case[k]).iter().map(|x| (x / scale) as f32).collect() };
        let classes = case["classes"].as_u64().expect("classes") as usize;
        let kl = trajectory_kl(
            &logits("past"),
            &logits("current"),
            classes,
            case["tau"].as_f64().expect("tau"),
        );
        let want = r["value"].as_f64().expect("value");
        ev = ev.max((kl.value - want).abs() / want.abs());
        let g = nums(&r["grad"]);
        let gmax = g.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        for (a, b) in kl.grad.iter().zip(&g) {
            eg = eg.max((f64::from(*a) - b).abs() / gmax);
        }
    }
    (ev, eg)
}
