//! Running reproductions: device choice, result reuse, provenance, and failure isolation (a
//! reproduction that panics or errors is reported, and its previous result file is kept).

use crate::contract::{Ctx, Reproduction, Scale};
use crate::progress::Progress;
use crate::store::{self, ResultFile, RunProvenance, SCHEMA_VERSION};
use kernels::device::{Device, cpu_model, detect_cuda};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Which device the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceChoice {
    /// CUDA when a device is found, else the CPU with a notice.
    Auto,
    Cpu,
    /// CUDA or an error.
    Cuda,
}

impl std::str::FromStr for DeviceChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(DeviceChoice::Auto),
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" => Ok(DeviceChoice::Cuda),
            other => Err(format!("unknown device {other:?}: use auto, cpu or cuda")),
        }
    }
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub scale: Scale,
    pub seed: u64,
    pub device: DeviceChoice,
    pub force: bool,
    /// No progress output (tests).
    pub quiet: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            scale: Scale::Ci,
            seed: 0,
            device: DeviceChoice::Auto,
            force: false,
            quiet: false,
        }
    }
}

/// What happened to one reproduction.
#[derive(Debug)]
pub enum Outcome {
    /// The stored result was current and reused.
    Reused(Box<ResultFile>),
    /// Ran and wrote the file at the path.
    Ran(Box<ResultFile>, PathBuf),
    /// No report: the message says why. Any earlier result file is untouched.
    Failed(String),
}

/// Resolves the device; `Err` only when CUDA was demanded and is absent. The notice (if any)
/// says why a GPU is not used.
pub fn resolve_device(choice: DeviceChoice) -> Result<(Device, Option<String>), String> {
    match choice {
        DeviceChoice::Cpu => Ok((Device::cpu(), None)),
        DeviceChoice::Auto => match detect_cuda() {
            Ok(d) => Ok((d, None)),
            Err(why) => Ok((
                Device::cpu(),
                Some(format!("no GPU ({why}); running on the CPU")),
            )),
        },
        DeviceChoice::Cuda => detect_cuda()
            .map(|d| (d, None))
            .map_err(|why| format!("--device cuda: {why}")),
    }
}

/// The `ci` result of `repro` at seed 0 on the CPU, through [`run`]: reused from
/// `results/<id>.json` when current, else run and written there, so that the snapshot test and a
/// later `cargo run` (on a machine without a GPU) share one run.
///
/// # Panics
/// When the run fails: the test that calls this reports why.
pub fn ci_result_for_tests(root: &Path, repro: &dyn Reproduction) -> ResultFile {
    let opts = RunOptions {
        device: DeviceChoice::Cpu,
        quiet: true,
        ..RunOptions::default()
    };
    match run(root, repro, &opts, &Device::cpu()) {
        Outcome::Reused(f) | Outcome::Ran(f, _) => *f,
        Outcome::Failed(why) => panic!("{why}"),
    }
}

/// Whether a stored result still matches the inputs that would produce it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// Its input hash equals a recomputation from the current files.
    Current,
    /// Its inputs changed since it was recorded at `commit`.
    Stale { commit: String },
}

/// Recomputes the input hash of a stored result from the current files and compares. The device
/// key is read back from the record's provenance (the CPU, or the GPU's name).
pub fn freshness(root: &Path, meta: &crate::contract::Meta, file: &ResultFile) -> Freshness {
    let p = &file.provenance;
    let key = if p.device.starts_with("CPU") {
        "cpu".to_string()
    } else {
        p.device_key.clone()
    };
    if store::input_hash(root, meta, p.scale, p.seed, &key) == file.input_hash {
        Freshness::Current
    } else {
        Freshness::Stale {
            commit: store::short_commit(&p.git_commit),
        }
    }
}

fn device_key(d: &Device) -> String {
    match d {
        Device::Cpu { .. } => "cpu".into(),
        Device::Cuda { name, .. } => format!("cuda:{name}"),
    }
}

/// Runs (or reuses) one reproduction.
pub fn run(root: &Path, repro: &dyn Reproduction, opts: &RunOptions, device: &Device) -> Outcome {
    let meta = repro.meta();
    let dest = store::result_path(root, meta.id, opts.scale);
    if dest.is_dir() {
        return Outcome::Failed(format!(
            "{}: {} is a folder where its results file belongs; nothing was run (remove it)",
            meta.id,
            dest.display()
        ));
    }
    // Held until the result is written: a second command on the same id waits, then reuses.
    let _lock = match store::lock_result(root, meta.id, opts.scale, |path| {
        eprintln!(
            "{}: another repro command is running it (lock {}); waiting for it to finish",
            meta.id,
            path.display()
        )
    }) {
        Ok(lock) => lock,
        Err(e) => return Outcome::Failed(format!("{}: nothing was run: {e}", meta.id)),
    };
    let hash = store::input_hash(root, meta, opts.scale, opts.seed, &device_key(device));
    if !opts.force {
        match store::load(root, meta.id, opts.scale) {
            Ok(Some(prev)) if prev.input_hash == hash => return Outcome::Reused(Box::new(prev)),
            Ok(_) => {}
            Err(e) => eprintln!("warning: {e}; it will be replaced by a new run"),
        }
    }
    let ctx = Ctx {
        paper: meta.id,
        scale: opts.scale,
        seed: opts.seed,
        device: device.clone(),
        progress: if opts.quiet {
            Progress::quiet()
        } else {
            Progress::auto(meta.id)
        },
    };
    let start = Instant::now();
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| repro.run(&ctx)));
    let wall = start.elapsed().as_secs_f64();
    let report = match result {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return Outcome::Failed(format!("{}: {e}", meta.id)),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            return Outcome::Failed(format!("{} panicked: {msg}", meta.id));
        }
    };
    let dangling = report.dangling_keys();
    if !dangling.is_empty() {
        return Outcome::Failed(format!(
            "{}: the report cites metrics it never recorded: {}",
            meta.id,
            dangling.join(", ")
        ));
    }
    let git = store::git_state(root);
    if let Some(w) = &git.warning {
        eprintln!("warning: {}: {w}", meta.id);
    }
    let gpu = match device {
        Device::Cuda { .. } => Some(device.to_string()),
        Device::Cpu { .. } => detect_cuda().ok().map(|d| d.to_string()),
    };
    let file = ResultFile {
        schema_version: SCHEMA_VERSION,
        id: meta.id.to_string(),
        title: meta.title.to_string(),
        input_hash: hash,
        verdict_rules: store::verdict_rules(),
        provenance: RunProvenance {
            git_commit: git.commit,
            git_dirty: git.dirty,
            cargo_lock_sha256: store::file_sha256(&root.join("Cargo.lock")),
            rustc: env!("REPRO_RUSTC_VERSION").to_string(),
            cpu: cpu_model(),
            threads: kernels::device::cpu_threads(),
            device: device.to_string(),
            device_key: device_key(device),
            gpu,
            scale: opts.scale,
            seed: opts.seed,
            wall_time_s: wall,
            finished_at: store::now_iso8601(),
        },
        report,
    };
    match store::save(root, &file) {
        Ok(path) => Outcome::Ran(Box::new(file), path),
        Err(e) => Outcome::Failed(match store::save_fallback(&file) {
            Ok(saved) => format!(
                "{}: {e}; the computed result is kept in {} (copy it to {} once that is fixed)",
                meta.id,
                saved.display(),
                dest.display()
            ),
            Err(e2) => format!("{}: {e}; keeping it elsewhere failed too: {e2}", meta.id),
        }),
    }
}
