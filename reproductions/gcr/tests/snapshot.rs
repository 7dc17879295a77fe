//! The `ci`-scale report against `snapshots/gcr/` (tolerance-aware; see `harness::snapshot`).

harness::snapshot_test!(gcr::REPRODUCTION);
