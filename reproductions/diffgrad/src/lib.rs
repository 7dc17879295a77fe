//! Reproduction of *diffGrad: An Optimization Method for Convolutional Neural Networks*
//! (Dubey et al., IEEE TNNLS 2020 / arXiv 1909.11015): the synthetic-function claims at the
//! notebook's settings, their fragility (learning-rate sweep, basins) and confound (friction or
//! half step?), the official code's aliasing bug, and a small network on the 8×8 digits.
//!
//! - [`method`]: F1–F3 and the optimizers (Adam, diffGrad and its two ξ = 0.5 variants from
//!   `kernels::optim`).
//! - [`experiment`]: the runs.
//! - [`claims`]: decision rules, tables, figures, deviations and code notes.

pub mod claims;
pub mod experiment;
pub mod method;

use harness::{Ctx, Meta, Paper, Report, RunError, Scale};

pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "diffgrad",
        short_name: "diffGrad",
        title: "diffGrad: An Optimization Method for Convolutional Neural Networks",
        authors: "S. R. Dubey, S. Chakraborty, S. K. Roy, S. Mukherjee, S. K. Singh, B. B. Chaudhuri",
        venue: "IEEE TNNLS",
        year: 2020,
        arxiv: "1909.11015",
        official_code: "https://github.com/shivram1987/diffGrad (73233ba)",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// Starts for the basin fractions, seeds and epochs of the network, per scale.
pub fn plan(scale: Scale) -> (usize, u64, experiment::NetPlan) {
    let net = |epochs| experiment::NetPlan {
        hidden: 64,
        epochs,
        batch: 32,
        lr: 1e-3,
        test: 500,
    };
    match scale {
        Scale::Ci => (301, 5, net(15)),
        Scale::Full => (3001, 10, net(60)),
    }
}

/// Runs every experiment and records the report; the harness computes the verdicts.
fn run(ctx: &Ctx) -> Result<Report, RunError> {
    let mut report = Report::default();
    claims::record(&mut report, ctx)?;
    Ok(report)
}
