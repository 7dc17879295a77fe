//! Reproduction of *Revisiting the Last-Iterate Convergence of Stochastic Gradient Methods*
//! (Liu and Zhou, ICLR 2024 / arXiv 2312.08531): Monte Carlo rates of the last iterate of SGD in
//! the unconstrained, unbounded-noise settings the paper covers, and an exact check of the
//! simulator.
//!
//! The five rooms, one per file:
//! - [`method`]: SGD on the test problems; the exact second-moment recursion;
//! - [`experiment`]: a typed [`experiment::Plan`] in, typed [`experiment::Results`] out (the
//!   settings × horizons × seeds grid of last-iterate gaps and the quadratic check, both through
//!   `harness::grid::run_grid`; slopes); decides nothing;
//! - [`claims`]: slope windows and bands with their rationale, metrics recorded from the
//!   results, the claims with the role of every check;
//! - [`presentation`]: the slopes table and the rates figure;
//! - [`notes`]: deviations from the paper.

pub mod claims;
pub mod experiment;
pub mod method;
pub mod notes;
pub mod presentation;

use harness::{Ctx, Meta, Paper, Report, RunError, Scale};

pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "last-iterate",
        short_name: "Last-iterate SGD",
        title: "Revisiting the Last-Iterate Convergence of Stochastic Gradient Methods",
        authors: "Z. Liu, Z. Zhou",
        venue: "ICLR",
        year: 2024,
        arxiv: "2312.08531",
        official_code: "none (theory paper)",
        bottom_line: "The simulated last iterate decays with the exponents of T that the card's rate table gives, in all three settings; only the exponents are tested, not the theorems' constants (which are marked unverified).",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// The plan per scale, fixed before running: horizons `2^7 .. 2^max_log2`, seeds per horizon,
/// and seeds of the quadratic check.
pub fn plan(scale: Scale) -> experiment::Plan {
    let (max_log2, seeds, quad_seeds) = match scale {
        Scale::Ci => (15, 200, 4000),
        Scale::Full => (17, 400, 20000),
    };
    experiment::Plan {
        horizons: (7..=max_log2).map(|k| 1usize << k).collect(),
        seeds,
        settings: experiment::card_settings(10),
        quad_a: vec![0.5, 1.0, 2.0],
        quad_sigma: 1.0,
        quad_x1: vec![1.0, 1.0, 1.0],
        quad_horizons: vec![8, 64, 512],
        quad_seeds,
    }
}

/// Plan → results → metrics and claims → tables and figures → notes.
fn run(ctx: &Ctx) -> Result<Report, RunError> {
    let plan = plan(ctx.scale);
    let results = experiment::run(ctx, &plan)?;
    let mut report = Report::default();
    claims::record(&mut report, &plan, &results);
    claims::claims(&mut report);
    presentation::tables(&mut report);
    presentation::figures(&mut report, &results);
    report.deviations = notes::deviations();
    report.code_notes = notes::code_notes();
    Ok(report)
}
