//! Deviations from the paper and what the official code does.

use harness::{CodeNote, Deviation, NoteKind, Provenance};

pub fn deviations() -> Vec<Deviation> {
    vec![
        Deviation::new(
            "scale",
            "CIFAR-10/100 (ResNet-18, WRN-28-10, PyramidNet) and ImageNet (ResNet-50, ViT)",
            "a 32 → H → H → 10 ReLU MLP on 4,000 Gaussian-cluster examples with 20 % symmetric label noise (H = 128 at ci, 256 at full), no augmentation",
            "a 2-core CPU; the card's miniature. Without augmentation SAF's past logits come from the same inputs, not from another augmentation of them",
        ),
        Deviation::new(
            "hyper-parameters",
            "λ = 0.3, τ = 5, E_start = 5, Ẽ = 2 (ImageNet); MESA decay 0.9998, λ = 0.8",
            "λ = 0.3, τ = 5, E_start = 5, Ẽ = 3; SAM ρ = 0.05; MESA decay 0.99, λ = 0.8; SGD lr 0.05, momentum 0.9, no schedule, no weight decay",
            "the card's miniature, fixed before running; MESA's decay is scaled to 60 short epochs",
        ),
        Deviation::new(
            "sharpness",
            "not transcribed (an open question on the card)",
            "λ_max of the full-batch training-loss Hessian by 20 power iterations on central-difference Hessian-vector products of dfdx gradients (ε = 0.01)",
            "dfdx has no second-order gradients; the products' error is measured against a dense Hessian (softmax regression) and by halving ε on the MLP",
        ),
        Deviation::new(
            "cost",
            "images per second on GPUs",
            "passes per step counted in the loop; wall time in a bench (interleaved medians)",
            "the card's correction: a wall-clock gate on a tiny model is not meaningful",
        ),
    ]
}

pub fn code_notes() -> Vec<CodeNote> {
    vec![
        CodeNote::new(
            "run.sh",
            NoteKind::Bug,
            "the SAF line calls SAF.py, which does not exist (the script is SAF_train.py)",
            Provenance::Code,
        ),
        CodeNote::new(
            "SAF_train.py --reinforce",
            NoteKind::Discrepancy,
            "λ defaults to 0.16 in the code, 0.3 in the README for SAF; MESA_train.py defaults to 0.3, run.sh passes 0.8. This reproduction uses the README's 0.3 and run.sh's 0.8",
            Provenance::Code,
        ),
        CodeNote::new(
            "SAF_train.py:717–721",
            NoteKind::Note,
            "with --model-ema (set in the ImageNet command) SAF also runs the EMA model forward on every batch and uses only its arg-max for logging: a wasted forward pass that SAF's cost does not need and this reproduction does not make",
            Provenance::Code,
        ),
        CodeNote::new(
            "SAF_train.py:736",
            NoteKind::Note,
            "the KL is taken on log(softmax(z/τ)) rather than log_softmax: exactly zero for identical logits, but in float32 the softmax underflows for logit gaps near 100 τ and the term becomes non-finite (the fixture's last case); this reproduction computes it in f64 from f32 logits",
            Provenance::Code,
        ),
        CodeNote::new(
            "train_logits",
            NoteKind::Note,
            "the logit buffer is a hard-coded 15,000,000 × 4 × 1000 float32 array (allocated lazily); here it is N × (Ẽ + 1) × C",
            Provenance::Code,
        ),
    ]
}
