//! Reproduction of *AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant
//! Weights* (Heo et al., ICLR 2021 / arXiv 2006.08217): the 2-D scale-invariant toy against the
//! project page's norms, the projection's defining properties, and SGD/SGDP and AdamW/AdamP on a
//! batch-normalised network.
//!
//! The five rooms:
//! - [`method`]: the toy problem, run with `kernels::optim::{Sgd, Sgdp}`;
//! - [`experiment`]: the toy runs, the projection checks and the network runs
//!   (`kernels::nn::Mlp` with batch norm): a typed [`experiment::Plan`] in, typed
//!   [`experiment::Results`] out;
//! - [`claims`]: decision rules, the metrics recorded from the results, the claims;
//! - [`presentation`]: tables and figures;
//! - [`notes`]: deviations and code notes.

pub mod claims;
pub mod experiment;
pub mod method;
pub mod notes;
pub mod presentation;

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
        bottom_line: "The projection works as described: it fires by its rule and stops the weight norm from growing, on the toy and on a batch-normalised network; the accuracy gain does not appear in the digits miniature (its falsifier fired), and ImageNet is out of reach.",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// Seeds and the network plan per scale.
pub fn plan(scale: Scale) -> experiment::Plan {
    let net = |epochs| experiment::NetPlan {
        hidden: 128,
        epochs,
        batch: 32,
        test: 500,
    };
    match scale {
        Scale::Ci => experiment::Plan {
            seeds: 5,
            net: net(20),
        },
        Scale::Full => experiment::Plan {
            seeds: 10,
            net: net(60),
        },
    }
}

/// Plan → results → metrics and claims → tables and figures → notes.
fn run(ctx: &Ctx) -> Result<Report, RunError> {
    let plan = plan(ctx.scale);
    let results = experiment::run(ctx, &plan)?;
    let mut report = Report::default();
    claims::record(&mut report, &plan, &results);
    claims::claims(&mut report, plan.net.test);
    presentation::tables(&mut report);
    presentation::figures(&mut report, &results);
    report.deviations = notes::deviations(&plan.net);
    report.code_notes = notes::code_notes();
    Ok(report)
}
