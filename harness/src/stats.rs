//! Small statistics used by every reproduction: location, spread, intervals, slopes.

/// Arithmetic mean; NaN for an empty slice.
pub fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sample standard deviation (n - 1 in the denominator); 0 for fewer than two values.
pub fn sd(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

/// Standard error of the mean.
pub fn se(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    sd(v) / (v.len() as f64).sqrt()
}

pub fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

pub fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// Median (average of the middle pair for even lengths); NaN for an empty slice.
pub fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let k = s.len() / 2;
    if s.len() % 2 == 1 {
        s[k]
    } else {
        0.5 * (s[k - 1] + s[k])
    }
}

/// Least-squares slope and intercept of `y` on `x`, with the slope's standard error.
pub fn linear_fit(x: &[f64], y: &[f64]) -> (f64, f64, f64) {
    assert_eq!(x.len(), y.len(), "x and y must have equal length");
    let n = x.len() as f64;
    let (mx, my) = (mean(x), mean(y));
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let rss: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| (b - intercept - slope * a).powi(2))
        .sum();
    let se = if x.len() > 2 {
        (rss / (n - 2.0) / sxx).sqrt()
    } else {
        f64::NAN
    };
    (slope, intercept, se)
}

/// Standard normal density.
pub fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal distribution function Φ(x), accurate in both tails (through `erfc`).
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Upper tail 1 − Φ(x), without cancellation for large x.
pub fn norm_sf(x: f64) -> f64 {
    0.5 * libm::erfc(x / std::f64::consts::SQRT_2)
}

/// The standard normal quantile Φ⁻¹(p): Acklam's rational approximation (relative error about
/// 1e-9) refined by two Halley steps on Φ, which bring it to double precision.
pub fn norm_ppf(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let p_low = 0.02425;
    let mut x = if p < p_low {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - p_low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    };
    for _ in 0..2 {
        // Halley's step on Φ(x) - p, with the error measured on the side that has no cancellation.
        let e = if x < 0.0 {
            norm_cdf(x) - p
        } else {
            (1.0 - p) - norm_sf(x)
        };
        let u = e / norm_pdf(x);
        if !u.is_finite() {
            break;
        }
        x -= u / (1.0 + 0.5 * x * u);
    }
    x
}

/// The resolution of an accuracy measured on `n_test` examples: one example. The suite's rule
/// for comparisons of seed-mean accuracies: a difference within it (less than one test example
/// per seed) is a tie.
pub fn accuracy_resolution(n_test: usize) -> f64 {
    1.0 / n_test as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_statistics() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(mean(&v), 2.5);
        assert!((sd(&v) - 1.2909944487358056).abs() < 1e-15);
        assert_eq!(median(&v), 2.5);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!((min(&v), max(&v)), (1.0, 4.0));
        assert!(mean(&[]).is_nan());
        assert_eq!(sd(&[5.0]), 0.0);
    }

    #[test]
    fn normal_functions_invert_each_other() {
        assert!((norm_cdf(0.0) - 0.5).abs() < 1e-16);
        assert!((norm_cdf(1.96) - 0.9750021048517795).abs() < 1e-15);
        for &p in &[1e-300, 1e-12, 0.001, 0.3, 0.5, 0.77, 0.999, 1.0 - 1e-12] {
            let x = norm_ppf(p);
            let back = if x < 0.0 {
                norm_cdf(x)
            } else {
                1.0 - norm_sf(x)
            };
            // Φ changes by a relative |x| per unit of x, so a last-bit error in x shows as ~|x| ulp.
            let tol = 4.0 * f64::EPSILON * (1.0 + x * x) * p.min(1.0 - p);
            assert!((back - p).abs() <= tol, "p = {p:e}: {back:e}");
        }
        assert_eq!(norm_ppf(0.0), f64::NEG_INFINITY);
        assert!(norm_ppf(1.5).is_nan());
    }

    #[test]
    fn fits_a_line_exactly() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y: Vec<f64> = x.iter().map(|a| 2.0 * a - 1.0).collect();
        let (s, b, se) = linear_fit(&x, &y);
        assert!((s - 2.0).abs() < 1e-14 && (b + 1.0).abs() < 1e-14 && se < 1e-12);
    }
}
