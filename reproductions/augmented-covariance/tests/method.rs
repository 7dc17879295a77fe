//! The embedding, the covariance, the simulation and the reference checks.

use augmented_covariance::experiment::{Effect, SPEC, ar2_gain, reference_checks, simulate};
use augmented_covariance::method::{augment, covariance};

#[test]
fn embedding_blocks_are_lagged_copies() {
    // Two channels, ten samples: x[c][t] = 10 c + t.
    let x: Vec<f64> = (0..20).map(|k| (10 * (k / 10) + k % 10) as f64).collect();
    let (a, rows, cols) = augment(&x, 2, 10, 3, 2);
    assert_eq!((rows, cols), (6, 4));
    // Block k, channel c starts at sample k·lag.
    assert_eq!(&a[0..4], &[0.0, 1.0, 2.0, 3.0]);
    assert_eq!(&a[2 * 4..3 * 4], &[2.0, 3.0, 4.0, 5.0]);
    assert_eq!(&a[5 * 4..6 * 4], &[14.0, 15.0, 16.0, 17.0]);
    assert_eq!(augment(&x, 2, 10, 1, 7).0, x);
}

#[test]
fn covariance_is_numpy_cov() {
    let x = [1.0, 2.0, 4.0, 2.0, 0.0, 1.0];
    let c = covariance(&x, 2, 3);
    // numpy.cov([[1, 2, 4], [2, 0, 1]]) = [[7/3, -0.5], [-0.5, 1]].
    for (got, want) in c.iter().zip([7.0 / 3.0, -0.5, -0.5, 1.0]) {
        assert!((got - want).abs() < 1e-12);
    }
}

#[test]
fn ar2_sources_have_the_intended_power() {
    // The classes of the temporal set differ in frequency, not in channel power.
    let d = simulate(Effect::Temporal, &SPEC, 11);
    let power = |class: usize| {
        let v: Vec<f64> =
            d.x.iter()
                .zip(&d.y)
                .filter(|(_, y)| **y == class)
                .map(|(x, _)| x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64)
                .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (p0, p1) = (power(0), power(1));
    assert!((p0 / p1 - 1.0).abs() < 0.1, "{p0} vs {p1}");
    // The gain formula on a white-noise special case (a1 = a2 = 0).
    assert!((ar2_gain(0.0, 0.0) - 1.0).abs() < 1e-15);
}

#[test]
fn matches_moabb_and_pyriemann() {
    let r = reference_checks();
    assert!(r.aug_err < 1e-12, "{}", r.aug_err);
    assert!(r.mean_err < 1e-8, "{}", r.mean_err);
    assert_eq!(r.mismatches, 0);
}
