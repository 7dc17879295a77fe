//! The `ci`-scale report against `snapshots/diffgrad/` (tolerance-aware; see `harness::snapshot`).

harness::snapshot_test!(diffgrad::REPRODUCTION);
