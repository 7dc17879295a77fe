//! Number formatting shared by the book, the CLI and the snapshots, and JSON encoding of
//! non-finite values (JSON has no NaN: a diverged run must still be written down).

/// Formats a number for prose and tables: integers as integers (with thin grouping for large
/// ones), otherwise four significant digits, scientific notation outside [1e-3, 1e6).
pub fn fmt(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == v.trunc() && v.abs() < 1e15 {
        return group_thousands(v as i64);
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        let s = format!("{v:.3e}");
        // 1.230e-11 -> 1.23e-11
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mant = mant.trim_end_matches('0').trim_end_matches('.');
        return format!("{mant}e{exp}");
    }
    // Four significant digits; below 10, more when four would round a non-integer to an
    // integer (a mass fraction of 0.99996 must not print as 1).
    let mut text = String::new();
    for sig in 4..=9 {
        let digits = (sig - 1 - a.log10().floor() as i32).max(0) as usize;
        text = format!("{v:.digits$}");
        if text.contains('.') {
            text = text.trim_end_matches('0').trim_end_matches('.').to_string();
        }
        if text.contains('.') || a >= 10.0 {
            break;
        }
    }
    text
}

fn group_thousands(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    if digits.len() <= 4 {
        return v.to_string();
    }
    let mut out = String::new();
    for (k, ch) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if v < 0 { format!("-{out}") } else { out }
}

/// Rounds to `sig` significant digits (the precision stored in snapshots).
pub fn round_sig(v: f64, sig: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let scale = 10f64.powi(sig - 1 - v.abs().log10().floor() as i32);
    if !scale.is_finite() || scale == 0.0 {
        return v;
    }
    (v * scale).round() / scale
}

/// Serde for `Vec<f64>` that writes NaN and infinities as the strings "NaN", "inf", "-inf".
pub mod vec {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Num {
        F(f64),
        S(String),
    }

    pub fn serialize<S: Serializer>(values: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let v: Vec<Num> = values
            .iter()
            .map(|&x| {
                if x.is_finite() {
                    Num::F(x)
                } else {
                    Num::S(super::fmt(x))
                }
            })
            .collect();
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let v = Vec::<Num>::deserialize(d)?;
        v.into_iter()
            .map(|n| match n {
                Num::F(x) => Ok(x),
                Num::S(s) => match s.as_str() {
                    "NaN" => Ok(f64::NAN),
                    "inf" => Ok(f64::INFINITY),
                    "-inf" => Ok(f64::NEG_INFINITY),
                    other => Err(serde::de::Error::custom(format!(
                        "expected a number, NaN, inf or -inf, found {other:?}"
                    ))),
                },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_for_prose() {
        assert_eq!(fmt(29.0), "29");
        assert_eq!(fmt(56199.0), "56,199");
        assert_eq!(fmt(1234.0), "1234");
        assert_eq!(fmt(0.123456), "0.1235");
        assert_eq!(fmt(12.3456), "12.35");
        assert_eq!(fmt(0.9999625), "0.99996");
        assert_eq!(fmt(1351.35), "1351");
        assert_eq!(fmt(1.5e-11), "1.5e-11");
        assert_eq!(fmt(-2.0e7 + 0.5), "-2e7");
        assert_eq!(fmt(f64::NAN), "NaN");
    }

    #[test]
    fn rounds_to_significant_digits() {
        assert_eq!(round_sig(123456.0, 3), 123000.0);
        assert_eq!(round_sig(0.00123456, 3), 0.00123);
        assert_eq!(round_sig(0.0, 3), 0.0);
    }

    #[test]
    fn non_finite_values_survive_json() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct W {
            #[serde(with = "super::vec")]
            v: Vec<f64>,
        }
        let text = serde_json::to_string(&W {
            v: vec![1.5, f64::NAN, f64::INFINITY],
        })
        .unwrap();
        assert_eq!(text, r#"{"v":[1.5,"NaN","inf"]}"#);
        let back: W = serde_json::from_str(&text).unwrap();
        assert_eq!(back.v[0], 1.5);
        assert!(back.v[1].is_nan());
        assert!(serde_json::from_str::<W>(r#"{"v":["oops"]}"#).is_err());
    }
}
