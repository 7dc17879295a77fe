//! The experiment: the SPDNet runs (BiMap frozen at its random orthonormal initialisation, as in
//! the official SPDNet/MAMEM experiment, or trained in the G3-bimap setting; a normalisation;
//! ReEig; LogEig; a trained linear classifier) over settings × variants × κ × seeds, the geometry
//! checks of G1, the whole layer's gradient check and the normalisation check of G2. Returns
//! measurements; decides nothing.
//!
//! This file holds the plan, the results and the grid; one training run ([`train`]) is in
//! `experiment/training.rs`, the deterministic checks of G1 and G2 ([`geometry_checks`],
//! [`layer_gradient_check`], [`normalisation_check`]) in `experiment/checks.rs`.

mod checks;
mod training;

pub use checks::{geometry_checks, layer_gradient_check, normalisation_check};
pub use training::{draws, train};

use crate::method::{Design, Variant};
use harness::grid::{Grid, GridResults, run_grid};
use harness::{Ctx, RunError};

/// ReEig's threshold.
const REEIG: f64 = 1e-4;

/// G2: the condition number of the normalisation check.
pub const G2_KAPPA: f64 = 1e5;
/// G2: the barycenter iterations of its converged mean.
pub const G2_ITERATIONS: usize = 20;

/// The normalisations compared, in the order of every table and of the grid.
pub const VARIANTS: [Variant; 6] = [
    Variant::None,
    Variant::Airm,
    Variant::Bw {
        theta: 1.0,
        learn_m: false,
    },
    Variant::Bw {
        theta: 1.0,
        learn_m: true,
    },
    Variant::Bw {
        theta: 0.5,
        learn_m: false,
    },
    Variant::Bw {
        theta: 0.5,
        learn_m: true,
    },
];

/// The variants run with BiMap trained (shared design): none, AIRM-RBN, BW-RBN at θ = 1 and 0.5.
pub const BIMAP_VARIANTS: [Variant; 4] = [VARIANTS[0], VARIANTS[1], VARIANTS[2], VARIANTS[4]];

/// One design of the SPDNet runs: the data, whether BiMap is trained, the prefix of its metric
/// keys and the variants it runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Setting {
    pub design: Design,
    pub train_bimap: bool,
    pub prefix: &'static str,
    pub variants: &'static [Variant],
}

/// The card's design (separate class means), BiMap frozen.
pub const CARD: Setting = Setting {
    design: Design::Separate,
    train_bimap: false,
    prefix: "",
    variants: &VARIANTS,
};
/// The shared design (one eigenbasis and spectrum), BiMap frozen.
pub const SHARED: Setting = Setting {
    design: Design::Shared,
    train_bimap: false,
    prefix: "hard.",
    variants: &VARIANTS,
};
/// The shared design with BiMap trained by the official Stiefel step.
pub const BIMAP: Setting = Setting {
    design: Design::Shared,
    train_bimap: true,
    prefix: "bimap.",
    variants: &BIMAP_VARIANTS,
};
/// Every setting, in the order of the grid and of the report.
pub const SETTINGS: [Setting; 3] = [CARD, SHARED, BIMAP];

/// What is run, fixed before running.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Condition numbers κ of the class means.
    pub kappas: Vec<f64>,
    /// Repeats of each (setting, variant, κ).
    pub seeds: u64,
    /// Sizes and training length of every SPDNet run.
    pub training: Training,
}

/// Sizes and training length of one SPDNet run, fixed before running.
#[derive(Clone, Copy, Debug)]
pub struct Training {
    pub n: usize,
    pub m: usize,
    pub classes: usize,
    pub train_per_class: usize,
    pub test_per_class: usize,
    pub epochs: usize,
    pub batch: usize,
    pub lr: f32,
}

/// Final-epoch mean training loss and test accuracy of one variant at condition number κ.
/// A run whose loss or normalisation parameters stop being finite ends there and counts as a
/// uniform predictor (chance accuracy, loss ln(classes)), with the reason in `diverged`.
#[derive(Clone, Debug)]
pub struct Run {
    pub train_loss: f64,
    pub accuracy: f64,
    pub diverged: Option<String>,
    /// The learned parameters at the end: shift s, and the AIRM distances from I of M and B.
    pub shift: f64,
    pub metric_distance: f64,
    pub bias_distance: f64,
}

/// G1's deterministic checks (relative errors; see [`geometry_checks`]).
#[derive(Clone, Copy, Debug)]
pub struct Geometry {
    /// g_P(V, V) against g_I(TV, TV).
    pub isometry: f64,
    /// Exp_P(Log_P X) against X.
    pub exp_log: f64,
    /// The Daleckii–Krein backward against central differences.
    pub dk: f64,
    /// One barycenter iteration against pyRiemann.
    pub barycenter: f64,
}

/// G2's normalisation check on one batch (see [`normalisation_check`]).
#[derive(Clone, Copy, Debug)]
pub struct Normalisation {
    /// d_BW(mean of outputs, I) / d_BW(mean of inputs, I).
    pub ratio: f64,
    /// The batch dispersion about the identity (what the official code uses).
    pub about_identity: f64,
    /// The batch dispersion about the batch mean.
    pub about_mean: f64,
}

/// One arm of the SPDNet grid: a variant in a setting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arm {
    pub setting: Setting,
    pub variant: Variant,
}

/// Everything measured.
#[derive(Clone, Debug)]
pub struct Results {
    pub geometry: Geometry,
    /// The whole layer's backward against central differences (largest relative error).
    pub layer_backward: f64,
    /// G2 with the converged batch mean.
    pub converged: Normalisation,
    /// G2 with the official single barycenter iteration.
    pub official: Normalisation,
    /// The arms of `runs`, settings outermost.
    pub arms: Vec<Arm>,
    /// One [`Run`] per (arm, κ index, seed).
    pub runs: GridResults<Run>,
}

impl Results {
    /// The per-seed runs of `variant` in `setting` at κ index `ki`.
    pub fn runs(&self, setting: &Setting, variant: Variant, ki: usize) -> &[Run] {
        let arm = self
            .arms
            .iter()
            .position(|a| a.setting == *setting && a.variant == variant)
            .expect("an arm of the grid");
        self.runs.cell(arm, ki)
    }

    /// `f` of every seed's run of `variant` in `setting` at κ index `ki`.
    pub fn per_seed(
        &self,
        setting: &Setting,
        variant: Variant,
        ki: usize,
        f: impl Fn(&Run) -> f64,
    ) -> Vec<f64> {
        self.runs(setting, variant, ki).iter().map(f).collect()
    }

    /// How many runs of `variant` diverged, over every setting, κ and seed.
    pub fn diverged(&self, variant: Variant) -> usize {
        self.runs
            .cells()
            .filter(|(a, _, _)| self.arms[*a].variant == variant)
            .map(|(_, _, rs)| rs.iter().filter(|r| r.diverged.is_some()).count())
            .sum()
    }
}

/// Runs the checks and the grid.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    let geometry = geometry_checks(ctx.seed("g1", 0));
    let layer_backward = layer_gradient_check(ctx.seed("g1", 1));
    let check_seed = ctx.seed("g2", 0);
    let converged = normalisation_check(G2_KAPPA, &plan.training, G2_ITERATIONS, check_seed);
    let official = normalisation_check(G2_KAPPA, &plan.training, 1, check_seed);
    let arms: Vec<Arm> = SETTINGS
        .iter()
        .flat_map(|s| {
            s.variants.iter().map(|&variant| Arm {
                setting: *s,
                variant,
            })
        })
        .collect();
    let grid = Grid {
        arms: arms.clone(),
        settings: plan.kappas.clone(),
        seeds: plan.seeds,
    };
    let runs = run_grid(ctx, "SPDNet", &grid, |cell| {
        // The same seed per (κ, repeat) for every variant: paired comparisons.
        train(
            cell.arm.variant,
            *cell.setting,
            cell.arm.setting.design,
            &plan.training,
            cell.arm.setting.train_bimap,
            ctx.seed(&format!("kappa{}", cell.setting_index), cell.seed_index),
        )
    });
    for r in runs.all() {
        if let Some(why) = &r.diverged {
            eprintln!("warning: {why}; the run counts as a uniform predictor");
        }
    }
    Ok(Results {
        geometry,
        layer_backward,
        converged,
        official,
        arms,
        runs,
    })
}
