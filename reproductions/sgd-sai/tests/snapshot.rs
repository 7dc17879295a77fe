//! The `ci`-scale report against `snapshots/sgd-sai/` (tolerance-aware; see `harness::snapshot`).

harness::snapshot_test!(sgd_sai::REPRODUCTION);
