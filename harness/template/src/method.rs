//! The method: two estimators of the location μ of N(μ, 1) from n draws.
//!
//! The mean is efficient, with variance 1/n; the median has asymptotic variance π/(2n), so its
//! relative efficiency is 2/π ≈ 0.64 (the claim the example tests).

/// The sample mean.
pub fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// The sample median (the mean of the two middle values for an even count).
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// The estimators compared (the arms of the grid).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Estimator {
    Mean,
    Median,
}

impl Estimator {
    pub const ALL: [Estimator; 2] = [Estimator::Mean, Estimator::Median];

    pub fn key(self) -> &'static str {
        match self {
            Estimator::Mean => "mean",
            Estimator::Median => "median",
        }
    }

    pub fn estimate(self, xs: &[f64]) -> f64 {
        match self {
            Estimator::Mean => mean(xs),
            Estimator::Median => median(xs),
        }
    }
}
