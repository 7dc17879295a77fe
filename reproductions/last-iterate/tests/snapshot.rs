//! The `ci`-scale report against `snapshots/last-iterate/`.

use harness::{Ctx, Reproduction, Scale};

#[test]
fn ci_report_matches_its_snapshot() {
    let ctx = Ctx::for_tests("last-iterate", Scale::Ci, 0);
    let report = last_iterate::REPRODUCTION
        .run(&ctx)
        .expect("the run completes");
    harness::snapshot::assert_report(&harness::store::workspace_root(), "last-iterate", &report);
}
