//! Deviations from the paper and findings in its official code.

use crate::experiment::Plan;
use harness::{CodeNote, Deviation, NoteKind, Provenance};

pub fn deviations(plan: &Plan) -> Vec<Deviation> {
    let seeds = plan.seeds;
    let d = Deviation::new;
    vec![
        d(
            "data",
            "MOABB EEG datasets (BNCI2014_001 and others), band-passed 8–35 Hz",
            &format!(
                "procedural EEG: 4 AR(2) sources (r = 0.95; 11, 10/13, 6, 22 Hz) mixed into 6 channels + white noise (sd 0.3), 128 Hz, 2 s epochs, 100 trials per class, {seeds} seeds; no band-pass"
            ),
            "no EEG dataset ships without a download; the simulation isolates a purely temporal and a purely spatial class effect",
        ),
        d(
            "classifier",
            "ACM + TS + SVM in the MOABB benchmark; ACM + MDM in the paper",
            "ACM + MDM (AIRM mean, pyRiemann defaults)",
            "the card's miniature; MDM needs no extra hyper-parameters",
        ),
        d(
            "hyper-parameter search",
            "grid order 1..10 × lag 1..10 (MOABB yml)",
            "order {2, 3} × lag {1, 2, 3, 4, 6, 8} at ci (larger at full), inner 3-fold CV inside 5-fold CV",
            "CPU budget; the grid still brackets the predicted optimum",
        ),
        d(
            "covariance estimator",
            "'cov' (MOABB yml) or 'oas' (pyRiemann example)",
            "'cov' (numpy.cov)",
            "the MOABB pipeline's choice",
        ),
    ]
}

pub fn code_notes() -> Vec<CodeNote> {
    let c = CodeNote::new;
    vec![
        c(
            "NeuroTechX/moabb moabb/pipelines/features.py AugmentedDataset",
            NoteKind::Note,
            "For order p > 1 each block is X[:, kτ : T − (p − k)τ], so the embedding keeps T − pτ samples, one lag fewer than needed; order 1 returns X unchanged (the lag is ignored). Reproduced exactly here.",
            Provenance::Code,
        ),
        c(
            "pyRiemann TimeDelayCovariances (formerly HankelCovariances)",
            NoteKind::Discrepancy,
            "Not the same embedding: it uses a circular roll (wrap-around), delays range(1, delays) at lag 1 unless a list is given, and shifts backwards. Equivalent to MOABB's only up to edge effects and block order.",
            Provenance::Code,
        ),
    ]
}
