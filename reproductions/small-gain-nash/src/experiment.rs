//! Simulations of gradient play `x_{k+1} = x_k − h H x_k` (Euler) on the certified games, and
//! the certificate's quantities over the plan's couplings. Typed [`Plan`] in, typed [`Results`]
//! out; decides nothing.

use crate::method::*;
use harness::rng::Rng;
use harness::{Ctx, RunError};
use nalgebra::DVector;

/// What is run (typed, so that a statement's settings come from here).
#[derive(Clone, Debug)]
pub struct Plan {
    /// The games' coupling scales `a`, `b` (official code: 10 and 0.05).
    pub a: f64,
    pub b: f64,
    /// Block size of the LQ game (d = 64 in total), as in `LQ_GAMES/config.py`.
    pub lq_block: usize,
    /// N1: the couplings λ of the phase diagram, and the open range of the soundness sweep.
    pub lambdas: Vec<f64>,
    pub n1_range: (f64, f64),
    /// N2: step sizes as fractions of h_SGN, random starts, Euler steps per start.
    pub n2_fractions: [f64; 3],
    pub n2_starts: usize,
    pub n2_steps: usize,
    /// N4: the couplings beyond √2, and the Euler step and steps of the divergence run.
    pub n4_lambdas: [f64; 3],
    pub n4_step: f64,
    pub n4_steps: usize,
    /// N5: the official escape-versus-trap settings: weight ratio, Euler step, steps.
    pub n5_weight: f64,
    pub n5_step: f64,
    pub n5_steps: usize,
    /// The start of the N4 and N5 trajectories.
    pub start: [f64; 2],
}

/// Norm histories of one Euler trajectory, each divided by its initial value.
#[derive(Clone, Debug)]
pub struct Trajectory {
    pub euclid: Vec<f64>,
    pub m: Vec<f64>,
}

/// One λ of the phase diagram.
#[derive(Clone, Debug)]
pub struct PhaseRow {
    pub lambda: f64,
    pub gamma: f64,
    pub alpha: f64,
    pub alpha_true: f64,
}

/// N2 and N3 on the LQ game at λ = 1.
#[derive(Clone, Debug)]
pub struct LqSteps {
    /// Certified Euler step, and max over steps of (M-norm step ratio) / its bound.
    pub h_sgn: f64,
    pub worst_ratio_over_bound: f64,
    /// True Euler and RK4 stability thresholds.
    pub h_true: f64,
    pub h_rk4_true: f64,
    /// α* and β of the RK4 weight choice.
    pub alpha4: f64,
    pub beta4: f64,
}

/// What was measured.
#[derive(Clone, Debug)]
pub struct Results {
    /// The phase diagram over `plan.lambdas`, on the mini-toy and on the LQ game.
    pub phase_toy: Vec<PhaseRow>,
    pub phase_lq: Vec<PhaseRow>,
    pub lq: LqSteps,
    /// N4, per `plan.n4_lambdas`: best α* over the weight grid, log10 of the norm's growth.
    pub n4_best_alpha: Vec<f64>,
    pub n4_log10_growth: Vec<f64>,
    /// N5: the escape-versus-trap trajectory on the mini-toy at λ = 1.
    pub escape: Trajectory,
    /// N6: the mini-toy's quantities in the order of `claims::GOLDEN`.
    pub golden: [f64; 8],
}

/// Runs every measurement of the plan. One generator, seeded by `lq-orthogonal`, draws the LQ
/// game's rotation and then N2's random starts.
pub fn run(ctx: &Ctx, plan: &Plan) -> Result<Results, RunError> {
    let mut rng = Rng::new(ctx.seed("lq-orthogonal", 0));
    let rot = random_orthogonal(plan.lq_block, &mut rng);
    let stage = ctx.progress.stage(
        "phase diagram over λ (mini-toy and LQ game)",
        plan.lambdas.len() as u64,
    );
    let (mut phase_toy, mut phase_lq) = (Vec::new(), Vec::new());
    for &lam in &plan.lambdas {
        phase_toy.push(phase_row(&mini_toy(lam, plan.a, plan.b), lam));
        phase_lq.push(phase_row(&lq_game(lam, plan.a, plan.b, &rot), lam));
        stage.inc(1);
    }
    drop(stage);
    let lq = lq_steps(plan, &lq_game(1.0, plan.a, plan.b, &rot), &mut rng);
    let (mut n4_best_alpha, mut n4_log10_growth) = (Vec::new(), Vec::new());
    for lam in plan.n4_lambdas {
        let toy = mini_toy(lam, plan.a, plan.b);
        n4_best_alpha.push(search_weights(&toy, Integrator::Euler).1);
        let start = DVector::from_vec(plan.start.to_vec());
        let t = euler(&toy, 1.0, plan.n4_step, &start, plan.n4_steps);
        n4_log10_growth.push(t.euclid.last().copied().unwrap_or(f64::NAN).log10());
    }
    let toy = mini_toy(1.0, plan.a, plan.b);
    let start = DVector::from_vec(plan.start.to_vec());
    let escape = euler(&toy, plan.n5_weight, plan.n5_step, &start, plan.n5_steps);
    Ok(Results {
        phase_toy,
        phase_lq,
        lq,
        n4_best_alpha,
        n4_log10_growth,
        escape,
        golden: golden_quantities(plan, &toy),
    })
}

/// γ, the searched α* and the true margin at those weights.
fn phase_row(game: &Game, lambda: f64) -> PhaseRow {
    let (r, alpha, _) = search_weights(game, Integrator::Euler);
    PhaseRow {
        lambda,
        gamma: euclidean_gamma(game),
        alpha,
        alpha_true: true_margin(game, r),
    }
}

/// N2's contraction ratios (random starts from `rng`) and N3's step thresholds.
fn lq_steps(plan: &Plan, lq: &Game, rng: &mut Rng) -> LqSteps {
    let (r, alpha, beta) = search_weights(lq, Integrator::Euler);
    let h_sgn = euler_step_bound(alpha, beta);
    let mut worst: f64 = 0.0;
    for frac in plan.n2_fractions {
        let h = frac * h_sgn;
        let ratio = worst_step_ratio(lq, r, h, plan.n2_starts, plan.n2_steps, rng);
        worst = worst.max(ratio / euler_factor(alpha, beta, h));
    }
    let h_true = true_step_threshold(lq, Integrator::Euler);
    let (_, alpha4, beta4) = search_weights(lq, Integrator::Rk4);
    let h_rk4_true = true_step_threshold(lq, Integrator::Rk4);
    LqSteps {
        h_sgn,
        worst_ratio_over_bound: worst,
        h_true,
        h_rk4_true,
        alpha4,
        beta4,
    }
}

/// The mini-toy's Euclidean and SGN thresholds in λ, and at λ = 1 (`toy`) α*, β, h_SGN and the
/// true Euler threshold at the balanced ratio a/b, and the timescale band.
fn golden_quantities(plan: &Plan, toy: &Game) -> [f64; 8] {
    let (a, b) = (plan.a, plan.b);
    let (band_lo, band_hi) = timescale_band(toy, 0.0).unwrap_or((f64::NAN, f64::NAN));
    let alpha_bal = sgn_margin(toy, a / b);
    let beta_bal = lipschitz_m(toy, a / b);
    [
        2.0 / (a + b),
        sgn_threshold(a, b),
        alpha_bal,
        beta_bal,
        euler_step_bound(alpha_bal, beta_bal),
        true_step_threshold(toy, Integrator::Euler),
        band_lo,
        band_hi,
    ]
}

/// The largest λ with a positive SGN margin on the mini-toy (over the closed-form best ratio),
/// by bisection: the card's √2.
fn sgn_threshold(a: f64, b: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 3.0);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if sgn_margin(&mini_toy(mid, a, b), a / b) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Runs `steps` Euler steps from `x0`, recording the Euclidean and `M` norms (weights `(1, r)`).
pub fn euler(g: &Game, r: f64, h: f64, x0: &DVector<f64>, steps: usize) -> Trajectory {
    let (e0, m0) = (x0.norm(), m_norm(x0, g.dims, r));
    let mut x = x0.clone();
    let mut euclid = vec![1.0];
    let mut m = vec![1.0];
    for _ in 0..steps {
        x = &x - (&g.h * &x) * h;
        euclid.push(x.norm() / e0);
        m.push(m_norm(&x, g.dims, r) / m0);
    }
    Trajectory { euclid, m }
}

/// The largest one-step ratio `‖x_{k+1}‖_M / ‖x_k‖_M` over `inits` random starts.
pub fn worst_step_ratio(
    g: &Game,
    r: f64,
    h: f64,
    inits: usize,
    steps: usize,
    rng: &mut Rng,
) -> f64 {
    let n = g.h.nrows();
    let mut worst: f64 = 0.0;
    for _ in 0..inits {
        let x0 = DVector::from_fn(n, |_, _| rng.normal());
        let t = euler(g, r, h, &x0, steps);
        for w in t.m.windows(2) {
            if w[0] > 1e-250 {
                worst = worst.max(w[1] / w[0]);
            }
        }
    }
    worst
}
