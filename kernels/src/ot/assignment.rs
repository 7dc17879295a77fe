//! Exact linear assignment (the LAP optimum), by shortest augmenting paths with dual potentials
//! (the Hungarian method in its O(n^3) form). Ground truth for entropic OT at large `eta`.

use std::fmt;

/// Why an assignment could not be computed.
#[derive(Clone, Debug, PartialEq)]
pub enum AssignmentError {
    /// The cost matrix is not `n x n` with `n > 0`.
    Shape { len: usize, n: usize },
    /// A cost entry is NaN or infinite.
    NonFinite { row: usize, col: usize },
}

impl fmt::Display for AssignmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssignmentError::Shape { len, n } => {
                write!(f, "cost has {len} entries, expected {n} x {n} with n > 0")
            }
            AssignmentError::NonFinite { row, col } => {
                write!(f, "cost entry ({row}, {col}) is not finite")
            }
        }
    }
}

impl std::error::Error for AssignmentError {}

/// Minimum-cost perfect matching of an `n x n` row-major cost. Returns `(col_of_row, cost)`.
pub fn linear_assignment(cost: &[f64], n: usize) -> Result<(Vec<usize>, f64), AssignmentError> {
    if n == 0 || cost.len() != n * n {
        return Err(AssignmentError::Shape { len: cost.len(), n });
    }
    if let Some(k) = cost.iter().position(|v| !v.is_finite()) {
        return Err(AssignmentError::NonFinite {
            row: k / n,
            col: k % n,
        });
    }
    // Index 0 is a virtual column/row; real rows and columns are 1..=n.
    let a = |i: usize, j: usize| cost[(i - 1) * n + (j - 1)];
    let mut u = vec![0.0f64; n + 1];
    let mut v = vec![0.0f64; n + 1];
    let mut row_of_col = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for i in 1..=n {
        row_of_col[0] = i;
        let mut j0 = 0usize;
        let mut min_reduced = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = row_of_col[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0usize;
            for j in 1..=n {
                if used[j] {
                    continue;
                }
                let reduced = a(i0, j) - u[i0] - v[j];
                if reduced < min_reduced[j] {
                    min_reduced[j] = reduced;
                    way[j] = j0;
                }
                if min_reduced[j] < delta {
                    delta = min_reduced[j];
                    j1 = j;
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[row_of_col[j]] += delta;
                    v[j] -= delta;
                } else {
                    min_reduced[j] -= delta;
                }
            }
            j0 = j1;
            if row_of_col[j0] == 0 {
                break;
            }
        }
        // Augment along the alternating path back to the virtual column.
        loop {
            let j1 = way[j0];
            row_of_col[j0] = row_of_col[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut col_of_row = vec![0usize; n];
    for j in 1..=n {
        col_of_row[row_of_col[j] - 1] = j - 1;
    }
    let total = (0..n).map(|i| cost[i * n + col_of_row[i]]).sum();
    Ok((col_of_row, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_force(cost: &[f64], n: usize) -> f64 {
        fn rec(cost: &[f64], n: usize, i: usize, used: &mut Vec<bool>, acc: f64, best: &mut f64) {
            if i == n {
                *best = best.min(acc);
                return;
            }
            for j in 0..n {
                if !used[j] {
                    used[j] = true;
                    rec(cost, n, i + 1, used, acc + cost[i * n + j], best);
                    used[j] = false;
                }
            }
        }
        let mut best = f64::INFINITY;
        rec(cost, n, 0, &mut vec![false; n], 0.0, &mut best);
        best
    }

    #[test]
    fn matches_brute_force_on_small_matrices() {
        let mut state = 12345u64;
        for n in 1..=7 {
            let cost: Vec<f64> = (0..n * n)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (state >> 11) as f64 / (1u64 << 53) as f64
                })
                .collect();
            let (perm, total) = linear_assignment(&cost, n).unwrap();
            let mut seen = perm.clone();
            seen.sort();
            assert_eq!(seen, (0..n).collect::<Vec<_>>(), "a permutation");
            assert!((total - brute_force(&cost, n)).abs() < 1e-12);
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(
            linear_assignment(&[1.0, 2.0, 3.0], 2),
            Err(AssignmentError::Shape { .. })
        ));
        assert_eq!(
            linear_assignment(&[1.0, f64::NAN, 3.0, 4.0], 2),
            Err(AssignmentError::NonFinite { row: 0, col: 1 })
        );
    }
}
