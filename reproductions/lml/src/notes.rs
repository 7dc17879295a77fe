//! Deviations from the paper and findings in its official code.

use crate::experiment::Plan;
use harness::{CodeNote, Deviation, NoteKind, Provenance};

pub fn deviations(plan: &Plan) -> Vec<Deviation> {
    vec![
        Deviation::new(
            "model",
            "pretrained image diffusion models (CIFAR-10 DDPM, CelebA-HQ LDM, Stable Diffusion, FLUX)",
            &format!(
                "the exact ε-prediction of a {}-mode Gaussian mixture in d = {}",
                plan.modes, plan.dim
            ),
            "with exact scores only the sampler's discretisation error remains, so a gain can only come from the step itself; no pretrained network fits a 2-core CPU",
        ),
        Deviation::new(
            "metric",
            "FID on 50k images",
            "energy distance and sliced W2 to fresh exact samples",
            "both are computable exactly against the known data law; FID needs an Inception network and images",
        ),
        Deviation::new(
            "sampler",
            "DDIM-LM and DPM-Solver-LM at the README's λ",
            "DDIM-LM only (η = 0, leading timesteps, freeze = 0), (κ, λ) selected on separate seeds",
            "the card's corrections: a grid with κ = 0 cannot lose, and selecting and scoring on the same seeds flatters the best configuration; DPM-Solver-LM is left for a later version",
        ),
        Deviation::new(
            "NFE",
            "5 to 100 NFE",
            &format!(
                "M2 decided at NFE = {}; the figure adds {:?}",
                plan.nfe, plan.nfes
            ),
            "the card's correction: at NFE = 10 with exact scores DDIM is already near the floor in d = 16",
        ),
    ]
}

pub fn code_notes() -> Vec<CodeNote> {
    let repo = "zituitui/LML-diffusion-sampler scheduler/scheduling_ddim_lm.py";
    vec![
        CodeNote::new(
            &format!("{repo} line 458"),
            NoteKind::Discrepancy,
            "ḡ is κ times the raw previous ε plus (1 − κ) times the current one, not an exponential average of past LM directions; and every script defaults to κ = 0, with no README command setting it, which makes LML the identity (M1).",
            Provenance::Code,
        ),
        CodeNote::new(
            &format!("{repo} line 469"),
            NoteKind::Bug,
            "g − ḡ(ḡ·g)/(λ + ‖ḡ‖²) is formed and then rescaled: at κ = 0 it cancels catastrophically, with relative error about u·‖g‖²/λ. In f32 on a 3 × 32 × 32 input the resulting direction is rounding noise at the README's smallest λ (the f32 table), so an FID change at κ = 0 can come from rounding alone, and an f64 port does not reproduce it.",
            Provenance::Derived,
        ),
        CodeNote::new(
            &format!("{repo} line 491"),
            NoteKind::Bug,
            "the previous raw ε (`self.prev_noise`) is stored after every step and never reset by `set_timesteps`, while the scripts build one scheduler and reuse it across batches: with κ > 0 each later batch's first step mixes in the previous batch's last ε. Measured on the M4 fixture: a second pass of one scheduler object over the same inputs differs from the first (see the chapter).",
            Provenance::Code,
        ),
        CodeNote::new(
            "zituitui/LML-diffusion-sampler scripts/StableDiffusion_COCO.py line 50",
            NoteKind::Bug,
            "the dpm_lm branch (lines 50–55) sets lamb and lm but never kappa, so --kappa is ignored there.",
            Provenance::Code,
        ),
        CodeNote::new(
            "zituitui/LML-diffusion-sampler README.md",
            NoteKind::Note,
            "the FID evaluation code is marked \"Coming Soon\"; the paper's FID tables could not be re-derived from the repository.",
            Provenance::Readme,
        ),
    ]
}
