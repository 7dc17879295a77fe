//! Deviations from the paper and findings in the official code.

use harness::{CodeNote, Deviation, NoteKind, Provenance};

pub fn deviations() -> Vec<Deviation> {
    let d = Deviation::new;
    vec![
        d(
            "random orthogonal coupling",
            "QR of a Gaussian from numpy with seed 12345",
            "QR of a Gaussian from this suite's generator (signs of diag R made positive)",
            "numpy's stream cannot be reproduced without numpy; every quantity tested depends on R only through R Rᵀ = Id",
        ),
        d(
            "random LQ suite and Markov game",
            "30 random games; entropy-regularised Markov game in the Fisher metric",
            "not run",
            "the card's miniature covers the mini-toy and the structured LQ game",
        ),
        d(
            "golden values",
            "the paper's figures (not transcribed)",
            "the card's independent re-computations from the official settings",
            "the paper's own numbers still need checking",
        ),
    ]
}

pub fn code_notes() -> Vec<CodeNote> {
    vec![CodeNote {
        location: "AashVed/SmallGainNash @ 451dfcd".into(),
        kind: NoteKind::Note,
        finding: "No discrepancy found in the files read (quadratic_phase.py, `LQ_GAMES/*`). The RK4 constant C₄ = 2.5 is a heuristic, not a proved bound.".into(),
        provenance: Provenance::Secondary,
    }]
}
