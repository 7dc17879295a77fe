harness::snapshot_test!(saf::REPRODUCTION);
