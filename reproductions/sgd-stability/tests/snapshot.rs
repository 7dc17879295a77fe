//! The `ci`-scale report against `snapshots/sgd-stability/`.

use harness::{Ctx, Reproduction, Scale};

#[test]
fn ci_report_matches_its_snapshot() {
    let ctx = Ctx::for_tests("sgd-stability", Scale::Ci, 0);
    let report = sgd_stability::REPRODUCTION
        .run(&ctx)
        .expect("the run completes");
    harness::snapshot::assert_report(&harness::store::workspace_root(), "sgd-stability", &report);
}
