//! Optimal-transport kernels.
//!
//! Conventions (those of the SNS paper, Tang et al. 2024): entropic OT with inverse
//! regularisation `eta`, dual potentials `x` (rows) and `y` (columns), and the plan
//!
//! ```text
//! P_ij = exp(eta * (x_i + y_j - C_ij) - 1).
//! ```
//!
//! The concave dual (Lyapunov) potential is
//! `f(x, y) = -(1/eta) * sum_ij P_ij + <r, x> + <c, y>`, whose gradient is the marginal
//! residual `(r - P 1, c - P^T 1)`. A Sinkhorn half-step maximises `f` exactly over `x`
//! (or `y`) and is computed with a log-sum-exp, because `exp(-eta C)` underflows for the
//! large `eta` of the experiments.

mod assignment;
mod sinkhorn;

pub use assignment::{AssignmentError, linear_assignment};
pub use sinkhorn::{LogSinkhorn, Marginals, l1_diff, phi};
