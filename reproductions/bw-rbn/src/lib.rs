//! Reproduction of *GBW-RBN: Learning to Normalize on the SPD Manifold under Bures-Wasserstein
//! Geometry* (Wang, Jin, Chen, Luo and Wu, CVPR 2025 / arXiv 2504.00660): the layer's geometry
//! (G1), whether it normalises (G2), and BW- against AIRM-based batch normalisation in an SPDNet
//! on procedural SPD data across condition numbers (G3, G4).
//!
//! The five rooms, one per file:
//! - [`method`]: data, BiMap, the two normalisations exactly as the official code computes them
//!   (learned bias, shift and metric parameter M), their hand-written backward and the official
//!   SPD and Stiefel updates, ReEig and LogEig;
//! - [`experiment`]: a typed [`experiment::Plan`] in, typed [`experiment::Results`] out: the
//!   geometry checks, the whole-layer gradient check, the normalisation check and the grid of
//!   training runs (settings × variants × κ × seeds);
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
        id: "bw-rbn",
        short_name: "BW-RBN",
        title: "Learning to Normalize on the SPD Manifold under Bures-Wasserstein Geometry",
        authors: "R. Wang, S. Jin, Z. Chen, X. Luo, X.-J. Wu",
        venue: "CVPR",
        year: 2025,
        arxiv: "2504.00660",
        official_code: "https://github.com/jjscc/GBWBN (1ec32321)",
        bottom_line: "The layer's geometry and its normalisation hold, but BW-RBN does not beat AIRM-RBN on ill-conditioned data in any of the three designs (falsifiers fired), the power deformation ties, and the learned metric helps only in part at `ci` scale and not at `full` scale.",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// Condition numbers, seeds and the training plan per scale, fixed before running.
pub fn plan(scale: Scale) -> experiment::Plan {
    let p = |train_per_class, epochs| experiment::Training {
        n: 20,
        m: 10,
        classes: 4,
        train_per_class,
        test_per_class: 75,
        epochs,
        batch: 30,
        lr: 1e-2,
    };
    let (kappas, seeds, training) = match scale {
        // ci: κ = 10 (the control) and 1e5 (the claim), half the training set and 10 epochs, so
        // the run fits the 60 s budget on two cores (it took 215 s with the full κ grid).
        Scale::Ci => (vec![1e1, 1e5], 3, p(75, 10)),
        Scale::Full => (vec![1e1, 1e3, 1e5, 1e6], 5, p(150, 30)),
    };
    experiment::Plan {
        kappas,
        seeds,
        training,
    }
}

/// Plan → results → metrics and claims → tables and figures → notes; the harness computes the
/// verdicts.
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
