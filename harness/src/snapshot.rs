//! Tolerance-aware snapshots of `ci`-scale reports, stored under `snapshots/<id>/`.
//!
//! The stored form is insta's `.snap` file holding a JSON view of the report: every text,
//! verdict and count exactly, every metric rounded to [`SIG_DIGITS`] significant digits with its
//! tolerance. A new run passes when texts, verdicts and counts are equal and every metric is
//! within its tolerance; the file is then left alone, so another CPU's last bits never fail the
//! suite. Otherwise the differences are printed and the view is handed to
//! `insta::assert_snapshot!`, which fails, writes `.snap.new` (outside CI) and makes
//! `cargo insta review` show the change. A missing snapshot fails the same way.

use crate::numbers::round_sig;
use crate::report::{Check, Report, Role, Tol};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Significant digits kept in snapshots.
pub const SIG_DIGITS: i32 = 6;

/// The verdict a snapshot pins for a wall-clock claim: the book shows the run's verdict, but no
/// snapshot can fix what another machine's clock will say.
pub const MACHINE_DEPENDENT: &str = "machine-dependent";

/// The words by which a claim's statement declares it a wall-clock claim.
pub const WALL_CLOCK: &str = "Wall-clock:";

/// A wall-clock claim: its statement says [`WALL_CLOCK`] and every check reads a metric whose
/// tolerance is [`Tol::Unchecked`]. (Unchecked alone is not enough: rounding-level errors are
/// unchecked too, and their verdicts stay pinned.)
fn machine_dependent(report: &Report, claim: &crate::report::Claim) -> bool {
    claim.statement.contains(WALL_CLOCK)
        && !claim.checks.is_empty()
        && claim.checks.iter().all(|k| {
            report
                .metrics
                .iter()
                .any(|m| m.key == k.metric && m.tol == Tol::Unchecked)
        })
}

/// The snapshot view of a report.
pub fn view(id: &str, report: &Report) -> Value {
    let claims: Vec<Value> = report
        .claims
        .iter()
        .map(|c| {
            let wall_clock = machine_dependent(report, c);
            let mut checks: Vec<Value> = c.checks.iter().map(check_view).collect();
            let (verdict, reason) = if wall_clock {
                checks
                    .iter_mut()
                    .for_each(|k| k["passed"] = json!(MACHINE_DEPENDENT));
                (MACHINE_DEPENDENT.to_string(), None)
            } else {
                (c.verdict.label().to_string(), c.verdict.reason())
            };
            json!({
                "id": c.id,
                "statement": c.statement,
                "paper": format!("{} ({}, {})", c.paper.value, c.paper.source, c.paper.provenance.tag()),
                "checks": checks,
                "verdict": verdict,
                "reason": reason,
            })
        })
        .collect();
    let mut metrics = serde_json::Map::new();
    for m in &report.metrics {
        let values: Value = match m.tol {
            Tol::Unchecked => json!(format!("{} values, unchecked", m.values.len())),
            _ => Value::Array(
                m.values
                    .iter()
                    .map(|&v| {
                        if v.is_finite() {
                            json!(round_sig(v, SIG_DIGITS))
                        } else {
                            json!(crate::numbers::fmt(v))
                        }
                    })
                    .collect(),
            ),
        };
        metrics.insert(
            m.key.clone(),
            json!({ "unit": m.unit, "tol": tol_text(m.tol), "values": values }),
        );
    }
    json!({
        "id": id,
        "claims": claims,
        "metrics": metrics,
        "tables": report.tables.iter().map(|t| json!({
            "key": t.key, "title": t.title, "columns": t.columns, "rows": t.rows.len(),
        })).collect::<Vec<_>>(),
        "figures": report.figures.iter().map(|f| json!({
            "key": f.key, "title": f.title,
            "series": f.series.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "deviations": report.deviations.iter().map(|d| d.aspect.clone()).collect::<Vec<_>>(),
        "code_notes": report.code_notes.iter().map(|n| n.location.clone()).collect::<Vec<_>>(),
    })
}

/// A check in the snapshot; the role and the ties appear only when they are not the default,
/// so that a snapshot changes only where a check's meaning does.
fn check_view(k: &Check) -> Value {
    let mut v = json!({
        "metric": k.metric,
        "rule": k.rule.to_string(),
        "aggregate": format!("{:?}", k.aggregate),
        "passed": format!("{}/{}", k.passed, k.tested),
    });
    if k.role != Role::Core {
        v["role"] = json!(k.role.label());
    }
    if let Some(res) = k.tie {
        v["tie_within"] = json!(round_sig(res, SIG_DIGITS));
        v["tied"] = json!(k.tied);
    }
    v
}

/// Fails when a claim's statement writes a number that is neither one of its checks' thresholds
/// nor a declared setting: a statement must not say more than its checks test.
pub fn assert_statements(report: &Report) {
    let bad: Vec<String> = report
        .claims
        .iter()
        .filter(|c| c.not_testable.is_none())
        .filter_map(|c| {
            let extra = c.unexplained_numbers();
            (!extra.is_empty())
                .then(|| format!("{}: {} in {:?}", c.id, extra.join(", "), c.statement))
        })
        .collect();
    assert!(
        bad.is_empty(),
        "statements write numbers that are no check's threshold and no declared setting \
         (add the check, declare the setting with Claim::settings, or reword):\n{}",
        bad.join("\n")
    );
}

fn tol_text(t: Tol) -> String {
    match t {
        Tol::Close { rel, abs } => format!("rel {rel:e}, abs {abs:e}"),
        Tol::Exact => "exact".into(),
        Tol::Unchecked => "unchecked".into(),
    }
}

/// Where the snapshot of `id` lives.
pub fn snapshot_dir(root: &Path, id: &str) -> PathBuf {
    root.join("snapshots").join(id)
}

/// Reads the JSON body of an insta `.snap` file (after its `---` header).
pub fn read_snap(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut parts = text.splitn(3, "---\n");
    let (_, _, body) = (parts.next()?, parts.next()?, parts.next()?);
    serde_json::from_str(body.trim()).ok()
}

/// Differences between a stored and a new view: empty when the new one passes.
pub fn compare(old: &Value, new: &Value, report: &Report) -> Vec<String> {
    let mut diffs = Vec::new();
    walk(old, new, "", report, &mut diffs);
    diffs
}

fn walk(old: &Value, new: &Value, path: &str, report: &Report, diffs: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
                let p = format!("{path}/{key}");
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => {
                        // Metric values: compare with the metric's tolerance.
                        if key == "values"
                            && let Some(tol) = metric_tol(path, report)
                        {
                            compare_values(x, y, tol, &p, diffs);
                        } else {
                            walk(x, y, &p, report, diffs);
                        }
                    }
                    (Some(_), None) => diffs.push(format!("{p}: removed")),
                    (None, Some(_)) => diffs.push(format!("{p}: added")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                diffs.push(format!("{path}: length {} -> {}", a.len(), b.len()));
                return;
            }
            for (k, (x, y)) in a.iter().zip(b).enumerate() {
                walk(x, y, &format!("{path}/{k}"), report, diffs);
            }
        }
        _ => {
            if old != new {
                diffs.push(format!("{path}: {old} -> {new}"));
            }
        }
    }
}

fn metric_tol(path: &str, report: &Report) -> Option<Tol> {
    let key = path.strip_prefix("/metrics/")?;
    report.get(key).map(|m| m.tol)
}

/// The tolerance actually applied: never tighter than the rounding the snapshot itself applies.
fn effective_tol(tol: Tol) -> Tol {
    match tol {
        Tol::Close { rel, abs } => Tol::Close {
            rel: rel.max(10f64.powi(1 - SIG_DIGITS)),
            abs,
        },
        other => other,
    }
}

fn compare_values(old: &Value, new: &Value, tol: Tol, path: &str, diffs: &mut Vec<String>) {
    let (Value::Array(a), Value::Array(b)) = (old, new) else {
        if old != new {
            diffs.push(format!("{path}: {old} -> {new}"));
        }
        return;
    };
    if a.len() != b.len() {
        diffs.push(format!("{path}: {} values -> {}", a.len(), b.len()));
        return;
    }
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        let effective = effective_tol(tol);
        let ok = match (x.as_f64(), y.as_f64(), effective) {
            (Some(u), Some(v), Tol::Close { rel, abs }) => (u - v).abs() <= abs + rel * u.abs(),
            _ => x == y,
        };
        if !ok {
            diffs.push(format!(
                "{path}/{k}: {x} -> {y} (tolerance {})",
                tol_text(effective)
            ));
        }
    }
}

/// Checks `report` against `snapshots/<id>/<id>.snap`; see the module documentation.
///
/// # Panics
/// When the snapshot is missing or differs beyond tolerance (through insta's assertion).
pub fn assert_report(root: &Path, id: &str, report: &Report) {
    let new = view(id, report);
    let dir = snapshot_dir(root, id);
    let path = dir.join(format!("{id}.snap"));
    if let Some(old) = read_snap(&path) {
        let diffs = compare(&old, &new, report);
        if diffs.is_empty() {
            return;
        }
        eprintln!("snapshot {} differs beyond tolerance:", path.display());
        for d in &diffs {
            eprintln!("  {d}");
        }
    } else {
        eprintln!("no readable snapshot at {}", path.display());
    }
    let text = serde_json::to_string_pretty(&new).expect("view serialises");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(id, text));
}

/// Defines the snapshot test of a reproduction: run it at `ci` scale with seed 0 and compare with
/// `snapshots/<id>/<id>.snap`. Use in `tests/snapshot.rs` as
/// `harness::snapshot_test!(my_crate::REPRODUCTION);`.
///
/// The run goes through the runner ([`crate::runner::ci_result_for_tests`]): it writes
/// `results/<id>.json`, which `cargo run` then reuses, so CI runs each paper once.
#[macro_export]
macro_rules! snapshot_test {
    ($repro:path) => {
        #[test]
        fn ci_report_matches_its_snapshot() {
            let repro: &dyn $crate::Reproduction = &$repro;
            let root = $crate::store::workspace_root();
            let file = $crate::runner::ci_result_for_tests(&root, repro);
            $crate::snapshot::assert_statements(&file.report);
            $crate::snapshot::assert_report(&root, repro.meta().id, &file.report);
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Check, Claim, PaperValue, Provenance, Rule};

    fn report(v: f64) -> Report {
        let mut r = Report::default();
        r.metric("iters", "iterations", "", vec![29.0], Tol::Exact);
        r.metric("err", "error", "", vec![v], Tol::rel(1e-3));
        r.metric("time", "wall time", "s", vec![v * 7.0], Tol::Unchecked);
        r.claim(
            Claim::new(
                "S1",
                "few iterations",
                PaperValue {
                    value: "29".into(),
                    source: "Table 1".into(),
                    provenance: Provenance::Secondary,
                },
            )
            .check(Check::each("iters", Rule::AtMost(60.0))),
        );
        r.finalize()
    }

    #[test]
    fn within_tolerance_passes_and_beyond_fails() {
        let base = report(1.0);
        let old = view("p", &base);
        assert!(compare(&old, &view("p", &report(1.0 + 5e-4)), &base).is_empty());
        let diffs = compare(&old, &view("p", &report(1.01)), &base);
        assert_eq!(diffs.len(), 1, "{diffs:?}");
        assert!(diffs[0].starts_with("/metrics/err/values/0"));
    }

    #[test]
    fn texts_and_verdicts_compare_exactly() {
        let base = report(1.0);
        let old = view("p", &base);
        let mut changed = base.clone();
        changed.claims[0].statement = "other".into();
        assert!(!compare(&old, &view("p", &changed), &base).is_empty());
        let mut worse = base.clone();
        worse.metrics[0].values = vec![30.0];
        assert!(!compare(&old, &view("p", &worse), &base).is_empty());
    }

    /// A claim read only from wall times: its verdict may differ on another machine, so the
    /// snapshot pins neither the verdict nor the counts, while a claim on checked metrics still
    /// compares exactly.
    #[test]
    fn wall_clock_verdicts_are_not_pinned() {
        let timed = |seconds: f64| {
            let mut r = report(1.0);
            r.metrics[2].values = vec![seconds];
            r.claims.push(
                Claim::new(
                    "S2",
                    "fast. Wall-clock: varies by machine",
                    PaperValue {
                        value: "1 s".into(),
                        source: "Table 2".into(),
                        provenance: Provenance::Paper,
                    },
                )
                .check(Check::each("time", Rule::AtMost(10.0))),
            );
            r.finalize()
        };
        let (fast, slow) = (timed(1.0), timed(20.0));
        assert_ne!(fast.claims[1].verdict, slow.claims[1].verdict);
        let old = view("p", &fast);
        assert_eq!(old["claims"][1]["verdict"], json!(MACHINE_DEPENDENT));
        assert_eq!(old["claims"][0]["verdict"], json!("reproduced"));
        assert!(compare(&old, &view("p", &slow), &fast).is_empty());
        // Without the declaration an unchecked metric (a rounding-level error) stays pinned.
        let undeclared = |seconds: f64| {
            let mut r = timed(seconds);
            r.claims[1].statement = "fast".into();
            r
        };
        let old = view("p", &undeclared(1.0));
        assert_eq!(old["claims"][1]["verdict"], json!("reproduced"));
        assert!(!compare(&old, &view("p", &undeclared(20.0)), &fast).is_empty());
    }

    #[test]
    fn reads_an_insta_file() {
        let dir = std::env::temp_dir().join(format!("repro-snap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.snap");
        std::fs::write(&path, "---\nsource: x\n---\n{\"a\": 1}\n").unwrap();
        assert_eq!(read_snap(&path), Some(json!({"a": 1})));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
