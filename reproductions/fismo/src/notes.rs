//! Deviations from the paper and what cannot be checked without code.

use harness::{CodeNote, Deviation, NoteKind, Provenance};

pub fn deviations() -> Vec<Deviation> {
    vec![
        Deviation::new(
            "hyper-parameters",
            "not available (no code; the summaries give none)",
            "β = 0.95, γ = 0.95, μ = 1e-3, exact polar factor; AdamW (decay 0.01, lr 1e-3) on the first and last layers and the biases",
            "chosen before running and labelled as such (the card's miniature)",
        ),
        Deviation::new(
            "scale",
            "GPT-2 124M on OpenWebText; SimpleDLA on CIFAR-10",
            "a 64 → H → H → H → H → 10 tanh MLP on the 1,797 8 × 8 digits (H = 64 at ci, 128 at full)",
            "a 2-core CPU in about a minute; a ranking on a miniature is not a ranking at scale",
        ),
        Deviation::new(
            "damping",
            "Algorithm 1: μ·tr(P)/m; Theorem 1: μ·tr(Q⁻¹)/n",
            "Algorithm 1 is the method; Theorem 1's damping runs as a shadow and the gap is reported (x2.damping_gap)",
            "the card's correction: the two differ and Algorithm 1 is the method",
        ),
        Deviation::new(
            "precision",
            "the X2 identities to 1e-10",
            "traces in f64 to 1e-10; singular values to 1e-3, the update read back from f32 parameters",
            "the model's parameters are f32 (dfdx)",
        ),
    ]
}

pub fn code_notes() -> Vec<CodeNote> {
    vec![
        CodeNote::new(
            "none",
            NoteKind::Note,
            "no official implementation was found; the algorithm follows the card's transcription of Algorithm 1 [secondary], so every verdict here is about that transcription",
            Provenance::Secondary,
        ),
        CodeNote::new(
            "Algorithm 1, the factor EMA",
            NoteKind::Note,
            "as transcribed, the raw statistic L = G Q⁻¹ Gᵀ / n + μ I is mixed into a factor normalised to tr P = m, and the mix is normalised again; its fixed point m L / tr L is scale-free, but one step moves P towards it by about (1 − γ)/γ · tr(L)/m, so with gradients of entries near 1e-3 and μ = 1e-3 the factors need some 1e4 steps to move and, even then, μ I dominates L: FISMO then is EMA Muon with the exact polar factor (x2.factor_condition, x2.statistic_scale). Whether the paper normalises L before mixing is one of the card's open questions",
            Provenance::Derived,
        ),
        CodeNote::new(
            "rate",
            NoteKind::Discrepancy,
            "the abstract states O(1/T) for the expected squared gradient norm, the listing and summaries O(1/√T) for the (nuclear) gradient norm; not testable here",
            Provenance::Secondary,
        ),
    ]
}
