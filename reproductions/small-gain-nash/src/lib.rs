//! Reproduction of *Small-Gain Nash: Certified Contraction to Nash Equilibria in Differentiable
//! Games* (Sharma, arXiv 2512.06791): the certificate, its soundness, its step sizes and its
//! timescale band on the official code's quadratic games.
//!
//! The five rooms, one per file:
//! - [`method`]: SGN matrix, margin, metric Lipschitz constant, step bounds, band, weight search;
//! - [`experiment`]: a typed [`experiment::Plan`] in, typed [`experiment::Results`] out (the phase
//!   diagram, the LQ game's steps, the games beyond √2, the escape-versus-trap trajectory, the
//!   mini-toy's golden quantities); decides nothing;
//! - [`claims`]: golden values and tolerances with their rationale, metrics recorded from the
//!   results, the claims with the role of every check;
//! - [`presentation`]: the golden table, the phase and escape-trap figures;
//! - [`notes`]: deviations from the paper and findings in the official code.

pub mod claims;
pub mod experiment;
pub mod method;
pub mod notes;
pub mod presentation;

use harness::{Ctx, Meta, Paper, Report, RunError, Scale};

pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "small-gain-nash",
        short_name: "SGN",
        title: "Small-Gain Nash: Certified Contraction to Nash Equilibria in Differentiable Games",
        authors: "V. Sharma",
        venue: "arXiv",
        year: 2025,
        arxiv: "2512.06791",
        official_code: "https://github.com/AashVed/SmallGainNash (451dfcd)",
        bottom_line: "The certificate is sound, and its certified steps contract and are safe on both games; beyond λ = √2 and in the escape-versus-trap run, the paper's picture holds only in part.",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// The plan, the same at every scale (every computation is a small eigenproblem or a short
/// trajectory): the official code's settings and the card's.
pub fn plan(_scale: Scale) -> experiment::Plan {
    experiment::Plan {
        a: 10.0,
        b: 0.05,
        lq_block: 32,
        lambdas: (0..61).map(|k| 2.5 * k as f64 / 60.0).collect(),
        n1_range: (0.2, 1.41),
        n2_fractions: [0.1, 0.5, 1.0],
        n2_starts: 16,
        n2_steps: 800,
        n4_lambdas: [1.5, 2.0, 2.5],
        n4_step: 0.05,
        n4_steps: 4000,
        n5_weight: 200.0,
        n5_step: 5e-4,
        n5_steps: 3000,
        start: [0.15, -0.15],
    }
}

/// Plan → results → metrics and claims → tables and figures → notes.
fn run(ctx: &Ctx) -> Result<Report, RunError> {
    let plan = plan(ctx.scale);
    let results = experiment::run(ctx, &plan)?;
    let mut report = Report::default();
    claims::record(&mut report, &plan, &results);
    claims::claims(&mut report, &plan);
    presentation::tables(&mut report);
    presentation::figures(&mut report, &results);
    report.deviations = notes::deviations();
    report.code_notes = notes::code_notes();
    Ok(report)
}
