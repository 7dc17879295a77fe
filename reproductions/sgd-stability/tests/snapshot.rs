//! The `ci`-scale report against `snapshots/sgd-stability/` (tolerance-aware; see `harness::snapshot`).

harness::snapshot_test!(sgd_stability::REPRODUCTION);
