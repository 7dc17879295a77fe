//! The command line as a user meets it: bad ids, corrupt files, and the book carrying the
//! numbers of the results file.

mod common;
use common::copy_dir;
use harness::Reproduction;
use harness::book::{BookData, build, stat_text};
use harness::report::Stat;
use std::path::PathBuf;
use std::process::Command;

fn repro() -> Command {
    Command::new(env!("CARGO_BIN_EXE_repro"))
}

fn temp_root(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("repro-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // `repro` refuses a REPRO_ROOT that holds no workspace.
    std::fs::write(dir.join("Cargo.toml"), "[workspace]\n").unwrap();
    dir
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
    // SNS's ci result through the runner in the workspace: shared with SNS's snapshot test (and
    // `cargo run`), so the suite runs it once.
    let sns = &sinkhorn_newton::REPRODUCTION;
    let file = Box::new(harness::runner::ci_result_for_tests(
        &harness::store::workspace_root(),
        sns,
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
        full_stale: Default::default(),
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

/// A reproduction that panics or diverges: the panic is reported without touching the previous
/// results file, and a NaN measurement becomes that claim's "run failed" verdict while the other
/// claims keep theirs.
mod failures {
    use harness::report::{Check, Claim, PaperValue, Provenance, Report, Rule, Tol, Verdict};
    use harness::runner::{Outcome, RunOptions, run};
    use harness::{Ctx, Meta, Reproduction, RunError};

    struct Fake {
        meta: Meta,
        panic: bool,
    }

    impl Reproduction for Fake {
        fn meta(&self) -> &Meta {
            &self.meta
        }
        fn run(&self, _ctx: &Ctx) -> Result<Report, RunError> {
            if self.panic {
                panic!("the miniature exploded");
            }
            let mut r = Report::default();
            r.metric("good", "a finite value", "", vec![1.0], Tol::Exact);
            r.metric("bad", "a diverged value", "", vec![f64::NAN], Tol::Exact);
            let paper = PaperValue::new("x", "Table 1", Provenance::Paper);
            r.claim(
                Claim::new("A", "fine", paper.clone())
                    .check(Check::each("good", Rule::AtMost(2.0))),
            );
            r.claim(
                Claim::new("B", "diverges", paper).check(Check::each("bad", Rule::AtMost(2.0))),
            );
            Ok(r.finalize())
        }
    }

    fn fake(panic: bool, dir: &std::path::Path) -> Fake {
        Fake {
            meta: Meta {
                id: "fake",
                short_name: "Fake",
                title: "A fake paper",
                authors: "",
                venue: "",
                year: 2026,
                arxiv: "0000.00000",
                official_code: "none",
                bottom_line: "",
                // The fake crate's own folder (its files are part of the input hash).
                crate_dir: Box::leak(
                    dir.join("crate")
                        .to_string_lossy()
                        .into_owned()
                        .into_boxed_str(),
                ),
            },
            panic,
        }
    }

    #[test]
    fn divergence_is_recorded_and_a_panic_keeps_the_previous_result() {
        let root = super::temp_root("failures");
        std::fs::create_dir_all(root.join("crate")).unwrap();
        std::fs::write(root.join("crate/lib.rs"), "// the fake crate").unwrap();
        let device = kernels::device::Device::cpu();
        let opts = RunOptions::default();
        let file = match run(&root, &fake(false, &root), &opts, &device) {
            Outcome::Ran(f, _) => f,
            other => panic!("expected a run, got {other:?}"),
        };
        assert_eq!(file.report.claims[0].verdict, Verdict::Reproduced);
        assert!(
            matches!(&file.report.claims[1].verdict, Verdict::Failed(r) if r.contains("diverged"))
        );
        // Nothing changed: the stored result is reused, and it is current.
        assert!(matches!(
            run(&root, &fake(false, &root), &opts, &device),
            Outcome::Reused(_)
        ));
        assert_eq!(
            harness::runner::freshness(&root, &fake(false, &root).meta, &file),
            harness::runner::Freshness::Current
        );
        // A changed input (a file of the crate) makes it stale and re-runs it.
        std::fs::write(root.join("crate/extra.rs"), "// a new input").unwrap();
        assert!(matches!(
            harness::runner::freshness(&root, &fake(false, &root).meta, &file),
            harness::runner::Freshness::Stale { .. }
        ));
        assert!(matches!(
            run(&root, &fake(false, &root), &opts, &device),
            Outcome::Ran(..)
        ));
        let before = std::fs::read_to_string(root.join("results/fake.json")).unwrap();
        let forced = RunOptions {
            force: true,
            ..RunOptions::default()
        };
        match run(&root, &fake(true, &root), &forced, &device) {
            Outcome::Failed(msg) => assert!(msg.contains("the miniature exploded"), "{msg}"),
            other => panic!("expected a failure, got {other:?}"),
        }
        assert_eq!(
            std::fs::read_to_string(root.join("results/fake.json")).unwrap(),
            before
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}

/// `repro new` copies the mould with the names changed, writes the chapter skeleton, and refuses
/// bad or taken ids without writing anything.
#[test]
fn new_paper_copies_the_template() {
    let root = temp_root("new");
    copy_dir(
        &harness::store::workspace_root().join("harness/template"),
        &root.join("harness/template"),
    );
    let new = |id: &str| {
        repro()
            .args(["new", id])
            .env("REPRO_ROOT", &root)
            .output()
            .unwrap()
    };
    let out = new("toy-paper");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("&toy_paper::REPRODUCTION"));
    let manifest =
        std::fs::read_to_string(root.join("reproductions/toy-paper/Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"toy-paper\""), "{manifest}");
    for room in [
        "lib",
        "method",
        "experiment",
        "claims",
        "presentation",
        "notes",
    ] {
        let text =
            std::fs::read_to_string(root.join(format!("reproductions/toy-paper/src/{room}.rs")))
                .unwrap();
        assert!(
            !text.contains("paper-template") && !text.contains("paper_template"),
            "{room}"
        );
    }
    let snapshot =
        std::fs::read_to_string(root.join("reproductions/toy-paper/tests/snapshot.rs")).unwrap();
    assert!(snapshot.contains("toy_paper::REPRODUCTION"));
    assert!(root.join("book/src/papers/toy-paper.md").exists());
    // Taken, registered and malformed ids are refused.
    let again = new("toy-paper");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    assert!(String::from_utf8_lossy(&new("gcr").stderr).contains("already a registered"));
    assert!(String::from_utf8_lossy(&new("Bad_Id").stderr).contains("invalid paper id"));
    std::fs::remove_dir_all(&root).unwrap();
}
