//! `repro`: run the reproductions, list their claims, build the book.
//!
//! With no arguments it runs every reproduction at `ci` scale (reusing current results) and
//! builds the book, printing where it is.

use clap::{Parser, Subcommand};
use harness::book::{BookData, build, load_perf};
use harness::runner::{DeviceChoice, Outcome, RunOptions, resolve_device, run};
use harness::store::{load, load_file, recorded_full_path, workspace_root};
use harness::{Reproduction, Scale};
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

fn run_many(root: &Path, ids: &[String], opts: &RunOptions) -> Result<bool, String> {
    let chosen = select(ids)?;
    let (device, notice) = resolve_device(opts.device)?;
    if let Some(n) = notice {
        eprintln!("notice: {n}");
    }
    let mut all_ok = true;
    for repro in chosen {
        let id = repro.meta().id;
        match run(root, repro, opts, &device) {
            Outcome::Reused(f) => eprintln!(
                "{id}: current result reused ({} claims; --force re-runs)",
                f.report.claims.len()
            ),
            Outcome::Ran(f, path) => {
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

fn book_data(root: &Path) -> Result<BookData, String> {
    let mut papers = Vec::new();
    let mut full = std::collections::BTreeMap::new();
    for r in registry() {
        let id = r.meta().id;
        let result = load(root, id, Scale::Ci).map_err(|e| e.to_string())?;
        papers.push((r.meta().clone(), result));
        // A local full-scale run wins over the committed record.
        let local = load(root, id, Scale::Full).map_err(|e| e.to_string())?;
        let recorded = match local {
            Some(f) => Some(f),
            None => load_file(&recorded_full_path(root, id), id).map_err(|e| e.to_string())?,
        };
        if let Some(f) = recorded {
            full.insert(id.to_string(), f);
        }
    }
    Ok(BookData {
        papers,
        full,
        perf: load_perf(root)?,
    })
}

fn list(root: &Path) -> Result<(), String> {
    for r in registry() {
        let m = r.meta();
        println!("{:<18} {} ({} {})", m.id, m.title, m.venue, m.year);
        match load(root, m.id, Scale::Ci) {
            Ok(Some(f)) => {
                for c in &f.report.claims {
                    println!("    {:<12} {:<22} {}", c.id, c.verdict.label(), c.statement);
                }
            }
            Ok(None) => println!("    not yet run"),
            Err(e) => println!("    {e}"),
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    let result = match cli.command {
        Some(Command::List) => list(&root).map(|_| true),
        Some(Command::Run {
            ids,
            scale,
            device,
            seed,
            force,
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
        ),
        Some(Command::Book) => book_data(&root).and_then(|d| build(&root, d)).map(|index| {
            println!("{}", index.display());
            true
        }),
        None => run_many(&root, &["all".into()], &RunOptions::default()).and_then(|ok| {
            let index = build(&root, book_data(&root)?)?;
            println!("book: {}", index.display());
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
