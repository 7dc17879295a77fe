//! The experiment: random assignment problems at the paper's η and the card's second one, the
//! CG-cap ablation, SNS against the POT/SciPy fixture, and the calculus checks of claim S4.
//! Typed [`Plan`] in, typed [`Results`] out; decides nothing (verdicts come from `claims.rs`).
//!
//! The instances run one after another, not through `harness::grid::run_grid`: wall times are
//! measured, and the Sinkhorn baseline may hold the one GPU.
//!
//! Over 400 lines because it holds the three measurements the claims need, each with its small
//! helpers: the instances (S1–S3), the calculus checks (S4) and the POT/SciPy fixture (S3);
//! apart, they would each re-import the plan and the instance generator for a few dozen lines.

use crate::method::{SnsConfig, Trace, dense_newton_matrix, sinkhorn, sns, top_mass_fraction};
use harness::rng::Rng;
use harness::{Ctx, RunError, Scale};
use kernels::ot::{LogSinkhorn, linear_assignment};
use std::time::Instant;

/// The paper's `eta` (Table 1) and the card's second setting.
pub const ETA_MAIN: f64 = 1200.0;
pub const ETA_LOW: f64 = 300.0;

/// What is run (typed, so that a statement's settings come from here).
#[derive(Clone, Debug)]
pub struct Plan {
    pub scale: Scale,
    /// Problem size (`n x n` costs, uniform marginals).
    pub n: usize,
    /// Random instances per η.
    pub seeds: u64,
    /// Iteration cap of plain Sinkhorn; counts at the cap are lower bounds.
    pub sinkhorn_cap: usize,
    pub eta_main: f64,
    pub eta_low: f64,
    /// The SNS settings of every run but the ablation.
    pub cfg: SnsConfig,
    /// The card's CG cap, run once on the first η-main instance as an ablation.
    pub ablation_cg_cap: usize,
    /// Size and η of the small instance the calculus checks (S4) run on.
    pub unit_n: usize,
    pub unit_eta: f64,
}

/// What was measured.
#[derive(Clone, Debug)]
pub struct Results {
    /// One run per seed at `plan.eta_main` and at `plan.eta_low`.
    pub main: Vec<InstanceRun>,
    pub low: Vec<InstanceRun>,
    /// SNS's trace on the first η-main instance with CG capped at `plan.ablation_cg_cap`.
    pub ablation_cg: Trace,
    /// SNS against POT and SciPy on the fixture instance (an error says why it was impossible).
    pub pot: Result<PotComparison, String>,
    /// POT's own iteration count on that instance, from the fixture.
    pub pot_iterations: usize,
    pub unit: UnitChecks,
}

/// Runs every measurement of the plan.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    let main = run_eta(ctx, plan, plan.eta_main);
    let low = run_eta(ctx, plan, plan.eta_low);
    let ablation_cg = run_ablation(ctx, plan);
    let fixture = pot_fixture().map_err(RunError)?;
    let inst = fixture
        .instances
        .first()
        .ok_or_else(|| RunError("the POT fixture has no instance".into()))?;
    let stage = ctx
        .progress
        .stage("SNS against POT and SciPy on the fixture instance", 1);
    let pot = compare_with_pot(inst, &plan.cfg);
    if let Err(e) = &pot {
        eprintln!("sinkhorn-newton: POT comparison impossible: {e}");
    }
    drop(stage);
    let unit = unit_checks(ctx.seed("unit", 0), plan.unit_n, plan.unit_eta);
    Ok(Results {
        main,
        low,
        ablation_cg,
        pot,
        pot_iterations: inst.pot_iterations,
        unit,
    })
}

/// The seed name of the instances at `eta`.
fn instance_seed_name(eta: f64) -> String {
    format!("lap-eta{eta}")
}

/// SNS and capped Sinkhorn on `plan.seeds` instances at `eta`, one after another.
fn run_eta(ctx: &Ctx, plan: &Plan, eta: f64) -> Vec<InstanceRun> {
    let stage = ctx.progress.stage(
        &format!(
            "η = {eta}: SNS and Sinkhorn (≤ {} iterations) on {} instances, n = {}",
            plan.sinkhorn_cap, plan.seeds, plan.n
        ),
        plan.seeds * (plan.sinkhorn_cap as u64 / 1000),
    );
    (0..plan.seeds)
        .map(|r| {
            let seed = ctx.seed(&instance_seed_name(eta), r);
            run_instance(
                lap_cost(seed, plan.n),
                plan.n,
                eta,
                seed,
                &plan.cfg,
                plan.sinkhorn_cap,
                ctx.device.is_cuda(),
                || stage.inc(1),
            )
        })
        .collect()
}

/// The card's CG cap on the first η-main instance: an ablation, not a claim.
fn run_ablation(ctx: &Ctx, plan: &Plan) -> Trace {
    let capped = SnsConfig {
        cg_max_iter: Some(plan.ablation_cg_cap),
        ..plan.cfg.clone()
    };
    let seed0 = ctx.seed(&instance_seed_name(plan.eta_main), 0);
    let ab = run_instance(
        lap_cost(seed0, plan.n),
        plan.n,
        plan.eta_main,
        seed0,
        &capped,
        0,
        false,
        || {},
    );
    ab.sns
}

/// Cost of a random linear assignment problem: `C_ij ~ U[0, 1)` i.i.d., row-major, from
/// [`Rng`] seeded with `seed` (the fixture script re-creates the same matrix).
pub fn lap_cost(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n * n).map(|_| rng.uniform()).collect()
}

/// What one instance measured.
#[derive(Clone, Debug)]
pub struct InstanceRun {
    pub seed: u64,
    pub n: usize,
    pub eta: f64,
    pub sns: Trace,
    pub sinkhorn: Trace,
    pub sns_seconds: f64,
    pub sinkhorn_seconds: f64,
    /// Top-`ceil(lambda (2n)^2)` l1 mass fraction of `M` after the warm-up.
    pub top_mass: f64,
    /// `<C, P>` of SNS's plan and the exact assignment optimum divided by `n`.
    pub sns_cost: f64,
    pub lap_cost_over_n: f64,
    /// The SNS plan (row-major), kept for comparisons with reference plans.
    pub sns_plan: Vec<f64>,
    /// `(lambda n, top mass fraction)` after the warm-up, for several budgets.
    pub mass_curve: Vec<(f64, f64)>,
}

/// Budgets `lambda n` at which the mass curve is measured.
pub const MASS_BUDGETS: [f64; 6] = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0];

/// Runs SNS and plain Sinkhorn (capped at `sinkhorn_cap` iterations) on one instance.
///
/// With `gpu` the Sinkhorn baseline runs on the CUDA device (same stopping rule); if the GPU
/// fails, the CPU runs it and the reason is printed. SNS itself always runs on the CPU.
#[allow(clippy::too_many_arguments)]
pub fn run_instance(
    cost: Vec<f64>,
    n: usize,
    eta: f64,
    seed: u64,
    cfg: &SnsConfig,
    sinkhorn_cap: usize,
    gpu: bool,
    on_iter: impl FnMut(),
) -> InstanceRun {
    let pb = LogSinkhorn::uniform(cost, n, n, eta);
    let (top_mass, mass_curve) = warmup_sparsity(&pb, cfg, n);

    let (mut x, mut y) = (vec![0.0; n], vec![0.0; n]);
    let t = Instant::now();
    let sns_trace = sns(&pb, &mut x, &mut y, cfg, |_| {});
    let sns_seconds = t.elapsed().as_secs_f64();
    let sns_plan = pb.plan(&x, &y);
    let sns_cost = pb.transport_cost(&sns_plan);

    let (sk_trace, sinkhorn_seconds) = sinkhorn_baseline(&pb, cfg, sinkhorn_cap, gpu, on_iter);

    let lap_cost_over_n = match linear_assignment(pb.cost(), n) {
        Ok((_, total)) => total / n as f64,
        Err(_) => f64::NAN,
    };
    InstanceRun {
        seed,
        n,
        eta,
        sns: sns_trace,
        sinkhorn: sk_trace,
        sns_seconds,
        sinkhorn_seconds,
        top_mass,
        sns_cost,
        lap_cost_over_n,
        sns_plan,
        mass_curve,
    }
}

/// S2: sparsity of M after the warm-up (the state SNS hands to its Newton stage): the top mass
/// fraction at the configured λ, and the curve over [`MASS_BUDGETS`].
fn warmup_sparsity(pb: &LogSinkhorn, cfg: &SnsConfig, n: usize) -> (f64, Vec<(f64, f64)>) {
    let lambda = cfg.lambda_times_n / n as f64;
    let (mut x, mut y) = (vec![0.0; n], vec![0.0; n]);
    sinkhorn(pb, &mut x, &mut y, 0.0, cfg.warmup, |_| {});
    let p = pb.plan(&x, &y);
    let marg = pb.marginals_of(&p);
    let top_mass = top_mass_fraction(pb, &p, &marg, lambda);
    let mass_curve = MASS_BUDGETS
        .iter()
        .map(|&b| (b, top_mass_fraction(pb, &p, &marg, b / n as f64)))
        .collect();
    (top_mass, mass_curve)
}

/// Plain Sinkhorn to `cfg.target` or `sinkhorn_cap` iterations, on the GPU when asked (falling
/// back to the CPU), calling `on_iter` every 1000 iterations; returns the trace and wall time.
fn sinkhorn_baseline(
    pb: &LogSinkhorn,
    cfg: &SnsConfig,
    sinkhorn_cap: usize,
    gpu: bool,
    mut on_iter: impl FnMut(),
) -> (Trace, f64) {
    let n = pb.n();
    let t = Instant::now();
    let mut tick = |k: usize| {
        if k.is_multiple_of(1000) {
            on_iter();
        }
    };
    let gpu_trace = if gpu {
        crate::method::sinkhorn_cuda(pb, cfg.target, sinkhorn_cap, &mut tick)
            .map_err(|e| eprintln!("sinkhorn-newton: GPU baseline failed ({e}); using the CPU"))
            .ok()
    } else {
        None
    };
    let sk_trace = gpu_trace.unwrap_or_else(|| {
        let (mut xs, mut ys) = (vec![0.0; n], vec![0.0; n]);
        sinkhorn(pb, &mut xs, &mut ys, cfg.target, sinkhorn_cap, &mut tick)
    });
    (sk_trace, t.elapsed().as_secs_f64())
}

/// Analytic-versus-numerical checks of the method's calculus (claim S4) on a small instance.
#[derive(Clone, Debug)]
pub struct UnitChecks {
    /// Max |finite-difference gradient - analytic gradient| / max |gradient|.
    pub grad_rel_err: f64,
    /// The same for Hessian-vector products `-M v` against differences of gradients.
    pub hvp_rel_err: f64,
    /// min_i (M_ii - sum_{j != i} |M_ij|) / M_ii for the dense and the sparsified `M`.
    pub dd_margin_dense: f64,
    pub dd_margin_sparse: f64,
    /// ||M (1, -1)||_inf / max |M_ij|.
    pub null_residual: f64,
}

fn gradient(pb: &LogSinkhorn, x: &[f64], y: &[f64]) -> Vec<f64> {
    pb.gradient(&pb.marginals_of(&pb.plan(x, y)))
}

fn dd_margin(a: &[Vec<f64>]) -> f64 {
    a.iter()
        .enumerate()
        .map(|(i, row)| {
            let off: f64 = row
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, v)| v.abs())
                .sum();
            (row[i] - off) / row[i]
        })
        .fold(f64::INFINITY, f64::min)
}

/// Runs the S4 checks on an `n x n` instance at potentials drawn from `seed`.
pub fn unit_checks(seed: u64, n: usize, eta: f64) -> UnitChecks {
    let pb = LogSinkhorn::uniform(lap_cost(seed, n), n, n, eta);
    let mut rng = Rng::new(seed ^ 0x5eed);
    // A point near the optimum's scale: a few Sinkhorn steps from a random start.
    let mut x: Vec<f64> = (0..n).map(|_| 0.01 * rng.normal()).collect();
    let mut y: Vec<f64> = (0..n).map(|_| 0.01 * rng.normal()).collect();
    sinkhorn(&pb, &mut x, &mut y, 0.0, 5, |_| {});
    let grad_rel_err = gradient_rel_err(&pb, &x, &y);
    let a = dense_newton_matrix(&pb, &x, &y);
    let amax = a.iter().flatten().fold(0.0f64, |s, v| s.max(v.abs()));
    let v: Vec<f64> = (0..2 * n).map(|_| rng.normal()).collect();
    let hvp_rel_err = hvp_rel_err(&pb, &x, &y, &a, &v);
    let null_res = a
        .iter()
        .map(|row| (row[..n].iter().sum::<f64>() - row[n..].iter().sum::<f64>()).abs())
        .fold(0.0f64, f64::max);
    UnitChecks {
        grad_rel_err,
        hvp_rel_err,
        dd_margin_dense: dd_margin(&a),
        dd_margin_sparse: dd_margin(&sparsified_dense(&pb, &x, &y)),
        null_residual: null_res / amax,
    }
}

/// Max |central difference of f − analytic gradient| / max |gradient| (step 1e-6).
fn gradient_rel_err(pb: &LogSinkhorn, x: &[f64], y: &[f64]) -> f64 {
    let n = pb.n();
    let g = gradient(pb, x, y);
    let gmax = g.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let h = 1e-6;
    let mut grad_err = 0.0f64;
    for k in 0..2 * n {
        let (mut xp, mut yp, mut xm, mut ym) = (x.to_vec(), y.to_vec(), x.to_vec(), y.to_vec());
        if k < n {
            xp[k] += h;
            xm[k] -= h;
        } else {
            yp[k - n] += h;
            ym[k - n] -= h;
        }
        let fd = (pb.potential(&xp, &yp) - pb.potential(&xm, &ym)) / (2.0 * h);
        grad_err = grad_err.max((fd - g[k]).abs());
    }
    grad_err / gmax
}

/// Max |difference of gradients along `v` (step 1e-7) + `a v`| / max |`a v`|: the Hessian is −M.
fn hvp_rel_err(pb: &LogSinkhorn, x: &[f64], y: &[f64], a: &[Vec<f64>], v: &[f64]) -> f64 {
    let (vx, vy) = v.split_at(pb.n());
    let hh = 1e-7;
    let shift = |s: f64| -> (Vec<f64>, Vec<f64>) {
        (
            x.iter().zip(vx).map(|(a, b)| a + s * b).collect(),
            y.iter().zip(vy).map(|(a, b)| a + s * b).collect(),
        )
    };
    let (xp, yp) = shift(hh);
    let (xm, ym) = shift(-hh);
    let (gp, gm) = (gradient(pb, &xp, &yp), gradient(pb, &xm, &ym));
    let mv: Vec<f64> = a
        .iter()
        .map(|row| row.iter().zip(v).map(|(p, q)| p * q).sum())
        .collect();
    let mv_max = mv.iter().fold(0.0f64, |s, t| s.max(t.abs()));
    let hvp_err = (0..v.len())
        .map(|k| ((gp[k] - gm[k]) / (2.0 * hh) + mv[k]).abs())
        .fold(0.0f64, f64::max);
    hvp_err / mv_max
}

/// The sparsified `M` (λ = 2/n) at `(x, y)`, as a dense matrix.
fn sparsified_dense(pb: &LogSinkhorn, x: &[f64], y: &[f64]) -> Vec<Vec<f64>> {
    let n = pb.n();
    let p = pb.plan(x, y);
    let sparse = crate::method::sparsify(pb, &p, &pb.marginals_of(&p), 2.0 / n as f64);
    let mut dense_sparse = vec![vec![0.0; 2 * n]; 2 * n];
    for (i, row) in dense_sparse.iter_mut().enumerate() {
        let mat = &sparse.matrix;
        for k in mat.row_ptr[i]..mat.row_ptr[i + 1] {
            row[mat.col[k]] = mat.val[k];
        }
    }
    dense_sparse
}

/// An entry of the POT fixture (see `fixtures/generate.py`).
#[derive(Clone, Debug, serde::Deserialize)]
pub struct PotInstance {
    pub experiment: String,
    pub repeat: u64,
    pub seed: String,
    pub n: usize,
    pub eta: f64,
    pub cost_head: Vec<f64>,
    pub pot_iterations: usize,
    pub pot_marginal_error: f64,
    pub pot_plan_dropped_mass: f64,
    pub pot_plan: Vec<(usize, usize, f64)>,
    pub emd_cost: f64,
    pub lap_total: f64,
    pub lap_col_of_row: Vec<usize>,
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct PotFixture {
    pub versions: std::collections::BTreeMap<String, String>,
    pub instances: Vec<PotInstance>,
}

/// The committed POT/SciPy fixture.
pub fn pot_fixture() -> Result<PotFixture, String> {
    serde_json::from_str(include_str!("../fixtures/pot_reference.json"))
        .map_err(|e| format!("fixtures/pot_reference.json is unreadable: {e}"))
}

/// Comparison of SNS with POT and SciPy on one fixture instance.
#[derive(Clone, Debug)]
pub struct PotComparison {
    /// `||P_sns - P_pot||_1` (entries POT's fixture left out count as zero).
    pub plan_l1: f64,
    pub sns_error: f64,
    /// |our LAP optimum - SciPy's| and |our LAP optimum / n - POT's emd2|.
    pub lap_diff: f64,
    pub emd_diff: f64,
}

/// Re-creates a fixture instance from its seed (checking the first costs), runs SNS on it and
/// compares the plan and the optima with the references.
pub fn compare_with_pot(inst: &PotInstance, cfg: &SnsConfig) -> Result<PotComparison, String> {
    let seed: u64 = inst
        .seed
        .parse()
        .map_err(|e| format!("fixture seed: {e}"))?;
    let n = inst.n;
    let cost = lap_cost(seed, n);
    if cost[..inst.cost_head.len()] != inst.cost_head[..] {
        return Err("the Rust generator no longer re-creates the fixture's cost matrix".into());
    }
    let pb = LogSinkhorn::uniform(cost, n, n, inst.eta);
    let (mut x, mut y) = (vec![0.0; n], vec![0.0; n]);
    let trace = sns(&pb, &mut x, &mut y, cfg, |_| {});
    let mut p = pb.plan(&x, &y);
    for &(i, j, v) in &inst.pot_plan {
        p[i * n + j] -= v;
    }
    let plan_l1 = p.iter().map(|v| v.abs()).sum();
    let (_, total) = linear_assignment(pb.cost(), n).map_err(|e| e.to_string())?;
    Ok(PotComparison {
        plan_l1,
        sns_error: trace.final_error(),
        lap_diff: (total - inst.lap_total).abs(),
        emd_diff: (total / n as f64 - inst.emd_cost).abs(),
    })
}
