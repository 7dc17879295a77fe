//! The record a benchmark writes, `book/data/perf/<family>.json`: the machine, the date, the
//! measured limit the rows are divided by, and the rows. The benches write it with this module;
//! the book (`harness::book`) only reads it, so `kernels` needs nothing from the crates above it.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A benchmark record written by a bench run: machine, date, and rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PerfFile {
    pub family: String,
    pub machine: String,
    pub date: String,
    /// What the limit is and its measured value, e.g. "copy bandwidth", "GB/s", 12.3.
    pub limit_name: String,
    pub limit_unit: String,
    pub limit_value: f64,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub notes: Vec<String>,
}

/// Mean time in seconds of one criterion benchmark, read from its `estimates.json` under the
/// criterion output folder `out` (`<group>/<id>/new/estimates.json`).
pub fn criterion_mean_seconds(out: &Path, group: &str, id: &str) -> Option<f64> {
    let path = out.join(group).join(id).join("new/estimates.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    Some(v["mean"]["point_estimate"].as_f64()? * 1e-9)
}

/// Writes `book/data/perf/<family>.json`, the record the performance chapter shows.
pub fn save_perf(root: &Path, perf: &PerfFile) -> std::io::Result<PathBuf> {
    let dir = root.join("book/data/perf");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{}.json", perf.family));
    let text = serde_json::to_string_pretty(perf).expect("a perf record serialises") + "\n";
    crate::files::write_atomic(&path, text.as_bytes()).map_err(std::io::Error::other)?;
    Ok(path)
}

/// The machine a bench record was measured on: CPU model, threads and, when one is found, the GPU.
pub fn this_machine() -> String {
    let gpu = crate::device::detect_cuda().ok().map(|d| format!(", {d}"));
    format!(
        "{} ({} threads){}",
        crate::device::cpu_model(),
        crate::device::cpu_threads(),
        gpu.unwrap_or_default()
    )
}

/// Saves a bench's record with [`save_perf`] and says where; a bench that cannot write its
/// record stops with the reason.
pub fn publish_perf(root: &Path, perf: &PerfFile) {
    match save_perf(root, perf) {
        Ok(path) => eprintln!("wrote {}", path.display()),
        Err(e) => panic!("cannot write the {} perf record: {e}", perf.family),
    }
}

/// The workspace root: `REPRO_ROOT` if set, else the folder above this crate.
pub fn workspace_root() -> PathBuf {
    if let Some(root) = std::env::var_os("REPRO_ROOT") {
        return PathBuf::from(root);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("kernels sits inside the workspace")
        .to_path_buf()
}

/// Seconds since the Unix epoch as an ISO 8601 UTC timestamp (civil-from-days, no time crate).
pub fn iso8601(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Now, as [`iso8601`].
pub fn now_iso8601() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    iso8601(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_795_824_000), "2026-11-28T00:00:00Z");
    }

    #[test]
    fn perf_records_and_criterion_estimates_round_trip() {
        let root = std::env::temp_dir().join(format!("repro-perf-{}", std::process::id()));
        let est = root.join("crit/g/f/10/new");
        std::fs::create_dir_all(&est).unwrap();
        std::fs::write(
            est.join("estimates.json"),
            r#"{"mean": {"point_estimate": 2500.0}}"#,
        )
        .unwrap();
        assert_eq!(
            criterion_mean_seconds(&root.join("crit"), "g", "f/10"),
            Some(2.5e-6)
        );
        assert_eq!(
            criterion_mean_seconds(&root.join("crit"), "g", "missing"),
            None
        );
        let perf = PerfFile {
            family: "toy".into(),
            machine: "m".into(),
            date: "d".into(),
            limit_name: "copy".into(),
            limit_unit: "GB/s".into(),
            limit_value: 1.0,
            columns: vec!["a".into()],
            rows: vec![vec!["1".into()]],
            notes: vec![],
        };
        save_perf(&root, &perf).unwrap();
        let text = std::fs::read_to_string(root.join("book/data/perf/toy.json")).unwrap();
        assert_eq!(serde_json::from_str::<PerfFile>(&text).unwrap(), perf);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
