//! The contract between the harness and a reproduction crate.
//!
//! A reproduction crate exposes one value implementing [`Reproduction`]: its metadata and a
//! `run` that turns a [`Ctx`] into a finished [`Report`]. Everything else (caching, result files,
//! snapshots, figures, the book) is the harness's job.

use crate::progress::Progress;
use crate::report::Report;
use kernels::device::Device;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Bibliographic and provenance data of a paper and of its reproduction crate.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meta {
    /// The id used everywhere: crate folder, results file, chapter, snapshot folder.
    pub id: &'static str,
    pub short_name: &'static str,
    pub title: &'static str,
    pub authors: &'static str,
    pub venue: &'static str,
    pub year: u16,
    pub arxiv: &'static str,
    /// Official code: repository and commit read, or a sentence saying there is none.
    pub official_code: &'static str,
    /// One written sentence that reconciles the verdicts with the chapter's prose; the book
    /// prints it after the generated verdict counts (`{{bottom-line}}`, the dashboard).
    #[serde(default)]
    pub bottom_line: &'static str,
    /// The reproduction crate's folder (`env!("CARGO_MANIFEST_DIR")`), hashed to decide whether
    /// a stored result is still current.
    #[serde(skip)]
    pub crate_dir: &'static str,
}

/// How big a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scale {
    /// Sized for CI: every reproduction within about a minute on two cores.
    Ci,
    /// Paper-like sizes where this hardware allows.
    Full,
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scale::Ci => "ci",
            Scale::Full => "full",
        })
    }
}

impl FromStr for Scale {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ci" => Ok(Scale::Ci),
            "full" => Ok(Scale::Full),
            other => Err(format!("unknown scale {other:?}: use ci or full")),
        }
    }
}

/// What a run may use and how it reports progress.
pub struct Ctx {
    pub paper: &'static str,
    pub scale: Scale,
    /// Base seed; per-claim seeds come from [`Ctx::seed`].
    pub seed: u64,
    pub device: Device,
    pub progress: Progress,
}

impl Ctx {
    /// The seed of repeat `repeat` of claim or experiment `claim` of this paper.
    pub fn seed(&self, claim: &str, repeat: u64) -> u64 {
        crate::rng::derive_seed(self.seed, self.paper, claim, repeat)
    }

    /// A context for tests: CPU, quiet progress.
    pub fn for_tests(paper: &'static str, scale: Scale, seed: u64) -> Self {
        Self {
            paper,
            scale,
            seed,
            device: Device::cpu(),
            progress: Progress::quiet(),
        }
    }
}

/// Why a run produced no report at all (a diverging *measurement* is not this: it is recorded in
/// the claim's verdict).
#[derive(Debug)]
pub struct RunError(pub String);

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RunError {}

/// A reproduction as a value: its metadata and its run function. A crate writes
/// `pub static REPRODUCTION: Paper = Paper { meta: Meta { … }, run };` instead of a type with an
/// `impl Reproduction` of its own.
pub struct Paper {
    pub meta: Meta,
    /// Runs the experiments and returns the report *before* [`Report::finalize`]; the verdicts are
    /// computed by [`Reproduction::run`].
    pub run: fn(&Ctx) -> Result<Report, RunError>,
}

impl Reproduction for Paper {
    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn run(&self, ctx: &Ctx) -> Result<Report, RunError> {
        (self.run)(ctx).map(Report::finalize)
    }
}

/// One paper's reproduction.
pub trait Reproduction: Sync {
    fn meta(&self) -> &Meta;
    /// Runs the experiments at `ctx.scale` and returns the finished report
    /// ([`Report::finalize`] already applied).
    fn run(&self, ctx: &Ctx) -> Result<Report, RunError>;
}
