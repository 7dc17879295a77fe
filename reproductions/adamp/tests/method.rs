//! The toy problem's geometry.

use adamp::method::{grad, toy};

#[test]
fn toy_gradient_is_orthogonal_to_w_and_scales_inversely() {
    let u = [170f64.to_radians().cos(), 170f64.to_radians().sin()];
    for w in [[1.0, 0.0], [0.3, -2.0], [-1.5, 0.7]] {
        let g = grad(w, u);
        assert!((g[0] * w[0] + g[1] * w[1]).abs() < 1e-12);
        let g2 = grad([3.0 * w[0], 3.0 * w[1]], u);
        assert!((g2[0] * 3.0 - g[0]).abs() < 1e-12 && (g2[1] * 3.0 - g[1]).abs() < 1e-12);
    }
}

#[test]
fn without_momentum_sgd_and_sgdp_coincide_and_converge() {
    // With μ = 0 the update is the gradient, already orthogonal to w: nothing to project.
    let (a, b) = (
        toy(0.0, false, 0.02, 500, 170.0),
        toy(0.0, true, 0.02, 500, 170.0),
    );
    assert!((a.final_norm() - b.final_norm()).abs() < 1e-6);
    assert!(a.cos.last().unwrap() > &0.9999);
}
