//! The method against SciPy golden values (`fixtures/scipy_reference.json`).

use dp_limits::method::*;
use harness::stats::{norm_cdf, norm_ppf};
use serde_json::Value;

fn fixture() -> Value {
    serde_json::from_str(include_str!("../fixtures/scipy_reference.json")).unwrap()
}

fn rows(v: &Value, key: &str) -> Vec<Vec<f64>> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300)
}

#[test]
fn normal_functions_match_scipy() {
    let f = fixture();
    for r in rows(&f, "norm_cdf") {
        // Deep in the tail (Φ(−37) ≈ 6e-300) the two erfc implementations agree to ~1e-13.
        let tol = if r[0].abs() <= 4.0 { 1e-14 } else { 1e-12 };
        assert!(
            close(norm_cdf(r[0]), r[1], tol),
            "Φ({}) = {:e} vs {:e}",
            r[0],
            norm_cdf(r[0]),
            r[1]
        );
    }
    for r in rows(&f, "norm_ppf") {
        // Quantiles are ill-conditioned near 1; compare in x with a tolerance in ulps of x.
        assert!(
            close(norm_ppf(r[0]), r[1], 1e-13)
                || (norm_ppf(r[0]) - r[1]).abs() < 1e-9 && r[0] > 0.999,
            "Φ⁻¹({:e}) = {} vs {}",
            r[0],
            norm_ppf(r[0]),
            r[1]
        );
    }
}

#[test]
fn gdp_quantities_match_scipy() {
    let f = fixture();
    for r in rows(&f, "gdp_tradeoff") {
        assert!(
            close(gdp_tradeoff(r[0], r[1]), r[2], 1e-10)
                || (gdp_tradeoff(r[0], r[1]) - r[2]).abs() < 1e-15
        );
    }
    for r in rows(&f, "kappa_gdp") {
        assert!(close(kappa_gdp(r[0]), r[1], 1e-14));
    }
    for r in rows(&f, "gdp_delta") {
        assert!(
            (gdp_delta(r[0], r[1]) - r[2]).abs() < 1e-14,
            "δ({}, {}) = {} vs {}",
            r[0],
            r[1],
            gdp_delta(r[0], r[1]),
            r[2]
        );
    }
}

#[test]
fn max_test_and_needed_sigma_match_scipy() {
    let f = fixture();
    for r in rows(&f, "kappa_max_test_at_threshold") {
        assert!(close(sigma_threshold(r[0]), r[1], 1e-14));
        let (_, k) = kappa_max_test(r[1], r[0]);
        assert!(
            close(k, r[2], 1e-9),
            "M = {}: κ {k} vs SciPy {}",
            r[0],
            r[2]
        );
    }
    for r in rows(&f, "sigma_needed") {
        let s = sigma_needed(r[0], r[1]);
        assert!(
            close(s, r[2], 1e-7),
            "κ₀ = {}, M = {}: σ {s} vs SciPy {}",
            r[0],
            r[1],
            r[2]
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
    let rows = &f["google_shuffle_delta"]["rows"];
    let rows = rows
        .as_array()
        .expect("the fixture holds the Google values");
    assert!(rows.len() >= 16);
    for r in rows {
        let r: Vec<f64> = r
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let (m, sigma, eps, google) = (r[0], r[1], r[2], r[3]);
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
