//! Reproduction of *FISMO: Fisher-Structured Momentum-Orthogonalized Optimizer* (Xu, Yan and
//! Zhang, arXiv 2601.21750, 2026): Muon's orthogonalised momentum in a Kronecker-whitened basis.
//! No official code exists; the optimizer is `kernels::optim::Fismo` (the card's Algorithm 1,
//! hyper-parameters chosen here before running), the model a dfdx MLP stepped through
//! `dfdx_bridge`.
//!
//! The five rooms, one per file:
//! - [`method`]: the model, the arms (AdamW, Muon, FISMO as parameter groups), κ(ΔW);
//! - [`experiment`]: a typed [`experiment::Plan`] in, typed [`experiment::Results`] out;
//! - [`claims`]: rule constants with their rationale, metrics, the claims with their roles;
//! - [`presentation`]: the tables and figures;
//! - [`notes`]: deviations from the paper and what is unknown without code.

pub mod claims;
pub mod experiment;
pub mod method;
pub mod notes;
pub mod presentation;

use experiment::{IdentityPlan, Plan};
use harness::{Ctx, Meta, Paper, Report, RunError, Scale};
use method::ArmSettings;

pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "fismo",
        short_name: "FISMO",
        title: "FISMO: Fisher-Structured Momentum-Orthogonalized Optimizer",
        authors: "C. Xu, W. Yan, Y.-J. A. Zhang",
        venue: "arXiv (ICML 2026 per a secondary source)",
        year: 2026,
        arxiv: "2601.21750",
        official_code: "none found",
        bottom_line: "As transcribed (there is no official code), FISMO reduces to Muon exactly at γ = 1 and its step lies on its trust-region boundary. But on a digits MLP its Kronecker factors never leave the identity: the raw gradient statistic is swamped by the damping and by the trace normalisation. So FISMO here is Muon with an exact polar factor, at more than ten times Muon's step time. It ties Muon's training loss, and its updates are better conditioned than Muon's, not worse (X4 falsified).",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// The plan per scale, fixed before running (the card's miniature at `full`: width 128, 500
/// steps of 128, four learning rates per method, three seeds).
pub fn plan(scale: Scale) -> Plan {
    let full = scale == Scale::Full;
    Plan {
        width: if full { 128 } else { 64 },
        steps: if full { 500 } else { 300 },
        batch: 128,
        test: 297,
        lrs: [
            vec![3e-4, 1e-3, 3e-3, 1e-2],
            vec![0.005, 0.01, 0.02, 0.05],
            vec![0.005, 0.01, 0.02, 0.05],
        ],
        seeds: if full { 3 } else { 2 },
        settings: ArmSettings {
            weight_decay: 0.01,
            aux_lr: 1e-3,
            beta: 0.95,
            gamma: 0.95,
            mu: 1e-3,
        },
        kappa_every: 25,
        identity: IdentityPlan {
            steps: if full { 100 } else { 30 },
            adamw_lr: 1e-3,
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
