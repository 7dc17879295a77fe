//! Reproduction of *No More Adam: Learning Rate Scaling at Initialization is All You Need*
//! (Xu et al., arXiv 2412.11768): SGD-SaI against AdamW and momentum SGD on a tiny transformer,
//! the stability of per-tensor g-SNR over training, the √(N − 1) ablation, and the optimizer-state
//! memory, counted exactly and recomputed at the paper's scales.
//!
//! The five rooms:
//! - [`method`]: the Markov-chain task, the optimizers and one training run;
//! - [`experiment`]: the task's reference losses and the grid of optimizers × (learning rate,
//!   weight decay) × seeds: a typed [`experiment::Plan`] in, typed [`experiment::Results`] out;
//! - [`claims`]: decision rules, the metrics recorded from the results, the claims;
//! - [`presentation`]: tables and figures;
//! - [`notes`]: deviations and code notes.

pub mod claims;
pub mod experiment;
pub mod method;
pub mod notes;
pub mod presentation;

use harness::{Ctx, Meta, Paper, Report, RunError, Scale};
use kernels::nn::TransformerConfig;

pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "sgd-sai",
        short_name: "SGD-SaI",
        title: "No More Adam: Learning Rate Scaling at Initialization is All You Need",
        authors: "M. Xu, L. Xiang, X. Cai, H. Wen",
        venue: "arXiv",
        year: 2024,
        arxiv: "2412.11768",
        official_code: "https://github.com/AnonymousAlethiometer/SGD_SaI (e213080; PyPI sgd-sai 1.0.3)",
        bottom_line: "At `ci` scale the g-SNR is stable and the optimizer state is as small as stated, and SGD-SaI beats momentum SGD on the tiny transformer but not AdamW (S2's falsifier fired) and is not flatter over the learning-rate grid; the `full`-scale task was not learned, so the trained-model claims are inconclusive there.",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

/// The model and training length per scale, and the number of seeds.
pub fn plan(scale: Scale) -> experiment::Plan {
    match scale {
        Scale::Ci => experiment::Plan {
            train: method::TrainPlan {
                model: TransformerConfig {
                    vocab: 16,
                    seq: 16,
                    d_model: 32,
                    heads: 2,
                    layers: 2,
                },
                steps: 200,
                batch: 16,
                val_batch: 64,
                snr_every: 20,
            },
            seeds: 3,
        },
        Scale::Full => experiment::Plan {
            train: method::TrainPlan {
                model: TransformerConfig {
                    vocab: 64,
                    seq: 32,
                    d_model: 64,
                    heads: 4,
                    layers: 2,
                },
                steps: 500,
                batch: 16,
                val_batch: 128,
                snr_every: 50,
            },
            seeds: 3,
        },
    }
}

/// Plan → results → metrics and claims → tables and figures → notes.
fn run(ctx: &Ctx) -> Result<Report, RunError> {
    let plan = plan(ctx.scale);
    let results = experiment::run(ctx, &plan)?;
    let mut report = Report::default();
    claims::record(&mut report, &plan, &results);
    claims::claims(&mut report, &plan);
    presentation::tables(&mut report);
    presentation::figures(&mut report, &plan, &results);
    report.deviations = notes::deviations(&plan.train, plan.seeds);
    report.code_notes = notes::code_notes();
    Ok(report)
}
