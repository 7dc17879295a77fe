//! Deviations from the paper and findings in its official code.

use crate::experiment::Plan;
use harness::{CodeNote, Deviation, NoteKind, Provenance};

pub fn deviations(plan: &Plan) -> Vec<Deviation> {
    vec![
        Deviation::new(
            "data and score",
            "MNIST, Fashion-MNIST, Kuzushiji-MNIST (and CIFAR-10 in v2) with a trained NCSN score network",
            &format!(
                "a {}-mode log-normal mixture in 2-D (log-space std {}) with its exact score for the samplers (G1, G2)",
                plan.means.len(),
                plan.std
            ),
            "with the exact score only the sampler's discretisation error remains; the card's miniature",
        ),
        Deviation::new(
            "metric",
            "FID and KID",
            "energy distance in log space to exact samples, against the floor of fresh exact samples",
            "computable exactly against the known law; the paper's FID numbers are not transcribed",
        ),
        Deviation::new(
            "time grid",
            "δ = 2e-4 (or 6.17e-4, 1.438e-4 after `update_configs`), L inner steps per level, annealing",
            "δ = 1/N and one step per level from τ = 1 to 0, started from the exact τ = 1 marginal",
            "the official grid covers only L·δ·N of the forward time (about 0.6, the card's correction), so its samplers do not end at τ = 0; a time-consistent grid isolates the update rule",
        ),
        Deviation::new(
            "network",
            "NCSN-deeper / conditional RefineNet on images",
            &format!(
                "a ReLU MLP {} × {} on (log x, τ) predicting s_H, trained with M-DSM by Adam for {} steps",
                plan.train.depth, plan.train.width, plan.train.steps
            ),
            "the card's G3; the network is kernels::nn::Mlp (its checked backward reused for the regression loss), not dfdx, to keep the CI build within budget",
        ),
        Deviation::new(
            "AUMS non-positive samples",
            "the official sampler keeps updating them",
            "a sample is frozen at its first non-positive value, counted in G2 and left out of G1's distance",
            "the exact score needs log x",
        ),
    ]
}

pub fn code_notes() -> Vec<CodeNote> {
    let repo = "Madhavaprasath23/Dale-Meets-Langevin";
    vec![
        CodeNote::new(
            &format!("{repo} mnist_exps/train_end_to_end.py"),
            NoteKind::Bug,
            "noising uses τ = t·δ but the loss is called as new_loss(t + 1): the loss believes one step more noise than was added. G4 measures what it does to the DSM − ESM identity in the lowest τ bin.",
            Provenance::Code,
        ),
        CodeNote::new(
            &format!("{repo} main CLI and NCSNDEEPER/mnist.py"),
            NoteKind::Bug,
            "main.py passes 'adls'/'aums', which match neither sampler branch ('dls'/'ums'), so sampling raises UnboundLocalError; update_configs overwrites the sampler defaults (AUMS δ = 1.438e-4, L = 4, anneal 0.995; ADLS δ = 6.17e-4, L = 1).",
            Provenance::Code,
        ),
        CodeNote::new(
            &format!("{repo} gbm_configs/cond_ref_net/mnist.py"),
            NoteKind::Bug,
            "the conditional RefineNet training config does not run as committed (typo `ml_collecions`, the dataset assigned to `.transforms`, train_dataset and config_path never set; a missing cond_refinenet_dilated import).",
            Provenance::Code,
        ),
    ]
}
