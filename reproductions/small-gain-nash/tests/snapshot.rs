//! The `ci`-scale report against `snapshots/small-gain-nash/`.

use harness::{Ctx, Reproduction, Scale};

#[test]
fn ci_report_matches_its_snapshot() {
    let ctx = Ctx::for_tests("small-gain-nash", Scale::Ci, 0);
    let report = small_gain_nash::REPRODUCTION
        .run(&ctx)
        .expect("the run completes");
    harness::snapshot::assert_report(
        &harness::store::workspace_root(),
        "small-gain-nash",
        &report,
    );
}
