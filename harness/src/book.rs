//! The book: figures rendered from result files, chapters expanded by a preprocessor, and the
//! HTML built with mdbook-driver (no separately installed mdbook). Long because every directive's
//! expansion lives here, next to the preprocessor that dispatches them.
//!
//! Chapters are hand-written markdown with directives that the [`ReproPreprocessor`] expands
//! from the results files, so prose never carries a hand-copied number:
//!
//! | directive | expands to |
//! |---|---|
//! | `{{header}}` | title, authors, venue, arXiv, official code, provenance of the run |
//! | `{{run-info}}` | the provenance sentence alone (with `@full`: of the full-scale run) |
//! | `{{metric KEY [STAT]}}` | a metric (`mean-sd` default; `mean`, `sd`, `min`, `max`, `count`, `all`) |
//! | `{{claims}}` | the chapter's claims with paper values, measurements, rules and verdicts |
//! | `{{table KEY}}`, `{{figure KEY}}` | a report table; a rendered SVG figure with its caption |
//! | `{{deviations}}`, `{{code-notes}}` | deviations from the paper; notes on the official code |
//! | `{{claims-all}}`, `{{errata-all}}` | every paper's claims; every paper's code notes |
//! | `{{perf FAMILY}}` | the benchmark table recorded in `book/data/perf/FAMILY.json` |
//! | `{{records}}` | every paper's full-scale record: current, stale (inputs changed) or none |
//! | `{{dashboard}}` | per paper: headline verdicts at `ci` and `full`, self-checks, bottom line |
//! | `{{bottom-line}}` | a chapter's verdict counts at both scales, then [`Meta::bottom_line`] |
//!
//! A chapter whose full-scale record is stale gets a banner under its title.
//!
//! In a chapter under `papers/<id>.md` keys refer to that paper's `ci` result; `other-id:KEY`
//! reaches another paper, `@full:KEY` (or `id@full:KEY`, `{{header @full}}`) the `full`-scale
//! result: a local `results/<id>.full.json`, else the committed record `book/data/full/<id>.json`.
//! `$...$` and `$$...$$` become MathML at build time (math-core), so equations need no script
//! and no network.

use crate::contract::Meta;
use crate::numbers::fmt;
use crate::report::{Cell, Claim, ClaimKind, Metric, Stat, Verdict};
use crate::store::ResultFile;
use mdbook_driver::MDBook;
use mdbook_preprocessor::book::{Book, BookItem};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What the book is built from: every reproduction's metadata and its result, if any.
#[derive(Clone)]
pub struct BookData {
    pub papers: Vec<(Meta, Option<ResultFile>)>,
    /// `full`-scale results by id (a local run, or the committed record in `book/data/full/`).
    pub full: BTreeMap<String, ResultFile>,
    /// `full`-scale records whose inputs changed since they were recorded: id → commit recorded at.
    pub full_stale: BTreeMap<String, String>,
    /// Benchmark tables by family, from `book/data/perf/*.json`.
    pub perf: BTreeMap<String, PerfFile>,
}

pub use kernels::perf::PerfFile;

impl BookData {
    fn find(&self, id: &str) -> Option<&(Meta, Option<ResultFile>)> {
        self.papers.iter().find(|(m, _)| m.id == id)
    }
}

/// Reads every `book/data/perf/*.json`.
pub fn load_perf(root: &Path) -> Result<BTreeMap<String, PerfFile>, String> {
    let dir = root.join("book/data/perf");
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(out);
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "json") {
            let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            let f: PerfFile = serde_json::from_str(&text)
                .map_err(|e| format!("corrupt benchmark file {}: {e}", p.display()))?;
            out.insert(f.family.clone(), f);
        }
    }
    Ok(out)
}

/// Renders every figure to `book/src/generated/<id>/<key>.svg` (`full-<key>.svg` for `full`-scale
/// results): into a fresh folder beside it, swapped in whole, so an interrupted build leaves the
/// previous figures. Call it holding the book's lock ([`build`] does).
pub fn write_figures(root: &Path, data: &BookData) -> Result<(), String> {
    let book_dir = root.join("book");
    let tmp = kernels::files::unique_temp(&book_dir, "generated");
    let written = render_figures(&tmp, data).and_then(|_| {
        kernels::files::swap_dir(&tmp, &book_dir.join("src/generated")).map_err(|e| e.to_string())
    });
    if written.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    written
}

fn render_figures(gen_dir: &Path, data: &BookData) -> Result<(), String> {
    let ci = data
        .papers
        .iter()
        .filter_map(|(m, r)| r.as_ref().map(|r| (m.id, "", r)));
    let full = data.full.iter().map(|(id, r)| (id.as_str(), "full-", r));
    std::fs::create_dir_all(gen_dir)
        .map_err(|e| format!("cannot create the folder {}: {e}", gen_dir.display()))?;
    for (id, prefix, result) in ci.chain(full) {
        let wrong = result.report.figure_source_mismatches();
        if !wrong.is_empty() {
            return Err(format!(
                "{id} ({}): a figure does not plot its declared data: {}",
                result.provenance.scale,
                wrong.join("; ")
            ));
        }
        let dir = gen_dir.join(id);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create the folder {}: {e}", dir.display()))?;
        // The results file itself, linked from the chapter's header.
        let json = dir.join(format!("{prefix}results.json"));
        let text = serde_json::to_string_pretty(result).expect("results serialise") + "\n";
        std::fs::write(&json, text).map_err(|e| format!("cannot write {}: {e}", json.display()))?;
        for fig in &result.report.figures {
            if fig.x_label.trim().is_empty() || fig.y_label.trim().is_empty() {
                return Err(format!(
                    "figure {} of {id} has no label on its {} axis",
                    fig.key,
                    if fig.x_label.trim().is_empty() {
                        "x"
                    } else {
                        "y"
                    }
                ));
            }
            let svg = crate::plot::render_svg(fig)
                .map_err(|e| format!("figure {} of {id}: {e}", fig.key))?;
            let path = dir.join(format!("{prefix}{}.svg", fig.key));
            std::fs::write(&path, svg)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// Builds the book and returns the path of its `index.html`.
///
/// Crash- and concurrency-safe: a lock (`book/.build.lock`) makes a second `repro book` wait for
/// the first; the HTML is built in a fresh folder beside `book/build` and swapped in whole, so a
/// reader (or a killed build) finds the previous book or the new one, never a part. What an
/// interrupted build left is removed by the next.
pub fn build(root: &Path, data: BookData) -> Result<PathBuf, String> {
    let book_dir = root.join("book");
    let _lock = kernels::files::Lock::acquire(&book_dir.join(".build.lock"), || {
        eprintln!(
            "another repro command is building the book in {}; waiting for it",
            book_dir.display()
        )
    })
    .map_err(|e| e.to_string())?;
    kernels::files::clean_temps(&book_dir, "build");
    kernels::files::clean_temps(&book_dir, "generated");
    write_figures(root, &data)?;
    let mut book = MDBook::load(&book_dir).map_err(|e| format!("cannot load the book: {e:#}"))?;
    let tmp = kernels::files::unique_temp(&book_dir, "build");
    book.config.build.build_dir = tmp.clone();
    book.with_preprocessor(ReproPreprocessor { data });
    let built = book
        .build()
        .map_err(|e| format!("book build failed: {e:#}"))
        .and_then(|_| {
            kernels::files::swap_dir(&tmp, &book_dir.join("build")).map_err(|e| e.to_string())
        });
    if built.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    built.map(|_| book_dir.join("build/index.html"))
}

/// Expands the directives and the math of every chapter.
pub struct ReproPreprocessor {
    pub data: BookData,
}

impl Preprocessor for ReproPreprocessor {
    fn name(&self) -> &str {
        "repro"
    }

    fn run(
        &self,
        _ctx: &PreprocessorContext,
        mut book: Book,
    ) -> mdbook_preprocessor::errors::Result<Book> {
        let mut errors = Vec::new();
        book.for_each_mut(|item| {
            if let BookItem::Chapter(ch) = item {
                let path = ch.path.clone().unwrap_or_default();
                let paper = paper_of(&path);
                let depth = path.components().count().saturating_sub(1);
                // The banner goes in after expansion, so error lines are the file's own.
                match expand(&ch.content, paper.as_deref(), depth, &self.data) {
                    Ok(text) => {
                        ch.content =
                            match paper.as_deref().and_then(|id| self.data.full_stale.get(id)) {
                                Some(commit) => with_stale_banner(&text, commit),
                                None => text,
                            }
                    }
                    Err(e) => errors.push(format!("book/src/{}: {e}", path.display())),
                }
            }
        });
        if errors.is_empty() {
            Ok(book)
        } else {
            Err(anyhow_error(errors.join("\n")))
        }
    }
}

/// The banner a chapter carries when its full-scale record is stale, placed under its title.
pub fn stale_banner(commit: &str) -> String {
    format!(
        "\n> **Stale full-scale record:** recorded at commit `{commit}`; the inputs that produce it \
         (this crate, the kernels, the harness's measuring code or `Cargo.lock`) changed since, so \
         its `@full` numbers and verdicts may not be what the code computes now. \
         `cargo run --release -- run all --scale full --stale --record` refreshes it.\n"
    )
}

fn with_stale_banner(content: &str, commit: &str) -> String {
    let banner = stale_banner(commit);
    match content.find('\n') {
        Some(end) if content.starts_with("# ") => {
            format!("{}\n{banner}{}", &content[..end], &content[end..])
        }
        _ => format!("{banner}\n{content}"),
    }
}

fn anyhow_error(msg: String) -> mdbook_preprocessor::errors::Error {
    mdbook_preprocessor::errors::Error::msg(msg)
}

fn paper_of(path: &Path) -> Option<String> {
    let s = path.to_string_lossy();
    let rest = s.strip_prefix("papers/")?;
    Some(rest.trim_end_matches(".md").to_string())
}

/// Expands directives, then math, in one chapter. `depth` is the chapter's folder depth, used
/// for relative links to generated figures.
pub fn expand(
    content: &str,
    paper: Option<&str>,
    depth: usize,
    data: &BookData,
) -> Result<String, String> {
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    let line_at = |rest: &str, start: usize| {
        let offset = content.len() - rest.len() + start;
        content[..offset].matches('\n').count() + 1
    };
    while let Some(start) = rest.find("{{") {
        let line = line_at(rest, start);
        let tail = &rest[start + 2..];
        // A directive ends at the first `}}`, and never spans a line or holds another `{{`.
        let len = match (tail.find("}}"), tail.find("{{"), tail.find('\n')) {
            (Some(close), open, nl)
                if open.is_none_or(|o| o > close) && nl.is_none_or(|n| n > close) =>
            {
                close
            }
            _ => {
                let shown: String = rest[start..]
                    .chars()
                    .take(40)
                    .take_while(|&c| c != '\n')
                    .collect();
                return Err(format!(
                    "line {line}: `{shown}` is not closed by `}}}}` on its line"
                ));
            }
        };
        let inner = tail[..len].trim();
        let name = inner.split_whitespace().next().unwrap_or("");
        out.push_str(&rest[..start]);
        if DIRECTIVES.contains(&name) {
            let args: Vec<&str> = inner.split_whitespace().skip(1).collect();
            let text = directive(name, &args, paper, depth, data)
                .map_err(|e| format!("line {line}: {{{{{inner}}}}}: {e}"))?;
            out.push_str(&text);
        } else if name.starts_with('#') {
            // mdBook's own ({{#include}}, {{#title}}): left for it.
            out.push_str(&rest[start..start + len + 4]);
        } else {
            return Err(format!(
                "line {line}: unknown directive {{{{{inner}}}}} (known: {})",
                DIRECTIVES.join(", ")
            ));
        }
        rest = &tail[len + 2..];
    }
    out.push_str(rest);
    crate::math::convert_markdown(&out)
}

const DIRECTIVES: &[&str] = &[
    "header",
    "run-info",
    "metric",
    "claims",
    "table",
    "figure",
    "deviations",
    "code-notes",
    "claims-all",
    "errata-all",
    "perf",
    "records",
    "dashboard",
    "bottom-line",
];

fn directive(
    name: &str,
    args: &[&str],
    paper: Option<&str>,
    depth: usize,
    data: &BookData,
) -> Result<String, String> {
    match name {
        "claims-all" => return Ok(claims_all(data)),
        "dashboard" => return Ok(dashboard(data)),
        "errata-all" => return Ok(errata_all(data)),
        "records" => return Ok(records_table(data)),
        "perf" => {
            let family = args.first().ok_or("perf needs a family")?;
            return Ok(match data.perf.get(*family) {
                Some(p) => perf_table(p),
                None => format!(
                    "\n> **No benchmark record for `{family}` yet.** Run `cargo bench -p sinkhorn-newton` to record one.\n"
                ),
            });
        }
        _ => {}
    }
    // Everything else is about one paper: `KEY`, `ID:KEY`, `@full:KEY` or `ID@full:KEY`.
    let (target, key) = match args.first() {
        Some(a) if a.contains(':') => {
            let (t, key) = a.split_once(':').expect("contains ':'");
            (t.to_string(), Some(key.to_string()))
        }
        Some(a)
            if matches!(name, "header" | "run-info" | "claims" | "deviations")
                && a.starts_with('@') =>
        {
            (a.to_string(), None)
        }
        Some(a) => (String::new(), Some(a.to_string())),
        None => (String::new(), None),
    };
    let (id_part, full) = match target.split_once('@') {
        Some((id, "full")) => (id.to_string(), true),
        Some((_, other)) => return Err(format!("unknown scale @{other}: only @full is recorded")),
        None => (target.clone(), false),
    };
    let id = if id_part.is_empty() {
        paper
            .ok_or_else(|| format!("{{{{{name}}}}} outside a paper chapter needs an id"))?
            .to_string()
    } else {
        id_part
    };
    let (meta, ci_result) = data
        .find(&id)
        .ok_or_else(|| format!("unknown paper id {id:?} in {{{{{name}}}}}"))?;
    let result = if full {
        data.full.get(&id)
    } else {
        ci_result.as_ref()
    };
    let Some(result) = result else {
        let how = if full {
            format!("`cargo run --release -- run {id} --scale full`")
        } else {
            format!("`cargo run --release -- run {id}`")
        };
        return Ok(format!(
            "\n> **Not yet run{}.** {how} computes these results.\n",
            if full { " at full scale" } else { "" }
        ));
    };
    let report = &result.report;
    let need_key = || {
        key.clone()
            .ok_or_else(|| format!("{{{{{name}}}}} needs a key"))
    };
    match name {
        "header" => Ok(header(meta, result, depth, full)),
        "run-info" => Ok(format!("\n> {}\n", run_line(result))),
        "metric" => {
            let key = need_key()?;
            let m = report
                .get(&key)
                .ok_or_else(|| format!("no metric {key:?} in results of {id}"))?;
            let stat = args.get(1).copied().unwrap_or("mean-sd");
            metric_text(m, stat)
        }
        "claims" => Ok(claims_table(meta, &report.claims, report)),
        "bottom-line" => Ok(bottom_line(meta, ci_result.as_ref(), data.full.get(&id))),
        "table" => {
            let key = need_key()?;
            let t = report
                .tables
                .iter()
                .find(|t| t.key == key)
                .ok_or_else(|| format!("no table {key:?} in results of {id}"))?;
            let mut s = format!(
                "\n**{}**\n\n| {} |\n|{}\n",
                emphasised(&t.title),
                t.columns
                    .iter()
                    .map(|c| cell(c))
                    .collect::<Vec<_>>()
                    .join(" | "),
                "---|".repeat(t.columns.len())
            );
            for row in &t.rows {
                let cells: Result<Vec<String>, String> = row
                    .iter()
                    .map(|c| match c {
                        Cell::Text(s) => Ok(s.clone()),
                        Cell::Value { key, index } => report
                            .get(key)
                            .and_then(|m| m.values.get(*index).map(|v| (m.flag, *v)))
                            .map(|(flag, v)| match (flag, v > 0.5) {
                                (true, true) => "yes".to_string(),
                                (true, false) => "no".to_string(),
                                (false, _) => fmt(v),
                            })
                            .ok_or_else(|| {
                                format!("table {} cites missing value {key}[{index}]", t.key)
                            }),
                        Cell::Metric { key, stat } => {
                            let m = report.get(key).ok_or_else(|| {
                                format!("table {} cites missing metric {key}", t.key)
                            })?;
                            Ok(stat_text(m, *stat))
                        }
                    })
                    .collect();
                let _ = writeln!(s, "| {} |", cells?.join(" | "));
            }
            Ok(s)
        }
        "figure" => {
            let key = need_key()?;
            let f = report
                .figures
                .iter()
                .find(|f| f.key == key)
                .ok_or_else(|| format!("no figure {key:?} in results of {id}"))?;
            let up = "../".repeat(depth);
            let prefix = if full { "full-" } else { "" };
            Ok(format!(
                "\n<figure>\n<img src=\"{up}generated/{id}/{prefix}{key}.svg\" alt=\"{}\" width=\"760\">\n<figcaption>{}</figcaption>\n</figure>\n",
                html_escape(&f.title),
                html_escape(&f.caption)
            ))
        }
        "deviations" => {
            let mut s = String::from("\n| aspect | paper | here | why |\n|---|---|---|---|\n");
            for d in &report.deviations {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} |",
                    cell(&d.aspect),
                    cell(&d.paper),
                    cell(&d.here),
                    cell(&d.why)
                );
            }
            Ok(s)
        }
        "code-notes" => Ok(code_notes(meta, report)),
        _ => Err(format!("unknown directive {name}")),
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Text placed inside markdown emphasis: `*` and `_` must not end it.
fn emphasised(s: &str) -> String {
    cell(s).replace('*', "\\*").replace('_', "\\_")
}

/// `code` spans in already-escaped text become `<code>` elements (for raw-HTML cells).
fn inline_code_html(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// "seeds" → "seed", "M values" → "M value", "σ steps" → "σ step".
fn singular(plural: &str) -> &str {
    plural.strip_suffix('s').unwrap_or(plural)
}

/// A metric's mean ± sd with what the spread is over ("0.91 ± 0.02 over 5 seeds"); a yes/no
/// metric as a count ("4 of 5 seeds: yes").
fn spread_text(m: &Metric) -> String {
    let n = m.values.len();
    let over = if n == 1 {
        singular(m.over_what()).to_string()
    } else {
        m.over_what().to_string()
    };
    if m.flag {
        let yes = m.values.iter().filter(|&&v| v > 0.5).count();
        return match n {
            1 if yes == 1 => "yes".into(),
            1 => "no".into(),
            _ => format!("yes on {yes} of {n} {over}"),
        };
    }
    match n {
        1 if m.over.is_empty() => stat_text(m, Stat::MeanSd),
        1 => format!("{} (one {over})", stat_text(m, Stat::MeanSd)),
        _ => format!("{} over {n} {over}", stat_text(m, Stat::MeanSd)),
    }
}

/// The text of one statistic of a metric, as printed everywhere in the book.
pub fn stat_text(m: &Metric, stat: Stat) -> String {
    if m.flag && matches!(stat, Stat::MeanSd | Stat::Mean) {
        let yes = m.values.iter().filter(|&&v| v > 0.5).count();
        return match m.values.len() {
            1 if yes == 1 => "yes".into(),
            1 => "no".into(),
            n => format!("yes on {yes} of {n}"),
        };
    }
    let unit = if m.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", m.unit)
    };
    match stat {
        Stat::MeanSd if m.values.len() > 1 => format!("{} ± {}{unit}", fmt(m.mean()), fmt(m.sd())),
        Stat::MeanSd | Stat::Mean => format!("{}{unit}", fmt(m.mean())),
        Stat::Sd => format!("{}{unit}", fmt(m.sd())),
        Stat::Min => format!("{}{unit}", fmt(crate::stats::min(&m.values))),
        Stat::Max => format!("{}{unit}", fmt(crate::stats::max(&m.values))),
        Stat::Count => m.values.len().to_string(),
    }
}

fn metric_text(m: &Metric, stat: &str) -> Result<String, String> {
    Ok(match stat {
        "mean-sd" => stat_text(m, Stat::MeanSd),
        "mean" => stat_text(m, Stat::Mean),
        "sd" => stat_text(m, Stat::Sd),
        "min" => stat_text(m, Stat::Min),
        "max" => stat_text(m, Stat::Max),
        "count" => stat_text(m, Stat::Count),
        "all" => m
            .values
            .iter()
            .map(|v| fmt(*v))
            .collect::<Vec<_>>()
            .join(", "),
        other => return Err(format!("unknown statistic {other:?} for metric {}", m.key)),
    })
}

fn verdict_class(v: &Verdict) -> &'static str {
    match v {
        Verdict::Reproduced => "ok",
        Verdict::Partial => "partial",
        Verdict::NotReproduced | Verdict::Falsified(_) => "no",
        Verdict::Inconclusive(_) => "inconclusive",
        Verdict::Tie => "tie",
        Verdict::NotTestable(_) => "na",
        Verdict::Failed(_) | Verdict::Pending => "fail",
    }
}

fn verdict_badge(v: &Verdict) -> String {
    let class = verdict_class(v);
    let reason = v
        .reason()
        .map(|r| format!(" ({})", cell(r)))
        .unwrap_or_default();
    format!(
        "<span class=\"verdict verdict-{class}\">{}</span>{reason}",
        v.label()
    )
}

/// The anchor of a claim, unique across the book: `claim-<paper>-<claim>`.
pub fn claim_anchor(paper: &str, claim: &str) -> String {
    let c: String = claim
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() {
                ch.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("claim-{paper}-{c}")
}

/// A claim's name in the book: the paper's short name and the claim id ("SNS S1"), unique
/// across papers whose ids repeat.
fn claim_name(meta: &Meta, c: &Claim) -> String {
    format!("{} {}", meta.short_name, c.id)
}

/// The verdict badge, with a registration error beside it when one was found.
fn verdict_cell(c: &Claim) -> String {
    match &c.registration_error {
        Some(e) => format!(
            "{}<br>*Registration error (the verdict stands):* {}",
            verdict_badge(&c.verdict),
            cell(e)
        ),
        None => verdict_badge(&c.verdict),
    }
}

fn claims_table(meta: &Meta, claims: &[Claim], report: &crate::report::Report) -> String {
    let mut s =
        String::from("\n| claim | statement | the paper says | verdict |\n|---|---|---|---|\n");
    for c in claims {
        let kind = match c.kind {
            ClaimKind::SelfCheck => "<br>*self-check*",
            ClaimKind::Headline => "",
        };
        let _ = writeln!(
            s,
            "| <a id=\"{}\"></a>**{}**{kind} | {} | {} ({}) {} | {} |",
            claim_anchor(meta.id, &c.id),
            claim_name(meta, c),
            cell(&c.statement),
            cell(&c.paper.value),
            cell(&c.paper.source),
            c.paper.provenance.tag(),
            verdict_cell(c)
        );
    }
    s.push_str(VERDICT_LEGEND);
    s.push_str("| claim | role | measured quantity | measured (mean ± sd, over what it says) | rule | held |\n|---|---|---|---|---|---|\n");
    for c in claims {
        let name = claim_name(meta, c);
        if let Some(reason) = &c.not_testable {
            let _ = writeln!(
                s,
                "| {name} | — | — | — | not testable here: {} | — |",
                cell(reason)
            );
            continue;
        }
        for k in &c.checks {
            s.push_str(&check_row(&name, k, report));
        }
    }
    s
}

/// Verdict counts of claims, badges in the order of the legend, e.g. "3 reproduced, 1 tie".
fn verdict_counts<'a>(claims: impl Iterator<Item = &'a Claim>) -> String {
    let mut counts: Vec<(Verdict, usize)> = Vec::new();
    for c in claims {
        let v = match &c.verdict {
            Verdict::Falsified(_) => Verdict::NotReproduced,
            Verdict::Inconclusive(_) => Verdict::Inconclusive(String::new()),
            Verdict::NotTestable(_) => Verdict::NotTestable(String::new()),
            Verdict::Failed(_) => Verdict::Failed(String::new()),
            other => other.clone(),
        };
        match counts.iter_mut().find(|(w, _)| *w == v) {
            Some((_, n)) => *n += 1,
            None => counts.push((v, 1)),
        }
    }
    if counts.is_empty() {
        return "none".into();
    }
    counts.sort_by_key(|(v, _)| verdict_rank(v));
    counts
        .iter()
        .map(|(v, n)| {
            format!(
                "<span class=\"verdict verdict-{}\">{n} {}</span>",
                verdict_class(v),
                v.label()
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn verdict_rank(v: &Verdict) -> u8 {
    match v {
        Verdict::Reproduced => 0,
        Verdict::Partial => 1,
        Verdict::NotReproduced | Verdict::Falsified(_) => 2,
        Verdict::Inconclusive(_) => 3,
        Verdict::Tie => 4,
        Verdict::NotTestable(_) => 5,
        Verdict::Failed(_) | Verdict::Pending => 6,
    }
}

fn of_kind(r: Option<&ResultFile>, kind: ClaimKind) -> Vec<&Claim> {
    r.map(|r| r.report.claims.iter().filter(|c| c.kind == kind).collect())
        .unwrap_or_default()
}

/// Claim names whose full-scale verdict differs from the ci one.
fn changed_at_full(meta: &Meta, ci: Option<&ResultFile>, full: Option<&ResultFile>) -> Vec<String> {
    let (Some(ci), Some(full)) = (ci, full) else {
        return Vec::new();
    };
    ci.report
        .claims
        .iter()
        .filter_map(|c| {
            let f = full.report.claims.iter().find(|f| f.id == c.id)?;
            (f.verdict.label() != c.verdict.label()).then(|| {
                format!(
                    "{} ({} at ci, {} at full)",
                    claim_name(meta, c),
                    c.verdict.label(),
                    f.verdict.label()
                )
            })
        })
        .collect()
}

/// The generated half of a chapter's bottom line: the headline verdicts at both scales and the
/// self-checks, then the sentence written for the paper ([`Meta::bottom_line`]).
fn bottom_line(meta: &Meta, ci: Option<&ResultFile>, full: Option<&ResultFile>) -> String {
    let head = of_kind(ci, ClaimKind::Headline);
    let checks = of_kind(ci, ClaimKind::SelfCheck);
    let mut s = format!(
        "\n> **Bottom line.** {} headline claims at `ci` scale: {}",
        head.len(),
        verdict_counts(head.iter().copied())
    );
    match full {
        Some(_) => {
            let full_head = of_kind(full, ClaimKind::Headline);
            let _ = write!(
                s,
                "; at `full` scale: {}",
                verdict_counts(full_head.iter().copied())
            );
        }
        None => s.push_str("; no full-scale record"),
    }
    if !checks.is_empty() {
        let _ = write!(
            s,
            ". Self-checks of this suite's machinery: {}",
            verdict_counts(checks.iter().copied())
        );
    }
    let changed = changed_at_full(meta, ci, full);
    if !changed.is_empty() {
        let _ = write!(s, ". Changed at full scale: {}", changed.join("; "));
    }
    let _ = writeln!(s, ".\n>\n> {}\n", meta.bottom_line);
    s
}

/// The results dashboard: per paper, a row of its headline verdicts at both scales and its
/// self-checks, and under it a row with its bottom line. Raw HTML, for the spanning row.
fn dashboard(data: &BookData) -> String {
    let mut s = String::from(
        "\n<table class=\"dashboard\">\n<thead><tr><th>paper</th><th>headline claims, <code>ci</code></th>\
         <th>headline claims, <code>full</code></th><th>self-checks, <code>ci</code></th></tr></thead>\n<tbody>\n",
    );
    for (meta, ci) in &data.papers {
        let full = data.full.get(meta.id);
        let ci_cell = match ci {
            Some(_) => verdict_counts(of_kind(ci.as_ref(), ClaimKind::Headline).into_iter()),
            None => "not yet run".into(),
        };
        let full_cell = match full {
            Some(_) => {
                let stale = if data.full_stale.contains_key(meta.id) {
                    " <em>(stale record)</em>"
                } else {
                    ""
                };
                format!(
                    "{}{stale}",
                    verdict_counts(of_kind(full, ClaimKind::Headline).into_iter())
                )
            }
            None => "no record".into(),
        };
        let checks = of_kind(ci.as_ref(), ClaimKind::SelfCheck);
        let checks_cell = if checks.is_empty() {
            "—".to_string()
        } else {
            verdict_counts(checks.into_iter())
        };
        let _ = write!(
            s,
            "<tr class=\"counts\"><td rowspan=\"2\"><a href=\"papers/{}.html\">{}</a></td><td>{ci_cell}</td><td>{full_cell}</td><td>{checks_cell}</td></tr>\n\
             <tr class=\"bottom-line\"><td colspan=\"3\">{}</td></tr>\n",
            meta.id,
            html_escape(meta.short_name),
            inline_code_html(&html_escape(meta.bottom_line))
        );
    }
    s.push_str("</tbody>\n</table>\n");
    s
}

/// How verdicts are computed, printed above every table of checks.
pub const VERDICT_LEGEND: &str = "\n*How each verdict was computed.* Every check applies its rule to the measured values (each seed, or their mean) and has a role. \
A **falsifier** codes the card's falsification criterion: its rule states the falsifying outcome, and if it holds on any value the claim is *not reproduced*, whatever else held. \
A **control** shows that the experiment can show the effect (a baseline arm, a sanity or convergence condition): if one fails the claim is *inconclusive*. \
Otherwise the **core** checks decide: all values hold → *reproduced*, some → *partially*, none → *not reproduced*. \
A comparison within its stated resolution of the threshold (arms indistinguishable, e.g. both at a ceiling) is a **tie**: it never counts as holding, and a claim whose core values are all ties reads *tie*.\n\n";

fn check_row(claim: &str, k: &crate::report::Check, report: &crate::report::Report) -> String {
    let (label, value, over) = match report.get(&k.metric) {
        Some(m) => (m.label.clone(), spread_text(m), m.over_what().to_string()),
        None => (k.metric.clone(), "missing".into(), "seeds".into()),
    };
    let one = singular(&over);
    let agg = match k.aggregate {
        crate::report::Aggregate::EachSeed => format!("each {one}"),
        crate::report::Aggregate::Mean => format!("the mean over {over}"),
    };
    let tie = k
        .tie
        .map(|res| format!("; tie within {}", fmt(res)))
        .unwrap_or_default();
    let role = match k.role {
        crate::report::Role::Falsifier => "**falsifier**",
        other => other.label(),
    };
    // "n of m" counts what the rule was applied to: each value, or the one mean.
    let unit = match k.aggregate {
        crate::report::Aggregate::EachSeed if k.tested == 1 => one.to_string(),
        crate::report::Aggregate::EachSeed => over.clone(),
        crate::report::Aggregate::Mean => "mean".to_string(),
    };
    let held = match (k.role, k.tied) {
        (crate::report::Role::Falsifier, _) if k.passed > 0 => {
            format!("fired on {} of {} {unit}", k.passed, k.tested)
        }
        (crate::report::Role::Falsifier, _) => format!("silent on {} {unit}", k.tested),
        (_, 0) => format!("{} of {} {unit}", k.passed, k.tested),
        (_, t) => format!("{} of {} {unit} ({t} tied)", k.passed, k.tested),
    };
    format!(
        "| {claim} | {role} | {} | {} | {} ({agg}{tie}) | {held} |\n",
        cell(&label),
        cell(&value),
        cell(&k.rule.to_string()),
    )
}

fn header(meta: &Meta, result: &ResultFile, depth: usize, full: bool) -> String {
    let up = "../".repeat(depth);
    let file = if full { "full-results" } else { "results" };
    format!(
        "\n> **{}** — {}. *{}* {}. [arXiv:{}](https://arxiv.org/abs/{}). Official code: {}.\n>\n> {} \
         The [results file]({up}generated/{}/{file}.json) holds every number of this run.\n",
        meta.title,
        meta.authors,
        meta.venue,
        meta.year,
        meta.arxiv,
        meta.arxiv,
        linkify(meta.official_code),
        run_line(result),
        meta.id
    )
}

/// Bare `http(s)://` addresses in text become markdown autolinks (trailing punctuation stays
/// outside the link).
pub fn linkify(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(start) = rest.find("https://").or_else(|| rest.find("http://")) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '<' | '>' | '"' | '`'))
            .unwrap_or(tail.len());
        let url = tail[..end].trim_end_matches(['.', ',', ';', ':']);
        out.push('<');
        out.push_str(url);
        out.push('>');
        rest = &tail[url.len()..];
    }
    out.push_str(rest);
    out
}

/// One sentence of provenance: scale, seed, device, time, commit, compiler, date.
fn run_line(result: &ResultFile) -> String {
    let p = &result.provenance;
    format!(
        "This run: scale `{}`, seed {}, {} on {}, {:.1} s, {}{}, {}, finished {}.",
        p.scale,
        p.seed,
        p.device,
        p.cpu,
        p.wall_time_s,
        match p.git_commit.as_str() {
            "unknown" => "commit unknown (git was not available to the run)".to_string(),
            c => format!("commit `{}`", crate::store::short_commit(c)),
        },
        if p.git_dirty {
            " (with uncommitted changes)"
        } else {
            ""
        },
        p.rustc,
        p.finished_at
    )
}

/// A GitHub repository named at the start of `text` (`owner/repo`), with the commit given in
/// parentheses or after `@` when there is one.
fn github_repo(text: &str) -> Option<(String, Option<String>)> {
    let text = text.trim().trim_start_matches("https://github.com/");
    let first = text.split_whitespace().next()?;
    let mut parts = first.trim_end_matches([',', ';']).split('/');
    let (owner, repo) = (parts.next()?, parts.next()?);
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if !ok(owner)
        || !ok(repo)
        || parts.next().is_some()
        || !owner.chars().any(|c| c.is_ascii_alphabetic())
    {
        return None;
    }
    let commit = text
        .split(['(', '@', ' ', ';', ')'])
        .map(str::trim)
        .find(|w| w.len() >= 7 && w.len() <= 40 && w.chars().all(|c| c.is_ascii_hexdigit()))
        .map(str::to_string);
    Some((format!("{owner}/{repo}"), commit))
}

/// A link for a code note's location: the file at the commit read (with its line, when the
/// location names one), or the repository. The commit comes from the location or, for the
/// official repository, from [`Meta::official_code`].
pub fn code_link(meta: &Meta, location: &str) -> Option<String> {
    let (repo, commit) = github_repo(location)?;
    let official = github_repo(meta.official_code);
    let commit = commit.or_else(|| {
        official
            .as_ref()
            .filter(|(r, _)| *r == repo)
            .and_then(|(_, c)| c.clone())
    });
    let path = location
        .split_whitespace()
        .nth(1)
        .filter(|p| p.contains('/') || p.ends_with(".py") || p.ends_with(".ipynb"))
        .map(|p| p.trim_end_matches([',', ';', ':']));
    let line = location
        .split("line ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .filter(|n| !n.is_empty());
    Some(match (path, commit) {
        (Some(path), Some(c)) => {
            let anchor = line.map(|l| format!("#L{l}")).unwrap_or_default();
            format!("https://github.com/{repo}/blob/{c}/{path}{anchor}")
        }
        (None, Some(c)) => format!("https://github.com/{repo}/tree/{c}"),
        (_, None) => format!("https://github.com/{repo}"),
    })
}

fn code_notes(meta: &Meta, report: &crate::report::Report) -> String {
    if report.code_notes.is_empty() {
        return "\nNo findings.\n".into();
    }
    let mut s = String::from("\n| where | kind | finding |\n|---|---|---|\n");
    for n in &report.code_notes {
        let location = match code_link(meta, &n.location) {
            Some(url) => format!("[{}]({url})", cell(&n.location).replace(['[', ']'], "")),
            None => cell(&n.location),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} {} |",
            location,
            n.kind.label(),
            cell(&n.finding),
            n.provenance.tag()
        );
    }
    s
}

fn claims_all(data: &BookData) -> String {
    let results = || data.papers.iter().filter_map(|(_, r)| r.as_ref());
    let of = |kind| {
        results()
            .flat_map(|r| &r.report.claims)
            .filter(move |c| c.kind == kind)
    };
    let run = results().count();
    let mut s = format!(
        "\n{} headline claims from {run} papers with results: {}. Besides them, {} self-checks of \
         this suite's machinery (gradient checks, golden values, units against reference \
         implementations, state counting): {}.\n\n| paper | claim | statement | verdict |\n|---|---|---|---|\n",
        of(ClaimKind::Headline).count(),
        verdict_counts(of(ClaimKind::Headline)),
        of(ClaimKind::SelfCheck).count(),
        verdict_counts(of(ClaimKind::SelfCheck)),
    );
    for (meta, result) in &data.papers {
        match result {
            None => {
                let _ = writeln!(
                    s,
                    "| [{}](papers/{}.md) | — | not yet run | — |",
                    meta.short_name, meta.id
                );
            }
            Some(r) => {
                for c in &r.report.claims {
                    let kind = match c.kind {
                        ClaimKind::SelfCheck => " *(self-check)*",
                        ClaimKind::Headline => "",
                    };
                    let _ = writeln!(
                        s,
                        "| [{}](papers/{}.md) | [{}](papers/{}.md#{}){kind} | {} | {} |",
                        meta.short_name,
                        meta.id,
                        claim_name(meta, c),
                        meta.id,
                        claim_anchor(meta.id, &c.id),
                        cell(&c.statement),
                        verdict_cell(c)
                    );
                }
            }
        }
    }
    s
}

/// Every paper's committed full-scale record: current, stale (with the commit it was recorded
/// at), or none yet.
fn records_table(data: &BookData) -> String {
    let mut s = String::from("\n| paper | full-scale record | recorded |\n|---|---|---|\n");
    let mut stale = 0;
    for (meta, _) in &data.papers {
        let (state, when) = match (data.full.get(meta.id), data.full_stale.get(meta.id)) {
            (None, _) => ("none yet".to_string(), "—".to_string()),
            (Some(f), Some(commit)) => {
                stale += 1;
                (
                    format!(
                        "<span class=\"verdict verdict-no\">stale</span> recorded at `{commit}`, inputs changed since"
                    ),
                    f.provenance.finished_at.clone(),
                )
            }
            (Some(f), None) => ("current".to_string(), f.provenance.finished_at.clone()),
        };
        let _ = writeln!(
            s,
            "| [{}](papers/{}.md) | {state} | {when} |",
            meta.short_name, meta.id
        );
    }
    let _ = write!(
        s,
        "\n{} of {} records are stale. `cargo run --release -- status` lists them; \
         `cargo run --release -- run all --scale full --stale --record` refreshes them.\n",
        stale,
        data.full.len()
    );
    s
}

fn errata_all(data: &BookData) -> String {
    let mut s = String::new();
    for (meta, result) in &data.papers {
        let Some(r) = result else { continue };
        if r.report.code_notes.is_empty() {
            continue;
        }
        let _ = write!(s, "\n### [{}](papers/{}.md)\n", meta.short_name, meta.id);
        s.push_str(&code_notes(meta, &r.report));
    }
    if s.is_empty() {
        s.push_str("\nNo findings recorded yet.\n");
    }
    s
}

fn perf_table(p: &PerfFile) -> String {
    // A record without a unit has no measured limit, only a stated yardstick.
    let limit = if p.limit_unit.is_empty() {
        p.limit_name.clone()
    } else {
        format!("{}: {} {}", p.limit_name, fmt(p.limit_value), p.limit_unit)
    };
    let mut s = format!(
        "\n*Recorded on {} ({}); {}.*\n\n| {} |\n|{}\n",
        p.machine,
        p.date,
        limit,
        p.columns.join(" | "),
        "---|".repeat(p.columns.len())
    );
    for row in &p.rows {
        let _ = writeln!(s, "| {} |", row.join(" | "));
    }
    for n in &p.notes {
        let _ = write!(s, "\n{n}\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result_file(report: crate::report::Report) -> ResultFile {
        ResultFile {
            schema_version: crate::store::SCHEMA_VERSION,
            id: "x".into(),
            title: "X".into(),
            input_hash: String::new(),
            verdict_rules: String::new(),
            provenance: crate::store::RunProvenance {
                git_commit: "unknown".into(),
                git_dirty: false,
                cargo_lock_sha256: String::new(),
                rustc: "rustc".into(),
                cpu: "cpu".into(),
                threads: 2,
                device: "CPU".into(),
                device_key: "cpu".into(),
                gpu: None,
                scale: crate::Scale::Ci,
                seed: 0,
                wall_time_s: 1.0,
                finished_at: "now".into(),
            },
            report,
        }
    }

    #[test]
    fn an_unknown_commit_is_said_in_words() {
        let mut file = result_file(crate::report::Report::default());
        assert!(run_line(&file).contains("commit unknown (git was not available"));
        file.provenance.git_commit = "é".repeat(20);
        assert!(run_line(&file).contains(&format!("commit `{}`", "é".repeat(10))));
    }

    fn meta(official_code: &'static str) -> Meta {
        Meta {
            id: "p",
            short_name: "P",
            title: "",
            authors: "",
            venue: "",
            year: 2026,
            arxiv: "",
            official_code,
            bottom_line: "What held.",
            crate_dir: "",
        }
    }

    #[test]
    fn code_locations_link_to_the_file_at_the_commit_read() {
        let m = meta("https://github.com/owner/repo (73233ba)");
        assert_eq!(
            code_link(&m, "owner/repo src/opt.py line 100").as_deref(),
            Some("https://github.com/owner/repo/blob/73233ba/src/opt.py#L100")
        );
        assert_eq!(
            code_link(&m, "other/lib Thing (7a076d2)").as_deref(),
            Some("https://github.com/other/lib/tree/7a076d2")
        );
        assert_eq!(
            code_link(&m, "someone/else").as_deref(),
            Some("https://github.com/someone/else")
        );
        assert_eq!(code_link(&m, "torch.nn.functional.cosine_similarity"), None);
        assert_eq!(code_link(&m, "card papers/adamp.md, toy table"), None);
        assert_eq!(
            linkify("see https://github.com/a/b (1ec3)."),
            "see <https://github.com/a/b> (1ec3)."
        );
    }

    #[test]
    fn spreads_say_what_they_are_over_and_flags_count() {
        let mut r = crate::report::Report::default();
        r.metric("a", "acc", "", vec![0.5, 0.7], crate::report::Tol::Exact);
        r.metric(
            "b",
            "per M",
            "",
            vec![1.0, 2.0, 3.0],
            crate::report::Tol::Exact,
        )
        .over("M values");
        r.metric(
            "c",
            "converged",
            "",
            vec![1.0, 0.0, 1.0],
            crate::report::Tol::Exact,
        )
        .over("learning rates")
        .flag();
        assert_eq!(
            spread_text(r.get("a").unwrap()),
            "0.6 ± 0.1414 over 2 seeds"
        );
        assert!(spread_text(r.get("b").unwrap()).ends_with("over 3 M values"));
        assert_eq!(
            spread_text(r.get("c").unwrap()),
            "yes on 2 of 3 learning rates"
        );
        assert_eq!(claim_anchor("sgd-sai", "S1-flat"), "claim-sgd-sai-s1-flat");
    }

    #[test]
    fn the_bottom_line_counts_headline_claims_apart_from_self_checks() {
        use crate::report::{Check, Claim, PaperValue, Provenance, Report, Rule, Tol};
        let mut r = Report::default();
        r.metric("x", "x", "", vec![1.0], Tol::Exact);
        let pv = PaperValue::new("v", "s", Provenance::Paper);
        r.claim(Claim::new("A", "a", pv.clone()).check(Check::each("x", Rule::AtMost(2.0))));
        r.claim(Claim::new("B", "b", pv.clone()).check(Check::each("x", Rule::AtMost(0.0))));
        r.claim(
            Claim::new("U", "unit", pv)
                .self_check()
                .check(Check::each("x", Rule::AtMost(2.0))),
        );
        let r = r.finalize();
        let mut file = result_file(r.clone());
        let text = bottom_line(&meta(""), Some(&file), None);
        assert!(text.contains("2 headline claims"), "{text}");
        assert!(text.contains(">1 reproduced<") && text.contains(">1 not reproduced<"));
        assert!(text.contains("Self-checks of this suite's machinery: <span"));
        assert!(text.contains("no full-scale record") && text.contains("What held."));
        file.report.claims[0].verdict = Verdict::NotReproduced;
        let changed = bottom_line(&meta(""), Some(&file), Some(&result_file(r)));
        assert!(changed.contains("Changed at full scale: P A"), "{changed}");
    }

    #[test]
    fn a_stale_record_puts_a_banner_under_the_title() {
        let text = with_stale_banner("# SNS\n\nBody.\n", "abc123");
        assert!(text.starts_with("# SNS\n"), "{text}");
        assert!(text.contains("**Stale full-scale record:** recorded at commit `abc123`"));
        assert!(text.find("Stale").unwrap() < text.find("Body.").unwrap());
    }

    #[test]
    fn unknown_ids_keys_and_directives_are_errors_naming_the_line() {
        let data = BookData {
            papers: vec![],
            full: BTreeMap::new(),
            full_stale: BTreeMap::new(),
            perf: BTreeMap::new(),
        };
        assert!(
            expand("{{metric nope:x}}", None, 0, &data)
                .unwrap_err()
                .contains("unknown paper id")
        );
        let typo = expand("one\ntwo {{metrc table.x}}\n", None, 0, &data).unwrap_err();
        assert!(
            typo.contains("line 2") && typo.contains("unknown directive {{metrc table.x}}"),
            "{typo}"
        );
        let open = expand("a\nb\nc {{metric x\n}}", None, 0, &data).unwrap_err();
        assert!(
            open.contains("line 3") && open.contains("`{{metric x` is not closed"),
            "{open}"
        );
        let nested = expand("{{metric {{claims}}", None, 0, &data).unwrap_err();
        assert!(nested.contains("line 1"), "{nested}");
        assert!(
            expand("x {{metric nope:y}}", None, 0, &data)
                .unwrap_err()
                .starts_with("line 1: {{metric nope:y}}:")
        );
        // mdBook's own directives are left for it.
        assert_eq!(
            expand("a {{#include x.md}} b", None, 0, &data).unwrap(),
            "a {{#include x.md}} b"
        );
        assert!(
            expand("{{perf sinkhorn}}", None, 0, &data)
                .unwrap()
                .contains("No benchmark record")
        );
    }
}
