//! The report a reproduction returns: claims with computed verdicts, metrics, tables, figures,
//! deviations from the paper and notes on the official code.
//!
//! A reproduction records *measurements* (metrics) and *decision rules* (checks on metrics);
//! [`Report::finalize`] turns them into verdicts. No verdict is ever written by hand.

use crate::stats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Provenance of a number quoted from a paper (the tags of `papers/README.md`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provenance {
    /// Read in the paper itself (table, figure, section).
    Paper,
    /// The paper's abstract.
    Abstract,
    /// Official README, project page or results file.
    Readme,
    /// Read in the official code.
    Code,
    /// Independent derivation.
    Derived,
    /// A third-party summary; printed with its tag until checked against the paper.
    Secondary,
    /// Must be checked against the paper; printed with its tag.
    Unverified,
}

impl Provenance {
    /// The tag printed next to the number, e.g. `[secondary]`.
    pub fn tag(&self) -> &'static str {
        match self {
            Provenance::Paper => "[paper]",
            Provenance::Abstract => "[abstract]",
            Provenance::Readme => "[readme]",
            Provenance::Code => "[code]",
            Provenance::Derived => "[derived]",
            Provenance::Secondary => "[secondary]",
            Provenance::Unverified => "[unverified]",
        }
    }
}

/// What the paper says for a claim: its number or statement, where, and how sure we are of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaperValue {
    pub value: String,
    /// Where in the paper: "Table 1", "abstract", "Fig. 3".
    pub source: String,
    pub provenance: Provenance,
}

impl PaperValue {
    pub fn new(value: &str, source: &str, provenance: Provenance) -> Self {
        Self {
            value: value.into(),
            source: source.into(),
            provenance,
        }
    }
}

/// How a metric is compared between a snapshot and a new run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tol {
    /// `|new - old| <= abs + rel * |old|`.
    Close { rel: f64, abs: f64 },
    /// Bit-for-bit after rounding to the snapshot's significant digits (counts, sizes).
    Exact,
    /// Not compared (wall times and other machine-dependent quantities); the key still is.
    Unchecked,
}

impl Tol {
    /// Relative tolerance only.
    pub fn rel(rel: f64) -> Self {
        Tol::Close { rel, abs: 0.0 }
    }
}

/// A named measurement: one value per seed or repeat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub key: String,
    pub label: String,
    pub unit: String,
    #[serde(with = "crate::numbers::vec")]
    pub values: Vec<f64>,
    pub tol: Tol,
}

impl Metric {
    pub fn mean(&self) -> f64 {
        stats::mean(&self.values)
    }
    pub fn sd(&self) -> f64 {
        stats::sd(&self.values)
    }
}

/// A decision rule on a value.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    AtMost(f64),
    AtLeast(f64),
    Between(f64, f64),
}

impl Rule {
    pub fn holds(&self, v: f64) -> bool {
        match *self {
            Rule::AtMost(t) => v <= t,
            Rule::AtLeast(t) => v >= t,
            Rule::Between(lo, hi) => (lo..=hi).contains(&v),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Rule::AtMost(t) => write!(f, "≤ {}", crate::numbers::fmt(t)),
            Rule::AtLeast(t) => write!(f, "≥ {}", crate::numbers::fmt(t)),
            Rule::Between(lo, hi) => write!(
                f,
                "in [{}, {}]",
                crate::numbers::fmt(lo),
                crate::numbers::fmt(hi)
            ),
        }
    }
}

/// Whether a rule is applied to every seed's value or to the mean over seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aggregate {
    EachSeed,
    Mean,
}

/// One test of a claim: a rule applied to a metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub metric: String,
    pub rule: Rule,
    pub aggregate: Aggregate,
    /// How many of the tested values satisfied the rule (filled by [`Report::finalize`]).
    #[serde(default)]
    pub passed: usize,
    #[serde(default)]
    pub tested: usize,
}

impl Check {
    /// The rule must hold for every seed.
    pub fn each(metric: &str, rule: Rule) -> Self {
        Self {
            metric: metric.into(),
            rule,
            aggregate: Aggregate::EachSeed,
            passed: 0,
            tested: 0,
        }
    }
    /// The rule is applied to the mean over seeds.
    pub fn mean(metric: &str, rule: Rule) -> Self {
        Self {
            aggregate: Aggregate::Mean,
            ..Self::each(metric, rule)
        }
    }
}

/// The outcome of a claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", content = "reason", rename_all = "kebab-case")]
pub enum Verdict {
    /// Every check passed for every tested value.
    Reproduced,
    /// Some checks or seeds passed and some failed.
    Partial,
    /// No check passed.
    NotReproduced,
    /// The claim cannot be tested here; the reason says why.
    NotTestable(String),
    /// The run produced no usable measurement (NaN, divergence, missing metric).
    Failed(String),
    /// Not yet computed: [`Report::finalize`] has not run.
    Pending,
}

impl Verdict {
    /// The label printed in tables.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Reproduced => "reproduced",
            Verdict::Partial => "partially reproduced",
            Verdict::NotReproduced => "not reproduced",
            Verdict::NotTestable(_) => "not testable here",
            Verdict::Failed(_) => "run failed",
            Verdict::Pending => "pending",
        }
    }
    pub fn reason(&self) -> Option<&str> {
        match self {
            Verdict::NotTestable(r) | Verdict::Failed(r) => Some(r),
            _ => None,
        }
    }
}

/// A falsifiable claim of the paper, with the checks that decide it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub id: String,
    pub statement: String,
    pub paper: PaperValue,
    pub checks: Vec<Check>,
    /// Set when the claim cannot be tested here; the checks are then not evaluated.
    pub not_testable: Option<String>,
    pub verdict: Verdict,
}

impl Claim {
    pub fn new(id: &str, statement: &str, paper: PaperValue) -> Self {
        Self {
            id: id.into(),
            statement: statement.into(),
            paper,
            checks: Vec::new(),
            not_testable: None,
            verdict: Verdict::Pending,
        }
    }
    pub fn check(mut self, check: Check) -> Self {
        self.checks.push(check);
        self
    }
    pub fn not_testable(mut self, reason: &str) -> Self {
        self.not_testable = Some(reason.into());
        self
    }
}

/// A table cell: text, or a statistic of a metric (so that tables can never disagree with
/// the metrics they show).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cell {
    Text(String),
    Metric {
        key: String,
        stat: Stat,
    },
    /// One value of a metric (metrics that hold one value per setting rather than per seed).
    Value {
        key: String,
        index: usize,
    },
}

/// Which statistic of a metric to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stat {
    /// Mean, with "± sd" when there is more than one value.
    MeanSd,
    Mean,
    Sd,
    Min,
    Max,
    /// The number of values.
    Count,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Self {
        Cell::Text(s.into())
    }
    pub fn metric(key: &str) -> Self {
        Cell::Metric {
            key: key.into(),
            stat: Stat::MeanSd,
        }
    }
    pub fn value(key: &str, index: usize) -> Self {
        Cell::Value {
            key: key.into(),
            index,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub key: String,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// One curve of a figure. Non-finite points are dropped when the series is built.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub name: String,
    pub points: Vec<[f64; 2]>,
    /// Half-widths of vertical error bars, one per point (empty: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub err: Vec<f64>,
    /// Drawn dashed (reference curves: predicted rates, bounds).
    #[serde(default)]
    pub dashed: bool,
}

impl Series {
    pub fn new(name: &str, points: impl IntoIterator<Item = (f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points: points
                .into_iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .map(|(x, y)| [x, y])
                .collect(),
            err: Vec::new(),
            dashed: false,
        }
    }

    /// Points with error bars of half-width `err`; non-finite points are dropped with their bar.
    pub fn with_err(name: &str, points: impl IntoIterator<Item = (f64, f64, f64)>) -> Self {
        let (pts, err): (Vec<[f64; 2]>, Vec<f64>) = points
            .into_iter()
            .filter(|(x, y, e)| x.is_finite() && y.is_finite() && e.is_finite())
            .map(|(x, y, e)| ([x, y], e))
            .unzip();
        Self {
            name: name.into(),
            points: pts,
            err,
            dashed: false,
        }
    }

    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }
}

/// A horizontal reference line (a target, a threshold).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Guide {
    pub y: f64,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub key: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_log: bool,
    pub y_log: bool,
    pub series: Vec<Series>,
    pub guides: Vec<Guide>,
    /// One sentence under the figure: what to look at.
    pub caption: String,
}

/// One way the run here differs from the paper.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deviation {
    pub aspect: String,
    pub paper: String,
    pub here: String,
    pub why: String,
}

impl Deviation {
    pub fn new(aspect: &str, paper: &str, here: &str, why: &str) -> Self {
        Self {
            aspect: aspect.into(),
            paper: paper.into(),
            here: here.into(),
            why: why.into(),
        }
    }
}

/// A finding about the official (or, where none exists, a third-party) implementation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CodeNote {
    /// Repository, file and line, or "none".
    pub location: String,
    /// `bug`, `discrepancy` (paper and code disagree) or `note`.
    pub kind: String,
    pub finding: String,
    pub provenance: Provenance,
}

impl CodeNote {
    pub fn new(location: &str, kind: &str, finding: &str, provenance: Provenance) -> Self {
        Self {
            location: location.into(),
            kind: kind.into(),
            finding: finding.into(),
            provenance,
        }
    }
}

/// Everything a reproduction measured and decided.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub claims: Vec<Claim>,
    pub metrics: Vec<Metric>,
    pub tables: Vec<Table>,
    pub figures: Vec<Figure>,
    pub deviations: Vec<Deviation>,
    pub code_notes: Vec<CodeNote>,
}

impl Report {
    /// Records a metric; the key must be new.
    ///
    /// # Panics
    /// On a duplicate key: two measurements under one name is a bug in the reproduction.
    pub fn metric(&mut self, key: &str, label: &str, unit: &str, values: Vec<f64>, tol: Tol) {
        assert!(
            self.get(key).is_none(),
            "metric {key} recorded twice in one report"
        );
        self.metrics.push(Metric {
            key: key.into(),
            label: label.into(),
            unit: unit.into(),
            values,
            tol,
        });
    }

    pub fn get(&self, key: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.key == key)
    }

    pub fn claim(&mut self, claim: Claim) {
        self.claims.push(claim);
    }

    /// Computes every claim's verdict from the metrics its checks name, and returns the
    /// finished report. Rules: a missing metric or a non-finite value makes the claim `Failed`
    /// (a diverged run is recorded, not hidden); otherwise all tested values passing is
    /// `Reproduced`, none is `NotReproduced`, anything between is `Partial`.
    pub fn finalize(mut self) -> Self {
        let metrics: BTreeMap<String, Vec<f64>> = self
            .metrics
            .iter()
            .map(|m| (m.key.clone(), m.values.clone()))
            .collect();
        for claim in &mut self.claims {
            claim.verdict = decide(claim, &metrics);
        }
        self
    }

    /// Keys referenced by tables and checks that no metric defines (reported by the runner).
    pub fn dangling_keys(&self) -> Vec<String> {
        let mut missing = Vec::new();
        let cells = self.tables.iter().flat_map(|t| t.rows.iter().flatten());
        for cell in cells {
            match cell {
                Cell::Metric { key, .. } if self.get(key).is_none() => missing.push(key.clone()),
                Cell::Value { key, index }
                    if self.get(key).is_none_or(|m| *index >= m.values.len()) =>
                {
                    missing.push(format!("{key}[{index}]"))
                }
                _ => {}
            }
        }
        for check in self.claims.iter().flat_map(|c| &c.checks) {
            if self.get(&check.metric).is_none() {
                missing.push(check.metric.clone());
            }
        }
        missing.sort();
        missing.dedup();
        missing
    }
}

fn decide(claim: &mut Claim, metrics: &BTreeMap<String, Vec<f64>>) -> Verdict {
    if let Some(reason) = &claim.not_testable {
        return Verdict::NotTestable(reason.clone());
    }
    if claim.checks.is_empty() {
        return Verdict::Failed("the claim has no check".into());
    }
    let (mut passed, mut tested) = (0usize, 0usize);
    for check in &mut claim.checks {
        let Some(values) = metrics.get(&check.metric) else {
            return Verdict::Failed(format!("metric {} was not measured", check.metric));
        };
        if values.is_empty() {
            return Verdict::Failed(format!("metric {} has no value", check.metric));
        }
        if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
            return Verdict::Failed(format!(
                "metric {} is {} (the run diverged)",
                check.metric,
                crate::numbers::fmt(*bad)
            ));
        }
        let tested_values = match check.aggregate {
            Aggregate::EachSeed => values.clone(),
            Aggregate::Mean => vec![stats::mean(values)],
        };
        check.tested = tested_values.len();
        check.passed = tested_values
            .iter()
            .filter(|&&v| check.rule.holds(v))
            .count();
        passed += check.passed;
        tested += check.tested;
    }
    if passed == tested {
        Verdict::Reproduced
    } else if passed == 0 {
        Verdict::NotReproduced
    } else {
        Verdict::Partial
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper() -> PaperValue {
        PaperValue {
            value: "x".into(),
            source: "Table 1".into(),
            provenance: Provenance::Paper,
        }
    }

    fn report_with(values: Vec<f64>, rule: Rule) -> Report {
        let mut r = Report::default();
        r.metric("m", "m", "", values, Tol::Exact);
        r.claim(Claim::new("C1", "m is small", paper()).check(Check::each("m", rule)));
        r.finalize()
    }

    #[test]
    fn verdicts_follow_the_measurements() {
        let v = |vals: Vec<f64>| {
            report_with(vals, Rule::AtMost(1.0)).claims[0]
                .verdict
                .clone()
        };
        assert_eq!(v(vec![0.5, 0.9]), Verdict::Reproduced);
        assert_eq!(v(vec![0.5, 1.5]), Verdict::Partial);
        assert_eq!(v(vec![2.0, 1.5]), Verdict::NotReproduced);
        assert!(matches!(v(vec![0.5, f64::NAN]), Verdict::Failed(_)));
        assert!(matches!(v(vec![f64::INFINITY]), Verdict::Failed(_)));
    }

    #[test]
    fn mean_aggregate_and_missing_metrics() {
        let mut r = Report::default();
        r.metric("m", "m", "", vec![0.0, 3.0], Tol::Exact);
        r.claim(Claim::new("A", "mean", paper()).check(Check::mean("m", Rule::AtMost(2.0))));
        r.claim(Claim::new("B", "missing", paper()).check(Check::each("nope", Rule::AtMost(2.0))));
        r.claim(Claim::new("C", "n/a", paper()).not_testable("needs ImageNet"));
        let r = r.finalize();
        assert_eq!(r.claims[0].verdict, Verdict::Reproduced);
        assert!(matches!(r.claims[1].verdict, Verdict::Failed(_)));
        assert_eq!(
            r.claims[2].verdict,
            Verdict::NotTestable("needs ImageNet".into())
        );
        assert_eq!(r.dangling_keys(), vec!["nope".to_string()]);
    }

    #[test]
    #[should_panic(expected = "recorded twice")]
    fn duplicate_metric_keys_are_a_bug() {
        let mut r = Report::default();
        r.metric("m", "", "", vec![1.0], Tol::Exact);
        r.metric("m", "", "", vec![1.0], Tol::Exact);
    }
}
