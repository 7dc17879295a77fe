//! Reproduction of *Accelerating Sinkhorn Algorithm with Sparse Newton Iterations* (Tang et al.,
//! ICLR 2024): the random assignment problem of Table 1, at a size a 2-core CPU runs in under a
//! minute (`ci`) and at the paper's n = 500 (`full`).
//!
//! - [`method`]: SNS and log-domain Sinkhorn.
//! - [`experiment`]: instances and measurements.
//! - [`claims`]: decision rules, tables and figures.
//! - The chapter is `book/src/papers/sinkhorn-newton.md`.

pub mod claims;
pub mod experiment;
pub mod method;

use experiment::{InstanceRun, compare_with_pot, lap_cost, pot_fixture, run_instance, unit_checks};
use harness::{CodeNote, Ctx, Deviation, Meta, Paper, Provenance, Report, RunError, Scale, Tol};
use method::SnsConfig;

/// The sizes of a run.
#[derive(Clone, Debug)]
pub struct Plan {
    pub n: usize,
    pub seeds: u64,
    pub sinkhorn_cap: usize,
}

impl Plan {
    pub fn for_scale(scale: Scale) -> Self {
        match scale {
            Scale::Ci => Plan {
                n: 200,
                seeds: 3,
                sinkhorn_cap: 50_000,
            },
            Scale::Full => Plan {
                n: 500,
                seeds: 3,
                sinkhorn_cap: 200_000,
            },
        }
    }
}

/// The paper's `eta` (Table 1) and the card's second setting.
pub const ETA_MAIN: f64 = 1200.0;
pub const ETA_LOW: f64 = 300.0;

/// The value the runner lists.
pub static REPRODUCTION: Paper = Paper {
    meta: Meta {
        id: "sinkhorn-newton",
        short_name: "SNS",
        title: "Accelerating Sinkhorn Algorithm with Sparse Newton Iterations",
        authors: "X. Tang, M. Shavlovsky, H. Rahmanian, E. Tardini, K. K. Thekumparampil, T. Xiao, L. Ying",
        venue: "ICLR",
        year: 2024,
        arxiv: "2401.12253",
        official_code: "none found; a third-party Python version (F.-X. Dupé) has a sign error and is not used",
        crate_dir: env!("CARGO_MANIFEST_DIR"),
    },
    run,
};

fn run_eta(ctx: &Ctx, plan: &Plan, eta: f64, cfg: &SnsConfig) -> Vec<InstanceRun> {
    let stage = ctx.progress.stage(
        &format!(
            "η = {eta}: SNS and Sinkhorn (≤ {} iterations) on {} instances, n = {}",
            plan.sinkhorn_cap, plan.seeds, plan.n
        ),
        plan.seeds * (plan.sinkhorn_cap as u64 / 1000),
    );
    (0..plan.seeds)
        .map(|r| {
            let seed = ctx.seed(&format!("lap-eta{eta}"), r);
            run_instance(
                lap_cost(seed, plan.n),
                plan.n,
                eta,
                seed,
                cfg,
                plan.sinkhorn_cap,
                ctx.device.kind() == "cuda",
                || stage.inc(1),
            )
        })
        .collect()
}

/// Runs every experiment and records the report; the harness computes the verdicts.
fn run(ctx: &Ctx) -> Result<Report, RunError> {
    let plan = Plan::for_scale(ctx.scale);
    let cfg = SnsConfig::default();
    let mut report = Report::default();

    let main = run_eta(ctx, &plan, ETA_MAIN, &cfg);
    let low = run_eta(ctx, &plan, ETA_LOW, &cfg);
    let main_key = claims::record_eta(&mut report, &main);
    let low_key = claims::record_eta(&mut report, &low);

    // The card's CG cap of 200, on the first η = 1200 instance: an ablation, not a claim.
    let capped = SnsConfig {
        cg_max_iter: Some(200),
        ..cfg.clone()
    };
    let seed0 = ctx.seed(&format!("lap-eta{ETA_MAIN}"), 0);
    let ab = run_instance(
        lap_cost(seed0, plan.n),
        plan.n,
        ETA_MAIN,
        seed0,
        &capped,
        0,
        false,
        || {},
    );
    report.metric(
        "ablation.cg200.sns_iters",
        "SNS iterations with CG capped at 200",
        "",
        vec![ab.sns.total_iters() as f64],
        Tol::Close { rel: 0.0, abs: 1.0 },
    );
    report.metric(
        "ablation.cg200.final_error",
        "SNS final error with CG capped at 200",
        "",
        vec![ab.sns.final_error()],
        Tol::Close {
            rel: 0.5,
            abs: 2e-11,
        },
    );

    let fixture = pot_fixture().map_err(RunError)?;
    let inst = fixture
        .instances
        .first()
        .ok_or_else(|| RunError("the POT fixture has no instance".into()))?;
    let stage = ctx
        .progress
        .stage("SNS against POT and SciPy on the fixture instance", 1);
    match compare_with_pot(inst, &cfg) {
        Ok(c) => claims::record_pot(&mut report, &c, inst.pot_iterations),
        // Recorded as non-finite: the S3 verdict becomes "run failed" with this reason in the log.
        Err(e) => {
            eprintln!("sinkhorn-newton: POT comparison impossible: {e}");
            report.metric(
                "pot.plan_l1",
                "‖P_SNS − P_POT‖₁",
                "",
                vec![f64::NAN],
                Tol::Exact,
            );
        }
    }
    drop(stage);
    claims::record_unit(&mut report, &unit_checks(ctx.seed("unit", 0), 8, 20.0));

    claims::claims(&mut report, &main_key, &low_key, plan.n);
    report
        .tables
        .push(claims::paper_table(&main_key, &low_key, plan.n));
    report
        .figures
        .push(claims::convergence_figure(&main, &low, cfg.target));
    report.figures.push(claims::mass_figure(&main, &low));
    report.deviations = deviations(&plan, ctx.scale);
    report.code_notes = code_notes();
    Ok(report)
}

fn deviations(plan: &Plan, scale: Scale) -> Vec<Deviation> {
    let d = Deviation::new;
    vec![
        d(
            "problem size",
            "n = 500",
            &format!("n = {} at scale `{scale}`", plan.n),
            "`ci` must finish in a minute on 2 cores; `full` uses n = 500",
        ),
        d(
            "Sinkhorn iteration cap",
            "run to machine precision (56,199 iterations)",
            &format!(
                "{} iterations; counts at the cap are lower bounds",
                plan.sinkhorn_cap
            ),
            "plain Sinkhorn at η = 1200 converges slowly; a capped count still decides the ≥ 10× test",
        ),
        d(
            "stopping target",
            "machine precision",
            "‖P1 − r‖₁ + ‖Pᵀ1 − c‖₁ ≤ 1e-10",
            "the card's target; reachable in f64 for both methods",
        ),
        d(
            "CG iteration cap",
            "not stated",
            "10(n + m), i.e. CG reaches its 1e-12 relative tolerance",
            "changed after a first run: with the card's cap of 200, CG never reaches its tolerance and SNS stalls near 1e-7; that variant is reported as an ablation (metrics ablation.cg200.*)",
        ),
        d(
            "POT comparison",
            "—",
            "POT's plan is compared at η = 300 (fixture instance, n = 200)",
            "plain Sinkhorn, POT's included, does not reach 1e-10 at η = 1200 within 400k iterations even at n = 40 (measured while writing the fixture); at η = 1200 the exact optimum is the reference",
        ),
        d(
            "line search",
            "backtracking until f increases or Armijo holds",
            "Armijo (c = 1e-4, halving) on the exact increase of f computed without cancellation",
            "near convergence the increase of f is below the rounding error of f itself",
        ),
        d(
            "sparsity budget",
            "ρ keeps about λ(n + m)² entries",
            "ρ = the ⌈λ(n + m)²⌉-th largest |entry| of M counting the diagonal; the diagonal is always kept, with its full (unsparsified) values",
            "the paper's exact counting is an open question of the card",
        ),
        d(
            "cost law",
            "random assignment problem [unverified law]",
            "C_ij ~ U[0, 1) i.i.d., r = c = 1/n",
            "the card's assumption; not checked against the PDF",
        ),
        d(
            "hardware",
            "Apple M1 Pro, CPU",
            "this machine (see the run's header); times are not comparable",
            "wall times are reported, never compared across machines",
        ),
    ]
}

fn code_notes() -> Vec<CodeNote> {
    let note = |location: &str, kind: &str, finding: &str| {
        CodeNote::new(location, kind, finding, Provenance::Secondary)
    };
    vec![
        note(
            "no official repository",
            "note",
            "The authors published no code; every claim here is checked against our own implementation and POT/SciPy references.",
        ),
        note(
            "F.-X. Dupé, third-party SNS",
            "bug",
            "Builds the Hessian as +η[…] and solves H d = −∇f, which is a descent direction on the concave f; its line search then halves α towards 0 and the Newton stage makes no progress.",
        ),
        note(
            "F.-X. Dupé, third-party SNS",
            "discrepancy",
            "Keeps ρ(n + m) entries, fewer than the diagonal alone, and uses a dense lsq_linear solve instead of conjugate gradients.",
        ),
        note(
            "M. Thorre, third-party SNS in a graph-matching package",
            "note",
            "Uses scipy.sparse.linalg.cg; not reviewed.",
        ),
    ]
}
