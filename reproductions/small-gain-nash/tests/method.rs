//! The certificate against numpy/LAPACK golden values and against its own algebra.

use harness::rng::Rng;
use nalgebra::DMatrix;
use small_gain_nash::method::*;

/// `fixtures/numpy_reference.json` (written by `fixtures/generate.py`).
#[derive(serde::Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

/// One game at one coupling λ and weight ratio r, with numpy/LAPACK's values.
#[derive(serde::Deserialize)]
struct Case {
    /// `"toy"` (the mini-toy) or the LQ game.
    game: String,
    lambda: f64,
    r: f64,
    gamma: f64,
    alpha_true: f64,
    beta: f64,
    h_euler: f64,
    h_rk4: f64,
}

fn fixture() -> Fixture {
    serde_json::from_str(include_str!("../fixtures/numpy_reference.json")).unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

#[test]
fn eigen_quantities_match_numpy_including_the_lq_game_with_another_rotation() {
    let rot = random_orthogonal(32, &mut Rng::new(99));
    for case in fixture().cases {
        let (lam, r) = (case.lambda, case.r);
        let game = match case.game.as_str() {
            "toy" => mini_toy(lam, 10.0, 0.05),
            _ => lq_game(lam, 10.0, 0.05, &rot),
        };
        assert!(
            close(euclidean_gamma(&game), case.gamma, 1e-12),
            "γ at λ = {lam}"
        );
        assert!(
            close(true_margin(&game, r), case.alpha_true, 1e-10),
            "α_true at λ = {lam}, r = {r}"
        );
        assert!(
            close(lipschitz_m(&game, r), case.beta, 1e-10),
            "β at λ = {lam}, r = {r}"
        );
        assert!(
            close(
                true_step_threshold(&game, Integrator::Euler),
                case.h_euler,
                1e-9
            ),
            "Euler h at λ = {lam}"
        );
        assert!(
            close(
                true_step_threshold(&game, Integrator::Rk4),
                case.h_rk4,
                1e-9
            ),
            "RK4 h at λ = {lam}"
        );
    }
}

#[test]
fn the_band_endpoints_are_where_the_margin_reaches_the_target() {
    let toy = mini_toy(1.0, 10.0, 0.05);
    for target in [0.0, 0.1, 0.2] {
        let (lo, hi) = timescale_band(&toy, target).expect("a band exists");
        assert!((sgn_margin(&toy, lo) - target).abs() < 1e-9);
        assert!((sgn_margin(&toy, hi) - target).abs() < 1e-9);
        assert!(sgn_margin(&toy, (lo * hi).sqrt()) > target);
    }
    assert!(
        timescale_band(&mini_toy(1.5, 10.0, 0.05), 0.0).is_none(),
        "no band past √2"
    );
}

#[test]
fn the_certificate_lower_bounds_the_true_margin_for_random_weights() {
    let mut rng = Rng::new(5);
    for _ in 0..200 {
        let lam = 1.4 * rng.uniform();
        let r = 10f64.powf(-1.0 + 5.0 * rng.uniform());
        let toy = mini_toy(lam, 10.0, 0.05);
        assert!(true_margin(&toy, r) >= sgn_margin(&toy, r) - 1e-12);
    }
}

#[test]
fn spectral_radius_fallback_agrees_with_known_eigenvalues() {
    // A defective matrix (a Jordan block) and a diagonalisable one with repeated eigenvalues.
    let jordan = DMatrix::from_row_slice(3, 3, &[0.5, 1.0, 0.0, 0.0, 0.5, 1.0, 0.0, 0.0, 0.5]);
    assert!((spectral_radius(&jordan) - 0.5).abs() < 1e-6);
    let game = lq_game(1.0, 10.0, 0.05, &random_orthogonal(8, &mut Rng::new(1)));
    let step = DMatrix::<f64>::identity(16, 16) - &game.h * 0.5;
    // eig(H) = 1 ± 1/√2, so eig(I − H/2) = 1/2 ∓ 1/(2√2): radius 1/2 + 1/(2√2).
    assert!((spectral_radius(&step) - (0.5 + 0.5 / 2f64.sqrt())).abs() < 1e-9);
}
