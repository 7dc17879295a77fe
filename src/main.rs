//! `repro`: run the reproductions, list their claims, build the book.
//!
//! With no arguments it runs every reproduction at `ci` scale (reusing current results) and
//! builds the book, printing where it is.

use clap::{Parser, Subcommand};
use harness::book::{BookData, build, load_perf};
use harness::runner::{
    DeviceChoice, Freshness, Outcome, RunOptions, freshness, resolve_device, run,
};
use harness::store::ResultFile;
use harness::store::{checked_root, load, load_record, recorded_full_path};
use harness::{Reproduction, Scale};
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use repro::registry;

#[derive(Parser)]
#[command(
    name = "repro",
    version,
    about = "Re-run recent ML papers' claims and publish them as a book"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Papers, claims and their last verdicts.
    List,
    /// Run reproductions (`all` or ids) and write results/<id>.json.
    Run {
        /// Paper ids, or `all`.
        #[arg(required = true)]
        ids: Vec<String>,
        /// `ci` (about a minute each on 2 cores) or `full` (paper-like sizes).
        #[arg(long, default_value = "ci")]
        scale: Scale,
        /// `auto` (CUDA when found, else CPU), `cpu` or `cuda`.
        #[arg(long, default_value = "auto")]
        device: DeviceChoice,
        /// Base seed; per-claim seeds are derived from it.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Re-run even when the stored result is current.
        #[arg(long)]
        force: bool,
        /// Only papers whose full-scale record (`book/data/full/<id>.json`) is stale or missing.
        #[arg(long)]
        stale: bool,
        /// Also write each full-scale result as the committed record `book/data/full/<id>.json`.
        #[arg(long)]
        record: bool,
    },
    /// Which results and full-scale records are current, stale or missing.
    Status,
    /// Start a new reproduction: copy the mould `harness/template` to `reproductions/<id>/` and
    /// write a chapter skeleton; prints the remaining lines to add.
    New {
        /// The paper's id: lowercase letters, digits and dashes (e.g. `m-fac`).
        id: String,
    },
    /// Render figures and build the book from the stored results.
    Book,
}

fn select(ids: &[String]) -> Result<Vec<&'static dyn Reproduction>, String> {
    let all = registry();
    if ids.iter().any(|i| i == "all") {
        return Ok(all);
    }
    let mut chosen = Vec::new();
    for id in ids {
        match all.iter().find(|r| r.meta().id == id) {
            Some(r) => chosen.push(*r),
            None => {
                let valid: Vec<&str> = all.iter().map(|r| r.meta().id).collect();
                return Err(format!(
                    "unknown paper id {id:?}; valid ids: {} (or `all`)",
                    valid.join(", ")
                ));
            }
        }
    }
    Ok(chosen)
}

/// What to do besides running: narrow to stale records, write records.
#[derive(Clone, Copy, Default)]
struct Selection {
    stale: bool,
    record: bool,
}

fn run_many(
    root: &Path,
    ids: &[String],
    opts: &RunOptions,
    sel: Selection,
) -> Result<bool, String> {
    if (sel.stale || sel.record) && opts.scale != Scale::Full {
        return Err("--stale and --record are about full-scale records: add --scale full".into());
    }
    let mut chosen = select(ids)?;
    if sel.stale {
        chosen.retain(|r| !matches!(record_state(root, r.meta()), RecordState::Current(_)));
        if chosen.is_empty() {
            eprintln!("every selected full-scale record is current");
            return Ok(true);
        }
        let names: Vec<&str> = chosen.iter().map(|r| r.meta().id).collect();
        eprintln!("stale or missing full-scale records: {}", names.join(", "));
    }
    let (device, notice) = resolve_device(opts.device)?;
    if let Some(n) = notice {
        eprintln!("notice: {n}");
    }
    let mut all_ok = true;
    for repro in chosen {
        let id = repro.meta().id;
        match run(root, repro, opts, &device) {
            Outcome::Reused(f) => {
                eprintln!(
                    "{id}: current result reused ({} claims; --force re-runs)",
                    f.report.claims.len()
                );
                if sel.record {
                    write_record(root, &f)?;
                }
            }
            Outcome::Ran(f, path) => {
                if sel.record {
                    write_record(root, &f)?;
                }
                eprintln!(
                    "{id}: {:.1} s, wrote {}",
                    f.provenance.wall_time_s,
                    path.display()
                );
                for c in &f.report.claims {
                    eprintln!("  {:<12} {}", c.id, c.verdict.label());
                }
            }
            Outcome::Failed(msg) => {
                eprintln!("error: {msg}");
                all_ok = false;
            }
        }
    }
    Ok(all_ok)
}

/// Copies a full-scale result to its committed record, atomically.
fn write_record(root: &Path, file: &ResultFile) -> Result<(), String> {
    let path = recorded_full_path(root, &file.id);
    let dir = path.parent().expect("a folder");
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the folder {}: {e}", dir.display()))?;
    let text = serde_json::to_string_pretty(file).expect("results serialise") + "\n";
    kernels::files::write_atomic(&path, text.as_bytes())
        .map_err(|e| format!("{}: the record: {e}", file.id))?;
    eprintln!("{}: recorded {}", file.id, path.display());
    Ok(())
}

/// The full-scale result the book shows for a paper: a local run, else the committed record.
fn shown_full(root: &Path, id: &str) -> Result<Option<ResultFile>, String> {
    match load(root, id, Scale::Full).map_err(|e| e.to_string())? {
        Some(f) => Ok(Some(f)),
        None => load_record(root, id).map_err(|e| e.to_string()),
    }
}

/// State of the committed full-scale record of a paper.
enum RecordState {
    Current(Box<ResultFile>),
    Stale(String),
    Missing,
    Unreadable(String),
}

fn record_state(root: &Path, meta: &harness::Meta) -> RecordState {
    match load_record(root, meta.id) {
        Ok(None) => RecordState::Missing,
        Err(e) => RecordState::Unreadable(e.to_string()),
        Ok(Some(f)) => match freshness(root, meta, &f) {
            Freshness::Current => RecordState::Current(Box::new(f)),
            Freshness::Stale { commit } => RecordState::Stale(commit),
        },
    }
}

fn status(root: &Path) -> Result<bool, String> {
    let mut out = std::io::stdout().lock();
    let (mut stale, mut missing) = (0, 0);
    for r in registry() {
        let m = r.meta();
        let ci = match load(root, m.id, Scale::Ci) {
            Ok(None) => "not run".to_string(),
            Ok(Some(f)) => match freshness(root, m, &f) {
                Freshness::Current => "current".into(),
                Freshness::Stale { commit } => format!("stale (ran at {commit})"),
            },
            Err(e) => e.to_string(),
        };
        let full = match record_state(root, m) {
            RecordState::Current(f) => format!("current ({})", f.provenance.finished_at),
            RecordState::Stale(commit) => {
                stale += 1;
                format!("STALE: recorded at {commit}, inputs changed since")
            }
            RecordState::Missing => {
                missing += 1;
                "missing".into()
            }
            RecordState::Unreadable(e) => {
                stale += 1;
                e
            }
        };
        if writeln!(out, "{:<22} ci: {ci:<24} full record: {full}", m.id).is_err() {
            return Ok(true);
        }
    }
    let _ = writeln!(
        out,
        "\n{stale} stale and {missing} missing full-scale records; \
         `cargo run --release -- run all --scale full --stale --record` refreshes them"
    );
    Ok(true)
}

fn book_data(root: &Path) -> Result<BookData, String> {
    let mut papers = Vec::new();
    let mut full = std::collections::BTreeMap::new();
    let mut full_stale = std::collections::BTreeMap::new();
    for r in registry() {
        let id = r.meta().id;
        let result = load(root, id, Scale::Ci).map_err(|e| e.to_string())?;
        papers.push((r.meta().clone(), result));
        // A local full-scale run wins over the committed record.
        if let Some(f) = shown_full(root, id)? {
            if let Freshness::Stale { commit } = freshness(root, r.meta(), &f) {
                full_stale.insert(id.to_string(), commit);
            }
            full.insert(id.to_string(), f);
        }
    }
    Ok(BookData {
        papers,
        full,
        full_stale,
        perf: load_perf(root)?,
    })
}

/// Prints every paper with its claims; a closed pipe (`repro list | head`) ends it quietly.
fn list(root: &Path) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    for r in registry() {
        let m = r.meta();
        let mut text = format!("{:<18} {} ({} {})\n", m.id, m.title, m.venue, m.year);
        match load(root, m.id, Scale::Ci) {
            Ok(Some(f)) => {
                for c in &f.report.claims {
                    text += &format!(
                        "    {:<12} {:<22} {}\n",
                        c.id,
                        c.verdict.label(),
                        c.statement
                    );
                }
            }
            Ok(None) => text += "    not yet run\n",
            Err(e) => text += &format!("    {e}\n"),
        }
        if out.write_all(text.as_bytes()).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// Prints a line on stdout. A closed pipe (`repro book | head -0`) ends the program quietly with
/// success, as the reader asked for no more; any other failure (`>/dev/full`) is an error.
fn say(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(format!("cannot write to standard output: {e}")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = match checked_root() {
        Ok(root) => root,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Some(Command::List) => list(&root).map(|_| true),
        Some(Command::Run {
            ids,
            scale,
            device,
            seed,
            force,
            stale,
            record,
        }) => run_many(
            &root,
            &ids,
            &RunOptions {
                scale,
                seed,
                device,
                force,
                quiet: false,
            },
            Selection { stale, record },
        ),
        Some(Command::Status) => status(&root),
        Some(Command::New { id }) => repro::scaffold::new_paper(&root, &id)
            .and_then(|steps| say(&steps))
            .map(|_| true),
        Some(Command::Book) => book_data(&root)
            .and_then(|d| build(&root, d))
            .and_then(|index| say(&index.display().to_string()))
            .map(|_| true),
        None => run_many(
            &root,
            &["all".into()],
            &RunOptions::default(),
            Selection::default(),
        )
        .and_then(|ok| {
            let index = build(&root, book_data(&root)?)?;
            say(&format!("book: {}", index.display()))?;
            Ok(ok)
        }),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
