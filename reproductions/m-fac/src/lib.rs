//! Reproduction of *M-FAC: Efficient Matrix-Free Approximations of Second-Order Information*
//! (Frantar, Kurtic and Alistarh, NeurIPS 2021 / arXiv 2107.03356): exactness and cost of the
//! static and sliding-window inverse-Fisher products, one-shot OBS pruning against magnitude
//! and diagonal-Fisher pruning, and the optimizer against momentum SGD. The algorithms live in
//! `kernels::optim::mfac` (shared with the optimizer interface); this crate tests them.
//!
//! The five rooms, one per file:
//! - [`method`]: the exactness oracle, OBS pruning, the cost fit;
//! - [`experiment`]: a typed [`experiment::Plan`] in, typed [`experiment::Results`] out (the
//!   windows, the timings, the pruning and optimizer grids); decides nothing;
//! - [`claims`]: rule constants with their rationale, metrics, the claims with their roles;
//! - [`presentation`]: the tables and figures;
//! - [`notes`]: deviations from the paper and findings in the official code.

pub mod claims;
pub mod experiment;
pub mod method;
pub mod notes;
pub mod presentation;

use experiment::{CostPlan, ExactPlan, OptimPlan, Plan, PrunePlan};
use harness::{Ctx, Meta, Paper, Report, RunError, Scale};

pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "m-fac",
        short_name: "M-FAC",
        title: "M-FAC: Efficient Matrix-Free Approximations of Second-Order Information",
        authors: "E. Frantar, E. Kurtic, D. Alistarh",
        venue: "NeurIPS",
        year: 2021,
        arxiv: "2107.03356",
        official_code: "github.com/IST-DASLab/M-FAC @ 8116367 (MIT)",
        bottom_line: "The static and sliding-window products are exact to the conditioning of the problem (at the 1e-10 bound for vectors inside the window, once just above it at full scale); the cost grows as the paper says when the machine is quiet; on a digits MLP, M-FAC's one-shot OBS pruning beats magnitude pruning at every sparsity, most at 80-90 %, and diagonal-Fisher pruning from 70 % on, while the blocked approximation only ties the full one below 80 %; as an optimizer at these small settings it trails momentum SGD.",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// The plan per scale, fixed before running.
pub fn plan(scale: Scale) -> Plan {
    let full = scale == Scale::Full;
    Plan {
        exact: ExactPlan {
            d: 1000,
            m: 32,
            damp: 1e-3,
            official_damp: 1e-5,
            windows: if full { 10 } else { 2 },
            vectors: 4,
            replacements: 100,
        },
        cost: CostPlan {
            m: if full { 32 } else { 16 },
            dims: if full {
                vec![1_000_000, 2_000_000, 4_000_000, 8_000_000]
            } else {
                vec![1_000_000, 2_000_000, 4_000_000]
            },
            update_d: 10_000,
            update_ms: if full {
                vec![32, 64, 128, 256]
            } else {
                vec![16, 32, 64, 128]
            },
            reps: 5,
        },
        prune: PrunePlan {
            sizes: vec![64, 128, 128, 10],
            epochs: 8,
            batch: 32,
            lr: 1e-3,
            test: 400,
            grad_batch: 16,
            ms: vec![64, 256],
            blocksize: 128,
            sparsities: vec![0.5, 0.7, 0.8, 0.9],
            damp_factor: 0.1,
            seeds: if full { 10 } else { 3 },
        },
        optim: OptimPlan {
            m: 32,
            damp: 1e-5,
            mfac_lrs: vec![1e-4, 3e-4, 1e-3, 3e-3],
            sgd_lrs: vec![0.01, 0.03, 0.1, 0.3],
            momentum: 0.9,
            epochs: 8,
            seeds: if full { 5 } else { 2 },
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
