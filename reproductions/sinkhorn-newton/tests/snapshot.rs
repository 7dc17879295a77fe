//! The `ci`-scale report against `snapshots/sinkhorn-newton/` (tolerance-aware; see
//! `harness::snapshot`).

use harness::{Ctx, Reproduction, Scale};

#[test]
fn ci_report_matches_its_snapshot() {
    let ctx = Ctx::for_tests("sinkhorn-newton", Scale::Ci, 0);
    let report = sinkhorn_newton::REPRODUCTION
        .run(&ctx)
        .expect("the run completes");
    harness::snapshot::assert_report(
        &harness::store::workspace_root(),
        "sinkhorn-newton",
        &report,
    );
}
