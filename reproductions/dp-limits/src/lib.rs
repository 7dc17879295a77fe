//! Reproduction of *Fundamental Limitations of Favorable Privacy-Utility Guarantees for DP-SGD*
//! (Ertan and van Dijk, arXiv 2601.10237): trade-off curves, the separation κ, the max-test
//! bound for shuffled one-epoch DP-SGD, and its consequence for the noise multiplier.
//!
//! The five rooms, one per file:
//! - [`method`]: trade-off functions, κ, the max test, root finding for σ;
//! - [`experiment`]: a typed [`experiment::Plan`] in, typed [`experiment::Results`] out (κ and
//!   σ over the plan's M, the Monte Carlo of the max test, one epoch of DP-SGD over σ × seeds
//!   through `harness::grid::run_grid`); decides nothing;
//! - [`claims`]: golden numbers and rule constants with their rationale, metrics recorded from
//!   the results, the claims with the role of every check;
//! - [`presentation`]: the P1 and P3 tables, the trade-off and κ-against-M figures;
//! - [`notes`]: deviations from the paper and findings in related code.

pub mod claims;
pub mod experiment;
pub mod method;
pub mod notes;
pub mod presentation;

use harness::{Ctx, Meta, Paper, Report, RunError, Scale};

pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "dp-limits",
        short_name: "DP-SGD limits",
        title: "Fundamental Limitations of Favorable Privacy-Utility Guarantees for DP-SGD",
        authors: "M. B. Ertan, M. van Dijk",
        venue: "arXiv (CCS 2026 per the author page)",
        year: 2026,
        arxiv: "2601.10237",
        official_code: "none found",
        bottom_line: "The dichotomy's constants, the noise it forces and the utility cost of that noise all hold here, in exact computations, Monte Carlo and a one-epoch DP-SGD run; the extension to Poisson subsampling is not tested.",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// The plan per scale, fixed before running: Monte Carlo draws and DP-SGD seeds grow with the
/// scale; the grids are the card's.
pub fn plan(scale: Scale) -> experiment::Plan {
    let (draws, seeds) = match scale {
        Scale::Ci => (100_000, 5),
        Scale::Full => (1_000_000, 20),
    };
    experiment::Plan {
        p1_ms: [10.0, 100.0, 1e3, 1e4, 1e6],
        p2_m: 100.0,
        draws,
        p3_kappas: [0.1, 0.05, 0.01],
        p3_ms: [100.0, 1e3, 1e4, 1e5],
        p4_sigmas: [0.27, 0.48, 0.77, 1.5],
        seeds,
        dp_sgd: experiment::DpSgdSetup::default(),
        p5_mus: [0.5, 1.0, 2.0, 4.0],
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
    presentation::figures(&mut report, &results);
    report.deviations = notes::deviations(&plan);
    report.code_notes = notes::code_notes();
    Ok(report)
}
