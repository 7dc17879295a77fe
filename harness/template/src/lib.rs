//! The mould of a reproduction crate. `cargo run -- new <id>` copies this folder to
//! `reproductions/<id>/`; the example inside is a real, tiny experiment (the mean against the
//! median as estimators of a Gaussian location) so that the mould compiles, runs and is
//! snapshot-tested like every paper.
//!
//! The five rooms, one per file:
//! - [`method`]: the paper's method as pure functions, equations in the docs;
//! - [`experiment`]: a typed [`experiment::Plan`] in, typed [`experiment::Results`] out, the grid
//!   of arms × settings × seeds through `harness::grid::run_grid`; decides nothing;
//! - [`claims`]: rule constants with their rationale, metrics recorded from the results, the
//!   claims with the role of every check;
//! - [`presentation`]: tables and figures, citing metrics only;
//! - [`notes`]: deviations from the paper and findings in the official code.

pub mod claims;
pub mod experiment;
pub mod method;
pub mod notes;
pub mod presentation;

use harness::{Ctx, Meta, Paper, Report, RunError, Scale};

pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "paper-template",
        short_name: "Template",
        title: "The reproduction mould (mean against median)",
        authors: "the suite",
        venue: "—",
        year: 2026,
        arxiv: "none",
        official_code: "none: a template",
        bottom_line: "One sentence that reconciles the verdicts with the chapter: what held, what did not, and why.",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// The plan per scale, fixed before running.
pub fn plan(scale: Scale) -> experiment::Plan {
    match scale {
        Scale::Ci => experiment::Plan {
            sizes: vec![20, 200],
            seeds: 50,
            draws_per_seed: 20,
        },
        Scale::Full => experiment::Plan {
            sizes: vec![20, 200, 2000],
            seeds: 200,
            draws_per_seed: 50,
        },
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
    report.deviations = notes::deviations();
    report.code_notes = notes::code_notes();
    Ok(report)
}
