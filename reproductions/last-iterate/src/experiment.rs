//! Monte Carlo estimates of the last-iterate gap `E f(x_{T+1}) − f*` over a range of horizons,
//! in parallel over seeds (each seed's stream is derived from its index, so the result does not
//! depend on the thread count).

use crate::method::{Noise, Problem, quadratic_second_moment, sgd};
use harness::rng::{Rng, derive_seed};
use harness::stats;
use rayon::prelude::*;

/// The mean gap at each horizon with its standard error.
#[derive(Clone, Debug)]
pub struct GapCurve {
    pub horizons: Vec<usize>,
    pub mean: Vec<f64>,
    pub se: Vec<f64>,
}

/// A step-size schedule: `eta(T, t)`, which may depend on the horizon `T`.
pub type Schedule = fn(usize, usize) -> f64;

/// One simulated setting: objective, noise, start and step-size schedule.
pub struct Setting<'a> {
    /// Names the setting in seed derivation (so each setting has its own streams).
    pub label: &'a str,
    pub problem: Problem,
    pub noise: Noise,
    pub x1: Vec<f64>,
    pub schedule: Schedule,
}

/// `E f(x_{T+1})` (f* = 0 for every problem here) for each horizon, `seeds` runs each;
/// `on_done` is called after each horizon (progress).
pub fn gap_curve(
    setting: &Setting,
    horizons: &[usize],
    seeds: u64,
    base_seed: u64,
    on_done: &(dyn Fn() + Sync),
) -> GapCurve {
    let mut mean = Vec::new();
    let mut se = Vec::new();
    for &t_max in horizons {
        let gaps: Vec<f64> = (0..seeds)
            .into_par_iter()
            .map(|r| {
                let mut rng = Rng::new(derive_seed(
                    base_seed,
                    setting.label,
                    &format!("T{t_max}"),
                    r,
                ));
                let x = sgd(
                    &setting.problem,
                    setting.noise,
                    &setting.x1,
                    t_max,
                    |t| (setting.schedule)(t_max, t),
                    &mut rng,
                );
                setting.problem.value(&x)
            })
            .collect();
        mean.push(stats::mean(&gaps));
        se.push(stats::se(&gaps));
        on_done();
    }
    GapCurve {
        horizons: horizons.to_vec(),
        mean,
        se,
    }
}

/// Monte Carlo `E ||x_{T+1}||^2` on a quadratic against the exact recursion: `(mc, se, exact)`
/// per horizon.
pub fn quadratic_check(
    a: &[f64],
    sigma: f64,
    x1: &[f64],
    horizons: &[usize],
    schedule: Schedule,
    seeds: u64,
    base_seed: u64,
) -> Vec<(f64, f64, f64)> {
    let problem = Problem::Quadratic(a.to_vec());
    horizons
        .iter()
        .map(|&t_max| {
            let sq: Vec<f64> = (0..seeds)
                .into_par_iter()
                .map(|r| {
                    let mut rng =
                        Rng::new(derive_seed(base_seed, "quadratic", &format!("T{t_max}"), r));
                    let x = sgd(
                        &problem,
                        Noise::Gaussian { sigma },
                        x1,
                        t_max,
                        |t| schedule(t_max, t),
                        &mut rng,
                    );
                    x.iter().map(|v| v * v).sum()
                })
                .collect();
            let exact = quadratic_second_moment(a, sigma, x1, t_max, |t| schedule(t_max, t));
            (stats::mean(&sq), stats::se(&sq), exact)
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
