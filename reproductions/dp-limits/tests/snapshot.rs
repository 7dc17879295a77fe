//! The `ci`-scale report against `snapshots/dp-limits/`.

use harness::{Ctx, Reproduction, Scale};

#[test]
fn ci_report_matches_its_snapshot() {
    let ctx = Ctx::for_tests("dp-limits", Scale::Ci, 0);
    let report = dp_limits::REPRODUCTION
        .run(&ctx)
        .expect("the run completes");
    harness::snapshot::assert_report(&harness::store::workspace_root(), "dp-limits", &report);
}
