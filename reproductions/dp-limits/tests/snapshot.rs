//! The `ci`-scale report against `snapshots/dp-limits/` (tolerance-aware; see `harness::snapshot`).

harness::snapshot_test!(dp_limits::REPRODUCTION);
