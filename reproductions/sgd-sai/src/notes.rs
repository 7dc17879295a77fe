//! Deviations from the paper and findings in its official code.

use harness::{CodeNote, Deviation, NoteKind, Provenance};

pub fn deviations(plan: &crate::method::TrainPlan, seeds: u64) -> Vec<Deviation> {
    let d = Deviation::new;
    let m = plan.model;
    vec![
        d(
            "task and model",
            "ViT-S/16 on ImageNet-1K; GPT-2 pretraining; LoRA fine-tuning",
            &format!(
                "decoder-only transformer ({} layers, d = {}, {} heads, sequence {}, vocabulary {}) on next-token prediction of a random order-2 Markov chain, {} steps of batch {}, {} seeds",
                m.layers, m.d_model, m.heads, m.seq, m.vocab, plan.steps, plan.batch, seeds
            ),
            "the card's miniature: a transformer (attention, layer norm, embeddings of very different sizes) where the Adam–SGD gap is known to be large, small enough for CI",
        ),
        d(
            "learning-rate convention",
            "Algorithm 1 divides each g-SNR by the largest over blocks",
            "the official code's convention (no division); SGD-SaI and SGDM share one grid",
            "the two conventions differ by one global constant; the shared grid must be stated in one of them",
        ),
        d(
            "grids",
            "not transcribed",
            "SGD variants 3e-4 … 3 (decades), AdamW 1e-4 … 1e-2, weight decay {0, 1e-2}, constant learning rate, no warm-up",
            "fixed before running; diverged runs count as the uniform prediction's loss",
        ),
        d(
            "memory at scale",
            "5.93 GB and 25.15 GB",
            "4 bytes × P in GiB, P from public model cards [secondary]",
            "the paper's accounting is not transcribed",
        ),
    ]
}

pub fn code_notes() -> Vec<CodeNote> {
    let c = CodeNote::new;
    vec![
        c(
            "AnonymousAlethiometer/SGD_SaI sgd_sai/sgd_sai.py (1.0.3)",
            NoteKind::Discrepancy,
            "No max-normalisation: Algorithm 1 line 14 divides each g-SNR by the maximum over blocks, the code does not. Equivalent up to one global learning-rate factor fixed at initialisation, but the default lr = 1e-2 means different things in the two.",
            Provenance::Code,
        ),
        c(
            "AnonymousAlethiometer/SGD_SaI sgd_sai/sgd_sai.py",
            NoteKind::Bug,
            "One-element tensors: std() is NaN, replaced by 0, so the scale is |g|/1e-8, a ~1e8 learning-rate multiplier (kernels::optim::gsnr keeps this behaviour and a unit test pins it).",
            Provenance::Code,
        ),
        c(
            "AnonymousAlethiometer/SGD_SaI sgd_sai/sgd_sai.py",
            NoteKind::Bug,
            "momentum = 0 reaches an undefined buffer (NameError); kernels::optim::SgdSai refuses momentum 0 with a message.",
            Provenance::Code,
        ),
        c(
            "AnonymousAlethiometer/SGD_SaI sgd_sai/sgd_sai.py",
            NoteKind::Note,
            "The first momentum buffer is a copy of the gradient (no (1 − μ) factor); later steps are an EMA. Matched step by step by the golden fixture.",
            Provenance::Code,
        ),
        c(
            "kozistr/pytorch_optimizer SGDSaI (7a076d2)",
            NoteKind::Bug,
            "Zero-initialised buffer, so the first step is 10× smaller at μ = 0.9; σ only for tensors with ndim > 1 and size(0) ≠ 1, so biases and layer norms get a very different scale. Not used for golden values.",
            Provenance::Code,
        ),
    ]
}
