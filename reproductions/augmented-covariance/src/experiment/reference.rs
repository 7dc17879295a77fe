//! A3's reference checks: our embedding, covariances and MDM against the fixture written by
//! `fixtures/generate.py` (MOABB 1.7.2, pyRiemann 0.12).

use super::ReferenceChecks;
use crate::method::{Mdm, augment, covariance};
use serde::Deserialize;

/// The fixture `fixtures/pyriemann_mdm.json`, as far as the checks read it.
#[derive(Deserialize)]
struct Fixture {
    /// Epochs for the embedding, `x_shape` = (epochs, channels, samples).
    x: Vec<f64>,
    x_shape: Vec<usize>,
    /// MOABB's embedding of `x` at three (order, lag).
    augmented: Vec<Augmented>,
    /// Epochs for MDM, `epochs_shape` = (epochs, channels, samples), their labels, and how many
    /// of them train.
    epochs: Vec<f64>,
    epochs_shape: Vec<usize>,
    labels: Vec<usize>,
    n_train: usize,
    /// pyRiemann's inputs (covariances of the order-3, lag-2 embedding, `n × n` each), class
    /// means and held-out predictions.
    covs: Vec<f64>,
    n: usize,
    means: Vec<Vec<f64>>,
    predictions: Vec<usize>,
}

#[derive(Deserialize)]
struct Augmented {
    order: usize,
    lag: usize,
    values: Vec<f64>,
}

/// The largest embedding difference, the largest relative difference of the class means (and
/// absolute of the covariances), and the number of differing predictions.
pub fn reference_checks() -> ReferenceChecks {
    let fx: Fixture =
        serde_json::from_str(include_str!("../../fixtures/pyriemann_mdm.json")).expect("fixture");
    let (c, t) = (fx.x_shape[1], fx.x_shape[2]);
    let mut aug_err: f64 = 0.0;
    for a in &fx.augmented {
        let ours: Vec<f64> =
            fx.x.chunks(c * t)
                .flat_map(|e| augment(e, c, t, a.order, a.lag).0)
                .collect();
        assert_eq!(
            ours.len(),
            a.values.len(),
            "embedding size differs from MOABB's"
        );
        aug_err = ours
            .iter()
            .zip(&a.values)
            .map(|(p, q)| (p - q).abs())
            .fold(aug_err, f64::max);
    }
    let es = &fx.epochs_shape;
    let (n, n_train) = (fx.n, fx.n_train);
    let covs: Vec<f64> = fx
        .epochs
        .chunks(es[1] * es[2])
        .flat_map(|e| {
            let (a, r, k) = augment(e, es[1], es[2], 3, 2);
            covariance(&a, r, k)
        })
        .collect();
    let cov_err = covs
        .iter()
        .zip(&fx.covs)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f64::max);
    let mdm = Mdm::fit(&covs[..n_train * n * n], &fx.labels[..n_train], n, 2);
    let mut mean_err = cov_err;
    for (ours, want) in mdm.means.iter().zip(&fx.means) {
        let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        mean_err = ours
            .iter()
            .zip(want)
            .map(|(p, q)| (p - q).abs() / scale)
            .fold(mean_err, f64::max);
    }
    let mismatches = covs[n_train * n * n..]
        .chunks(n * n)
        .zip(&fx.predictions)
        .filter(|(x, p)| mdm.predict(x) != **p)
        .count();
    ReferenceChecks {
        aug_err,
        mean_err,
        mismatches,
    }
}
