//! Reproduction of *Sharpness-Aware Training for Free* (Du, Zhou, Feng, Tan and Zhou, NeurIPS
//! 2022, arXiv 2205.14083): SAF replaces SAM's second gradient by a KL term between the current
//! logits and the logits the same examples had a few epochs earlier; MESA (same repository)
//! takes them from an EMA teacher instead. The loss terms, SAM and the power iteration are
//! `kernels::sharpness`; the model a dfdx MLP stepped through `dfdx_bridge`.
//!
//! The five rooms, one per file:
//! - [`method`]: the data, the model, the four arms and one step of each;
//! - [`experiment`]: a typed [`experiment::Plan`] in, typed [`experiment::Results`] out;
//! - [`claims`]: rule constants with their rationale, metrics, the claims with their roles;
//! - [`presentation`]: the tables and figures;
//! - [`notes`]: deviations from the paper and what the official code does.

pub mod claims;
pub mod experiment;
pub mod method;
pub mod notes;
pub mod presentation;

use experiment::{HessianPlan, IdentityPlan, Plan};
use harness::{Ctx, Meta, Paper, Report, RunError, Scale};
use method::ArmSettings;

pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "saf",
        short_name: "SAF",
        title: "Sharpness-Aware Training for Free",
        authors: "J. Du, D. Zhou, J. Feng, V. Y. F. Tan, J. T. Zhou",
        venue: "NeurIPS 2022",
        year: 2022,
        arxiv: "2205.14083",
        official_code: "https://github.com/AngusDujw/SAF",
        bottom_line: "SAF costs what SGD costs in passes (one forward, one backward; SAM two of each) and its term is the official one to 1e-6. On a label-noise MLP it does not end flatter than SGD by λ_max, and neither does SAM: SGD memorises the noise to the lowest loss, where the cross-entropy Hessian is smallest. SAF beats SGD's test accuracy by 1.6 points at ci but ties it at full (lower in 5 of 5 seeds).",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// The card's miniature at `full` (width 256, 60 epochs, five seeds); `ci` halves the width
/// and shortens training. Fixed before running.
pub fn plan(scale: Scale) -> Plan {
    let full = scale == Scale::Full;
    Plan {
        width: if full { 256 } else { 128 },
        train: 4000,
        test: 4000,
        spread: 0.5,
        noise: 0.2,
        epochs: if full { 60 } else { 30 },
        batch: 64,
        seeds: if full { 5 } else { 3 },
        settings: ArmSettings {
            lr: 0.05,
            momentum: 0.9,
            saf_lambda: 0.3,
            tau: 5.0,
            start_epoch: 5,
            lag: 3,
            rho: 0.05,
            mesa_decay: 0.99,
            mesa_lambda: 0.8,
        },
        hessian: HessianPlan {
            iters: 20,
            eps: 1e-2,
        },
        identity: IdentityPlan {
            epochs: 6,
            start_epoch: 3,
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
