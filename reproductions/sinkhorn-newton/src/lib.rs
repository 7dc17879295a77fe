//! Reproduction of *Accelerating Sinkhorn Algorithm with Sparse Newton Iterations* (Tang et al.,
//! ICLR 2024): the random assignment problem of Table 1, at a size a 2-core CPU runs in under a
//! minute (`ci`) and at the paper's n = 500 (`full`).
//!
//! The five rooms, one per file:
//! - [`method`]: SNS and log-domain Sinkhorn, pure functions;
//! - [`experiment`]: a typed [`experiment::Plan`] in, typed [`experiment::Results`] out (the
//!   random instances at both η, the CG-cap ablation, the POT/SciPy fixture, the calculus
//!   checks); decides nothing;
//! - [`claims`]: rule constants with their rationale, metrics recorded from the results, the
//!   claims with the role of every check;
//! - [`presentation`]: the paper-versus-here table and the two figures;
//! - [`notes`]: deviations from the paper and findings in third-party code.
//!
//! The chapter is `book/src/papers/sinkhorn-newton.md`.

pub mod claims;
pub mod experiment;
pub mod method;
pub mod notes;
pub mod presentation;

use harness::{Ctx, Meta, Paper, Report, RunError, Scale};
use method::SnsConfig;

/// The value the runner lists.
pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "sinkhorn-newton",
        short_name: "SNS",
        title: "Accelerating Sinkhorn Algorithm with Sparse Newton Iterations",
        authors: "X. Tang, M. Shavlovsky, H. Rahmanian, E. Tardini, K. K. Thekumparampil, T. Xiao, L. Ying",
        venue: "ICLR",
        year: 2024,
        arxiv: "2401.12253",
        official_code: "none found; a third-party Python version (F.-X. Dupé) has a sign error and is not used",
        bottom_line: "On the paper's random assignment problem at η = 1200, SNS needs far fewer iterations than Sinkhorn and the warmed-up Hessian is as sparse as Theorem 1 says; at the weaker η = 300, outside the paper's table, the sparsity claim fails and the speed-up holds on some instances only.",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// The plan per scale, fixed before running.
pub fn plan(scale: Scale) -> experiment::Plan {
    let (n, sinkhorn_cap) = match scale {
        Scale::Ci => (200, 50_000),
        Scale::Full => (500, 200_000),
    };
    experiment::Plan {
        scale,
        n,
        seeds: 3,
        sinkhorn_cap,
        eta_main: experiment::ETA_MAIN,
        eta_low: experiment::ETA_LOW,
        cfg: SnsConfig::default(),
        ablation_cg_cap: 200,
        unit_n: 8,
        unit_eta: 20.0,
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
