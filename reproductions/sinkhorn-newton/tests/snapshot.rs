//! The `ci`-scale report against `snapshots/sinkhorn-newton/` (tolerance-aware; see `harness::snapshot`).

harness::snapshot_test!(sinkhorn_newton::REPRODUCTION);
