//! Result files: `results/<id>.json`, one per reproduction, with provenance and the hash of
//! everything the result depends on, so that a result is reused exactly while it is current.

use crate::contract::{Meta, Scale};
use crate::report::Report;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};

/// Bumped whenever the layout of [`ResultFile`] or [`Report`] changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

/// Where and on what a result was computed (not to be confused with `report::Provenance`, the
/// tag of a number quoted from a paper).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunProvenance {
    pub git_commit: String,
    /// True when the work tree had uncommitted changes.
    pub git_dirty: bool,
    pub cargo_lock_sha256: String,
    pub rustc: String,
    pub cpu: String,
    pub threads: usize,
    /// The device the run used, in words ("CPU (2 threads)", or the GPU's name and driver).
    pub device: String,
    /// The device as the input hash names it (`cpu`, `cuda:<name>`); empty in older records,
    /// which ran on the CPU.
    #[serde(default)]
    pub device_key: String,
    /// GPU found on the machine, if any, even when the run used the CPU.
    pub gpu: Option<String>,
    pub scale: Scale,
    pub seed: u64,
    pub wall_time_s: f64,
    /// UTC, ISO 8601.
    pub finished_at: String,
}

/// The content of `results/<id>.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultFile {
    pub schema_version: u32,
    pub id: String,
    pub title: String,
    pub input_hash: String,
    pub provenance: RunProvenance,
    pub report: Report,
}

/// A results file that exists but cannot be used.
#[derive(Debug)]
pub enum StoreError {
    Io(PathBuf, std::io::Error),
    Corrupt(PathBuf, String),
    Schema(PathBuf, u32),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io(p, e) => write!(f, "cannot read {}: {e}", p.display()),
            StoreError::Corrupt(p, e) => write!(
                f,
                "corrupt results file {}: {e} (delete it or re-run with --force)",
                p.display()
            ),
            StoreError::Schema(p, v) => write!(
                f,
                "results file {} has schema version {v}, this build reads {SCHEMA_VERSION} (re-run with --force)",
                p.display()
            ),
        }
    }
}

impl std::error::Error for StoreError {}

/// The workspace root: `REPRO_ROOT` if set, else the folder above this crate.
pub fn workspace_root() -> PathBuf {
    if let Some(root) = std::env::var_os("REPRO_ROOT") {
        return PathBuf::from(root);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("harness sits inside the workspace")
        .to_path_buf()
}

pub fn results_dir(root: &Path) -> PathBuf {
    root.join("results")
}

/// `results/<id>.json` for `ci` runs, `results/<id>.full.json` for `full` runs.
pub fn result_path(root: &Path, id: &str, scale: Scale) -> PathBuf {
    match scale {
        Scale::Ci => results_dir(root).join(format!("{id}.json")),
        Scale::Full => results_dir(root).join(format!("{id}.full.json")),
    }
}

/// The committed record of a `full`-scale run, shown by the book when no local one exists.
pub fn recorded_full_path(root: &Path, id: &str) -> PathBuf {
    root.join("book/data/full").join(format!("{id}.json"))
}

/// Reads the result of `id` at `scale`; see [`load_file`].
pub fn load(root: &Path, id: &str, scale: Scale) -> Result<Option<ResultFile>, StoreError> {
    load_file(&result_path(root, id, scale), id)
}

/// Reads a results file: `Ok(None)` when there is none, an error naming the file and the
/// problem when it is unreadable, not JSON, not a result of `id`, or of another schema.
pub fn load_file(path: &Path, id: &str) -> Result<Option<ResultFile>, StoreError> {
    let path = path.to_path_buf();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::Io(path, e)),
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(path.clone(), e.to_string()))?;
    let version = value
        .get("schema_version")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| StoreError::Corrupt(path.clone(), "no schema_version field".into()))?;
    if version != u64::from(SCHEMA_VERSION) {
        return Err(StoreError::Schema(path, version as u32));
    }
    let file: ResultFile = serde_json::from_value(value)
        .map_err(|e| StoreError::Corrupt(path.clone(), e.to_string()))?;
    if file.id != id {
        return Err(StoreError::Corrupt(
            path,
            format!("it holds the result of {:?}", file.id),
        ));
    }
    Ok(Some(file))
}

/// Writes `results/<id>.json` atomically (temporary file, then rename), so an interrupted
/// write never destroys the previous result.
pub fn save(root: &Path, file: &ResultFile) -> std::io::Result<PathBuf> {
    let dir = results_dir(root);
    std::fs::create_dir_all(&dir)?;
    let path = result_path(root, &file.id, file.provenance.scale);
    let tmp = dir.join(format!(".{}.{}.json.tmp", file.id, file.provenance.scale));
    let text = serde_json::to_string_pretty(file).expect("results serialise");
    std::fs::write(&tmp, text + "\n")?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// What every result depends on besides its own crate: the kernels' code, CUDA sources, vendored
/// data and golden fixtures, and the harness's code.
pub const SHARED_INPUTS: &[&str] = &[
    "kernels/src",
    "kernels/cuda",
    "kernels/data",
    "kernels/fixtures",
    "harness/src",
];

/// Harness files that only present results (book, figures, math, snapshots, progress, this
/// store): changing them changes no measurement or verdict, so they are left out of the hash and
/// editing the book does not mark every record stale.
pub const PRESENTATION_ONLY: &[&str] = &[
    "harness/src/book.rs",
    "harness/src/plot.rs",
    "harness/src/math.rs",
    "harness/src/snapshot.rs",
    "harness/src/progress.rs",
    "harness/src/store.rs",
];

/// SHA-256 of everything a result depends on: the reproduction crate's files,
/// [`SHARED_INPUTS`] less [`PRESENTATION_ONLY`], `Cargo.lock`, the scale, the seed and the device.
pub fn input_hash(root: &Path, meta: &Meta, scale: Scale, seed: u64, device: &str) -> String {
    let mut h = Sha256::new();
    let mut dirs = vec![PathBuf::from(meta.crate_dir)];
    for sub in SHARED_INPUTS {
        dirs.push(root.join(sub));
    }
    for dir in dirs {
        let mut files = Vec::new();
        collect_files(&dir, &mut files);
        files.sort();
        for f in files {
            let rel = f
                .strip_prefix(root)
                .unwrap_or(&f)
                .to_string_lossy()
                .to_string();
            if PRESENTATION_ONLY.contains(&rel.as_str()) {
                continue;
            }
            if let Ok(bytes) = std::fs::read(&f) {
                h.update(rel.as_bytes());
                h.update([0]);
                h.update(&bytes);
            }
        }
    }
    h.update(file_sha256(&root.join("Cargo.lock")).as_bytes());
    h.update(format!("|{scale}|{seed}|{device}").as_bytes());
    hex(&h.finalize())
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            collect_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Hex SHA-256 of a file, or `missing`.
pub fn file_sha256(path: &Path) -> String {
    match std::fs::read(path) {
        Ok(bytes) => hex(&Sha256::digest(&bytes)),
        Err(_) => "missing".into(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The current commit and whether anything a result can depend on (the reproductions,
/// [`SHARED_INPUTS`], `Cargo.lock`) has uncommitted changes; `unknown` outside a git checkout.
/// Edits elsewhere (a chapter, a committed record written by the same `run`) do not count.
pub fn git_state(root: &Path) -> (String, bool) {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = run(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let mut args = vec![
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        "reproductions",
    ];
    args.extend(SHARED_INPUTS);
    args.push("Cargo.lock");
    let dirty = run(&args).map(|s| !s.is_empty()).unwrap_or(false);
    (commit, dirty)
}

pub use kernels::perf::{iso8601, now_iso8601};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_and_foreign_files_are_named() {
        let dir = std::env::temp_dir().join(format!("repro-store-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("results")).unwrap();
        std::fs::write(dir.join("results/x.json"), "{ not json").unwrap();
        let e = load(&dir, "x", Scale::Ci).unwrap_err().to_string();
        assert!(
            e.contains("corrupt results file") && e.contains("x.json"),
            "{e}"
        );
        std::fs::write(dir.join("results/y.json"), r#"{"schema_version": 999}"#).unwrap();
        assert!(
            load(&dir, "y", Scale::Ci)
                .unwrap_err()
                .to_string()
                .contains("schema version 999")
        );
        std::fs::write(
            dir.join("results/z.json"),
            r#"{"schema_version": 1, "id": 3}"#,
        )
        .unwrap();
        assert!(matches!(
            load(&dir, "z", Scale::Ci),
            Err(StoreError::Corrupt(..))
        ));
        assert!(load(&dir, "absent", Scale::Ci).unwrap().is_none());
        assert!(result_path(&dir, "p", Scale::Full).ends_with("results/p.full.json"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
