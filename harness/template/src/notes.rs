//! Deviations from the paper and findings in its official code.

use harness::{CodeNote, Deviation, NoteKind, Provenance};

pub fn deviations() -> Vec<Deviation> {
    vec![Deviation::new(
        "data",
        "real measurements",
        "standard normal draws from the suite's generator",
        "the mould needs no data",
    )]
}

pub fn code_notes() -> Vec<CodeNote> {
    vec![CodeNote::new(
        "none",
        NoteKind::Note,
        "a template has no official code; a paper lists what its repository does here",
        Provenance::Derived,
    )]
}
