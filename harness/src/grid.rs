//! The one runner of experiment grids: arms × settings × seeds, run in parallel with progress,
//! results regrouped by (arm, setting) in a fixed order.
//!
//! Every reproduction that compares arms (optimizers, layers, heads) over settings (condition
//! numbers, learning rates) and seeds goes through [`run_grid`], so parallelism, progress and
//! regrouping are written once. Results do not depend on the thread count: each cell gets its
//! seed index and derives its seeds from the context, and the output keeps the grid's order.

use crate::contract::Ctx;
use rayon::prelude::*;

/// What to run: every arm at every setting for `seeds` repeats.
#[derive(Clone, Debug)]
pub struct Grid<A, S> {
    pub arms: Vec<A>,
    pub settings: Vec<S>,
    pub seeds: u64,
}

/// One run of the grid, as handed to the run function.
#[derive(Clone, Copy, Debug)]
pub struct Cell<'a, A, S> {
    pub arm: &'a A,
    pub arm_index: usize,
    pub setting: &'a S,
    pub setting_index: usize,
    /// 0-based repeat; derive the run's seeds with `ctx.seed(name, seed_index)` so that every
    /// arm sees the same data at a given (setting, repeat): comparisons are paired.
    pub seed_index: u64,
}

/// The results of a grid, one per (arm, setting, seed), in the grid's order.
#[derive(Clone, Debug)]
pub struct GridResults<R> {
    arms: usize,
    settings: usize,
    seeds: usize,
    values: Vec<R>,
}

impl<R> GridResults<R> {
    /// The per-seed results of one (arm, setting).
    ///
    /// # Panics
    /// When an index is outside the grid.
    pub fn cell(&self, arm: usize, setting: usize) -> &[R] {
        assert!(
            arm < self.arms && setting < self.settings,
            "cell outside the grid"
        );
        let start = (arm * self.settings + setting) * self.seeds;
        &self.values[start..start + self.seeds]
    }

    /// `f` of every seed's result of one (arm, setting): the values of a per-seed metric.
    pub fn per_seed<T>(&self, arm: usize, setting: usize, f: impl Fn(&R) -> T) -> Vec<T> {
        self.cell(arm, setting).iter().map(f).collect()
    }

    /// Every (arm, setting, per-seed results), arms outermost.
    pub fn cells(&self) -> impl Iterator<Item = (usize, usize, &[R])> {
        (0..self.arms).flat_map(move |a| (0..self.settings).map(move |s| (a, s, self.cell(a, s))))
    }

    /// All results in the grid's order.
    pub fn all(&self) -> &[R] {
        &self.values
    }

    /// A grid of fallible runs as a grid of results, or the first error in the grid's order.
    pub fn transpose<T, E>(self) -> Result<GridResults<T>, E>
    where
        R: Into<Result<T, E>>,
    {
        let values = self
            .values
            .into_iter()
            .map(Into::into)
            .collect::<Result<Vec<T>, E>>()?;
        Ok(GridResults {
            arms: self.arms,
            settings: self.settings,
            seeds: self.seeds,
            values,
        })
    }
}

/// Runs `f` on every cell of `grid` in parallel, showing one progress stage named `what`.
pub fn run_grid<A, S, R, F>(ctx: &Ctx, what: &str, grid: &Grid<A, S>, f: F) -> GridResults<R>
where
    A: Sync,
    S: Sync,
    R: Send,
    F: Fn(Cell<'_, A, S>) -> R + Sync,
{
    let (na, ns, nr) = (grid.arms.len(), grid.settings.len(), grid.seeds as usize);
    let total = na * ns * nr;
    let stage = ctx
        .progress
        .stage(&format!("{what}: {total} runs"), total as u64);
    let values: Vec<R> = (0..total)
        .into_par_iter()
        .map(|i| {
            let (a, s, r) = (i / (ns * nr), (i / nr) % ns, i % nr);
            let out = f(Cell {
                arm: &grid.arms[a],
                arm_index: a,
                setting: &grid.settings[s],
                setting_index: s,
                seed_index: r as u64,
            });
            stage.inc(1);
            out
        })
        .collect();
    GridResults {
        arms: na,
        settings: ns,
        seeds: nr,
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Scale;

    #[test]
    fn cells_are_regrouped_in_order_whatever_the_threads() {
        let ctx = Ctx::for_tests("grid", Scale::Ci, 0);
        let grid = Grid {
            arms: vec!["a", "b"],
            settings: vec![10.0, 20.0, 30.0],
            seeds: 4,
        };
        let results = run_grid(&ctx, "toy", &grid, |c| {
            (c.arm.to_string(), *c.setting, c.seed_index)
        });
        assert_eq!(results.all().len(), 24);
        assert_eq!(
            results.cell(1, 2),
            &[
                ("b".to_string(), 30.0, 0),
                ("b".to_string(), 30.0, 1),
                ("b".to_string(), 30.0, 2),
                ("b".to_string(), 30.0, 3)
            ]
        );
        assert_eq!(results.per_seed(0, 1, |r| r.2), vec![0, 1, 2, 3]);
        let order: Vec<(usize, usize)> = results.cells().map(|(a, s, _)| (a, s)).collect();
        assert_eq!(order[..4], [(0, 0), (0, 1), (0, 2), (1, 0)]);
        // Seeds derived from the context are paired across arms.
        let seeds = run_grid(&ctx, "seeds", &grid, |c| ctx.seed("run", c.seed_index));
        assert_eq!(seeds.cell(0, 0), seeds.cell(1, 2));
    }
}
