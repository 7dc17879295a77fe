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
    fn fits_a_line_exactly() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y: Vec<f64> = x.iter().map(|a| 2.0 * a - 1.0).collect();
        let (s, b, se) = linear_fit(&x, &y);
        assert!((s - 2.0).abs() < 1e-14 && (b + 1.0).abs() < 1e-14 && se < 1e-12);
    }
}
