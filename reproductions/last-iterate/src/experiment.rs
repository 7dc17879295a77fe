//! Monte Carlo estimates of the last-iterate gap `E f(x_{T+1}) − f*` over a range of horizons,
//! and of `E ||x_{T+1}||^2` on a quadratic against the exact recursion. Each run's stream is
//! derived from its setting, horizon and seed index, so the result does not depend on the
//! thread count. Typed [`Plan`] in, typed [`Results`] out; decides nothing.

use crate::method::{Noise, Problem, quadratic_second_moment, sgd};
use harness::grid::{Grid, run_grid};
use harness::rng::{Rng, derive_seed};
use harness::stats;
use harness::{Ctx, RunError};

/// L3's tail index of the Student-t noise and the moment order p < ν the rate uses.
pub const L3_NU: f64 = 1.6;
pub const L3_P: f64 = 1.5;

/// What is run (typed, so that a statement's settings come from here).
#[derive(Clone, Debug)]
pub struct Plan {
    /// Horizons T and runs per horizon of the gap curves.
    pub horizons: Vec<usize>,
    pub seeds: u64,
    /// The simulated settings (the arms of the grid): l1, l2, l3.
    pub settings: Vec<Setting>,
    /// The quadratic check: curvatures, noise, start, horizons and runs per horizon.
    pub quad_a: Vec<f64>,
    pub quad_sigma: f64,
    pub quad_x1: Vec<f64>,
    pub quad_horizons: Vec<usize>,
    pub quad_seeds: u64,
}

/// A step-size schedule: `eta(T, t)`, which may depend on the horizon `T`.
pub type Schedule = fn(usize, usize) -> f64;

/// One simulated setting: objective, noise, start and step-size schedule.
#[derive(Clone, Debug)]
pub struct Setting {
    /// Names the setting in seed derivation (so each setting has its own streams) and in the
    /// metric keys.
    pub label: &'static str,
    pub problem: Problem,
    pub noise: Noise,
    pub x1: Vec<f64>,
    pub schedule: Schedule,
}

fn eta_lipschitz(t_max: usize, _t: usize) -> f64 {
    1.0 / (t_max as f64).sqrt()
}
fn eta_strong(_t_max: usize, t: usize) -> f64 {
    1.0 / t as f64
}
fn eta_heavy(t_max: usize, _t: usize) -> f64 {
    // η = T^(−1/p), T^(−2/3) at p = 1.5 (the same double as −2/3).
    (t_max as f64).powf(-1.0 / L3_P)
}
/// The quadratic check's schedule `η_t = 0.5/√t`.
fn eta_quadratic(_t_max: usize, t: usize) -> f64 {
    0.5 / (t as f64).sqrt()
}

/// The card's three settings on `R^d` from `x₁ = (1, …, 1)`: Lipschitz convex with Gaussian
/// noise and `η = 1/√T` (l1), strongly convex with `η_t = 1/t` (l2), Lipschitz convex with
/// Student-t noise and `η = T^(−1/p)` (l3).
pub fn card_settings(d: usize) -> Vec<Setting> {
    let x1 = vec![1.0; d];
    let setting = |label, problem, noise, schedule| Setting {
        label,
        problem,
        noise,
        x1: x1.clone(),
        schedule,
    };
    let gauss = Noise::Gaussian { sigma: 1.0 };
    let heavy = Noise::StudentT { nu: L3_NU };
    vec![
        setting("l1", Problem::L1, gauss, eta_lipschitz),
        setting("l2", Problem::StronglyConvex, gauss, eta_strong),
        setting("l3", Problem::L1, heavy, eta_heavy),
    ]
}

/// The mean gap at each horizon with its standard error.
#[derive(Clone, Debug)]
pub struct GapCurve {
    pub horizons: Vec<usize>,
    pub mean: Vec<f64>,
    pub se: Vec<f64>,
}

/// One setting's curve and its fits.
#[derive(Clone, Debug)]
pub struct CurveResult {
    pub curve: GapCurve,
    /// Least-squares slope of log mean gap on log T, and its standard error.
    pub slope: f64,
    pub slope_se: f64,
    /// See [`normalised_growth`].
    pub normalised_growth: f64,
}

/// One horizon of the quadratic check.
#[derive(Clone, Copy, Debug)]
pub struct QuadraticPoint {
    /// Monte Carlo mean of `||x_{T+1}||^2`, its standard error, and the exact recursion.
    pub mc: f64,
    pub se: f64,
    pub exact: f64,
}

/// What was measured.
#[derive(Clone, Debug)]
pub struct Results {
    /// One per `plan.settings`, in order.
    pub curves: Vec<CurveResult>,
    /// One per `plan.quad_horizons`.
    pub quadratic: Vec<QuadraticPoint>,
}

/// Runs the gap grid and the quadratic check.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    let curves = gap_curves(ctx, plan)
        .into_iter()
        .map(|curve| {
            let (slope, slope_se) = loglog_slope(&curve);
            CurveResult {
                slope,
                slope_se,
                normalised_growth: normalised_growth(&curve),
                curve,
            }
        })
        .collect();
    Ok(Results {
        curves,
        quadratic: quadratic_check(ctx, plan),
    })
}

/// `E f(x_{T+1})` (f* = 0 for every problem here) per setting and horizon, `plan.seeds` runs
/// each. The run `r` of setting `s` at horizon `T` draws from
/// `derive_seed(ctx.seed(s.label, 0), s.label, "T{T}", r)`.
fn gap_curves(ctx: &Ctx, plan: &Plan) -> Vec<GapCurve> {
    let grid = Grid {
        arms: plan.settings.clone(),
        settings: plan.horizons.clone(),
        seeds: plan.seeds,
    };
    let what = format!(
        "{} settings x {} horizons x {} seeds",
        plan.settings.len(),
        plan.horizons.len(),
        plan.seeds
    );
    let base: Vec<u64> = plan.settings.iter().map(|s| ctx.seed(s.label, 0)).collect();
    let gaps = run_grid(ctx, &what, &grid, |cell| {
        let (setting, t_max) = (cell.arm, *cell.setting);
        let seed = derive_seed(
            base[cell.arm_index],
            setting.label,
            &format!("T{t_max}"),
            cell.seed_index,
        );
        let x = sgd(
            &setting.problem,
            setting.noise,
            &setting.x1,
            t_max,
            |t| (setting.schedule)(t_max, t),
            &mut Rng::new(seed),
        );
        setting.problem.value(&x)
    });
    (0..plan.settings.len())
        .map(|a| GapCurve {
            horizons: plan.horizons.clone(),
            mean: (0..plan.horizons.len())
                .map(|h| stats::mean(gaps.cell(a, h)))
                .collect(),
            se: (0..plan.horizons.len())
                .map(|h| stats::se(gaps.cell(a, h)))
                .collect(),
        })
        .collect()
}

/// Monte Carlo `E ||x_{T+1}||^2` of linear SGD on the plan's quadratic against the exact
/// recursion, per horizon. Run `r` at horizon `T` draws from
/// `derive_seed(ctx.seed("l4", 0), "quadratic", "T{T}", r)`.
fn quadratic_check(ctx: &Ctx, plan: &Plan) -> Vec<QuadraticPoint> {
    let problem = Problem::Quadratic(plan.quad_a.clone());
    let noise = Noise::Gaussian {
        sigma: plan.quad_sigma,
    };
    let schedule: Schedule = eta_quadratic;
    let base = ctx.seed("l4", 0);
    let grid = Grid {
        arms: vec!["quadratic"],
        settings: plan.quad_horizons.clone(),
        seeds: plan.quad_seeds,
    };
    let sq = run_grid(ctx, "quadratic check", &grid, |cell| {
        let t_max = *cell.setting;
        let seed = derive_seed(base, "quadratic", &format!("T{t_max}"), cell.seed_index);
        let x = sgd(
            &problem,
            noise,
            &plan.quad_x1,
            t_max,
            |t| schedule(t_max, t),
            &mut Rng::new(seed),
        );
        x.iter().map(|v| v * v).sum::<f64>()
    });
    plan.quad_horizons
        .iter()
        .enumerate()
        .map(|(h, &t_max)| QuadraticPoint {
            mc: stats::mean(sq.cell(0, h)),
            se: stats::se(sq.cell(0, h)),
            exact: quadratic_second_moment(
                &plan.quad_a,
                plan.quad_sigma,
                &plan.quad_x1,
                t_max,
                |t| schedule(t_max, t),
            ),
        })
        .collect()
}

/// Least-squares slope of `log(mean)` on `log T`, with its standard error.
pub fn loglog_slope(curve: &GapCurve) -> (f64, f64) {
    let x: Vec<f64> = curve.horizons.iter().map(|&t| (t as f64).ln()).collect();
    let y: Vec<f64> = curve.mean.iter().map(|m| m.ln()).collect();
    let (slope, _, se) = stats::linear_fit(&x, &y);
    (slope, se)
}

/// Fitted exponent of `gap sqrt(T) / log T` against `T`: about 0 when the rate is
/// `log T / sqrt(T)`, negative when it is faster, positive when the normalised gap grows.
pub fn normalised_growth(curve: &GapCurve) -> f64 {
    let x: Vec<f64> = curve.horizons.iter().map(|&t| (t as f64).ln()).collect();
    let y: Vec<f64> = curve
        .horizons
        .iter()
        .zip(&curve.mean)
        .map(|(&t, m)| (m * (t as f64).sqrt() / (t as f64).ln()).ln())
        .collect();
    stats::linear_fit(&x, &y).0
}
