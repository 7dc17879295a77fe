//! Deviations from the paper and findings in its official code.

use crate::experiment::Plan;
use harness::{CodeNote, Deviation, NoteKind, Provenance};

pub fn deviations(plan: &Plan) -> Vec<Deviation> {
    let (seeds, net) = (plan.seeds, &plan.net);
    let d = Deviation::new;
    vec![
        d(
            "data and backbone",
            "ImageNet-1K with ResNet/Swin/DeiT backbones; transfer to 6 datasets",
            &format!(
                "the vendored 8×8 digits: an MLP 64 → 128 → 32 (ReLU) trained on digits 0–4, transfer by linear probe to digits 5–9; {} epochs, batch {}, {seeds} seeds",
                net.epochs, net.batch
            ),
            "CPU budget; the card's miniature",
        ),
        d(
            "optimisers",
            "SGD/AdamW/LAMB on the backbone; RSGD with lr_factor schedules on the head",
            &format!(
                "momentum SGD (lr {}, momentum 0.9, weight decay 5e-4) on the backbone and the softmax head; Grassmann RSGD (lr {}, momentum 0.9, QR every 5 steps) on the GCR head; constant rates",
                net.lr, net.grassmann_lr
            ),
            "fixed before running, no tuning",
        ),
        d(
            "variability measure",
            "R² of Kornblith et al. (assumed; the card marks it unverified)",
            "1 − mean within-class / mean overall cosine distance of held-out features",
            "the card's definition",
        ),
        d(
            "precision",
            "float32 (PyTorch)",
            "float32 parameters; the Grassmann step and QR in float64",
            "the reference's storage; f64 arithmetic keeps the orthonormality checks meaningful",
        ),
    ]
}

pub fn code_notes() -> Vec<CodeNote> {
    let c = CodeNote::new;
    vec![
        c(
            "innerlee/GCR gcr/rsgd.py",
            NoteKind::Note,
            "The momentum buffer is kept in ambient coordinates and re-projected at the new point (projection transport); the final ·Vᵀ of the geodesic keeps column identity continuous so that the ambient buffer stays meaningful.",
            Provenance::Code,
        ),
        c(
            "innerlee/GCR gcr/rsgd.py",
            NoteKind::Discrepancy,
            "The periodic QR uses torch's Householder QR, whose R diagonal has either sign, so a column can come back negated while its momentum is not (card: an optimizer-state hazard). Measured here as sign flips per 100 steps and its effect on transfer (C5).",
            Provenance::Derived,
        ),
        c(
            "innerlee/GCR gcr/rsgd.py",
            NoteKind::Note,
            "`OPT_ITER`, `LR_FACTOR` and `REORTH_STEP` are module globals shared by all optimizer instances.",
            Provenance::Code,
        ),
        c(
            "innerlee/GCR",
            NoteKind::Note,
            "No LICENSE file; depends on mmpretrain (DeiT3 on an unmerged pull request); ImageNet only.",
            Provenance::Code,
        ),
    ]
}
