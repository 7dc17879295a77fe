//! The augmented covariance matrix and the minimum-distance-to-mean classifier.
//!
//! - [`augment`]: the delay embedding exactly as MOABB's `AugmentedDataset` builds it.
//! - [`covariance`]: the sample covariance (`numpy.cov`: centred, divided by T − 1), as
//!   pyRiemann's `Covariances(estimator='cov')`.
//! - [`Mdm`]: per-class AIRM (Karcher) means from `kernels::spd::airm_mean` with pyRiemann's
//!   defaults (tol 1e-8, 50 iterations); a trial goes to the class whose mean is nearest in the
//!   AIRM distance.

use kernels::spd::{airm_distance_whitened, airm_mean, invsqrtm};

/// Delay embedding of one epoch `x` (`channels × samples`, row-major): for order p > 1 the
/// blocks `x[:, k·lag : T − (p − k)·lag]`, k = 0 … p − 1, stacked vertically (each
/// `T − p·lag` samples long); order 1 returns `x` unchanged (MOABB's special case).
pub fn augment(
    x: &[f64],
    channels: usize,
    samples: usize,
    order: usize,
    lag: usize,
) -> (Vec<f64>, usize, usize) {
    assert_eq!(x.len(), channels * samples);
    if order == 1 {
        return (x.to_vec(), channels, samples);
    }
    assert!(
        order * lag < samples,
        "the embedding is longer than the epoch"
    );
    let len = samples - order * lag;
    let mut out = Vec::with_capacity(order * channels * len);
    for k in 0..order {
        for c in 0..channels {
            let row = &x[c * samples..(c + 1) * samples];
            out.extend_from_slice(&row[k * lag..k * lag + len]);
        }
    }
    (out, order * channels, len)
}

/// Sample covariance of the rows of `x` (`rows × cols`): centred, divided by `cols − 1`.
pub fn covariance(x: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let means: Vec<f64> = x
        .chunks(cols)
        .map(|r| r.iter().sum::<f64>() / cols as f64)
        .collect();
    let centred: Vec<Vec<f64>> = x
        .chunks(cols)
        .zip(&means)
        .map(|(r, m)| r.iter().map(|v| v - m).collect())
        .collect();
    let mut c = vec![0.0; rows * rows];
    for i in 0..rows {
        for j in i..rows {
            let s: f64 = centred[i]
                .iter()
                .zip(&centred[j])
                .map(|(a, b)| a * b)
                .sum::<f64>()
                / (cols - 1) as f64;
            c[i * rows + j] = s;
            c[j * rows + i] = s;
        }
    }
    c
}

/// Minimum distance to the (AIRM) mean.
#[derive(Clone, Debug)]
pub struct Mdm {
    pub n: usize,
    pub means: Vec<Vec<f64>>,
    /// `M^{−1/2}` of each mean, formed once for all the distances to it.
    whiteners: Vec<Vec<f64>>,
}

impl Mdm {
    /// Fits one mean per class `0 … classes − 1` from the matrices `xs` (`count · n · n`).
    pub fn fit(xs: &[f64], labels: &[usize], n: usize, classes: usize) -> Self {
        let means = (0..classes)
            .map(|c| {
                let members: Vec<f64> = xs
                    .chunks(n * n)
                    .zip(labels)
                    .filter(|(_, l)| **l == c)
                    .flat_map(|(x, _)| x.iter().copied())
                    .collect();
                airm_mean(&members, n, 50, 1e-8).0
            })
            .collect::<Vec<_>>();
        let whiteners = means.iter().map(|m| invsqrtm(m, n)).collect();
        Self {
            n,
            means,
            whiteners,
        }
    }

    pub fn predict(&self, x: &[f64]) -> usize {
        self.whiteners
            .iter()
            .map(|w| airm_distance_whitened(w, x, self.n))
            .enumerate()
            .fold(
                (0, f64::INFINITY),
                |best, (c, d)| if d < best.1 { (c, d) } else { best },
            )
            .0
    }

    /// Fraction of `xs` predicted as `labels`.
    pub fn accuracy(&self, xs: &[f64], labels: &[usize]) -> f64 {
        let n2 = self.n * self.n;
        let hits = xs
            .chunks(n2)
            .zip(labels)
            .filter(|(x, l)| self.predict(x) == **l)
            .count();
        hits as f64 / labels.len() as f64
    }
}
