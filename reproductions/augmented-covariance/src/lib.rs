//! Reproduction of *Classification of BCI-EEG based on augmented covariance matrix* (Carrara and
//! Papadopoulo, arXiv 2302.04508): the delay-embedded (augmented) covariance with MDM on
//! procedural motor-imagery-like EEG whose class information is purely temporal or purely
//! spatial; nested cross-validation over (order, lag); the lag against the signal's period and
//! its mutual-information minimum; MOABB's benchmark numbers as the paper-side reference.
//!
//! The five rooms, one per file:
//! - [`method`]: the delay embedding (as MOABB), the covariance, MDM with the AIRM mean;
//! - [`experiment`]: a typed [`experiment::Plan`] in, typed [`experiment::Results`] out: the
//!   simulation, folds, nested cross-validation over (order, lag) per dataset and seed, the
//!   AMI, and the reference checks against MOABB and pyRiemann;
//! - [`claims`]: rule constants, metrics recorded from the results, the claims;
//! - [`presentation`]: tables and figures;
//! - [`notes`]: deviations from the paper and findings in the official code.

pub mod claims;
pub mod experiment;
pub mod method;
pub mod notes;
pub mod presentation;

use harness::{Ctx, Meta, Paper, Report, RunError, Scale};

pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "augmented-covariance",
        short_name: "ACM",
        title: "Classification of BCI-EEG based on augmented covariance matrix",
        authors: "I. Carrara, T. Papadopoulo",
        venue: "arXiv",
        year: 2023,
        arxiv: "2302.04508",
        official_code: "in MOABB (https://github.com/NeuroTechX/moabb, moabb/pipelines/features.py AugmentedDataset) and a pyRiemann example",
        bottom_line: "With purely temporal class information the augmented covariance classifies well above chance and its embedding matches MOABB and pyRiemann, but the lag chosen by cross-validation does not land where the signal suggests; the real-data benchmark is not run.",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// Orders, lags and seeds per scale (order 1 is the plain covariance), fixed before running.
pub fn plan(scale: Scale) -> experiment::Plan {
    let (orders, lags, seeds) = match scale {
        Scale::Ci => (vec![2, 3], vec![1, 2, 3, 4, 6, 8], 3),
        Scale::Full => (vec![2, 3, 4], vec![1, 2, 3, 4, 5, 6, 8, 10], 5),
    };
    experiment::Plan {
        orders,
        lags,
        seeds,
    }
}

/// Plan → results → metrics and claims → tables and figures → notes; the harness computes the
/// verdicts.
fn run(ctx: &Ctx) -> Result<Report, RunError> {
    let plan = plan(ctx.scale);
    let results = experiment::run(ctx, &plan)?;
    let mut report = Report::default();
    claims::record(&mut report, &results);
    claims::claims(&mut report);
    presentation::tables(&mut report, &plan);
    presentation::figures(&mut report, &plan, &results);
    report.deviations = notes::deviations(&plan);
    report.code_notes = notes::code_notes();
    Ok(report)
}
