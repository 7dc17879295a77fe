//! Reproduction of *Get the Best of Both Worlds: Improving Accuracy and Transferability by
//! Grassmann Class Representation* (Wang, Li and Zhang, ICCV 2023 / arXiv 2308.01547): the
//! Grassmann optimizer on a problem with a known answer and against pymanopt, then a small
//! backbone on the vendored 8×8 digits with a softmax head or GCR heads of dimension 1–8:
//! feature variability, transfer by linear probe, accuracy, and the QR sign question.
//!
//! - [`method`]: the backbone, both heads and their backward passes; class separation R².
//! - [`experiment`]: subspace recovery and the digits runs (`kernels::optim::GrassmannSgd`).
//! - [`claims`]: metrics, decision rules, tables, figures, deviations and code notes.

pub mod claims;
pub mod experiment;
pub mod method;

use harness::{Ctx, Meta, Paper, Report, RunError, Scale};

pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "gcr",
        short_name: "GCR",
        title: "Get the Best of Both Worlds: Improving Accuracy and Transferability by Grassmann Class Representation",
        authors: "H. Wang, J. Li, Z. Zhang",
        venue: "ICCV",
        year: 2023,
        arxiv: "2308.01547",
        official_code: "https://github.com/innerlee/GCR (6e614850)",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// Seeds and the network plan per scale, fixed before running.
pub fn plan(scale: Scale) -> (u64, experiment::NetPlan) {
    let net = |epochs| experiment::NetPlan {
        epochs,
        batch: 32,
        lr: 0.05,
        grassmann_lr: 0.1,
        probe_epochs: 60,
    };
    match scale {
        Scale::Ci => (5, net(30)),
        Scale::Full => (10, net(80)),
    }
}

/// Runs every experiment and records the report; the harness computes the verdicts.
fn run(ctx: &Ctx) -> Result<Report, RunError> {
    let mut report = Report::default();
    claims::record(&mut report, ctx)?;
    Ok(report)
}
