//! Geometric Brownian motion (GBM) as a multiplicative forward diffusion, with exact scores for
//! data whose logarithm is a Gaussian mixture.
//!
//! **Forward.** dX = μX dt + σX ⊙ dW (Itô). With Y = log X (Lamperti), dY = (μ − σ²/2) dt + σ dW, so
//! `log x_τ = log x₀ + (μ − σ²/2)τ + σ√τ z`: a log-normal law per coordinate.
//!
//! **Scores.** If log X₀ ~ Σₖ πₖ N(mₖ, s² I), then log X_τ ~ Σₖ πₖ N(mₖ + (μ − σ²/2)τ, (s² + σ²τ) I).
//! The Hyvärinen score of the ambient density, s_H(x) = x ⊙ ∇ₓ log p(x), is the log-space score
//! minus one: p_X(x) = p_Y(log x)/∏ xⱼ gives s_H = ∇_y log p_Y(y) − 1 at y = log x. Given x₀ it is
//! s_H(x | x₀) = −1 − (log x − log x₀ − (μ − σ²/2)τ)/(σ²τ).
//!
//! Everything here is f64: the checks it serves compare identities to 1e-12.

use super::GaussianMixture;

/// A GBM's drift μ and volatility σ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gbm {
    pub mu: f64,
    pub sigma: f64,
}

/// Bad input to the multiplicative model, naming the argument.
#[derive(Clone, Debug, PartialEq)]
pub enum GbmError {
    /// σ, τ or a step out of its domain.
    OutOfRange {
        name: &'static str,
        value: f64,
        domain: &'static str,
    },
    /// Data the multiplicative model cannot take (it lives on the positive orthant).
    NonPositive { index: usize, value: f64 },
}

impl std::fmt::Display for GbmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OutOfRange {
                name,
                value,
                domain,
            } => write!(f, "{name} = {value} is outside {domain}"),
            Self::NonPositive { index, value } => write!(
                f,
                "the multiplicative model needs positive data; entry {index} is {value}"
            ),
        }
    }
}

impl std::error::Error for GbmError {}

/// `Ok` if `value` is finite and positive.
pub fn positive(name: &'static str, value: f64) -> Result<f64, GbmError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(GbmError::OutOfRange {
            name,
            value,
            domain: "(0, ∞)",
        })
    }
}

/// The first entry of `x` that is not a positive finite number, as an error.
pub fn check_positive(x: &[f64]) -> Result<(), GbmError> {
    match x.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
        Some(index) => Err(GbmError::NonPositive {
            index,
            value: x[index],
        }),
        None => Ok(()),
    }
}

impl Gbm {
    pub fn new(mu: f64, sigma: f64) -> Result<Self, GbmError> {
        if !mu.is_finite() {
            return Err(GbmError::OutOfRange {
                name: "μ",
                value: mu,
                domain: "the finite numbers",
            });
        }
        positive("σ", sigma)?;
        Ok(Self { mu, sigma })
    }

    /// The log-space drift μ − σ²/2.
    pub fn log_drift(&self) -> f64 {
        self.mu - 0.5 * self.sigma * self.sigma
    }

    /// x_τ from x₀ and standard normal `z` (same shape).
    pub fn noise(&self, x0: &[f64], tau: f64, z: &[f64]) -> Result<Vec<f64>, GbmError> {
        positive("τ", tau)?;
        check_positive(x0)?;
        let (drift, sd) = (self.log_drift() * tau, self.sigma * tau.sqrt());
        Ok(x0
            .iter()
            .zip(z)
            .map(|(x, z)| x * (drift + sd * z).exp())
            .collect())
    }

    /// The law of log x_τ when log x₀ ~ `log_data`.
    pub fn log_marginal(&self, log_data: &GaussianMixture, tau: f64) -> GaussianMixture {
        let var = log_data.std * log_data.std + self.sigma * self.sigma * tau;
        log_data.transformed(1.0, self.log_drift() * tau, var.sqrt())
    }

    /// The exact Hyvärinen score s_H(x) at time τ for a batch of positive `x` (n × d).
    pub fn hyvarinen_score(
        &self,
        log_data: &GaussianMixture,
        x: &[f64],
        tau: f64,
    ) -> Result<Vec<f64>, GbmError> {
        check_positive(x)?;
        let y: Vec<f64> = x.iter().map(|v| v.ln()).collect();
        Ok(self
            .log_marginal(log_data, tau)
            .score(&y)
            .into_iter()
            .map(|s| s - 1.0)
            .collect())
    }

    /// The conditional Hyvärinen score s_H(x_τ | x₀) (same shapes, positive entries).
    pub fn conditional_score(&self, x: &[f64], x0: &[f64], tau: f64) -> Vec<f64> {
        let v = self.sigma * self.sigma * tau;
        x.iter()
            .zip(x0)
            .map(|(x, x0)| -1.0 - (x.ln() - x0.ln() - self.log_drift() * tau) / v)
            .collect()
    }

    /// log p_X(x) of one positive point at time τ: the log-space density less Σ log xⱼ.
    pub fn log_density(&self, log_data: &GaussianMixture, x: &[f64], tau: f64) -> f64 {
        let y: Vec<f64> = x.iter().map(|v| v.ln()).collect();
        self.log_marginal(log_data, tau).log_density(&y) - y.iter().sum::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> GaussianMixture {
        GaussianMixture {
            dim: 2,
            means: vec![0.0, 0.0, 0.8, -0.4, -0.4, 0.8],
            std: 0.15,
        }
    }

    #[test]
    fn the_hyvarinen_score_is_x_times_the_ambient_score() {
        let (g, gm) = (Gbm::new(0.32, 0.8).unwrap(), data());
        let (x, tau) = ([1.3, 0.7], 0.3);
        let s = g.hyvarinen_score(&gm, &x, tau).unwrap();
        for j in 0..2 {
            let h = 1e-6;
            let (mut p, mut m) = (x, x);
            p[j] += h;
            m[j] -= h;
            let d = (g.log_density(&gm, &p, tau) - g.log_density(&gm, &m, tau)) / (2.0 * h);
            assert!(
                (s[j] - x[j] * d).abs() < 1e-7,
                "coordinate {j}: {} vs {}",
                s[j],
                x[j] * d
            );
        }
    }

    #[test]
    fn bad_input_is_named() {
        assert!(matches!(
            Gbm::new(0.0, 0.0),
            Err(GbmError::OutOfRange { name: "σ", .. })
        ));
        let g = Gbm::new(0.32, 0.8).unwrap();
        let err = g.noise(&[1.0, -0.5], 0.1, &[0.0, 0.0]).unwrap_err();
        assert_eq!(
            err,
            GbmError::NonPositive {
                index: 1,
                value: -0.5
            }
        );
        assert!(err.to_string().contains("positive data"));
        assert!(g.noise(&[1.0], 0.0, &[0.0]).is_err());
    }
}
