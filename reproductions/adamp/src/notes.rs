//! Deviations from the paper and findings in its official code.

use harness::{CodeNote, Deviation, NoteKind, Provenance};

pub fn deviations(net: &crate::experiment::NetPlan) -> Vec<Deviation> {
    let d = Deviation::new;
    vec![
        d(
            "2-D toy setting",
            "not published (project page shows norms 2.93 and 27.87)",
            "w₀ = (1, 0), target at 170°, lr 0.02, 500 steps, PyTorch momentum without dampening, w as a 1×2 matrix: the card's grid fit",
            "the only setting known to reproduce the published norms; the page's own setting is an open question",
        ),
        d(
            "precision",
            "PyTorch float32",
            "float32 parameters and updates (kernels::optim), f64 for the toy's gradient and the reported norms",
            "same arithmetic as the reference for the update",
        ),
        d(
            "benchmarks",
            "ImageNet, COCO, retrieval, audio, WikiText (13 benchmarks)",
            &format!(
                "a 64–{h}–{h}–10 MLP with batch norm after each hidden linear layer (no bias there, so those weights are exactly scale-invariant) on the vendored 8×8 digits, batch {b}, {e} epochs",
                h = net.hidden,
                b = net.batch,
                e = net.epochs
            ),
            "a network in which scale invariance holds by construction, small enough for CI",
        ),
        d(
            "hyper-parameters",
            "per benchmark (not transcribed)",
            "the README's recommendations: SGDP(lr 0.1, momentum 0.9, Nesterov, wd 1e-5), AdamP(lr 1e-3, wd 1e-2), and the same for the baselines; no tuning",
            "fixed before running; the comparison is projection on/off at equal settings",
        ),
    ]
}

pub fn code_notes() -> Vec<CodeNote> {
    let c = CodeNote::new;
    vec![
        c(
            "clovaai/AdamP adamp/sgdp.py (0.3.0)",
            NoteKind::Note,
            "Without Nesterov, d_p is the momentum buffer itself and the projection subtracts in place (perturb -= …), so SGDP projects its momentum buffer, not only the step. kernels::optim::Sgdp does the same (matched step by step on orthogonal-gradient fixtures); a port that copies d_p first would be a different optimizer.",
            Provenance::Code,
        ),
        c(
            "card papers/adamp.md, toy table",
            NoteKind::Discrepancy,
            "The card's SGDP column (‖w₅₀₀‖ = 1.126 / 1.141 / 1.145) is not what the official package computes: adamp.SGDP gives 1.174 / 1.300 / 1.836 (checked with the package itself and with kernels::optim::Sgdp). The card's values are those of an SGDP that leaves its momentum buffer unprojected (metric toy.norm.sgdp_copy). A1–A3 do not depend on this; the steps-to-target of SGDP differ accordingly.",
            Provenance::Derived,
        ),
        c(
            "clovaai/AdamP issue #6",
            NoteKind::Discrepancy,
            "The paper's projection condition lacks the absolute value |cos(g, w)| that the code uses; the author confirmed the paper is wrong.",
            Provenance::Readme,
        ),
        c(
            "clovaai/AdamP issue #10",
            NoteKind::Note,
            "Weight-decay convention: the paper writes w ← (1 − λ)w, PyTorch w ← (1 − lr·λ)w, so paper λ = 1e-4 at lr 1e-3 is PyTorch weight_decay = 0.1. SGDP also divides its decay by (1 − μ).",
            Provenance::Readme,
        ),
        c(
            "torch.nn.functional.cosine_similarity",
            NoteKind::Note,
            "Its eps clamps each norm separately in recent PyTorch (max(‖x‖, eps)·max(‖y‖, eps)); older versions clamped the product. Only rows of norm ≈ 0 are affected; kernels::optim clamps each norm.",
            Provenance::Code,
        ),
        c(
            "kozistr/pytorch_optimizer AdamP (7a076d2)",
            NoteKind::Bug,
            "The Nesterov branch computes β1·m + (1 − β1)·g/denom (m not divided by denom), unlike the official code; eps is not rescaled by √bc2. Not used for golden values.",
            Provenance::Code,
        ),
    ]
}
