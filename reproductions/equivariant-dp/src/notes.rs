//! Deviations from the paper and findings in its official code (hlzl/equivariant @ 3dd7cd0, as
//! read for the card `papers/equivariant-dp.md`).

use crate::experiment::Plan;
use harness::{CodeNote, Deviation, NoteKind, Provenance};

pub fn deviations(plan: &Plan) -> Vec<Deviation> {
    vec![
        Deviation::new(
            "data",
            "CIFAR-10 (50k images, 32 × 32 × 3)",
            &format!(
                "procedural 16 × 16 glyphs, 6 classes, random D4 pose, ±2 px shift, N(0, 0.3²) noise; {} train / {} test",
                plan.n_train, plan.n_test
            ),
            "no network at run time; the glyphs make D4 a true symmetry of the labels, as the card's miniature specifies",
        ),
        Deviation::new(
            "models",
            "EquivariantResNet9 (GroupNorm, FourierELU, residual blocks, fields [6, 13, 27], last stage restricted) against WRN-16-4 results of De et al.",
            &format!(
                "three-layer CNNs without normalisation: A with {:?} channels, B with {:?} D4 regular fields (8 channels each), ReLU, 2 × 2 average pooling",
                plan.widths_a, plan.widths_b
            ),
            "GroupNorm's backward is not written yet; the same depth and layer types for both arms keep the comparison about weight tying",
        ),
        Deviation::new(
            "head",
            "2 × 2 average pool, flatten, linear (not D4-invariant as coded)",
            "mean over space and the 8 channels of each field, then linear: exactly invariant",
            "the card's miniature asks for invariant pooling; E4 tests it",
        ),
        Deviation::new(
            "training",
            "SGD lr 2, no momentum, B = 8192, augmentation multiplicity 4, parameter EMA 0.999, C = 2",
            &format!(
                "SGD lr {}, no momentum, Poisson q = {} (expected batch {}), C = {}, no augmentation, no EMA, {} steps",
                plan.lr,
                plan.q,
                (plan.q * plan.n_train as f64).round(),
                plan.clip,
                plan.steps
            ),
            "the card's miniature; EMA and augmentation multiplicity are left out to keep the step one fused privatisation",
        ),
        Deviation::new(
            "privacy",
            "ε = 8, δ = 1e-5",
            &format!(
                "ε = {}, δ = {}, σ from the same Opacus-style search",
                plan.epsilon, plan.delta
            ),
            "the card's miniature",
        ),
    ]
}

pub fn code_notes() -> Vec<CodeNote> {
    vec![
        CodeNote::new(
            "data/dataloader.py:264–266",
            NoteKind::Note,
            "the loader is wrapped in Opacus DPDataLoader.from_data_loader: Poisson sampling at q = 1/len(loader) = 1/6, six expected steps per epoch, 353 × 6 = 2118 steps",
            Provenance::Code,
        ),
        CodeNote::new(
            "train.py (get_noise_multiplier call)",
            NoteKind::Bug,
            "σ is searched with sample_rate = B/N = 8192/50000 = 0.16384 and epochs = 353, so the accountant assumes int(353/0.16384) = 2154 steps at q = 0.16384, not the 2118 steps at q = 1/6 that run; E5 measures the difference",
            Provenance::Code,
        ),
        CodeNote::new(
            "networks/equivariant_layers.py:198–202, 270",
            NoteKind::Discrepancy,
            "the head is a 2 × 2 average pool, Flatten and Linear (not a group-pooling invariant map), the activation is Mish and the pooling max pooling, unlike the paper's description",
            Provenance::Code,
        ),
        CodeNote::new(
            "networks/equivariant_resnet9.py:72–76",
            NoteKind::Note,
            "restrict = \"halved\": the last stage has int(64·√6/4) = 39 fields (312 channels before restriction, 156 after)",
            Provenance::Code,
        ),
    ]
}
