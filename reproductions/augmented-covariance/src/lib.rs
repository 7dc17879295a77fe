//! Reproduction of *Classification of BCI-EEG based on augmented covariance matrix* (Carrara and
//! Papadopoulo, arXiv 2302.04508): the delay-embedded (augmented) covariance with MDM on
//! procedural motor-imagery-like EEG whose class information is purely temporal or purely
//! spatial; nested cross-validation over (order, lag); the lag against the signal's period and
//! its mutual-information minimum; MOABB's benchmark numbers as the paper-side reference.
//!
//! - [`method`]: the delay embedding (as MOABB), the covariance, MDM with the AIRM mean.
//! - [`experiment`]: the simulation, folds, cross-validation and the AMI.
//! - [`claims`]: the runs, metrics, decision rules, tables, figures, deviations and notes.

pub mod claims;
pub mod experiment;
pub mod method;

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
        official_code: "in MOABB (moabb/pipelines/features.py AugmentedDataset) and a pyRiemann example",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// Orders, lags and seeds per scale (order 1 is the plain covariance).
pub fn plan(scale: Scale) -> (Vec<usize>, Vec<usize>, u64) {
    match scale {
        Scale::Ci => (vec![2, 3], vec![1, 2, 3, 4, 6, 8], 3),
        Scale::Full => (vec![2, 3, 4], vec![1, 2, 3, 4, 5, 6, 8, 10], 5),
    }
}

/// Runs every experiment and records the report; the harness computes the verdicts.
fn run(ctx: &Ctx) -> Result<Report, RunError> {
    let mut report = Report::default();
    claims::record(&mut report, ctx)?;
    Ok(report)
}
