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
    /// [`verdict_rules`] of the build that wrote the file; empty in older files. While it equals
    /// the current one, loading recomputes every verdict from the stored metrics and refuses a
    /// file where they differ.
    #[serde(default)]
    pub verdict_rules: String,
    pub provenance: RunProvenance,
    pub report: Report,
}

/// SHA-256 of the code that turns metrics into verdicts (`report`, `stats`, `numbers`).
pub fn verdict_rules() -> String {
    let mut h = Sha256::new();
    for src in [
        include_str!("report.rs"),
        include_str!("stats.rs"),
        include_str!("numbers.rs"),
    ] {
        h.update(src.as_bytes());
    }
    hex(&h.finalize())
}

/// The largest results file this build reads: far above any real one (the largest is well under
/// a megabyte), small enough that a damaged or hostile file cannot exhaust memory.
pub const MAX_RESULT_BYTES: u64 = 32 << 20;

/// Which stored result a file is: the `ci` or `full` result of a local run, or the committed
/// full-scale record. It decides the scale a file must hold and the remedy a message suggests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Ci,
    Full,
    Record,
}

impl Slot {
    pub fn of(scale: Scale) -> Slot {
        match scale {
            Scale::Ci => Slot::Ci,
            Scale::Full => Slot::Full,
        }
    }

    pub fn scale(self) -> Scale {
        match self {
            Slot::Ci => Scale::Ci,
            Slot::Full | Slot::Record => Scale::Full,
        }
    }

    /// What to do about an unusable file in this slot.
    pub fn remedy(self, id: &str) -> String {
        match self {
            Slot::Ci => format!("delete it or re-run: `cargo run --release -- run {id} --force`"),
            Slot::Full => format!(
                "delete it or re-run: `cargo run --release -- run {id} --scale full --force`"
            ),
            Slot::Record => format!(
                "restore it (`git checkout -- book/data/full/{id}.json`) or re-record it: \
                 `cargo run --release -- run {id} --scale full --force --record`"
            ),
        }
    }
}

/// A results file that exists but cannot be used, or cannot be written.
#[derive(Debug)]
pub enum StoreError {
    Io(kernels::files::FileError),
    Corrupt {
        path: PathBuf,
        why: String,
        remedy: String,
    },
    /// `found` as the file spells it (it may not even be a number).
    Schema {
        path: PathBuf,
        found: String,
        remedy: String,
    },
    TooLarge {
        path: PathBuf,
        bytes: u64,
        remedy: String,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io(e) => write!(f, "{e}"),
            StoreError::Corrupt { path, why, remedy } => {
                write!(
                    f,
                    "corrupt results file {}: {why} ({remedy})",
                    path.display()
                )
            }
            StoreError::Schema {
                path,
                found,
                remedy,
            } => write!(
                f,
                "results file {} has schema version {found}, this build reads {SCHEMA_VERSION} ({remedy})",
                path.display()
            ),
            StoreError::TooLarge {
                path,
                bytes,
                remedy,
            } => write!(
                f,
                "results file {} is {bytes} bytes, more than the {MAX_RESULT_BYTES} a result can be ({remedy})",
                path.display()
            ),
        }
    }
}

impl std::error::Error for StoreError {}

/// The workspace root: `REPRO_ROOT` if set, else the folder above this crate. Unchecked; the
/// binary uses [`checked_root`].
pub fn workspace_root() -> PathBuf {
    kernels::perf::workspace_root()
}

/// [`workspace_root`], refused unless it is a folder holding a workspace (`Cargo.toml` with a
/// `[workspace]` table), so a mistyped `REPRO_ROOT` is not silently created and filled.
pub fn checked_root() -> Result<PathBuf, String> {
    let root = workspace_root();
    let set = std::env::var_os("REPRO_ROOT").is_some();
    let what = if set {
        format!("REPRO_ROOT={}", root.display())
    } else {
        format!("the workspace {}", root.display())
    };
    if !root.is_dir() {
        return Err(format!("{what}: no such folder"));
    }
    let manifest = root.join("Cargo.toml");
    match std::fs::read_to_string(&manifest) {
        Ok(t) if t.contains("[workspace]") => Ok(root),
        Ok(_) => Err(format!(
            "{what}: {} has no [workspace] table; point REPRO_ROOT at the suite's checkout",
            manifest.display()
        )),
        Err(e) => Err(format!(
            "{what} does not hold the workspace: cannot read {}: {e}",
            manifest.display()
        )),
    }
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
    load_file(&result_path(root, id, scale), id, Slot::of(scale))
}

/// Reads the committed full-scale record of `id`; see [`load_file`].
pub fn load_record(root: &Path, id: &str) -> Result<Option<ResultFile>, StoreError> {
    load_file(&recorded_full_path(root, id), id, Slot::Record)
}

/// Reads a results file: `Ok(None)` when there is none, an error naming the file, the problem
/// and a remedy fitting the slot when it is unreadable, too large, not JSON, of another schema,
/// not a result of `id`, of the wrong scale, or when its verdicts are not those its metrics give.
pub fn load_file(path: &Path, id: &str, slot: Slot) -> Result<Option<ResultFile>, StoreError> {
    let corrupt = |why: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        why,
        remedy: slot.remedy(id),
    };
    let io = |op, e| {
        StoreError::Io(kernels::files::FileError {
            op,
            path: path.to_path_buf(),
            source: e,
        })
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("read", e)),
    };
    if meta.is_dir() {
        return Err(corrupt("it is a folder, not a file".into()));
    }
    if meta.len() > MAX_RESULT_BYTES {
        return Err(StoreError::TooLarge {
            path: path.to_path_buf(),
            bytes: meta.len(),
            remedy: slot.remedy(id),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| io("read", e))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| corrupt(format!("not JSON: {e}")))?;
    match value.get("schema_version") {
        None => return Err(corrupt("no schema_version field".into())),
        Some(v) if v.as_u64() == Some(u64::from(SCHEMA_VERSION)) => {}
        Some(v) => {
            return Err(StoreError::Schema {
                path: path.to_path_buf(),
                found: v.to_string(),
                remedy: slot.remedy(id),
            });
        }
    }
    let file: ResultFile = serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))?;
    if file.id != id {
        return Err(corrupt(format!("it holds the result of {:?}", file.id)));
    }
    if file.provenance.scale != slot.scale() {
        return Err(corrupt(format!(
            "it holds a {}-scale result where a {}-scale one belongs",
            file.provenance.scale,
            slot.scale()
        )));
    }
    if let Some(why) = verdicts_disagree(&file) {
        return Err(corrupt(why));
    }
    Ok(Some(file))
}

/// When the file was written under the current verdict rules: the first claim whose stored
/// verdict differs from the one its stored metrics give (a changed metric or verdict).
fn verdicts_disagree(file: &ResultFile) -> Option<String> {
    if file.verdict_rules != verdict_rules() {
        return None;
    }
    let recomputed = file.report.clone().finalize();
    file.report
        .claims
        .iter()
        .zip(&recomputed.claims)
        .find(|(stored, now)| stored.verdict.label() != now.verdict.label())
        .map(|(stored, now)| {
            format!(
                "claim {} is stored as \"{}\" but its stored metrics give \"{}\" \
                 (the file was changed after the run)",
                stored.id,
                stored.verdict.label(),
                now.verdict.label()
            )
        })
}

/// The lock that serialises runs of one result: `results/.<id>.<scale>.lock`. A second command
/// running the same id waits for the first (and then reuses its result when it is current).
pub fn lock_result(
    root: &Path,
    id: &str,
    scale: Scale,
    on_wait: impl FnOnce(&Path),
) -> Result<kernels::files::Lock, StoreError> {
    let dir = results_dir(root);
    std::fs::create_dir_all(&dir).map_err(|e| {
        StoreError::Io(kernels::files::FileError {
            op: "create the results folder",
            path: dir.clone(),
            source: e,
        })
    })?;
    let path = dir.join(format!(".{id}.{scale}.lock"));
    kernels::files::Lock::acquire(&path, || on_wait(&path)).map_err(StoreError::Io)
}

/// Writes `results/<id>.json` atomically ([`kernels::files::write_atomic`]: an exclusive fresh
/// temporary file, synced, renamed), after removing what interrupted writes of the same result
/// left. Call it holding [`lock_result`].
pub fn save(root: &Path, file: &ResultFile) -> Result<PathBuf, StoreError> {
    let dir = results_dir(root);
    let path = result_path(root, &file.id, file.provenance.scale);
    let name = path.file_name().expect("a file name").to_string_lossy();
    kernels::files::clean_temps(&dir, &name);
    let text = serde_json::to_string_pretty(file).expect("results serialise") + "\n";
    kernels::files::write_atomic(&path, text.as_bytes()).map_err(StoreError::Io)?;
    Ok(path)
}

/// Saves a result that could not be written where it belongs to a file in the system's temporary
/// folder, so the computation is not lost; returns its path.
pub fn save_fallback(file: &ResultFile) -> Result<PathBuf, StoreError> {
    let path = std::env::temp_dir().join(format!(
        "repro-{}.{}.{}.json",
        file.id,
        file.provenance.scale,
        std::process::id()
    ));
    let text = serde_json::to_string_pretty(file).expect("results serialise") + "\n";
    kernels::files::write_atomic(&path, text.as_bytes()).map_err(StoreError::Io)?;
    Ok(path)
}

/// What every result depends on besides its own crate and the kernels it uses
/// ([`kernels_inputs`]): the harness's code.
pub const SHARED_INPUTS: &[&str] = &["harness/src"];

/// Where the kernels' sources and the files they include live; every change under them counts
/// for the git "dirty" flag, while the hash counts only the files a crate uses.
pub const KERNELS_DIRS: &[&str] = &[
    "kernels/src",
    "kernels/cuda",
    "kernels/data",
    "kernels/fixtures",
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
/// [`SHARED_INPUTS`] less [`PRESENTATION_ONLY`], the kernels files it uses ([`kernels_inputs`]), the crate's dependency closure in `Cargo.lock`
/// ([`lock_closure`]), the scale, the seed and the device.
pub fn input_hash(root: &Path, meta: &Meta, scale: Scale, seed: u64, device: &str) -> String {
    let mut h = Sha256::new();
    let crate_dir = crate_dir_under(root, meta);
    let mut groups = Vec::new();
    for dir in std::iter::once(crate_dir.clone()).chain(SHARED_INPUTS.iter().map(|s| root.join(s)))
    {
        let mut files = Vec::new();
        collect_files(&dir, &mut files);
        files.sort();
        groups.push(files);
    }
    let (kernel_files, lib_rs) = kernels_inputs(root, &crate_dir);
    groups.push(kernel_files);
    h.update(lib_rs.as_bytes());
    for files in groups {
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
    h.update(lock_closure(&root.join("Cargo.lock"), meta.id).as_bytes());
    h.update(format!("|{scale}|{seed}|{device}").as_bytes());
    hex(&h.finalize())
}

/// The kernels files a result depends on, and the code of `kernels/src/lib.rs` less its `mod`
/// lines and docs: the modules the crate's sources and the harness's measuring code name
/// (`kernels::<module>`, `kernels::{a, b}`), the modules those name in turn (`crate::<module>`),
/// and the files any of them includes (`include_str!`, `include_bytes!`). Adding a kernels
/// module for a new paper then leaves the other papers' records current.
pub fn kernels_inputs(root: &Path, crate_dir: &Path) -> (Vec<PathBuf>, String) {
    let src = root.join("kernels/src");
    let mut seeds = Vec::new();
    collect_files(crate_dir, &mut seeds);
    collect_files(&root.join("harness/src"), &mut seeds);
    let mut todo: Vec<String> = Vec::new();
    for f in seeds
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "rs"))
    {
        let rel = f
            .strip_prefix(root)
            .unwrap_or(f)
            .to_string_lossy()
            .to_string();
        if PRESENTATION_ONLY.contains(&rel.as_str()) {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(f) {
            todo.extend(named_modules(&text, "kernels::"));
        }
    }
    let mut modules: Vec<String> = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    while let Some(m) = todo.pop() {
        if modules.contains(&m) {
            continue;
        }
        modules.push(m.clone());
        let mut own = Vec::new();
        let single = src.join(format!("{m}.rs"));
        if single.is_file() {
            own.push(single);
        }
        collect_files(&src.join(&m), &mut own);
        for f in own {
            if let Ok(text) = std::fs::read_to_string(&f) {
                todo.extend(named_modules(&text, "crate::"));
                let dir = f.parent().unwrap_or(&src).to_path_buf();
                files.extend(
                    included_files(&text)
                        .into_iter()
                        .map(|inc| normalise(&dir.join(inc))),
                );
            }
            files.push(f);
        }
    }
    files.sort();
    files.dedup();
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap_or_default();
    let lib_code: String = lib
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("pub mod ") || t.starts_with("mod ") || t.starts_with("//"))
        })
        .collect::<Vec<_>>()
        .join("\n");
    (files, lib_code)
}

/// `a/b/../c` → `a/c`, lexically (the path need not exist).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The first path segments after each `prefix` in `text`: `kernels::optim::Adam` → `optim`,
/// `kernels::{rng, spd::gram}` → `rng`, `spd`.
fn named_modules(text: &str, prefix: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (i, _) in text.match_indices(prefix) {
        let rest = &text[i + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let body = group.split('}').next().unwrap_or("");
            out.extend(body.split(',').map(ident).filter(|m| !m.is_empty()));
        } else {
            let m = ident(rest);
            if !m.is_empty() {
                out.push(m);
            }
        }
    }
    out
}

/// The paths a Rust file includes with `include_str!("…")` or `include_bytes!("…")`.
fn included_files(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for mac in ["include_str!(\"", "include_bytes!(\""] {
        for (i, _) in text.match_indices(mac) {
            let rest = &text[i + mac.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_string());
            }
        }
    }
    out
}

/// The crate's folder under `root`: `meta.crate_dir` is where the binary was built from, and a
/// result must hash the sources of the tree in use (`REPRO_ROOT`), not of the build tree.
pub fn crate_dir_under(root: &Path, meta: &Meta) -> PathBuf {
    let built = Path::new(meta.crate_dir);
    let build_root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("harness sits inside the workspace");
    match built.strip_prefix(build_root) {
        Ok(rel) => root.join(rel),
        Err(_) => built.to_path_buf(),
    }
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

/// Hex SHA-256 of the `Cargo.lock` entries a package depends on, itself included, transitively
/// (dev-dependencies too: the lock does not tell them apart). Adding a paper, or changing another
/// paper's dependencies, changes the root package's entry and that paper's, not this closure, so
/// it does not mark every record stale. A package not in the lock (a test's fake paper) hashes
/// the whole file.
pub fn lock_closure(lock: &Path, package: &str) -> String {
    let Ok(text) = std::fs::read_to_string(lock) else {
        return "missing".into();
    };
    let packages = lock_packages(&text);
    let Some(start) = packages.iter().position(|p| p.name == package) else {
        return hex(&Sha256::digest(text.as_bytes()));
    };
    let mut seen = vec![false; packages.len()];
    let mut stack = vec![start];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        for dep in &packages[i].dependencies {
            // "name", "name version" or "name version (source)".
            let mut parts = dep.split_whitespace();
            let name = parts.next().unwrap_or("");
            let version = parts.next();
            let found = packages
                .iter()
                .position(|p| p.name == name && version.is_none_or(|v| p.version == v));
            if let Some(j) = found {
                stack.push(j);
            }
        }
    }
    let mut h = Sha256::new();
    for (p, _) in packages.iter().zip(&seen).filter(|(_, s)| **s) {
        h.update(p.block.as_bytes());
        h.update([0]);
    }
    hex(&h.finalize())
}

/// One `[[package]]` block of a `Cargo.lock`: its text and the fields the closure needs.
struct LockPackage {
    name: String,
    version: String,
    dependencies: Vec<String>,
    block: String,
}

/// The `[[package]]` blocks of a `Cargo.lock` (its format is TOML written by Cargo in one fixed
/// shape: `key = "value"` lines and a `dependencies = [ … ]` list, one quoted entry per line).
fn lock_packages(text: &str) -> Vec<LockPackage> {
    let quoted = |line: &str| {
        line.split_once('=')
            .map(|(_, v)| v.trim().trim_matches('"').to_string())
    };
    text.split("[[package]]")
        .skip(1)
        .map(|block| {
            let block = block.split("\n[").next().unwrap_or(block);
            let mut p = LockPackage {
                name: String::new(),
                version: String::new(),
                dependencies: Vec::new(),
                block: block.trim().to_string(),
            };
            let mut in_deps = false;
            for line in block.lines().map(str::trim) {
                if in_deps {
                    if line.starts_with(']') {
                        in_deps = false;
                    } else {
                        p.dependencies
                            .push(line.trim_end_matches(',').trim_matches('"').to_string());
                    }
                } else if line.starts_with("name =") {
                    p.name = quoted(line).unwrap_or_default();
                } else if line.starts_with("version =") {
                    p.version = quoted(line).unwrap_or_default();
                } else if line.starts_with("dependencies = [") {
                    in_deps = !line.ends_with(']');
                }
            }
            p
        })
        .collect()
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

/// The first ten characters of a recorded commit, or "unknown" as recorded (never a byte slice:
/// a damaged file's commit may not be ASCII).
pub fn short_commit(commit: &str) -> String {
    commit.chars().take(10).collect()
}

/// The commit a result was computed at, whether its inputs had uncommitted changes, and why the
/// commit is unknown when it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitState {
    pub commit: String,
    pub dirty: bool,
    pub warning: Option<String>,
}

/// The current commit and whether anything a result can depend on (the reproductions,
/// [`SHARED_INPUTS`], [`KERNELS_DIRS`], `Cargo.lock`) has uncommitted changes; `unknown` with a warning outside a
/// git checkout or without `git`. Edits elsewhere (a chapter, a record written by the same
/// `run`) do not count.
pub fn git_state(root: &Path) -> GitState {
    git_state_with("git", root)
}

/// [`git_state`] with the `git` program named (tests use one that does not exist).
pub fn git_state_with(git: &str, root: &Path) -> GitState {
    let run = |args: &[&str]| {
        std::process::Command::new(git)
            .args(args)
            .current_dir(root)
            .output()
    };
    let text = |o: std::process::Output| {
        o.status
            .success()
            .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = match run(&["rev-parse", "HEAD"]) {
        Err(e) => {
            return GitState {
                commit: "unknown".into(),
                dirty: false,
                warning: Some(format!(
                    "`{git}` cannot be run ({e}): the result records its commit as unknown"
                )),
            };
        }
        Ok(o) => text(o),
    };
    let Some(commit) = commit else {
        return GitState {
            commit: "unknown".into(),
            dirty: false,
            warning: Some(format!(
                "{} is not a git checkout: the result records its commit as unknown",
                root.display()
            )),
        };
    };
    let mut args = vec![
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        "reproductions",
    ];
    args.extend(SHARED_INPUTS);
    args.extend(KERNELS_DIRS);
    args.push("Cargo.lock");
    let dirty = run(&args)
        .ok()
        .and_then(text)
        .map(|s| !s.is_empty())
        .unwrap_or(false);
    GitState {
        commit,
        dirty,
        warning: None,
    }
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
            Err(StoreError::Corrupt { .. })
        ));
        assert!(load(&dir, "absent", Scale::Ci).unwrap().is_none());
        assert!(result_path(&dir, "p", Scale::Full).ends_with("results/p.full.json"));
        // Versions are shown as the file spells them, in or out of range.
        for v in ["4294967297", "-1", "1.5"] {
            std::fs::write(
                dir.join("results/v.json"),
                format!(r#"{{"schema_version": {v}}}"#),
            )
            .unwrap();
            let e = load(&dir, "v", Scale::Ci).unwrap_err().to_string();
            assert!(e.contains(&format!("schema version {v},")), "{e}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_lock_hash_covers_the_dependency_closure_only() {
        let dir = std::env::temp_dir().join(format!("repro-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lock = |extra: &str, dep_version: &str| {
            format!(
                "version = 4\n\n[[package]]\nname = \"paper\"\nversion = \"0.1.0\"\ndependencies = [\n \"dep\",\n \"shared 1.0.0\",\n]\n\n\
                 [[package]]\nname = \"dep\"\nversion = \"{dep_version}\"\n\n\
                 [[package]]\nname = \"shared\"\nversion = \"1.0.0\"\n\n\
                 [[package]]\nname = \"shared\"\nversion = \"2.0.0\"\n{extra}"
            )
        };
        let path = dir.join("Cargo.lock");
        let hash = |text: String| {
            std::fs::write(&path, text).unwrap();
            lock_closure(&path, "paper")
        };
        let base = hash(lock("", "0.2.0"));
        // A new package elsewhere, or another version of a dependency's name: unchanged.
        assert_eq!(
            base,
            hash(lock(
                "\n[[package]]\nname = \"new-paper\"\nversion = \"0.1.0\"\n",
                "0.2.0"
            ))
        );
        // A dependency of the closure changes: changed.
        assert_ne!(base, hash(lock("", "0.3.0")));
        // An unknown package hashes the whole file.
        assert_ne!(lock_closure(&path, "fake"), base);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn kernels_inputs_follow_the_modules_a_crate_uses() {
        let root = workspace_root();
        let (files, lib) = kernels_inputs(&root, &root.join("reproductions/sinkhorn-newton"));
        let names: Vec<String> = files
            .iter()
            .map(|f| {
                f.strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        for used in [
            "kernels/src/ot/mod.rs",
            "kernels/src/sparse.rs",
            "kernels/src/cuda.rs",
            "kernels/cuda/sinkhorn.cu",
            "kernels/src/rng.rs",
            "kernels/src/device.rs",
        ] {
            assert!(
                names.iter().any(|n| n == used),
                "{used} missing from {names:?}"
            );
        }
        // SNS uses no network and no data set (the CUDA module does pull in the optimizers and
        // SPD kernels it compiles).
        assert!(
            !names
                .iter()
                .any(|n| n.contains("kernels/src/nn") || n.ends_with("data.rs")),
            "{names:?}"
        );
        assert!(!lib.contains("pub mod"));
        assert_eq!(
            named_modules(
                "use kernels::{rng, spd::gram};\nkernels::optim::Adam",
                "kernels::"
            ),
            ["rng", "spd", "optim"]
        );
        assert_eq!(
            included_files("include_str!(\"../data/x.txt\")"),
            ["../data/x.txt"]
        );
    }

    #[test]
    fn remedies_fit_the_slot() {
        assert!(Slot::Ci.remedy("x").contains("run x --force`"));
        assert!(Slot::Full.remedy("x").contains("--scale full --force`"));
        assert!(
            Slot::Record
                .remedy("x")
                .contains("--scale full --force --record")
        );
        assert!(
            Slot::Record
                .remedy("x")
                .contains("git checkout -- book/data/full/x.json")
        );
    }

    #[test]
    fn a_missing_git_is_a_warning_and_an_unknown_commit() {
        let g = git_state_with("repro-no-such-git", &workspace_root());
        assert_eq!(g.commit, "unknown");
        assert!(g.warning.unwrap().contains("repro-no-such-git"));
        let outside = std::env::temp_dir();
        if std::process::Command::new("git")
            .arg("--version")
            .output()
            .is_ok()
        {
            let g = git_state_with("git", &outside);
            assert_eq!(g.commit, "unknown");
            assert!(g.warning.unwrap().contains("not a git checkout"));
        }
    }

    #[test]
    fn the_crate_is_hashed_under_the_root_in_use() {
        let build_root = workspace_root();
        let crate_dir = build_root.join("reproductions/some-paper");
        let meta = Meta {
            id: "some-paper",
            short_name: "",
            title: "",
            authors: "",
            venue: "",
            year: 2026,
            arxiv: "",
            official_code: "",
            bottom_line: "",
            crate_dir: Box::leak(crate_dir.to_string_lossy().into_owned().into_boxed_str()),
        };
        let other = Path::new("/elsewhere/tree");
        assert_eq!(
            crate_dir_under(other, &meta),
            other.join("reproductions/some-paper")
        );
    }
}
