//! The stability operator against a dense eigen-decomposition and closed forms.

use harness::rng::Rng;
use nalgebra::DMatrix;
use sgd_stability::method::StabilityProblem;

/// The second-moment map as a dense (p² × p²) matrix on the standard basis, which is orthonormal
/// for the Frobenius inner product; the map is self-adjoint there, so the matrix is symmetric.
fn dense_operator(pb: &StabilityProblem, eta: f64, batch: usize) -> DMatrix<f64> {
    let p = pb.h.nrows();
    let mut m = DMatrix::<f64>::zeros(p * p, p * p);
    for k in 0..p * p {
        let mut e = DMatrix::<f64>::zeros(p, p);
        e[(k / p, k % p)] = 1.0;
        let t = pb.second_moment_map(&e, eta, batch);
        for l in 0..p * p {
            m[(l, k)] = t[(l / p, l % p)];
        }
    }
    m
}

#[test]
fn power_iteration_finds_the_dense_spectral_radius() {
    let mut rng = Rng::new(3);
    let pb = StabilityProblem::new(DMatrix::from_fn(4, 6, |_, _| rng.normal()));
    for batch in [1, 2, 4] {
        for eta in [0.05, 0.2, 0.5] {
            let m = dense_operator(&pb, eta, batch);
            assert!((&m - m.transpose()).amax() < 1e-12, "self-adjoint");
            let dense = m
                .symmetric_eigen()
                .eigenvalues
                .iter()
                .fold(0.0f64, |a, v| a.max(v.abs()));
            let mut s = DMatrix::<f64>::identity(4, 4);
            let power = pb.radius(eta, batch, &mut s, 5000);
            assert!(
                (dense - power).abs() < 1e-9 * dense,
                "B = {batch}, η = {eta}: {dense} vs {power}"
            );
        }
    }
}

#[test]
fn orthogonal_example_matches_its_closed_form() {
    // g_i = e_i: the diagonal of S evolves with E(1 − η c/B)², c ~ Binomial(B, 1/n), so
    // η* tr(H) = 2Bn/(n − 1 + B) (tr H = 1).
    for n in [2usize, 5, 10] {
        let pb = StabilityProblem::new(DMatrix::identity(n, n));
        for batch in [1usize, 2, 4] {
            let want = 2.0 * (batch * n) as f64 / (n - 1 + batch) as f64;
            let got = pb.sgd_threshold(batch) * pb.trace();
            assert!(
                (got - want).abs() < 1e-8,
                "n = {n}, B = {batch}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn batch_one_bound_holds_on_random_instances() {
    let mut rng = Rng::new(17);
    for _ in 0..5 {
        let (n, p) = (3 + rng.below(6) as usize, 3 + rng.below(6) as usize);
        let pb = StabilityProblem::new(DMatrix::from_fn(n, p, |_, _| rng.normal()));
        assert!(pb.sgd_threshold(1) * pb.trace() <= 2.0 + 1e-9);
        // GD is always at least as permissive.
        assert!(pb.gd_threshold_bisection() >= pb.sgd_threshold(1));
    }
}
