//! Crash and concurrency safety, tried as a careless or hostile user would: commands killed at
//! random moments, the same command twice at once, planted links, damaged or tampered results
//! files, unwritable results folders, odd roots and closed output. Each test works in its own
//! scratch root (`REPRO_ROOT`), never in the workspace's `results/` or `book/build`.

mod common;
use common::copy_dir;
use harness::store::ResultFile;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The cheapest paper at `ci` scale (about a second on two cores): the one the concurrent and
/// damaged-file tests run.
const CHEAP: &str = "sgd-stability";

fn repro(root: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_repro"));
    c.env("REPRO_ROOT", root);
    c
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A scratch root holding a workspace marker and a copy of the book's sources.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("repro-safety-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("results")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), "[workspace]\n").unwrap();
    copy_dir(
        &harness::store::workspace_root().join("book"),
        &dir.join("book"),
    );
    dir
}

/// Every file under `dir` with its size, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, u64> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, u64>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(rel, e.metadata().unwrap().len());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The `ci` result of the cheap paper, from the workspace (shared with its snapshot test).
fn cheap_result() -> ResultFile {
    let r = repro::registry()
        .into_iter()
        .find(|r| r.meta().id == CHEAP)
        .unwrap();
    harness::runner::ci_result_for_tests(&harness::store::workspace_root(), r)
}

fn write_json(path: &Path, file: &ResultFile) {
    std::fs::write(path, serde_json::to_string_pretty(file).unwrap()).unwrap();
}

/// Finding 1: a `repro book` killed at any moment leaves the previous book whole (and its
/// figures); the next build completes and removes what the killed one left.
#[test]
fn a_killed_book_build_leaves_the_previous_book_whole() {
    let root = scratch("kill-book");
    write_json(&root.join(format!("results/{CHEAP}.json")), &cheap_result());
    let build = |root: &Path| {
        let out = repro(root).arg("book").output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    };
    let t0 = Instant::now();
    build(&root);
    let took = t0.elapsed();
    let book = tree(&root.join("book/build"));
    let figures = tree(&root.join("book/src/generated"));
    assert!(book.contains_key("index.html") && !figures.is_empty());
    // Kill moments spread over twice the build's length, from the very start.
    for k in 0..12u32 {
        let mut child = repro(&root)
            .arg("book")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(took * k / 6);
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(
            tree(&root.join("book/build")),
            book,
            "kill {k}: book/build is not the whole book"
        );
        assert_eq!(
            tree(&root.join("book/src/generated")),
            figures,
            "kill {k}: the figures are not whole"
        );
    }
    build(&root);
    let leftovers: Vec<String> = std::fs::read_dir(root.join("book"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    std::fs::remove_dir_all(&root).unwrap();
}

/// Finding 3: several `repro book` at once all succeed, one after another.
#[test]
fn concurrent_book_builds_all_succeed() {
    let root = scratch("two-books");
    let children: Vec<_> = (0..4)
        .map(|_| {
            repro(&root)
                .arg("book")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
    assert!(root.join("book/build/index.html").exists());
    std::fs::remove_dir_all(&root).unwrap();
}

/// Findings 2 and 4: twenty runs of one id at once, with links planted at the old fixed temporary
/// name and at the results file itself. Every command exits 0 with a clear line; exactly one
/// computes and the others reuse its result; one valid regular file remains; no link is followed.
#[test]
fn twenty_concurrent_runs_of_one_id_leave_one_valid_file() {
    let root = scratch("twenty");
    let outside = root.join("outside.txt");
    std::fs::write(&outside, "precious").unwrap();
    let results = root.join("results");
    #[cfg(unix)]
    for name in [
        format!(".{CHEAP}.ci.json.tmp"),
        format!("{CHEAP}.json.tmp"),
        format!("{CHEAP}.json"),
    ] {
        std::os::unix::fs::symlink(&outside, results.join(name)).unwrap();
    }
    let children: Vec<_> = (0..20)
        .map(|_| {
            repro(&root)
                .args(["run", CHEAP, "--device", "cpu"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let (mut wrote, mut reused) = (0, 0);
    for child in children {
        let out = child.wait_with_output().unwrap();
        let said = text(&out);
        assert!(out.status.success(), "{said}");
        wrote += usize::from(said.contains(", wrote "));
        reused += usize::from(said.contains("current result reused"));
    }
    assert_eq!((wrote, reused), (1, 19));
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
    let dest = results.join(format!("{CHEAP}.json"));
    assert!(
        std::fs::symlink_metadata(&dest)
            .unwrap()
            .file_type()
            .is_file()
    );
    let file = harness::store::load(&root, CHEAP, harness::Scale::Ci)
        .unwrap()
        .unwrap();
    assert_eq!(file.report.claims.len(), cheap_result().report.claims.len());
    let temps: Vec<String> = std::fs::read_dir(&results)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{CHEAP}.json.")) && n.ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "temporary files left: {temps:?}");
    std::fs::remove_dir_all(&root).unwrap();
}

/// Findings 5, 7, 10 and 12: files that are too large, not JSON, of a schema given as a number
/// out of range or negative, with metrics changed after the run, of the wrong scale for their
/// slot, or a damaged committed record: each refused with its path and a remedy that fits.
#[test]
fn damaged_and_tampered_files_are_refused_with_their_names() {
    let root = scratch("tampered");
    let path = root.join(format!("results/{CHEAP}.json"));
    let list = |root: &Path| text(&repro(root).arg("list").output().unwrap());
    let expect = |said: &str, what: &[&str]| {
        for w in what {
            assert!(said.contains(w), "expected {w:?} in {said}");
        }
    };
    let name = format!("{CHEAP}.json");
    // Too large: refused before it is read.
    let big = std::fs::File::create(&path).unwrap();
    big.set_len(harness::store::MAX_RESULT_BYTES + 1).unwrap();
    drop(big);
    expect(&list(&root), &[&name, "bytes, more than", "--force"]);
    // Random bytes.
    std::fs::write(&path, [0xff, 0xfe, 0x00, 0x81, 0x7b]).unwrap();
    expect(&list(&root), &["corrupt results file", &name, "--force"]);
    // Schema versions out of range and negative are shown as written.
    for v in ["4294967297", "-1", "\"one\""] {
        std::fs::write(&path, format!("{{\"schema_version\": {v}}}")).unwrap();
        expect(
            &list(&root),
            &[&format!("schema version {v}, this build reads")],
        );
    }
    // Metrics replaced by NaN: the stored verdicts no longer follow from them.
    let mut tampered = cheap_result();
    for m in &mut tampered.report.metrics {
        m.values.iter_mut().for_each(|v| *v = f64::NAN);
    }
    write_json(&path, &tampered);
    expect(
        &list(&root),
        &["corrupt results file", &name, "is stored as"],
    );
    // A full-scale record copied into the ci slot.
    let record = harness::store::workspace_root().join(format!("book/data/full/{CHEAP}.json"));
    std::fs::copy(&record, &path).unwrap();
    expect(
        &list(&root),
        &["full-scale result where a ci-scale one belongs"],
    );
    // A damaged committed record: the remedy is a full-scale one.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(root.join(format!("book/data/full/{CHEAP}.json")), "{").unwrap();
    let status = text(&repro(&root).arg("status").output().unwrap());
    expect(
        &status,
        &["book/data/full", "--scale full --force --record"],
    );
    std::fs::remove_dir_all(&root).unwrap();
}

/// Finding 6: unwritable results paths are reported before any computation, with the path and
/// the operation; nothing is left behind.
#[test]
fn unwritable_results_fail_before_computing_and_name_the_path() {
    let root = scratch("unwritable");
    std::fs::create_dir_all(root.join(format!("results/{CHEAP}.json/inside"))).unwrap();
    let out = repro(&root).args(["run", CHEAP]).output().unwrap();
    assert!(!out.status.success());
    let said = text(&out);
    assert!(
        said.contains(&format!("{CHEAP}.json is a folder")) && said.contains("nothing was run"),
        "{said}"
    );
    std::fs::remove_dir_all(root.join("results")).unwrap();
    std::fs::write(root.join("results"), "a file where a folder belongs").unwrap();
    let out = repro(&root).args(["run", CHEAP]).output().unwrap();
    assert!(!out.status.success());
    let said = text(&out);
    assert!(
        said.contains("cannot create the results folder") && said.contains("results"),
        "{said}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

/// Finding 6, the late case: the results path becomes unwritable while the paper runs. The
/// computed report is kept in a fallback file whose path the message gives.
mod late_write_failure {
    use harness::report::Report;
    use harness::runner::{Outcome, RunOptions, run};
    use harness::{Ctx, Meta, Reproduction, RunError};
    use std::path::PathBuf;

    struct Saboteur {
        meta: Meta,
        root: PathBuf,
    }

    impl Reproduction for Saboteur {
        fn meta(&self) -> &Meta {
            &self.meta
        }
        fn run(&self, _ctx: &Ctx) -> Result<Report, RunError> {
            // What a user does in another terminal: a folder where the result will go.
            std::fs::create_dir_all(self.root.join("results/saboteur.json/x")).unwrap();
            let mut r = Report::default();
            r.metric(
                "answer",
                "a computed value",
                "",
                vec![42.0],
                harness::report::Tol::Exact,
            );
            Ok(r.finalize())
        }
    }

    #[test]
    fn the_computed_result_is_kept_in_a_fallback_file() {
        let root = super::scratch("late");
        let sab = Saboteur {
            meta: Meta {
                id: "saboteur",
                short_name: "Sab",
                title: "A saboteur",
                authors: "",
                venue: "",
                year: 2026,
                arxiv: "",
                official_code: "none",
                bottom_line: "",
                crate_dir: "/nonexistent",
            },
            root: root.clone(),
        };
        let opts = RunOptions {
            quiet: true,
            ..RunOptions::default()
        };
        let msg = match run(&root, &sab, &opts, &kernels::device::Device::cpu()) {
            Outcome::Failed(msg) => msg,
            other => panic!("expected a failure, got {other:?}"),
        };
        assert!(msg.contains("saboteur.json"), "{msg}");
        let kept = msg
            .split("kept in ")
            .nth(1)
            .and_then(|s| s.split(" (copy it").next())
            .unwrap_or_else(|| panic!("no fallback path in {msg}"));
        let saved: harness::store::ResultFile =
            serde_json::from_str(&std::fs::read_to_string(kept).unwrap()).unwrap();
        assert_eq!(saved.report.get("answer").unwrap().values, vec![42.0]);
        std::fs::remove_file(kept).unwrap();
        std::fs::remove_dir_all(&root).unwrap();
    }
}

/// Finding 8: a REPRO_ROOT that does not exist, or holds no workspace, is refused (and not
/// created).
#[test]
fn a_bad_repro_root_is_refused() {
    let missing = std::env::temp_dir().join(format!("repro-nonexistent-{}", std::process::id()));
    let out = repro(&missing).arg("list").output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("no such folder"), "{}", text(&out));
    let out = repro(&missing).args(["run", CHEAP]).output().unwrap();
    assert!(!out.status.success() && !missing.exists());
    let empty = scratch("no-workspace");
    std::fs::remove_file(empty.join("Cargo.toml")).unwrap();
    let out = repro(&empty).arg("status").output().unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("does not hold the workspace"),
        "{}",
        text(&out)
    );
    std::fs::remove_dir_all(&empty).unwrap();
}

/// Finding 13: a full stdout is an error with a message, a closed one a quiet stop; never a
/// panic.
#[test]
fn closed_or_full_stdout_never_panics() {
    let root = scratch("stdout");
    if Path::new("/dev/full").exists() {
        for cmd in [&["list"][..], &["book"], &["status"]] {
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap();
            let out = repro(&root).args(cmd).stdout(full).output().unwrap();
            assert_ne!(out.status.code(), Some(101), "{cmd:?}: {}", text(&out));
            assert!(!text(&out).contains("panicked"), "{cmd:?}: {}", text(&out));
        }
    }
    for cmd in [&["list"][..], &["book"]] {
        let mut child = repro(&root)
            .args(cmd)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_ne!(out.status.code(), Some(101), "{cmd:?}: {}", text(&out));
        assert!(!text(&out).contains("panicked"), "{cmd:?}: {}", text(&out));
    }
    std::fs::remove_dir_all(&root).unwrap();
}

/// The waiting command says so: a held lock on the result makes `repro run` print that another
/// command is running it, then finish once the lock is released.
#[test]
fn a_run_waits_for_a_held_lock_and_says_so() {
    let root = scratch("held");
    let lock = harness::store::lock_result(&root, CHEAP, harness::Scale::Ci, |_| {
        panic!("nobody holds it yet")
    })
    .unwrap();
    let child = repro(&root)
        .args(["run", CHEAP, "--device", "cpu"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(!root.join(format!("results/{CHEAP}.json")).exists());
    drop(lock);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("another repro command is running it"),
        "{}",
        text(&out)
    );
    std::fs::remove_dir_all(&root).unwrap();
}
