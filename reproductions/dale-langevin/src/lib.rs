//! Dale meets Langevin, re-run with exact scores: the multiplicative (geometric Brownian
//! motion) diffusion on data whose logarithm is a Gaussian mixture, so that every marginal score
//! is known and only the sampler, the loss and the network are under test.
//!
//! - [`method`]: the ADLS (Dale–Langevin) and AUMS reverse steps and the M-DSM loss;
//! - [`experiment`]: samplers against the data (G1), positivity at large steps (G2), M-DSM
//!   training (G3), the DSM − ESM gap with and without the official off-by-one (G4), units (G5);
//! - [`claims`]: G1–G5 with their roles;
//! - [`presentation`]: the tables and the level, density and training figures;
//! - [`notes`]: deviations and findings in the official code.

pub mod claims;
pub mod experiment;
pub mod method;
pub mod notes;
pub mod presentation;

use harness::{Ctx, Meta, Paper, Report, RunError, Scale};

pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "dale-langevin",
        short_name: "Dale–Langevin",
        title: "Dale meets Langevin: A Multiplicative Denoising Diffusion Model",
        authors: "Shetty, Prasath, Seelamantula (IISc)",
        venue: "arXiv (under review at TMLR)",
        year: 2025,
        arxiv: "2510.02730",
        official_code: "https://github.com/Madhavaprasath23/Dale-Meets-Langevin (commit not pinned; licence not established)",
        bottom_line: "With the exact score of a log-normal mixture, the Dale–Langevin sampler (ADLS) cannot be told from exact samples at 200 and 1000 levels and never leaves the positive orthant, while the ambient sampler (AUMS) does at δ ≥ 0.1 but not at the paper-sized δ = 0.01; a small MLP trained with M-DSM recovers the score to within the 10% registered over τ ∈ [0.2, 1], worst at the low-noise end; M-DSM differs from explicit score matching by a θ-free constant in every τ bin, and the official code's off-by-one breaks that at τ ≤ 0.01; the paper's FID/KID claims are out of reach.",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// The plan per scale, fixed before running: the card's miniature and its corrections (G1 gated
/// at the floor + 3 SE with a 10-level control, G2 at δ ≥ 0.1, G3 over τ ∈ [0.2, 1], G4 per τ
/// bin); the training budget is in steps, not seconds, so that the result is deterministic.
pub fn plan(scale: Scale) -> experiment::Plan {
    let ci = experiment::Plan {
        sigma: 0.8,
        mu: 0.32,
        means: vec![[0.0, 0.0], [0.8, -0.4], [-0.4, 0.8]],
        std: 0.15,
        n: 2000,
        n_ref: 20_000,
        levels: vec![10, 50, 200, 1000],
        g1_levels: vec![200, 1000],
        control_levels: 10,
        seeds: 5,
        g2_n: 20_000,
        g2_levels: vec![100, 10, 5],
        schedule: 1000,
        g4_samples: 1_000_000,
        g4_thetas: [-0.5, 0.0, 0.5]
            .into_iter()
            .flat_map(|a| [-0.5, 0.0, 0.5].map(|b| (a, b)))
            .collect(),
        g4_bins: vec![0.01, 0.1, 1.0],
        train: experiment::Train {
            depth: 2,
            width: 64,
            steps: 3000,
            batch: 256,
            lr: 1e-3,
            seeds: 2,
            eval_taus: vec![0.2, 0.4, 0.6, 0.8, 1.0],
            eval_n: 4000,
        },
        g5_points: 10_000,
    };
    match scale {
        Scale::Ci => ci,
        Scale::Full => experiment::Plan {
            n: 5000,
            levels: vec![10, 20, 50, 100, 200, 500, 1000],
            seeds: 10,
            g4_samples: 4_000_000,
            train: experiment::Train {
                steps: 20_000,
                seeds: 3,
                ..ci.train.clone()
            },
            ..ci
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
    report.deviations = notes::deviations(&plan);
    report.code_notes = notes::code_notes();
    Ok(report)
}
