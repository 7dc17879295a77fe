//! The simulator against closed forms.

use harness::rng::Rng;
use last_iterate::method::{Noise, Problem, quadratic_second_moment, sgd};

/// With a constant step the recursion has a closed form:
/// `m_T = r^T m_1 + η²σ² (1 − r^T) / (1 − r)`, `r = (1 − η a)²`.
#[test]
fn recursion_matches_its_closed_form_for_constant_steps() {
    let (a, sigma, eta, x1) = (0.7f64, 1.3f64, 0.2f64, 2.0f64);
    let r = (1.0 - eta * a).powi(2);
    for t in [1usize, 5, 50, 500] {
        let closed = r.powi(t as i32) * x1 * x1
            + eta * eta * sigma * sigma * (1.0 - r.powi(t as i32)) / (1.0 - r);
        let rec = quadratic_second_moment(&[a], sigma, &[x1], t, |_| eta);
        assert!(
            (closed - rec).abs() < 1e-12 * closed,
            "T = {t}: {closed} vs {rec}"
        );
    }
}

#[test]
fn sgd_noise_enters_as_an_unbiased_perturbation() {
    // On f = 0 (a quadratic with a = 0) SGD is a random walk: E x = x1, Var = Σ η_t² σ².
    let problem = Problem::Quadratic(vec![0.0]);
    let n = 20_000;
    let xs: Vec<f64> = (0..n)
        .map(|k| {
            sgd(
                &problem,
                Noise::Gaussian { sigma: 2.0 },
                &[1.0],
                10,
                |_| 0.1,
                &mut Rng::new(k),
            )[0]
        })
        .collect();
    let m = harness::stats::mean(&xs);
    let v = harness::stats::sd(&xs).powi(2);
    assert!((m - 1.0).abs() < 4.0 * (0.4f64 / n as f64).sqrt());
    assert!((v - 0.4).abs() < 0.02, "variance {v}");
}
