//! Deviations from the paper and findings in its official code.

use harness::{CodeNote, Deviation, NoteKind, Provenance};

pub fn deviations(epochs: usize) -> Vec<Deviation> {
    let d = Deviation::new;
    vec![
        d(
            "F2 and F3 formulas",
            "figures of the paper (formulas [unverified])",
            "F2 and F3 reconstructed in the card so that the notebook's coded gradients are their derivatives; F2 run with both the notebook's gradient and the true derivative",
            "the notebook codes only gradients, and its F2 gradient is not the derivative of the stated F2",
        ),
        d(
            "F2 at the junction",
            "—",
            "the card's F2 jumps by 0.0147 at x = −0.9 (0.85 on the left, 0.8353 on the right); kept as written",
            "the jump changes only reported F values, never a trajectory (the optimizers see gradients only)",
        ),
        d(
            "optimizer formulas on F1–F3",
            "notebook: Adam m̂/√(v̂ + eps), diffGrad ξ m̂/(√v̂ + eps)",
            "the same, in double precision; and in single precision with the project's kernels (PyTorch's placement of eps)",
            "double precision reproduces the notebook; single precision is what a PyTorch user runs",
        ),
        d(
            "network experiment",
            "ResNet-50 [unverified] on CIFAR-10/100, 7 optimizers",
            &format!(
                "64–64–10 ReLU MLP on the 1,797 vendored 8×8 digits (1,297 train / 500 test, split per seed), batch 32, {epochs} epochs, Adam vs diffGrad vs Adam at half the learning rate"
            ),
            "CPU budget; the comparison asks whether diffGrad differs from Adam beyond seed noise, not the CIFAR numbers",
        ),
        d(
            "learning rate of the network",
            "not transcribed",
            "1e-3 (the default of both optimizers), fixed before running; no tuning",
            "no per-optimizer tuning, so the half-rate Adam isolates the step-size effect",
        ),
    ]
}

pub fn code_notes() -> Vec<CodeNote> {
    let c = CodeNote::new;
    vec![
        c(
            "shivram1987/diffGrad diffGrad.py (the file the README says the paper used)",
            NoteKind::Bug,
            "The previous gradient is stored by reference to p.grad.data, not copied. With PyTorch 1.x in-place zero_grad the stored tensor is the current gradient, so |g_prev − g| = 0 and ξ = 0.5 from step 2 on: the optimizer is Adam at half the step size (reported in issue #2; fixed by a copy in diffGrad_v2.py). With PyTorch ≥ 2.0 zero_grad(set_to_none=True) allocates a new tensor and the same file behaves correctly. Here: Friction::Aliased, column \"aliased g_prev\".",
            Provenance::Code,
        ),
        c(
            "shivram1987/diffGrad diffGrad.py line 100",
            NoteKind::Bug,
            "A %-comment makes the file a SyntaxError (issue #3).",
            Provenance::Readme,
        ),
        c(
            "shivram1987/diffGrad diffGrad_analytical.ipynb",
            NoteKind::Discrepancy,
            "For x > −0.9 the F2 gradient is coded as x cos 8x + sin 8x + 3x², which is not the derivative of x³ + x sin 8x (3x² + sin 8x + 8x cos 8x). Both are run here (D2).",
            Provenance::Code,
        ),
        c(
            "shivram1987/diffGrad notebooks",
            NoteKind::Note,
            "The notebook's Adam puts eps inside the root (m̂/√(v̂ + eps)), its diffGrad outside (ξ m̂/(√v̂ + eps)). Numerically irrelevant on F1–F3; what is not irrelevant is precision: on F2 the first step from x₀ = −1 lands within 1e-10 of the kink at −0.9, and float32 lands on the other side (D2-f32).",
            Provenance::Derived,
        ),
        c(
            "kozistr/pytorch_optimizer DiffGrad (7a076d2)",
            NoteKind::Bug,
            "With rectify=False (the default) the update applies the plain Adam momentum: no ξ, no √(1 − β2^t) factor, no weight decay; ξ is used only in the diffRGrad branch. Not used for golden values here (torch_optimizer.DiffGrad is, and matches every step to 2e-6).",
            Provenance::Code,
        ),
    ]
}
