//! Trade-off functions of f-DP and the separation κ (Ertan and van Dijk, arXiv 2601.10237),
//! with the paper's reduction of one epoch of shuffled DP-SGD to a Gaussian mixture test,
//! reconstructed in the card `papers/dp-limits.md`.
//!
//! A trade-off function `f(α)` is the smallest type-II error β of any test of level α. Random
//! guessing gives `β = 1 − α`; the separation
//!
//! ```text
//! κ(f) = max_α (1 − α − f(α)) / √2
//! ```
//!
//! is the largest Euclidean distance between the curve and that line (0: no information leaks;
//! 1/√2: perfect distinguishability).
//!
//! The shuffled one-epoch reduction: the differing example lands in one of `M` batches, uniformly;
//! after clipping and projection the adversary sees `y ~ N(0, σ² Id_M)` (H₀) or
//! `y ~ (1/M) Σ_j N(e_j, σ² Id_M)` (H₁). The max test rejects H₀ when `max_j y_j > t`:
//!
//! ```text
//! α(t) = 1 − Φ(t/σ)^M,    β(t) = Φ((t − 1)/σ) · Φ(t/σ)^(M−1).
//! ```
//!
//! Since the optimal trade-off is at most β(t) at α(t), κ ≥ max_t (1 − α(t) − β(t))/√2.

use harness::stats::{norm_cdf, norm_ppf, norm_sf};
use std::f64::consts::{PI, SQRT_2};

/// Gaussian DP trade-off `G_μ(α) = Φ(Φ⁻¹(1 − α) − μ)`.
pub fn gdp_tradeoff(mu: f64, alpha: f64) -> f64 {
    norm_cdf(norm_ppf(1.0 - alpha) - mu)
}

/// Closed form of κ for `G_μ`: `(2Φ(μ/2) − 1)/√2`, attained at `α = Φ(−μ/2)`.
pub fn kappa_gdp(mu: f64) -> f64 {
    (2.0 * norm_cdf(mu / 2.0) - 1.0) / SQRT_2
}

/// Maximises a unimodal function on `[lo, hi]` by golden-section search; returns `(argmax, max)`.
pub fn golden_max(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64, tol: f64) -> (f64, f64) {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut a = hi - g * (hi - lo);
    let mut b = lo + g * (hi - lo);
    let (mut fa, mut fb) = (f(a), f(b));
    while hi - lo > tol {
        if fa < fb {
            lo = a;
            a = b;
            fa = fb;
            b = lo + g * (hi - lo);
            fb = f(b);
        } else {
            hi = b;
            b = a;
            fb = fa;
            a = hi - g * (hi - lo);
            fa = f(a);
        }
    }
    let x = 0.5 * (lo + hi);
    (x, f(x))
}

/// κ of a trade-off function by numerical maximisation over α (the curve is convex, so
/// `1 − α − f(α)` is concave and golden-section search finds its maximum).
pub fn kappa_numeric(f: impl Fn(f64) -> f64) -> f64 {
    golden_max(|a| (1.0 - a - f(a)) / SQRT_2, 0.0, 1.0, 1e-13).1
}

/// `Φ(u)^k` computed as `exp(k log Φ(u))`, with `log Φ(u) = log1p(−Q(u))` for `u > 0` so that
/// `k = 10^6` keeps its precision.
fn cdf_pow(u: f64, k: f64) -> f64 {
    let log_cdf = if u > 0.0 {
        (-norm_sf(u)).ln_1p()
    } else {
        norm_cdf(u).ln()
    };
    (k * log_cdf).exp()
}

/// Level α(t) of the max test, in terms of `u = t/σ`.
pub fn max_test_alpha(u: f64, m: f64) -> f64 {
    -(m * if u > 0.0 {
        (-norm_sf(u)).ln_1p()
    } else {
        norm_cdf(u).ln()
    })
    .exp_m1()
}

/// Type-II error β(t) of the max test, in terms of `u = t/σ`.
pub fn max_test_beta(u: f64, sigma: f64, m: f64) -> f64 {
    norm_cdf(u - 1.0 / sigma) * cdf_pow(u, m - 1.0)
}

/// `(1 − α − β)/√2` of the max test at threshold `u = t/σ`.
pub fn max_test_gap(u: f64, sigma: f64, m: f64) -> f64 {
    (cdf_pow(u, m) - max_test_beta(u, sigma, m)) / SQRT_2
}

/// The lower bound on κ given by the max test: `max_u` of [`max_test_gap`]. A grid scan brackets
/// the maximum, golden-section search refines it.
pub fn kappa_max_test(sigma: f64, m: f64) -> (f64, f64) {
    let (lo, hi, steps) = (-4.0, 14.0, 1800);
    let h = (hi - lo) / steps as f64;
    let best = (0..=steps)
        .map(|k| lo + k as f64 * h)
        .max_by(|a, b| max_test_gap(*a, sigma, m).total_cmp(&max_test_gap(*b, sigma, m)))
        .expect("non-empty grid");
    golden_max(|u| max_test_gap(u, sigma, m), best - h, best + h, 1e-12)
}

/// Lower bound on the hockey-stick divergence `δ(ε)` of shuffled one-epoch DP-SGD from the max
/// test: `max_t [(1 − β(t)) − e^ε α(t)]` (the quantity Google's `ShuffleAccountant` computes with
/// its cube sets; at `ε = 0` it is `√2 κ`).
pub fn shuffle_delta_lower(eps: f64, sigma: f64, m: f64) -> f64 {
    let f = |u: f64| (1.0 - max_test_beta(u, sigma, m)) - eps.exp() * max_test_alpha(u, m);
    let (lo, hi, steps) = (-4.0, 14.0, 1800);
    let h = (hi - lo) / steps as f64;
    let best = (0..=steps)
        .map(|k| lo + k as f64 * h)
        .max_by(|a, b| f(*a).total_cmp(&f(*b)))
        .expect("non-empty grid");
    golden_max(f, best - h, best + h, 1e-12).1
}

/// The paper's closed-form bound: at `σ = 1/√(2 ln M)`, `κ ≥ (1/√8)(1 − 1/√(4π ln M))`.
pub fn paper_bound(m: f64) -> f64 {
    (1.0 - 1.0 / (4.0 * PI * m.ln()).sqrt()) / 8f64.sqrt()
}

/// The noise multiplier at which the paper's dichotomy switches: `σ = 1/√(2 ln M)`.
pub fn sigma_threshold(m: f64) -> f64 {
    1.0 / (2.0 * m.ln()).sqrt()
}

/// The smallest σ for which the max test's κ is at most `kappa0` (κ decreases in σ): a
/// *necessary* noise level for separation `kappa0`, found by bisection on log σ.
pub fn sigma_needed(kappa0: f64, m: f64) -> f64 {
    let (mut lo, mut hi) = (1e-3f64.ln(), 1e2f64.ln());
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if kappa_max_test(mid.exp(), m).1 > kappa0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

/// `δ(ε)` of μ-GDP: `Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2)`.
pub fn gdp_delta(mu: f64, eps: f64) -> f64 {
    norm_cdf(-eps / mu + mu / 2.0) - eps.exp() * norm_cdf(-eps / mu - mu / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gdp_curve_endpoints_and_symmetry() {
        assert!((gdp_tradeoff(1.0, 0.0) - 1.0).abs() < 1e-15);
        assert!(gdp_tradeoff(1.0, 1.0).abs() < 1e-15);
        assert!(
            (gdp_tradeoff(0.0, 0.3) - 0.7).abs() < 1e-15,
            "μ = 0 is random guessing"
        );
        // G_μ is symmetric: G_μ(G_μ(α)) = α.
        let a = 0.123;
        assert!((gdp_tradeoff(1.3, gdp_tradeoff(1.3, a)) - a).abs() < 1e-14);
    }

    #[test]
    fn max_test_at_sigma_zero_limit_is_perfect() {
        // Tiny noise: the test separates almost perfectly, κ → 1/√2.
        let (_, k) = kappa_max_test(0.05, 10.0);
        assert!((k - 1.0 / SQRT_2).abs() < 1e-6);
    }

    #[test]
    fn golden_section_finds_a_parabola_top() {
        let (x, v) = golden_max(|x| -(x - 0.3) * (x - 0.3) + 2.0, 0.0, 1.0, 1e-12);
        assert!((x - 0.3).abs() < 1e-6 && (v - 2.0).abs() < 1e-12);
    }
}
