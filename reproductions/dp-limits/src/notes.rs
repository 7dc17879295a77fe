//! Deviations from the paper and findings in related code (the authors published none).

use crate::experiment::Plan;
use harness::{CodeNote, Deviation, NoteKind, Provenance};

pub fn deviations(plan: &Plan) -> Vec<Deviation> {
    let setup = &plan.dp_sgd;
    let d = Deviation::new;
    vec![
        d(
            "upper-bound construction",
            "an explicit suboptimal upper bound on the trade-off curve (not transcribed)",
            "the max test of the card's reconstruction: reject when max_j y_j > t",
            "the paper's proof is not available here; the reconstruction reproduces the abstract's constants exactly",
        ),
        d(
            "golden numbers",
            "—",
            "the card's independently re-computed tables, checked to 1e-3; a SciPy re-implementation checked to 1e-9 in the tests; and Google's ShuffleAccountant (the card's accounting code), whose cube-set δ(ε) lower bounds ours match from above within its 0.01 cap grid",
            "no numbers were transcribed from the paper",
        ),
        d(
            "DP-SGD experiment",
            "real data sets, settings not transcribed",
            &format!(
                "synthetic two-class Gaussian data, d = {}, N = {} (train) + {} (test), B = {}, clipping C = {}, learning rate {}, class separation {} (Bayes accuracy Φ(1) ≈ 0.84), one shuffled epoch from zero weights",
                setup.d,
                setup.n_train,
                setup.n_test,
                setup.batch,
                setup.clip,
                setup.lr,
                setup.delta
            ),
            "the card's miniature; only the direction of the effect is claimed",
        ),
        d(
            "neighbouring relation",
            "open question (add/remove or replace)",
            "add/remove: the differing example contributes one clipped unit vector in one batch",
            "the card's reduction",
        ),
    ]
}

pub fn code_notes() -> Vec<CodeNote> {
    vec![
    CodeNote {
        location: "no official repository".into(),
        kind: NoteKind::Note,
        finding: "No code was published; the max-test reduction used here is the card's reconstruction of the paper's bound, which reproduces the abstract's constants.".into(),
        provenance: Provenance::Derived,
    },
    CodeNote {
        location: "hlzl/equivariant (Equivariant DP-SGD) @ 3dd7cd0".into(),
        kind: NoteKind::Discrepancy,
        finding: "Accounts with a Poisson-subsampling RDP accountant while training with shuffled fixed-size batches: exactly the gap between sampling schemes that this paper examines.".into(),
        provenance: Provenance::Secondary,
    },
    ]
}
