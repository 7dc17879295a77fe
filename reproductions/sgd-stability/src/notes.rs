//! Deviations from the paper, and findings in its official code (there is none).

use crate::experiment::Plan;
use harness::{CodeNote, Deviation};

pub fn deviations(plan: &Plan) -> Vec<Deviation> {
    let setup = &plan.train;
    let d = Deviation::new;
    vec![
        d(
            "batch size of the bound",
            "tr(H) ≤ 2/η for SGD-stable minima (batch assumptions not transcribed)",
            "checked for B = 1; B = 2 and 4 reported, with B = 2 exceeding the bound on the orthogonal example",
            "the card's derivation shows the clean bound is a per-sample statement",
        ),
        d(
            "networks",
            "two-layer ReLU and diagonal linear networks",
            &format!(
                "diagonal linear network only: d = {}, n = {}, {}-sparse target, x ~ U[−1, 1]^d, u = v = 1 at init",
                setup.d, setup.n, setup.sparsity
            ),
            "the card's miniature; the ReLU case is left out",
        ),
        d(
            "training",
            "experiment settings not transcribed",
            &format!(
                "learning rates logspace(−2.4, −0.9, 6); stop at training loss < {:e} or {} steps; no gradient clipping",
                setup.tol, setup.max_steps
            ),
            "the grid of the third-party reproduction in the card; a run that leaves 1e12 is counted as not converged",
        ),
        d(
            "sampling",
            "SGD",
            "one sample per step drawn with replacement",
            "matches the operator's model",
        ),
    ]
}

/// No official code was published, so there is nothing to note.
pub fn code_notes() -> Vec<CodeNote> {
    Vec::new()
}
