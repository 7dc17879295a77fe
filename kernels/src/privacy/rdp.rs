//! Rényi-DP accounting of the Poisson-subsampled Gaussian mechanism (DP-SGD), written to agree
//! with Opacus 1.6 (`opacus/accountants/analysis/rdp.py`, `RDPAccountant`,
//! `get_noise_multiplier`) and with `dp_accounting` 0.6 (`rdp_privacy_accountant`).
//!
//! One step with sampling rate q and noise multiplier σ has, at order α,
//!
//! ```text
//!   RDP(α) = log A_α / (α − 1),   A_α = E_{z∼μ0} [(μ(z)/μ0(z))^α],   μ = (1−q) μ0 + q μ1,
//! ```
//!
//! with μ0 = N(0, σ²), μ1 = N(1, σ²) (Mironov, Talwar and Zhang 2019). For integer α the
//! expectation is the binomial sum `Σ_i C(α,i) q^i (1−q)^(α−i) exp((i²−i)/(2σ²))`; for
//! fractional α it splits at `z0 = σ² log(1/q − 1) + 1/2` into two series with erfc weights,
//! summed until the terms are negligible. RDP composes additively over steps. The libraries
//! differ in the orders, the fractional series and the conversion to (ε, δ); both are given
//! ([`Accountant`]).

use std::fmt;

/// Why an accounting request was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum PrivacyError {
    /// A parameter outside its domain, with its name and value.
    OutOfRange {
        name: &'static str,
        value: f64,
        domain: &'static str,
    },
    /// The noise search could not reach the target ε (Opacus: "The privacy budget is too low.").
    Unreachable { epsilon: f64, delta: f64 },
}

impl fmt::Display for PrivacyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutOfRange {
                name,
                value,
                domain,
            } => write!(f, "{name} = {value} is outside {domain}"),
            Self::Unreachable { epsilon, delta } => write!(
                f,
                "ε = {epsilon} at δ = {delta} is unreachable: no noise multiplier up to {MAX_SIGMA:e} \
                 gives it (the privacy budget is too low)"
            ),
        }
    }
}

impl std::error::Error for PrivacyError {}

/// Opacus' ceiling on the searched noise multiplier (`MAX_SIGMA`).
pub const MAX_SIGMA: f64 = 1e6;

fn out_of_range(name: &'static str, value: f64, domain: &'static str) -> PrivacyError {
    PrivacyError::OutOfRange {
        name,
        value,
        domain,
    }
}

/// Checks q ∈ (0, 1].
pub fn check_rate(q: f64) -> Result<(), PrivacyError> {
    if q > 0.0 && q <= 1.0 {
        Ok(())
    } else {
        Err(out_of_range("sampling rate q", q, "(0, 1]"))
    }
}

/// Checks δ ∈ (0, 1).
pub fn check_delta(delta: f64) -> Result<(), PrivacyError> {
    if delta > 0.0 && delta < 1.0 {
        Ok(())
    } else {
        Err(out_of_range("δ", delta, "(0, 1)"))
    }
}

/// Checks σ > 0 (finite).
pub fn check_sigma(sigma: f64) -> Result<(), PrivacyError> {
    if sigma > 0.0 && sigma.is_finite() {
        Ok(())
    } else {
        Err(out_of_range("noise multiplier σ", sigma, "(0, ∞)"))
    }
}

/// Whose accountant to follow: the two libraries differ in their default orders, in the
/// fractional-order series, and in the RDP → (ε, δ) conversion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accountant {
    /// Opacus 1.6 `RDPAccountant`: orders 1.1, 1.2, …, 10.9, 12, …, 63; the signed series
    /// (binomial coefficients of either sign, log-subtracted), stopped when both terms fall below
    /// e^-30; `ε = r − (log δ + log α)/(α − 1) + log((α − 1)/α)` minimised over the orders
    /// (Balle et al. 2020, Theorem 21).
    Opacus,
    /// `dp_accounting` 0.6 `RdpAccountant`: orders 1.1, …, 10.9, 11, …, 63, 128, 256, 512, 1024;
    /// the series of absolute terms (`_log_comb` is log |C(α, i)|), stopped when both terms
    /// decrease and fall e^30 below the running total, an order dropped (RDP = ∞) after 1000
    /// terms; the same bound but ε = 0 where `δ² + expm1(−r) > 0`, orders ≤ 1.01 skipped,
    /// clamped at 0.
    DpAccounting,
}

impl Accountant {
    /// The orders the library evaluates by default.
    pub fn orders(self) -> Vec<f64> {
        let mut v: Vec<f64> = (1..100).map(|x| 1.0 + x as f64 / 10.0).collect();
        match self {
            Self::Opacus => v.extend((12..64).map(f64::from)),
            Self::DpAccounting => {
                v.extend((11..64).map(f64::from));
                v.extend([128.0, 256.0, 512.0, 1024.0]);
            }
        }
        v
    }
}

/// `log(e^a + e^b)`.
fn log_add(a: f64, b: f64) -> f64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        hi
    } else {
        (lo - hi).exp().ln_1p() + hi
    }
}

/// `log(e^a − e^b)` for a ≥ b (the series' alternating terms never make it negative).
fn log_sub(a: f64, b: f64) -> f64 {
    if b == f64::NEG_INFINITY {
        a
    } else if a <= b {
        f64::NEG_INFINITY
    } else {
        (a - b).exp_m1().ln() + b
    }
}

/// `log erfc(x)`, accurate where erfc underflows (x ≳ 26) by its asymptotic series.
pub fn log_erfc(x: f64) -> f64 {
    if x < 25.0 {
        return libm::erfc(x).ln();
    }
    let r = 1.0 / (x * x);
    // erfc x = e^{−x²}/(x√π) · (1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶) + 105/(16x⁸) − …)
    let series = 1.0 - 0.5 * r + 0.75 * r * r - 1.875 * r.powi(3) + 6.5625 * r.powi(4);
    -x * x - x.ln() - 0.5 * std::f64::consts::PI.ln() + series.ln()
}

/// `log |C(α, i)|` through log-gamma (valid for fractional α and i > α + 1).
fn log_comb(alpha: f64, i: f64) -> f64 {
    let lg = |v: f64| libm::lgamma(v + 1.0);
    lg(alpha) - lg(i) - lg(alpha - i)
}

fn log_a_int(q: f64, sigma: f64, alpha: u32) -> f64 {
    let a = f64::from(alpha);
    (0..=alpha).fold(f64::NEG_INFINITY, |acc, i| {
        let i = f64::from(i);
        let log_coef = log_comb(a, i) + i * q.ln() + (a - i) * (-q).ln_1p();
        log_add(acc, log_coef + (i * i - i) / (2.0 * sigma * sigma))
    })
}

/// The i-th pair of log-terms (s0, s1) of the fractional series, given log |C(α, i)|.
fn frac_terms(q: f64, sigma: f64, alpha: f64, i: f64, log_coef: f64) -> (f64, f64) {
    let z0 = sigma * sigma * (1.0 / q - 1.0).ln() + 0.5;
    let s2 = std::f64::consts::SQRT_2 * sigma;
    let j = alpha - i;
    let log_t0 = log_coef + i * q.ln() + j * (-q).ln_1p();
    let log_t1 = log_coef + j * q.ln() + i * (-q).ln_1p();
    let log_e0 = 0.5f64.ln() + log_erfc((i - z0) / s2);
    let log_e1 = 0.5f64.ln() + log_erfc((z0 - j) / s2);
    (
        log_t0 + (i * i - i) / (2.0 * sigma * sigma) + log_e0,
        log_t1 + (j * j - j) / (2.0 * sigma * sigma) + log_e1,
    )
}

/// Opacus' signed series: C(α, i) by the recurrence C(α, i+1) = C(α, i)(α − i)/(i + 1).
fn log_a_frac_opacus(q: f64, sigma: f64, alpha: f64) -> f64 {
    let (mut a0, mut a1) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    let mut coef = 1.0f64;
    // Opacus loops until the terms are negligible; the cap only guards against NaN input.
    for i in 0..1_000_000 {
        let i = f64::from(i);
        let (s0, s1) = frac_terms(q, sigma, alpha, i, coef.abs().ln());
        if coef > 0.0 {
            a0 = log_add(a0, s0);
            a1 = log_add(a1, s1);
        } else {
            a0 = log_sub(a0, s0);
            a1 = log_sub(a1, s1);
        }
        coef *= (alpha - i) / (i + 1.0);
        if s0.max(s1) < -30.0 {
            break;
        }
    }
    log_add(a0, a1)
}

/// dp_accounting's series of absolute terms, ∞ when 1000 terms do not converge.
fn log_a_frac_dp_accounting(q: f64, sigma: f64, alpha: f64) -> f64 {
    let (mut a0, mut a1) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    let (mut last0, mut last1) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for i in 0..1000 {
        let i = f64::from(i);
        let (s0, s1) = frac_terms(q, sigma, alpha, i, log_comb(alpha, i));
        a0 = log_add(a0, s0);
        a1 = log_add(a1, s1);
        let total = log_add(a0, a1);
        if s0 < last0 && s1 < last1 && s0.max(s1) < total - 30.0 {
            return total;
        }
        (last0, last1) = (s0, s1);
    }
    f64::INFINITY
}

/// RDP at order `alpha` of one Poisson-subsampled Gaussian step (q ∈ [0, 1], σ ≥ 0).
pub fn rdp_step(q: f64, sigma: f64, alpha: f64, acc: Accountant) -> f64 {
    if q == 0.0 {
        0.0
    } else if sigma == 0.0 || alpha.is_infinite() {
        f64::INFINITY
    } else if q == 1.0 {
        alpha / (2.0 * sigma * sigma)
    } else if alpha.fract() == 0.0 {
        log_a_int(q, sigma, alpha as u32) / (alpha - 1.0)
    } else {
        match acc {
            Accountant::Opacus => log_a_frac_opacus(q, sigma, alpha) / (alpha - 1.0),
            Accountant::DpAccounting => log_a_frac_dp_accounting(q, sigma, alpha) / (alpha - 1.0),
        }
    }
}

/// ε at `delta` from RDP values `rdp` at `orders`, and the order that attains it.
pub fn epsilon_from_rdp(orders: &[f64], rdp: &[f64], delta: f64, acc: Accountant) -> (f64, f64) {
    let mut best = (f64::INFINITY, f64::NAN);
    for (&a, &r) in orders.iter().zip(rdp) {
        let eps = match acc {
            Accountant::Opacus => r - (delta.ln() + a.ln()) / (a - 1.0) + ((a - 1.0) / a).ln(),
            Accountant::DpAccounting => {
                if delta * delta + (-r).exp_m1() > 0.0 {
                    0.0
                } else if a > 1.01 {
                    r + (-1.0 / a).ln_1p() - (delta * a).ln() / (a - 1.0)
                } else {
                    f64::INFINITY
                }
            }
        };
        if eps < best.0 {
            best = (eps, a);
        }
    }
    match acc {
        Accountant::Opacus => best,
        Accountant::DpAccounting => (best.0.max(0.0), best.1),
    }
}

/// The (ε, δ) spent by `steps` DP-SGD steps at rate q and noise σ, with a library's orders and
/// conversion; returns ε and the optimal order.
pub fn epsilon(
    q: f64,
    sigma: f64,
    steps: u64,
    delta: f64,
    acc: Accountant,
) -> Result<(f64, f64), PrivacyError> {
    check_rate(q)?;
    check_sigma(sigma)?;
    check_delta(delta)?;
    let orders = acc.orders();
    let rdp: Vec<f64> = orders
        .iter()
        .map(|&a| rdp_step(q, sigma, a, acc) * steps as f64)
        .collect();
    Ok(epsilon_from_rdp(&orders, &rdp, delta, acc))
}

/// Opacus' `get_noise_multiplier(target_epsilon, target_delta, sample_rate, steps,
/// accountant="rdp", epsilon_tolerance)`: doubling from σ = 10 until ε ≤ target, then bisection
/// until ε is within `tol` below the target; returns the upper end σ. Bounded: doubling stops at
/// [`MAX_SIGMA`] with [`PrivacyError::Unreachable`], bisection after 200 halvings.
pub fn noise_multiplier(
    target_epsilon: f64,
    delta: f64,
    q: f64,
    steps: u64,
    tol: f64,
) -> Result<f64, PrivacyError> {
    if !(target_epsilon > 0.0 && target_epsilon.is_finite()) {
        return Err(out_of_range("target ε", target_epsilon, "(0, ∞)"));
    }
    if tol.is_nan() || tol <= 0.0 {
        return Err(out_of_range("ε tolerance", tol, "(0, ∞)"));
    }
    check_rate(q)?;
    check_delta(delta)?;
    let eps = |s: f64| epsilon(q, s, steps, delta, Accountant::Opacus).map(|e| e.0);
    let (mut lo, mut hi) = (0.0f64, 10.0f64);
    let mut eps_high = f64::INFINITY;
    while eps_high > target_epsilon {
        hi *= 2.0;
        eps_high = eps(hi)?;
        if hi > MAX_SIGMA {
            return Err(PrivacyError::Unreachable {
                epsilon: target_epsilon,
                delta,
            });
        }
    }
    for _ in 0..200 {
        if target_epsilon - eps_high <= tol {
            return Ok(hi);
        }
        let mid = (lo + hi) / 2.0;
        let e = eps(mid)?;
        if e < target_epsilon {
            hi = mid;
            eps_high = e;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// Opacus' step count for a number of epochs: `int(epochs / q)`.
pub fn steps_for_epochs(epochs: f64, q: f64) -> u64 {
    (epochs / q) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_batch_is_the_gaussian_mechanism() {
        // q = 1: RDP(α) = α/(2σ²) exactly.
        assert_eq!(rdp_step(1.0, 2.0, 3.0, Accountant::Opacus), 3.0 / 8.0);
        assert_eq!(rdp_step(0.0, 2.0, 3.0, Accountant::Opacus), 0.0);
    }

    #[test]
    fn integer_and_fractional_series_agree_near_an_integer() {
        // The two series compute the same A_α; continuity across α = 4.
        let (q, s) = (0.05, 1.3);
        let at = rdp_step(q, s, 4.0, Accountant::Opacus);
        let near = rdp_step(q, s, 4.0 + 1e-7, Accountant::Opacus);
        assert!((at - near).abs() / at < 1e-5, "{at} vs {near}");
    }

    #[test]
    fn log_erfc_is_continuous_at_the_switch() {
        let a = libm::erfc(24.999).ln();
        let b = log_erfc(25.001);
        assert!((a - b).abs() < 0.2 && b < a);
        assert!(
            (log_erfc(25.0) - (-625.0 - 25f64.ln() - 0.5 * std::f64::consts::PI.ln())).abs() < 1e-3
        );
    }

    #[test]
    fn bad_input_is_named() {
        let e = epsilon(0.1, 1.0, 10, 1.0, Accountant::Opacus).unwrap_err();
        assert!(e.to_string().contains("δ"), "{e}");
        assert!(epsilon(0.0, 1.0, 10, 1e-5, Accountant::Opacus).is_err());
        assert!(epsilon(1.5, 1.0, 10, 1e-5, Accountant::Opacus).is_err());
        assert!(epsilon(0.1, 0.0, 10, 1e-5, Accountant::Opacus).is_err());
        assert!(noise_multiplier(0.0, 1e-5, 0.1, 10, 0.01).is_err());
        let e = noise_multiplier(0.01, 1e-5, 0.5, 100_000, 0.01).unwrap_err();
        assert!(matches!(e, PrivacyError::Unreachable { .. }), "{e}");
    }

    #[test]
    fn more_noise_spends_less() {
        let e = |s| epsilon(0.01, s, 1000, 1e-5, Accountant::Opacus).unwrap().0;
        assert!(e(0.8) > e(1.0) && e(1.0) > e(2.0));
        let s = noise_multiplier(2.0, 1e-5, 0.01, 1000, 0.01).unwrap();
        let got = e(s);
        assert!(got <= 2.0 && got > 1.99, "σ = {s} gives ε = {got}");
    }
}
