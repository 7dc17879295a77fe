//! The command line as a user meets it: bad ids, corrupt files, and the book carrying the
//! numbers of the results file.

use harness::Reproduction;
use harness::book::{BookData, build, stat_text};
use harness::report::Stat;
use harness::runner::{Outcome, RunOptions, run};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repro() -> Command {
    Command::new(env!("CARGO_BIN_EXE_repro"))
}

fn temp_root(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("repro-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let name = e.file_name();
        if name == "build" || name == "generated" {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(&name));
        } else {
            std::fs::copy(&p, to.join(&name)).unwrap();
        }
    }
}

#[test]
fn unknown_id_fails_and_lists_valid_ids() {
    let out = repro().args(["run", "no-such-paper"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown paper id \"no-such-paper\""), "{err}");
    assert!(err.contains("sinkhorn-newton"), "{err}");
}

#[test]
fn corrupt_results_file_is_named() {
    let root = temp_root("corrupt");
    copy_dir(
        &harness::store::workspace_root().join("book"),
        &root.join("book"),
    );
    std::fs::create_dir_all(root.join("results")).unwrap();
    std::fs::write(
        root.join("results/sinkhorn-newton.json"),
        "{\"schema_version\": 1, \"id\": ",
    )
    .unwrap();
    let out = repro()
        .arg("book")
        .env("REPRO_ROOT", &root)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("corrupt results file") && err.contains("sinkhorn-newton.json"),
        "{err}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn bad_flags_are_rejected() {
    let out = repro()
        .args(["run", "all", "--scale", "huge"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scale"));
}

/// Runs SNS at `ci` scale into a scratch root, builds the book there, and checks that the SNS
/// page shows every metric the chapter cites with the value of the results file.
#[test]
fn the_book_carries_the_numbers_of_the_results_file() {
    let root = temp_root("book");
    copy_dir(
        &harness::store::workspace_root().join("book"),
        &root.join("book"),
    );
    let sns = &sinkhorn_newton::REPRODUCTION;
    let opts = RunOptions::default();
    let device = kernels::device::Device::cpu();
    let file = match run(&root, sns, &opts, &device) {
        Outcome::Ran(f, path) => {
            assert!(path.starts_with(&root));
            f
        }
        other => panic!("expected a run, got {other:?}"),
    };
    // A second run with nothing changed reuses the result.
    assert!(matches!(
        run(&root, sns, &opts, &device),
        Outcome::Reused(_)
    ));
    let data = BookData {
        // Every chapter must build; only SNS has a result here, the others show "not yet run".
        papers: repro::registry()
            .into_iter()
            .map(|r| {
                let result = (r.meta().id == sns.meta().id).then(|| (*file).clone());
                (r.meta().clone(), result)
            })
            .collect(),
        full: Default::default(),
        perf: Default::default(),
    };
    let index = build(&root, data).expect("the book builds");
    assert!(index.exists());
    let html =
        std::fs::read_to_string(root.join("book/build/papers/sinkhorn-newton.html")).unwrap();
    let chapter = std::fs::read_to_string(root.join("book/src/papers/sinkhorn-newton.md")).unwrap();
    let mut cited = 0;
    for m in &file.report.metrics {
        if chapter.contains(&format!("{{{{metric {}}}}}", m.key)) {
            let text = stat_text(m, Stat::MeanSd);
            assert!(
                html.contains(&text),
                "metric {} shown as {text:?} is not on the page",
                m.key
            );
            cited += 1;
        }
    }
    assert!(cited >= 10, "the chapter cites {cited} metrics");
    for c in &file.report.claims {
        assert!(
            html.contains(c.verdict.label()),
            "verdict of {} missing",
            c.id
        );
    }
    assert!(html.contains("<math"), "equations are rendered to MathML");
    for fig in &file.report.figures {
        let svg = root.join(format!(
            "book/build/generated/sinkhorn-newton/{}.svg",
            fig.key
        ));
        assert!(svg.exists(), "figure {} was not rendered", fig.key);
        assert!(html.contains(&format!("generated/sinkhorn-newton/{}.svg", fig.key)));
    }
    std::fs::remove_dir_all(&root).unwrap();
}

/// The README's claims table must equal the verdicts recorded in the snapshots.
#[test]
fn readme_claims_table_matches_the_snapshots() {
    let root = harness::store::workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for r in repro::registry() {
        let meta = r.meta();
        let snap =
            harness::snapshot::read_snap(&root.join(format!("snapshots/{0}/{0}.snap", meta.id)))
                .expect("a snapshot exists");
        for claim in snap["claims"].as_array().unwrap() {
            let id = claim["id"].as_str().unwrap();
            let verdict = claim["verdict"].as_str().unwrap();
            let row = readme
                .lines()
                .find(|l| l.starts_with(&format!("| {} | {id} |", meta.short_name)))
                .unwrap_or_else(|| panic!("README has no row for {} {id}", meta.short_name));
            assert!(
                row.trim_end().ends_with(&format!("| {verdict} |")),
                "README says {row:?}, snapshot says {verdict}"
            );
        }
    }
}
