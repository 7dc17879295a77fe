//! The `ci`-scale report against `snapshots/small-gain-nash/` (tolerance-aware; see `harness::snapshot`).

harness::snapshot_test!(small_gain_nash::REPRODUCTION);
