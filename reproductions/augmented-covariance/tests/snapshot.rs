//! The `ci`-scale report against `snapshots/augmented-covariance/` (tolerance-aware).

harness::snapshot_test!(augmented_covariance::REPRODUCTION);
