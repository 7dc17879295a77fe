//! The SPDNet pieces.

use bw_rbn::experiment::{geometry_checks, layer_gradient_check};
use bw_rbn::method::{
    Norm, Variant, bimap, bimap_backward, orthonormal, reeig_logeig, simulate, stiefel_step,
};
use harness::rng::Rng;

#[test]
fn bimap_of_the_identity_is_the_identity_and_logeig_is_an_isometry() {
    let mut rng = Rng::new(1);
    let w = orthonormal(6, 3, &mut rng);
    let id: Vec<f64> = (0..36)
        .map(|k| if k / 6 == k % 6 { 1.0 } else { 0.0 })
        .collect();
    let b = bimap(&id, 6, &w, 3);
    for (k, v) in b.iter().enumerate() {
        assert!((v - if k / 3 == k % 3 { 1.0 } else { 0.0 }).abs() < 1e-12);
    }
    // diag(e, e, e): log is I, vectorised norm is √3.
    let e = std::f64::consts::E;
    let x = [e, 0.0, 0.0, 0.0, e, 0.0, 0.0, 0.0, e];
    let v = reeig_logeig(&x, 3, 1e-4);
    assert!((v.iter().map(|a| a * a).sum::<f64>() - 3.0).abs() < 1e-12);
}

#[test]
fn normalised_batches_are_centred_at_the_identity() {
    let mut rng = Rng::new(2);
    let (xs, _) = simulate(5, 2, 10, 100.0, &mut rng);
    for variant in [
        Variant::Airm,
        Variant::Bw {
            theta: 1.0,
            learn_m: false,
        },
    ] {
        let mut norm = Norm::new(variant, 5, 0.0);
        norm.mean_iters = 30;
        let out = norm.forward(&xs, true);
        // The arithmetic mean of the outputs is near the identity's scale (not the inputs').
        let tr: f64 = out
            .chunks(25)
            .map(|x| (0..5).map(|i| x[i * 5 + i]).sum::<f64>())
            .sum::<f64>()
            / 20.0;
        let tr_in: f64 = xs
            .chunks(25)
            .map(|x| (0..5).map(|i| x[i * 5 + i]).sum::<f64>())
            .sum::<f64>()
            / 20.0;
        assert!(
            (tr - 5.0).abs() < 0.5 * (tr_in - 5.0).abs(),
            "{variant:?}: trace {tr} vs input {tr_in}"
        );
    }
    let g = geometry_checks(3);
    assert!(g.isometry < 1e-12 && g.exp_log < 1e-9 && g.dk < 1e-6 && g.barycenter < 1e-10);
}

/// The whole layer's backward against central differences (see `layer_gradient_check`).
#[test]
fn layer_backward_matches_finite_differences() {
    for seed in [9, 10] {
        let err = layer_gradient_check(seed);
        assert!(err < 1e-6, "seed {seed}: relative error {err:e}");
    }
}

/// BiMap's backward against central differences, and the Stiefel step stays on the manifold
/// and moves against the gradient.
#[test]
fn bimap_backward_and_stiefel_step() {
    let (n, m) = (6, 3);
    let mut rng = Rng::new(4);
    let (xs, _) = simulate(n, 2, 1, 30.0, &mut rng);
    let w = orthonormal(n, m, &mut rng);
    let dy: Vec<f64> = (0..2 * m * m).map(|_| rng.normal()).collect();
    let dw = bimap_backward(&xs, n, &w, m, &dy);
    let dir: Vec<f64> = (0..n * m).map(|_| rng.normal()).collect();
    let loss = |w: &[f64]| -> f64 {
        bimap(&xs, n, w, m)
            .iter()
            .zip(&dy)
            .map(|(a, b)| a * b)
            .sum()
    };
    let h = 1e-6;
    let shifted = |s: f64| -> Vec<f64> { w.iter().zip(&dir).map(|(a, d)| a + s * d).collect() };
    let fd = (loss(&shifted(h)) - loss(&shifted(-h))) / (2.0 * h);
    let an: f64 = dw.iter().zip(&dir).map(|(a, b)| a * b).sum();
    assert!((fd - an).abs() < 1e-6 * an.abs().max(1.0), "{an} vs {fd}");
    let w2 = stiefel_step(&w, &dw, n, m, 1e-4);
    for a in 0..m {
        for b in 0..m {
            let d: f64 = (0..n).map(|i| w2[i * m + a] * w2[i * m + b]).sum();
            assert!((d - if a == b { 1.0 } else { 0.0 }).abs() < 1e-12);
        }
    }
    assert!(loss(&w2) < loss(&w), "a small step lowers the loss");
}
