//! Log-domain Sinkhorn on a dense problem: half-steps that return the pre-update marginals (free
//! stopping tests), the plan, marginals and the dual potential. Long because the CPU reference
//! and its tests sit together.

use rayon::prelude::*;

/// A dense entropic OT problem in the log domain: cost (row-major and transposed, so that
/// both half-steps stream memory contiguously), log-marginals and `eta`.
#[derive(Clone, Debug)]
pub struct LogSinkhorn {
    n: usize,
    m: usize,
    cost: Vec<f64>,
    cost_t: Vec<f64>,
    r: Vec<f64>,
    c: Vec<f64>,
    log_r: Vec<f64>,
    log_c: Vec<f64>,
    eta: f64,
}

/// Row and column sums of a plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Marginals {
    pub rows: Vec<f64>,
    pub cols: Vec<f64>,
}

/// Rows handled by one rayon task: large enough to amortise scheduling, small enough to
/// balance two to sixteen cores at n = 200..2000.
const ROWS_PER_TASK: usize = 8;

/// Exponents below this are dropped from log-sum-exp sums (see [`row_lse`]).
pub const LSE_CUTOFF: f64 = -60.0;

/// `log(sum_j exp(eta * (pot_j - cost_j)))` for one row, computed as max + log-sum of shifted
/// exponentials so that nothing overflows or underflows to a wrong answer.
#[inline]
fn row_lse(cost_row: &[f64], pot: &[f64], eta: f64) -> f64 {
    let mut max = f64::NEG_INFINITY;
    for (&cij, &pj) in cost_row.iter().zip(pot) {
        max = max.max(pj - cij);
    }
    // The largest term is exp(0) = 1, so a term below e^-60 (1e-26) is far below the sum's last
    // bit even summed over a million entries: skipping it changes nothing, and avoids both the
    // exponential and the very slow subnormal arithmetic that large `eta` would otherwise hit.
    let mut sum = 0.0;
    for (&cij, &pj) in cost_row.iter().zip(pot) {
        let t = eta * (pj - cij - max);
        if t > LSE_CUTOFF {
            sum += t.exp();
        }
    }
    eta * max + sum.ln()
}

impl LogSinkhorn {
    /// A problem with `n x m` cost `cost` (row-major) and positive marginals `r`, `c` of equal mass.
    ///
    /// # Panics
    /// If the sizes disagree, a marginal is not positive, or `eta` is not positive and finite.
    pub fn new(cost: Vec<f64>, n: usize, m: usize, r: Vec<f64>, c: Vec<f64>, eta: f64) -> Self {
        assert_eq!(cost.len(), n * m, "cost must be n x m");
        assert_eq!(r.len(), n, "r must have n entries");
        assert_eq!(c.len(), m, "c must have m entries");
        assert!(
            r.iter().chain(&c).all(|&v| v > 0.0),
            "marginals must be positive"
        );
        assert!(
            eta.is_finite() && eta > 0.0,
            "eta must be positive and finite"
        );
        let mut cost_t = vec![0.0; n * m];
        for i in 0..n {
            for j in 0..m {
                cost_t[j * n + i] = cost[i * m + j];
            }
        }
        let log_r = r.iter().map(|v| v.ln()).collect();
        let log_c = c.iter().map(|v| v.ln()).collect();
        Self {
            n,
            m,
            cost,
            cost_t,
            r,
            c,
            log_r,
            log_c,
            eta,
        }
    }

    /// Uniform marginals `1/n`, `1/m`.
    pub fn uniform(cost: Vec<f64>, n: usize, m: usize, eta: f64) -> Self {
        Self::new(
            cost,
            n,
            m,
            vec![1.0 / n as f64; n],
            vec![1.0 / m as f64; m],
            eta,
        )
    }

    pub fn n(&self) -> usize {
        self.n
    }
    pub fn m(&self) -> usize {
        self.m
    }
    pub fn eta(&self) -> f64 {
        self.eta
    }
    pub fn cost(&self) -> &[f64] {
        &self.cost
    }
    pub fn cost_t(&self) -> &[f64] {
        &self.cost_t
    }
    pub fn r(&self) -> &[f64] {
        &self.r
    }
    pub fn c(&self) -> &[f64] {
        &self.c
    }
    pub fn log_r(&self) -> &[f64] {
        &self.log_r
    }
    pub fn log_c(&self) -> &[f64] {
        &self.log_c
    }

    /// Row half-step: the exact maximiser of `f` over `x` for fixed `y`,
    /// `x_i = (log r_i + 1 - LSE_j(eta (y_j - C_ij))) / eta`.
    ///
    /// Returns the row sums of the plan *before* the update, `exp(eta x_i - 1 + LSE_i)`,
    /// which the row update computes anyway: Sinkhorn's stopping test costs nothing extra.
    pub fn update_x(&self, x: &mut [f64], y: &[f64]) -> Vec<f64> {
        half_step(&self.cost, self.m, &self.log_r, self.eta, x, y)
    }

    /// Column half-step, the mirror of [`Self::update_x`]; returns the column sums before the update.
    pub fn update_y(&self, x: &[f64], y: &mut [f64]) -> Vec<f64> {
        half_step(&self.cost_t, self.n, &self.log_c, self.eta, y, x)
    }

    /// One Sinkhorn iteration (row then column half-step). Returns the l1 marginal error of the
    /// iterate it started from *on the rows* (its columns were exact after the previous column step).
    pub fn iterate(&self, x: &mut [f64], y: &mut [f64]) -> f64 {
        let rows = self.update_x(x, y);
        self.update_y(x, y);
        l1_diff(&rows, &self.r)
    }

    /// The plan `P` (row-major, n x m).
    pub fn plan(&self, x: &[f64], y: &[f64]) -> Vec<f64> {
        let (m, eta) = (self.m, self.eta);
        let mut p = vec![0.0; self.n * m];
        p.par_chunks_mut(m * ROWS_PER_TASK)
            .enumerate()
            .for_each(|(task, block)| {
                for (k, prow) in block.chunks_mut(m).enumerate() {
                    let i = task * ROWS_PER_TASK + k;
                    let crow = &self.cost[i * m..(i + 1) * m];
                    for j in 0..m {
                        prow[j] = (eta * (x[i] + y[j] - crow[j]) - 1.0).exp();
                    }
                }
            });
        p
    }

    /// Row and column sums of a plan computed by [`Self::plan`]. Column sums are accumulated row
    /// by row in a fixed order, so the result does not depend on the number of threads.
    pub fn marginals_of(&self, p: &[f64]) -> Marginals {
        let m = self.m;
        let rows: Vec<f64> = p.par_chunks(m).map(|row| row.iter().sum()).collect();
        let mut cols = vec![0.0; m];
        for row in p.chunks(m) {
            for (cj, &pij) in cols.iter_mut().zip(row) {
                *cj += pij;
            }
        }
        Marginals { rows, cols }
    }

    /// The gradient of `f`, `(r - P 1, c - P^T 1)`, stacked `x` first, from the plan's marginals.
    pub fn gradient(&self, marg: &Marginals) -> Vec<f64> {
        let rows = self.r.iter().zip(&marg.rows).map(|(a, b)| a - b);
        rows.chain(self.c.iter().zip(&marg.cols).map(|(a, b)| a - b))
            .collect()
    }

    /// `||P 1 - r||_1 + ||P^T 1 - c||_1`, the norm of the gradient of `f`: the stopping metric.
    pub fn marginal_error(&self, marg: &Marginals) -> f64 {
        l1_diff(&marg.rows, &self.r) + l1_diff(&marg.cols, &self.c)
    }

    /// The concave dual potential `f(x, y)`. Row partial sums are combined in row order, so the
    /// value is independent of the thread count (line searches compare values of `f`).
    pub fn potential(&self, x: &[f64], y: &[f64]) -> f64 {
        let (m, eta) = (self.m, self.eta);
        let row_mass: Vec<f64> = (0..self.n)
            .into_par_iter()
            .with_min_len(ROWS_PER_TASK)
            .map(|i| {
                let crow = &self.cost[i * m..(i + 1) * m];
                let mut s = 0.0;
                for j in 0..m {
                    s += (eta * (x[i] + y[j] - crow[j]) - 1.0).exp();
                }
                s
            })
            .collect();
        let mass: f64 = row_mass.iter().sum();
        let lin: f64 = dot(&self.r, x) + dot(&self.c, y);
        lin - mass / eta
    }

    /// The exact increase `f(x + a dx, y + a dy) - f(x, y)` of the potential along a direction,
    /// given the plan `p` at `(x, y)` and its marginals.
    ///
    /// Computed as `a <grad f, d> - (1/eta) sum_ij P_ij phi(eta a (dx_i + dy_j))` with
    /// `phi(t) = e^t - 1 - t >= 0`, an identity that avoids subtracting two nearly equal values of
    /// `f`: near convergence the increase is far below the rounding error of `f` itself, and a
    /// line search on differences of `f` would stall.
    pub fn potential_gain(
        &self,
        p: &[f64],
        marg: &Marginals,
        dx: &[f64],
        dy: &[f64],
        a: f64,
    ) -> f64 {
        let (m, eta) = (self.m, self.eta);
        let lin: f64 = (0..self.n)
            .map(|i| (self.r[i] - marg.rows[i]) * dx[i])
            .sum::<f64>()
            + (0..m)
                .map(|j| (self.c[j] - marg.cols[j]) * dy[j])
                .sum::<f64>();
        let curv: Vec<f64> = p
            .par_chunks(m)
            .enumerate()
            .with_min_len(ROWS_PER_TASK)
            .map(|(i, row)| {
                row.iter()
                    .zip(dy)
                    .map(|(&pij, &dyj)| pij * phi(eta * a * (dx[i] + dyj)))
                    .sum::<f64>()
            })
            .collect();
        a * lin - curv.iter().sum::<f64>() / eta
    }

    /// Transport cost `<C, P>`.
    pub fn transport_cost(&self, p: &[f64]) -> f64 {
        dot(&self.cost, p)
    }
}

fn half_step(
    cost: &[f64],
    width: usize,
    log_marg: &[f64],
    eta: f64,
    target: &mut [f64],
    other: &[f64],
) -> Vec<f64> {
    let mut sums = vec![0.0; target.len()];
    target
        .par_chunks_mut(ROWS_PER_TASK)
        .zip(sums.par_chunks_mut(ROWS_PER_TASK))
        .enumerate()
        .for_each(|(task, (tblock, sblock))| {
            for (k, (t, s)) in tblock.iter_mut().zip(sblock.iter_mut()).enumerate() {
                let i = task * ROWS_PER_TASK + k;
                let lse = row_lse(&cost[i * width..(i + 1) * width], other, eta);
                *s = (eta * *t - 1.0 + lse).exp();
                *t = (log_marg[i] + 1.0 - lse) / eta;
            }
        });
    sums
}

/// `e^t - 1 - t`, accurate for small `t` (a short series where `expm1(t) - t` would cancel).
#[inline]
pub fn phi(t: f64) -> f64 {
    if t.abs() < 1e-2 {
        let t2 = t * t;
        t2 * (0.5 + t * (1.0 / 6.0 + t * (1.0 / 24.0 + t * (1.0 / 120.0 + t / 720.0))))
    } else {
        t.exp_m1() - t
    }
}

/// Sum of absolute differences.
pub fn l1_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(u, v)| (u - v).abs()).sum()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(u, v)| u * v).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(n: usize, m: usize) -> Vec<f64> {
        (0..n * m)
            .map(|k| ((k * 7919 % 101) as f64) / 101.0)
            .collect()
    }

    #[test]
    fn half_steps_fix_their_marginals() {
        let (n, m) = (7, 5);
        let pb = LogSinkhorn::uniform(toy(n, m), n, m, 40.0);
        let (mut x, mut y) = (vec![0.0; n], vec![0.0; m]);
        pb.update_x(&mut x, &y);
        let marg = pb.marginals_of(&pb.plan(&x, &y));
        assert!(l1_diff(&marg.rows, pb.r()) < 1e-14);
        pb.update_y(&x, &mut y);
        let marg = pb.marginals_of(&pb.plan(&x, &y));
        assert!(l1_diff(&marg.cols, pb.c()) < 1e-14);
    }

    #[test]
    fn returned_sums_are_the_pre_update_marginals() {
        let (n, m) = (6, 6);
        let pb = LogSinkhorn::uniform(toy(n, m), n, m, 25.0);
        let x = vec![0.01; n];
        let y: Vec<f64> = (0..m).map(|j| 0.002 * j as f64).collect();
        let before = pb.marginals_of(&pb.plan(&x, &y));
        let mut x2 = x.clone();
        let sums = pb.update_x(&mut x2, &y);
        for (a, b) in sums.iter().zip(&before.rows) {
            assert!((a - b).abs() <= 1e-13 * b.abs().max(1e-300), "{a} vs {b}");
        }
    }

    #[test]
    fn potential_gain_matches_differences_of_f() {
        let (n, m) = (8, 6);
        let pb = LogSinkhorn::uniform(toy(n, m), n, m, 30.0);
        let x: Vec<f64> = (0..n).map(|i| 0.01 * i as f64).collect();
        let y: Vec<f64> = (0..m).map(|j| -0.02 * j as f64).collect();
        let dx: Vec<f64> = (0..n).map(|i| ((i * 3 % 5) as f64 - 2.0) * 1e-2).collect();
        let dy: Vec<f64> = (0..m).map(|j| ((j * 7 % 4) as f64 - 1.5) * 1e-2).collect();
        let p = pb.plan(&x, &y);
        let marg = pb.marginals_of(&p);
        for a in [1.0, 0.5, 0.01] {
            let xs: Vec<f64> = x.iter().zip(&dx).map(|(u, d)| u + a * d).collect();
            let ys: Vec<f64> = y.iter().zip(&dy).map(|(u, d)| u + a * d).collect();
            let direct = pb.potential(&xs, &ys) - pb.potential(&x, &y);
            let gain = pb.potential_gain(&p, &marg, &dx, &dy, a);
            assert!((direct - gain).abs() < 1e-13, "a={a}: {direct} vs {gain}");
        }
        assert!((phi(1e-3) - (1e-3f64.exp_m1() - 1e-3)).abs() < 1e-18);
        assert!((phi(0.5) - (0.5f64.exp() - 1.5)).abs() < 1e-15);
    }

    #[test]
    fn sinkhorn_ascends_the_potential_and_converges() {
        let (n, m) = (9, 9);
        let pb = LogSinkhorn::uniform(toy(n, m), n, m, 5.0);
        let (mut x, mut y) = (vec![0.0; n], vec![0.0; m]);
        let mut f_prev = pb.potential(&x, &y);
        for _ in 0..2000 {
            pb.iterate(&mut x, &mut y);
            let f = pb.potential(&x, &y);
            assert!(f >= f_prev - 1e-12, "Sinkhorn must not decrease f");
            f_prev = f;
        }
        let err = pb.marginal_error(&pb.marginals_of(&pb.plan(&x, &y)));
        assert!(err < 1e-12, "marginal error {err}");
    }
}
