//! The `ci`-scale report against `snapshots/last-iterate/` (tolerance-aware; see `harness::snapshot`).

harness::snapshot_test!(last_iterate::REPRODUCTION);
