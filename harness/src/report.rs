//! The report a reproduction returns: claims with computed verdicts, metrics, tables, figures,
//! deviations from the paper and notes on the official code.
//!
//! A reproduction records *measurements* (metrics) and *decision rules* (checks on metrics);
//! [`Report::finalize`] turns them into verdicts. No verdict is ever written by hand.
//!
//! A long file on purpose: it is the whole vocabulary of a report (metrics, rules, checks and
//! their roles, claims, verdicts, tables, figures, notes) and the tests of the verdict rules, which
//! read best next to each other; every item in it is short.

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
    /// What the values run over, plural ("seeds" when empty): "M values", "σ steps", "tensors".
    /// The book prints the spread as being over these.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub over: String,
    /// Each value is a yes/no outcome (1 or 0): the book prints "k of n", not a mean ± sd.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flag: bool,
}

impl Metric {
    /// Declares what the values run over (default: seeds).
    pub fn over(&mut self, what: &str) -> &mut Self {
        self.over = what.into();
        self
    }
    /// Declares the values yes/no outcomes.
    pub fn flag(&mut self) -> &mut Self {
        self.flag = true;
        self
    }
    /// What the values run over, plural.
    pub fn over_what(&self) -> &str {
        if self.over.is_empty() {
            "seeds"
        } else {
            &self.over
        }
    }
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

/// What a check says about its claim.
///
/// A claim's verdict reads the roles in this order: a *falsifier* that fires makes it not
/// reproduced whatever else held; a *control* that fails makes it inconclusive (the experiment
/// could not have shown the effect); only then do the *core* checks decide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The claim itself: must hold on every tested value for "reproduced".
    #[default]
    Core,
    /// The experiment is able to show the effect (a baseline arm, a sanity or convergence
    /// condition); a failure makes the claim inconclusive.
    Control,
    /// The card's falsification criterion, coded so that the rule describes the *falsifying*
    /// outcome: it fires when the rule holds on any tested value.
    Falsifier,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Core => "core",
            Role::Control => "control",
            Role::Falsifier => "falsifier",
        }
    }
}

/// One test of a claim: a rule applied to a metric, with its role.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub metric: String,
    pub rule: Rule,
    pub aggregate: Aggregate,
    #[serde(default)]
    pub role: Role,
    /// Resolution of a comparison: a value within this distance of the rule's threshold is a
    /// *tie* (the arms are indistinguishable), which never counts as the rule holding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tie: Option<f64>,
    /// How many tested values satisfied the rule outside the tie band (filled by
    /// [`Report::finalize`]); for a falsifier, how many times it fired.
    #[serde(default)]
    pub passed: usize,
    /// How many tested values were ties.
    #[serde(default)]
    pub tied: usize,
    #[serde(default)]
    pub tested: usize,
}

impl Check {
    /// A core check whose rule must hold for every seed.
    pub fn each(metric: &str, rule: Rule) -> Self {
        Self {
            metric: metric.into(),
            rule,
            aggregate: Aggregate::EachSeed,
            role: Role::Core,
            tie: None,
            passed: 0,
            tied: 0,
            tested: 0,
        }
    }
    /// A core check whose rule is applied to the mean over seeds.
    pub fn mean(metric: &str, rule: Rule) -> Self {
        Self {
            aggregate: Aggregate::Mean,
            ..Self::each(metric, rule)
        }
    }
    /// Marks the check as a control.
    pub fn control(mut self) -> Self {
        self.role = Role::Control;
        self
    }
    /// Marks the check as the card's falsifier: the rule states the falsifying outcome.
    pub fn falsifier(mut self) -> Self {
        self.role = Role::Falsifier;
        self
    }
    /// Values within `resolution` of the threshold of an `AtLeast`/`AtMost` rule are ties.
    ///
    /// # Panics
    /// On a `Between` rule (a band has no single threshold to tie with) or a negative resolution.
    pub fn tie_within(mut self, resolution: f64) -> Self {
        assert!(
            !matches!(self.rule, Rule::Between(..)) && resolution >= 0.0,
            "tie_within needs an AtLeast/AtMost rule and a resolution >= 0"
        );
        self.tie = Some(resolution);
        self
    }
    /// Whether `v` is a tie under this check's resolution.
    pub fn is_tie(&self, v: f64) -> bool {
        let threshold = match self.rule {
            Rule::AtMost(t) | Rule::AtLeast(t) => t,
            Rule::Between(..) => return false,
        };
        self.tie.is_some_and(|res| (v - threshold).abs() <= res)
    }
    /// The thresholds of the rule (compared with the numbers a statement writes).
    pub fn thresholds(&self) -> Vec<f64> {
        match self.rule {
            Rule::AtMost(t) | Rule::AtLeast(t) => vec![t],
            Rule::Between(lo, hi) => vec![lo, hi],
        }
    }
}

/// The outcome of a claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", content = "reason", rename_all = "kebab-case")]
pub enum Verdict {
    /// Every core check held for every tested value; no falsifier fired, every control held.
    Reproduced,
    /// Some core values held and some did not (or were ties).
    Partial,
    /// No core value held.
    NotReproduced,
    /// A falsifier fired: not reproduced, whatever else held; the reason names it.
    Falsified(String),
    /// A control failed: the experiment could not have shown the effect; the reason names it.
    Inconclusive(String),
    /// Every core comparison was a tie: the arms are indistinguishable here.
    Tie,
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
            Verdict::NotReproduced | Verdict::Falsified(_) => "not reproduced",
            Verdict::Inconclusive(_) => "inconclusive",
            Verdict::Tie => "tie",
            Verdict::NotTestable(_) => "not testable here",
            Verdict::Failed(_) => "run failed",
            Verdict::Pending => "pending",
        }
    }
    pub fn reason(&self) -> Option<&str> {
        match self {
            Verdict::NotTestable(r)
            | Verdict::Failed(r)
            | Verdict::Falsified(r)
            | Verdict::Inconclusive(r) => Some(r),
            _ => None,
        }
    }
}

/// Whether a claim is one of the paper's (a headline claim, in a miniature or not) or a check
/// of this suite's own machinery (a gradient check, golden values, a unit against a reference
/// implementation, state counting). The book counts the two apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimKind {
    #[default]
    Headline,
    SelfCheck,
}

/// A falsifiable claim of the paper, with the checks that decide it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub id: String,
    pub statement: String,
    #[serde(default)]
    pub kind: ClaimKind,
    /// Set when the registration itself was found wrong after the run (a card value, a
    /// threshold): printed beside the verdict, which stays as computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_error: Option<String>,
    pub paper: PaperValue,
    pub checks: Vec<Check>,
    /// Plan settings and reference values the statement writes (η, n, a paper's number), so
    /// that every number in a statement is a threshold or one of these ([`Claim::unexplained_numbers`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<f64>,
    /// Set when the claim cannot be tested here; the checks are then not evaluated.
    pub not_testable: Option<String>,
    pub verdict: Verdict,
}

impl Claim {
    pub fn new(id: &str, statement: &str, paper: PaperValue) -> Self {
        Self {
            id: id.into(),
            statement: statement.into(),
            kind: ClaimKind::Headline,
            registration_error: None,
            paper,
            checks: Vec::new(),
            settings: Vec::new(),
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
    /// Marks the claim a check of this suite's machinery, not one of the paper's claims.
    pub fn self_check(mut self) -> Self {
        self.kind = ClaimKind::SelfCheck;
        self
    }
    /// Says, beside the verdict, how the registration itself was wrong; the verdict stays.
    pub fn registration_error(mut self, what: &str) -> Self {
        self.registration_error = Some(what.into());
        self
    }
    /// Declares the plan settings and reference values the statement mentions.
    pub fn settings(mut self, values: &[f64]) -> Self {
        self.settings.extend_from_slice(values);
        self
    }
    /// Numbers written in the statement that are neither a check's threshold nor a declared
    /// setting (each as written): a statement must not say more than its checks test.
    pub fn unexplained_numbers(&self) -> Vec<String> {
        let known: Vec<f64> = self
            .checks
            .iter()
            .flat_map(Check::thresholds)
            .chain(self.settings.iter().copied())
            .collect();
        crate::numbers::numbers_in_text(&self.statement)
            .into_iter()
            .filter(|n| !known.iter().any(|&k| n.matches(k)))
            .map(|n| n.text)
            .collect()
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
    /// The metric each point's y is the mean of, when declared ([`Series::from_metrics`]): the
    /// book build refuses a figure whose points are not those metrics' means.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source: Vec<String>,
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
            source: Vec::new(),
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
            source: Vec::new(),
        }
    }

    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }
    /// Declares the metric whose mean each point's y is, in point order (see [`Series::source`]).
    pub fn from_metrics(mut self, keys: impl IntoIterator<Item = String>) -> Self {
        self.source = keys.into_iter().collect();
        self
    }
}

/// A horizontal reference line (a target, a threshold).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Guide {
    /// Drawn at x = `y` (a budget, a boundary on the x axis) instead of at a height.
    #[serde(default)]
    pub vertical: bool,
    pub y: f64,
    pub label: String,
}

impl Guide {
    /// A horizontal line at height `y`: a threshold or target.
    pub fn at_y(y: f64, label: &str) -> Self {
        Self {
            vertical: false,
            y,
            label: label.into(),
        }
    }
    /// A vertical line at `x`: a budget or boundary on the x axis.
    pub fn at_x(x: f64, label: &str) -> Self {
        Self {
            vertical: true,
            y: x,
            label: label.into(),
        }
    }
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

/// What kind of finding a code note is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoteKind {
    /// The code does something it evidently does not mean to.
    Bug,
    /// Paper and code disagree.
    Discrepancy,
    /// Worth knowing; neither a bug nor a disagreement.
    Note,
}

impl NoteKind {
    pub fn label(self) -> &'static str {
        match self {
            NoteKind::Bug => "bug",
            NoteKind::Discrepancy => "discrepancy",
            NoteKind::Note => "note",
        }
    }
}

/// A finding about the official (or, where none exists, a third-party) implementation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CodeNote {
    /// Repository, file and line, or "none".
    pub location: String,
    pub kind: NoteKind,
    pub finding: String,
    pub provenance: Provenance,
}

impl CodeNote {
    pub fn new(location: &str, kind: NoteKind, finding: &str, provenance: Provenance) -> Self {
        Self {
            location: location.into(),
            kind,
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
    /// Records a metric; the returned reference declares what its values run over
    /// ([`Metric::over`]) or that they are yes/no outcomes ([`Metric::flag`]).
    pub fn metric(
        &mut self,
        key: &str,
        label: &str,
        unit: &str,
        values: Vec<f64>,
        tol: Tol,
    ) -> &mut Metric {
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
            over: String::new(),
            flag: false,
        });
        self.metrics.last_mut().expect("just pushed")
    }

    pub fn get(&self, key: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.key == key)
    }

    pub fn claim(&mut self, claim: Claim) {
        self.claims.push(claim);
    }

    /// Computes every claim's verdict from the metrics its checks name, and returns the
    /// finished report. A missing metric or a non-finite value makes the claim `Failed` (a
    /// diverged run is recorded, not hidden); a falsifier that fires makes it `Falsified`; a
    /// failed control `Inconclusive`; otherwise the core checks decide: every value holding is
    /// `Reproduced`, all ties `Tie`, none holding `NotReproduced`, anything between `Partial`.
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

    /// The value a figure's source names: `key` (the metric's mean) or `key[i]` (one value).
    pub fn source_value(&self, source: &str) -> Option<f64> {
        match source.strip_suffix(']').and_then(|s| s.rsplit_once('[')) {
            Some((key, i)) => self.get(key)?.values.get(i.parse::<usize>().ok()?).copied(),
            None => Some(self.get(source)?.mean()),
        }
    }

    /// A paper-versus-here figure: one point per quantity at (the paper's number, the value
    /// measured here), named with the paper value's tag, and the dashed line "here = paper". Each
    /// point declares its source (`key` or `key[i]`), so the build checks it plots what it says.
    pub fn paper_vs_here(
        &self,
        key: &str,
        title: &str,
        log: bool,
        points: &[(&str, f64, Provenance, &str)],
    ) -> Figure {
        let mut series: Vec<Series> = points
            .iter()
            .filter_map(|(label, paper, tag, source)| {
                let (paper, source) = (*paper, *source);
                let here = self.source_value(source)?;
                Some(
                    Series::new(&format!("{label} {}", tag.tag()), [(paper, here)])
                        .from_metrics([source.to_string()]),
                )
            })
            .collect();
        let values = points
            .iter()
            .map(|p| p.1)
            .chain(points.iter().filter_map(|p| self.source_value(p.3)));
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
        series.push(Series::new("here = paper", [(lo, lo), (hi, hi)]).dashed());
        Figure {
            key: key.into(),
            title: title.into(),
            x_label: "the paper's number".into(),
            y_label: "measured here".into(),
            x_log: log,
            y_log: log,
            series,
            guides: Vec::new(),
            caption: "Each point is one quantity the paper reports, at (the paper's number, the value measured here); on the dashed line the two agree.".into(),
        }
    }

    /// Figures whose series declare a source ([`Series::from_metrics`]) but plot other values:
    /// one line per mismatch, naming figure, series and point.
    pub fn figure_source_mismatches(&self) -> Vec<String> {
        let mut out = Vec::new();
        for fig in &self.figures {
            for s in fig.series.iter().filter(|s| !s.source.is_empty()) {
                // Non-finite points were dropped when the series was built, and with them the
                // alignment of points and sources: such a series is not checked.
                if s.source.len() != s.points.len() {
                    continue;
                }
                for (p, key) in s.points.iter().zip(&s.source) {
                    let Some(mean) = self.source_value(key) else {
                        out.push(format!(
                            "figure {}, series {:?}: no metric {key}",
                            fig.key, s.name
                        ));
                        continue;
                    };
                    if (p[1] - mean).abs() > 1e-9 * mean.abs().max(1e-12) {
                        out.push(format!(
                            "figure {}, series {:?}: the point at x = {} plots {} but its declared source {key} has mean {}",
                            fig.key, s.name, p[0], p[1], mean
                        ));
                    }
                }
            }
        }
        out
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
    if !claim.checks.iter().any(|c| c.role == Role::Core) {
        return Verdict::Failed("the claim has no core check".into());
    }
    for check in &mut claim.checks {
        if let Err(why) = evaluate(check, metrics) {
            return Verdict::Failed(why);
        }
    }
    let describe = |c: &Check| match c.tie {
        Some(res) => format!(
            "{} {} (beyond the tie band {})",
            c.metric,
            c.rule,
            crate::numbers::fmt(res)
        ),
        None => format!("{} {}", c.metric, c.rule),
    };
    let fired: Vec<String> = claim
        .checks
        .iter()
        .filter(|c| c.role == Role::Falsifier && c.passed > 0)
        .map(describe)
        .collect();
    if !fired.is_empty() {
        return Verdict::Falsified(format!("falsifier fired: {}", fired.join("; ")));
    }
    let failed: Vec<String> = claim
        .checks
        .iter()
        .filter(|c| c.role == Role::Control && c.passed < c.tested)
        .map(describe)
        .collect();
    if !failed.is_empty() {
        return Verdict::Inconclusive(format!("control failed: {}", failed.join("; ")));
    }
    let core = claim.checks.iter().filter(|c| c.role == Role::Core);
    let (passed, tied, tested) = core.fold((0, 0, 0), |(p, t, n), c| {
        (p + c.passed, t + c.tied, n + c.tested)
    });
    if passed == tested {
        Verdict::Reproduced
    } else if passed == 0 && tied == tested {
        Verdict::Tie
    } else if passed == 0 {
        Verdict::NotReproduced
    } else {
        Verdict::Partial
    }
}

/// Applies one check's rule to its metric; `Err` when the metric is missing, empty or not finite.
fn evaluate(check: &mut Check, metrics: &BTreeMap<String, Vec<f64>>) -> Result<(), String> {
    let values = metrics
        .get(&check.metric)
        .ok_or_else(|| format!("metric {} was not measured", check.metric))?;
    if values.is_empty() {
        return Err(format!("metric {} has no value", check.metric));
    }
    if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
        return Err(format!(
            "metric {} is {} (the run diverged)",
            check.metric,
            crate::numbers::fmt(*bad)
        ));
    }
    let tested: Vec<f64> = match check.aggregate {
        Aggregate::EachSeed => values.clone(),
        Aggregate::Mean => vec![stats::mean(values)],
    };
    check.tested = tested.len();
    check.tied = tested.iter().filter(|&&v| check.is_tie(v)).count();
    check.passed = tested
        .iter()
        .filter(|&&v| !check.is_tie(v) && check.rule.holds(v))
        .count();
    Ok(())
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_figure_that_plots_other_data_than_it_declares_is_reported() {
        let mut r = Report::default();
        r.metric("shared.acc", "acc", "", vec![0.5, 0.7], Tol::Exact);
        r.metric("card.acc", "acc", "", vec![1.0, 1.0], Tol::Exact);
        let fig = |y: f64| Figure {
            key: "accuracy".into(),
            title: "shared design".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            x_log: false,
            y_log: false,
            series: vec![Series::new("a", [(1.0, y)]).from_metrics(["shared.acc".to_string()])],
            guides: vec![],
            caption: String::new(),
        };
        r.figures.push(fig(0.6));
        assert!(r.figure_source_mismatches().is_empty());
        r.figures[0] = fig(1.0);
        let wrong = r.figure_source_mismatches();
        assert!(
            wrong[0].contains("declared source shared.acc has mean 0.6"),
            "{wrong:?}"
        );
        assert_eq!(r.source_value("shared.acc[1]"), Some(0.7));
        let pv = r.paper_vs_here(
            "pvh",
            "t",
            false,
            &[("acc", 0.65, Provenance::Paper, "shared.acc[0]")],
        );
        r.figures = vec![pv];
        assert!(r.figure_source_mismatches().is_empty());
        assert_eq!(r.figures[0].series[0].points, vec![[0.65, 0.5]]);
    }

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

    fn verdict_of(values: Vec<f64>, checks: Vec<Check>) -> Verdict {
        let mut r = Report::default();
        r.metric("core", "", "", vec![0.5, 0.9], Tol::Exact);
        r.metric("x", "", "", values, Tol::Exact);
        let mut claim = Claim::new("C", "c", paper()).check(Check::each("core", Rule::AtMost(1.0)));
        for c in checks {
            claim = claim.check(c);
        }
        r.claim(claim);
        r.finalize().claims[0].verdict.clone()
    }

    #[test]
    fn a_fired_falsifier_wins_over_passing_cores_and_controls() {
        let falsifier = || Check::each("x", Rule::AtMost(-0.05)).falsifier();
        assert!(matches!(
            verdict_of(vec![0.1, -0.3], vec![falsifier()]),
            Verdict::Falsified(r) if r.contains("x ≤ -0.05")
        ));
        assert_eq!(
            verdict_of(vec![0.1, 0.0], vec![falsifier()]),
            Verdict::Reproduced
        );
        // A falsifier on the mean fires only when the mean falsifies.
        let on_mean = Check::mean("x", Rule::AtMost(-0.05)).falsifier();
        assert_eq!(
            verdict_of(vec![0.1, -0.11], vec![on_mean]),
            Verdict::Reproduced
        );
        // Fired falsifier and failed control: the falsifier is reported.
        let control = Check::each("core", Rule::AtLeast(0.7)).control();
        assert!(matches!(
            verdict_of(vec![-1.0], vec![falsifier(), control]),
            Verdict::Falsified(_)
        ));
    }

    #[test]
    fn a_failed_control_makes_the_claim_inconclusive() {
        let control = Check::each("x", Rule::AtLeast(0.7)).control();
        assert!(matches!(
            verdict_of(vec![0.8, 0.6], vec![control.clone()]),
            Verdict::Inconclusive(r) if r.contains("control failed: x ≥ 0.7")
        ));
        assert_eq!(
            verdict_of(vec![0.8, 0.9], vec![control]),
            Verdict::Reproduced
        );
        // A claim made only of controls has nothing to decide.
        let mut r = Report::default();
        r.metric("x", "", "", vec![1.0], Tol::Exact);
        r.claim(
            Claim::new("C", "c", paper()).check(Check::each("x", Rule::AtLeast(0.0)).control()),
        );
        assert!(
            matches!(&r.finalize().claims[0].verdict, Verdict::Failed(w) if w.contains("no core"))
        );
    }

    #[test]
    fn ties_never_pass_a_comparison() {
        let gap = |values: Vec<f64>| {
            let mut r = Report::default();
            r.metric("gap", "", "", values, Tol::Exact);
            r.claim(
                Claim::new("G", "a ≥ b", paper())
                    .check(Check::each("gap", Rule::AtLeast(0.0)).tie_within(0.01)),
            );
            let r = r.finalize();
            (r.claims[0].verdict.clone(), r.claims[0].checks[0].tied)
        };
        assert_eq!(gap(vec![0.0, 0.0, 0.005, -0.01]), (Verdict::Tie, 4));
        assert_eq!(gap(vec![0.0, 0.05]), (Verdict::Partial, 1));
        assert_eq!(gap(vec![0.0, -0.05]), (Verdict::NotReproduced, 1));
        assert_eq!(gap(vec![0.02, 0.05]), (Verdict::Reproduced, 0));
        // Without a resolution an exact tie holds a ≥ rule, as before.
        assert_eq!(
            report_with(vec![0.0], Rule::AtLeast(0.0)).claims[0].verdict,
            Verdict::Reproduced
        );
    }

    #[test]
    fn statements_may_only_write_thresholds_and_settings() {
        let claim = Claim::new(
            "S",
            "error ≤ 1e-10 within 60 iterations at η = 1200",
            paper(),
        )
        .check(Check::each("err", Rule::AtMost(1e-10)));
        assert_eq!(claim.unexplained_numbers(), ["60", "1200"]);
        let claim = claim.settings(&[60.0, 1200.0]);
        assert!(claim.unexplained_numbers().is_empty());
    }

    #[test]
    #[should_panic(expected = "recorded twice")]
    fn duplicate_metric_keys_are_a_bug() {
        let mut r = Report::default();
        r.metric("m", "", "", vec![1.0], Tol::Exact);
        r.metric("m", "", "", vec![1.0], Tol::Exact);
    }
}
