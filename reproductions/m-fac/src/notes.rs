//! Deviations from the paper and findings in its official code (IST-DASLab/M-FAC @ 8116367).

use harness::{CodeNote, Deviation, NoteKind, Provenance};

pub fn deviations() -> Vec<Deviation> {
    vec![
        Deviation::new(
            "M1 oracle",
            "a dense d × d solve (the repository's HInvSlow)",
            "the m × m spectral form of F⁻¹ at λ = 1e-3; λ = 1e-5 reported, not checked",
            "the card's correction: at λ = 1e-5 a dense solve is itself only accurate to ~4e-10 (κ ≈ 4e6)",
        ),
        Deviation::new(
            "M2 scale",
            "m = 64, d up to 1e6 (the card's miniature); GPU kernels",
            "m = 16 at ci scale (32 at full), d from 1e6 up, f64 on 2 CPU cores, minimum of repeats",
            "the window must be out of the 105 MB last-level cache for the slope to be d's, and fit in memory",
        ),
        Deviation::new(
            "M3 model and data",
            "ResNet-50 / MobileNetV1 on ImageNet, gradual pruning with recomputations",
            "a 64-128-128-10 ReLU MLP on the 8×8 digits (scikit-learn's, vendored), trained 8 epochs with Adam, pruned once, no fine-tuning",
            "the card's miniature; one shot keeps the comparison about the Fisher approximation alone",
        ),
        Deviation::new(
            "M3 damping and score",
            "λ = 1e-5 (prundamp); accuracy",
            "λ = 0.1 × the Fisher's mean diagonal, chosen before running; test loss scored, accuracy reported",
            "the card's correction: with λ far above or below the Fisher every method degenerates; accuracy on 400 test examples is coarse",
        ),
        Deviation::new(
            "M3 gradients",
            "the pruner collects ngrads − 1 gradients (the last row stays zero)",
            "all m gradients",
            "the count the paper describes; M1's control measures what the missing one changes",
        ),
        Deviation::new(
            "M4",
            "CIFAR ResNets / BERT with m = 512–1024",
            "the M3 MLP from scratch, m = 32, learning-rate grids chosen before running",
            "exploratory, as the card says",
        ),
    ]
}

pub fn code_notes() -> Vec<CodeNote> {
    vec![
        CodeNote::new(
            "main_prun.py: MFACPruner.prune",
            NoteKind::Bug,
            "the loop breaks when (i + 1) % ngrads == 0 before storing gradient i, so only ngrads − 1 gradients are collected and the last row of the buffer stays zero",
            Provenance::Code,
        ),
        CodeNote::new(
            "main_prun.py: MFACPruner.prune",
            NoteKind::Note,
            "the OBS update sums single-weight corrections over the dropped set (interactions between dropped weights ignored); reproduced as is",
            Provenance::Code,
        ),
        CodeNote::new(
            "optim.py: HInvFastUpMulti",
            NoteKind::Bug,
            "an operator-precedence slip in the m ≤ 1024 check makes m > 1024 an error even without CUDA; the CUDA kernels also need m % 32 == 0",
            Provenance::Code,
        ),
        CodeNote::new(
            "optim.py: setup",
            NoteKind::Note,
            "torch.lu(pivot=False) is deprecated and not implemented on the CPU, and nn.parallel.parallel_apply fails on a CPU device: the published optimizer runs on a GPU only (the fixture script patches both)",
            Provenance::Derived,
        ),
        CodeNote::new(
            "optim.py: MFAC",
            NoteKind::Note,
            "the window is kept in f32; F⁻¹g subtracts terms ~1/λ = 1e5 times larger than the result, which cancels about four digits (kernels::optim::Mfac keeps it in f64)",
            Provenance::Derived,
        ),
    ]
}
