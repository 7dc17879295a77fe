//! The `ci`-scale report against `snapshots/adamp/` (tolerance-aware; see `harness::snapshot`).

harness::snapshot_test!(adamp::REPRODUCTION);
