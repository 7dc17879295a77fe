//! The random assignment problem and the measurements of one instance. Decides nothing:
//! verdicts are made in `claims.rs` from what is returned here.

use crate::method::{SnsConfig, Trace, sinkhorn, sns, top_mass_fraction};
use harness::rng::Rng;
use kernels::ot::{LogSinkhorn, linear_assignment};
use std::time::Instant;

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
}

/// Runs SNS and plain Sinkhorn (capped at `sinkhorn_cap` iterations) on one instance.
pub fn run_instance(
    cost: Vec<f64>,
    n: usize,
    eta: f64,
    seed: u64,
    cfg: &SnsConfig,
    sinkhorn_cap: usize,
    mut on_iter: impl FnMut(),
) -> InstanceRun {
    let pb = LogSinkhorn::uniform(cost, n, n, eta);
    let lambda = cfg.lambda_times_n / n as f64;

    // S2: sparsity of M after the warm-up (the state SNS hands to its Newton stage).
    let (mut x, mut y) = (vec![0.0; n], vec![0.0; n]);
    sinkhorn(&pb, &mut x, &mut y, 0.0, cfg.warmup, |_| {});
    let p = pb.plan(&x, &y);
    let top_mass = top_mass_fraction(&pb, &p, &pb.marginals_of(&p), lambda);

    let (mut x, mut y) = (vec![0.0; n], vec![0.0; n]);
    let t = Instant::now();
    let sns_trace = sns(&pb, &mut x, &mut y, cfg, |_| {});
    let sns_seconds = t.elapsed().as_secs_f64();
    let sns_plan = pb.plan(&x, &y);
    let sns_cost = pb.transport_cost(&sns_plan);

    let (mut xs, mut ys) = (vec![0.0; n], vec![0.0; n]);
    let t = Instant::now();
    let sk_trace = sinkhorn(&pb, &mut xs, &mut ys, cfg.target, sinkhorn_cap, |k| {
        if k % 1000 == 0 {
            on_iter();
        }
    });
    let sinkhorn_seconds = t.elapsed().as_secs_f64();

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
    }
}
