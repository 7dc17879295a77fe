//! The method against SciPy golden values (`fixtures/scipy_reference.json`).

use dp_limits::method::*;
use harness::stats::{norm_cdf, norm_ppf};

/// `fixtures/scipy_reference.json` (written by `fixtures/generate.py`): rows of arguments then
/// SciPy's value.
#[derive(serde::Deserialize)]
struct Fixture {
    /// `(x, Φ(x))`.
    norm_cdf: Vec<(f64, f64)>,
    /// `(p, Φ⁻¹(p))`.
    norm_ppf: Vec<(f64, f64)>,
    /// `(μ, α, G_μ(α))`.
    gdp_tradeoff: Vec<(f64, f64, f64)>,
    /// `(μ, κ(G_μ))`.
    kappa_gdp: Vec<(f64, f64)>,
    /// `(μ, ε, δ(ε))`.
    gdp_delta: Vec<(f64, f64, f64)>,
    /// `(M, σ = 1/√(2 ln M), κ of the max test)`.
    kappa_max_test_at_threshold: Vec<(f64, f64, f64)>,
    /// `(κ₀, M, σ needed)`.
    sigma_needed: Vec<(f64, f64, f64)>,
    google_shuffle_delta: GoogleShuffle,
}

/// Google's `ShuffleAccountant` values: rows `(M, σ, ε, δ)`.
#[derive(serde::Deserialize)]
struct GoogleShuffle {
    rows: Vec<(f64, f64, f64, f64)>,
}

fn fixture() -> Fixture {
    serde_json::from_str(include_str!("../fixtures/scipy_reference.json")).unwrap()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300)
}

#[test]
fn normal_functions_match_scipy() {
    let f = fixture();
    for (x, want) in f.norm_cdf {
        // Deep in the tail (Φ(−37) ≈ 6e-300) the two erfc implementations agree to ~1e-13.
        let tol = if x.abs() <= 4.0 { 1e-14 } else { 1e-12 };
        assert!(
            close(norm_cdf(x), want, tol),
            "Φ({}) = {:e} vs {:e}",
            x,
            norm_cdf(x),
            want
        );
    }
    for (p, want) in f.norm_ppf {
        // Quantiles are ill-conditioned near 1; compare in x with a tolerance in ulps of x.
        assert!(
            close(norm_ppf(p), want, 1e-13) || (norm_ppf(p) - want).abs() < 1e-9 && p > 0.999,
            "Φ⁻¹({:e}) = {} vs {}",
            p,
            norm_ppf(p),
            want
        );
    }
}

#[test]
fn gdp_quantities_match_scipy() {
    let f = fixture();
    for (mu, alpha, want) in f.gdp_tradeoff {
        assert!(
            close(gdp_tradeoff(mu, alpha), want, 1e-10)
                || (gdp_tradeoff(mu, alpha) - want).abs() < 1e-15
        );
    }
    for (mu, want) in f.kappa_gdp {
        assert!(close(kappa_gdp(mu), want, 1e-14));
    }
    for (mu, eps, want) in f.gdp_delta {
        assert!(
            (gdp_delta(mu, eps) - want).abs() < 1e-14,
            "δ({}, {}) = {} vs {}",
            mu,
            eps,
            gdp_delta(mu, eps),
            want
        );
    }
}

#[test]
fn max_test_and_needed_sigma_match_scipy() {
    let f = fixture();
    for (m, sigma, want) in f.kappa_max_test_at_threshold {
        assert!(close(sigma_threshold(m), sigma, 1e-14));
        let (_, k) = kappa_max_test(sigma, m);
        assert!(close(k, want, 1e-9), "M = {}: κ {k} vs SciPy {}", m, want);
    }
    for (k0, m, want) in f.sigma_needed {
        let s = sigma_needed(k0, m);
        assert!(
            close(s, want, 1e-7),
            "κ₀ = {}, M = {}: σ {s} vs SciPy {}",
            k0,
            m,
            want
        );
    }
}

#[test]
fn the_bound_constants_come_out_of_the_max_test_argument() {
    // With t/σ = √(2 ln M) and σ = 1/√(2 ln M): M (1 − Φ(τ)) ≤ M φ(τ)/τ = 1/√(4π ln M).
    for m in [10.0f64, 1e3, 1e6] {
        let tau = (2.0 * m.ln()).sqrt();
        let lhs = m * harness::stats::norm_sf(tau);
        let rhs = 1.0 / (4.0 * std::f64::consts::PI * m.ln()).sqrt();
        assert!(lhs <= rhs);
        assert!(max_test_gap(tau, sigma_threshold(m), m) >= paper_bound(m));
    }
}

/// Against Google's `ShuffleAccountant.get_deltas_single_epoch` (mean_upper = 1, mean_lower = 0),
/// the accounting code the card names. It maximises over a grid of caps with step 0.01, so its
/// values may sit slightly below the true maximum computed here.
#[test]
fn shuffle_lower_bound_matches_googles_accountant() {
    let f = fixture();
    let rows = f.google_shuffle_delta.rows;
    assert!(rows.len() >= 16, "the fixture holds the Google values");
    for (m, sigma, eps, google) in rows {
        let ours = shuffle_delta_lower(eps, sigma, m);
        assert!(
            ours >= google - 1e-12,
            "M = {m}, ε = {eps}: ours {ours} below Google's {google}"
        );
        // A cap step of 0.01 misses the peak by up to half a step: a loss of order 1e-4 to 1e-3.
        assert!(
            ours - google <= 1e-3,
            "M = {m}, ε = {eps}: ours {ours}, Google {google}"
        );
        if eps == 0.0 {
            let (_, kappa) = kappa_max_test(sigma, m);
            assert!(
                (ours / std::f64::consts::SQRT_2 - kappa).abs() < 1e-12,
                "δ(0) = √2 κ"
            );
        }
    }
}
