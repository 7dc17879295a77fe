//! The experiment: subspace recovery by the Grassmann optimizer and its deterministic checks
//! (C1), and the digits network with each head over seeds: its feature variability (C2),
//! transfer by linear probe (C3), in-distribution accuracy (C4) and the QR sign question (C5).
//! Returns measurements; decides nothing.
//!
//! This file holds the plan, the results and the grid; C1 ([`subspace_recovery`],
//! [`geometry_checks`]) is in `experiment/recovery.rs`, one digits run ([`net_run`]) in
//! `experiment/digits.rs`.

mod digits;
mod recovery;

pub use digits::{net_run, probe_test_count};
pub use recovery::{geometry_checks, subspace_recovery};

use crate::method::Head;
use harness::grid::{Grid, run_grid};
use harness::{Ctx, RunError};
use kernels::optim::QrSign;

/// C1's known-answer problem: d, n, k; the step size; the step at which the angle is judged.
/// The momentum is `GrassmannSgd`'s default.
pub const C1_SHAPE: (usize, usize, usize) = (20, 30, 4);
pub const C1_LR: f32 = 0.1;
pub const C1_MOMENTUM: f64 = 0.9;
pub const C1_STEPS: usize = 500;
/// C1's run goes on to this step (the curve of the figure; reported, not gated).
pub const C1_RUN_STEPS: usize = 2000;

/// The heads compared, in the order of every table.
pub const HEADS: [Head; 5] = [
    Head::Softmax,
    Head::Gcr { k: 1 },
    Head::Gcr { k: 2 },
    Head::Gcr { k: 4 },
    Head::Gcr { k: 8 },
];

/// What is run, fixed before running.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Repeats of every digits run.
    pub seeds: u64,
    pub net: NetPlan,
}

/// Settings of the digits runs, fixed before running.
#[derive(Clone, Copy, Debug)]
pub struct NetPlan {
    pub epochs: usize,
    pub batch: usize,
    pub lr: f32,
    pub grassmann_lr: f32,
    pub probe_epochs: usize,
}

/// One head on one seed.
#[derive(Clone, Debug)]
pub struct NetRun {
    pub accuracy: f64,
    pub separation: f64,
    pub probe: f64,
    pub flips_per_100: f64,
}

/// C1's deterministic checks (see [`geometry_checks`]).
#[derive(Clone, Copy, Debug)]
pub struct GrassmannChecks {
    /// The largest |YᵀY − I| after re-orthonormalisation.
    pub orth: f64,
    /// The largest projector difference between one geodesic step and pymanopt's.
    pub pymanopt: f64,
}

/// One arm of the digits grid: a head and the QR of its Grassmann optimizer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arm {
    pub head: Head,
    pub qr: QrSign,
}

/// Everything measured.
#[derive(Clone, Debug)]
pub struct Results {
    /// C1: the largest principal angle after each of [`C1_RUN_STEPS`] steps.
    pub angles: Vec<f64>,
    pub checks: GrassmannChecks,
    /// Test examples of the linear probe.
    pub probe_tests: usize,
    /// The arms of `runs`: every head with Householder QR, then GCR-8 with sign-normalised QR.
    pub arms: Vec<Arm>,
    /// The per-seed runs of each arm.
    pub runs: Vec<Vec<NetRun>>,
}

impl Results {
    /// The per-seed runs of `head` with `qr`.
    pub fn runs(&self, head: Head, qr: QrSign) -> &[NetRun] {
        let arm = self
            .arms
            .iter()
            .position(|a| *a == Arm { head, qr })
            .expect("an arm of the grid");
        &self.runs[arm]
    }

    /// `f` of every seed's run of `head` with Householder QR.
    pub fn per_seed(&self, head: Head, f: impl Fn(&NetRun) -> f64) -> Vec<f64> {
        self.runs(head, QrSign::Householder).iter().map(f).collect()
    }
}

/// Runs C1 and the digits grid; a diverged digits run is an error of the whole run.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    let stage = ctx.progress.stage("Grassmann optimizer checks", 1);
    let (d, n, k) = C1_SHAPE;
    let angles = subspace_recovery(d, n, k, C1_RUN_STEPS, C1_LR, ctx.seed("c1", 0));
    let checks = geometry_checks(ctx.seed("c1", 1));
    drop(stage);
    let mut arms: Vec<Arm> = HEADS
        .iter()
        .map(|&head| Arm {
            head,
            qr: QrSign::Householder,
        })
        .collect();
    arms.push(Arm {
        head: Head::Gcr { k: 8 },
        qr: QrSign::Positive,
    });
    let grid = Grid {
        arms: arms.clone(),
        settings: vec![()],
        seeds: plan.seeds,
    };
    let results = run_grid(ctx, "digits", &grid, |cell| {
        net_run(
            cell.arm.head,
            cell.arm.qr,
            &plan.net,
            ctx.seed("net", cell.seed_index),
        )
    });
    let runs = (0..arms.len())
        .map(|a| {
            results
                .cell(a, 0)
                .iter()
                .map(|r| r.clone().map_err(RunError))
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Results {
        angles,
        checks,
        probe_tests: probe_test_count(),
        arms,
        runs,
    })
}
