//! Reproduction of *diffGrad: An Optimization Method for Convolutional Neural Networks*
//! (Dubey et al., IEEE TNNLS 2020 / arXiv 1909.11015): the synthetic-function claims at the
//! notebook's settings, their fragility (learning-rate sweep, basins) and confound (friction or
//! half step?), the official code's aliasing bug, and a small network on the 8×8 digits.
//!
//! The five rooms:
//! - [`method`]: F1–F3 and the optimizers (Adam, diffGrad and its two ξ = 0.5 variants from
//!   `kernels::optim`);
//! - [`experiment`]: the notebook table, the learning-rate sweep, the basins and the digits
//!   network: a typed [`experiment::Plan`] in, typed [`experiment::Results`] out;
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
        id: "diffgrad",
        short_name: "diffGrad",
        title: "diffGrad: An Optimization Method for Convolutional Neural Networks",
        authors: "S. R. Dubey, S. Chakraborty, S. K. Roy, S. Mukherjee, S. K. Singh, B. B. Chaudhuri",
        venue: "IEEE TNNLS",
        year: 2020,
        arxiv: "1909.11015",
        official_code: "https://github.com/shivram1987/diffGrad (73233ba)",
        bottom_line: "In double precision diffGrad behaves on the notebook's functions as the paper shows, but the F2 advantage does not survive single precision, the ξ ≡ 0.5 control matches diffGrad (so the gain can be Adam at half the step), and on the digits network the two optimizers are indistinguishable; the CIFAR claim is out of reach.",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// Starts for the basin fractions, seeds and epochs of the network, per scale.
pub fn plan(scale: Scale) -> experiment::Plan {
    let net = |epochs| experiment::NetPlan {
        hidden: 64,
        epochs,
        batch: 32,
        lr: 1e-3,
        test: 500,
    };
    match scale {
        Scale::Ci => experiment::Plan {
            starts: 301,
            seeds: 5,
            net: net(15),
        },
        Scale::Full => experiment::Plan {
            starts: 3001,
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
    // D7's statement names the ci seed count whatever the scale.
    claims::claims(&mut report, crate::plan(Scale::Ci).seeds);
    presentation::tables(&mut report);
    presentation::figures(&mut report, &results);
    report.deviations = notes::deviations(plan.net.epochs);
    report.code_notes = notes::code_notes();
    Ok(report)
}
