//! Deviations from the paper, and findings in its official code (a theory paper: there is none).

use harness::{CodeNote, Deviation};

pub fn deviations() -> Vec<Deviation> {
    let d = Deviation::new;
    vec![
        d(
            "what is tested",
            "theorems with explicit constants (not transcribed)",
            "the orders of the rates in the card's table [unverified], as log-log slopes",
            "the theorems' constants and log exponents still need checking against the paper",
        ),
        d(
            "problems",
            "general convex / strongly convex / smooth composite objectives",
            "f = ‖x‖₁ and ½‖x‖² + ‖x‖₁ on R¹⁰, x₁ = (1, …, 1), plain SGD (Euclidean mirror map, no composite term)",
            "the simplest instances of the unconstrained, unbounded-noise setting",
        ),
        d(
            "step sizes",
            "as in each theorem",
            "η = 1/√T; η_t = 1/t; η = T^(−2/3); constants fixed at 1 before running",
            "the card's schedules",
        ),
        d(
            "smooth and high-probability results",
            "rates for L-smooth objectives and with probability 1 − δ",
            "not simulated",
            "the miniature covers the three in-expectation rows of the card's table",
        ),
        d(
            "lower-bound construction (card's optional L5)",
            "—",
            "not attempted",
            "time; the Harvey–Liaw–Plan–Randhawa construction is left for a later session",
        ),
    ]
}

/// A theory paper without code: nothing to note.
pub fn code_notes() -> Vec<CodeNote> {
    Vec::new()
}
