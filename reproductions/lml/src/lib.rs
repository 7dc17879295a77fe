//! LML (Levenberg–Marquardt–Langevin) diffusion sampling, re-run with exact scores: the official
//! DDIM-LM step on a Gaussian mixture whose noise prediction is known in closed form, so that any
//! gain over DDIM can only come from the step.
//!
//! - [`method`]: the LM direction as the official scheduler computes it, and the DDIM-LM sampler;
//! - [`experiment`]: the (κ, λ) grid selected on one set of seeds and scored on another, the κ = 0
//!   identity, the Sherman–Morrison unit and the f32 cancellation check;
//! - [`claims`]: M1–M4 with their roles;
//! - [`presentation`]: the scores, selection and unit tables and the NFE figure;
//! - [`notes`]: deviations and findings in the official code.

pub mod claims;
pub mod experiment;
pub mod method;
pub mod notes;
pub mod presentation;

use harness::{Ctx, Meta, Paper, Report, RunError, Scale};

pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "lml",
        short_name: "LML",
        title: "Unleashing High-Quality Image Generation in Diffusion Sampling Using Second-Order Levenberg-Marquardt-Langevin",
        authors: "Wang, Yin, …, Li (12 authors; Zhejiang University and Tencent)",
        venue: "ICCV",
        year: 2025,
        arxiv: "2505.24222",
        official_code: "https://github.com/zituitui/LML-diffusion-sampler (e19cbdc, MIT)",
        bottom_line: "With exact scores, the official DDIM-LM step at the (κ, λ) selected on separate seeds cuts DDIM's energy distance at five steps on every fresh seed, but the same setting is worse than DDIM at 10 steps and beyond, where LML stalls short of the data; κ = 0, every script's default, is DDIM up to rounding in f64 and rounding noise in f32 at the README's smallest λ; the FID claims themselves are out of reach.",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// The plan per scale, fixed before running. The mixture, schedule, NFE and grids follow the
/// card's miniature and its corrections (κ = 0 dropped, NFE 5 at d = 16); λ spans ‖g‖²/λ from
/// about 1e4 to about 1 at d = 16 (‖g‖² is about d for the exact ε), chosen before any run.
pub fn plan(scale: Scale) -> experiment::Plan {
    let common = experiment::Plan {
        dim: 16,
        modes: 8,
        radius: 2.0,
        std: 0.1,
        steps: 1000,
        beta: (1e-4, 0.02),
        n: 1000,
        n_ref: 2000,
        nfe: 5,
        nfes: vec![5, 10, 20],
        kappas: vec![0.3, 0.5, 0.7],
        lambdas: vec![1e-3, 1e-2, 1e-1, 1.0, 10.0],
        select_seeds: 3,
        score_seeds: 5,
        directions: 64,
        m3_pairs: 50,
        f32_dim: 3 * 32 * 32,
        f32_lambdas: vec![5e-5, 1e-4, 1e-3, 5e-3],
    };
    match scale {
        Scale::Ci => common,
        Scale::Full => experiment::Plan {
            n: 4000,
            n_ref: 8000,
            nfes: vec![5, 10, 20, 50],
            select_seeds: 5,
            score_seeds: 10,
            m3_pairs: 500,
            ..common
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
