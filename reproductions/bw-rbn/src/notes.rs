//! Deviations from the paper and findings in its official code.

use crate::experiment::Plan;
use harness::{CodeNote, Deviation, NoteKind, Provenance};

pub fn deviations(plan: &Plan) -> Vec<Deviation> {
    let (seeds, t) = (plan.seeds, &plan.training);
    let d = Deviation::new;
    vec![
        d(
            "data",
            "HDM05, NTU RGB+D 60, MAMEM-SSVEP-II",
            &format!(
                "procedural SPD: {} classes with means of condition number κ, samples = covariances of {} Gaussian draws in R^{}, {} train / {} test per class, {seeds} seeds",
                t.classes,
                2 * t.n,
                t.n,
                t.train_per_class,
                t.test_per_class
            ),
            "the card's miniature; it isolates the conditioning",
        ),
        d(
            "what is trained",
            "BiMap (frozen in the official SPDNet/MAMEM code), the BN bias B and metric M, the shift s, the classifier",
            "BiMap frozen at its random orthonormal initialisation (as in the official SPDNet code), except in the G3-bimap runs, where it is trained by the official StiefelOptim step (projection G − W Gᵀ W, Gram–Schmidt retraction, same lr); the bias B (every BN variant), the metric M (GBW-RBN only; M = I in BW-RBN) and the shift s are trained with the classifier; the classifier and s by Adam (lr 1e-2), B and M by the official SPDOptim rule (Riemannian gradient P sym(∇) P, then the BW exponential; the AIRM exponential for AIRM-RBN's bias) with the same lr",
            "the official code shares one lr; Adam instead of the official SGD with momentum 0.9 and weight decay 5e-2 for the Euclidean parameters, kept from the earlier runs of this chapter",
        ),
        d(
            "(H²)^½ and (K²)^½",
            "the square root of H² = (I + ½ T(Log_G X))² and of the scaled K², by SVD-as-eig",
            "|H| and |K| from the eigendecompositions of H and K: the same values, but a backward that stays bounded where H or K is singular",
            "the fold of Exp_I (H singular) made the square-root backward 1/(2√λ) produce NaN gradients for M in the first run (GBW-RBN, κ = 1e5, shared design)",
        ),
        d(
            "AIRM-RBN",
            "Brooks et al.'s SPDNetBN",
            "centring by the one-step Karcher mean (pyRiemann's iteration from the arithmetic mean), running mean along the AIRM geodesic (momentum 0.1), learned bias B^½ · B^½ (initial I)",
            "the same one-step statistics as the BW layer",
        ),
        d(
            "sizes",
            "BiMap 93→30 (HDM05) and others",
            &format!(
                "BiMap {}→{}, ReEig 1e-4, LogEig, linear classifier; {} epochs, batch {}",
                t.n, t.m, t.epochs, t.batch
            ),
            "CPU budget",
        ),
    ]
}

pub fn code_notes() -> Vec<CodeNote> {
    let c = CodeNote::new;
    vec![
        c(
            "jjscc/GBWBN GBWBN_SPDNet/spd/functional.py (cal_var)",
            NoteKind::Discrepancy,
            "The batch dispersion is the mean squared BW distance to the identity, not to the batch mean (metric g2.dispersion shows both).",
            Provenance::Code,
        ),
        c(
            "jjscc/GBWBN GBWBN_SPDNet/spd/nn.py (BatchNormSPD)",
            NoteKind::Note,
            "One fixed-point iteration for the batch barycenter (metric g2.ratio_official shows how far from normalised the outputs stay).",
            Provenance::Code,
        ),
        c(
            "jjscc/GBWBN GBWBN_SPDNet/spd/optimizers.py (MixOptimizer)",
            NoteKind::Bug,
            "The Stiefel step is commented out and Stiefel parameters are excluded from the Euclidean optimizer, so BiMap stays at its random initialisation in the SPDNet/MAMEM experiment.",
            Provenance::Code,
        ),
        c(
            "jjscc/GBWBN MAMEM script",
            NoteKind::Bug,
            "Loader names swapped (the \"test\" generator yields rows 300–400, \"val\" rows 400–500); the best checkpoint is saved but never reloaded.",
            Provenance::Code,
        ),
        c(
            "jjscc/GBWBN GBWBN_SPDNet/spd/functional.py",
            NoteKind::Note,
            "The Daleckii–Krein backward maps equal eigenvalues (inf/NaN quotients) to 0; kernels::spd uses f′ at the mean of the two instead.",
            Provenance::Code,
        ),
        c(
            "jjscc/GBWBN",
            NoteKind::Note,
            "The 'parallel transport' T(P→I) is an isometry between tangent spaces, not the Levi-Civita transport of BW (checked in G1).",
            Provenance::Derived,
        ),
        c(
            "jjscc/GBWBN GBWBN_SPDNet/spd/functional.py (pal2, BatchNormSPD.__init__)",
            NoteKind::Note,
            "The transport to the bias takes the SVD of B̃ and backpropagates through it; torch's SVD backward divides by differences of singular values, and the code starts the bias at I + diag(1..n)·1e-7, presumably to avoid exact ties. kernels::spd::pairwise_backward writes the same derivative with closed-form divided differences, exact at ties (checked against finite differences at P = I).",
            Provenance::Code,
        ),
        c(
            "jjscc/GBWBN GBWBN_SPDNet/spd/functional.py (scale1, LogG1)",
            NoteKind::Note,
            "LogG1 takes the square root of C = H² by SVD-as-eig; when H = I + ½ T(Log_G X) is singular (Exp_I folds), the backward's 1/(2√σ) explodes. We compute |H| from H's own eigendecomposition (same value, bounded backward).",
            Provenance::Derived,
        ),
        c(
            "jjscc/GBWBN GBWBN_SPDNet/spd/optimizers.py (SPDOptim)",
            NoteKind::Note,
            "M and B are updated by P ← Exp_P(−lr · P sym(∇) P): the AIRM Riemannian gradient followed by the BW exponential, a mixed-geometry step; reproduced as is.",
            Provenance::Code,
        ),
    ]
}
