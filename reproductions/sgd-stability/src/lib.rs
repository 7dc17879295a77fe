//! Reproduction of *The Implicit Regularization of Dynamical Stability in Stochastic Gradient
//! Descent* (Wu and Su, ICML 2023): the exact mean-square stability operator of SGD, and the
//! diagonal linear network trained by SGD and GD.
//!
//! The five rooms, one per file:
//! - [`method`]: the second-moment map and its thresholds; the diagonal network;
//! - [`experiment`]: a typed [`experiment::Plan`] in, typed [`experiment::Results`] out (operator
//!   instances; the training grid of SGD/GD × learning rates × seeds through
//!   `harness::grid::run_grid`); decides nothing;
//! - [`claims`]: rule constants with their rationale, metrics recorded from the results, the
//!   claims with the role of every check;
//! - [`presentation`]: the batch and sweep tables, the sharpness and test-error figures;
//! - [`notes`]: deviations from the paper.

pub mod claims;
pub mod experiment;
pub mod method;
pub mod notes;
pub mod presentation;

use harness::{Ctx, Meta, Paper, Report, RunError, Scale};

pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "sgd-stability",
        short_name: "SGD stability",
        title: "The Implicit Regularization of Dynamical Stability in Stochastic Gradient Descent",
        authors: "L. Wu, W. J. Su",
        venue: "ICML",
        year: 2023,
        arxiv: "2305.17490",
        official_code: "none",
        bottom_line: "The trace bound and its batch-size caveat hold exactly, and SGD respects the bound on the diagonal network; the GD-side and generalisation comparisons are inconclusive, because a control they need did not hold (named in the claims table).",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// The plan per scale, fixed before running.
pub fn plan(scale: Scale) -> experiment::Plan {
    let (op_instances, train_seeds) = match scale {
        Scale::Ci => (6, 3),
        Scale::Full => (20, 10),
    };
    experiment::Plan {
        op_instances,
        op_n: 10,
        op_p: 20,
        train_seeds,
        train: experiment::TrainSetup::default(),
    }
}

/// Plan → results → metrics and claims → tables and figures → notes.
fn run(ctx: &Ctx) -> Result<Report, RunError> {
    let plan = plan(ctx.scale);
    let results = experiment::run(ctx, &plan)?;
    let mut report = Report::default();
    claims::record(&mut report, &plan, &results);
    claims::claims(&mut report, &plan);
    presentation::tables(&mut report, &plan);
    presentation::figures(&mut report, &plan, &results);
    report.deviations = notes::deviations(&plan);
    report.code_notes = notes::code_notes();
    Ok(report)
}
