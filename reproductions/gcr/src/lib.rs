//! Reproduction of *Get the Best of Both Worlds: Improving Accuracy and Transferability by
//! Grassmann Class Representation* (Wang, Li and Zhang, ICCV 2023 / arXiv 2308.01547): the
//! Grassmann optimizer on a problem with a known answer and against pymanopt, then a small
//! backbone on the vendored 8×8 digits with a softmax head or GCR heads of dimension 1–8:
//! feature variability, transfer by linear probe, accuracy, and the QR sign question.
//!
//! The five rooms, one per file:
//! - [`method`]: the backbone, both heads and their backward passes; class separation R²;
//! - [`experiment`]: a typed [`experiment::Plan`] in, typed [`experiment::Results`] out: subspace
//!   recovery, the Grassmann checks and the grid of digits runs (heads × seeds,
//!   `kernels::optim::GrassmannSgd`);
//! - [`claims`]: rule constants, metrics recorded from the results, the claims;
//! - [`presentation`]: tables and figures;
//! - [`notes`]: deviations from the paper and findings in the official code.

pub mod claims;
pub mod experiment;
pub mod method;
pub mod notes;
pub mod presentation;

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
        bottom_line: "The Grassmann optimizer passes some of its checks but not all, and neither the variability claim nor the transfer claim reproduces in the digits miniature (their falsifiers fired); ImageNet is out of reach.",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// Seeds and the network plan per scale, fixed before running.
pub fn plan(scale: Scale) -> experiment::Plan {
    let net = |epochs| experiment::NetPlan {
        epochs,
        batch: 32,
        lr: 0.05,
        grassmann_lr: 0.1,
        probe_epochs: 60,
    };
    match scale {
        Scale::Ci => experiment::Plan {
            seeds: 5,
            net: net(30),
        },
        Scale::Full => experiment::Plan {
            seeds: 10,
            net: net(80),
        },
    }
}

/// Plan → results → metrics and claims → tables and figures → notes; the harness computes the
/// verdicts.
fn run(ctx: &Ctx) -> Result<Report, RunError> {
    let plan = plan(ctx.scale);
    let results = experiment::run(ctx, &plan)?;
    let mut report = Report::default();
    claims::record(&mut report, &results);
    claims::claims(&mut report, &results);
    presentation::tables(&mut report);
    presentation::figures(&mut report, &results);
    report.deviations = notes::deviations(&plan);
    report.code_notes = notes::code_notes();
    Ok(report)
}
