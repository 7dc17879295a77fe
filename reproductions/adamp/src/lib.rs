//! Reproduction of *AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant
//! Weights* (Heo et al., ICLR 2021 / arXiv 2006.08217): the 2-D scale-invariant toy against the
//! project page's norms, the projection's defining properties, and SGD/SGDP and AdamW/AdamP on a
//! batch-normalised network.
//!
//! - [`method`]: the toy problem, run with `kernels::optim::{Sgd, Sgdp}`.
//! - [`experiment`]: the network runs (`kernels::nn::Mlp` with batch norm).
//! - [`claims`]: metrics, decision rules, tables, figures, deviations and code notes.

pub mod claims;
pub mod experiment;
pub mod method;

use harness::{Ctx, Meta, Paper, Report, RunError, Scale};

pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "adamp",
        short_name: "AdamP",
        title: "AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant Weights",
        authors: "B. Heo, S. Chun, S. J. Oh, D. Han, S. Yun, G. Kim, Y. Uh, J.-W. Ha",
        venue: "ICLR",
        year: 2021,
        arxiv: "2006.08217",
        official_code: "https://github.com/clovaai/AdamP (7f6f038; PyPI adamp 0.3.0)",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// Seeds and the network plan per scale.
pub fn plan(scale: Scale) -> (u64, experiment::NetPlan) {
    let net = |epochs| experiment::NetPlan {
        hidden: 128,
        epochs,
        batch: 32,
        test: 500,
    };
    match scale {
        Scale::Ci => (5, net(20)),
        Scale::Full => (10, net(60)),
    }
}

/// Runs every experiment and records the report; the harness computes the verdicts.
fn run(ctx: &Ctx) -> Result<Report, RunError> {
    let mut report = Report::default();
    claims::record(&mut report, ctx)?;
    Ok(report)
}
