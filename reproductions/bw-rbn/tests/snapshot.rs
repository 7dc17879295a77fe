//! The `ci`-scale report against `snapshots/bw-rbn/` (tolerance-aware; see `harness::snapshot`).

harness::snapshot_test!(bw_rbn::REPRODUCTION);
