//! The harness of the reproduction suite: the contract every reproduction implements, the
//! runner with its result store, snapshots, figures and the book.
//!
//! Data flow: `repro run` → [`runner::run`] → a reproduction's `run(ctx)` → [`report::Report`]
//! (verdicts computed by [`report::Report::finalize`]) → `results/<id>.json` ([`store`]) →
//! `repro book` → [`book::build`] (figures via [`plot`], directives and math expanded) → HTML.
//! Tests check each report against `snapshots/<id>/` ([`snapshot`]).

pub mod book;
pub mod contract;
pub mod grid;
pub mod math;
pub mod numbers;
pub mod plot;
pub mod progress;
pub mod report;
/// Seeded random numbers; they live in `kernels` so that kernels' benches and tests draw from
/// the same generator.
pub use kernels::rng;
pub mod runner;
pub mod snapshot;
pub mod stats;
pub mod store;

pub use contract::{Ctx, Meta, Paper, Reproduction, RunError, Scale};
pub use report::{
    Aggregate, Cell, Check, Claim, CodeNote, Deviation, Figure, Guide, NoteKind, PaperValue,
    Provenance, Report, Role, Rule, Series, Stat, Table, Tol, Verdict,
};
