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

/// A number as a statement writes it: its text, value and the half-unit of its last digit.
#[derive(Clone, Debug, PartialEq)]
pub struct WrittenNumber {
    pub text: String,
    pub value: f64,
    /// Half a unit in the last written place (how far a value may lie and still print so).
    pub tol: f64,
    /// Followed by `%`: also matches `value / 100`.
    pub percent: bool,
}

impl WrittenNumber {
    /// Whether `k` prints as this number (sign ignored: "falls 0.05 below" states ≤ −0.05).
    pub fn matches(&self, k: f64) -> bool {
        let close = |v: f64, tol: f64| (v.abs() - k.abs()).abs() <= tol * (1.0 + 1e-9) + 1e-300;
        close(self.value, self.tol) || (self.percent && close(self.value / 100.0, self.tol / 100.0))
    }
}

const SUPERSCRIPTS: &str = "⁰¹²³⁴⁵⁶⁷⁸⁹";

/// The numbers written in a text, skipping those that are part of a name (`F1`, `GCR-8`, `8n`,
/// `2-D`, `ViT-S/16`). Understands signs (`-`, `−`), decimals, `1e-10`, `10⁶`, `10^6` and
/// thousands groups (`50,000`).
pub fn numbers_in_text(text: &str) -> Vec<WrittenNumber> {
    let c: Vec<char> = text.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or(' ');
    let before = |i: usize| if i == 0 { ' ' } else { c[i - 1] };
    let word = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if !c[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let p = before(start);
        let in_name = p.is_alphabetic()
            || p == '_'
            || p == '.'
            || (matches!(p, '-' | '/') && start >= 2 && c[start - 2].is_alphabetic());
        let mut j = i;
        let mut digits = String::new();
        while j < c.len() && (c[j].is_ascii_digit() || (c[j] == ',' && grouped(&c, j))) {
            if c[j] != ',' {
                digits.push(c[j]);
            }
            j += 1;
        }
        let mut decimals = 0i32;
        if at(j) == '.' && at(j + 1).is_ascii_digit() {
            digits.push('.');
            j += 1;
            while at(j).is_ascii_digit() {
                digits.push(c[j]);
                decimals += 1;
                j += 1;
            }
        }
        let mut value: f64 = digits.parse().unwrap_or(f64::NAN);
        let mut tol = 0.5 * 10f64.powi(-decimals);
        let exp_start = j;
        if matches!(at(j), 'e' | 'E')
            && (at(j + 1).is_ascii_digit()
                || (matches!(at(j + 1), '-' | '+' | '−') && at(j + 2).is_ascii_digit()))
        {
            let mut k = j + 1;
            let mut e = String::new();
            if matches!(at(k), '-' | '−') {
                e.push('-');
                k += 1;
            } else if at(k) == '+' {
                k += 1;
            }
            while at(k).is_ascii_digit() {
                e.push(c[k]);
                k += 1;
            }
            let e: i32 = e.parse().unwrap_or(0);
            value *= 10f64.powi(e);
            tol = 0.5 * 10f64.powi(e - decimals);
            j = k;
        } else if digits == "10" && (SUPERSCRIPTS.contains(at(j)) || at(j) == '⁻' || at(j) == '^')
        {
            let mut k = if at(j) == '^' { j + 1 } else { j };
            let mut e = String::new();
            while let Some(ch) = c.get(k).copied() {
                if let Some(d) = SUPERSCRIPTS.chars().position(|s| s == ch) {
                    e.push(char::from(b'0' + d as u8));
                } else if ch == '⁻' || ch == '-' || ch == '−' {
                    e.push('-');
                } else if ch.is_ascii_digit() {
                    e.push(ch);
                } else {
                    break;
                }
                k += 1;
            }
            if let Ok(e) = e.parse::<i32>() {
                value = 10f64.powi(e);
                tol = value * 1e-9;
                j = k;
            }
        }
        let next = at(j);
        let names_it = (next.is_alphabetic() && j == exp_start)
            || next == '_'
            || (next == '-' && at(j + 1).is_alphabetic());
        if !in_name && !names_it && value.is_finite() {
            let negative = matches!(p, '-' | '−') && !word(before(start - 1));
            let sign_start = if negative { start - 1 } else { start };
            out.push(WrittenNumber {
                text: c[sign_start..j].iter().collect(),
                value: if negative { -value } else { value },
                tol,
                percent: next == '%',
            });
        }
        // Skip the rest of a name so its digits are not read again.
        while j < c.len() && word(c[j]) {
            j += 1;
        }
        i = j.max(i + 1);
    }
    out
}

/// Whether the comma at `j` separates thousands (`50,000`): three digits follow, then no digit.
fn grouped(c: &[char], j: usize) -> bool {
    (1..=3).all(|k| c.get(j + k).is_some_and(|d| d.is_ascii_digit()))
        && !c.get(j + 4).is_some_and(|d| d.is_ascii_digit())
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
    fn reads_the_numbers_a_statement_writes() {
        let texts =
            |t: &str| -> Vec<String> { numbers_in_text(t).into_iter().map(|n| n.text).collect() };
        assert_eq!(
            texts("SNS reaches 1e-10 in ≤ 60 iterations; Sinkhorn needs ≥ 10× more (η = 1200)"),
            ["1e-10", "60", "10", "1200"]
        );
        assert_eq!(
            texts("F1 at lr 0.2 and GCR-8 on a 2-D toy, top 8n"),
            ["0.2"]
        );
        assert_eq!(
            texts("slope in [−0.6, −0.4] at M = 10⁶, > 50,000"),
            ["−0.6", "−0.4", "10⁶", "50,000"]
        );
        let n = &numbers_in_text("≥ 99% and κ ≥ 1e5 and 10^6")[..];
        assert!(n[0].matches(0.99) && n[0].matches(99.0) && !n[0].matches(0.98));
        assert!(n[1].matches(1e5) && !n[1].matches(2e5));
        assert!(n[2].matches(1e6));
        let rounded = &numbers_in_text("ends at 0.239")[0];
        assert!(rounded.matches(0.2391) && !rounded.matches(0.2396));
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
